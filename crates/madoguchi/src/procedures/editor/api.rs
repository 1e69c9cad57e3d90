//! The JSON Schema of a form's answers, for programs that submit applications through the
//! API: `GET /api/v1/procedures/{id}/schema` (the published version) and
//! `GET /api/v1/procedures/{id}/forms/{version}/schema` (any version, e.g. the one an
//! application was filled on). Public like the catalogue; scoped to the host's municipality.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::engine;
use crate::calendar::today_jst;
use crate::procedures::form::store::{self as fstore, FormVersionRow};
use crate::web::AppState;
use crate::web::error::json_error;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/procedures/{id}/schema", get(published_schema))
        .route(
            "/api/v1/procedures/{id}/forms/{version}/schema",
            get(version_schema),
        )
}

fn not_found() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "この手続きには公開中の申請フォームがありません。 This procedure has no published form.",
    )
}

fn internal() -> Response {
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "システムで問題が起きました。 Something went wrong.",
    )
}

async fn answer(st: &AppState, headers: &HeaderMap, row: Option<FormVersionRow>) -> Response {
    let Some(row) = row else {
        return not_found();
    };
    let Ok(def) = row.parsed() else {
        return not_found();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let today = today_jst();
    let id = format!(
        "{}/api/v1/procedures/{}/forms/{}/schema?date={today}",
        st.base_url_for(host),
        row.procedure_id,
        row.version
    );
    let body = engine::schema(&def, &id, today);
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/schema+json"),
    );
    r
}

async fn municipality(st: &AppState, headers: &HeaderMap) -> Result<String, Response> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    st.tenant_for_host(host)
        .await
        .map(|m| m.id)
        .map_err(|_| internal())
}

/// The JSON Schema (2020-12) of the answers of the procedure's published form, with the date
/// bounds as of today (Japan time; the date is in `$id`). 404 when there is no published form
/// or the procedure belongs to another municipality.
#[utoipa::path(get, path = "/api/v1/procedures/{id}/schema", tag = "forms",
    params(("id" = i64, Path, description = "Procedure id")),
    responses(
        (status = 200, description = "JSON Schema 2020-12", content_type = "application/schema+json", body = Object),
        (status = 400, description = "An id or version is not a number (64-bit)"),
        (status = 404, body = crate::api::ErrorBody)))]
async fn published_schema(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Response {
    let m = match municipality(&st, &headers).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    match fstore::published(&st.db, &m, id).await {
        Ok(row) => answer(&st, &headers, row).await,
        Err(e) => {
            tracing::error!(error = %e, "reading a form version");
            internal()
        }
    }
}

/// The JSON Schema of one published or archived version of the procedure's form (drafts are
/// not public).
#[utoipa::path(get, path = "/api/v1/procedures/{id}/forms/{version}/schema", tag = "forms",
    params(("id" = i64, Path, description = "Procedure id"), ("version" = i64, Path, description = "Form version number")),
    responses(
        (status = 200, description = "JSON Schema 2020-12", content_type = "application/schema+json", body = Object),
        (status = 400, description = "An id or version is not a number (64-bit)"),
        (status = 404, body = crate::api::ErrorBody)))]
async fn version_schema(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path((id, version)): Path<(i64, i64)>,
) -> Response {
    let m = match municipality(&st, &headers).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    match fstore::by_version(&st.db, &m, id, version).await {
        Ok(row) => answer(&st, &headers, row.filter(|r| r.state != "draft")).await,
        Err(e) => {
            tracing::error!(error = %e, "reading a form version");
            internal()
        }
    }
}
