//! Resident-facing pages: home, sign-up with e-mail verification, login/logout, password
//! reset, My Page, display preferences, and the demo's sandbox mailbox.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::ctx::{Ctx, LANG_COOKIE, LARGE_COOKIE, SESSION_COOKIE};
use super::error::AppError;
use super::forms::{self, Errors};
use super::i18n::Lang;
use crate::audit::{self, Actor};
use crate::auth::store::{self, CreateError, NewUser, Purpose, TokenState};
use crate::auth::{Kind, normalize_email, password};
use crate::mail;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_form).post(login_submit))
        .route("/register", get(register_form).post(register_submit))
        .route("/verify", get(verify_form).post(verify_submit))
        .route("/password/forgot", get(forgot_form).post(forgot_submit))
        .route("/password/reset", get(reset_form).post(reset_submit))
        .route("/mypage", get(mypage))
        .route("/mypage/logout-others", post(logout_others))
        .route("/logout", post(logout))
        .route("/prefs", post(prefs))
}

pub fn sandbox_routes() -> Router<AppState> {
    Router::new().route("/sandbox/mailbox", get(mailbox))
}

pub fn render<T: Template>(t: &T) -> Result<Html<String>, AppError> {
    Ok(Html(t.render()?))
}

// ---- templates ------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub c: Ctx,
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Ctx,
    pub staff: bool,
    pub email: String,
    pub errs: Errors,
    /// A message key for a banner at the top (error or info).
    pub banner: Option<&'static str>,
    pub banner_type: &'static str,
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub c: Ctx,
    pub name: String,
    pub email: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub c: Ctx,
    pub title: &'static str,
    pub text: &'static str,
    pub kind: &'static str,
    pub link: Option<(&'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "token_form.html")]
pub struct TokenFormPage {
    pub c: Ctx,
    /// "verify" or "reset"
    pub purpose: &'static str,
    pub token: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "forgot.html")]
pub struct ForgotPage {
    pub c: Ctx,
    pub email: String,
    pub errs: Errors,
}

#[derive(Template)]
#[template(path = "mypage.html")]
pub struct MyPage {
    pub c: Ctx,
    pub email: String,
    pub registered: String,
    pub sessions: i64,
    pub notice: Option<&'static str>,
    pub passkeys: Vec<super::passkeys::PasskeyView>,
}

#[derive(Template)]
#[template(path = "mailbox.html")]
pub struct MailboxPage {
    pub c: Ctx,
    pub mails: Vec<(String, String, String, String)>,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Ctx,
    pub status: u16,
    pub message: &'static str,
}

fn message(
    c: Ctx,
    title: &'static str,
    text: &'static str,
    kind: &'static str,
    link: Option<(&'static str, &'static str)>,
) -> Result<Response, AppError> {
    Ok(render(&MessagePage {
        c,
        title,
        text,
        kind,
        link,
    })?
    .into_response())
}

// ---- home -----------------------------------------------------------------------------------

async fn home(c: Ctx) -> Result<Html<String>, AppError> {
    render(&HomePage { c })
}

// ---- login / logout -------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    pub expired: Option<String>,
    #[serde(default)]
    pub needed: Option<String>,
}

pub fn login_page(c: Ctx, staff: bool, q: &LoginQuery) -> Result<Response, AppError> {
    let (banner, banner_type) = if q.expired.is_some() || c.session_expired {
        (Some("login.expired"), "info-1")
    } else if q.needed.is_some() {
        (Some("login.needed"), "info-1")
    } else {
        (None, "")
    };
    Ok(render(&LoginPage {
        c,
        staff,
        email: String::new(),
        errs: Errors::default(),
        banner,
        banner_type,
    })?
    .into_response())
}

async fn login_form(c: Ctx, Query(q): Query<LoginQuery>) -> Result<Response, AppError> {
    if c.is_resident() {
        return Ok(Redirect::to("/mypage").into_response());
    }
    login_page(c, false, &q)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    /// Where a resident goes after logging in (a local path, e.g. an application's start page).
    #[serde(default)]
    pub next: String,
}

async fn login_submit(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    do_login(&st, c, jar, Kind::Resident, f).await
}

/// Login for residents and staff: throttled per account and per address in the database,
/// timing-equalised for unknown accounts, new session id on every login, audited.
pub async fn do_login(
    st: &AppState,
    c: Ctx,
    jar: CookieJar,
    kind: Kind,
    f: LoginForm,
) -> Result<Response, AppError> {
    let staff = kind == Kind::Staff;
    let mut errs = Errors::default();
    let email = normalize_email(&f.email);
    if email.is_none() {
        errs.add("email", "v.email_invalid");
    }
    if f.password.is_empty() {
        errs.add("password", "v.password_required");
    }
    let Some(email) = email.filter(|_| errs.is_empty()) else {
        let page = LoginPage {
            c,
            staff,
            email: f.email,
            errs,
            banner: Some("form.errors_title"),
            banner_type: "error",
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    let window_ms = st.cfg.login.lockout_minutes * 60_000;
    let (by_account, by_ip) =
        store::recent_failures(&st.db, &c.tenant.id, &email, &c.ip, window_ms).await?;
    if by_account >= st.cfg.login.max_failures || by_ip >= st.cfg.login.max_failures * 4 {
        tracing::warn!(email = %email, ip = %c.ip, "login refused: locked out");
        let page = LoginPage {
            c,
            staff,
            email,
            errs,
            banner: Some("login.locked"),
            banner_type: "error",
        };
        let mut r = (StatusCode::TOO_MANY_REQUESTS, render(&page)?).into_response();
        r.headers_mut()
            .insert(header::RETRY_AFTER, (window_ms / 1000).into());
        return Ok(super::error::mark_rendered(r));
    }
    let user = store::find_user_by_email(&st.db, &c.tenant.id, kind, &email).await?;
    let ok = password::verify(f.password, user.as_ref().map(|u| u.password_hash.clone())).await;
    let user = user.filter(|u| ok && u.disabled_at.is_none());
    let Some(user) = user else {
        let mut tx = st.db.begin().await?;
        store::record_login_attempt(&mut tx, &c.tenant.id, &email, &c.ip, false).await?;
        tx.commit().await?;
        tracing::warn!(email = %email, ip = %c.ip, kind = kind.as_str(), "login failed");
        let page = LoginPage {
            c,
            staff,
            email,
            errs,
            banner: Some("login.failed"),
            banner_type: "error",
        };
        return Ok((StatusCode::UNAUTHORIZED, render(&page)?).into_response());
    };
    if user.email_verified_at.is_none() {
        let page = LoginPage {
            c,
            staff,
            email,
            errs,
            banner: Some("login.unverified"),
            banner_type: "error",
        };
        return Ok((StatusCode::FORBIDDEN, render(&page)?).into_response());
    }
    let mut tx = st.db.begin().await?;
    store::record_login_attempt(&mut tx, &c.tenant.id, &email, &c.ip, true).await?;
    let detail = json!({ "kind": kind.as_str(), "ip": c.ip, "method": "password" });
    let jar = finish_login(st, &c, jar, tx, user.id, detail).await?;
    let to = if staff {
        "/staff"
    } else if f.next.is_empty() {
        "/mypage"
    } else {
        safe_return(&f.next)
    };
    Ok((jar, Redirect::to(to)).into_response())
}

/// The one way a login ends, whatever proved the identity (password or passkey): a new
/// session in the caller's transaction, the `login` audit event, commit, then the browser's
/// previous session is ended (the session id is cycled) and the new cookie is set.
pub async fn finish_login(
    st: &AppState,
    c: &Ctx,
    jar: CookieJar,
    mut tx: crate::db::Tx,
    user_id: i64,
    detail: serde_json::Value,
) -> Result<CookieJar, AppError> {
    let absolute_ms = st.cfg.session.absolute_hours * 3_600_000;
    let secret = store::create_session(&mut tx, user_id, &c.tenant.id, absolute_ms).await?;
    let target = format!("user:{user_id}");
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::User(user_id),
        "login",
        &target,
        detail,
    )
    .await?;
    tx.commit().await?;
    if let Some(old) = &c.session_secret {
        store::delete_session(&st.db, old).await?;
    }
    Ok(jar.add(session_cookie(secret)))
}

pub fn session_cookie(secret: String) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, secret))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build()
}

async fn logout(State(st): State<AppState>, c: Ctx, jar: CookieJar) -> Result<Response, AppError> {
    if let (Some(secret), Some(user)) = (&c.session_secret, &c.user) {
        let mut tx = st.db.begin().await?;
        audit::record(
            &mut tx,
            &c.tenant.id,
            &Actor::User(user.id),
            "logout",
            &format!("user:{}", user.id),
            json!({}),
        )
        .await?;
        tx.commit().await?;
        store::delete_session(&st.db, secret).await?;
    }
    // A __Host- cookie is only replaced (and so removed) by a Set-Cookie with the same
    // attributes: Secure, Path=/, no Domain.
    let jar = jar.remove(session_cookie(String::new()));
    Ok((jar, Redirect::to("/")).into_response())
}

// ---- registration and verification ----------------------------------------------------------

async fn register_form(c: Ctx) -> Result<Html<String>, AppError> {
    render(&RegisterPage {
        c,
        name: String::new(),
        email: String::new(),
        errs: Errors::default(),
    })
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

async fn register_submit(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Form(f): Form<RegisterForm>,
) -> Result<Response, AppError> {
    let mut errs = Errors::default();
    let (name, email) = forms::name_and_email(&mut errs, &f.name, &f.email);
    forms::new_password(
        &mut errs,
        &f.password,
        &f.password_confirm,
        email.as_deref().unwrap_or(""),
    );
    let invalid = |c: Ctx, errs: Errors| -> Result<Response, AppError> {
        let page = RegisterPage {
            c,
            name: f.name.clone(),
            email: f.email.clone(),
            errs,
        };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
    };
    let Some(email) = email.filter(|_| errs.is_empty()) else {
        return invalid(c, errs);
    };
    let hash = password::hash(f.password.clone()).await?;
    let mut tx = st.db.begin().await?;
    let new = NewUser {
        municipality: &c.tenant.id,
        kind: Kind::Resident,
        email: &email,
        name: &name,
        password_hash: &hash,
        verified: false,
        department_id: None,
        role: None,
    };
    let user_id = match store::create_user(&mut tx, new).await {
        Ok(id) => id,
        Err(CreateError::EmailTaken) => {
            errs.add("email", "v.email_taken");
            return invalid(c, errs);
        }
        Err(CreateError::Db(e)) => return Err(e.into()),
    };
    let token = store::create_email_token(&mut tx, user_id, Purpose::Verify).await?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let link = format!("{}/verify?token={token}", st.base_url_for(host));
    let l = c.l;
    let subject = format!("【{}】{}", c.tenant_name(), l.t("mail.verify_subject"));
    let body = format!(
        "{} {}\n\n{}\n\n{link}\n\n--\n{}\n{}",
        name,
        if l == Lang::Ja { "様" } else { "" },
        l.t("mail.verify_body"),
        c.tenant_name(),
        l.t("mail.footer")
    );
    mail::enqueue(&mut tx, &c.tenant.id, &email, &subject, &body).await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::Anonymous,
        "resident.registered",
        &format!("user:{user_id}"),
        json!({ "ip": c.ip }),
    )
    .await?;
    tx.commit().await?;
    st.mail_notify.notify_one();
    message(
        c,
        "register.done_title",
        "register.done_text",
        "success",
        None,
    )
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    pub token: String,
}

fn token_problem(state: &TokenState) -> Option<&'static str> {
    match state {
        TokenState::Valid(_) => None,
        TokenState::Used => Some("token.used"),
        TokenState::Expired => Some("token.expired"),
        TokenState::Unknown => Some("token.invalid"),
    }
}

/// The page a mail link opens: the form that uses the token (a GET changes nothing), or a
/// clear message when the link is unknown, used or expired.
async fn token_form(
    st: &AppState,
    c: Ctx,
    token: String,
    purpose: Purpose,
) -> Result<Response, AppError> {
    let state = store::peek_email_token(&st.db, &token, purpose).await?;
    if let Some(p) = token_problem(&state) {
        return bad_token(c, purpose, p);
    }
    let purpose = match purpose {
        Purpose::Verify => "verify",
        Purpose::Reset => "reset",
    };
    Ok(render(&TokenFormPage {
        c,
        purpose,
        token,
        errs: Errors::default(),
    })?
    .into_response())
}

/// 400 with what went wrong with the link and where to go next.
fn bad_token(c: Ctx, purpose: Purpose, text: &'static str) -> Result<Response, AppError> {
    let (title, link) = match purpose {
        Purpose::Verify => ("verify.title", ("/login", "nav.login")),
        Purpose::Reset => ("reset.title", ("/password/forgot", "login.forgot")),
    };
    let page = MessagePage {
        c,
        title,
        text,
        kind: "error",
        link: Some(link),
    };
    Ok((StatusCode::BAD_REQUEST, render(&page)?).into_response())
}

async fn verify_form(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    token_form(&st, c, q.token, Purpose::Verify).await
}

async fn verify_submit(
    State(st): State<AppState>,
    c: Ctx,
    Form(q): Form<TokenQuery>,
) -> Result<Response, AppError> {
    let mut tx = st.db.begin().await?;
    let state = store::consume_email_token(&mut tx, &q.token, Purpose::Verify).await?;
    let TokenState::Valid(user_id) = state else {
        return bad_token(
            c,
            Purpose::Verify,
            token_problem(&state).unwrap_or("token.invalid"),
        );
    };
    store::set_email_verified(&mut tx, user_id).await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::User(user_id),
        "resident.email_verified",
        &format!("user:{user_id}"),
        json!({}),
    )
    .await?;
    claim_guest_applications(&st, &mut tx, &c.tenant.id, user_id).await?;
    tx.commit().await?;
    message(
        c,
        "verify.done_title",
        "verify.done_text",
        "success",
        Some(("/login", "nav.login")),
    )
}

/// Applications made without an account from the address this account has just proved it owns
/// become the account's (they then show in My Page with messages, 補正 and 取下げ).
async fn claim_guest_applications(
    st: &AppState,
    tx: &mut crate::db::Tx,
    municipality: &str,
    user_id: i64,
) -> Result<(), AppError> {
    if let Some(user) = store::find_user(&st.db, user_id).await? {
        crate::procedures::application::claim_guest_applications(tx, municipality, &user).await?;
    }
    Ok(())
}

// ---- password reset -------------------------------------------------------------------------

async fn forgot_form(c: Ctx) -> Result<Html<String>, AppError> {
    render(&ForgotPage {
        c,
        email: String::new(),
        errs: Errors::default(),
    })
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    pub email: String,
}

/// Answers the same whether or not the address is registered (no account enumeration).
async fn forgot_submit(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Form(f): Form<ForgotForm>,
) -> Result<Response, AppError> {
    let Some(email) = normalize_email(&f.email) else {
        let mut errs = Errors::default();
        errs.add("email", "v.email_invalid");
        let page = ForgotPage {
            c,
            email: f.email,
            errs,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    };
    if let Some(user) =
        store::find_user_by_email(&st.db, &c.tenant.id, Kind::Resident, &email).await?
        && user.disabled_at.is_none()
    {
        let mut tx = st.db.begin().await?;
        let token = store::create_email_token(&mut tx, user.id, Purpose::Reset).await?;
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let link = format!("{}/password/reset?token={token}", st.base_url_for(host));
        let l = c.l;
        let subject = format!("【{}】{}", c.tenant_name(), l.t("mail.reset_subject"));
        let body = format!(
            "{}\n\n{link}\n\n--\n{}\n{}",
            l.t("mail.reset_body"),
            c.tenant_name(),
            l.t("mail.footer")
        );
        mail::enqueue(&mut tx, &c.tenant.id, &email, &subject, &body).await?;
        audit::record(
            &mut tx,
            &c.tenant.id,
            &Actor::Anonymous,
            "password.reset_requested",
            &format!("user:{}", user.id),
            json!({ "ip": c.ip }),
        )
        .await?;
        tx.commit().await?;
        st.mail_notify.notify_one();
    }
    message(c, "forgot.title", "forgot.done", "success", None)
}

async fn reset_form(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<TokenQuery>,
) -> Result<Response, AppError> {
    token_form(&st, c, q.token, Purpose::Reset).await
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_confirm: String,
}

async fn reset_submit(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<ResetForm>,
) -> Result<Response, AppError> {
    let state = store::peek_email_token(&st.db, &f.token, Purpose::Reset).await?;
    let TokenState::Valid(user_id) = state else {
        return bad_token(
            c,
            Purpose::Reset,
            token_problem(&state).unwrap_or("token.invalid"),
        );
    };
    let user = store::find_user(&st.db, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errs = Errors::default();
    forms::new_password(&mut errs, &f.password, &f.password_confirm, &user.email);
    if !errs.is_empty() {
        let page = TokenFormPage {
            c,
            purpose: "reset",
            token: f.token,
            errs,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
    }
    let hash = password::hash(f.password).await?;
    let mut tx = st.db.begin().await?;
    if store::consume_email_token(&mut tx, &f.token, Purpose::Reset).await?
        != TokenState::Valid(user_id)
    {
        return message(c, "reset.title", "token.used", "error", None);
    }
    store::set_password(&mut tx, user_id, &hash).await?;
    // A reset proves control of the mailbox; it also confirms the address.
    store::set_email_verified(&mut tx, user_id).await?;
    claim_guest_applications(&st, &mut tx, &c.tenant.id, user_id).await?;
    let ended = store::delete_user_sessions(&mut tx, user_id, None).await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::User(user_id),
        "password.reset",
        &format!("user:{user_id}"),
        json!({ "sessions_ended": ended }),
    )
    .await?;
    tx.commit().await?;
    message(
        c,
        "reset.title",
        "reset.done",
        "success",
        Some(("/login", "nav.login")),
    )
}

// ---- My Page --------------------------------------------------------------------------------

/// Redirects to the login page (with the reason) unless a resident is signed in.
pub fn require_resident(c: &Ctx) -> Result<(), Redirect> {
    if c.is_resident() {
        return Ok(());
    }
    let to = if c.session_expired {
        "/login?expired=1"
    } else {
        "/login?needed=1"
    };
    Err(Redirect::to(to))
}

#[derive(Deserialize)]
pub struct MyPageQuery {
    #[serde(default)]
    pub done: Option<String>,
}

async fn mypage(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<MyPageQuery>,
) -> Result<Response, AppError> {
    if let Err(r) = require_resident(&c) {
        return Ok(r.into_response());
    }
    let user = c.user.clone().ok_or(AppError::Unauthorized)?;
    let sessions = store::count_user_sessions(&st.db, user.id).await?;
    let notice = q
        .done
        .as_deref()
        .filter(|d| *d == "others")
        .map(|_| "mypage.logged_out_others")
        .or_else(|| super::passkeys::notice(q.done.as_deref()));
    let registered = c.l.datetime(user.created_at);
    let passkeys = super::passkeys::views(&st, &c, user.id).await?;
    Ok(render(&MyPage {
        c,
        email: user.email,
        registered,
        sessions,
        notice,
        passkeys,
    })?
    .into_response())
}

async fn logout_others(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    let (Some(user), Some(secret)) = (&c.user, &c.session_secret) else {
        return Ok(Redirect::to("/login?needed=1").into_response());
    };
    let mut tx = st.db.begin().await?;
    let n = store::delete_user_sessions(&mut tx, user.id, Some(secret)).await?;
    audit::record(
        &mut tx,
        &c.tenant.id,
        &Actor::User(user.id),
        "sessions.revoked_others",
        &format!("user:{}", user.id),
        json!({ "count": n }),
    )
    .await?;
    tx.commit().await?;
    let to = if user.kind == "staff" {
        "/staff"
    } else {
        "/mypage?done=others"
    };
    Ok(Redirect::to(to).into_response())
}

// ---- preferences ----------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct PrefsForm {
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub large_text: Option<String>,
    #[serde(default)]
    pub return_to: String,
}

/// Language and text size: a cookie for everyone, and the account for signed-in users so the
/// choice follows them to any device.
async fn prefs(
    State(st): State<AppState>,
    c: Ctx,
    jar: CookieJar,
    Form(f): Form<PrefsForm>,
) -> Result<Response, AppError> {
    let lang = f.lang.as_deref().and_then(Lang::parse).unwrap_or(c.l);
    let large = match f.large_text.as_deref() {
        Some("1") => true,
        Some("0") => false,
        _ => c.large_text,
    };
    let year = time::Duration::days(365);
    let jar = jar
        .add(
            Cookie::build((LANG_COOKIE, lang.code()))
                .path("/")
                .secure(true)
                .same_site(SameSite::Lax)
                .max_age(year)
                .build(),
        )
        .add(
            Cookie::build((LARGE_COOKIE, if large { "1" } else { "0" }))
                .path("/")
                .secure(true)
                .same_site(SameSite::Lax)
                .max_age(year)
                .build(),
        );
    if let Some(u) = &c.user
        && (u.lang != lang.code() || u.large_text != large)
    {
        let mut tx = st.db.begin().await?;
        store::set_preferences(&mut tx, u.id, lang.code(), large).await?;
        audit::record(
            &mut tx,
            &c.tenant.id,
            &Actor::User(u.id),
            "preferences.changed",
            &format!("user:{}", u.id),
            json!({ "lang": lang.code(), "large_text": large }),
        )
        .await?;
        tx.commit().await?;
    }
    Ok((jar, Redirect::to(safe_return(&f.return_to))).into_response())
}

/// Only local paths are followed (no open redirect).
pub fn safe_return(p: &str) -> &str {
    if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') && !p.contains("://") {
        p
    } else {
        "/"
    }
}

// ---- sandbox --------------------------------------------------------------------------------

async fn mailbox(State(st): State<AppState>, c: Ctx) -> Result<Html<String>, AppError> {
    let rows = mail::recent(&st.db, &c.tenant.id, 50).await?;
    let mails = rows
        .into_iter()
        .map(|m| (c.l.datetime(m.created_at), m.to_addr, m.subject, m.body))
        .collect();
    render(&MailboxPage { c, mails })
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn return_paths_stay_local() {
        assert_eq!(safe_return("/mypage?x=1"), "/mypage?x=1");
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_return(bad), "/", "{bad}");
        }
    }
}
