//! Plan 1-4 public facilities, issue 7: one user ID for every facility (registration is an
//! application in the Online applications core, screened against each facility's terms and
//! approved by staff), reservations with no double booking enforced by the database, and
//! verifiable monthly lotteries (抽選). See docs/facilities.md.
//!
//! Layout: `model` (terms, rules, fees, expiry, the draw; pure), `store` (SQL), `service`
//! (bookings, user IDs), `lottery` (create, enter, draw, confirm, verify, the scheduled job),
//! `registration` (the 施設利用者登録 procedure and its approval hook), `routes` (resident
//! pages), `staff` (staff pages), `api` (JSON API and the KPI), `demo`, `cli`, `config`,
//! `messages` (ja/en).

pub mod api;
pub mod cli;
pub mod config;
pub mod demo;
pub mod lottery;
pub mod messages;
pub mod model;
pub mod registration;
pub mod routes;
pub mod service;
pub mod staff;
pub mod store;

use axum::Router;

use crate::web::AppState;

/// Every HTTP route of the module.
pub fn routes() -> Router<AppState> {
    routes::routes().merge(staff::routes()).merge(api::routes())
}

/// This module's part of the OpenAPI document, merged by `api::openapi_doc`.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api::list,
        api::availability,
        api::reserve,
        api::cancel,
        api::change,
        api::kpi
    ),
    components(schemas(
        api::Facility,
        api::Room,
        api::Terms,
        api::Availability,
        api::Slot,
        api::ReserveBody,
        api::ChangeBody,
        api::Reservation,
        api::OnlineRegistration
    ))
)]
pub struct ApiDoc;

/// The scheduled job (started by `server::run`): writes the configured settings, then every
/// `job_interval_secs` draws due lotteries, forfeits unconfirmed wins, releases bookings not
/// paid in time and (with a payment `provider`) carries out the refunds still due
/// (docs/facilities.md "Refunds"), until shutdown.
pub async fn run_job(
    db: crate::db::Db,
    cfg: config::FacilitiesConfig,
    provider: Option<crate::payments::provider::HttpProvider>,
    signal: crate::mail::tokio_util_shutdown::Signal,
) {
    if let Ok(list) = crate::auth::store::list_municipalities(&db).await {
        for m in list {
            let (e, n) = cfg.for_municipality(&m.id);
            if let Err(err) = service::sync_settings(&db, &m.id, &e, n, cfg.payment_minutes).await {
                tracing::error!(error = %err, "writing facility settings");
            }
        }
    }
    let every = std::time::Duration::from_secs(cfg.job_interval_secs.max(1));
    loop {
        match lottery::tick(&db, crate::db::now_ms()).await {
            Ok((0, 0)) => {}
            Ok((draws, forfeits)) => tracing::info!(draws, forfeits, "facility lotteries"),
            Err(e) => tracing::error!(error = %e, "facility lottery job"),
        }
        if let Some(p) = &provider {
            match crate::payments::service::carry_out_refunds(
                &db,
                p,
                crate::payments::store::Due::All,
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(refunds = n, "facility fees refunded"),
                Err(e) => tracing::error!(error = %e, "facility refunds"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = signal.wait() => break,
        }
    }
}
