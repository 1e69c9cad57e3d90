//! The payment provider adapter: create → redirect → return → server-side status lookup, plus
//! refunds and the daily settlement list. [`PaymentProvider`] is what the rest of Madoguchi calls;
//! [`HttpProvider`] speaks the REST protocol below over HTTPS (or HTTP to the local sandbox).
//!
//! The protocol is modelled on GOV.UK Pay and PAY.JP: JSON, `Authorization: Bearer <secret
//! key>`, amounts in yen as integers, an `Idempotency-Key` on create so a retried create never
//! makes two payments.
//!
//! | call | request | answer |
//! |---|---|---|
//! | create | `POST {api_base}/v1/payments` `{amount, currency: "JPY", reference, description, return_url}` | `201 {id, state, amount, reference, next_url, expires_at}` |
//! | status | `GET {api_base}/v1/payments/{id}` | `200 {id, state, amount, reference, …}` |
//! | refund | `POST {api_base}/v1/payments/{id}/refunds` `{amount}` | `200 {id, state: "refunded", …}` |
//! | settlements | `GET {api_base}/v1/settlements?date=YYYY-MM-DD` | `200 {date, items: [{payment_id, reference, kind: "charge"/"refund", amount, at}]}` |
//!
//! Webhooks come the other way, signed (see `signature.rs`).

use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::state::PaymentState;
use crate::config::PaymentsConfig;

/// What we ask the provider to charge.
#[derive(Clone, Debug, Serialize)]
pub struct CreateRequest {
    pub amount: i64,
    pub currency: &'static str,
    /// Our reference: the payment's public id (also sent as the idempotency key).
    pub reference: String,
    pub description: String,
    /// Where the resident comes back to. It carries no outcome: we look the status up.
    pub return_url: String,
}

/// The provider's view of one payment.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct ProviderPayment {
    pub id: String,
    pub state: String,
    pub amount: i64,
    pub reference: String,
    #[serde(default)]
    pub next_url: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

impl ProviderPayment {
    pub fn parsed_state(&self) -> Result<PaymentState, ProviderError> {
        PaymentState::parse(&self.state)
            .ok_or_else(|| ProviderError::Protocol(format!("unknown state {:?}", self.state)))
    }
}

/// One line of the provider's settlement list.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct SettlementItem {
    pub payment_id: String,
    pub reference: String,
    /// `charge` or `refund`.
    pub kind: String,
    pub amount: i64,
    /// Unix seconds.
    pub at: i64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Settlements {
    pub date: String,
    pub items: Vec<SettlementItem>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("payments are not configured (payments.api_base is empty)")]
    NotConfigured,
    #[error("payment provider unreachable: {0}")]
    Unreachable(String),
    #[error("payment provider refused the request ({status}): {body}")]
    Refused { status: u16, body: String },
    #[error("payment provider answered something we do not understand: {0}")]
    Protocol(String),
}

/// The adapter interface. Every call is a server-to-server request; nothing the browser sends
/// is trusted about a payment's outcome.
pub trait PaymentProvider: Send + Sync {
    /// The provider's name stored with each payment (`payments.provider`).
    fn name(&self) -> &str;
    fn create(
        &self,
        req: &CreateRequest,
    ) -> impl Future<Output = Result<ProviderPayment, ProviderError>> + Send;
    fn status(
        &self,
        provider_ref: &str,
    ) -> impl Future<Output = Result<ProviderPayment, ProviderError>> + Send;
    fn refund(
        &self,
        provider_ref: &str,
        amount: i64,
    ) -> impl Future<Output = Result<ProviderPayment, ProviderError>> + Send;
    fn settlements(
        &self,
        date: &str,
    ) -> impl Future<Output = Result<Settlements, ProviderError>> + Send;
}

static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
});

/// The REST adapter, configured from `[payments]`.
#[derive(Clone, Debug)]
pub struct HttpProvider {
    name: String,
    api_base: String,
    secret_key: String,
}

impl HttpProvider {
    /// `base_url` fills in an empty `api_base` in sandbox mode (the sandbox mounted on this
    /// server); elsewhere an empty `api_base` means payments are off.
    pub fn from_config(
        cfg: &PaymentsConfig,
        base_url: &str,
        sandbox: bool,
    ) -> Result<Self, ProviderError> {
        let api_base = if !cfg.api_base.is_empty() {
            cfg.api_base.trim_end_matches('/').to_owned()
        } else if sandbox {
            format!(
                "{}{}",
                base_url.trim_end_matches('/'),
                super::sandbox::API_PREFIX
            )
        } else {
            return Err(ProviderError::NotConfigured);
        };
        Ok(HttpProvider {
            name: cfg.provider.clone(),
            api_base,
            secret_key: cfg.secret_key.clone(),
        })
    }

    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, ProviderError> {
        let resp = req
            .bearer_auth(&self.secret_key)
            .send()
            .await
            .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
        let status = resp.status();
        let body = resp
            .text()
            .await
            .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
        if !status.is_success() {
            return Err(ProviderError::Refused {
                status: status.as_u16(),
                body: body.chars().take(500).collect(),
            });
        }
        serde_json::from_str(&body).map_err(|e| ProviderError::Protocol(e.to_string()))
    }
}

impl PaymentProvider for HttpProvider {
    fn name(&self) -> &str {
        &self.name
    }

    async fn create(&self, req: &CreateRequest) -> Result<ProviderPayment, ProviderError> {
        let r = CLIENT
            .post(format!("{}/v1/payments", self.api_base))
            .header("idempotency-key", &req.reference)
            .json(req);
        self.send(r).await
    }

    async fn status(&self, provider_ref: &str) -> Result<ProviderPayment, ProviderError> {
        let r = CLIENT.get(format!(
            "{}/v1/payments/{}",
            self.api_base,
            path_segment(provider_ref)
        ));
        self.send(r).await
    }

    async fn refund(
        &self,
        provider_ref: &str,
        amount: i64,
    ) -> Result<ProviderPayment, ProviderError> {
        let r = CLIENT
            .post(format!(
                "{}/v1/payments/{}/refunds",
                self.api_base,
                path_segment(provider_ref)
            ))
            .json(&serde_json::json!({ "amount": amount }));
        self.send(r).await
    }

    async fn settlements(&self, date: &str) -> Result<Settlements, ProviderError> {
        let r = CLIENT
            .get(format!("{}/v1/settlements", self.api_base))
            .query(&[("date", date)]);
        self.send(r).await
    }
}

/// A provider id as one URL path segment (ids are opaque; never let one add a path).
fn path_segment(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
