'use strict';
// Without JavaScript the core journey still works: plain HTML forms, server-side redirects.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const { uniqueEmail, makeChecker, registerAndVerify, loginResident, logout, expectMypageRedirectsToLogin, pathname } = require('../lib/flows');

const TIMEOUT = { timeout: 120000 };

describe('no JavaScript', () => {
  let stack;
  before(async () => {
    stack = await startStack('nojs');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('register → verify → login → マイページ → logout with javaScriptEnabled: false', TIMEOUT, async () => {
    await withBrowser('nojs-flow', { baseURL: stack.baseURL, javaScriptEnabled: false }, async ({ page, soft, shot }) => {
      // axe injects a script, so it cannot run here; the JS-enabled tests cover it.
      const check = makeChecker({ page, soft, shot, a11y: false, expectLang: 'ja' });
      const account = await registerAndVerify({ page, stack, check, name: '市川 一郎', email: uniqueEmail('nojs') });
      await loginResident({ page, check, ...account });
      await logout({ page });
      assert.equal(pathname(page), '/');
      await expectMypageRedirectsToLogin(page);
      soft.assertNone();
    });
  });

  test('server shuts down gracefully (SIGTERM → exit 0 within 10 s)', TIMEOUT, async () => {
    await stack.stop();
  });
});
