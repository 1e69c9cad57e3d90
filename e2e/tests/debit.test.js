'use strict';
// Issue 6 (Web口座振替): a resident registers a bank account for direct debit on a phone-sized
// screen, through the bank sandbox, and the 納税 staff member finds the mandate; axe on every page.
//   resident (hanako): items → bank → branch search by kana → account (full-width digits and
//            hiragana; a kanji in the holder name is refused, naming the character) → confirm
//            (shown in 全銀 half-width kana) → bank sandbox: login, consent → completion page →
//            マイページ shows 口座振替中
//   staff (koufuri@…, 納税・債権管理課): /staff/debit lists the mandate; its page shows it active.
//   the same clerk downloads a 種別91 request file, imports the bank's result file made from it
//   (one 資金不足), sees the summary, imports it again (nothing changes), and a broken one is
//   refused naming the record.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startStack } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const { makeChecker, pathname, clickAndWait, expectText, loginResident, DEMO_PASSWORD } = require('../lib/flows');

const TIMEOUT = { timeout: 240000 };
const VIEWPORT = { width: 360, height: 740 };
const STAFF = 'koufuri@city.ichikawa.example.jp';

const button = (scope, name) => scope.getByRole('button', { name, exact: true }).first();

async function staffLogin(page) {
  await page.goto('/staff/login');
  const form = page.locator('form:has([name="password"])');
  await form.locator('[name="email"]').fill(STAFF);
  await form.locator('[name="password"]').fill(DEMO_PASSWORD);
  await clickAndWait(page, button(form, 'ログイン'));
  assert.equal(pathname(page), '/staff', `staff login should land on /staff, got ${page.url()}`);
}

describe('Web口座振替: registration through the bank sandbox', () => {
  let stack;
  before(async () => {
    stack = await startStack('debit');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('a resident registers 国民健康保険税 and 介護保険料 for direct debit; staff see the mandate', TIMEOUT, async () => {
    await withBrowser('debit-resident', { baseURL: stack.baseURL, viewport: VIEWPORT }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      await loginResident({ page, check, email: 'hanako@example.jp', password: DEMO_PASSWORD, name: '市川 花子' });

      // Step 1: the items.
      await page.goto('/debit/new');
      await check('items');
      await page.locator('#item-kokuho').check();
      await page.locator('#item-kaigo').check();
      await clickAndWait(page, button(page, '次へ進む'));
      assert.equal(pathname(page), '/debit/new/bank');

      // Step 2: the bank.
      await check('bank');
      await page.locator('#bank-0134').check();
      await clickAndWait(page, button(page, '次へ進む'));
      assert.equal(pathname(page), '/debit/new/branch');

      // Step 3: the branch, found by its reading in hiragana.
      await check('branch');
      await page.locator('[name="q"]').fill('いちかわ');
      await clickAndWait(page, button(page, '支店を探す'));
      await check('branch search result');
      await page.locator('input[name="branch"][value="011"]').check();
      await clickAndWait(page, button(page, '次へ進む'));
      assert.equal(pathname(page), '/debit/new/account');

      // Step 4: the account. A kanji in the holder's name is refused, naming the character.
      await check('account');
      await page.locator('#type-1').check();
      await page.locator('[name="account_number"]').fill('１２３４５');
      await page.locator('[name="holder"]').fill('いちかわ　花子');
      await clickAndWait(page, page.locator('form:has([name="holder"]) button[type="submit"]').first());
      await expectText(page.locator('main'), '「花」', 'the refused character is named');
      await check('account, holder refused');
      await page.locator('[name="holder"]').fill('いちかわ　はなこ');
      await clickAndWait(page, page.locator('form:has([name="holder"]) button[type="submit"]').first());

      // Step 5: confirm, in the bank's half-width kana.
      const confirmText = await page.locator('main').innerText();
      assert.ok(confirmText.includes('ｲﾁｶﾜ ﾊﾅｺ'), `holder in 全銀 kana on the confirm page:\n${confirmText}`);
      assert.ok(confirmText.includes('0012345'), 'the account number padded to 7 digits');
      await check('confirm');
      await clickAndWait(page, button(page, '金融機関のページへ進む'));

      // The bank sandbox: login, then consent.
      assert.match(pathname(page), /^\/sandbox\/bank\/0134/);
      await expectText(page.locator('body'), 'サンドボックス', 'the bank page is labelled as the sandbox');
      await check('bank sandbox login');
      await page.locator('[name="login_id"]').fill('demo');
      await page.locator('[name="password"]').fill('demo');
      await clickAndWait(page, button(page, 'ログイン'));
      await expectText(page.locator('body'), 'ｲﾁｶﾜ ﾊﾅｺ', 'the bank shows the holder');
      await check('bank sandbox consent');
      await clickAndWait(page, button(page, '同意して登録する'));

      // Back at the city: the completion page, then My Page.
      assert.match(pathname(page), /^\/mypage\/debit\/[0-9a-z]+$/, `completion page, got ${page.url()}`);
      await expectText(page.locator('main'), '口座振替のお申し込みが完了しました', 'the completion message');
      await check('completion');
      await page.goto('/mypage/debit');
      await expectText(page.locator('main'), '口座振替中', 'the mandate is active in マイページ');
      await check('my debit list');
      soft.assertNone();
    });

    await withBrowser('debit-staff', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      await staffLogin(page);
      await page.goto('/staff/debit');
      await expectText(page.locator('main'), 'ｲﾁｶﾜ ﾊﾅｺ', 'the new mandate is listed');
      await check('staff debit overview');
      await clickAndWait(page, page.locator('main a[href^="/staff/debit/mandates/"]').first());
      assert.match(pathname(page), /^\/staff\/debit\/mandates\/[0-9a-z]+$/);
      await check('staff mandate page');
      soft.assertNone();
    });
  });

  test('the 納税 clerk downloads a 全銀 request file and imports the bank\'s result file', TIMEOUT, async () => {
    await withBrowser('debit-files', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      await staffLogin(page);
      await page.goto('/staff/debit');
      await check('staff debit overview with request files');
      const exportTable = page.locator('section[aria-labelledby="h-export"] table');
      const firstRow = exportTable.locator('tbody tr').first();
      const records = Number((await firstRow.locator('td').nth(2).innerText()).trim());
      assert.ok(records > 0, 'the demo has debits to request');

      // The real download marks the debits requested; the file is a 種別91 request.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        firstRow.getByRole('button', { name: /^ダウンロード（依頼済みにする）/ }).click(),
      ]);
      assert.match(download.suggestedFilename(), /^zengin91_122033_\d{4}_\d{8}_r\d+\.txt$/);
      const request = fs.readFileSync(await download.path());
      const recLen = request[120] === 0x0d ? 122 : 120; // CR LF per bank setting
      const recs = [];
      for (let at = 0; at + 120 <= request.length; at += recLen) {
        if (request[at] === 0x1a) break; // EOF marker
        recs.push(Buffer.from(request.subarray(at, at + 120)));
      }
      // Reference: ../shared/reference/zengin-account-transfer.md §2 (header 種別コード 91,
      // data record 振替結果コード at byte 112, trailer counts at bytes 2–55).
      assert.equal(recs[0].toString('latin1', 0, 3), '191', 'header: データ区分 1, 種別コード 91');
      const data = recs.filter((r) => r[0] === 0x32);
      assert.equal(data.length, records, 'one data record per debit');
      assert.ok(data.every((r) => r[111] === 0x30), '振替結果コード 0 in a request');
      const trailer = recs.find((r) => r[0] === 0x38);
      assert.equal(Number(trailer.toString('latin1', 1, 7)), records);

      // The bank's answer: the last debit 資金不足 (code 1), the others paid.
      let paid = 0, paidYen = 0, unpaid = 0, unpaidYen = 0;
      data.forEach((r, i) => {
        const yen = Number(r.toString('latin1', 80, 90));
        if (i === data.length - 1) { r[111] = 0x31; unpaid++; unpaidYen += yen; } else { paid++; paidYen += yen; }
      });
      const num = (n, w) => String(n).padStart(w, '0');
      trailer.write(num(paid, 6) + num(paidYen, 12) + num(unpaid, 6) + num(unpaidYen, 12), 19, 'latin1');
      const eol = recLen === 122 ? Buffer.from('\r\n') : Buffer.alloc(0);
      const result = Buffer.concat(recs.flatMap((r) => [r, eol]));

      // The same page now has nothing left for that bank and date.
      await page.goto('/staff/debit');
      await page.locator('#f-file').setInputFiles({ name: 'kekka.txt', mimeType: 'text/plain', buffer: result });
      await clickAndWait(page, button(page, '取り込む'));
      assert.equal(pathname(page), '/staff/debit/results');
      await check('result import summary');
      const summary = page.locator('main dl');
      await expectText(summary, `${paid} / ${paidYen}`, 'paid count and yen');
      await expectText(summary, `${unpaid} / ${unpaidYen}`, 'not-paid count and yen');
      await expectText(page.locator('main table'), '資金不足', 'the reason is named');

      // Importing the same file again changes nothing and says so.
      await page.goto('/staff/debit');
      await page.locator('#f-file').setInputFiles({ name: 'kekka.txt', mimeType: 'text/plain', buffer: result });
      await clickAndWait(page, button(page, '取り込む'));
      await expectText(page.locator('main [role="status"]'), '取り込み済み', 'already imported notice');
      // A broken file is refused with the record number and nothing changes.
      const broken = Buffer.from(result);
      broken[recLen + 1] = 0x41; // a letter in the data record's bank code
      await page.goto('/staff/debit');
      await page.locator('#f-file').setInputFiles({ name: 'broken.txt', mimeType: 'text/plain', buffer: broken });
      await clickAndWait(page, button(page, '取り込む'));
      await expectText(page.locator('main [role="alert"]'), '2件目のレコード', 'the refusal names the record');
      await check('refused result file');
      await page.goto('/staff/debit');
      await expectText(page.locator('section[aria-labelledby="h-bills"]'), '振替不能', 'bills overview in Japanese');
      soft.assertNone();
    });
  });

  test('server shuts down gracefully (SIGTERM → exit 0 within 10 s)', TIMEOUT, async () => {
    await stack.stop();
  });
});
