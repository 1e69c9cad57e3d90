//! Passkeys (WebAuthn, `webauthn-rs` 0.6): an optional way for residents and staff to log in
//! without a password. Passwords keep working; a passkey is added from My Page (or the staff
//! home) once signed in.
//!
//! * The relying party is the request's own host name: one deployment serves several
//!   municipalities, each on its own host, and a passkey is bound by the browser to the host it
//!   was made on. Only hosts we serve are accepted (`hosts` in the config, `localhost`, the host
//!   of `base_url`); IP addresses cannot be WebAuthn relying parties at all.
//! * The ceremony state between the two requests (challenge, allowed credentials) is kept in
//!   `webauthn_challenges`, never in a client cookie: the browser holds only a random handle in
//!   the `__Host-webauthn` cookie, the table its SHA-256. A state lives five minutes and is used
//!   once (deleted as it is read).
//! * Login is usernameless (discoverable credentials): the authenticator returns the user handle
//!   (a random UUID per user, stored with each passkey) and the credential id, which is unique
//!   across the deployment. A passkey works only in its own municipality.

use base64::Engine;
use sea_query::{Expr, ExprTrait, Order, Query};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{Passkey, PasskeyRegistration, Url, Uuid, Webauthn, WebauthnBuilder};

use super::token;
use crate::config::Config;
use crate::db::schema::{Passkeys, WebauthnChallenges};
use crate::db::{Db, Tx, is_unique_violation, now_ms};

/// Cookie holding the handle of the ceremony in progress.
pub const CHALLENGE_COOKIE: &str = "__Host-webauthn";
/// How long a started registration or login may take.
pub const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;
/// Longest passkey name kept (characters).
pub const NAME_MAX_CHARS: usize = 60;

/// The relying party for a request's `Host` header, or None when passkeys cannot be used there
/// (a host we do not serve, or an IP address). `rp_name` is shown by the browser's dialogs.
pub fn relying_party(cfg: &Config, host: &str, rp_name: &str) -> Option<Webauthn> {
    let host = host.trim().to_ascii_lowercase();
    let name = crate::web::host_name(&host);
    let base_host = Url::parse(&cfg.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    let known =
        cfg.hosts.contains_key(name) || name == "localhost" || base_host.as_deref() == Some(name);
    if !known {
        return None;
    }
    let scheme = if cfg.https { "https" } else { "http" };
    let origin = Url::parse(&format!("{scheme}://{host}")).ok()?;
    // `domain()` is None for IP addresses, which WebAuthn does not allow as RP ids.
    let rp_id = origin.domain()?.to_owned();
    if rp_id != name || origin.path() != "/" || !origin.username().is_empty() {
        return None;
    }
    WebauthnBuilder::new(&rp_id, &origin)
        .and_then(|b| b.rp_name(rp_name).build())
        .inspect_err(
            |e| tracing::warn!(host, error = ?e, "cannot build the WebAuthn relying party"),
        )
        .ok()
}

/// A credential id as stored: unpadded base64url.
pub fn encode_id(raw: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

pub fn decode_id(s: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

/// Trims a user-given passkey name, drops control characters and caps its length.
pub fn clean_name(raw: &str) -> Option<String> {
    let s: String = raw
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_MAX_CHARS)
        .collect();
    let s = s.trim().to_owned();
    (!s.is_empty()).then_some(s)
}

/// A default name from the browser's User-Agent ("Chrome（Android）"), so a list of several
/// passkeys stays readable when the user gave none.
pub fn default_name(user_agent: &str, fallback: &str) -> String {
    let ua = user_agent;
    let os = if ua.contains("iPhone") {
        "iPhone"
    } else if ua.contains("iPad") {
        "iPad"
    } else if ua.contains("Android") {
        "Android"
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        "Mac"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("CrOS") {
        "ChromeOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        ""
    };
    let browser = if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("CriOS/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        ""
    };
    match (browser, os) {
        ("", "") => fallback.to_owned(),
        ("", os) => os.to_owned(),
        (b, "") => b.to_owned(),
        (b, os) => format!("{b}（{os}）"),
    }
}

// ---- passkeys -------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct PasskeyRow {
    pub id: i64,
    pub municipality_id: String,
    pub user_id: i64,
    pub user_handle: String,
    pub credential_id: String,
    pub passkey_json: String,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl PasskeyRow {
    pub fn passkey(&self) -> Result<Passkey, serde_json::Error> {
        serde_json::from_str(&self.passkey_json)
    }
}

fn passkey_select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Passkeys::Id,
            Passkeys::MunicipalityId,
            Passkeys::UserId,
            Passkeys::UserHandle,
            Passkeys::CredentialId,
            Passkeys::PasskeyJson,
            Passkeys::Name,
            Passkeys::CreatedAt,
            Passkeys::LastUsedAt,
        ])
        .from(Passkeys::Table)
        .to_owned()
}

/// A user's passkeys in one municipality, oldest first.
pub async fn list_for_user(
    db: &Db,
    municipality: &str,
    user_id: i64,
) -> Result<Vec<PasskeyRow>, sqlx::Error> {
    db.fetch_all(
        &passkey_select()
            .and_where(Expr::col(Passkeys::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Passkeys::UserId).eq(user_id))
            .order_by(Passkeys::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

pub async fn find_by_credential_id(
    db: &Db,
    credential_id: &str,
) -> Result<Option<PasskeyRow>, sqlx::Error> {
    db.fetch_optional(
        &passkey_select()
            .and_where(Expr::col(Passkeys::CredentialId).eq(credential_id))
            .to_owned(),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

/// Stores a newly registered passkey. Returns None when the credential is already registered.
pub async fn create(
    tx: &mut Tx,
    municipality: &str,
    user_id: i64,
    user_handle: &Uuid,
    passkey: &Passkey,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let json = serde_json::to_string(passkey).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let stmt = Query::insert()
        .into_table(Passkeys::Table)
        .columns([
            Passkeys::MunicipalityId,
            Passkeys::UserId,
            Passkeys::UserHandle,
            Passkeys::CredentialId,
            Passkeys::PasskeyJson,
            Passkeys::Name,
            Passkeys::CreatedAt,
        ])
        .values_panic([
            municipality.into(),
            user_id.into(),
            user_handle.to_string().into(),
            encode_id(passkey.cred_id()).into(),
            json.into(),
            name.into(),
            now_ms().into(),
        ])
        .returning_col(Passkeys::Id)
        .to_owned();
    match tx.fetch_one::<IdRow, _>(&stmt).await {
        Ok(r) => Ok(Some(r.id)),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Notes a successful login with a passkey; `updated` is the credential with its new counter
/// and backup state when the authenticator changed them.
pub async fn record_use(
    tx: &mut Tx,
    id: i64,
    updated: Option<&Passkey>,
) -> Result<(), sqlx::Error> {
    let mut stmt = Query::update()
        .table(Passkeys::Table)
        .value(Passkeys::LastUsedAt, now_ms())
        .and_where(Expr::col(Passkeys::Id).eq(id))
        .to_owned();
    if let Some(p) = updated {
        let json = serde_json::to_string(p).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        stmt.value(Passkeys::PasskeyJson, json);
    }
    tx.execute(&stmt).await.map(|_| ())
}

/// Deletes one of the user's passkeys in the municipality; returns it, or None when there is
/// no such passkey for that user there.
pub async fn delete(
    tx: &mut Tx,
    municipality: &str,
    user_id: i64,
    id: i64,
) -> Result<Option<PasskeyRow>, sqlx::Error> {
    let row: Option<PasskeyRow> = tx
        .fetch_optional(
            &passkey_select()
                .and_where(Expr::col(Passkeys::Id).eq(id))
                .and_where(Expr::col(Passkeys::MunicipalityId).eq(municipality))
                .and_where(Expr::col(Passkeys::UserId).eq(user_id))
                .to_owned(),
        )
        .await?;
    if row.is_some() {
        tx.execute(
            &Query::delete()
                .from_table(Passkeys::Table)
                .and_where(Expr::col(Passkeys::Id).eq(id))
                .to_owned(),
        )
        .await?;
    }
    Ok(row)
}

// ---- ceremony state -------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Register,
    Authenticate,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::Authenticate => "authenticate",
        }
    }
}

/// What a registration keeps between its two requests.
#[derive(Serialize, Deserialize)]
pub struct RegisterState {
    pub user_handle: Uuid,
    pub state: PasskeyRegistration,
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct ChallengeRow {
    pub municipality_id: String,
    pub user_id: Option<i64>,
    pub purpose: String,
    pub state_json: String,
    pub expires_at: i64,
}

#[derive(Debug)]
pub enum Challenge {
    Valid(ChallengeRow),
    Expired,
    Unknown,
}

/// Stores the state of a ceremony and returns the handle for the cookie. Expired states of
/// every user are swept on the way, so abandoned ceremonies do not pile up.
pub async fn start_challenge(
    db: &Db,
    municipality: &str,
    user_id: Option<i64>,
    purpose: Purpose,
    state_json: &str,
) -> Result<String, sqlx::Error> {
    let secret = token::random_secret();
    let now = now_ms();
    let mut tx = db.begin().await?;
    tx.execute(
        &Query::delete()
            .from_table(WebauthnChallenges::Table)
            .and_where(Expr::col(WebauthnChallenges::ExpiresAt).lte(now))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Query::insert()
            .into_table(WebauthnChallenges::Table)
            .columns([
                WebauthnChallenges::IdHash,
                WebauthnChallenges::MunicipalityId,
                WebauthnChallenges::UserId,
                WebauthnChallenges::Purpose,
                WebauthnChallenges::StateJson,
                WebauthnChallenges::CreatedAt,
                WebauthnChallenges::ExpiresAt,
            ])
            .values_panic([
                token::digest(&secret).into(),
                municipality.into(),
                user_id.into(),
                purpose.as_str().into(),
                state_json.into(),
                now.into(),
                (now + CHALLENGE_TTL_MS).into(),
            ])
            .to_owned(),
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Takes (reads and deletes, atomically) the state a cookie handle points at. A state of
/// another purpose is not consumed.
pub async fn take_challenge(
    db: &Db,
    secret: &str,
    purpose: Purpose,
) -> Result<Challenge, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row: Option<ChallengeRow> = tx
        .fetch_optional(
            &Query::delete()
                .from_table(WebauthnChallenges::Table)
                .and_where(Expr::col(WebauthnChallenges::IdHash).eq(token::digest(secret)))
                .and_where(Expr::col(WebauthnChallenges::Purpose).eq(purpose.as_str()))
                .returning(Query::returning().columns([
                    WebauthnChallenges::MunicipalityId,
                    WebauthnChallenges::UserId,
                    WebauthnChallenges::Purpose,
                    WebauthnChallenges::StateJson,
                    WebauthnChallenges::ExpiresAt,
                ]))
                .to_owned(),
        )
        .await?;
    tx.commit().await?;
    Ok(match row {
        None => Challenge::Unknown,
        Some(r) if r.expires_at <= now_ms() => Challenge::Expired,
        Some(r) => Challenge::Valid(r),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        let mut c = Config::default();
        c.hosts.insert("shisui.example.jp".into(), "123226".into());
        c.base_url = "https://madoguchi.example.jp".into();
        c
    }

    #[test]
    fn relying_party_only_for_hosts_we_serve() {
        let c = cfg();
        for ok in [
            "localhost",
            "localhost:8080",
            "shisui.example.jp",
            "Shisui.Example.JP:8443",
            "madoguchi.example.jp",
        ] {
            assert!(relying_party(&c, ok, "x").is_some(), "{ok}");
        }
        for bad in [
            "",
            "127.0.0.1:8080",
            "[::1]:8080",
            "evil.example",
            "shisui.example.jp.evil.example",
            "evil@localhost",
            "localhost/path",
        ] {
            assert!(relying_party(&c, bad, "x").is_none(), "{bad}");
        }
        let wa = relying_party(&c, "localhost:8080", "x").expect("rp");
        assert_eq!(
            wa.get_allowed_origins()
                .iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>(),
            ["http://localhost:8080/"]
        );
    }

    #[test]
    fn names_are_cleaned_and_defaulted() {
        assert_eq!(clean_name("  my\u{7} phone "), Some("my phone".into()));
        assert_eq!(clean_name("   "), None);
        assert_eq!(
            clean_name(&"あ".repeat(100)).map(|s| s.chars().count()),
            Some(NAME_MAX_CHARS)
        );
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36";
        assert_eq!(default_name(android, "パスキー"), "Chrome（Android）");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(default_name(iphone, "パスキー"), "Safari（iPhone）");
        assert_eq!(default_name("", "パスキー"), "パスキー");
    }

    #[test]
    fn ids_round_trip() {
        let raw = [0u8, 255, 17, 42];
        assert_eq!(decode_id(&encode_id(&raw)).as_deref(), Some(&raw[..]));
        assert_eq!(decode_id("not base64!"), None);
    }
}
