//! The form editor (issue 3, "Forms") on SQLite and PostgreSQL: the version state machine,
//! publish refused with problems, export → import round trip, bad imports changing nothing,
//! the JSON Schema endpoints, who may edit, every editor action through plain HTTP forms,
//! the demo forms, and the `madoguchi forms` commands.

#[macro_use]
mod common;
mod support;

use std::io::Write;
use std::process::{Command, Stdio};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::procedures::editor::versions::{self, Imported, Source, VersionError};
use madoguchi::procedures::editor::{edit, file};
use madoguchi::procedures::form::FormDefinition;
use madoguchi::procedures::form::store as fstore;
use madoguchi::procedures::store::{self as pstore, ProcedureRow};
use support::*;

const ICHIKAWA: &str = "122033";
const SHISUI: &str = "123226";
const PASSWORD: &str = madoguchi::demo::PASSWORD;
const ADMIN: &str = "admin@city.ichikawa.example.jp";
const SHIMIN: &str = "shimin@city.ichikawa.example.jp";
const DX: &str = "dx@city.ichikawa.example.jp";
/// 市民課's procedure, without a shipped form.
const SLUG: &str = "juminhyo";
/// Another 課's procedure (市民税課).
const OTHER_SLUG: &str = "kazei-shomei";

async fn procedure(db: &Db, m: &str, slug: &str) -> ProcedureRow {
    pstore::find_by_slug(db, m, slug)
        .await
        .expect("read")
        .unwrap_or_else(|| panic!("no {slug} in {m}"))
}

/// A small publishable form: a name, a choice, and a phone number shown for one choice.
fn good_form() -> FormDefinition {
    let mut d = edit::empty("住民票の写しの請求", "Residence certificate");
    edit::add_field(&mut d, "page_1", "name").expect("add");
    edit::add_field(&mut d, "page_1", "choice").expect("add");
    edit::add_field(&mut d, "page_1", "phone").expect("add");
    edit::set_condition(&mut d, "phone_1", "choice_1=option_2").expect("condition");
    d
}

async fn form_rows(db: &Db, m: &str, p: i64) -> Vec<(i64, String)> {
    fstore::versions(db, m, p)
        .await
        .expect("versions")
        .into_iter()
        .map(|v| (v.version, v.state))
        .collect()
}

async fn staff_client<'a>(app: &'a TestApp, email: &str) -> Client<'a> {
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c
        .post_form("/staff/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "login {email}: {}", r.body);
    c
}

/// Posts a multipart form (the import upload) with the CSRF part.
async fn post_multipart(
    c: &mut Client<'_>,
    path: &str,
    parts: &[(&str, Option<&str>, &str)],
) -> Resp {
    if c.csrf().is_empty() {
        c.get("/").await;
    }
    let boundary = "XeditorBoundary7";
    let mut body = String::new();
    let csrf = c.csrf();
    let mut all: Vec<(&str, Option<&str>, &str)> = vec![("csrf", None, &csrf)];
    all.extend_from_slice(parts);
    for (name, filename, value) in all {
        body.push_str(&format!("--{boundary}\r\n"));
        match filename {
            Some(f) => body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/json\r\n\r\n"
            )),
            None => body.push_str(&format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n")),
        }
        body.push_str(value);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    let cookies = c
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let req = Request::post(path)
        .header(header::HOST, c.host)
        .header(header::COOKIE, cookies)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .expect("request");
    c.send(req).await
}

fn count(actions: &[String], name: &str) -> usize {
    actions.iter().filter(|a| *a == name).count()
}

db_test!(version_state_machine, |db: Db| async move {
    madoguchi::demo::load(&db).await.expect("demo");
    let p = procedure(&db, ICHIKAWA, SLUG).await;
    let online_before = p.online;
    let who = Actor::User(1);
    assert!(form_rows(&db, ICHIKAWA, p.id).await.is_empty());
    // The demo publishes the shipped forms: count only what this test does.
    let before = audit_actions(&db).await.len();

    // An empty draft cannot be published: its page has no fields.
    assert_eq!(
        versions::create_draft(&db, &who, ICHIKAWA, &p, Source::Empty)
            .await
            .expect("draft"),
        1
    );
    let again = versions::create_draft(&db, &who, ICHIKAWA, &p, Source::Empty).await;
    assert!(
        matches!(again, Err(VersionError::DraftExists(1))),
        "{again:?}"
    );
    let refused = versions::publish(&db, &who, ICHIKAWA, p.id).await;
    match refused {
        Err(VersionError::Problems(ps)) => assert!(!ps.is_empty()),
        other => panic!("publish of an empty form: {other:?}"),
    }
    assert_eq!(
        form_rows(&db, ICHIKAWA, p.id).await,
        vec![(1, "draft".into())]
    );

    // Save, publish.
    assert!(
        versions::save_draft(&db, &who, ICHIKAWA, p.id, &good_form())
            .await
            .expect("save")
    );
    assert!(
        !versions::save_draft(&db, &who, ICHIKAWA, p.id, &good_form())
            .await
            .expect("same")
    );
    let published = versions::publish(&db, &who, ICHIKAWA, p.id)
        .await
        .expect("publish");
    assert_eq!(published.version, 1);
    assert_eq!(published.archived, None);
    assert_eq!(
        form_rows(&db, ICHIKAWA, p.id).await,
        vec![(1, "published".into())]
    );
    // No draft any more: saving has nothing to save, publishing nothing to publish.
    assert!(matches!(
        versions::save_draft(&db, &who, ICHIKAWA, p.id, &good_form()).await,
        Err(VersionError::NoDraft)
    ));
    assert!(matches!(
        versions::publish(&db, &who, ICHIKAWA, p.id).await,
        Err(VersionError::NoDraft)
    ));

    // A copy of the published version becomes draft 2; publishing it archives version 1.
    assert_eq!(
        versions::create_draft(&db, &who, ICHIKAWA, &p, Source::Published)
            .await
            .expect("copy"),
        2
    );
    let v1 = fstore::by_version(&db, ICHIKAWA, p.id, 1)
        .await
        .expect("read")
        .expect("v1");
    let v2 = fstore::by_version(&db, ICHIKAWA, p.id, 2)
        .await
        .expect("read")
        .expect("v2");
    assert_eq!(v1.parsed().expect("v1"), v2.parsed().expect("v2"));
    let mut changed = good_form();
    edit::add_field(&mut changed, "page_1", "email").expect("add");
    versions::save_draft(&db, &who, ICHIKAWA, p.id, &changed)
        .await
        .expect("save");
    assert_eq!(
        form_rows(&db, ICHIKAWA, p.id).await,
        vec![(2, "draft".into()), (1, "published".into())]
    );
    // The published row cannot be edited even through the store.
    let mut tx = db.begin().await.expect("tx");
    assert_eq!(
        fstore::update_draft(&mut tx, v1.id, v1.updated_at, &changed)
            .await
            .expect("update"),
        0
    );
    assert_eq!(
        fstore::delete_draft(&mut tx, v1.id).await.expect("delete"),
        0
    );
    tx.commit().await.expect("commit");
    let published = versions::publish(&db, &who, ICHIKAWA, p.id)
        .await
        .expect("publish 2");
    assert_eq!(published.archived, Some(1));
    assert_eq!(
        form_rows(&db, ICHIKAWA, p.id).await,
        vec![(2, "published".into()), (1, "archived".into())]
    );
    let v1_after = fstore::by_version(&db, ICHIKAWA, p.id, 1)
        .await
        .expect("read")
        .expect("v1");
    assert_eq!(
        v1_after.definition, v1.definition,
        "archived definitions never change"
    );
    let live = fstore::published(&db, ICHIKAWA, p.id)
        .await
        .expect("read")
        .expect("live");
    assert_eq!(live.parsed().expect("def"), changed);

    // Draft 3, discarded: gone, and the number is free again.
    assert_eq!(
        versions::create_draft(&db, &who, ICHIKAWA, &p, Source::Published)
            .await
            .expect("d3"),
        3
    );
    assert_eq!(
        versions::discard(&db, &who, ICHIKAWA, p.id)
            .await
            .expect("discard"),
        3
    );
    assert!(matches!(
        versions::discard(&db, &who, ICHIKAWA, p.id).await,
        Err(VersionError::NoDraft)
    ));
    assert_eq!(form_rows(&db, ICHIKAWA, p.id).await.len(), 2);

    // Publishing never changed the catalogue's online flag.
    assert_eq!(procedure(&db, ICHIKAWA, SLUG).await.online, online_before);
    let actions = audit_actions(&db).await.split_off(before);
    assert_eq!(count(&actions, "form.draft_created"), 3);
    assert_eq!(count(&actions, "form.published"), 2);
    assert_eq!(count(&actions, "form.draft_saved"), 2);
    assert_eq!(count(&actions, "form.draft_discarded"), 1);
    assert_audit_intact(&db).await;
});

db_test!(
    two_editors_starting_a_draft_at_once_make_one,
    |db: Db| async move {
        madoguchi::demo::load(&db).await.expect("demo");
        let p = procedure(&db, ICHIKAWA, SLUG).await;
        let a = versions::create_draft(&db, &Actor::User(2), ICHIKAWA, &p, Source::Empty);
        let b = versions::create_draft(&db, &Actor::User(3), ICHIKAWA, &p, Source::Empty);
        let (ra, rb) = tokio::join!(a, b);
        let ok = [&ra, &rb].iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok, 1, "{ra:?} {rb:?}");
        assert!(
            [&ra, &rb]
                .iter()
                .any(|r| matches!(r, Err(VersionError::DraftExists(_)))),
            "{ra:?} {rb:?}"
        );
        assert_eq!(
            form_rows(&db, ICHIKAWA, p.id).await,
            vec![(1, "draft".into())]
        );
        // Two saves from the same revision: the second is refused as stale.
        let rev = fstore::versions(&db, ICHIKAWA, p.id).await.expect("rows")[0].updated_at;
        let first = versions::save_draft_if(
            &db,
            &Actor::User(2),
            ICHIKAWA,
            p.id,
            &good_form(),
            Some(rev),
        )
        .await;
        assert!(matches!(first, Ok(true)), "{first:?}");
        let mut other = good_form();
        other.title_ja = "別の題名".into();
        let second =
            versions::save_draft_if(&db, &Actor::User(3), ICHIKAWA, p.id, &other, Some(rev)).await;
        assert!(matches!(second, Err(VersionError::Stale)), "{second:?}");
        let stored = fstore::versions(&db, ICHIKAWA, p.id).await.expect("rows")[0]
            .parsed()
            .expect("def");
        assert_eq!(stored, good_form());
        assert_audit_intact(&db).await;
    }
);

db_test!(
    export_import_round_trip_and_bad_files,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let p = procedure(&db, ICHIKAWA, SLUG).await;
        versions::import(&db, &Actor::Cli, ICHIKAWA, &p, &good_form(), true)
            .await
            .expect("publish");
        let mut c = staff_client(&app, SHIMIN).await;
        let r = c.get(&format!("/staff/forms/{SLUG}/export")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let disposition = r
            .headers
            .get(header::CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(
            disposition,
            "attachment; filename=\"juminhyo-v1.madoguchi-form.json\""
        );
        let exported: file::FormFile = serde_json::from_str(&r.body).expect("file");
        assert_eq!(exported.format, "madoguchi-form");
        assert_eq!(exported.procedure.slug, SLUG);
        assert_eq!(exported.version, 1);
        assert_eq!(exported.from_municipality.code, ICHIKAWA);
        assert!(
            exported.exported_at.ends_with("+09:00"),
            "{}",
            exported.exported_at
        );

        // Into 酒々井町's 住民票 (another municipality): the identical definition, as a draft.
        let mut s = app.client(SHISUI_HOST);
        let r = s
            .post_form(
                "/staff/login",
                &[
                    ("email", "admin@town.shisui.example.jp"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let r = post_multipart(
            &mut s,
            &format!("/staff/forms/{SLUG}/import"),
            &[("file", Some("f.json"), &r_body(&exported))],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location().ends_with("done=imported"), "{}", r.location());
        let sp = procedure(&db, SHISUI, SLUG).await;
        let rows = fstore::versions(&db, SHISUI, sp.id).await.expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].state, "draft");
        assert_eq!(rows[0].parsed().expect("def"), exported.definition);
        assert_eq!(exported.definition, good_form());
        // The same file again: no second version.
        let r = post_multipart(
            &mut s,
            &format!("/staff/forms/{SLUG}/import"),
            &[("text", None, &r_body(&exported))],
        )
        .await;
        assert!(
            r.location().ends_with("done=import_same"),
            "{} {}",
            r.status,
            r.body
        );
        assert_eq!(
            fstore::versions(&db, SHISUI, sp.id)
                .await
                .expect("rows")
                .len(),
            1
        );
        // The service says the same, also for the published one at home.
        assert_eq!(
            versions::import(&db, &Actor::Cli, ICHIKAWA, &p, &good_form(), true)
                .await
                .expect("same"),
            Imported::Unchanged { version: 1 }
        );

        // Bad files: named problems, nothing stored, nothing audited.
        let before = audit_actions(&db).await.len();
        let mut bad = exported.clone();
        bad.definition.pages[0].fields[0].label_ja = "個人番号".into();
        let mut missing_page = exported.clone();
        missing_page.definition.pages.clear();
        for (text, needle) in [
            ("{ not json".to_owned(), "JSON"),
            (r_body(&bad), "個人番号"),
            (r_body(&missing_page), "ページ"),
            (
                r#"{"format": 1, "title_ja": "x"}"#.to_owned(),
                "読み取れません",
            ),
        ] {
            let r = post_multipart(
                &mut c,
                &format!("/staff/forms/{SLUG}/import"),
                &[("file", Some("bad.json"), &text)],
            )
            .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{text}");
            assert!(r.body.contains("何も保存していません"), "{}", r.body);
            assert!(r.body.contains(needle), "{needle} not named: {}", r.body);
        }
        // A file of another procedure is refused too.
        let mut other = exported.clone();
        other.procedure.slug = "tennyu".into();
        let r = post_multipart(
            &mut c,
            &format!("/staff/forms/{SLUG}/import"),
            &[("file", Some("o.json"), &r_body(&other))],
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("tennyu"));
        // Without the CSRF part the upload is refused.
        let r = c
        .send(
            Request::post(format!("/staff/forms/{SLUG}/import"))
                .header(header::HOST, ICHIKAWA_HOST)
                .header(header::CONTENT_TYPE, "multipart/form-data; boundary=b")
                .body(Body::from("--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{}\r\n--b--\r\n"))
                .expect("req"),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(
            form_rows(&db, ICHIKAWA, p.id).await,
            vec![(1, "published".into())]
        );
        assert_eq!(audit_actions(&db).await.len(), before);
    }
);

fn r_body(f: &file::FormFile) -> String {
    file::to_json(f)
}

db_test!(schema_endpoint, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let p = procedure(&db, ICHIKAWA, SLUG).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c.get(&format!("/api/v1/procedures/{}/schema", p.id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no form yet");
    assert_eq!(r.json()["error"]["code"], "not_found");
    versions::import(&db, &Actor::Cli, ICHIKAWA, &p, &good_form(), true)
        .await
        .expect("publish");
    let r = c.get(&format!("/api/v1/procedures/{}/schema", p.id)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
        Some("application/schema+json")
    );
    let s = r.json();
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    let today = madoguchi::calendar::today_jst().to_string();
    let id = s["$id"].as_str().expect("$id");
    assert!(
        id.contains(&format!("/api/v1/procedures/{}/forms/1/schema", p.id)),
        "{id}"
    );
    assert!(id.ends_with(&today), "{id}");
    assert!(s["properties"].get("choice_1").is_some(), "{s}");
    let r = c
        .get(&format!("/api/v1/procedures/{}/forms/1/schema", p.id))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A draft's schema is not public; unknown versions are 404.
    versions::create_draft(&db, &Actor::Cli, ICHIKAWA, &p, Source::Published)
        .await
        .expect("draft");
    for path in [
        format!("/api/v1/procedures/{}/forms/2/schema", p.id),
        format!("/api/v1/procedures/{}/forms/9/schema", p.id),
        "/api/v1/procedures/999999/schema".to_owned(),
    ] {
        assert_eq!(c.get(&path).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // Another municipality's host does not see 市川市's form.
    let mut s = app.client(SHISUI_HOST);
    assert_eq!(
        s.get(&format!("/api/v1/procedures/{}/schema", p.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Both routes are in the OpenAPI document.
    let doc = c.get("/api/v1/openapi.json").await.json();
    assert!(doc["paths"].get("/api/v1/procedures/{id}/schema").is_some());
    assert!(
        doc["paths"]
            .get("/api/v1/procedures/{id}/forms/{version}/schema")
            .is_some()
    );
});

db_test!(editor_authorization, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    // Anonymous: to the staff login, for pages and actions.
    let mut anon = app.client(ICHIKAWA_HOST);
    let r = anon.get("/staff/forms").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/staff/login"));
    let r = anon
        .post_form(&format!("/staff/forms/{SLUG}/draft"), &[("from", "empty")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/staff/login"));
    // A resident: refused.
    let mut res = app.client(ICHIKAWA_HOST);
    res.login("hanako@example.jp", PASSWORD).await;
    assert_eq!(res.get("/staff/forms").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        res.get(&format!("/staff/forms/{SLUG}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        res.post_form(&format!("/staff/forms/{SLUG}/draft"), &[("from", "empty")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // 市民課 staff: their procedure yes, another 課's no.
    let mut shimin = staff_client(&app, SHIMIN).await;
    assert_eq!(
        shimin
            .get(&format!("/staff/forms/{OTHER_SLUG}"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for action in ["draft", "publish", "discard", "edit"] {
        let r = shimin
            .post_form(
                &format!("/staff/forms/{OTHER_SLUG}/{action}"),
                &[("from", "empty"), ("action", "add_page")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(
        shimin
            .get(&format!("/staff/forms/{OTHER_SLUG}/export"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = shimin
        .post_form(&format!("/staff/forms/{SLUG}/draft"), &[("from", "empty")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // DX推進員 view every form but change none.
    let mut dx = staff_client(&app, DX).await;
    let r = dx.get(&format!("/staff/forms/{SLUG}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("閲覧のみ"));
    assert!(!r.body.contains("action\" value=\"add_field"));
    let r = dx
        .post_form(
            &format!("/staff/forms/{SLUG}/edit"),
            &[("action", "add_page")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The admin edits another 課's form.
    let mut admin = staff_client(&app, ADMIN).await;
    let r = admin
        .post_form(
            &format!("/staff/forms/{OTHER_SLUG}/draft"),
            &[("from", "empty")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let other = procedure(&db, ICHIKAWA, OTHER_SLUG).await;
    assert_eq!(
        form_rows(&db, ICHIKAWA, other.id).await,
        vec![(1, "draft".into())]
    );
    // A staff member of another municipality does not sign in here at all; on their own host
    // 市川市's procedures do not exist.
    let mut s = app.client(SHISUI_HOST);
    s.post_form(
        "/staff/login",
        &[
            ("email", "admin@town.shisui.example.jp"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(
        s.get("/staff/forms/kazei-shomei").await.status,
        StatusCode::NOT_FOUND
    );
});

db_test!(editor_actions_without_javascript, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let p = procedure(&db, ICHIKAWA, SLUG).await;
    // Start from an offline procedure, to see that publishing does not switch it on.
    versions::set_online(&db, &Actor::Cli, ICHIKAWA, &p, false)
        .await
        .expect("offline");
    let p = procedure(&db, ICHIKAWA, SLUG).await;
    let mut c = staff_client(&app, SHIMIN).await;
    let base = format!("/staff/forms/{SLUG}");
    let edit_url = format!("{base}/edit");
    let r = c.get(&base).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("まだ申請フォームがありません"));
    let r = c
        .post_form(&format!("{base}/draft"), &[("from", "empty")])
        .await;
    assert_eq!(r.location(), format!("{base}?done=created"));
    let def = || async {
        fstore::versions(&db, ICHIKAWA, p.id).await.expect("rows")[0]
            .parsed()
            .expect("def")
    };
    // Add fields by type (the list names them in Japanese).
    let r = c.get(&base).await;
    assert!(r.body.contains("氏名（フリガナ付き）") && r.body.contains("繰り返し（例：子ども）"));
    for kind in ["choice", "phone", "date"] {
        let r = c
            .post_form(
                &edit_url,
                &[("action", "add_field"), ("page", "page_1"), ("kind", kind)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), format!("{base}?done=saved#item-{kind}_1"));
    }
    // Edit a field: label, options, required.
    let r = c
        .post_form(
            &edit_url,
            &[
                ("action", "update_field"),
                ("field", "choice_1"),
                ("label_ja", "婚姻の状況"),
                ("label_en", "Marital status"),
                (
                    "options",
                    "married: 既婚 / Married\ndivorced: 離婚 / Divorced",
                ),
                ("required", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // A condition from the dropdown; the page then says it in words.
    let r = c
        .post_form(
            &edit_url,
            &[
                ("action", "set_condition"),
                ("field", "phone_1"),
                ("condition", "choice_1=divorced"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get(&base).await.body;
    assert!(page.contains("［婚姻の状況］が［離婚］のとき"), "{page}");
    // A condition on a later field is not offered and refused.
    let r = c
        .post_form(
            &edit_url,
            &[
                ("action", "set_condition"),
                ("field", "choice_1"),
                ("condition", "phone_1=x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("表示条件は一覧から選んでください"));
    // Deleting a field a condition uses is refused with a reason; nothing changes.
    let before = def().await;
    let r = c
        .post_form(
            &edit_url,
            &[
                ("action", "delete_field"),
                ("field", "choice_1"),
                ("page", "page_1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("削除できません"));
    assert_eq!(def().await, before);
    // An edit made on a page drawn before someone else's save is refused, not merged blindly.
    let rev = fstore::versions(&db, ICHIKAWA, p.id).await.expect("rows")[0].updated_at;
    let stale = (rev - 1).to_string();
    let r = c
        .post_form(&edit_url, &[("action", "add_page"), ("rev", &stale)])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("ほかの人がこの下書きを先に変更しました"),
        "{}",
        r.body
    );
    assert_eq!(def().await, before);
    let current = rev.to_string();
    assert!(
        r.body
            .contains(&format!("name=\"rev\" value=\"{current}\"")),
        "the page carries the new revision"
    );
    // ↑/↓.
    let r = c
        .post_form(
            &edit_url,
            &[("action", "move_field"), ("field", "date_1"), ("dir", "up")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let ids: Vec<String> = def().await.pages[0]
        .fields
        .iter()
        .map(|f| f.id.clone())
        .collect();
    assert_eq!(ids, ["choice_1", "date_1", "phone_1"]);
    let r = c
        .post_form(
            &edit_url,
            &[
                ("action", "move_field"),
                ("field", "choice_1"),
                ("dir", "up"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Pages, form texts.
    let r = c.post_form(&edit_url, &[("action", "add_page")]).await;
    assert_eq!(r.location(), format!("{base}?done=saved#page-page_2"));
    let r = c
        .post_form(
            &edit_url,
            &[
                ("action", "update_page"),
                ("page", "page_2"),
                ("title_ja", "連絡先"),
                ("title_en", "Contact"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c
        .post_form(
            &edit_url,
            &[
                ("action", "move_field"),
                ("field", "phone_1"),
                ("dir", "down"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = c
        .post_form(
            &edit_url,
            &[
                ("action", "update_form"),
                ("title_ja", "住民票の写しの請求"),
                ("title_en", "Residence certificate"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let d = def().await;
    assert_eq!(d.pages[1].title_ja, "連絡先");
    assert_eq!(d.pages[1].fields[0].id, "phone_1");
    assert_eq!(d.title_ja, "住民票の写しの請求");
    // The JSON view: invalid JSON is not saved, valid JSON is.
    let r = c.get(&format!("{base}?json=1")).await;
    assert!(
        r.body.contains("id=\"f-json\"") && r.body.contains("choice_1"),
        "json view: {} {}",
        r.status,
        r.body
    );
    let r = c
        .post_form(
            &edit_url,
            &[
                ("action", "save_json"),
                ("json", "{\"format\": 1, \"oops\": true}"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("保存しませんでした"));
    assert_eq!(def().await, d);
    let mut d2 = d.clone();
    d2.intro_ja = Some("本人確認書類を用意してください。".into());
    let json = serde_json::to_string_pretty(&d2).expect("json");
    let r = c
        .post_form(&edit_url, &[("action", "save_json"), ("json", &json)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(def().await, d2);
    // The page shows the preview and no problems; publish.
    let page = c.get(&base).await.body;
    assert!(
        page.contains("プレビュー") && page.contains("問題はありません"),
        "{page}"
    );
    assert!(page.contains("セイ（カタカナ）") || page.contains("婚姻の状況"));
    let r = c.post_form(&format!("{base}/publish"), &[]).await;
    assert_eq!(r.location(), format!("{base}?done=published"));
    // Publishing offers the online switch, and does not flip it.
    let page = c.get(&base).await.body;
    assert!(page.contains("オンライン申請できるようにする"));
    assert!(!procedure(&db, ICHIKAWA, SLUG).await.online);
    let r = c
        .post_form(&format!("{base}/online"), &[("online", "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(procedure(&db, ICHIKAWA, SLUG).await.online);
    assert!(
        audit_actions(&db)
            .await
            .contains(&"procedure.updated".to_owned())
    );
    // A new draft from the live one; the changes read in plain words.
    c.post_form(&format!("{base}/draft"), &[("from", "published")])
        .await;
    c.post_form(
        &edit_url,
        &[
            ("action", "update_field"),
            ("field", "date_1"),
            ("label_ja", "生年月日"),
            ("required", "on"),
        ],
    )
    .await;
    c.post_form(
        &edit_url,
        &[
            ("action", "update_field"),
            ("field", "date_1"),
            ("label_ja", "生年月日"),
        ],
    )
    .await;
    let page = c.get(&base).await.body;
    assert!(
        page.contains("「日付」の項目名を「生年月日」に変更"),
        "{page}"
    );
    assert!(page.contains("「生年月日」を任意に変更"), "{page}");
    // Discard needs the confirmation box.
    let r = c.post_form(&format!("{base}/discard"), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("確認のチェック"));
    let r = c
        .post_form(&format!("{base}/discard"), &[("confirm", "yes")])
        .await;
    assert_eq!(r.location(), format!("{base}?done=discarded"));
    // An archived or published version is shown read-only.
    let page = c.get(&format!("{base}?v=1")).await.body;
    assert!(page.contains("変更できません"));
    assert!(!page.contains("value=\"add_field\""));
    assert_eq!(
        c.get(&format!("{base}?v=7")).await.status,
        StatusCode::NOT_FOUND
    );
    // Editing without a draft is refused, not applied to the published version.
    let r = c.post_form(&edit_url, &[("action", "add_page")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        form_rows(&db, ICHIKAWA, p.id).await,
        vec![(1, "published".into())]
    );
    // The list shows states in words.
    let list = c.get("/staff/forms").await.body;
    assert!(list.contains("公開中") && list.contains("未作成"), "{list}");
    assert_audit_intact(&db).await;
});

db_test!(demo_loading_twice_is_a_no_op, |db: Db| async move {
    madoguchi::demo::load(&db).await.expect("first");
    let shipped = madoguchi::procedures::editor::demo::shipped();
    for (slug, def) in &shipped {
        let Some(p) = pstore::find_by_slug(&db, ICHIKAWA, slug)
            .await
            .expect("read")
        else {
            continue;
        };
        let live = fstore::published(&db, ICHIKAWA, p.id)
            .await
            .expect("read")
            .expect("published");
        assert_eq!(live.version, 1, "{slug}");
        assert_eq!(&live.parsed().expect("def"), def, "{slug}");
        assert!(p.online, "{slug} is online");
    }
    let events = audit_actions(&db).await.len();
    let forms: Vec<(i64,)> = common::fetch_raw(&db, "SELECT COUNT(*) FROM form_versions").await;
    madoguchi::demo::load(&db).await.expect("second");
    assert_eq!(
        audit_actions(&db).await.len(),
        events,
        "second load wrote audit events"
    );
    let again: Vec<(i64,)> = common::fetch_raw(&db, "SELECT COUNT(*) FROM form_versions").await;
    assert_eq!(forms, again);
});

// ---------------------------------------------------------------- CLI

fn run(url: &str, args: &[&str]) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    for (k, _) in std::env::vars() {
        if k.starts_with("MADOGUCHI_") {
            cmd.env_remove(k);
        }
    }
    cmd.args(args);
    if !url.is_empty() {
        cmd.arg("--database-url").arg(url);
    }
    let out = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run madoguchi");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn cli_suite(url: String, db: Db) {
    madoguchi::demo::load(&db).await.expect("demo");
    let dir = tempfile::tempdir().expect("tempdir");
    let p = procedure(&db, ICHIKAWA, SLUG).await;
    versions::import(&db, &Actor::Cli, ICHIKAWA, &p, &good_form(), true)
        .await
        .expect("publish");
    // export
    let out_file = dir.path().join("out.json");
    let out_s = out_file.to_string_lossy().into_owned();
    let (ok, out, err) = run(
        &url,
        &[
            "forms",
            "export",
            "--municipality",
            ICHIKAWA,
            "--procedure",
            SLUG,
            "--out",
            &out_s,
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("out.json"));
    let text = std::fs::read_to_string(&out_file).expect("read");
    let f: file::FormFile = serde_json::from_str(&text).expect("file");
    assert_eq!(f.definition, good_form());
    let (ok, _, err) = run(
        &url,
        &[
            "forms",
            "export",
            "--municipality",
            ICHIKAWA,
            "--procedure",
            "nope",
        ],
    );
    assert!(!ok && err.contains("nope"), "{err}");
    // check
    let (ok, out, _) = run("", &["forms", "check", &out_s]);
    assert!(ok && out.contains("ok"), "{out}");
    let bad = dir.path().join("bad.json");
    let mut b = f.clone();
    b.definition.pages[0].fields[1].label_ja = "マイナンバー".into();
    std::fs::File::create(&bad)
        .expect("create")
        .write_all(file::to_json(&b).as_bytes())
        .expect("write");
    let (ok, _, err) = run("", &["forms", "check", &bad.to_string_lossy()]);
    assert!(!ok && err.contains("個人番号"), "{err}");
    // import into 酒々井町 with --publish (procedure from the file's header), twice.
    let (ok, out, err) = run(
        &url,
        &[
            "forms",
            "import",
            &out_s,
            "--municipality",
            SHISUI,
            "--publish",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("version 1 published"), "{out}");
    let (ok, out, err) = run(
        &url,
        &[
            "forms",
            "import",
            &out_s,
            "--municipality",
            SHISUI,
            "--publish",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("unchanged"), "{out}");
    let sp = procedure(&db, SHISUI, SLUG).await;
    assert_eq!(
        form_rows(&db, SHISUI, sp.id).await,
        vec![(1, "published".into())]
    );
    // A bad file changes nothing.
    let (ok, _, err) = run(
        &url,
        &[
            "forms",
            "import",
            &bad.to_string_lossy(),
            "--municipality",
            SHISUI,
        ],
    );
    assert!(!ok && err.contains("個人番号"), "{err}");
    assert_eq!(
        form_rows(&db, SHISUI, sp.id).await,
        vec![(1, "published".into())]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_cli_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let (ok, _, err) = run(&url, &["migrate"]);
    assert!(ok, "{err}");
    let db = Db::connect(&url).await.expect("connect");
    cli_suite(url, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_cli_on_postgres() {
    let name = common::pg::create_database().await;
    let cluster = common::pg::cluster_async().await;
    let url = format!(
        "postgres://postgres@localhost/{name}?host={}&port={}",
        cluster.dir.display(),
        cluster.port
    );
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    cli_suite(url, db).await;
}
