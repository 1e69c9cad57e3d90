//! The staff forms of the road ledger (docs/roads.md, "Staff editing"), on SQLite and
//! PostgreSQL: the route list with search, the route form and the 調書 form (validation that
//! names the field with nothing changed, saves with history and audit, a stale form refused
//! with 409), the history pages with field-level before → after in Japanese and English, and
//! who may see them.

#[macro_use]
mod common;
mod support;

use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::roads::model::{LedgerSheet, Route, Section};
use madoguchi::roads::store::{self, Editor};
use support::{ICHIKAWA_HOST, SHISUI_HOST, TestApp};

const M: &str = "123226";
const ADMIN: &str = "admin@town.shisui.example.jp";

fn route(n: usize) -> Route {
    Route {
        road_kind: "municipal".into(),
        route_number: format!("S-{n:03}"),
        name: format!("本佐倉{n}号線"),
        route_class: "2".into(),
        certified_on: "1985-04-01".into(),
        opened_on: None,
        start_address: format!("酒々井町本佐倉{n}番地"),
        end_address: "酒々井町上岩橋".into(),
        length_m: 120.0,
        width_min_m: 4.0,
        width_max_m: 5.5,
        public: true,
        ..Default::default()
    }
}

/// Three routes; the first with a section and a 調書 (version 1).
async fn seed(db: &Db) -> (Route, Route, Section) {
    let ed = Editor::new(Actor::Cli, "test data");
    let mut tx = db.begin().await.expect("begin");
    let mut routes = Vec::new();
    for n in 1..=3 {
        routes.push(
            store::insert(&mut tx, M, &route(n), &ed)
                .await
                .expect("route"),
        );
    }
    let (x, y) = madoguchi::roads::crs::to_plane(&madoguchi::roads::crs::ZONE_IX, 35.72, 140.27);
    let sec = store::insert(
        &mut tx,
        M,
        &Section {
            route_id: routes[0].id,
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
        via: vec!["本佐倉".into()],
        length_actual_m: 120.0,
        width_typical_m: 5.0,
        width_narrowest_m: 4.0,
        remarks: "最初の調書".into(),
        ..Default::default()
    };
    store::save_sheet(
        &mut tx,
        M,
        routes[0].id,
        None,
        &sheet,
        &Editor::new(Actor::Cli, "import"),
    )
    .await
    .expect("sheet");
    tx.commit().await.expect("commit");
    (routes[0].clone(), routes[1].clone(), sec)
}

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

/// The route form's fields for `r`, with overrides.
fn route_fields(r: &Route, over: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let mut f: Vec<(&'static str, String)> = vec![
        ("version", r.version.to_string()),
        ("route_number", r.route_number.clone()),
        ("name", r.name.clone()),
        ("road_kind", r.road_kind.clone()),
        ("route_class", r.route_class.clone()),
        ("certified_on", r.certified_on.clone()),
        ("opened_on", String::new()),
        ("start_address", r.start_address.clone()),
        ("end_address", r.end_address.clone()),
        ("length_m", r.length_m.to_string()),
        ("width_min_m", r.width_min_m.to_string()),
        ("width_max_m", r.width_max_m.to_string()),
        ("public", "1".into()),
        ("reason", "認定変更の告示（第3号）による".into()),
    ];
    for (k, v) in over {
        f.retain(|(n, _)| n != k);
        if *v != "<absent>" {
            f.push((k, (*v).to_owned()));
        }
    }
    f
}

async fn post(
    c: &mut support::Client<'_>,
    path: &str,
    f: &[(&'static str, String)],
) -> support::Resp {
    let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    c.post_form(path, &pairs).await
}

db_test!(staff_route_list_and_route_form, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let (first, second, sec) = seed(&db).await;
    let path = format!("/staff/roads/routes/{}", first.id);

    // Not signed in: to the staff login.
    let mut anon = app.client(SHISUI_HOST);
    for p in ["/staff/roads".to_owned(), path.clone()] {
        let r = anon.get(&p).await;
        assert_eq!(r.status, 303, "{p}");
        assert!(r.location().starts_with("/staff/login"), "{p}");
    }

    let mut c = staff(&app, SHISUI_HOST, ADMIN).await;
    // The list, with search (full-width digits too).
    let list = c.get("/staff/roads").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("道路台帳の編集"));
    assert!(list.body.contains("S-001") && list.body.contains("S-003"));
    let found = c.get("/staff/roads?q=S-%EF%BC%90%EF%BC%90%EF%BC%92").await;
    assert_eq!(found.status, 200);
    assert!(found.body.contains("S-002") && !found.body.contains("S-003"));
    assert!(
        found
            .body
            .contains(&format!("/staff/roads/routes/{}/sheet", second.id))
    );

    // The form shows the route and its sections (with the map editor and history links).
    let page = c.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("路線の編集"));
    assert!(page.body.contains("value=\"本佐倉1号線\""));
    assert!(page.body.contains("S-001-001"));
    assert!(
        page.body
            .contains(&format!("/staff/roads/map/sections/{}", sec.id))
    );
    assert!(
        page.body
            .contains(&format!("/staff/roads/sections/{}/history", sec.id))
    );

    // Bad input: each field named with its fix; nothing stored.
    let audit_before = support::audit_actions(&db).await.len();
    let bad = post(
        &mut c,
        &path,
        &route_fields(
            &first,
            &[
                ("route_number", " "),
                ("road_kind", "highway"),
                ("certified_on", "1985-13-01"),
                ("length_m", "長い"),
                ("width_min_m", "6"),
                ("width_max_m", "5"),
                ("reason", ""),
            ],
        ),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    for msg in [
        "路線番号：入力してください。",
        "道路の種類：一覧から選んでください。",
        "認定年月日：年月日を 1985-04-01 のように入力してください",
        "延長（m）：0 から 100000 までの数字（m）で入力してください。",
        "最大幅員（m）：最小幅員より小さくできません。",
        "変更の理由：変更の理由を 200 文字以内で入力してください。",
    ] {
        assert!(bad.body.contains(msg), "{msg}");
    }
    assert!(bad.body.contains("value=\"長い\""), "the input is kept");
    let unchanged: Route = store::get(&db, M, first.id)
        .await
        .expect("get")
        .expect("row");
    assert_eq!(unchanged, first);
    assert_eq!(support::audit_actions(&db).await.len(), audit_before);

    // A good save: new class, a slash date in full-width digits, not public; history + audit.
    let dv = store::data_version(&db, M).await.expect("dv");
    let ok = post(
        &mut c,
        &path,
        &route_fields(
            &first,
            &[
                ("name", "本佐倉一号線"),
                ("route_class", "1"),
                ("certified_on", "１９８５/４/２"),
                ("opened_on", "1986-04-01"),
                ("width_max_m", "６.０"),
                ("public", "<absent>"),
            ],
        ),
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.location(), format!("{path}?saved=1"));
    let after: Route = store::get(&db, M, first.id)
        .await
        .expect("get")
        .expect("row");
    assert_eq!(after.version, first.version + 1);
    assert_eq!(after.name, "本佐倉一号線");
    assert_eq!(after.route_class, "1");
    assert_eq!(after.certified_on, "1985-04-02");
    assert_eq!(after.opened_on.as_deref(), Some("1986-04-01"));
    assert_eq!(after.width_max_m, 6.0);
    assert!(!after.public);
    assert_eq!(
        after.geometry, first.geometry,
        "fields not on the form are kept"
    );
    assert!(store::data_version(&db, M).await.expect("dv") > dv);
    assert!(
        support::audit_actions(&db)
            .await
            .iter()
            .any(|a| a == "roads.route.update")
    );
    let saved = c.get(&format!("{path}?saved=1")).await;
    assert!(saved.body.contains("保存しました。"));

    // The same stale version again: 409, the latest values shown, nothing overwritten.
    let stale = post(
        &mut c,
        &path,
        &route_fields(&first, &[("name", "古い画面からの名前")]),
    )
    .await;
    assert_eq!(stale.status, 409);
    assert!(
        stale
            .body
            .contains("ほかの職員がこの路線を先に保存しました。")
    );
    assert!(stale.body.contains("value=\"本佐倉一号線\""));
    assert!(
        stale
            .body
            .contains(&format!("name=\"version\" value=\"{}\"", after.version))
    );
    let still: Route = store::get(&db, M, first.id)
        .await
        .expect("get")
        .expect("row");
    assert_eq!(still, after);

    // Another route's number (same road kind): refused on the number field, nothing changed.
    let taken = post(
        &mut c,
        &path,
        &route_fields(&after, &[("route_number", "S-002")]),
    )
    .await;
    assert_eq!(taken.status, 422);
    assert!(
        taken
            .body
            .contains("路線番号：この路線番号は同じ種類の道路ですでに使われています。")
    );
    let still: Route = store::get(&db, M, first.id)
        .await
        .expect("get")
        .expect("row");
    assert_eq!(still, after);

    // The history: who, when, why and each changed field before → after, in words.
    let h = c.get(&format!("{path}/history")).await;
    assert_eq!(h.status, 200);
    for s in [
        "路線の変更履歴",
        "町役 次郎",
        "認定変更の告示（第3号）による",
        "<th scope=\"row\">路線名</th><td>本佐倉1号線</td><td>本佐倉一号線</td>",
        "<th scope=\"row\">路線の区分</th><td>2級</td><td>1級</td>",
        "<th scope=\"row\">認定年月日</th><td>1985-04-01</td><td>1985-04-02</td>",
        "<th scope=\"row\">供用開始年月日</th><td>（なし）</td><td>1986-04-01</td>",
        "<th scope=\"row\">最大幅員（m）</th><td>5.5</td><td>6</td>",
        "<th scope=\"row\">公開・非公開</th><td>公開</td><td>非公開</td>",
        "コマンド（管理用）",
        "作成",
    ] {
        assert!(h.body.contains(s), "{s}\n{}", h.body);
    }
    assert!(
        !h.body.contains("<th scope=\"row\">版</th>"),
        "bookkeeping hidden"
    );
    // In English.
    c.cookies.insert("lang".into(), "en".into());
    let en = c.get(&format!("{path}/history")).await;
    assert!(
        en.body
            .contains("<th scope=\"row\">Route class</th><td>Class 2</td><td>Class 1</td>")
    );
    assert!(
        en.body
            .contains("<th scope=\"row\">Public</th><td>Public</td><td>Not public</td>")
    );
    let en_bad = post(&mut c, &path, &route_fields(&after, &[("length_m", "-3")])).await;
    assert!(
        en_bad
            .body
            .contains("Length (m)：Enter a number of metres from 0 to 100000.")
    );

    // Staff of a department without road editing (市民課): 404 everywhere, as for no page.
    let mut other = staff(&app, ICHIKAWA_HOST, "shimin@city.ichikawa.example.jp").await;
    for p in [
        "/staff/roads".to_owned(),
        path.clone(),
        format!("{path}/sheet"),
        format!("{path}/history"),
        format!("/staff/roads/sections/{}/history", sec.id),
    ] {
        assert_eq!(other.get(&p).await.status, 404, "{p}");
    }
    // 市川市's admin cannot reach 酒々井町's route through 市川市's host.
    let mut ichikawa = staff(&app, ICHIKAWA_HOST, "admin@city.ichikawa.example.jp").await;
    assert_eq!(ichikawa.get(&path).await.status, 404);
    assert_eq!(ichikawa.get(&format!("{path}/history")).await.status, 404);
    let r = post(&mut ichikawa, &path, &route_fields(&after, &[])).await;
    assert_eq!(r.status, 404);
    let still: Route = store::get(&db, M, first.id)
        .await
        .expect("get")
        .expect("row");
    assert_eq!(still, after);
    support::assert_audit_intact(&db).await;
});

/// The 調書 form's fields, with overrides.
fn sheet_fields(
    version: &str,
    over: &[(&'static str, &'static str)],
) -> Vec<(&'static str, String)> {
    let mut f: Vec<(&'static str, String)> = vec![
        ("version", version.to_owned()),
        ("via", "本佐倉\n上岩橋\n".into()),
        ("length_actual_m", "121.5".into()),
        ("length_shared_m", "0".into()),
        ("length_unopened_m", "0".into()),
        ("length_bridges_m", "12".into()),
        ("length_tunnels_m", "0".into()),
        ("length_paved_m", "121.5".into()),
        ("length_unpaved_m", "0".into()),
        ("width_typical_m", "5".into()),
        ("width_narrowest_m", "4".into()),
        ("steepest_gradient_pct", "3.5".into()),
        ("min_curve_radius_m", "".into()),
        ("bridges", "1".into()),
        ("tunnels", "0".into()),
        ("pedestrian_bridges", "0".into()),
        ("level_crossings", "0".into()),
        ("area_decided_on", "2001/4/1".into()),
        ("notice_number", "酒々井町告示第12号".into()),
        ("private_lots", "本佐倉 123-4, 5.25\n".into()),
        ("remarks", "橋梁の架け替え".into()),
        ("reason", "construction".into()),
    ];
    for (k, v) in over {
        f.retain(|(n, _)| n != k);
        f.push((k, (*v).to_owned()));
    }
    f
}

db_test!(staff_sheet_form_versions_and_history, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let (first, second, sec) = seed(&db).await;
    let path = format!("/staff/roads/routes/{}/sheet", first.id);
    let mut c = staff(&app, SHISUI_HOST, ADMIN).await;

    let page = c.get(&path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("調書の編集"));
    assert!(page.body.contains("name=\"version\" value=\"1\""));
    assert!(page.body.contains("最初の調書"));

    // Bad input: every field named, no new version.
    let bad = post(
        &mut c,
        &path,
        &sheet_fields(
            "1",
            &[
                ("length_actual_m", "たくさん"),
                ("bridges", "1.5"),
                ("steepest_gradient_pct", "120"),
                ("area_decided_on", "2001-02-30"),
                ("private_lots", "地番だけ"),
                ("reason", "import"),
            ],
        ),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    for msg in [
        "実延長（m）：0 から 100000 までの数字（m）で入力してください。",
        "橋梁の数：0 以上の整数で入力してください（例：2）。",
        "最急勾配（%）：0 から 100 までの数字（%）で入力するか、空にしてください。",
        "区域決定・変更の年月日：年月日を 1985-04-01 のように入力するか、空にしてください。",
        "道路区域内の民有地（地番と面積）：1 行に「地番, 面積」の形で入力してください",
        "台帳補正の理由：台帳補正の理由を一覧から選んでください。",
    ] {
        assert!(bad.body.contains(msg), "{msg}");
    }
    assert_eq!(
        store::sheet_versions(&db, M, first.id)
            .await
            .expect("v")
            .len(),
        1
    );

    // A good save: version 2, structured.
    let ok = post(&mut c, &path, &sheet_fields("1", &[])).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert_eq!(ok.location(), format!("{path}?saved=1"));
    let cur = store::current_sheet(&db, M, first.id)
        .await
        .expect("cur")
        .expect("a sheet");
    assert_eq!(cur.version, 2);
    assert_eq!(cur.reason, "construction");
    let s = cur.sheet();
    assert_eq!(s.via, vec!["本佐倉", "上岩橋"]);
    assert_eq!(s.length_actual_m, 121.5);
    assert_eq!(s.steepest_gradient_pct, Some(3.5));
    assert_eq!(s.min_curve_radius_m, None);
    assert_eq!(s.area_decided_on.as_deref(), Some("2001-04-01"));
    assert_eq!(s.private_lots.len(), 1);
    assert_eq!(s.private_lots[0].lot, "本佐倉 123-4");
    assert_eq!(s.private_lots[0].area_m2, 5.25);
    assert!(
        support::audit_actions(&db)
            .await
            .iter()
            .any(|a| a == "roads.sheet.update")
    );

    // Stale (started from version 1): refused, the latest version shown, still version 2.
    let stale = post(
        &mut c,
        &path,
        &sheet_fields("1", &[("remarks", "古い画面")]),
    )
    .await;
    assert_eq!(stale.status, 409);
    assert!(
        stale
            .body
            .contains("ほかの職員がこの調書を先に保存しました。")
    );
    assert!(stale.body.contains("name=\"version\" value=\"2\""));
    assert!(stale.body.contains("橋梁の架け替え"));
    assert_eq!(
        store::sheet_versions(&db, M, first.id)
            .await
            .expect("v")
            .len(),
        2
    );

    // A route without a 調書: the first version (the form sends no version).
    let p2 = format!("/staff/roads/routes/{}/sheet", second.id);
    let empty = c.get(&p2).await;
    assert!(empty.body.contains("調書はまだありません。"));
    assert!(empty.body.contains("name=\"version\" value=\"\""));
    let first_sheet = post(&mut c, &p2, &sheet_fields("", &[("reason", "correction")])).await;
    assert_eq!(first_sheet.status, 303, "{}", first_sheet.body);
    assert_eq!(
        store::current_sheet(&db, M, second.id)
            .await
            .expect("cur")
            .map(|s| s.version),
        Some(1)
    );
    // Someone sends "no sheet yet" again after that: a conflict.
    let again = post(&mut c, &p2, &sheet_fields("", &[])).await;
    assert_eq!(again.status, 409);

    // The sheet history: the reasons in words and each field before → after.
    let h = c.get(&format!("{path}/history")).await;
    assert_eq!(h.status, 200);
    for s in [
        "調書の変更履歴",
        "工事竣工",
        "データの取り込み",
        "町役 次郎",
        "<th scope=\"row\">主要な経過地</th><td>本佐倉</td><td>本佐倉、上岩橋</td>",
        "<th scope=\"row\">実延長（m）</th><td>120</td><td>121.5</td>",
        "<th scope=\"row\">道路区域内の民有地（地番と面積）</th><td>（なし）</td><td>本佐倉 123-4（5.25 m²）</td>",
        "<th scope=\"row\">備考</th><td>最初の調書</td><td>橋梁の架け替え</td>",
    ] {
        assert!(h.body.contains(s), "{s}\n{}", h.body);
    }

    // A section's history (a map edit by staff, made through the store).
    let mut edited = sec.clone();
    edited.carriageway_width_m = 5.0;
    edited.pavement = "asphalt".into();
    let me =
        madoguchi::auth::store::find_user_by_email(&db, M, madoguchi::auth::Kind::Staff, ADMIN)
            .await
            .expect("find")
            .expect("admin");
    let mut tx = db.begin().await.expect("begin");
    store::update(
        &mut tx,
        M,
        &edited,
        &Editor::new(Actor::User(me.id), "舗装工事の竣工"),
    )
    .await
    .expect("update");
    tx.commit().await.expect("commit");
    let sh = c
        .get(&format!("/staff/roads/sections/{}/history", sec.id))
        .await;
    assert_eq!(sh.status, 200);
    for s in [
        "区間の変更履歴",
        "S-001-001",
        "舗装工事の竣工",
        "<th scope=\"row\">車道幅員（m）</th><td>4.5</td><td>5</td>",
        "<th scope=\"row\">舗装</th><td>コンクリート</td><td>アスファルト</td>",
    ] {
        assert!(sh.body.contains(s), "{s}");
    }
    assert_eq!(
        c.get("/staff/roads/sections/999999/history").await.status,
        404
    );
    assert_eq!(c.get("/staff/roads/routes/abc/sheet").await.status, 404);
    support::assert_audit_intact(&db).await;
});

/// The new-route form's fields, with overrides (as `route_fields`, for a route not yet stored).
fn new_fields(over: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    let blank = Route {
        version: 0,
        ..route(100)
    };
    let mut f = route_fields(&blank, &[("reason", "令和8年酒々井町告示第5号による認定")]);
    for (k, v) in over {
        f.retain(|(n, _)| n != k);
        if *v != "<absent>" {
            f.push((k, (*v).to_owned()));
        }
    }
    f
}

async fn route_count(db: &Db) -> i64 {
    store::count::<Route>(db, M, &store::Filter::default())
        .await
        .expect("count")
}

// docs/roads.md "Creating and abolishing routes": a new route from the form (validation that
// names the field, numbers width-folded, names kept as typed, start/end points in zone IX or
// latitude/longitude), then 廃止 (refused when early, late, stale or unconfirmed; when done the
// route, its sections and area lines leave the OGC API and the public list; the record and
// history stay; an abolished route cannot be made public again).
db_test!(staff_create_and_abolish_route, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let (first, _second, sec) = seed(&db).await;
    let mut c = staff(&app, SHISUI_HOST, ADMIN).await;

    // The staff home links to the ledger pages; 市民課 staff (no road editing) get no link.
    let home = c.get("/staff").await;
    assert!(home.body.contains("href=\"/staff/roads\""), "{}", home.body);
    let mut shimin = staff(&app, ICHIKAWA_HOST, "shimin@city.ichikawa.example.jp").await;
    let home = shimin.get("/staff").await;
    assert_eq!(home.status, 200);
    assert!(!home.body.contains("href=\"/staff/roads\""));
    assert_eq!(shimin.get("/staff/roads/new").await.status, 404);

    let list = c.get("/staff/roads").await;
    assert!(list.body.contains("href=\"/staff/roads/new\""));
    let form = c.get("/staff/roads/new").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("路線の新規登録"));
    assert!(form.body.contains("起点の座標"));

    // Bad input: each field named with its fix, nothing created.
    let n = route_count(&db).await;
    let audit_before = support::audit_actions(&db).await.len();
    for (over, msg) in [
        (
            vec![("route_number", "S-001")],
            "路線番号：この路線番号は同じ種類の道路ですでに使われています。",
        ),
        (
            vec![("start_coord", "-9212.350")],
            "起点の座標：2つの数を「X, Y」の順にコンマで区切って入力してください",
        ),
        (
            vec![("end_coord", "35.7213, 139.9310")],
            "終点の座標：緯度・経度のようです。",
        ),
        (
            vec![("start_coord", "-9212.350, 400000")],
            "起点の座標：第IX系の範囲（原点から300 km以内）を外れています。",
        ),
        (
            vec![("coord_crs", "6668"), ("start_coord", "139.9310, 35.7213")],
            "起点の座標：日本の緯度・経度になっていません。",
        ),
        (
            vec![("coord_crs", "4326")],
            "座標の入力方法：一覧から選んでください。",
        ),
        (vec![("name", "")], "路線名：入力してください。"),
    ] {
        let r = post(&mut c, "/staff/roads/new", &new_fields(&over)).await;
        assert_eq!(r.status, 422, "{over:?}");
        assert!(r.body.contains(msg), "{msg}\n{}", r.body);
    }
    assert_eq!(route_count(&db).await, n);
    assert_eq!(support::audit_actions(&db).await.len(), audit_before);

    // A good one: full-width number folded, the name kept as typed, both points typed as
    // latitude / longitude (full-width comma too) and stored in zone IX.
    let made = post(
        &mut c,
        "/staff/roads/new",
        &new_fields(&[
            ("route_number", "Ｓ－１００"),
            ("name", "本佐倉（改）線"),
            ("coord_crs", "6668"),
            ("start_coord", "35.7213, 140.2671"),
            ("end_coord", "３５.７２３０，１４０.２７"),
        ]),
    )
    .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let id: i64 = made
        .location()
        .strip_prefix("/staff/roads/routes/")
        .and_then(|l| l.strip_suffix("?created=1"))
        .and_then(|i| i.parse().ok())
        .expect("redirect to the new route");
    let new: Route = store::get(&db, M, id).await.expect("get").expect("row");
    assert_eq!(new.route_number, "S-100");
    assert_eq!(new.name, "本佐倉（改）線");
    assert_eq!(new.version, 1);
    let zone = &madoguchi::roads::crs::ZONE_IX;
    let (sx, sy) = madoguchi::roads::crs::to_plane(zone, 35.7213, 140.2671);
    let (ex, ey) = madoguchi::roads::crs::to_plane(zone, 35.7230, 140.27);
    for (got, want) in [
        (new.start_x_north, sx),
        (new.start_y_east, sy),
        (new.end_x_north, ex),
        (new.end_y_east, ey),
    ] {
        assert!((got.expect("stored") - want).abs() < 1e-6, "{got:?} {want}");
    }
    assert!(new.public && new.abolished_on.is_none());
    assert_eq!(route_count(&db).await, n + 1);
    assert!(
        support::audit_actions(&db)
            .await
            .iter()
            .any(|a| a == "roads.route.create")
    );
    let page = c.get(made.location()).await;
    assert!(page.body.contains("路線を登録しました。"));
    assert!(page.body.contains(&format!("value=\"{sx:.3}, {sy:.3}\"")));
    // The points are edited in zone IX too; an emptied field removes the point.
    let path = format!("/staff/roads/routes/{id}");
    let ok = post(
        &mut c,
        &path,
        &route_fields(
            &new,
            &[
                ("coord_crs", "6677"),
                ("start_coord", "-30212.5, 38470.125"),
                ("end_coord", ""),
            ],
        ),
    )
    .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let moved: Route = store::get(&db, M, id).await.expect("get").expect("row");
    assert_eq!(moved.start_x_north, Some(-30212.5));
    assert_eq!(moved.start_y_east, Some(38470.125));
    assert_eq!((moved.end_x_north, moved.end_y_east), (None, None));

    // The 調書 keeps place names as typed (full-width brackets and digits stay).
    let sheet = post(
        &mut c,
        &format!("{path}/sheet"),
        &sheet_fields("", &[("via", "本佐倉（改）\n上岩橋３丁目")]),
    )
    .await;
    assert_eq!(sheet.status, 303, "{}", sheet.body);
    let cur = store::current_sheet(&db, M, id)
        .await
        .expect("sheet")
        .expect("saved");
    assert_eq!(cur.sheet().via, vec!["本佐倉（改）", "上岩橋３丁目"]);
    assert_eq!(
        cur.sheet().notice_number.as_deref(),
        Some("酒々井町告示第12号")
    );

    // 廃止 of the first route (it has a public section).
    let path = format!("/staff/roads/routes/{}", first.id);
    let page = c.get(&path).await;
    assert!(page.body.contains("路線の廃止"));
    assert!(page.body.contains(&format!("action=\"{path}/abolish\"")));
    assert_eq!(
        c.get(&format!("/ogc/collections/routes/items/{}", first.id))
            .await
            .status,
        200
    );
    let abolish = |over: &[(&'static str, &str)]| {
        let mut f: Vec<(&'static str, String)> = vec![
            ("version", first.version.to_string()),
            ("abolished_on", "2026-04-01".into()),
            (
                "reason",
                "令和8年酒々井町告示第9号（区画整理のため）".into(),
            ),
            ("confirm", "1".into()),
        ];
        for (k, v) in over {
            f.retain(|(n, _)| n != k);
            if *v != "<absent>" {
                f.push((k, (*v).to_owned()));
            }
        }
        f
    };
    let audit_before = support::audit_actions(&db).await.len();
    let bad = post(
        &mut c,
        &format!("{path}/abolish"),
        &abolish(&[
            ("abolished_on", "2999-01-01"),
            ("reason", " "),
            ("confirm", "<absent>"),
        ]),
    )
    .await;
    assert_eq!(bad.status, 422);
    for msg in [
        "廃止年月日：今日より後の日付です。",
        "廃止の理由：廃止の理由を200文字以内で入力してください。",
        "公開の地図・APIから消えることを確かめました：内容を確かめたら、チェックを入れてください。",
    ] {
        assert!(bad.body.contains(msg), "{msg}\n{}", bad.body);
    }
    let early = post(
        &mut c,
        &format!("{path}/abolish"),
        &abolish(&[("abolished_on", "1980/1/1")]),
    )
    .await;
    assert_eq!(early.status, 422);
    assert!(
        early
            .body
            .contains("廃止年月日：認定年月日より前の日付です。")
    );
    let stale = post(
        &mut c,
        &format!("{path}/abolish"),
        &abolish(&[("version", "0")]),
    )
    .await;
    assert_eq!(stale.status, 409);
    assert!(stale.body.contains("ほかの人がこの路線を保存しました。"));
    let unchanged: Route = store::get(&db, M, first.id)
        .await
        .expect("get")
        .expect("row");
    assert_eq!(unchanged, first);
    assert_eq!(support::audit_actions(&db).await.len(), audit_before);

    let dv = store::data_version(&db, M).await.expect("dv");
    let done = post(&mut c, &format!("{path}/abolish"), &abolish(&[])).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), format!("{path}?abolished=1"));
    let gone: Route = store::get(&db, M, first.id)
        .await
        .expect("get")
        .expect("row");
    assert_eq!(gone.abolished_on.as_deref(), Some("2026-04-01"));
    assert!(!gone.public);
    assert_eq!(gone.version, first.version + 1);
    let gone_sec: Section = store::get(&db, M, sec.id).await.expect("get").expect("row");
    assert!(!gone_sec.public, "its sections leave the public data too");
    assert!(store::data_version(&db, M).await.expect("dv") > dv);
    assert!(
        support::audit_actions(&db)
            .await
            .iter()
            .any(|a| a == "roads.route.abolish")
    );
    // Out of the OGC API and the public list; the staff still see it, marked.
    let mut anon = app.client(SHISUI_HOST);
    for p in [
        format!("/ogc/collections/routes/items/{}", first.id),
        format!("/ogc/collections/sections/items/{}", sec.id),
        format!("/roads/list/{}", first.id),
    ] {
        assert_eq!(anon.get(&p).await.status, 404, "{p}");
    }
    let page = c.get(&format!("{path}?abolished=1")).await;
    assert!(page.body.contains("路線を廃止しました。"));
    assert!(page.body.contains("廃止された路線です"));
    assert!(!page.body.contains(&format!("action=\"{path}/abolish\"")));
    assert!(!page.body.contains("name=\"public\""), "no 公開 box");
    let list = c.get("/staff/roads").await;
    assert!(list.body.contains("廃止（2026-04-01）"));
    // Twice: refused. Made public again through the route form: refused. Corrected: fine.
    let again = post(
        &mut c,
        &format!("{path}/abolish"),
        &abolish(&[("version", "2")]),
    )
    .await;
    assert_eq!(again.status, 422);
    assert!(again.body.contains("この路線はすでに廃止されています。"));
    let public = post(&mut c, &path, &route_fields(&gone, &[])).await;
    assert_eq!(public.status, 422);
    assert!(public.body.contains("廃止された路線は公開できません。"));
    let fixed = post(
        &mut c,
        &path,
        &route_fields(
            &gone,
            &[("public", "<absent>"), ("name", "本佐倉1号線（旧）")],
        ),
    )
    .await;
    assert_eq!(fixed.status, 303, "{}", fixed.body);
    let after: Route = store::get(&db, M, first.id)
        .await
        .expect("get")
        .expect("row");
    assert_eq!(after.abolished_on.as_deref(), Some("2026-04-01"));
    assert!(!after.public);
    // The store keeps the route's rows hidden whatever the caller: a section made public again
    // or a new public section on the abolished route is refused; a non-public one is fine.
    let editor = Editor::new(Actor::Cli, "test");
    let mut tx = db.begin().await.expect("begin");
    let mut shown = gone_sec.clone();
    shown.public = true;
    match store::update(&mut tx, M, &shown, &editor).await {
        Err(store::StoreError::Invalid(msg)) => assert!(msg.contains("abolished"), "{msg}"),
        other => panic!("a public section of an abolished route was saved: {other:?}"),
    }
    let mut extra = gone_sec.clone();
    extra.section_code = format!("{}-new", gone_sec.section_code);
    extra.public = true;
    assert!(matches!(
        store::insert(&mut tx, M, &extra, &editor).await,
        Err(store::StoreError::Invalid(_))
    ));
    assert!(matches!(
        store::insert_batch(&mut tx, M, std::slice::from_ref(&extra), &editor).await,
        Err(store::StoreError::Invalid(_))
    ));
    extra.public = false;
    store::insert(&mut tx, M, &extra, &editor)
        .await
        .expect("a non-public section of an abolished route");
    tx.rollback().await.expect("rollback");
    // The history says what happened, in words.
    let h = c.get(&format!("{path}/history")).await;
    for s in [
        "令和8年酒々井町告示第9号（区画整理のため）",
        "<th scope=\"row\">廃止年月日</th><td>（なし）</td><td>2026-04-01</td>",
        "<th scope=\"row\">公開・非公開</th><td>公開</td><td>非公開</td>",
    ] {
        assert!(h.body.contains(s), "{s}\n{}", h.body);
    }
    let sh = c
        .get(&format!("/staff/roads/sections/{}/history", sec.id))
        .await;
    assert!(
        sh.body
            .contains("令和8年酒々井町告示第9号（区画整理のため）")
    );
    support::assert_audit_intact(&db).await;
});

/// `parse_point` (pure): both ways of typing a point, and each refusal.
#[test]
fn points_typed_in_zone_ix_or_degrees() {
    use madoguchi::roads::staff::parse_point;
    assert_eq!(parse_point("", "6677"), Ok(None));
    assert_eq!(parse_point("  ", "6668"), Ok(None));
    assert_eq!(
        parse_point("-9212.35, 21470.125", "6677"),
        Ok(Some((-9212.35, 21470.125)))
    );
    assert_eq!(
        parse_point("－９２１２.３５　２１４７０.１２５", "6677"),
        Ok(Some((-9212.35, 21470.125))),
        "full-width digits and an ideographic space"
    );
    assert_eq!(
        parse_point("-9212.35、21470.125", "6677"),
        Ok(Some((-9212.35, 21470.125)))
    );
    // The reference sheet's Tokyo Tower point, typed as degrees, lands in zone IX to 1 mm.
    let (x, y) = parse_point("35.658581, 139.745433", "6668")
        .expect("ok")
        .expect("point");
    let (wx, wy) =
        madoguchi::roads::crs::to_plane(&madoguchi::roads::crs::ZONE_IX, 35.658581, 139.745433);
    assert!((x - wx).abs() < 1e-3 && (y - wy).abs() < 1e-3);
    for (v, crs, key) in [
        ("1", "6677", "roadstaff.err_point_format"),
        ("1, 2, 3", "6677", "roadstaff.err_point_format"),
        ("a, b", "6668", "roadstaff.err_point_format_deg"),
        ("NaN, 1", "6677", "roadstaff.err_point_format"),
        ("35.7, 139.9", "6677", "roadstaff.err_point_looks_deg"),
        ("0, 300001", "6677", "roadstaff.err_point_zone"),
        ("139.9, 35.7", "6668", "roadstaff.err_point_deg_range"),
        ("43.06, 141.35", "6668", "roadstaff.err_point_zone_deg"),
    ] {
        assert_eq!(parse_point(v, crs), Err(key), "{v} {crs}");
    }
}
