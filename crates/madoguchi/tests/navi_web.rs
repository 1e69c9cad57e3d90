//! 手続きナビ on the web, in the API, in the staff editor and in counter mode (issue 5), on
//! SQLite and PostgreSQL: the resident walks a flow with GET forms only (answers in the query
//! string), the API gives the same steps, staff versions are refused while a path has no
//! outcome or a question is unreachable, and counter-mode ticks are stored and audited.

#[macro_use]
mod common;
mod support;

use axum::http::StatusCode;
use madoguchi::db::Db;
use madoguchi::demo::{ICHIKAWA, PASSWORD};
use madoguchi::navi::{model, store, versions};
use support::*;

const SHUSSEI_DONE: &str =
    "/navi/shussei?date=2026-04-01&insurance=kokuho&direct=yes&weight=no&koumuin=no";

async fn staff_client<'a>(app: &'a TestApp, email: &str) -> Client<'a> {
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c
        .post_form("/staff/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "login {email}: {}", r.body);
    c
}

db_test!(
    a_resident_walks_shussei_with_get_forms,
    |db: Db| async move {
        let app = TestApp::demo(db).await;
        let mut c = app.client(ICHIKAWA_HOST);
        let r = c.get("/navi").await;
        assert_eq!(r.status, StatusCode::OK);
        for e in model::EVENTS {
            assert!(r.body.contains(&format!("href=\"/navi/{e}\"")), "{e}");
        }
        // Start page: the date, as a GET form.
        let r = c.get("/navi/shussei").await;
        assert!(r.body.contains("赤ちゃんが生まれた日"), "{}", r.body);
        assert!(r.body.contains("method=\"get\""));
        // A bad date: a message naming the field and the fix; nothing else changes.
        let r = c.get("/navi/shussei?date=2026-13-45").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("年-月-日で入力してください"), "{}", r.body);
        // First question, one at a time.
        let r = c.get("/navi/shussei?date=2026-04-01").await;
        assert!(r.body.contains("赤ちゃんが入る健康保険は"), "{}", r.body);
        assert!(r.body.contains("name=\"insurance\""));
        assert!(r.body.contains("わからない"));
        // The second page carries the first answer in a hidden field.
        let r = c
            .get("/navi/shussei?date=2026-04-01&insurance=kokuho")
            .await;
        assert!(r.body.contains("直接支払制度"));
        assert!(
            r.body.contains("name=\"insurance\" value=\"kokuho\""),
            "{}",
            r.body
        );
        // The checklist.
        let r = c.get(SHUSSEI_DONE).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("出生届"));
        assert!(
            r.body.contains("2026年4月14日（火）"),
            "出生届 by 4/14: {}",
            r.body
        );
        assert!(r.body.contains("2026年4月16日（木）"), "児童手当 by 4/16");
        // Online in the demo catalogue → the apply link; 出生届 is not online → 来庁が必要.
        assert!(
            r.body
                .contains("href=\"/procedures/jido-teate-nintei/apply\"")
        );
        assert!(r.body.contains("来庁が必要"));
        assert!(
            r.body.contains("/static/css/navi.css"),
            "the print stylesheet"
        );
        // The answers, each with a link that asks it again.
        assert!(
            r.body.contains(
                "/navi/shussei?date=2026-04-01&amp;insurance=kokuho&amp;direct=yes&amp;weight=no\""
            ) || r.body.contains(
                "/navi/shussei?date=2026-04-01&#38;insurance=kokuho&#38;direct=yes&#38;weight=no\""
            ),
            "{}",
            r.body
        );
        // English.
        c.cookies.insert("lang".into(), "en".into());
        let r = c.get(SHUSSEI_DONE).await;
        assert!(r.body.contains("Birth registration"), "{}", r.body);
        assert!(r.body.contains("Tue 14 April 2026"));
        // An unknown event.
        assert_eq!(c.get("/navi/nope").await.status, StatusCode::NOT_FOUND);
    }
);

db_test!(the_api_gives_the_same_steps, |db: Db| async move {
    let app = TestApp::demo(db).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c.get("/api/v1/navi/events").await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let events: Vec<&str> = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(events, model::EVENTS.to_vec());
    assert_eq!(
        v[0]["version"], 1,
        "the demo published the shipped flows as version 1"
    );
    let r = c.get("/api/v1/navi/events/shibo").await;
    let v = r.json();
    assert_eq!(v["start"], "setainushi");
    assert_eq!(v["questions"].as_array().map(Vec::len), Some(6));
    let r = c
        .get("/api/v1/navi/events/shibo/checklist?setainushi=yes&date=2026-02-25")
        .await;
    let v = r.json();
    assert_eq!(v["kind"], "question");
    assert_eq!(v["next_question"]["id"], "insurance");
    let r = c
        .get("/api/v1/navi/events/shibo/checklist?setainushi=yes&insurance=kokuho&kaigo=no&pension=no&techo=no&jidoteate=no&date=2026-02-25")
        .await;
    let v = r.json();
    assert_eq!(v["kind"], "checklist", "{v}");
    assert_eq!(v["checklist"][0]["id"], "shibo");
    assert_eq!(v["checklist"][0]["due"], "2026-03-03");
    assert_eq!(v["checklist"][0]["visit_required"], true);
    assert_eq!(v["checklist"][1]["due"], "2026-03-11");
    assert!(
        v["web_path"]
            .as_str()
            .expect("path")
            .starts_with("/navi/shibo?date=2026-02-25&setainushi=yes")
    );
    let r = c
        .get("/api/v1/navi/events/shibo/checklist?date=tomorrow")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("年-月-日")
    );
    assert_eq!(
        c.get("/api/v1/navi/events/nope").await.status,
        StatusCode::NOT_FOUND
    );
    let doc = c.get("/api/v1/openapi.json").await.json();
    assert!(doc["paths"]["/api/v1/navi/events/{event}/checklist"].is_object());
});

db_test!(
    publishing_refuses_unreachable_questions_and_empty_outcomes,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut admin = staff_client(&app, "admin@city.ichikawa.example.jp").await;
        let r = admin.get("/staff/navi").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("/staff/navi/tenkyo"));
        let r = admin.post_form("/staff/navi/tenkyo/draft", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let draft = store::draft(&db, ICHIKAWA, "tenkyo")
            .await
            .expect("db")
            .expect("draft");
        assert_eq!(draft.version, 2);
        let rev = draft.updated_at.to_string();
        // Not JSON: refused with the reason, nothing saved.
        let r = admin
            .post_form(
                "/staff/navi/tenkyo/save",
                &[("definition", "{not json"), ("rev", &rev)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("データ（JSON）を読めませんでした"),
            "{}",
            r.body
        );
        // A change that strands the `school` question: saved (a draft may have problems)…
        let mut flow = model::shipped("tenkyo").expect("shipped");
        for o in &mut flow.questions[2].options {
            o.next = None;
        }
        let r = admin
            .post_form(
                "/staff/navi/tenkyo/save",
                &[("definition", &flow.to_json_pretty()), ("rev", &rev)],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = admin.get("/staff/navi/tenkyo").await;
        assert!(
            r.body.contains("どの答えからもたどり着けない質問です"),
            "{}",
            r.body
        );
        // …but publishing it is refused.
        let r = admin.post_form("/staff/navi/tenkyo/publish", &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("<code>school</code>"), "{}", r.body);
        assert_eq!(
            store::published(&db, ICHIKAWA, "tenkyo")
                .await
                .expect("db")
                .map(|p| p.version),
            Some(1)
        );
        // A rule that leaves a path without any procedure is refused too (directly, same check).
        let mut empty = model::shipped("tenkyo").expect("shipped");
        empty.procedures[0].when = Some(model::Cond::Answer {
            q: "card".into(),
            is: vec!["yes".into()],
        });
        let draft = store::draft(&db, ICHIKAWA, "tenkyo")
            .await
            .expect("db")
            .expect("draft");
        let actor = madoguchi::audit::Actor::Cli;
        assert!(
            versions::save_draft(
                &db,
                &actor,
                ICHIKAWA,
                "tenkyo",
                &empty.to_json_pretty(),
                draft.updated_at
            )
            .await
            .expect("saved")
        );
        match versions::publish(&db, &actor, ICHIKAWA, "tenkyo").await {
            Err(versions::VersionError::Problems(p)) => {
                assert!(
                    p.iter().any(|p| p.key == "navi.problem.no_outcome"),
                    "{p:?}"
                )
            }
            other => panic!("publish must be refused: {other:?}"),
        }
        // A good change: the question reworded, preview, publish, residents see it.
        let mut good = model::shipped("tenkyo").expect("shipped");
        good.questions[0].text_ja = "マイナンバーカードを持っていますか？（改訂）".into();
        let draft = store::draft(&db, ICHIKAWA, "tenkyo")
            .await
            .expect("db")
            .expect("draft");
        let r = admin
            .post_form(
                "/staff/navi/tenkyo/save",
                &[
                    ("definition", &good.to_json_pretty()),
                    ("rev", &draft.updated_at.to_string()),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = admin.get("/staff/navi/tenkyo/preview?date=").await;
        assert!(
            r.body.contains("（改訂）") && r.body.contains("プレビュー"),
            "{}",
            r.body
        );
        let mut resident = app.client(ICHIKAWA_HOST);
        assert!(
            !resident
                .get("/navi/tenkyo?date=")
                .await
                .body
                .contains("（改訂）")
        );
        let r = admin.post_form("/staff/navi/tenkyo/publish", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(
            resident
                .get("/navi/tenkyo?date=")
                .await
                .body
                .contains("（改訂）")
        );
        let states: Vec<(i64, String)> = store::versions(&db, ICHIKAWA, "tenkyo")
            .await
            .expect("db")
            .into_iter()
            .map(|v| (v.version, v.state))
            .collect();
        assert_eq!(
            states,
            vec![(2, "published".into()), (1, "archived".into())]
        );
        let actions = audit_actions(&db).await;
        for a in ["navi.draft_created", "navi.draft_saved", "navi.published"] {
            assert!(actions.iter().any(|x| x == a), "{a} audited: {actions:?}");
        }
        // A DX推進員 sees the editor but may not change it.
        let mut dx = staff_client(&app, "dx@city.ichikawa.example.jp").await;
        assert!(
            dx.get("/staff/navi/shibo")
                .await
                .body
                .contains("閲覧のみです")
        );
        assert_eq!(
            dx.post_form("/staff/navi/shibo/draft", &[]).await.status,
            StatusCode::FORBIDDEN
        );
        // Residents and anonymous visitors get no staff page.
        assert!(
            app.client(ICHIKAWA_HOST)
                .get("/staff/navi")
                .await
                .location()
                .starts_with("/staff/login")
        );
        assert_audit_intact(&db).await;
    }
);

db_test!(
    counter_mode_stores_ticks_with_the_visit,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut clerk = staff_client(&app, "shimin@city.ichikawa.example.jp").await;
        let r = clerk
        .get("/staff/navi/counter/shibo?date=2026-02-25&setainushi=yes&insurance=kokuho&kaigo=no&pension=no&techo=no&jidoteate=no")
        .await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("来庁記録を作成"), "{}", r.body);
        let r = clerk
            .post_form(
                "/staff/navi/counter/visits",
                &[
                    ("event", "shibo"),
                    (
                        "answers",
                        "setainushi=yes&insurance=kokuho&kaigo=no&pension=no&techo=no&jidoteate=no",
                    ),
                    ("date", "2026-02-25"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let visit_path = r.location().to_owned();
        assert!(visit_path.starts_with("/staff/navi/counter/visits/"));
        // Unfinished answers make no visit.
        let r = clerk
            .post_form(
                "/staff/navi/counter/visits",
                &[
                    ("event", "shibo"),
                    ("answers", "setainushi=yes"),
                    ("date", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = clerk.get(&visit_path).await;
        assert!(
            r.body.contains("name=\"done\" value=\"shibo\""),
            "{}",
            r.body
        );
        let r = clerk
            .post_form(&visit_path, &[("done", "shibo"), ("done", "setainushi")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let id: i64 = visit_path
            .rsplit('/')
            .next()
            .and_then(|s| s.parse().ok())
            .expect("id");
        let mut done: Vec<String> = store::done_items(&db, id)
            .await
            .expect("db")
            .into_iter()
            .map(|d| d.procedure_id)
            .collect();
        done.sort();
        assert_eq!(done, vec!["setainushi", "shibo"]);
        let r = clerk.get(&visit_path).await;
        assert!(r.body.contains("value=\"shibo\" checked"), "{}", r.body);
        // Untick one; a procedure not on this visit's list is refused and changes nothing.
        clerk.post_form(&visit_path, &[("done", "shibo")]).await;
        let r = clerk
            .post_form(&visit_path, &[("done", "shibo"), ("done", "tennyu")])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let done: Vec<String> = store::done_items(&db, id)
            .await
            .expect("db")
            .into_iter()
            .map(|d| d.procedure_id)
            .collect();
        assert_eq!(done, vec!["shibo"]);
        let actions = audit_actions(&db).await;
        assert_eq!(
            actions.iter().filter(|a| *a == "navi.visit_ticked").count(),
            2
        );
        assert!(actions.iter().any(|a| a == "navi.visit_created"));
        // Another municipality's staff cannot open it.
        let mut shisui = app.client(SHISUI_HOST);
        let r = shisui
            .post_form(
                "/staff/login",
                &[
                    ("email", "admin@town.shisui.example.jp"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(shisui.get(&visit_path).await.status, StatusCode::NOT_FOUND);
        assert_audit_intact(&db).await;
    }
);

db_test!(line_event_ids_are_remembered_once, |db: Db| async move {
    common::seed_municipality(&db, ICHIKAWA, "市川市", "Ichikawa").await;
    let mut tx = db.begin().await.expect("tx");
    assert!(
        store::remember_line_event(&mut tx, ICHIKAWA, "01JABCDEF", "message")
            .await
            .expect("db")
    );
    assert!(
        !store::remember_line_event(&mut tx, ICHIKAWA, "01JABCDEF", "message")
            .await
            .expect("db")
    );
    tx.commit().await.expect("commit");
    assert_eq!(store::line_event_count(&db, ICHIKAWA).await.expect("db"), 1);
    // Loading the shipped flows twice publishes them once.
    assert_eq!(versions::load_shipped(&db, ICHIKAWA).await.expect("db"), 7);
    assert_eq!(versions::load_shipped(&db, ICHIKAWA).await.expect("db"), 0);
});
