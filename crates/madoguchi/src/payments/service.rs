//! The payment service: fees on applications, starting a payment, bringing our record in line
//! with the provider's (after a return, a webhook or on a page view), refunds and the gate that
//! keeps a case from moving on while its fee is unpaid. Each change is one transaction with its
//! payment event and its audit event.

use serde_json::json;

use super::provider::{CreateRequest, PaymentProvider, ProviderError};
use super::state::{self, PaymentState, Step};
use super::store::{self, FeeRow, NewEvent, NewFee, NewPayment, PaymentRow};
use crate::audit::{self, Actor};
use crate::auth::store::UserRow;
use crate::auth::{Kind, Role};
use crate::config::PaymentsConfig;
use crate::db::{Db, Tx, now_ms};
use crate::procedures::application::store::{self as app_store, ApplicationRow, NewEntry};
use crate::procedures::application::workflow;
use crate::procedures::case::{ActionKind, CaseState};

/// Largest fee staff can set (the provider protocol's ceiling for one card payment).
pub const MAX_FEE_YEN: i64 = 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// No such payment or application, or not this person's.
    #[error("not found")]
    NotFound,
    #[error("nothing to pay")]
    NothingToPay,
    #[error("already paid")]
    AlreadyPaid,
    /// The case is closed (withdrawn, refused, completed): no payment can start.
    #[error("case closed")]
    CaseClosed,
    /// Staff typed an amount that is not a whole number of yen in range.
    #[error("bad amount")]
    BadAmount,
    /// Only a succeeded payment can be refunded.
    #[error("not refundable")]
    NotRefundable,
    /// The provider's answer does not match our record (amount, reference).
    #[error("provider mismatch: {0}")]
    Mismatch(String),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl PayError {
    pub fn message_ja(&self) -> String {
        match self {
            PayError::NotFound => "お支払いが見つかりません。".into(),
            PayError::NothingToPay => "この申請にお支払いいただく手数料はありません。".into(),
            PayError::AlreadyPaid => "この申請の手数料はお支払い済みです。".into(),
            PayError::CaseClosed => "この申請は終了しているため、お支払いはできません。".into(),
            PayError::BadAmount => format!(
                "手数料（金額）は1円から{}円までの数字で入力してください（例：300）。",
                MAX_FEE_YEN
            ),
            PayError::NotRefundable => "返金できるのは、支払済みのお支払いだけです。".into(),
            PayError::Mismatch(_) | PayError::Provider(_) => {
                "決済サービスにつながりませんでした。時間をおいてもう一度お試しください。".into()
            }
            PayError::Db(_) => {
                "システムで問題が起きました。時間をおいてもう一度お試しください。".into()
            }
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            PayError::NotFound => "Payment not found.".into(),
            PayError::NothingToPay => "There is no fee to pay for this application.".into(),
            PayError::AlreadyPaid => "The fee for this application has been paid.".into(),
            PayError::CaseClosed => "This application is closed, so it cannot be paid.".into(),
            PayError::BadAmount => format!(
                "Enter the fee (amount) as a number of yen from 1 to {MAX_FEE_YEN} (for example 300)."
            ),
            PayError::NotRefundable => "Only a paid payment can be refunded.".into(),
            PayError::Mismatch(_) | PayError::Provider(_) => {
                "The payment service could not be reached. Please try again later.".into()
            }
            PayError::Db(_) => "Something went wrong. Please try again later.".into(),
        }
    }
    pub fn message(&self, l: crate::web::i18n::Lang) -> String {
        match l {
            crate::web::i18n::Lang::Ja => self.message_ja(),
            crate::web::i18n::Lang::En => self.message_en(),
        }
    }
}

/// Where an application stands with its fee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeStatus {
    pub fee: FeeRow,
    /// A succeeded (and not refunded) payment exists.
    pub paid: bool,
    pub refunded: bool,
    /// The newest payment, if any.
    pub latest: Option<PaymentRow>,
}

pub async fn fee_status(db: &Db, application_id: i64) -> Result<Option<FeeStatus>, sqlx::Error> {
    let Some(fee) = store::fee(db, application_id).await? else {
        return Ok(None);
    };
    let payments = store::of_application(db, application_id).await?;
    Ok(Some(status_of(fee, payments)))
}

fn status_of(fee: FeeRow, payments: Vec<PaymentRow>) -> FeeStatus {
    let paid = payments
        .iter()
        .any(|p| p.state == PaymentState::Succeeded.as_str());
    let refunded = !paid
        && payments
            .iter()
            .any(|p| p.state == PaymentState::Refunded.as_str());
    FeeStatus {
        fee,
        paid,
        refunded,
        latest: payments.into_iter().next(),
    }
}

/// Why a case step waits for the fee, if it does. The rule (docs/payments.md):
/// a fee due before review keeps the case in 受付 (審査開始 is refused) until it is paid; every
/// fee due before review or completion keeps 完了 from happening until it is paid; a fee due
/// `none` never blocks the case. A refunded fee counts as unpaid.
pub fn blocks(status: &FeeStatus, action: ActionKind) -> bool {
    if status.paid {
        return false;
    }
    matches!(
        (status.fee.due_before.as_str(), action),
        ("review", ActionKind::StartReview) | ("review" | "completion", ActionKind::Complete)
    )
}

/// The gate `workflow::act` asks before a staff step: true when the step must wait for payment.
pub async fn gate(db: &Db, application_id: i64, action: ActionKind) -> Result<bool, sqlx::Error> {
    Ok(match fee_status(db, application_id).await? {
        Some(s) => blocks(&s, action),
        None => false,
    })
}

/// Called inside the submission transaction: fixes the fee of a new application.
pub async fn fee_at_submission(
    tx: &mut Tx,
    municipality: &str,
    application_id: i64,
    procedure_id: i64,
    amount_yen: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    if amount_yen <= 0 {
        return Ok(());
    }
    let due = store::timing_tx(tx, procedure_id).await?;
    store::put_fee(
        tx,
        &NewFee {
            application_id,
            municipality,
            amount_yen,
            source: "submission",
            due_before: &due,
            set_by: None,
            now,
        },
    )
    .await
}

/// Reads a fee typed by staff: digits (half or full width), optional 円 and thousands commas.
pub fn parse_yen(s: &str) -> Result<i64, PayError> {
    let t: String = s
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '　'))
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c,
        })
        .collect();
    let t = t.strip_suffix('円').unwrap_or(&t);
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit()) || t.len() > 9 {
        return Err(PayError::BadAmount);
    }
    let v: i64 = t.parse().map_err(|_| PayError::BadAmount)?;
    if !(1..=MAX_FEE_YEN).contains(&v) {
        return Err(PayError::BadAmount);
    }
    Ok(v)
}

/// Staff set (or correct) the fee after review: the resident gets a message in the
/// application's thread and an e-mail, and pays from the application page. The fee is due
/// before 完了. Refused once the fee is paid or the case is closed.
pub async fn set_fee(
    db: &Db,
    municipality: &str,
    staff: &UserRow,
    app: &ApplicationRow,
    amount_text: &str,
    message: &str,
    base_url: &str,
) -> Result<i64, PayError> {
    if !workflow::is_case_staff(staff, app) || staff.role() == Some(Role::DxPromoter) {
        return Err(PayError::NotFound);
    }
    let amount = parse_yen(amount_text)?;
    let state = CaseState::parse(&app.state).unwrap_or(CaseState::Received);
    if state.is_closed() && state != CaseState::Approved {
        return Err(PayError::CaseClosed);
    }
    let message = message.trim().replace("\r\n", "\n");
    if message.chars().count() > workflow::MAX_TEXT_CHARS {
        return Err(PayError::BadAmount);
    }
    let email = workflow::applicant_contact(db, app).await?;
    let now = now_ms();
    let mut tx = db.begin().await?;
    let payments = store::of_application_tx(&mut tx, app.id).await?;
    if payments
        .iter()
        .any(|p| p.state == PaymentState::Succeeded.as_str())
    {
        return Err(PayError::AlreadyPaid);
    }
    if payments
        .iter()
        .any(|p| PaymentState::parse(&p.state).is_some_and(PaymentState::is_open))
    {
        // A payment for the old amount is under way; let it finish or lapse first.
        return Err(PayError::AlreadyPaid);
    }
    store::put_fee(
        &mut tx,
        &NewFee {
            application_id: app.id,
            municipality,
            amount_yen: amount,
            source: "staff",
            due_before: "completion",
            set_by: Some(staff.id),
            now,
        },
    )
    .await?;
    let yen = super::view::yen_label(amount, crate::web::i18n::Lang::Ja);
    let mut body = format!(
        "手数料（{yen}）を設定しました。申請の画面の「手数料を支払う」からお支払いください。\nThe fee is {amount} yen. Please pay it from the application page (“Pay the fee”)."
    );
    if !message.is_empty() {
        body.push_str("\n\n");
        body.push_str(&message);
    }
    app_store::insert_entry(
        &mut tx,
        &NewEntry {
            application_id: app.id,
            kind: "message",
            author_user_id: Some(staff.id),
            author_role: "staff",
            from_state: None,
            to_state: None,
            body: &body,
            fields: None,
            internal: false,
            now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        municipality,
        &Actor::User(staff.id),
        "payment.fee_set",
        &format!("application:{}", app.id),
        json!({ "receipt": app.receipt, "amount_yen": amount, "due_before": "completion" }),
    )
    .await?;
    if let Some(to) = email {
        workflow::mail_applicant(
            &mut tx,
            municipality,
            app,
            &to,
            "手数料のお支払いのお願い",
            "Please pay the fee",
            &body,
            base_url,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(amount)
}

fn new_public_id() -> String {
    let bytes: [u8; 16] = rand::random();
    format!("pay_{}", hex::encode(bytes))
}

/// The resident starts paying their application's fee (or resumes a payment page that is still
/// open). Returns the provider's page to redirect to.
pub async fn start<P: PaymentProvider>(
    db: &Db,
    provider: &P,
    cfg: &PaymentsConfig,
    user: &UserRow,
    app: &ApplicationRow,
    base_url: &str,
) -> Result<String, PayError> {
    if user.kind() != Kind::Resident || !workflow::can_view(user, app) {
        return Err(PayError::NotFound);
    }
    let state = CaseState::parse(&app.state).unwrap_or(CaseState::Received);
    if state.is_closed() && state != CaseState::Approved {
        return Err(PayError::CaseClosed);
    }
    let Some(status) = fee_status(db, app.id).await? else {
        return Err(PayError::NothingToPay);
    };
    if status.paid {
        return Err(PayError::AlreadyPaid);
    }
    let existing = store::of_application(db, app.id).await?;
    begin(
        db,
        provider,
        cfg,
        Begin {
            municipality: &app.municipality_id,
            payee: Payee::Application(app.id),
            amount: status.fee.amount_yen,
            description: format!("{} 受付番号 {}", app.procedure_name_ja, app.receipt),
            note: json!({ "receipt": app.receipt }),
            existing,
            actor: Actor::User(user.id),
        },
        base_url,
    )
    .await
}

/// What a payment pays for: an application's fee or a facility booking's fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payee {
    Application(i64),
    Reservation(i64),
}

/// A payment to start: for whom, how much, the provider's description, what the audit event
/// names (`receipt` or `reservation`), the payee's payments so far, who starts it.
pub struct Begin<'a> {
    pub municipality: &'a str,
    pub payee: Payee,
    pub amount: i64,
    pub description: String,
    pub note: serde_json::Value,
    pub existing: Vec<PaymentRow>,
    pub actor: Actor,
}

/// Starts a payment at the provider (or resumes a payment page that is still open) and returns
/// the provider's page. The caller has checked that the payee may pay now.
pub async fn begin<P: PaymentProvider>(
    db: &Db,
    provider: &P,
    cfg: &PaymentsConfig,
    b: Begin<'_>,
    base_url: &str,
) -> Result<String, PayError> {
    let now = now_ms();
    // An open payment page is reused rather than making a second payment the resident could
    // also complete. Its state is looked up first: it may have been paid meanwhile.
    for p in &b.existing {
        if PaymentState::parse(&p.state).is_some_and(PaymentState::is_open) {
            let p = sync(db, provider, p, "sync", &b.actor).await?;
            match PaymentState::parse(&p.state) {
                Some(PaymentState::Started) if p.expires_at > now => {
                    if let Some(url) = p.next_url {
                        return Ok(url);
                    }
                }
                Some(PaymentState::Succeeded) => return Err(PayError::AlreadyPaid),
                _ => {}
            }
        }
    }
    let public_id = new_public_id();
    let amount = b.amount;
    let expires_at = now + cfg.session_minutes * 60_000;
    let actor = b.actor.clone();
    let (application_id, reservation_id) = match b.payee {
        Payee::Application(a) => (Some(a), None),
        Payee::Reservation(r) => (None, Some(r)),
    };
    let mut detail = b.note.clone();
    if let Some(o) = detail.as_object_mut() {
        o.insert("amount_yen".into(), json!(amount));
        o.insert("provider".into(), json!(provider.name()));
    }
    let mut tx = db.begin().await?;
    let id = store::insert_payment(
        &mut tx,
        &NewPayment {
            municipality: b.municipality,
            public_id: &public_id,
            application_id,
            reservation_id,
            provider: provider.name(),
            amount_yen: amount,
            now,
            expires_at,
        },
    )
    .await?;
    store::insert_event(
        &mut tx,
        &NewEvent {
            municipality: b.municipality,
            payment_id: id,
            from_state: None,
            to_state: "created",
            amount_yen: amount,
            source: "create",
            at: now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        b.municipality,
        &actor,
        "payment.created",
        &format!("payment:{public_id}"),
        detail,
    )
    .await?;
    tx.commit().await?;
    // Our row is committed before the provider is called, so a crash in between leaves a
    // `created` payment we know about, never a provider payment we do not.
    let req = CreateRequest {
        amount,
        currency: "JPY",
        reference: public_id.clone(),
        description: b.description.clone(),
        return_url: format!(
            "{}/payments/{public_id}/return",
            base_url.trim_end_matches('/')
        ),
    };
    let created = match provider.create(&req).await {
        Ok(c) if c.amount == amount && c.reference == public_id => c,
        other => {
            let err = match other {
                Ok(c) => PayError::Mismatch(format!(
                    "provider answered amount {} reference {}",
                    c.amount, c.reference
                )),
                Err(e) => PayError::Provider(e),
            };
            tracing::warn!(error = %err, payment = %public_id, "payment create failed");
            apply(db, id, PaymentState::Failed, "create", &actor).await?;
            return Err(err);
        }
    };
    let next_url = created
        .next_url
        .clone()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .ok_or_else(|| PayError::Mismatch("no next_url".into()))?;
    let expires = created.expires_at.map_or(expires_at, |s| s * 1000);
    let mut tx = db.begin().await?;
    store::set_provider_ref(&mut tx, id, &created.id, &next_url, expires, now_ms()).await?;
    tx.commit().await?;
    let remote = created.parsed_state()?;
    // The provider's page exists now: created → started (or further, if it says so).
    let target = if remote == PaymentState::Created {
        PaymentState::Started
    } else {
        remote
    };
    apply(db, id, target, "create", &actor).await?;
    Ok(next_url)
}

/// Looks the payment up at the provider and stores what it says. Idempotent: the same answer
/// twice changes nothing. `source` is `return`, `webhook` or `sync`.
pub async fn sync<P: PaymentProvider>(
    db: &Db,
    provider: &P,
    payment: &PaymentRow,
    source: &str,
    actor: &Actor,
) -> Result<PaymentRow, PayError> {
    let Some(reference) = payment.provider_ref.as_deref() else {
        return Ok(payment.clone());
    };
    let remote = provider.status(reference).await?;
    if remote.amount != payment.amount_yen || remote.reference != payment.public_id {
        return Err(PayError::Mismatch(format!(
            "payment {} is {} yen / {} at the provider",
            payment.public_id, remote.amount, remote.reference
        )));
    }
    let to = remote.parsed_state()?;
    let to = if to == PaymentState::Created {
        PaymentState::Started
    } else {
        to
    };
    Ok(apply(db, payment.id, to, source, actor).await?)
}

/// Moves a payment to `to` along the transition table, one event and one audit event per move.
/// Already there: nothing is written. Not reachable: nothing is written (logged).
pub async fn apply(
    db: &Db,
    payment_id: i64,
    to: PaymentState,
    source: &str,
    actor: &Actor,
) -> Result<PaymentRow, sqlx::Error> {
    for _ in 0..3 {
        let mut tx = db.begin().await?;
        let Some(p) = store::by_id_tx(&mut tx, payment_id).await? else {
            return Err(sqlx::Error::RowNotFound);
        };
        let Some(from) = PaymentState::parse(&p.state) else {
            return Err(sqlx::Error::Decode(
                format!("payment state {:?}", p.state).into(),
            ));
        };
        let moves = match state::step(from, to) {
            Step::Same => return Ok(p),
            Step::Refused => {
                tracing::warn!(payment = %p.public_id, from = from.as_str(), to = to.as_str(), "payment transition refused");
                return Ok(p);
            }
            Step::Moves(m) => m,
        };
        let now = now_ms();
        let mut stale = false;
        for (a, b) in &moves {
            if store::set_state(&mut tx, p.id, a.as_str(), b.as_str(), now).await? != 1 {
                stale = true;
                break;
            }
            store::insert_event(
                &mut tx,
                &NewEvent {
                    municipality: &p.municipality_id,
                    payment_id: p.id,
                    from_state: Some(a.as_str()),
                    to_state: b.as_str(),
                    amount_yen: p.amount_yen,
                    source,
                    at: now,
                },
            )
            .await?;
            audit::record(
                &mut tx,
                &p.municipality_id,
                actor,
                &format!("payment.{}", b.as_str()),
                &format!("payment:{}", p.public_id),
                json!({
                    "application": p.application_id,
                    "reservation": p.reservation_id,
                    "from": a.as_str(),
                    "to": b.as_str(),
                    "amount_yen": p.amount_yen,
                    "source": source,
                    "provider_ref": p.provider_ref,
                }),
            )
            .await?;
            if *b == PaymentState::Succeeded
                && let Some(r) = p.reservation_id
            {
                // The booking is confirmed in the same transaction as the payment.
                crate::facilities::service::on_paid_tx(
                    &mut tx,
                    &p.municipality_id,
                    r,
                    (p.id, &p.public_id),
                    p.amount_yen,
                    actor,
                    now,
                )
                .await?;
            }
            if let Some(application_id) = p.application_id
                && let Some(text) = thread_note(*b, p.amount_yen)
            {
                app_store::insert_entry(
                    &mut tx,
                    &NewEntry {
                        application_id,
                        kind: "message",
                        author_user_id: None,
                        author_role: "system",
                        from_state: None,
                        to_state: None,
                        body: &text,
                        fields: None,
                        internal: false,
                        now,
                    },
                )
                .await?;
            }
        }
        if stale {
            // Someone else moved it first (the webhook and the return at once): read again.
            drop(tx);
            continue;
        }
        tx.commit().await?;
        return store::by_id(db, payment_id)
            .await?
            .ok_or(sqlx::Error::RowNotFound);
    }
    Err(sqlx::Error::PoolTimedOut)
}

/// The line the application's thread gets when money moves.
fn thread_note(to: PaymentState, amount: i64) -> Option<String> {
    let yen = super::view::yen_label(amount, crate::web::i18n::Lang::Ja);
    match to {
        PaymentState::Succeeded => Some(format!(
            "手数料（{yen}）のお支払いを確認しました。\nWe have received your payment of {amount} yen."
        )),
        PaymentState::Refunded => Some(format!(
            "手数料（{yen}）を返金しました。\nThe fee of {amount} yen has been refunded."
        )),
        _ => None,
    }
}

/// Staff refund a succeeded payment in full (e.g. after 取下げ or 不承認).
pub async fn refund<P: PaymentProvider>(
    db: &Db,
    provider: &P,
    staff: &UserRow,
    app: &ApplicationRow,
    payment_public_id: &str,
) -> Result<PaymentRow, PayError> {
    if !workflow::is_case_staff(staff, app) || staff.role() == Some(Role::DxPromoter) {
        return Err(PayError::NotFound);
    }
    let p = store::by_public(db, &app.municipality_id, payment_public_id)
        .await?
        .filter(|p| p.application_id == Some(app.id))
        .ok_or(PayError::NotFound)?;
    refund_in_full(db, provider, &p, "staff", &Actor::User(staff.id)).await
}

/// Refunds a succeeded payment in full at the provider and records the answer. The provider
/// is asked for the payment's state first, so asking again after a crash or a timeout (the
/// provider refunded, we never heard) records that refund instead of asking for a second one.
async fn refund_in_full<P: PaymentProvider>(
    db: &Db,
    provider: &P,
    p: &PaymentRow,
    source: &str,
    actor: &Actor,
) -> Result<PaymentRow, PayError> {
    if p.state != PaymentState::Succeeded.as_str() {
        return Err(PayError::NotRefundable);
    }
    let Some(reference) = p.provider_ref.as_deref() else {
        return Err(PayError::NotRefundable);
    };
    let now = provider.status(reference).await?;
    let remote = if now.parsed_state()? == PaymentState::Refunded {
        now
    } else {
        provider.refund(reference, p.amount_yen).await?
    };
    let to = remote.parsed_state()?;
    Ok(apply(db, p.id, to, source, actor).await?)
}

/// Carries out the refunds Madoguchi decided on ([`store::request_refund`]: a paid facility
/// booking cancelled by its resident, a payment that arrived for a booking no longer held),
/// oldest first, of those `due` selects. Returns how many were refunded. A provider that cannot be reached, or refuses, leaves the payment
/// marked: the facilities job tries again on its next run.
pub async fn carry_out_refunds<P: PaymentProvider>(
    db: &Db,
    provider: &P,
    due: store::Due<'_>,
) -> Result<usize, sqlx::Error> {
    let mut n = 0;
    for p in store::refunds_due(db, due).await? {
        match refund_in_full(db, provider, &p, "refund", &Actor::System).await {
            Ok(done) if done.state == PaymentState::Refunded.as_str() => n += 1,
            Ok(done) => {
                tracing::warn!(payment = %p.public_id, state = %done.state, "refund not confirmed by the provider yet")
            }
            Err(PayError::Db(e)) => return Err(e),
            Err(e) => {
                tracing::warn!(payment = %p.public_id, error = %e, "refund not done yet; the facilities job tries again")
            }
        }
    }
    Ok(n)
}

/// Brings every open payment of an application up to date (on a page view), quietly: a provider
/// that cannot be reached leaves the stored state as it is.
pub async fn refresh_open<P: PaymentProvider>(db: &Db, provider: &P, application_id: i64) {
    let Ok(list) = store::of_application(db, application_id).await else {
        return;
    };
    for p in list {
        if PaymentState::parse(&p.state).is_some_and(PaymentState::is_open)
            && let Err(e) = sync(db, provider, &p, "sync", &Actor::System).await
        {
            tracing::info!(error = %e, payment = %p.public_id, "payment status lookup failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yen_the_way_people_type_it() {
        assert_eq!(parse_yen("300").ok(), Some(300));
        assert_eq!(parse_yen(" ３００ ").ok(), Some(300));
        assert_eq!(parse_yen("1,000円").ok(), Some(1000));
        for bad in ["", "0", "-5", "3.5", "abc", "1000001", "99999999999999"] {
            assert!(parse_yen(bad).is_err(), "{bad}");
        }
    }

    fn status(due: &str, paid: bool) -> FeeStatus {
        FeeStatus {
            fee: FeeRow {
                application_id: 1,
                amount_yen: 300,
                source: "submission".into(),
                due_before: due.into(),
                set_by: None,
                set_at: 0,
            },
            paid,
            refunded: false,
            latest: None,
        }
    }

    #[test]
    fn the_gate_follows_the_due_step() {
        assert!(blocks(&status("review", false), ActionKind::StartReview));
        assert!(blocks(&status("review", false), ActionKind::Complete));
        assert!(!blocks(&status("review", false), ActionKind::Approve));
        assert!(!blocks(&status("review", true), ActionKind::StartReview));
        assert!(!blocks(
            &status("completion", false),
            ActionKind::StartReview
        ));
        assert!(blocks(&status("completion", false), ActionKind::Complete));
        assert!(!blocks(&status("none", false), ActionKind::Complete));
        assert!(!blocks(&status("review", false), ActionKind::Withdraw));
    }
}
