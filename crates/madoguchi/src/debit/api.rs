//! The plan 1-2 KPI: web registrations (mandates registered online and confirmed by the bank)
//! per fiscal year, per municipality, computed from the data.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::model;
use super::store;
use crate::db::Db;
use crate::web::AppState;
use crate::web::error::json_error;

pub const KPI_PATH: &str = "/api/v1/kpi/debit-web-registrations";

pub fn routes() -> Router<AppState> {
    Router::new().route(KPI_PATH, get(kpi))
}

#[derive(Serialize, ToSchema, Debug, PartialEq, Eq)]
pub struct FiscalYearCount {
    /// 年度 (April to March, JST), e.g. 2025 = April 2025 – March 2026.
    pub fiscal_year: i32,
    /// Mandates registered on the web and confirmed by the bank in that year.
    pub registrations: i64,
    /// The DX Action Plan's target for that year, if it has one (市川市 FY2025: 6,000).
    pub target: Option<i64>,
}

#[derive(Serialize, ToSchema, Debug, PartialEq, Eq)]
pub struct WebRegistrations {
    pub municipality: String,
    /// Every fiscal year with a registration or a target, oldest first.
    pub years: Vec<FiscalYearCount>,
}

pub async fn web_registrations(
    db: &Db,
    municipality: &str,
) -> Result<WebRegistrations, sqlx::Error> {
    let mut by_year: BTreeMap<i32, i64> = BTreeMap::new();
    for at in store::web_activations(db, municipality).await? {
        *by_year
            .entry(model::fiscal_year(model::jst_date(at)))
            .or_default() += 1;
    }
    for fy in [2025] {
        if model::web_registration_target(municipality, fy).is_some() {
            by_year.entry(fy).or_default();
        }
    }
    Ok(WebRegistrations {
        municipality: municipality.to_owned(),
        years: by_year
            .into_iter()
            .map(|(fiscal_year, registrations)| FiscalYearCount {
                fiscal_year,
                registrations,
                target: model::web_registration_target(municipality, fiscal_year),
            })
            .collect(),
    })
}

/// Plan 1-2 KPI: web registrations for direct debit per fiscal year (市川市 target: 6,000 in
/// FY2025), counted from the mandates now.
#[utoipa::path(get, path = "/api/v1/kpi/debit-web-registrations", tag = "kpi",
    responses((status = 200, body = WebRegistrations)))]
pub async fn kpi(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let m = match st.tenant_for_host(host).await {
        Ok(m) => m,
        Err(e) => return e.into_response(),
    };
    match web_registrations(&st.db, &m.id).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "counting web registrations");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "内部エラー Internal error",
            )
        }
    }
}
