//! Pages of the card sign-in and staff single sign-on: the consent page, the start (which
//! sends the browser to the provider), the callbacks, and our public keys as JWKS.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::{Value, json};

use super::facts;
use super::oidc::{OidcError, Rp, random_token};
use super::store::{self, PendingRow};
use crate::audit::{self, Actor};
use crate::auth::store as auth_store;
use crate::auth::{Kind, Role};
use crate::db::now_ms;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::pages::{MessagePage, render, session_cookie};

/// Cookie binding a pending sign-in to this browser.
pub const BROWSER_COOKIE: &str = "__Host-oidc";
pub const CARD: &str = "card";
pub const STAFF: &str = "staff";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/auth/card", get(consent))
        .route("/auth/card/start", post(card_start))
        .route("/auth/card/callback", get(card_callback))
        .route("/staff/login/sso", get(staff_page).post(staff_start))
        .route("/staff/login/sso/callback", get(staff_callback))
        .route("/.well-known/jwks.json", get(jwks))
}

/// Our client keys' public halves: register this URL with the Digital Agency.
async fn jwks(State(st): State<AppState>) -> Response {
    axum::Json(json!({ "keys": st.identity.jwks })).into_response()
}

fn safe_next(next: &str, default: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        default.to_owned()
    }
}

/// The facts a procedure's published form prefills (what the card sign-in would read).
pub async fn procedure_facts(
    st: &AppState,
    tenant: &str,
    slug: &str,
) -> Result<Vec<&'static str>, AppError> {
    if slug.is_empty() {
        return Ok(Vec::new());
    }
    let Some(p) = crate::procedures::store::find_by_slug(&st.db, tenant, slug).await? else {
        return Ok(Vec::new());
    };
    let Some(row) = crate::procedures::form::store::published(&st.db, tenant, p.id).await? else {
        return Ok(Vec::new());
    };
    let Ok(def) = row.parsed() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for page in &def.pages {
        for f in &page.fields {
            if let Some(fact) = f.prefill.as_deref().and_then(facts::prefill_fact)
                && !out.contains(&fact)
            {
                out.push(fact);
            }
        }
    }
    out.sort_by_key(|f| facts::FACTS.iter().position(|x| x == f));
    Ok(out)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConsentQuery {
    pub next: String,
    pub procedure: String,
}

#[derive(Template)]
#[template(path = "identity/consent.html")]
struct ConsentPage {
    c: Ctx,
    next: String,
    procedure: String,
    facts: Vec<&'static str>,
}

fn unavailable(c: Ctx) -> Result<Response, AppError> {
    let page = MessagePage {
        c,
        title: "identity.card_login",
        text: "identity.not_configured",
        kind: "info",
        link: Some(("/login", "identity.to_login")),
    };
    Ok((StatusCode::NOT_FOUND, render(&page)?).into_response())
}

/// A CSP for a page whose form ends in a redirect to the provider: `form-action` must allow
/// the provider's origin too (browsers check it on the redirect).
async fn csp_for(rp: &Rp) -> Option<HeaderValue> {
    let d = rp.discovery().await.ok()?;
    let url = d.authorization_endpoint;
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    HeaderValue::from_str(&format!(
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self' {scheme}://{host}; base-uri 'none'; object-src 'none'"
    ))
    .ok()
}

async fn consent(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<ConsentQuery>,
) -> Result<Response, AppError> {
    let Some(rp) = st.identity.card.as_ref() else {
        return unavailable(c);
    };
    let facts = if st.cfg.identity.card.facts == super::config::FactsPolicy::Never {
        Vec::new()
    } else {
        procedure_facts(&st, &c.tenant.id, &q.procedure).await?
    };
    let page = ConsentPage {
        next: safe_next(&q.next, "/mypage"),
        procedure: q.procedure,
        facts,
        c,
    };
    let mut resp = render(&page)?.into_response();
    if let Some(v) = csp_for(rp).await {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(resp)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StartForm {
    pub next: String,
    pub procedure: String,
    /// "1" when the resident agreed to share the listed facts.
    pub share: String,
}

fn redirect_uri(st: &AppState, headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    format!("{}{path}", st.base_url_for(host))
}

/// Records the pending sign-in and returns the redirect to the provider.
#[allow(clippy::too_many_arguments)]
async fn begin(
    st: &AppState,
    c: &Ctx,
    jar: CookieJar,
    headers: &HeaderMap,
    rp: &Rp,
    provider: &str,
    scopes: String,
    next: String,
    redirect_path: &str,
) -> Result<Response, AppError> {
    let browser = jar
        .get(BROWSER_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() >= 32)
        .unwrap_or_else(random_token);
    let state = random_token();
    let nonce = random_token();
    let verifier = random_token();
    let uri = redirect_uri(st, headers, redirect_path);
    let url = match rp
        .authorize_url(&uri, &scopes, &state, &nonce, &verifier)
        .await
    {
        Ok(u) => u,
        Err(e) => return refused(st, c, provider, &e).await,
    };
    let now = now_ms();
    let ttl = st.cfg.identity.card.request_ttl_secs * 1000;
    let mut tx = st.db.begin().await?;
    store::insert_pending(
        &mut tx,
        &PendingRow {
            state_hash: crate::auth::token::digest(&state),
            municipality_id: c.tenant.id.clone(),
            provider: provider.to_owned(),
            browser_hash: crate::auth::token::digest(&browser),
            nonce,
            pkce_verifier: verifier,
            scopes,
            next_path: next,
            created_at: now,
            expires_at: now + ttl,
        },
    )
    .await?;
    tx.commit().await?;
    let cookie = Cookie::build((BROWSER_COOKIE, browser))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    Ok((jar.add(cookie), Redirect::to(&url)).into_response())
}

async fn card_start(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    axum::Form(f): axum::Form<StartForm>,
) -> Result<Response, AppError> {
    let Some(rp) = st.identity.card.as_ref() else {
        return unavailable(c);
    };
    let wanted =
        if f.share == "1" && st.cfg.identity.card.facts != super::config::FactsPolicy::Never {
            procedure_facts(&st, &c.tenant.id, &f.procedure).await?
        } else {
            Vec::new()
        };
    let path = st.cfg.identity.card.redirect_path.clone();
    begin(
        &st,
        &c,
        jar,
        &headers,
        rp,
        CARD,
        facts::scopes(&wanted),
        safe_next(&f.next, "/mypage"),
        &path,
    )
    .await
}

#[derive(Template)]
#[template(path = "identity/staff_start.html")]
struct StaffStartPage {
    c: Ctx,
}

async fn staff_page(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    let Some(rp) = st.identity.staff.as_ref() else {
        return Err(AppError::NotFound);
    };
    let mut resp = render(&StaffStartPage { c })?.into_response();
    if let Some(v) = csp_for(rp).await {
        resp.headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(resp)
}

async fn staff_start(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let Some(rp) = st.identity.staff.as_ref() else {
        return Err(AppError::NotFound);
    };
    let scopes = format!("openid {}", st.cfg.identity.staff.scopes.trim());
    let path = st.cfg.identity.staff.redirect_path.clone();
    begin(
        &st,
        &c,
        jar,
        &headers,
        rp,
        STAFF,
        scopes.trim().to_owned(),
        "/staff".into(),
        &path,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CallbackQuery {
    pub code: String,
    pub state: String,
    pub error: String,
}

/// A refused sign-in: audited, then a page that says what happened and what to do.
async fn refused(
    st: &AppState,
    c: &Ctx,
    provider: &str,
    e: &OidcError,
) -> Result<Response, AppError> {
    tracing::warn!(provider, error = %e, "sign-in refused");
    let mut tx = st.db.begin().await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &c.user
            .as_ref()
            .map(|u| Actor::User(u.id))
            .unwrap_or(Actor::Anonymous),
        "identity.login_refused",
        &format!("provider:{provider}"),
        json!({ "reason": e.code(), "ip": c.ip }),
    )
    .await?;
    tx.commit().await?;
    let status = match e {
        OidcError::Provider(_) => StatusCode::BAD_GATEWAY,
        OidcError::Denied(_) => StatusCode::OK,
        OidcError::OtherAccount | OidcError::NoGroup(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    };
    let page = MessagePage {
        c: c.clone(),
        title: "identity.refused_title",
        text: e.key(),
        kind: if matches!(e, OidcError::Denied(_)) {
            "info"
        } else {
            "error"
        },
        link: Some(if provider == STAFF {
            ("/staff/login", "identity.to_staff_login")
        } else {
            ("/login", "identity.to_login")
        }),
    };
    Ok((status, render(&page)?).into_response())
}

#[allow(clippy::too_many_arguments)]
/// Steps common to both callbacks: the single-use, browser-bound `state`, the code exchange,
/// the ID token. Returns the pending request, the ID token's claims and the access token.
async fn complete(
    st: &AppState,
    c: &Ctx,
    jar: &CookieJar,
    headers: &HeaderMap,
    rp: &Rp,
    provider: &str,
    redirect_path: &str,
    q: &CallbackQuery,
) -> Result<(PendingRow, serde_json::Map<String, Value>, Option<String>), OidcError> {
    let pending = store::take_pending(&st.db, &crate::auth::token::digest(&q.state))
        .await
        .map_err(|e| OidcError::Provider(format!("database: {e}")))?
        .ok_or(OidcError::State)?;
    let browser = jar
        .get(BROWSER_COOKIE)
        .map(|c| crate::auth::token::digest(c.value()))
        .unwrap_or_default();
    let bound = bool::from(subtle::ConstantTimeEq::ct_eq(
        browser.as_bytes(),
        pending.browser_hash.as_bytes(),
    ));
    if !bound
        || pending.municipality_id != c.tenant.id
        || pending.provider != provider
        || pending.expires_at <= now_ms()
    {
        return Err(OidcError::State);
    }
    if !q.error.is_empty() {
        return Err(OidcError::Denied(q.error.clone()));
    }
    if q.code.is_empty() {
        return Err(OidcError::Code("no code in the callback".into()));
    }
    let uri = redirect_uri(st, headers, redirect_path);
    let tokens = rp.exchange(&q.code, &pending.pkce_verifier, &uri).await?;
    let claims = rp.verify_id_token(&tokens.id_token, &pending.nonce).await?;
    Ok((pending, claims, tokens.access_token))
}

#[allow(clippy::too_many_arguments)]
/// Ends the login: a new session at `level` in `tx`, the `login` event, commit, the old
/// session ended and the new cookie set.
async fn finish(
    st: &AppState,
    c: &Ctx,
    jar: CookieJar,
    mut tx: crate::db::Tx,
    user_id: i64,
    level: &str,
    detail: Value,
    to: &str,
) -> Result<Response, AppError> {
    let absolute_ms = st.cfg.session.absolute_hours * 3_600_000;
    let secret = auth_store::create_session(&mut tx, user_id, &c.tenant.id, absolute_ms).await?;
    store::set_session_level(&mut tx, &secret, level).await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::User(user_id),
        "login",
        &format!("user:{user_id}"),
        detail,
    )
    .await?;
    tx.commit().await?;
    if let Some(old) = &c.session_secret {
        auth_store::delete_session(&st.db, old).await?;
    }
    let jar = jar.remove(Cookie::build(BROWSER_COOKIE).path("/").secure(true).build());
    Ok((jar.add(session_cookie(secret)), Redirect::to(to)).into_response())
}

async fn card_callback(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    let Some(rp) = st.identity.card.as_ref() else {
        return unavailable(c);
    };
    let path = st.cfg.identity.card.redirect_path.clone();
    let (pending, claims, access) =
        match complete(&st, &c, &jar, &headers, rp, CARD, &path, &q).await {
            Ok(v) => v,
            Err(e) => return refused(&st, &c, CARD, &e).await,
        };
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    // The basic four facts come from userinfo, only when asked for (and so agreed to).
    let mut facts_read = Vec::new();
    if pending.scopes.split(' ').any(|s| s != "openid")
        && let Some(at) = &access
    {
        match rp.userinfo(at, &sub).await {
            Ok(info) => facts_read = facts::extract(&info, &pending.scopes),
            Err(e) => return refused(&st, &c, CARD, &e).await,
        }
    }
    let existing = store::find_link(&st.db, &c.tenant.id, CARD, &rp.issuer, &sub).await?;
    let current = c
        .user
        .as_ref()
        .filter(|u| u.kind == "resident")
        .map(|u| u.id);
    let mut tx = st.db.begin().await?;
    let user_id = match (existing, current) {
        (Some(link), Some(me)) if link.user_id != me => {
            drop(tx);
            return refused(&st, &c, CARD, &OidcError::OtherAccount).await;
        }
        (Some(link), _) => {
            store::touch_link(&mut tx, link.id).await?;
            link.user_id
        }
        (None, Some(me)) => {
            if store::link_of_user(&st.db, me, CARD).await?.is_some() {
                // The account has another card subject: re-link needs staff (docs/identity.md).
                drop(tx);
                return refused(&st, &c, CARD, &OidcError::OtherAccount).await;
            }
            store::create_link(&mut tx, &c.tenant.id, me, CARD, &rp.issuer, &sub).await?;
            audit::record(
                &mut tx,
                &c.tenant.id,
                &Actor::User(me),
                "identity.linked",
                &format!("user:{me}"),
                json!({ "provider": CARD }),
            )
            .await?;
            me
        }
        (None, None) => {
            let name = facts_read
                .iter()
                .find(|(f, _)| *f == "name")
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| "マイナンバーカード利用者".into());
            // No e-mail comes from the card: a placeholder that can never receive mail.
            let email = format!("card-{}@card.madoguchi.invalid", uuid::Uuid::new_v4());
            let id = auth_store::create_user(
                &mut tx,
                auth_store::NewUser {
                    municipality: &c.tenant.id,
                    kind: Kind::Resident,
                    email: &email,
                    name: &name,
                    password_hash: "",
                    verified: false,
                    department_id: None,
                    role: None,
                },
            )
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
            store::create_link(&mut tx, &c.tenant.id, id, CARD, &rp.issuer, &sub).await?;
            audit::record(
                &mut tx,
                &c.tenant.id,
                &Actor::User(id),
                "identity.account_created",
                &format!("user:{id}"),
                json!({ "provider": CARD }),
            )
            .await?;
            audit::record(
                &mut tx,
                &c.tenant.id,
                &Actor::User(id),
                "identity.linked",
                &format!("user:{id}"),
                json!({ "provider": CARD }),
            )
            .await?;
            id
        }
    };
    if !facts_read.is_empty() {
        for (f, v) in &facts_read {
            store::put_fact(&mut tx, user_id, f, v).await?;
        }
        audit::record(
            &mut tx,
            &c.tenant.id,
            &Actor::User(user_id),
            "identity.facts_verified",
            &format!("user:{user_id}"),
            json!({ "facts": facts_read.iter().map(|(f, _)| *f).collect::<Vec<_>>() }),
        )
        .await?;
    }
    let detail = json!({ "kind": "resident", "ip": c.ip, "method": "card" });
    finish(
        &st,
        &c,
        jar,
        tx,
        user_id,
        "card",
        detail,
        &safe_next(&pending.next_path, "/mypage"),
    )
    .await
}

async fn staff_callback(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    let Some(rp) = st.identity.staff.as_ref() else {
        return Err(AppError::NotFound);
    };
    let scfg = st.cfg.identity.staff.clone();
    let (_pending, mut claims, access) =
        match complete(&st, &c, &jar, &headers, rp, STAFF, &scfg.redirect_path, &q).await {
            Ok(v) => v,
            Err(e) => return refused(&st, &c, STAFF, &e).await,
        };
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if !claims.contains_key(&scfg.group_claim)
        && let Some(at) = &access
    {
        match rp.userinfo(at, &sub).await {
            Ok(info) => {
                for (k, v) in info {
                    claims.entry(k).or_insert(v);
                }
            }
            Err(e) => return refused(&st, &c, STAFF, &e).await,
        }
    }
    let groups: Vec<String> = match claims.get(&scfg.group_claim) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(s)) => s.split([' ', ',']).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    let Some((group, mapping)) = groups
        .iter()
        .find_map(|g| scfg.groups.get(g).map(|m| (g.clone(), m.clone())))
    else {
        return refused(&st, &c, STAFF, &OidcError::NoGroup(groups.join(" "))).await;
    };
    let role = Role::parse(&mapping.role).unwrap_or(Role::DepartmentStaff);
    let mut tx = st.db.begin().await?;
    let Some(dept) =
        auth_store::find_department(&mut tx, &c.tenant.id, &mapping.department).await?
    else {
        drop(tx);
        return refused(
            &st,
            &c,
            STAFF,
            &OidcError::NoGroup(mapping.department.clone()),
        )
        .await;
    };
    let email = claims
        .get("email")
        .and_then(Value::as_str)
        .and_then(crate::auth::normalize_email)
        .unwrap_or_else(|| format!("{}@staff.madoguchi.invalid", hex::encode(sub.as_bytes())));
    let name = claims
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(&email)
        .to_owned();
    let existing = store::find_link(&st.db, &c.tenant.id, STAFF, &rp.issuer, &sub).await?;
    let user_id = match existing {
        Some(link) => {
            store::touch_link(&mut tx, link.id).await?;
            link.user_id
        }
        None => {
            let id = match auth_store::find_user_by_email(&st.db, &c.tenant.id, Kind::Staff, &email)
                .await?
            {
                Some(u) => u.id,
                None => {
                    let id = auth_store::create_user(
                        &mut tx,
                        auth_store::NewUser {
                            municipality: &c.tenant.id,
                            kind: Kind::Staff,
                            email: &email,
                            name: &name,
                            password_hash: "",
                            verified: true,
                            department_id: Some(dept.id),
                            role: Some(role),
                        },
                    )
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
                    audit::record(
                        &mut tx,
                        &c.tenant.id,
                        &Actor::User(id),
                        "identity.account_created",
                        &format!("user:{id}"),
                        json!({ "provider": STAFF }),
                    )
                    .await?;
                    id
                }
            };
            store::create_link(&mut tx, &c.tenant.id, id, STAFF, &rp.issuer, &sub).await?;
            audit::record(
                &mut tx,
                &c.tenant.id,
                &Actor::User(id),
                "identity.linked",
                &format!("user:{id}"),
                json!({ "provider": STAFF }),
            )
            .await?;
            id
        }
    };
    let before = auth_store::find_user(&st.db, user_id).await?;
    if before.as_ref().is_some_and(|u| u.disabled_at.is_some()) {
        drop(tx);
        return refused(
            &st,
            &c,
            STAFF,
            &OidcError::Denied("account disabled".into()),
        )
        .await;
    }
    let changed = before
        .as_ref()
        .is_none_or(|u| u.role() != Some(role) || u.department_id != Some(dept.id));
    if changed {
        auth_store::set_role(&mut tx, user_id, role, Some(dept.id)).await?;
        audit::record(
            &mut tx,
            &c.tenant.id,
            &Actor::System,
            "role_changed",
            &format!("user:{user_id}"),
            json!({ "role": role.as_str(), "department": mapping.department, "group": group, "source": "staff_oidc" }),
        )
        .await?;
    }
    let detail = json!({ "kind": "staff", "ip": c.ip, "method": "staff_oidc", "group": group });
    finish(&st, &c, jar, tx, user_id, "signed_in", detail, "/staff").await
}
