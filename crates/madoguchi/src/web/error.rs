//! One error type for every handler, and one middleware that turns any error status (ours, the
//! framework's rejections, the CSRF layer's, timeouts, 404s) into a page in the visitor's
//! language or a JSON error under /api. Causes are logged; nothing internal reaches a page.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Marker put on responses whose body is already a finished error page.
#[derive(Clone, Copy)]
pub struct Rendered;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("unauthorized")]
    Unauthorized,
    #[error("bad request")]
    BadRequest,
    #[error("locked out")]
    Locked,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = match &self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::BadRequest => StatusCode::BAD_REQUEST,
            AppError::Locked => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        // The body is filled in by `render_errors`, which knows the language and the path.
        status.into_response()
    }
}

/// Stable error code and message key for a status.
pub fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 | 422 | 415 => ("bad_request", "err.bad_request"),
        401 => ("unauthorized", "err.unauthorized"),
        403 => ("forbidden", "err.forbidden"),
        404 => ("not_found", "err.not_found"),
        405 => ("method_not_allowed", "err.method"),
        408 => ("timeout", "err.timeout"),
        413 => ("too_large", "err.too_large"),
        429 => ("too_many_requests", "login.locked"),
        503 => ("unavailable", "err.unavailable"),
        _ => ("internal", "err.internal"),
    }
}

pub fn mark_rendered(mut r: Response) -> Response {
    r.extensions_mut().insert(Rendered);
    r
}

pub fn json_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message } });
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    mark_rendered(r)
}
