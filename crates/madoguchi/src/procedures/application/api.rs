//! Applications as JSON (plan 3-1, RPA and other city systems):
//! `POST /api/v1/applications`, `GET /api/v1/applications/{receipt}` and
//! `GET /api/v1/procedures/{id}/applications`.
//!
//! Callers: a bearer token (scopes `applications:write` to submit, `applications:read` to read)
//! or a resident's session with the CSRF token in the `x-csrf-token` header. Whoever may not see
//! an application gets 404, exactly as for a receipt number that does not exist.

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};

use super::store::{self, ApplicationRow, QueueFilter};
use super::{Applicant, Idempotency, NewApplication, SubmitError, forms, workflow};
use crate::api::{ApiCaller, ErrorBody};
use crate::audit::Actor;
use crate::auth::Kind;
use crate::auth::store::{MunicipalityRow, UserRow};
use crate::procedures::case::CaseState;
use crate::procedures::model::IdentityLevel;
use crate::procedures::receipt::ReceiptNumber;
use crate::web::AppState;
use crate::web::ctx::{CSRF_COOKIE, Ctx};
use crate::web::error::json_error;
use crate::web::i18n::Lang;

pub const SCOPE_WRITE: &str = "applications:write";
pub const SCOPE_READ: &str = "applications:read";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/applications", post(create))
        .route("/api/v1/applications/{receipt}", get(get_one))
        .route(
            "/api/v1/procedures/{id}/applications",
            get(list_for_procedure),
        )
}

/// Who calls: a token (with its user) or a session.
pub struct Caller {
    pub user: UserRow,
    pub tenant: MunicipalityRow,
    pub token_id: Option<i64>,
    scopes: Option<String>,
    pub lang: Lang,
}

impl Caller {
    /// Whether the caller may use `scope` (a session acts for its own user and always may).
    pub fn may(&self, scope: &str) -> bool {
        self.has_scope(scope)
    }
    fn has_scope(&self, scope: &str) -> bool {
        match &self.scopes {
            None => true, // a session acts for its own user
            Some(s) => s.split_whitespace().any(|x| x == scope || x == "*"),
        }
    }
    fn actor(&self) -> Actor {
        match self.token_id {
            Some(t) => Actor::ApiToken(t),
            None => Actor::User(self.user.id),
        }
    }
    fn idempotency_scope(&self) -> String {
        match self.token_id {
            Some(t) => format!("token:{t}"),
            None => format!("user:{}", self.user.id),
        }
    }
}

fn err(status: StatusCode, code: &str, ja: &str, en: &str) -> Response {
    json_error(status, code, &format!("{ja} {en}"))
}

fn internal() -> Response {
    err(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "システムで問題が起きました。",
        "Something went wrong.",
    )
}

fn not_found() -> Response {
    err(
        StatusCode::NOT_FOUND,
        "not_found",
        "申請が見つかりません。",
        "Application not found.",
    )
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        if parts.headers.contains_key(header::AUTHORIZATION) {
            let c = ApiCaller::from_request_parts(parts, st)
                .await
                .map_err(IntoResponse::into_response)?;
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            let tenant = st.tenant_for_host(host).await.map_err(|_| internal())?;
            let lang = Lang::parse(&c.user.lang).unwrap_or_default();
            return Ok(Caller {
                user: c.user,
                tenant,
                token_id: Some(c.token.id),
                scopes: Some(c.token.scope),
                lang,
            });
        }
        let ctx = Ctx::from_request_parts(parts, st)
            .await
            .map_err(|_| internal())?;
        let Some(user) = ctx.user.clone() else {
            let mut r = err(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "ログインするか、アクセストークンを送ってください。",
                "Sign in or send a bearer token.",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return Err(r);
        };
        // A session is a cookie: a write needs the CSRF token in the header too.
        if parts.method != axum::http::Method::GET {
            let jar = CookieJar::from_headers(&parts.headers);
            let cookie = jar.get(CSRF_COOKIE).map(|c| c.value().to_owned());
            let sent = parts
                .headers
                .get(crate::web::CSRF_HEADER)
                .and_then(|v| v.to_str().ok());
            let ok = match (cookie, sent) {
                (Some(c), Some(s)) if c.len() >= 32 => crate::auth::token::same(&c, s),
                _ => false,
            };
            if !ok {
                return Err(err(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "画面を読み込み直してから、もう一度送ってください（x-csrf-token がありません）。",
                    "Reload the page and try again (missing x-csrf-token header).",
                ));
            }
        }
        Ok(Caller {
            user,
            tenant: ctx.tenant,
            token_id: None,
            scopes: None,
            lang: ctx.l,
        })
    }
}

/// The token lacks a scope (403).
pub struct MissingScope(&'static str);

impl IntoResponse for MissingScope {
    fn into_response(self) -> Response {
        err(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "このアクセストークンには、この操作の権限（スコープ）がありません。",
            &format!("The token lacks the scope {}.", self.0),
        )
    }
}

fn require(c: &Caller, scope: &'static str) -> Result<(), MissingScope> {
    if c.has_scope(scope) {
        Ok(())
    } else {
        Err(MissingScope(scope))
    }
}

/// The body of `POST /api/v1/applications`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    pub procedure_id: i64,
    /// Answers in canonical JSON, keyed by field id (see `GET /api/v1/procedures/{id}/form.schema.json`).
    #[schema(value_type = Object)]
    pub answers: Value,
    /// Only for staff tokens submitting for someone without an account (e.g. a paper
    /// application keyed in at the counter), and only for procedures that need no sign-in.
    #[serde(default)]
    pub applicant: Option<GuestApplicant>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestApplicant {
    pub name: String,
    pub email: String,
}

#[derive(Serialize, ToSchema)]
pub struct Created {
    /// 受付番号 as shown to people, e.g. `7KQ2-M9XD-M`.
    pub receipt: String,
    pub id: i64,
    pub state: String,
    /// RFC 3339 (UTC).
    pub submitted_at: String,
    pub fee_yen: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldProblem {
    /// Slash-separated answer path, e.g. `children/0/birth_date`.
    pub path: String,
    pub message_ja: String,
    pub message_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct InvalidDetail {
    /// `invalid_answers`.
    pub code: String,
    pub message: String,
    /// The fields to fix; absent on a 422 that is not about answers (`applicant_not_allowed`).
    #[serde(default)]
    pub fields: Vec<FieldProblem>,
}

#[derive(Serialize, ToSchema)]
pub struct InvalidBody {
    pub error: InvalidDetail,
}

fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

fn today_jst() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+9))
        .date()
}

fn display_receipt(compact: &str) -> String {
    ReceiptNumber::parse(compact)
        .map(|r| r.to_string())
        .unwrap_or_else(|_| compact.to_owned())
}

/// Submits an application. Send an `Idempotency-Key` header (any string up to 200 characters)
/// so a retried request returns the first application instead of making a second one; the
/// same key with a different body is refused with 409.
#[utoipa::path(post, path = "/api/v1/applications", request_body = CreateBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = Created, description = "Stored (also for a replayed request: header Idempotent-Replayed: true)"),
        (status = 400, body = ErrorBody, description = "The body is not JSON of this shape, or a bad Idempotency-Key"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown procedure, not online, or no published form"),
        (status = 409, body = ErrorBody, description = "Idempotency-Key reused with another body"),
        (status = 422, body = InvalidBody)))]
pub async fn create(
    State(st): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Json<CreateBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    match create_inner(&st, caller, &headers, body).await {
        Ok(r) | Err(r) => r,
    }
}

async fn create_inner(
    st: &AppState,
    caller: Caller,
    headers: &HeaderMap,
    body: Result<Json<CreateBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Response> {
    require(&caller, SCOPE_WRITE).map_err(IntoResponse::into_response)?;
    let Json(body) = body.map_err(|e| {
        err(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "JSON の形が正しくありません。",
            &format!("The JSON body is not valid: {e}"),
        )
    })?;
    let m = &caller.tenant.id;
    let key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let k = v.to_str().unwrap_or("").trim();
            if k.is_empty() || k.len() > 200 {
                return Err(err(
                    StatusCode::BAD_REQUEST,
                    "bad_idempotency_key",
                    "Idempotency-Key は1〜200文字の英数字で送ってください。",
                    "Idempotency-Key must be 1–200 visible ASCII characters.",
                ));
            }
            Some(k.to_owned())
        }
    };
    let no_procedure = || {
        err(
            StatusCode::NOT_FOUND,
            "not_found",
            "この手続はオンラインで申請できません。",
            "No such procedure can be applied for online.",
        )
    };
    let procedure = crate::procedures::store::find_by_id(&st.db, m, body.procedure_id)
        .await
        .map_err(|_| internal())?
        .filter(|p| p.online)
        .ok_or_else(no_procedure)?;
    let version = crate::procedures::form::store::published(&st.db, m, procedure.id)
        .await
        .map_err(|_| internal())?
        .ok_or_else(no_procedure)?;
    let def = version.shared().map_err(|e| {
        tracing::error!(error = %e, version = version.id, "stored form definition unreadable");
        internal()
    })?;
    // Who applies, and may they for this procedure?
    let user = &caller.user;
    let applicant = match (user.kind(), &body.applicant) {
        (Kind::Resident, None) => Applicant::Resident {
            user_id: user.id,
            name: user.name.clone(),
            email: user.email.clone(),
        },
        (Kind::Resident, Some(_)) => {
            return Err(err(
                StatusCode::UNPROCESSABLE_ENTITY,
                "applicant_not_allowed",
                "住民のアカウントでは、ご本人の申請だけができます（applicant は送らないでください）。",
                "A resident account applies for itself; do not send `applicant`.",
            ));
        }
        (Kind::Staff, Some(g)) => {
            let email = crate::auth::normalize_email(&g.email);
            let name = g.name.trim();
            match email {
                Some(email) if !name.is_empty() && name.chars().count() <= 100 => {
                    Applicant::Guest {
                        name: name.to_owned(),
                        email,
                    }
                }
                _ => {
                    return Err(err(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_applicant",
                        "applicant の氏名（100文字以内）とメールアドレスを正しく入れてください。",
                        "Give the applicant's name (up to 100 characters) and a valid e-mail address.",
                    ));
                }
            }
        }
        (Kind::Staff, None) => {
            return Err(err(
                StatusCode::UNPROCESSABLE_ENTITY,
                "applicant_required",
                "職員のアクセストークンで申請するときは、applicant（氏名とメールアドレス）が必要です。",
                "A staff token must send `applicant` (name and e-mail).",
            ));
        }
    };
    match (procedure.identity(), &applicant) {
        // A bearer token proves no My Number card sign-in (docs/identity.md).
        (level, _) if !level.accepts_online_submission(false) => {
            return Err(err(
                StatusCode::FORBIDDEN,
                "identity_card_required",
                "この手続はマイナンバーカードによる本人確認が必要です。APIからは申請できません。Webの窓口でマイナンバーカードでログインしてから申請してください。",
                "This procedure needs identity proven with the My Number card, which the API cannot do. Please sign in with the card on the web and apply there.",
            ));
        }
        (IdentityLevel::SignedIn, Applicant::Guest { .. }) => {
            return Err(err(
                StatusCode::FORBIDDEN,
                "sign_in_required",
                "この手続は、住民の方ご本人のアカウントでの申請が必要です。",
                "This procedure must be applied for from the resident's own account.",
            ));
        }
        _ => {}
    }
    let answers = forms::validate(&def, &body.answers, today_jst()).map_err(|problems| {
        let body = InvalidBody {
            error: InvalidDetail {
                code: "invalid_answers".into(),
                message: "回答に誤りがあります。fields の各項目を直してください。 Some answers need correcting: see `fields`.".into(),
                fields: problems
                    .into_iter()
                    .map(|p| FieldProblem {
                        path: p.path,
                        message_ja: p.message_ja,
                        message_en: p.message_en,
                    })
                    .collect(),
            },
        };
        (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
    })?;
    let computed = forms::compute(&def, &answers);
    let new = NewApplication {
        procedure_id: procedure.id,
        form_version_id: version.id,
        answers,
        computed,
        applicant,
        idempotency: key.map(|key| Idempotency {
            scope: caller.idempotency_scope(),
            key,
        }),
        draft_id: None,
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let base = st.base_url_for(host);
    let s = match super::submit_checked(
        &st.db,
        &caller.tenant,
        &caller.actor(),
        &base,
        &procedure,
        &def,
        new,
    )
    .await
    {
        Ok(s) => s,
        Err(SubmitError::IdempotencyConflict) => {
            return Err(err(
                StatusCode::CONFLICT,
                "idempotency_conflict",
                &SubmitError::IdempotencyConflict.message_ja(),
                &SubmitError::IdempotencyConflict.message_en(),
            ));
        }
        Err(e @ SubmitError::UnknownAttachment(_)) => {
            let path = match &e {
                SubmitError::UnknownAttachment(p) => p.clone(),
                _ => String::new(),
            };
            let body = InvalidBody {
                error: InvalidDetail {
                    code: "invalid_answers".into(),
                    message: format!("{} {}", e.message_ja(), e.message_en()),
                    fields: vec![FieldProblem {
                        path,
                        message_ja: e.message_ja(),
                        message_en: e.message_en(),
                    }],
                },
            };
            return Err((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
        }
        Err(e @ (SubmitError::UnknownProcedure | SubmitError::UnknownFormVersion)) => {
            return Err(err(
                StatusCode::NOT_FOUND,
                "not_found",
                &e.message_ja(),
                &e.message_en(),
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, "submission failed");
            return Err(internal());
        }
    };
    if s.created {
        st.mail_notify.notify_one();
    }
    // A new application is in state 受付 as stored; a replayed one is read for its state now.
    let (state, submitted_at, fee_yen) = if s.created {
        (
            crate::procedures::case::CaseState::Received
                .as_str()
                .to_owned(),
            s.submitted_at,
            s.fee_yen,
        )
    } else {
        let row = store::by_id(&st.db, m, s.id)
            .await
            .map_err(|_| internal())?
            .ok_or_else(internal)?;
        (row.state, row.submitted_at, row.fee_yen)
    };
    let mut r = (
        StatusCode::CREATED,
        Json(Created {
            receipt: s.receipt.to_string(),
            id: s.id,
            state,
            submitted_at: rfc3339(submitted_at),
            fee_yen,
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/applications/{}", s.receipt)) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    if !s.created {
        r.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(r)
}

/// A timeline entry.
#[derive(Serialize, ToSchema)]
pub struct EntryJson {
    /// `message`, `transition`, `correction_request`, `resubmission`, `decision`; for staff
    /// also `note` and `assignment`.
    pub kind: String,
    /// `applicant`, `staff` or `system`.
    pub author: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub body: String,
    /// For a correction request: the field ids to correct; for a resubmission: those changed.
    pub fields: Option<Vec<String>>,
    /// Internal notes are only ever sent to staff.
    pub internal: bool,
    pub created_at: String,
}

/// An application with its case.
#[derive(Serialize, ToSchema)]
pub struct ApplicationJson {
    pub id: i64,
    pub receipt: String,
    pub procedure_id: i64,
    pub procedure_slug: String,
    pub procedure_name_ja: String,
    pub state: String,
    pub state_label_ja: String,
    pub applicant_name: String,
    pub submitted_at: String,
    pub updated_at: String,
    pub due_at: Option<String>,
    pub decided_at: Option<String>,
    pub fee_yen: Option<i64>,
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    #[schema(value_type = Object)]
    pub computed: Map<String, Value>,
    /// Open 補正依頼: the field ids the applicant may change.
    pub correction_fields: Vec<String>,
    pub form_version_id: i64,
    /// Present on `GET /api/v1/applications/{receipt}` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<EntryJson>>,
}

pub fn to_json(a: &ApplicationRow, timeline: Option<Vec<EntryJson>>) -> ApplicationJson {
    ApplicationJson {
        id: a.id,
        receipt: display_receipt(&a.receipt),
        procedure_id: a.procedure_id,
        procedure_slug: a.procedure_slug.clone(),
        procedure_name_ja: a.procedure_name_ja.clone(),
        state: a.state.clone(),
        state_label_ja: CaseState::parse(&a.state)
            .map(|s| s.label(Lang::Ja).to_owned())
            .unwrap_or_default(),
        applicant_name: a.applicant_name.clone(),
        submitted_at: rfc3339(a.submitted_at),
        updated_at: rfc3339(a.updated_at),
        due_at: a.due_at.map(rfc3339),
        decided_at: a.decided_at.map(rfc3339),
        fee_yen: a.fee_yen,
        answers: workflow::answers_of(a),
        computed: serde_json::from_str(&a.computed).unwrap_or_default(),
        correction_fields: workflow::requested_fields(a),
        form_version_id: a.form_version_id,
        timeline,
    }
}

/// One application by its 受付番号 (forgiving: `7kq2 m9xd m`, full-width, O for 0…). Only its
/// applicant, the staff of the handling department and administrators see it; everyone else
/// gets 404. Internal notes are included for staff only.
#[utoipa::path(get, path = "/api/v1/applications/{receipt}",
    params(("receipt" = String, Path, description = "受付番号")),
    security(("bearer" = [])),
    responses((status = 200, body = ApplicationJson), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_one(
    State(st): State<AppState>,
    caller: Caller,
    Path(receipt): Path<String>,
) -> Response {
    if let Err(r) = require(&caller, SCOPE_READ) {
        return r.into_response();
    }
    let Ok(number) = ReceiptNumber::parse(&receipt) else {
        return not_found();
    };
    let app = match store::by_receipt(&st.db, &caller.tenant.id, &number.compact()).await {
        Ok(Some(a)) if workflow::can_view(&caller.user, &a) => a,
        Ok(_) => return not_found(),
        Err(_) => return internal(),
    };
    let staff = caller.user.kind() == Kind::Staff;
    let entries = match store::entries(&st.db, app.id, staff).await {
        Ok(e) => e,
        Err(_) => return internal(),
    };
    let timeline = entries
        .into_iter()
        .map(|e| EntryJson {
            kind: e.kind,
            author: e.author_role,
            from_state: e.from_state,
            to_state: e.to_state,
            body: e.body,
            fields: e
                .fields
                .and_then(|f| serde_json::from_str::<Vec<String>>(&f).ok()),
            internal: e.internal,
            created_at: rfc3339(e.created_at),
        })
        .collect();
    Json(to_json(&app, Some(timeline))).into_response()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Comma-separated states, e.g. `received,under_review`.
    #[serde(default)]
    pub state: Option<String>,
    /// Submitted on or after this day (JST), `YYYY-MM-DD`.
    #[serde(default)]
    pub from: Option<String>,
    /// Submitted on or before this day (JST), `YYYY-MM-DD`.
    #[serde(default)]
    pub to: Option<String>,
}

/// Start of a JST day in UTC milliseconds.
pub fn jst_day_start(date: &str) -> Option<i64> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(date.trim(), &fmt).ok()?;
    let t = d.midnight().assume_offset(time::macros::offset!(+9));
    Some((t.unix_timestamp_nanos() / 1_000_000) as i64)
}

/// Applications of one procedure, for RPA (plan 3-1): staff tokens of the handling department
/// (or an administrator's) only. Soonest due first, at most 1,000.
#[utoipa::path(get, path = "/api/v1/procedures/{id}/applications",
    params(("id" = i64, Path), ListParams),
    security(("bearer" = [])),
    responses((status = 200, body = [ApplicationJson]), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_for_procedure(
    State(st): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
    Query(q): Query<ListParams>,
) -> Response {
    if let Err(r) = require(&caller, SCOPE_READ) {
        return r.into_response();
    }
    let m = &caller.tenant.id;
    let procedure = match crate::procedures::store::find_by_id(&st.db, m, id).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found(),
        Err(_) => return internal(),
    };
    let user = &caller.user;
    let allowed = user.kind() == Kind::Staff
        && (user.is_admin()
            || (procedure.department_id.is_some()
                && user.department_id == procedure.department_id));
    if !allowed {
        return not_found();
    }
    let mut states = Vec::new();
    for s in q.state.as_deref().unwrap_or("").split(',').map(str::trim) {
        if s.is_empty() {
            continue;
        }
        match CaseState::parse(s) {
            Some(c) => states.push(c.as_str().to_owned()),
            None => {
                return err(
                    StatusCode::BAD_REQUEST,
                    "bad_state",
                    &format!("状態「{s}」はありません。"),
                    &format!("Unknown state {s:?}."),
                );
            }
        }
    }
    let bad_date = || {
        err(
            StatusCode::BAD_REQUEST,
            "bad_date",
            "日付は 2026-04-01 のように入れてください。",
            "Dates are YYYY-MM-DD.",
        )
    };
    let from = match q.from.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => match jst_day_start(s) {
            Some(t) => Some(t),
            None => return bad_date(),
        },
        None => None,
    };
    let to = match q.to.as_deref().filter(|s| !s.trim().is_empty()) {
        Some(s) => match jst_day_start(s) {
            Some(t) => Some(t + 86_400_000),
            None => return bad_date(),
        },
        None => None,
    };
    let f = QueueFilter {
        department_id: None,
        states,
        procedure_id: Some(procedure.id),
        submitted_from: from,
        submitted_before: to,
        limit: 1000,
        ..QueueFilter::default()
    };
    match store::queue(&st.db, m, &f).await {
        Ok(rows) => Json(rows.iter().map(|a| to_json(a, None)).collect::<Vec<_>>()).into_response(),
        Err(_) => internal(),
    }
}
