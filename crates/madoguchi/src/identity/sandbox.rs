//! SANDBOX of the other side: a small OpenID Connect provider shaped like デジタル認証アプリ's
//! authorization server (Keycloak paths under `/api/realms/{realm}/protocol/openid-connect/…`),
//! mounted by `madoguchi demo` and by the tests at `/sandbox/auth-and-sign/api/realms/{realm}`.
//! Realm `main` holds fictional My Number card holders, realm `staff` fictional city staff.
//!
//! It checks what the real provider checks: registered client and redirect path, `state`,
//! `nonce`, PKCE S256, the `private_key_jwt` client assertion (signature against the relying
//! party's public key, iss = sub = client_id, aud = token endpoint, single-use `jti`),
//! single-use codes with a short life. It signs ID tokens with its own ES256 key. Its
//! authorization page lets a tester pick a card holder and, to test the relying party, ask
//! for a wrong answer (expired or wrongly signed ID token, another nonce or audience). State is
//! kept in memory: it is a stand-in for an outside service, not part of Madoguchi's storage.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{DecodingKey, Header, Validation};
use serde::Deserialize;
use serde_json::{Value, json};

use super::keys::SigningKey;
use super::oidc::{pkce_challenge, random_token};
use crate::config::Config;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;

/// Path prefix of the sandbox realms on Madoguchi's own server.
pub const PREFIX: &str = "/sandbox/auth-and-sign/api/realms";
const CODE_TTL: Duration = Duration::from_secs(60);
/// A decoy claim: the sandbox sends a 12-digit number the way a careless provider might. The
/// relying party must never store it (tests/identity.rs checks every table).
pub const DECOY_CLAIM: &str = "individual_number";
pub const DECOY_VALUE: &str = "123412341234";

/// A fictional card holder (基本4情報).
pub struct Holder {
    pub sub: &'static str,
    pub name: &'static str,
    pub address: &'static str,
    pub birthdate: &'static str,
    pub gender: &'static str,
}

pub const HOLDERS: &[Holder] = &[
    Holder {
        sub: "sb-5f1c2a9e-hanako",
        name: "市川 花子",
        address: "千葉県市川市八幡二丁目15番10号",
        birthdate: "1988-04-12",
        gender: "female",
    },
    Holder {
        sub: "sb-8d03b7c4-ichiro",
        name: "行徳 一郎",
        address: "千葉県市川市末広一丁目5番3号",
        birthdate: "1952-11-03",
        gender: "male",
    },
    Holder {
        sub: "sb-2b9e6f10-sakura",
        name: "国府台 さくら",
        address: "千葉県市川市国府台三丁目8番21号",
        birthdate: "2001-07-30",
        gender: "female",
    },
    Holder {
        sub: "sb-c47a0d55-minato",
        name: "大野 湊",
        address: "千葉県市川市南大野二丁目12番4号",
        birthdate: "1979-01-25",
        gender: "male",
    },
];

/// Fictional staff of the staff realm, with the groups their directory would send.
pub struct StaffMember {
    pub sub: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub groups: &'static [&'static str],
}

pub const STAFF: &[StaffMember] = &[
    StaffMember {
        sub: "staff-0001",
        name: "窓口 二葉",
        email: "futaba.madoguchi@city.ichikawa.example.jp",
        groups: &["shimin-staff"],
    },
    StaffMember {
        sub: "staff-0002",
        name: "審査 三郎",
        email: "saburo.shinsa@city.ichikawa.example.jp",
        groups: &["shimin-reviewer"],
    },
    StaffMember {
        sub: "staff-0003",
        name: "外部 委託",
        email: "itaku@contractor.example.jp",
        groups: &["contractors"],
    },
];

/// A wrong answer the tester asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    None,
    Expired,
    WrongKey,
    Nonce,
    Audience,
}

impl Fault {
    pub const ALL: [(Fault, &'static str); 5] = [
        (Fault::None, "none"),
        (Fault::Expired, "expired"),
        (Fault::WrongKey, "wrong_key"),
        (Fault::Nonce, "nonce"),
        (Fault::Audience, "audience"),
    ];
    fn parse(s: &str) -> Fault {
        Self::ALL
            .iter()
            .find(|(_, n)| *n == s)
            .map(|(f, _)| *f)
            .unwrap_or(Fault::None)
    }
}

/// How a registered client authenticates at the token endpoint.
pub enum ClientKey {
    Jwk(Box<Jwk>),
    Secret(String),
}

pub struct Realm {
    pub issuer: String,
    pub client_id: String,
    pub client_key: ClientKey,
    pub redirect_path: String,
}

struct Grant {
    realm: String,
    client_id: String,
    redirect_uri: String,
    challenge: String,
    nonce: String,
    scopes: String,
    who: usize,
    fault: Fault,
    issued: Instant,
}

struct AccessGrant {
    realm: String,
    who: usize,
    scopes: String,
    issued: Instant,
}

pub struct Sandbox {
    key: SigningKey,
    /// Same `kid` as `key`, other key: a wrongly signed token.
    wrong_key: SigningKey,
    pub realms: HashMap<String, Realm>,
    codes: Mutex<HashMap<String, Grant>>,
    used_codes: Mutex<HashSet<String>>,
    used_jti: Mutex<HashSet<String>>,
    access: Mutex<HashMap<String, AccessGrant>>,
}

impl Sandbox {
    /// The realms the configuration points at this server (`…/sandbox/auth-and-sign/api/realms/…`).
    pub fn from_config(cfg: &Config) -> anyhow::Result<Sandbox> {
        let key = SigningKey::generate_es256("")?;
        let wrong_key = SigningKey::generate_es256(&key.kid)?;
        let mut realms = HashMap::new();
        let card = &cfg.identity.card;
        if let Some(name) = realm_of(&card.issuer) {
            realms.insert(
                name,
                Realm {
                    issuer: card.issuer.trim_end_matches('/').to_owned(),
                    client_id: card.client_id.clone(),
                    client_key: ClientKey::Jwk(Box::new(
                        SigningKey::from_file(&card.private_key_path, &card.key_id)?.public,
                    )),
                    redirect_path: card.redirect_path.clone(),
                },
            );
        }
        let staff = &cfg.identity.staff;
        if let Some(name) = realm_of(&staff.issuer) {
            let client_key = if staff.private_key_path.is_empty() {
                ClientKey::Secret(staff.client_secret.clone())
            } else {
                ClientKey::Jwk(Box::new(
                    SigningKey::from_file(&staff.private_key_path, &staff.key_id)?.public,
                ))
            };
            realms.insert(
                name,
                Realm {
                    issuer: staff.issuer.trim_end_matches('/').to_owned(),
                    client_id: staff.client_id.clone(),
                    client_key,
                    redirect_path: staff.redirect_path.clone(),
                },
            );
        }
        Ok(Sandbox {
            key,
            wrong_key,
            realms,
            codes: Mutex::new(HashMap::new()),
            used_codes: Mutex::new(HashSet::new()),
            used_jti: Mutex::new(HashSet::new()),
            access: Mutex::new(HashMap::new()),
        })
    }
}

/// The sandbox token endpoint is called server to server (the client proves itself with its
/// assertion), so it is exempt from the browser form CSRF token, like a real provider.
pub fn is_back_channel(path: &str) -> bool {
    path.starts_with(PREFIX) && path.ends_with("/protocol/openid-connect/token")
}

fn realm_of(issuer: &str) -> Option<String> {
    let i = issuer.find(PREFIX)?;
    let rest = issuer[i + PREFIX.len()..].trim_matches('/');
    (!rest.is_empty() && !rest.contains('/')).then(|| rest.to_owned())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{PREFIX}/{{realm}}/.well-known/openid-configuration"),
            get(discovery),
        )
        .route(
            &format!("{PREFIX}/{{realm}}/protocol/openid-connect/auth"),
            get(authorize_page).post(authorize_decide),
        )
        .route(
            &format!("{PREFIX}/{{realm}}/protocol/openid-connect/token"),
            axum::routing::post(token),
        )
        .route(
            &format!("{PREFIX}/{{realm}}/protocol/openid-connect/userinfo"),
            get(userinfo),
        )
        .route(
            &format!("{PREFIX}/{{realm}}/protocol/openid-connect/certs"),
            get(certs),
        )
}

fn sandbox(st: &AppState) -> Result<&Sandbox, AppError> {
    st.identity.sandbox.as_ref().ok_or(AppError::NotFound)
}

fn realm<'a>(sb: &'a Sandbox, name: &str) -> Result<&'a Realm, AppError> {
    sb.realms.get(name).ok_or(AppError::NotFound)
}

async fn discovery(
    State(st): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let r = realm(sandbox(&st)?, &name)?;
    let base = format!("{}/protocol/openid-connect", r.issuer);
    Ok(Json(json!({
        "issuer": r.issuer,
        "authorization_endpoint": format!("{base}/auth"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/certs"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_post"],
        "scopes_supported": ["openid", "name", "address", "birthdate", "gender", "email", "profile", "groups"],
    }))
    .into_response())
}

async fn certs(State(st): State<AppState>, Path(name): Path<String>) -> Result<Response, AppError> {
    let sb = sandbox(&st)?;
    realm(sb, &name)?;
    Ok(Json(JwkSet {
        keys: vec![sb.key.public.clone()],
    })
    .into_response())
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuthParams {
    pub response_type: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: String,
    pub nonce: String,
    pub code_challenge: String,
    pub code_challenge_method: String,
    pub acr_values: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DecideForm {
    #[serde(flatten)]
    pub p: AuthParams,
    pub who: String,
    pub fault: String,
    pub decision: String,
}

/// The request problems that the provider shows instead of redirecting (a wrong client or
/// redirect URI must not send the browser anywhere).
fn check_params(r: &Realm, p: &AuthParams) -> Result<(), &'static str> {
    if p.client_id != r.client_id {
        return Err("client_id が登録されていません (unknown client_id)");
    }
    let path_ok = p
        .redirect_uri
        .split_once("://")
        .and_then(|(scheme, rest)| {
            let path = &rest[rest.find('/')?..];
            Some(matches!(scheme, "http" | "https") && path == r.redirect_path)
        })
        .unwrap_or(false);
    if !path_ok {
        return Err("redirect_uri が登録されていません (unregistered redirect_uri)");
    }
    if p.response_type != "code" {
        return Err("response_type は code だけです (response_type must be code)");
    }
    if !p.scope.split(' ').any(|s| s == "openid") {
        return Err("scope に openid がありません (scope must include openid)");
    }
    if p.state.is_empty() || p.state.len() > 255 {
        return Err("state がありません (state is required)");
    }
    if p.nonce.is_empty() {
        return Err("nonce がありません (nonce is required)");
    }
    if p.code_challenge_method != "S256" || p.code_challenge.len() != 43 {
        return Err("PKCE (S256) の code_challenge がありません (PKCE S256 required)");
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "identity/sandbox_authorize.html")]
struct AuthorizePage {
    c: Ctx,
    staff: bool,
    error: Option<&'static str>,
    p: AuthParams,
    action: String,
    choices: Vec<(String, String, String)>,
    faults: Vec<&'static str>,
    facts: Vec<&'static str>,
}

async fn authorize_page(
    State(st): State<AppState>,
    c: Ctx,
    Path(name): Path<String>,
    Query(p): Query<AuthParams>,
) -> Result<Response, AppError> {
    let sb = sandbox(&st)?;
    let r = realm(sb, &name)?;
    let staff = name == "staff";
    let error = check_params(r, &p).err();
    let choices = if staff {
        STAFF
            .iter()
            .enumerate()
            .map(|(i, s)| (i.to_string(), s.name.to_owned(), s.email.to_owned()))
            .collect()
    } else {
        HOLDERS
            .iter()
            .enumerate()
            .map(|(i, h)| {
                (
                    i.to_string(),
                    h.name.to_owned(),
                    format!("{} / {}", h.address, h.birthdate),
                )
            })
            .collect()
    };
    let facts = ["name", "address", "birthdate", "gender"]
        .into_iter()
        .filter(|f| p.scope.split(' ').any(|s| s == *f))
        .collect();
    let page = AuthorizePage {
        c,
        staff,
        error,
        action: format!("{PREFIX}/{name}/protocol/openid-connect/auth"),
        p,
        choices,
        faults: Fault::ALL.iter().map(|(_, n)| *n).collect(),
        facts,
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, crate::web::pages::render(&page)?).into_response())
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", q.finish())
}

async fn authorize_decide(
    State(st): State<AppState>,
    Path(name): Path<String>,
    axum::Form(f): axum::Form<DecideForm>,
) -> Result<Response, AppError> {
    let sb = sandbox(&st)?;
    let r = realm(sb, &name)?;
    if check_params(r, &f.p).is_err() {
        return Err(AppError::BadRequest);
    }
    if f.decision != "approve" {
        let to = with_query(
            &f.p.redirect_uri,
            &[("error", "access_denied"), ("state", &f.p.state)],
        );
        return Ok(Redirect::to(&to).into_response());
    }
    let max = if name == "staff" {
        STAFF.len()
    } else {
        HOLDERS.len()
    };
    let who = f
        .who
        .parse::<usize>()
        .ok()
        .filter(|i| *i < max)
        .ok_or(AppError::BadRequest)?;
    let code = random_token();
    let grant = Grant {
        realm: name,
        client_id: f.p.client_id.clone(),
        redirect_uri: f.p.redirect_uri.clone(),
        challenge: f.p.code_challenge.clone(),
        nonce: f.p.nonce.clone(),
        scopes: f.p.scope.clone(),
        who,
        fault: Fault::parse(&f.fault),
        issued: Instant::now(),
    };
    if let Ok(mut codes) = sb.codes.lock() {
        codes.retain(|_, g| g.issued.elapsed() < CODE_TTL);
        codes.insert(code.clone(), grant);
    }
    let to = with_query(
        &f.p.redirect_uri,
        &[
            ("code", &code),
            ("state", &f.p.state),
            ("session_state", "sandbox"),
        ],
    );
    Ok(Redirect::to(&to).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    pub grant_type: String,
    pub code: String,
    pub redirect_uri: String,
    pub code_verifier: String,
    pub client_id: String,
    pub client_assertion_type: String,
    pub client_assertion: String,
    pub client_secret: String,
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

fn now_secs() -> i64 {
    crate::db::now_ms() / 1000
}

/// Checks the client's proof at the token endpoint.
fn client_ok(sb: &Sandbox, r: &Realm, f: &TokenForm) -> Result<(), String> {
    match &r.client_key {
        ClientKey::Secret(s) => {
            if !s.is_empty()
                && bool::from(subtle::ConstantTimeEq::ct_eq(
                    s.as_bytes(),
                    f.client_secret.as_bytes(),
                ))
            {
                Ok(())
            } else {
                Err("client secret differs".into())
            }
        }
        ClientKey::Jwk(jwk) => {
            if f.client_assertion_type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
                return Err("client_assertion_type must be jwt-bearer".into());
            }
            let header = jsonwebtoken::decode_header(&f.client_assertion)
                .map_err(|e| format!("client assertion: {e}"))?;
            let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
            let mut v = Validation::new(header.alg);
            v.set_audience(&[format!("{}/protocol/openid-connect/token", r.issuer)]);
            v.set_issuer(&[&r.client_id]);
            v.set_required_spec_claims(&["exp", "iss", "sub", "aud", "jti"]);
            v.leeway = 30;
            let data = jsonwebtoken::decode::<serde_json::Map<String, Value>>(
                &f.client_assertion,
                &key,
                &v,
            )
            .map_err(|e| format!("client assertion: {e}"))?;
            if data.claims.get("sub").and_then(Value::as_str) != Some(r.client_id.as_str()) {
                return Err("client assertion sub must be the client_id".into());
            }
            let jti = data
                .claims
                .get("jti")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let fresh = sb
                .used_jti
                .lock()
                .map(|mut s| s.insert(jti))
                .unwrap_or(false);
            if !fresh {
                return Err("client assertion jti was used before".into());
            }
            Ok(())
        }
    }
}

async fn token(
    State(st): State<AppState>,
    Path(name): Path<String>,
    axum::Form(f): axum::Form<TokenForm>,
) -> Result<Response, AppError> {
    let sb = sandbox(&st)?;
    let r = realm(sb, &name)?;
    if f.grant_type != "authorization_code" {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only authorization_code",
        ));
    }
    if let Err(e) = client_ok(sb, r, &f) {
        return Ok(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", &e));
    }
    let replay = !sb
        .used_codes
        .lock()
        .map(|mut s| s.insert(f.code.clone()))
        .unwrap_or(false);
    let grant = sb.codes.lock().ok().and_then(|mut c| c.remove(&f.code));
    let Some(g) = grant.filter(|_| !replay) else {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the code is unknown, expired or was used before",
        ));
    };
    if g.realm != name || g.client_id != r.client_id || g.issued.elapsed() >= CODE_TTL {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the code is unknown, expired or was used before",
        ));
    }
    if g.redirect_uri != f.redirect_uri {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri differs from the authorization request",
        ));
    }
    if f.code_verifier.is_empty() {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "code_verifier is required (PKCE)",
        ));
    }
    if pkce_challenge(&f.code_verifier) != g.challenge {
        return Ok(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "PKCE verification failed",
        ));
    }
    let now = now_secs();
    let (iat, exp) = if g.fault == Fault::Expired {
        (now - 900, now - 600)
    } else {
        (now, now + 300)
    };
    let nonce = if g.fault == Fault::Nonce {
        random_token()
    } else {
        g.nonce.clone()
    };
    let aud = if g.fault == Fault::Audience {
        "RP99999999".to_owned()
    } else {
        g.client_id.clone()
    };
    let mut claims = json!({
        "iss": r.issuer,
        "sub": subject(&name, g.who),
        "aud": aud,
        "iat": iat,
        "exp": exp,
        "auth_time": iat,
        "nonce": nonce,
        "acr": "aal3",
    });
    if name == "staff" {
        let s = &STAFF[g.who];
        claims["name"] = json!(s.name);
        claims["email"] = json!(s.email);
        claims["groups"] = json!(s.groups);
    } else {
        claims[DECOY_CLAIM] = json!(DECOY_VALUE);
    }
    let key = if g.fault == Fault::WrongKey {
        &sb.wrong_key
    } else {
        &sb.key
    };
    let mut h = Header::new(key.alg);
    h.kid = Some(key.kid.clone());
    let id_token = jsonwebtoken::encode(&h, &claims, &key.encoding)
        .map_err(|e| AppError::Internal(e.into()))?;
    let access_token = random_token();
    if let Ok(mut a) = sb.access.lock() {
        a.retain(|_, g| g.issued.elapsed() < Duration::from_secs(600));
        a.insert(
            access_token.clone(),
            AccessGrant {
                realm: name,
                who: g.who,
                scopes: g.scopes,
                issued: Instant::now(),
            },
        );
    }
    Ok(Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response())
}

fn subject(realm: &str, who: usize) -> String {
    if realm == "staff" {
        STAFF[who].sub.to_owned()
    } else {
        HOLDERS[who].sub.to_owned()
    }
}

async fn userinfo(
    State(st): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let sb = sandbox(&st)?;
    realm(sb, &name)?;
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let found = sb.access.lock().ok().and_then(|a| {
        a.get(token)
            .map(|g| (g.realm.clone(), g.who, g.scopes.clone()))
    });
    let Some((r, who, scopes)) = found.filter(|(r, _, _)| *r == name) else {
        return Ok(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "unknown access token",
        ));
    };
    let mut out = json!({ "sub": subject(&r, who) });
    if r != "staff" {
        let h = &HOLDERS[who];
        let has = |s: &str| scopes.split(' ').any(|x| x == s);
        if has("name") {
            out["name"] = json!(h.name);
        }
        if has("address") {
            out["address"] = json!(h.address);
        }
        if has("birthdate") {
            out["birthdate"] = json!(h.birthdate);
        }
        if has("gender") {
            out["gender"] = json!(h.gender);
        }
        out[DECOY_CLAIM] = json!(DECOY_VALUE);
    }
    Ok(Json(out).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realm_names_come_from_the_issuer_path() {
        assert_eq!(
            realm_of("http://127.0.0.1:8080/sandbox/auth-and-sign/api/realms/main").as_deref(),
            Some("main")
        );
        assert_eq!(
            realm_of("https://auth-and-sign.go.jp/api/realms/main"),
            None
        );
    }
}
