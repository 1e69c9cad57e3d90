//! HTTP: the resident's pay button and return page, the provider's webhook, the staff fee and
//! refund forms and the reconciliation download.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::provider::{HttpProvider, PaymentProvider};
use super::service::{self, PayError};
use super::state::PaymentState;
use super::{reconcile, signature, store};
use crate::audit::{self, Actor};
use crate::auth::Kind;
use crate::auth::store::UserRow;
use crate::db::now_ms;
use crate::procedures::application::pages::{base_url, field, form_pairs, shown_receipt};
use crate::procedures::application::rules::CsvEncoding;
use crate::procedures::application::store::{self as app_store, ApplicationRow};
use crate::procedures::application::workflow;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications/{receipt}/pay", post(pay))
        .route("/payments/{id}/return", get(return_page))
        .route(super::WEBHOOK_PATH, post(webhook))
        .route("/staff/cases/{receipt}/fee", get(fee_form).post(fee_submit))
        .route("/staff/cases/{receipt}/refund", post(refund))
        .route("/staff/payments", get(reconcile_page))
        .route("/staff/payments/reconcile.csv", get(reconcile_csv))
}

fn provider(st: &AppState) -> Result<HttpProvider, PayError> {
    Ok(HttpProvider::from_config(
        &st.cfg.payments,
        &st.cfg.base_url,
        st.sandbox,
    )?)
}

async fn application_by_receipt(
    st: &AppState,
    c: &Ctx,
    receipt: &str,
) -> Result<ApplicationRow, AppError> {
    crate::procedures::application::by_receipt_or_404(&st.db, &c.tenant.id, receipt).await
}

/// The signed-in resident who applied, or 404 for anyone else (as for a missing receipt).
async fn own(st: &AppState, c: &Ctx, receipt: &str) -> Result<(UserRow, ApplicationRow), AppError> {
    let user = c.user.clone().ok_or(AppError::Unauthorized)?;
    let app = application_by_receipt(st, c, receipt).await?;
    if user.kind() != Kind::Resident || !workflow::can_view(&user, &app) {
        return Err(AppError::NotFound);
    }
    Ok((user, app))
}

#[derive(Template)]
#[template(path = "payments/notice.html")]
struct NoticePage {
    c: Ctx,
    title_key: &'static str,
    text: String,
    receipt: String,
    receipt_shown: String,
    /// Offer 「もう一度支払う」.
    retry: bool,
    /// Offer 「もう一度確認する」 (the payment is still being checked).
    recheck: Option<String>,
    kind: &'static str,
}

fn notice(
    c: Ctx,
    app: &ApplicationRow,
    title_key: &'static str,
    text: String,
    kind: &'static str,
) -> NoticePage {
    NoticePage {
        c,
        title_key,
        text,
        receipt: app.receipt.clone(),
        receipt_shown: shown_receipt(&app.receipt),
        retry: false,
        recheck: None,
        kind,
    }
}

fn pay_status(e: &PayError) -> StatusCode {
    match e {
        PayError::NotFound => StatusCode::NOT_FOUND,
        PayError::NothingToPay | PayError::AlreadyPaid | PayError::CaseClosed => {
            StatusCode::CONFLICT
        }
        PayError::BadAmount | PayError::NotRefundable => StatusCode::UNPROCESSABLE_ENTITY,
        PayError::Provider(_) | PayError::Mismatch(_) => StatusCode::BAD_GATEWAY,
        PayError::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// 「手数料を支払う」: make (or resume) the payment and send the browser to the provider.
async fn pay(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Path(receipt): Path<String>,
) -> Result<Response, AppError> {
    let (user, app) = own(&st, &c, &receipt).await?;
    let base = base_url(&st, &headers);
    let r = match provider(&st) {
        Ok(p) => service::start(&st.db, &p, &st.cfg.payments, &user, &app, &base).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(PayError::NotFound) => Err(AppError::NotFound),
        Err(PayError::Db(e)) => Err(AppError::Internal(e.into())),
        Err(e) => {
            tracing::warn!(error = %e, receipt = %app.receipt, "payment not started");
            let l = c.l;
            let status = pay_status(&e);
            let mut page = notice(c, &app, "pay.not_started", e.message(l), "error");
            page.retry = matches!(e, PayError::Provider(_) | PayError::Mismatch(_));
            Ok((status, render(&page)?).into_response())
        }
    }
}

/// The provider sends the resident back here. The URL says which payment, never how it went:
/// the outcome is looked up at the provider, server to server.
async fn return_page(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let user = c.user.clone().ok_or(AppError::Unauthorized)?;
    let p = store::by_public(&st.db, &c.tenant.id, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(application_id) = p.application_id else {
        return booking_return(&st, &c, &user, &p).await;
    };
    let app = app_store::by_id(&st.db, &c.tenant.id, application_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if user.kind() != Kind::Resident || !workflow::can_view(&user, &app) {
        return Err(AppError::NotFound);
    }
    let mut unchecked = false;
    let p = match provider(&st) {
        Ok(prov) => match service::sync(&st.db, &prov, &p, "return", &Actor::User(user.id)).await {
            Ok(p) => p,
            Err(PayError::Db(e)) => return Err(AppError::Internal(e.into())),
            Err(e) => {
                tracing::warn!(error = %e, payment = %p.public_id, "status lookup on return failed");
                unchecked = true;
                p
            }
        },
        Err(_) => {
            unchecked = true;
            p
        }
    };
    let state = PaymentState::parse(&p.state).unwrap_or(PaymentState::Created);
    let l = c.l;
    let (title, text_key, kind) = match state {
        PaymentState::Succeeded => ("pay.done_title", "pay.done_text", "success"),
        PaymentState::Started | PaymentState::Created => {
            ("pay.checking_title", "pay.checking_text", "info")
        }
        PaymentState::Failed => ("pay.failed_title", "pay.failed_text", "error"),
        PaymentState::Cancelled => ("pay.cancelled_title", "pay.cancelled_text", "warning"),
        PaymentState::Expired => ("pay.expired_title", "pay.expired_text", "warning"),
        PaymentState::Refunded => ("pay.refunded_title", "pay.refunded_text", "info"),
    };
    let mut text = l.t(text_key).to_owned();
    if unchecked {
        text.push(' ');
        text.push_str(l.t("pay.unchecked"));
    }
    let mut page = notice(c, &app, title, text, kind);
    page.retry = matches!(
        state,
        PaymentState::Failed | PaymentState::Cancelled | PaymentState::Expired
    );
    if state.is_open() {
        page.recheck = Some(format!("/payments/{}/return", p.public_id));
    }
    Ok(render(&page)?.into_response())
}

/// The return from paying a facility booking's fee: the owner of the booking only; the state is
/// looked up at the provider (which confirms the booking once paid) and My Page says how it went.
async fn booking_return(
    st: &AppState,
    c: &Ctx,
    user: &UserRow,
    p: &store::PaymentRow,
) -> Result<Response, AppError> {
    let owner = match p.reservation_id {
        Some(r) => crate::facilities::store::owner_of_reservation(&st.db, &c.tenant.id, r).await?,
        None => None,
    };
    if user.kind() != Kind::Resident || owner != Some(user.id) {
        return Err(AppError::NotFound);
    }
    let state = match provider(st) {
        Ok(prov) => match service::sync(&st.db, &prov, p, "return", &Actor::User(user.id)).await {
            Ok(p) => p.state,
            Err(PayError::Db(e)) => return Err(AppError::Internal(e.into())),
            Err(e) => {
                tracing::warn!(error = %e, payment = %p.public_id, "status lookup on return failed");
                p.state.clone()
            }
        },
        Err(_) => p.state.clone(),
    };
    Ok(Redirect::to(&format!("/mypage/facilities?paid={state}")).into_response())
}

#[derive(Deserialize)]
struct WebhookEvent {
    id: String,
    #[serde(default, rename = "type")]
    kind: String,
    data: WebhookData,
}

#[derive(Deserialize)]
struct WebhookData {
    payment_id: String,
}

fn json_status(status: StatusCode, v: serde_json::Value) -> Response {
    (status, axum::Json(v)).into_response()
}

/// What a provider posts to the webhook (documentation of the wire format).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct WebhookEventDoc {
    /// Event id; a replayed id is answered `{"status": "duplicate"}` and changes nothing.
    id: String,
    /// `payment.succeeded`, `payment.failed`, `payment.cancelled`, `payment.expired`, `payment.refunded`.
    #[schema(rename = "type")]
    kind: String,
    /// Unix seconds.
    created: i64,
    /// `{"payment_id": "<the provider's payment id>", …}`
    data: serde_json::Value,
}

/// The provider's webhook. The signature over the raw body is checked first (401 and nothing
/// stored when it fails); a replayed event id is answered 200 and changes nothing; otherwise the
/// payment's status is looked up at the provider and stored. A lookup that fails answers 502 so
/// the provider delivers again later.
#[utoipa::path(post, path = "/api/v1/payments/webhook", request_body = WebhookEventDoc,
    params(("Madoguchi-Signature" = String, Header,
        description = "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<raw body>\" with payments.webhook_secret>")),
    responses(
        (status = 200, description = "Processed, or a duplicate / unknown payment (nothing changed)"),
        (status = 400, description = "Not a payment event"),
        (status = 401, description = "Signature missing, stale or wrong; nothing changed"),
        (status = 502, description = "The status lookup at the provider failed; deliver again later"),
        (status = 503, description = "Payments are not configured")))]
pub async fn webhook(State(st): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let cfg = &st.cfg.payments;
    let sig = headers
        .get(signature::HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let now = now_ms() / 1000;
    let verified = !cfg.webhook_secret.is_empty()
        && signature::verify(
            &cfg.webhook_secret,
            sig,
            &body,
            now,
            cfg.webhook_tolerance_secs,
        )
        .is_ok();
    if !verified {
        tracing::warn!("payment webhook refused: signature missing, stale or wrong");
        return json_status(
            StatusCode::UNAUTHORIZED,
            json!({ "error": { "code": "bad_signature", "message": "signature missing, stale or wrong" } }),
        );
    }
    let Ok(event) = serde_json::from_slice::<WebhookEvent>(&body) else {
        return json_status(
            StatusCode::BAD_REQUEST,
            json!({ "error": { "code": "bad_event", "message": "not a payment event" } }),
        );
    };
    let Ok(prov) = provider(&st) else {
        return json_status(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({ "error": { "code": "payments_off", "message": "payments are not configured" } }),
        );
    };
    let answer = async {
        if store::webhook_seen(&st.db, prov.name(), &event.id).await? {
            return Ok::<_, PayError>(json!({ "status": "duplicate" }));
        }
        let Some(p) = store::by_provider_ref(&st.db, prov.name(), &event.data.payment_id).await?
        else {
            tracing::warn!(event = %event.id, payment = %event.data.payment_id, "webhook for an unknown payment");
            return Ok(json!({ "status": "unknown_payment" }));
        };
        let after = service::sync(&st.db, &prov, &p, "webhook", &Actor::System).await?;
        let mut tx = st.db.begin().await?;
        if store::claim_webhook(&mut tx, prov.name(), &event.id, &event.data.payment_id, now_ms())
            .await?
        {
            audit::record(
                &mut tx,
                &p.municipality_id,
                &Actor::System,
                "payment.webhook_received",
                &format!("payment:{}", p.public_id),
                json!({ "event": event.id, "type": event.kind, "state": after.state }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(json!({ "status": "ok", "state": after.state }))
    }
    .await;
    match answer {
        Ok(v) => json_status(StatusCode::OK, v),
        Err(e) => {
            tracing::warn!(error = %e, event = %event.id, "payment webhook not processed");
            json_status(
                StatusCode::BAD_GATEWAY,
                json!({ "error": { "code": "not_processed", "message": "try again later" } }),
            )
        }
    }
}

// ---- staff -----------------------------------------------------------------------------------

fn staff_user(c: &Ctx) -> Result<UserRow, Redirect> {
    crate::web::staff::require_staff(c)
}

async fn staff_case(
    st: &AppState,
    c: &Ctx,
    me: &UserRow,
    receipt: &str,
) -> Result<ApplicationRow, AppError> {
    let app = crate::procedures::application::staff::visible_case(st, c, me, receipt).await?;
    if me.role() == Some(crate::auth::Role::DxPromoter) {
        return Err(AppError::NotFound);
    }
    Ok(app)
}

#[derive(Template)]
#[template(path = "payments/fee.html")]
struct FeePage {
    c: Ctx,
    receipt: String,
    receipt_shown: String,
    procedure: String,
    current: Option<String>,
    amount: String,
    message: String,
    error: Option<String>,
}

async fn fee_page(
    c: Ctx,
    app: &ApplicationRow,
    st: &AppState,
    amount: String,
    message: String,
    error: Option<String>,
) -> Result<FeePage, AppError> {
    let current = store::fee(&st.db, app.id)
        .await?
        .map(|f| super::view::yen_label(f.amount_yen, c.l));
    Ok(FeePage {
        receipt: app.receipt.clone(),
        receipt_shown: shown_receipt(&app.receipt),
        procedure: match c.l {
            Lang::Ja => app.procedure_name_ja.clone(),
            Lang::En => app.procedure_name_en.clone(),
        },
        current,
        amount,
        message,
        error,
        c,
    })
}

async fn fee_form(
    State(st): State<AppState>,
    c: Ctx,
    Path(receipt): Path<String>,
) -> Result<Response, AppError> {
    let me = match staff_user(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let app = staff_case(&st, &c, &me, &receipt).await?;
    let page = fee_page(c, &app, &st, String::new(), String::new(), None).await?;
    Ok(render(&page)?.into_response())
}

async fn fee_submit(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Path(receipt): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match staff_user(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let app = staff_case(&st, &c, &me, &receipt).await?;
    let pairs = form_pairs(&body);
    let amount = field(&pairs, "amount").to_owned();
    let message = field(&pairs, "message").to_owned();
    let base = base_url(&st, &headers);
    match service::set_fee(&st.db, &c.tenant.id, &me, &app, &amount, &message, &base).await {
        Ok(_) => {
            st.mail_notify.notify_one();
            Ok(Redirect::to(&format!("/staff/cases/{}?done=message", app.receipt)).into_response())
        }
        Err(PayError::NotFound) => Err(AppError::NotFound),
        Err(PayError::Db(e)) => Err(AppError::Internal(e.into())),
        Err(e) => {
            let l = c.l;
            let status = pay_status(&e);
            let page = fee_page(c, &app, &st, amount, message, Some(e.message(l))).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

async fn refund(
    State(st): State<AppState>,
    c: Ctx,
    Path(receipt): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match staff_user(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let app = staff_case(&st, &c, &me, &receipt).await?;
    let pairs = form_pairs(&body);
    let payment = field(&pairs, "payment").to_owned();
    let r = match provider(&st) {
        Ok(p) => service::refund(&st.db, &p, &me, &app, &payment).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/staff/cases/{}#payment", app.receipt)).into_response()),
        Err(PayError::NotFound) => Err(AppError::NotFound),
        Err(PayError::Db(e)) => Err(AppError::Internal(e.into())),
        Err(e) => {
            let l = c.l;
            let status = pay_status(&e);
            let page = notice(c, &app, "pay.refund_failed", e.message(l), "error");
            Ok((status, render(&page)?).into_response())
        }
    }
}

/// Who may download the reconciliation: administrators and staff of 会計課 (department code
/// `kaikei`).
async fn may_reconcile(st: &AppState, me: &UserRow) -> Result<bool, AppError> {
    if me.is_admin() {
        return Ok(true);
    }
    let Some(d) = me.department_id else {
        return Ok(false);
    };
    Ok(crate::auth::store::get_department(&st.db, d)
        .await?
        .is_some_and(|d| d.code == super::ACCOUNTING_DEPARTMENT))
}

#[derive(Deserialize, Default)]
struct DayQuery {
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    encoding: Option<String>,
}

#[derive(Template)]
#[template(path = "payments/reconcile.html")]
struct ReconcilePage {
    c: Ctx,
    date: String,
}

fn today_jst() -> String {
    crate::calendar::today_jst().to_string()
}

async fn reconcile_page(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<DayQuery>,
) -> Result<Response, AppError> {
    let me = match staff_user(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    if !may_reconcile(&st, &me).await? {
        return Err(AppError::NotFound);
    }
    let page = ReconcilePage {
        c,
        date: q.date.unwrap_or_else(today_jst),
    };
    Ok(render(&page)?.into_response())
}

/// Fetches the provider's list and builds the day's report (the CLI does the same).
pub async fn day_report<P: PaymentProvider>(
    db: &crate::db::Db,
    provider: Option<&P>,
    municipality: &str,
    date: &str,
) -> Result<Option<reconcile::Report>, sqlx::Error> {
    let settlements = match provider {
        Some(p) => match p.settlements(date.trim()).await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "settlement list not fetched; the CSV says 未照合");
                None
            }
        },
        None => None,
    };
    reconcile::report(db, municipality, date, settlements.as_ref()).await
}

async fn reconcile_csv(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<DayQuery>,
) -> Result<Response, AppError> {
    let me = match staff_user(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    if !may_reconcile(&st, &me).await? {
        return Err(AppError::NotFound);
    }
    let Some(enc) = CsvEncoding::parse(q.encoding.as_deref()) else {
        return Err(AppError::BadRequest);
    };
    let date = q.date.unwrap_or_else(today_jst);
    let prov = provider(&st).ok();
    let Some(report) = day_report(&st.db, prov.as_ref(), &c.tenant.id, &date).await? else {
        return Err(AppError::BadRequest);
    };
    let (bytes, replaced) = reconcile::csv(&report, enc);
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("text/csv; charset={}", enc.charset())) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"payments-{}.csv\"",
        report.date
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&replaced.to_string()) {
        h.insert("x-replaced-characters", v);
    }
    tracing::info!(date = %report.date, events = report.lines.len(), "payment reconciliation downloaded");
    Ok(r)
}
