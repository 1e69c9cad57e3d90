//! Password hashing (argon2id with the crate defaults: m = 19 MiB, t = 2, p = 1, the OWASP ASVS
//! Appendix C minimum) and the password policy (ASVS 6.2: length only, no composition rules,
//! common passwords refused).

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use std::sync::OnceLock;

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 128;

/// Why a new password is refused; each maps to a message naming the fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyError {
    TooShort,
    TooLong,
    Common,
    ContainsEmail,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PolicyError::TooShort => "it is shorter than 8 characters",
            PolicyError::TooLong => "it is longer than 128 characters",
            PolicyError::Common => "it is on the list of common passwords",
            PolicyError::ContainsEmail => "it contains the e-mail address",
        })
    }
}

/// Checks a proposed password. Length is counted in characters so Japanese passphrases count fairly.
pub fn check_policy(password: &str, email: &str) -> Result<(), PolicyError> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(PolicyError::TooShort);
    }
    if n > MAX_LEN {
        return Err(PolicyError::TooLong);
    }
    let lower = password.to_lowercase();
    if common_passwords().iter().any(|c| *c == lower) {
        return Err(PolicyError::Common);
    }
    let local = email.split('@').next().unwrap_or("").to_lowercase();
    if local.len() >= 4 && lower.contains(&local) {
        return Err(PolicyError::ContainsEmail);
    }
    Ok(())
}

/// A local list of the most common passwords (ASVS 6.2.4 / 6.2.12 on a closed network: no
/// breach API is reachable from a city's network, so the list ships with the binary).
fn common_passwords() -> &'static Vec<&'static str> {
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Hashes on a blocking thread: argon2id takes tens of milliseconds by design.
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_sync(&password)).await?
}

pub fn hash_sync(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Verifies on a blocking thread. With `None` (unknown account) it verifies against a fixed
/// dummy hash so that response time does not reveal whether an e-mail address is registered.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let dummy = dummy_hash();
        let (hash, real) = match &stored {
            Some(h) => (h.as_str(), true),
            None => (dummy.as_str(), false),
        };
        let ok = PasswordHash::new(hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && real
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static String {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_sync("dummy password for timing").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_counts_characters_and_refuses_common_ones() {
        assert_eq!(check_policy("short", "a@b.jp"), Err(PolicyError::TooShort));
        assert_eq!(check_policy("ながいあいことばです", "a@b.jp"), Ok(()));
        assert_eq!(
            check_policy(&"x".repeat(129), "a@b.jp"),
            Err(PolicyError::TooLong)
        );
        assert_eq!(
            check_policy("Password123", "a@b.jp"),
            Err(PolicyError::Common)
        );
        assert_eq!(
            check_policy("hanako-secret-1", "hanako@example.jp"),
            Err(PolicyError::ContainsEmail)
        );
        assert_eq!(
            check_policy("correct horse battery", "hanako@example.jp"),
            Ok(())
        );
    }

    #[tokio::test]
    async fn hash_and_verify_round_trip() {
        let h = hash("correct horse battery".into()).await.expect("hash");
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery".into(), Some(h.clone())).await);
        assert!(!verify("wrong horse battery".into(), Some(h)).await);
        assert!(!verify("dummy password for timing".into(), None).await);
    }
}
