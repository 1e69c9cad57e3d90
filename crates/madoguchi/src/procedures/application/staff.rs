//! Staff pages: the case queue `/staff/cases` (the staff member's department; administrators:
//! all), the case page `/staff/cases/{receipt}` with answers, timeline, 内部メモ, messages,
//! assignment and the actions `case::apply` allows for the staff member's role, and the CSV
//! export `/staff/procedures/{slug}/applications.csv` (plan 3-1: staff live in Excel).
//! A staff member of another department gets 404, like a receipt number that does not exist.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::pages::{
    EntryView, base_url, entry_views, field, form_pairs, shown_receipt, state_label,
};
use super::rules::{self, CsvEncoding};
use super::store::{self, ApplicationRow, QueueFilter};
use super::{forms, workflow};
use crate::auth::Kind;
use crate::auth::store::UserRow;
use crate::db::now_ms;
use crate::procedures::case::{Action, ActionKind, CaseState};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;
use crate::web::staff::require_staff;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/cases", get(queue))
        .route("/staff/cases/{receipt}", get(case_page))
        .route("/staff/cases/{receipt}/action", post(action))
        .route("/staff/cases/{receipt}/message", post(message))
        .route("/staff/cases/{receipt}/note", post(note))
        .route("/staff/cases/{receipt}/assign", post(assign))
        .route(
            "/staff/cases/{receipt}/attachments/{public_id}",
            get(attachment),
        )
        .route("/staff/procedures/{slug}/applications.csv", get(export_csv))
}

pub struct QueueLine {
    pub receipt: String,
    pub receipt_shown: String,
    pub procedure: String,
    pub applicant: String,
    pub state: String,
    pub submitted: String,
    pub due: String,
    pub overdue: bool,
    pub assignee: String,
}

#[derive(Template)]
#[template(path = "staff_cases/queue.html")]
pub struct QueuePage {
    pub c: Ctx,
    pub lines: Vec<QueueLine>,
    pub states: Vec<(&'static str, String, bool)>,
    pub procedures: Vec<(i64, String, bool)>,
    pub mine: bool,
    pub overdue: bool,
    pub all_departments: bool,
    pub export_links: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub procedure: Option<String>,
    #[serde(default)]
    pub mine: Option<String>,
    #[serde(default)]
    pub overdue: Option<String>,
}

fn name(l: Lang, ja: &str, en: &str) -> String {
    match l {
        Lang::Ja => ja.to_owned(),
        Lang::En => en.to_owned(),
    }
}

async fn queue(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let l = c.l;
    let m = c.tenant.id.clone();
    let state = q
        .state
        .as_deref()
        .and_then(CaseState::parse)
        .map(|s| s.as_str().to_owned());
    let procedure = q.procedure.as_deref().and_then(|p| p.parse::<i64>().ok());
    let mine = q.mine.as_deref() == Some("1");
    let overdue = q.overdue.as_deref() == Some("1");
    let now = now_ms();
    let department = if me.is_admin() {
        None
    } else {
        // Staff without a department see nothing rather than everything.
        Some(me.department_id.unwrap_or(-1))
    };
    let f = QueueFilter {
        department_id: department,
        states: state.clone().into_iter().collect(),
        procedure_id: procedure,
        assigned_to: mine.then_some(me.id),
        overdue_at: overdue.then_some(now),
        ..QueueFilter::default()
    };
    let rows = store::queue(&st.db, &m, &f).await?;
    let lines = rows
        .iter()
        .map(|a| QueueLine {
            receipt: a.receipt.clone(),
            receipt_shown: shown_receipt(&a.receipt),
            procedure: name(l, &a.procedure_name_ja, &a.procedure_name_en),
            applicant: a.applicant_name.clone(),
            state: state_label(&a.state, l),
            submitted: l.datetime(a.submitted_at),
            due: a.due_at.map(|d| l.datetime(d)).unwrap_or_default(),
            overdue: rules::overdue(&a.state, a.due_at, now),
            assignee: a.assignee_name.clone().unwrap_or_default(),
        })
        .collect();
    let states = CaseState::ALL
        .into_iter()
        .map(|s| {
            (
                s.as_str(),
                s.label(l).to_owned(),
                state.as_deref() == Some(s.as_str()),
            )
        })
        .collect();
    let catalogue =
        crate::procedures::store::list(&st.db, &m, &crate::procedures::store::Filter::default())
            .await?;
    let mine_procs: Vec<_> = catalogue
        .iter()
        .filter(|p| {
            me.is_admin() || (p.department_id.is_some() && p.department_id == me.department_id)
        })
        .collect();
    let procedures = mine_procs
        .iter()
        .map(|p| {
            (
                p.id,
                name(l, &p.name_ja, &p.name_en),
                procedure == Some(p.id),
            )
        })
        .collect();
    let export_links = mine_procs
        .iter()
        .filter(|p| p.online)
        .map(|p| (p.slug.clone(), name(l, &p.name_ja, &p.name_en)))
        .collect();
    Ok(render(&QueuePage {
        c,
        lines,
        states,
        procedures,
        mine,
        overdue,
        all_departments: me.is_admin(),
        export_links,
    })?
    .into_response())
}

pub struct ActionButton {
    pub code: &'static str,
    pub label: &'static str,
    /// Needs the notice text / reason box.
    pub needs_reason: bool,
}

#[derive(Template)]
#[template(path = "staff_cases/case.html")]
pub struct CasePage {
    pub c: Ctx,
    pub receipt: String,
    pub receipt_shown: String,
    pub procedure: String,
    pub applicant: String,
    pub applicant_email: String,
    pub state: String,
    pub submitted: String,
    pub due: String,
    pub overdue: bool,
    pub assignee: String,
    pub answers: Vec<forms::Row>,
    /// (public id, file name, type and size)
    pub attachments: Vec<(String, String, String)>,
    pub timeline: Vec<EntryView>,
    pub actions: Vec<ActionButton>,
    pub can_correct: bool,
    pub fields: Vec<(String, String, bool)>,
    pub colleagues: Vec<(i64, String, bool)>,
    pub can_assign: bool,
    pub can_write: bool,
    pub notice: Option<&'static str>,
    pub error: Option<String>,
    pub payment: crate::payments::view::StaffBox,
    /// 受付票 and 通知書 (PDF).
    pub documents: crate::documents::routes::Links,
}

fn action_code(k: ActionKind) -> &'static str {
    match k {
        ActionKind::StartReview => "start_review",
        ActionKind::RequestCorrection => "request_correction",
        ActionKind::Resubmit => "resubmit",
        ActionKind::Approve => "approve",
        ActionKind::Reject => "reject",
        ActionKind::Dismiss => "dismiss",
        ActionKind::Withdraw => "withdraw",
        ActionKind::Complete => "complete",
    }
}

pub(crate) async fn visible_case(
    st: &AppState,
    c: &Ctx,
    me: &UserRow,
    receipt: &str,
) -> Result<ApplicationRow, AppError> {
    let app = super::by_receipt_or_404(&st.db, &c.tenant.id, receipt).await?;
    if !workflow::is_case_staff(me, &app) {
        return Err(AppError::NotFound);
    }
    Ok(app)
}

async fn build_case(
    st: &AppState,
    c: Ctx,
    me: &UserRow,
    app: &ApplicationRow,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Result<CasePage, AppError> {
    let l = c.l;
    let state = CaseState::parse(&app.state).unwrap_or(CaseState::Received);
    let def = workflow::definition_of(&st.db, app).await.ok();
    let answers = workflow::answers_of(app);
    let rows = def
        .as_ref()
        .map(|d| forms::summary(d, &answers, l))
        .unwrap_or_default();
    let entries = store::entries(&st.db, app.id, true).await?;
    let timeline = entry_views(&entries, def.as_ref(), l, true);
    let offered = workflow::offered(me, state);
    let actions = offered
        .iter()
        .filter(|k| **k != ActionKind::RequestCorrection)
        .map(|k| ActionButton {
            code: action_code(*k),
            label: k.label(l),
            needs_reason: matches!(k, ActionKind::Reject | ActionKind::Dismiss),
        })
        .collect();
    let requested = workflow::requested_fields(app);
    let fields = def
        .as_ref()
        .map(|d| {
            rules::top_fields(d)
                .into_iter()
                .map(|(id, ja, en)| {
                    let on = requested.contains(&id);
                    (id, name(l, &ja, &en), on)
                })
                .collect()
        })
        .unwrap_or_default();
    let dx = me.role() == Some(crate::auth::Role::DxPromoter);
    let colleagues = if dx {
        Vec::new()
    } else {
        crate::auth::store::list_staff(&st.db, &c.tenant.id)
            .await?
            .into_iter()
            .filter(|u| {
                u.disabled_at.is_none()
                    && u.role() != Some(crate::auth::Role::DxPromoter)
                    && ((app.department_id.is_some() && u.department_id == app.department_id)
                        || u.is_admin())
            })
            .map(|u| (u.id, u.name, app.assigned_to == Some(u.id)))
            .collect()
    };
    let attachments = store::attachments_of(&st.db, app.id)
        .await?
        .into_iter()
        .map(|a| {
            (
                a.public_id,
                a.filename,
                format!("{}, {} bytes", a.content_type, a.size_bytes),
            )
        })
        .collect();
    let applicant_email = match app.applicant_user_id {
        Some(uid) => crate::auth::store::find_user(&st.db, uid)
            .await?
            .map(|u| u.email)
            .unwrap_or_default(),
        None => app.applicant_email.clone().unwrap_or_default(),
    };
    let payment = crate::payments::view::staff_box(&st.db, app, !dx, l).await?;
    Ok(CasePage {
        payment,
        documents: crate::documents::routes::links(&st.db, app, l).await?,
        receipt: app.receipt.clone(),
        receipt_shown: shown_receipt(&app.receipt),
        procedure: name(l, &app.procedure_name_ja, &app.procedure_name_en),
        applicant: app.applicant_name.clone(),
        applicant_email,
        state: state.label(l).to_owned(),
        submitted: l.datetime(app.submitted_at),
        due: app.due_at.map(|d| l.datetime(d)).unwrap_or_default(),
        overdue: rules::overdue(&app.state, app.due_at, now_ms()),
        assignee: app.assignee_name.clone().unwrap_or_default(),
        answers: rows,
        attachments,
        timeline,
        can_correct: offered.contains(&ActionKind::RequestCorrection),
        actions,
        fields,
        colleagues,
        can_assign: !dx,
        can_write: !dx,
        notice,
        error,
        c,
    })
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: Option<String>,
}

fn done_notice(d: Option<&str>) -> Option<&'static str> {
    match d {
        Some("action") => Some("app.staff_done_action"),
        Some("message") => Some("app.staff_done_message"),
        Some("note") => Some("app.staff_done_note"),
        Some("assign") => Some("app.staff_done_assign"),
        _ => None,
    }
}

async fn case_page(
    State(st): State<AppState>,
    c: Ctx,
    Path(receipt): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let app = visible_case(&st, &c, &me, &receipt).await?;
    store::mark_read(&st.db, app.id, false, now_ms()).await?;
    let page = build_case(&st, c, &me, &app, done_notice(q.done.as_deref()), None).await?;
    Ok(render(&page)?.into_response())
}

/// Shows the case page again with the refusal (422 for bad input, 409 for a stale state).
async fn refused(
    st: &AppState,
    c: Ctx,
    me: &UserRow,
    app: &ApplicationRow,
    e: workflow::ActError,
) -> Result<Response, AppError> {
    let status = match &e {
        workflow::ActError::NotFound => return Err(AppError::NotFound),
        workflow::ActError::Db(_) | workflow::ActError::Corrupt(_) => {
            return Err(AppError::Internal(e.into()));
        }
        workflow::ActError::Transition(crate::procedures::case::TransitionError::Forbidden {
            ..
        }) => StatusCode::FORBIDDEN,
        workflow::ActError::Stale
        | workflow::ActError::Unpaid
        | workflow::ActError::Transition(
            crate::procedures::case::TransitionError::Closed { .. }
            | crate::procedures::case::TransitionError::NotFromState { .. },
        ) => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let l = c.l;
    let page = build_case(st, c, me, app, None, Some(e.message(l))).await?;
    Ok((status, render(&page)?).into_response())
}

fn parse_action(pairs: &[(String, String)]) -> Option<Action> {
    let reason = field(pairs, "reason").to_owned();
    Some(match field(pairs, "action") {
        "start_review" => Action::StartReview,
        "request_correction" => Action::RequestCorrection {
            fields: pairs
                .iter()
                .filter(|(k, _)| k == "fields")
                .map(|(_, v)| v.clone())
                .collect(),
        },
        "approve" => Action::Approve,
        "reject" => Action::Reject { reason },
        "dismiss" => Action::Dismiss { reason },
        "complete" => Action::Complete,
        "resubmit" => Action::Resubmit,
        "withdraw" => Action::Withdraw,
        _ => return None,
    })
}

async fn action(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Path(receipt): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let app = visible_case(&st, &c, &me, &receipt).await?;
    let pairs = form_pairs(&body);
    let Some(act) = parse_action(&pairs) else {
        return Err(AppError::BadRequest);
    };
    let text = field(&pairs, "text").to_owned();
    match workflow::act_documented(
        &st.db,
        &c.tenant.id,
        app.id,
        &me,
        act,
        &text,
        &base_url(&st, &headers),
        Some(&st.documents),
    )
    .await
    {
        Ok(done) => {
            if done.mailed {
                st.mail_notify.notify_one();
            }
            Ok(Redirect::to(&format!("/staff/cases/{}?done=action", app.receipt)).into_response())
        }
        Err(e) => refused(&st, c, &me, &app, e).await,
    }
}

async fn message(
    State(st): State<AppState>,
    c: Ctx,
    headers: HeaderMap,
    Path(receipt): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let app = visible_case(&st, &c, &me, &receipt).await?;
    let pairs = form_pairs(&body);
    match workflow::message(
        &st.db,
        &c.tenant.id,
        app.id,
        &me,
        field(&pairs, "body"),
        &base_url(&st, &headers),
    )
    .await
    {
        Ok(mailed) => {
            if mailed {
                st.mail_notify.notify_one();
            }
            Ok(Redirect::to(&format!("/staff/cases/{}?done=message", app.receipt)).into_response())
        }
        Err(e) => refused(&st, c, &me, &app, e).await,
    }
}

async fn note(
    State(st): State<AppState>,
    c: Ctx,
    Path(receipt): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let app = visible_case(&st, &c, &me, &receipt).await?;
    let pairs = form_pairs(&body);
    match workflow::note(&st.db, &c.tenant.id, app.id, &me, field(&pairs, "body")).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/staff/cases/{}?done=note", app.receipt)).into_response())
        }
        Err(e) => refused(&st, c, &me, &app, e).await,
    }
}

async fn assign(
    State(st): State<AppState>,
    c: Ctx,
    Path(receipt): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let app = visible_case(&st, &c, &me, &receipt).await?;
    let pairs = form_pairs(&body);
    let to = match field(&pairs, "assignee") {
        "" | "none" => None,
        "me" => Some(me.id),
        s => match s.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => return Err(AppError::BadRequest),
        },
    };
    match workflow::assign(&st.db, &c.tenant.id, app.id, &me, to).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/staff/cases/{}?done=assign", app.receipt)).into_response())
        }
        Err(e) => refused(&st, c, &me, &app, e).await,
    }
}

/// An attachment of the case, always as a download (never shown inline, so an uploaded HTML or
/// SVG file cannot run in the city's origin).
async fn attachment(
    State(st): State<AppState>,
    c: Ctx,
    Path((receipt, public_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let app = visible_case(&st, &c, &me, &receipt).await?;
    let a = store::attachment_data(&st.db, app.id, &public_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut r = Response::new(axum::body::Body::from(a.data));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    // RFC 6266 / 5987: an ASCII fallback and the UTF-8 name.
    let ascii: String = a
        .filename
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ".-_".contains(ch) {
                ch
            } else {
                '_'
            }
        })
        .collect();
    let utf8: String = form_urlencoded::byte_serialize(a.filename.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{utf8}"
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    tracing::info!(application = app.id, attachment = %public_id, declared_type = %a.content_type, "attachment downloaded by staff");
    Ok(r)
}

#[derive(Deserialize, Default)]
pub struct CsvQuery {
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

/// The rows of the export: header, then one row per application (oldest first).
pub fn csv_rows(
    def_for: &dyn Fn(i64) -> Option<crate::procedures::form::def::FormDefinition>,
    latest: Option<&crate::procedures::form::def::FormDefinition>,
    apps: &[ApplicationRow],
) -> Vec<Vec<String>> {
    let mut header = vec![
        "受付番号".to_owned(),
        "受付日時".to_owned(),
        "状態".to_owned(),
        "申請者".to_owned(),
    ];
    if let Some(d) = latest {
        header.extend(forms::csv_columns(d, Lang::Ja));
    }
    let mut rows = vec![header];
    for a in apps {
        let mut r = vec![
            shown_receipt(&a.receipt),
            jst_datetime(a.submitted_at),
            state_label(&a.state, Lang::Ja),
            a.applicant_name.clone(),
        ];
        // Columns follow the newest form; an older version's answers are laid out by its own
        // definition, which keeps ids (and so usually columns) stable across versions.
        if let Some(d) = def_for(a.form_version_id).as_ref().or(latest) {
            r.extend(forms::csv_row(d, &workflow::answers_of(a)));
        }
        rows.push(r);
    }
    rows
}

/// `2026-04-01 09:30` in JST (a form Excel reads as a date and time).
pub fn jst_datetime(ms: i64) -> String {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return String::new();
    };
    let t = t.to_offset(time::macros::offset!(+9));
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

async fn export_csv(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<CsvQuery>,
) -> Result<Response, AppError> {
    let me = match require_staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let m = c.tenant.id.clone();
    let procedure = crate::procedures::store::find_by_slug(&st.db, &m, &slug)
        .await?
        .ok_or(AppError::NotFound)?;
    let allowed = me.kind() == Kind::Staff
        && (me.is_admin()
            || (procedure.department_id.is_some() && me.department_id == procedure.department_id));
    if !allowed {
        return Err(AppError::NotFound);
    }
    let Some(enc) = CsvEncoding::parse(q.encoding.as_deref()) else {
        return Err(AppError::BadRequest);
    };
    let states = q
        .state
        .as_deref()
        .and_then(CaseState::parse)
        .map(|s| vec![s.as_str().to_owned()])
        .unwrap_or_default();
    let mut apps = store::queue(
        &st.db,
        &m,
        &QueueFilter {
            procedure_id: Some(procedure.id),
            states,
            limit: 100_000,
            ..QueueFilter::default()
        },
    )
    .await?;
    apps.sort_by_key(|a| (a.submitted_at, a.id));
    let versions = crate::procedures::form::store::versions(&st.db, &m, procedure.id).await?;
    let parsed: Vec<(i64, Option<crate::procedures::form::def::FormDefinition>)> =
        versions.iter().map(|v| (v.id, v.parsed().ok())).collect();
    let latest = parsed.iter().find_map(|(_, d)| d.clone());
    let def_for = |id: i64| {
        parsed
            .iter()
            .find(|(vid, _)| *vid == id)
            .and_then(|(_, d)| d.clone())
    };
    let rows = csv_rows(&def_for, latest.as_ref(), &apps);
    let (bytes, replaced) = rules::csv_bytes(&rules::csv_text(&rows), enc);
    if replaced > 0 {
        tracing::warn!(
            procedure = %slug,
            replaced,
            encoding = enc.charset(),
            "CSV export: characters the encoding cannot hold were replaced with 〓"
        );
    }
    let filename = format!("{slug}-applications.csv");
    let mut r = Response::new(axum::body::Body::from(bytes));
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("text/csv; charset={}", enc.charset())) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // How many characters became 〓, for the staff member and their scripts to see.
    if let Ok(v) = HeaderValue::from_str(&replaced.to_string()) {
        h.insert("x-replaced-characters", v);
    }
    Ok(r)
}
