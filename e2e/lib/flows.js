'use strict';
// Resident/staff flows shared by the tests, written against /work/notes/contract.md:
// field names, button texts and messages come from there.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { checkA11y } = require('./a11y');

const JA = {
  registerButton: '登録する',
  registerDone: '確認メールを送りました',
  verifySubject: 'メールアドレスの確認',
  verifyButton: 'メールアドレスを確認する',
  loginButton: 'ログイン',
  badLogin: 'メールアドレスまたはパスワードが正しくありません。',
  mypageH1: 'マイページ',
  staffH1: '職員ホーム',
  logoutButton: 'ログアウト',
  largeTextButton: '文字を大きく',
  englishButton: 'English',
};

const DEMO_PASSWORD = 'demo-password-2026';

function uniqueEmail(prefix = 'resident') {
  return `${prefix}-${Date.now()}-${crypto.randomBytes(3).toString('hex')}@example.jp`;
}

const pathname = (page) => new URL(page.url()).pathname;

/**
 * Returns `check(label)`, run on every page state a flow reaches: screenshot, axe (unless
 * disabled; axe needs JavaScript), no horizontal scroll at `maxWidth`, and the html lang /
 * large-text state the test expects. Failures go to `soft` so the flow continues.
 */
function makeChecker({ page, soft, shot, a11y = true, maxWidth = null, expectLang = null, expectLargeText = null }) {
  return async function check(label) {
    await shot(label);
    if (a11y) await soft.check(`axe: ${label}`, () => checkA11y(page, label));
    if (maxWidth) {
      await soft.check(`no horizontal scroll: ${label}`, async () => {
        const { scrollWidth, offenders } = await page.evaluate((max) => {
          const out = [];
          for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && (r.right > max + 0.5 || r.left < -0.5)) {
              const cls = el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
              out.push(`${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${cls} [${Math.round(r.left)}..${Math.round(r.right)}]`);
            }
          }
          return { scrollWidth: document.documentElement.scrollWidth, offenders: out.slice(0, 8) };
        }, maxWidth);
        assert.ok(
          scrollWidth <= maxWidth,
          `document.documentElement.scrollWidth = ${scrollWidth} > ${maxWidth} at ${page.url()}; elements sticking out: ${offenders.join(', ') || '(none found)'}`,
        );
      });
    }
    if (expectLang) {
      await soft.check(`html lang: ${label}`, async () => {
        const lang = await page.locator('html').getAttribute('lang');
        assert.equal(lang, expectLang, `<html lang> at ${page.url()}`);
      });
    }
    if (expectLargeText !== null) {
      await soft.check(`large text: ${label}`, async () => {
        const cls = (await page.locator('html').getAttribute('class')) || '';
        assert.equal(cls.split(/\s+/).includes('large-text'), expectLargeText, `<html class="${cls}"> at ${page.url()}`);
      });
    }
  };
}

/** Clicks `button` and waits until the resulting navigation (POST, redirects) has loaded. */
async function clickAndWait(page, button) {
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
  return response;
}

/** The submit button of `form`: by its Japanese text when the page is Japanese. */
function submitButton(form, jaText, lang) {
  if (lang === 'ja') return form.getByRole('button', { name: jaText });
  return form.locator('button[type="submit"], button:not([type]), input[type="submit"]').first();
}

/** The (only) submit button of `form`, whatever its text. */
function anySubmit(form) {
  return form.locator('button[type="submit"], button:not([type]), input[type="submit"]').first();
}

/** Submits /login with the given credentials; returns the navigation response. */
async function submitLogin(page, email, password, path = '/login') {
  if (pathname(page) !== path) await page.goto(path);
  const form = page.locator('form:has([name="password"])');
  await form.locator('[name="email"]').fill(email);
  await form.locator('[name="password"]').fill(password);
  return clickAndWait(page, submitButton(form, JA.loginButton, 'ja'));
}

/** Waits until `locator` (e.g. page.locator('main')) contains `text`. */
async function expectText(locator, text, what = 'page') {
  try {
    await locator.filter({ hasText: text }).first().waitFor({ state: 'visible', timeout: 10000 });
  } catch {
    const actual = ((await locator.first().innerText().catch(() => '')) || '').replace(/\s+/g, ' ').slice(0, 500);
    assert.fail(`expected ${what} to contain ${JSON.stringify(text)}; it says: ${JSON.stringify(actual)}`);
  }
}

async function h1Text(page) {
  return ((await page.locator('h1').first().innerText()) || '').trim();
}

/** Fills the register form. Assumes the page is /register. */
async function fillRegister(page, { name, email, password, passwordConfirm = password }) {
  const form = page.locator('form:has([name="password_confirm"])');
  await form.locator('[name="name"]').fill(name);
  await form.locator('[name="email"]').fill(email);
  await form.locator('[name="password"]').fill(password);
  await form.locator('[name="password_confirm"]').fill(passwordConfirm);
  return form;
}

/**
 * /register → success page → verification mail → /verify → confirm → success.
 * Returns the account. `lang` is 'ja' (text assertions) or 'en' (structure only).
 */
async function registerAndVerify({ page, stack, check, soft = null, lang = 'ja', name = '市川 一郎', email = uniqueEmail(), password = 'correct-horse-battery-staple' }) {
  await page.goto('/register');
  assert.equal(pathname(page), '/register');
  await check('register form');
  if (soft) {
    await soft.check('fresh register form is empty', async () => {
      const form = page.locator('form:has([name="password_confirm"])');
      for (const field of ['name', 'email', 'password', 'password_confirm']) {
        const value = await form.locator(`[name="${field}"]`).inputValue();
        assert.equal(value, '', `GET /register: input[name="${field}"] is pre-filled with ${JSON.stringify(value)}`);
      }
    });
  }

  const form = await fillRegister(page, { name, email, password });
  await clickAndWait(page, submitButton(form, JA.registerButton, lang));
  if (lang === 'ja') await expectText(page.locator('main'), JA.registerDone, 'the register success page');
  assert.equal(
    await page.locator('form:has([name="password_confirm"])').count(),
    0,
    `after a valid registration the register form is still shown at ${page.url()}`,
  );
  await check('register done');

  const mail = await stack.mail.waitForMail(
    (m) => m.envelopeTo.some((a) => a.toLowerCase() === email.toLowerCase()) || m.to.toLowerCase().includes(email.toLowerCase()),
    20000,
  );
  if (lang === 'ja') {
    assert.ok(mail.subject.includes(JA.verifySubject), `verification mail subject ${JSON.stringify(mail.subject)} lacks ${JA.verifySubject}`);
  }
  const m = mail.text.match(/https?:\/\/[^\s<>"'）)]+\/verify\?token=[^\s<>"'）)]+/);
  assert.ok(m, `no /verify?token=… URL in the mail's text body:\n${mail.text}`);
  const verifyUrl = m[0];
  assert.ok(
    verifyUrl.startsWith(`${stack.baseURL}/verify?token=`),
    `verification URL ${verifyUrl} should start with the request's base ${stack.baseURL}`,
  );

  await page.goto(verifyUrl);
  assert.equal(pathname(page), '/verify');
  await check('verify page');
  const vform = page.locator('form:has([name="token"])');
  await clickAndWait(page, submitButton(vform, JA.verifyButton, lang));
  const loginLink = page.locator('main a[href="/login"], main a[href^="/login?"]');
  assert.ok((await loginLink.count()) > 0, `the verification success page at ${page.url()} has no link to /login`);
  await check('verify done');

  return { name, email, password, verifyUrl };
}

/** /login with email + password; expects /mypage with h1 マイページ and the name. */
async function loginResident({ page, check, lang = 'ja', email, password, name }) {
  await page.goto('/login');
  assert.equal(pathname(page), '/login');
  await check('login form');
  const form = page.locator('form:has([name="password"])');
  await form.locator('[name="email"]').fill(email);
  await form.locator('[name="password"]').fill(password);
  await clickAndWait(page, submitButton(form, JA.loginButton, lang));
  assert.equal(pathname(page), '/mypage', `login should land on /mypage, got ${page.url()}`);
  if (lang === 'ja') assert.equal(await h1Text(page), JA.mypageH1);
  if (name) await expectText(page.locator('main'), name, '/mypage');
  await check('mypage');
}

/** Clicks the logout button (wherever it is) and expects to land on /. */
async function logout({ page, lang = 'ja' }) {
  const button =
    lang === 'ja'
      ? page.getByRole('button', { name: JA.logoutButton }).first()
      : page.locator('form[action$="/logout"] [type="submit"], form[action$="/logout"] button').first();
  await clickAndWait(page, button);
  assert.equal(pathname(page), '/', `logout should land on /, got ${page.url()}`);
}

/** After logout, /mypage must send the visitor to /login. */
async function expectMypageRedirectsToLogin(page) {
  await page.goto('/mypage');
  assert.equal(pathname(page), '/login', `/mypage after logout should redirect to /login, got ${page.url()}`);
}

/** Presses a header preference button (form POST /prefs) by its text. */
async function pressPref(page, text) {
  const button = page.getByRole('button', { name: text, exact: true }).first();
  await clickAndWait(page, button);
}

module.exports = {
  JA,
  DEMO_PASSWORD,
  uniqueEmail,
  pathname,
  makeChecker,
  clickAndWait,
  submitButton,
  anySubmit,
  submitLogin,
  expectText,
  h1Text,
  fillRegister,
  registerAndVerify,
  loginResident,
  logout,
  expectMypageRedirectsToLogin,
  pressPref,
};
