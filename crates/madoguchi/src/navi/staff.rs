//! Staff pages: the editor `/staff/navi` (versions draft → published with a preview; publish
//! refused while `check` finds problems) and the counter mode `/staff/navi/counter` (a clerk
//! walks a visitor through the questions, creates a visit record and ticks off what was done;
//! every change audited in its transaction).
//!
//! Who may do what: administrators and staff of 市民課 (`shimin`) and 広報広聴課 (`koho`), the
//! sections that run 手続きナビ (ichikawa.md §3), edit; every other staff member sees the
//! editor read-only and uses the counter mode.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::json;

use super::check::{self, Problem};
use super::engine::{self, Step};
use super::model::{self, EVENTS, Flow};
use super::routes::{self, EventLink, Mode};
use super::store::{self, VersionRow, VisitRow};
use super::versions::{self, VersionError};
use super::view::{self, Input, ItemView};
use crate::audit::{self, Actor};
use crate::auth::Role;
use crate::auth::store::{self as auth_store, UserRow};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/navi", get(list))
        .route("/staff/navi/counter", get(counter_home))
        .route("/staff/navi/counter/visits", post(create_visit))
        .route(
            "/staff/navi/counter/visits/{id}",
            get(visit_page).post(save_ticks),
        )
        .route("/staff/navi/counter/{event}", get(counter_flow))
        .route("/staff/navi/{event}", get(editor))
        .route("/staff/navi/{event}/json", get(json_editor))
        .route("/staff/navi/{event}/preview", get(preview))
        .route("/staff/navi/{event}/draft", post(create_draft))
        .route("/staff/navi/{event}/save", post(save))
        .route("/staff/navi/{event}/publish", post(publish))
        .route("/staff/navi/{event}/discard", post(discard))
}

/// The departments that run 手続きナビ and may edit it (besides administrators).
pub const EDITING_DEPARTMENTS: [&str; 2] = ["shimin", "koho"];

#[allow(clippy::result_large_err)]
pub fn staff(c: &Ctx) -> Result<UserRow, Response> {
    match &c.user {
        Some(u) if u.kind == "staff" && u.disabled_at.is_none() => Ok(u.clone()),
        Some(_) => Err(AppError::Forbidden.into_response()),
        None => {
            let to = if c.session_expired {
                "/staff/login?expired=1"
            } else {
                "/staff/login?needed=1"
            };
            Err(Redirect::to(to).into_response())
        }
    }
}

/// Whether `user` may edit the flows.
pub async fn may_edit(st: &AppState, user: &UserRow) -> Result<bool, sqlx::Error> {
    if user.role() == Some(Role::Admin) {
        return Ok(true);
    }
    let Some(dept) = user.department_id else {
        return Ok(false);
    };
    Ok(auth_store::get_department(&st.db, dept)
        .await?
        .is_some_and(|d| {
            d.municipality_id == user.municipality_id
                && EDITING_DEPARTMENTS.contains(&d.code.as_str())
        }))
}

fn event_or_404(event: &str) -> Result<(), AppError> {
    if model::is_event(event) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

// ---- editor ----------------------------------------------------------------------------------

pub struct EventLine {
    pub event: &'static str,
    pub title: String,
    pub published: Option<i64>,
    pub draft: Option<i64>,
}

#[derive(Template)]
#[template(path = "navi/staff_list.html")]
pub struct ListPage {
    pub c: Ctx,
    pub lines: Vec<EventLine>,
}

async fn list(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    if let Err(r) = staff(&c) {
        return Ok(r);
    }
    let rows = store::current(&st.db, &c.tenant.id).await?;
    let mut lines = Vec::new();
    for e in EVENTS {
        let title = versions::live(&st.db, &c.tenant.id, e)
            .await?
            .map(|(f, _)| f.title(c.l).to_owned())
            .unwrap_or_default();
        let find = |s: &str| {
            rows.iter()
                .find(|r| r.event == e && r.state == s)
                .map(|r| r.version)
        };
        lines.push(EventLine {
            event: e,
            title,
            published: find("published"),
            draft: find("draft"),
        });
    }
    Ok(render(&ListPage { c, lines })?.into_response())
}

pub struct ProblemView {
    pub text: String,
    /// What it names, in words where the flow has them (a path as 「質問」→「答え」、…).
    pub detail: String,
    /// The question page that fixes it, when it is about one question.
    pub href: Option<String>,
}

pub fn problem_views(l: Lang, problems: &[Problem]) -> Vec<ProblemView> {
    problems
        .iter()
        .map(|p| ProblemView {
            text: l.t(p.key).to_owned(),
            detail: p.detail.clone(),
            href: None,
        })
        .collect()
}

/// [`problem_views`] with the questions and answers named by their Japanese texts.
pub fn described(l: Lang, flow: &Flow, problems: &[Problem]) -> Vec<ProblemView> {
    let q_words = |id: &str| {
        flow.question(id)
            .map(|q| format!("「{}」（{id}）", q.text_ja))
            .unwrap_or_else(|| id.to_owned())
    };
    problems
        .iter()
        .map(|p| {
            let (detail, href) = match p.key {
                "navi.problem.no_outcome" | "navi.problem.long_path" => {
                    let steps: Vec<String> = form_urlencoded::parse(p.detail.as_bytes())
                        .map(|(q, v)| match flow.question(&q) {
                            Some(qq) => format!(
                                "「{}」→「{}」",
                                qq.text_ja,
                                qq.choice(&v).map(|c| c.label_ja.as_str()).unwrap_or(&v)
                            ),
                            None => format!("{q}={v}"),
                        })
                        .collect();
                    (format!("{}（{}）", steps.join("、"), p.detail), None)
                }
                "navi.problem.unreachable"
                | "navi.problem.few_options"
                | "navi.problem.many_options"
                | "navi.problem.duplicate_question" => (
                    q_words(&p.detail),
                    flow.question(&p.detail)
                        .map(|q| format!("/staff/navi/{}/questions/{}", flow.event, q.id)),
                ),
                "navi.problem.missing_next" => match p.detail.split_once(" → ") {
                    Some((from, to)) => (
                        format!("{} → {to}", q_words(from)),
                        flow.question(from)
                            .map(|q| format!("/staff/navi/{}/questions/{}", flow.event, q.id)),
                    ),
                    None => (p.detail.clone(), None),
                },
                _ => (p.detail.clone(), None),
            };
            ProblemView {
                text: l.t(p.key).to_owned(),
                detail,
                href,
            }
        })
        .collect()
}

/// One question in the overview.
pub struct QuestionLine {
    pub id: String,
    pub text: String,
    pub is_start: bool,
    /// 「はい → 次: card」 for each answer.
    pub answers: Vec<String>,
}

/// One procedure in the overview.
pub struct ProcedureLine {
    pub id: String,
    pub name: String,
    pub department: String,
    pub counter: String,
    /// The counter is confirmed, or the procedure is done outside the city hall.
    pub confirmed: bool,
    pub note: Option<String>,
}

fn question_lines(l: Lang, flow: &Flow) -> Vec<QuestionLine> {
    flow.questions
        .iter()
        .map(|q| QuestionLine {
            id: q.id.clone(),
            text: q.text_ja.clone(),
            is_start: q.id == flow.start,
            answers: q
                .options
                .iter()
                .map(|o| {
                    let next = match &o.next {
                        Some(n) => l.t("navi.staff.next_q").replace("{q}", n),
                        None => l.t("navi.staff.next_end").to_owned(),
                    };
                    format!(
                        "{}{} → {next}",
                        o.label_ja,
                        if o.unknown {
                            "（わからない）"
                        } else {
                            ""
                        }
                    )
                })
                .collect(),
        })
        .collect()
}

fn procedure_lines(flow: &Flow) -> Vec<ProcedureLine> {
    flow.procedures
        .iter()
        .map(|p| ProcedureLine {
            id: p.id.clone(),
            name: p.name_ja.clone(),
            department: p.department_ja.clone(),
            counter: p.counter_ja.clone(),
            confirmed: p.counter_confirmed || p.elsewhere,
            note: p.counter_note.clone(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "navi/staff_editor.html")]
pub struct EditorPage {
    pub c: Ctx,
    pub event: String,
    pub title: String,
    pub can_edit: bool,
    pub published: Option<i64>,
    pub draft: Option<VersionRow>,
    /// What is in the textarea (the draft, or what was typed when saving failed).
    pub text: String,
    pub parse_error: Option<String>,
    pub problems: Vec<ProblemView>,
    pub paths: Option<usize>,
    pub versions: Vec<(i64, &'static str, String)>,
    pub notice: Option<&'static str>,
    pub error: Option<&'static str>,
    /// The JSON editor (the "advanced" page) instead of the field lists.
    pub advanced: bool,
    /// A refused field-editor change or import.
    pub field_error: Option<super::editor::ErrorView>,
    pub questions: Vec<QuestionLine>,
    pub procedures: Vec<ProcedureLine>,
    /// How many procedures' counters still need checking.
    pub unconfirmed: usize,
}

impl EditorPage {
    pub fn draft_rev(&self) -> i64 {
        self.draft.as_ref().map(|d| d.updated_at).unwrap_or(0)
    }
    pub fn has_draft(&self) -> bool {
        self.draft.is_some()
    }
}

#[allow(clippy::too_many_arguments)]
async fn editor_page(
    st: &AppState,
    c: Ctx,
    user: &UserRow,
    event: &str,
    typed: Option<String>,
    notice: Option<&'static str>,
    error: Option<&'static str>,
    extra_problems: Option<Vec<Problem>>,
    advanced: bool,
    field_error: Option<super::editor::ErrorView>,
) -> Result<Response, AppError> {
    let m = c.tenant.id.clone();
    let l = c.l;
    let (flow, published) = versions::live(&st.db, &m, event)
        .await?
        .ok_or(AppError::NotFound)?;
    let draft = store::draft(&st.db, &m, event).await?;
    let text = typed
        .clone()
        .or_else(|| draft.as_ref().map(|d| d.definition.clone()))
        .unwrap_or_default();
    let (mut parse_error, mut problems, mut paths) = (None, Vec::new(), None);
    // The field lists show the draft when there is one (and it parses), else the live flow.
    let mut shown = flow.clone();
    if draft.is_some() || typed.is_some() {
        match versions::parse_and_check(&text, event) {
            Ok((f, probs)) => {
                problems = probs;
                paths = engine::all_paths(&f, check::MAX_PATHS)
                    .ok()
                    .map(|p| p.len());
                if typed.is_none() {
                    shown = f;
                }
            }
            Err(e) => parse_error = Some(e),
        }
    }
    if let Some(extra) = extra_problems {
        problems = extra;
    }
    let procedures = procedure_lines(&shown);
    let versions = store::versions(&st.db, &m, event)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.version,
                match r.state.as_str() {
                    "draft" => "navi.staff.draft",
                    "published" => "navi.staff.published_v",
                    _ => "navi.staff.archived",
                },
                l.datetime(r.updated_at),
            )
        })
        .collect();
    let page = EditorPage {
        can_edit: may_edit(st, user).await?,
        event: event.to_owned(),
        title: flow.title(l).to_owned(),
        published,
        draft,
        text,
        parse_error,
        problems: described(l, &shown, &problems),
        paths,
        versions,
        notice,
        error,
        advanced: advanced || typed.is_some(),
        field_error,
        questions: question_lines(l, &shown),
        unconfirmed: procedures.iter().filter(|p| !p.confirmed).count(),
        procedures,
        c,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize, Default)]
struct NoticeQuery {
    #[serde(default)]
    done: Option<String>,
}

fn notice_key(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "saved" => Some("navi.staff.saved"),
        "unchanged" => Some("navi.staff.unchanged"),
        "published" => Some("navi.staff.published"),
        "created" => Some("navi.staff.created"),
        "discarded" => Some("navi.staff.discarded"),
        "edited" => Some("navi.staff.edited"),
        "imported" => Some("navi.staff.imported"),
        _ => None,
    }
}

async fn editor(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
    axum::extract::Query(q): axum::extract::Query<NoticeQuery>,
) -> Result<Response, AppError> {
    let user = match staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    event_or_404(&event)?;
    editor_page(
        &st,
        c,
        &user,
        &event,
        None,
        notice_key(q.done.as_deref()),
        None,
        None,
        false,
        None,
    )
    .await
}

/// The "advanced" page: the draft's JSON in a text area.
async fn json_editor(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
) -> Result<Response, AppError> {
    let user = match staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    event_or_404(&event)?;
    editor_page(&st, c, &user, &event, None, None, None, None, true, None).await
}

/// The overview with a refused field-editor change or import (the caller sets 422).
pub async fn overview_with_error(
    st: &AppState,
    c: Ctx,
    user: &UserRow,
    event: &str,
    e: super::editor::ErrorView,
) -> Result<Response, AppError> {
    editor_page(st, c, user, event, None, None, None, None, false, Some(e)).await
}

async fn preview(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    if let Err(r) = staff(&c) {
        return Ok(r);
    }
    event_or_404(&event)?;
    let m = c.tenant.id.clone();
    let draft = store::draft(&st.db, &m, &event)
        .await?
        .ok_or(AppError::NotFound)?;
    // A draft that does not parse has no preview; the editor shows why.
    let flow = Flow::from_json(&draft.definition).map_err(|_| AppError::NotFound)?;
    let cat = routes::catalogue(&st.db, &m).await?;
    let page = routes::build(
        c,
        Mode::Preview,
        &flow,
        Some(draft.version),
        format!("/staff/navi/{event}/preview"),
        query.as_deref().unwrap_or(""),
        &cat,
    );
    Ok(render(&page)?.into_response())
}

/// Runs a version step for someone who may edit; maps the outcome to a redirect or the
/// editor page with the error.
async fn guarded(
    st: &AppState,
    c: Ctx,
    event: &str,
) -> Result<Result<(Ctx, UserRow), Response>, AppError> {
    let user = match staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(Err(r)),
    };
    event_or_404(event)?;
    if !may_edit(st, &user).await? {
        return Err(AppError::Forbidden);
    }
    Ok(Ok((c, user)))
}

fn done_redirect(event: &str, done: &str) -> Response {
    Redirect::to(&format!("/staff/navi/{event}?done={done}")).into_response()
}

async fn version_error(
    st: &AppState,
    c: Ctx,
    user: &UserRow,
    event: &str,
    typed: Option<String>,
    e: VersionError,
) -> Result<Response, AppError> {
    if let VersionError::Db(e) = e {
        return Err(e.into());
    }
    let key = e.key();
    let problems = match e {
        VersionError::Problems(p) => Some(p),
        _ => None,
    };
    let mut r = editor_page(
        st,
        c,
        user,
        event,
        typed,
        None,
        Some(key),
        problems,
        false,
        None,
    )
    .await?;
    *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

#[derive(Deserialize)]
struct SaveForm {
    definition: String,
    rev: i64,
}

async fn create_draft(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
) -> Result<Response, AppError> {
    let (c, user) = match guarded(&st, c, &event).await? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    match versions::create_draft(&st.db, &Actor::User(user.id), &c.tenant.id, &event).await {
        Ok(_) => Ok(done_redirect(&event, "created")),
        Err(e) => version_error(&st, c, &user, &event, None, e).await,
    }
}

async fn save(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
    Form(f): Form<SaveForm>,
) -> Result<Response, AppError> {
    let (c, user) = match guarded(&st, c, &event).await? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    match versions::save_draft(
        &st.db,
        &Actor::User(user.id),
        &c.tenant.id,
        &event,
        &f.definition,
        f.rev,
    )
    .await
    {
        Ok(true) => Ok(done_redirect(&event, "saved")),
        Ok(false) => Ok(done_redirect(&event, "unchanged")),
        Err(VersionError::Parse(msg)) => {
            let user2 = user.clone();
            let mut r = editor_page(
                &st,
                c,
                &user2,
                &event,
                Some(f.definition),
                None,
                Some("navi.err.parse"),
                None,
                true,
                None,
            )
            .await?;
            tracing::info!(error = %msg, "navi draft does not parse");
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => version_error(&st, c, &user, &event, Some(f.definition), e).await,
    }
}

async fn publish(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
) -> Result<Response, AppError> {
    let (c, user) = match guarded(&st, c, &event).await? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    match versions::publish(&st.db, &Actor::User(user.id), &c.tenant.id, &event).await {
        Ok(_) => Ok(done_redirect(&event, "published")),
        Err(e) => version_error(&st, c, &user, &event, None, e).await,
    }
}

async fn discard(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
) -> Result<Response, AppError> {
    let (c, user) = match guarded(&st, c, &event).await? {
        Ok(x) => x,
        Err(r) => return Ok(r),
    };
    match versions::discard(&st.db, &Actor::User(user.id), &c.tenant.id, &event).await {
        Ok(()) => Ok(done_redirect(&event, "discarded")),
        Err(e) => version_error(&st, c, &user, &event, None, e).await,
    }
}

// ---- counter mode ----------------------------------------------------------------------------

pub struct VisitLine {
    pub id: i64,
    pub title: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "navi/counter_home.html")]
pub struct CounterHome {
    pub c: Ctx,
    pub events: Vec<EventLink>,
    pub visits: Vec<VisitLine>,
}

async fn counter_home(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    if let Err(r) = staff(&c) {
        return Ok(r);
    }
    let m = c.tenant.id.clone();
    let events = routes::event_links(&st, &m, c.l).await?;
    let mut visits = Vec::new();
    for v in store::recent_visits(&st.db, &m, 20).await? {
        let title = events
            .iter()
            .find(|e| e.event == v.event)
            .map(|e| e.title.clone())
            .unwrap_or_else(|| v.event.clone());
        visits.push(VisitLine {
            id: v.id,
            title,
            created: c.l.datetime(v.created_at),
        });
    }
    Ok(render(&CounterHome { c, events, visits })?.into_response())
}

async fn counter_flow(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    if let Err(r) = staff(&c) {
        return Ok(r);
    }
    let m = c.tenant.id.clone();
    let (flow, version) = versions::live(&st.db, &m, &event)
        .await?
        .ok_or(AppError::NotFound)?;
    let cat = routes::catalogue(&st.db, &m).await?;
    let page = routes::build(
        c,
        Mode::Counter,
        &flow,
        version,
        format!("/staff/navi/counter/{event}"),
        query.as_deref().unwrap_or(""),
        &cat,
    );
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct VisitForm {
    pub event: String,
    pub answers: String,
    #[serde(default)]
    pub date: String,
}

/// Creates a visit from a finished path. Refused (400) when the answers do not end in a
/// checklist of the live flow or the date is not a date.
async fn create_visit(
    State(st): State<AppState>,
    c: Ctx,
    Form(f): Form<VisitForm>,
) -> Result<Response, AppError> {
    let user = match staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let m = c.tenant.id.clone();
    let (flow, version) = versions::live(&st.db, &m, &f.event)
        .await?
        .ok_or(AppError::NotFound)?;
    let answers = engine::answers_from_query(&flow, &f.answers);
    let date = match f.date.trim() {
        "" => None,
        s => Some(super::deadline::parse_date(s).ok_or(AppError::BadRequest)?),
    };
    let Step::Done(list) = engine::evaluate(&flow, &answers, date) else {
        return Err(AppError::BadRequest);
    };
    let query = list.query();
    let date_s = date.map(super::deadline::iso);
    let mut tx = st.db.begin().await?;
    let id = store::insert_visit(&mut tx, &m, &f.event, &query, date_s.as_deref(), user.id).await?;
    audit::record(
        &mut tx,
        &m,
        &Actor::User(user.id),
        "navi.visit_created",
        &format!("navi_visit:{id}"),
        json!({ "event": f.event, "answers": query, "date": date_s, "flow_version": version,
                "procedures": list.items.iter().map(|i| i.procedure.id.as_str()).collect::<Vec<_>>() }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/staff/navi/counter/visits/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "navi/visit.html")]
pub struct VisitPage {
    pub c: Ctx,
    pub visit: VisitRow,
    pub title: String,
    pub date_shown: Option<String>,
    pub items: Vec<ItemView>,
    pub done_count: usize,
    pub resident_href: String,
    pub saved: bool,
    pub created: String,
}

async fn visit_page(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<NoticeQuery>,
) -> Result<Response, AppError> {
    if let Err(r) = staff(&c) {
        return Ok(r);
    }
    let m = c.tenant.id.clone();
    let visit = store::visit(&st.db, &m, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (flow, _) = versions::live(&st.db, &m, &visit.event)
        .await?
        .ok_or(AppError::NotFound)?;
    let input = Input::from_query(&flow, &visit.answers);
    let date = visit
        .event_date
        .as_deref()
        .and_then(super::deadline::parse_date);
    let cat = routes::catalogue(&st.db, &m).await?;
    let done: Vec<String> = store::done_items(&st.db, id)
        .await?
        .into_iter()
        .map(|d| d.procedure_id)
        .collect();
    let mut items = match engine::evaluate(&flow, &input.answers, date) {
        Step::Done(list) => view::items(c.l, &list, &cat),
        Step::Ask { .. } => Vec::new(),
    };
    for it in &mut items {
        it.done = done.contains(&it.id);
    }
    let done_count = items.iter().filter(|i| i.done).count();
    let resident_href = format!(
        "/navi/{}?date={}&{}",
        visit.event,
        visit.event_date.clone().unwrap_or_default(),
        visit.answers
    );
    let page = VisitPage {
        title: flow.title(c.l).to_owned(),
        date_shown: date.map(|d| super::deadline::display(c.l, d)),
        items,
        done_count,
        resident_href,
        saved: q.done.as_deref() == Some("saved"),
        created: c.l.datetime(visit.created_at),
        visit,
        c,
    };
    Ok(render(&page)?.into_response())
}

/// The ticked procedure ids: every `done` field of the form.
async fn save_ticks(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let user = match staff(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let m = c.tenant.id.clone();
    let ticked: Vec<String> = form_urlencoded::parse(&body)
        .filter(|(k, _)| k == "done")
        .map(|(_, v)| v.into_owned())
        .collect();
    let mut tx = st.db.begin().await?;
    let visit = store::visit_tx(&mut tx, &m, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (flow, _) = versions::live(&st.db, &m, &visit.event)
        .await?
        .ok_or(AppError::NotFound)?;
    // Only procedures of this visit's checklist can be ticked.
    let input = Input::from_query(&flow, &visit.answers);
    let on_list: Vec<String> = match engine::evaluate(&flow, &input.answers, None) {
        Step::Done(list) => list.items.iter().map(|i| i.procedure.id.clone()).collect(),
        Step::Ask { .. } => Vec::new(),
    };
    if ticked.iter().any(|t| !on_list.contains(t)) {
        return Err(AppError::BadRequest);
    }
    let before: Vec<String> = store::done_items_tx(&mut tx, id)
        .await?
        .into_iter()
        .map(|d| d.procedure_id)
        .collect();
    let added: Vec<&String> = ticked.iter().filter(|t| !before.contains(t)).collect();
    let removed: Vec<&String> = before.iter().filter(|b| !ticked.contains(b)).collect();
    if added.is_empty() && removed.is_empty() {
        return Ok(
            Redirect::to(&format!("/staff/navi/counter/visits/{id}?done=saved")).into_response(),
        );
    }
    for a in &added {
        store::mark_done(&mut tx, id, a, user.id).await?;
    }
    for r in &removed {
        store::unmark_done(&mut tx, id, r).await?;
    }
    store::touch_visit(&mut tx, id).await?;
    audit::record(
        &mut tx,
        &m,
        &Actor::User(user.id),
        "navi.visit_ticked",
        &format!("navi_visit:{id}"),
        json!({ "done": added, "undone": removed }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/staff/navi/counter/visits/{id}?done=saved")).into_response())
}
