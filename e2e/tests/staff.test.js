'use strict';
// Staff login with the demo admin account, 職員ホーム, logout; and a demo resident login.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const { JA, DEMO_PASSWORD, pathname, makeChecker, clickAndWait, submitButton, submitLogin, expectText, h1Text, loginResident, logout } = require('../lib/flows');

const TIMEOUT = { timeout: 120000 };

describe('staff', () => {
  let stack;
  before(async () => {
    stack = await startStack('staff');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('demo admin logs in at /staff/login → 職員ホーム → logs out (axe)', TIMEOUT, async () => {
    await withBrowser('staff-admin', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      await page.goto('/staff/login');
      assert.equal(pathname(page), '/staff/login');
      await check('staff login');

      const form = page.locator('form:has([name="password"])');
      await form.locator('[name="email"]').fill('admin@city.ichikawa.example.jp');
      await form.locator('[name="password"]').fill(DEMO_PASSWORD);
      await clickAndWait(page, submitButton(form, JA.loginButton, 'ja'));
      assert.equal(pathname(page), '/staff', `staff login should land on /staff, got ${page.url()}`);
      assert.equal(await h1Text(page), JA.staffH1);
      await soft.check('staff home content', async () => {
        await expectText(page.locator('main'), '情報システム課', '/staff (department of the demo admin)');
        assert.ok(
          (await page.locator('form[action$="/staff/users"]').count()) > 0,
          'an admin should see the add-staff form (POST /staff/users) on /staff',
        );
      });
      await check('staff home (admin)');

      await logout({ page });
      await page.goto('/staff');
      assert.notEqual(pathname(page), '/staff', `/staff after logout should redirect to a login page, got ${page.url()}`);
      assert.equal(await page.locator('h1', { hasText: JA.staffH1 }).count(), 0, '職員ホーム still shown after logout');
      soft.assertNone();
    });
  });

  test('wrong staff password is refused', TIMEOUT, async () => {
    await withBrowser('staff-wrong-password', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot });
      await page.goto('/staff/login');
      const form = page.locator('form:has([name="password"])');
      await form.locator('[name="email"]').fill('shimin@city.ichikawa.example.jp');
      await form.locator('[name="password"]').fill('wrong-password-2026');
      await clickAndWait(page, submitButton(form, JA.loginButton, 'ja'));
      assert.notEqual(pathname(page), '/staff');
      assert.ok((await page.locator('.dads-notification-banner[data-type="error"]').count()) > 0, 'no error banner after a wrong staff password');
      await check('staff login with wrong password');
      soft.assertNone();
    });
  });

  test('demo resident hanako@example.jp logs in at /login', TIMEOUT, async () => {
    await withBrowser('staff-demo-resident', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, a11y: false });
      await loginResident({ page, check, email: 'hanako@example.jp', password: DEMO_PASSWORD, name: '市川 花子' });
      await logout({ page });
      soft.assertNone();
    });
  });

  test('admin adds a 課の職員 who can log in but cannot add staff', TIMEOUT, async () => {
    await withBrowser('staff-add-user', { baseURL: stack.baseURL }, async ({ page, context, soft, shot }) => {
      const check = makeChecker({ page, soft, shot });
      await submitLogin(page, 'admin@city.ichikawa.example.jp', DEMO_PASSWORD, '/staff/login');
      assert.equal(pathname(page), '/staff');

      await soft.check('least-privilege default role', async () => {
        const role = await page.locator('form[action$="/staff/users"] [name="role"]').inputValue();
        assert.notEqual(role, 'admin', 'the add-staff form preselects the admin role');
      });

      const email = `staff-${Date.now()}@city.ichikawa.example.jp`;
      const password = 'staff-passphrase-2026';
      const form = page.locator('form[action$="/staff/users"]');
      await form.locator('[name="name"]').fill('窓口 新人');
      await form.locator('[name="email"]').fill(email);
      await form.locator('[name="department"]').selectOption('shimin');
      await form.locator('[name="role"]').selectOption('department_staff');
      await form.locator('[name="password"]').fill(password);
      await form.locator('[name="password_confirm"]').fill(password);
      await clickAndWait(page, form.locator('[type="submit"]').first());
      await expectText(page.locator('main'), email, 'the staff list after adding');
      await check('staff home after adding staff');
      await logout({ page });

      await submitLogin(page, email, password, '/staff/login');
      assert.equal(pathname(page), '/staff', `the new staff member should land on /staff, got ${page.url()}`);
      assert.equal(await h1Text(page), JA.staffH1);
      assert.equal(await page.locator('form[action$="/staff/users"]').count(), 0, 'a 課の職員 sees the add-staff form');
      await check('staff home (課の職員)');

      // Forge the admin-only POST from this non-admin session (CSRF token taken from the page).
      const csrf = await page.locator('input[name="csrf"]').first().inputValue();
      const forged = `forged-${Date.now()}@city.ichikawa.example.jp`;
      const [res] = await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.evaluate(
          ({ csrf, forged }) => {
            const f = document.createElement('form');
            f.method = 'post';
            f.action = '/staff/users';
            const fields = { csrf, name: '不正 追加', email: forged, department: 'joho-system', role: 'admin', password: 'forged-passphrase-2026', password_confirm: 'forged-passphrase-2026' };
            for (const [k, v] of Object.entries(fields)) {
              const i = document.createElement('input');
              i.type = 'hidden';
              i.name = k;
              i.value = v;
              f.appendChild(i);
            }
            document.body.appendChild(f);
            f.submit();
          },
          { csrf, forged },
        ),
      ]);
      assert.equal(res.status(), 403, `POST /staff/users by a 課の職員 → HTTP ${res.status()}, expected 403`);
      await logout({ page }).catch(() => {});
      await context.clearCookies();
      await submitLogin(page, forged, 'forged-passphrase-2026', '/staff/login');
      assert.notEqual(pathname(page), '/staff', 'the forged admin account was created and can log in');
      soft.assertNone();
    });
  });

  test('shisui.localhost serves 酒々井町, and accounts stay in their municipality', TIMEOUT, async () => {
    const baseURL = `http://shisui.localhost:${stack.port}`;
    await withBrowser('tenant-shisui', { baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      await page.goto('/');
      assert.match(await page.title(), /酒々井町/, 'the home page title on shisui.localhost');
      await check('home (酒々井町)');

      // A 市川市 resident does not exist in 酒々井町.
      await submitLogin(page, 'hanako@example.jp', DEMO_PASSWORD);
      assert.notEqual(pathname(page), '/mypage', '市川市 resident hanako logged in on shisui.localhost');

      await loginResident({ page, check, email: 'taro@example.jp', password: DEMO_PASSWORD });
      await expectText(page.locator('header'), '酒々井町', 'the header on shisui.localhost');
      await logout({ page });

      // Staff too: the 市川市 admin is refused, the 酒々井町 admin gets in.
      await submitLogin(page, 'admin@city.ichikawa.example.jp', DEMO_PASSWORD, '/staff/login');
      assert.notEqual(pathname(page), '/staff', '市川市 admin logged in on shisui.localhost');
      await submitLogin(page, 'admin@town.shisui.example.jp', DEMO_PASSWORD, '/staff/login');
      assert.equal(pathname(page), '/staff', `酒々井町 admin should land on /staff, got ${page.url()}`);
      assert.equal(await h1Text(page), JA.staffH1);
      await check('staff home (酒々井町 admin)');
      await logout({ page });
      soft.assertNone();
    });
  });

  test('server shuts down gracefully (SIGTERM → exit 0 within 10 s)', TIMEOUT, async () => {
    await stack.stop();
  });
});
