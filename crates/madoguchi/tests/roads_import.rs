//! `roads import`: the report names bad features by number, a bad file imports nothing (all
//! or nothing), zone IX and CRS84 files give the same network, and a Shapefile with a
//! Shift_JIS .dbf is read. Every test runs on SQLite and PostgreSQL.

#[macro_use]
mod common;

use std::collections::HashSet;

use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::roads::crs::Crs;
use madoguchi::roads::import;
use madoguchi::roads::model::{Route, Section};
use madoguchi::roads::store::{self, Editor, Filter};
use serde_json::json;

const M: &str = "122033";

fn cli() -> Editor {
    Editor::new(Actor::Cli, "import")
}

fn none(_: u64, _: u64) {}

/// Two routes, three sections, zone IX [easting, northing] around 市川駅.
fn good_zone9() -> serde_json::Value {
    json!({
        "type": "FeatureCollection",
        "crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::6677" } },
        "features": [
            { "type": "Feature",
              "geometry": { "type": "LineString", "coordinates": [[6560.0, -29600.0], [6640.0, -29600.0]] },
              "properties": { "路線番号": "1001", "路線名": "八幡1号幹線", "路線区分": "1級",
                "認定年月日": "1975-04-01", "起点": "市川市八幡一丁目", "終点": "市川市八幡二丁目",
                "車道幅員": 9.5, "歩道幅員": 3.0, "歩道": "両側" } },
            { "type": "Feature",
              "geometry": { "type": "LineString", "coordinates": [[6640.0, -29600.0], [6700.0, -29580.0]] },
              "properties": { "路線番号": "1001", "車道幅員": 9.0 } },
            { "type": "Feature",
              "geometry": { "type": "LineString", "coordinates": [[6640.0, -29600.0], [6640.0, -29520.0]] },
              "properties": { "route_number": "3001", "name": "市道3001号線", "certified_on": "1980/10/01",
                "start_address": "市川市八幡二丁目", "end_address": "市川市八幡三丁目",
                "carriageway_width_m": "4.5" } }
        ]
    })
}

async fn setup(db: &Db) {
    common::seed_municipality(db, M, "市川市", "Ichikawa").await;
}

fn write(dir: &std::path::Path, name: &str, v: &serde_json::Value) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).expect("write fixture");
    p
}

db_test!(
    zone_ix_geojson_imports_routes_sections_and_sheets,
    |db: Db| async move {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("tmp");
        let path = write(dir.path(), "roads.geojson", &good_zone9());
        let (plan, summary) = import::import_file(&db, M, &path, None, &cli(), &none)
            .await
            .expect("import");
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
        assert_eq!(
            plan.crs,
            Some(Crs::Epsg6677),
            "the file's crs member is read"
        );
        assert_eq!(summary.expect("imported").sections, 3);
        let r = store::route_by_number(&db, M, "municipal", "1001")
            .await
            .expect("q")
            .expect("route");
        assert_eq!(r.route_class, "1");
        assert!(
            (r.length_m - (80.0 + 60.0f64.hypot(20.0))).abs() < 0.001,
            "{}",
            r.length_m
        );
        assert_eq!((r.width_min_m, r.width_max_m), (9.0 + 0.0, 9.5 + 3.0));
        let r2 = store::route_by_number(&db, M, "municipal", "3001")
            .await
            .expect("q")
            .expect("route");
        assert_eq!(r2.certified_on, "1980-10-01");
        let secs: Vec<Section> = store::list(
            &db,
            M,
            &Filter {
                route_id: Some(r.id),
                ..Default::default()
            },
        )
        .await
        .expect("q");
        let codes: Vec<&str> = secs.iter().map(|s| s.section_code.as_str()).collect();
        assert_eq!(codes, ["1001-001", "1001-002"]);
        assert!(
            store::current_sheet(&db, M, r.id)
                .await
                .expect("q")
                .is_some(),
            "a first 調書 per route"
        );
        assert_eq!(store::imports(&db, M).await.expect("q").len(), 1);
    }
);

db_test!(
    bad_file_reports_feature_numbers_and_imports_nothing,
    |db: Db| async move {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("tmp");
        let mut v = good_zone9();
        let f = v["features"].as_array_mut().expect("features");
        // 4: no route number. 5: zero-length line. 6: unknown route. 7: duplicate section code
        // of feature 1. 8: route 1001 again with another name. 9: missing carriageway width.
        f.push(json!({ "type": "Feature", "geometry": { "type": "LineString", "coordinates": [[6000.0, -29000.0], [6010.0, -29000.0]] }, "properties": { "車道幅員": 4 } }));
        f.push(json!({ "type": "Feature", "geometry": { "type": "LineString", "coordinates": [[6000.0, -29000.0], [6000.0, -29000.0]] }, "properties": { "路線番号": "1001", "車道幅員": 4 } }));
        f.push(json!({ "type": "Feature", "geometry": { "type": "LineString", "coordinates": [[6000.0, -29000.0], [6010.0, -29000.0]] }, "properties": { "路線番号": "9999", "車道幅員": 4 } }));
        f.push(json!({ "type": "Feature", "geometry": { "type": "LineString", "coordinates": [[6000.0, -29000.0], [6010.0, -29000.0]] }, "properties": { "路線番号": "3001", "区間番号": "1001-001", "車道幅員": 4 } }));
        f.push(json!({ "type": "Feature", "geometry": { "type": "LineString", "coordinates": [[6000.0, -29000.0], [6010.0, -29000.0]] }, "properties": { "路線番号": "1001", "路線名": "別の名前", "認定年月日": "1975-04-01", "起点": "a", "終点": "b", "車道幅員": 4 } }));
        f.push(json!({ "type": "Feature", "geometry": { "type": "LineString", "coordinates": [[6000.0, -29000.0], [6010.0, -29000.0]] }, "properties": { "路線番号": "3001" } }));
        let path = write(dir.path(), "bad.geojson", &v);
        let (plan, summary) = import::import_file(&db, M, &path, None, &cli(), &none)
            .await
            .expect("checked");
        assert!(summary.is_none(), "nothing imported");
        let got: Vec<(usize, bool)> = plan.problems.iter().map(|p| (p.feature, true)).collect();
        let numbers: Vec<usize> = got.iter().map(|g| g.0).collect();
        assert_eq!(numbers, [4, 5, 6, 7, 8, 9], "{:#?}", plan.problems);
        let msg = |n: usize| {
            plan.problems
                .iter()
                .find(|p| p.feature == n)
                .map(|p| p.message.clone())
                .unwrap_or_default()
        };
        assert!(msg(4).contains("路線番号"), "{}", msg(4));
        assert!(msg(5).contains("zero length"), "{}", msg(5));
        assert!(
            msg(6).contains("9999") && msg(6).contains("unknown"),
            "{}",
            msg(6)
        );
        assert!(
            msg(7).contains("1001-001") && msg(7).contains("feature 1"),
            "{}",
            msg(7)
        );
        assert!(msg(8).contains("defined differently"), "{}", msg(8));
        assert!(msg(9).contains("車道幅員"), "{}", msg(9));
        assert!(plan.problems[0].to_string().starts_with("地物 feature 4:"));
        let routes = store::all_routes(&db, M).await.expect("q");
        assert!(
            routes.is_empty(),
            "all or nothing: the good features were not imported either"
        );
        assert_eq!(store::data_version(&db, M).await.expect("q"), 0);

        // A second import of the good file works, and importing it again is refused (duplicates
        // with the ledger), again changing nothing.
        let good = write(dir.path(), "good.geojson", &good_zone9());
        let (_, s) = import::import_file(&db, M, &good, None, &cli(), &none)
            .await
            .expect("import");
        assert!(s.is_some());
        let version = store::data_version(&db, M).await.expect("q");
        let (plan, s) = import::import_file(&db, M, &good, None, &cli(), &none)
            .await
            .expect("checked");
        assert!(s.is_none());
        assert!(
            plan.problems
                .iter()
                .any(|p| p.feature == 1 && p.message.contains("already in the ledger")),
            "{:?}",
            plan.problems
        );
        assert_eq!(store::data_version(&db, M).await.expect("q"), version);
        // Sections only (no 路線名) for an existing route are added to it.
        let more = json!({ "type": "FeatureCollection", "crs": { "type": "name", "properties": { "name": "EPSG:6677" } },
        "features": [ { "type": "Feature", "geometry": { "type": "LineString", "coordinates": [[6700.0, -29580.0], [6760.0, -29570.0]] },
            "properties": { "路線番号": "1001", "区間番号": "1001-003", "車道幅員": 9.0 } } ] });
        let p = write(dir.path(), "more.geojson", &more);
        let (plan, s) = import::import_file(&db, M, &p, None, &cli(), &none)
            .await
            .expect("import");
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
        assert_eq!(s.expect("imported").sections, 1);
    }
);

db_test!(
    crs84_and_zone_ix_give_the_same_network,
    |db: Db| async move {
        setup(&db).await;
        let dir = tempfile::tempdir().expect("tmp");
        // The same file in lon/lat (converted with our Gauss–Krüger inverse) and with a changed
        // route number, imported with --crs CRS84 (and once without: GeoJSON defaults to CRS84).
        let mut v = good_zone9();
        v.as_object_mut().expect("obj").remove("crs");
        for f in v["features"].as_array_mut().expect("features") {
            let cs = f["geometry"]["coordinates"].as_array_mut().expect("coords");
            for c in cs.iter_mut() {
                let (e, n) = (c[0].as_f64().expect("e"), c[1].as_f64().expect("n"));
                let (lat, lon) =
                    madoguchi::roads::crs::to_geographic(&madoguchi::roads::crs::ZONE_IX, n, e);
                *c = json!([lon, lat]);
            }
        }
        let path = write(dir.path(), "lonlat.geojson", &v);
        let (plan, s) = import::import_file(&db, M, &path, Some(Crs::Crs84), &cli(), &none)
            .await
            .expect("import");
        assert!(plan.problems.is_empty(), "{:?}", plan.problems);
        assert!(s.is_some());
        let secs: Vec<Section> = store::list(&db, M, &Filter::default()).await.expect("q");
        let g: serde_json::Value = serde_json::from_str(&secs[0].geometry).expect("json");
        let p0 = g["coordinates"][0].as_array().expect("pos");
        assert!(
            (p0[0].as_f64().expect("e") - 6560.0).abs() < 0.001,
            "{p0:?}"
        );
        assert!(
            (p0[1].as_f64().expect("n") - -29600.0).abs() < 0.001,
            "{p0:?}"
        );

        // Zone IX coordinates given as lon/lat are caught (a file of degrees read as metres).
        let bad = write(dir.path(), "deg.geojson", &v);
        let (plan, _) = import::import_file(&db, M, &bad, Some(Crs::Epsg6677), &cli(), &none)
            .await
            .expect("checked");
        assert!(
            plan.problems
                .iter()
                .any(|p| p.feature == 0 && p.message.contains("--crs CRS84")),
            "{:?}",
            plan.problems
        );
    }
);

db_test!(shapefile_with_shift_jis_dbf, |db: Db| async move {
    use shapefile::dbase::{self, FieldName, FieldValue, Record, TableWriterBuilder};
    setup(&db).await;
    let dir = tempfile::tempdir().expect("tmp");
    let field = |s: &str| FieldName::try_from(s).expect("field name");
    let shp2 = dir.path().join("rosen2.shp");
    let table = TableWriterBuilder::with_encoding(dbase::encoding::EncodingRs::from(
        encoding_rs::SHIFT_JIS,
    ))
    .add_character_field(field("ROSEN_NO"), 10)
    .add_character_field(field("ROSEN_NAME"), 40)
    .add_character_field(field("ROSEN_KBN"), 10)
    .add_character_field(field("NINTEI_YMD"), 10)
    .add_character_field(field("KITEN"), 40)
    .add_character_field(field("SHUTEN"), 40)
    .add_numeric_field(field("SHADO_W"), 8, 2);
    {
        let mut w = shapefile::Writer::from_path(&shp2, table).expect("writer");
        let line = shapefile::Polyline::new(vec![
            shapefile::Point::new(6000.0, -29000.0),
            shapefile::Point::new(6050.0, -29010.0),
        ]);
        let mut r = Record::default();
        r.insert(
            "ROSEN_NO".into(),
            FieldValue::Character(Some("3050".into())),
        );
        r.insert(
            "ROSEN_NAME".into(),
            FieldValue::Character(Some("八幡中央線".into())),
        );
        r.insert(
            "ROSEN_KBN".into(),
            FieldValue::Character(Some("2級".into())),
        );
        r.insert(
            "NINTEI_YMD".into(),
            FieldValue::Character(Some("19900401".into())),
        );
        r.insert(
            "KITEN".into(),
            FieldValue::Character(Some("市川市八幡一丁目".into())),
        );
        r.insert(
            "SHUTEN".into(),
            FieldValue::Character(Some("市川市真間二丁目".into())),
        );
        r.insert("SHADO_W".into(), FieldValue::Numeric(Some(5.5)));
        w.write_shape_and_record(&line, &r).expect("write");
    }
    // The .dbf really is Shift_JIS: its bytes hold the names in cp932, not in UTF-8.
    let raw = std::fs::read(shp2.with_extension("dbf")).expect("dbf");
    let (sjis, _, _) = encoding_rs::SHIFT_JIS.encode("八幡中央線");
    assert!(raw.windows(sjis.len()).any(|w| w == &*sjis));
    assert!(!raw.windows("八幡".len()).any(|w| w == "八幡".as_bytes()));
    let (plan, s) = import::import_file(&db, M, &shp2, Some(Crs::Epsg6677), &cli(), &none)
        .await
        .expect("import");
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_eq!(s.expect("imported").routes, 1);
    let r: Route = store::route_by_number(&db, M, "municipal", "3050")
        .await
        .expect("q")
        .expect("route");
    assert_eq!(r.name, "八幡中央線");
    assert_eq!(r.start_address, "市川市八幡一丁目");
    assert_eq!(r.certified_on, "1990-04-01");
    assert_eq!(r.route_class, "2");
    // Without --crs and without a .prj, a Shapefile is refused.
    let (plan, _) = import::import_file(&db, M, &shp2, None, &cli(), &none)
        .await
        .expect("checked");
    assert!(
        plan.problems[0].message.contains("--crs"),
        "{:?}",
        plan.problems
    );
});

db_test!(
    demo_network_loads_through_the_import_path,
    |db: Db| async move {
        setup(&db).await;
        madoguchi::roads::demo::load_into(&db, M)
            .await
            .expect("demo");
        let n = store::count::<Section>(&db, M, &Filter::default())
            .await
            .expect("count");
        assert!(n > 2500, "{n} sections");
        let routes = store::all_routes(&db, M).await.expect("q");
        let classes: HashSet<&str> = routes.iter().map(|r| r.route_class.as_str()).collect();
        assert_eq!(classes.len(), 3);
        // Idempotent.
        madoguchi::roads::demo::load_into(&db, M)
            .await
            .expect("demo again");
        assert_eq!(
            store::count::<Section>(&db, M, &Filter::default())
                .await
                .expect("count"),
            n
        );
    }
);
