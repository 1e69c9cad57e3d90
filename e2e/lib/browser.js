'use strict';
// Browser plumbing: Debian's Chromium driven by playwright-core (no downloaded browsers), one
// fresh profile directory per test, screenshots of every checked page state, and a collector of
// "soft" failures so one bad page does not hide the rest of a flow.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const RESULTS_DIR = path.join(__dirname, '..', 'test-results');

const slug = (s) =>
  String(s)
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80) || 'x';

/** Collects failures and reports them all at the end of a test. */
class Soft {
  constructor() {
    this.errors = [];
  }

  async check(label, fn) {
    try {
      await fn();
    } catch (err) {
      this.errors.push(`[${label}] ${err && err.message ? err.message : err}`);
    }
  }

  add(label, message) {
    this.errors.push(`[${label}] ${message}`);
  }

  assertNone() {
    if (this.errors.length) {
      assert.fail(`${this.errors.length} problem(s):\n\n${this.errors.join('\n\n')}`);
    }
  }
}

/**
 * Launches headless Chromium with a new, empty user data dir, runs `fn({ page, context, soft,
 * shot, resourceProblems })`, and always closes the browser and removes the profile. On failure a
 * screenshot and the page HTML are saved under e2e/test-results/.
 */
async function withBrowser(name, options, fn) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'madoguchi-e2e-profile-'));
  const shotsDir = path.join(RESULTS_DIR, 'screens', slug(name));
  fs.rmSync(shotsDir, { recursive: true, force: true });
  fs.mkdirSync(shotsDir, { recursive: true });

  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    baseURL: options.baseURL,
    viewport: options.viewport || { width: 1280, height: 900 },
    javaScriptEnabled: options.javaScriptEnabled !== false,
    locale: options.locale || 'ja-JP',
    timezoneId: 'Asia/Tokyo',
  });
  context.setDefaultTimeout(15000);
  context.setDefaultNavigationTimeout(30000);
  const page = context.pages()[0] || (await context.newPage());

  // Broken sub-resources (CSS, fonts, images), page errors and console errors (CSP violations
  // show up there) are collected; the test decides what to do with them.
  const resourceProblems = [];
  page.on('response', (res) => {
    const type = res.request().resourceType();
    if (res.status() >= 400 && type !== 'document') {
      resourceProblems.push(`${res.status()} ${type} ${res.url()} (on ${page.url()})`);
    }
  });
  page.on('requestfailed', (req) => {
    resourceProblems.push(`request failed: ${req.resourceType()} ${req.url()} ${req.failure()?.errorText || ''}`);
  });
  page.on('pageerror', (err) => resourceProblems.push(`page error on ${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // Chromium logs every HTTP error status as "Failed to load resource"; the response handler
    // above already records sub-resource failures, and error documents (401/422) are intended.
    if (text.startsWith('Failed to load resource')) return;
    resourceProblems.push(`console error on ${page.url()}: ${text}`);
  });

  let n = 0;
  const shot = async (label) => {
    n += 1;
    const file = path.join(shotsDir, `${String(n).padStart(2, '0')}-${slug(label)}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
  };

  const soft = new Soft();
  try {
    await fn({ page, context, soft, shot, resourceProblems });
  } catch (err) {
    try {
      await page.screenshot({ path: path.join(shotsDir, 'FAILURE.png'), fullPage: true });
      fs.writeFileSync(path.join(shotsDir, 'FAILURE.html'), await page.content());
      err.message += `\n(page at failure: ${page.url()}; screenshot: ${path.relative(process.cwd(), shotsDir)}/FAILURE.png)`;
    } catch {
      /* the page may be gone */
    }
    throw err;
  } finally {
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

module.exports = { withBrowser, Soft, FLAGS, CHROMIUM, slug };
