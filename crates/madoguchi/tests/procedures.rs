//! The procedure catalogue (issue 3, Catalogue) through the whole HTTP stack, on SQLite and
//! PostgreSQL: search that forgives width, kana and 旧字, filters, detail and apply pages,
//! the JSON API, the plan 1-1 KPI, municipality isolation and audited writes.

#[macro_use]
mod common;
mod support;

use axum::http::StatusCode;
use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::procedures::{self, SaveError, Saved};
use sea_query::ExprTrait;
use support::*;

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Names of the procedures on a list page, in order (the card headings).
fn names(body: &str) -> Vec<String> {
    body.split("<h3 class=\"card__title\"><a href=\"/procedures/")
        .skip(1)
        .filter_map(|s| {
            let start = s.find('>')? + 1;
            let end = s.find("</a>")?;
            Some(s[start..end].to_owned())
        })
        .collect()
}

async fn api_id(c: &mut Client<'_>, slug: &str) -> i64 {
    let all = c.get("/api/v1/procedures").await.json();
    all.as_array()
        .expect("array")
        .iter()
        .find(|p| p["slug"] == slug)
        .and_then(|p| p["id"].as_i64())
        .unwrap_or_else(|| panic!("no {slug}"))
}

db_test!(search_forgives_width_kana_and_kyuji, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    for q in [
        "ｼﾞﾄﾞｳﾃｱﾃ",
        "じどうてあて",
        "ジドウテアテ",
        "兒童手當",
        "児童手当",
        "児童　手当",
        "ＪＩＤＯ",
    ] {
        // ＪＩＤＯ is not in any text: it must find nothing, the others must find 児童手当.
        let r = c.get(&format!("/procedures?q={}", enc(q))).await;
        assert_eq!(r.status, StatusCode::OK, "{q}");
        let found = names(&r.body);
        if q == "ＪＩＤＯ" {
            assert!(found.is_empty(), "{q}: {found:?}");
            assert!(r.body.contains("条件に合う手続きが見つかりませんでした"));
            continue;
        }
        assert!(
            found.iter().any(|n| n == "児童手当の認定請求"),
            "{q}: {found:?}"
        );
        // One token must match as a whole; two tokens may also find 児童扶養手当.
        if !q.contains('　') {
            assert!(
                found.iter().all(|n| n.contains("児童手当")),
                "{q} found unrelated procedures: {found:?}"
            );
        }
        // The query is shown back in the box.
        assert!(r.body.contains(&format!("value=\"{}\"", q.trim())), "{q}");
    }
    // 旧字 in the name of a procedure: 罹災證明書 finds 罹災証明書.
    let found = names(
        &c.get(&format!("/procedures?q={}", enc("罹災證明書")))
            .await
            .body,
    );
    assert_eq!(found, vec!["罹災証明書の発行申請"]);
    // Long vowel typed sloppily: ｻｰﾋﾞｽ finds 高額介護（予防）サービス費.
    let found = names(
        &c.get(&format!("/procedures?q={}", enc("ｻｰﾋﾞｽ費")))
            .await
            .body,
    );
    assert_eq!(found, vec!["高額介護（予防）サービス費の支給申請"]);
    // Wildcards are literal characters, not patterns.
    // ("!" alone is punctuation: it normalises to nothing and lists everything.)
    for q in ["%", "_", "%%_", "_!%"] {
        let found = names(&c.get(&format!("/procedures?q={}", enc(q))).await.body);
        assert!(found.is_empty(), "{q}: {found:?}");
    }
    // The API searches the same way.
    let api = c
        .get(&format!("/api/v1/procedures?q={}", enc("ｼﾞﾄﾞｳﾃｱﾃ")))
        .await
        .json();
    let slugs: Vec<&str> = api
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|p| p["slug"].as_str())
        .collect();
    assert!(slugs.contains(&"jido-teate-nintei"), "{slugs:?}");
    assert!(!slugs.contains(&"juminhyo"), "{slugs:?}");
});

db_test!(filters_by_life_event_and_online, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let all = names(&c.get("/procedures").await.body);
    assert!(all.len() >= 20, "{all:?}");
    // 五十音順: sorted by reading, so いぬのとうろく comes before じゅうみんひょう….
    let pos = |n: &str| all.iter().position(|x| x == n).expect(n);
    assert!(pos("犬の登録") < pos("住民票の写しの交付請求"));
    assert!(pos("住民票の写しの交付請求") < pos("要介護・要支援認定の申請"));

    // Care: the 介護 procedures, and not childcare ones (the tag "care" is inside "childcare").
    let care = names(&c.get("/procedures?life_event=care").await.body);
    assert!(
        care.contains(&"要介護・要支援認定の申請".to_owned()),
        "{care:?}"
    );
    assert!(!care.iter().any(|n| n.contains("保育")), "{care:?}");
    let r = c.get("/procedures?life_event=care").await;
    assert!(r.body.contains("<option value=\"care\" selected>"));

    // Online only: no 来庁 badge among the results, and fewer results than everything.
    let r = c.get("/procedures?online=1").await;
    let online = names(&r.body);
    assert!(!online.is_empty() && online.len() < all.len());
    assert!(
        !r.body.contains("data-type=\"in-person\""),
        "in-person card shown"
    );
    assert!(r.body.contains("name=\"online\" value=\"1\" checked"));
    assert!(!online.contains(&"転入届".to_owned()));
    // Both filters with a query.
    let r = c
        .get(&format!(
            "/procedures?q={}&life_event=childcare&online=1",
            enc("ほいく")
        ))
        .await;
    assert_eq!(
        names(&r.body),
        vec!["保育施設等の現況届", "保育施設等の利用申込"]
    );
    // An unknown life event is ignored, not an error.
    let r = c.get("/procedures?life_event=bogus").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(names(&r.body).len(), all.len());

    // The API filters the same and refuses what it cannot read.
    let api = c
        .get("/api/v1/procedures?online=false&life_event=move_in")
        .await
        .json();
    let list = api.as_array().expect("array");
    assert!(!list.is_empty());
    for p in list {
        assert_eq!(p["online"], false, "{p}");
        assert!(
            p["life_events"]
                .as_array()
                .expect("tags")
                .contains(&serde_json::json!("move_in")),
            "{p}"
        );
    }
    for bad in [
        "/api/v1/procedures?life_event=bogus",
        "/api/v1/procedures?online=maybe",
    ] {
        let r = c.get(bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(r.json()["error"]["code"], "bad_request", "{bad}");
    }
});

db_test!(detail_and_apply_pages, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c.get("/procedures/juminhyo").await;
    assert_eq!(r.status, StatusCode::OK);
    for text in [
        "<h1>住民票の写しの交付請求</h1>",
        "オンラインで申請できます",
        "市民課",
        "本人または同一世帯の方",
        "<li>マイナンバーカード（署名用電子証明書が有効なもの）</li>",
        "住民基本台帳法第12条",
        "手数料 300円",
        "標準処理期間 即日",
        "マイナンバーカードでの本人確認が必要",
        "href=\"/procedures?life_event=move_in\"",
        "href=\"/procedures/juminhyo/apply\"",
        "オンラインで申請する",
    ] {
        assert!(r.body.contains(text), "detail lacks {text}");
    }
    assert_eq!(r.body.matches("<h1").count(), 1);
    // The apply page says honestly that the form is not there yet.
    let r = c.get("/procedures/juminhyo/apply").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("この手続きのオンライン申請は準備中です"));

    // An in-person procedure: no apply button, a clear note instead.
    let r = c.get("/procedures/tennyu").await;
    assert!(r.body.contains("来庁が必要です"));
    assert!(r.body.contains("オンラインでは申請できません"));
    assert!(!r.body.contains("/procedures/tennyu/apply"));
    assert!(r.body.contains("無料"));
    // Free, no login, unassigned department, no standard period wording checks.
    let r = c.get("/procedures/sodai-gomi").await;
    assert!(r.body.contains("ログイン不要") && r.body.contains("確認中"));
    let r = c.get("/procedures/hoiku-genkyo").await;
    assert!(r.body.contains("ログインが必要"));
    let r = c.get("/procedures/inu-toroku").await;
    assert!(r.body.contains("手数料 3,000円"));

    // Unknown procedure: a Japanese 404 page.
    for path in ["/procedures/no-such", "/procedures/no-such/apply"] {
        let r = c.get(path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert!(r.body.contains("お探しのページが見つかりません"), "{path}");
        assert!(r.body.contains("<html lang=\"ja\""));
    }

    // English: names and summaries in English, the Japanese-only parts marked lang="ja".
    c.cookies.insert("lang".into(), "en".into());
    let r = c.get("/procedures/juminhyo").await;
    assert!(r.body.contains("<html lang=\"en\""));
    assert!(
        r.body
            .contains("Request for a copy of the residence record")
    );
    assert!(r.body.contains("Fee: ¥300"));
    assert!(r.body.contains("<dd lang=\"ja\">"));

    // The catalogue is reachable from the home page and the header.
    c.cookies.remove("lang");
    let r = c.get("/").await;
    assert!(r.body.matches("href=\"/procedures\"").count() >= 2);
    let r = c.get("/procedures").await;
    assert!(
        r.body
            .contains("href=\"/procedures\" aria-current=\"page\"")
    );
    assert!(r.body.contains("role=\"search\""));
    assert!(
        r.body
            .contains("<label class=\"dads-form-control-label__label\" for=\"f-q\">")
    );
});

db_test!(
    municipalities_see_only_their_catalogue,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut i = app.client(ICHIKAWA_HOST);
        let mut s = app.client(SHISUI_HOST);
        // A procedure only 市川市 has is not on 酒々井町's host, page or API.
        assert_eq!(
            i.get("/procedures/kaigo-nintei").await.status,
            StatusCode::OK
        );
        let r = s.get("/procedures/kaigo-nintei").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.body.contains("お探しのページが見つかりません"));
        let kaigo = api_id(&mut i, "kaigo-nintei").await;
        let r = i.get(&format!("/api/v1/procedures/{kaigo}")).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = s.get(&format!("/api/v1/procedures/{kaigo}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.json()["error"]["code"], "not_found");
        // Searching 酒々井町 never returns 市川市's rows.
        let found = names(
            &s.get(&format!("/procedures?q={}", enc("かいご")))
                .await
                .body,
        );
        assert!(found.is_empty(), "{found:?}");
        let all = s.get("/api/v1/procedures").await.json();
        let all = all.as_array().expect("array");
        assert_eq!(all.len(), 5);
        assert!(all.iter().all(|p| p["municipality"] == "123226"));
        // The same slug is a different procedure in each town.
        let r = s.get("/procedures/juminhyo").await;
        assert!(r.body.contains("住民課") && r.body.contains("来庁が必要です"));
        assert!(!r.body.contains("市民課"));
        let shisui_jumin = api_id(&mut s, "juminhyo").await;
        assert_ne!(shisui_jumin, api_id(&mut i, "juminhyo").await);
        assert_eq!(
            i.get(&format!("/api/v1/procedures/{shisui_jumin}"))
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // A malformed id is a JSON 400, not a page.
        let r = i.get("/api/v1/procedures/abc").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["error"]["code"], "bad_request");
    }
);

db_test!(api_json_shape_and_openapi, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let id = api_id(&mut c, "juminhyo").await;
    let r = c.get(&format!("/api/v1/procedures/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"))
    );
    let p = r.json();
    assert_eq!(p["id"], id);
    assert_eq!(p["municipality"], "122033");
    assert_eq!(p["slug"], "juminhyo");
    assert_eq!(p["name_ja"], "住民票の写しの交付請求");
    assert_eq!(
        p["reading_ja"],
        "じゅうみんひょうのうつしのこうふせいきゅう"
    );
    assert_eq!(p["department"]["code"], "shimin");
    assert_eq!(p["department"]["name_ja"], "市民課");
    assert_eq!(p["fee_yen"], 300);
    assert_eq!(p["processing_days"], 0);
    assert_eq!(p["identity_level"], "card");
    assert_eq!(p["online"], true);
    assert_eq!(p["life_events"], serde_json::json!(["move_in", "business"]));
    assert!(p["documents_ja"].as_array().is_some_and(|d| d.len() == 1));
    assert!(p["updated_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    let keys: Vec<&String> = p.as_object().expect("object").keys().collect();
    assert_eq!(keys.len(), 18, "{keys:?}");
    // Unassigned department and free fee are null.
    let id = api_id(&mut c, "sodai-gomi").await;
    let p = c.get(&format!("/api/v1/procedures/{id}")).await.json();
    assert!(p["department"].is_null() && p["fee_yen"].is_null());
    assert_eq!(p["identity_level"], "none");

    let doc = c.get("/api/v1/openapi.json").await.json();
    for path in [
        "/api/v1/procedures",
        "/api/v1/procedures/{id}",
        "/api/v1/kpi/procedures-online",
    ] {
        assert!(
            doc["paths"][path]["get"].is_object(),
            "OpenAPI lacks {path}"
        );
    }
    for schema in ["Procedure", "OnlineKpi", "LifeEvent", "IdentityLevel"] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "OpenAPI lacks {schema}"
        );
    }
});

db_test!(kpi_is_counted_from_the_catalogue, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let all = c.get("/api/v1/procedures").await.json();
    let all = all.as_array().expect("array").clone();
    let online = all.iter().filter(|p| p["online"] == true).count() as i64;
    let k = c.get("/api/v1/kpi/procedures-online").await.json();
    assert_eq!(
        k,
        serde_json::json!({
            "municipality": "122033",
            "online": online,
            "total": all.len(),
            "target": 173,
            "baseline": 73,
        })
    );
    // Change the data: the KPI follows.
    common::exec(
        &db,
        "UPDATE procedures SET online = FALSE WHERE municipality_id = '122033' AND slug = 'juminhyo'",
    )
    .await;
    let k = c.get("/api/v1/kpi/procedures-online").await.json();
    assert_eq!(k["online"], online - 1);
    assert_eq!(k["total"], all.len());
    common::exec(
        &db,
        "UPDATE procedures SET online = TRUE WHERE municipality_id = '122033' AND slug IN ('tennyu', 'tenkyo')",
    )
    .await;
    let k = c.get("/api/v1/kpi/procedures-online").await.json();
    assert_eq!(k["online"], online + 1);
    // 酒々井町 has its own count and no plan figures.
    let mut s = app.client(SHISUI_HOST);
    let k = s.get("/api/v1/kpi/procedures-online").await.json();
    assert_eq!(k["municipality"], "123226");
    assert_eq!(k["total"], 5);
    assert_eq!(k["online"], 2);
    assert!(k["target"].is_null() && k["baseline"].is_null());
});

db_test!(writes_are_audited_and_idempotent, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let created = audit_actions(&db)
        .await
        .iter()
        .filter(|a| *a == "procedure.created")
        .count();
    let demo_count = procedures::demo::drafts().len();
    assert!(
        demo_count > 30,
        "the demo catalogue should hold both towns' procedures"
    );
    assert_eq!(created, demo_count);
    // Loading the demo again writes nothing.
    madoguchi::demo::load(&db).await.expect("demo again");
    let actions = audit_actions(&db).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| a.starts_with("procedure."))
            .count(),
        demo_count
    );

    // A change is saved, searchable at once, and audited with before and after.
    let (_, mut d) = procedures::demo::drafts()
        .into_iter()
        .find(|(m, d)| *m == "122033" && d.slug == "inu-toroku")
        .expect("draft");
    d.online = true;
    d.name_ja = "犬の登録（鑑札の交付）".into();
    let saved = procedures::save(&db, &Actor::Cli, "122033", &d)
        .await
        .expect("save");
    assert!(matches!(saved, Saved::Updated(_)), "{saved:?}");
    assert_eq!(
        procedures::save(&db, &Actor::Cli, "122033", &d)
            .await
            .expect("again"),
        match saved {
            Saved::Updated(id) => Saved::Unchanged(id),
            other => other,
        }
    );
    let mut c = app.client(ICHIKAWA_HOST);
    let found = names(
        &c.get(&format!("/procedures?q={}", enc("カンサツ")))
            .await
            .body,
    );
    assert!(found.is_empty(), "the reading was not changed: {found:?}");
    let found = names(
        &c.get(&format!("/procedures?q={}", enc("鑑札の交付")))
            .await
            .body,
    );
    assert_eq!(found, vec!["犬の登録（鑑札の交付）"]);
    #[derive(sqlx::FromRow)]
    struct Ev {
        detail: String,
    }
    let ev: Vec<Ev> = db
        .fetch_all(
            sea_query::Query::select()
                .column(sea_query::Alias::new("detail"))
                .from(sea_query::Alias::new("audit_events"))
                .and_where(
                    sea_query::Expr::col(sea_query::Alias::new("action")).eq("procedure.updated"),
                ),
        )
        .await
        .expect("events");
    assert_eq!(ev.len(), 1);
    let detail: serde_json::Value = serde_json::from_str(&ev[0].detail).expect("json");
    assert_eq!(detail["changed"]["online"]["before"], false);
    assert_eq!(detail["changed"]["online"]["after"], true);
    assert_eq!(
        detail["changed"]["name_ja"]["after"],
        "犬の登録（鑑札の交付）"
    );
    assert!(detail["changed"].get("fee_yen").is_none());

    // Another municipality's 課 cannot be named; bad drafts are refused with field names.
    let (_, mut d) = procedures::demo::drafts()
        .into_iter()
        .find(|(m, _)| *m == "123226")
        .expect("shisui draft");
    d.department = Some("kaigo".into());
    assert!(matches!(
        procedures::save(&db, &Actor::Cli, "123226", &d).await,
        Err(SaveError::UnknownDepartment(code)) if code == "kaigo"
    ));
    d.department = None;
    d.slug = "Not A Slug".into();
    match procedures::save(&db, &Actor::Cli, "123226", &d).await {
        Err(SaveError::Invalid(p)) => assert_eq!(p[0].0, "slug"),
        other => panic!("{other:?}"),
    }
    // The CHECK constraint guards identity levels even against raw SQL.
    assert!(
        db.execute_raw("UPDATE procedures SET identity_level = 'maybe' WHERE slug = 'juminhyo'")
            .await
            .is_err()
    );
    assert_audit_intact(&db).await;
});
