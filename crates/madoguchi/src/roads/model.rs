//! The road ledger entities (migration 0016) and their geometry checks. Pure: no SQL here.
//!
//! Coordinates are JGD2011 plane rectangular zone IX (EPSG:6677) metres. A `geometry` is the text
//! of a GeoJSON geometry object whose positions are `[easting, northing]` = `[Y, X]` in survey
//! terms (the GIS x,y order); points also carry the survey values `x_north` / `y_east`.

use geojson::{Geometry, GeometryValue, Position};
use serde::{Deserialize, Serialize};

/// 路線 (a certified road route).
#[derive(sqlx::FromRow, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Route {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub updated_at: i64,
    /// 'municipal' 市町村道, 'prefectural' 都道府県道, 'national' 一般国道.
    pub road_kind: String,
    /// 路線番号, unique per municipality and road kind.
    pub route_number: String,
    /// 路線名.
    pub name: String,
    /// '1' 1級, '2' 2級, 'other' その他.
    pub route_class: String,
    /// 認定年月日 (YYYY-MM-DD).
    pub certified_on: String,
    /// 供用開始年月日 (YYYY-MM-DD).
    pub opened_on: Option<String>,
    /// 起点 (address).
    pub start_address: String,
    /// 終点 (address).
    pub end_address: String,
    pub start_x_north: Option<f64>,
    pub start_y_east: Option<f64>,
    pub end_x_north: Option<f64>,
    pub end_y_east: Option<f64>,
    /// 延長 (m).
    pub length_m: f64,
    /// 幅員 最小 / 最大 (m).
    pub width_min_m: f64,
    pub width_max_m: f64,
    /// Centre line of the whole route (MultiLineString), if known.
    pub geometry: Option<String>,
    pub public: bool,
    /// 廃止年月日 (YYYY-MM-DD) once the route is abolished (migration 0019); an abolished
    /// route is never public.
    #[serde(default)]
    pub abolished_on: Option<String>,
}

/// 区間 (one stretch of a route with uniform widths).
#[derive(sqlx::FromRow, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Section {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub updated_at: i64,
    pub route_id: i64,
    /// Unique per municipality, e.g. "1001-003".
    pub section_code: String,
    /// 車道幅員 (m).
    pub carriageway_width_m: f64,
    /// 歩道幅員 (m).
    pub sidewalk_width_m: f64,
    /// 舗装種別: 'asphalt', 'concrete', 'gravel', 'other'.
    pub pavement: String,
    /// 車道・歩道区分: 'none', 'one_side', 'both_sides'.
    pub sidewalk: String,
    /// Computed from the geometry when stored.
    pub length_m: f64,
    /// LineString.
    pub geometry: String,
    pub public: bool,
}

/// 区域線 (a road-area boundary line).
#[derive(sqlx::FromRow, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct AreaLine {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub updated_at: i64,
    pub route_id: i64,
    /// 境界確定状況: 'confirmed', 'unconfirmed', 'partial', 'negotiating'.
    pub boundary_status: String,
    /// 確定年月日.
    pub confirmed_on: Option<String>,
    /// 確定図書番号.
    pub document_number: Option<String>,
    /// LineString or Polygon.
    pub geometry: String,
    pub public: bool,
}

/// 境界点 (a boundary mark).
#[derive(sqlx::FromRow, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct BoundaryPoint {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub updated_at: i64,
    pub route_id: Option<i64>,
    pub point_number: String,
    pub x_north: f64,
    pub y_east: f64,
    /// 標識種別: 'concrete_post', 'metal_pin', 'plate', 'other'.
    pub marker: String,
    pub installed_on: Option<String>,
    pub boundary_status: String,
    /// 測地系: 'JGD2011', 'JGD2000', 'Tokyo'.
    pub datum: String,
    pub accuracy: Option<String>,
    /// Point; set from x_north / y_east when stored.
    #[serde(default)]
    pub geometry: String,
    pub public: bool,
}

/// 基準点 (a survey control point).
#[derive(sqlx::FromRow, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct ControlPoint {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub updated_at: i64,
    pub point_name: String,
    /// 'polygon' 多角点, 'block' 街区基準点, 'road' 道路基準点.
    pub kind: String,
    /// 等級 1–4.
    pub grade: i64,
    pub x_north: f64,
    pub y_east: f64,
    pub h_m: Option<f64>,
    pub datum: String,
    /// 元期.
    pub epoch: Option<String>,
    pub installed_on: Option<String>,
    /// 現況: 'present', 'lost' 亡失, 'moved' 移設.
    pub condition: String,
    pub manager: String,
    #[serde(default)]
    pub geometry: String,
    pub public: bool,
}

/// 施設 (道路元標, 橋, トンネル, 側溝, 擁壁 …).
#[derive(sqlx::FromRow, Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Facility {
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub updated_at: i64,
    pub route_id: Option<i64>,
    /// See [`FACILITY_KINDS`].
    pub kind: String,
    pub name: String,
    /// Other attributes, a JSON object (text).
    pub attributes_json: String,
    pub geometry: String,
    pub public: bool,
}

pub const ROAD_KINDS: [&str; 3] = ["municipal", "prefectural", "national"];
pub const ROUTE_CLASSES: [&str; 3] = ["1", "2", "other"];
pub const PAVEMENTS: [&str; 4] = ["asphalt", "concrete", "gravel", "other"];
pub const SIDEWALKS: [&str; 3] = ["none", "one_side", "both_sides"];
pub const BOUNDARY_STATUSES: [&str; 4] = ["confirmed", "unconfirmed", "partial", "negotiating"];
pub const MARKERS: [&str; 4] = ["concrete_post", "metal_pin", "plate", "other"];
pub const DATUMS: [&str; 3] = ["JGD2011", "JGD2000", "Tokyo"];
pub const CONTROL_KINDS: [&str; 3] = ["polygon", "block", "road"];
pub const CONDITIONS: [&str; 3] = ["present", "lost", "moved"];
pub const FACILITY_KINDS: [&str; 10] = [
    "road_marker",
    "bridge",
    "tunnel",
    "gutter",
    "retaining_wall",
    "slope",
    "bench",
    "distribution_board",
    "tactile_paving",
    "road_stud",
];
/// Reasons of a 台帳補正 (ledger correction).
pub const SHEET_REASONS: [&str; 5] = [
    "construction",
    "area_change",
    "certification",
    "correction",
    "import",
];

/// 調書: the structured ledger sheet of one route (道路法施行規則 第4条の2 第3項 items).
/// Stored as JSON, one row per version.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(default)]
pub struct LedgerSheet {
    /// 主要な経過地.
    pub via: Vec<String>,
    /// 延長 内訳 (m): 実延長, 重用延長, 未供用延長, 橋梁延長, トンネル延長.
    pub length_actual_m: f64,
    pub length_shared_m: f64,
    pub length_unopened_m: f64,
    pub length_bridges_m: f64,
    pub length_tunnels_m: f64,
    /// 舗装 (m): 舗装済延長, 未舗装延長.
    pub length_paved_m: f64,
    pub length_unpaved_m: f64,
    /// 一般幅員 / 最狭幅員 (m).
    pub width_typical_m: f64,
    pub width_narrowest_m: f64,
    /// 最急勾配 (%), 最小曲線半径 (m).
    pub steepest_gradient_pct: Option<f64>,
    pub min_curve_radius_m: Option<f64>,
    /// Counts: 橋梁, トンネル, 横断歩道橋, 踏切.
    pub bridges: i64,
    pub tunnels: i64,
    pub pedestrian_bridges: i64,
    pub level_crossings: i64,
    /// 区域決定・変更: date and 告示番号.
    pub area_decided_on: Option<String>,
    pub notice_number: Option<String>,
    /// 民有地 (privately owned land inside the road area): 地番 and 面積 (m²).
    pub private_lots: Vec<PrivateLot>,
    /// Free remarks (備考).
    pub remarks: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct PrivateLot {
    pub lot: String,
    pub area_m2: f64,
}

/// One stored version of a route's 調書.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq)]
pub struct SheetRow {
    pub id: i64,
    pub route_id: i64,
    pub version: i64,
    pub sheet_json: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: i64,
}

impl SheetRow {
    pub fn sheet(&self) -> LedgerSheet {
        serde_json::from_str(&self.sheet_json).unwrap_or_default()
    }
}

/// One entry of `road_history`.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub id: i64,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub actor: String,
    pub user_id: Option<i64>,
    pub at: i64,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub reason: String,
}

// ---- geometry --------------------------------------------------------------------------------

/// Zone IX coordinates further than this from the origin (metres) are certainly wrong for a
/// municipality in Chiba / Tokyo / Kanagawa / Saitama …; catches lon/lat given as metres.
pub const ZONE_LIMIT_M: f64 = 300_000.0;

/// `[minx, miny, maxx, maxy]` = [min easting, min northing, max easting, max northing].
pub type Bbox = [f64; 4];

pub fn parse_geometry(text: &str) -> Result<Geometry, String> {
    text.parse::<Geometry>()
        .map_err(|e| format!("not a GeoJSON geometry: {e}"))
}

/// Calls `f` on every position.
pub fn for_each_position(value: &GeometryValue, f: &mut impl FnMut(&Position)) {
    match value {
        GeometryValue::Point { coordinates } => f(coordinates),
        GeometryValue::MultiPoint { coordinates } | GeometryValue::LineString { coordinates } => {
            coordinates.iter().for_each(f)
        }
        GeometryValue::MultiLineString { coordinates } | GeometryValue::Polygon { coordinates } => {
            coordinates.iter().flatten().for_each(f)
        }
        GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().flatten().flatten().for_each(f)
        }
        GeometryValue::GeometryCollection { geometries } => {
            for g in geometries {
                for_each_position(&g.value, f)
            }
        }
    }
}

/// Replaces every position by `f(position)`.
pub fn map_positions(value: &mut GeometryValue, f: &mut impl FnMut(&Position) -> Position) {
    fn line(ps: &mut [Position], f: &mut impl FnMut(&Position) -> Position) {
        for p in ps {
            *p = f(p);
        }
    }
    match value {
        GeometryValue::Point { coordinates } => *coordinates = f(coordinates),
        GeometryValue::MultiPoint { coordinates } | GeometryValue::LineString { coordinates } => {
            line(coordinates, f)
        }
        GeometryValue::MultiLineString { coordinates } | GeometryValue::Polygon { coordinates } => {
            coordinates.iter_mut().for_each(|l| line(l, f))
        }
        GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter_mut().flatten().for_each(|l| line(l, f))
        }
        GeometryValue::GeometryCollection { geometries } => {
            for g in geometries {
                map_positions(&mut g.value, f)
            }
        }
    }
}

/// The bounding box of a geometry (None when it has no positions).
pub fn bbox(value: &GeometryValue) -> Option<Bbox> {
    let mut b: Option<Bbox> = None;
    for_each_position(value, &mut |p| {
        let (x, y) = (p[0], p[1]);
        b = Some(match b {
            None => [x, y, x, y],
            Some([a, c, d, e]) => [a.min(x), c.min(y), d.max(x), e.max(y)],
        });
    });
    b
}

/// Planar length in metres of the lines of a geometry (0 for points).
pub fn length_m(value: &GeometryValue) -> f64 {
    fn line(ps: &[Position]) -> f64 {
        ps.windows(2)
            .map(|w| (w[1][0] - w[0][0]).hypot(w[1][1] - w[0][1]))
            .sum()
    }
    match value {
        GeometryValue::LineString { coordinates } => line(coordinates),
        GeometryValue::MultiLineString { coordinates } => coordinates.iter().map(|l| line(l)).sum(),
        _ => 0.0,
    }
}

/// Checks a zone IX geometry: one of the allowed types, 2-D or 3-D positions of finite numbers
/// inside the zone, lines with at least two distinct positions, closed polygon rings of at
/// least four positions. The message is English; callers map it to the resident's language.
pub fn validate(value: &GeometryValue, allowed: &[&str]) -> Result<(), String> {
    let kind = type_name(value);
    if !allowed.contains(&kind) {
        return Err(format!(
            "geometry type {kind} is not allowed here (expected {})",
            allowed.join(" or ")
        ));
    }
    let mut bad: Option<String> = None;
    for_each_position(value, &mut |p| {
        if bad.is_some() {
            return;
        }
        if p.len() < 2 || p.len() > 3 {
            bad = Some(format!(
                "a position has {} numbers (2 or 3 expected)",
                p.len()
            ));
        } else if !p.as_slice().iter().all(|v| v.is_finite()) {
            bad = Some("a position is not a finite number".into());
        } else if p[0].abs() > ZONE_LIMIT_M || p[1].abs() > ZONE_LIMIT_M {
            bad = Some(format!(
                "position [{}, {}] is outside plane rectangular zone IX (more than {} km from its origin)",
                p[0],
                p[1],
                ZONE_LIMIT_M / 1000.0
            ));
        }
    });
    if let Some(b) = bad {
        return Err(b);
    }
    let check_line = |ps: &[Position]| -> Result<(), String> {
        if ps.len() < 2 {
            return Err("a line needs at least two positions".into());
        }
        if ps
            .windows(2)
            .all(|w| w[0][0] == w[1][0] && w[0][1] == w[1][1])
        {
            return Err("a line has zero length (all positions equal)".into());
        }
        Ok(())
    };
    let check_ring = |ps: &[Position]| -> Result<(), String> {
        if ps.len() < 4 {
            return Err("a polygon ring needs at least four positions".into());
        }
        let (a, b) = (&ps[0], &ps[ps.len() - 1]);
        if a[0] != b[0] || a[1] != b[1] {
            return Err("a polygon ring is not closed (first and last positions differ)".into());
        }
        Ok(())
    };
    match value {
        GeometryValue::LineString { coordinates } => check_line(coordinates),
        GeometryValue::MultiLineString { coordinates } => {
            if coordinates.is_empty() {
                return Err("a MultiLineString has no lines".into());
            }
            coordinates.iter().try_for_each(|l| check_line(l))
        }
        GeometryValue::Polygon { coordinates } => {
            if coordinates.is_empty() {
                return Err("a Polygon has no rings".into());
            }
            coordinates.iter().try_for_each(|r| check_ring(r))
        }
        GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().flatten().try_for_each(|r| check_ring(r))
        }
        GeometryValue::MultiPoint { coordinates } if coordinates.is_empty() => {
            Err("a MultiPoint has no points".into())
        }
        _ => Ok(()),
    }
}

pub fn type_name(value: &GeometryValue) -> &'static str {
    match value {
        GeometryValue::Point { .. } => "Point",
        GeometryValue::MultiPoint { .. } => "MultiPoint",
        GeometryValue::LineString { .. } => "LineString",
        GeometryValue::MultiLineString { .. } => "MultiLineString",
        GeometryValue::Polygon { .. } => "Polygon",
        GeometryValue::MultiPolygon { .. } => "MultiPolygon",
        GeometryValue::GeometryCollection { .. } => "GeometryCollection",
    }
}

/// The stored text of a zone IX point given in survey order (X north, Y east).
pub fn point_text(x_north: f64, y_east: f64) -> String {
    Geometry::new_point([y_east, x_north]).to_string()
}

/// True for a YYYY-MM-DD calendar date.
pub fn is_date(s: &str) -> bool {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    s.len() == 10 && time::Date::parse(s, &fmt).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_and_length_of_a_line() {
        let g = parse_geometry(r#"{"type":"LineString","coordinates":[[0,0],[3,4],[3,10]]}"#)
            .expect("valid");
        assert_eq!(bbox(&g.value), Some([0.0, 0.0, 3.0, 10.0]));
        assert!((length_m(&g.value) - 11.0).abs() < 1e-9);
        validate(&g.value, &["LineString"]).expect("valid");
        assert!(validate(&g.value, &["Point"]).is_err());
    }

    #[test]
    fn bad_geometries_are_named() {
        let one =
            parse_geometry(r#"{"type":"LineString","coordinates":[[1,1],[1,1]]}"#).expect("valid");
        assert!(
            validate(&one.value, &["LineString"])
                .expect_err("invalid")
                .contains("zero length")
        );
        let far =
            parse_geometry(r#"{"type":"Point","coordinates":[139.9,35.7e4]}"#).expect("valid");
        assert!(
            validate(&far.value, &["Point"])
                .expect_err("invalid")
                .contains("zone IX")
        );
        let open =
            parse_geometry(r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,2]]]}"#)
                .expect("valid");
        assert!(
            validate(&open.value, &["Polygon"])
                .expect_err("invalid")
                .contains("not closed")
        );
        assert!(is_date("2024-02-29") && !is_date("2023-02-29") && !is_date("2024-2-1"));
    }
}
