//! The vector tiles' data and cache: reads the public road layers of a tile's area from the
//! roads store (bbox query on zone IX), converts them to longitude/latitude, hands them to
//! `tiles::encode`, and keeps the result in an in-memory LRU cache keyed by municipality,
//! z/x/y and the municipality's road data version (`road_meta.data_version`, +1 in every
//! write), so an edit makes every cached tile of that municipality stale at once.
//!
//! The version itself is remembered per municipality too, so a cached tile is served without a
//! database round trip: it is read again after any road data commit made through this database
//! handle (`Db::changes`, `Topic::RoadData`) and at least every `version_check` (a commit of
//! another process: the import CLI, a second server behind the same database).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use geozero::mvt::TileValue;

use super::crs::{Crs, ZONE_IX, to_geographic};
use super::model::{AreaLine, BoundaryPoint, Route, Section};
use super::store::{self, Filter};
use super::tiles::{self, Feature, Geometry, Layer, TileId};
use crate::db::{Db, Topic};

/// The lowest zoom of each layer.
pub const SECTIONS_MIN_ZOOM: u8 = 10;
pub const AREA_MIN_ZOOM: u8 = 15;
pub const POINTS_MIN_ZOOM: u8 = 17;

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    municipality: String,
    version: i64,
    tile: TileId,
}

/// In-memory LRU cache of encoded tiles (one per router, i.e. per server process).
pub struct TileCache {
    lru: Mutex<lru::LruCache<Key, Bytes>>,
    hits: AtomicU64,
    misses: AtomicU64,
    versions: Mutex<HashMap<String, KnownVersion>>,
    version_check: Duration,
}

/// A municipality's data version as last read, with the handle's road data commit count taken
/// before that read.
#[derive(Clone, Copy)]
struct KnownVersion {
    version: i64,
    local_commits: u64,
    read_at: Instant,
}

impl TileCache {
    /// `version_check`: how long a municipality's data version read from the database is
    /// trusted (commits of this process make it stale at once).
    pub fn new(capacity: usize, version_check: Duration) -> TileCache {
        let cap =
            std::num::NonZeroUsize::new(capacity.max(1)).unwrap_or(std::num::NonZeroUsize::MIN);
        TileCache {
            lru: Mutex::new(lru::LruCache::new(cap)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            versions: Mutex::new(HashMap::new()),
            version_check,
        }
    }

    /// The municipality's road data version: remembered while no road data commit of this
    /// database handle happened since it was read and it is younger than `version_check`, else
    /// read.
    async fn version(&self, db: &Db, municipality: &str) -> Result<i64, sqlx::Error> {
        let commits = db.changes().count(Topic::RoadData);
        let known = self
            .versions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(municipality)
            .copied();
        if let Some(k) = known
            && k.local_commits == commits
            && k.read_at.elapsed() < self.version_check
        {
            return Ok(k.version);
        }
        // `commits` was taken before the read: a commit that lands during it leaves the entry
        // stale, so the next request reads again.
        let version = store::data_version(db, municipality).await?;
        self.versions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                municipality.to_owned(),
                KnownVersion {
                    version,
                    local_commits: commits,
                    read_at: Instant::now(),
                },
            );
        Ok(version)
    }

    fn get(&self, k: &Key) -> Option<Bytes> {
        let mut lru = self.lru.lock().unwrap_or_else(|e| e.into_inner());
        lru.get(k).cloned()
    }

    fn put(&self, k: Key, v: Bytes) {
        let mut lru = self.lru.lock().unwrap_or_else(|e| e.into_inner());
        // Tiles of older data versions are never asked for again; LRU pushes them out.
        lru.put(k, v);
    }

    /// (hits, misses) since start.
    pub fn stats(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }
}

/// One served tile.
pub struct Served {
    pub bytes: Bytes,
    /// The data version it was made from (the ETag).
    pub version: i64,
    /// Came from the cache.
    pub hit: bool,
}

/// The tile of a municipality, from the cache or freshly made.
pub async fn tile(
    db: &Db,
    cache: &TileCache,
    municipality: &str,
    t: TileId,
) -> Result<Served, sqlx::Error> {
    let version = cache.version(db, municipality).await?;
    let key = Key {
        municipality: municipality.to_owned(),
        version,
        tile: t,
    };
    if let Some(bytes) = cache.get(&key) {
        cache.hits.fetch_add(1, Ordering::Relaxed);
        return Ok(Served {
            bytes,
            version,
            hit: true,
        });
    }
    cache.misses.fetch_add(1, Ordering::Relaxed);
    let layers = layers(db, municipality, t).await?;
    let bytes = Bytes::from(tiles::encode(t, &layers));
    cache.put(key, bytes.clone());
    Ok(Served {
        bytes,
        version,
        hit: false,
    })
}

/// A stored `[easting, northing]` (zone IX metres) as `[lon, lat]`.
pub fn storage_to_lonlat(east: f64, north: f64) -> [f64; 2] {
    let (lat, lon) = to_geographic(&ZONE_IX, north, east);
    [lon, lat]
}

fn geometry(text: &str) -> Option<Geometry> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    Geometry::from_geojson(&v, &storage_to_lonlat)
}

fn s(v: &str) -> TileValue {
    TileValue::Str(v.to_owned())
}

/// The public layers of a tile's area (the tile plus its buffer).
pub async fn layers(db: &Db, municipality: &str, t: TileId) -> Result<Vec<Layer>, sqlx::Error> {
    let (w, so, e, n) = t.buffered_bounds_lonlat();
    let bbox = Crs::Crs84.bbox_to_storage([w, so, e, n]);
    let filter = Filter {
        bbox: Some(bbox),
        public_only: true,
        ..Default::default()
    };
    // Public routes touching the area: their numbers and names go on the sections (click →
    // ledger sheet), and a section or line of a non-public route stays off the map.
    let routes: HashMap<i64, Route> = store::list::<Route>(db, municipality, &filter)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let mut out = Vec::new();
    let mut sections = Vec::new();
    for sec in store::list::<Section>(db, municipality, &filter).await? {
        let Some(r) = routes.get(&sec.route_id) else {
            continue;
        };
        let Some(g) = geometry(&sec.geometry) else {
            continue;
        };
        sections.push(Feature {
            id: sec.id as u64,
            geometry: g,
            properties: vec![
                ("route_id", TileValue::Uint(r.id as u64)),
                ("route_number", s(&r.route_number)),
                ("route_name", s(&r.name)),
                ("road_kind", s(&r.road_kind)),
                ("route_class", s(&r.route_class)),
                ("section_code", s(&sec.section_code)),
                (
                    "carriageway_width_m",
                    TileValue::Double(sec.carriageway_width_m),
                ),
                ("sidewalk_width_m", TileValue::Double(sec.sidewalk_width_m)),
                ("pavement", s(&sec.pavement)),
                ("sidewalk", s(&sec.sidewalk)),
            ],
        });
    }
    out.push(Layer {
        name: "sections",
        min_zoom: SECTIONS_MIN_ZOOM,
        features: sections,
    });
    if t.z >= AREA_MIN_ZOOM {
        let mut area = Vec::new();
        for a in store::list::<AreaLine>(db, municipality, &filter).await? {
            if !routes.contains_key(&a.route_id) {
                continue;
            }
            let Some(g) = geometry(&a.geometry) else {
                continue;
            };
            let mut properties = vec![
                ("route_id", TileValue::Uint(a.route_id as u64)),
                ("boundary_status", s(&a.boundary_status)),
            ];
            if let Some(d) = &a.confirmed_on {
                properties.push(("confirmed_on", s(d)));
            }
            if let Some(d) = &a.document_number {
                properties.push(("document_number", s(d)));
            }
            area.push(Feature {
                id: a.id as u64,
                geometry: g,
                properties,
            });
        }
        out.push(Layer {
            name: "road_area",
            min_zoom: AREA_MIN_ZOOM,
            features: area,
        });
    }
    if t.z >= POINTS_MIN_ZOOM {
        let mut points = Vec::new();
        for p in store::list::<BoundaryPoint>(db, municipality, &filter).await? {
            if p.route_id.is_some_and(|r| !routes.contains_key(&r)) {
                continue;
            }
            let mut properties = vec![
                ("point_number", s(&p.point_number)),
                ("marker", s(&p.marker)),
                ("boundary_status", s(&p.boundary_status)),
                ("x_north", TileValue::Double(p.x_north)),
                ("y_east", TileValue::Double(p.y_east)),
            ];
            if let Some(r) = p.route_id {
                properties.push(("route_id", TileValue::Uint(r as u64)));
            }
            points.push(Feature {
                id: p.id as u64,
                geometry: Geometry::Points(vec![storage_to_lonlat(p.y_east, p.x_north)]),
                properties,
            });
        }
        out.push(Layer {
            name: "boundary_points",
            min_zoom: POINTS_MIN_ZOOM,
            features: points,
        });
    }
    Ok(out)
}

/// The longitude/latitude bbox (west, south, east, north) of a route's public sections, for
/// the map to open on.
pub async fn route_bbox(
    db: &Db,
    municipality: &str,
    route_id: i64,
) -> Result<Option<(f64, f64, f64, f64)>, sqlx::Error> {
    let filter = Filter {
        public_only: true,
        route_id: Some(route_id),
        ..Default::default()
    };
    let mut b: Option<(f64, f64, f64, f64)> = None;
    for sec in store::list::<Section>(db, municipality, &filter).await? {
        if let Some(sb) = geometry(&sec.geometry).and_then(|g| g.bbox()) {
            b = Some(match b {
                None => sb,
                Some(a) => (a.0.min(sb.0), a.1.min(sb.1), a.2.max(sb.2), a.3.max(sb.3)),
            });
        }
    }
    Ok(b)
}
