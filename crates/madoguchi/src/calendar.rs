//! The city hall's calendar: which days it is open (開庁日) and which it is closed (閉庁日).
//!
//! A Japanese municipality is closed on its 休日 (地方自治法 第4条の2): Saturdays and Sundays,
//! the national holidays of the 国民の祝日に関する法律 (祝日法), and the year-end and New Year
//! days its ordinance names. Ichikawa's 市の休日を定める条例, like almost every city's, names
//! 29 December to 3 January. Deadlines counted in 開庁日 (標準処理期間) skip all of them.
//!
//! The national holidays are computed from the law's rules rather than read from a list, so
//! the calendar does not run out: fixed dates, the Happy Monday days, the two equinox days by
//! the formula the National Astronomical Observatory's announcements follow for 1980–2099,
//! 振替休日 (a holiday on a Sunday moves to the next day that is not a holiday, 第3条第2項)
//! and 国民の休日 (a day between two holidays, 第3条第3項). The one-off holidays of 2019
//! (the enthronement) and the Olympic moves of 2020 and 2021 are listed. The rules are those in
//! force since 2020; dates before 2019 are not needed for deadlines and are not guaranteed.
//! The equinox days are officially fixed each February for the next year; the formula has
//! matched every announcement since 1980, and the tests check the years the Cabinet Office has
//! published.

use time::{Date, Month, OffsetDateTime, UtcOffset, Weekday};

/// Japan Standard Time (UTC+9, no daylight saving): the offset of every calendar day here.
pub const JST: UtcOffset = time::macros::offset!(+9);

/// Today in Japan: the day a deadline, a form's date bound (「今日より前」) or a ledger's
/// 廃止年月日 is compared with.
pub fn today_jst() -> Date {
    OffsetDateTime::now_utc().to_offset(JST).date()
}

/// The name of the national holiday on `date`, if it is one.
pub fn national_holiday(date: Date) -> Option<&'static str> {
    if let Some(name) = statutory(date) {
        return Some(name);
    }
    // 振替休日: the first non-holiday after a run of holidays that includes a Sunday.
    let mut d = date;
    while let Some(prev) = d.previous_day()
        && statutory(prev).is_some()
    {
        if prev.weekday() == Weekday::Sunday {
            return Some("振替休日");
        }
        d = prev;
    }
    // 国民の休日: a day that is not a Sunday (nor a holiday) between two holidays.
    if date.weekday() != Weekday::Sunday
        && let (Some(p), Some(n)) = (date.previous_day(), date.next_day())
        && statutory(p).is_some()
        && statutory(n).is_some()
    {
        return Some("国民の休日");
    }
    None
}

/// Whether the city hall is closed on `date`: a weekend, a national holiday or 12/29–1/3.
pub fn is_closed(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
        || year_end(date)
        || national_holiday(date).is_some()
}

/// `date` itself when the city hall is open that day, otherwise the next day it is.
pub fn next_open_day(date: Date) -> Date {
    let mut d = date;
    // A year has at most a handful of consecutive closed days (年末年始 plus a weekend: 6).
    while is_closed(d) {
        match d.next_day() {
            Some(n) => d = n,
            None => return d,
        }
    }
    d
}

/// The day that is `days` 開庁日 after `start`, not counting `start` itself (初日不算入,
/// 民法 第140条). 0 days means `start` when the city hall is open that day, else the next
/// open day. Negative counts are read as 0.
pub fn add_open_days(start: Date, days: i64) -> Date {
    let mut d = start;
    for _ in 0..days.clamp(0, 3650) {
        let Some(n) = d.next_day() else {
            return d;
        };
        d = next_open_day(n);
    }
    next_open_day(d)
}

fn year_end(date: Date) -> bool {
    let (m, day) = (date.month(), date.day());
    (m == Month::December && day >= 29) || (m == Month::January && day <= 3)
}

/// The holidays the law names directly (without 振替休日 and 国民の休日).
fn statutory(date: Date) -> Option<&'static str> {
    let y = date.year();
    let (m, d) = (date.month() as u8, date.day());
    let monday = |n: u8| date.weekday() == Weekday::Monday && (d - 1) / 7 + 1 == n;
    // Years whose days were moved by special laws.
    match (y, m, d) {
        (2019, 5, 1) => return Some("天皇の即位の日"),
        (2019, 10, 22) => return Some("即位礼正殿の儀の行われる日"),
        (2020, 7, 23) | (2021, 7, 22) => return Some("海の日"),
        (2020, 7, 24) | (2021, 7, 23) => return Some("スポーツの日"),
        (2020, 8, 10) | (2021, 8, 8) => return Some("山の日"),
        _ => {}
    }
    let moved = y == 2020 || y == 2021;
    match m {
        1 if d == 1 => Some("元日"),
        1 if monday(2) => Some("成人の日"),
        2 if d == 11 => Some("建国記念の日"),
        2 if d == 23 && y >= 2020 => Some("天皇誕生日"),
        3 if u32::from(d) == equinox(y, 20.8431) => Some("春分の日"),
        4 if d == 29 => Some("昭和の日"),
        5 if d == 3 => Some("憲法記念日"),
        5 if d == 4 => Some("みどりの日"),
        5 if d == 5 => Some("こどもの日"),
        7 if monday(3) && !moved => Some("海の日"),
        8 if d == 11 && !moved => Some("山の日"),
        9 if monday(3) => Some("敬老の日"),
        9 if u32::from(d) == equinox(y, 23.2488) => Some("秋分の日"),
        10 if monday(2) && !moved => Some(if y >= 2020 {
            "スポーツの日"
        } else {
            "体育の日"
        }),
        11 if d == 3 => Some("文化の日"),
        11 if d == 23 => Some("勤労感謝の日"),
        12 if d == 23 && (1989..2019).contains(&y) => Some("天皇誕生日"),
        _ => None,
    }
}

/// The day of March (base 20.8431) or September (23.2488) of the equinox in year `y`, by the
/// formula valid for 1980–2099.
fn equinox(y: i32, base: f64) -> u32 {
    let n = f64::from(y - 1980);
    (base + 0.242194 * n - (n / 4.0).floor()).floor() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn holidays_of(year: i32) -> Vec<(String, &'static str)> {
        let mut d = Date::from_calendar_date(year, Month::January, 1).expect("date");
        let mut out = Vec::new();
        while d.year() == year {
            if let Some(name) = national_holiday(d) {
                out.push((d.to_string(), name));
            }
            d = d.next_day().expect("next");
        }
        out
    }

    /// The Cabinet Office's list of 国民の祝日 for 2026 (syukujitsu.csv, published February
    /// 2025): includes a 振替休日 (5/6, because 5/3 is a Sunday) and a 国民の休日 (9/22).
    #[test]
    fn the_2026_holidays_match_the_cabinet_office_list() {
        let got = holidays_of(2026);
        let want = [
            ("2026-01-01", "元日"),
            ("2026-01-12", "成人の日"),
            ("2026-02-11", "建国記念の日"),
            ("2026-02-23", "天皇誕生日"),
            ("2026-03-20", "春分の日"),
            ("2026-04-29", "昭和の日"),
            ("2026-05-03", "憲法記念日"),
            ("2026-05-04", "みどりの日"),
            ("2026-05-05", "こどもの日"),
            ("2026-05-06", "振替休日"),
            ("2026-07-20", "海の日"),
            ("2026-08-11", "山の日"),
            ("2026-09-21", "敬老の日"),
            ("2026-09-22", "国民の休日"),
            ("2026-09-23", "秋分の日"),
            ("2026-10-12", "スポーツの日"),
            ("2026-11-03", "文化の日"),
            ("2026-11-23", "勤労感謝の日"),
        ];
        let want: Vec<(String, &str)> = want.iter().map(|(d, n)| (d.to_string(), *n)).collect();
        assert_eq!(got, want);
    }

    /// The Cabinet Office's list for 2025 (two 振替休日: 2/24 and 11/24, and 5/6 after 5/4).
    #[test]
    fn the_2025_holidays_match_the_cabinet_office_list() {
        let got: Vec<String> = holidays_of(2025).into_iter().map(|(d, _)| d).collect();
        let want = [
            "2025-01-01",
            "2025-01-13",
            "2025-02-11",
            "2025-02-23",
            "2025-02-24",
            "2025-03-20",
            "2025-04-29",
            "2025-05-03",
            "2025-05-04",
            "2025-05-05",
            "2025-05-06",
            "2025-07-21",
            "2025-08-11",
            "2025-09-15",
            "2025-09-23",
            "2025-10-13",
            "2025-11-03",
            "2025-11-23",
            "2025-11-24",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn the_special_years_are_listed() {
        // 2019: the enthronement gave a ten-day Golden Week (4/30 and 5/2 are 国民の休日).
        assert_eq!(national_holiday(date!(2019 - 04 - 30)), Some("国民の休日"));
        assert_eq!(
            national_holiday(date!(2019 - 05 - 01)),
            Some("天皇の即位の日")
        );
        assert_eq!(national_holiday(date!(2019 - 05 - 02)), Some("国民の休日"));
        assert_eq!(national_holiday(date!(2019 - 05 - 06)), Some("振替休日"));
        assert_eq!(
            national_holiday(date!(2019 - 10 - 22)),
            Some("即位礼正殿の儀の行われる日")
        );
        // 2021: the Olympic moves; the usual Monday days are ordinary days.
        assert_eq!(national_holiday(date!(2021 - 07 - 22)), Some("海の日"));
        assert_eq!(
            national_holiday(date!(2021 - 07 - 23)),
            Some("スポーツの日")
        );
        assert_eq!(national_holiday(date!(2021 - 08 - 08)), Some("山の日"));
        assert_eq!(national_holiday(date!(2021 - 08 - 09)), Some("振替休日"));
        assert_eq!(national_holiday(date!(2021 - 07 - 19)), None);
        assert_eq!(national_holiday(date!(2021 - 10 - 11)), None);
        // Equinoxes of published years.
        assert_eq!(national_holiday(date!(2027 - 03 - 21)), Some("春分の日"));
        assert_eq!(national_holiday(date!(2027 - 09 - 23)), Some("秋分の日"));
    }

    #[test]
    fn the_city_hall_is_closed_on_weekends_holidays_and_year_end() {
        assert!(is_closed(date!(2026 - 12 - 05))); // Saturday
        assert!(is_closed(date!(2026 - 12 - 06))); // Sunday
        assert!(!is_closed(date!(2026 - 12 - 07))); // Monday
        assert!(is_closed(date!(2026 - 12 - 29))); // 年末 (a Tuesday)
        assert!(is_closed(date!(2027 - 01 - 03)));
        assert!(!is_closed(date!(2027 - 01 - 04))); // 仕事始め (Monday)
        assert!(is_closed(date!(2026 - 11 - 23))); // 勤労感謝の日
    }

    #[test]
    fn open_days_skip_closed_days_and_do_not_count_the_first_day() {
        // Friday + 1 開庁日 = Monday.
        assert_eq!(
            add_open_days(date!(2026 - 12 - 04), 1),
            date!(2026 - 12 - 07)
        );
        // Monday + 5 = the next Monday.
        assert_eq!(
            add_open_days(date!(2026 - 12 - 07), 5),
            date!(2026 - 12 - 14)
        );
        // Across 年末年始: 12/25 (Fri) + 1 = 12/28 (Mon), + 2 = 1/4 (Mon), + 3 = 1/5.
        assert_eq!(
            add_open_days(date!(2026 - 12 - 25), 1),
            date!(2026 - 12 - 28)
        );
        assert_eq!(
            add_open_days(date!(2026 - 12 - 25), 2),
            date!(2027 - 01 - 04)
        );
        assert_eq!(
            add_open_days(date!(2026 - 12 - 25), 3),
            date!(2027 - 01 - 05)
        );
        // Same day (即日) on an open day; the next open day when submitted on a closed one.
        assert_eq!(
            add_open_days(date!(2026 - 12 - 07), 0),
            date!(2026 - 12 - 07)
        );
        assert_eq!(
            add_open_days(date!(2026 - 12 - 05), 0),
            date!(2026 - 12 - 07)
        );
        // Submitted on Saturday: the first 開庁日 after it is Monday.
        assert_eq!(
            add_open_days(date!(2026 - 12 - 05), 1),
            date!(2026 - 12 - 07)
        );
        // Golden Week 2026: 5/1 (Fri) + 1 = 5/7 (Thu).
        assert_eq!(
            add_open_days(date!(2026 - 05 - 01), 1),
            date!(2026 - 05 - 07)
        );
        assert_eq!(
            add_open_days(date!(2026 - 12 - 07), -4),
            date!(2026 - 12 - 07)
        );
    }

    #[test]
    fn every_year_has_sixteen_statutory_holidays() {
        for y in 2022..=2099 {
            let n = holidays_of(y)
                .into_iter()
                .filter(|(_, n)| *n != "振替休日" && *n != "国民の休日")
                .count();
            assert_eq!(n, 16, "{y}");
        }
    }
}
