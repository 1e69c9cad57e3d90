//! What the application pages show about the fee: the resident's box (amount, paid or not, the
//! pay button) and the staff box (paid/unpaid, every payment, refund, 「手数料を設定」).

use super::service::{self, FeeStatus};
use super::state::PaymentState;
use super::store;
use crate::db::Db;
use crate::procedures::application::store::ApplicationRow;
use crate::procedures::case::CaseState;
use crate::web::i18n::Lang;

/// The resident's view. `show: false` when the application owes nothing.
#[derive(Clone, Debug, Default)]
pub struct ResidentBox {
    pub show: bool,
    pub amount: String,
    pub paid: bool,
    /// The newest payment's state in words (empty when none was tried).
    pub latest: String,
    /// 「手数料を支払う」 is offered.
    pub can_pay: bool,
    /// A payment is being checked (確認中).
    pub checking: bool,
    /// Message key: what waits for the payment.
    pub due_key: &'static str,
}

pub use crate::procedures::model::yen_label;

fn closed_for_payment(app: &ApplicationRow) -> bool {
    let s = CaseState::parse(&app.state).unwrap_or(CaseState::Received);
    s.is_closed() && s != CaseState::Approved
}

fn due_key(status: &FeeStatus) -> &'static str {
    match status.fee.due_before.as_str() {
        "review" => "pay.due_review",
        "completion" => "pay.due_completion",
        _ => "pay.due_none",
    }
}

pub async fn resident_box(
    db: &Db,
    app: &ApplicationRow,
    l: Lang,
) -> Result<ResidentBox, sqlx::Error> {
    let Some(s) = service::fee_status(db, app.id).await? else {
        return Ok(ResidentBox::default());
    };
    let latest_state = s
        .latest
        .as_ref()
        .and_then(|p| PaymentState::parse(&p.state));
    let checking = latest_state.is_some_and(PaymentState::is_open);
    Ok(ResidentBox {
        show: true,
        amount: yen_label(s.fee.amount_yen, l),
        paid: s.paid,
        latest: latest_state
            .map(|p| p.label(l).to_owned())
            .unwrap_or_default(),
        can_pay: !s.paid && !closed_for_payment(app),
        checking,
        due_key: due_key(&s),
    })
}

#[derive(Clone, Debug)]
pub struct PaymentLine {
    pub public_id: String,
    pub state: String,
    pub amount: String,
    pub provider: String,
    pub provider_ref: String,
    pub updated: String,
    pub refundable: bool,
}

/// The staff view of the fee and its payments.
#[derive(Clone, Debug, Default)]
pub struct StaffBox {
    pub has_fee: bool,
    pub amount: String,
    pub paid: bool,
    pub source_key: &'static str,
    pub due_key: &'static str,
    pub payments: Vec<PaymentLine>,
    /// 「手数料を設定」 is offered (not paid, case not closed, not a DX推進員).
    pub can_set_fee: bool,
    pub can_refund: bool,
}

pub async fn staff_box(
    db: &Db,
    app: &ApplicationRow,
    may_act: bool,
    l: Lang,
) -> Result<StaffBox, sqlx::Error> {
    let status = service::fee_status(db, app.id).await?;
    let payments = store::of_application(db, app.id).await?;
    let paid = status.as_ref().is_some_and(|s| s.paid);
    let open = payments
        .iter()
        .any(|p| PaymentState::parse(&p.state).is_some_and(PaymentState::is_open));
    Ok(StaffBox {
        has_fee: status.is_some(),
        amount: status
            .as_ref()
            .map(|s| yen_label(s.fee.amount_yen, l))
            .unwrap_or_default(),
        paid,
        source_key: match status.as_ref().map(|s| s.fee.source.as_str()) {
            Some("staff") => "pay.source_staff",
            _ => "pay.source_submission",
        },
        due_key: status.as_ref().map_or("pay.due_none", due_key),
        payments: payments
            .iter()
            .map(|p| PaymentLine {
                public_id: p.public_id.clone(),
                state: PaymentState::parse(&p.state)
                    .map(|s| s.label(l).to_owned())
                    .unwrap_or_else(|| p.state.clone()),
                amount: yen_label(p.amount_yen, l),
                provider: p.provider.clone(),
                provider_ref: p.provider_ref.clone().unwrap_or_default(),
                updated: l.datetime(p.updated_at),
                refundable: may_act && p.state == PaymentState::Succeeded.as_str(),
            })
            .collect(),
        can_set_fee: may_act && !paid && !open && !closed_for_payment(app),
        can_refund: may_act,
    })
}
