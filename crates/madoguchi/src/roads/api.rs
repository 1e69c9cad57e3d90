//! The plan 1-7 KPI: online road-ledger views per month (public map and tiles = `map`, OGC API
//! = `api`), per municipality, from `road_view_counts` (see [`super::views`]).

use std::collections::BTreeMap;

use axum::extract::{Extension, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::store;
use super::views::ViewCounter;
use crate::db::Db;
use crate::web::AppState;
use crate::web::error::json_error;

pub const KPI_PATH: &str = "/api/v1/kpi/road-ledger-views";

pub fn routes() -> Router<AppState> {
    Router::new().route(KPI_PATH, get(kpi))
}

#[derive(Serialize, ToSchema, Debug, PartialEq, Eq)]
pub struct MonthViews {
    /// YYYY-MM, Japan time.
    pub month: String,
    /// Public map pages and vector tile sets.
    pub map: i64,
    /// OGC API features requests (items and single items).
    pub api: i64,
    pub total: i64,
}

#[derive(Serialize, ToSchema, Debug, PartialEq, Eq)]
pub struct LedgerViews {
    pub municipality: String,
    /// Every month with a view, oldest first.
    pub months: Vec<MonthViews>,
    /// The plan's counter visits to see the ledger per month before (市川市: 1,000) and the
    /// target (650), for comparison; None for other municipalities.
    pub counter_visits_baseline: Option<i64>,
    pub counter_visits_target: Option<i64>,
}

pub async fn ledger_views(db: &Db, municipality: &str) -> Result<LedgerViews, sqlx::Error> {
    let mut by: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for v in store::views(db, municipality).await? {
        let e = by.entry(v.month).or_default();
        if v.channel == "map" {
            e.0 += v.views;
        } else {
            e.1 += v.views;
        }
    }
    let ichikawa = municipality == crate::demo::ICHIKAWA;
    Ok(LedgerViews {
        municipality: municipality.to_owned(),
        months: by
            .into_iter()
            .map(|(month, (map, api))| MonthViews {
                month,
                map,
                api,
                total: map + api,
            })
            .collect(),
        counter_visits_baseline: ichikawa.then_some(1000),
        counter_visits_target: ichikawa.then_some(650),
    })
}

/// Plan 1-7 KPI: online road-ledger views per month (public map and API), counted from the
/// view counters (pending counts are written first).
#[utoipa::path(get, path = "/api/v1/kpi/road-ledger-views", tag = "kpi",
    responses((status = 200, body = LedgerViews)))]
pub async fn kpi(
    State(st): State<AppState>,
    Extension(views): Extension<ViewCounter>,
    headers: HeaderMap,
) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let m = match st.tenant_for_host(host).await {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    let res = match views.flush(&st.db).await {
        Ok(()) => ledger_views(&st.db, &m.id).await,
        Err(e) => Err(e),
    };
    match res {
        Ok(r) => Json(r).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "counting road ledger views");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "内部エラー Internal error",
            )
        }
    }
}
