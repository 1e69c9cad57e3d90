//! The web shell: state, router assembly, middleware (security headers, CSRF, request ids,
//! limits, error pages, metrics) and static assets. Each area contributes `fn routes()`.

pub mod ctx;
pub mod error;
pub mod forms;
pub mod i18n;
pub mod pages;
pub mod passkeys;
pub mod staff;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use tokio::sync::Notify;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::store::{self, MunicipalityRow};
use crate::config::Config;
use crate::db::Db;
use crate::metrics::Metrics;
use ctx::{CSRF_COOKIE, CsrfToken, LANG_COOKIE};
use error::{AppError, Rendered};
use i18n::Lang;

/// What every handler shares. One `Arc`: handlers and middleware clone the state for every
/// request (axum's `State`), and cloning the fields one by one (the database handle's pools and
/// group committer, the configuration, …) was a tenth of the CPU time of a cached vector tile.
/// Fields are reached through `Deref` (`st.db`, `st.cfg`).
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

pub struct AppStateInner {
    pub db: Db,
    pub cfg: Arc<Config>,
    pub municipalities: Arc<std::sync::RwLock<Vec<MunicipalityRow>>>,
    pub mail_notify: Arc<Notify>,
    pub metrics: Arc<Metrics>,
    /// Demo mode: sandbox pages (mailbox) are mounted and labelled.
    pub sandbox: bool,
    /// Card sign-in and staff single sign-on (relying parties, sandbox provider).
    pub identity: Arc<crate::identity::Identity>,
    /// Font, seals and signing key of the PDF documents (loaded at start-up).
    pub documents: Arc<crate::documents::Documents>,
}

impl AppState {
    pub async fn new(db: Db, cfg: Config, sandbox: bool) -> anyhow::Result<AppState> {
        let list = store::list_municipalities(&db).await?;
        let identity = crate::identity::Identity::new(&cfg, sandbox)?;
        let documents = Arc::new(crate::documents::Documents::load(&cfg.documents)?);
        let metrics = Metrics::new();
        metrics.register_group_commit(db.group_stats());
        Ok(AppState(Arc::new(AppStateInner {
            identity,
            documents,
            db,
            cfg: Arc::new(cfg),
            municipalities: Arc::new(std::sync::RwLock::new(list)),
            mail_notify: Arc::new(Notify::new()),
            metrics: Arc::new(metrics),
            sandbox,
        })))
    }

    /// Picks the municipality for a request host: configured host names first, then the
    /// default municipality, then the first one in the database.
    pub async fn tenant_for_host(&self, host: &str) -> Result<MunicipalityRow, AppError> {
        let name = host_name(host);
        let code = self
            .cfg
            .hosts
            .get(name)
            .or(self.cfg.default_municipality.as_ref());
        for attempt in 0..2 {
            {
                // A plain lock, held for a lookup only: every request of every page takes it.
                let list = self
                    .municipalities
                    .read()
                    .unwrap_or_else(|e| e.into_inner());
                let found = match code {
                    Some(c) => list.iter().find(|m| &m.id == c),
                    None => list.first(),
                };
                if let Some(m) = found {
                    return Ok(m.clone());
                }
            }
            if attempt == 0 {
                // Created after start-up (e.g. by the admin CLI): reload once.
                let fresh = store::list_municipalities(&self.db).await?;
                *self
                    .municipalities
                    .write()
                    .unwrap_or_else(|e| e.into_inner()) = fresh;
            }
        }
        Err(AppError::Internal(anyhow::anyhow!(
            "no municipality configured for host {name:?}"
        )))
    }

    /// Public base URL for links in mail: the request's host when it is one we serve.
    pub fn base_url_for(&self, host: &str) -> String {
        let name = host_name(host);
        let known = self.cfg.hosts.contains_key(name) || name == "127.0.0.1" || name == "localhost";
        if known && !host.is_empty() {
            let scheme = if self.cfg.https { "https" } else { "http" };
            format!("{scheme}://{host}")
        } else {
            self.cfg.base_url.trim_end_matches('/').to_owned()
        }
    }
}

/// Host header without the port (IPv6 literals keep their brackets).
pub fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split(']')
            .next()
            .map(|h| &host[..h.len() + 1])
            .unwrap_or(host);
    }
    host.split(':').next().unwrap_or(host)
}

pub fn router(state: AppState) -> Router {
    let cfg = state.cfg.clone();
    let mut csrf = tower_http::csrf::CsrfLayer::new();
    for origin in &cfg.trusted_origins {
        match csrf.clone().add_trusted_origin(origin) {
            Ok(c) => csrf = c,
            Err(e) => tracing::error!(origin, error = ?e, "ignoring invalid trusted origin"),
        }
    }
    let mut pages = Router::new()
        .merge(pages::routes())
        .merge(staff::routes())
        .merge(passkeys::routes())
        .merge(crate::api::routes())
        .merge(crate::procedures::routes::routes())
        .merge(crate::procedures::api::routes())
        .merge(crate::procedures::application::routes())
        .merge(crate::procedures::runner::routes())
        .merge(crate::procedures::editor::routes())
        .merge(crate::postal::routes())
        .merge(crate::navi::routes())
        .merge(crate::payments::routes())
        .merge(crate::debit::routes())
        .merge(crate::facilities::routes())
        .merge(crate::roads::routes())
        .merge(crate::identity::routes::routes())
        .merge(crate::identity::relink::routes())
        .merge(crate::documents::routes())
        .route("/readyz", get(readyz));
    if state.sandbox {
        pages = pages.merge(pages::sandbox_routes());
        pages = pages.merge(crate::payments::sandbox::routes(&cfg));
        pages = pages.merge(crate::identity::sandbox::routes());
        pages = pages.merge(crate::debit::sandbox::routes());
    }
    // Everything that can write, or that reads a session or a form: its own task, the CSRF
    // checks and the body limits.
    let pages = pages
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn(run_to_completion))
        .layer(middleware::from_fn_with_state(state.clone(), csrf_cookie))
        .layer(csrf)
        // The extractors may read up to the upload limit; `body_limit` holds every request
        // that is not an application page's file upload to `max_body_bytes`.
        .layer(DefaultBodyLimit::max(cfg.max_upload_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(cfg.request_timeout_secs),
        ));
    // Assets: GET-only routes that read no session, take no body and write nothing (static
    // files, vector tiles, the liveness probe). They skip the layers above: those were most of
    // the time of a cached tile (a task per request, a CSRF token made for every cookie-less
    // request, the body wrappers, a timer). Security headers, error pages, compression, metrics
    // and request ids below apply to both.
    let assets = Router::new()
        .merge(crate::roads::asset_routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/static/{*path}", get(static_file))
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent("/static/favicon.svg") }),
        );
    let headers = SecurityHeaders::new(cfg.https);
    let x_request_id = HeaderName::from_static("x-request-id");
    // gzip for HTML, CSS and JS (the stylesheet shrinks to a third on a slow phone link);
    // woff2 fonts are compressed already.
    let compress = tower_http::compression::CompressionLayer::new().compress_when(
        tower_http::compression::predicate::Predicate::and(
            tower_http::compression::DefaultPredicate::new(),
            tower_http::compression::predicate::NotForContentType::const_new("font/"),
        ),
    );
    pages
        .merge(assets)
        .layer(CatchPanicLayer::custom(|_| {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }))
        // Outside every layer that can refuse a request, so all refusals get a proper page.
        .layer(middleware::from_fn_with_state(state.clone(), render_errors))
        .layer(tower::util::MapResponseLayer::new(move |r| headers.apply(r)))
        .layer(compress)
        .layer(middleware::from_fn_with_state(state.clone(), metrics))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(x_request_id, RequestIds::new()))
        .with_state(state)
}

/// The headers every response carries unless its handler set its own (one layer instead of a
/// layer per header).
#[derive(Clone)]
struct SecurityHeaders {
    list: Arc<Vec<(HeaderName, HeaderValue)>>,
}

impl SecurityHeaders {
    fn new(https: bool) -> SecurityHeaders {
        let csp = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";
        let mut list = vec![
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
            ),
            // Pages carry personal data: no cache keeps them unless the handler says so
            // (static files, tiles, the postal-code API).
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ];
        if https {
            list.push((
                header::STRICT_TRANSPORT_SECURITY,
                HeaderValue::from_static("max-age=31536000; includeSubDomains"),
            ));
        }
        SecurityHeaders {
            list: Arc::new(list),
        }
    }

    fn apply(&self, mut r: Response) -> Response {
        let h = r.headers_mut();
        for (name, value) in self.list.iter() {
            if !h.contains_key(name) {
                h.insert(name.clone(), value.clone());
            }
        }
        r
    }
}

/// Request ids (`x-request-id`, in the logs and on every response) without a system call per
/// request: a random prefix drawn once per process and a counter. Unique, not secret (a UUID v4
/// drew from the kernel's random source for every request, a measurable share of a tile's time).
#[derive(Clone)]
struct RequestIds {
    prefix: u32,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl RequestIds {
    fn new() -> RequestIds {
        RequestIds {
            prefix: rand::random(),
            next: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }
}

impl tower_http::request_id::MakeRequestId for RequestIds {
    fn make_request_id<B>(
        &mut self,
        _: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{:08x}-{n:010x}", self.prefix))
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => "ok".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            error::mark_rendered(
                (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
            )
        }
    }
}

/// Runs the handler on a task of its own, so a client that hangs up (or a proxy's timeout)
/// does not cancel it half way: a submission that has started to write finishes and commits,
/// and no database transaction is abandoned mid-statement. (sqlx's SQLite transactions are not
/// cancel-safe: a future dropped inside `BEGIN` leaves the one writer connection believing it is
/// in a transaction, and every later write failed with "begin_with at non-zero transaction
/// depth" — seen in bench/run.sh when wrk closed its connections at the end of a run.)
async fn run_to_completion(req: Request, next: Next) -> Response {
    match tokio::spawn(next.run(req)).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "request handler panicked");
            AppError::Internal(anyhow::anyhow!("handler task: {e}")).into_response()
        }
    }
}

/// Counts the request for Prometheus.
async fn metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let start = std::time::Instant::now();
    let resp = next.run(req).await;
    state
        .metrics
        .observe(&method, resp.status(), start.elapsed());
    resp
}

/// Gives every visitor a CSRF cookie (double-submit token for forms) and checks it on every
/// form POST, and on every JSON POST outside /api/ (the token then comes in the
/// `x-csrf-token` header; the bearer-token API carries no cookies). This complements the
/// Sec-Fetch-Site/Origin check of `CsrfLayer`, and covers login CSRF, which SameSite cookies
/// alone do not.
async fn csrf_cookie(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let jar = CookieJar::from_headers(req.headers());
    let existing = jar
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() >= 32);
    let token = existing
        .clone()
        .unwrap_or_else(crate::auth::token::random_secret);
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(CsrfToken(token.clone()));
    let is_form_post = parts.method == Method::POST
        && !crate::identity::sandbox::is_back_channel(parts.uri.path())
        && parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.starts_with("application/x-www-form-urlencoded")
                    || ct.starts_with("multipart/form-data")
            });
    let is_json_post = parts.method == Method::POST
        && !parts.uri.path().starts_with("/api/")
        // LINE's webhook carries no cookie; its x-line-signature is checked instead.
        && parts.uri.path() != crate::navi::line::PATH
        && parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            });
    if is_json_post {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        let ok = match (&existing, sent) {
            (Some(cookie), Some(h)) => crate::auth::token::same(cookie, h),
            _ => false,
        };
        if !ok {
            tracing::warn!(path = %parts.uri.path(), "JSON CSRF header missing or wrong");
            let mut r = StatusCode::FORBIDDEN.into_response();
            r.extensions_mut().insert(CsrfFailure);
            return r;
        }
    }
    let req = if is_form_post {
        // Read the form once to compare its `csrf` field with the cookie, then hand the same
        // bytes on. The body limit layer outside has already bounded the size.
        let limit = body_limit_for(&state.cfg, &parts.method, parts.uri.path(), &parts.headers);
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(b) => b,
            Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        };
        let field =
            form_field(&bytes, "csrf").or_else(|| multipart_field(&parts.headers, &bytes, "csrf"));
        let ok = match (&existing, field) {
            (Some(cookie), Some(f)) => crate::auth::token::same(cookie, &f),
            _ => false,
        };
        if !ok {
            tracing::warn!(path = %parts.uri.path(), "form CSRF token missing or wrong");
            let mut r = StatusCode::FORBIDDEN.into_response();
            r.extensions_mut().insert(CsrfFailure);
            return r;
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        Request::from_parts(parts, body)
    };
    let mut resp = next.run(req).await;
    // A response that shared caches may keep (e.g. the postal-code API) must not carry a
    // cookie: a cache would hand the same CSRF token to everyone.
    let shared_cacheable = resp
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public"));
    if existing.is_none() && !shared_cacheable {
        let cookie = Cookie::build((CSRF_COOKIE, token))
            .path("/")
            .secure(true)
            .http_only(true)
            .same_site(SameSite::Lax)
            .build();
        if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// The body limit of a request: `max_upload_bytes` for a multipart POST to an online
/// application page (`/procedures/{slug}/apply/{page}`, where files are uploaded), else
/// `max_body_bytes`.
pub fn body_limit_for(
    cfg: &Config,
    method: &Method,
    path: &str,
    headers: &axum::http::HeaderMap,
) -> usize {
    let multipart = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let apply_page = path
        .strip_prefix("/procedures/")
        .and_then(|rest| rest.split_once("/apply/"))
        .is_some_and(|(slug, page)| !slug.contains('/') && !page.is_empty() && !page.contains('/'));
    if method == Method::POST && multipart && apply_page {
        cfg.max_upload_bytes
    } else {
        cfg.max_body_bytes
    }
}

/// Refuses a body over its limit: at once when Content-Length says so (before any of it is
/// read), else when the stream passes the limit.
async fn body_limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = body_limit_for(&state.cfg, req.method(), req.uri().path(), req.headers());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    }
    let (parts, body) = req.into_parts();
    let body = Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, body)).await
}

/// Header carrying the CSRF token on JSON requests (the passkey script sends it).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Marks a 403 caused by a missing or wrong form token, so the page can say what to do.
#[derive(Clone, Copy)]
struct CsrfFailure;

fn form_field(bytes: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(bytes)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// A small text part of a multipart/form-data body (the CSRF token of an upload form).
/// Only the part's value is read; everything else is left to the handler's extractor.
fn multipart_field(headers: &axum::http::HeaderMap, bytes: &[u8], name: &str) -> Option<String> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    if !ct.starts_with("multipart/form-data") {
        return None;
    }
    let boundary = ct
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .next()?
        .trim_matches('"');
    let delim = format!("--{boundary}");
    let want = format!("name=\"{name}\"");
    let text = String::from_utf8_lossy(bytes);
    text.split(delim.as_str()).find_map(|part| {
        let (head, value) = part.split_once("\r\n\r\n")?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let is_it = disposition.split(';').any(|p| p.trim() == want);
        is_it.then(|| value.trim_end_matches("\r\n").to_owned())
    })
}

/// Turns bare error statuses into pages in the visitor's language (or JSON under /api).
async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // JSON requests (the passkey script's) get JSON errors too, so the script can show them.
    let is_api = req.uri().path().starts_with("/api/")
        || req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
    let jar = CookieJar::from_headers(req.headers());
    let lang = jar
        .get(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .unwrap_or_default();
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let mut csrf = jar
        .get(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let path = req.uri().path().to_owned();
    let resp = next.run(req).await;
    let status = resp.status();
    // Handlers that answer an error with their own page (a form with field errors) set a
    // content type; bare statuses from extractors and layers do not, or send plain text.
    let finished = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html") || ct.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error())
        || finished
        || resp.extensions().get::<Rendered>().is_some()
    {
        return resp;
    }
    if csrf.is_empty() {
        // A first-time visitor: the token was just issued in this response's Set-Cookie.
        for v in resp.headers().get_all(header::SET_COOKIE) {
            if let Some(rest) = v.to_str().ok().and_then(|s| s.strip_prefix("__Host-csrf=")) {
                csrf = rest.split(';').next().unwrap_or("").to_owned();
            }
        }
    }
    let (code, key) = error::describe(status);
    let csrf_failed = resp.extensions().get::<CsrfFailure>().is_some()
        || resp
            .extensions()
            .get::<tower_http::csrf::ProtectionError>()
            .is_some();
    let key = if status == StatusCode::FORBIDDEN && csrf_failed {
        "err.csrf"
    } else {
        key
    };
    if is_api {
        return error::json_error(status, code, lang.t(key));
    }
    let tenant = match state.tenant_for_host(&host).await {
        Ok(t) => t,
        Err(_) => return error::mark_rendered((status, lang.t(key)).into_response()),
    };
    let page = pages::ErrorPage {
        c: ctx::Ctx {
            l: lang,
            large_text: jar.get(ctx::LARGE_COOKIE).is_some_and(|c| c.value() == "1"),
            tenant,
            user: None,
            session_secret: None,
            session_expired: false,
            csrf,
            path,
            ip: String::new(),
            sandbox: state.sandbox,
            card: false,
            card_login: false,
            staff_sso: false,
        },
        status: status.as_u16(),
        message: lang.t(key),
    };
    let mut out = match askama::Template::render(&page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, lang.t(key)).into_response(),
    };
    // Keep cookies the handler set (e.g. a cleared session) on the error page.
    for v in resp.headers().get_all(header::SET_COOKIE) {
        out.headers_mut().append(header::SET_COOKIE, v.clone());
    }
    if status == StatusCode::TOO_MANY_REQUESTS
        && let Some(v) = resp.headers().get(header::RETRY_AFTER)
    {
        out.headers_mut().insert(header::RETRY_AFTER, v.clone());
    }
    error::mark_rendered(out)
}

#[derive(rust_embed::RustEmbed)]
#[folder = "static/"]
struct Assets;

async fn static_file(axum::extract::Path(path): axum::extract::Path<String>) -> Response {
    match Assets::get(&path) {
        Some(file) => {
            let mime = mime_for(&path);
            // Embedded in the binary (release builds): handed out without a copy.
            let bytes = match file.data {
                std::borrow::Cow::Borrowed(b) => axum::body::Bytes::from_static(b),
                std::borrow::Cow::Owned(v) => axum::body::Bytes::from(v),
            };
            let mut r = Response::new(Body::from(bytes));
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            );
            r
        }
        None => AppError::NotFound.into_response(),
    }
}

fn mime_for(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "png" => "image/png",
        "txt" | "md" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_name_strips_port() {
        assert_eq!(host_name("shisui.localhost:8080"), "shisui.localhost");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
        assert_eq!(host_name("[::1]:8080"), "[::1]");
    }

    #[test]
    fn request_ids_are_unique_within_and_across_processes() {
        use tower_http::request_id::MakeRequestId;
        let req = Request::builder()
            .uri("/")
            .body(axum::body::Body::empty())
            .expect("request");
        let mut a = RequestIds::new();
        let mut a2 = a.clone(); // the layer clones its maker per connection
        let ids: std::collections::HashSet<String> = (0..1000)
            .flat_map(|_| [a.make_request_id(&req), a2.make_request_id(&req)])
            .map(|id| {
                id.expect("id")
                    .header_value()
                    .to_str()
                    .expect("ascii")
                    .to_owned()
            })
            .collect();
        assert_eq!(ids.len(), 2000);
        let mut b = RequestIds::new();
        let other = b.make_request_id(&req).expect("id");
        assert_ne!(a.prefix, b.prefix, "another process draws another prefix");
        assert!(!ids.contains(other.header_value().to_str().expect("ascii")));
    }

    #[test]
    fn security_headers_keep_what_the_handler_set() {
        let h = SecurityHeaders::new(false);
        let mut own = Response::new(Body::empty());
        own.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
        let r = h.apply(own);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "public, max-age=60");
        assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(r.headers().get(header::STRICT_TRANSPORT_SECURITY).is_none());
        let r = SecurityHeaders::new(true).apply(Response::new(Body::empty()));
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        assert!(r.headers().get(header::STRICT_TRANSPORT_SECURITY).is_some());
    }
}
