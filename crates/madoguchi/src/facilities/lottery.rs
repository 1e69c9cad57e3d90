//! 抽選: monthly lotteries of popular slots. The seed is drawn when the lottery is created and
//! only its SHA-256 is shown until the draw; the draw (`model::draw`) is a pure function of the
//! seed and the entry list, so anyone can re-run it once the seed is revealed
//! (`madoguchi facilities lottery verify ID`). Winners hold their rooms as 'won' bookings and
//! confirm before the deadline, or the job forfeits them and the rooms open first-come.

use sea_query::ExprTrait;
use serde_json::json;

use super::model::{self, Refusal};
use super::service::FacError;
use super::store::{self, LotteryRow, NewReservation};
use crate::audit::{self, Actor};
use crate::db::{Db, now_ms};

/// A new lottery for a facility: its slots (room, start, end) in `target_month`, with the
/// entry window of `model::lottery_window` (or `window` when given: opens, closes, draw,
/// confirm until). Slots of one lottery may not share a room at the same time.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    facility: i64,
    target_month: &str,
    slots: &[(i64, i64, i64)],
    max_entries: i64,
    window: Option<(i64, i64, i64, i64)>,
) -> Result<i64, FacError> {
    let month = model::parse_month(target_month).ok_or(FacError::Invalid("fac.bad_month"))?;
    let f = store::facility(db, municipality, facility)
        .await?
        .ok_or(FacError::NotFound)?;
    if slots.is_empty() || max_entries < 1 {
        return Err(FacError::Invalid("fac.bad_slots"));
    }
    let mut tx = db.begin().await?;
    let (_, months_before) = store::settings_tx(&mut tx, municipality).await?;
    let (opens, closes, draw_at, confirm) =
        window.unwrap_or_else(|| model::lottery_window(month, months_before as i32));
    let mut held: Vec<(i64, i64, i64)> = Vec::new();
    for &(room, s, e) in slots {
        let r = store::room_tx(&mut tx, room)
            .await?
            .ok_or(FacError::NotFound)?;
        if r.facility_id != f.id || model::month_string(model::jst_date(s)) != target_month {
            return Err(FacError::Invalid("fac.bad_slots"));
        }
        model::check_time(
            s - 1,
            s,
            e,
            &r.hours(),
            &model::Rules {
                book_ahead_days: 10_000,
                ..f.rules()
            },
        )?;
        for a in store::atoms_tx(&mut tx, room).await? {
            if held
                .iter()
                .any(|&(b, hs, he)| b == a && model::overlaps((s, e), (hs, he)))
            {
                return Err(FacError::Invalid("fac.bad_slots"));
            }
            held.push((a, s, e));
        }
    }
    let seed = hex::encode(rand::random::<[u8; 32]>());
    let seed_hash = model::seed_hash(&seed);
    let now = now_ms();
    let id = store::insert_lottery(
        &mut tx,
        &LotteryRow {
            id: 0,
            municipality_id: municipality.to_owned(),
            facility_id: f.id,
            target_month: target_month.to_owned(),
            opens_at: opens,
            closes_at: closes,
            draw_at,
            confirm_until: confirm,
            max_entries,
            citizens_only: f.citizens_only_lottery,
            seed,
            seed_hash: seed_hash.clone(),
            status: "open".into(),
            drawn_at: None,
            created_at: now,
        },
    )
    .await
    .map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            FacError::Invalid("fac.lottery_exists")
        } else {
            e.into()
        }
    })?;
    for &(room, s, e) in slots {
        store::insert_slot(&mut tx, id, room, s, e).await?;
    }
    audit::record(
        &mut tx,
        municipality,
        actor,
        "facility.lottery_created",
        &format!("lottery:{id}"),
        json!({ "facility": f.code, "month": target_month, "seed_sha256": model::blocks(&seed_hash),
                "slots": slots.len(), "opens": model::jst_text(opens), "closes": model::jst_text(closes), "draw_at": model::jst_text(draw_at) }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Enters the resident's user ID for one slot of a lottery.
pub async fn enter(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    resident: i64,
    lottery: i64,
    slot: i64,
) -> Result<i64, FacError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let l = store::lottery_tx(&mut tx, lottery)
        .await?
        .filter(|l| l.municipality_id == municipality)
        .ok_or(FacError::NotFound)?;
    let s = store::slot_tx(&mut tx, slot)
        .await?
        .filter(|s| s.lottery_id == l.id)
        .ok_or(FacError::NotFound)?;
    if l.status != "open" || now < l.opens_at || now >= l.closes_at {
        return Err(FacError::Invalid("fac.lottery_closed"));
    }
    let u = store::user_of_resident_tx(&mut tx, municipality, resident)
        .await?
        .ok_or(Refusal::NotRegistered)?;
    if !store::approved_tx(&mut tx, u.id, l.facility_id).await? {
        return Err(Refusal::NotRegistered.into());
    }
    if model::parse_date(&u.valid_until).is_none_or(|d| model::jst_date(now) > d) {
        return Err(Refusal::Expired.into());
    }
    if l.citizens_only && !u.citizen {
        return Err(FacError::Invalid("fac.lottery_citizens_only"));
    }
    store::lock_user(&mut tx, u.id, now).await?;
    if store::count_entries(&mut tx, l.id, u.id).await? >= l.max_entries {
        return Err(FacError::Invalid("fac.lottery_limit"));
    }
    let id = match store::insert_entry(&mut tx, l.id, s.id, u.id, now).await {
        Ok(id) => id,
        Err(e) if crate::db::is_unique_violation(&e) => {
            return Err(FacError::Invalid("fac.lottery_already"));
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &mut tx,
        municipality,
        actor,
        "facility.lottery_entered",
        &format!("lottery:{}", l.id),
        json!({ "entry": id, "slot": s.id, "user": u.user_number }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What a draw did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub lottery: i64,
    pub winners: Vec<(i64, i64)>,
    pub entries: usize,
}

/// Runs the draw of one lottery (once: a second call finds it drawn and does nothing).
pub async fn draw(db: &Db, lottery: i64, actor: &Actor) -> Result<Option<Drawn>, FacError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let l = store::lottery_tx(&mut tx, lottery)
        .await?
        .ok_or(FacError::NotFound)?;
    if store::set_drawn(&mut tx, l.id, now).await? != 1 {
        return Ok(None);
    }
    let entries = store::entries_tx(&mut tx, l.id).await?;
    let pairs: Vec<(i64, i64)> = entries.iter().map(|e| (e.id, e.slot_id)).collect();
    let winners = model::draw(&l.seed, &pairs);
    for e in &entries {
        let Some(_) = winners.iter().find(|(_, w)| *w == e.id) else {
            store::set_entry_result(&mut tx, e.id, "lost", None).await?;
            continue;
        };
        let s = store::slot_tx(&mut tx, e.slot_id)
            .await?
            .ok_or(FacError::NotFound)?;
        let room = store::room_tx(&mut tx, s.room_id)
            .await?
            .ok_or(FacError::NotFound)?;
        let user = {
            let q = sea_query::Query::select()
                .columns([store::FacUsers::Citizen])
                .from(store::FacUsers::Table)
                .and_where(sea_query::Expr::col(store::FacUsers::Id).eq(e.fac_user_id))
                .to_owned();
            let (c,): (bool,) = tx.fetch_one(&q).await?;
            c
        };
        let slots = (s.ends_at - s.starts_at) / (room.slot_min * model::MINUTE_MS);
        let fee = slots
            * if user {
                room.fee_citizen_yen
            } else {
                room.fee_other_yen
            };
        let atoms = store::atoms_tx(&mut tx, room.id).await?;
        if store::overlapping(&mut tx, &atoms, s.starts_at, s.ends_at, None).await? > 0 {
            // Cannot happen (lottery slots are closed to first-come); recorded, not hidden.
            store::set_entry_result(&mut tx, e.id, "lost", None).await?;
            tracing::error!(lottery = l.id, slot = s.id, "lottery slot already booked");
            continue;
        }
        let pid = super::service::public_id();
        let rid = store::insert_reservation(
            &mut tx,
            &NewReservation {
                municipality: &l.municipality_id,
                public_id: &pid,
                room: room.id,
                user: e.fac_user_id,
                start: s.starts_at,
                end: s.ends_at,
                status: "won",
                purpose: "meeting",
                fee,
                genmen: None,
                lottery_entry: Some(e.id),
                confirm_by: Some(l.confirm_until),
                now,
            },
        )
        .await?;
        store::insert_units(&mut tx, rid, &atoms, s.starts_at, s.ends_at).await?;
        store::set_entry_result(&mut tx, e.id, "won", Some(rid)).await?;
    }
    audit::record(
        &mut tx,
        &l.municipality_id,
        actor,
        "facility.lottery_drawn",
        &format!("lottery:{}", l.id),
        json!({ "seed": model::blocks(&l.seed), "seed_sha256": model::blocks(&l.seed_hash), "entries": entries.len(),
                "winners": winners }),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Drawn {
        lottery: l.id,
        winners,
        entries: entries.len(),
    }))
}

/// The winner confirms a won booking before the deadline.
pub async fn confirm(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    resident: i64,
    public_id: &str,
) -> Result<(), FacError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let r = store::reservation_tx(&mut tx, municipality, public_id)
        .await?
        .ok_or(FacError::NotFound)?;
    let u = store::user_of_resident_tx(&mut tx, municipality, resident)
        .await?
        .ok_or(FacError::NotFound)?;
    if r.fac_user_id != u.id {
        return Err(FacError::NotFound);
    }
    if r.status != "won" || r.confirm_by.is_some_and(|t| now > t) {
        return Err(Refusal::NotChangeable.into());
    }
    store::set_status(&mut tx, r.id, "won", "confirmed", now).await?;
    audit::record(
        &mut tx,
        municipality,
        actor,
        "facility.win_confirmed",
        &format!("reservation:{public_id}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Forfeits won bookings not confirmed in time (their rooms open first-come). Returns how many.
pub async fn forfeit_overdue(db: &Db, now: i64) -> Result<usize, sqlx::Error> {
    let mut n = 0;
    for r in store::unconfirmed_wins(db, now).await? {
        let mut tx = db.begin().await?;
        if store::set_status(&mut tx, r.id, "won", "forfeited", now).await? != 1 {
            continue;
        }
        store::delete_units(&mut tx, r.id).await?;
        audit::record(
            &mut tx,
            &r.municipality_id,
            &Actor::System,
            "facility.win_forfeited",
            &format!("reservation:{}", r.public_id),
            json!({ "confirm_by": r.confirm_by.map(model::jst_text) }),
        )
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// One tick of the scheduled job: draws every lottery whose time has come, forfeits overdue
/// wins. Returns (draws, forfeits).
pub async fn tick(db: &Db, now: i64) -> Result<(usize, usize), FacError> {
    let mut draws = 0;
    for l in store::due_lotteries(db, now).await? {
        if draw(db, l.id, &Actor::System).await?.is_some() {
            draws += 1;
        }
    }
    Ok((draws, forfeit_overdue(db, now).await?))
}

/// The result of re-running a draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub seed_matches_hash: bool,
    pub recomputed: Vec<(i64, i64)>,
    pub stored: Vec<(i64, i64)>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.seed_matches_hash && self.recomputed == self.stored
    }
}

/// Re-runs a drawn lottery from its revealed seed and entry list and compares the winners with
/// what was stored. `None` while it is not drawn (the seed is still secret).
pub async fn verify(db: &Db, lottery: i64) -> Result<Option<Verification>, FacError> {
    let l = store::lottery(db, lottery)
        .await?
        .ok_or(FacError::NotFound)?;
    if l.status != "drawn" {
        return Ok(None);
    }
    let entries = store::entries(db, l.id).await?;
    let pairs: Vec<(i64, i64)> = entries.iter().map(|e| (e.id, e.slot_id)).collect();
    let mut stored: Vec<(i64, i64)> = entries
        .iter()
        .filter(|e| e.result == "won")
        .map(|e| (e.slot_id, e.id))
        .collect();
    stored.sort();
    Ok(Some(Verification {
        seed_matches_hash: model::seed_hash(&l.seed) == l.seed_hash,
        recomputed: model::draw(&l.seed, &pairs),
        stored,
    }))
}
