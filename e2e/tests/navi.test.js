'use strict';
// 手続きナビ (issue 5): a resident completes 出生 and 死亡 on a phone-sized screen, one question
// per page, with axe reporting no violations on every page and no horizontal scroll; a clerk
// edits a question in the field editor, previews and publishes it, and ticks a procedure done
// in counter mode.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStack } = require('../lib/server');
const { withBrowser } = require('../lib/browser');
const { makeChecker, clickAndWait, submitLogin, DEMO_PASSWORD } = require('../lib/flows');

const TIMEOUT = { timeout: 120000 };
const VIEWPORT = { width: 360, height: 740 };

/** Answers each question by its label, pressing 「次へ」, until the checklist shows. */
async function walk(page, check, event, date, labels) {
  await page.goto('/navi');
  await check(`navi index (${event})`);
  await clickAndWait(page, page.locator(`a[href="/navi/${event}"]`));
  await check(`${event} start`);
  await page.locator('#f-date').fill(date);
  await clickAndWait(page, page.getByRole('button', { name: 'はじめる' }));
  for (const [i, label] of labels.entries()) {
    await check(`${event} question ${i + 1}`);
    await page.getByLabel(label, { exact: true }).check();
    await clickAndWait(page, page.getByRole('button', { name: '次へ' }));
  }
  await check(`${event} checklist`);
  assert.equal(await page.locator('h2#h-checklist').count(), 1, `checklist shown at ${page.url()}`);
}

describe('手続きナビ on a phone', () => {
  let stack;
  before(async () => {
    stack = await startStack('navi');
  });
  after(async () => {
    await stack?.stop().catch(() => {});
  });

  test('出生: four questions → checklist with 14-day and 15-day deadlines', TIMEOUT, async () => {
    await withBrowser('navi-shussei', { baseURL: stack.baseURL, viewport: VIEWPORT }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, maxWidth: VIEWPORT.width, expectLang: 'ja' });
      await walk(page, check, 'shussei', '2026-04-01', ['国民健康保険', 'はい', 'いいえ', 'いいえ']);
      const text = await page.locator('main').innerText();
      assert.ok(text.includes('出生届'), 'the 出生届 is listed');
      assert.ok(text.includes('2026年4月14日'), '出生届 by 4/14 (the day of birth counts)');
      assert.ok(text.includes('2026年4月16日'), '児童手当 by 4/16 (15 days from the next day)');
      assert.ok(page.url().includes('insurance=kokuho'), `answers in the URL: ${page.url()}`);
      // The browser's back button returns to the last question with the answers so far.
      await page.goBack();
      assert.ok((await page.getByRole('button', { name: '次へ' }).count()) === 1, 'back shows the last question');
      soft.assertNone();
    });
  });

  test('死亡: six questions → checklist with the 7-day 死亡届', TIMEOUT, async () => {
    await withBrowser('navi-shibo', { baseURL: stack.baseURL, viewport: VIEWPORT }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, maxWidth: VIEWPORT.width, expectLang: 'ja' });
      await walk(page, check, 'shibo', '2026-02-25', ['はい', '後期高齢者医療（75歳以上）', 'はい', 'いいえ', 'いいえ', 'わからない']);
      const text = await page.locator('main').innerText();
      assert.ok(text.includes('死亡届・火葬許可申請'), 'the 死亡届 is listed');
      assert.ok(text.includes('2026年3月3日'), '死亡届 by 3/3 (7 days, first day counted)');
      assert.ok(text.includes('世帯主変更届'), 'the household head changes');
      assert.ok(text.includes('窓口でご確認ください'), 'the 「わからない」 answer is marked');
      soft.assertNone();
    });
  });

  test('staff: edit one question field by field, preview, publish; counter mode stores a tick', TIMEOUT, async () => {
    await withBrowser('navi-staff', { baseURL: stack.baseURL }, async ({ page, soft, shot }) => {
      const check = makeChecker({ page, soft, shot, expectLang: 'ja' });
      // A 市民課 clerk (the section that runs 手続きナビ) signs in.
      await submitLogin(page, 'shimin@city.ichikawa.example.jp', DEMO_PASSWORD, '/staff/login');
      await page.goto('/staff/navi/tenkyo');
      await check('navi editor overview (no draft)');
      await clickAndWait(page, page.getByRole('button', { name: '下書きを作る' }));
      await check('navi editor overview (draft)');
      assert.ok((await page.locator('textarea#f-definition').count()) === 0, 'the JSON text area is on the advanced page only');
      await clickAndWait(page, page.locator('a[href="/staff/navi/tenkyo/questions/kokuho"]'));
      await check('navi question editor');
      const revised = '国民健康保険に入っている方はいますか？（e2eで改訂）';
      await page.locator('#f-text_ja').fill(revised);
      await clickAndWait(page, page.getByRole('button', { name: 'この質問を保存' }));
      assert.ok(page.url().includes('done=edited'), `saved: ${page.url()}`);
      assert.equal(await page.locator('#f-text_ja').inputValue(), revised);
      // The procedure page (conditions, counter, deadline) passes axe too.
      await page.goto('/staff/navi/tenkyo/procedures/kokuho');
      await check('navi procedure editor');
      // Preview: the draft, labelled; residents still see the published text.
      await page.goto('/staff/navi/tenkyo/preview?date=&card=yes');
      await check('navi preview');
      assert.ok((await page.locator('main').innerText()).includes(revised), 'the preview shows the draft');
      // A resident (no session) asks for the same page.
      const residentPage = async () => (await fetch(new URL('/navi/tenkyo?date=&card=yes', stack.baseURL))).text();
      assert.ok(!(await residentPage()).includes(revised), 'not published yet');
      // Publish.
      await page.goto('/staff/navi/tenkyo');
      await clickAndWait(page, page.getByRole('button', { name: '公開する' }));
      assert.ok((await page.locator('main').innerText()).includes('公開しました'), 'published');
      assert.ok((await residentPage()).includes(revised), 'residents see the published text');
      // Counter mode: walk the visitor through, create the visit, tick the 転居届.
      await page.goto('/staff/navi/counter/tenkyo?date=2026-04-01&card=yes&kokuho=no&elderly=no&school=no');
      await check('counter checklist');
      await clickAndWait(page, page.getByRole('button', { name: '来庁記録を作成' }));
      assert.ok(/\/staff\/navi\/counter\/visits\/\d+$/.test(new URL(page.url()).pathname), `visit page: ${page.url()}`);
      const visit = new URL(page.url()).pathname;
      await check('counter visit');
      await page.locator('#done-tenkyo').check();
      await clickAndWait(page, page.getByRole('button', { name: 'チェックを保存' }));
      // Stored with the visit: a fresh load shows the tick.
      await page.goto(visit);
      assert.ok(await page.locator('#done-tenkyo').isChecked(), 'the tick is stored');
      assert.ok(!(await page.locator('#done-mynumber').isChecked()), 'only that one');
      soft.assertNone();
    });
  });
});
