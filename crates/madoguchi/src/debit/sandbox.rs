//! The bank SANDBOX (サンドボックス): plays a bank's Web口座振替受付 page in the demo and the
//! tests. It checks the signed redirect like a bank would, asks for a (fake) login, shows the
//! account for consent, and sends the resident back with a signed return: 同意 (confirmed),
//! キャンセル (cancelled) or エラー (error). No bank is contacted and no account is checked.
//! Mounted only when the server runs in sandbox mode (`madoguchi demo`, tests).

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::bank::{self, Outcome, SANDBOX_PATH};
use super::model::{self, param};
use crate::procedures::application::pages::{field, form_pairs};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{SANDBOX_PATH}/{{code}}"), get(start))
        .route(&format!("{SANDBOX_PATH}/{{code}}/login"), post(login))
        .route(&format!("{SANDBOX_PATH}/{{code}}/decide"), post(decide))
}

#[derive(Template)]
#[template(path = "debit/sandbox_bank.html")]
struct BankPage {
    csrf: String,
    code: String,
    bank_name: String,
    /// The signed request, carried from page to page.
    req: String,
    /// `login`, `consent` or `refused`.
    step: &'static str,
    error: String,
    branch: String,
    account_type: String,
    account_number: String,
    holder: String,
}

fn render(p: &BankPage) -> Result<Html<String>, AppError> {
    p.render()
        .map(Html)
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))
}

/// Checks the signed request as the bank would: signature, version, bank, expiry.
fn check(st: &AppState, code: &str, req: &str) -> Result<Vec<(String, String)>, &'static str> {
    let params = form_pairs(req.as_bytes());
    let secret = st
        .cfg
        .debit
        .banks
        .get(code)
        .map(|b| b.secret.as_str())
        .unwrap_or("");
    if !model::verify(secret, &params) {
        return Err("署名を確認できませんでした（signature does not verify）。");
    }
    if param(&params, "v") != Some("1") || param(&params, "bank") != Some(code) {
        return Err("依頼の形式が正しくありません（malformed request）。");
    }
    let expires: i64 = param(&params, "expires")
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    if expires * 1000 < crate::db::now_ms() {
        return Err("受付の有効期限が切れています（the request has expired）。");
    }
    Ok(params)
}

async fn page(
    st: &AppState,
    c: &Ctx,
    code: &str,
    req: &str,
    step: &'static str,
    error: &str,
) -> Result<Response, AppError> {
    let bank_name = super::store::bank(&st.db, code)
        .await?
        .map(|b| super::service::bank_display(&b.name))
        .unwrap_or_else(|| code.to_owned());
    let (params, step, error) = match check(st, code, req) {
        Ok(p) => (p, step, error.to_owned()),
        Err(e) => (Vec::new(), "refused", e.to_owned()),
    };
    let g = |k: &str| param(&params, k).unwrap_or("").to_owned();
    let status = if step == "refused" {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let p = BankPage {
        csrf: c.csrf.clone(),
        code: code.to_owned(),
        bank_name,
        req: req.to_owned(),
        step,
        error,
        branch: g("branch"),
        account_type: match g("account_type").as_str() {
            "1" => "普通".into(),
            "2" => "当座".into(),
            o => o.to_owned(),
        },
        account_number: g("account_number"),
        holder: g("holder"),
    };
    Ok((status, render(&p)?).into_response())
}

async fn start(
    State(st): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    page(&st, &c, &code, q.as_deref().unwrap_or(""), "login", "").await
}

async fn login(
    State(st): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = form_pairs(&body);
    let req = field(&f, "req");
    if field(&f, "login_id").trim().is_empty() || field(&f, "password").is_empty() {
        return page(
            &st,
            &c,
            &code,
            req,
            "login",
            "ログインIDとパスワードを入力してください（サンドボックスでは何を入れても通ります）。",
        )
        .await;
    }
    page(&st, &c, &code, req, "consent", "").await
}

async fn decide(
    State(st): State<AppState>,
    c: Ctx,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let f = form_pairs(&body);
    let req = field(&f, "req");
    let params = match check(&st, &code, req) {
        Ok(p) => p,
        Err(_) => return page(&st, &c, &code, req, "refused", "").await,
    };
    let outcome = match field(&f, "choice") {
        "confirm" => Outcome::Confirmed,
        "cancel" => Outcome::Cancelled,
        _ => Outcome::Error,
    };
    let bank_ref = if outcome == Outcome::Confirmed {
        format!(
            "SBX{}",
            &uuid::Uuid::new_v4().simple().to_string()[..10].to_uppercase()
        )
    } else {
        String::new()
    };
    let secret = st
        .cfg
        .debit
        .banks
        .get(&code)
        .map(|b| b.secret.clone())
        .unwrap_or_default();
    let back = bank::signed_return(
        &secret,
        &code,
        param(&params, "mandate").unwrap_or(""),
        param(&params, "nonce").unwrap_or(""),
        outcome,
        &bank_ref,
        crate::db::now_ms() / 1000,
    );
    let q = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(back.iter())
        .finish();
    let url = param(&params, "return_url").unwrap_or(bank::RETURN_PATH);
    Ok(Redirect::to(&format!("{url}?{q}")).into_response())
}
