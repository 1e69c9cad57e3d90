//! Domain rules of Web口座振替, pure (no database, clock or randomness inside): mandate states,
//! account fields, the first debit date, fiscal years, and the redirect signatures.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::{Date, Month, OffsetDateTime};
use unicode_normalization::UnicodeNormalization;

/// Where a mandate stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MandateStatus {
    /// Sent to the bank, not confirmed (yet).
    Pending,
    /// Confirmed by the bank: bills are debited from `starts_on` on.
    Active,
    /// Stopped by staff for a while (no debits); can be resumed.
    Suspended,
    /// Ended (by staff, or a bank that refused it). Final.
    Cancelled,
}

impl MandateStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MandateStatus::Pending => "pending",
            MandateStatus::Active => "active",
            MandateStatus::Suspended => "suspended",
            MandateStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<MandateStatus> {
        Some(match s {
            "pending" => MandateStatus::Pending,
            "active" => MandateStatus::Active,
            "suspended" => MandateStatus::Suspended,
            "cancelled" => MandateStatus::Cancelled,
            _ => return None,
        })
    }
    /// Message key of the status label.
    pub fn label_key(self) -> &'static str {
        match self {
            MandateStatus::Pending => "debit.status_pending",
            MandateStatus::Active => "debit.status_active",
            MandateStatus::Suspended => "debit.status_suspended",
            MandateStatus::Cancelled => "debit.status_cancelled",
        }
    }
    /// The moves staff may make (suspend, resume, cancel); the bank's confirmation is the only
    /// way from pending to active.
    pub fn staff_may(self, to: MandateStatus) -> bool {
        use MandateStatus::*;
        matches!(
            (self, to),
            (Active, Suspended) | (Suspended, Active) | (Pending | Active | Suspended, Cancelled)
        )
    }
}

/// 預金種目 a resident may choose (付録3). 3 納税準備預金 and 9 その他 exist in the format but are
/// not offered online.
pub const ACCOUNT_TYPES: &[(u8, &str)] = &[(1, "debit.type_1"), (2, "debit.type_2")];

pub fn account_type_key(t: i64) -> &'static str {
    match t {
        1 => "debit.type_1",
        2 => "debit.type_2",
        3 => "debit.type_3",
        _ => "debit.type_9",
    }
}

/// NFKC, then without spaces and hyphens: `１２３ ４５６７` → `1234567`.
fn digits_of(input: &str) -> String {
    input
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect()
}

/// The account number: 1 to 7 digits (full width accepted), returned zero-filled to 7.
pub fn account_number(input: &str) -> Result<String, &'static str> {
    let d = digits_of(input);
    if d.is_empty() {
        return Err("debit.err_account_required");
    }
    if !d.chars().all(|c| c.is_ascii_digit()) || d.len() > 7 {
        return Err("debit.err_account_digits");
    }
    Ok(format!("{d:0>7}"))
}

/// A branch code typed by hand: 3 digits (full width accepted).
pub fn branch_code(input: &str) -> Option<String> {
    let d = digits_of(input);
    (d.len() == 3 && d.chars().all(|c| c.is_ascii_digit())).then_some(d)
}

/// JST, the offset every date of the module is taken in.
pub use crate::calendar::JST;

pub fn jst_date(ms: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(JST)
        .date()
}

/// The first debit date of a mandate confirmed at `ms`: the 1st of the month after next (JST),
/// because the bank's mandate master and the tax system need one billing cycle to take it in
/// (a paper 依頼書 takes 1–2 months today). Bills due earlier are paid by slip as before.
pub fn starts_on(ms: i64) -> Date {
    let d = jst_date(ms);
    let (mut y, mut m) = (d.year(), u8::from(d.month()));
    for _ in 0..2 {
        if m == 12 {
            y += 1;
            m = 1;
        } else {
            m += 1;
        }
    }
    let month = Month::try_from(m).unwrap_or(Month::January);
    Date::from_calendar_date(y, month, 1).unwrap_or(d)
}

/// The Japanese fiscal year (年度, April to March) of a JST date.
pub fn fiscal_year(d: Date) -> i32 {
    if u8::from(d.month()) >= 4 {
        d.year()
    } else {
        d.year() - 1
    }
}

/// `YYYY-MM-DD`.
pub fn iso(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

pub fn parse_iso(s: &str) -> Option<Date> {
    let f = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s.trim(), &f).ok()
}

/// The KPI target of web registrations per fiscal year (plan 1-2: 6,000 in FY2025 for 市川市).
pub fn web_registration_target(municipality: &str, fiscal_year: i32) -> Option<i64> {
    match (municipality, fiscal_year) {
        ("122033", 2025) => Some(6000),
        _ => None,
    }
}

// ---- the redirect signatures ----------------------------------------------------------------

type HmacSha256 = Hmac<Sha256>;

/// The canonical form of the signed parameters: every parameter except `sig`, sorted by name,
/// `name=value` with both form-urlencoded (UTF-8), joined by `&`.
pub fn canonical(params: &[(String, String)]) -> String {
    let mut v: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "sig").collect();
    v.sort();
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, val) in v {
        s.append_pair(k, val);
    }
    s.finish()
}

/// `hex(HMAC-SHA256(secret, canonical(params)))`.
pub fn sign(secret: &str, params: &[(String, String)]) -> String {
    // An HMAC key may have any length, so this never fails.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(canonical(params).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks `sig` over the other parameters (constant-time). An empty secret never verifies.
pub fn verify(secret: &str, params: &[(String, String)]) -> bool {
    if secret.is_empty() {
        return false;
    }
    let Some(sig) = params.iter().find(|(k, _)| k == "sig").map(|(_, v)| v) else {
        return false;
    };
    let Ok(sig) = hex::decode(sig) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(canonical(params).as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// One value of a parameter list.
pub fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn signatures_cover_every_parameter() {
        let mut params = p(&[("mandate", "m1"), ("nonce", "n"), ("result", "confirmed")]);
        let sig = sign("s3cret", &params);
        params.push(("sig".into(), sig.clone()));
        assert!(verify("s3cret", &params));
        assert!(!verify("other", &params));
        assert!(!verify("", &params));
        let mut tampered = params.clone();
        tampered[2].1 = "cancelled".into();
        assert!(!verify("s3cret", &tampered));
        let mut added = params.clone();
        added.push(("extra".into(), "1".into()));
        assert!(!verify("s3cret", &added));
        // Order does not matter; names and values are both encoded.
        let mut rev = params.clone();
        rev.reverse();
        assert!(verify("s3cret", &rev));
        assert_eq!(
            canonical(&p(&[("b", "x y"), ("a", "&=")])),
            "a=%26%3D&b=x+y"
        );
    }

    #[test]
    fn account_fields() {
        assert_eq!(account_number("１２３４５６７").as_deref(), Ok("1234567"));
        assert_eq!(account_number("12345").as_deref(), Ok("0012345"));
        assert_eq!(account_number(""), Err("debit.err_account_required"));
        assert_eq!(account_number("12345678"), Err("debit.err_account_digits"));
        assert_eq!(account_number("12a4"), Err("debit.err_account_digits"));
        assert_eq!(branch_code("０１１").as_deref(), Some("011"));
        assert_eq!(branch_code("11"), None);
    }

    #[test]
    fn first_debit_and_fiscal_year() {
        // 2026-12-01 10:00 JST → 2027-02-01; 2026-03-31 23:30 JST → 2026-05-01.
        let ms = |s: &str| {
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .expect("date")
                .unix_timestamp()
                * 1000
        };
        assert_eq!(iso(starts_on(ms("2026-12-01T01:00:00Z"))), "2027-02-01");
        assert_eq!(iso(starts_on(ms("2026-03-31T14:30:00Z"))), "2026-05-01");
        assert_eq!(iso(starts_on(ms("2026-11-15T00:00:00Z"))), "2027-01-01");
        assert_eq!(fiscal_year(parse_iso("2026-03-31").expect("d")), 2025);
        assert_eq!(fiscal_year(parse_iso("2026-04-01").expect("d")), 2026);
        assert_eq!(web_registration_target("122033", 2025), Some(6000));
        assert_eq!(web_registration_target("123226", 2025), None);
    }

    #[test]
    fn staff_moves() {
        use MandateStatus::*;
        assert!(Active.staff_may(Suspended));
        assert!(Suspended.staff_may(Active));
        assert!(Pending.staff_may(Cancelled));
        assert!(!Pending.staff_may(Active));
        assert!(!Cancelled.staff_may(Active));
        assert!(!Cancelled.staff_may(Cancelled));
    }
}
