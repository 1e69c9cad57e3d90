'use strict';
// Resident journeys: register → verification mail → verify → login → マイページ → logout,
// form errors, and the same journey on a phone, with large text and in English.
// axe runs on every page state visited.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const {
  JA,
  uniqueEmail,
  pathname,
  makeChecker,
  clickAndWait,
  expectText,
  fillRegister,
  submitButton,
  anySubmit,
  submitLogin,
  registerAndVerify,
  loginResident,
  logout,
  expectMypageRedirectsToLogin,
  pressPref,
} = require('../lib/flows');

const TIMEOUT = { timeout: 180000 };

function reportResourceProblems(soft, problems) {
  for (const p of problems) {
    // Chromium asks for /favicon.ico on its own when a page declares no icon.
    if (/\/favicon\.ico /.test(p)) continue;
    soft.add('broken resource / console error', p);
  }
}

describe('resident', () => {
  let stack;
  before(async () => {
    stack = await startStack('resident');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('register → verify by mail → log in → マイページ → log out (axe on every state)', TIMEOUT, async () => {
    await withBrowser('resident-main-flow', { baseURL: stack.baseURL }, async ({ page, context, soft, shot, resourceProblems }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja', expectLargeText: false });

      const home = await page.goto('/');
      assert.equal(home.status(), 200);
      await soft.check('security headers on /', async () => {
        const h = home.headers();
        assert.match(h['content-security-policy'] || '', /default-src 'self'/, 'CSP default-src');
        assert.match(h['content-security-policy'] || '', /frame-ancestors 'none'/, 'CSP frame-ancestors');
        assert.equal(h['x-content-type-options'], 'nosniff');
        assert.ok(h['referrer-policy'], 'Referrer-Policy header');
      });
      await check('home');
      await soft.check('skip link is the first Tab stop and targets #main', async () => {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => {
          const el = document.activeElement;
          return { cls: el.className, href: el.getAttribute('href'), text: el.textContent.trim() };
        });
        assert.ok(String(focused.cls).includes('skip-link'), `first Tab focuses ${JSON.stringify(focused)}, not a.skip-link`);
        assert.equal(focused.href, '#main');
        assert.ok((await page.locator('main#main').count()) === 1, 'no main#main');
      });

      const account = await registerAndVerify({ page, stack, check, soft, name: '市川 一郎', email: uniqueEmail('ichiro') });
      await loginResident({ page, check, ...account });

      await soft.check('session cookie', async () => {
        const cookies = await context.cookies(stack.baseURL);
        const session = cookies.find((c) => c.name === '__Host-session');
        assert.ok(session, `no __Host-session cookie; cookies: ${cookies.map((c) => c.name).join(', ')}`);
        assert.equal(session.secure, true, '__Host-session Secure');
        assert.equal(session.httpOnly, true, '__Host-session HttpOnly');
        assert.equal(session.sameSite, 'Lax', '__Host-session SameSite');
        assert.equal(session.path, '/', '__Host-session Path');
      });

      await logout({ page });
      await check('home after logout');
      await soft.check('logout removes the session cookie', async () => {
        const left = (await context.cookies(stack.baseURL)).filter((c) => c.name === '__Host-session');
        assert.equal(left.length, 0, `__Host-session is still in the browser after logout (value ${left[0]?.value.slice(0, 6)}…); a __Host- cookie can only be deleted by a Set-Cookie that has Secure and Path=/`);
      });
      await expectMypageRedirectsToLogin(page);
      await soft.check('after logout /mypage does not claim the session timed out', async () => {
        assert.ok(!new URL(page.url()).searchParams.has('expired'), `after an explicit logout /mypage redirected to ${page.url()}`);
      });

      reportResourceProblems(soft, resourceProblems);
      soft.assertNone();
    });
  });

  test('wrong password shows the error message and an error banner', TIMEOUT, async () => {
    await withBrowser('resident-wrong-password', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot });
      await page.goto('/login');
      const form = page.locator('form:has([name="password"])');
      await form.locator('[name="email"]').fill('hanako@example.jp');
      await form.locator('[name="password"]').fill('not-the-password-2026');
      const res = await clickAndWait(page, submitButton(form, JA.loginButton, 'ja'));
      assert.ok([200, 401].includes(res.status()), `wrong password → HTTP ${res.status()}, expected 200 or 401`);
      assert.notEqual(pathname(page), '/mypage');
      await expectText(page.locator('main'), JA.badLogin, 'the login page after a wrong password');
      const banner = page.locator('.dads-notification-banner[data-type="error"]');
      assert.ok((await banner.count()) > 0, 'no .dads-notification-banner[data-type="error"] after a wrong password');
      assert.ok(await banner.first().isVisible(), 'the error banner is not visible');
      await check('login with wrong password');
      soft.assertNone();
    });
  });

  test('register with an empty name shows a field error naming the field', TIMEOUT, async () => {
    await withBrowser('resident-register-errors', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot });
      await page.goto('/register');
      const form = await fillRegister(page, { name: '', email: uniqueEmail('noname'), password: 'correct-horse-battery-staple' });
      // Test the server's validation, not the browser's: skip `required` checks in Chromium.
      await form.evaluate((f) => {
        f.noValidate = true;
      });
      const res = await clickAndWait(page, submitButton(form, JA.registerButton, 'ja'));
      assert.ok(res.status() === 200 || res.status() === 422 || res.status() === 400, `register with errors → HTTP ${res.status()}`);

      const input = page.locator('form:has([name="password_confirm"]) [name="name"]');
      assert.equal(await input.count(), 1, 'the register form (with the name field) is shown again');
      assert.equal(await input.getAttribute('aria-invalid'), 'true', 'aria-invalid="true" on the name input');

      const id = await input.getAttribute('id');
      assert.ok(id, 'the name input has an id (for its <label for>)');
      const label = page.locator(`label[for="${id}"]`);
      assert.equal(await label.count(), 1, `one <label for="${id}">`);
      const labelPart = label.locator('.dads-form-control-label__label');
      let labelText = (await labelPart.count()) ? await labelPart.first().innerText() : await label.innerText();
      labelText = labelText.replace(/必須|任意|[（(][^）)]*[）)]/g, '').trim();
      assert.ok(labelText.length > 0, 'the name field has a label text');

      const describedBy = ((await input.getAttribute('aria-describedby')) || '').split(/\s+/).filter(Boolean);
      const texts = [];
      for (const d of describedBy) {
        const el = page.locator(`[id="${d}"]`);
        if (await el.count()) texts.push((await el.first().innerText()).trim());
      }
      assert.ok(
        texts.some((t) => t.includes(labelText)),
        `no error text naming the field 「${labelText}」 among the input's aria-describedby targets ${JSON.stringify(describedBy)}: ${JSON.stringify(texts)}`,
      );
      await soft.check('error summary links to the field', async () => {
        const link = page.locator(`.dads-notification-banner[data-type="error"] a[href="#${id}"]`);
        assert.ok((await link.count()) > 0, `no error banner with a link to #${id}`);
      });
      const errorText = page.locator('.dads-form-control-label__error-text');
      assert.ok((await errorText.count()) > 0, 'no .dads-form-control-label__error-text on the page');
      await check('register with errors');
      soft.assertNone();
    });
  });

  test('an unverified resident cannot log in', TIMEOUT, async () => {
    await withBrowser('resident-unverified', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot });
      const email = uniqueEmail('unverified');
      const password = 'correct-horse-battery-staple';
      await page.goto('/register');
      const form = await fillRegister(page, { name: '市川 次郎', email, password });
      await clickAndWait(page, submitButton(form, JA.registerButton, 'ja'));
      await expectText(page.locator('main'), JA.registerDone, 'the register success page');

      await page.goto('/login');
      const lform = page.locator('form:has([name="password"])');
      await lform.locator('[name="email"]').fill(email);
      await lform.locator('[name="password"]').fill(password);
      await clickAndWait(page, submitButton(lform, JA.loginButton, 'ja'));
      assert.notEqual(pathname(page), '/mypage', 'an unverified resident reached /mypage');
      const banner = page.locator('.dads-notification-banner[data-type="error"], .dads-notification-banner[data-type="warning"], .dads-notification-banner[data-type="info-1"]');
      assert.ok((await banner.count()) > 0, 'no notification banner explaining why an unverified resident cannot log in');
      await check('login while unverified');
      soft.assertNone();
    });
  });

  test('phone 360×740: the whole journey without horizontal scroll', TIMEOUT, async () => {
    const viewport = { width: 360, height: 740 };
    await withBrowser('resident-phone', { baseURL: stack.baseURL, viewport }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, maxWidth: 360 });
      await page.goto('/');
      await check('home (phone)');
      const account = await registerAndVerify({ page, stack, check, name: '市川 一郎', email: uniqueEmail('phone') });
      await loginResident({ page, check, ...account });
      await logout({ page });
      await check('home after logout (phone)');
      await expectMypageRedirectsToLogin(page);
      soft.assertNone();
    });
  });

  test('文字を大きく + English: html.large-text and lang="en" on every page of the journey', TIMEOUT, async () => {
    await withBrowser('resident-large-english', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      await page.goto('/');
      await pressPref(page, JA.largeTextButton);
      const cls = (await page.locator('html').getAttribute('class')) || '';
      assert.ok(cls.split(/\s+/).includes('large-text'), `after 「文字を大きく」 <html class="${cls}">`);
      await pressPref(page, JA.englishButton);
      assert.equal(await page.locator('html').getAttribute('lang'), 'en', 'after 「English」 <html lang>');
      // The toggles now offer the way back.
      await soft.check('toggle labels', async () => {
        assert.ok((await page.getByRole('button', { name: '日本語', exact: true }).count()) > 0, 'no 「日本語」 button in English mode');
      });

      const check = makeChecker({ page, soft, shot, expectLang: 'en', expectLargeText: true });
      await check('home (large, en)');
      const account = await registerAndVerify({ page, stack, check, lang: 'en', name: '市川 一郎', email: uniqueEmail('english') });
      await loginResident({ page, check, lang: 'en', ...account });
      await logout({ page, lang: 'en' });
      await check('home after logout (large, en)');
      await expectMypageRedirectsToLogin(page);
      soft.assertNone();
    });
  });

  test('forgot password → reset link by mail → log in with the new password', TIMEOUT, async () => {
    await withBrowser('resident-password-reset', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const quiet = makeChecker({ page, soft, shot, a11y: false });
      const check = makeChecker({ page, soft, shot });
      const account = await registerAndVerify({ page, stack, check: quiet, name: '市川 三郎', email: uniqueEmail('reset') });

      // Unknown addresses get the same answer (no account enumeration).
      const answers = [];
      for (const email of ['nobody-' + account.email, account.email]) {
        await page.goto('/password/forgot');
        if (answers.length === 0) await check('forgot password form');
        const form = page.locator('form:has([name="email"])').filter({ has: page.locator('[name="csrf"]') }).last();
        await form.locator('[name="email"]').fill(email);
        await clickAndWait(page, anySubmit(form));
        await expectText(page.locator('main'), 'メールを送りました', `the answer to /password/forgot for ${email}`);
        answers.push((await page.locator('main').innerText()).replaceAll(email, '<email>').trim());
      }
      await check('forgot password sent');
      await soft.check('same answer for unknown and known addresses', async () => {
        assert.equal(answers[0], answers[1]);
      });

      const mail = await stack.mail.waitForMail(
        (m) => m.envelopeTo.includes(account.email) && m.subject.includes('パスワードの再設定'),
        20000,
      );
      const m = mail.text.match(/https?:\/\/[^\s<>"'）)]+\/password\/reset\?token=[^\s<>"'）)]+/);
      assert.ok(m, `no /password/reset?token=… URL in the mail:\n${mail.text}`);
      assert.ok(m[0].startsWith(`${stack.baseURL}/password/reset?token=`), `reset URL ${m[0]} should start with ${stack.baseURL}`);
      assert.equal(
        stack.mail.mails.filter((x) => x.envelopeTo.some((a) => a.startsWith('nobody-'))).length,
        0,
        'a reset mail was sent to an address that has no account',
      );

      await page.goto(m[0]);
      await check('reset password form');
      const newPassword = 'a-brand-new-passphrase-2026';
      const form = page.locator('form:has([name="password_confirm"])');
      await form.locator('[name="password"]').fill(newPassword);
      await form.locator('[name="password_confirm"]').fill(newPassword);
      await clickAndWait(page, anySubmit(form));
      assert.ok(
        pathname(page) === '/login' || (await page.locator('main a[href="/login"]').count()) > 0,
        `after resetting, expected /login or a link to it; got ${page.url()}`,
      );
      await check('reset password done');

      await soft.check('the reset link works only once', async () => {
        await page.goto(m[0]);
        const again = page.locator('form:has([name="password_confirm"])');
        if ((await again.count()) > 0) {
          await again.locator('[name="password"]').fill('yet-another-passphrase-2026');
          await again.locator('[name="password_confirm"]').fill('yet-another-passphrase-2026');
          await clickAndWait(page, anySubmit(again));
        }
        assert.ok(
          (await page.locator('.dads-notification-banner[data-type="error"]').count()) > 0,
          `a used reset link should give an error banner; got ${page.url()}`,
        );
        await check('reset link used twice');
      });

      const old = await submitLogin(page, account.email, account.password);
      assert.notEqual(pathname(page), '/mypage', `the old password still works (HTTP ${old.status()})`);
      await loginResident({ page, check: quiet, email: account.email, password: newPassword, name: account.name });
      await logout({ page });
      soft.assertNone();
    });
  });

  test('repeated wrong passwords lock the account (429)', TIMEOUT, async () => {
    await withBrowser('resident-lockout', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const quiet = makeChecker({ page, soft, shot, a11y: false });
      const check = makeChecker({ page, soft, shot });
      const account = await registerAndVerify({ page, stack, check: quiet, name: '市川 四郎', email: uniqueEmail('lockout') });
      const statuses = [];
      for (let i = 0; i < 6 && !statuses.includes(429); i += 1) {
        const res = await submitLogin(page, account.email, `wrong-password-${i}-2026`);
        statuses.push(res.status());
      }
      assert.ok(statuses.includes(429), `no 429 after ${statuses.length} wrong passwords (statuses ${statuses.join(', ')})`);
      await expectText(page.locator('main'), 'ログインの失敗が続いたため、一時的にログインを停止しています。', 'the lockout page');
      await check('login locked out');
      const res = await submitLogin(page, account.email, account.password);
      assert.equal(res.status(), 429, 'the right password during the lockout should still be refused with 429');
      assert.notEqual(pathname(page), '/mypage');
      soft.assertNone();
    });
  });

  test('sandbox mailbox is labelled and accessible', TIMEOUT, async () => {
    await withBrowser('resident-sandbox-mailbox', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      const res = await page.goto('/sandbox/mailbox');
      assert.equal(res.status(), 200);
      assert.ok((await page.locator('.sandbox-label').count()) > 0, 'no .sandbox-label on /sandbox/mailbox');
      await expectText(page.locator('main'), 'サンドボックス', '/sandbox/mailbox');
      assert.ok((await page.locator('main table.dads-table tbody tr').count()) > 0, 'the mailbox lists no mail although earlier tests sent some');
      await check('sandbox mailbox');
      soft.assertNone();
    });
  });

  test('server shuts down gracefully (SIGTERM → exit 0 within 10 s)', TIMEOUT, async () => {
    await stack.stop();
  });
});
