//! Plan 1-1 オンライン申請: the resident form runner — one question group per page, check your
//! answers, drafts that resume on any device, uploads, submit → 受付番号 (issue 3, "Forms").
//! See docs/applying.md.

pub mod engine;
pub mod flow;
pub mod messages;
pub mod routes;
pub mod store;
pub mod submit;
pub mod view;

use axum::Router;

use crate::web::AppState;

pub use routes::{clean_expired, run_cleanup};
pub use view::preview_html;

/// Pages and API routes of this module, merged into the app router by `web::router`.
pub fn routes() -> Router<AppState> {
    routes::routes()
}

/// This module's part of the OpenAPI document, merged by `api::openapi`.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub struct ApiDoc;
