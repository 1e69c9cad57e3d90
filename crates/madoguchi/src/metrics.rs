//! Prometheus metrics, served on a separate listener (`metrics_addr`) so they are never exposed
//! on the public address (ASVS 13.4.5).

use std::sync::Mutex;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// The method's name; one of a fixed set, so no string is made per request.
    method: &'static str,
    status: u16,
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    duration: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("madoguchi");
        let requests = Family::<RequestLabels, Counter>::default();
        let duration = Histogram::new(exponential_buckets(0.0005, 2.0, 16));
        registry.register(
            "http_requests",
            "HTTP requests by method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            duration.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            duration,
        }
    }

    pub fn observe(&self, method: &Method, status: StatusCode, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method_label(method),
                status: status.as_u16(),
            })
            .inc();
        self.duration.observe(elapsed.as_secs_f64());
    }

    /// Exports the database's group-commit counters (`madoguchi_db_group_commit_*`).
    pub fn register_group_commit(&self, stats: &crate::db::group::GroupStats) {
        if let Ok(mut reg) = self.registry.lock() {
            reg.register(
                "db_group_commit_transactions",
                "Write transactions of the group committer",
                stats.transactions.clone(),
            );
            reg.register(
                "db_group_commit_jobs",
                "Jobs (e.g. submissions) given to the group committer; jobs/transactions = jobs per flush",
                stats.jobs.clone(),
            );
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(reg) = self.registry.lock() {
            let _ = prometheus_client::encoding::text::encode(&mut out, &reg);
        }
        out
    }
}
