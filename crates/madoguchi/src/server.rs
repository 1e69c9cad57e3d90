//! Running the server: listeners, background tasks, and graceful shutdown on SIGTERM/SIGINT
//! (stop accepting, let in-flight requests finish, then close the pool).

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::db::Db;
use crate::mail::{self, tokio_util_shutdown};
use crate::web::{self, AppState};

pub async fn run(db: Db, cfg: Config, sandbox: bool, banner: Option<String>) -> anyhow::Result<()> {
    let state = AppState::new(db.clone(), cfg.clone(), sandbox).await?;
    let app = web::router(state.clone());
    let listener = TcpListener::bind(cfg.addr).await?;
    let local = listener.local_addr()?;
    let (trigger, signal) = tokio_util_shutdown::channel();

    let mail_task = tokio::spawn(mail::run_sender(
        db.clone(),
        cfg.smtp.clone(),
        state.mail_notify.clone(),
        signal.clone(),
    ));
    // Unfinished applications are kept 30 days after their last save (docs/applying.md).
    let cleanup_task = tokio::spawn(crate::procedures::runner::run_cleanup(
        db.clone(),
        signal.clone(),
    ));
    // Lottery draws at their time and forfeits of unconfirmed wins (docs/facilities.md).
    // ... and the refunds of cancelled paid bookings the provider could not be reached for.
    let facilities_task = tokio::spawn(crate::facilities::run_job(
        db.clone(),
        cfg.facilities.clone(),
        crate::payments::provider::HttpProvider::from_config(&cfg.payments, &cfg.base_url, sandbox)
            .ok(),
        signal.clone(),
    ));
    let metrics_task = match cfg.metrics_addr {
        Some(addr) => {
            let metrics = state.metrics.clone();
            let app = Router::new().route("/metrics", get(move || async move { metrics.render() }));
            let l = TcpListener::bind(addr).await?;
            tracing::info!(addr = %l.local_addr()?, "metrics listening");
            let sig = signal.clone();
            Some(tokio::spawn(async move {
                let _ = axum::serve(l, app)
                    .with_graceful_shutdown(async move { sig.wait().await })
                    .await;
            }))
        }
        None => None,
    };

    tracing::info!(addr = %local, backend = ?db.backend(), "listening");
    if let Some(b) = banner {
        println!("{}", b.replace("{addr}", &local.to_string()));
    }
    let sig = signal.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = sig.wait() => {}
        }
        tracing::info!("shutting down: finishing in-flight requests");
    })
    .await?;
    trigger.fire();
    let _ = mail_task.await;
    let _ = cleanup_task.await;
    let _ = facilities_task.await;
    if let Some(t) = metrics_task {
        let _ = t.await;
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// A minimal server with one constant response: the machine's ceiling for benchmarks.
pub async fn ceiling(addr: SocketAddr) -> anyhow::Result<()> {
    let app = Router::new().route("/", get(|| async { "madoguchi ok\n" }));
    let l = TcpListener::bind(addr).await?;
    println!("ceiling server on http://{}", l.local_addr()?);
    axum::serve(l, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}
