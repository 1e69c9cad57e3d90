//! Deadlines from an event date, by the rules of 民法 (Civil Code) 第140条〜第143条.
//!
//! * 第140条 初日不算入: a period in days, months or years does not count the first day unless
//!   it starts at midnight; [`Count::FromNextDay`]. Laws that say otherwise win: 戸籍法第43条第1項
//!   counts 届出期間 from the day of the event ([`Count::FromEventDay`]): a birth on 4月1日 with
//!   14 days ends on 4月14日.
//! * 第141条: a period ends at the end of its last day.
//! * 第143条: a period in months or years ends the day before the day in the last month that
//!   corresponds to the first counted day; when the last month has no such day, it ends on
//!   that month's last day.
//! * 第142条 (and 地方自治法 第4条の2第4項 for acts toward the city): a last day that falls on
//!   a closed day (a weekend, a national holiday, 12月29日〜1月3日) moves to the next open day.
//!   [`last_open_day`] applies it with the city's calendar (`crate::calendar`), and
//!   [`closed_reason`] says why the day was closed, for the checklist's explanation.

use time::{Date, Duration, Month, Weekday};

use super::model::{Count, Deadline, Unit};

/// The first day the period counts.
pub fn first_day(event: Date, count: Count) -> Date {
    match count {
        Count::FromEventDay => event,
        Count::FromNextDay => event.next_day().unwrap_or(event),
    }
}

/// The last day of the period (inclusive): the procedure is on time on that day.
pub fn last_day(event: Date, d: &Deadline) -> Date {
    let first = first_day(event, d.count);
    let n = d.length as i32;
    match d.unit {
        Unit::Days => first + Duration::days(i64::from(n.max(1)) - 1),
        Unit::Months => after_months(first, n),
        Unit::Years => after_months(first, n * 12),
    }
}

/// Why the city hall is closed on a day (for 「期限の日が閉庁日のため…」).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// 12月29日〜1月3日 (市の休日を定める条例), named before a holiday on the same day (元日).
    YearEnd,
    /// A national holiday, 振替休日 or 国民の休日, with its name.
    Holiday(&'static str),
    Saturday,
    Sunday,
}

impl Closed {
    /// The reason in words: 「日曜日」, 「憲法記念日」, 「年末年始の休み」 / "a Sunday", ….
    pub fn words(self, l: crate::web::i18n::Lang) -> String {
        use crate::web::i18n::Lang;
        match (self, l) {
            (Closed::YearEnd, Lang::Ja) => "年末年始の休み".to_owned(),
            (Closed::YearEnd, Lang::En) => "the New Year closure".to_owned(),
            (Closed::Holiday(name), Lang::Ja) => name.to_owned(),
            (Closed::Holiday(name), Lang::En) => format!("a public holiday ({name})"),
            (Closed::Saturday, Lang::Ja) => "土曜日".to_owned(),
            (Closed::Saturday, Lang::En) => "a Saturday".to_owned(),
            (Closed::Sunday, Lang::Ja) => "日曜日".to_owned(),
            (Closed::Sunday, Lang::En) => "a Sunday".to_owned(),
        }
    }
}

/// Why the city hall is closed on `d`; `None` on an open day.
pub fn closed_reason(d: Date) -> Option<Closed> {
    if !crate::calendar::is_closed(d) {
        return None;
    }
    let (m, day) = (d.month(), d.day());
    if (m == Month::December && day >= 29) || (m == Month::January && day <= 3) {
        return Some(Closed::YearEnd);
    }
    if let Some(name) = crate::calendar::national_holiday(d) {
        return Some(Closed::Holiday(name));
    }
    Some(match d.weekday() {
        Weekday::Saturday => Closed::Saturday,
        _ => Closed::Sunday,
    })
}

/// 民法第142条: the day the procedure is still on time, `last` itself when the city hall is
/// open then, else the next open day.
pub fn last_open_day(last: Date) -> Date {
    crate::calendar::next_open_day(last)
}

/// The earliest day the procedure is accepted, when the deadline has an opening day.
pub fn opens(event: Date, d: &Deadline) -> Option<Date> {
    d.opens_days_before
        .map(|n| event - Duration::days(i64::from(n)))
}

/// 民法第143条第2項 for a period of `months` starting on `first`.
fn after_months(first: Date, months: i32) -> Date {
    let total = first.year() * 12 + (first.month() as i32 - 1) + months;
    let (year, month0) = (total.div_euclid(12), total.rem_euclid(12));
    let month = Month::try_from(month0 as u8 + 1).unwrap_or(Month::January);
    let days = time::util::days_in_month(month, year);
    if first.day() <= days {
        // The corresponding day exists: the period ends the day before it.
        Date::from_calendar_date(year, month, first.day())
            .map(|d| d.previous_day().unwrap_or(d))
            .unwrap_or(first)
    } else {
        // No corresponding day (e.g. 31日 → 2月): the last day of that month.
        Date::from_calendar_date(year, month, days).unwrap_or(first)
    }
}

/// Parses `YYYY-MM-DD` (the value of a date input).
pub fn parse_date(s: &str) -> Option<Date> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &fmt).ok()
}

pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

const WEEKDAYS_JA: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];

/// 「2026年4月15日（水）」 / "Wed 15 April 2026".
pub fn display(l: crate::web::i18n::Lang, d: Date) -> String {
    let wd = d.weekday().number_days_from_monday() as usize;
    match l {
        crate::web::i18n::Lang::Ja => format!(
            "{}年{}月{}日（{}）",
            d.year(),
            d.month() as u8,
            d.day(),
            WEEKDAYS_JA[wd]
        ),
        crate::web::i18n::Lang::En => {
            let wd_en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][wd];
            format!("{wd_en} {} {} {}", d.day(), d.month(), d.year())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn dl(length: u32, unit: Unit, count: Count) -> Deadline {
        Deadline {
            length,
            unit,
            count,
            rule_ja: String::new(),
            rule_en: None,
            basis: None,
            opens_days_before: None,
            fixed: false,
        }
    }

    #[test]
    fn fourteen_days_not_counting_the_first_day() {
        // 住民基本台帳法第22条 (転入届 14日以内) with 民法第140条: moved on 4/1 → 4/15.
        let d = dl(14, Unit::Days, Count::FromNextDay);
        assert_eq!(last_day(date!(2026 - 04 - 01), &d), date!(2026 - 04 - 15));
        // Across a month and a year end.
        assert_eq!(last_day(date!(2026 - 12 - 25), &d), date!(2027 - 01 - 08));
    }

    #[test]
    fn fourteen_days_counting_the_event_day() {
        // 戸籍法第49条 + 第43条第1項: born 4/1 → 出生届 by 4/14.
        let d = dl(14, Unit::Days, Count::FromEventDay);
        assert_eq!(last_day(date!(2026 - 04 - 01), &d), date!(2026 - 04 - 14));
        // 死亡届 7 days (戸籍法第86条): known on 2/25 of a leap year → 3/2.
        let d = dl(7, Unit::Days, Count::FromEventDay);
        assert_eq!(last_day(date!(2028 - 02 - 25), &d), date!(2028 - 03 - 02));
    }

    #[test]
    fn fifteen_days_from_the_day_after() {
        // 児童手当法第8条第3項 (15日特例): born 4/1 → 認定請求 by 4/16.
        let d = dl(15, Unit::Days, Count::FromNextDay);
        assert_eq!(last_day(date!(2026 - 04 - 01), &d), date!(2026 - 04 - 16));
    }

    #[test]
    fn months_end_the_day_before_the_corresponding_day() {
        // 戸籍法第77条の2 (3 months, event day counted): divorced 1/10 → 4/9.
        let d = dl(3, Unit::Months, Count::FromEventDay);
        assert_eq!(last_day(date!(2026 - 01 - 10), &d), date!(2026 - 04 - 09));
        // 民法第143条第2項 ただし書: no corresponding day → last day of the month.
        assert_eq!(last_day(date!(2025 - 11 - 30), &d), date!(2026 - 02 - 28));
        assert_eq!(last_day(date!(2027 - 11 - 30), &d), date!(2028 - 02 - 29));
        // First day not counted: from 1/31 the count starts 2/1 → ends 4/30.
        let d = dl(3, Unit::Months, Count::FromNextDay);
        assert_eq!(last_day(date!(2026 - 01 - 31), &d), date!(2026 - 04 - 30));
    }

    #[test]
    fn years() {
        // 2 years, first day not counted: 2026-04-01 → 2028-04-01.
        let d = dl(2, Unit::Years, Count::FromNextDay);
        assert_eq!(last_day(date!(2026 - 04 - 01), &d), date!(2028 - 04 - 01));
        // Leap day, first day counted: the corresponding day 2/29 is missing in 2029.
        let d = dl(1, Unit::Years, Count::FromEventDay);
        assert_eq!(last_day(date!(2028 - 02 - 29), &d), date!(2029 - 02 - 28));
    }

    #[test]
    fn a_last_day_on_a_closed_day_moves_to_the_next_open_day() {
        // Golden Week 2026: 5/3 (日, 憲法記念日), 5/4 みどりの日, 5/5 こどもの日, 5/6 振替休日.
        // Moved in on 4/19 → 14 days end on Sunday 5/3 → on time until Thursday 5/7.
        let d = dl(14, Unit::Days, Count::FromNextDay);
        let end = last_day(date!(2026 - 04 - 19), &d);
        assert_eq!(end, date!(2026 - 05 - 03));
        assert_eq!(closed_reason(end), Some(Closed::Holiday("憲法記念日")));
        assert_eq!(last_open_day(end), date!(2026 - 05 - 07));
        assert_eq!(
            closed_reason(date!(2026 - 05 - 06)),
            Some(Closed::Holiday("振替休日"))
        );
        // 年末年始: born 12/16 → 14 days incl. the day end on 12/29 → Monday 1/4 2027.
        let d = dl(14, Unit::Days, Count::FromEventDay);
        let end = last_day(date!(2026 - 12 - 16), &d);
        assert_eq!(end, date!(2026 - 12 - 29));
        assert_eq!(closed_reason(end), Some(Closed::YearEnd));
        assert_eq!(last_open_day(end), date!(2027 - 01 - 04));
        // 1/1 is 元日 but named as the New Year closure.
        assert_eq!(closed_reason(date!(2027 - 01 - 01)), Some(Closed::YearEnd));
        // A plain weekend: 4/1 + 2 years (first day not counted) = Saturday 2028-04-01 → Monday.
        let d = dl(2, Unit::Years, Count::FromNextDay);
        let end = last_day(date!(2026 - 04 - 01), &d);
        assert_eq!(closed_reason(end), Some(Closed::Saturday));
        assert_eq!(last_open_day(end), date!(2028 - 04 - 03));
        // An open day stays.
        assert_eq!(closed_reason(date!(2026 - 04 - 15)), None);
        assert_eq!(last_open_day(date!(2026 - 04 - 15)), date!(2026 - 04 - 15));
        use crate::web::i18n::Lang;
        assert_eq!(Closed::Sunday.words(Lang::Ja), "日曜日");
        assert_eq!(
            Closed::Holiday("振替休日").words(Lang::En),
            "a public holiday (振替休日)"
        );
    }

    #[test]
    fn opening_day_and_formats() {
        let mut d = dl(14, Unit::Days, Count::FromNextDay);
        d.opens_days_before = Some(14);
        assert_eq!(
            opens(date!(2026 - 04 - 20), &d),
            Some(date!(2026 - 04 - 06))
        );
        assert_eq!(parse_date(" 2026-04-15 "), Some(date!(2026 - 04 - 15)));
        assert_eq!(parse_date("2026-02-30"), None);
        assert_eq!(parse_date("2026/04/15"), None);
        use crate::web::i18n::Lang;
        assert_eq!(
            display(Lang::Ja, date!(2026 - 04 - 15)),
            "2026年4月15日（水）"
        );
        assert_eq!(
            display(Lang::En, date!(2026 - 04 - 15)),
            "Wed 15 April 2026"
        );
    }
}
