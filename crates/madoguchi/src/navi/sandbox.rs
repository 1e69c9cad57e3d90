//! A local stand-in for the LINE platform (SANDBOX, never the real LINE), started by the
//! tests and by `madoguchi demo`: it signs webhook events with the channel secret as LINE does
//! and runs a Messaging API server that receives the reply calls, refusing a wrong channel
//! access token with 401 like the real API.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

use super::line;

#[derive(Default)]
struct Inner {
    replies: Vec<Value>,
    refused: usize,
}

#[derive(Clone)]
pub struct LineSandbox {
    pub addr: SocketAddr,
    pub channel_secret: String,
    pub channel_access_token: String,
    inner: Arc<Mutex<Inner>>,
    notify: Arc<Notify>,
}

#[derive(Clone)]
struct SbState {
    token: String,
    inner: Arc<Mutex<Inner>>,
    notify: Arc<Notify>,
}

async fn reply_api(State(s): State<SbState>, headers: HeaderMap, body: Bytes) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !crate::auth::token::same(bearer, &s.token) {
        if let Ok(mut i) = s.inner.lock() {
            i.refused += 1;
        }
        s.notify.notify_waiters();
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "message": "Authentication failed. Confirm that the access token in the authorization header is valid." })),
        )
            .into_response();
    }
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "message": "bad JSON" })),
        )
            .into_response();
    };
    let n = v
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::len)
        .unwrap_or(0);
    if v.get("replyToken").and_then(Value::as_str).is_none() || n == 0 || n > 5 {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "message": "The request body has 1 error(s)" })),
        )
            .into_response();
    }
    if let Ok(mut i) = s.inner.lock() {
        i.replies.push(v);
    }
    s.notify.notify_waiters();
    axum::Json(json!({ "sentMessages": (0..n).map(|k| json!({ "id": format!("{k}"), "quoteToken": "sandbox" })).collect::<Vec<_>>() }))
        .into_response()
}

impl LineSandbox {
    /// Starts the Messaging API side on 127.0.0.1 (a free port), for as long as the runtime.
    pub async fn start(
        channel_secret: &str,
        channel_access_token: &str,
    ) -> std::io::Result<LineSandbox> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Mutex::new(Inner::default()));
        let notify = Arc::new(Notify::new());
        let app = Router::new()
            .route("/v2/bot/message/reply", post(reply_api))
            .with_state(SbState {
                token: channel_access_token.to_owned(),
                inner: inner.clone(),
                notify: notify.clone(),
            });
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "LINE sandbox stopped");
            }
        });
        Ok(LineSandbox {
            addr,
            channel_secret: channel_secret.to_owned(),
            channel_access_token: channel_access_token.to_owned(),
            inner,
            notify,
        })
    }

    /// What `line.api_base_url` must be to reach this sandbox.
    pub fn api_base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The `x-line-signature` LINE would send for this body.
    pub fn sign(&self, body: &str) -> String {
        line::sign(&self.channel_secret, body.as_bytes())
    }

    /// Reply calls received so far (their JSON bodies).
    pub fn replies(&self) -> Vec<Value> {
        self.inner
            .lock()
            .map(|i| i.replies.clone())
            .unwrap_or_default()
    }

    /// Reply calls refused for a wrong token.
    pub fn refused(&self) -> usize {
        self.inner.lock().map(|i| i.refused).unwrap_or(0)
    }

    /// Waits until at least `n` replies arrived (or `secs` passed) and returns them all.
    pub async fn wait_replies(&self, n: usize, secs: u64) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let notified = self.notify.notified();
            let got = self.replies();
            if got.len() >= n || tokio::time::Instant::now() >= deadline {
                return got;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }
}

/// A webhook body with these events, as LINE sends it.
pub fn webhook_body(events: &[Value]) -> String {
    json!({ "destination": "U00000000000000000000000000000000", "events": events }).to_string()
}

fn common(kind: &str, id: &str, reply_token: &str) -> Value {
    json!({
        "type": kind,
        "mode": "active",
        "timestamp": 1_767_225_600_000_i64,
        "webhookEventId": id,
        "deliveryContext": { "isRedelivery": false },
        "source": { "type": "user", "userId": "U0123456789abcdef0123456789abcdef" },
        "replyToken": reply_token,
    })
}

/// A text message event.
pub fn text_event(id: &str, reply_token: &str, text: &str) -> Value {
    let mut v = common("message", id, reply_token);
    v["message"] = json!({ "type": "text", "id": "1", "quoteToken": "q", "text": text });
    v
}

/// A postback event (a tapped quick reply); `date` is a date picker's result.
pub fn postback_event(id: &str, reply_token: &str, data: &str, date: Option<&str>) -> Value {
    let mut v = common("postback", id, reply_token);
    v["postback"] = match date {
        Some(d) => json!({ "data": data, "params": { "date": d } }),
        None => json!({ "data": data }),
    };
    v
}

/// The same event as a redelivery.
pub fn redelivered(mut ev: Value) -> Value {
    ev["deliveryContext"] = json!({ "isRedelivery": true });
    ev
}

// ---- the demo's sandbox page ---------------------------------------------------------------

/// The sandbox `madoguchi demo` started (the page `/sandbox/line` drives it).
pub static DEMO: std::sync::OnceLock<(LineSandbox, String)> = std::sync::OnceLock::new();

/// Remembers the demo's sandbox and the address of the app's own webhook.
pub fn set_demo(sb: LineSandbox, webhook_url: String) {
    let _ = DEMO.set((sb, webhook_url));
}

pub struct Button {
    pub label: String,
    pub data: String,
    pub picker: bool,
}

pub struct Bubble {
    pub text: String,
    pub buttons: Vec<Button>,
}

#[derive(askama::Template)]
#[template(path = "navi/sandbox_line.html")]
pub struct SandboxPage {
    pub c: crate::web::ctx::Ctx,
    pub running: bool,
    pub bubbles: Vec<Bubble>,
}

pub fn bubbles(replies: &[Value]) -> Vec<Bubble> {
    let mut out = Vec::new();
    for r in replies.iter().rev().take(10) {
        for m in r["messages"].as_array().cloned().unwrap_or_default() {
            let buttons = m["quickReply"]["items"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|i| Button {
                    label: i["action"]["label"].as_str().unwrap_or("").to_owned(),
                    data: i["action"]["data"].as_str().unwrap_or("").to_owned(),
                    picker: i["action"]["type"] == "datetimepicker",
                })
                .collect();
            out.push(Bubble {
                text: m["text"].as_str().unwrap_or("").to_owned(),
                buttons,
            });
        }
    }
    out
}

pub async fn page(
    axum::extract::State(st): axum::extract::State<crate::web::AppState>,
    c: crate::web::ctx::Ctx,
) -> Result<axum::response::Html<String>, crate::web::error::AppError> {
    if !st.sandbox {
        return Err(crate::web::error::AppError::NotFound);
    }
    let (running, bubbles) = match DEMO.get() {
        Some((sb, _)) => (true, bubbles(&sb.replies())),
        None => (false, Vec::new()),
    };
    crate::web::pages::render(&SandboxPage {
        c,
        running,
        bubbles,
    })
}

#[derive(serde::Deserialize)]
pub struct SendForm {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub data: String,
    #[serde(default)]
    pub date: String,
}

/// Sends a signed webhook event to the app, as LINE would, and waits briefly for the reply.
pub async fn send(
    axum::extract::State(st): axum::extract::State<crate::web::AppState>,
    axum::Form(f): axum::Form<SendForm>,
) -> Result<Response, crate::web::error::AppError> {
    let Some((sb, url)) = DEMO.get().filter(|_| st.sandbox) else {
        return Err(crate::web::error::AppError::NotFound);
    };
    let id = format!("sandbox-{}", uuid::Uuid::new_v4());
    let token = format!("rt-{}", uuid::Uuid::new_v4());
    let ev = if f.data.is_empty() {
        text_event(&id, &token, &f.text)
    } else {
        let date = (!f.date.is_empty()).then_some(f.date.as_str());
        postback_event(&id, &token, &f.data, date)
    };
    let body = webhook_body(&[ev]);
    let before = sb.replies().len();
    let sent = reqwest::Client::new()
        .post(url)
        .header("x-line-signature", sb.sign(&body))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await;
    if let Err(e) = sent {
        tracing::error!(error = %e, "LINE sandbox could not reach the webhook");
    }
    sb.wait_replies(before + 1, 5).await;
    Ok(axum::response::Redirect::to("/sandbox/line").into_response())
}
