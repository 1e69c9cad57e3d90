//! Plan 1-1 オンライン申請: the staff form editor, form versions (draft → published → archived), import and export (issue 3, "Forms").
//!
//! Layout: `edit` (the editor's edits, pure), `diff` (changes in plain words, pure), `file`
//! (the export file format, pure), `engine` (the door to the form engine), `versions` (the
//! version state machine: SQL through `form::store`, each step audited), `routes` (staff
//! pages), `api` (JSON Schema endpoints), `demo` (the shipped forms at demo start), `cli`.

pub mod api;
pub mod cli;
pub mod demo;
pub mod diff;
pub mod edit;
pub mod engine;
pub mod file;
pub mod messages;
pub mod preview;
pub mod routes;
pub mod versions;
pub mod view;

use axum::Router;

use crate::web::AppState;

/// Pages and API routes of this module, merged into the app router by `web::router`.
pub fn routes() -> Router<AppState> {
    Router::new().merge(routes::routes()).merge(api::routes())
}

/// This module's part of the OpenAPI document, merged by `api::openapi`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(api::published_schema, api::version_schema))]
pub struct ApiDoc;
