//! 郵便番号 → address lookup from the Japan Post data (issue 3, "Forms": the postal-code field).

pub mod messages;

use axum::Router;

use crate::web::AppState;

/// Pages and API routes of this module, merged into the app router by `web::router`.
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// This module's part of the OpenAPI document, merged by `api::openapi`.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub struct ApiDoc;
