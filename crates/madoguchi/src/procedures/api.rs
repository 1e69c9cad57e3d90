//! The catalogue as JSON (public, no token): `GET /api/v1/procedures`,
//! `GET /api/v1/procedures/{id}` and the plan 1-1 KPI `GET /api/v1/kpi/procedures-online`.
//! Everything is scoped to the municipality of the request's host; another municipality's id
//! answers 404 exactly like an id that does not exist.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{IdentityLevel, LifeEvent, OnlineKpi, online_kpi};
use super::store::{self, Filter, ProcedureRow};
use crate::auth::store::MunicipalityRow;
use crate::web::AppState;
use crate::web::error::json_error;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/procedures", get(list))
        .route("/api/v1/procedures/{id}", get(get_one))
        .route("/api/v1/kpi/procedures-online", get(kpi))
}

#[derive(Serialize, ToSchema)]
pub struct DepartmentRef {
    /// The 課's code within its municipality, e.g. `shimin`.
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
}

/// One catalogue entry.
#[derive(Serialize, ToSchema)]
pub struct Procedure {
    pub id: i64,
    /// 全国地方公共団体コード of the municipality offering it.
    pub municipality: String,
    /// Address of the public page: `/procedures/{slug}`.
    pub slug: String,
    pub name_ja: String,
    pub name_en: String,
    /// Hiragana reading of `name_ja`.
    pub reading_ja: String,
    /// The 課 in charge; null while unassigned.
    pub department: Option<DepartmentRef>,
    pub summary_ja: String,
    pub summary_en: String,
    /// Who may apply.
    pub eligibility_ja: String,
    /// Required documents.
    pub documents_ja: Vec<String>,
    pub legal_basis: String,
    /// Fee in yen; null means free.
    pub fee_yen: Option<i64>,
    /// 標準処理期間 in days (0 = same day); null when none is set.
    pub processing_days: Option<i64>,
    pub identity_level: IdentityLevel,
    pub life_events: Vec<LifeEvent>,
    /// Whether residents can complete it online.
    pub online: bool,
    /// Last change, RFC 3339 (UTC).
    pub updated_at: String,
}

impl From<&ProcedureRow> for Procedure {
    fn from(r: &ProcedureRow) -> Procedure {
        let department = match (
            &r.department_code,
            &r.department_name_ja,
            &r.department_name_en,
        ) {
            (Some(code), Some(ja), Some(en)) => Some(DepartmentRef {
                code: code.clone(),
                name_ja: ja.clone(),
                name_en: en.clone(),
            }),
            _ => None,
        };
        Procedure {
            id: r.id,
            municipality: r.municipality_id.clone(),
            slug: r.slug.clone(),
            name_ja: r.name_ja.clone(),
            name_en: r.name_en.clone(),
            reading_ja: r.reading_ja.clone(),
            department,
            summary_ja: r.summary_ja.clone(),
            summary_en: r.summary_en.clone(),
            eligibility_ja: r.eligibility_ja.clone(),
            documents_ja: r.documents().into_iter().map(str::to_owned).collect(),
            legal_basis: r.legal_basis.clone(),
            fee_yen: r.fee_yen,
            processing_days: r.processing_days,
            identity_level: r.identity(),
            life_events: r.events(),
            online: r.online,
            updated_at: rfc3339(r.updated_at),
        }
    }
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Keywords, separated by spaces; every one must match. Width, katakana/hiragana and
    /// 旧字体 differences are ignored (see docs/procedures.md).
    #[serde(default)]
    pub q: Option<String>,
    /// One life-event tag, e.g. `childcare`.
    #[serde(default)]
    pub life_event: Option<String>,
    /// `true`: only procedures that can be done online; `false`: only in-person ones.
    #[serde(default)]
    pub online: Option<String>,
}

fn bad_request(message: &str) -> Response {
    json_error(StatusCode::BAD_REQUEST, "bad_request", message)
}

fn internal() -> Response {
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "システムで問題が起きました。 Something went wrong.",
    )
}

async fn tenant(st: &AppState, headers: &HeaderMap) -> Result<MunicipalityRow, Response> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    st.tenant_for_host(host).await.map_err(|_| internal())
}

/// The catalogue of the municipality this host serves, sorted by reading (五十音順).
#[utoipa::path(get, path = "/api/v1/procedures", params(ListParams), tag = "procedures",
    responses((status = 200, body = [Procedure]), (status = 400, body = crate::api::ErrorBody)))]
async fn list(
    State(st): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<Procedure>>, Response> {
    let m = tenant(&st, &headers).await?;
    let life_event = match p.life_event.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(LifeEvent::parse(s).ok_or_else(|| {
            let all: Vec<&str> = LifeEvent::ALL.iter().map(|e| e.as_str()).collect();
            bad_request(&format!(
                "life_event は次のいずれかにしてください。 life_event must be one of: {}",
                all.join(", ")
            ))
        })?),
    };
    let online = match p.online.as_deref() {
        None | Some("") => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(_) => {
            return Err(bad_request(
                "online は true か false にしてください。 online must be true or false.",
            ));
        }
    };
    let filter = Filter::new(p.q.as_deref().unwrap_or(""), life_event, online);
    let rows = store::list(&st.db, &m.id, &filter).await.map_err(|e| {
        tracing::error!(error = %e, "listing procedures");
        internal()
    })?;
    Ok(Json(rows.iter().map(Procedure::from).collect()))
}

/// One procedure of this host's municipality; 404 for any other id.
#[utoipa::path(get, path = "/api/v1/procedures/{id}", tag = "procedures",
    params(("id" = i64, Path, description = "Procedure id")),
    responses((status = 200, body = Procedure), (status = 400, description = "The id is not a number (64-bit)"), (status = 404, body = crate::api::ErrorBody)))]
async fn get_one(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Json<Procedure>, Response> {
    let m = tenant(&st, &headers).await?;
    let row = store::find_by_id(&st.db, &m.id, id).await.map_err(|e| {
        tracing::error!(error = %e, "reading a procedure");
        internal()
    })?;
    match row {
        Some(r) => Ok(Json(Procedure::from(&r))),
        None => Err(json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "この手続きは見つかりません。 No such procedure.",
        )),
    }
}

/// Plan 1-1 KPI: how many of this municipality's procedures can be completed online, counted
/// from the catalogue now. `baseline` and `target` are the DX Action Plan's figures (市川市:
/// 73 → 173); null for a municipality without a known plan.
#[utoipa::path(get, path = "/api/v1/kpi/procedures-online", tag = "kpi",
    responses((status = 200, body = OnlineKpi)))]
async fn kpi(State(st): State<AppState>, headers: HeaderMap) -> Result<Json<OnlineKpi>, Response> {
    let m = tenant(&st, &headers).await?;
    let (online, total) = store::count_online(&st.db, &m.id).await.map_err(|e| {
        tracing::error!(error = %e, "counting procedures");
        internal()
    })?;
    Ok(Json(online_kpi(&m.id, online, total)))
}
