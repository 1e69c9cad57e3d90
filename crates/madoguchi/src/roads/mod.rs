//! Plan 1-7 road information, issue 8: the road ledger (道路台帳) as data. Routes (路線),
//! sections (区間), road-area lines (区域線), boundary points (境界点), control points (基準点),
//! facilities (施設) and the versioned ledger sheet (調書) of each route, in JGD2011 plane
//! rectangular zone IX (EPSG:6677); every edit keeps history and is audited. See docs/roads.md.
//!
//! Layout: `model` (the entities, the 調書, geometry checks; pure), `crs` (JGD2011 geographic ↔
//! zone IX, Gauss–Krüger), `store` (SQL, one generic code path per layer). The vector tiles and
//! the public map (`tiles*`, `map*`) belong to the roadmap part of the issue.

pub mod api;
pub mod cli;
pub mod crs;
pub mod demo;
pub mod import;
pub mod map;
pub mod map_config;
pub mod map_messages;
pub mod map_staff;
pub mod messages;
pub mod model;
pub mod ogc;
pub mod sheet;
pub mod staff;
pub mod staff_messages;
pub mod store;
pub mod tiles;
pub mod tiles_store;
pub mod views;

use axum::{Extension, Router};

use crate::web::AppState;

/// Every HTTP route of the module. The view counter (the KPI) is an `Extension` on all of them:
/// merge further roads routes (map, tiles) in here, before the layer.
pub fn routes() -> Router<AppState> {
    ogc::routes()
        .merge(api::routes())
        .merge(sheet::routes())
        .merge(map::routes())
        .merge(staff::routes())
        .layer(Extension(views::ViewCounter::new()))
}

/// The vector tiles, on the web shell's light stack for read-only assets.
pub fn asset_routes() -> Router<AppState> {
    map::asset_routes()
}

/// This module's part of the OpenAPI document (the KPI), merged by `api::openapi_doc`. The
/// OGC API has its own OpenAPI 3.0 document at `/ogc/api`.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::kpi),
    components(schemas(api::LedgerViews, api::MonthViews))
)]
pub struct ApiDoc;
