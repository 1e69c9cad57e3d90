//! The rules of public facilities, as plain functions over plain types (no database, clock or
//! randomness inside): terms screening, booking rules, fees and 減免, registration expiry, the
//! lottery draw. Times are UTC Unix milliseconds; the city's clock is JST (UTC+9).

use sha2::{Digest, Sha256};
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

pub const MINUTE_MS: i64 = 60_000;
pub const DAY_MS: i64 = 86_400_000;
const JST_OFFSET_MS: i64 = 9 * 3_600_000;

/// The calendar date in JST of an instant.
pub fn jst_date(ms: i64) -> Date {
    let utc = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    utc.to_offset(UtcOffset::from_hms(9, 0, 0).unwrap_or(UtcOffset::UTC))
        .date()
}

/// Minutes after JST midnight of an instant.
pub fn jst_minute_of_day(ms: i64) -> i64 {
    (ms + JST_OFFSET_MS).rem_euclid(DAY_MS) / MINUTE_MS
}

/// The instant of `minute` minutes after JST midnight of `date`.
pub fn jst_ms(date: Date, minute: i64) -> i64 {
    // 2,440,588 is the Julian day number of 1970-01-01.
    let days = i64::from(date.to_julian_day()) - 2_440_588;
    days * DAY_MS - JST_OFFSET_MS + minute * MINUTE_MS
}

/// An instant as JST text, `2027-03-06T09:00+09:00`. Audit details carry times in this form,
/// never as Unix milliseconds (long digit runs look like a 個人番号 to the privacy checks).
pub fn jst_text(ms: i64) -> String {
    format!(
        "{}T{}+09:00",
        date_string(jst_date(ms)),
        hhmm(jst_minute_of_day(ms))
    )
}

/// A hex digest in blocks of eight (`4b19cb15 7b9a358f …`), as audit details carry the seed
/// and its hash: no run of 12 digits, so no detail can look like a 個人番号.
pub fn blocks(hex: &str) -> String {
    hex.as_bytes()
        .chunks(8)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), f).ok()
}

pub fn date_string(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// `HH:MM` of minutes after midnight.
pub fn hhmm(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// `YYYY-MM` of a date.
pub fn month_string(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), u8::from(d.month()))
}

/// First day of `YYYY-MM`.
pub fn parse_month(s: &str) -> Option<Date> {
    let (y, m) = s.trim().split_once('-')?;
    let y: i32 = y.parse().ok()?;
    let m: u8 = m.parse().ok()?;
    Date::from_calendar_date(y, Month::try_from(m).ok()?, 1).ok()
}

/// The first day of the month `n` months after `d`'s month.
pub fn add_months(d: Date, n: i32) -> Date {
    let total = d.year() * 12 + i32::from(u8::from(d.month())) - 1 + n;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    Date::from_calendar_date(y, Month::try_from(m as u8).unwrap_or(Month::January), 1).unwrap_or(d)
}

// ---- terms -----------------------------------------------------------------------------------

/// What a facility allows (its 利用規約 / 条例, 社会教育法第23条 for 公民館).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terms {
    pub commercial: bool,
    pub political: bool,
    pub religious: bool,
    pub food: bool,
    pub individual: bool,
}

/// The purposes a registration names (the form's `purposes` choice values).
pub const PURPOSES: &[&str] = &[
    "meeting",
    "culture",
    "sports",
    "food",
    "commercial",
    "political",
    "religious",
];

/// Why a registration cannot be approved for a facility: the first term it breaks, as a
/// message key (`fac.reason_*`). `None`: it can be approved.
pub fn screen(terms: &Terms, group: bool, purposes: &[String]) -> Option<&'static str> {
    let has = |p: &str| purposes.iter().any(|x| x == p);
    if !group && !terms.individual {
        return Some("fac.reason_individual");
    }
    if has("commercial") && !terms.commercial {
        return Some("fac.reason_commercial");
    }
    if has("political") && !terms.political {
        return Some("fac.reason_political");
    }
    if has("religious") && !terms.religious {
        return Some("fac.reason_religious");
    }
    if has("food") && !terms.food {
        return Some("fac.reason_food");
    }
    None
}

/// 市民等: an individual living, working or studying in the city; a group at least half of
/// whose members qualify.
pub fn is_citizen(
    group: bool,
    individual_in_city: bool,
    members: i64,
    members_in_city: i64,
) -> bool {
    if group {
        members > 0 && members_in_city * 2 >= members
    } else {
        individual_in_city
    }
}

/// A registration is valid until the next `month`/`day` (e.g. 31 March) on or after `today`.
pub fn valid_until(today: Date, month: u8, day: u8) -> Date {
    let on = |y: i32| {
        Date::from_calendar_date(y, Month::try_from(month).unwrap_or(Month::March), day)
            .unwrap_or_else(|_| Date::from_calendar_date(y, Month::March, 31).unwrap_or(today))
    };
    let this = on(today.year());
    if this >= today {
        this
    } else {
        on(today.year() + 1)
    }
}

/// Renewal opens this many days before a registration expires (体育館: three months).
pub const RENEW_DAYS: i64 = 92;

pub fn may_renew(today: Date, valid_until: Date) -> bool {
    today > valid_until || (valid_until - today) <= Duration::days(RENEW_DAYS)
}

// ---- bookings ---------------------------------------------------------------------------------

/// Why a booking (or a change or cancellation) is refused. Each has a stable machine code
/// and a message key; the HTTP API answers 409 with both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Overlap,
    OutsideHours,
    NotOnSlot,
    InPast,
    TooFarAhead,
    MonthlyLimit,
    NotRegistered,
    Expired,
    Terms,
    Lottery,
    CancelDeadline,
    NotChangeable,
    /// A paid booking cannot move to a time with another fee (partial refunds and top-ups are
    /// not offered): cancel it (refunded in full) and book again.
    PaidFeeChange,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Overlap => "overlap",
            Refusal::OutsideHours => "outside_hours",
            Refusal::NotOnSlot => "not_on_slot",
            Refusal::InPast => "in_past",
            Refusal::TooFarAhead => "too_far_ahead",
            Refusal::MonthlyLimit => "monthly_limit",
            Refusal::NotRegistered => "not_registered",
            Refusal::Expired => "registration_expired",
            Refusal::Terms => "terms",
            Refusal::Lottery => "lottery",
            Refusal::CancelDeadline => "cancel_deadline",
            Refusal::NotChangeable => "not_changeable",
            Refusal::PaidFeeChange => "paid_fee_change",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Refusal::Overlap => "fac.err_overlap",
            Refusal::OutsideHours => "fac.err_outside_hours",
            Refusal::NotOnSlot => "fac.err_not_on_slot",
            Refusal::InPast => "fac.err_in_past",
            Refusal::TooFarAhead => "fac.err_too_far_ahead",
            Refusal::MonthlyLimit => "fac.err_monthly_limit",
            Refusal::NotRegistered => "fac.err_not_registered",
            Refusal::Expired => "fac.err_expired",
            Refusal::Terms => "fac.err_terms",
            Refusal::Lottery => "fac.err_lottery",
            Refusal::CancelDeadline => "fac.err_cancel_deadline",
            Refusal::NotChangeable => "fac.err_not_changeable",
            Refusal::PaidFeeChange => "fac.err_paid_fee_change",
        }
    }
}

/// A room's hours and slot grid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hours {
    pub opens_min: i64,
    pub closes_min: i64,
    pub slot_min: i64,
}

/// A facility's booking rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    pub book_ahead_days: i64,
    pub max_per_month: i64,
    pub cancel_days: i64,
}

/// The slots of a day: (start, end) instants.
pub fn day_slots(date: Date, h: &Hours) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    let mut m = h.opens_min;
    while m + h.slot_min <= h.closes_min && h.slot_min > 0 {
        out.push((jst_ms(date, m), jst_ms(date, m + h.slot_min)));
        m += h.slot_min;
    }
    out
}

/// Checks the time of a booking: on one day, inside the hours, on the slot grid (one or more
/// whole consecutive slots), not in the past, not further ahead than the rules allow.
pub fn check_time(now: i64, start: i64, end: i64, h: &Hours, r: &Rules) -> Result<(), Refusal> {
    if start >= end || jst_date(start) != jst_date(end - 1) {
        return Err(Refusal::OutsideHours);
    }
    let (a, b) = (jst_minute_of_day(start), jst_minute_of_day(end - 1) + 1);
    if a < h.opens_min || b > h.closes_min {
        return Err(Refusal::OutsideHours);
    }
    if (start - jst_ms(jst_date(start), h.opens_min)) % (h.slot_min * MINUTE_MS) != 0
        || (end - start) % (h.slot_min * MINUTE_MS) != 0
    {
        return Err(Refusal::NotOnSlot);
    }
    if start <= now {
        return Err(Refusal::InPast);
    }
    let last_day = jst_date(now) + Duration::days(r.book_ahead_days);
    if jst_date(start) > last_day {
        return Err(Refusal::TooFarAhead);
    }
    Ok(())
}

/// A booking may be cancelled or changed until `cancel_days` days before the day of use.
pub fn check_cancel(now: i64, start: i64, r: &Rules) -> Result<(), Refusal> {
    if jst_date(now) + Duration::days(r.cancel_days) > jst_date(start) || start <= now {
        return Err(Refusal::CancelDeadline);
    }
    Ok(())
}

/// Whether two half-open ranges overlap.
pub fn overlaps(a: (i64, i64), b: (i64, i64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// 減免 categories. Any of them sends the booking to staff review; the fee is what applies
/// once staff accept it.
pub const GENMEN: &[(&str, u32)] = &[
    ("city", 0),
    ("senior", 50),
    ("disability", 0),
    ("children", 50),
];

/// The fee of a booking: the room's fee per slot (市民等 or others) × slots × the 減免 rate
/// (percent still to pay), rounded down to the yen. `None` for an unknown category.
pub fn fee(per_slot: i64, slots: i64, genmen: Option<&str>) -> Option<i64> {
    let base = per_slot * slots;
    match genmen {
        None => Some(base),
        Some(g) => GENMEN
            .iter()
            .find(|(c, _)| *c == g)
            .map(|(_, pct)| base * i64::from(*pct) / 100),
    }
}

// ---- lottery ----------------------------------------------------------------------------------

/// The window of a lottery for `target_month`: entries from the 1st to the 7th (inclusive) of
/// the month `months_before` months earlier, JST; the draw at 04:00 on the 8th; winners confirm
/// until the end of the 14th.
pub fn lottery_window(target_month: Date, months_before: i32) -> (i64, i64, i64, i64) {
    let m = add_months(target_month, -months_before);
    let d = |day: u8| Date::from_calendar_date(m.year(), m.month(), day).unwrap_or(m);
    (
        jst_ms(d(1), 0),
        jst_ms(d(8), 0),
        jst_ms(d(8), 4 * 60),
        jst_ms(d(15), 0),
    )
}

/// SHA-256 of a seed, lower-case hex: the commitment published before the window closes.
pub fn seed_hash(seed: &str) -> String {
    hex::encode(Sha256::digest(seed.as_bytes()))
}

/// The draw key of an entry: SHA-256 of `seed:slot_id:entry_id` (decimal ids), hex.
pub fn draw_key(seed: &str, slot_id: i64, entry_id: i64) -> String {
    hex::encode(Sha256::digest(
        format!("{seed}:{slot_id}:{entry_id}").as_bytes(),
    ))
}

/// One lottery entry as the draw sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DrawEntry {
    pub id: i64,
    pub slot: i64,
    /// Who entered (the user ID's row id; the published list shows a pseudonym of it).
    pub user: i64,
    /// `None`: a 第1希望. `Some(e)`: a 第2希望 that backs up the 第1希望 entry `e`.
    pub first: Option<i64>,
}

/// The draw, with the 第1希望/第2希望 ladder and a maximum number of wins per user ID
/// (`None`: no maximum). A pure function of the seed, the entry list and the maximum:
///
/// 1. Every entry gets its draw key `SHA-256("{seed}:{slot_id}:{entry_id}")` (lower-case hex,
///    decimal ids). No two keys are equal, as the entry ids differ.
/// 2. Round 1, the 第1希望 entries in ascending key order: an entry wins when its slot has no
///    winner yet and its user ID has fewer than `max_wins` wins; otherwise it loses.
/// 3. Round 2, the 第2希望 entries whose 第1希望 did not win (a 第2希望 whose 第1希望 won is
///    dropped), in ascending key order, with the same rule on the slots still without a winner.
///
/// Returns (slot id, winning entry id) in slot-id order; a slot nobody won has no line. The
/// input order makes no difference. Without 第2希望 entries and without a maximum it is the
/// smallest key per slot. Anyone holding the revealed seed and the published entry list can
/// re-run it (`madoguchi facilities lottery verify`).
pub fn draw(seed: &str, entries: &[DrawEntry], max_wins: Option<i64>) -> Vec<(i64, i64)> {
    use std::collections::{BTreeMap, BTreeSet, HashMap};
    let mut keyed: Vec<(String, DrawEntry)> = entries
        .iter()
        .map(|e| (draw_key(seed, e.slot, e.id), *e))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    let mut winner: BTreeMap<i64, i64> = BTreeMap::new();
    let mut won: BTreeSet<i64> = BTreeSet::new();
    let mut wins: HashMap<i64, i64> = HashMap::new();
    let limit = max_wins.unwrap_or(i64::MAX);
    for round in [1, 2] {
        for (_, e) in &keyed {
            let in_round = match (round, e.first) {
                (1, None) => true,
                (2, Some(f)) => !won.contains(&f),
                _ => false,
            };
            let n = wins.get(&e.user).copied().unwrap_or(0);
            if !in_round || winner.contains_key(&e.slot) || n >= limit {
                continue;
            }
            winner.insert(e.slot, e.id);
            won.insert(e.id);
            wins.insert(e.user, n + 1);
        }
    }
    winner.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const H: Hours = Hours {
        opens_min: 540,
        closes_min: 1260,
        slot_min: 180,
    };
    const R: Rules = Rules {
        book_ahead_days: 60,
        max_per_month: 4,
        cancel_days: 3,
    };

    #[test]
    fn jst_round_trip() {
        let d = date!(2026 - 04 - 01);
        let ms = jst_ms(d, 9 * 60);
        assert_eq!(jst_date(ms), d);
        assert_eq!(jst_minute_of_day(ms), 540);
        assert_eq!(jst_date(jst_ms(d, 0) - 1), date!(2026 - 03 - 31));
        assert_eq!(ms, 1_775_001_600_000, "2026-04-01 09:00 JST = 00:00 UTC");
    }

    #[test]
    fn slots_and_time_checks() {
        let d = date!(2026 - 05 - 10);
        let s = day_slots(d, &H);
        assert_eq!(s.len(), 4);
        let now = jst_ms(date!(2026 - 05 - 01), 600);
        assert_eq!(check_time(now, s[0].0, s[0].1, &H, &R), Ok(()));
        assert_eq!(check_time(now, s[0].0, s[1].1, &H, &R), Ok(()), "two slots");
        assert_eq!(
            check_time(now, s[0].0 + MINUTE_MS * 30, s[0].1, &H, &R),
            Err(Refusal::NotOnSlot)
        );
        assert_eq!(
            check_time(now, jst_ms(d, 480), jst_ms(d, 540), &H, &R),
            Err(Refusal::OutsideHours)
        );
        assert_eq!(
            check_time(now, s[3].0, s[3].1 + 180 * MINUTE_MS, &H, &R),
            Err(Refusal::OutsideHours)
        );
        assert_eq!(
            check_time(s[1].0, s[0].0, s[0].1, &H, &R),
            Err(Refusal::InPast)
        );
        let far = date!(2026 - 07 - 01);
        let fs = day_slots(far, &H);
        assert_eq!(
            check_time(now, fs[0].0, fs[0].1, &H, &R),
            Err(Refusal::TooFarAhead)
        );
    }

    #[test]
    fn cancel_deadline() {
        let d = date!(2026 - 05 - 10);
        let start = jst_ms(d, 540);
        assert!(check_cancel(jst_ms(date!(2026 - 05 - 07), 1000), start, &R).is_ok());
        assert_eq!(
            check_cancel(jst_ms(date!(2026 - 05 - 08), 0), start, &R),
            Err(Refusal::CancelDeadline)
        );
    }

    #[test]
    fn screening_names_the_first_broken_term() {
        let kominkan = Terms {
            commercial: false,
            political: false,
            religious: false,
            food: false,
            individual: true,
        };
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(screen(&kominkan, true, &p(&["meeting", "culture"])), None);
        assert_eq!(
            screen(&kominkan, true, &p(&["meeting", "commercial"])),
            Some("fac.reason_commercial")
        );
        assert_eq!(
            screen(&kominkan, true, &p(&["political"])),
            Some("fac.reason_political")
        );
        assert_eq!(
            screen(&kominkan, true, &p(&["religious"])),
            Some("fac.reason_religious")
        );
        assert_eq!(
            screen(&kominkan, true, &p(&["food"])),
            Some("fac.reason_food")
        );
        let hall = Terms {
            individual: false,
            ..kominkan
        };
        assert_eq!(
            screen(&hall, false, &p(&["meeting"])),
            Some("fac.reason_individual")
        );
    }

    #[test]
    fn citizens_and_expiry() {
        assert!(is_citizen(true, false, 10, 5));
        assert!(!is_citizen(true, true, 10, 4));
        assert!(is_citizen(false, true, 0, 0));
        assert_eq!(
            valid_until(date!(2026 - 04 - 01), 3, 31),
            date!(2027 - 03 - 31)
        );
        assert_eq!(
            valid_until(date!(2026 - 03 - 31), 3, 31),
            date!(2026 - 03 - 31)
        );
        assert_eq!(
            valid_until(date!(2026 - 01 - 10), 3, 31),
            date!(2026 - 03 - 31)
        );
        assert!(may_renew(date!(2027 - 01 - 01), date!(2027 - 03 - 31)));
        assert!(!may_renew(date!(2026 - 06 - 01), date!(2027 - 03 - 31)));
    }

    #[test]
    fn fees_and_genmen() {
        assert_eq!(fee(960, 2, None), Some(1920));
        assert_eq!(fee(961, 1, Some("senior")), Some(480));
        assert_eq!(fee(960, 1, Some("city")), Some(0));
        assert_eq!(fee(960, 1, Some("nope")), None);
    }

    #[test]
    fn lottery_window_is_three_months_before() {
        let (o, c, d, k) = lottery_window(date!(2026 - 08 - 01), 3);
        assert_eq!(jst_date(o), date!(2026 - 05 - 01));
        assert_eq!(jst_date(c), date!(2026 - 05 - 08));
        assert_eq!(jst_minute_of_day(d), 240);
        assert_eq!(jst_date(k), date!(2026 - 05 - 15));
        assert_eq!(add_months(date!(2026 - 02 - 01), -3), date!(2025 - 11 - 01));
    }

    fn firsts(v: &[(i64, i64)]) -> Vec<DrawEntry> {
        v.iter()
            .map(|&(id, slot)| DrawEntry {
                id,
                slot,
                user: id,
                first: None,
            })
            .collect()
    }

    #[test]
    fn the_draw_is_reproducible_and_fair_shaped() {
        let seed = "00ff";
        let entries = firsts(&[(1, 10), (2, 10), (3, 10), (4, 11)]);
        let a = draw(seed, &entries, None);
        let mut rev = entries.clone();
        rev.reverse();
        assert_eq!(a, draw(seed, &rev, None), "input order does not matter");
        assert_eq!(a.len(), 2);
        assert_eq!(a[1], (11, 4), "a single entry wins");
        let k: Vec<String> = (1..=3).map(|e| draw_key(seed, 10, e)).collect();
        let min = (1..=3)
            .min_by_key(|e| k[(*e - 1) as usize].clone())
            .unwrap_or(0);
        assert_eq!(a[0], (10, min));
        // Different seeds give different winners for some slot.
        let many = firsts(&(1..=50).map(|e| (e, 1)).collect::<Vec<_>>());
        let w: std::collections::BTreeSet<i64> = (0..20)
            .map(|s| draw(&format!("s{s}"), &many, None)[0].1)
            .collect();
        assert!(w.len() > 5, "{w:?}");
        assert_eq!(
            seed_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_ladder_drops_a_second_choice_whose_first_won_and_tries_it_otherwise() {
        // User 1: 第1希望 slot 10 (entry 1), 第2希望 slot 11 (entry 2). User 2: 第1希望 slot 10
        // (entry 3). Only one of entries 1 and 3 wins slot 10.
        let e = |id, slot, user, first| DrawEntry {
            id,
            slot,
            user,
            first,
        };
        let entries = [e(1, 10, 1, None), e(2, 11, 1, Some(1)), e(3, 10, 2, None)];
        for s in 0..40 {
            let seed = format!("seed{s}");
            let w = draw(&seed, &entries, None);
            if w.contains(&(10, 1)) {
                assert_eq!(w, vec![(10, 1)], "the 第2希望 is dropped: {seed}");
            } else {
                assert_eq!(w, vec![(10, 3), (11, 2)], "the 第2希望 goes in: {seed}");
            }
        }
        // A 第1希望 beats a 第2希望 on the same slot, whatever the keys.
        let entries = [e(1, 10, 1, None), e(2, 11, 1, Some(1)), e(3, 11, 2, None)];
        for s in 0..40 {
            let w = draw(&format!("x{s}"), &entries, None);
            assert!(w.contains(&(11, 3)), "{w:?}");
        }
    }

    #[test]
    fn a_user_id_wins_at_most_max_wins() {
        let e = |id, slot| DrawEntry {
            id,
            slot,
            user: 7,
            first: None,
        };
        let entries: Vec<DrawEntry> = (1..=5).map(|i| e(i, 100 + i)).collect();
        assert_eq!(draw("s", &entries, None).len(), 5);
        let w = draw("s", &entries, Some(2));
        assert_eq!(w.len(), 2, "{w:?}");
        // The two with the smallest keys win.
        let mut keys: Vec<(String, i64)> = entries
            .iter()
            .map(|x| (draw_key("s", x.slot, x.id), x.id))
            .collect();
        keys.sort();
        let mut expect: Vec<i64> = keys[..2].iter().map(|k| k.1).collect();
        expect.sort();
        let mut got: Vec<i64> = w.iter().map(|x| x.1).collect();
        got.sort();
        assert_eq!(got, expect);
    }

    proptest::proptest! {
        #[test]
        fn the_draw_keeps_its_promises(
            raw in proptest::collection::vec((0i64..6, 0i64..5, proptest::option::of(0usize..40)), 0..40),
            max in proptest::option::of(1i64..4),
            seed in "[0-9a-f]{8}",
        ) {
            // Entries with ids 1..: (slot, user, maybe a 第2希望 of an earlier 第1希望 of the
            // same user), one entry per (slot, user) as the database allows.
            let mut entries: Vec<DrawEntry> = Vec::new();
            for (slot, user, second) in raw {
                if entries.iter().any(|x| x.slot == slot && x.user == user) {
                    continue;
                }
                let first = second.and_then(|i| {
                    entries
                        .iter()
                        .filter(|x| x.user == user && x.first.is_none())
                        .filter(|x| !entries.iter().any(|y| y.first == Some(x.id)))
                        .nth(i % 3)
                        .map(|x| x.id)
                });
                let id = entries.len() as i64 + 1;
                entries.push(DrawEntry { id, slot, user, first });
            }
            let w = draw(&seed, &entries, max);
            let of = |id: i64| entries.iter().find(|x| x.id == id).copied();
            // One winner per slot, on its own slot.
            let slots: std::collections::BTreeSet<i64> = w.iter().map(|x| x.0).collect();
            proptest::prop_assert_eq!(slots.len(), w.len());
            for (s, e) in &w {
                proptest::prop_assert_eq!(of(*e).map(|x| x.slot), Some(*s));
            }
            // No user ID wins more than the maximum.
            if let Some(m) = max {
                for u in 0..5 {
                    let n = w.iter().filter(|x| of(x.1).is_some_and(|e| e.user == u)).count() as i64;
                    proptest::prop_assert!(n <= m, "user {} won {}", u, n);
                }
            }
            // A 第2希望 never wins together with its 第1希望.
            for (_, e) in &w {
                if let Some(f) = of(*e).and_then(|x| x.first) {
                    proptest::prop_assert!(!w.iter().any(|x| x.1 == f));
                }
            }
            // Every slot that someone eligible entered has a winner when nobody is limited.
            if max.is_none() {
                for x in entries.iter().filter(|x| x.first.is_none()) {
                    proptest::prop_assert!(slots.contains(&x.slot));
                }
            }
            // The same seed and list give the same result, in any order.
            let mut rev = entries.clone();
            rev.reverse();
            proptest::prop_assert_eq!(&draw(&seed, &rev, max), &w);
        }
    }
}
