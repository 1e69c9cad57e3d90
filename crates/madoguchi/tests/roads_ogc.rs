//! OGC API – Features, Part 1 Core 1.0.1 and Part 2 CRS 1.0.1, one test per abstract test of
//! the standard (the official ETS cannot run here; ../shared/reference/road-ledger-gis.md §7).
//! Test names follow the abstract test identifiers: `ats_core_root_success` is
//! `/conf/core/root-success`, `ats_crs_…` are `/conf/crs/…` of Part 2. The data is a small
//! fixture imported through `roads import` (zone IX), on SQLite and PostgreSQL.

#[macro_use]
mod common;
mod support;

use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::roads::crs::{self, Crs};
use madoguchi::roads::import;
use madoguchi::roads::model::ControlPoint;
use madoguchi::roads::store::{self, Editor};
use serde_json::{Value, json};
use support::*;

const M: &str = "122033";

/// 12 sections of route 1001 along the easting axis (each 50 m, 10 m apart) and one route
/// 3001 going north; plus one public and one non-public control point.
async fn app(db: Db) -> TestApp {
    let app = TestApp::demo(db).await;
    let mut features = Vec::new();
    for i in 0..12 {
        let e = 6000.0 + 60.0 * i as f64;
        let mut props = json!({ "路線番号": "1001", "車道幅員": 9.0 });
        if i == 0 {
            props = json!({ "路線番号": "1001", "路線名": "八幡1号幹線", "路線区分": "1級", "認定年月日": "1975-04-01",
                "起点": "市川市八幡一丁目", "終点": "市川市八幡二丁目", "車道幅員": 9.0 });
        }
        features.push(json!({ "type": "Feature", "properties": props,
            "geometry": { "type": "LineString", "coordinates": [[e, -29000.0], [e + 50.0, -29000.0]] } }));
    }
    features.push(json!({ "type": "Feature",
        "properties": { "路線番号": "3001", "路線名": "市道3001号線", "認定年月日": "1980-10-01", "起点": "a", "終点": "b", "車道幅員": 4.0 },
        "geometry": { "type": "LineString", "coordinates": [[6000.0, -28000.0], [6000.0, -27900.0]] } }));
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("f.geojson");
    std::fs::write(
        &path,
        json!({ "type": "FeatureCollection", "features": features }).to_string(),
    )
    .expect("write");
    let ed = Editor::new(Actor::Cli, "import");
    let (plan, s) = import::import_file(&app.db, M, &path, Some(Crs::Epsg6677), &ed, &|_, _| {})
        .await
        .expect("import");
    assert!(s.is_some(), "{:?}", plan.problems);
    let mut tx = app.db.begin().await.expect("tx");
    for (name, public) in [("街区01", true), ("秘01", false)] {
        store::insert(
            &mut tx,
            M,
            &ControlPoint {
                point_name: name.into(),
                kind: "block".into(),
                grade: 4,
                x_north: -29100.0,
                y_east: 6100.0,
                datum: "JGD2011".into(),
                condition: "present".into(),
                manager: "市川市".into(),
                public,
                ..Default::default()
            },
            &ed,
        )
        .await
        .expect("cp");
    }
    tx.commit().await.expect("commit");
    app
}

async fn get(app: &TestApp, path: &str) -> Resp {
    app.client(ICHIKAWA_HOST).get(path).await
}

async fn get_accept(app: &TestApp, path: &str, accept: &str) -> Resp {
    app.client(ICHIKAWA_HOST)
        .get_with(path, &[("accept", accept)])
        .await
}

fn header<'a>(r: &'a Resp, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn links(v: &Value) -> Vec<(String, String, String)> {
    v["links"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    (
                        l["rel"].as_str().unwrap_or("").to_owned(),
                        l["type"].as_str().unwrap_or("").to_owned(),
                        l["href"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn href(v: &Value, rel: &str) -> Option<String> {
    links(v)
        .into_iter()
        .find(|(r, _, _)| r == rel)
        .map(|(_, _, h)| h)
}

fn ids(v: &Value) -> Vec<i64> {
    v["features"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["id"].as_i64()).collect())
        .unwrap_or_default()
}

fn local(url: &str) -> String {
    path_of(url)
}

db_test!(ats_core_root_op_and_root_success, |db: Db| async move {
    // /conf/core/root-op, /conf/core/root-success
    let app = app(db).await;
    let r = get(&app, "/ogc").await;
    assert_eq!(r.status, 200);
    assert!(header(&r, "content-type").starts_with("application/json"));
    let v = r.json();
    let l = links(&v);
    for rel in [
        "self",
        "alternate",
        "service-desc",
        "service-doc",
        "conformance",
        "data",
    ] {
        assert!(
            l.iter().any(|(r, t, _)| r == rel && !t.is_empty()),
            "{rel} link with a type: {l:?}"
        );
    }
    assert!(
        href(&v, "conformance")
            .expect("c")
            .ends_with("/ogc/conformance")
    );
    assert!(href(&v, "data").expect("d").ends_with("/ogc/collections"));
});

db_test!(
    ats_core_api_definition_op_and_success_oas30,
    |db: Db| async move {
        // /conf/core/api-definition-op, /conf/core/api-definition-success,
        // /conf/oas30/oas-definition-1 and -2 (an OpenAPI 3.0 document, not 3.1).
        let app = app(db).await;
        let v = get(&app, "/ogc").await.json();
        let l = links(&v);
        let (_, typ, desc) = l
            .iter()
            .find(|(r, _, _)| r == "service-desc")
            .cloned()
            .expect("service-desc");
        assert_eq!(typ, "application/vnd.oai.openapi+json;version=3.0");
        assert!(
            l.iter()
                .any(|(r, t, _)| r == "service-doc" && t == "text/html")
        );
        let r = get_accept(&app, &local(&desc), &typ).await;
        assert_eq!(r.status, 200);
        assert_eq!(header(&r, "content-type"), typ);
        let api = r.json();
        assert!(
            api["openapi"]
                .as_str()
                .expect("version")
                .starts_with("3.0."),
            "{}",
            api["openapi"]
        );
        for p in [
            "/",
            "/conformance",
            "/collections",
            "/collections/{collectionId}",
            "/collections/{collectionId}/items",
            "/collections/{collectionId}/items/{featureId}",
        ] {
            assert!(api["paths"][p]["get"].is_object(), "path {p}");
        }
        let limit = api["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]
            .as_array()
            .expect("params")
            .iter()
            .find(|p| p["name"] == "limit")
            .cloned()
            .expect("limit");
        assert_eq!(limit["schema"]["maximum"], 1000);
        let doc = get(&app, "/ogc/api.html").await;
        assert_eq!(doc.status, 200);
        assert!(header(&doc, "content-type").starts_with("text/html"));
    }
);

db_test!(ats_core_conformance_op_and_success, |db: Db| async move {
    // /conf/core/conformance-op, /conf/core/conformance-success, /conf/crs/… (class listed)
    let app = app(db).await;
    let r = get(&app, "/ogc/conformance").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    let c: Vec<&str> = v["conformsTo"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for class in [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    ] {
        assert!(c.contains(&class), "{class}");
    }
});

db_test!(
    ats_core_fc_md_op_success_links_items_extent,
    |db: Db| async move {
        // /conf/core/fc-md-op, fc-md-success, fc-md-links, fc-md-items, fc-md-items-links,
        // fc-md-extent; /conf/crs/fc-md-crs-list, fc-md-storageCrs
        let app = app(db).await;
        let r = get(&app, "/ogc/collections").await;
        assert_eq!(r.status, 200);
        let v = r.json();
        let l = links(&v);
        assert!(
            l.iter()
                .any(|(r, t, _)| r == "self" && t == "application/json")
        );
        assert!(
            l.iter()
                .any(|(r, t, _)| r == "alternate" && t == "text/html")
        );
        let cols = v["collections"].as_array().expect("collections");
        let ids: Vec<&str> = cols.iter().filter_map(|c| c["id"].as_str()).collect();
        assert_eq!(
            ids,
            [
                "routes",
                "sections",
                "area-lines",
                "boundary-points",
                "control-points",
                "facilities"
            ]
        );
        for c in cols {
            let cl = links(c);
            for t in ["application/geo+json", "text/html"] {
                assert!(
                    cl.iter().any(|(r, ty, _)| r == "items" && ty == t),
                    "{} items link {t}",
                    c["id"]
                );
            }
            assert!(cl.iter().all(|(r, t, _)| !r.is_empty() && !t.is_empty()));
            let crs: Vec<&str> = c["crs"]
                .as_array()
                .expect("crs")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            assert!(
                crs.contains(&crs::CRS84_URI)
                    && crs.contains(&crs::EPSG6668_URI)
                    && crs.contains(&crs::EPSG6677_URI)
            );
            assert_eq!(c["storageCrs"], crs::EPSG6677_URI);
            assert!(crs.contains(&c["storageCrs"].as_str().expect("storage")));
        }
        // The extent of sections covers every section (lon/lat of their ends).
        let sec = &cols[1];
        let bb = sec["extent"]["spatial"]["bbox"][0]
            .as_array()
            .expect("bbox");
        let bb: Vec<f64> = bb.iter().filter_map(Value::as_f64).collect();
        for (e, n) in [(6000.0, -29000.0), (6710.0, -29000.0), (6000.0, -27900.0)] {
            let (lat, lon) = crs::to_geographic(&crs::ZONE_IX, n, e);
            assert!(
                lon >= bb[0] && lat >= bb[1] && lon <= bb[2] && lat <= bb[3],
                "{lat},{lon} in {bb:?}"
            );
        }
    }
);

db_test!(ats_core_sfc_md_op_success_and_links, |db: Db| async move {
    // /conf/core/sfc-md-op, sfc-md-success: same id, title, description, extent, itemType as
    // in /collections; links a superset.
    let app = app(db).await;
    let all = get(&app, "/ogc/collections").await.json();
    for c in all["collections"].as_array().expect("collections") {
        let id = c["id"].as_str().expect("id");
        let r = get(&app, &format!("/ogc/collections/{id}")).await;
        assert_eq!(r.status, 200);
        let one = r.json();
        for k in ["id", "title", "description", "extent", "itemType"] {
            assert_eq!(one[k], c[k], "{id} {k}");
        }
        let mine = links(&one);
        for l in links(c) {
            assert!(mine.contains(&l), "{id}: {l:?}");
        }
    }
    assert_eq!(get(&app, "/ogc/collections/nope").await.status, 404);
});

db_test!(
    ats_core_fc_op_response_links_and_geojson_content,
    |db: Db| async move {
        // /conf/core/fc-op, fc-response, fc-links, fc-timeStamp, fc-numberMatched,
        // fc-numberReturned; /conf/geojson/content, definition
        let app = app(db).await;
        let r = get(&app, "/ogc/collections/sections/items").await;
        assert_eq!(r.status, 200);
        assert_eq!(header(&r, "content-type"), "application/geo+json");
        assert_eq!(header(&r, "content-crs"), format!("<{}>", crs::CRS84_URI));
        let v = r.json();
        assert_eq!(v["type"], "FeatureCollection");
        assert_eq!(v["numberReturned"], 10, "default limit 10");
        assert_eq!(v["numberMatched"], 13);
        assert!(v["timeStamp"].as_str().expect("ts").ends_with('Z'));
        let l = links(&v);
        assert!(
            l.iter()
                .any(|(r, t, _)| r == "self" && t == "application/geo+json")
        );
        assert!(
            l.iter()
                .any(|(r, t, _)| r == "alternate" && t == "text/html")
        );
        assert!(l.iter().all(|(r, t, _)| !r.is_empty() && !t.is_empty()));
        let f = &v["features"][0];
        assert_eq!(f["type"], "Feature");
        assert_eq!(f["geometry"]["type"], "LineString");
        assert!(f["properties"]["section_code"].is_string());
        assert!(f["properties"].get("public").is_none());
        // CRS84 by default: lon, lat.
        let p = f["geometry"]["coordinates"][0].as_array().expect("pos");
        let (lat, lon) = crs::to_geographic(&crs::ZONE_IX, -29000.0, 6000.0);
        assert!(
            (p[0].as_f64().expect("lon") - lon).abs() < 1e-8
                && (p[1].as_f64().expect("lat") - lat).abs() < 1e-8,
            "{p:?}"
        );
    }
);

db_test!(
    ats_core_fc_limit_default_minimum_maximum_clamped,
    |db: Db| async move {
        // /conf/core/fc-limit-definition, fc-limit-response-1 and -2: never more than limit;
        // above the maximum is clamped, not an error; invalid values are 400.
        let app = app(db).await;
        let v = get(&app, "/ogc/collections/sections/items?limit=3")
            .await
            .json();
        assert_eq!(ids(&v).len(), 3);
        let r = get(&app, "/ogc/collections/sections/items?limit=100000").await;
        assert_eq!(r.status, 200, "clamped");
        assert_eq!(ids(&r.json()).len(), 13);
        for bad in ["0", "-1", "unlimited", "1.5"] {
            let r = get(
                &app,
                &format!("/ogc/collections/sections/items?limit={bad}"),
            )
            .await;
            assert_eq!(r.status, 400, "limit={bad}");
            assert_eq!(r.json()["code"], "InvalidParameterValue");
        }
    }
);

db_test!(
    ats_core_fc_paging_next_and_prev_links,
    |db: Db| async move {
        // /req/core/fc-next-1 (a next link while more matched), prev permitted; walking the next
        // links returns every feature exactly once.
        let app = app(db).await;
        let mut url = "/ogc/collections/sections/items?limit=5".to_string();
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let v = get(&app, &url).await.json();
            seen.extend(ids(&v));
            pages += 1;
            if pages > 1 {
                assert!(href(&v, "prev").is_some(), "prev on page {pages}");
            } else {
                assert!(href(&v, "prev").is_none());
            }
            match href(&v, "next") {
                Some(n) => url = local(&n),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        let mut sorted = seen.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 13);
        assert_eq!(seen.len(), 13);
    }
);

db_test!(
    ats_core_fc_bbox_definition_and_response,
    |db: Db| async move {
        // /conf/core/fc-bbox-definition, fc-bbox-response: only features whose geometry
        // intersects the box (CRS84 by default); 6 numbers accepted; bad boxes are 400.
        let app = app(db).await;
        // Section i spans eastings [6000 + 60 i, 6050 + 60 i] at northing -29000: a box over
        // eastings 6115‥6175 and northings -29005‥-28995 meets section i = 2 (1001-003) only.
        let ll = |e: f64, n: f64| crs::to_geographic(&crs::ZONE_IX, n, e);
        let (lat1, lon1) = ll(6115.0, -29005.0);
        let (lat2, lon2) = ll(6175.0, -28995.0);
        let v = get(
            &app,
            &format!("/ogc/collections/sections/items?bbox={lon1},{lat1},{lon2},{lat2}"),
        )
        .await
        .json();
        let codes: Vec<&str> = v["features"]
            .as_array()
            .expect("f")
            .iter()
            .filter_map(|f| f["properties"]["section_code"].as_str())
            .collect();
        assert_eq!(codes, ["1001-003"], "{v}");
        assert!(v.get("numberMatched").is_none(), "omitted for bbox queries");
        let r = get(
            &app,
            &format!("/ogc/collections/sections/items?bbox={lon1},{lat1},0,{lon2},{lat2},100"),
        )
        .await;
        assert_eq!(ids(&r.json()).len(), 1, "6-number bbox");
        // Routes: 3001 runs north at easting 6000 from northing -28000 to -27900; route 1001
        // (northing -29000) is outside.
        let (la, lo) = ll(5990.0, -27960.0);
        let (lb, lob) = ll(6010.0, -27940.0);
        let v = get(
            &app,
            &format!("/ogc/collections/routes/items?bbox={lo},{la},{lob},{lb}"),
        )
        .await
        .json();
        let nums: Vec<&str> = v["features"]
            .as_array()
            .expect("f")
            .iter()
            .filter_map(|f| f["properties"]["route_number"].as_str())
            .collect();
        assert_eq!(nums, ["3001"]);
        for bad in ["1,2,3", "a,b,c,d", "140,36,139,35"] {
            assert_eq!(
                get(&app, &format!("/ogc/collections/sections/items?bbox={bad}"))
                    .await
                    .status,
                400,
                "bbox={bad}"
            );
        }
    }
);

db_test!(
    ats_core_fc_time_definition_and_response,
    |db: Db| async move {
        // /conf/core/fc-time-definition, fc-time-response: instants and intervals, open ends;
        // the temporal property is the last ledger correction (updated_at).
        let app = app(db).await;
        let all = |q: &str| format!("/ogc/collections/sections/items?limit=100&datetime={q}");
        assert_eq!(
            ids(&get(&app, &all("2000-01-01T00:00:00Z/..")).await.json()).len(),
            13
        );
        assert_eq!(
            ids(&get(&app, &all("../2000-01-01T00:00:00Z")).await.json()).len(),
            0
        );
        assert_eq!(
            ids(
                &get(&app, &all("2000-01-01T00:00:00Z/2100-01-01T00:00:00Z"))
                    .await
                    .json()
            )
            .len(),
            13
        );
        assert_eq!(
            ids(&get(&app, &all("2001-02-03T04:05:06Z")).await.json()).len(),
            0
        );
        for bad in [
            "yesterday",
            "../..",
            "2020-01-01T00:00:00Z/2010-01-01T00:00:00Z",
        ] {
            assert_eq!(get(&app, &all(bad)).await.status, 400, "datetime={bad}");
        }
    }
);

db_test!(
    ats_core_query_param_unknown_and_invalid,
    |db: Db| async move {
        // /conf/core/query-param-unknown, /conf/core/query-param-invalid
        let app = app(db).await;
        let r = get(&app, "/ogc/collections/sections/items?color=red").await;
        assert_eq!(r.status, 400);
        assert!(
            r.json()["description"]
                .as_str()
                .expect("d")
                .contains("color")
        );
        assert_eq!(get(&app, "/ogc/collections?limit=3").await.status, 400);
        assert_eq!(
            get(&app, "/ogc/collections/sections/items?f=xml")
                .await
                .status,
            400
        );
        assert_eq!(
            get(&app, "/ogc/collections/sections/items?limit=1&limit=2")
                .await
                .status,
            400
        );
    }
);

db_test!(ats_core_f_op_success_and_links, |db: Db| async move {
    // /conf/core/f-op, f-success, f-links: self, alternate, collection (with type); the id
    // equals the path's featureId. Non-public features are not there (404).
    let app = app(db).await;
    let v = get(&app, "/ogc/collections/sections/items?limit=1")
        .await
        .json();
    let id = ids(&v)[0];
    let r = get(&app, &format!("/ogc/collections/sections/items/{id}")).await;
    assert_eq!(r.status, 200);
    assert_eq!(header(&r, "content-type"), "application/geo+json");
    let f = r.json();
    assert_eq!(f["id"].to_string(), id.to_string());
    let l = links(&f);
    for (rel, t) in [
        ("self", "application/geo+json"),
        ("alternate", "text/html"),
        ("collection", "application/json"),
    ] {
        assert!(l.iter().any(|(r, ty, _)| r == rel && ty == t), "{rel}");
    }
    assert_eq!(
        get(&app, "/ogc/collections/sections/items/999999")
            .await
            .status,
        404
    );
    assert_eq!(
        get(&app, "/ogc/collections/sections/items/abc")
            .await
            .status,
        404
    );
    let cps = get(&app, "/ogc/collections/control-points/items")
        .await
        .json();
    let names: Vec<&str> = cps["features"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["properties"]["point_name"].as_str())
        .collect();
    assert_eq!(names, ["街区01"], "非公開 kept out");
    let hidden: Vec<(i64,)> = common::fetch_raw(
        &app.db,
        "SELECT id FROM road_control_points WHERE public = FALSE",
    )
    .await;
    assert_eq!(
        get(
            &app,
            &format!("/ogc/collections/control-points/items/{}", hidden[0].0)
        )
        .await
        .status,
        404
    );
});

db_test!(ats_html_content_and_definition, |db: Db| async move {
    // /conf/html/definition, /conf/html/content: every resource also as HTML (f=html or
    // Accept: text/html), in Japanese with lang, a title and headings.
    let app = app(db).await;
    for path in [
        "/ogc",
        "/ogc/conformance",
        "/ogc/collections",
        "/ogc/collections/routes",
        "/ogc/collections/routes/items",
    ] {
        let r = get_accept(&app, path, "text/html").await;
        assert_eq!(r.status, 200, "{path}");
        assert!(
            header(&r, "content-type").starts_with("text/html"),
            "{path}"
        );
        assert!(
            r.body.contains("<html lang=\"ja\">") && r.body.contains("<h1>"),
            "{path}"
        );
        let r2 = get(&app, &format!("{path}?f=html")).await;
        assert_eq!(r2.status, 200);
    }
    let items = get(&app, "/ogc/collections/routes/items?f=html").await;
    assert!(items.body.contains("八幡1号幹線") && items.body.contains("<caption>"));
    let v = get(&app, "/ogc/collections/routes/items").await.json();
    let id = ids(&v)[0];
    let one = get(
        &app,
        &format!("/ogc/collections/routes/items/{id}?f=html&lang=en"),
    )
    .await;
    assert!(one.body.contains("<html lang=\"en\">") && one.body.contains("Route number"));
});

db_test!(
    ats_crs_crs_parameter_and_content_crs_header,
    |db: Db| async move {
        // Part 2: /conf/crs/crs-parameter, crs-valid, ogc-crs-header, ogc-crs-header-value;
        // axis order of each CRS (EPSG:6677 X north, Y east; EPSG:6668 lat, lon; CRS84 lon, lat).
        let app = app(db).await;
        let v = get(&app, "/ogc/collections/sections/items?limit=1")
            .await
            .json();
        let id = ids(&v)[0];
        let base = format!("/ogc/collections/sections/items/{id}");
        let r = get(&app, &format!("{base}?crs={}", crs::EPSG6677_URI)).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            header(&r, "content-crs"),
            format!("<{}>", crs::EPSG6677_URI)
        );
        let p = r.json()["geometry"]["coordinates"][0].clone();
        assert_eq!(p, json!([-29000.0, 6000.0]), "northing first");
        let r = get(&app, &format!("{base}?crs={}", crs::EPSG6668_URI)).await;
        assert_eq!(
            header(&r, "content-crs"),
            format!("<{}>", crs::EPSG6668_URI)
        );
        let p = r.json()["geometry"]["coordinates"][0].clone();
        let (lat, lon) = crs::to_geographic(&crs::ZONE_IX, -29000.0, 6000.0);
        assert!(
            (p[0].as_f64().expect("lat") - lat).abs() < 1e-8
                && (p[1].as_f64().expect("lon") - lon).abs() < 1e-8
        );
        let r = get(
            &app,
            &format!(
                "/ogc/collections/sections/items?limit=2&crs={}",
                crs::EPSG6677_URI
            ),
        )
        .await;
        assert_eq!(
            header(&r, "content-crs"),
            format!("<{}>", crs::EPSG6677_URI)
        );
        assert_eq!(
            r.json()["features"][0]["geometry"]["coordinates"][0],
            json!([-29000.0, 6000.0])
        );
        // A CRS not offered is 400.
        let r = get(
            &app,
            &format!("{base}?crs=http://www.opengis.net/def/crs/EPSG/0/4326"),
        )
        .await;
        assert_eq!(r.status, 400);
    }
);

db_test!(ats_crs_bbox_crs_parameter, |db: Db| async move {
    // Part 2: /conf/crs/bbox-crs-parameter, bbox-crs-valid: the bbox in EPSG:6677 (X, Y order)
    // and EPSG:6668 (lat, lon) selects the same features as in CRS84; an unknown bbox-crs is 400.
    let app = app(db).await;
    let q6677 = format!(
        "bbox=-29005,6115,-28995,6175&bbox-crs={}",
        crs::EPSG6677_URI
    );
    let v = get(&app, &format!("/ogc/collections/sections/items?{q6677}"))
        .await
        .json();
    let codes: Vec<&str> = v["features"]
        .as_array()
        .expect("f")
        .iter()
        .filter_map(|f| f["properties"]["section_code"].as_str())
        .collect();
    assert_eq!(codes, ["1001-003"]);
    let (lat1, lon1) = crs::to_geographic(&crs::ZONE_IX, -29005.0, 6115.0);
    let (lat2, lon2) = crs::to_geographic(&crs::ZONE_IX, -28995.0, 6175.0);
    let v = get(
        &app,
        &format!(
            "/ogc/collections/sections/items?bbox={lat1},{lon1},{lat2},{lon2}&bbox-crs={}",
            crs::EPSG6668_URI
        ),
    )
    .await
    .json();
    assert_eq!(ids(&v).len(), 1);
    assert_eq!(
        get(
            &app,
            "/ogc/collections/sections/items?bbox=1,2,3,4&bbox-crs=EPSG:9999"
        )
        .await
        .status,
        400
    );
    assert_eq!(
        get(
            &app,
            &format!(
                "/ogc/collections/sections/items?bbox-crs={}",
                crs::EPSG6677_URI
            )
        )
        .await
        .status,
        400
    );
});

db_test!(kpi_counts_api_views_per_month, |db: Db| async move {
    // The plan 1-7 KPI: every items / item request is one 'api' view of this month (JST).
    let app = app(db).await;
    for _ in 0..3 {
        assert_eq!(
            get(&app, "/ogc/collections/sections/items").await.status,
            200
        );
    }
    assert_eq!(
        get(&app, "/ogc/collections/sections/items?limit=0")
            .await
            .status,
        400
    );
    let r = get(&app, "/api/v1/kpi/road-ledger-views").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let month = madoguchi::roads::views::month_jst(madoguchi::db::now_ms());
    let m = v["months"]
        .as_array()
        .expect("months")
        .iter()
        .find(|m| m["month"] == month.as_str())
        .cloned()
        .expect("this month");
    assert_eq!(m["api"], 3, "{v}");
    assert_eq!(m["map"], 0);
    assert_eq!(m["total"], 3);
    assert_eq!(v["municipality"], M);
});

db_test!(
    route_sheet_page_is_public_and_counted_as_a_map_view,
    |db: Db| async move {
        // The 調書 page linked from the OGC HTML of a route (道路法 第28条: open to everyone).
        let app = app(db).await;
        let v = get(&app, "/ogc/collections/routes/items").await.json();
        let id = ids(&v)[0];
        let r = get(&app, &format!("/roads/routes/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            r.body.contains("八幡1号幹線") && r.body.contains("調書"),
            "{}",
            r.body
        );
        assert_eq!(get(&app, "/roads/routes/999999").await.status, 404);
        let k = get(&app, "/api/v1/kpi/road-ledger-views").await.json();
        assert_eq!(k["months"][0]["map"], 1, "{k}");
    }
);
