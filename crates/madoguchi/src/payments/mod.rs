//! Plan 1-1 オンライン申請, issue 4 "Payments": fees (手数料) on applications and paying them
//! online through a provider adapter. See docs/payments.md.
//!
//! Layout: `state` (the payment state machine, pure), `signature` (webhook HMAC, pure),
//! `provider` (the adapter trait and the REST adapter), `service` (fees, starting, syncing and
//! refunding payments, the gate on case steps), `store` (SQL), `reconcile` (the daily CSV for
//! 会計課), `view` (what the application pages show), `routes` (HTTP), `sandbox` (the SANDBOX
//! provider for the demo and the tests), `messages` (ja/en).

pub mod demo;
pub mod messages;
pub mod provider;
pub mod reconcile;
pub mod routes;
pub mod sandbox;
pub mod service;
pub mod signature;
pub mod state;
pub mod store;
pub mod view;

/// Where providers deliver webhooks (under `/api/`: no cookie, no CSRF token; the signature
/// is the authentication).
pub const WEBHOOK_PATH: &str = "/api/v1/payments/webhook";

/// The department code of 会計課, whose staff (and administrators) download the reconciliation.
pub const ACCOUNTING_DEPARTMENT: &str = "kaikei";

pub use routes::routes;

/// This module's part of the OpenAPI document (the provider-facing webhook), merged by
/// `api::openapi_doc`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(routes::webhook), components(schemas(routes::WebhookEventDoc)))]
pub struct ApiDoc;
