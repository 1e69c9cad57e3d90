//! HTTP: the receipt and the notices of an application, for its applicant, the handling
//! department's staff and administrators (the rule of `GET /api/v1/applications/{receipt}`);
//! everyone else gets 404.
//!
//! * `GET /api/v1/applications/{receipt}/receipt.pdf` — generated on demand
//! * `GET /api/v1/applications/{receipt}/notice.pdf` (newest notice) and `…/notice.pdf.p7s`
//! * `GET /api/v1/applications/{receipt}/notices/{decision}/notice.pdf` and `….p7s`

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::content::NoticeKind;
use super::{notice, store};
use crate::db::{Db, now_ms};
use crate::procedures::application::api::{Caller, SCOPE_READ};
use crate::procedures::application::store::{self as app_store, ApplicationRow};
use crate::procedures::application::workflow;
use crate::procedures::receipt::ReceiptNumber;
use crate::web::AppState;
use crate::web::error::json_error;
use crate::web::i18n::Lang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/applications/{receipt}/receipt.pdf",
            get(receipt_pdf),
        )
        .route("/api/v1/applications/{receipt}/notice.pdf", get(latest_pdf))
        .route(
            "/api/v1/applications/{receipt}/notice.pdf.p7s",
            get(latest_p7s),
        )
        .route(
            "/api/v1/applications/{receipt}/notices/{decision}/notice.pdf",
            get(decision_pdf),
        )
        .route(
            "/api/v1/applications/{receipt}/notices/{decision}/notice.pdf.p7s",
            get(decision_p7s),
        )
}

/// This module's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(receipt_pdf, latest_pdf, latest_p7s, decision_pdf, decision_p7s))]
pub struct ApiDoc;

fn not_found() -> Response {
    json_error(
        StatusCode::NOT_FOUND,
        "not_found",
        "書類が見つかりません。 Document not found.",
    )
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "document");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "システムで問題が起きました。 Something went wrong.",
    )
}

/// The application, if the caller may see it.
async fn visible(
    st: &AppState,
    caller: &Caller,
    receipt: &str,
) -> Result<ApplicationRow, Response> {
    if !caller.may(SCOPE_READ) {
        return Err(json_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "このアクセストークンには、この操作の権限（スコープ）がありません。 The token lacks the scope applications:read.",
        ));
    }
    let Ok(number) = ReceiptNumber::parse(receipt) else {
        return Err(not_found());
    };
    match app_store::by_receipt(&st.db, &caller.tenant.id, &number.compact()).await {
        Ok(Some(a)) if workflow::can_view(&caller.user, &a) => Ok(a),
        Ok(_) => Err(not_found()),
        Err(e) => Err(internal(e)),
    }
}

fn file(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut r = (StatusCode::OK, bytes).into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

fn base_url(st: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    st.base_url_for(host)
}

/// The receipt (受付票) of an application, generated from the stored application.
#[utoipa::path(get, path = "/api/v1/applications/{receipt}/receipt.pdf",
    params(("receipt" = String, Path, description = "受付番号")),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf", description = "The receipt"),
        (status = 401, description = "No or bad bearer token, or not signed in"),
        (status = 404, description = "No such application, or not yours")))]
pub async fn receipt_pdf(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(receipt): Path<String>,
) -> Response {
    let app = match visible(&st, &caller, &receipt).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match notice::receipt_pdf(
        &st.db,
        st.documents.clone(),
        &app,
        &base_url(&st, &headers),
        now_ms(),
    )
    .await
    {
        Ok(pdf) => file(
            pdf,
            "application/pdf",
            &format!("receipt-{}.pdf", app.receipt),
        ),
        Err(e) => internal(format!("{e:#}")),
    }
}

async fn stored(
    db: &Db,
    app: &ApplicationRow,
    decision: Option<&str>,
) -> Result<store::DocumentRow, Response> {
    if let Some(d) = decision
        && NoticeKind::parse(d).is_none()
    {
        return Err(not_found());
    }
    match store::notice(db, &app.municipality_id, app.id, decision).await {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err(not_found()),
        Err(e) => Err(internal(e)),
    }
}

async fn serve(
    st: AppState,
    caller: Caller,
    receipt: String,
    decision: Option<String>,
    signature: bool,
) -> Response {
    let app = match visible(&st, &caller, &receipt).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let d = match stored(&st.db, &app, decision.as_deref()).await {
        Ok(d) => d,
        Err(r) => return r,
    };
    let name = format!("notice-{}-{}.pdf", app.receipt, d.decision);
    if signature {
        match d.signature {
            Some(sig) => file(sig, "application/pkcs7-signature", &format!("{name}.p7s")),
            None => not_found(),
        }
    } else {
        file(d.pdf, "application/pdf", &name)
    }
}

/// The newest notice (通知書) of an application, exactly as issued at the decision.
#[utoipa::path(get, path = "/api/v1/applications/{receipt}/notice.pdf",
    params(("receipt" = String, Path, description = "受付番号")),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf", description = "The notice"),
        (status = 401, description = "No or bad bearer token, or not signed in"),
        (status = 404, description = "No notice yet, no such application, or not yours")))]
pub async fn latest_pdf(
    State(st): State<AppState>,
    caller: Caller,
    Path(receipt): Path<String>,
) -> Response {
    serve(st, caller, receipt, None, false).await
}

/// The detached CMS signature (DER, RFC 5652) of the newest notice.
#[utoipa::path(get, path = "/api/v1/applications/{receipt}/notice.pdf.p7s",
    params(("receipt" = String, Path, description = "受付番号")),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pkcs7-signature", description = "The signature"),
        (status = 401, description = "No or bad bearer token, or not signed in"),
        (status = 404, description = "Not signed, no notice, or not yours")))]
pub async fn latest_p7s(
    State(st): State<AppState>,
    caller: Caller,
    Path(receipt): Path<String>,
) -> Response {
    serve(st, caller, receipt, None, true).await
}

/// The notice of one decision: `approved`, `rejected`, `dismissed` or `completed`.
#[utoipa::path(get, path = "/api/v1/applications/{receipt}/notices/{decision}/notice.pdf",
    params(("receipt" = String, Path, description = "受付番号"),
        ("decision" = String, Path, description = "approved, rejected, dismissed or completed")),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf", description = "The notice"),
        (status = 401, description = "No or bad bearer token, or not signed in"),
        (status = 404, description = "No such notice, or not yours")))]
pub async fn decision_pdf(
    State(st): State<AppState>,
    caller: Caller,
    Path((receipt, decision)): Path<(String, String)>,
) -> Response {
    serve(st, caller, receipt, Some(decision), false).await
}

/// The signature of one decision's notice.
#[utoipa::path(get, path = "/api/v1/applications/{receipt}/notices/{decision}/notice.pdf.p7s",
    params(("receipt" = String, Path, description = "受付番号"),
        ("decision" = String, Path, description = "approved, rejected, dismissed or completed")),
    security(("bearer" = [])),
    responses((status = 200, content_type = "application/pkcs7-signature", description = "The signature"),
        (status = 401, description = "No or bad bearer token, or not signed in"),
        (status = 404, description = "Not signed, no such notice, or not yours")))]
pub async fn decision_p7s(
    State(st): State<AppState>,
    caller: Caller,
    Path((receipt, decision)): Path<(String, String)>,
) -> Response {
    serve(st, caller, receipt, Some(decision), true).await
}

/// A link on the resident's application page and the staff case page.
pub struct Link {
    pub href: String,
    pub label: String,
    pub signature: Option<String>,
}

/// The links of one application.
pub struct Links {
    pub items: Vec<Link>,
    pub any_signed: bool,
}

/// The receipt and the notices of an application, as links.
pub async fn links(db: &Db, app: &ApplicationRow, l: Lang) -> Result<Links, sqlx::Error> {
    let base = format!("/api/v1/applications/{}", app.receipt);
    let mut out = vec![Link {
        href: format!("{base}/receipt.pdf"),
        label: l.t("doc.receipt").to_owned(),
        signature: None,
    }];
    for n in store::notices_of(db, &app.municipality_id, app.id).await? {
        let word = NoticeKind::parse(&n.decision)
            .map(|k| match l {
                Lang::Ja => k.title().to_owned(),
                Lang::En => crate::procedures::application::pages::state_label(&n.decision, l),
            })
            .unwrap_or_else(|| n.decision.clone());
        let href = format!("{base}/notices/{}/notice.pdf", n.decision);
        out.push(Link {
            label: format!("{} {word}", l.t("doc.notice")),
            signature: n.signed.then(|| format!("{href}.p7s")),
            href,
        });
    }
    Ok(Links {
        any_signed: out.iter().any(|d| d.signature.is_some()),
        items: out,
    })
}
