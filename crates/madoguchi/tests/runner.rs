//! The resident's online application (issue 3, "Forms": the runner) through the whole HTTP
//! stack, on SQLite and PostgreSQL: pages one by one, back without losing anything, skipped
//! pages, errors that keep input and store nothing but the draft, groups, the check page, one
//! application for a double submit, anonymous resume links, drafts that only their owner
//! sees, uploads refused before storage, postal-code fill and a form changed mid-way.

#[macro_use]
mod common;
mod support;

use axum::http::StatusCode;
use madoguchi::config::Config;
use madoguchi::db::Db;
use madoguchi::procedures::form::FormDefinition;
use support::*;

const ICHIKAWA: &str = "122033";
const HANAKO: &str = "hanako@example.jp";
const PASSWORD: &str = "demo-password-2026";
/// A procedure that needs a signed-in resident (identity level `signed_in`).
const SLUG: &str = "hoiku-genkyo";
/// A procedure that needs the My Number card (identity level `card`), not available yet.
const CARD_SLUG: &str = "jido-teate-nintei";
/// Procedure anyone may apply for without an account.
const GUEST_SLUG: &str = "sodai-gomi";

fn definition() -> FormDefinition {
    serde_json::from_value(serde_json::json!({
        "format": 1,
        "title_ja": "児童手当の認定請求",
        "title_en": "Child allowance claim",
        "pages": [
            {"id": "applicant", "title_ja": "請求者の情報", "title_en": "About you", "fields": [
                {"id": "applicant_name", "label_ja": "氏名", "label_en": "Name", "type": "name"},
                {"id": "birth_date", "label_ja": "生年月日", "label_en": "Date of birth", "type": "date", "max": "today"},
                {"id": "phone", "label_ja": "電話番号", "label_en": "Phone", "type": "phone", "required": false}
            ]},
            {"id": "home", "title_ja": "住所", "title_en": "Address", "fields": [
                {"id": "home", "label_ja": "住所", "label_en": "Address", "type": "address"}
            ]},
            {"id": "family", "title_ja": "配偶者", "title_en": "Spouse", "fields": [
                {"id": "has_spouse", "label_ja": "配偶者はいますか", "label_en": "Do you have a spouse?", "type": "yes_no"}
            ]},
            {"id": "spouse", "title_ja": "配偶者の情報", "title_en": "Your spouse",
             "show_if": {"equals": {"field": "has_spouse", "value": true}},
             "fields": [
                {"id": "spouse_name", "label_ja": "配偶者の氏名", "label_en": "Spouse's name", "type": "text"}
            ]},
            {"id": "children", "title_ja": "子どもの情報", "title_en": "Children", "fields": [
                {"id": "children", "label_ja": "養育している子ども", "label_en": "Children", "type": "group",
                 "min_items": 1, "max_items": 5, "item_label_ja": "子ども", "item_label_en": "child",
                 "fields": [
                    {"id": "name", "label_ja": "子どもの氏名", "label_en": "Child's name", "type": "text"},
                    {"id": "birth_date", "label_ja": "子どもの生年月日", "label_en": "Child's date of birth", "type": "date", "max": "today"}
                 ]}
            ]},
            {"id": "documents", "title_ja": "書類", "title_en": "Documents", "fields": [
                {"id": "insurance", "label_ja": "健康保険の資格情報", "label_en": "Health insurance", "type": "file",
                 "accept": ["application/pdf", "image/jpeg", "image/png"], "max_bytes": 5242880, "required": false}
            ]},
            {"id": "consent", "title_ja": "同意", "title_en": "Consent", "fields": [
                {"id": "agree", "label_ja": "宣誓", "label_en": "Declaration", "type": "consent",
                 "text_ja": "記載内容に誤りはありません。", "text_en": "The above is true."}
            ]}
        ]
    }))
    .expect("test definition")
}

fn guest_definition() -> FormDefinition {
    serde_json::from_value(serde_json::json!({
        "format": 1,
        "title_ja": "粗大ごみの収集申込",
        "title_en": "Bulky waste collection",
        "pages": [
            {"id": "who", "title_ja": "申込者", "title_en": "You", "fields": [
                {"id": "full_name", "label_ja": "氏名", "label_en": "Name", "type": "name", "furigana": false},
                {"id": "email", "label_ja": "メールアドレス", "label_en": "E-mail", "type": "email"}
            ]},
            {"id": "items", "title_ja": "品目", "title_en": "Items", "fields": [
                {"id": "item", "label_ja": "品目", "label_en": "Item", "type": "text"}
            ]}
        ]
    }))
    .expect("guest definition")
}

/// The guest form's first page: 八幡 太郎 with `email`, then `action` (None: 次へ).
async fn fill_guest_who(c: &mut Client<'_>, email: &str, action: Option<&str>) -> Resp {
    let mut fields = vec![
        ("f.full_name.family", "八幡"),
        ("f.full_name.given", "太郎"),
        ("f.email", email),
    ];
    fields.extend(action.map(|a| ("action", a)));
    c.post_form(&url(GUEST_SLUG, "who"), &fields).await
}

async fn procedure_id(db: &Db, slug: &str) -> i64 {
    let rows: Vec<(i64,)> = common::fetch_raw(
        db,
        &format!(
            "SELECT id FROM procedures WHERE municipality_id = '{ICHIKAWA}' AND slug = '{slug}'"
        ),
    )
    .await;
    rows[0].0
}

/// Publishes `def` as the procedure's form (archiving a version published before).
async fn publish(db: &Db, slug: &str, def: &FormDefinition) -> i64 {
    let pid = procedure_id(db, slug).await;
    common::exec(
        db,
        &format!("UPDATE form_versions SET state = 'archived' WHERE procedure_id = {pid} AND state = 'published'"),
    )
    .await;
    let next: Vec<(i64,)> = common::fetch_raw(
        db,
        &format!(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM form_versions WHERE procedure_id = {pid}"
        ),
    )
    .await;
    let mut tx = db.begin().await.expect("tx");
    let id = madoguchi::procedures::form::store::insert(
        &mut tx,
        ICHIKAWA,
        pid,
        next[0].0,
        "published",
        def,
        None,
    )
    .await
    .expect("insert form");
    tx.commit().await.expect("commit");
    id
}

async fn count(db: &Db, table: &str) -> i64 {
    let rows: Vec<(i64,)> = common::fetch_raw(db, &format!("SELECT COUNT(*) FROM {table}")).await;
    rows[0].0
}

async fn draft_raw(db: &Db) -> Vec<(String, String)> {
    common::fetch_raw(
        db,
        "SELECT answers, raw_input FROM application_drafts ORDER BY id",
    )
    .await
}

fn url(slug: &str, rest: &str) -> String {
    format!("/procedures/{slug}/apply/{rest}")
}

async fn signed_in(app: &TestApp) -> Client<'_> {
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c.login(HANAKO, PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "login: {}", r.body);
    c
}

/// Fills the first pages of the test form with valid answers (after the applicant page).
async fn fill_to_children(c: &mut Client<'_>) {
    fill_to_children_of(c, SLUG).await;
}

async fn fill_everything(c: &mut Client<'_>) {
    fill_everything_of(c, SLUG).await;
}

async fn fill_to_children_of(c: &mut Client<'_>, slug: &str) {
    let r = c
        .post_form(
            &url(slug, "applicant"),
            &[
                ("f.applicant_name.family", "市川"),
                ("f.applicant_name.given", "花子"),
                ("f.applicant_name.family_kana", "イチカワ"),
                ("f.applicant_name.given_kana", "ハナコ"),
                ("f.birth_date", "平成2年4月1日"),
                ("f.phone", ""),
                ("action", "next"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), url(slug, "home"));
    let r = c
        .post_form(
            &url(slug, "home"),
            &[
                ("f.home.postal_code", "272-0021"),
                ("f.home.address", "千葉県市川市八幡1丁目1番1号"),
                ("f.home.building", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), url(slug, "family"));
    let r = c
        .post_form(&url(slug, "family"), &[("f.has_spouse", "no")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // No spouse: the spouse page is skipped.
    assert_eq!(r.location(), url(slug, "children"));
}

db_test!(
    pages_one_by_one_back_keeps_answers_and_conditions_skip,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        publish(&db, SLUG, &definition()).await;
        let mut c = signed_in(&app).await;

        let start = c.get(&format!("/procedures/{SLUG}/apply")).await;
        assert_eq!(start.status, StatusCode::OK);
        assert!(start.body.contains("はじめる"), "{}", start.body);
        assert!(start.body.contains("子どもの情報"), "the steps are listed");

        let p1 = c.get(&url(SLUG, "applicant")).await;
        assert_eq!(p1.status, StatusCode::OK);
        assert!(
            p1.body
                .contains("<title>(1/6) 請求者の情報 - 児童手当の認定請求"),
            "{}",
            p1.body
        );
        assert!(p1.body.contains("autocomplete=\"family-name\""));
        assert!(p1.body.contains("例：令和6年4月1日"));
        assert!(
            p1.body
                .contains("<script src=\"/static/js/form.js\" defer>")
        );

        // Errors: 422, the same page with a summary, what was typed kept, nothing but the draft stored.
        let before = count(&db, "applications").await;
        let r = c
            .post_form(
                &url(SLUG, "applicant"),
                &[
                    ("f.applicant_name.family", "市川"),
                    ("f.birth_date", "令和99年13月1日"),
                    ("action", "next"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("<title>エラー：(1/6)"), "{}", r.body);
        assert!(r.body.contains("id=\"error-summary\"") && r.body.contains("role=\"alert\""));
        assert!(r.body.contains("value=\"市川\""), "typed family name kept");
        assert!(
            r.body.contains("value=\"令和99年13月1日\""),
            "typed date kept"
        );
        assert!(r.body.contains("aria-invalid=\"true\""));
        assert_eq!(count(&db, "applications").await, before);
        let drafts = draft_raw(&db).await;
        assert_eq!(drafts.len(), 1);
        assert_eq!(
            drafts[0].0, "{}",
            "no canonical answers from an invalid page"
        );

        fill_to_children(&mut c).await;

        // Back from the children page goes to the family page (not the skipped spouse page), with
        // the answer shown.
        let r = c
            .post_form(
                &url(SLUG, "children"),
                &[("f.children.0.name", "市川 一郎"), ("action", "back")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), url(SLUG, "family"));
        let fam = c.get(&url(SLUG, "family")).await;
        assert!(fam.body.contains("value=\"no\" checked"), "{}", fam.body);
        // What was typed on the children page (not valid yet: no date) is still there.
        let kids = c.get(&url(SLUG, "children")).await;
        assert!(kids.body.contains("value=\"市川 一郎\""), "{}", kids.body);

        // The skipped page is not asked even by URL; with a spouse it is.
        let r = c.get(&url(SLUG, "spouse")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = c
            .post_form(&url(SLUG, "family"), &[("f.has_spouse", "yes")])
            .await;
        assert_eq!(r.location(), url(SLUG, "spouse"));
        let r = c.get(&url(SLUG, "spouse")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("(4/7)"),
            "the spouse page counts now: {}",
            &r.body[..r.body.len().min(600)]
        );
    }
);

db_test!(
    groups_add_and_remove_items_without_javascript,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        publish(&db, SLUG, &definition()).await;
        let mut c = signed_in(&app).await;
        fill_to_children(&mut c).await;
        let page = c.get(&url(SLUG, "children")).await;
        assert!(page.body.contains("1人目の子ども"));
        assert!(page.body.contains("子どもを追加"));
        // Enter in a text box presses the form's first submit button: 「次へ」, not 「追加」.
        let first_submit = page.body.find("type=\"submit\"").expect("a submit button");
        let first_add = page
            .body
            .find("value=\"add:children\"")
            .expect("the add button");
        assert!(first_submit < first_add);
        assert!(page.body[first_submit..first_add].contains("value=\"next\""));
        assert!(
            !page.body.contains("この子どもを削除"),
            "the only item of a min-1 group stays"
        );

        let r = c
            .post_form(
                &url(SLUG, "children"),
                &[
                    ("n.children", "1"),
                    ("f.children.0.name", "一郎"),
                    ("f.children.0.birth_date", "令和2年5月5日"),
                    ("action", "add:children"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = c.get(&url(SLUG, "children")).await;
        assert!(page.body.contains("2人目の子ども"), "{}", page.body);
        assert!(page.body.contains("value=\"一郎\""));

        let r = c
            .post_form(
                &url(SLUG, "children"),
                &[
                    ("n.children", "2"),
                    ("f.children.0.name", "一郎"),
                    ("f.children.0.birth_date", "令和2年5月5日"),
                    ("f.children.1.name", "二郎"),
                    ("f.children.1.birth_date", "令和4年6月6日"),
                    ("action", "remove:children.0"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let page = c.get(&url(SLUG, "children")).await;
        assert!(page.body.contains("value=\"二郎\""), "{}", page.body);
        assert!(!page.body.contains("value=\"一郎\""));
        assert!(!page.body.contains("2人目の子ども"));
        assert!(
            page.body
                .contains("name=\"f.children.0.name\" type=\"text\" value=\"二郎\""),
            "renumbered"
        );
    }
);

async fn fill_everything_of(c: &mut Client<'_>, slug: &str) {
    fill_to_children_of(c, slug).await;
    let r = c
        .post_form(
            &url(slug, "children"),
            &[
                ("n.children", "1"),
                ("f.children.0.name", "市川 一郎"),
                ("f.children.0.birth_date", "令和2年5月5日"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), url(slug, "documents"));
    let r = c.post_form(&url(slug, "documents"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = c
        .post_form(&url(slug, "consent"), &[("f.agree", "on")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), url(slug, "check"));
}

db_test!(
    check_page_and_a_double_submit_make_one_application,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        publish(&db, SLUG, &definition()).await;
        let mut c = signed_in(&app).await;
        fill_everything(&mut c).await;

        let check = c.get(&url(SLUG, "check")).await;
        assert_eq!(check.status, StatusCode::OK, "{}", check.body);
        assert!(check.body.contains("入力内容の確認"));
        assert!(check.body.contains("市川 一郎"));
        assert!(check.body.contains("変更する"));
        assert!(
            check
                .body
                .contains(&format!("href=\"{}?return=check\"", url(SLUG, "family")))
        );
        assert!(
            !check.body.contains("配偶者の氏名"),
            "skipped page not listed"
        );

        // 「変更する」 → the page → 「次へ進む」 comes back to the check page.
        let r = c
            .post_form(
                &url(SLUG, "family"),
                &[("f.has_spouse", "no"), ("return", "check")],
            )
            .await;
        assert_eq!(r.location(), url(SLUG, "check"));

        let key = check
            .body
            .split("name=\"key\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("key")
            .to_owned();
        let r1 = c.post_form(&url(SLUG, "submit"), &[("key", &key)]).await;
        assert_eq!(r1.status, StatusCode::SEE_OTHER, "{}", r1.body);
        assert!(
            r1.location().starts_with(&url(SLUG, "done/")),
            "{}",
            r1.location()
        );
        let r2 = c.post_form(&url(SLUG, "submit"), &[("key", &key)]).await;
        assert_eq!(r2.status, StatusCode::SEE_OTHER);
        assert_eq!(
            r2.location(),
            r1.location(),
            "the second click finds the first application"
        );
        assert_eq!(count(&db, "applications").await, 1);
        assert_eq!(
            count(&db, "application_drafts").await,
            0,
            "the draft went with the submission"
        );

        let done = c.get(r1.location()).await;
        assert_eq!(done.status, StatusCode::OK, "{}", done.body);
        assert!(done.body.contains("受付番号"));
        let receipt: Vec<(String,)> =
            common::fetch_raw(&db, "SELECT receipt FROM applications").await;
        let r = &receipt[0].0;
        let spaced = format!("{}-{}-{}", &r[0..4], &r[4..8], &r[8..9]);
        assert!(done.body.contains(&spaced), "{spaced} in {}", done.body);
        assert!(done.body.contains(HANAKO), "the confirmation address");
        assert!(done.body.contains("/mypage"));
        let actions = audit_actions(&db).await;
        assert!(actions.iter().any(|a| a == "application_draft.saved"));
        assert!(actions.iter().any(|a| a == "application.submitted"));
    }
);

db_test!(
    a_card_level_procedure_is_filled_in_but_not_accepted,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        publish(&db, CARD_SLUG, &definition()).await;
        let mut c = signed_in(&app).await;
        fill_everything_of(&mut c, CARD_SLUG).await;
        let check = c.get(&url(CARD_SLUG, "check")).await;
        assert_eq!(check.status, StatusCode::OK, "{}", check.body);
        let before = audit_actions(&db).await.len();
        let r = c
            .post_form(&url(CARD_SLUG, "submit"), &[("key", "k")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(
            r.body.contains("マイナンバーカードでの本人確認が必要です"),
            "{}",
            r.body
        );
        assert_eq!(count(&db, "applications").await, 0);
        assert_eq!(
            count(&db, "application_drafts").await,
            1,
            "the draft is kept"
        );
        assert_eq!(
            audit_actions(&db).await.len(),
            before,
            "nothing was written"
        );
    }
);

db_test!(
    anonymous_resume_link_works_from_a_fresh_client,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        publish(&db, GUEST_SLUG, &guest_definition()).await;
        let mut c = app.client(ICHIKAWA_HOST);
        let r = fill_guest_who(&mut c, "yawata@example.jp", Some("later")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), url(GUEST_SLUG, "later"));
        assert!(
            c.cookies.keys().any(|k| k.starts_with("__Host-draft-")),
            "{:?}",
            c.cookies
        );
        let hashes: Vec<(Option<String>,)> =
            common::fetch_raw(&db, "SELECT resume_token_hash FROM application_drafts").await;
        let cookie = c
            .cookies
            .iter()
            .find(|(k, _)| k.starts_with("__Host-draft-"))
            .map(|(_, v)| v.clone())
            .expect("cookie");
        assert_ne!(
            hashes[0].0.as_deref(),
            Some(cookie.as_str()),
            "only the hash is stored"
        );

        let bad = c
            .post_form(&url(GUEST_SLUG, "later"), &[("email", "not an address")])
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("メールアドレスを"));
        let r = c
            .post_form(&url(GUEST_SLUG, "later"), &[("email", "yawata@example.jp")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let (_, body) = last_mail(&db, ICHIKAWA, "yawata@example.jp")
            .await
            .expect("resume mail");
        let link = path_of(&link_in(&body, "/resume/"));

        // A fresh client (another phone) continues where the first left off.
        let mut other = app.client(ICHIKAWA_HOST);
        let r = other.get(&link).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), url(GUEST_SLUG, "who"));
        let page = other.get(&url(GUEST_SLUG, "who")).await;
        assert!(page.body.contains("value=\"八幡\""), "{}", page.body);

        // A wrong token is refused plainly; an expired draft is refused and deleted.
        let wrong = other
            .get(&url(
                GUEST_SLUG,
                "resume/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ))
            .await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        assert!(wrong.body.contains("このリンクは使えません"));
        common::exec(&db, "UPDATE application_drafts SET expires_at = 0").await;
        let expired = app.client(ICHIKAWA_HOST).get(&link).await;
        assert_eq!(expired.status, StatusCode::GONE);
        assert!(expired.body.contains("30日"));
        assert_eq!(count(&db, "application_drafts").await, 0);
    }
);

db_test!(
    another_resident_cannot_read_or_write_my_draft,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        publish(&db, SLUG, &definition()).await;
        madoguchi::admin::create_account(
            &db,
            madoguchi::admin::NewAccount {
                municipality: ICHIKAWA,
                email: "jiro@example.jp",
                name: "市川 次郎",
                password: PASSWORD,
                staff: None,
            },
        )
        .await
        .expect("second resident");
        let mut hanako = signed_in(&app).await;
        let r = hanako
            .post_form(
                &url(SLUG, "applicant"),
                &[("f.applicant_name.family", "ヒミツ"), ("action", "back")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);

        let mut jiro = app.client(ICHIKAWA_HOST);
        assert_eq!(
            jiro.login("jiro@example.jp", PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        let page = jiro.get(&url(SLUG, "applicant")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("ヒミツ"));
        let r = jiro
            .post_form(
                &url(SLUG, "applicant"),
                &[("f.applicant_name.family", "次郎の"), ("action", "back")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            count(&db, "application_drafts").await,
            2,
            "each has their own"
        );
        let mine = hanako.get(&url(SLUG, "applicant")).await;
        assert!(mine.body.contains("ヒミツ") && !mine.body.contains("次郎の"));
        // Anonymous visitors cannot open a signed-in procedure's pages at all.
        let r = app.client(ICHIKAWA_HOST).get(&url(SLUG, "applicant")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), format!("/procedures/{SLUG}/apply"));
    }
);

/// A multipart page POST with one file part.
async fn upload(
    c: &mut Client<'_>,
    path: &str,
    field: &str,
    filename: &str,
    ctype: &str,
    data: &[u8],
) -> Resp {
    c.post_file(path, &[("action", "next")], field, filename, ctype, data)
        .await
}

db_test!(
    uploads_are_checked_before_anything_is_stored,
    |db: Db| async move {
        let cfg = Config {
            max_upload_bytes: 7 * 1024 * 1024,
            ..Config::default()
        };
        let app = TestApp::with_config(db.clone(), cfg).await;
        publish(&db, SLUG, &definition()).await;
        let mut c = signed_in(&app).await;
        fill_everything(&mut c).await;
        let page = url(SLUG, "documents");
        let p = c.get(&page).await;
        assert!(p.body.contains("enctype=\"multipart/form-data\""));

        // Over the field's 5 MB: refused with a field message, nothing stored.
        let mut big = b"%PDF-1.7\n".to_vec();
        big.resize(5 * 1024 * 1024 + 1, b'0');
        let r = upload(
            &mut c,
            &page,
            "f.insurance",
            "big.pdf",
            "application/pdf",
            &big,
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            &r.body[..r.body.len().min(400)]
        );
        assert!(r.body.contains("ファイルの大きさは5MBまでです。"));
        assert_eq!(count(&db, "attachments").await, 0);
        // A program renamed .pdf, and a PNG declared as a PDF: refused, nothing stored.
        let r = upload(
            &mut c,
            &page,
            "f.insurance",
            "tool.pdf",
            "application/pdf",
            b"MZ\x90\0\x03\0\0\0",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = upload(
            &mut c,
            &page,
            "f.insurance",
            "x.pdf",
            "application/pdf",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(count(&db, "attachments").await, 0);
        // Over the whole upload limit: refused by its Content-Length before the body is read.
        let mut huge = b"%PDF-1.7\n".to_vec();
        huge.resize(8 * 1024 * 1024, b'0');
        let r = upload(
            &mut c,
            &page,
            "f.insurance",
            "huge.pdf",
            "application/pdf",
            &huge,
        )
        .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(count(&db, "attachments").await, 0);

        // A real PDF is stored, shown with 「削除」, and goes into the submission.
        let r = upload(
            &mut c,
            &page,
            "f.insurance",
            "保険証.pdf",
            "application/pdf",
            b"%PDF-1.4\n1 0 obj\n",
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(count(&db, "attachments").await, 1);
        let p = c.get(&page).await;
        assert!(
            p.body.contains("保険証.pdf") && p.body.contains("remove-file:insurance"),
            "{}",
            p.body
        );
        let r = c
            .post_form(&page, &[("action", "remove-file:insurance")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(count(&db, "attachments").await, 0);
        // A plain form POST to a non-upload page keeps the small limit.
        let long = "あ".repeat(400_000);
        let r = c
            .post_form(&url(SLUG, "family"), &[("f.has_spouse", &long)])
            .await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
);

db_test!(
    postal_code_fills_the_address_on_the_server,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        publish(&db, SLUG, &definition()).await;
        let mut c = signed_in(&app).await;
        let r = c
            .post_form(
                &url(SLUG, "home"),
                &[
                    ("f.home.postal_code", "２７２－００２１"),
                    ("f.home.address", ""),
                    ("action", "postal:f.home"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), url(SLUG, "home"));
        let p = c.get(&url(SLUG, "home")).await;
        assert!(p.body.contains("value=\"千葉県市川市八幡\""), "{}", p.body);
        assert!(p.body.contains("autocomplete=\"postal-code\""));
        // An unknown code says so and keeps what was typed.
        let r = c
            .post_form(
                &url(SLUG, "home"),
                &[
                    ("f.home.postal_code", "2728501"),
                    ("action", "postal:f.home"),
                ],
            )
            .await;
        assert!(r.location().contains("note=postal_missing"));
        let p = c.get(r.location()).await;
        assert!(p.body.contains("住所が見つかりませんでした"));
        assert!(p.body.contains("value=\"2728501\""));
    }
);

db_test!(
    a_form_changed_midway_sends_the_resident_to_the_new_question,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        publish(&db, SLUG, &definition()).await;
        let mut c = signed_in(&app).await;
        fill_to_children(&mut c).await;
        let mut def = definition();
        def.pages[1].fields.push(
        serde_json::from_value(serde_json::json!({"id": "years", "label_ja": "住んでいる年数", "label_en": "Years", "type": "number"}))
            .expect("field"),
    );
        publish(&db, SLUG, &def).await;
        let r = c.get(&url(SLUG, "children")).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), format!("{}?changed=1", url(SLUG, "home")));
        let p = c.get(r.location()).await;
        assert!(p.body.contains("申請フォームが新しくなりました"));
        assert!(
            p.body.contains("value=\"千葉県市川市八幡1丁目1番1号\""),
            "answers kept"
        );
    }
);

db_test!(check_field_uses_the_server_rules, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    publish(&db, SLUG, &definition()).await;
    let mut c = signed_in(&app).await;
    let r = c
        .post_form(
            &url(SLUG, "applicant/check-field"),
            &[("f.applicant_name.family", ""), ("f.birth_date", "あした")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    let errors = j["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["path"]
            .as_str()
            .is_some_and(|p| p.starts_with("birth_date"))),
        "{j}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e["id"].as_str().is_some_and(|i| i.starts_with("f-")))
    );
    assert_eq!(
        count(&db, "application_drafts").await,
        0,
        "checking stores nothing"
    );
    // Autosave keeps what is typed for a signed-in resident.
    let r = c
        .post_form(
            &url(SLUG, "applicant/save"),
            &[("f.applicant_name.family", "保存")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(draft_raw(&db).await[0].1.contains("保存"));
    // An expired draft is refused on the start page and the clean-up deletes it.
    common::exec(&db, "UPDATE application_drafts SET expires_at = 1").await;
    let r = c.get(&url(SLUG, "applicant")).await;
    assert_eq!(r.location(), format!("/procedures/{SLUG}/apply?expired=1"));
    assert_eq!(
        count(&db, "application_drafts").await,
        0,
        "deleted when met"
    );
    let r = c
        .post_form(
            &url(SLUG, "applicant/save"),
            &[("f.applicant_name.family", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    common::exec(&db, "UPDATE application_drafts SET expires_at = 1").await;
    assert_eq!(
        madoguchi::procedures::runner::clean_expired(&db, ICHIKAWA)
            .await
            .expect("clean"),
        1
    );
    assert_eq!(count(&db, "application_drafts").await, 0);
    let start = c.get(&format!("/procedures/{SLUG}/apply?expired=1")).await;
    assert!(start.body.contains("入力途中の内容は削除されました"));
});

db_test!(
    a_guest_opens_the_application_from_the_mail_link_and_an_account_takes_it_over,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        publish(&db, GUEST_SLUG, &guest_definition()).await;
        let mut c = app.client(ICHIKAWA_HOST);
        let r = fill_guest_who(&mut c, "Yawata@Example.jp", None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = c
            .post_form(&url(GUEST_SLUG, "items"), &[("f.item", "たんす")])
            .await;
        assert_eq!(r.location(), url(GUEST_SLUG, "check"), "{}", r.body);
        let check = c.get(&url(GUEST_SLUG, "check")).await;
        let key = check
            .body
            .split("name=\"key\" value=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("key")
            .to_owned();
        let r = c
            .post_form(&url(GUEST_SLUG, "submit"), &[("key", &key)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let rows: Vec<(String, Option<String>, Option<String>)> = common::fetch_raw(
            &db,
            "SELECT receipt, applicant_email, guest_key_digest FROM applications",
        )
        .await;
        let (receipt, email, digest) = rows[0].clone();
        assert_eq!(
            email.as_deref(),
            Some("yawata@example.jp"),
            "stored lower-cased"
        );
        let (_, body) = last_mail(&db, ICHIKAWA, "yawata@example.jp")
            .await
            .expect("confirmation mail");
        let link = path_of(&link_in(&body, "/applications/"));
        assert!(link.contains("?key="), "{link}");
        let key_in_link = link.split("?key=").nth(1).expect("key").to_owned();
        assert_eq!(
            digest.as_deref(),
            Some(madoguchi::auth::token::digest(&key_in_link).as_str()),
            "only the digest of the link's key is stored"
        );

        // Another phone, not signed in: the link opens the page, read-only.
        let mut phone = app.client(ICHIKAWA_HOST);
        let page = phone.get(&link).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("粗大ごみの収集申込") || page.body.contains(&receipt[0..4]));
        assert!(page.body.contains("たんす"), "the answers are shown");
        assert!(page.body.contains("利用者登録をする"), "the guest notice");
        assert!(
            !page.body.contains("/messages\""),
            "no message form for a guest"
        );
        assert!(!page.body.contains("/withdraw\""), "no 取下げ for a guest");
        // A wrong key, or the right key on another number, is 404; so is no key at all
        // (that asks to sign in).
        let wrong = phone
            .get(&format!(
                "/applications/{receipt}?key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
            ))
            .await;
        assert_eq!(wrong.status, StatusCode::NOT_FOUND);
        let other = phone
            .get(&format!("/applications/7KQ2M9XDM?key={key_in_link}"))
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);
        let none = phone.get(&format!("/applications/{receipt}")).await;
        assert_ne!(none.status, StatusCode::OK);
        // The guest page cannot be used to post a message.
        let post = phone
            .post_form(
                &format!("/applications/{receipt}/messages"),
                &[("body", "こんにちは")],
            )
            .await;
        assert_ne!(post.status, StatusCode::OK);
        assert_eq!(
            count(&db, "application_entries").await,
            1,
            "only the 受付 entry"
        );

        // Registering with the same address and confirming it takes the application over.
        let r = phone
            .post_form(
                "/register",
                &[
                    ("name", "八幡 太郎"),
                    ("email", "yawata@example.jp"),
                    ("password", "a long pass phrase"),
                    ("password_confirm", "a long pass phrase"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let (_, body) = last_mail(&db, ICHIKAWA, "yawata@example.jp")
            .await
            .expect("verification mail");
        let token = link_in(&body, "/verify?token=");
        let token = token.split("token=").nth(1).expect("token");
        let r = phone.post_form("/verify", &[("token", token)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let owners: Vec<(Option<i64>,)> =
            common::fetch_raw(&db, "SELECT applicant_user_id FROM applications").await;
        assert!(
            owners[0].0.is_some(),
            "the account owns the application now"
        );
        assert!(
            audit_actions(&db)
                .await
                .iter()
                .any(|a| a == "application.claimed")
        );
        assert_eq!(
            phone
                .login("yawata@example.jp", "a long pass phrase")
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        let list = phone.get("/mypage/applications").await;
        assert!(list.body.contains(&receipt[0..4]), "{}", list.body);
        let mine = phone.get(&format!("/applications/{receipt}")).await;
        assert_eq!(mine.status, StatusCode::OK);
        assert!(
            mine.body.contains("/messages\""),
            "the account may write now"
        );
        assert_audit_intact(&db).await;
    }
);
