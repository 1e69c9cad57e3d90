//! The OpenID Connect relying party, shared by the My Number card sign-in (デジタル認証アプリ) and
//! staff single sign-on: discovery and JWKS (cached, refetched when an unknown `kid` appears),
//! the authorization request (code flow, PKCE S256, `state`, `nonce`), the token request with
//! `private_key_jwt` (or a client secret for a staff provider that only offers that), ID token
//! verification and userinfo.
//!
//! Built on `jsonwebtoken` (JWS signing and verification, JWK parsing, registered-claim checks)
//! and `reqwest` (rustls, redirects off, timeouts). The `openidconnect` crate was not used: it
//! has no `private_key_jwt`, and the parts it would add over these two are the ones we must
//! check ourselves anyway (nonce, single-use state bound to the browser).

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::Digest;
use tokio::sync::RwLock;

use super::keys::SigningKey;

/// How long discovery and JWKS answers are kept.
const CACHE_TTL: Duration = Duration::from_secs(3600);
/// Allowed clock difference for `exp` and `iat`.
pub const LEEWAY_SECS: u64 = 60;

/// The provider's metadata (`/.well-known/openid-configuration`), the parts we use.
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
}

/// How the relying party proves itself at the token endpoint.
#[derive(Clone, Debug)]
pub enum ClientAuth {
    /// `private_key_jwt` (RFC 7523): a JWT signed with our key, iss = sub = client_id.
    PrivateKeyJwt(Box<SigningKey>),
    /// `client_secret_post`, for a staff provider that offers nothing better.
    Secret(String),
}

/// Why a sign-in was refused. Each has its own plain-words message for the resident
/// (`key()`), the detail goes to the log and the audit event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    #[error("state unknown, used, expired or from another browser")]
    State,
    #[error("the provider reported an error: {0}")]
    Denied(String),
    #[error("the provider could not be reached or answered wrongly: {0}")]
    Provider(String),
    #[error("the token endpoint refused the code: {0}")]
    Code(String),
    #[error("ID token signature does not verify: {0}")]
    Signature(String),
    #[error("ID token expired or not yet valid")]
    Expired,
    #[error("ID token is for another client (aud/azp)")]
    Audience,
    #[error("ID token issuer differs")]
    Issuer,
    #[error("ID token nonce differs")]
    Nonce,
    #[error("ID token malformed: {0}")]
    Malformed(String),
    #[error("the card is linked to another account, or the account to another card")]
    OtherAccount,
    #[error("no configured group maps this staff member to a department: {0}")]
    NoGroup(String),
}

impl OidcError {
    /// Message key (identity/messages.rs).
    pub fn key(&self) -> &'static str {
        match self {
            OidcError::State => "identity.err_state",
            OidcError::Denied(_) => "identity.err_denied",
            OidcError::Provider(_) => "identity.err_provider",
            OidcError::Code(_) => "identity.err_code",
            OidcError::Signature(_) => "identity.err_signature",
            OidcError::Expired => "identity.err_expired",
            OidcError::Audience => "identity.err_audience",
            OidcError::Issuer => "identity.err_issuer",
            OidcError::Nonce => "identity.err_nonce",
            OidcError::Malformed(_) => "identity.err_malformed",
            OidcError::OtherAccount => "identity.err_other_account",
            OidcError::NoGroup(_) => "identity.err_no_group",
        }
    }
    /// Stable code for the audit log.
    pub fn code(&self) -> &'static str {
        self.key().trim_start_matches("identity.err_")
    }
}

/// What a token request returns.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub id_token: String,
    #[serde(default)]
    pub access_token: Option<String>,
}

/// A random value for `state`, `nonce` and the PKCE verifier (256 bits, URL-safe).
pub fn random_token() -> String {
    let b: [u8; 32] = rand::random();
    B64.encode(b)
}

/// PKCE S256 challenge of a verifier (RFC 7636).
pub fn pkce_challenge(verifier: &str) -> String {
    B64.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

pub struct Rp {
    pub issuer: String,
    pub client_id: String,
    pub auth: ClientAuth,
    /// Sent as `acr_values` when not empty (デジタル認証アプリ: "aal3 crl").
    pub acr_values: String,
    http: reqwest::Client,
    discovery: RwLock<Option<(Instant, Discovery)>>,
    jwks: RwLock<Option<(Instant, JwkSet)>>,
}

/// The HTTP client for provider calls: no redirects (a provider answer is final), short
/// timeouts, rustls.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("madoguchi/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Rp {
    pub fn new(
        issuer: &str,
        client_id: &str,
        auth: ClientAuth,
        acr_values: &str,
    ) -> anyhow::Result<Rp> {
        Ok(Rp {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            auth,
            acr_values: acr_values.to_owned(),
            http: http_client()?,
            discovery: RwLock::new(None),
            jwks: RwLock::new(None),
        })
    }

    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, OidcError> {
        let mut req = self.http.get(url).header("accept", "application/json");
        if let Some(t) = bearer {
            req = req.bearer_auth(t);
        }
        let resp = req
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(OidcError::Provider(format!("GET {url}: HTTP {status}")));
        }
        resp.json()
            .await
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))
    }

    /// The provider's metadata, fetched once an hour. Its `issuer` must be ours exactly.
    pub async fn discovery(&self) -> Result<Discovery, OidcError> {
        if let Some((at, d)) = self.discovery.read().await.as_ref()
            && at.elapsed() < CACHE_TTL
        {
            return Ok(d.clone());
        }
        let url = format!("{}/.well-known/openid-configuration", self.issuer);
        let d: Discovery = serde_json::from_value(self.get_json(&url, None).await?)
            .map_err(|e| OidcError::Provider(format!("discovery: {e}")))?;
        if d.issuer.trim_end_matches('/') != self.issuer {
            return Err(OidcError::Provider(format!(
                "discovery issuer {} is not {}",
                d.issuer, self.issuer
            )));
        }
        *self.discovery.write().await = Some((Instant::now(), d.clone()));
        Ok(d)
    }

    async fn jwks(&self, refresh: bool) -> Result<JwkSet, OidcError> {
        if !refresh
            && let Some((at, k)) = self.jwks.read().await.as_ref()
            && at.elapsed() < CACHE_TTL
        {
            return Ok(k.clone());
        }
        let d = self.discovery().await?;
        let set: JwkSet = serde_json::from_value(self.get_json(&d.jwks_uri, None).await?)
            .map_err(|e| OidcError::Provider(format!("JWKS: {e}")))?;
        *self.jwks.write().await = Some((Instant::now(), set.clone()));
        Ok(set)
    }

    /// The URL the browser is sent to.
    pub async fn authorize_url(
        &self,
        redirect_uri: &str,
        scopes: &str,
        state: &str,
        nonce: &str,
        verifier: &str,
    ) -> Result<String, OidcError> {
        let d = self.discovery().await?;
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", scopes)
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", &pkce_challenge(verifier))
            .append_pair("code_challenge_method", "S256");
        if !self.acr_values.is_empty() {
            q.append_pair("acr_values", &self.acr_values);
        }
        let sep = if d.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(format!("{}{sep}{}", d.authorization_endpoint, q.finish()))
    }

    /// The `private_key_jwt` client assertion for the token endpoint.
    pub fn client_assertion(
        key: &SigningKey,
        client_id: &str,
        aud: &str,
    ) -> anyhow::Result<String> {
        let now = now_secs();
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": aud,
            "jti": uuid::Uuid::new_v4().to_string(),
            "iat": now,
            "exp": now + 60,
        });
        let mut h = Header::new(key.alg);
        h.kid = Some(key.kid.clone());
        Ok(jsonwebtoken::encode(&h, &claims, &key.encoding)?)
    }

    /// Exchanges the code at the token endpoint.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<TokenResponse, OidcError> {
        let d = self.discovery().await?;
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.into()),
            ("redirect_uri", redirect_uri.into()),
            ("code_verifier", verifier.into()),
            ("client_id", self.client_id.clone()),
        ];
        match &self.auth {
            ClientAuth::PrivateKeyJwt(key) => {
                let a = Self::client_assertion(key, &self.client_id, &d.token_endpoint)
                    .map_err(|e| OidcError::Provider(format!("signing client assertion: {e}")))?;
                form.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                ));
                form.push(("client_assertion", a));
            }
            ClientAuth::Secret(s) => form.push(("client_secret", s.clone())),
        }
        let resp = self
            .http
            .post(&d.token_endpoint)
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("token endpoint: {e}")))?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .map_err(|e| OidcError::Provider(format!("token endpoint answer: {e}")))?;
        if status.is_client_error() {
            let err = body["error"].as_str().unwrap_or("invalid_request");
            let desc = body["error_description"].as_str().unwrap_or("");
            return Err(OidcError::Code(format!("{err}: {desc}")));
        }
        if !status.is_success() {
            return Err(OidcError::Provider(format!(
                "token endpoint: HTTP {status}"
            )));
        }
        serde_json::from_value(body).map_err(|e| OidcError::Provider(format!("token answer: {e}")))
    }

    /// Verifies an ID token: signature against the provider's JWKS (refetched once for an
    /// unknown `kid`), `iss`, `aud` (and `azp`), `exp` and `iat` with [`LEEWAY_SECS`], `nonce`.
    pub async fn verify_id_token(
        &self,
        id_token: &str,
        nonce: &str,
    ) -> Result<Map<String, Value>, OidcError> {
        let header = jsonwebtoken::decode_header(id_token)
            .map_err(|e| OidcError::Malformed(e.to_string()))?;
        if !matches!(header.alg, Algorithm::ES256 | Algorithm::RS256) {
            return Err(OidcError::Signature(format!(
                "algorithm {:?} not accepted",
                header.alg
            )));
        }
        let kid = header.kid.clone().unwrap_or_default();
        let mut set = self.jwks(false).await?;
        if set.find(&kid).is_none() {
            set = self.jwks(true).await?;
        }
        let jwk = match (set.find(&kid), set.keys.len()) {
            (Some(k), _) => k.clone(),
            (None, 1) if kid.is_empty() => set.keys[0].clone(),
            _ => return Err(OidcError::Signature(format!("no key with kid {kid:?}"))),
        };
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| OidcError::Signature(e.to_string()))?;
        let mut v = Validation::new(header.alg);
        v.leeway = LEEWAY_SECS;
        v.set_issuer(&[self.issuer.as_str(), &format!("{}/", self.issuer)]);
        v.set_audience(&[self.client_id.as_str()]);
        v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        v.validate_nbf = true;
        let data = jsonwebtoken::decode::<Map<String, Value>>(id_token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::InvalidSignature | K::InvalidEcdsaKey | K::InvalidRsaKey(_) => {
                    OidcError::Signature(e.to_string())
                }
                K::ExpiredSignature | K::ImmatureSignature => OidcError::Expired,
                K::InvalidAudience => OidcError::Audience,
                K::InvalidIssuer => OidcError::Issuer,
                _ => OidcError::Malformed(e.to_string()),
            }
        })?;
        let claims = data.claims;
        if let Some(iat) = claims.get("iat").and_then(Value::as_u64)
            && iat > now_secs() + LEEWAY_SECS
        {
            return Err(OidcError::Expired);
        }
        if let Some(azp) = claims.get("azp").and_then(Value::as_str)
            && azp != self.client_id
        {
            return Err(OidcError::Audience);
        }
        let got = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            got.as_bytes(),
            nonce.as_bytes(),
        )) {
            return Err(OidcError::Nonce);
        }
        match claims.get("sub").and_then(Value::as_str) {
            Some(s) if !s.is_empty() && s.len() <= 255 => Ok(claims),
            _ => Err(OidcError::Malformed("sub missing or too long".into())),
        }
    }

    /// The userinfo answer; its `sub` must be the ID token's.
    pub async fn userinfo(
        &self,
        access_token: &str,
        sub: &str,
    ) -> Result<Map<String, Value>, OidcError> {
        let d = self.discovery().await?;
        let Some(url) = d.userinfo_endpoint else {
            return Ok(Map::new());
        };
        let v = self.get_json(&url, Some(access_token)).await?;
        let Value::Object(m) = v else {
            return Err(OidcError::Provider("userinfo is not an object".into()));
        };
        if m.get("sub").and_then(Value::as_str) != Some(sub) {
            return Err(OidcError::Provider(
                "userinfo sub differs from the ID token".into(),
            ));
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_example() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(random_token().len(), 43);
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn error_keys_are_distinct() {
        let all = [
            OidcError::State,
            OidcError::Denied(String::new()),
            OidcError::Provider(String::new()),
            OidcError::Code(String::new()),
            OidcError::Signature(String::new()),
            OidcError::Expired,
            OidcError::Audience,
            OidcError::Issuer,
            OidcError::Nonce,
            OidcError::Malformed(String::new()),
            OidcError::OtherAccount,
            OidcError::NoGroup(String::new()),
        ];
        let keys: std::collections::BTreeSet<_> = all.iter().map(|e| e.key()).collect();
        assert_eq!(keys.len(), all.len());
        for k in keys {
            assert!(crate::web::i18n::has_key(k), "{k}");
        }
    }
}
