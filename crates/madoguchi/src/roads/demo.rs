//! The demo's SYNTHETIC road network for part of 市川市 (around 市川駅 and 本八幡), made by a
//! deterministic generator: a slightly rotated, jittered street grid in zone IX, ~3,300
//! sections on ~600 routes (1級 / 2級 / その他 with realistic widths), road-area lines and
//! boundary points along the 1級 routes, 街区基準点, bridges and a 道路元標. Not real data:
//! the streets do not follow Ichikawa's. The sections go through the real import path
//! ([`super::import::plan`] / [`super::import::apply`]). Idempotent: nothing is loaded when
//! the municipality already has routes.

use geojson::{Geometry, GeometryValue, Position};
use serde_json::{Map, Value, json};

use super::crs::{Crs, ZONE_IX, to_plane};
use super::import::{self, Feature};
use super::model::{AreaLine, BoundaryPoint, ControlPoint, Facility, Route, Section};
use super::store::{self, Editor, Filter};
use crate::audit::Actor;
use crate::db::Db;

/// 市川駅 (approx.), the centre of the grid.
pub const CENTRE: (f64, f64) = (35.7316, 139.9087);
const SPACING: f64 = 70.0;
const HALF_U: f64 = 1500.0;
const HALF_V: f64 = 1300.0;
const ANGLE_DEG: f64 = 25.0;
const SECTIONS_PER_ROUTE: usize = 6;

const AREAS: [&str; 8] = [
    "市川",
    "真間",
    "八幡",
    "南八幡",
    "鬼高",
    "平田",
    "大和田",
    "新田",
];

/// A small deterministic generator (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.unit()
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

struct Grid {
    /// Storage [east, north] of node (i along u, j along v).
    nodes: Vec<Vec<[f64; 2]>>,
    nu: usize,
    nv: usize,
}

fn grid(rng: &mut Rng) -> Grid {
    let (x0, y0) = to_plane(&ZONE_IX, CENTRE.0, CENTRE.1);
    let (s, c) = ANGLE_DEG.to_radians().sin_cos();
    let nu = (2.0 * HALF_U / SPACING) as usize + 1;
    let nv = (2.0 * HALF_V / SPACING) as usize + 1;
    let nodes = (0..nu)
        .map(|i| {
            (0..nv)
                .map(|j| {
                    let u = -HALF_U + SPACING * i as f64 + rng.range(-8.0, 8.0);
                    let v = -HALF_V + SPACING * j as f64 + rng.range(-8.0, 8.0);
                    // u east-ish, v north-ish, rotated.
                    let e = y0 + u * c - v * s;
                    let n = x0 + u * s + v * c;
                    [round3(e), round3(n)]
                })
                .collect()
        })
        .collect();
    Grid { nodes, nu, nv }
}

fn area_of(i: usize, j: usize, g: &Grid) -> &'static str {
    let a = (i * 4 / g.nu.max(1)).min(3);
    let b = (j * 2 / g.nv.max(1)).min(1);
    AREAS[a * 2 + b]
}

/// The generated network as import features (zone IX), in a fixed order.
pub fn features() -> Vec<Feature> {
    let mut rng = Rng(0x1220_3300_0000_0001);
    let g = grid(&mut rng);
    let mut out = Vec::new();
    let mut counters = [1000usize, 2000, 3000];
    // Lines of constant j (running along u) and of constant i (running along v).
    let mut lines: Vec<Vec<(usize, usize)>> = Vec::new();
    for j in 0..g.nv {
        lines.push((0..g.nu).map(|i| (i, j)).collect());
    }
    for i in 0..g.nu {
        lines.push((0..g.nv).map(|j| (i, j)).collect());
    }
    for (li, line) in lines.iter().enumerate() {
        let class = if li % 6 == 0 {
            0
        } else if li % 3 == 0 {
            1
        } else {
            2
        };
        for chunk in line
            .windows(2)
            .collect::<Vec<_>>()
            .chunks(SECTIONS_PER_ROUTE)
        {
            // Some short gaps (a private road, a park) make the grid less regular.
            if class == 2 && rng.unit() < 0.06 {
                continue;
            }
            counters[class] += 1;
            let number = counters[class].to_string();
            let (fi, fj) = chunk[0][0];
            let (ti, tj) = chunk[chunk.len() - 1][1];
            let (a_from, a_to) = (area_of(fi, fj, &g), area_of(ti, tj, &g));
            let chome = |i: usize, j: usize| 1 + (i + j) % 5;
            let name = match class {
                0 => format!("{a_from}{}号幹線", counters[0] - 1000),
                1 => format!("{a_from}{}号線", counters[1] - 2000),
                _ => format!("市道{number}号線"),
            };
            let (cw, sw, sidewalk, kind_class) = match class {
                0 => (rng.range(9.0, 11.0), 3.0, "両側", "1級"),
                1 => (rng.range(6.5, 7.5), 2.0, "片側", "2級"),
                _ => (rng.range(4.0, 5.5), 0.0, "なし", "その他"),
            };
            let days = (rng.next() % 15000) as i64;
            let certified = time::Date::from_calendar_date(1972, time::Month::April, 1)
                .map(|d| d + time::Duration::days(days))
                .map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
                .unwrap_or_else(|_| "1972-04-01".into());
            for (k, w) in chunk.iter().enumerate() {
                let a = g.nodes[w[0].0][w[0].1];
                let b = g.nodes[w[1].0][w[1].1];
                // One interior vertex, a little off the straight line.
                let mid = [
                    round3((a[0] + b[0]) / 2.0 + rng.range(-2.5, 2.5)),
                    round3((a[1] + b[1]) / 2.0 + rng.range(-2.5, 2.5)),
                ];
                let geometry = Geometry::new(GeometryValue::new_line_string([a, mid, b]));
                let mut props = Map::new();
                props.insert("路線番号".into(), json!(number));
                props.insert("区間番号".into(), json!(format!("{number}-{:03}", k + 1)));
                props.insert("車道幅員".into(), json!((cw * 10.0).round() / 10.0));
                props.insert("歩道幅員".into(), json!(sw));
                props.insert("歩道".into(), json!(sidewalk));
                props.insert(
                    "舗装".into(),
                    json!(if class == 2 && rng.unit() < 0.05 {
                        "コンクリート"
                    } else {
                        "アスファルト"
                    }),
                );
                if k == 0 {
                    props.insert("路線名".into(), json!(name));
                    props.insert("路線区分".into(), json!(kind_class));
                    props.insert("認定年月日".into(), json!(certified));
                    props.insert(
                        "起点".into(),
                        json!(format!("市川市{a_from}{}丁目", chome(fi, fj))),
                    );
                    props.insert(
                        "終点".into(),
                        json!(format!("市川市{a_to}{}丁目", chome(ti, tj))),
                    );
                }
                out.push(Feature {
                    number: out.len() + 1,
                    geometry: Some(geometry),
                    props,
                });
            }
        }
    }
    out
}

/// The features as a GeoJSON FeatureCollection in EPSG:6677 (with the legacy `crs` member),
/// e.g. for trying `madoguchi roads import`.
pub fn geojson() -> Value {
    let features: Vec<Value> = features()
        .into_iter()
        .map(|f| json!({ "type": "Feature", "geometry": f.geometry, "properties": Value::Object(f.props) }))
        .collect();
    json!({
        "type": "FeatureCollection",
        "name": "madoguchi-demo-roads (synthetic)",
        "crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::6677" } },
        "features": features,
    })
}

fn offset_line(s: &Section, d: f64) -> Option<Vec<Position>> {
    let g = super::model::parse_geometry(&s.geometry).ok()?;
    let GeometryValue::LineString { coordinates } = g.value else {
        return None;
    };
    let (a, b) = (&coordinates[0], &coordinates[coordinates.len() - 1]);
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = dx.hypot(dy).max(1e-9);
    let (nx, ny) = (-dy / len * d, dx / len * d);
    Some(
        coordinates
            .iter()
            .map(|p| Position::from([round3(p[0] + nx), round3(p[1] + ny)]))
            .collect(),
    )
}

/// Loads the network into a municipality (nothing when it has routes already).
pub async fn load_into(db: &Db, municipality: &str) -> anyhow::Result<()> {
    if !store::all_routes(db, municipality).await?.is_empty() {
        return Ok(());
    }
    let ed = Editor::new(Actor::System, "import");
    let feats = features();
    let p = import::plan(&feats, Crs::Epsg6677, &[], &Default::default());
    anyhow::ensure!(
        p.problems.is_empty(),
        "demo network does not validate: {:?}",
        p.problems.first()
    );
    import::apply(
        db,
        municipality,
        &p,
        &ed,
        "demo (synthetic)",
        "",
        &|_, _| {},
    )
    .await?;
    // Area lines and boundary points along the 1級 routes.
    let routes = store::all_routes(db, municipality).await?;
    let class1: std::collections::HashSet<i64> = routes
        .iter()
        .filter(|r| r.route_class == "1")
        .map(|r: &Route| r.id)
        .collect();
    let sections: Vec<Section> = store::list(db, municipality, &Filter::default()).await?;
    let mut rng = Rng(0x1220_3300_0000_0002);
    let mut lines = Vec::new();
    let mut points = Vec::new();
    for s in sections.iter().filter(|s| class1.contains(&s.route_id)) {
        let half = (s.carriageway_width_m + 2.0 * s.sidewalk_width_m) / 2.0;
        let status = match rng.next() % 10 {
            0..=5 => "confirmed",
            6 | 7 => "partial",
            8 => "negotiating",
            _ => "unconfirmed",
        };
        for side in [-1.0, 1.0] {
            let Some(l) = offset_line(s, side * half) else {
                continue;
            };
            let first = l[0].clone();
            lines.push(AreaLine {
                route_id: s.route_id,
                boundary_status: status.into(),
                confirmed_on: (status == "confirmed").then(|| "2015-03-31".into()),
                document_number: (status == "confirmed")
                    .then(|| format!("境確第{}号", 1000 + lines.len())),
                geometry: Geometry::new(GeometryValue::new_line_string(l)).to_string(),
                public: true,
                ..Default::default()
            });
            points.push(BoundaryPoint {
                route_id: Some(s.route_id),
                point_number: format!("B{}-{}", s.section_code, if side < 0.0 { "L" } else { "R" }),
                x_north: first[1],
                y_east: first[0],
                marker: if rng.unit() < 0.7 {
                    "concrete_post"
                } else {
                    "metal_pin"
                }
                .into(),
                installed_on: Some("2014-11-20".into()),
                boundary_status: status.into(),
                datum: "JGD2011".into(),
                accuracy: Some("甲二".into()),
                public: true,
                ..Default::default()
            });
        }
    }
    let mut tx = db.begin().await?;
    for c in lines.chunks(500) {
        store::insert_batch(&mut tx, municipality, c, &ed).await?;
    }
    for c in points.chunks(500) {
        store::insert_batch(&mut tx, municipality, c, &ed).await?;
    }
    // 街区基準点 on a coarse grid, some not public.
    let (x0, y0) = to_plane(&ZONE_IX, CENTRE.0, CENTRE.1);
    let mut cps = Vec::new();
    for i in 0..6 {
        for j in 0..6 {
            cps.push(ControlPoint {
                point_name: format!("街区{:02}-{:02}", i + 1, j + 1),
                kind: "block".into(),
                grade: 4,
                x_north: round3(x0 - 1200.0 + 480.0 * j as f64 + rng.range(-20.0, 20.0)),
                y_east: round3(y0 - 1200.0 + 480.0 * i as f64 + rng.range(-20.0, 20.0)),
                h_m: Some((rng.range(1.5, 25.0) * 1000.0).round() / 1000.0),
                datum: "JGD2011".into(),
                epoch: Some("2011".into()),
                installed_on: Some("2012-02-01".into()),
                condition: if (i + j) % 11 == 0 { "lost" } else { "present" }.into(),
                manager: "市川市".into(),
                public: (i + j) % 7 != 0,
                ..Default::default()
            });
        }
    }
    store::insert_batch(&mut tx, municipality, &cps, &ed).await?;
    // Bridges over a synthetic river (the sections of every 7th route), and the 道路元標.
    let mut fac = vec![Facility {
        kind: "road_marker".into(),
        name: "市川市道路元標".into(),
        attributes_json: "{}".into(),
        geometry: Geometry::new(GeometryValue::new_point([round3(y0), round3(x0)])).to_string(),
        public: true,
        ..Default::default()
    }];
    for (k, s) in sections
        .iter()
        .filter(|s| s.section_code.ends_with("-003"))
        .step_by(7)
        .enumerate()
    {
        if let Some(l) = offset_line(s, 0.0) {
            let m = &l[l.len() / 2];
            fac.push(Facility {
                route_id: Some(s.route_id),
                kind: "bridge".into(),
                name: format!(
                    "{}橋",
                    ["真間", "八幡", "菅野", "国分", "鬼越"][k % 5].to_owned()
                        + &(k + 1).to_string()
                ),
                attributes_json:
                    json!({ "length_m": 12.0 + (k % 4) as f64 * 3.5, "built": 1980 + k % 30 })
                        .to_string(),
                geometry: Geometry::new(GeometryValue::new_point([m[0], m[1]])).to_string(),
                public: true,
                ..Default::default()
            });
        }
    }
    store::insert_batch(&mut tx, municipality, &fac, &ed).await?;
    tx.commit().await?;
    Ok(())
}

/// The demo: 市川市 only.
pub async fn load(db: &Db) -> anyhow::Result<()> {
    load_into(db, crate::demo::ICHIKAWA).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_is_deterministic_and_a_few_thousand_sections() {
        let a = features();
        let b = features();
        assert_eq!(a.len(), b.len());
        assert!(a.len() > 2500 && a.len() < 5000, "{}", a.len());
        assert_eq!(
            serde_json::to_string(&a[100].geometry).ok(),
            serde_json::to_string(&b[100].geometry).ok()
        );
        let p = import::plan(&a, Crs::Epsg6677, &[], &Default::default());
        assert!(p.problems.is_empty(), "{:?}", p.problems.first());
        assert!(p.routes.len() > 300, "{}", p.routes.len());
    }
}
