'use strict';
// Issue 7 (public facilities): a resident registers a group online (an application in the
// Online applications core, with the member list), staff see the automatic screening against
// each facility's terms and approve the case, the group books a room and enters a lottery;
// axe on every page.
//   resident (hanako): 施設利用者登録 in the form runner (group, 2 members, purposes) → receipt
//   staff (admin@…): /staff/facilities shows the screening → case page: 審査開始, 承認
//            → 抽選を作る: the I-link room, two days two months ahead, a short entry window
//            (a wrong day first: the message names the field), created with its hash published
//   resident: マイページ shows the user number → I-link → I-linkルーム → free slot → confirm → booked
//            (支払待ち) → 使用料を支払う → sandbox checkout: カード決済成功 → confirmed
//            → the lottery staff created is listed: the seed hash is published → enter a
//              第1希望 and a 第2希望 → entered
//            → a second booking three weeks ahead, paid → 取り消す → refunded in full

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const { makeChecker, pathname, clickAndWait, expectText, loginResident, DEMO_PASSWORD } = require('../lib/flows');

const TIMEOUT = { timeout: 300000 };
const STAFF = 'admin@city.ichikawa.example.jp';
const START = '/procedures/shisetsu-riyosha-toroku/apply';

const button = (scope, name) => scope.getByRole('button', { name, exact: true }).first();
const next = (page) => clickAndWait(page, button(page, '次へ進む'));

// Dates in Japan time, `days` from today, as YYYY-MM-DD; the month `n` months ahead as YYYY-MM.
const jstDay = (days) => new Date(Date.now() + 9 * 3600e3 + days * 86400e3).toISOString().slice(0, 10);
const jstMonth = (n) => {
  const [y, m] = jstDay(0).split('-').map(Number);
  const t = y * 12 + (m - 1) + n;
  return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
};

describe('public facilities: one user ID, a booking, a lottery', () => {
  let stack;
  before(async () => {
    stack = await startStack('facilities');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('a group registers, staff approve, the group books a room and enters a lottery', TIMEOUT, async () => {
    let receipt;
    await withBrowser('facilities-register', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      await loginResident({ page, check, email: 'hanako@example.jp', password: DEMO_PASSWORD, name: '市川 花子' });
      await page.goto('/facilities');
      await check('facilities');
      await clickAndWait(page, page.getByRole('link', { name: '利用者登録を申し込む' }).first());
      assert.ok(pathname(page).startsWith(START), `the registration runs in the form runner, got ${page.url()}`);
      const restart = page.getByRole('button', { name: '最初からやり直す' });
      if (await restart.count()) await clickAndWait(page, restart.first());
      else if (await page.getByRole('link', { name: 'はじめる' }).count()) await clickAndWait(page, page.getByRole('link', { name: 'はじめる' }));
      assert.equal(pathname(page), `${START}/applicant`);
      await check('registration: applicant');
      await page.locator('[name="f.applicant_kind"][value="group"]').check();
      await page.locator('[name="f.applicant_name.family"]').fill('市川');
      await page.locator('[name="f.applicant_name.given"]').fill('花子');
      await page.locator('[name="f.applicant_name.family_kana"]').fill('イチカワ');
      await page.locator('[name="f.applicant_name.given_kana"]').fill('ハナコ');
      await page.locator('[name="f.applicant_address.postal_code"]').fill('2728501');
      await page.locator('[name="f.applicant_address.address"]').fill('千葉県市川市八幡1丁目1番1号');
      await page.locator('[name="f.phone"]').fill('0473344111');
      await next(page);
      assert.equal(pathname(page), `${START}/group`, 'a group is asked for its members');
      await page.locator('[name="f.group_name"]').fill('八幡合唱団');
      await page.locator('[name="f.members.0.member_name"]').fill('市川 花子');
      await page.locator('[name="f.members.0.member_in_city"][value="yes"]').check();
      await clickAndWait(page, button(page, '構成員を追加'));
      await page.locator('[name="f.members.1.member_name"]').fill('東京 太郎');
      await page.locator('[name="f.members.1.member_in_city"][value="no"]').check();
      await check('registration: group and members');
      await next(page);
      assert.equal(pathname(page), `${START}/use`);
      await page.locator('[name="f.purposes"][value="meeting"]').check();
      await page.locator('[name="f.purposes"][value="food"]').check();
      await page.locator('[name="f.activity"]').fill('月2回、合唱の練習をします。');
      await page.locator('[name="f.agree"]').check();
      await check('registration: purposes');
      await next(page);
      assert.equal(pathname(page), `${START}/check`);
      await check('registration: check');
      await clickAndWait(page, button(page, '申請する'));
      assert.match(pathname(page), new RegExp(`^${START}/done/`));
      receipt = pathname(page).split('/').pop();
      await check('registration: receipt');
      soft.assertNone();
    });

    await withBrowser('facilities-staff', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      await page.goto('/staff/login');
      const form = page.locator('form:has([name="password"])');
      await form.locator('[name="email"]').fill(STAFF);
      await form.locator('[name="password"]').fill(DEMO_PASSWORD);
      await clickAndWait(page, button(form, 'ログイン'));
      await page.goto('/staff/facilities');
      await expectText(page.locator('main'), '八幡合唱団', 'the registration is listed');
      await expectText(page.locator('main'), '飲食を伴う利用はできません', 'the screening names the refused term');
      await check('staff: screening');
      await clickAndWait(page, page.locator('main a[href^="/staff/cases/"]').first());
      for (const action of ['start_review', 'approve']) {
        await clickAndWait(page, page.locator(`form:has(input[name="action"][value="${action}"]) button[type="submit"]`).first());
      }
      await expectText(page.locator('main'), '承認', 'the case is approved');
      await check('staff: case approved');
      // Create a lottery for the I-link room: choose the room, then the slots and the window.
      await page.goto('/staff/facilities');
      await clickAndWait(page, page.getByRole('link', { name: '抽選を作る' }).first());
      await check('staff: new lottery, choose a room');
      await page.locator('#f-room').selectOption({ label: 'I-linkルーム・ホール I-linkルーム' });
      await clickAndWait(page, button(page, 'この部屋で作る'));
      await page.locator('#f-month').fill(jstMonth(2));
      await page.locator('#f-days').fill('32');
      await page.locator('input[name="times"]').first().check();
      await page.locator('#f-opens').fill(jstDay(0));
      await page.locator('#f-closes').fill(jstDay(3));
      await page.locator('#f-draw').fill(jstDay(4));
      await page.locator('#f-confirm_until').fill(jstDay(10));
      await page.locator('#f-max_wins').fill('1');
      await check('staff: new lottery form');
      await clickAndWait(page, button(page, '抽選を作る'));
      await expectText(page.locator('[role="alert"]'), '利用日には', 'the wrong field is named');
      await check('staff: new lottery, wrong day');
      await page.locator('#f-days').fill('5、12');
      await clickAndWait(page, button(page, '抽選を作る'));
      assert.equal(pathname(page), '/staff/facilities');
      await expectText(page.locator('main'), '抽選を作りました', 'created');
      await expectText(page.locator('main'), jstMonth(2), 'listed');
      await check('staff: lottery created');
      soft.assertNone();
    });

    await withBrowser('facilities-book', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      await loginResident({ page, check, email: 'hanako@example.jp', password: DEMO_PASSWORD, name: '市川 花子' });
      await page.goto('/mypage/facilities');
      const number = (await page.locator('#user-number').innerText()).trim();
      assert.match(number, /^122033-\d{6}$/, `user number ${number}`);
      await expectText(page.locator('main'), '八幡合唱団');
      await check('my facilities');
      // Book the I-link room (food allowed there) on the first free slot.
      await page.goto('/facilities');
      await clickAndWait(page, page.getByRole('link', { name: 'I-linkルーム・ホール', exact: true }));
      await check('facility page');
      await clickAndWait(page, page.getByRole('link', { name: /空き状況を見る.*I-linkルーム）/ }));
      await check('free slots');
      const roomPath = pathname(page);
      await clickAndWait(page, page.getByRole('link', { name: /この時間を予約する/ }).first());
      await check('confirm booking');
      await page.locator('#purpose-food').check();
      await clickAndWait(page, button(page, '予約する'));
      assert.equal(pathname(page), '/mypage/facilities');
      await expectText(page.locator('main'), '予約しました', 'booked');
      await expectText(page.locator('main'), '支払待ち', 'a room with a fee waits for its payment');
      await check('booked');
      // Pay the fee in the sandbox (card success): the booking is confirmed.
      await clickAndWait(page, page.getByRole('button', { name: /^使用料を支払う/ }).first());
      assert.match(pathname(page), /^\/sandbox\/pay\/checkout\//);
      await expectText(page.locator('main'), 'サンドボックス', 'the sandbox checkout');
      await check('sandbox checkout');
      await clickAndWait(page, button(page, 'カード決済成功'));
      assert.equal(pathname(page), '/mypage/facilities', 'back on My Page after the provider');
      await expectText(page.locator('main'), '予約が確定しました', 'paid and confirmed');
      await expectText(page.locator('main'), '予約済み', 'the booking is confirmed');
      await check('booking paid');
      // The lottery staff created (it draws first, so it is listed first): the hash is
      // published, the seed is not.
      await page.goto('/facilities');
      await expectText(page.locator('main'), jstMonth(2), 'the new lottery is listed');
      await clickAndWait(page, page.locator('main a[href^="/facilities/lotteries/"]').first());
      await expectText(page.locator('h1'), jstMonth(2), 'the lottery staff created');
      const hash = (await page.locator('#seed-hash').innerText()).trim();
      assert.match(hash, /^[0-9a-f]{64}$/, 'the seed commitment is shown');
      await check('lottery');
      await page.locator('input[name="slot"]').first().check();
      await page.locator('input[name="second"]').last().check();
      await clickAndWait(page, button(page, 'この時間に申し込む'));
      await expectText(page.locator('main'), '申し込みました', 'entered');
      await check('lottery entered');
      // A second booking three weeks ahead (well before the cancellation deadline), paid, then
      // cancelled from My Page: the fee is refunded in full (docs/facilities.md "Refunds").
      let found = false;
      for (let d = 21; d < 28 && !found; d++) {
        await page.goto(`${roomPath}?date=${jstDay(d)}`);
        found = (await page.getByRole('link', { name: /この時間を予約する/ }).count()) > 0;
      }
      assert.ok(found, 'a free slot three weeks ahead');
      await clickAndWait(page, page.getByRole('link', { name: /この時間を予約する/ }).first());
      await page.locator('#purpose-food').check();
      await clickAndWait(page, button(page, '予約する'));
      await clickAndWait(page, page.getByRole('button', { name: /^使用料を支払う/ }).first());
      await clickAndWait(page, button(page, 'カード決済成功'));
      await expectText(page.locator('main'), '予約が確定しました', 'the second booking is paid');
      await expectText(page.locator('main'), '取り消すと、お支払いいただいた使用料は全額返金します。', 'the refund is announced before cancelling');
      await check('paid booking with its refund note');
      await clickAndWait(page, page.getByRole('button', { name: /^取り消す/ }).last());
      assert.equal(pathname(page), '/mypage/facilities');
      await expectText(page.locator('[role="status"]'), '使用料は全額返金します', 'cancelled, refunded');
      await expectText(page.locator('main'), '返金しました', 'the booking shows its refund');
      await check('cancelled and refunded');
      soft.assertNone();
    });
  });

  test('server shuts down gracefully (SIGTERM → exit 0 within 10 s)', TIMEOUT, async () => {
    await stack.stop();
  });
});
