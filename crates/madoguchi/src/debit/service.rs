//! Mandates: starting one (pending, signed redirect to the bank), the bank's return (only a
//! verified, fresh, first return of the outstanding nonce activates it), staff moves.

use serde_json::json;

use super::bank::{self, Outcome, Return};
use super::model::{self, MandateStatus};
use super::store::{self, MandateRow, NewMandate};
use crate::audit::{self, Actor};
use crate::auth::store::UserRow;
use crate::config::Config;
use crate::db::{Db, now_ms};
use crate::web::i18n::Lang;

/// What the resident chose, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub items: Vec<String>,
    pub bank: String,
    pub branch: String,
    pub account_type: i64,
    /// 7 digits.
    pub account_number: String,
    /// 全銀 half-width kana.
    pub holder_kana: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DebitError {
    #[error("not found")]
    NotFound,
    #[error("this bank is not available for direct debit")]
    BankNotAvailable,
    #[error("an item is not offered or already registered")]
    BadItems,
    #[error("the return from the bank was already used or does not belong to this mandate")]
    Replayed,
    #[error("the registration at the bank took too long")]
    Expired,
    #[error("this change is not allowed in the mandate's state")]
    NotAllowed,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl DebitError {
    pub fn key(&self) -> &'static str {
        match self {
            DebitError::NotFound => "debit.err_not_found",
            DebitError::BankNotAvailable => "debit.err_bank_unavailable",
            DebitError::BadItems => "debit.err_items",
            DebitError::Replayed => "debit.err_replayed",
            DebitError::Expired => "debit.err_expired",
            DebitError::NotAllowed => "debit.err_not_allowed",
            DebitError::Db(_) => "debit.err_internal",
        }
    }
}

/// Whether the bank is offered by the municipality and configured (has a secret).
pub async fn bank_available(
    db: &Db,
    cfg: &Config,
    municipality: &str,
    bank: &str,
) -> Result<bool, sqlx::Error> {
    let configured = cfg
        .debit
        .banks
        .get(bank)
        .is_some_and(|b| !b.secret.is_empty());
    Ok(configured
        && store::accepted_banks(db, municipality)
            .await?
            .iter()
            .any(|b| b.code == bank))
}

/// Stores the mandate as pending and returns the signed URL of the bank's page.
pub async fn start(
    db: &Db,
    cfg: &Config,
    municipality: &str,
    user: &UserRow,
    d: &Draft,
    base_url: &str,
) -> Result<String, DebitError> {
    if !bank_available(db, cfg, municipality, &d.bank).await? {
        return Err(DebitError::BankNotAvailable);
    }
    let offered: Vec<String> = store::items(db, municipality)
        .await?
        .into_iter()
        .map(|i| i.code)
        .collect();
    let live = store::live_items_of_resident(db, municipality, user.id).await?;
    if d.items.is_empty()
        || d.items
            .iter()
            .any(|i| !offered.contains(i) || live.contains(i))
    {
        return Err(DebitError::BadItems);
    }
    if store::branch(db, &d.bank, &d.branch).await?.is_none() {
        return Err(DebitError::BankNotAvailable);
    }
    let now = now_ms();
    let nonce = crate::auth::token::random_secret();
    let expires = now + cfg.debit.redirect_minutes.max(1) * 60_000;
    let public_id = uuid::Uuid::new_v4().simple().to_string();
    let mut tx = db.begin().await?;
    // Checked again under the resident's lock: a confirmation sent twice at once (two tabs,
    // a double click) must not take an item twice.
    let live = store::lock_live_items_of_resident(&mut tx, municipality, user.id).await?;
    if d.items.iter().any(|i| live.contains(i)) {
        return Err(DebitError::BadItems);
    }
    let m = store::insert_mandate(
        &mut tx,
        &NewMandate {
            municipality,
            customer_number: None,
            public_id: &public_id,
            resident_id: Some(user.id),
            channel: "web",
            bank_code: &d.bank,
            branch_code: &d.branch,
            account_type: d.account_type,
            account_number: &d.account_number,
            holder_kana: &d.holder_kana,
            status: "pending",
            starts_on: None,
            bank_nonce: Some(&nonce),
            bank_expires_at: Some(expires),
            activated_at: None,
            items: &d.items,
            now,
        },
    )
    .await?;
    audit::record(
        &mut tx,
        municipality,
        &Actor::User(user.id),
        "debit.mandate.requested",
        &format!("debit_mandate:{}", m.public_id),
        json!({ "bank": d.bank, "branch": d.branch, "items": d.items }),
    )
    .await?;
    tx.commit().await?;
    let bank_cfg = cfg
        .debit
        .banks
        .get(&d.bank)
        .ok_or(DebitError::BankNotAvailable)?;
    Ok(bank::redirect_url(bank_cfg, base_url, &m, &nonce, expires))
}

/// A pending mandate whose bank step was cancelled or failed: a new signed redirect.
pub async fn retry(
    db: &Db,
    cfg: &Config,
    municipality: &str,
    user: &UserRow,
    public_id: &str,
    base_url: &str,
) -> Result<String, DebitError> {
    let m = own(db, municipality, user, public_id).await?;
    if m.status != "pending" {
        return Err(DebitError::NotAllowed);
    }
    if !bank_available(db, cfg, municipality, &m.bank_code).await? {
        return Err(DebitError::BankNotAvailable);
    }
    // Meanwhile another mandate may have taken one of its items: one account per item.
    let live = store::live_items_of_resident(db, municipality, user.id).await?;
    let mine = store::items_of(db, &[m.id])
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    if mine.iter().any(|i| live.contains(i)) {
        return Err(DebitError::BadItems);
    }
    let now = now_ms();
    let nonce = crate::auth::token::random_secret();
    let expires = now + cfg.debit.redirect_minutes.max(1) * 60_000;
    let mut tx = db.begin().await?;
    let live = store::lock_live_items_of_resident(&mut tx, municipality, user.id).await?;
    if mine.iter().any(|i| live.contains(i)) {
        return Err(DebitError::BadItems);
    }
    if !store::set_nonce(&mut tx, m.id, &nonce, expires, now).await? {
        return Err(DebitError::NotAllowed);
    }
    audit::record(
        &mut tx,
        municipality,
        &Actor::User(user.id),
        "debit.mandate.retried",
        &format!("debit_mandate:{}", m.public_id),
        json!({ "bank": m.bank_code }),
    )
    .await?;
    tx.commit().await?;
    let bank_cfg = cfg
        .debit
        .banks
        .get(&m.bank_code)
        .ok_or(DebitError::BankNotAvailable)?;
    Ok(bank::redirect_url(bank_cfg, base_url, &m, &nonce, expires))
}

/// The resident's own mandate, or NotFound (also for anyone else's).
pub async fn own(
    db: &Db,
    municipality: &str,
    user: &UserRow,
    public_id: &str,
) -> Result<MandateRow, DebitError> {
    let m = store::mandate_by_public(db, municipality, public_id)
        .await?
        .ok_or(DebitError::NotFound)?;
    if m.resident_id != Some(user.id) || user.kind != "resident" {
        return Err(DebitError::NotFound);
    }
    Ok(m)
}

/// Applies a verified return. Only the outstanding nonce of a pending mandate, before it
/// expired, from the mandate's own bank, is accepted; anything else changes nothing.
pub async fn complete(
    db: &Db,
    municipality: &str,
    user: &UserRow,
    r: &Return,
    l: Lang,
) -> Result<(MandateRow, Outcome), DebitError> {
    let m = own(db, municipality, user, &r.mandate).await?;
    if m.bank_code != r.bank
        || m.status != "pending"
        || m.bank_nonce.as_deref() != Some(r.nonce.as_str())
    {
        return Err(DebitError::Replayed);
    }
    let now = now_ms();
    if m.bank_expires_at.is_none_or(|e| e < now) {
        return Err(DebitError::Expired);
    }
    let target = format!("debit_mandate:{}", m.public_id);
    let mut tx = db.begin().await?;
    match r.outcome {
        Outcome::Confirmed => {
            let starts = model::iso(model::starts_on(now));
            let bank_ref = if r.bank_ref.is_empty() {
                "-"
            } else {
                r.bank_ref.as_str()
            };
            if !store::activate(&mut tx, m.id, &r.nonce, &starts, bank_ref, now).await? {
                return Err(DebitError::Replayed);
            }
            audit::record(
                &mut tx,
                municipality,
                &Actor::User(user.id),
                "debit.mandate.activated",
                &target,
                json!({ "bank": m.bank_code, "bank_ref": bank_ref, "starts_on": starts }),
            )
            .await?;
            let m2 = store::mandate_by_public_tx(&mut tx, municipality, &m.public_id)
                .await?
                .ok_or(DebitError::NotFound)?;
            let (subject, body) = completion_mail(db, &m2, l).await?;
            crate::mail::enqueue(&mut tx, municipality, &user.email, &subject, &body).await?;
            tx.commit().await?;
            Ok((m2, Outcome::Confirmed))
        }
        o => {
            if !store::clear_nonce(&mut tx, m.id, &r.nonce, now).await? {
                return Err(DebitError::Replayed);
            }
            let action = if o == Outcome::Cancelled {
                "debit.mandate.bank_cancelled"
            } else {
                "debit.mandate.bank_error"
            };
            audit::record(
                &mut tx,
                municipality,
                &Actor::User(user.id),
                action,
                &target,
                json!({ "bank": m.bank_code }),
            )
            .await?;
            tx.commit().await?;
            Ok((m, o))
        }
    }
}

/// Names shown for a mandate: items, bank, branch.
pub struct Names {
    pub items: Vec<String>,
    pub bank: String,
    pub branch: String,
}

pub async fn names(db: &Db, m: &MandateRow, l: Lang) -> Result<Names, sqlx::Error> {
    let all = store::items(db, &m.municipality_id).await?;
    let mine = store::items_of(db, &[m.id])
        .await?
        .remove(&m.id)
        .unwrap_or_default();
    let items = mine
        .iter()
        .map(|code| {
            all.iter()
                .find(|i| &i.code == code)
                .map(|i| match l {
                    Lang::Ja => i.name_ja.clone(),
                    Lang::En => i.name_en.clone(),
                })
                .unwrap_or_else(|| code.clone())
        })
        .collect();
    let bank = store::bank(db, &m.bank_code)
        .await?
        .map(|b| bank_display(&b.name))
        .unwrap_or_else(|| m.bank_code.clone());
    let branch = store::branch(db, &m.bank_code, &m.branch_code)
        .await?
        .map(|b| b.name)
        .unwrap_or_else(|| m.branch_code.clone());
    Ok(Names {
        items,
        bank,
        branch,
    })
}

/// zengin-code's short names (`千葉`, `ゆうちょ`, `千葉信金`) as residents know them.
pub fn bank_display(short: &str) -> String {
    if short.ends_with("信金") {
        format!("{}信用金庫", short.trim_end_matches("信金"))
    } else if short.ends_with("銀行")
        || short.ends_with("信用金庫")
        || short.ends_with("信組")
        || short.ends_with("労金")
        || short.ends_with("農協")
        || short.ends_with("ＪＡ")
    {
        short.to_owned()
    } else {
        format!("{short}銀行")
    }
}

/// `*****67`: only the last two digits of an account number.
pub fn masked(account: &str) -> String {
    let n = account.chars().count();
    account
        .chars()
        .enumerate()
        .map(|(i, c)| if i + 2 < n { '*' } else { c })
        .collect()
}

async fn completion_mail(
    db: &Db,
    m: &MandateRow,
    l: Lang,
) -> Result<(String, String), sqlx::Error> {
    let n = names(db, m, l).await?;
    let starts = m.starts_on.clone().unwrap_or_default();
    let subject = l.t("debit.mail_subject").to_owned();
    let body = format!(
        "{}\n\n{}: {}\n{}: {} {}\n{}: {}\n{}: {}\n{}: {}\n\n{}\n",
        l.t("debit.mail_lead"),
        l.t("debit.col_items"),
        n.items.join("、"),
        l.t("debit.col_bank"),
        n.bank,
        n.branch,
        l.t("debit.col_account"),
        masked(&m.account_number),
        l.t("debit.col_starts"),
        starts,
        l.t("debit.col_number"),
        m.public_id,
        l.t("debit.mail_foot"),
    );
    Ok((subject, body))
}

/// Staff: suspend, resume or cancel a mandate (audited).
pub async fn staff_set_status(
    db: &Db,
    municipality: &str,
    staff: &UserRow,
    public_id: &str,
    to: MandateStatus,
    reason: &str,
) -> Result<MandateRow, DebitError> {
    let m = store::mandate_by_public(db, municipality, public_id)
        .await?
        .ok_or(DebitError::NotFound)?;
    let from = MandateStatus::parse(&m.status).ok_or(DebitError::NotAllowed)?;
    if !from.staff_may(to) {
        return Err(DebitError::NotAllowed);
    }
    let now = now_ms();
    let mut tx = db.begin().await?;
    if !store::set_status(&mut tx, m.id, from.as_str(), to.as_str(), now).await? {
        return Err(DebitError::NotAllowed);
    }
    let action = match (from, to) {
        (MandateStatus::Suspended, MandateStatus::Active) => "debit.mandate.resumed",
        (_, MandateStatus::Suspended) => "debit.mandate.suspended",
        _ => "debit.mandate.cancelled",
    };
    audit::record(
        &mut tx,
        municipality,
        &Actor::User(staff.id),
        action,
        &format!("debit_mandate:{}", m.public_id),
        json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason }),
    )
    .await?;
    let m2 = store::mandate_by_public_tx(&mut tx, municipality, public_id)
        .await?
        .ok_or(DebitError::NotFound)?;
    tx.commit().await?;
    Ok(m2)
}
