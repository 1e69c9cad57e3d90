//! The road ledger store (migration 0016) on SQLite and PostgreSQL: every layer round-trips,
//! edits keep history (who, when, before, after) and are audited, stale versions are refused,
//! bbox queries find what intersects, the 調書 is versioned, the data version and the view
//! counters move.

#[macro_use]
mod common;

use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::roads::model::{
    AreaLine, BoundaryPoint, ControlPoint, Facility, LedgerSheet, PrivateLot, Route, Section,
};
use madoguchi::roads::store::{self, Editor, Filter, StoreError};

const M: &str = "122033";

fn route(number: &str) -> Route {
    Route {
        road_kind: "municipal".into(),
        route_number: number.into(),
        name: format!("市道{number}号線"),
        route_class: "other".into(),
        certified_on: "1975-04-01".into(),
        opened_on: Some("1975-04-01".into()),
        start_address: "市川市市川一丁目".into(),
        end_address: "市川市八幡二丁目".into(),
        length_m: 120.0,
        width_min_m: 4.0,
        width_max_m: 6.5,
        public: true,
        ..Default::default()
    }
}

fn section(route_id: i64, code: &str, coords: &str) -> Section {
    Section {
        route_id,
        section_code: code.into(),
        carriageway_width_m: 5.5,
        sidewalk_width_m: 0.0,
        pavement: "asphalt".into(),
        sidewalk: "none".into(),
        geometry: format!(r#"{{"type":"LineString","coordinates":{coords}}}"#),
        public: true,
        ..Default::default()
    }
}

async fn setup(db: &Db) {
    common::seed_municipality(db, M, "市川市", "Ichikawa").await;
}

db_test!(
    route_and_section_round_trip_with_history_and_audit,
    |db: Db| async move {
        setup(&db).await;
        let mut tx = db.begin().await.expect("must succeed");
        let cli = Editor::new(Actor::Cli, "import");
        let r = store::insert(&mut tx, M, &route("1001"), &cli)
            .await
            .expect("must succeed");
        assert_eq!(r.version, 1);
        let s = store::insert(
            &mut tx,
            M,
            &section(r.id, "1001-001", "[[-8000,-26000],[-7970,-25960]]"),
            &cli,
        )
        .await
        .expect("must succeed");
        tx.commit().await.expect("must succeed");
        assert!(
            (s.length_m - 50.0).abs() < 1e-9,
            "length from geometry: {}",
            s.length_m
        );

        let got: Route = store::get(&db, M, r.id)
            .await
            .expect("must succeed")
            .expect("must succeed");
        assert_eq!(got, r);
        let by_no = store::route_by_number(&db, M, "municipal", "1001")
            .await
            .expect("must succeed")
            .expect("must succeed");
        assert_eq!(by_no.id, r.id);

        // Update with the right version → version 2, history before/after.
        let mut edit = got.clone();
        edit.width_max_m = 7.0;
        let mut tx = db.begin().await.expect("must succeed");
        let saved = store::update(&mut tx, M, &edit, &Editor::new(Actor::Cli, "construction"))
            .await
            .expect("must succeed");
        tx.commit().await.expect("must succeed");
        assert_eq!(saved.version, 2);

        // A stale version is refused and changes nothing.
        let mut stale = got.clone();
        stale.name = "上書き".into();
        let mut tx = db.begin().await.expect("must succeed");
        let err = store::update(&mut tx, M, &stale, &cli)
            .await
            .expect_err("must fail");
        assert!(matches!(err, StoreError::Conflict), "{err:?}");
        drop(tx);
        let now: Route = store::get(&db, M, r.id)
            .await
            .expect("must succeed")
            .expect("must succeed");
        assert_eq!(now.name, "市道1001号線");
        assert_eq!(now.width_max_m, 7.0);

        let h = store::history(&db, M, "route", r.id)
            .await
            .expect("must succeed");
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].action, "update");
        assert_eq!(h[0].reason, "construction");
        assert_eq!(h[0].actor, "cli");
        let before: Route =
            serde_json::from_str(h[0].before_json.as_deref().expect("must succeed"))
                .expect("must succeed");
        let after: Route = serde_json::from_str(h[0].after_json.as_deref().expect("must succeed"))
            .expect("must succeed");
        assert_eq!((before.width_max_m, after.width_max_m), (6.5, 7.0));
        assert_eq!(h[1].action, "create");
        assert!(h[1].before_json.is_none());

        let audits: Vec<(String,)> = common::fetch_raw(
            &db,
            "SELECT action FROM audit_events WHERE action LIKE 'roads.%' ORDER BY seq",
        )
        .await;
        let audits: Vec<&str> = audits.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(
            audits,
            [
                "roads.route.create",
                "roads.section.create",
                "roads.route.update"
            ]
        );
        assert_eq!(store::data_version(&db, M).await.expect("must succeed"), 3);
    }
);

db_test!(
    invalid_rows_are_refused_naming_the_field,
    |db: Db| async move {
        setup(&db).await;
        let cli = Editor::new(Actor::Cli, "import");
        let mut tx = db.begin().await.expect("must succeed");
        let mut bad = route("1");
        bad.width_max_m = 1.0;
        let e = store::insert(&mut tx, M, &bad, &cli)
            .await
            .expect_err("must fail");
        assert!(e.to_string().contains("width_max_m"), "{e}");
        let mut bad = route("1");
        bad.certified_on = "1975/04/01".into();
        let e = store::insert(&mut tx, M, &bad, &cli)
            .await
            .expect_err("must fail");
        assert!(e.to_string().contains("certified_on"), "{e}");
        let r = store::insert(&mut tx, M, &route("1"), &cli)
            .await
            .expect("must succeed");
        let e = store::insert(&mut tx, M, &route("1"), &cli)
            .await
            .expect_err("must fail");
        assert!(e.to_string().contains("already exists"), "{e}");
        let e = store::insert(&mut tx, M, &section(r.id, "1-1", "[[0,0],[0,0]]"), &cli)
            .await
            .expect_err("must fail");
        assert!(
            e.to_string().contains("geometry") && e.to_string().contains("zero length"),
            "{e}"
        );
        let e = store::insert(
            &mut tx,
            M,
            &section(r.id, "1-1", "[[139.9,35.7],[139.91,35.71e6]]"),
            &cli,
        )
        .await
        .expect_err("must fail");
        assert!(e.to_string().contains("zone IX"), "{e}");
    }
);

db_test!(bbox_filter_paging_and_count, |db: Db| async move {
    setup(&db).await;
    let cli = Editor::new(Actor::Cli, "import");
    let mut tx = db.begin().await.expect("must succeed");
    let r = store::insert(&mut tx, M, &route("7"), &cli)
        .await
        .expect("must succeed");
    let rows: Vec<Section> = (0..30)
        .map(|i| {
            let x = -10000.0 + 100.0 * i as f64;
            section(
                r.id,
                &format!("7-{i:03}"),
                &format!("[[{x},-25000],[{},-25000]]", x + 80.0),
            )
        })
        .collect();
    let ids = store::insert_batch(&mut tx, M, &rows, &cli)
        .await
        .expect("must succeed");
    tx.commit().await.expect("must succeed");
    assert_eq!(ids.len(), 30);
    // Eastings -10000..-7020: a box over -9050..-8850 touches sections 9 (ends at -9020? no)…
    let f = Filter {
        bbox: Some([-9050.0, -25010.0, -8850.0, -24990.0]),
        ..Default::default()
    };
    let got: Vec<Section> = store::list(&db, M, &f).await.expect("must succeed");
    let codes: Vec<&str> = got.iter().map(|s| s.section_code.as_str()).collect();
    // section i spans [x, x+80] with x = -10000 + 100 i: i=9 [-9100,-9020], 10 [-9000,-8920],
    // 11 [-8900,-8820].
    assert_eq!(codes, ["7-009", "7-010", "7-011"]);
    assert_eq!(
        store::count::<Section>(&db, M, &f)
            .await
            .expect("must succeed"),
        3
    );
    let page = Filter {
        offset: 10,
        limit: Some(5),
        ..Default::default()
    };
    let got: Vec<Section> = store::list(&db, M, &page).await.expect("must succeed");
    assert_eq!(got.first().expect("must succeed").section_code, "7-010");
    assert_eq!(got.len(), 5);
    let ext = store::extent::<Section>(&db, M, true)
        .await
        .expect("must succeed")
        .expect("must succeed");
    assert_eq!(ext, [-10000.0, -25000.0, -7020.0, -25000.0]);
    // Routes without a centre line match any bbox (OGC: features without geometry match).
    let routes: Vec<Route> = store::list(
        &db,
        M,
        &Filter {
            bbox: Some([0.0, 0.0, 1.0, 1.0]),
            ..Default::default()
        },
    )
    .await
    .expect("must succeed");
    assert_eq!(routes.len(), 1);
    let (found, n) = store::search_routes(&db, M, "八幡", true, 0, 10)
        .await
        .expect("must succeed");
    assert_eq!((found.len(), n), (1, 1));
    let (found, n) = store::search_routes(&db, M, "100%", true, 0, 10)
        .await
        .expect("must succeed");
    assert_eq!((found.len(), n), (0, 0));
});

db_test!(points_area_lines_and_facilities, |db: Db| async move {
    setup(&db).await;
    let cli = Editor::new(Actor::Cli, "import");
    let mut tx = db.begin().await.expect("must succeed");
    let r = store::insert(&mut tx, M, &route("9"), &cli)
        .await
        .expect("must succeed");
    let bp = store::insert(
        &mut tx,
        M,
        &BoundaryPoint {
            route_id: Some(r.id),
            point_number: "B-1".into(),
            x_north: -25000.123,
            y_east: -8000.456,
            marker: "concrete_post".into(),
            boundary_status: "confirmed".into(),
            datum: "JGD2011".into(),
            public: true,
            ..Default::default()
        },
        &cli,
    )
    .await
    .expect("must succeed");
    assert_eq!(
        bp.geometry,
        r#"{"type":"Point","coordinates":[-8000.456,-25000.123]}"#
    );
    let cp = store::insert(
        &mut tx,
        M,
        &ControlPoint {
            point_name: "街区 12-34".into(),
            kind: "block".into(),
            grade: 4,
            x_north: -25010.0,
            y_east: -8010.0,
            h_m: Some(3.21),
            datum: "JGD2011".into(),
            condition: "present".into(),
            manager: "市川市".into(),
            public: false,
            ..Default::default()
        },
        &cli,
    )
    .await
    .expect("must succeed");
    let al = store::insert(
        &mut tx,
        M,
        &AreaLine {
            route_id: r.id,
            boundary_status: "partial".into(),
            geometry: r#"{"type":"LineString","coordinates":[[-8000,-25000],[-7990,-25000]]}"#
                .into(),
            public: true,
            ..Default::default()
        },
        &cli,
    )
    .await
    .expect("must succeed");
    let fa = store::insert(
        &mut tx,
        M,
        &Facility {
            route_id: Some(r.id),
            kind: "bridge".into(),
            name: "八幡橋".into(),
            attributes_json: r#"{"length_m":12.5}"#.into(),
            geometry: r#"{"type":"Point","coordinates":[-8000,-25000]}"#.into(),
            public: true,
            ..Default::default()
        },
        &cli,
    )
    .await
    .expect("must succeed");
    let mut bad = fa.clone();
    bad.attributes_json = "[1]".into();
    assert!(store::insert(&mut tx, M, &bad, &cli).await.is_err());
    tx.commit().await.expect("must succeed");
    assert_eq!(
        store::get::<ControlPoint>(&db, M, cp.id)
            .await
            .expect("must succeed")
            .expect("must succeed"),
        cp
    );
    assert_eq!(
        store::get::<AreaLine>(&db, M, al.id)
            .await
            .expect("must succeed")
            .expect("must succeed"),
        al
    );
    let public: Vec<ControlPoint> = store::list(
        &db,
        M,
        &Filter {
            public_only: true,
            ..Default::default()
        },
    )
    .await
    .expect("must succeed");
    assert!(public.is_empty(), "非公開 control point kept out");
    let mut tx = db.begin().await.expect("must succeed");
    store::delete::<Facility>(&mut tx, M, fa.id, &staff_cli())
        .await
        .expect("must succeed");
    tx.commit().await.expect("must succeed");
    assert!(
        store::get::<Facility>(&db, M, fa.id)
            .await
            .expect("must succeed")
            .is_none()
    );
    let h = store::history(&db, M, "facility", fa.id)
        .await
        .expect("must succeed");
    assert_eq!(h[0].action, "delete");
    assert!(
        h[0].before_json
            .as_deref()
            .expect("must succeed")
            .contains("八幡橋")
    );
});

fn staff_cli() -> Editor {
    Editor::new(Actor::Cli, "correction")
}

db_test!(ledger_sheet_is_versioned, |db: Db| async move {
    setup(&db).await;
    common::exec(
        &db,
        "INSERT INTO users (municipality_id, kind, email, name, password_hash, role, created_at) VALUES ('122033', 'staff', 's@example.jp', '道路 花子', 'x', 'department_staff', 0)",
    )
    .await;
    let (uid,): (i64,) = common::fetch_raw(&db, "SELECT id FROM users")
        .await
        .remove(0);
    let mut tx = db.begin().await.expect("must succeed");
    let r = store::insert(&mut tx, M, &route("12"), &staff_cli())
        .await
        .expect("must succeed");
    let mut sheet = LedgerSheet {
        via: vec!["市川一丁目".into(), "市川南".into()],
        length_actual_m: 120.0,
        width_typical_m: 5.5,
        width_narrowest_m: 4.0,
        private_lots: vec![PrivateLot {
            lot: "市川一丁目 1234-5".into(),
            area_m2: 3.2,
        }],
        ..Default::default()
    };
    let ed = Editor::new(Actor::User(uid), "import");
    let v1 = store::save_sheet(&mut tx, M, r.id, None, &sheet, &ed)
        .await
        .expect("must succeed");
    assert_eq!(v1.version, 1);
    sheet.width_narrowest_m = 3.8;
    let ed2 = Editor::new(Actor::User(uid), "construction");
    let v2 = store::save_sheet(&mut tx, M, r.id, Some(1), &sheet, &ed2)
        .await
        .expect("must succeed");
    assert_eq!(v2.version, 2);
    // Starting from version 1 again is a conflict; a reason outside the list is refused.
    assert!(matches!(
        store::save_sheet(&mut tx, M, r.id, Some(1), &sheet, &ed2).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        store::save_sheet(
            &mut tx,
            M,
            r.id,
            Some(2),
            &sheet,
            &Editor::new(Actor::Cli, "whim")
        )
        .await,
        Err(StoreError::Invalid(_))
    ));
    tx.commit().await.expect("must succeed");
    let cur = store::current_sheet(&db, M, r.id)
        .await
        .expect("must succeed")
        .expect("must succeed");
    assert_eq!(cur.version, 2);
    assert_eq!(cur.sheet().width_narrowest_m, 3.8);
    let old = store::sheet_version(&db, M, r.id, 1)
        .await
        .expect("must succeed")
        .expect("must succeed");
    assert_eq!(old.sheet().width_narrowest_m, 4.0);
    assert_eq!(
        store::sheet_versions(&db, M, r.id)
            .await
            .expect("must succeed")
            .len(),
        2
    );
    let h = store::history(&db, M, "sheet", r.id)
        .await
        .expect("must succeed");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].user_id, Some(uid));
    assert_eq!(h[0].actor, format!("user:{uid}"));
});

db_test!(
    view_counters_add_up_per_month_and_channel,
    |db: Db| async move {
        setup(&db).await;
        store::add_views(&db, M, "2026-11", "api", 3)
            .await
            .expect("must succeed");
        store::add_views(&db, M, "2026-11", "api", 2)
            .await
            .expect("must succeed");
        store::add_views(&db, M, "2026-12", "map", 1)
            .await
            .expect("must succeed");
        let v = store::views(&db, M).await.expect("must succeed");
        let v: Vec<(&str, &str, i64)> = v
            .iter()
            .map(|c| (c.month.as_str(), c.channel.as_str(), c.views))
            .collect();
        assert_eq!(v, [("2026-11", "api", 5), ("2026-12", "map", 1)]);
    }
);
