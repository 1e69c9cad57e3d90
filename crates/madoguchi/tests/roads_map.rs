//! The public road map, list view and ledger sheet pages (docs/roads-map.md), on SQLite and
//! PostgreSQL: search (with full-width input), paging, bad input, 404s for non-public routes,
//! MapLibre served by us with no other host in the page, the optional base map's CSP, and the
//! KPI view counter.

#[macro_use]
mod common;
mod support;

use madoguchi::audit::Actor;
use madoguchi::config::Config;
use madoguchi::db::Db;
use madoguchi::roads::model::{LedgerSheet, Route, Section};
use madoguchi::roads::store::{self, Editor};
use support::{SHISUI_HOST, TestApp};

const M: &str = "123226";

fn route(n: usize, public: bool) -> Route {
    Route {
        road_kind: "municipal".into(),
        route_number: format!("S-{n:03}"),
        name: format!("本佐倉{n}号線"),
        route_class: "2".into(),
        certified_on: "1985-04-01".into(),
        opened_on: Some("1986-04-01".into()),
        start_address: format!("酒々井町本佐倉{n}番地"),
        end_address: "酒々井町上岩橋".into(),
        length_m: 120.0 + n as f64,
        width_min_m: 4.0,
        width_max_m: 5.5,
        public,
        ..Default::default()
    }
}

/// 60 public routes (two list pages), one with a sheet and a section, and one non-public.
async fn seed(db: &Db) -> (Route, Route) {
    let ed = Editor::new(Actor::Cli, "test data");
    let mut tx = db.begin().await.expect("begin");
    let mut first = None;
    for n in 1..=60 {
        let r = store::insert(&mut tx, M, &route(n, true), &ed)
            .await
            .expect("route");
        first.get_or_insert(r);
    }
    let hidden = store::insert(&mut tx, M, &route(999, false), &ed)
        .await
        .expect("hidden");
    let first = first.expect("a route");
    let (x, y) = madoguchi::roads::crs::to_plane(&madoguchi::roads::crs::ZONE_IX, 35.72, 140.27);
    store::insert(
        &mut tx,
        M,
        &Section {
            route_id: first.id,
            section_code: "S-001-001".into(),
            carriageway_width_m: 4.5,
            sidewalk_width_m: 0.0,
            pavement: "concrete".into(),
            sidewalk: "none".into(),
            geometry:
                serde_json::json!({"type":"LineString","coordinates":[[y, x],[y + 120.0, x]]})
                    .to_string(),
            public: true,
            ..Default::default()
        },
        &ed,
    )
    .await
    .expect("section");
    let sheet = LedgerSheet {
        via: vec!["本佐倉".into(), "上岩橋".into()],
        length_actual_m: 121.0,
        width_typical_m: 5.0,
        width_narrowest_m: 4.0,
        bridges: 1,
        remarks: "試験用の調書".into(),
        ..Default::default()
    };
    store::save_sheet(
        &mut tx,
        M,
        first.id,
        None,
        &sheet,
        &Editor::new(Actor::Cli, "correction"),
    )
    .await
    .expect("sheet");
    tx.commit().await.expect("commit");
    (first, hidden)
}

db_test!(list_view_search_and_pages, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let (first, _) = seed(&db).await;
    let mut c = app.client(SHISUI_HOST);
    let r = c.get("/roads/list").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("道路台帳の一覧"));
    assert!(r.body.contains("<th scope=\"row\">S-001</th>"));
    assert!(r.body.contains("page=2"), "60 routes make two pages");
    assert!(!r.body.contains("S-999"), "non-public route listed");
    let p2 = c.get("/roads/list?page=2").await;
    assert_eq!(p2.status, 200);
    assert!(p2.body.contains("S-060") && !p2.body.contains("S-001<"));
    assert!(p2.body.contains("rel=\"prev\""));
    // Full-width digits find the route (NFKC).
    let q = c.get("/roads/list?q=%EF%BC%A3-0%EF%BC%90%EF%BC%91").await; // "Ｃ-0０１" does not match
    assert!(q.body.contains("見つかりませんでした"));
    let q = c.get("/roads/list?q=S-0%EF%BC%90%EF%BC%97").await; // "S-0０７"
    assert!(
        q.body.contains("S-007") && !q.body.contains("S-008"),
        "{}",
        q.body
    );
    // by address
    let q = c
        .get("/roads/list?q=%E6%9C%AC%E4%BD%90%E5%80%8942%E7%95%AA%E5%9C%B0")
        .await; // 本佐倉42番地
    assert!(q.body.contains("S-042"));
    // Bad input: the message names the fix, nothing else changes.
    let bad = c.get("/roads/list?page=0").await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body
            .contains("ページの番号は 1 以上の数字で指定してください。")
    );
    assert!(bad.body.contains("S-001"), "shows the first page");
    let long = "%E3%81%82".repeat(101);
    let bad = c.get(&format!("/roads/list?q={long}")).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("100 文字以内"));
    let _ = first;
});

db_test!(ledger_sheet_page, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let (first, hidden) = seed(&db).await;
    let mut c = app.client(SHISUI_HOST);
    let r = c.get(&format!("/roads/list/{}", first.id)).await;
    assert_eq!(r.status, 200);
    for needle in [
        "道路台帳（調書）: S-001 本佐倉1号線",
        "本佐倉、上岩橋",
        "試験用の調書",
        "S-001-001",
        "コンクリート",
        "市町村道・2級",
        "1985-04-01",
        "印刷日",
    ] {
        assert!(r.body.contains(needle), "{needle} missing");
    }
    assert_eq!(
        c.get(&format!("/roads/list/{}", hidden.id)).await.status,
        404
    );
    assert_eq!(c.get("/roads/list/999999").await.status, 404);
    assert_eq!(c.get("/roads/list/abc").await.status, 404);
    // English
    let en = c
        .get_with(
            &format!("/roads/list/{}", first.id),
            &[("cookie", "lang=en")],
        )
        .await;
    assert!(en.body.contains("Road ledger sheet"));
});

db_test!(map_page_serves_everything_itself, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let (first, hidden) = seed(&db).await;
    let mut c = app.client(SHISUI_HOST);
    let r = c.get("/roads/map").await;
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("/static/vendor/maplibre-gl/maplibre-gl.css")
    );
    assert!(r.body.contains("src=\"/static/js/roads-map.js\""));
    assert!(
        r.body
            .contains("data-tiles=\"/roads/tiles/{z}/{x}/{y}.mvt\"")
    );
    assert!(
        !r.body.contains("data-basemap="),
        "no base map unless configured"
    );
    assert!(
        !r.body.contains("http://") && !r.body.contains("https://"),
        "no other host in the page"
    );
    assert!(r.body.contains("<noscript>"));
    let csp = r
        .headers
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    // The vendored files are served by us, as JavaScript modules.
    for f in ["maplibre-gl.mjs", "maplibre-gl-worker.mjs"] {
        let js = c.get(&format!("/static/vendor/maplibre-gl/{f}")).await;
        assert_eq!(js.status, 200);
        assert!(
            js.headers["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/javascript")
        );
        assert!(js.body.contains("MapLibre"));
    }
    // Search beside the map; a selected route opens on its sections.
    let s = c.get("/roads/map?q=S-05").await;
    assert!(s.body.contains("S-050") && s.body.contains("/roads/map?route="));
    let sel = c.get(&format!("/roads/map?route={}", first.id)).await;
    assert!(
        sel.body
            .contains(&format!("data-selected=\"{}\"", first.id))
    );
    assert!(
        sel.body.contains("data-bbox=\"140.27"),
        "opens on the route"
    );
    let h = c.get(&format!("/roads/map?route={}", hidden.id)).await;
    assert!(
        !h.body.contains("data-selected"),
        "non-public route not selectable"
    );
    // Views are counted for the KPI (map channel); the counter writes in batches every few
    // seconds.
    let mut views: Vec<(i64,)> = Vec::new();
    for _ in 0..40 {
        views = common::fetch_raw(
            &db,
            "SELECT views FROM road_view_counts WHERE municipality_id = '123226' AND channel = 'map'",
        )
        .await;
        if views.first().is_some_and(|v| v.0 >= 4) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(views, vec![(4,)]);
});

db_test!(
    configured_base_map_gets_its_csp_and_credit,
    |db: Db| async move {
        let mut cfg = Config::default();
        cfg.roads_map.basemap_url =
            "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png".into();
        cfg.roads_map.basemap_attribution = "地理院タイル".into();
        let app = TestApp::with_config(db.clone(), cfg).await;
        let mut c = app.client(SHISUI_HOST);
        let r = c.get("/roads/map").await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains(
            "data-basemap=\"https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png\""
        ));
        assert!(r.body.contains("data-basemap-attribution=\"地理院タイル\""));
        let csp = r.headers["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        assert!(
            csp.contains("img-src 'self' data: https://cyberjapandata.gsi.go.jp"),
            "{csp}"
        );
        assert!(
            csp.contains("connect-src 'self' https://cyberjapandata.gsi.go.jp"),
            "{csp}"
        );
        // Other pages keep the strict policy.
        let home = c.get("/").await;
        assert!(
            !home.headers["content-security-policy"]
                .to_str()
                .expect("ascii")
                .contains("gsi")
        );
    }
);

async fn staff<'a>(app: &'a TestApp, host: &'static str, email: &str) -> support::Client<'a> {
    let mut c = app.client(host);
    let r = c
        .post_form(
            "/staff/login",
            &[("email", email), ("password", "demo-password-2026")],
        )
        .await;
    assert_eq!(r.status, 303, "{email} logs in");
    c
}

db_test!(staff_edit_section_on_the_map, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let (first, _) = seed(&db).await;
    let filter = store::Filter {
        route_id: Some(first.id),
        ..Default::default()
    };
    let sec = store::list::<Section>(&db, M, &filter)
        .await
        .expect("list")
        .remove(0);
    let path = format!("/staff/roads/map/sections/{}", sec.id);
    // Not signed in: to the staff login; a resident gets nowhere either.
    let mut anon = app.client(SHISUI_HOST);
    let r = anon.get(&path).await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/staff/login"));

    let mut c = staff(&app, SHISUI_HOST, "admin@town.shisui.example.jp").await;
    let page = c.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/static/js/roads-edit.js"));
    assert!(page.body.contains("S-001-001"));
    let version = sec.version.to_string();
    // Bad input: every field named, nothing stored.
    let bad = c
        .post_form(
            &path,
            &[
                ("version", &version),
                ("vertices", "140.27, 35.72"),
                ("carriageway_width_m", "広い"),
                ("sidewalk_width_m", "1"),
                ("pavement", "gold"),
                ("sidewalk", "none"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    for msg in [
        "頂点は 2 点以上入力してください。",
        "幅員は 0 から 100 までの数字（m）で入力してください。",
        "一覧から選んでください。",
        "変更の理由を 200 文字以内で入力してください。",
    ] {
        assert!(bad.body.contains(msg), "{msg}");
    }
    let unchanged: Section = store::get(&db, M, sec.id).await.expect("get").expect("row");
    assert_eq!(unchanged, sec);

    // A good edit: moved vertices (full-width width digits too), saved with history.
    let dv_before = store::data_version(&db, M).await.expect("dv");
    let ok = c
        .post_form(
            &path,
            &[
                ("version", &version),
                ("vertices", "140.2700, 35.7201\n140.2712, 35.7202\n"),
                ("carriageway_width_m", "５.５"),
                ("sidewalk_width_m", "1.5"),
                ("pavement", "asphalt"),
                ("sidewalk", "one_side"),
                ("reason", "工事竣工による補正"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.location(), format!("{path}?saved=1"));
    let after: Section = store::get(&db, M, sec.id).await.expect("get").expect("row");
    assert_eq!(after.version, sec.version + 1);
    assert_eq!(after.carriageway_width_m, 5.5);
    assert_eq!(after.pavement, "asphalt");
    let text = madoguchi::roads::map_staff::vertices_text(&after.geometry);
    assert!(text.starts_with("140.270000000, 35.720100000"), "{text}");
    assert!(
        store::data_version(&db, M).await.expect("dv") > dv_before,
        "tiles go stale"
    );
    let hist = store::history(&db, M, "section", sec.id)
        .await
        .expect("history");
    assert!(
        hist.iter()
            .any(|h| h.reason == "工事竣工による補正" && h.before_json.is_some())
    );
    let saved = c.get(&format!("{path}?saved=1")).await;
    assert!(saved.body.contains("保存しました"));

    // The same stale version again: a conflict, the latest is shown, nothing overwritten.
    let stale = c
        .post_form(
            &path,
            &[
                ("version", &version),
                ("vertices", "140.2700, 35.7201\n140.2790, 35.7209\n"),
                ("carriageway_width_m", "9"),
                ("sidewalk_width_m", "1.5"),
                ("pavement", "asphalt"),
                ("sidewalk", "one_side"),
                ("reason", "古い画面から"),
            ],
        )
        .await;
    assert_eq!(stale.status, 409);
    assert!(
        stale
            .body
            .contains("ほかの職員がこの区間を先に保存しました。")
    );
    let still: Section = store::get(&db, M, sec.id).await.expect("get").expect("row");
    assert_eq!(still, after);
    // Staff of a department without road editing (市民課): 404, as for no such page.
    let mut other = staff(
        &app,
        support::ICHIKAWA_HOST,
        "shimin@city.ichikawa.example.jp",
    )
    .await;
    assert_eq!(other.get(&path).await.status, 404);
    assert_eq!(other.get("/staff/roads/map/sections/1").await.status, 404);
});
