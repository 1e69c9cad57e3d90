//! What every page needs to know about the request: municipality (from the host), language,
//! text size, the signed-in user, and the CSRF token for forms.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;

use super::AppState;
use super::error::AppError;
use super::i18n::Lang;
use crate::auth::store::{self, MunicipalityRow, UserRow};

pub const SESSION_COOKIE: &str = "__Host-session";
pub const CSRF_COOKIE: &str = "__Host-csrf";
pub const LANG_COOKIE: &str = "lang";
pub const LARGE_COOKIE: &str = "large_text";

/// The CSRF token of this request, put in the extensions by the `csrf_cookie` middleware.
#[derive(Clone)]
pub struct CsrfToken(pub String);

#[derive(Clone)]
pub struct Ctx {
    pub l: Lang,
    pub large_text: bool,
    pub tenant: MunicipalityRow,
    pub user: Option<UserRow>,
    pub session_secret: Option<String>,
    /// A session cookie came in but the session had ended (idle or absolute timeout).
    pub session_expired: bool,
    pub csrf: String,
    pub path: String,
    pub ip: String,
    pub sandbox: bool,
    /// The session's sign-in was made with the My Number card (identity level `card`).
    pub card: bool,
    /// Card sign-in and staff single sign-on are configured.
    pub card_login: bool,
    pub staff_sso: bool,
}

impl Ctx {
    pub fn tenant_name(&self) -> &str {
        match self.l {
            Lang::Ja => &self.tenant.name_ja,
            Lang::En => &self.tenant.name_en,
        }
    }
    pub fn is_resident(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.kind == "resident")
    }
    pub fn is_staff(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.kind == "staff")
    }
    pub fn user_name(&self) -> &str {
        self.user.as_ref().map(|u| u.name.as_str()).unwrap_or("")
    }
    /// The `next` query parameter of this page (a local path), for the login form to return to.
    pub fn next_param(&self) -> String {
        let query = self.path.split_once('?').map(|(_, q)| q).unwrap_or("");
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "next")
            .map(|(_, v)| v.into_owned())
            .filter(|v| v.starts_with('/') && !v.starts_with("//"))
            .unwrap_or_default()
    }
    /// Path and query of this page, for the preference forms to come back to.
    pub fn return_to(&self) -> &str {
        &self.path
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        let tenant = state.tenant_for_host(host).await?;
        let mut user = None;
        let mut session_secret = None;
        let mut session_expired = false;
        let mut card = false;
        if let Some(c) = jar.get(SESSION_COOKIE) {
            let idle_ms = state.cfg.session.idle_minutes * 60_000;
            match store::load_session(&state.db, c.value(), idle_ms).await? {
                // A session is valid only on its own municipality's host.
                Some((s, u)) if s.municipality_id == tenant.id => {
                    card = s.identity_level == "card";
                    user = Some(u);
                    session_secret = Some(c.value().to_owned());
                }
                Some(_) => {}
                None => session_expired = true,
            }
        }
        let pref_lang = jar.get(LANG_COOKIE).and_then(|c| Lang::parse(c.value()));
        let l = pref_lang
            .or_else(|| user.as_ref().and_then(|u| Lang::parse(&u.lang)))
            .unwrap_or_default();
        let large_text = match jar.get(LARGE_COOKIE) {
            Some(c) => c.value() == "1",
            None => user.as_ref().is_some_and(|u| u.large_text),
        };
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        // The client address as seen by this server (no proxy header is trusted).
        let ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        Ok(Ctx {
            l,
            large_text,
            tenant,
            user,
            session_secret,
            session_expired,
            csrf,
            path,
            ip,
            sandbox: state.sandbox,
            card,
            card_login: state.identity.card.is_some(),
            staff_sso: state.identity.staff.is_some(),
        })
    }
}
