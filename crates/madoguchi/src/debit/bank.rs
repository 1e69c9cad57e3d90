//! The bank adapter: the signed redirect to a bank's Web口座振替受付 page and the signed return.
//!
//! This is **our adapter's protocol**; each real bank's (or provider's) Web口座振替受付 API
//! differs and is not public (reference sheet §8: the parameter names, MAC and return handling of
//! MPN / Pay-easy 口座振替受付 and of the provider-hosted services are proprietary). What it keeps
//! from the real services: the resident is sent to the bank's own site, authenticates there,
//! and the result rides the front-channel redirect back, so the return must be verified.
//!
//! Out (`GET <bank url>?…`): `v=1`, `bank`, `municipality`, `mandate` (our public id),
//! `nonce` (random, one use), `expires` (unix seconds), `branch`, `account_type`,
//! `account_number`, `holder` (全銀 half-width kana), `return_url`, and `sig`.
//! Back (`GET /debit/return?…`): `v=1`, `bank`, `mandate`, `nonce`, `result`
//! (`confirmed` / `cancelled` / `error`), `bank_ref` (the bank's reference, when confirmed),
//! `at` (unix seconds), and `sig`.
//! `sig = hex(HMAC-SHA256(debit.banks.<code>.secret, canonical))`, where canonical is every
//! other parameter sorted by name, form-urlencoded and joined by `&` (`model::canonical`).

use super::config::{DebitBankConfig, DebitConfig};
use super::model::{self, param};
use super::store::MandateRow;

/// Where the bank SANDBOX of the demo and the tests is mounted.
pub const SANDBOX_PATH: &str = "/sandbox/bank";
/// Where banks send the resident back.
pub const RETURN_PATH: &str = "/debit/return";

/// The bank's page for this bank code (the sandbox on this server when `url` is empty).
pub fn bank_url(base_url: &str, code: &str, cfg: &DebitBankConfig) -> String {
    if cfg.url.is_empty() {
        format!("{}{SANDBOX_PATH}/{code}", base_url.trim_end_matches('/'))
    } else {
        cfg.url.clone()
    }
}

/// The parameters of the redirect to the bank, signed.
pub fn outgoing(
    cfg: &DebitBankConfig,
    base_url: &str,
    m: &MandateRow,
    nonce: &str,
    expires_at_ms: i64,
) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = [
        ("v", "1".to_owned()),
        ("bank", m.bank_code.clone()),
        ("municipality", m.municipality_id.clone()),
        ("mandate", m.public_id.clone()),
        ("nonce", nonce.to_owned()),
        ("expires", (expires_at_ms / 1000).to_string()),
        ("branch", m.branch_code.clone()),
        ("account_type", m.account_type.to_string()),
        ("account_number", m.account_number.clone()),
        ("holder", m.holder_kana.clone()),
        (
            "return_url",
            format!("{}{RETURN_PATH}", base_url.trim_end_matches('/')),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let sig = model::sign(&cfg.secret, &p);
    p.push(("sig".into(), sig));
    p
}

pub fn redirect_url(
    cfg: &DebitBankConfig,
    base_url: &str,
    m: &MandateRow,
    nonce: &str,
    expires_at_ms: i64,
) -> String {
    let p = outgoing(cfg, base_url, m, nonce, expires_at_ms);
    let q = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(p.iter())
        .finish();
    let url = bank_url(base_url, &m.bank_code, cfg);
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{q}")
}

/// The bank's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Confirmed,
    Cancelled,
    Error,
}

/// A verified return (signature and freshness checked; the nonce is checked against the
/// mandate by the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Return {
    pub bank: String,
    pub mandate: String,
    pub nonce: String,
    pub outcome: Outcome,
    pub bank_ref: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReturnError {
    #[error("a parameter is missing or malformed")]
    Malformed,
    #[error("no such bank is configured")]
    UnknownBank,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the return is too old or from the future")]
    Stale,
}

/// Checks a return's parameters (the query string, in any order).
pub fn verify_return(
    cfg: &DebitConfig,
    params: &[(String, String)],
    now_ms: i64,
) -> Result<Return, ReturnError> {
    let get = |k: &str| param(params, k).ok_or(ReturnError::Malformed);
    if get("v")? != "1" {
        return Err(ReturnError::Malformed);
    }
    // A parameter given twice could be read differently by two parsers: refuse.
    let mut names: Vec<&str> = params.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(ReturnError::Malformed);
    }
    let bank = get("bank")?;
    let bank_cfg = cfg.banks.get(bank).ok_or(ReturnError::UnknownBank)?;
    if !model::verify(&bank_cfg.secret, params) {
        return Err(ReturnError::BadSignature);
    }
    let at: i64 = get("at")?.parse().map_err(|_| ReturnError::Malformed)?;
    let window = cfg.redirect_minutes.max(1) * 60;
    if (now_ms / 1000 - at).abs() > window {
        return Err(ReturnError::Stale);
    }
    let outcome = match get("result")? {
        "confirmed" => Outcome::Confirmed,
        "cancelled" => Outcome::Cancelled,
        "error" => Outcome::Error,
        _ => return Err(ReturnError::Malformed),
    };
    Ok(Return {
        bank: bank.to_owned(),
        mandate: get("mandate")?.to_owned(),
        nonce: get("nonce")?.to_owned(),
        outcome,
        bank_ref: param(params, "bank_ref").unwrap_or("").to_owned(),
    })
}

/// The signed return a bank sends (used by the sandbox; the tests build forged ones by hand).
pub fn signed_return(
    secret: &str,
    bank: &str,
    mandate: &str,
    nonce: &str,
    outcome: Outcome,
    bank_ref: &str,
    at_secs: i64,
) -> Vec<(String, String)> {
    let result = match outcome {
        Outcome::Confirmed => "confirmed",
        Outcome::Cancelled => "cancelled",
        Outcome::Error => "error",
    };
    let mut p: Vec<(String, String)> = vec![
        ("v".into(), "1".into()),
        ("bank".into(), bank.into()),
        ("mandate".into(), mandate.into()),
        ("nonce".into(), nonce.into()),
        ("result".into(), result.into()),
        ("at".into(), at_secs.to_string()),
    ];
    if !bank_ref.is_empty() {
        p.push(("bank_ref".into(), bank_ref.into()));
    }
    let sig = model::sign(secret, &p);
    p.push(("sig".into(), sig));
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DebitConfig {
        let mut c = DebitConfig::default();
        c.banks.insert(
            "0134".into(),
            DebitBankConfig {
                secret: "k".into(),
                ..DebitBankConfig::default()
            },
        );
        c
    }

    #[test]
    fn returns_are_verified() {
        let c = cfg();
        let now = 1_800_000_000_000;
        let p = signed_return(
            "k",
            "0134",
            "m1",
            "n1",
            Outcome::Confirmed,
            "R1",
            now / 1000,
        );
        let r = verify_return(&c, &p, now).expect("valid");
        assert_eq!(r.outcome, Outcome::Confirmed);
        assert_eq!(r.bank_ref, "R1");
        let forged = signed_return(
            "other",
            "0134",
            "m1",
            "n1",
            Outcome::Confirmed,
            "",
            now / 1000,
        );
        assert_eq!(
            verify_return(&c, &forged, now),
            Err(ReturnError::BadSignature)
        );
        let mut tampered = p.clone();
        tampered[2].1 = "m2".into();
        assert_eq!(
            verify_return(&c, &tampered, now),
            Err(ReturnError::BadSignature)
        );
        let old = signed_return(
            "k",
            "0134",
            "m1",
            "n1",
            Outcome::Confirmed,
            "",
            now / 1000 - 3600,
        );
        assert_eq!(verify_return(&c, &old, now), Err(ReturnError::Stale));
        let unknown = signed_return("k", "9999", "m1", "n1", Outcome::Confirmed, "", now / 1000);
        assert_eq!(
            verify_return(&c, &unknown, now),
            Err(ReturnError::UnknownBank)
        );
        let mut dup = p.clone();
        dup.push(("result".into(), "cancelled".into()));
        assert_eq!(verify_return(&c, &dup, now), Err(ReturnError::Malformed));
    }
}
