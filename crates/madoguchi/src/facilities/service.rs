//! Bookings, user IDs and lotteries: each function is one transaction holding the change and
//! its audit event. The rules come from `model`; this module stores what they decide.
//!
//! No double booking: the overlap check and the unit rows are written in one transaction.
//! On SQLite `Db::begin` is `BEGIN IMMEDIATE` on the single writer, so bookings run one after
//! another (and the trigger `fac_reservation_units_exclusion` refuses an overlap anyway); on
//! PostgreSQL two bookings may pass the check at once, and the exclusion constraint
//! `fac_units_no_overlap` refuses the second insert (SQLSTATE 23P01), which is answered as an
//! overlap like the check's own refusal.

use sea_query::ExprTrait;
use serde_json::json;

use super::model::{self, Refusal};
use super::store::{self, FacUserRow, NewReservation, ReservationRow};
use crate::audit::{self, Actor};
use crate::db::{Db, Tx, now_ms};

#[derive(Debug, thiserror::Error)]
pub enum FacError {
    #[error("refused: {}", .0.code())]
    Refused(Refusal),
    /// Bad input: the message key naming the field and the fix.
    #[error("invalid: {0}")]
    Invalid(&'static str),
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl From<Refusal> for FacError {
    fn from(r: Refusal) -> Self {
        FacError::Refused(r)
    }
}

/// Whether a database error is the database's own no-double-booking guard.
pub fn is_overlap_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => {
            d.code().as_deref() == Some("23P01") || d.message().contains("fac_units_no_overlap")
        }
        _ => false,
    }
}

/// A reservation's public id, `R3F2A91-BC0D4E` (two blocks of six: never 12 digits in a row).
pub fn public_id() -> String {
    format!(
        "R{}-{}",
        hex::encode(rand::random::<[u8; 3]>()).to_uppercase(),
        hex::encode(rand::random::<[u8; 3]>()).to_uppercase()
    )
}

/// A booking request.
#[derive(Debug, Clone)]
pub struct BookRequest {
    pub room: i64,
    pub start: i64,
    pub end: i64,
    pub purpose: String,
    /// A 減免 category (`model::GENMEN`): the booking goes to staff review.
    pub genmen: Option<String>,
}

/// The user ID of a resident, checked for use at a facility: registered, approved for it and
/// not expired.
async fn usable_user(
    tx: &mut Tx,
    municipality: &str,
    resident: i64,
    facility: i64,
    now: i64,
) -> Result<FacUserRow, FacError> {
    let u = store::user_of_resident_tx(tx, municipality, resident)
        .await?
        .ok_or(Refusal::NotRegistered)?;
    if !store::approved_tx(tx, u.id, facility).await? {
        return Err(Refusal::NotRegistered.into());
    }
    let until = model::parse_date(&u.valid_until).ok_or(Refusal::Expired)?;
    if model::jst_date(now) > until {
        return Err(Refusal::Expired.into());
    }
    Ok(u)
}

fn month_bounds(start: i64) -> (i64, i64) {
    let d = model::jst_date(start);
    let first = model::add_months(d, 0);
    (
        model::jst_ms(first, 0),
        model::jst_ms(model::add_months(d, 1), 0),
    )
}

/// Books a room for the resident's user ID. `Ok` holds the new reservation.
///
/// Group commit: bookings arriving together share one write transaction and one flush
/// (`Db::grouped`). Each runs inside its own `SAVEPOINT`, so a refused booking (an overlap, a
/// rule) rolls back only its own statements and answers its refusal while the others of the
/// batch commit. The checks and inserts of one batch run one after the other on the committer's
/// connection, so the overlap check sees every booking before it; the database's own guards
/// (the exclusion constraint, the SQLite trigger) still refuse an overlap written any other way.
pub async fn book(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    resident: i64,
    req: &BookRequest,
) -> Result<ReservationRow, FacError> {
    if !model::PURPOSES.contains(&req.purpose.as_str()) {
        return Err(FacError::Invalid("fac.bad_purpose"));
    }
    let job = std::sync::Arc::new((municipality.to_owned(), actor.clone(), req.clone()));
    db.grouped(move |tx| {
        let job = job.clone();
        Box::pin(async move {
            let (m, actor, req) = &*job;
            tx.execute_raw("SAVEPOINT fac_book").await?;
            match book_tx(tx, m, actor, resident, req, now_ms()).await {
                Ok(row) => {
                    tx.execute_raw("RELEASE SAVEPOINT fac_book").await?;
                    Ok(Ok(row))
                }
                // A database failure fails the batch (which then runs each booking alone).
                Err(FacError::Db(e)) => Err(FacError::Db(e)),
                Err(refused) => {
                    tx.execute_raw("ROLLBACK TO SAVEPOINT fac_book").await?;
                    tx.execute_raw("RELEASE SAVEPOINT fac_book").await?;
                    Ok(Err(refused))
                }
            }
        })
    })
    .await?
}

/// One booking inside the caller's transaction: the checks, the reservation, its units, the
/// audit event. A refusal is an `Err` other than `FacError::Db` (its statements are for the
/// caller to roll back).
async fn book_tx(
    tx: &mut Tx,
    municipality: &str,
    actor: &Actor,
    resident: i64,
    req: &BookRequest,
    now: i64,
) -> Result<ReservationRow, FacError> {
    let room = store::room_tx(tx, req.room)
        .await?
        .ok_or(FacError::NotFound)?;
    let facility = store::facility_tx(tx, room.facility_id)
        .await?
        .filter(|f| f.municipality_id == municipality)
        .ok_or(FacError::NotFound)?;
    let user = usable_user(tx, municipality, resident, facility.id, now).await?;
    if model::screen(
        &facility.terms(),
        user.kind == "group",
        std::slice::from_ref(&req.purpose),
    )
    .is_some()
    {
        return Err(Refusal::Terms.into());
    }
    model::check_time(now, req.start, req.end, &room.hours(), &facility.rules())?;
    let slots = (req.end - req.start) / (room.slot_min * model::MINUTE_MS);
    let per_slot = if user.citizen {
        room.fee_citizen_yen
    } else {
        room.fee_other_yen
    };
    let fee = model::fee(per_slot, slots, req.genmen.as_deref())
        .ok_or(FacError::Invalid("fac.bad_genmen"))?;
    // The user ID's row lock: this user's bookings are counted one after the other.
    store::lock_user(tx, user.id, now).await?;
    let (from, to) = month_bounds(req.start);
    if store::count_live(tx, user.id, from, to, None).await? >= facility.max_per_month {
        return Err(Refusal::MonthlyLimit.into());
    }
    let atoms = store::atoms_tx(tx, room.id).await?;
    if store::open_lottery_slots(tx, &atoms, req.start, req.end).await? > 0 {
        return Err(Refusal::Lottery.into());
    }
    if store::overlapping(tx, &atoms, req.start, req.end, None).await? > 0 {
        return Err(Refusal::Overlap.into());
    }
    let pid = public_id();
    // 減免: staff review first. A fee: 支払待ち until paid online, by the deadline.
    let (status, pay_by) = if req.genmen.is_some() {
        ("review", None)
    } else if fee > 0 {
        let minutes = store::payment_minutes_tx(tx, municipality).await?;
        ("unpaid", Some(now + minutes * model::MINUTE_MS))
    } else {
        ("confirmed", None)
    };
    let id = store::insert_reservation(
        tx,
        &NewReservation {
            municipality,
            public_id: &pid,
            room: room.id,
            user: user.id,
            start: req.start,
            end: req.end,
            status,
            purpose: &req.purpose,
            fee,
            genmen: req.genmen.as_deref(),
            lottery_entry: None,
            confirm_by: None,
            pay_by,
            now,
        },
    )
    .await?;
    if let Err(e) = store::insert_units(tx, id, &atoms, req.start, req.end).await {
        return Err(if is_overlap_violation(&e) {
            Refusal::Overlap.into()
        } else {
            e.into()
        });
    }
    audit::record(
        tx,
        municipality,
        actor,
        "facility.reserved",
        &format!("reservation:{pid}"),
        json!({ "user": user.user_number, "room": room.id, "start": model::jst_text(req.start), "end": model::jst_text(req.end),
                "status": status, "fee": fee, "genmen": req.genmen, "pay_by": pay_by.map(model::jst_text) }),
    )
    .await?;
    store::reservation_by_id_tx(tx, id)
        .await?
        .ok_or(FacError::NotFound)
}

/// The resident's own live reservation (others are "not found").
async fn own_tx(
    tx: &mut Tx,
    municipality: &str,
    resident: i64,
    public_id: &str,
) -> Result<(ReservationRow, FacUserRow), FacError> {
    let r = store::reservation_tx(tx, municipality, public_id)
        .await?
        .ok_or(FacError::NotFound)?;
    let u = store::user_of_resident_tx(tx, municipality, resident)
        .await?
        .ok_or(FacError::NotFound)?;
    if r.fac_user_id != u.id {
        return Err(FacError::NotFound);
    }
    Ok((r, u))
}

/// What a cancellation did about money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cancelled {
    /// The payment of the cancelled booking now due for a full refund (使用料の還付), and its
    /// amount: carried out right after by the caller
    /// (`payments::service::carry_out_refunds`) and, failing that, by the facilities job.
    pub refund: Option<(i64, i64)>,
}

/// Cancels a booking before the facility's deadline. A booking that was paid online is
/// refunded in full: the payment is marked for the refund in the same transaction, so the
/// decision survives a crash and is made once.
pub async fn cancel(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    resident: i64,
    public_id: &str,
) -> Result<Cancelled, FacError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let (r, _) = own_tx(&mut tx, municipality, resident, public_id).await?;
    if !store::LIVE.contains(&r.status.as_str()) {
        return Err(Refusal::NotChangeable.into());
    }
    let room = store::room_tx(&mut tx, r.room_id)
        .await?
        .ok_or(FacError::NotFound)?;
    let facility = store::facility_tx(&mut tx, room.facility_id)
        .await?
        .ok_or(FacError::NotFound)?;
    // A win not yet confirmed and a booking not yet paid can be let go at any time.
    if r.status != "won" && r.status != "unpaid" {
        model::check_cancel(now, r.starts_at, &facility.rules())?;
    }
    store::delete_units(&mut tx, r.id).await?;
    if store::set_status(&mut tx, r.id, &r.status, "cancelled", now).await? != 1 {
        return Err(Refusal::NotChangeable.into());
    }
    audit::record(
        &mut tx,
        municipality,
        actor,
        "facility.cancelled",
        &format!("reservation:{public_id}"),
        json!({ "from": r.status }),
    )
    .await?;
    let refund = refund_paid_tx(&mut tx, municipality, &r, actor, "cancelled", now).await?;
    tx.commit().await?;
    Ok(Cancelled { refund })
}

/// Marks the succeeded payments of booking `r` (normally one) for a full refund. Returns the
/// (last) payment marked and its amount.
async fn refund_paid_tx(
    tx: &mut Tx,
    municipality: &str,
    r: &ReservationRow,
    actor: &Actor,
    why: &str,
    now: i64,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let mut marked = None;
    for p in crate::payments::store::of_reservation_tx(tx, r.id).await? {
        if p.state == crate::payments::state::PaymentState::Succeeded.as_str() {
            let payment = Paid {
                id: p.id,
                public_id: &p.public_id,
                amount: p.amount_yen,
            };
            if mark_refund_tx(tx, municipality, r, &payment, actor, why, now).await? {
                marked = Some((p.id, p.amount_yen));
            }
        }
    }
    Ok(marked)
}

/// Whether booking `reservation` has a succeeded payment (it was paid online).
async fn paid_tx(tx: &mut Tx, reservation: i64) -> Result<bool, sqlx::Error> {
    Ok(crate::payments::store::of_reservation_tx(tx, reservation)
        .await?
        .iter()
        .any(|p| p.state == crate::payments::state::PaymentState::Succeeded.as_str()))
}

/// A succeeded payment of a booking.
struct Paid<'a> {
    id: i64,
    public_id: &'a str,
    amount: i64,
}

/// Marks one payment of booking `r` for a full refund (once), audited
/// `facility.refund_requested` with `why`. True when this call marked it.
async fn mark_refund_tx(
    tx: &mut Tx,
    municipality: &str,
    r: &ReservationRow,
    p: &Paid<'_>,
    actor: &Actor,
    why: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    if !crate::payments::store::request_refund(tx, p.id, now).await? {
        return Ok(false);
    }
    audit::record(
        tx,
        municipality,
        actor,
        "facility.refund_requested",
        &format!("reservation:{}", r.public_id),
        json!({ "payment": p.public_id, "amount_yen": p.amount, "why": why }),
    )
    .await?;
    Ok(true)
}

/// A refund still due (marked, not carried out yet), with the number of its booking.
pub struct DueRefund {
    pub payment: crate::payments::store::PaymentRow,
    /// The booking's public id (empty for a payment that holds none any more).
    pub booking: String,
    /// When the refund was decided (Unix ms).
    pub since: i64,
}

/// The refunds still due in a municipality, oldest first (the staff page and
/// `madoguchi facilities refunds`).
pub async fn refunds_due(db: &Db, municipality: &str) -> Result<Vec<DueRefund>, sqlx::Error> {
    let mut out = Vec::new();
    for p in crate::payments::store::refunds_due(db, crate::payments::store::Due::In(municipality))
        .await?
    {
        let booking = match p.reservation_id {
            Some(id) => store::reservation_by_id(db, id)
                .await?
                .map(|r| r.public_id)
                .unwrap_or_default(),
            None => String::new(),
        };
        out.push(DueRefund {
            since: p.refund_requested_at.unwrap_or(p.updated_at),
            booking,
            payment: p,
        });
    }
    Ok(out)
}

/// Moves a booking to another time in the same room, within the rules (deadline for the old
/// time, hours, days ahead, monthly limit and no overlap for the new one).
pub async fn change(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    resident: i64,
    public_id: &str,
    start: i64,
    end: i64,
) -> Result<ReservationRow, FacError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let (r, user) = own_tx(&mut tx, municipality, resident, public_id).await?;
    if !["confirmed", "review", "unpaid"].contains(&r.status.as_str()) {
        return Err(Refusal::NotChangeable.into());
    }
    let room = store::room_tx(&mut tx, r.room_id)
        .await?
        .ok_or(FacError::NotFound)?;
    let facility = store::facility_tx(&mut tx, room.facility_id)
        .await?
        .ok_or(FacError::NotFound)?;
    model::check_cancel(now, r.starts_at, &facility.rules())?;
    model::check_time(now, start, end, &room.hours(), &facility.rules())?;
    store::lock_user(&mut tx, user.id, now).await?;
    let (from, to) = month_bounds(start);
    if store::count_live(&mut tx, user.id, from, to, Some(r.id)).await? >= facility.max_per_month {
        return Err(Refusal::MonthlyLimit.into());
    }
    let atoms = store::atoms_tx(&mut tx, room.id).await?;
    if store::open_lottery_slots(&mut tx, &atoms, start, end).await? > 0 {
        return Err(Refusal::Lottery.into());
    }
    if store::overlapping(&mut tx, &atoms, start, end, Some(r.id)).await? > 0 {
        return Err(Refusal::Overlap.into());
    }
    let slots = (end - start) / (room.slot_min * model::MINUTE_MS);
    let per_slot = if user.citizen {
        room.fee_citizen_yen
    } else {
        room.fee_other_yen
    };
    let fee = model::fee(per_slot, slots, r.genmen.as_deref()).unwrap_or(per_slot * slots);
    // Refused before anything is rewritten: a paid fee is not topped up or partly refunded.
    if r.status == "confirmed" && fee != r.fee_yen && paid_tx(&mut tx, r.id).await? {
        return Err(Refusal::PaidFeeChange.into());
    }
    store::delete_units(&mut tx, r.id).await?;
    if let Err(e) = store::insert_units(&mut tx, r.id, &atoms, start, end).await {
        return Err(if is_overlap_violation(&e) {
            Refusal::Overlap.into()
        } else {
            e.into()
        });
    }
    store::set_time(&mut tx, r.id, start, end, fee, now).await?;
    audit::record(
        &mut tx,
        municipality,
        actor,
        "facility.changed",
        &format!("reservation:{public_id}"),
        json!({ "from": [model::jst_text(r.starts_at), model::jst_text(r.ends_at)],
                "to": [model::jst_text(start), model::jst_text(end)], "fee": fee }),
    )
    .await?;
    let row = store::reservation_by_id_tx(&mut tx, r.id)
        .await?
        .ok_or(FacError::NotFound)?;
    match tx.commit().await {
        Ok(()) => Ok(row),
        Err(e) if is_overlap_violation(&e) => Err(Refusal::Overlap.into()),
        Err(e) => Err(e.into()),
    }
}

/// Staff decide a booking in review (減免): accept it (confirmed, or 支払待ち when a reduced fee
/// is left to pay) or refuse it (the rooms are freed).
pub async fn decide_review(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    public_id: &str,
    accept: bool,
) -> Result<(), FacError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let r = store::reservation_tx(&mut tx, municipality, public_id)
        .await?
        .ok_or(FacError::NotFound)?;
    let to = match (accept, r.fee_yen > 0) {
        (false, _) => "refused",
        (true, false) => "confirmed",
        (true, true) => "unpaid",
    };
    let moved = if to == "unpaid" {
        let minutes = store::payment_minutes_tx(&mut tx, municipality).await?;
        store::set_unpaid(
            &mut tx,
            r.id,
            "review",
            now + minutes * model::MINUTE_MS,
            now,
        )
        .await?
    } else {
        store::set_status(&mut tx, r.id, "review", to, now).await?
    };
    if moved != 1 {
        return Err(Refusal::NotChangeable.into());
    }
    if !accept {
        store::delete_units(&mut tx, r.id).await?;
    }
    audit::record(
        &mut tx,
        municipality,
        actor,
        if accept {
            "facility.genmen_accepted"
        } else {
            "facility.genmen_refused"
        },
        &format!("reservation:{public_id}"),
        json!({ "genmen": r.genmen, "fee": r.fee_yen, "to": to }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---- paying the fee ---------------------------------------------------------------------------

/// The resident starts paying an unpaid booking (or resumes the provider's page). Returns the
/// provider's page. The booking is confirmed when the provider confirms the payment
/// (`on_paid_tx`, called by `payments::service::apply`).
#[allow(clippy::too_many_arguments)]
pub async fn start_payment<P: crate::payments::provider::PaymentProvider>(
    db: &Db,
    provider: &P,
    cfg: &crate::config::PaymentsConfig,
    municipality: &str,
    resident: i64,
    public_id: &str,
    description: String,
    base_url: &str,
) -> Result<String, crate::payments::service::PayError> {
    use crate::payments::service::{self as pay, Begin, PayError, Payee};
    let r = store::reservation(db, municipality, public_id)
        .await?
        .ok_or(PayError::NotFound)?;
    let u = store::user_of_resident(db, municipality, resident)
        .await?
        .ok_or(PayError::NotFound)?;
    if r.fac_user_id != u.id {
        return Err(PayError::NotFound);
    }
    if r.status == "confirmed" {
        return Err(PayError::AlreadyPaid);
    }
    if r.status != "unpaid" || r.pay_by.is_some_and(|t| now_ms() > t) || r.fee_yen <= 0 {
        return Err(PayError::CaseClosed);
    }
    let existing = crate::payments::store::of_reservation(db, r.id).await?;
    pay::begin(
        db,
        provider,
        cfg,
        Begin {
            municipality,
            payee: Payee::Reservation(r.id),
            amount: r.fee_yen,
            description,
            note: json!({ "reservation": r.public_id }),
            existing,
            actor: Actor::User(resident),
        },
        base_url,
    )
    .await
}

/// The provider confirmed a booking's payment (`payments::service::apply` calls this once per
/// payment, when it reaches `succeeded`): 支払待ち → confirmed, in the payment's transaction.
/// A payment that holds nothing (it arrived after the booking was released or cancelled, for
/// another amount than the booking's fee, changed meanwhile, or for a booking another payment
/// already confirmed) is recorded as `facility.paid_not_held` and marked for a full refund,
/// which the facilities job carries out.
pub async fn on_paid_tx(
    tx: &mut Tx,
    municipality: &str,
    reservation: i64,
    payment: (i64, &str),
    amount: i64,
    actor: &Actor,
    now: i64,
) -> Result<(), sqlx::Error> {
    let (payment_id, payment) = payment;
    let Some(r) = store::reservation_by_id_tx(tx, reservation).await? else {
        return Ok(());
    };
    let held = r.status == "unpaid"
        && amount == r.fee_yen
        && store::set_status(tx, r.id, "unpaid", "confirmed", now).await? == 1;
    if !held {
        tracing::warn!(reservation = %r.public_id, status = %r.status, "payment for a booking no longer held: refund it");
    }
    audit::record(
        tx,
        municipality,
        actor,
        if held {
            "facility.paid"
        } else {
            "facility.paid_not_held"
        },
        &format!("reservation:{}", r.public_id),
        json!({ "payment": payment, "amount_yen": amount, "fee": r.fee_yen, "status": r.status }),
    )
    .await?;
    if !held {
        let paid = Paid {
            id: payment_id,
            public_id: payment,
            amount,
        };
        mark_refund_tx(tx, municipality, &r, &paid, actor, "not_held", now).await?;
    }
    Ok(())
}

/// Releases unpaid bookings past their deadline (their rooms open first-come), as 'forfeited'.
/// A booking whose payment page is still open at the provider waits until that page expires.
/// Returns how many were released.
pub async fn release_unpaid(db: &Db, now: i64) -> Result<usize, sqlx::Error> {
    let mut n = 0;
    for r in store::overdue_unpaid(db, now).await? {
        let open = crate::payments::store::of_reservation(db, r.id)
            .await?
            .iter()
            .any(|p| {
                crate::payments::state::PaymentState::parse(&p.state)
                    .is_some_and(crate::payments::state::PaymentState::is_open)
                    && p.expires_at > now
            });
        if open {
            continue;
        }
        let mut tx = db.begin().await?;
        if store::set_status(&mut tx, r.id, "unpaid", "forfeited", now).await? != 1 {
            continue;
        }
        store::delete_units(&mut tx, r.id).await?;
        audit::record(
            &mut tx,
            &r.municipality_id,
            &Actor::System,
            "facility.unpaid_released",
            &format!("reservation:{}", r.public_id),
            json!({ "pay_by": r.pay_by.map(model::jst_text), "fee": r.fee_yen }),
        )
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

// ---- user IDs ---------------------------------------------------------------------------------

/// What a registration says (from the application's answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub group: bool,
    pub name: String,
    pub citizen: bool,
    pub members: i64,
    pub purposes: Vec<String>,
}

/// Reads a registration from the answers of the 施設利用者登録 form.
pub fn registration_of(
    answers: &serde_json::Map<String, serde_json::Value>,
    applicant: &str,
) -> Registration {
    let s = |k: &str| {
        answers
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let group = s("applicant_kind") == "group";
    let purposes: Vec<String> = answers
        .get("purposes")
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let members: Vec<&serde_json::Value> = answers
        .get("members")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let in_city = members
        .iter()
        .filter(|m| m.get("member_in_city").and_then(|v| v.as_bool()) == Some(true))
        .count() as i64;
    let individual_in_city = answers.get("in_city").and_then(|v| v.as_bool()) == Some(true);
    let n = if group { members.len() as i64 } else { 1 };
    Registration {
        group,
        name: if group && !s("group_name").is_empty() {
            s("group_name")
        } else {
            applicant.to_owned()
        },
        citizen: model::is_citizen(group, individual_in_city, n, in_city),
        members: n,
        purposes,
    }
}

/// Per facility: (facility, None = can be approved | Some(reason key)).
pub fn screening(
    facilities: &[store::FacilityRow],
    reg: &Registration,
) -> Vec<(store::FacilityRow, Option<&'static str>)> {
    facilities
        .iter()
        .map(|f| {
            let reason = if !f.online_registration {
                Some("fac.reason_not_online")
            } else {
                model::screen(&f.terms(), reg.group, &reg.purposes)
            };
            (f.clone(), reason)
        })
        .collect()
}

fn expiry(today: time::Date, mmdd: &str) -> time::Date {
    let (m, d) = mmdd.split_once('-').unwrap_or(("03", "31"));
    model::valid_until(today, m.parse().unwrap_or(3), d.parse().unwrap_or(31))
}

/// Creates or updates the resident's user ID from an approved registration, with the
/// screening result for every facility of the municipality. Inside the caller's transaction.
pub async fn register_tx(
    tx: &mut Tx,
    municipality: &str,
    actor: &Actor,
    resident: i64,
    application: Option<i64>,
    reg: &Registration,
) -> Result<FacUserRow, sqlx::Error> {
    let now = now_ms();
    let (mmdd, _) = store::settings_tx(tx, municipality).await?;
    let until = model::date_string(expiry(model::jst_date(now), &mmdd));
    let purposes = json!(reg.purposes).to_string();
    let existing = store::user_of_resident_tx(tx, municipality, resident).await?;
    let mut row = FacUserRow {
        id: 0,
        municipality_id: municipality.to_owned(),
        user_number: format!("tmp-{}", hex::encode(rand::random::<[u8; 8]>())),
        resident_id: resident,
        kind: if reg.group { "group" } else { "individual" }.into(),
        name: reg.name.clone(),
        citizen: reg.citizen,
        purposes,
        members: reg.members,
        application_id: application,
        valid_until: until,
        created_at: now,
        updated_at: now,
    };
    match existing {
        Some(e) => {
            row.id = e.id;
            row.user_number = e.user_number;
            store::update_user(tx, &row).await?;
        }
        None => {
            row.id = store::insert_user(tx, &row).await?;
            row.user_number = format!("{municipality}-{:06}", row.id);
            tx.execute(
                &sea_query::Query::update()
                    .table(store::FacUsers::Table)
                    .value(store::FacUsers::UserNumber, row.user_number.clone())
                    .and_where(sea_query::Expr::col(store::FacUsers::Id).eq(row.id))
                    .to_owned(),
            )
            .await?;
        }
    }
    let facilities = {
        let q = sea_query::Query::select()
            .column(store::FacFacilities::Id)
            .from(store::FacFacilities::Table)
            .and_where(sea_query::Expr::col(store::FacFacilities::MunicipalityId).eq(municipality))
            .to_owned();
        let ids: Vec<(i64,)> = tx.fetch_all(&q).await?;
        let mut v = Vec::new();
        for (id,) in ids {
            if let Some(f) = store::facility_tx(tx, id).await? {
                v.push(f);
            }
        }
        v
    };
    let mut approved = Vec::new();
    for (f, reason) in screening(&facilities, reg) {
        store::set_user_facility(tx, row.id, f.id, reason.is_none(), reason.unwrap_or("")).await?;
        if reason.is_none() {
            approved.push(f.code.clone());
        }
    }
    audit::record(
        tx,
        municipality,
        actor,
        "facility.user_registered",
        &format!("facility_user:{}", row.user_number),
        json!({ "application": application, "kind": row.kind, "citizen": row.citizen,
                "purposes": reg.purposes, "valid_until": row.valid_until, "approved": approved }),
    )
    .await?;
    Ok(row)
}

/// Renews a user ID online (from three months before it expires): valid until the next expiry.
pub async fn renew(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    resident: i64,
) -> Result<String, FacError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let u = store::user_of_resident_tx(&mut tx, municipality, resident)
        .await?
        .ok_or(FacError::NotFound)?;
    let today = model::jst_date(now);
    let until = model::parse_date(&u.valid_until).unwrap_or(today);
    if !model::may_renew(today, until) {
        return Err(FacError::Invalid("fac.renew_not_yet"));
    }
    let (mmdd, _) = store::settings_tx(&mut tx, municipality).await?;
    let base = if until >= today {
        until + time::Duration::days(1)
    } else {
        today
    };
    let next = model::date_string(expiry(base, &mmdd));
    store::set_valid_until(&mut tx, u.id, &next, now).await?;
    audit::record(
        &mut tx,
        municipality,
        actor,
        "facility.user_renewed",
        &format!("facility_user:{}", u.user_number),
        json!({ "from": u.valid_until, "to": next }),
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// Links a facility's old user ID to the one user ID (staff).
pub async fn link_legacy(
    db: &Db,
    municipality: &str,
    staff: i64,
    number: &str,
    facility: i64,
    legacy: &str,
) -> Result<(), FacError> {
    let legacy = legacy.trim();
    if legacy.is_empty() || legacy.chars().count() > 40 {
        return Err(FacError::Invalid("fac.bad_legacy"));
    }
    let u = store::user_by_number(db, municipality, number)
        .await?
        .ok_or(FacError::NotFound)?;
    store::facility(db, municipality, facility)
        .await?
        .ok_or(FacError::NotFound)?;
    let mut tx = db.begin().await?;
    match store::link_legacy(&mut tx, facility, legacy, u.id, staff, now_ms()).await {
        Ok(()) => {}
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(FacError::Invalid("fac.legacy_taken"));
        }
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        municipality,
        &Actor::User(staff),
        "facility.legacy_linked",
        &format!("facility_user:{number}"),
        json!({ "facility": facility, "legacy_id": legacy }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Writes the configured settings of a municipality (server start, demo), audited when they change.
pub async fn sync_settings(
    db: &Db,
    municipality: &str,
    expires_on: &str,
    months_before: i64,
    payment_minutes: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.begin().await?;
    let cur = store::settings_tx(&mut tx, municipality).await?;
    let minutes = store::payment_minutes_tx(&mut tx, municipality).await?;
    if cur == (expires_on.to_owned(), months_before) && minutes == payment_minutes {
        return Ok(());
    }
    store::put_settings(
        &mut tx,
        municipality,
        expires_on,
        months_before,
        payment_minutes,
    )
    .await?;
    audit::record(
        &mut tx,
        municipality,
        &Actor::System,
        "facility.settings",
        "facility_settings",
        json!({ "expires_on": expires_on, "lottery_months_before": months_before, "payment_minutes": payment_minutes }),
    )
    .await?;
    tx.commit().await
}
