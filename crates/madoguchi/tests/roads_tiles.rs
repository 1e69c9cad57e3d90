//! Vector tiles of stored road data (docs/roads-map.md), on SQLite and PostgreSQL: the tile is
//! decoded back and its features are checked at known points; an empty area gives an empty
//! tile; an edit invalidates the cache; ETag / If-None-Match; bad tile addresses.
//!
//! The data is our own, in 酒々井町 (the demo's second municipality), so the demo's Ichikawa
//! network does not get in the way.

#[macro_use]
mod common;
mod support;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::roads::crs::{ZONE_IX, to_plane};
use madoguchi::roads::model::{AreaLine, BoundaryPoint, Route, Section};
use madoguchi::roads::store::{self, Editor};
use madoguchi::roads::tiles::{self, TileId, decode, tile_for};
use madoguchi::web;
use support::{SHISUI_HOST, TestApp};
use tower::ServiceExt;

const M: &str = "123226";

/// A point near 酒々井駅 and one 300 m east of it (lon, lat).
const A: (f64, f64) = (140.2690, 35.7235);
const B: (f64, f64) = (140.2723, 35.7235);

/// Storage position [easting, northing] of a lon/lat.
fn storage(lon: f64, lat: f64) -> [f64; 2] {
    let (x, y) = to_plane(&ZONE_IX, lat, lon);
    [y, x]
}

fn line(points: &[(f64, f64)]) -> String {
    let coords: Vec<[f64; 2]> = points.iter().map(|p| storage(p.0, p.1)).collect();
    serde_json::json!({"type": "LineString", "coordinates": coords}).to_string()
}

fn new_route(number: &str, name: &str, public: bool) -> Route {
    Route {
        road_kind: "municipal".into(),
        route_number: number.into(),
        name: name.into(),
        route_class: "1".into(),
        certified_on: "1980-04-01".into(),
        start_address: "酒々井町中央台一丁目".into(),
        end_address: "酒々井町中央台二丁目".into(),
        length_m: 300.0,
        width_min_m: 6.0,
        width_max_m: 8.0,
        public,
        ..Default::default()
    }
}

fn new_section(route_id: i64, code: &str, geometry: String) -> Section {
    Section {
        route_id,
        section_code: code.into(),
        carriageway_width_m: 6.5,
        sidewalk_width_m: 2.0,
        pavement: "asphalt".into(),
        sidewalk: "both_sides".into(),
        geometry,
        public: true,
        ..Default::default()
    }
}

struct Seeded {
    route: Route,
    section: Section,
    hidden_section: Section,
    area: AreaLine,
    point: BoundaryPoint,
}

async fn seed(db: &Db) -> Seeded {
    let ed = Editor::new(Actor::Cli, "test data");
    let mut tx = db.begin().await.expect("begin");
    let route = store::insert(&mut tx, M, &new_route("S-101", "中央台1号線", true), &ed)
        .await
        .expect("route");
    let hidden = store::insert(&mut tx, M, &new_route("S-900", "非公開線", false), &ed)
        .await
        .expect("hidden route");
    let section = store::insert(
        &mut tx,
        M,
        &new_section(route.id, "S-101-001", line(&[A, B])),
        &ed,
    )
    .await
    .expect("section");
    // public row, non-public route: must stay off the map
    let hidden_section = store::insert(
        &mut tx,
        M,
        &new_section(
            hidden.id,
            "S-900-001",
            line(&[(A.0, A.1 + 0.0004), (B.0, B.1 + 0.0004)]),
        ),
        &ed,
    )
    .await
    .expect("hidden section");
    let area = store::insert(
        &mut tx,
        M,
        &AreaLine {
            route_id: route.id,
            boundary_status: "confirmed".into(),
            confirmed_on: Some("2001-05-10".into()),
            document_number: Some("確-12".into()),
            geometry: line(&[(A.0, A.1 - 0.00005), (B.0, B.1 - 0.00005)]),
            public: true,
            ..Default::default()
        },
        &ed,
    )
    .await
    .expect("area line");
    let p = storage(A.0, A.1 - 0.00005);
    let point = store::insert(
        &mut tx,
        M,
        &BoundaryPoint {
            route_id: Some(route.id),
            point_number: "K-1".into(),
            x_north: p[1],
            y_east: p[0],
            marker: "concrete_post".into(),
            boundary_status: "confirmed".into(),
            datum: "JGD2011".into(),
            public: true,
            ..Default::default()
        },
        &ed,
    )
    .await
    .expect("boundary point");
    tx.commit().await.expect("commit");
    Seeded {
        route,
        section,
        hidden_section,
        area,
        point,
    }
}

struct TileResp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

async fn get_tile(app: &Router, t: TileId, headers: &[(&str, &str)]) -> TileResp {
    get_raw(
        app,
        &format!("/roads/tiles/{}/{}/{}.mvt", t.z, t.x, t.y),
        headers,
    )
    .await
}

/// The app's router, made once per test: the tile cache belongs to the router.
fn router(app: &TestApp) -> Router {
    web::router(app.state.clone())
}

async fn get_raw(app: &Router, path: &str, headers: &[(&str, &str)]) -> TileResp {
    let mut req = Request::get(path).header(header::HOST, SHISUI_HOST);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body")
        .to_vec();
    TileResp {
        status,
        headers,
        body,
    }
}

fn header<'a>(r: &'a TileResp, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn near(a: (i32, i32), b: (f64, f64)) -> bool {
    (f64::from(a.0) - b.0).abs() <= 1.0 && (f64::from(a.1) - b.1).abs() <= 1.0
}

db_test!(tile_features_at_known_points, |db: Db| async move {
    let app = router(&TestApp::demo(db.clone()).await);
    let s = seed(&db).await;
    let t = tile_for(A.0, A.1, 16);
    let r = get_tile(&app, t, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        header(&r, "content-type"),
        "application/vnd.mapbox-vector-tile"
    );
    let features = decode(&r.body).expect("a valid tile");
    let sec = features
        .iter()
        .find(|f| f.layer == "sections" && f.id == Some(s.section.id as u64))
        .expect("the section is in the tile");
    // Its two ends, projected independently, are where the tile puts them.
    let part = &sec.parts[0];
    assert!(
        near(part[0], t.project(A.0, A.1)),
        "{part:?} vs {:?}",
        t.project(A.0, A.1)
    );
    let end = *part.last().expect("end");
    let pb = t.project(B.0, B.1);
    if pb.0 <= f64::from(tiles::EXTENT) + tiles::BUFFER {
        assert!(near(end, pb), "{end:?} vs {pb:?}");
    } else {
        assert_eq!(
            f64::from(end.0),
            f64::from(tiles::EXTENT) + tiles::BUFFER,
            "clipped at the buffer"
        );
    }
    let prop = |k: &str| {
        sec.properties
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {k}"))
    };
    use madoguchi::roads::tiles::TileValue;
    assert_eq!(prop("route_id"), TileValue::Uint(s.route.id as u64));
    assert_eq!(prop("route_number"), TileValue::Str("S-101".into()));
    assert_eq!(prop("route_name"), TileValue::Str("中央台1号線".into()));
    assert_eq!(prop("carriageway_width_m"), TileValue::Double(6.5));
    assert!(
        !features
            .iter()
            .any(|f| f.id == Some(s.hidden_section.id as u64) && f.layer == "sections"),
        "a section of a non-public route is left out"
    );
    // Road-area lines from zoom 15, boundary points from zoom 17.
    assert!(!features.iter().any(|f| f.layer == "boundary_points"));
    assert!(
        features
            .iter()
            .any(|f| f.layer == "road_area" && f.id == Some(s.area.id as u64))
    );
    let t14 = tile_for(A.0, A.1, 14);
    let f14 = decode(&get_tile(&app, t14, &[]).await.body).expect("tile");
    assert!(f14.iter().any(|f| f.layer == "sections"));
    assert!(!f14.iter().any(|f| f.layer == "road_area"));
    let t17 = tile_for(A.0, A.1 - 0.00005, 17);
    let f17 = decode(&get_tile(&app, t17, &[]).await.body).expect("tile");
    let pt = f17
        .iter()
        .find(|f| f.layer == "boundary_points" && f.id == Some(s.point.id as u64))
        .expect("the boundary point at zoom 17");
    assert!(near(pt.parts[0][0], t17.project(A.0, A.1 - 0.00005)));
});

db_test!(empty_area_gives_an_empty_tile, |db: Db| async move {
    let app = router(&TestApp::demo(db.clone()).await);
    seed(&db).await;
    // Tokyo Bay, off 船橋: no road of either municipality.
    let t = tile_for(139.95, 35.60, 15);
    let r = get_tile(&app, t, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.is_empty(), "an empty tile is a zero-length message");
    assert!(decode(&r.body).expect("valid").is_empty());
});

db_test!(edit_invalidates_the_cache, |db: Db| async move {
    let app = router(&TestApp::demo(db.clone()).await);
    let s = seed(&db).await;
    let t = tile_for(A.0, A.1, 16);
    let first = get_tile(&app, t, &[]).await;
    assert_eq!(header(&first, "x-tile-cache"), "miss");
    let again = get_tile(&app, t, &[]).await;
    assert_eq!(header(&again, "x-tile-cache"), "hit");
    assert_eq!(first.body, again.body);
    let etag = header(&first, "etag").to_owned();
    assert!(etag.starts_with("\"r"), "{etag}");
    assert!(header(&first, "cache-control").starts_with("public, max-age="));
    let not_modified = get_tile(&app, t, &[("if-none-match", &etag)]).await;
    assert_eq!(not_modified.status, StatusCode::NOT_MODIFIED);
    assert!(not_modified.body.is_empty());

    // Move the section's start 5 m north through the store (as staff editing does).
    let moved = (A.0, A.1 + 0.00005);
    let mut sec = s.section.clone();
    sec.geometry = line(&[moved, B]);
    let mut tx = db.begin().await.expect("begin");
    store::update(&mut tx, M, &sec, &Editor::new(Actor::Cli, "correction"))
        .await
        .expect("update");
    tx.commit().await.expect("commit");

    let after = get_tile(&app, t, &[("if-none-match", &etag)]).await;
    assert_eq!(
        after.status,
        StatusCode::OK,
        "the old ETag no longer matches"
    );
    assert_eq!(header(&after, "x-tile-cache"), "miss");
    assert_ne!(header(&after, "etag"), etag);
    let f = decode(&after.body).expect("tile");
    let sec = f
        .iter()
        .find(|f| f.layer == "sections" && f.id == Some(s.section.id as u64))
        .expect("still there");
    assert!(
        near(sec.parts[0][0], t.project(moved.0, moved.1)),
        "{:?}",
        sec.parts[0]
    );
});

db_test!(
    a_write_by_another_process_shows_within_the_version_check,
    |db: Db| async move {
        // A cached tile is served without asking the database (docs/roads-map.md "Cache"):
        // a change that did not go through this process's store is seen once
        // tile_version_check_ms has passed.
        let mut cfg = madoguchi::config::Config::default();
        cfg.roads_map.tile_version_check_ms = 300;
        let app = router(&TestApp::with_config(db.clone(), cfg).await);
        seed(&db).await;
        let t = tile_for(A.0, A.1, 16);
        let first = get_tile(&app, t, &[]).await;
        let etag = header(&first, "etag").to_owned();
        // As the import CLI or a second server would: another connection, not the store.
        db.execute_raw(&format!(
            "UPDATE road_meta SET data_version = data_version + 1 WHERE municipality_id = '{M}'"
        ))
        .await
        .expect("bump");
        let soon = get_tile(&app, t, &[]).await;
        assert_eq!(
            (header(&soon, "etag"), header(&soon, "x-tile-cache")),
            (etag.as_str(), "hit"),
            "served from memory within the check time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let later = get_tile(&app, t, &[]).await;
        assert_eq!(
            header(&later, "x-tile-cache"),
            "miss",
            "the new version was read"
        );
        assert_ne!(header(&later, "etag"), etag);
        assert_eq!(later.body, first.body, "same roads, new version");
    }
);

db_test!(bad_tile_addresses, |db: Db| async move {
    let app = router(&TestApp::demo(db.clone()).await);
    assert_eq!(
        get_raw(&app, "/roads/tiles/9/0/0.mvt", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_raw(&app, "/roads/tiles/19/0/0.mvt", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get_raw(&app, "/roads/tiles/10/1024/0.mvt", &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = get_raw(&app, "/roads/tiles/14/abc/1.mvt", &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(String::from_utf8_lossy(&r.body).contains("{z}/{x}/{y}.mvt"));
    assert_eq!(
        get_raw(&app, "/roads/tiles/14/1/1.png", &[]).await.status,
        StatusCode::BAD_REQUEST
    );
});
