//! Passkey endpoints. Registration and login are JSON endpoints driven by
//! `static/js/passkey.js` (progressive enhancement: without JavaScript the buttons stay hidden
//! and passwords work as before); deleting a passkey is a plain form on My Page / staff home.
//!
//! * `POST /passkeys/register/start`  (signed in) → `CreationChallengeResponse`
//! * `POST /passkeys/register/finish` `{ "credential": RegisterPublicKeyCredential, "name": "…" }`
//! * `POST /passkeys/login/start`     → `RequestChallengeResponse` (discoverable, usernameless)
//! * `POST /passkeys/login/finish`    `PublicKeyCredential` → new session, `{ "redirect": … }`
//! * `POST /passkeys/{id}/delete`     (form) → back to My Page / staff home
//!
//! JSON POSTs pass the same CSRF defences as forms: `CsrfLayer` (Sec-Fetch-Site/Origin) and the
//! `__Host-csrf` token, sent in the `x-csrf-token` header (checked in `csrf_cookie`). Errors are
//! `{ "error": { "code", "message" } }` with the message in the visitor's language.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::json;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PublicKeyCredential, RegisterPublicKeyCredential, Uuid, Webauthn,
};

use super::AppState;
use super::ctx::Ctx;
use super::error::{AppError, json_error};
use super::pages::finish_login;
use crate::audit::{self, Actor};
use crate::auth::passkey::{self, CHALLENGE_COOKIE, Challenge, Purpose, RegisterState};
use crate::auth::store;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/passkeys/register/start", post(register_start))
        .route("/passkeys/register/finish", post(register_finish))
        .route("/passkeys/login/start", post(login_start))
        .route("/passkeys/login/finish", post(login_finish))
        .route("/passkeys/{id}/delete", post(delete))
}

/// One row of the passkey table on My Page / staff home.
pub struct PasskeyView {
    pub id: i64,
    pub name: String,
    pub created: String,
    pub last_used: String,
}

/// The signed-in user's passkeys, formatted for the page.
pub async fn views(st: &AppState, c: &Ctx, user_id: i64) -> Result<Vec<PasskeyView>, AppError> {
    let rows = passkey::list_for_user(&st.db, &c.tenant.id, user_id).await?;
    Ok(rows
        .into_iter()
        .map(|p| PasskeyView {
            id: p.id,
            created: c.l.datetime(p.created_at),
            last_used: p
                .last_used_at
                .map(|t| c.l.datetime(t))
                .unwrap_or_else(|| c.l.t("passkeys.never_used").to_owned()),
            name: p.name,
        })
        .collect())
}

/// The `?done=` notices the passkey actions lead back with.
pub fn notice(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("passkey_added") => Some("passkeys.added"),
        Some("passkey_deleted") => Some("passkeys.deleted"),
        _ => None,
    }
}

/// Where a user lands after a passkey action or login.
fn home_of(kind: &str) -> &'static str {
    if kind == "staff" { "/staff" } else { "/mypage" }
}

fn fail(c: &Ctx, status: StatusCode, code: &str, key: &str) -> Response {
    json_error(status, code, c.l.t(key))
}

fn relying_party(st: &AppState, c: &Ctx, headers: &HeaderMap) -> Option<Webauthn> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let rp_name = format!("{} {}", c.tenant_name(), c.l.t("site.title"));
    passkey::relying_party(&st.cfg, host, &rp_name)
}

fn challenge_cookie(secret: String) -> Cookie<'static> {
    Cookie::build((CHALLENGE_COOKIE, secret))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::milliseconds(passkey::CHALLENGE_TTL_MS))
        .build()
}

/// Removes the handle. A `__Host-` cookie is only replaced by a Set-Cookie that is itself
/// Secure with Path=/, so the removal carries the same attributes.
fn clear_challenge(jar: CookieJar) -> CookieJar {
    jar.remove(
        Cookie::build(CHALLENGE_COOKIE)
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Strict)
            .build(),
    )
}

fn internal<E: std::fmt::Debug>(what: &'static str) -> impl FnOnce(E) -> AppError {
    move |e| AppError::Internal(anyhow::anyhow!("{what}: {e:?}"))
}

/// Reads and consumes the ceremony state named by the cookie; Err is the response to send.
async fn take_state(
    st: &AppState,
    c: &Ctx,
    jar: &CookieJar,
    purpose: Purpose,
    user_id: Option<i64>,
) -> Result<Result<String, Response>, AppError> {
    let Some(secret) = jar.get(CHALLENGE_COOKIE).map(|v| v.value().to_owned()) else {
        return Ok(Err(fail(
            c,
            StatusCode::BAD_REQUEST,
            "no_challenge",
            "passkeys.no_challenge",
        )));
    };
    Ok(
        match passkey::take_challenge(&st.db, &secret, purpose).await? {
            Challenge::Valid(row)
                if row.municipality_id == c.tenant.id
                    && (user_id.is_none() || row.user_id == user_id) =>
            {
                Ok(row.state_json)
            }
            Challenge::Expired => Err(fail(
                c,
                StatusCode::BAD_REQUEST,
                "challenge_expired",
                "passkeys.expired",
            )),
            _ => Err(fail(
                c,
                StatusCode::BAD_REQUEST,
                "no_challenge",
                "passkeys.no_challenge",
            )),
        },
    )
}

// ---- registration ---------------------------------------------------------------------------

async fn register_start(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    jar: CookieJar,
    Json(_): Json<serde_json::Value>,
) -> Result<Response, AppError> {
    let Some(user) = c.user.clone() else {
        return Ok(fail(
            &c,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "err.unauthorized",
        ));
    };
    let Some(wa) = relying_party(&st, &c, &headers) else {
        return Ok(fail(
            &c,
            StatusCode::BAD_REQUEST,
            "unavailable",
            "passkeys.unavailable",
        ));
    };
    let existing = passkey::list_for_user(&st.db, &c.tenant.id, user.id).await?;
    // One user handle per user: every passkey of the user carries the same one.
    let user_handle = existing
        .first()
        .and_then(|p| Uuid::parse_str(&p.user_handle).ok())
        .unwrap_or_else(Uuid::new_v4);
    let exclude = existing
        .iter()
        .filter_map(|p| passkey::decode_id(&p.credential_id))
        .collect();
    let (ccr, state) = wa
        .start_passkey_registration(user_handle, &user.email, &user.name, Some(exclude))
        .map_err(internal("start_passkey_registration"))?;
    // Login is usernameless, so the credential must be discoverable (a "resident key");
    // webauthn-rs asks for "discouraged" by default. The finish step does not depend on it.
    let mut options = serde_json::to_value(&ccr).map_err(internal("serialising options"))?;
    if let Some(sel) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(|v| v.as_object_mut())
    {
        sel.insert("residentKey".into(), json!("required"));
        sel.insert("requireResidentKey".into(), json!(true));
    }
    let state = serde_json::to_string(&RegisterState { user_handle, state })
        .map_err(internal("serialising registration state"))?;
    let secret = passkey::start_challenge(
        &st.db,
        &c.tenant.id,
        Some(user.id),
        Purpose::Register,
        &state,
    )
    .await?;
    Ok((jar.add(challenge_cookie(secret)), Json(options)).into_response())
}

#[derive(Deserialize)]
pub struct RegisterFinish {
    pub credential: RegisterPublicKeyCredential,
    #[serde(default)]
    pub name: String,
}

async fn register_finish(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    jar: CookieJar,
    Json(body): Json<RegisterFinish>,
) -> Result<Response, AppError> {
    let Some(user) = c.user.clone() else {
        return Ok(fail(
            &c,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "err.unauthorized",
        ));
    };
    let state_json = match take_state(&st, &c, &jar, Purpose::Register, Some(user.id)).await? {
        Ok(s) => s,
        Err(r) => return Ok((clear_challenge(jar), r).into_response()),
    };
    let jar = clear_challenge(jar);
    let Some(wa) = relying_party(&st, &c, &headers) else {
        return Ok(fail(
            &c,
            StatusCode::BAD_REQUEST,
            "unavailable",
            "passkeys.unavailable",
        ));
    };
    let reg: RegisterState =
        serde_json::from_str(&state_json).map_err(internal("registration state"))?;
    let pk = match wa.finish_passkey_registration(&body.credential, &reg.state) {
        Ok(pk) => pk,
        Err(e) => {
            tracing::warn!(user = user.id, error = ?e, "passkey registration refused");
            return Ok((
                jar,
                fail(
                    &c,
                    StatusCode::BAD_REQUEST,
                    "register_failed",
                    "passkeys.register_failed",
                ),
            )
                .into_response());
        }
    };
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let name = passkey::clean_name(&body.name)
        .unwrap_or_else(|| passkey::default_name(ua, c.l.t("passkeys.default_name")));
    let mut tx = st.db.begin().await?;
    let Some(id) =
        passkey::create(&mut tx, &c.tenant.id, user.id, &reg.user_handle, &pk, &name).await?
    else {
        return Ok((
            jar,
            fail(&c, StatusCode::CONFLICT, "duplicate", "passkeys.duplicate"),
        )
            .into_response());
    };
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::User(user.id),
        "passkey.registered",
        &format!("user:{}", user.id),
        json!({ "passkey_id": id, "name": name, "ip": c.ip }),
    )
    .await?;
    tx.commit().await?;
    let redirect = format!("{}?done=passkey_added", home_of(&user.kind));
    Ok((jar, Json(json!({ "ok": true, "redirect": redirect }))).into_response())
}

// ---- login ----------------------------------------------------------------------------------

async fn login_start(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    jar: CookieJar,
    Json(_): Json<serde_json::Value>,
) -> Result<Response, AppError> {
    let Some(wa) = relying_party(&st, &c, &headers) else {
        return Ok(fail(
            &c,
            StatusCode::BAD_REQUEST,
            "unavailable",
            "passkeys.unavailable",
        ));
    };
    let (mut rcr, state) = wa
        .start_discoverable_authentication()
        .map_err(internal("start_discoverable_authentication"))?;
    // The login is started by a button, not by autofill: a plain (modal) request.
    rcr.mediation = None;
    let state = serde_json::to_string(&state).map_err(internal("serialising login state"))?;
    let secret =
        passkey::start_challenge(&st.db, &c.tenant.id, None, Purpose::Authenticate, &state).await?;
    Ok((jar.add(challenge_cookie(secret)), Json(rcr)).into_response())
}

async fn login_finish(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    jar: CookieJar,
    Json(cred): Json<PublicKeyCredential>,
) -> Result<Response, AppError> {
    let state_json = match take_state(&st, &c, &jar, Purpose::Authenticate, None).await? {
        Ok(s) => s,
        Err(r) => return Ok((clear_challenge(jar), r).into_response()),
    };
    let jar = clear_challenge(jar);
    let refuse = |jar: CookieJar, code: &str, key: &str| -> Result<Response, AppError> {
        Ok((jar, fail(&c, StatusCode::BAD_REQUEST, code, key)).into_response())
    };
    let Some(wa) = relying_party(&st, &c, &headers) else {
        return refuse(jar, "unavailable", "passkeys.unavailable");
    };
    let state: DiscoverableAuthentication =
        serde_json::from_str(&state_json).map_err(internal("login state"))?;
    let Ok((user_handle, raw_id)) = wa.identify_discoverable_authentication(&cred) else {
        tracing::warn!(ip = %c.ip, "passkey login without a user handle");
        return refuse(jar, "login_failed", "passkeys.login_failed");
    };
    // A passkey works only in its own municipality and for the user it was made for.
    let row = passkey::find_by_credential_id(&st.db, &passkey::encode_id(raw_id))
        .await?
        .filter(|r| r.municipality_id == c.tenant.id && r.user_handle == user_handle.to_string());
    let Some(row) = row else {
        tracing::warn!(ip = %c.ip, "passkey login with an unknown credential");
        return refuse(jar, "unknown_passkey", "passkeys.unknown");
    };
    let mut pk = row.passkey().map_err(internal("stored passkey"))?;
    let result = match wa.finish_discoverable_authentication_v2(&cred, state, &pk) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(passkey = row.id, ip = %c.ip, error = ?e, "passkey login refused");
            return refuse(jar, "login_failed", "passkeys.login_failed");
        }
    };
    let user = store::find_user(&st.db, row.user_id)
        .await?
        .filter(|u| u.disabled_at.is_none() && u.email_verified_at.is_some());
    let Some(user) = user else {
        tracing::warn!(
            passkey = row.id,
            "passkey login for a disabled or unverified user"
        );
        return refuse(jar, "login_failed", "passkeys.login_failed");
    };
    let updated = pk.update_credential(&result).unwrap_or(false);
    let mut tx = st.db.begin().await?;
    passkey::record_use(&mut tx, row.id, updated.then_some(&pk)).await?;
    let detail =
        json!({ "kind": user.kind, "ip": c.ip, "method": "passkey", "passkey_id": row.id });
    let jar = finish_login(&st, &c, jar, tx, user.id, detail).await?;
    let redirect = home_of(&user.kind);
    Ok((jar, Json(json!({ "ok": true, "redirect": redirect }))).into_response())
}

// ---- deletion -------------------------------------------------------------------------------

async fn delete(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let Some(user) = c.user.clone() else {
        let to = if c.session_expired {
            "/login?expired=1"
        } else {
            "/login?needed=1"
        };
        return Ok(Redirect::to(to).into_response());
    };
    let mut tx = st.db.begin().await?;
    let Some(row) = passkey::delete(&mut tx, &c.tenant.id, user.id, id).await? else {
        return Err(AppError::NotFound);
    };
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::User(user.id),
        "passkey.deleted",
        &format!("user:{}", user.id),
        json!({ "passkey_id": row.id, "name": row.name, "ip": c.ip }),
    )
    .await?;
    tx.commit().await?;
    let to = format!("{}?done=passkey_deleted", home_of(&user.kind));
    Ok(Redirect::to(&to).into_response())
}

#[cfg(test)]
mod tests {
    use super::super::i18n::has_key;

    /// Keys passed to `fail` and used by the passkey templates/script exist.
    #[test]
    fn passkey_message_keys_exist() {
        for key in [
            "passkeys.no_challenge",
            "passkeys.expired",
            "passkeys.unavailable",
            "passkeys.register_failed",
            "passkeys.duplicate",
            "passkeys.login_failed",
            "passkeys.unknown",
            "passkeys.default_name",
            "passkeys.never_used",
            "passkeys.added",
            "passkeys.deleted",
        ] {
            assert!(has_key(key), "{key}");
        }
    }
}
