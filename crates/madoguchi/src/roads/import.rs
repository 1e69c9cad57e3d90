//! `madoguchi roads import PATH [--crs …]`: a road network from GeoJSON or a Shapefile
//! (.shp + .dbf, the .dbf in Shift_JIS unless a .cpg says otherwise) in zone IX (EPSG:6677)
//! or longitude/latitude (CRS84 / EPSG:6668). Each line feature is one 区間 (section); the
//! route (路線) attributes come with it, as in a municipal 認定路線網図 file. Everything is
//! checked first — geometry, missing attributes, route numbers defined twice differently,
//! already in the ledger, or unknown — and then imported in ONE transaction, or nothing is.
//!
//! Attributes (Japanese or English names): 路線番号 route_number (required); for a route not
//! yet in the ledger also 路線名 name, 認定年月日 certified_on, 起点 start_address, 終点
//! end_address, and optionally 道路種別 road_kind (市町村道), 路線区分 route_class (その他),
//! 幅員最小 width_min_m / 幅員最大 width_max_m (from the sections when absent), 供用開始
//! opened_on; per section 区間番号 section_code (default `<route>-<n>`), 車道幅員
//! carriageway_width_m (required), 歩道幅員 sidewalk_width_m (0), 舗装 pavement (asphalt),
//! 歩道 sidewalk (none). Shapefile field names are at most 10 bytes: the ASCII aliases
//! ROSEN_NO, ROSEN_NAME, ROSEN_KBN, NINTEI_YMD, KITEN, SHUTEN, KUKAN_NO, SHADO_W work too.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use geojson::{GeoJson, Geometry, GeometryValue};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::crs::Crs;
use super::model::{self, LedgerSheet, Route, Section};
use super::store::{self, Editor, StoreError};
use crate::db::Db;

/// One feature of the input file, numbered from 1 in file order.
#[derive(Debug, Clone)]
pub struct Feature {
    pub number: usize,
    pub geometry: Option<Geometry>,
    pub props: Map<String, Value>,
}

/// What is wrong, with the feature number (0 = the file as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub feature: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.feature == 0 {
            write!(f, "ファイル file: {}", self.message)
        } else {
            write!(f, "地物 feature {}: {}", self.feature, self.message)
        }
    }
}

/// Reads a file by its extension (.geojson / .json, .shp). Returns the features and the CRS
/// the file declares (GeoJSON `crs` member, Shapefile .prj), if any.
pub fn read(path: &Path) -> Result<(Vec<Feature>, Option<Crs>), String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "geojson" | "json" => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            read_geojson(&text)
        }
        "shp" => read_shapefile(path),
        _ => Err(format!("{}: use a .geojson or .shp file", path.display())),
    }
}

pub fn read_geojson(text: &str) -> Result<(Vec<Feature>, Option<Crs>), String> {
    let raw: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    // The legacy (2008) `crs` member, as QGIS and ogr2ogr still write for projected data.
    let declared = raw
        .get("crs")
        .and_then(|c| c.get("properties"))
        .and_then(|p| p.get("name"))
        .and_then(Value::as_str)
        .and_then(Crs::parse);
    let gj: GeoJson = text.parse().map_err(|e| format!("not GeoJSON: {e}"))?;
    let fc = match gj {
        GeoJson::FeatureCollection(fc) => fc,
        GeoJson::Feature(f) => geojson::FeatureCollection {
            bbox: None,
            features: vec![f],
            foreign_members: None,
        },
        GeoJson::Geometry(_) => return Err("a bare geometry: give a FeatureCollection".into()),
    };
    let features = fc
        .features
        .into_iter()
        .enumerate()
        .map(|(i, f)| Feature {
            number: i + 1,
            geometry: f.geometry,
            props: f.properties.unwrap_or_default(),
        })
        .collect();
    Ok((features, declared))
}

/// Reads a Shapefile; the .dbf is decoded as Shift_JIS (cp932) unless a .cpg names another
/// encoding. The .prj, when present, tells the CRS.
pub fn read_shapefile(path: &Path) -> Result<(Vec<Feature>, Option<Crs>), String> {
    use shapefile::dbase;
    let shapes = shapefile::ShapeReader::from_path(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let dbf = std::fs::File::open(path.with_extension("dbf"))
        .map_err(|e| format!("cannot read the .dbf beside {}: {e}", path.display()))?;
    let encoding = std::fs::read_to_string(path.with_extension("cpg"))
        .ok()
        .and_then(|l| encoding_rs::Encoding::for_label(l.trim().as_bytes()))
        .unwrap_or(encoding_rs::SHIFT_JIS);
    let table = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(encoding))
        .build(std::io::BufReader::new(dbf))
        .map_err(|e| format!("cannot read the .dbf: {e}"))?;
    let mut reader = shapefile::Reader::new(shapes, table);
    let prj = std::fs::read_to_string(path.with_extension("prj")).ok();
    let declared = prj.as_deref().and_then(crs_of_prj);
    let mut features = Vec::new();
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let number = i + 1;
        let (shape, record) = item.map_err(|e| format!("feature {number}: {e}"))?;
        let mut props = Map::new();
        for (name, value) in record {
            let v = match value {
                dbase::FieldValue::Character(s) => s.map(|s| Value::String(s.trim().to_owned())),
                dbase::FieldValue::Numeric(n) => {
                    n.and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                }
                dbase::FieldValue::Float(n) => {
                    n.and_then(|n| serde_json::Number::from_f64(n as f64).map(Value::Number))
                }
                dbase::FieldValue::Double(n) => serde_json::Number::from_f64(n).map(Value::Number),
                dbase::FieldValue::Integer(n) => Some(Value::from(n)),
                dbase::FieldValue::Logical(b) => b.map(Value::Bool),
                dbase::FieldValue::Date(d) => d.map(|d| {
                    Value::String(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
                }),
                dbase::FieldValue::Memo(s) => Some(Value::String(s)),
                _ => None,
            };
            props.insert(name, v.unwrap_or(Value::Null));
        }
        features.push(Feature {
            number,
            geometry: shape_geometry(shape),
            props,
        });
    }
    Ok((features, declared))
}

fn shape_geometry(shape: shapefile::Shape) -> Option<Geometry> {
    use shapefile::Shape;
    let line = |pts: &[shapefile::Point]| -> Vec<geojson::Position> {
        pts.iter()
            .map(|p| geojson::Position::from([p.x, p.y]))
            .collect()
    };
    let parts = |parts: &[Vec<shapefile::Point>]| -> Vec<Vec<geojson::Position>> {
        parts.iter().map(|p| line(p)).collect()
    };
    let v = match shape {
        Shape::NullShape => return None,
        Shape::Point(p) => GeometryValue::new_point([p.x, p.y]),
        Shape::Polyline(pl) => {
            let ps = parts(pl.parts());
            if ps.len() == 1 {
                GeometryValue::LineString {
                    coordinates: ps.into_iter().next().unwrap_or_default(),
                }
            } else {
                GeometryValue::MultiLineString { coordinates: ps }
            }
        }
        Shape::PolylineZ(pl) => {
            let ps: Vec<Vec<geojson::Position>> = pl
                .parts()
                .iter()
                .map(|p| {
                    p.iter()
                        .map(|q| geojson::Position::from([q.x, q.y]))
                        .collect()
                })
                .collect();
            if ps.len() == 1 {
                GeometryValue::LineString {
                    coordinates: ps.into_iter().next().unwrap_or_default(),
                }
            } else {
                GeometryValue::MultiLineString { coordinates: ps }
            }
        }
        // Polygons, multipoints …: an empty collection, which validation refuses by type.
        _ => GeometryValue::GeometryCollection { geometries: vec![] },
    };
    Some(Geometry::new(v))
}

/// The CRS of an ESRI .prj (WKT1): zone IX names, or a geographic JGD2011 / WGS 84.
pub fn crs_of_prj(prj: &str) -> Option<Crs> {
    let p = prj.to_ascii_lowercase();
    if p.starts_with("projcs") {
        if p.contains("zone_ix")
            || p.contains("zone_9")
            || p.contains("zone ix")
            || p.contains("6677")
        {
            return Some(Crs::Epsg6677);
        }
        return None;
    }
    if p.starts_with("geogcs") && (p.contains("jgd_2011") || p.contains("jgd2011")) {
        return Some(Crs::Epsg6668);
    }
    if p.starts_with("geogcs") && p.contains("wgs_1984") {
        return Some(Crs::Crs84);
    }
    None
}

fn attr<'a>(props: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| props.get(*n))
        .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
}

fn text(props: &Map<String, Value>, names: &[&str]) -> Option<String> {
    attr(props, names).map(|v| match v {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    })
}

fn number(props: &Map<String, Value>, names: &[&str]) -> Result<Option<f64>, String> {
    match attr(props, names) {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("{} {s:?} は数値ではありません is not a number", names[0])),
        Some(v) => Err(format!(
            "{} {v} は数値ではありません is not a number",
            names[0]
        )),
    }
}

const ROUTE_NUMBER: &[&str] = &["路線番号", "route_number", "ROSEN_NO"];
const NAME: &[&str] = &["路線名", "name", "ROSEN_NAME"];
const CERTIFIED: &[&str] = &["認定年月日", "certified_on", "NINTEI_YMD"];
const START: &[&str] = &["起点", "start_address", "KITEN"];
const END: &[&str] = &["終点", "end_address", "SHUTEN"];
const KIND: &[&str] = &["道路種別", "road_kind"];
const CLASS: &[&str] = &["路線区分", "route_class", "ROSEN_KBN"];
const WMIN: &[&str] = &["幅員最小", "width_min_m"];
const WMAX: &[&str] = &["幅員最大", "width_max_m"];
const OPENED: &[&str] = &["供用開始", "opened_on"];
const SECTION: &[&str] = &["区間番号", "section_code", "KUKAN_NO"];
const CARRIAGEWAY: &[&str] = &["車道幅員", "carriageway_width_m", "SHADO_W"];
const SIDEWALK_W: &[&str] = &["歩道幅員", "sidewalk_width_m"];
const PAVEMENT: &[&str] = &["舗装", "pavement"];
const SIDEWALK: &[&str] = &["歩道", "sidewalk"];

fn road_kind(s: &str) -> Option<&'static str> {
    match s {
        "市町村道" | "市道" | "municipal" => Some("municipal"),
        "都道府県道" | "県道" | "prefectural" => Some("prefectural"),
        "一般国道" | "国道" | "national" => Some("national"),
        _ => None,
    }
}

fn route_class(s: &str) -> Option<&'static str> {
    match s {
        "1級" | "1級市道" | "一級" | "1" => Some("1"),
        "2級" | "2級市道" | "二級" | "2" => Some("2"),
        "その他" | "その他市道" | "other" | "3" => Some("other"),
        _ => None,
    }
}

fn pavement(s: &str) -> Option<&'static str> {
    match s {
        "アスファルト" | "asphalt" => Some("asphalt"),
        "コンクリート" | "concrete" => Some("concrete"),
        "砂利" | "gravel" => Some("gravel"),
        "その他" | "other" => Some("other"),
        _ => None,
    }
}

fn sidewalk(s: &str) -> Option<&'static str> {
    match s {
        "なし" | "無" | "none" => Some("none"),
        "片側" | "one_side" => Some("one_side"),
        "両側" | "both_sides" => Some("both_sides"),
        _ => None,
    }
}

fn date(s: &str) -> Option<String> {
    let t = s.trim().replace('/', "-");
    let t = if t.len() == 8 && t.chars().all(|c| c.is_ascii_digit()) {
        format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..])
    } else {
        t
    };
    model::is_date(&t).then_some(t)
}

/// A checked import: the new routes, the sections (with the route they belong to) and the
/// problems. Nothing is written unless `problems` is empty.
#[derive(Debug, Default)]
pub struct Plan {
    pub crs: Option<Crs>,
    pub routes: Vec<Route>,
    /// (road_kind, route_number) → sections in file order.
    pub sections: Vec<((String, String), Section)>,
    pub problems: Vec<Problem>,
}

/// Checks every feature against the ledger's existing routes and section codes.
pub fn plan(
    features: &[Feature],
    crs: Crs,
    existing_routes: &[Route],
    existing_sections: &HashSet<String>,
) -> Plan {
    let mut p = Plan {
        crs: Some(crs),
        ..Default::default()
    };
    let existing: HashSet<(String, String)> = existing_routes
        .iter()
        .map(|r| (r.road_kind.clone(), r.route_number.clone()))
        .collect();
    let mut defined: BTreeMap<(String, String), (usize, Route)> = BTreeMap::new();
    let mut codes: HashMap<String, usize> = HashMap::new();
    let mut seq: HashMap<(String, String), usize> = HashMap::new();
    let mut looks_geographic = 0usize;
    if features.is_empty() {
        p.problems.push(Problem {
            feature: 0,
            message: "地物がありません has no features".into(),
        });
    }
    for f in features {
        let n = f.number;
        let mut bad = |m: String| {
            p.problems.push(Problem {
                feature: n,
                message: m,
            })
        };
        let Some(number) = text(&f.props, ROUTE_NUMBER) else {
            bad("路線番号 (route_number) がありません is missing".into());
            continue;
        };
        let kind = match text(&f.props, KIND) {
            None => "municipal",
            Some(k) => match road_kind(&k) {
                Some(k) => k,
                None => {
                    bad(format!(
                        "道路種別 (road_kind) {k:?} は 市町村道・都道府県道・一般国道 のどれでもありません is not a known road kind"
                    ));
                    continue;
                }
            },
        };
        let key = (kind.to_owned(), number.clone());
        // Geometry, converted to storage.
        let Some(g) = &f.geometry else {
            bad("形状 (geometry) がありません is missing".into());
            continue;
        };
        let mut g = g.clone();
        if crs == Crs::Epsg6677 {
            let mut small = true;
            model::for_each_position(&g.value, &mut |q| {
                small &= q.len() >= 2 && q[0].abs() < 400.0 && q[1].abs() < 400.0;
            });
            if small {
                looks_geographic += 1;
            }
        }
        let mut finite = true;
        model::for_each_position(&g.value, &mut |q| {
            finite &= q.len() >= 2 && q.as_slice().iter().all(|v| v.is_finite())
        });
        if !finite {
            bad("形状 (geometry): 座標が数値ではありません a position is not a number".into());
            continue;
        }
        model::map_positions(&mut g.value, &mut |q| crs.to_storage(q));
        if let Err(e) = model::validate(&g.value, &["LineString"]) {
            bad(format!("形状 (geometry): {e}"));
            continue;
        }
        let cw = match number_or(&f.props, CARRIAGEWAY, None) {
            Ok(Some(v)) if v >= 0.0 => v,
            Ok(Some(v)) => {
                bad(format!(
                    "車道幅員 (carriageway_width_m) {v} が負の数です is negative"
                ));
                continue;
            }
            Ok(None) => {
                bad("車道幅員 (carriageway_width_m) がありません is missing".into());
                continue;
            }
            Err(e) => {
                bad(e);
                continue;
            }
        };
        let sw = match number_or(&f.props, SIDEWALK_W, Some(0.0)) {
            Ok(Some(v)) if v >= 0.0 => v,
            Ok(_) => {
                bad("歩道幅員 (sidewalk_width_m) が負の数です is negative".into());
                continue;
            }
            Err(e) => {
                bad(e);
                continue;
            }
        };
        let pv = match text(&f.props, PAVEMENT) {
            None => "asphalt",
            Some(s) => match pavement(&s) {
                Some(v) => v,
                None => {
                    bad(format!("舗装 (pavement) {s:?} が分かりません is unknown"));
                    continue;
                }
            },
        };
        let sk = match text(&f.props, SIDEWALK) {
            None => "none",
            Some(s) => match sidewalk(&s) {
                Some(v) => v,
                None => {
                    bad(format!("歩道 (sidewalk) {s:?} が分かりません is unknown"));
                    continue;
                }
            },
        };
        let i = seq.entry(key.clone()).or_default();
        *i += 1;
        let code = text(&f.props, SECTION).unwrap_or_else(|| format!("{number}-{:03}", *i));
        if let Some(first) = codes.get(&code) {
            bad(format!(
                "区間番号 (section_code) {code:?} は地物 {first} と重複しています duplicates feature {first}"
            ));
            continue;
        }
        if existing_sections.contains(&code) {
            bad(format!(
                "区間番号 (section_code) {code:?} は台帳にすでにあります is already in the ledger"
            ));
            continue;
        }
        codes.insert(code.clone(), n);
        // Route attributes, if this feature carries them.
        let has_route_attrs = attr(&f.props, NAME).is_some();
        if has_route_attrs {
            if existing.contains(&key) {
                bad(format!(
                    "路線番号 {number} は台帳にすでにあります (route number already in the ledger): 路線の変更は職員画面で行います edit it in the staff pages, or leave out 路線名 to add sections"
                ));
                continue;
            }
            match route_of(&f.props, kind, &number) {
                Err(e) => {
                    bad(e);
                    continue;
                }
                Ok(r) => match defined.get(&key) {
                    Some((first, other)) if !same_route(other, &r) => {
                        bad(format!(
                            "路線番号 {number} が地物 {first} と異なる内容で重複しています is defined differently in feature {first}"
                        ));
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        defined.insert(key.clone(), (n, r));
                    }
                },
            }
        }
        let geometry = g.to_string();
        p.sections.push((
            key,
            Section {
                section_code: code,
                carriageway_width_m: cw,
                sidewalk_width_m: sw,
                pavement: pv.into(),
                sidewalk: sk.into(),
                length_m: model::length_m(&g.value),
                geometry,
                public: true,
                ..Default::default()
            },
        ));
    }
    // Sections of a route neither in the file nor in the ledger.
    let mut unknown = Vec::new();
    for (i, (key, _)) in p.sections.iter().enumerate() {
        if !defined.contains_key(key) && !existing.contains(key) {
            unknown.push(i);
        }
    }
    if !unknown.is_empty() {
        // Feature numbers of those sections: recover them from the code map.
        for i in unknown.iter().rev() {
            let (key, s) = p.sections.remove(*i);
            let n = codes.get(&s.section_code).copied().unwrap_or(0);
            p.problems.push(Problem {
                feature: n,
                message: format!("路線番号 {} は台帳にもファイルにもありません is unknown (not in the ledger, and no 路線名 in the file)", key.1),
            });
        }
    }
    if crs == Crs::Epsg6677 && looks_geographic > 0 && looks_geographic * 2 >= features.len() {
        p.problems.push(Problem {
            feature: 0,
            message: "座標が経度・緯度のようです coordinates look like longitude/latitude: --crs CRS84 を指定してください give --crs CRS84".into(),
        });
    }
    // Route lengths, widths and centre lines from their sections.
    let mut by_route: HashMap<(String, String), Vec<&Section>> = HashMap::new();
    for (k, s) in &p.sections {
        by_route.entry(k.clone()).or_default().push(s);
    }
    for (key, (_, mut r)) in defined {
        let secs = by_route.get(&key).cloned().unwrap_or_default();
        r.length_m = (secs.iter().map(|s| s.length_m).sum::<f64>() * 1000.0).round() / 1000.0;
        let widths: Vec<f64> = secs
            .iter()
            .map(|s| s.carriageway_width_m + s.sidewalk_width_m)
            .collect();
        if r.width_min_m < 0.0 {
            r.width_min_m = widths.iter().copied().fold(f64::INFINITY, f64::min);
        }
        if r.width_max_m < 0.0 {
            r.width_max_m = widths.iter().copied().fold(0.0, f64::max);
        }
        let lines: Vec<Vec<geojson::Position>> = secs
            .iter()
            .filter_map(|s| match model::parse_geometry(&s.geometry).ok()?.value {
                GeometryValue::LineString { coordinates } => Some(coordinates),
                _ => None,
            })
            .collect();
        r.geometry =
            Some(Geometry::new(GeometryValue::MultiLineString { coordinates: lines }).to_string());
        p.routes.push(r);
    }
    p.problems.sort_by_key(|q| q.feature);
    p
}

fn number_or(
    props: &Map<String, Value>,
    names: &[&str],
    default: Option<f64>,
) -> Result<Option<f64>, String> {
    Ok(number(props, names)?.or(default))
}

fn same_route(a: &Route, b: &Route) -> bool {
    a.name == b.name
        && a.route_class == b.route_class
        && a.certified_on == b.certified_on
        && a.start_address == b.start_address
        && a.end_address == b.end_address
}

fn route_of(props: &Map<String, Value>, kind: &str, route_no: &str) -> Result<Route, String> {
    let need = |names: &[&str], what: &str| {
        text(props, names).ok_or_else(|| format!("{} ({}) がありません is missing", names[0], what))
    };
    let name = need(NAME, "name")?;
    let certified = need(CERTIFIED, "certified_on")?;
    let certified_on = date(&certified).ok_or_else(|| {
        format!(
            "認定年月日 (certified_on) {certified:?} は日付 YYYY-MM-DD ではありません is not a date"
        )
    })?;
    let opened_on = match text(props, OPENED) {
        None => None,
        Some(d) => Some(date(&d).ok_or_else(|| {
            format!("供用開始 (opened_on) {d:?} は日付ではありません is not a date")
        })?),
    };
    let class = match text(props, CLASS) {
        None => "other",
        Some(c) => route_class(&c).ok_or_else(|| format!("路線区分 (route_class) {c:?} は 1級・2級・その他 のどれでもありません is not 1, 2 or other"))?,
    };
    Ok(Route {
        road_kind: kind.into(),
        route_number: route_no.into(),
        name,
        route_class: class.into(),
        certified_on,
        opened_on,
        start_address: need(START, "start_address")?,
        end_address: need(END, "end_address")?,
        width_min_m: number(props, WMIN)?.unwrap_or(-1.0),
        width_max_m: number(props, WMAX)?.unwrap_or(-1.0),
        public: true,
        ..Default::default()
    })
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub routes: usize,
    pub sections: usize,
}

/// Writes a checked plan in one transaction: the routes (with a first 調書 each), then the
/// sections; records the import. `tick(written, total)` is called after each batch.
pub async fn apply(
    db: &Db,
    municipality: &str,
    p: &Plan,
    editor: &Editor,
    file_name: &str,
    sha256: &str,
    tick: &(dyn Fn(u64, u64) + Sync),
) -> Result<Summary, StoreError> {
    if !p.problems.is_empty() {
        return Err(StoreError::Invalid(format!(
            "{} problems",
            p.problems.len()
        )));
    }
    let total = (p.routes.len() + p.sections.len()) as u64;
    let mut done = 0u64;
    tick(0, total);
    let mut tx = db.begin().await?;
    let mut ids: HashMap<(String, String), i64> = store::all_routes(db, municipality)
        .await?
        .into_iter()
        .map(|r| ((r.road_kind, r.route_number), r.id))
        .collect();
    for chunk in p.routes.chunks(200) {
        let got = store::insert_batch(&mut tx, municipality, chunk, editor).await?;
        for (r, id) in chunk.iter().zip(got) {
            ids.insert((r.road_kind.clone(), r.route_number.clone()), id);
            let sheet = LedgerSheet {
                length_actual_m: r.length_m,
                width_typical_m: r.width_max_m,
                width_narrowest_m: r.width_min_m,
                ..Default::default()
            };
            store::save_sheet(
                &mut tx,
                municipality,
                id,
                None,
                &sheet,
                &Editor::new(editor.actor.clone(), "import"),
            )
            .await?;
        }
        done += chunk.len() as u64;
        tick(done, total);
    }
    let mut rows = Vec::with_capacity(p.sections.len());
    for (key, s) in &p.sections {
        let mut s = s.clone();
        s.route_id = *ids.get(key).ok_or(StoreError::NotFound)?;
        rows.push(s);
    }
    for chunk in rows.chunks(500) {
        store::insert_batch(&mut tx, municipality, chunk, editor).await?;
        done += chunk.len() as u64;
        tick(done, total);
    }
    let crs = p.crs.map(Crs::code).unwrap_or("");
    store::record_import(
        &mut tx,
        municipality,
        file_name,
        sha256,
        crs,
        p.routes.len() as i64,
        p.sections.len() as i64,
        p.sections.len() as i64,
    )
    .await?;
    tx.commit().await?;
    Ok(Summary {
        routes: p.routes.len(),
        sections: p.sections.len(),
    })
}

/// Reads, checks and (when clean) imports a file. `crs` overrides what the file declares;
/// GeoJSON without either is CRS84 (RFC 7946), a Shapefile without either is refused.
/// Returns the plan (its problems) and, when imported, the summary.
pub async fn import_file(
    db: &Db,
    municipality: &str,
    path: &Path,
    crs: Option<Crs>,
    editor: &Editor,
    tick: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Plan, Option<Summary>), StoreError> {
    let (features, declared) = match read(path) {
        Ok(x) => x,
        Err(e) => {
            return Ok((
                Plan {
                    problems: vec![Problem {
                        feature: 0,
                        message: e,
                    }],
                    ..Default::default()
                },
                None,
            ));
        }
    };
    let is_shp = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("shp"));
    let crs = match crs.or(declared) {
        Some(c) => c,
        None if !is_shp => Crs::Crs84,
        None => {
            return Ok((
                Plan {
                    problems: vec![Problem {
                        feature: 0,
                        message: "座標系が分かりません (no .prj): --crs EPSG:6677 か --crs CRS84 を指定してください give --crs".into(),
                    }],
                    ..Default::default()
                },
                None,
            ));
        }
    };
    let routes = store::all_routes(db, municipality).await?;
    let sections: Vec<Section> = store::list(db, municipality, &store::Filter::default()).await?;
    let codes: HashSet<String> = sections.into_iter().map(|s| s.section_code).collect();
    let p = plan(&features, crs, &routes, &codes);
    if !p.problems.is_empty() {
        return Ok((p, None));
    }
    let bytes = std::fs::read(path).unwrap_or_default();
    let sha = hex::encode(Sha256::digest(&bytes));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let s = apply(db, municipality, &p, editor, name, &sha, tick).await?;
    Ok((p, Some(s)))
}
