//! SANDBOX payment provider (サンドボックス): the other side of [`super::provider::HttpProvider`]
//! for the demo and the tests. It is not a payment service: no card is read and no money moves.
//! It speaks the same REST protocol as a real provider (create, status, refund, settlements),
//! serves a hosted payment page with four choices — カード決済成功, カード拒否, 中断 (abandon)
//! and 遅延Webhook (the return shows 確認中, the webhook arrives seconds later) — and sends
//! webhooks signed with the shared secret to Madoguchi's endpoint.
//!
//! `madoguchi demo` mounts it on its own server ([`routes`]); the tests start it on a port of
//! its own ([`spawn`]). Its state lives in memory: restarting the demo forgets sandbox payments
//! (Madoguchi's own records stay in the database).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::provider::{ProviderPayment, SettlementItem, Settlements};
use super::signature;
use super::state::PaymentState;
use crate::web::ctx::CsrfToken;

/// Where the sandbox's REST API is mounted (under `/api/` so server-to-server JSON needs no
/// CSRF token, like every API route).
pub const API_PREFIX: &str = "/api/sandbox/pay";
/// Where its hosted payment pages are mounted.
pub const PAGE_PREFIX: &str = "/sandbox/pay";

/// How the sandbox is set up.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The API key Madoguchi must send.
    pub secret_key: String,
    /// The webhook signing secret (shared with Madoguchi).
    pub webhook_secret: String,
    /// Madoguchi's webhook endpoint (the "dashboard setting" of a real provider).
    pub webhook_url: String,
    /// Base URL the browser reaches the hosted page on.
    pub public_base: String,
    /// How long a payment page stays valid.
    pub session_minutes: i64,
    /// Delay of the 遅延Webhook choice.
    pub webhook_delay: Duration,
}

#[derive(Clone, Debug)]
struct SbPayment {
    id: String,
    reference: String,
    amount: i64,
    description: String,
    return_url: String,
    state: PaymentState,
    /// Unix seconds.
    expires_at: i64,
}

impl SbPayment {
    fn json(&self, cfg: &SandboxConfig) -> ProviderPayment {
        ProviderPayment {
            id: self.id.clone(),
            state: self.state.as_str().into(),
            amount: self.amount,
            reference: self.reference.clone(),
            next_url: Some(format!(
                "{}{PAGE_PREFIX}/checkout/{}",
                cfg.public_base.trim_end_matches('/'),
                self.id
            )),
            expires_at: Some(self.expires_at),
        }
    }
}

/// The sandbox's memory.
pub struct Sandbox {
    cfg: SandboxConfig,
    payments: Mutex<HashMap<String, SbPayment>>,
    /// Idempotency-Key → payment id.
    keys: Mutex<HashMap<String, String>>,
    settled: Mutex<Vec<SettlementItem>>,
    /// Webhook deliveries answered 2xx: (event id, status code).
    delivered: Mutex<Vec<(String, u16)>>,
}

impl Sandbox {
    pub fn new(cfg: SandboxConfig) -> Arc<Sandbox> {
        Arc::new(Sandbox {
            cfg,
            payments: Mutex::new(HashMap::new()),
            keys: Mutex::new(HashMap::new()),
            settled: Mutex::new(Vec::new()),
            delivered: Mutex::new(Vec::new()),
        })
    }

    /// Webhooks delivered so far (event id, HTTP status Madoguchi answered).
    pub fn deliveries(&self) -> Vec<(String, u16)> {
        self.delivered.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// A settlement item that Madoguchi has no record of, for the reconciliation check (the
    /// sandbox's way to show what a difference looks like).
    pub fn add_foreign_settlement(&self, item: SettlementItem) {
        if let Ok(mut s) = self.settled.lock() {
            s.push(item);
        }
    }

    fn with<T>(&self, id: &str, f: impl FnOnce(&mut SbPayment) -> T) -> Option<T> {
        let mut map = self.payments.lock().ok()?;
        map.get_mut(id).map(f)
    }

    fn settle(&self, p: &SbPayment, kind: &str) {
        if let Ok(mut s) = self.settled.lock() {
            s.push(SettlementItem {
                payment_id: p.id.clone(),
                reference: p.reference.clone(),
                kind: kind.into(),
                amount: p.amount,
                at: now_secs(),
            });
        }
    }

    /// Moves a payment and tells Madoguchi. Returns the payment after the move.
    fn set_state(self: &Arc<Self>, id: &str, to: PaymentState) -> Option<SbPayment> {
        let p = self.with(id, |p| {
            p.state = to;
            p.clone()
        })?;
        match to {
            PaymentState::Succeeded => self.settle(&p, "charge"),
            PaymentState::Refunded => self.settle(&p, "refund"),
            _ => {}
        }
        self.send_webhook(&p);
        Some(p)
    }

    /// Expires an open payment whose time ran out.
    fn lapse(self: &Arc<Self>, id: &str) {
        let due = self
            .with(id, |p| p.state.is_open() && now_secs() > p.expires_at)
            .unwrap_or(false);
        if due {
            self.set_state(id, PaymentState::Expired);
        }
    }

    fn send_webhook(self: &Arc<Self>, p: &SbPayment) {
        let event_id = format!("evt_{}", hex::encode(rand::random::<[u8; 12]>()));
        let body = json!({
            "id": event_id,
            "type": format!("payment.{}", p.state.as_str()),
            "created": now_secs(),
            "data": { "payment_id": p.id, "reference": p.reference, "state": p.state.as_str(), "amount": p.amount },
        })
        .to_string();
        let me = self.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            // A real provider retries failed deliveries for days; the sandbox tries 3 times.
            for attempt in 0..3u64 {
                let sig = signature::sign(&me.cfg.webhook_secret, now_secs(), body.as_bytes());
                let r = client
                    .post(&me.cfg.webhook_url)
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(signature::HEADER, sig)
                    .body(body.clone())
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await;
                match r {
                    Ok(resp) if resp.status().is_success() => {
                        if let Ok(mut d) = me.delivered.lock() {
                            d.push((event_id.clone(), resp.status().as_u16()));
                        }
                        return;
                    }
                    Ok(resp) => tracing::info!(status = %resp.status(), "sandbox webhook refused"),
                    Err(e) => tracing::info!(error = %e, "sandbox webhook not delivered"),
                }
                tokio::time::sleep(Duration::from_millis(500 * (attempt + 1))).await;
            }
        });
    }
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The sandbox's routes: the API under [`API_PREFIX`], the hosted page under [`PAGE_PREFIX`].
pub fn router<S: Clone + Send + Sync + 'static>(sb: Arc<Sandbox>) -> Router<S> {
    Router::new()
        .route(&format!("{API_PREFIX}/v1/payments"), post(api_create))
        .route(&format!("{API_PREFIX}/v1/payments/{{id}}"), get(api_status))
        .route(
            &format!("{API_PREFIX}/v1/payments/{{id}}/refunds"),
            post(api_refund),
        )
        .route(
            &format!("{API_PREFIX}/v1/payments/{{id}}/expire"),
            post(api_expire),
        )
        .route(
            &format!("{API_PREFIX}/v1/settlements"),
            get(api_settlements),
        )
        .route(
            &format!("{PAGE_PREFIX}/checkout/{{id}}"),
            get(checkout_page).post(checkout_choice),
        )
        .with_state(sb)
}

/// The sandbox mounted on Madoguchi's own server (demo mode), wired from `[payments]`.
pub fn routes(cfg: &crate::config::Config) -> Router<crate::web::AppState> {
    let base = cfg.base_url.trim_end_matches('/').to_owned();
    router(Sandbox::new(SandboxConfig {
        secret_key: cfg.payments.secret_key.clone(),
        webhook_secret: cfg.payments.webhook_secret.clone(),
        webhook_url: format!("{base}{}", super::WEBHOOK_PATH),
        public_base: base,
        session_minutes: cfg.payments.session_minutes,
        webhook_delay: Duration::from_secs(cfg.payments.sandbox_webhook_delay_secs),
    }))
}

/// Starts the sandbox on its own port (tests). Returns its address and its memory.
pub async fn spawn(cfg: SandboxConfig) -> anyhow::Result<(SocketAddr, Arc<Sandbox>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut cfg = cfg;
    if cfg.public_base.is_empty() {
        cfg.public_base = format!("http://{addr}");
    }
    let sb = Sandbox::new(cfg);
    let app: Router = router(sb.clone());
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "sandbox payment provider stopped");
        }
    });
    Ok((addr, sb))
}

fn authorized(sb: &Sandbox, headers: &HeaderMap) -> bool {
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    !sb.cfg.secret_key.is_empty() && crate::auth::token::same(sent, &sb.cfg.secret_key)
}

fn api_error(status: StatusCode, msg: &str) -> Response {
    (status, axum::Json(json!({ "error": { "message": msg } }))).into_response()
}

#[derive(Deserialize)]
struct CreateBody {
    amount: i64,
    currency: String,
    reference: String,
    #[serde(default)]
    description: String,
    return_url: String,
}

async fn api_create(State(sb): State<Arc<Sandbox>>, headers: HeaderMap, body: Bytes) -> Response {
    if !authorized(&sb, &headers) {
        return api_error(StatusCode::UNAUTHORIZED, "invalid API key");
    }
    let Ok(b) = serde_json::from_slice::<CreateBody>(&body) else {
        return api_error(StatusCode::BAD_REQUEST, "invalid body");
    };
    if b.currency != "JPY" || !(1..=1_000_000).contains(&b.amount) || b.reference.is_empty() {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "amount, currency or reference invalid",
        );
    }
    if !(b.return_url.starts_with("http://") || b.return_url.starts_with("https://")) {
        return api_error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "return_url must be absolute",
        );
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(k) = &key
        && let Some(id) = sb.keys.lock().ok().and_then(|m| m.get(k).cloned())
        && let Some(p) = sb.with(&id, |p| p.clone())
    {
        return (StatusCode::CREATED, axum::Json(p.json(&sb.cfg))).into_response();
    }
    let p = SbPayment {
        id: format!("sbp_{}", hex::encode(rand::random::<[u8; 12]>())),
        reference: b.reference,
        amount: b.amount,
        description: b.description,
        return_url: b.return_url,
        state: PaymentState::Created,
        expires_at: now_secs() + sb.cfg.session_minutes * 60,
    };
    let out = p.json(&sb.cfg);
    if let Ok(mut m) = sb.payments.lock() {
        m.insert(p.id.clone(), p.clone());
    }
    if let (Some(k), Ok(mut keys)) = (key, sb.keys.lock()) {
        keys.insert(k, p.id);
    }
    (StatusCode::CREATED, axum::Json(out)).into_response()
}

async fn api_status(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&sb, &headers) {
        return api_error(StatusCode::UNAUTHORIZED, "invalid API key");
    }
    sb.lapse(&id);
    match sb.with(&id, |p| p.json(&sb.cfg)) {
        Some(p) => axum::Json(p).into_response(),
        None => api_error(StatusCode::NOT_FOUND, "no such payment"),
    }
}

async fn api_refund(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&sb, &headers) {
        return api_error(StatusCode::UNAUTHORIZED, "invalid API key");
    }
    match sb.with(&id, |p| p.state) {
        None => api_error(StatusCode::NOT_FOUND, "no such payment"),
        Some(PaymentState::Succeeded) => match sb.set_state(&id, PaymentState::Refunded) {
            Some(p) => axum::Json(p.json(&sb.cfg)).into_response(),
            None => api_error(StatusCode::NOT_FOUND, "no such payment"),
        },
        Some(_) => api_error(
            StatusCode::CONFLICT,
            "only a succeeded payment can be refunded",
        ),
    }
}

/// Sandbox control (no real provider has it): lets the session run out now.
async fn api_expire(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&sb, &headers) {
        return api_error(StatusCode::UNAUTHORIZED, "invalid API key");
    }
    let _ = sb.with(&id, |p| p.expires_at = now_secs() - 1);
    sb.lapse(&id);
    match sb.with(&id, |p| p.json(&sb.cfg)) {
        Some(p) => axum::Json(p).into_response(),
        None => api_error(StatusCode::NOT_FOUND, "no such payment"),
    }
}

#[derive(Deserialize)]
struct DateQuery {
    date: String,
}

async fn api_settlements(
    State(sb): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Query(q): Query<DateQuery>,
) -> Response {
    if !authorized(&sb, &headers) {
        return api_error(StatusCode::UNAUTHORIZED, "invalid API key");
    }
    let Some((from, to)) = super::reconcile::jst_day_ms(&q.date) else {
        return api_error(StatusCode::BAD_REQUEST, "date must be YYYY-MM-DD");
    };
    let items = sb
        .settled
        .lock()
        .map(|s| {
            s.iter()
                .filter(|i| i.at * 1000 >= from && i.at * 1000 < to)
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    axum::Json(Settlements {
        date: q.date,
        items,
    })
    .into_response()
}

#[derive(Template)]
#[template(path = "payments/sandbox_checkout.html")]
struct CheckoutPage {
    id: String,
    amount: String,
    description: String,
    open: bool,
    state: &'static str,
    return_url: String,
    csrf: String,
}

async fn checkout_page(
    State(sb): State<Arc<Sandbox>>,
    csrf: Option<axum::Extension<CsrfToken>>,
    Path(id): Path<String>,
) -> Response {
    sb.lapse(&id);
    let Some(p) = sb.with(&id, |p| p.clone()) else {
        return (StatusCode::NOT_FOUND, "sandbox: no such payment").into_response();
    };
    let page = CheckoutPage {
        id: p.id,
        amount: super::view::yen_label(p.amount, crate::web::i18n::Lang::Ja),
        description: p.description,
        open: p.state.is_open(),
        state: p.state.label(crate::web::i18n::Lang::Ja),
        return_url: p.return_url,
        csrf: csrf.map(|c| c.0.0).unwrap_or_default(),
    };
    match page.render() {
        Ok(h) => Html(h).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "sandbox page");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

async fn checkout_choice(
    State(sb): State<Arc<Sandbox>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    sb.lapse(&id);
    let choice = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "choice")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let Some((open, return_url)) = sb.with(&id, |p| (p.state.is_open(), p.return_url.clone()))
    else {
        return (StatusCode::NOT_FOUND, "sandbox: no such payment").into_response();
    };
    if !open {
        return Redirect::to(&return_url).into_response();
    }
    match choice.as_str() {
        "success" => {
            sb.set_state(&id, PaymentState::Succeeded);
        }
        "decline" => {
            sb.set_state(&id, PaymentState::Failed);
        }
        "abandon" => {
            sb.set_state(&id, PaymentState::Cancelled);
        }
        "delayed" => {
            // The card is being checked: the status stays `started` and the resident returns
            // to 確認中; the success and its webhook come after the delay.
            let _ = sb.with(&id, |p| p.state = PaymentState::Started);
            let me = sb.clone();
            let delay = sb.cfg.webhook_delay;
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                me.set_state(&id, PaymentState::Succeeded);
            });
        }
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                "sandbox: choose one of the buttons",
            )
                .into_response();
        }
    }
    Redirect::to(&return_url).into_response()
}
