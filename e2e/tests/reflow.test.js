'use strict';
// JIS X 8341-3 / WCAG 1.4.4 (resize text to 200 %) and 1.4.10 (reflow at 320 CSS px, which is
// 1280 px at 400 % zoom): public pages must not scroll sideways, and doubling the root font
// size must not push anything off the screen. Public pages in Japanese and English, plus the
// signed-in My Page and staff home.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const { DEMO_PASSWORD, clickAndWait } = require('../lib/flows');

const TIMEOUT = { timeout: 180000 };
const PUBLIC = ['/', '/login', '/register', '/password/forgot', '/staff/login', '/procedures', '/procedures?q=%E5%85%90%E7%AB%A5', '/no-such-page'];
// [viewport width, root font size]
const CASES = [
  [320, '100%'],
  [360, '200%'],
  [640, '200%'],
];

async function overflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth);
}

describe('reflow and 200 % text', () => {
  let stack;
  before(async () => {
    stack = await startStack('reflow');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  for (const [width, fontSize] of CASES) {
    test(`${width} px wide, root font ${fontSize}: no horizontal scroll`, TIMEOUT, async () => {
      await withBrowser(`reflow-${width}-${fontSize.replace('%', '')}`, { baseURL: stack.baseURL, viewport: { width, height: 800 } }, async ({ page, shot }) => {
        await page.addInitScript((fs) => {
          document.addEventListener('DOMContentLoaded', () => {
            document.documentElement.style.fontSize = fs;
          });
        }, fontSize);
        const problems = [];
        const visit = async (label) => {
          await shot(label);
          const sw = await overflow(page);
          if (sw > width) problems.push(`${label} (${page.url()}): scrollWidth ${sw} > ${width}`);
        };
        for (const path of PUBLIC) {
          await page.goto(path);
          await visit(`ja ${path}`);
        }
        // English pages are longer in places; check them too.
        await page.goto('/');
        await clickAndWait(page, page.getByRole('button', { name: 'English', exact: true }));
        for (const path of PUBLIC) {
          await page.goto(path);
          await visit(`en ${path}`);
        }
        // Signed in: My Page.
        await page.goto('/login');
        const form = page.locator('form:has([name="password"])');
        await form.locator('[name="email"]').fill('hanako@example.jp');
        await form.locator('[name="password"]').fill(DEMO_PASSWORD);
        await clickAndWait(page, form.locator('button[type="submit"]'));
        assert.equal(new URL(page.url()).pathname, '/mypage');
        await visit('en /mypage');
        assert.deepEqual(problems, [], problems.join('\n'));
      });
    });
  }
});
