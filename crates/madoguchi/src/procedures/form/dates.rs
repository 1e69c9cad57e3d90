//! Dates as the canonical answer `"YYYY-MM-DD"`: the bounds a date field allows and a regular
//! expression that matches exactly the real calendar dates within them (leap years included),
//! so that the JSON Schema can say what the server checks.
//!
//! The expression uses only the part of regex syntax that ECMA-262 (JSON Schema's dialect) and
//! the `regex` crate read alike: literals, `[0-9]`-style classes, `(?:…)`, `|`, `^` and `$`.

use time::{Date, Month, macros::date};

use crate::procedures::jp::Era;

/// The earliest date any field accepts: 明治元年1月25日, as `jp::parse_wareki` refuses earlier ones.
pub const EARLIEST: Date = Era::Meiji.start();
/// The latest date any field accepts.
pub const LATEST: Date = date!(9999 - 12 - 31);

/// A `min`/`max` of a date field: `"YYYY-MM-DD"`, `"today"`, or today moved by whole days,
/// months or years: `"today-75y"` (75 years ago: the birthday of someone turning 75 today),
/// `"today+30d"`, `"today-6m"`. A month or year step that lands on a day the month lacks
/// (29 February, 31 April) moves to the month's last day. `None` when it is none of these.
pub fn resolve_bound(bound: &str, today: Date) -> Option<Date> {
    let Some(rest) = bound.strip_prefix("today") else {
        return parse_canonical(bound);
    };
    if rest.is_empty() {
        return Some(today);
    }
    let (sign, rest) = match rest.as_bytes().first()? {
        b'+' => (1i64, &rest[1..]),
        b'-' => (-1i64, &rest[1..]),
        _ => return None,
    };
    let unit = rest.chars().last()?;
    let n: i64 = rest[..rest.len() - 1]
        .parse()
        .ok()
        .filter(|n: &i64| (0..=200_000).contains(n))?;
    let months = match unit {
        'd' => return today.checked_add(time::Duration::days(sign * n)),
        'm' => sign * n,
        'y' => sign * n * 12,
        _ => return None,
    };
    let total = i64::from(today.year()) * 12 + i64::from(u8::from(today.month())) - 1 + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).ok()?).ok()?;
    let day = today.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).ok()
}

/// Reads `"YYYY-MM-DD"` (exactly that shape, a real date). Nothing else.
pub fn parse_canonical(s: &str) -> Option<Date> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let (y, m, d) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let month = Month::try_from(u8::try_from(m).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(y).ok()?, month, u8::try_from(d).ok()?).ok()
}

/// `YYYY-MM-DD`.
pub fn format_canonical(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The dates a field allows: its bounds clamped to [`EARLIEST`, `LATEST`]. `None` when no date
/// is left (a `min` after the `max`, e.g. `min: "today"` with a `max` in the past).
pub fn field_range(min: Option<&str>, max: Option<&str>, today: Date) -> Option<(Date, Date)> {
    let lo = min
        .and_then(|m| resolve_bound(m, today))
        .map_or(EARLIEST, |d| d.max(EARLIEST));
    let hi = max
        .and_then(|m| resolve_bound(m, today))
        .map_or(LATEST, |d| d.min(LATEST));
    (lo <= hi).then_some((lo, hi))
}

fn is_leap(y: u32) -> bool {
    y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400))
}

/// A regex alternation (without anchors) for the zero-padded `width`-digit numbers in
/// `lo..=hi`.
pub fn num_range(lo: u32, hi: u32, width: usize) -> String {
    let l = format!("{lo:0width$}");
    let h = format!("{hi:0width$}");
    let alts = range_alts(l.as_bytes(), h.as_bytes());
    if alts.len() == 1 {
        alts.into_iter().next().unwrap_or_default()
    } else {
        format!("(?:{})", alts.join("|"))
    }
}

fn class(a: u8, b: u8) -> String {
    match b - a {
        0 => (a as char).to_string(),
        9 => "[0-9]".to_string(),
        1 => format!("[{}{}]", a as char, b as char),
        _ => format!("[{}-{}]", a as char, b as char),
    }
}

fn any_digits(n: usize) -> String {
    match n {
        0 => String::new(),
        1 => "[0-9]".to_string(),
        _ => format!("[0-9]{{{n}}}"),
    }
}

/// Alternatives for the digit strings between `lo` and `hi` (same length, `lo <= hi`).
fn range_alts(lo: &[u8], hi: &[u8]) -> Vec<String> {
    let n = lo.len();
    if n == 0 {
        return vec![String::new()];
    }
    let rest_zero = lo[1..].iter().all(|&c| c == b'0');
    let rest_nine = hi[1..].iter().all(|&c| c == b'9');
    if lo[0] == hi[0] {
        let head = lo[0] as char;
        return range_alts(&lo[1..], &hi[1..])
            .into_iter()
            .map(|t| format!("{head}{t}"))
            .collect();
    }
    if rest_zero && rest_nine {
        return vec![format!("{}{}", class(lo[0], hi[0]), any_digits(n - 1))];
    }
    let mut out = Vec::new();
    let mut first = lo[0];
    if !rest_zero {
        let nines = vec![b'9'; n - 1];
        for t in range_alts(&lo[1..], &nines) {
            out.push(format!("{}{t}", lo[0] as char));
        }
        first += 1;
    }
    let mut last = hi[0];
    let tail_hi = if rest_nine {
        None
    } else {
        last -= 1;
        Some(hi[0])
    };
    if first <= last {
        out.push(format!("{}{}", class(first, last), any_digits(n - 1)));
    }
    if let Some(h0) = tail_hi {
        let zeros = vec![b'0'; n - 1];
        for t in range_alts(&zeros, &hi[1..]) {
            out.push(format!("{}{t}", h0 as char));
        }
    }
    out
}

/// Month-days valid in every year (all but 02-29).
const MD_COMMON: &str = "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)";
/// The last two digits of a leap year that is not a century.
const LEAP_TAIL: &str = "(?:0[48]|[2468][048]|[13579][26])";

fn days_in(y: u32, m: u8) -> u8 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Alternatives for the dates of year `y` from (m1, d1) to (m2, d2).
fn within_year(y: u32, (m1, d1): (u8, u8), (m2, d2): (u8, u8), out: &mut Vec<String>) {
    for m in m1..=m2 {
        let lo = if m == m1 { d1 } else { 1 };
        let hi = if m == m2 { d2 } else { days_in(y, m) };
        out.push(format!(
            "{y:04}-{m:02}-{}",
            num_range(u32::from(lo), u32::from(hi), 2)
        ));
    }
}

/// Alternatives for the leap years in `a..=b` (four digits each).
fn leap_years(a: u32, b: u32) -> Vec<String> {
    let mut out = Vec::new();
    let mut full: Option<(u32, u32)> = None;
    let flush = |full: &mut Option<(u32, u32)>, out: &mut Vec<String>| {
        if let Some((c1, c2)) = full.take() {
            out.push(format!("{}{LEAP_TAIL}", num_range(c1, c2, 2)));
            for c in (c1..=c2).filter(|c| c.is_multiple_of(4)) {
                out.push(format!("{c:02}00"));
            }
        }
    };
    for c in a / 100..=b / 100 {
        let (lo, hi) = ((c * 100).max(a), (c * 100 + 99).min(b));
        if lo == c * 100 && hi == c * 100 + 99 {
            full = Some(full.map_or((c, c), |(c1, _)| (c1, c)));
        } else {
            flush(&mut full, &mut out);
            out.extend((lo..=hi).filter(|&y| is_leap(y)).map(|y| format!("{y:04}")));
        }
    }
    flush(&mut full, &mut out);
    out
}

/// An anchored regex matching exactly the `YYYY-MM-DD` strings of the real dates in
/// `lo..=hi` (both between year 1000 and 9999).
pub fn date_regex(lo: Date, hi: Date) -> String {
    let mut alts = Vec::new();
    let md = |d: Date| (u8::from(d.month()), d.day());
    let (ly, hy) = (lo.year() as u32, hi.year() as u32);
    if ly == hy {
        within_year(ly, md(lo), md(hi), &mut alts);
    } else {
        let mut a = ly;
        if md(lo) != (1, 1) {
            within_year(ly, md(lo), (12, 31), &mut alts);
            a += 1;
        }
        let mut b = hy;
        let last_partial = md(hi) != (12, 31);
        if last_partial {
            b -= 1;
        }
        if a <= b {
            alts.push(format!("{}-{MD_COMMON}", num_range(a, b, 4)));
            let leaps = leap_years(a, b);
            if !leaps.is_empty() {
                alts.push(format!("(?:{})-02-29", leaps.join("|")));
            }
        }
        if last_partial {
            within_year(hy, (1, 1), md(hi), &mut alts);
        }
    }
    format!("^(?:{})$", alts.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;
    use time::Duration;

    fn re(lo: Date, hi: Date) -> Regex {
        Regex::new(&date_regex(lo, hi)).expect("regex")
    }

    #[test]
    fn num_range_is_exact() {
        for (lo, hi, w) in [
            (0, 99, 2),
            (1, 31, 2),
            (7, 7, 2),
            (1868, 2026, 4),
            (1000, 9999, 4),
            (19, 99, 2),
            (123, 4567, 4),
        ] {
            let r = Regex::new(&format!("^{}$", num_range(lo, hi, w))).expect("regex");
            for n in 0..10u32.pow(w as u32) {
                assert_eq!(
                    r.is_match(&format!("{n:0w$}")),
                    (lo..=hi).contains(&n),
                    "{lo}..{hi} {n}"
                );
            }
        }
    }

    /// Every string of the shape `YYYY-MM-DD` over a span of years, months 00–13 and days
    /// 00–32, against the calendar.
    #[test]
    fn date_regex_is_exact_over_every_day_shape() {
        let cases = [
            (date!(1868 - 01 - 25), date!(2026 - 12 - 01)),
            (date!(1896 - 02 - 29), date!(1904 - 03 - 01)),
            (date!(2000 - 01 - 01), date!(2000 - 12 - 31)),
            (date!(2024 - 02 - 10), date!(2024 - 02 - 29)),
            (date!(1899 - 12 - 31), date!(1900 - 03 - 01)),
        ];
        for (lo, hi) in cases {
            let r = re(lo, hi);
            let (y0, y1) = ((lo.year() - 1).max(1000), (hi.year() + 1).min(9999));
            for y in y0..=y1 {
                for m in 0..=13u32 {
                    for d in 0..=32u32 {
                        let s = format!("{y:04}-{m:02}-{d:02}");
                        let want = parse_canonical(&s).is_some_and(|x| lo <= x && x <= hi);
                        assert_eq!(r.is_match(&s), want, "{lo}..{hi}: {s}");
                    }
                }
            }
        }
    }

    #[test]
    fn whole_range_knows_leap_centuries() {
        let r = re(EARLIEST, LATEST);
        for s in [
            "1900-02-29",
            "2100-02-29",
            "2023-02-29",
            "1868-01-24",
            "2024-13-01",
            "2024-1-01",
        ] {
            assert!(!r.is_match(s), "{s}");
        }
        for s in [
            "2000-02-29",
            "2400-02-29",
            "2024-02-29",
            "1868-01-25",
            "9999-12-31",
            "1904-02-29",
        ] {
            assert!(r.is_match(s), "{s}");
        }
    }

    #[test]
    fn bounds() {
        let today = date!(2026 - 12 - 01);
        assert_eq!(resolve_bound("today", today), Some(today));
        assert_eq!(
            resolve_bound("2024-02-29", today),
            Some(date!(2024 - 02 - 29))
        );
        assert_eq!(resolve_bound("2023-02-29", today), None);
        assert_eq!(resolve_bound("2024-2-29", today), None);
        assert_eq!(
            resolve_bound("today-75y", today),
            Some(date!(1951 - 12 - 01))
        );
        assert_eq!(
            resolve_bound("today+30d", today),
            Some(date!(2026 - 12 - 31))
        );
        assert_eq!(
            resolve_bound("today-6m", today),
            Some(date!(2026 - 06 - 01))
        );
        assert_eq!(
            resolve_bound("today-1y", date!(2024 - 02 - 29)),
            Some(date!(2023 - 02 - 28))
        );
        assert_eq!(
            resolve_bound("today+1m", date!(2026 - 01 - 31)),
            Some(date!(2026 - 02 - 28))
        );
        for bad in [
            "today-",
            "today-y",
            "today*3d",
            "today-3w",
            "today-x3d",
            "yesterday",
        ] {
            assert_eq!(resolve_bound(bad, today), None, "{bad}");
        }
        assert_eq!(field_range(Some("today"), Some("2020-01-01"), today), None);
        assert_eq!(
            field_range(Some("1800-01-01"), None, today),
            Some((EARLIEST, LATEST))
        );
    }

    proptest! {
        #[test]
        fn random_bounds_agree(a in 0i64..60_000, len in 0i64..3_000, probe in 0i64..66_000) {
            let lo = EARLIEST + Duration::days(a);
            let hi = (lo + Duration::days(len)).min(LATEST);
            let r = re(lo, hi);
            let p = EARLIEST + Duration::days(probe);
            prop_assert_eq!(r.is_match(&format_canonical(p)), lo <= p && p <= hi);
            prop_assert!(r.is_match(&format_canonical(lo)) && r.is_match(&format_canonical(hi)));
        }
    }
}
