//! Mapbox Vector Tiles (spec 2.1) for the public road map: web-mercator tile math, clipping
//! to the tile plus a buffer, simplification per zoom, and the protobuf encoding. Pure: no
//! database, no clock. `tiles_store` feeds it features and caches what it makes.
//!
//! Geometry comes in as longitude/latitude (CRS84) and goes out in tile coordinates (extent
//! 4096, y down). The protobuf messages and the geometry command encoding are the `geozero`
//! crate's (`with-mvt`: the prost types generated from `vector_tile.proto`, its `MvtWriter`
//! and `TagsBuilder`). Clipping to an axis-aligned rectangle (Liang–Barsky for lines,
//! Sutherland–Hodgman for rings) and Douglas–Peucker simplification are written here: they
//! work on the tile's own coordinates in the hot path, and the general `geo` boolean
//! operations would be a large dependency for a rectangle.

use geozero::GeomProcessor;
/// An attribute value of a tile feature (geozero's).
pub use geozero::mvt::TileValue;
use geozero::mvt::{Message, MvtWriter, TagsBuilder, tile};

/// Tile coordinate space of every layer.
pub const EXTENT: u32 = 4096;
/// Tile units kept outside the tile on each side, so lines and labels join across tiles.
pub const BUFFER: f64 = 64.0;
/// The zoom levels we serve. Below, the network is a smudge; above, MapLibre over-zooms.
pub const MIN_ZOOM: u8 = 10;
pub const MAX_ZOOM: u8 = 18;
/// Douglas–Peucker tolerance in tile units (1/4096 of the tile): about 1 m at zoom 15 in
/// Ichikawa, a few centimetres at 18, so the ground tolerance follows the zoom.
pub const SIMPLIFY_TOLERANCE: f64 = 1.0;

/// A tile address z/x/y (XYZ scheme, y counted from the north).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// Why a tile address is refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TileError {
    /// Zoom outside MIN_ZOOM..=MAX_ZOOM.
    Zoom,
    /// x or y outside 0..2^z.
    Range,
    /// Not a number, or the file name does not end in `.mvt` / `.pbf`.
    Syntax,
}

impl TileId {
    /// Parses the path parts `{z}`, `{x}`, `{y}.mvt` (`.pbf` is accepted too).
    pub fn parse(z: &str, x: &str, y_file: &str) -> Result<TileId, TileError> {
        let y = y_file
            .strip_suffix(".mvt")
            .or_else(|| y_file.strip_suffix(".pbf"))
            .ok_or(TileError::Syntax)?;
        let num = |s: &str| -> Result<u32, TileError> {
            if s.is_empty() || s.len() > 7 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(TileError::Syntax);
            }
            s.parse().map_err(|_| TileError::Syntax)
        };
        let z = num(z)?;
        let (x, y) = (num(x)?, num(y)?);
        if !(u32::from(MIN_ZOOM)..=u32::from(MAX_ZOOM)).contains(&z) {
            return Err(TileError::Zoom);
        }
        let n = 1u32 << z;
        if x >= n || y >= n {
            return Err(TileError::Range);
        }
        Ok(TileId { z: z as u8, x, y })
    }

    /// Number of tiles along one side at this zoom.
    pub fn n(self) -> f64 {
        f64::from(1u32 << self.z)
    }

    /// The tile's bounds in longitude/latitude: (west, south, east, north).
    pub fn bounds_lonlat(self) -> (f64, f64, f64, f64) {
        let n = self.n();
        let (w, nth) = world_to_lonlat(f64::from(self.x) / n, f64::from(self.y) / n);
        let (e, s) = world_to_lonlat(f64::from(self.x + 1) / n, f64::from(self.y + 1) / n);
        (w, s, e, nth)
    }

    /// The tile's bounds with the buffer added, in longitude/latitude (west, south, east, north).
    pub fn buffered_bounds_lonlat(self) -> (f64, f64, f64, f64) {
        let n = self.n();
        let b = BUFFER / f64::from(EXTENT);
        let (w, nth) = world_to_lonlat(
            (f64::from(self.x) - b) / n,
            ((f64::from(self.y) - b) / n).max(0.0),
        );
        let (e, s) = world_to_lonlat(
            (f64::from(self.x + 1) + b) / n,
            ((f64::from(self.y + 1) + b) / n).min(1.0),
        );
        (w, s, e, nth)
    }

    /// Tile coordinates (0..EXTENT, y down, may fall outside) of a longitude/latitude.
    pub fn project(self, lon: f64, lat: f64) -> (f64, f64) {
        let (wx, wy) = lonlat_to_world(lon, lat);
        let n = self.n();
        let e = f64::from(EXTENT);
        (
            (wx * n - f64::from(self.x)) * e,
            (wy * n - f64::from(self.y)) * e,
        )
    }

    /// Longitude/latitude of tile coordinates (the inverse of `project`).
    pub fn unproject(self, px: f64, py: f64) -> (f64, f64) {
        let n = self.n();
        let e = f64::from(EXTENT);
        world_to_lonlat(
            (px / e + f64::from(self.x)) / n,
            (py / e + f64::from(self.y)) / n,
        )
    }
}

/// The largest latitude web mercator shows.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// Longitude/latitude → normalised web mercator (0..1 both ways, y down from the north).
pub fn lonlat_to_world(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0;
    (x, y)
}

/// Normalised web mercator → longitude/latitude.
pub fn world_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y))
        .sinh()
        .atan()
        .to_degrees();
    (lon, lat)
}

/// The tile that holds a longitude/latitude at a zoom.
pub fn tile_for(lon: f64, lat: f64, z: u8) -> TileId {
    let (wx, wy) = lonlat_to_world(lon, lat);
    let n = f64::from(1u32 << z);
    let max = (1u32 << z) - 1;
    TileId {
        z,
        x: ((wx * n).floor().max(0.0) as u32).min(max),
        y: ((wy * n).floor().max(0.0) as u32).min(max),
    }
}

/// A geometry in longitude/latitude (CRS84 axis order: lon, lat).
#[derive(Clone, Debug, PartialEq)]
pub enum Geometry {
    Points(Vec<[f64; 2]>),
    Lines(Vec<Vec<[f64; 2]>>),
    /// Polygons, each a list of rings (the first the exterior).
    Polygons(Vec<Vec<Vec<[f64; 2]>>>),
}

impl Geometry {
    /// Reads a GeoJSON geometry object's type and coordinates (any of the six simple types);
    /// `convert` maps each stored position (as written) to longitude/latitude.
    pub fn from_geojson(
        value: &serde_json::Value,
        convert: &dyn Fn(f64, f64) -> [f64; 2],
    ) -> Option<Geometry> {
        let kind = value.get("type")?.as_str()?;
        let coords = value.get("coordinates")?;
        let pos = |v: &serde_json::Value| -> Option<[f64; 2]> {
            let a = v.as_array()?;
            Some(convert(a.first()?.as_f64()?, a.get(1)?.as_f64()?))
        };
        let line = |v: &serde_json::Value| -> Option<Vec<[f64; 2]>> {
            v.as_array()?.iter().map(pos).collect()
        };
        let poly = |v: &serde_json::Value| -> Option<Vec<Vec<[f64; 2]>>> {
            v.as_array()?.iter().map(line).collect()
        };
        let arr = |v: &serde_json::Value| v.as_array().cloned().unwrap_or_default();
        Some(match kind {
            "Point" => Geometry::Points(vec![pos(coords)?]),
            "MultiPoint" => Geometry::Points(arr(coords).iter().map(pos).collect::<Option<_>>()?),
            "LineString" => Geometry::Lines(vec![line(coords)?]),
            "MultiLineString" => {
                Geometry::Lines(arr(coords).iter().map(line).collect::<Option<_>>()?)
            }
            "Polygon" => Geometry::Polygons(vec![poly(coords)?]),
            "MultiPolygon" => {
                Geometry::Polygons(arr(coords).iter().map(poly).collect::<Option<_>>()?)
            }
            _ => return None,
        })
    }

    /// The bounding box (west, south, east, north), None when empty.
    pub fn bbox(&self) -> Option<(f64, f64, f64, f64)> {
        let mut b: Option<(f64, f64, f64, f64)> = None;
        let mut add = |p: &[f64; 2]| {
            b = Some(match b {
                None => (p[0], p[1], p[0], p[1]),
                Some((w, s, e, n)) => (w.min(p[0]), s.min(p[1]), e.max(p[0]), n.max(p[1])),
            });
        };
        match self {
            Geometry::Points(ps) => ps.iter().for_each(&mut add),
            Geometry::Lines(ls) => ls.iter().flatten().for_each(&mut add),
            Geometry::Polygons(ps) => ps.iter().flatten().flatten().for_each(&mut add),
        }
        b
    }
}

/// One feature of a layer: its id (the row id, for click → ledger sheet), geometry and
/// attributes.
#[derive(Clone, Debug)]
pub struct Feature {
    pub id: u64,
    pub geometry: Geometry,
    pub properties: Vec<(&'static str, TileValue)>,
}

/// One layer to put in a tile, with the lowest zoom it appears at.
#[derive(Clone, Debug)]
pub struct Layer {
    pub name: &'static str,
    pub min_zoom: u8,
    pub features: Vec<Feature>,
}

type Pt = (f64, f64);

/// Clips a polyline to the rectangle [lo, hi]², giving the pieces inside (Liang–Barsky per
/// segment, consecutive pieces joined).
pub fn clip_line(line: &[Pt], lo: f64, hi: f64) -> Vec<Vec<Pt>> {
    let mut out: Vec<Vec<Pt>> = Vec::new();
    let mut cur: Vec<Pt> = Vec::new();
    for w in line.windows(2) {
        let (a, b) = (w[0], w[1]);
        match clip_segment(a, b, lo, hi) {
            Some((p, q, a_cut, b_cut)) => {
                if cur.is_empty() || a_cut {
                    if cur.len() >= 2 {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                    cur.push(p);
                }
                cur.push(q);
                if b_cut {
                    if cur.len() >= 2 {
                        out.push(std::mem::take(&mut cur));
                    }
                    cur.clear();
                }
            }
            None => {
                if cur.len() >= 2 {
                    out.push(std::mem::take(&mut cur));
                }
                cur.clear();
            }
        }
    }
    if cur.len() >= 2 {
        out.push(cur);
    }
    if line.len() == 1 && inside(line[0], lo, hi) {
        out.push(vec![line[0]]);
    }
    out
}

fn inside(p: Pt, lo: f64, hi: f64) -> bool {
    p.0 >= lo && p.0 <= hi && p.1 >= lo && p.1 <= hi
}

/// Liang–Barsky: the part of segment a→b inside the square, and whether each end was cut.
fn clip_segment(a: Pt, b: Pt, lo: f64, hi: f64) -> Option<(Pt, Pt, bool, bool)> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0: f64 = 0.0;
    let mut t1: f64 = 1.0;
    for (p, q) in [
        (-dx, a.0 - lo),
        (dx, hi - a.0),
        (-dy, a.1 - lo),
        (dy, hi - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                if r > t1 {
                    return None;
                }
                t0 = t0.max(r);
            } else {
                if r < t0 {
                    return None;
                }
                t1 = t1.min(r);
            }
        }
    }
    let p = (a.0 + t0 * dx, a.1 + t0 * dy);
    let q = (a.0 + t1 * dx, a.1 + t1 * dy);
    Some((p, q, t0 > 0.0, t1 < 1.0))
}

/// Clips a closed ring to the square [lo, hi]² (Sutherland–Hodgman). The result is closed
/// (first point repeated at the end) or empty.
pub fn clip_ring(ring: &[Pt], lo: f64, hi: f64) -> Vec<Pt> {
    let mut pts: Vec<Pt> = ring.to_vec();
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    // (axis, bound, keep-greater)
    for (axis, bound, greater) in [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)] {
        if pts.is_empty() {
            break;
        }
        let coord = |p: &Pt| if axis == 0 { p.0 } else { p.1 };
        let is_in = |p: &Pt| {
            if greater {
                coord(p) >= bound
            } else {
                coord(p) <= bound
            }
        };
        let mut next = Vec::with_capacity(pts.len() + 4);
        for i in 0..pts.len() {
            let cur = pts[i];
            let prev = pts[(i + pts.len() - 1) % pts.len()];
            let (ci, pi) = (is_in(&cur), is_in(&prev));
            if ci != pi {
                let t = (bound - coord(&prev)) / (coord(&cur) - coord(&prev));
                next.push((prev.0 + t * (cur.0 - prev.0), prev.1 + t * (cur.1 - prev.1)));
            }
            if ci {
                next.push(cur);
            }
        }
        pts = next;
    }
    if pts.len() < 3 {
        return Vec::new();
    }
    pts.push(pts[0]);
    pts
}

/// Douglas–Peucker simplification with a tolerance in the points' units; keeps both ends.
pub fn simplify(line: &[Pt], tolerance: f64) -> Vec<Pt> {
    if line.len() <= 2 {
        return line.to_vec();
    }
    let mut keep = vec![false; line.len()];
    keep[0] = true;
    keep[line.len() - 1] = true;
    let mut stack = vec![(0usize, line.len() - 1)];
    while let Some((s, e)) = stack.pop() {
        let mut best = (0.0, 0usize);
        for (i, p) in line.iter().enumerate().take(e).skip(s + 1) {
            let d = seg_distance(*p, line[s], line[e]);
            if d > best.0 {
                best = (d, i);
            }
        }
        if best.0 > tolerance {
            keep[best.1] = true;
            stack.push((s, best.1));
            stack.push((best.1, e));
        }
    }
    line.iter()
        .zip(keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect()
}

fn seg_distance(p: Pt, a: Pt, b: Pt) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    if len2 == 0.0 {
        return ((p.0 - a.0).powi(2) + (p.1 - a.1).powi(2)).sqrt();
    }
    let t = (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0);
    ((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt()
}

/// Rounds to integer tile coordinates and drops repeated points.
fn snap(line: &[Pt]) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(line.len());
    for p in line {
        let q = (p.0.round() as i32, p.1.round() as i32);
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    out
}

/// Twice the signed area in tile coordinates (y down): positive = clockwise on screen, the
/// winding MVT 2.1 requires of an exterior ring.
fn signed_area2(ring: &[(i32, i32)]) -> i64 {
    ring.windows(2)
        .map(|w| i64::from(w[0].0) * i64::from(w[1].1) - i64::from(w[1].0) * i64::from(w[0].1))
        .sum()
}

/// A feature's geometry in integer tile coordinates, clipped and simplified; None when
/// nothing of it is in the tile.
#[derive(Debug, PartialEq)]
enum TileGeom {
    Points(Vec<(i32, i32)>),
    Lines(Vec<Vec<(i32, i32)>>),
    /// Rings, exterior then holes, of each polygon, closed.
    Polygons(Vec<Vec<Vec<(i32, i32)>>>),
}

fn to_tile(tile: TileId, g: &Geometry) -> Option<TileGeom> {
    let (lo, hi) = (-BUFFER, f64::from(EXTENT) + BUFFER);
    let proj =
        |ps: &[[f64; 2]]| -> Vec<Pt> { ps.iter().map(|p| tile.project(p[0], p[1])).collect() };
    match g {
        Geometry::Points(ps) => {
            let pts: Vec<(i32, i32)> = proj(ps)
                .into_iter()
                .filter(|p| inside(*p, lo, hi))
                .map(|p| (p.0.round() as i32, p.1.round() as i32))
                .collect();
            (!pts.is_empty()).then_some(TileGeom::Points(pts))
        }
        Geometry::Lines(ls) => {
            let mut out = Vec::new();
            for l in ls {
                for piece in clip_line(&proj(l), lo, hi) {
                    let s = snap(&simplify(&piece, SIMPLIFY_TOLERANCE));
                    if s.len() >= 2 {
                        out.push(s);
                    }
                }
            }
            (!out.is_empty()).then_some(TileGeom::Lines(out))
        }
        Geometry::Polygons(polys) => {
            let mut out = Vec::new();
            for poly in polys {
                let mut rings = Vec::new();
                for (i, ring) in poly.iter().enumerate() {
                    let clipped = clip_ring(&proj(ring), lo, hi);
                    let mut s = snap(&simplify(&clipped, SIMPLIFY_TOLERANCE));
                    if s.len() < 4 || signed_area2(&s) == 0 {
                        if i == 0 {
                            break;
                        }
                        continue;
                    }
                    // exterior clockwise (positive), holes counter-clockwise
                    let want_positive = i == 0;
                    if (signed_area2(&s) > 0) != want_positive {
                        s.reverse();
                    }
                    rings.push(s);
                }
                if !rings.is_empty() {
                    out.push(rings);
                }
            }
            (!out.is_empty()).then_some(TileGeom::Polygons(out))
        }
    }
}

/// The MVT command stream of a tile geometry (geozero's writer, fed tile coordinates).
fn encode_geom(g: &TileGeom) -> geozero::error::Result<tile::Feature> {
    let mut w = MvtWriter::new_unscaled(EXTENT)?;
    let xy = |w: &mut MvtWriter, p: &(i32, i32), i| w.xy(f64::from(p.0), f64::from(p.1), i);
    match g {
        TileGeom::Points(ps) if ps.len() == 1 => {
            w.point_begin(0)?;
            xy(&mut w, &ps[0], 0)?;
            w.point_end(0)?;
        }
        TileGeom::Points(ps) => {
            w.multipoint_begin(ps.len(), 0)?;
            for (i, p) in ps.iter().enumerate() {
                xy(&mut w, p, i)?;
            }
            w.multipoint_end(0)?;
        }
        TileGeom::Lines(ls) => {
            w.multilinestring_begin(ls.len(), 0)?;
            for (j, l) in ls.iter().enumerate() {
                w.linestring_begin(false, l.len(), j)?;
                for (i, p) in l.iter().enumerate() {
                    xy(&mut w, p, i)?;
                }
                w.linestring_end(false, j)?;
            }
            w.multilinestring_end(0)?;
        }
        TileGeom::Polygons(polys) => {
            w.multipolygon_begin(polys.len(), 0)?;
            for (k, rings) in polys.iter().enumerate() {
                w.polygon_begin(false, rings.len(), k)?;
                for (j, r) in rings.iter().enumerate() {
                    w.linestring_begin(false, r.len(), j)?;
                    for (i, p) in r.iter().enumerate() {
                        xy(&mut w, p, i)?;
                    }
                    w.linestring_end(false, j)?;
                }
                w.polygon_end(false, k)?;
            }
            w.multipolygon_end(0)?;
        }
    }
    Ok(w.geometry().clone())
}

/// Builds and encodes one tile. Layers below their `min_zoom` and layers with nothing in the
/// tile are left out; a tile with nothing is an empty (zero-byte) protobuf message, which is
/// a valid tile.
pub fn encode(tile: TileId, layers: &[Layer]) -> Vec<u8> {
    let mut out = geozero::mvt::Tile::default();
    for layer in layers.iter().filter(|l| tile.z >= l.min_zoom) {
        let mut tags = TagsBuilder::new();
        let mut features = Vec::new();
        for f in &layer.features {
            let Some(g) = to_tile(tile, &f.geometry) else {
                continue;
            };
            let mut feat = match encode_geom(&g) {
                Ok(feat) => feat,
                Err(e) => {
                    tracing::warn!(layer = layer.name, id = f.id, error = %e, "feature left out of tile");
                    continue;
                }
            };
            feat.id = Some(f.id);
            for (k, v) in &f.properties {
                let (ki, vi) = tags.insert_ref(k, v.clone());
                feat.tags.push(ki);
                feat.tags.push(vi);
            }
            features.push(feat);
        }
        if features.is_empty() {
            continue;
        }
        let (keys, values) = tags.into_tags();
        out.layers.push(tile::Layer {
            version: 2,
            name: layer.name.to_owned(),
            features,
            keys,
            values: values.into_iter().map(Into::into).collect(),
            extent: Some(EXTENT),
        });
    }
    out.encode_to_vec()
}

/// A decoded feature, for tests and tools: layer name, id, geometry as tile-coordinate parts
/// (each part a list of points), and attributes.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub layer: String,
    pub id: Option<u64>,
    pub kind: i32,
    pub parts: Vec<Vec<(i32, i32)>>,
    pub properties: Vec<(String, TileValue)>,
}

/// Decodes a tile (the inverse of `encode`), following the geometry commands of spec 4.3.
pub fn decode(bytes: &[u8]) -> Result<Vec<Decoded>, String> {
    let t = geozero::mvt::Tile::decode(bytes).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for l in &t.layers {
        if l.version != 2 {
            return Err(format!("layer {} has version {}", l.name, l.version));
        }
        for f in &l.features {
            let mut properties = Vec::new();
            for kv in f.tags.chunks(2) {
                let k = l
                    .keys
                    .get(kv[0] as usize)
                    .ok_or("tag key out of range")?
                    .clone();
                let v = l
                    .values
                    .get(*kv.get(1).ok_or("odd tag count")? as usize)
                    .ok_or("tag value out of range")?
                    .clone();
                properties.push((k, TileValue::try_from(v).map_err(|_| "empty value")?));
            }
            out.push(Decoded {
                layer: l.name.clone(),
                id: f.id,
                kind: f.r#type.unwrap_or(0),
                parts: decode_commands(&f.geometry)?,
                properties,
            });
        }
    }
    Ok(out)
}

fn decode_commands(g: &[u32]) -> Result<Vec<Vec<(i32, i32)>>, String> {
    let zz = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
    let (mut x, mut y) = (0i32, 0i32);
    let mut parts: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut i = 0;
    while i < g.len() {
        let (cmd, count) = (g[i] & 7, g[i] >> 3);
        i += 1;
        match cmd {
            1 | 2 => {
                for _ in 0..count {
                    let (dx, dy) = (
                        zz(*g.get(i).ok_or("truncated")?),
                        zz(*g.get(i + 1).ok_or("truncated")?),
                    );
                    i += 2;
                    x += dx;
                    y += dy;
                    if cmd == 1 {
                        parts.push(vec![(x, y)]);
                    } else {
                        parts.last_mut().ok_or("LineTo before MoveTo")?.push((x, y));
                    }
                }
            }
            7 => {
                let p = parts.last_mut().ok_or("ClosePath before MoveTo")?;
                let first = *p.first().ok_or("empty ring")?;
                p.push(first);
            }
            c => return Err(format!("unknown command {c}")),
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tile_addresses() {
        assert_eq!(
            TileId::parse("14", "14552", "6451.mvt"),
            Ok(TileId {
                z: 14,
                x: 14552,
                y: 6451
            })
        );
        assert!(TileId::parse("14", "14552", "6451.pbf").is_ok());
        assert_eq!(TileId::parse("9", "0", "0.mvt"), Err(TileError::Zoom));
        assert_eq!(TileId::parse("19", "0", "0.mvt"), Err(TileError::Zoom));
        assert_eq!(TileId::parse("10", "1024", "0.mvt"), Err(TileError::Range));
        assert_eq!(TileId::parse("10", "-1", "0.mvt"), Err(TileError::Syntax));
        assert_eq!(TileId::parse("10", "1", "0.png"), Err(TileError::Syntax));
        assert_eq!(TileId::parse("10", "1", "+0.mvt"), Err(TileError::Syntax));
    }

    #[test]
    fn mercator_round_trips_and_known_tile() {
        // 市川駅 (about 35.7285 N, 139.9070 E) lies in tile 14/14557/6447 (OSM slippy-map
        // formula: x = floor((lon+180)/360·2^z), y = floor((1−asinh(tan φ)/π)/2·2^z)).
        let t = tile_for(139.9070, 35.7285, 14);
        let n = 16384.0_f64;
        let ex = ((139.9070 + 180.0) / 360.0 * n).floor() as u32;
        let lat = 35.7285_f64.to_radians();
        let ey = ((1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n).floor() as u32;
        assert_eq!((t.x, t.y), (ex, ey));
        let (w, s, e, nn) = t.bounds_lonlat();
        assert!(w <= 139.9070 && 139.9070 < e && s <= 35.7285 && 35.7285 < nn);
        let (px, py) = t.project(139.9070, 35.7285);
        assert!((0.0..4096.0).contains(&px) && (0.0..4096.0).contains(&py));
        let (lon, lat) = t.unproject(px, py);
        assert!((lon - 139.9070).abs() < 1e-9 && (lat - 35.7285).abs() < 1e-9);
        // corners
        let (lon0, lat0) = t.unproject(0.0, 0.0);
        assert!((lon0 - w).abs() < 1e-12 && (lat0 - nn).abs() < 1e-12);
    }

    #[test]
    fn clips_lines_to_the_square() {
        let pieces = clip_line(&[(-10.0, 5.0), (20.0, 5.0)], 0.0, 10.0);
        assert_eq!(pieces, vec![vec![(0.0, 5.0), (10.0, 5.0)]]);
        // leaves and comes back: two pieces
        let pieces = clip_line(
            &[(1.0, 1.0), (1.0, 20.0), (5.0, 20.0), (5.0, 1.0)],
            0.0,
            10.0,
        );
        assert_eq!(
            pieces,
            vec![vec![(1.0, 1.0), (1.0, 10.0)], vec![(5.0, 10.0), (5.0, 1.0)]]
        );
        // entirely outside
        assert!(clip_line(&[(11.0, 0.0), (20.0, 5.0)], 0.0, 10.0).is_empty());
        // inside: unchanged
        let l = vec![(1.0, 1.0), (2.0, 3.0), (4.0, 4.0)];
        assert_eq!(clip_line(&l, 0.0, 10.0), vec![l]);
    }

    #[test]
    fn clips_rings_to_the_square() {
        let r = clip_ring(
            &[
                (-5.0, -5.0),
                (5.0, -5.0),
                (5.0, 5.0),
                (-5.0, 5.0),
                (-5.0, -5.0),
            ],
            0.0,
            10.0,
        );
        assert_eq!(r.first(), r.last());
        let mut pts: Vec<(i64, i64)> = r[..r.len() - 1]
            .iter()
            .map(|p| (p.0 as i64, p.1 as i64))
            .collect();
        pts.sort();
        assert_eq!(pts, vec![(0, 0), (0, 5), (5, 0), (5, 5)]);
        assert!(clip_ring(&[(20.0, 20.0), (30.0, 20.0), (30.0, 30.0)], 0.0, 10.0).is_empty());
    }

    #[test]
    fn simplifies_but_keeps_corners() {
        let l = vec![(0.0, 0.0), (5.0, 0.2), (10.0, 0.0), (10.0, 10.0)];
        assert_eq!(
            simplify(&l, 1.0),
            vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)]
        );
        assert_eq!(simplify(&l, 0.1), l);
    }

    fn line_layer(coords: Vec<[f64; 2]>) -> Layer {
        Layer {
            name: "sections",
            min_zoom: 10,
            features: vec![Feature {
                id: 7,
                geometry: Geometry::Lines(vec![coords]),
                properties: vec![
                    ("route_number", TileValue::Str("1-23".into())),
                    ("width_m", TileValue::Double(6.5)),
                ],
            }],
        }
    }

    #[test]
    fn encodes_and_decodes_a_line() {
        let t = tile_for(139.9070, 35.7285, 16);
        let a = t.unproject(100.0, 200.0);
        let b = t.unproject(3000.0, 200.0);
        let c = t.unproject(3000.0, 5000.0); // below the tile: clipped at 4096 + 64
        let bytes = encode(t, &[line_layer(vec![[a.0, a.1], [b.0, b.1], [c.0, c.1]])]);
        let d = decode(&bytes).expect("decodes");
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].layer, "sections");
        assert_eq!(d[0].id, Some(7));
        assert_eq!(d[0].kind, tile::GeomType::Linestring as i32);
        assert_eq!(
            d[0].parts,
            vec![vec![(100, 200), (3000, 200), (3000, 4160)]]
        );
        assert_eq!(
            d[0].properties,
            vec![
                ("route_number".to_owned(), TileValue::Str("1-23".into())),
                ("width_m".to_owned(), TileValue::Double(6.5)),
            ]
        );
    }

    #[test]
    fn empty_area_gives_an_empty_tile() {
        let t = tile_for(139.9070, 35.7285, 16);
        let far = TileId { x: t.x + 5, ..t };
        let a = t.unproject(100.0, 200.0);
        let b = t.unproject(3000.0, 200.0);
        let bytes = encode(far, &[line_layer(vec![[a.0, a.1], [b.0, b.1]])]);
        assert!(bytes.is_empty());
        assert!(decode(&bytes).expect("decodes").is_empty());
    }

    #[test]
    fn layers_start_at_their_zoom() {
        let t = tile_for(139.9070, 35.7285, 14);
        let a = t.unproject(10.0, 10.0);
        let mut l = line_layer(vec![[a.0, a.1], [a.0 + 0.0001, a.1]]);
        l.min_zoom = 15;
        assert!(encode(t, &[l.clone()]).is_empty());
        l.min_zoom = 14;
        assert!(!encode(t, &[l]).is_empty());
    }

    #[test]
    fn polygons_wind_clockwise_and_points_stay() {
        let t = tile_for(139.9070, 35.7285, 17);
        let ll = |x: f64, y: f64| {
            let p = t.unproject(x, y);
            [p.0, p.1]
        };
        // counter-clockwise on screen as given; must come out clockwise
        let ring = vec![
            ll(10.0, 10.0),
            ll(10.0, 100.0),
            ll(100.0, 100.0),
            ll(100.0, 10.0),
            ll(10.0, 10.0),
        ];
        let layers = [
            Layer {
                name: "area",
                min_zoom: 10,
                features: vec![Feature {
                    id: 1,
                    geometry: Geometry::Polygons(vec![vec![ring]]),
                    properties: vec![],
                }],
            },
            Layer {
                name: "points",
                min_zoom: 10,
                features: vec![Feature {
                    id: 2,
                    geometry: Geometry::Points(vec![ll(2048.0, 1024.0), ll(-500.0, 0.0)]),
                    properties: vec![("no", TileValue::Str("B-1".into()))],
                }],
            },
        ];
        let d = decode(&encode(t, &layers)).expect("decodes");
        assert_eq!(d.len(), 2);
        let ring = &d[0].parts[0];
        assert_eq!(ring.first(), ring.last());
        assert!(signed_area2(ring) > 0, "exterior ring clockwise: {ring:?}");
        assert_eq!(d[1].parts, vec![vec![(2048, 1024)]]);
    }

    #[test]
    fn reads_geojson_geometries() {
        let id = |x: f64, y: f64| [x, y];
        let g = Geometry::from_geojson(
            &serde_json::json!({"type":"MultiLineString","coordinates":[[[1,2],[3,4]],[[5,6],[7,8]]]}),
            &id,
        )
        .expect("parses");
        assert_eq!(
            g,
            Geometry::Lines(vec![
                vec![[1.0, 2.0], [3.0, 4.0]],
                vec![[5.0, 6.0], [7.0, 8.0]]
            ])
        );
        assert_eq!(g.bbox(), Some((1.0, 2.0, 7.0, 8.0)));
        assert!(
            Geometry::from_geojson(&serde_json::json!({"type":"Circle","coordinates":[]}), &id)
                .is_none()
        );
    }
}
