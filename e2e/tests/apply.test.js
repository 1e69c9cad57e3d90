'use strict';
// Applying online (docs/applying.md): a resident signs in, fills a multi-page form with a
// repeating group and 和暦 dates, goes back, checks the answers, submits and sees the 受付番号
// — once with JavaScript (axe on every page state, error states included) and once without.
// The form is e2e/fixtures/apply-form.json, published with the CLI for a procedure that needs sign-in (保育施設等の現況届).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startStack, binaryPath } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const { makeChecker, loginResident, pathname, clickAndWait } = require('../lib/flows');

const TIMEOUT = { timeout: 180000 };
const SLUG = 'hoiku-genkyo'; // needs sign-in; card-level procedures are not accepted yet
const START = `/procedures/${SLUG}/apply`;
const HANAKO = { email: 'hanako@example.jp', password: 'demo-password-2026', name: '市川 花子' };
const FIXTURE = path.join(__dirname, '..', 'fixtures', 'apply-form.json');

function publishFixture(stack) {
  const r = spawnSync(
    binaryPath(),
    ['forms', 'import', FIXTURE, '--municipality', '122033', '--procedure', SLUG, '--publish', '--data-dir', stack.dataDir],
    { encoding: 'utf8', env: { ...process.env, MADOGUCHI_LOG: 'warn' } },
  );
  assert.equal(r.status, 0, `forms import failed:\n${r.stdout}\n${r.stderr}`);
}

const button = (page, name) => page.getByRole('button', { name, exact: true }).first();

async function next(page) {
  await clickAndWait(page, button(page, '次へ進む'));
}

/** The whole application; `js` says whether the browser runs scripts. */
async function apply({ page, check, js }) {
  await page.goto(START);
  await check('start page');
  const restart = page.getByRole('button', { name: '最初からやり直す' });
  if (await restart.count()) await clickAndWait(page, restart.first());
  else await clickAndWait(page, page.getByRole('link', { name: 'はじめる' }));
  assert.equal(pathname(page), `${START}/applicant`);
  assert.match(await page.title(), /^\(1\/6\) 請求者の情報 - 児童手当の認定請求/);
  await check('applicant page');

  // Errors: the summary is at the top (focused with JavaScript), the title says エラー：.
  await page.locator('[name="f.birth_date"]').fill('令和99年13月1日');
  await next(page);
  assert.match(await page.title(), /^エラー：/);
  const summary = page.locator('#error-summary');
  assert.equal(await summary.getAttribute('role'), 'alert');
  if (js) {
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'error-summary');
  }
  assert.equal(await page.locator('[name="f.birth_date"]').inputValue(), '令和99年13月1日', 'typed date kept');
  const missing = await page.evaluate(() =>
    [...document.querySelectorAll('#error-summary a')]
      .map((a) => a.getAttribute('href'))
      .filter((h) => !document.getElementById(h.slice(1))),
  );
  assert.deepEqual(missing, [], 'every error summary link has a target');
  await check('applicant page with errors');

  await page.locator('[name="f.applicant_name.family"]').fill('市川');
  await page.locator('[name="f.applicant_name.given"]').fill('花子');
  await page.locator('[name="f.applicant_name.family_kana"]').fill('イチカワ');
  await page.locator('[name="f.applicant_name.given_kana"]').fill('ハナコ');
  await page.locator('[name="f.birth_date"]').fill('平成2年4月1日');
  if (js) {
    // Live check with the server's rules: the date error goes away when the field is left.
    await page.locator('[name="f.phone"]').focus();
    await page.waitForFunction(() => document.getElementById('f-birth_date-err').textContent.trim() === '');
  }
  await next(page);
  assert.equal(pathname(page), `${START}/home`);

  // 郵便番号 → 住所 (fetch with JavaScript, a server round trip without).
  await page.locator('[name="f.home.postal_code"]').fill('272-0021');
  if (js) {
    await button(page, '住所を検索').click();
    await page.waitForFunction(() => document.querySelector('[name="f.home.address"]').value.includes('市川市八幡'));
  } else {
    await clickAndWait(page, button(page, '住所を検索'));
  }
  const addr = page.locator('[name="f.home.address"]');
  assert.equal(await addr.inputValue(), '千葉県市川市八幡');
  await addr.fill('千葉県市川市八幡1丁目1番1号');
  await check('address page');
  await next(page);

  assert.equal(pathname(page), `${START}/family`);
  await page.getByLabel('いいえ').check();
  await next(page);
  assert.equal(pathname(page), `${START}/children`, 'no spouse: the spouse page is skipped');

  await page.locator('[name="f.children.0.name"]').fill('市川 一郎');
  await page.locator('[name="f.children.0.birth_date"]').fill('令和2年5月5日');
  await clickAndWait(page, button(page, '子どもを追加'));
  await page.locator('[name="f.children.1.name"]').fill('市川 二郎');
  await page.locator('[name="f.children.1.birth_date"]').fill('R4.6.6');
  await check('children page with two children');

  // 「戻る」 keeps what was typed; the answer on the page before is still chosen.
  await clickAndWait(page, button(page, '戻る'));
  assert.equal(pathname(page), `${START}/family`);
  assert.ok(await page.getByLabel('いいえ').isChecked());
  await next(page);
  assert.equal(await page.locator('[name="f.children.1.name"]').inputValue(), '市川 二郎');
  await next(page);

  assert.equal(pathname(page), `${START}/documents`);
  await check('documents page');
  await next(page);
  assert.equal(pathname(page), `${START}/consent`);
  await next(page); // not agreed yet
  assert.match(await page.title(), /^エラー：/);
  await check('consent page with errors');
  await page.getByLabel('上の内容に同意します').check();
  await next(page);

  assert.equal(pathname(page), `${START}/check`);
  const main = page.locator('main');
  const text = await main.innerText();
  for (const s of ['市川 一郎', '市川 二郎', '千葉県市川市八幡1丁目1番1号', '変更する']) {
    assert.ok(text.includes(s), `check page lacks ${s}`);
  }
  assert.ok(/令和2年5月5日|2020/.test(text), 'the child birth date is shown');
  await check('check page');

  await clickAndWait(page, button(page, '申請する'));
  assert.match(pathname(page), new RegExp(`^${START}/done/`));
  const receipt = (await page.locator('.runner-receipt').innerText()).trim();
  assert.match(receipt, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]$/, `receipt ${receipt}`);
  await check('receipt page');
  return receipt;
}

describe('applying online', () => {
  let stack;
  before(async () => {
    stack = await startStack('apply');
    publishFixture(stack);
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('sign in, fill a multi-page form, go back, check, submit, receipt (JavaScript on)', TIMEOUT, async () => {
    await withBrowser('apply-js', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja', maxWidth: null });
      await loginResident({ page, check, ...HANAKO });
      await apply({ page, check, js: true });
      soft.assertNone();
    });
  });

  test('the same without JavaScript', TIMEOUT, async () => {
    await withBrowser('apply-nojs', { baseURL: stack.baseURL, javaScriptEnabled: false }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, a11y: false, expectLang: 'ja' });
      await loginResident({ page, check, ...HANAKO });
      await apply({ page, check, js: false });
      soft.assertNone();
    });
  });

  test('server shuts down gracefully (SIGTERM → exit 0 within 10 s)', TIMEOUT, async () => {
    await stack.stop();
  });
});
