'use strict';
// Passkeys in a real browser: Chromium's virtual WebAuthn authenticator (CDP WebAuthn domain,
// CTAP2, internal transport, resident keys, user verification) stands in for a phone or
// laptop. The demo resident adds a passkey on マイページ, logs out, logs in with
// 「パスキーでログイン」 without typing anything, deletes the passkey, and the deleted passkey
// no longer logs in. WebAuthn does not work on IP addresses, so the browser uses
// http://localhost:PORT (a demo host of 市川市); on http://127.0.0.1 the buttons stay hidden.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const { JA, DEMO_PASSWORD, pathname, makeChecker, clickAndWait, expectText, h1Text, loginResident, logout } = require('../lib/flows');

const TIMEOUT = { timeout: 180000 };

const PK = {
  register: 'パスキーを登録する',
  login: 'パスキーでログイン',
  added: 'パスキーを登録しました',
  deleted: 'パスキーを削除しました',
  neverUsed: 'まだ使われていません',
  unknown: 'このパスキーは登録されていません',
  deleteButton: '削除',
};

/** Adds Chromium's virtual platform authenticator to `page`; returns the CDP session and id. */
async function addVirtualAuthenticator(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

describe('passkeys', () => {
  let stack;
  before(async () => {
    stack = await startStack('passkey');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('add a passkey on マイページ, log in with it, delete it (axe)', TIMEOUT, async () => {
    const baseURL = `http://localhost:${stack.port}`;
    await withBrowser('passkey-main-flow', { baseURL }, async ({ page, soft, shot, resourceProblems }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      const { cdp, authenticatorId } = await addVirtualAuthenticator(page);

      await loginResident({ page, check, email: 'hanako@example.jp', password: DEMO_PASSWORD, name: '市川 花子' });

      // The button is revealed by the script (WebAuthn is available on localhost).
      const registerButton = page.getByRole('button', { name: PK.register });
      await registerButton.waitFor({ state: 'visible' });
      await page.locator('#f-passkey_name').fill('テスト用の端末');
      await clickAndWait(page, registerButton);
      assert.equal(pathname(page), '/mypage', `after adding a passkey: ${page.url()}`);
      await expectText(page.locator('main'), PK.added, '/mypage after adding a passkey');
      await soft.check('the ceremony cookie is gone', async () => {
        const left = (await page.context().cookies(baseURL)).filter((c) => c.name === '__Host-webauthn');
        assert.equal(left.length, 0, '__Host-webauthn is still in the browser after the registration finished');
      });
      const row = page.locator('#passkeys tbody tr');
      assert.equal(await row.count(), 1, 'one passkey listed');
      await expectText(row, 'テスト用の端末', 'the passkey table');
      await expectText(row, PK.neverUsed, 'the passkey table');
      await check('mypage with a passkey');

      const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
      assert.equal(credentials.length, 1, 'the virtual authenticator holds one credential');
      assert.equal(credentials[0].isResidentCredential, true, 'the passkey must be discoverable');
      assert.equal(credentials[0].rpId, 'localhost');

      await logout({ page });

      // Usernameless login: nothing typed, only the passkey button.
      await page.goto('/login');
      const loginButton = page.getByRole('button', { name: PK.login });
      await loginButton.waitFor({ state: 'visible' });
      await check('login page with the passkey button');
      await clickAndWait(page, loginButton);
      assert.equal(pathname(page), '/mypage', `passkey login should land on /mypage, got ${page.url()}`);
      assert.equal(await h1Text(page), JA.mypageH1);
      await expectText(page.locator('main'), '市川 花子', '/mypage after a passkey login');
      await soft.check('last use is shown', async () => {
        const text = await page.locator('#passkeys tbody tr').first().innerText();
        assert.ok(!text.includes(PK.neverUsed), `the passkey row still says ${PK.neverUsed}: ${text}`);
      });

      // Delete it with the plain form on マイページ.
      await clickAndWait(page, page.locator('#passkeys').getByRole('button', { name: PK.deleteButton }));
      await expectText(page.locator('main'), PK.deleted, '/mypage after deleting the passkey');
      assert.equal(await page.locator('#passkeys tbody tr').count(), 0, 'the deleted passkey is still listed');
      await check('mypage after deleting the passkey');
      await logout({ page });

      // The authenticator still has it, but the city no longer accepts it: a clear message.
      await page.goto('/login');
      await page.getByRole('button', { name: PK.login }).click();
      await expectText(page.locator('[data-passkey-status]'), PK.unknown, 'the passkey status after using a deleted passkey');
      assert.equal(pathname(page), '/login');
      await check('login page after a refused passkey');

      for (const p of resourceProblems) {
        if (/\/favicon\.ico /.test(p)) continue;
        // The refused login above answers 400 on purpose.
        if (/^400 fetch .*\/passkeys\/login\/finish/.test(p)) continue;
        soft.add('broken resource / console error', p);
      }
      soft.assertNone();
    });
  });

  test('on an IP address the passkey buttons stay hidden and passwords work', TIMEOUT, async () => {
    await withBrowser('passkey-ip-address', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, a11y: false });
      await addVirtualAuthenticator(page);
      await page.goto('/login');
      assert.equal(await page.getByRole('button', { name: PK.login }).count(), 0, 'passkey login offered on an IP address');
      await loginResident({ page, check, email: 'hanako@example.jp', password: DEMO_PASSWORD, name: '市川 花子' });
      assert.equal(await page.getByRole('button', { name: PK.register }).count(), 0, 'passkey registration offered on an IP address');
      await expectText(page.locator('#passkeys'), 'IP アドレス', 'the passkey section on an IP address');
      await logout({ page });
      soft.assertNone();
    });
  });

  test('server shuts down gracefully (SIGTERM → exit 0 within 10 s)', TIMEOUT, async () => {
    await stack.stop();
  });
});
