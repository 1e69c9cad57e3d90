//! Plan 1-3 手続きナビ (issue 5): a resident answers a few plain questions about a life event
//! and gets the checklist of every procedure it needs, with deadlines, counters, what to bring
//! and the online application where there is one; on the web, at the counter and on LINE.
//!
//! Layout: `model` (the data format), `deadline` (民法 period rules), `engine` (answers →
//! next question or checklist, pure), `check` (what publishing refuses), `store` (SQL:
//! versions, counter visits, LINE dedupe), `versions` (draft → published, audited),
//! `routes` (resident pages), `staff` (editor, preview, counter mode), `api` (JSON), `line`
//! (LINE Messaging API webhook and reply client), `sandbox` (a local LINE platform for tests
//! and the demo). See docs/navi.md.

pub mod api;
pub mod bench;
pub mod check;
pub mod deadline;
pub mod editor;
pub mod engine;
pub mod fields;
pub mod line;
pub mod messages;
pub mod model;
pub mod routes;
pub mod sandbox;
pub mod staff;
pub mod store;
pub mod versions;
pub mod view;

use axum::Router;

use crate::web::AppState;

/// Pages and API routes of this module, merged into the app router by `web::router`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(routes::routes())
        .merge(staff::routes())
        .merge(editor::routes())
        .merge(api::routes())
        .merge(line::routes())
        // The demo's LINE sandbox page (404 outside the demo).
        .route("/sandbox/line", axum::routing::get(sandbox::page))
        .route("/sandbox/line/send", axum::routing::post(sandbox::send))
}

/// This module's part of the OpenAPI document, merged by `api::openapi_doc`.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::list_events, api::get_event, api::get_checklist),
    components(schemas(
        api::EventSummary,
        api::EventOut,
        api::QuestionOut,
        api::OptionOut,
        api::StepOut,
        api::AnswerOut,
        api::ItemOut
    ))
)]
pub struct ApiDoc;
