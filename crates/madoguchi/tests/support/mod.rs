//! An in-process client for the router: requests go through every middleware (CSRF, error
//! pages, headers) without a socket, with a tiny cookie jar and a chosen Host header.
#![allow(dead_code)]

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use madoguchi::config::Config;
use madoguchi::db::Db;
use madoguchi::web::{self, AppState};
use tower::ServiceExt;

pub const ICHIKAWA_HOST: &str = "127.0.0.1";
pub const SHISUI_HOST: &str = "shisui.localhost";

pub struct TestApp {
    pub db: Db,
    pub state: AppState,
    router: Router,
}

pub struct Client<'a> {
    app: &'a TestApp,
    pub host: &'static str,
    pub cookies: BTreeMap<String, String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestApp {
    /// Demo configuration and demo data (two municipalities, staff, residents).
    pub async fn demo(db: Db) -> TestApp {
        Self::with_config(db, Config::default()).await
    }

    pub async fn with_config(db: Db, cfg: Config) -> TestApp {
        madoguchi::demo::load(&db).await.expect("demo data");
        let cfg = madoguchi::demo::demo_config(cfg);
        let state = AppState::new(db.clone(), cfg, true).await.expect("state");
        let router = web::router(state.clone());
        TestApp { db, state, router }
    }

    pub fn client(&self, host: &'static str) -> Client<'_> {
        Client {
            app: self,
            host,
            cookies: BTreeMap::new(),
        }
    }
}

impl Client<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&mut self, req: Request<Body>) -> Resp {
        let resp = self
            .app
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("infallible");
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let s = v.to_str().expect("ascii cookie");
            let first = s.split(';').next().unwrap_or("");
            if let Some((k, val)) = first.split_once('=') {
                let removed = s.to_ascii_lowercase().contains("max-age=0") || val.is_empty();
                if removed {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), val.to_owned());
                }
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let req = Request::get(path)
            .header(header::HOST, self.host)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .expect("request");
        self.send(req).await
    }

    pub async fn get_with(&mut self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut b = Request::get(path)
            .header(header::HOST, self.host)
            .header(header::COOKIE, self.cookie_header());
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::empty()).expect("request")).await
    }

    pub fn csrf(&self) -> String {
        self.cookies.get("__Host-csrf").cloned().unwrap_or_default()
    }

    /// Posts a form with the CSRF field filled from the cookie (fetching a page first if needed).
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Resp {
        if !self.cookies.contains_key("__Host-csrf") {
            self.get("/").await;
        }
        let csrf = self.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post_raw(path, &all, &[]).await
    }

    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter())
            .finish();
        let mut b = Request::post(path)
            .header(header::HOST, self.host)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Body::from(body)).expect("request")).await
    }

    /// A multipart form POST (as a browser sends a form with a file): the CSRF token, the
    /// text `fields`, then one file part.
    pub async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_field: &str,
        filename: &str,
        ctype: &str,
        data: &[u8],
    ) -> Resp {
        if self.csrf().is_empty() {
            self.get("/").await;
        }
        let boundary = "XbOuNdArYx";
        let mut body = Vec::new();
        let csrf = self.csrf();
        for (k, v) in std::iter::once(("csrf", csrf.as_str())).chain(fields.iter().copied()) {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"{filename}\"\r\nContent-Type: {ctype}\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(data);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::post(path)
            .header(header::HOST, self.host)
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// Posts JSON with the CSRF token in the `x-csrf-token` header, as static/js/passkey.js
    /// does (fetching a page first if there is no token yet).
    pub async fn post_json(&mut self, path: &str, body: &serde_json::Value) -> Resp {
        if !self.cookies.contains_key("__Host-csrf") {
            self.get("/").await;
        }
        let csrf = self.csrf();
        self.post_json_with(path, body, &[("x-csrf-token", &csrf)])
            .await
    }

    /// Posts JSON with exactly the given extra headers (no CSRF header unless given).
    pub async fn post_json_with(
        &mut self,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Resp {
        let req = self.json_request(path, body, headers);
        self.send(req).await
    }

    /// Sends a request like a client that hangs up after `after`: the response future is
    /// dropped (cookies are not updated). True when the response came before that.
    pub async fn hang_up(&self, req: Request<Body>, after: std::time::Duration) -> bool {
        tokio::time::timeout(after, self.app.router.clone().oneshot(req))
            .await
            .is_ok()
    }

    /// A JSON POST as [`Client::post_json_with`] builds it, with the session's cookies.
    pub fn json_request(
        &self,
        path: &str,
        body: &serde_json::Value,
        headers: &[(&str, &str)],
    ) -> Request<Body> {
        let mut b = Request::post(path)
            .header(header::HOST, self.host)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Body::from(body.to_string())).expect("request")
    }

    /// A form POST with the CSRF field, as [`Client::post_form`] builds it.
    pub fn form_request(&self, path: &str, fields: &[(&str, &str)]) -> Request<Body> {
        let csrf = self.csrf();
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields.iter().copied())
            .append_pair("csrf", &csrf)
            .finish();
        Request::post(path)
            .header(header::HOST, self.host)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .expect("request")
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Resp {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }
}

/// The newest outbox mail to an address: (subject, body).
pub async fn last_mail(db: &Db, municipality: &str, to: &str) -> Option<(String, String)> {
    madoguchi::mail::recent(db, municipality, 100)
        .await
        .expect("outbox")
        .into_iter()
        .find(|m| m.to_addr == to)
        .map(|m| (m.subject, m.body))
}

/// Extracts the first URL containing `needle` from a mail body.
pub fn link_in(body: &str, needle: &str) -> String {
    body.split_whitespace()
        .find(|w| w.contains(needle))
        .map(str::to_owned)
        .unwrap_or_else(|| panic!("no {needle} link in: {body}"))
}

/// The path and query of an absolute URL.
pub fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/')
        .map(|i| rest[i..].to_owned())
        .unwrap_or_else(|| "/".into())
}

pub async fn audit_actions(db: &Db) -> Vec<String> {
    use sea_query::{Expr, ExprTrait, Order, Query};
    #[derive(sqlx::FromRow)]
    struct A {
        action: String,
    }
    let rows: Vec<A> = db
        .fetch_all(
            &Query::select()
                .column(sea_query::Alias::new("action"))
                .from(sea_query::Alias::new("audit_events"))
                .and_where(Expr::col(sea_query::Alias::new("seq")).gt(0))
                .order_by(sea_query::Alias::new("id"), Order::Asc)
                .to_owned(),
        )
        .await
        .expect("audit rows");
    rows.into_iter().map(|a| a.action).collect()
}

/// Every municipality's audit chain verifies.
pub async fn assert_audit_intact(db: &Db) {
    let report = madoguchi::audit::verify(db).await.expect("verify");
    assert!(report.first_bad.is_none(), "{:?}", report.first_bad);
}
