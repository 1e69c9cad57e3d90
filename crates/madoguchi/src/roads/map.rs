//! The public road map and its accessible twin (docs/roads-map.md):
//! - `/roads/tiles/{z}/{x}/{y}.mvt`: Mapbox Vector Tiles 2.1 (layers `sections`, `road_area`
//!   from zoom 15, `boundary_points` from zoom 17), cached, with ETag and Cache-Control;
//! - `/roads/map`: the map page (MapLibre GL JS served from this server), search by route
//!   number, name or address, click a road → its ledger sheet, A4 print with scale and date;
//! - `/roads/list`: the same information as a paged, searchable table, without JavaScript;
//! - `/roads/list/{id}`: a route's ledger sheet (調書) and sections, printable.

use std::sync::{Arc, OnceLock};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use super::model::{LedgerSheet, Route, Section};
use super::store::{self, Filter};
use super::tiles::{self, TileError, TileId};
use super::tiles_store::{self, TileCache};
use super::views::ViewCounter;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::pages::render;

/// Routes per page of the list view.
pub const PAGE_SIZE: u64 = 50;
/// Search results shown beside the map (the list view has them all).
pub const MAP_RESULTS: u64 = 20;
pub const MEDIA_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// The tile cache of this router (made on the first tile request, sized from the config).
#[derive(Clone, Default)]
pub struct Cache(Arc<OnceLock<TileCache>>);

impl Cache {
    pub fn get(&self, st: &AppState) -> &TileCache {
        self.0.get_or_init(|| {
            TileCache::new(
                st.cfg.roads_map.tile_cache_tiles,
                std::time::Duration::from_millis(st.cfg.roads_map.tile_version_check_ms),
            )
        })
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/roads/map", get(map_page))
        .route("/roads/list", get(list_page))
        .route("/roads/list/{id}", get(sheet_page))
        .merge(super::map_staff::routes())
}

/// The vector tiles: public, cacheable, read-only; served on the web shell's light stack.
pub fn asset_routes() -> Router<AppState> {
    Router::new()
        .route("/roads/tiles/{z}/{x}/{y}", get(tile))
        .layer(Extension(Cache::default()))
}

fn host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
}

async fn tile(
    State(st): State<AppState>,
    Extension(cache): Extension<Cache>,
    Path((z, x, y)): Path<(String, String, String)>,
    // The request itself rather than a `HeaderMap` extractor, which copies every header.
    req: axum::extract::Request,
) -> Result<Response, AppError> {
    let headers = req.headers();
    let t = match TileId::parse(&z, &x, &y) {
        Ok(t) => t,
        Err(TileError::Syntax) => {
            return Ok(crate::web::error::mark_rendered(
                (
                    StatusCode::BAD_REQUEST,
                    "tile address must be /roads/tiles/{z}/{x}/{y}.mvt with whole numbers",
                )
                    .into_response(),
            ));
        }
        // A zoom we do not serve or a tile outside the world does not exist.
        Err(TileError::Zoom | TileError::Range) => return Err(AppError::NotFound),
    };
    let tenant = st.tenant_for_host(host(headers)).await?;
    let served = tiles_store::tile(&st.db, cache.get(&st), &tenant.id, t).await?;
    let etag = format!("\"r{}-{}-{}-{}\"", served.version, t.z, t.x, t.y);
    let cache_control = format!("public, max-age={}", st.cfg.roads_map.tile_max_age_secs);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim() == etag || e.trim() == "*"));
    let mut resp = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        served.bytes.into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&cache_control) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(
        "x-tile-cache",
        HeaderValue::from_static(if served.hit { "hit" } else { "miss" }),
    );
    Ok(resp)
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub route: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
}

/// The search words as stored text is written (full-width digits and letters to ASCII, NFKC),
/// or the message key of what is wrong with them.
pub fn normalise_query(q: &str) -> Result<String, &'static str> {
    let t: String = q.nfkc().collect::<String>().trim().to_owned();
    if t.chars().count() > 100 {
        return Err("roadmap.q_too_long");
    }
    Ok(t)
}

/// A page number (1 when absent), or the message key of what is wrong.
pub fn parse_page(p: Option<&str>) -> Result<u64, &'static str> {
    match p.map(str::trim) {
        None | Some("") => Ok(1),
        Some(s) => match s.parse::<u64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
            _ => Err("roadmap.bad_page"),
        },
    }
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn today(l: crate::web::i18n::Lang) -> String {
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+9));
    match l {
        crate::web::i18n::Lang::Ja => {
            format!("{}年{}月{}日", now.year(), u8::from(now.month()), now.day())
        }
        crate::web::i18n::Lang::En => {
            format!(
                "{}-{:02}-{:02}",
                now.year(),
                u8::from(now.month()),
                now.day()
            )
        }
    }
}

/// Counts one online ledger view (the plan's KPI, channel `map`) in the roads module's batched
/// counter (`views::ViewCounter`, an Extension on every roads route).
fn count_view(views: &ViewCounter, st: &AppState, municipality: &str) {
    views.count(&st.db, municipality, "map");
}

#[derive(Template)]
#[template(path = "roads/map.html")]
pub struct MapPage {
    pub c: Ctx,
    pub q: String,
    pub q_enc: String,
    pub error: &'static str,
    pub results: Vec<Route>,
    pub total: i64,
    pub selected: Option<Route>,
    pub bbox: Option<(f64, f64, f64, f64)>,
    pub center: (f64, f64),
    pub zoom: f64,
    pub min_zoom: u8,
    pub max_zoom: u8,
    pub attribution: String,
    pub basemap_url: String,
    pub basemap_attribution: String,
    pub today: String,
}

async fn map_page(
    State(st): State<AppState>,
    Extension(views): Extension<ViewCounter>,
    c: Ctx,
    Query(sq): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let m = c.tenant.id.clone();
    let (q, error) = match normalise_query(&sq.q) {
        Ok(q) => (q, ""),
        Err(e) => (String::new(), e),
    };
    let (results, total) = if q.is_empty() {
        (Vec::new(), 0)
    } else {
        store::search_routes(&st.db, &m, &q, true, 0, MAP_RESULTS).await?
    };
    let mut selected = None;
    let mut bbox = None;
    let route_id = sq
        .route
        .as_deref()
        .and_then(|r| r.trim().parse::<i64>().ok());
    if let Some(id) = route_id
        && let Some(r) = store::get::<Route>(&st.db, &m, id)
            .await?
            .filter(|r| r.public)
    {
        bbox = tiles_store::route_bbox(&st.db, &m, r.id).await?;
        selected = Some(r);
    }
    if selected.is_none() {
        // Open on the whole public network (the configured centre when there is none).
        if let Some(b) = store::extent::<Section>(&st.db, &m, true).await? {
            let b = super::crs::Crs::Crs84.bbox_from_storage(b);
            bbox = Some((b[0], b[1], b[2], b[3]));
        }
    }
    count_view(&views, &st, &m);
    let cfg = &st.cfg.roads_map;
    let attribution = format!("{} {}", c.tenant_name(), c.l.t("roadmap.attribution"));
    let page = MapPage {
        q_enc: enc(&q),
        q,
        error,
        results,
        total,
        selected,
        bbox,
        center: (cfg.center_lon, cfg.center_lat),
        zoom: cfg.zoom,
        min_zoom: tiles::MIN_ZOOM,
        max_zoom: tiles::MAX_ZOOM,
        attribution,
        basemap_url: cfg.basemap_url.clone(),
        basemap_attribution: cfg.basemap_attribution.clone(),
        today: today(c.l),
        c,
    };
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut resp = (status, render(&page)?).into_response();
    // The map needs its own policy only when a base map on another host is configured.
    if let Some(origin) = cfg.basemap_origin() {
        let csp = format!(
            "default-src 'self'; img-src 'self' data: {origin}; connect-src 'self' {origin}; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
        );
        if let Ok(v) = HeaderValue::from_str(&csp) {
            resp.headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    Ok(resp)
}

/// One row of the list view.
pub struct ListRow {
    pub id: i64,
    pub route_number: String,
    pub name: String,
    pub kind_key: String,
    pub class_key: String,
    pub start_address: String,
    pub end_address: String,
    pub length: String,
    pub width: String,
}

impl ListRow {
    fn of(r: Route) -> ListRow {
        ListRow {
            kind_key: format!("roadmap.kind_{}", r.road_kind),
            class_key: format!("roadmap.class_{}", r.route_class),
            length: format!("{:.1}", r.length_m),
            width: if (r.width_min_m - r.width_max_m).abs() < 0.05 {
                format!("{:.1}", r.width_min_m)
            } else {
                format!("{:.1}～{:.1}", r.width_min_m, r.width_max_m)
            },
            id: r.id,
            route_number: r.route_number,
            name: r.name,
            start_address: r.start_address,
            end_address: r.end_address,
        }
    }
}

#[derive(Template)]
#[template(path = "roads/list.html")]
pub struct ListPage {
    pub c: Ctx,
    pub q: String,
    pub q_enc: String,
    pub error: &'static str,
    pub rows: Vec<ListRow>,
    pub total: i64,
    pub page: u64,
    pub pages: u64,
}

async fn list_page(
    State(st): State<AppState>,
    Extension(views): Extension<ViewCounter>,
    c: Ctx,
    Query(sq): Query<SearchQuery>,
) -> Result<Response, AppError> {
    let m = c.tenant.id.clone();
    let mut error = "";
    let q = normalise_query(&sq.q).unwrap_or_else(|e| {
        error = e;
        String::new()
    });
    let page = parse_page(sq.page.as_deref()).unwrap_or_else(|e| {
        error = e;
        1
    });
    let (rows, total) =
        store::search_routes(&st.db, &m, &q, true, (page - 1) * PAGE_SIZE, PAGE_SIZE).await?;
    let pages = (total.max(0) as u64).div_ceil(PAGE_SIZE).max(1);
    count_view(&views, &st, &m);
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let body = render(&ListPage {
        q_enc: enc(&q),
        q,
        error,
        rows: rows.into_iter().map(ListRow::of).collect(),
        total,
        page,
        pages,
        c,
    })?;
    Ok((status, body).into_response())
}

pub struct SectionRow {
    pub code: String,
    pub length: String,
    pub carriageway: String,
    pub sidewalk_width: String,
    pub pavement_key: String,
    pub sidewalk_key: String,
}

#[derive(Template)]
#[template(path = "roads/list_sheet.html")]
pub struct SheetPage {
    pub c: Ctx,
    pub r: Route,
    pub kind_key: String,
    pub class_key: String,
    pub sheet: Option<LedgerSheet>,
    pub sheet_version: i64,
    pub sections: Vec<SectionRow>,
    pub today: String,
}

async fn sheet_page(
    State(st): State<AppState>,
    Extension(views): Extension<ViewCounter>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let m = c.tenant.id.clone();
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let r = store::get::<Route>(&st.db, &m, id)
        .await?
        .filter(|r| r.public)
        .ok_or(AppError::NotFound)?;
    let current = store::current_sheet(&st.db, &m, r.id).await?;
    let filter = Filter {
        public_only: true,
        route_id: Some(r.id),
        ..Default::default()
    };
    let sections = store::list::<Section>(&st.db, &m, &filter)
        .await?
        .into_iter()
        .map(|s| SectionRow {
            code: s.section_code,
            length: format!("{:.1}", s.length_m),
            carriageway: format!("{:.1}", s.carriageway_width_m),
            sidewalk_width: format!("{:.1}", s.sidewalk_width_m),
            pavement_key: format!("roadmap.pavement_{}", s.pavement),
            sidewalk_key: format!("roadmap.sidewalk_{}", s.sidewalk),
        })
        .collect();
    count_view(&views, &st, &m);
    let page = SheetPage {
        kind_key: format!("roadmap.kind_{}", r.road_kind),
        class_key: format!("roadmap.class_{}", r.route_class),
        sheet_version: current.as_ref().map(|s| s.version).unwrap_or(0),
        sheet: current.map(|s| s.sheet()),
        sections,
        today: today(c.l),
        r,
        c,
    };
    Ok(render(&page)?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_pages() {
        assert_eq!(normalise_query(" １００１ ").as_deref(), Ok("1001"));
        assert_eq!(normalise_query("ﾔﾜﾀ").as_deref(), Ok("ヤワタ"));
        assert_eq!(
            normalise_query(&"あ".repeat(101)),
            Err("roadmap.q_too_long")
        );
        assert_eq!(parse_page(None), Ok(1));
        assert_eq!(parse_page(Some("3")), Ok(3));
        assert_eq!(parse_page(Some("0")), Err("roadmap.bad_page"));
        assert_eq!(parse_page(Some("x")), Err("roadmap.bad_page"));
    }
}
