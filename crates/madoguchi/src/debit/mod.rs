//! Plan 1-2 Web口座振替, issue 6: residents register a bank account for paying taxes and fees
//! by direct debit online (items → bank → branch → account → the bank confirms through a signed
//! redirect and return), staff handle the mandates, bills arrive from the tax system as CSV,
//! the 全銀 種別91 request files go to the banks and their result files come back. See
//! docs/debit.md.
//!
//! Layout: `model` (states, account fields, dates, signatures; pure), `kana` (holder names via
//! the `zengin` crate), `bank` (the redirect / return protocol of our bank adapter), `store`
//! (SQL), `banks` (the bank master import), `service` (mandates), `bills` (the billing CSV),
//! `files` (種別91 export and result import), `routes` (resident pages), `staff` (staff pages),
//! `sandbox` (the bank SANDBOX), `demo`, `cli`, `api` (the KPI), `config`, `messages` (ja/en).

pub mod api;
pub mod bank;
pub mod banks;
pub mod bench;
pub mod bills;
pub mod cli;
pub mod config;
pub mod demo;
pub mod files;
pub mod kana;
pub mod messages;
pub mod model;
pub mod routes;
pub mod sandbox;
pub mod service;
pub mod staff;
pub mod store;

use axum::Router;

use crate::web::AppState;

/// Every HTTP route of the module (the bank sandbox is mounted separately, in sandbox mode).
pub fn routes() -> Router<AppState> {
    routes::routes().merge(staff::routes()).merge(api::routes())
}

/// This module's part of the OpenAPI document, merged by `api::openapi_doc`.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::kpi),
    components(schemas(api::WebRegistrations, api::FiscalYearCount))
)]
pub struct ApiDoc;
