'use strict';
// The public road map (issue 8): MapLibre GL JS and the vector tiles come from our own server
// only (every request the page makes is checked), search by route number, click a road → its
// ledger sheet, the A4 print layout, the list view without JavaScript, and staff editing a route
// and its 調書 with the history (no JavaScript). axe on every page.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { startStack } = require('../lib/server');
const { withBrowser, FLAGS, CHROMIUM, slug } = require('../lib/browser');
const { checkA11y } = require('../lib/a11y');

const TIMEOUT = { timeout: 180000 };
const SHOTS = path.join(__dirname, '..', 'test-results', 'screens', 'roads-map');

// WebGL: with the GPU off, Debian's Chromium renders WebGL 2 in software (SwiftShader).
const MAP_FLAGS = FLAGS;

/** A browser that records every request of the page and its workers. */
async function withMapBrowser(baseURL, fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'madoguchi-e2e-roads-'));
  fs.rmSync(SHOTS, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: MAP_FLAGS,
    baseURL,
    viewport: { width: 1280, height: 900 },
    locale: 'ja-JP',
    timezoneId: 'Asia/Tokyo',
  });
  context.setDefaultTimeout(30000);
  const page = context.pages()[0] || (await context.newPage());
  const requests = [];
  const problems = [];
  context.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  let n = 0;
  const shot = async (label) => {
    n += 1;
    await page.screenshot({ path: path.join(SHOTS, `${String(n).padStart(2, '0')}-${slug(label)}.png`) }).catch(() => {});
  };
  try {
    await fn({ page, requests, problems, shot });
  } catch (err) {
    await page.screenshot({ path: path.join(SHOTS, 'FAILURE.png') }).catch(() => {});
    throw err;
  } finally {
    await context.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Waits until the map has loaded its style and at least one tile with roads is drawn. */
async function waitForRoads(page) {
  await page.waitForSelector('#roads-map[data-loaded="true"]', { timeout: 60000 });
  await page.waitForFunction(
    () => {
      const map = document.getElementById('roads-map').roadsMap;
      return map.areTilesLoaded() && map.queryRenderedFeatures({ layers: ['sections'] }).length > 0;
    },
    null,
    { timeout: 60000 },
  );
}

describe('road map and list view', () => {
  let stack;
  before(async () => {
    stack = await startStack('roads');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('map from our server only → search → click a road → ledger sheet → print', TIMEOUT, async () => {
    await withMapBrowser(stack.baseURL, async ({ page, requests, problems, shot }) => {
      const origin = new URL(stack.baseURL).origin;
      await page.goto('/roads/map');
      await waitForRoads(page);
      await shot('map');
      await checkA11y(page, 'road map');
      const tileRequests = requests.filter((u) => u.includes('/roads/tiles/'));
      assert.ok(tileRequests.length > 0, 'the map asked for vector tiles');
      assert.ok(
        requests.some((u) => u.includes('/static/vendor/maplibre-gl/maplibre-gl-worker.mjs')),
        'the MapLibre worker came from our server',
      );

      // Search by route number: take one from the list view.
      const number = (await page.request.get('/roads/list').then((r) => r.text())).match(/<th scope="row">([^<]+)<\/th>/)[1];
      await page.fill('#f-q', number);
      await page.getByRole('button', { name: '検索する' }).click();
      await page.waitForURL(/\/roads\/map\?q=/);
      await checkA11y(page, 'map search results');
      const hit = page.locator('.roads-results a').first();
      assert.match(await hit.textContent(), new RegExp(number));
      await hit.click();
      await page.waitForURL(/\/roads\/map\?route=\d+/);
      const routeId = new URL(page.url()).searchParams.get('route');
      await waitForRoads(page);
      await shot('selected route');

      // Click on a drawn section of the selected route → popup → ledger sheet.
      const pt = await page.evaluate((id) => {
        const map = document.getElementById('roads-map').roadsMap;
        const fs = map.queryRenderedFeatures({ layers: ['sections'] }).filter((f) => String(f.properties.route_id) === id);
        const f = fs[0];
        const c = f.geometry.type === 'LineString' ? f.geometry.coordinates : f.geometry.coordinates[0];
        const a = c[Math.floor(c.length / 2) - 1] || c[0];
        const b = c[Math.floor(c.length / 2)];
        const p = map.project([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]);
        const r = map.getCanvas().getBoundingClientRect();
        return { x: r.left + p.x, y: r.top + p.y };
      }, routeId);
      await page.mouse.click(pt.x, pt.y);
      const link = page.locator('.roads-popup__link');
      await link.waitFor();
      await shot('popup');
      assert.equal(await link.getAttribute('href'), `/roads/list/${routeId}`);
      await link.click();
      await page.waitForURL(new RegExp(`/roads/list/${routeId}$`));
      assert.match(await page.locator('h1').textContent(), /道路台帳（調書）/);
      await checkA11y(page, 'ledger sheet');

      // A4 print of the map: the date line and the scale bar show, the search form does not.
      await page.goto(`/roads/map?route=${routeId}`);
      await waitForRoads(page);
      await page.emulateMedia({ media: 'print' });
      assert.ok(await page.locator('.roads-print-only').first().isVisible(), 'print date shown');
      assert.match(await page.locator('.roads-print-only').first().textContent(), /印刷日: \d{4}年\d{1,2}月\d{1,2}日/);
      assert.ok(await page.locator('.maplibregl-ctrl-scale').isVisible(), 'scale bar printed');
      assert.equal(await page.locator('form[role="search"]').isVisible(), false);
      await shot('print');
      await page.emulateMedia({ media: 'screen' });

      const foreign = requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
      assert.deepEqual(foreign, [], 'no request to another host');
      assert.deepEqual(problems, []);
    });
  });

  test('list view without JavaScript: search, pages, sheet', TIMEOUT, async () => {
    await withBrowser('roads-list-nojs', { baseURL: stack.baseURL, javaScriptEnabled: false }, async ({ page, shot, resourceProblems }) => {
      await page.goto('/roads/list');
      await shot('list');
      assert.equal(await page.locator('h1').textContent(), '道路台帳の一覧');
      const rows = await page.locator('tbody tr').count();
      assert.ok(rows > 0 && rows <= 50, `one page of routes (${rows})`);
      const next = page.locator('a[rel="next"]');
      if (await next.count()) {
        await next.click();
        assert.match(page.url(), /page=2/);
        assert.ok((await page.locator('tbody tr').count()) > 0);
      }
      const first = (await page.locator('tbody th').first().textContent()).trim();
      await page.fill('#f-q', first);
      await page.getByRole('button', { name: '検索する' }).click();
      assert.match(page.url(), /\/roads\/list\?q=/);
      assert.ok((await page.locator('tbody th').allTextContents()).some((t) => t.includes(first)));
      await page.locator('tbody a').first().click();
      assert.match(page.url(), /\/roads\/list\/\d+$/);
      assert.match(await page.locator('h1').textContent(), /道路台帳（調書）/);
      await shot('sheet');
      // The map page without JavaScript points to the list.
      await page.goto('/roads/map');
      assert.match(await page.locator('#roads-map').textContent(), /JavaScript を使わない場合は、一覧で同じ情報を見られます。/);
      assert.equal(await page.locator('#roads-map a[href="/roads/list"]').count(), 1);
      assert.deepEqual(resourceProblems, []);
    });
  });

  test('list view and sheet pass axe', TIMEOUT, async () => {
    await withBrowser('roads-list-axe', { baseURL: stack.baseURL }, async ({ page }) => {
      await page.goto('/roads/list');
      await checkA11y(page, 'road list');
      await page.goto('/roads/list?q=%E5%AD%98%E5%9C%A8%E3%81%97%E3%81%AA%E3%81%84');
      assert.ok(await page.getByText('見つかりませんでした').isVisible());
      await checkA11y(page, 'road list, nothing found');
      await page.locator('a[href="/roads/list"]').last().click();
      await page.locator('tbody a').first().click();
      await checkA11y(page, 'ledger sheet');
    });
  });

  test('staff edit a route and its ledger sheet (plain HTML forms), then see the history', TIMEOUT, async () => {
    await withBrowser('roads-staff', { baseURL: stack.baseURL }, async ({ page, shot, resourceProblems }) => {
      const submit = async (name) => {
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name }).click()]);
      };
      await page.goto('/staff/login');
      const login = page.locator('form:has([name="password"])');
      await login.locator('[name="email"]').fill('admin@city.ichikawa.example.jp');
      await login.locator('[name="password"]').fill('demo-password-2026');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), login.getByRole('button', { name: 'ログイン' }).click()]);

      // The list: search by route number.
      await page.goto('/staff/roads');
      assert.equal(await page.locator('h1').textContent(), '道路台帳の編集');
      await checkA11y(page, 'staff road list');
      const number = (await page.locator('tbody th').first().textContent()).trim();
      await page.fill('#f-q', number);
      await submit('検索する');
      assert.match(page.url(), /\/staff\/roads\?q=/);
      await page.locator('tbody a', { hasText: '路線を編集' }).first().click();
      assert.match(page.url(), /\/staff\/roads\/routes\/\d+$/);
      const routeUrl = new URL(page.url()).pathname;
      await checkA11y(page, 'route form');
      await shot('route form');

      // A wrong width first: the field is named, nothing saved.
      const oldName = await page.inputValue('#f-name');
      await page.fill('#f-width_max_m', '0');
      await page.fill('#f-width_min_m', '3');
      await page.fill('#f-reason', 'e2e: 幅員の補正');
      await submit('路線を保存する');
      assert.ok(await page.getByText('最大幅員（m）：最小幅員より小さくできません。').first().isVisible());
      await checkA11y(page, 'route form with errors');
      await shot('route errors');
      // Fixed: saved.
      await page.fill('#f-width_max_m', '12');
      await page.fill('#f-name', `${oldName}改`);
      await submit('路線を保存する');
      assert.match(page.url(), /\?saved=1$/);
      assert.ok(await page.getByText('保存しました。').isVisible());

      // The 調書: a new version.
      await page.getByRole('link', { name: '調書を編集' }).first().click();
      assert.match(page.url(), /\/sheet$/);
      await checkA11y(page, 'sheet form');
      await page.fill('#f-via', '市川\n八幡');
      await page.fill('#f-bridges', '2');
      await page.fill('#f-remarks', 'e2e: 橋梁の追加');
      await page.selectOption('#f-reason', 'construction');
      await submit('調書を新しい版で保存する');
      assert.match(page.url(), /\/sheet\?saved=1$/);
      await shot('sheet saved');

      // The histories: who, when, before → after with Japanese labels.
      await page.getByRole('link', { name: '調書の変更履歴' }).click();
      assert.match(await page.locator('h1').textContent(), /調書の変更履歴/);
      const sheetRow = page.locator('tr', { has: page.locator('th', { hasText: '橋梁の数' }) }).first();
      assert.match(await sheetRow.textContent(), /2$/);
      assert.ok(await page.getByText('工事竣工').first().isVisible());
      assert.equal((await page.locator('dd').first().textContent()).trim(), '行政 太郎', 'who saved the newest version');
      await checkA11y(page, 'sheet history');
      await shot('sheet history');
      await page.goto(`${routeUrl}/history`);
      const nameRow = page.locator('tr', { has: page.locator('th', { hasText: '路線名' }) }).first();
      assert.equal((await nameRow.locator('td').nth(0).textContent()).trim(), oldName);
      assert.equal((await nameRow.locator('td').nth(1).textContent()).trim(), `${oldName}改`);
      assert.ok(await page.getByText('e2e: 幅員の補正').first().isVisible());
      await checkA11y(page, 'route history');
      await shot('route history');
      assert.deepEqual(resourceProblems, []);
    });
  });

  test('staff register a new route with its start and end points, then abolish it', TIMEOUT, async () => {
    await withBrowser('roads-staff-new', { baseURL: stack.baseURL }, async ({ page, shot, resourceProblems }) => {
      const submit = async (name) => {
        await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.getByRole('button', { name }).click()]);
      };
      await page.goto('/staff/login');
      const login = page.locator('form:has([name="password"])');
      await login.locator('[name="email"]').fill('admin@city.ichikawa.example.jp');
      await login.locator('[name="password"]').fill('demo-password-2026');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), login.getByRole('button', { name: 'ログイン' }).click()]);

      // From the staff home to the ledger, then to the new-route form.
      await page.getByRole('link', { name: '道路台帳の編集' }).click();
      assert.match(page.url(), /\/staff\/roads$/);
      await page.getByRole('link', { name: '新しい路線を登録する' }).click();
      assert.equal(await page.locator('h1').textContent(), '路線の新規登録');
      await checkA11y(page, 'new route form');

      await page.fill('#f-route_number', 'Ｅ２Ｅ－１');
      await page.fill('#f-name', '八幡（改）線');
      await page.fill('#f-certified_on', '2026/4/1');
      await page.fill('#f-start_address', '市川市八幡二丁目');
      await page.fill('#f-end_address', '市川市八幡三丁目');
      await page.selectOption('#f-coord_crs', '6668');
      // Longitude first by mistake: the field is named and says how to fix it.
      await page.fill('#f-start_coord', '139.9310, 35.7213');
      await page.fill('#f-end_coord', '35.7230, 139.9350');
      await page.fill('#f-length_m', '180');
      await page.fill('#f-width_min_m', '4');
      await page.fill('#f-width_max_m', '6');
      await page.fill('#f-reason', 'e2e: 令和8年市川市告示第1号による認定');
      await submit('路線を登録する');
      assert.ok(await page.getByText('起点の座標：日本の緯度・経度になっていません。').first().isVisible());
      assert.equal(await page.inputValue('#f-name'), '八幡（改）線', 'the input is kept');
      await checkA11y(page, 'new route form with errors');
      await shot('new route errors');
      await page.fill('#f-start_coord', '35.7213, 139.9310');
      await submit('路線を登録する');
      assert.match(page.url(), /\/staff\/roads\/routes\/\d+\?created=1$/);
      assert.ok(await page.getByText('路線を登録しました。').isVisible());
      assert.equal(await page.inputValue('#f-route_number'), 'E2E-1');
      assert.equal(await page.inputValue('#f-name'), '八幡（改）線');
      assert.match(await page.inputValue('#f-start_coord'), /^-?\d+\.\d{3}, -?\d+\.\d{3}$/, 'shown in zone IX');
      const routeUrl = new URL(page.url()).pathname;
      const id = routeUrl.split('/').pop();
      assert.equal((await page.request.get(`/ogc/collections/routes/items/${id}`)).status(), 200);
      await shot('route registered');

      // 廃止: without the confirmation first, then done.
      await page.fill('#f-abolished_on', '2026/11/30');
      await page.fill('#f-abolish_reason', 'e2e: 令和8年市川市告示第2号（区画整理のため）');
      await submit('この路線を廃止する');
      assert.ok(await page.getByText('内容を確かめたら、チェックを入れてください。').first().isVisible());
      await checkA11y(page, 'abolish form with errors');
      await page.check('#f-confirm');
      await submit('この路線を廃止する');
      assert.match(page.url(), /\?abolished=1$/);
      assert.ok(await page.getByText('廃止された路線です').isVisible());
      assert.equal(await page.locator('#f-public').count(), 0, 'no 公開 box any more');
      await checkA11y(page, 'abolished route');
      await shot('route abolished');
      assert.equal((await page.request.get(`/ogc/collections/routes/items/${id}`)).status(), 404);
      await page.goto(`${routeUrl}/history`);
      const row = page.locator('tr', { has: page.locator('th', { hasText: '廃止年月日' }) }).first();
      assert.equal((await row.locator('td').nth(1).textContent()).trim(), '2026-11-30');
      assert.deepEqual(resourceProblems, []);
    });
  });
});
