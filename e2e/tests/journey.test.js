'use strict';
// Issue 4 "End to end": the whole journey of a certificate request that needs the My Number card
// and a fee, in Chromium with axe on every page visited.
//   resident: sandbox card sign-in (the sandbox picker) → 戸籍証明書等の交付請求（郵送）, name,
//             address and birth date prefilled from the card → pays in the sandbox (card success)
//   市民課 staff (shimin@…): starts the review (allowed once paid) and asks for a correction of 本籍;
//             also opens the card re-link screen (axe on its comparison table)
//   resident: fixes 本籍 on the application page and resubmits
//   市民課 reviewer (shimin-review@…): approves, which issues the notice (通知書)
//   resident: downloads the notice PDF from My Page; pdftotext shows the receipt number.
// The procedure and its form ship with the demo (crates/madoguchi/forms/koseki-shomei.json).

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startStack } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const { makeChecker, pathname, clickAndWait, expectText, DEMO_PASSWORD } = require('../lib/flows');

const TIMEOUT = { timeout: 300000 };
const SLUG = 'koseki-shomei';
const START = `/procedures/${SLUG}/apply`;
const STAFF = 'shimin@city.ichikawa.example.jp'; // 市民課, department staff
const REVIEWER = 'shimin-review@city.ichikawa.example.jp'; // 市民課, reviewer (decides)
const TYPO = '千葉県市川市八播二丁目15番地'; // 播 for 幡: the mistake staff ask to correct
const HONSEKI = '千葉県市川市八幡二丁目15番地';

const button = (scope, name) => scope.getByRole('button', { name, exact: true }).first();
const next = (page) => clickAndWait(page, button(page, '次へ進む'));

async function staffLogin(page, check, email) {
  await page.goto('/staff/login');
  await check(`staff login (${email})`);
  const form = page.locator('form:has([name="password"])');
  await form.locator('[name="email"]').fill(email);
  await form.locator('[name="password"]').fill(DEMO_PASSWORD);
  await clickAndWait(page, button(form, 'ログイン'));
  assert.equal(pathname(page), '/staff', `staff login should land on /staff, got ${page.url()}`);
  await check(`staff home (${email})`);
}

/** The staff case page of `receipt`, opened from the queue. */
async function openCase(page, check, receipt, label) {
  await page.goto('/staff/cases');
  await check(`queue (${label})`);
  await clickAndWait(page, page.getByRole('link', { name: receipt, exact: true }));
  assert.match(pathname(page), /^\/staff\/cases\//);
  await check(`case page (${label})`);
}

/** Presses the case action `code` (its form is found by the hidden action value). */
async function caseAction(page, code) {
  const form = page.locator(`form.case-action:has(input[name="action"][value="${code}"])`);
  assert.equal(await form.count(), 1, `no ${code} form on ${page.url()}`);
  await clickAndWait(page, form.locator('button[type="submit"]'));
}

describe('the journey: card sign-in, prefill, payment, correction, approval, notice', () => {
  let stack;
  before(async () => {
    stack = await startStack('journey');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('a resident and 市民課 take a 戸籍 request from the card sign-in to the notice PDF', TIMEOUT, async () => {
    await withBrowser('journey-resident', { baseURL: stack.baseURL }, async ({ page, soft, shot, context }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });

      // The procedure: card and fee, online.
      await page.goto(`/procedures/${SLUG}`);
      await expectText(page.locator('main'), '戸籍証明書等の交付請求（郵送）', 'the procedure page');
      await check('procedure page');
      await page.goto(START);
      await check('apply start (signed out)');

      // Sign in with the sandbox card: the consent page names the facts the form prefills.
      await clickAndWait(page, page.getByRole('link', { name: 'マイナンバーカードでログイン' }).first());
      assert.equal(pathname(page), '/auth/card');
      const consent = await page.locator('main').innerText();
      for (const fact of ['氏名', '住所', '生年月日']) assert.ok(consent.includes(fact), `consent lists ${fact}`);
      await check('card consent page');
      await clickAndWait(page, button(page, '同意してログイン'));
      assert.match(pathname(page), /\/sandbox\/auth-and-sign\/api\/realms\/main\/protocol\/openid-connect\/auth$/);
      await expectText(page.locator('main'), 'サンドボックス', 'the sandbox picker');
      await check('sandbox card picker');
      await page.getByLabel(/^市川 花子/).check();
      await clickAndWait(page, button(page, 'この人でログインする'));
      assert.equal(pathname(page), START, `back at the start page, got ${page.url()}`);
      await check('apply start (card session)');

      // Page 1: the card's facts are filled in and read-only; フリガナ, 郵便番号 and phone are typed.
      const restart = page.getByRole('button', { name: '最初からやり直す' });
      if (await restart.count()) await clickAndWait(page, restart.first());
      else await clickAndWait(page, page.getByRole('link', { name: 'はじめる' }));
      assert.equal(pathname(page), `${START}/applicant`);
      for (const [name, value] of [
        ['f.applicant_name.family', '市川'],
        ['f.applicant_name.given', '花子'],
        ['f.applicant_birth_date', '昭和63年4月12日'],
        ['f.applicant_address.address', '千葉県市川市八幡二丁目15番10号'],
      ]) {
        const input = page.locator(`[name="${name}"]`);
        assert.equal(await input.inputValue(), value, `${name} prefilled`);
        assert.equal(await input.getAttribute('readonly'), '', `${name} is read-only`);
      }
      assert.equal(await page.locator('.verified-badge').count(), 3, 'a マイナンバーカードで確認済み badge per verified field');
      await check('applicant page, prefilled');
      await page.locator('[name="f.applicant_name.family_kana"]').fill('いちかわ');
      await page.locator('[name="f.applicant_name.given_kana"]').fill('はなこ');
      await page.locator('[name="f.applicant_address.postal_code"]').fill('272-0021');
      await page.locator('[name="f.phone"]').fill('090-1234-5678');
      await next(page);

      // Page 2: the register; 本籍 with a typo that staff will ask to correct.
      assert.equal(pathname(page), `${START}/koseki`);
      await page.locator('[name="f.honseki"]').fill(TYPO);
      await page.locator('[name="f.hittosha.family"]').fill('市川');
      await page.locator('[name="f.hittosha.given"]').fill('太郎');
      await page.getByLabel('直系の親族（父母・祖父母・子・孫など）').check();
      await page.getByLabel(/^戸籍全部事項証明書/).check();
      await page.locator('[name="f.copies"]').fill('2');
      await check('register page');
      await next(page);
      assert.equal(pathname(page), `${START}/consent`);
      await page.getByLabel('上の内容に同意します').check();
      await check('consent page');
      await next(page);

      assert.equal(pathname(page), `${START}/check`);
      const checkText = await page.locator('main').innerText();
      for (const s of ['市川', 'イチカワ', '1988', TYPO, '900円']) {
        assert.ok(checkText.includes(s), `check page lacks ${s}: ${checkText.slice(0, 600)}`);
      }
      await check('check page');
      await clickAndWait(page, button(page, '申請する'));
      assert.match(pathname(page), new RegExp(`^${START}/done/`));
      const receipt = (await page.locator('.runner-receipt').innerText()).trim();
      assert.match(receipt, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]$/, `receipt ${receipt}`);
      await check('receipt page');

      // My Page → the application → pay 900円 in the sandbox (card success).
      await clickAndWait(page, page.getByRole('link', { name: 'マイページで申請の状況を見る' }).first());
      assert.equal(pathname(page), '/mypage');
      await check('mypage');
      await clickAndWait(page, page.locator('main a[href="/mypage/applications"]').first());
      await check('my applications');
      await clickAndWait(page, page.getByRole('link', { name: '戸籍証明書等の交付請求（郵送）' }).first());
      const appPath = pathname(page);
      assert.match(appPath, /^\/applications\//);
      await expectText(page.locator('main'), '900円', 'the fee on the application page');
      await check('application page, fee unpaid');
      await clickAndWait(page, button(page, '手数料を支払う（クレジットカード）'));
      assert.match(pathname(page), /^\/sandbox\/pay\/checkout\//);
      await expectText(page.locator('main'), 'サンドボックス', 'the sandbox checkout');
      await check('sandbox checkout');
      await clickAndWait(page, button(page, 'カード決済成功'));
      // The return page looks the payment up on the server before it says so.
      assert.match(pathname(page), /^\/payments\/[^/]+\/return$/);
      await expectText(page.locator('main'), 'お支払いが完了しました', 'the payment return page');
      await expectText(page.locator('main'), receipt, 'the payment return page');
      await check('payment return page');
      await clickAndWait(page, page.getByRole('link', { name: '申請の画面に戻る' }));
      assert.equal(pathname(page), appPath, `back on the application page, got ${page.url()}`);
      await expectText(page.locator('main'), '支払済み', 'the application page after paying');
      await check('application page, paid');

      // 市民課 staff: start the review (open now that the fee is paid), ask to correct 本籍.
      await withBrowser('journey-staff', { baseURL: stack.baseURL }, async (s) => {
        const scheck = makeChecker({ page: s.page, soft, shot: s.shot, expectLang: 'ja' });
        await staffLogin(s.page, scheck, STAFF);
        await openCase(s.page, scheck, receipt, 'received, paid');
        await expectText(s.page.locator('main'), '支払済み', 'the staff case page');
        await caseAction(s.page, 'start_review');
        await expectText(s.page.locator('main'), '審査中', 'the case after 審査開始');
        await scheck('case under review');
        const correction = s.page.locator('form.case-action:has(input[name="action"][value="request_correction"])');
        await correction.getByLabel('本籍', { exact: true }).check();
        await correction.locator('[name="text"]').fill('本籍の「八播」は「八幡」ではありませんか。確認して直してください。');
        await scheck('correction request filled in');
        await clickAndWait(s.page, button(correction, '補正を依頼する'));
        await expectText(s.page.locator('main'), '補正依頼中', 'the case after 補正依頼');
        await scheck('case waiting for the correction');
        // The re-link screen (docs/identity.md): hanako@example.jp has no card link; the card
        // account of this journey has the same verified name and is offered, facts compared.
        await s.page.goto('/staff');
        await clickAndWait(s.page, s.page.getByRole('link', { name: 'マイナンバーカードの連携の付け替え' }));
        await s.page.locator('[name="email"]').fill('hanako@example.jp');
        await clickAndWait(s.page, button(s.page, '探す'));
        await expectText(s.page.locator('main'), '一致', 'the re-link comparison');
        await scheck('card re-link screen');
      });

      // The resident fixes 本籍 and resubmits.
      await page.goto(appPath);
      await expectText(page.locator('main'), '八播', 'the correction request on the application page');
      await check('application page, correction requested');
      const fix = page.locator('form[action$="/resubmit"]');
      const honseki = fix.getByLabel('本籍', { exact: true });
      assert.equal(await honseki.inputValue(), TYPO, 'the current answer is shown');
      await honseki.fill(HONSEKI);
      await check('correction filled in');
      await clickAndWait(page, button(fix, '再提出する'));
      await expectText(page.locator('main'), '再提出', 'the application page after resubmitting');
      await check('application page, resubmitted');

      // The 市民課 reviewer approves: the notice is issued.
      await withBrowser('journey-reviewer', { baseURL: stack.baseURL }, async (s) => {
        const scheck = makeChecker({ page: s.page, soft, shot: s.shot, expectLang: 'ja' });
        await staffLogin(s.page, scheck, REVIEWER);
        await openCase(s.page, scheck, receipt, 'resubmitted');
        await expectText(s.page.locator('main'), HONSEKI, 'the corrected answer on the case page');
        await s.page.locator('#f-text-approve').fill('戸籍全部事項証明書2通を、登録の住所へ郵送します。');
        await caseAction(s.page, 'approve');
        await expectText(s.page.locator('main'), '承認', 'the case after 承認');
        await scheck('case approved');
      });

      // My Page → the application → the notice PDF.
      await page.goto('/mypage/applications');
      await check('my applications, approved');
      await clickAndWait(page, page.getByRole('link', { name: '戸籍証明書等の交付請求（郵送）' }).first());
      await expectText(page.locator('main'), '承認', 'the application page after approval');
      await check('application page, approved');
      const link = page.getByRole('link', { name: '通知書（PDF）' }).first();
      const href = await link.getAttribute('href');
      assert.ok(href && href.endsWith('notice.pdf'), `notice link ${href}`);
      const res = await context.request.get(href);
      assert.equal(res.status(), 200, `GET ${href}`);
      assert.match(res.headers()['content-type'] || '', /^application\/pdf/);
      const pdf = await res.body();
      assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-', 'the body is a PDF');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'madoguchi-journey-'));
      try {
        const file = path.join(dir, 'notice.pdf');
        fs.writeFileSync(file, pdf);
        const out = spawnSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
        assert.equal(out.status, 0, `pdftotext: ${out.stderr}`);
        const text = out.stdout.replace(/\s+/g, '');
        for (const s of [receipt, '承認通知書', '戸籍証明書等の交付請求', '市川花子']) {
          assert.ok(text.includes(s.replace(/\s+/g, '')), `the notice lacks ${s}:\n${out.stdout}`);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      soft.assertNone();
    });
  });

  test('server shuts down gracefully (SIGTERM → exit 0 within 10 s)', TIMEOUT, async () => {
    await stack.stop();
  });
});
