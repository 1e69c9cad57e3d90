//! Plan 1-1 オンライン申請: the staff form editor, form versions (draft → published → archived), import and export (issue 3, "Forms").

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
