//! Signed webhooks: HMAC-SHA256 with a shared secret over `"{timestamp}.{raw body}"`, sent as
//! `Madoguchi-Signature: t=<unix seconds>,v1=<hex>` — the scheme Stripe uses
//! (`Stripe-Signature: t=…,v1=…`). The timestamp is inside the signed bytes, so an old event
//! cannot be re-sent with a fresh time; events older (or newer) than the tolerance are refused
//! (replay window). Several `v1=` entries are accepted so a secret can be rotated. The
//! comparison is constant-time (`Mac::verify_slice`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const HEADER: &str = "madoguchi-signature";

type HmacSha256 = Hmac<Sha256>;

/// HMAC takes keys of any length, so this is `None` only in theory.
fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Option<HmacSha256> {
    let mut m = <HmacSha256 as Mac>::new_from_slice(secret.as_bytes()).ok()?;
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    Some(m)
}

/// The header value for `body` signed at `timestamp` (unix seconds).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = mac(secret, timestamp, body)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("t={timestamp},v1={tag}")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature header missing or malformed")]
    Malformed,
    #[error("timestamp outside the tolerance window")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

/// Checks a signature header against the raw body. `now` and the tolerance are in seconds.
pub fn verify(
    secret: &str,
    header: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut tags = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => {
                if let Ok(bytes) = hex::decode(v) {
                    tags.push(bytes);
                }
            }
            _ => {}
        }
    }
    let Some(t) = timestamp else {
        return Err(SignatureError::Malformed);
    };
    if tags.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > tolerance_secs {
        return Err(SignatureError::Stale);
    }
    let Some(expected) = mac(secret, t, body) else {
        return Err(SignatureError::Mismatch);
    };
    if tags
        .iter()
        .any(|tag| expected.clone().verify_slice(tag).is_ok())
    {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies() {
        let h = sign("whsec", 1_700_000_000, b"{\"a\":1}");
        assert!(h.starts_with("t=1700000000,v1="));
        assert_eq!(
            verify("whsec", &h, b"{\"a\":1}", 1_700_000_010, 300),
            Ok(())
        );
    }

    #[test]
    fn refuses_changed_body_wrong_secret_old_time_and_garbage() {
        let h = sign("whsec", 1_700_000_000, b"{\"a\":1}");
        let now = 1_700_000_000;
        assert_eq!(
            verify("whsec", &h, b"{\"a\":2}", now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("other", &h, b"{\"a\":1}", now, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec", &h, b"{\"a\":1}", now + 301, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify("whsec", "v1=00", b"", now, 300),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify("whsec", "t=1", b"", 1, 300),
            Err(SignatureError::Malformed)
        );
        // The time is signed: moving it breaks the signature.
        let moved = h.replace("t=1700000000", "t=1700000100");
        assert_eq!(
            verify("whsec", &moved, b"{\"a\":1}", now + 100, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn accepts_any_of_several_signatures_for_rotation() {
        let old = sign("old", 5, b"x");
        let new = sign("new", 5, b"x");
        let both = format!("{old},{}", new.split(',').nth(1).unwrap_or(""));
        assert_eq!(verify("new", &both, b"x", 5, 300), Ok(()));
        assert_eq!(verify("old", &both, b"x", 5, 300), Ok(()));
    }
}
