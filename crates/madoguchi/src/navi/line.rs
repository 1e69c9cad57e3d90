//! 手続きナビ on LINE: the Messaging API webhook `POST /line/webhook` and the reply client
//! (life-event-navigator.md §5).
//!
//! 1. `x-line-signature` is checked FIRST: base64 of HMAC-SHA256 over the raw body bytes with
//!    the channel secret, compared in constant time (`Mac::verify_slice` on the decoded
//!    header). Missing or bad → 401 and nothing is parsed or stored.
//! 2. Each event is deduplicated by `webhookEventId` (table `line_webhook_events`, recorded
//!    with its audit event in one transaction); a redelivery of a processed event is skipped.
//! 3. The answer is 200 at once; the replies go out on a background task through
//!    `POST {api_base_url}/v2/bot/message/reply` with the channel access token.
//!
//! The navigator state travels in the postback `data` (`navi:e=shussei&date=…&insurance=kokuho`),
//! so the server keeps no conversation state and stores nothing about the LINE user.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;

use super::engine::{self, Step};
use super::model::{EVENTS, Flow};
use super::view::{self, Catalogue};
use super::{store, versions};
use crate::audit::{self, Actor};
use crate::web::AppState;
use crate::web::i18n::Lang;

pub const PATH: &str = "/line/webhook";
pub const SIGNATURE_HEADER: &str = "x-line-signature";
/// Postback data prefix of the navigator.
pub const PREFIX: &str = "navi:";
/// LINE's limit for a text message.
const TEXT_MAX: usize = 5000;

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, post(webhook))
}

/// base64(HMAC-SHA256(secret, body)): what LINE puts in `x-line-signature`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (the header value) is the body's signature under `secret`; constant
/// time over the decoded bytes.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

#[derive(Debug, Deserialize)]
pub struct WebhookBody {
    #[serde(default)]
    pub destination: String,
    #[serde(default)]
    pub events: Vec<Value>,
}

/// One event as far as the navigator reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Text(String),
    Postback { data: String, date: Option<String> },
    Follow,
    Other,
}

pub fn incoming(ev: &Value) -> Incoming {
    match ev.get("type").and_then(Value::as_str) {
        Some("message") => match ev.pointer("/message/type").and_then(Value::as_str) {
            Some("text") => Incoming::Text(
                ev.pointer("/message/text")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            ),
            _ => Incoming::Other,
        },
        Some("postback") => Incoming::Postback {
            data: ev
                .pointer("/postback/data")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            date: ev
                .pointer("/postback/params/date")
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
        Some("follow") => Incoming::Follow,
        _ => Incoming::Other,
    }
}

/// Short names for the event menu (quick-reply labels are at most 20 characters).
pub const SHORT: [(&str, &str); 7] = [
    ("tennyu", "転入（市外から）"),
    ("tenshutsu", "転出（市外へ）"),
    ("tenkyo", "転居（市内で）"),
    ("shussei", "出生"),
    ("konin", "婚姻"),
    ("rikon", "離婚"),
    ("shibo", "死亡・おくやみ"),
];

/// Words a resident may type for each event.
const KEYWORDS: [(&str, &[&str]); 7] = [
    ("tennyu", &["転入"]),
    ("tenshutsu", &["転出"]),
    ("tenkyo", &["転居"]),
    ("shussei", &["出生", "出産", "誕生", "生まれ"]),
    ("konin", &["婚姻", "結婚"]),
    ("rikon", &["離婚"]),
    ("shibo", &["死亡", "おくやみ", "お悔やみ", "亡くな"]),
];

/// The event a typed text is about, if any.
pub fn event_for_text(text: &str) -> Option<&'static str> {
    KEYWORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| text.contains(w)))
        .map(|(e, _)| *e)
}

fn postback(label: &str, data: String, display: &str) -> Value {
    json!({ "type": "action", "action": {
        "type": "postback", "label": truncate(label, 20), "data": data, "displayText": display } })
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

fn text_message(text: &str, quick: Vec<Value>) -> Value {
    let mut m = json!({ "type": "text", "text": truncate(text, TEXT_MAX) });
    if !quick.is_empty() {
        m["quickReply"] = json!({ "items": quick.into_iter().take(13).collect::<Vec<_>>() });
    }
    m
}

/// The event menu (a follow, an unknown text, 「はじめから」).
pub fn menu() -> Vec<Value> {
    let l = Lang::Ja;
    vec![text_message(
        l.t("navi.line.menu"),
        SHORT
            .iter()
            .map(|(e, label)| postback(label, format!("{PREFIX}e={e}"), label))
            .collect(),
    )]
}

/// The state carried in postback data: event, date (None: not asked yet), the query.
pub struct Carried {
    pub event: String,
    pub date: Option<String>,
    pub query: String,
}

pub fn parse_data(data: &str) -> Option<Carried> {
    let rest = data.strip_prefix(PREFIX)?;
    let mut event = None;
    let mut date = None;
    let mut answers = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form_urlencoded::parse(rest.as_bytes()) {
        match k.as_ref() {
            "e" => event = Some(v.into_owned()),
            "date" => date = Some(v.into_owned()),
            _ => {
                answers.append_pair(&k, &v);
            }
        }
    }
    Some(Carried {
        event: event?,
        date,
        query: answers.finish(),
    })
}

fn data_for(event: &str, date: &str, query: &str) -> String {
    let mut s = format!("{PREFIX}e={event}&date={date}");
    if !query.is_empty() {
        s.push('&');
        s.push_str(query);
    }
    s
}

/// The replies to one step of the navigator: the date question, the next question, or the
/// checklist with the web link. `base_url` is the public URL of the web version.
pub fn respond(flow: &Flow, st: &Carried, cat: &Catalogue, base_url: &str) -> Vec<Value> {
    let l = Lang::Ja;
    let Some(date_raw) = &st.date else {
        let pick = json!({ "type": "action", "action": {
            "type": "datetimepicker", "label": l.t("navi.line.date_pick"),
            "data": data_for(&flow.event, "pick", &st.query), "mode": "date" } });
        let skip = postback(
            l.t("navi.line.date_skip"),
            data_for(&flow.event, "", &st.query),
            l.t("navi.line.date_skip"),
        );
        return vec![text_message(
            &format!(
                "{}\n{}{}",
                flow.title(l),
                flow.date_label(l),
                l.t("navi.line.date_ask")
            ),
            vec![pick, skip],
        )];
    };
    let date = super::deadline::parse_date(date_raw);
    let date_s = date.map(super::deadline::iso).unwrap_or_default();
    let answers = engine::answers_from_query(flow, &st.query);
    match engine::evaluate(flow, &answers, date) {
        Step::Ask { question, path, .. } => {
            let base = engine::path_query(&path);
            let quick = question
                .options
                .iter()
                .map(|o| {
                    let mut q = form_urlencoded::Serializer::new(base.clone());
                    q.append_pair(&question.id, &o.value);
                    postback(
                        o.label(l),
                        data_for(&flow.event, &date_s, &q.finish()),
                        o.label(l),
                    )
                })
                .collect();
            let mut text = format!(
                "{} {}: {}",
                l.t("navi.question"),
                path.len() + 1,
                question.text(l)
            );
            if let Some(h) = question.help(l) {
                text.push_str(&format!("\n（{h}）"));
            }
            vec![text_message(&text, quick)]
        }
        Step::Done(list) => {
            let web = format!(
                "{}{}",
                base_url.trim_end_matches('/'),
                view::href(&format!("/navi/{}", flow.event), Some(&date_s), &list.path)
            );
            let body = view::text(l, flow, &list, cat);
            let tail = format!("\n{}\n{web}", l.t("navi.line.web"));
            let room = TEXT_MAX.saturating_sub(tail.chars().count());
            let text = format!("{}{tail}", truncate(&body, room));
            vec![text_message(
                &text,
                vec![postback(
                    l.t("navi.line.again"),
                    format!("{PREFIX}menu"),
                    l.t("navi.line.again"),
                )],
            )]
        }
    }
}

async fn webhook(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let secret = st.cfg.line.channel_secret.clone();
    if secret.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    // The signature first: nothing is parsed before it holds.
    let sig = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if sig.is_empty() || !verify(&secret, &body, sig) {
        tracing::warn!(
            present = !sig.is_empty(),
            "LINE webhook with a bad signature"
        );
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Ok(parsed) = serde_json::from_slice::<WebhookBody>(&body) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let tenant = match st.tenant_for_host(&host).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    match process(&st, &tenant.id, &host, &parsed).await {
        Ok(replies) => {
            if !replies.is_empty() {
                let cfg = st.cfg.line.clone();
                tokio::spawn(async move {
                    for (token, messages) in replies {
                        if let Err(e) = reply(&cfg, &token, &messages).await {
                            tracing::error!(error = %e, "LINE reply failed");
                        }
                    }
                });
            }
            StatusCode::OK.into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "LINE webhook");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Records each new event and computes its replies: (replyToken, messages).
pub async fn process(
    st: &AppState,
    municipality: &str,
    host: &str,
    body: &WebhookBody,
) -> Result<Vec<(String, Vec<Value>)>, sqlx::Error> {
    let mut out = Vec::new();
    let mut cat: Option<Catalogue> = None;
    for ev in &body.events {
        let Some(id) = ev.get("webhookEventId").and_then(Value::as_str) else {
            continue;
        };
        let kind = ev.get("type").and_then(Value::as_str).unwrap_or("");
        let redelivery = ev
            .pointer("/deliveryContext/isRedelivery")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut tx = st.db.begin().await?;
        if !store::remember_line_event(&mut tx, municipality, id, kind).await? {
            tracing::info!(webhook_event_id = id, "LINE event seen before; skipped");
            continue;
        }
        audit::record(
            &mut tx,
            municipality,
            &Actor::Anonymous,
            "navi.line_event",
            &format!("line_event:{id}"),
            json!({ "type": kind, "redelivery": redelivery }),
        )
        .await?;
        tx.commit().await?;
        let Some(token) = ev.get("replyToken").and_then(Value::as_str) else {
            continue;
        };
        let state = match incoming(ev) {
            Incoming::Follow => None,
            Incoming::Text(t) => event_for_text(&t).map(|e| Carried {
                event: e.to_owned(),
                date: None,
                query: String::new(),
            }),
            Incoming::Postback { data, date } => match parse_data(&data) {
                Some(mut s) => {
                    if s.date.as_deref() == Some("pick") {
                        s.date = Some(date.unwrap_or_default());
                    }
                    Some(s)
                }
                None => None,
            },
            Incoming::Other => continue,
        };
        let messages = match state.filter(|s| EVENTS.contains(&s.event.as_str())) {
            None => menu(),
            Some(s) => match versions::live(&st.db, municipality, &s.event).await? {
                None => menu(),
                Some((flow, _)) => {
                    if cat.is_none() {
                        cat = Some(super::routes::catalogue(&st.db, municipality).await?);
                    }
                    let base = st.base_url_for(host);
                    respond(&flow, &s, cat.as_ref().unwrap_or(&Catalogue::new()), &base)
                }
            },
        };
        out.push((token.to_owned(), messages));
    }
    Ok(out)
}

static HTTP: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap_or_default()
});

/// `POST /v2/bot/message/reply` (at most 5 messages).
pub async fn reply(
    cfg: &crate::config::LineConfig,
    reply_token: &str,
    messages: &[Value],
) -> Result<(), String> {
    let url = format!(
        "{}/v2/bot/message/reply",
        cfg.api_base_url.trim_end_matches('/')
    );
    let body = json!({ "replyToken": reply_token, "messages": messages.iter().take(5).collect::<Vec<_>>() });
    let resp = HTTP
        .post(&url)
        .bearer_auth(&cfg.channel_access_token)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if resp.status().is_success() {
        Ok(())
    } else {
        Err(format!("reply API answered {}", resp.status()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from life-event-navigator.md §5 (recomputed there with Python hmac).
    const SECRET: &str = "test_channel_secret";
    const EMPTY: &str = r#"{"destination":"U00000000000000000000000000000000","events":[]}"#;
    const TENNYU: &str = r#"{"destination":"U00000000000000000000000000000000","events":[{"type":"message","message":{"type":"text","id":"1","text":"転入"}}]}"#;
    const TENNYU_ESCAPED: &str = r#"{"destination":"U00000000000000000000000000000000","events":[{"type":"message","message":{"type":"text","id":"1","text":"\u8ee2\u5165"}}]}"#;

    #[test]
    fn signatures_match_the_reference_vectors() {
        assert_eq!(
            sign(SECRET, EMPTY.as_bytes()),
            "8BnrnB9ZR2DkR6H65eHG/THnnFpB2PpL7rOGjiuchNA="
        );
        assert_eq!(
            sign(SECRET, TENNYU.as_bytes()),
            "6zZ6lTrNutyg6TOS09ef5vECMYn1Qy7E3Edot42UmzY="
        );
        // Same JSON value, different bytes, different signature: the raw body is signed.
        assert_eq!(
            sign(SECRET, TENNYU_ESCAPED.as_bytes()),
            "0xDPwhxwq6dzPGQrUttbpseHPkuQG8arcaXnjqyh63k="
        );
        assert!(verify(
            SECRET,
            TENNYU.as_bytes(),
            "6zZ6lTrNutyg6TOS09ef5vECMYn1Qy7E3Edot42UmzY="
        ));
        assert!(!verify(
            SECRET,
            TENNYU_ESCAPED.as_bytes(),
            "6zZ6lTrNutyg6TOS09ef5vECMYn1Qy7E3Edot42UmzY="
        ));
        assert!(!verify(
            "other",
            TENNYU.as_bytes(),
            "6zZ6lTrNutyg6TOS09ef5vECMYn1Qy7E3Edot42UmzY="
        ));
        assert!(!verify(SECRET, TENNYU.as_bytes(), "not base64!"));
        assert!(!verify(SECRET, TENNYU.as_bytes(), ""));
        assert!(!verify("", TENNYU.as_bytes(), &sign("", TENNYU.as_bytes())));
    }

    #[test]
    fn texts_pick_events_and_postback_data_round_trips() {
        assert_eq!(event_for_text("赤ちゃんが生まれました"), Some("shussei"));
        assert_eq!(event_for_text("転入"), Some("tennyu"));
        assert_eq!(event_for_text("こんにちは"), None);
        let s = parse_data("navi:e=shussei&date=2026-04-01&insurance=kokuho").expect("parses");
        assert_eq!(
            (s.event.as_str(), s.date.as_deref()),
            ("shussei", Some("2026-04-01"))
        );
        assert_eq!(s.query, "insurance=kokuho");
        assert!(parse_data("other:e=x").is_none());
        for (_, label) in SHORT {
            assert!(label.chars().count() <= 20);
        }
    }
}
