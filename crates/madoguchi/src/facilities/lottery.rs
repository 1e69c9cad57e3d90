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

/// A new lottery: a facility, its slots (room, start, end) in `target_month`, the entry window
/// (opens, closes, draw, confirm until; `None`: `model::lottery_window`), entries (第1希望) per
/// user ID, wins per user ID (`None`: no maximum), 市民等 only (`None`: the facility's term).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLottery {
    pub facility: i64,
    pub target_month: String,
    pub slots: Vec<(i64, i64, i64)>,
    pub max_entries: i64,
    pub max_wins: Option<i64>,
    pub citizens_only: Option<bool>,
    pub window: Option<(i64, i64, i64, i64)>,
}

/// Creates a lottery and commits to its seed: 32 random bytes drawn now, of which only the
/// SHA-256 is published (and audited) until the draw. Slots of one lottery may not share a
/// room at the same time.
pub async fn create(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    n: &NewLottery,
) -> Result<i64, FacError> {
    let target_month = n.target_month.as_str();
    let month = model::parse_month(target_month).ok_or(FacError::Invalid("fac.bad_month"))?;
    let f = store::facility(db, municipality, n.facility)
        .await?
        .ok_or(FacError::NotFound)?;
    if n.slots.is_empty() || n.max_entries < 1 || n.max_wins.is_some_and(|w| w < 1) {
        return Err(FacError::Invalid("fac.bad_slots"));
    }
    let mut tx = db.begin().await?;
    let (_, months_before) = store::settings_tx(&mut tx, municipality).await?;
    let (opens, closes, draw_at, confirm) = n
        .window
        .unwrap_or_else(|| model::lottery_window(month, months_before as i32));
    let first_use = n.slots.iter().map(|s| s.1).min().unwrap_or(0);
    if !(opens < closes && closes <= draw_at && draw_at <= confirm && confirm <= first_use)
        || closes <= now_ms()
    {
        return Err(FacError::Invalid("fac.new_bad_window"));
    }
    let mut held: Vec<(i64, i64, i64)> = Vec::new();
    for &(room, s, e) in &n.slots {
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
    let slots = &n.slots;
    let max_entries = n.max_entries;
    let citizens_only = n.citizens_only.unwrap_or(f.citizens_only_lottery);
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
            citizens_only,
            seed,
            seed_hash: seed_hash.clone(),
            status: "open".into(),
            drawn_at: None,
            created_at: now,
            max_wins: n.max_wins,
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
                "slots": slots.len(), "opens": model::jst_text(opens), "closes": model::jst_text(closes), "draw_at": model::jst_text(draw_at),
                "confirm_until": model::jst_text(confirm), "max_entries": max_entries, "max_wins": n.max_wins, "citizens_only": citizens_only }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Enters the resident's user ID for one slot of a lottery (第1希望) and, optionally, for a
/// second slot (第2希望) that goes into the draw only if the first does not win. Only 第1希望
/// entries count towards the lottery's limit of entries per user ID.
pub async fn enter(
    db: &Db,
    municipality: &str,
    actor: &Actor,
    resident: i64,
    lottery: i64,
    slot: i64,
    second: Option<i64>,
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
    let s2 = match second {
        None => None,
        Some(id) => Some(
            store::slot_tx(&mut tx, id)
                .await?
                .filter(|x| x.lottery_id == l.id)
                .ok_or(FacError::NotFound)?,
        ),
    };
    if s2.as_ref().is_some_and(|x| x.id == s.id) {
        return Err(FacError::Invalid("fac.lottery_same_choice"));
    }
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
    let already = |e: sqlx::Error| {
        if crate::db::is_unique_violation(&e) {
            FacError::Invalid("fac.lottery_already")
        } else {
            e.into()
        }
    };
    let id = store::insert_entry(&mut tx, l.id, s.id, u.id, None, now)
        .await
        .map_err(already)?;
    let second_id = match &s2 {
        Some(x) => Some(
            store::insert_entry(&mut tx, l.id, x.id, u.id, Some(id), now)
                .await
                .map_err(already)?,
        ),
        None => None,
    };
    audit::record(
        &mut tx,
        municipality,
        actor,
        "facility.lottery_entered",
        &format!("lottery:{}", l.id),
        json!({ "entry": id, "slot": s.id, "user": u.user_number,
                "second_entry": second_id, "second_slot": s2.as_ref().map(|x| x.id) }),
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
    let list: Vec<model::DrawEntry> = entries.iter().map(store::EntryRow::draw_entry).collect();
    let winners = model::draw(&l.seed, &list, l.max_wins);
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
                pay_by: None,
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
    // A fee left to pay: 支払待ち until paid online, by the deadline.
    let to = if r.fee_yen > 0 {
        let minutes = store::payment_minutes_tx(&mut tx, municipality).await?;
        store::set_unpaid(&mut tx, r.id, "won", now + minutes * model::MINUTE_MS, now).await?;
        "unpaid"
    } else {
        store::set_status(&mut tx, r.id, "won", "confirmed", now).await?;
        "confirmed"
    };
    audit::record(
        &mut tx,
        municipality,
        actor,
        "facility.win_confirmed",
        &format!("reservation:{public_id}"),
        json!({ "to": to }),
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
/// wins and releases bookings not paid in time. Returns (draws, forfeits and releases).
pub async fn tick(db: &Db, now: i64) -> Result<(usize, usize), FacError> {
    let mut draws = 0;
    for l in store::due_lotteries(db, now).await? {
        if draw(db, l.id, &Actor::System).await?.is_some() {
            draws += 1;
        }
    }
    let lapsed = forfeit_overdue(db, now).await? + super::service::release_unpaid(db, now).await?;
    Ok((draws, lapsed))
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
    let list: Vec<model::DrawEntry> = entries.iter().map(store::EntryRow::draw_entry).collect();
    let mut stored: Vec<(i64, i64)> = entries
        .iter()
        .filter(|e| e.result == "won")
        .map(|e| (e.slot_id, e.id))
        .collect();
    stored.sort();
    Ok(Some(Verification {
        seed_matches_hash: model::seed_hash(&l.seed) == l.seed_hash,
        recomputed: model::draw(&l.seed, &list, l.max_wins),
        stored,
    }))
}

// ---- the creation form (staff page and CLI) ---------------------------------------------------

/// What staff type on `/staff/facilities/lotteries/new`, or an operator passes to
/// `madoguchi facilities lottery create`: text as typed. Empty window dates take the default
/// window of `model::lottery_window` (the 1st to the 7th, the draw on the 8th, confirm by the
/// 14th, `lottery_months_before` months before the month of use).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LotteryForm {
    /// `YYYY-MM`, the month of use.
    pub month: String,
    /// Days of that month, `6, 13, 20` (full-width digits and 「、」 are fine).
    pub days: String,
    /// Start times of the room's slots, `HH:MM`.
    pub times: Vec<String>,
    /// `YYYY-MM-DD`: the first and the last day of entries (inclusive), the day of the draw
    /// (04:00 JST), the last day to confirm a win (inclusive).
    pub opens: String,
    pub closes: String,
    pub draw: String,
    pub confirm_until: String,
    /// 第1希望 entries per user ID.
    pub max_entries: String,
    /// Wins per user ID; empty: no maximum.
    pub max_wins: String,
    pub citizens_only: bool,
}

/// A field of the form that is wrong: its name and the message key that says how to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormError {
    pub field: &'static str,
    pub key: &'static str,
}

fn bad(field: &'static str, key: &'static str) -> FormError {
    FormError { field, key }
}

/// Full-width digits and separators as staff may type them, in ASCII.
fn ascii(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '－' | '―' | 'ー' => '-',
            '：' => ':',
            '、' | '，' | '　' | ' ' => ',',
            c => c,
        })
        .collect()
}

fn small_number(s: &str, max: i64) -> Option<i64> {
    ascii(s)
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=max).contains(n))
}

/// Checks the form for one room (the first wrong field, in the order of the page) and turns it
/// into a lottery to create. Pure: the caller gives the room, the settings and the clock.
pub fn plan(
    form: &LotteryForm,
    room: &store::RoomRow,
    months_before: i64,
    now: i64,
) -> Result<NewLottery, FormError> {
    let first = model::parse_month(&ascii(&form.month)).ok_or(bad("month", "fac.new_bad_month"))?;
    if model::jst_ms(first, 0) <= now {
        return Err(bad("month", "fac.new_month_past"));
    }
    let month = model::month_string(first);
    let next = model::add_months(first, 1);
    let mut days: Vec<time::Date> = Vec::new();
    for part in ascii(&form.days).split(',').filter(|p| !p.is_empty()) {
        let d = part
            .parse::<u8>()
            .ok()
            .and_then(|n| time::Date::from_calendar_date(first.year(), first.month(), n).ok())
            .filter(|d| *d < next)
            .ok_or(bad("days", "fac.new_bad_days"))?;
        if !days.contains(&d) {
            days.push(d);
        }
    }
    days.sort();
    if days.is_empty() {
        return Err(bad("days", "fac.new_bad_days"));
    }
    let hours = room.hours();
    let starts: Vec<i64> = model::day_slots(first, &hours)
        .iter()
        .map(|(s, _)| model::jst_minute_of_day(*s))
        .collect();
    let mut minutes: Vec<i64> = Vec::new();
    for t in &form.times {
        let m = ascii(t)
            .split_once(':')
            .and_then(|(h, m)| Some(h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?))
            .filter(|m| starts.contains(m))
            .ok_or(bad("times", "fac.new_bad_times"))?;
        if !minutes.contains(&m) {
            minutes.push(m);
        }
    }
    minutes.sort();
    if minutes.is_empty() {
        return Err(bad("times", "fac.new_bad_times"));
    }
    if days.len() * minutes.len() > 200 {
        return Err(bad("days", "fac.new_too_many_slots"));
    }
    let slots: Vec<(i64, i64, i64)> = days
        .iter()
        .flat_map(|d| {
            minutes.iter().map(move |m| {
                (
                    room.id,
                    model::jst_ms(*d, *m),
                    model::jst_ms(*d, m + hours.slot_min),
                )
            })
        })
        .collect();
    let (d_opens, d_closes, d_draw, d_confirm) = model::lottery_window(first, months_before as i32);
    let day = |s: &str, default: i64, field: &'static str, key: &'static str| {
        if s.trim().is_empty() {
            Ok(model::jst_date(default))
        } else {
            model::parse_date(&ascii(s)).ok_or(bad(field, key))
        }
    };
    let opens = day(&form.opens, d_opens, "opens", "fac.new_bad_window")?;
    let closes = day(&form.closes, d_closes - 1, "closes", "fac.new_bad_window")?;
    let draw = day(&form.draw, d_draw, "draw", "fac.new_bad_draw")?;
    let confirm = day(
        &form.confirm_until,
        d_confirm - 1,
        "confirm_until",
        "fac.new_bad_confirm",
    )?;
    let one = time::Duration::days(1);
    let closes_at = model::jst_ms(closes + one, 0);
    if opens > closes || closes_at <= now {
        return Err(bad("closes", "fac.new_bad_window"));
    }
    if draw <= closes {
        return Err(bad("draw", "fac.new_bad_draw"));
    }
    let confirm_at = model::jst_ms(confirm + one, 0);
    if confirm < draw || confirm >= days[0] {
        return Err(bad("confirm_until", "fac.new_bad_confirm"));
    }
    let max_entries =
        small_number(&form.max_entries, 50).ok_or(bad("max_entries", "fac.new_bad_max_entries"))?;
    let max_wins = if form.max_wins.trim().is_empty() {
        None
    } else {
        Some(small_number(&form.max_wins, 50).ok_or(bad("max_wins", "fac.new_bad_max_wins"))?)
    };
    Ok(NewLottery {
        facility: room.facility_id,
        target_month: month,
        slots,
        max_entries,
        max_wins,
        citizens_only: Some(form.citizens_only),
        window: Some((
            model::jst_ms(opens, 0),
            closes_at,
            model::jst_ms(draw, 4 * 60),
            confirm_at,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn room() -> store::RoomRow {
        store::RoomRow {
            id: 5,
            facility_id: 2,
            code: "hall".into(),
            name_ja: "ホール".into(),
            name_en: "Hall".into(),
            capacity: 100,
            opens_min: 540,
            closes_min: 1260,
            slot_min: 180,
            fee_citizen_yen: 1000,
            fee_other_yen: 2000,
            position: 0,
        }
    }

    fn form() -> LotteryForm {
        LotteryForm {
            month: "2027-03".into(),
            days: "６、13, 20".into(),
            times: vec!["09:00".into(), "15:00".into()],
            max_entries: "2".into(),
            ..Default::default()
        }
    }

    #[allow(non_snake_case)]
    fn NOW() -> i64 {
        model::jst_ms(date!(2026 - 11 - 20), 600)
    }

    #[test]
    fn a_filled_form_gives_slots_and_the_default_window() {
        let n = plan(&form(), &room(), 3, NOW()).expect("valid");
        assert_eq!(n.target_month, "2027-03");
        assert_eq!(n.facility, 2);
        assert_eq!(n.slots.len(), 6, "3 days × 2 times");
        assert_eq!(
            n.slots[0],
            (
                5,
                model::jst_ms(date!(2027 - 03 - 06), 540),
                model::jst_ms(date!(2027 - 03 - 06), 720)
            )
        );
        assert_eq!(
            n.window,
            Some(model::lottery_window(date!(2027 - 03 - 01), 3))
        );
        assert_eq!(n.max_wins, None);
        assert_eq!(n.citizens_only, Some(false));
    }

    #[test]
    fn each_wrong_field_is_named() {
        let f = |edit: &dyn Fn(&mut LotteryForm)| {
            let mut x = form();
            edit(&mut x);
            plan(&x, &room(), 3, NOW()).err().map(|e| e.field)
        };
        assert_eq!(f(&|x| x.month = "3月".into()), Some("month"));
        assert_eq!(f(&|x| x.month = "2026-11".into()), Some("month"));
        assert_eq!(f(&|x| x.days = "".into()), Some("days"));
        assert_eq!(f(&|x| x.days = "31".into()), None, "31 March exists");
        assert_eq!(
            f(&|x| {
                x.month = "2027-02".into();
                x.days = "29".into();
            }),
            Some("days"),
            "29 February 2027 does not"
        );
        assert_eq!(f(&|x| x.days = "32".into()), Some("days"));
        assert_eq!(f(&|x| x.times = vec!["10:00".into()]), Some("times"));
        assert_eq!(f(&|x| x.times.clear()), Some("times"));
        assert_eq!(
            f(&|x| {
                x.opens = "2026-12-08".into();
                x.closes = "2026-12-07".into();
            }),
            Some("closes")
        );
        assert_eq!(
            f(&|x| x.closes = "2026-11-19".into()),
            Some("closes"),
            "closed already"
        );
        assert_eq!(f(&|x| x.draw = "2026-12-07".into()), Some("draw"));
        assert_eq!(
            f(&|x| x.confirm_until = "2027-03-06".into()),
            Some("confirm_until")
        );
        assert_eq!(f(&|x| x.max_entries = "0".into()), Some("max_entries"));
        assert_eq!(f(&|x| x.max_wins = "many".into()), Some("max_wins"));
        assert_eq!(f(&|x| x.max_wins = "3".into()), None);
    }
}
