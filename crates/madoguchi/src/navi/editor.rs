//! The field-by-field editor under `/staff/navi/{event}`: one page per question and per
//! procedure, plain HTML forms (no JavaScript), one change per POST, saved to the draft
//! through `versions::edit_draft` (audited). The JSON editor stays as the "advanced" page
//! (`/staff/navi/{event}/json`), and a flow can be exported and imported as a file.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::fields::{self, Clause, Edit, FieldError, OptionFields, ProcedureFields};
use super::model::{Bring, Count, Deadline, Flow, Unit};
use super::staff::{may_edit, staff};
use super::store::{self, VersionRow};
use super::versions::{self, VersionError};
use crate::audit::Actor;
use crate::auth::store::UserRow;
use crate::procedures::store::{self as catalogue_store, Filter};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/navi/{event}/export", get(export))
        .route("/staff/navi/{event}/import", post(import))
        .route("/staff/navi/{event}/questions", post(add_question))
        .route(
            "/staff/navi/{event}/questions/{id}",
            get(question_page).post(update_question),
        )
        .route(
            "/staff/navi/{event}/questions/{id}/options",
            post(add_option),
        )
        .route(
            "/staff/navi/{event}/questions/{id}/options/{value}/delete",
            post(delete_option),
        )
        .route(
            "/staff/navi/{event}/questions/{id}/move",
            post(move_question),
        )
        .route(
            "/staff/navi/{event}/questions/{id}/delete",
            post(delete_question),
        )
        .route("/staff/navi/{event}/questions/{id}/start", post(set_start))
        .route("/staff/navi/{event}/procedures", post(add_procedure))
        .route(
            "/staff/navi/{event}/procedures/{id}",
            get(procedure_page).post(update_procedure),
        )
        .route(
            "/staff/navi/{event}/procedures/{id}/move",
            post(move_procedure),
        )
        .route(
            "/staff/navi/{event}/procedures/{id}/delete",
            post(delete_procedure),
        )
}

// ---- form helpers --------------------------------------------------------------------------

/// A urlencoded form with repeated keys (check boxes).
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    pub fn get(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }
    /// The trimmed value; `None` when empty.
    pub fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k).trim().to_owned()).filter(|s| !s.is_empty())
    }
    pub fn all(&self, k: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .collect()
    }
    pub fn on(&self, k: &str) -> bool {
        !self.get(k).is_empty()
    }
    pub fn rev(&self) -> i64 {
        self.get("rev").trim().parse().unwrap_or(-1)
    }
}

/// The label of a form field for an error message (「答え2の表示（日本語）」).
fn field_label(l: Lang, field: &str) -> String {
    let (prefix, base) = match field.split_once('-') {
        Some((p, b)) if p.starts_with('o') || p.starts_with('b') => (Some(p), b),
        Some((p, b)) if p == "new" || p == "add" || p == "when" => (Some(p), b),
        _ => (None, field),
    };
    let key = match (prefix, base) {
        (Some("when"), _) => "navi.fl.when",
        (_, "id") | (_, "pid") => "navi.fl.id",
        (_, "value") => "navi.fl.value",
        (_, "text_ja") => "navi.fl.text_ja",
        (_, "text_en") => "navi.fl.text_en",
        (_, "label_ja") => "navi.fl.label_ja",
        (_, "label_en") => "navi.fl.label_en",
        (_, "next") => "navi.fl.next",
        (_, "name_ja") => "navi.fl.name_ja",
        (_, "name_en") => "navi.fl.name_en",
        (_, "why_ja") => "navi.fl.why_ja",
        (_, "department_ja") => "navi.fl.department_ja",
        (_, "counter_ja") => "navi.fl.counter_ja",
        (_, "length") => "navi.fl.length",
        (_, "rule_ja") => "navi.fl.rule_ja",
        (_, "opens") => "navi.fl.opens",
        (_, "if") => "navi.fl.bring_if",
        _ => "navi.fl.field",
    };
    let label = l.t(key).to_owned();
    match prefix {
        Some(p) if p.starts_with('o') && p.len() > 1 => {
            let n: usize = p[1..].parse().unwrap_or(0);
            l.t("navi.fl.option_n")
                .replace("{n}", &(n + 1).to_string())
                .replace("{field}", &label)
        }
        Some(p) if p.starts_with('b') && p.len() > 1 => {
            let n: usize = p[1..].parse().unwrap_or(0);
            l.t("navi.fl.bring_n")
                .replace("{n}", &(n + 1).to_string())
                .replace("{field}", &label)
        }
        Some("when") => label.replace("{q}", base),
        _ => label,
    }
}

/// An error shown at the top of an edit page: the field's label and id, the fix.
pub struct ErrorView {
    pub field: String,
    pub label: String,
    pub message: String,
}

fn error_view(l: Lang, e: &FieldError) -> ErrorView {
    ErrorView {
        field: e.field.clone(),
        label: field_label(l, &e.field),
        message: l.t(e.key).to_owned(),
    }
}

/// The draft, parsed, or the reason there is none to edit.
async fn draft_flow(st: &AppState, m: &str, event: &str) -> Result<(VersionRow, Flow), AppError> {
    let draft = store::draft(&st.db, m, event)
        .await?
        .ok_or(AppError::NotFound)?;
    let flow = Flow::from_json(&draft.definition).map_err(|_| AppError::NotFound)?;
    Ok((draft, flow))
}

/// Someone who may edit, for an event that exists.
async fn editor_user(
    st: &AppState,
    c: &Ctx,
    event: &str,
) -> Result<Result<UserRow, Response>, AppError> {
    let user = match staff(c) {
        Ok(u) => u,
        Err(r) => return Ok(Err(r)),
    };
    if !super::model::is_event(event) {
        return Err(AppError::NotFound);
    }
    if !may_edit(st, &user).await? {
        return Err(AppError::Forbidden);
    }
    Ok(Ok(user))
}

// ---- question page -------------------------------------------------------------------------

pub struct OptionRow {
    pub value: String,
    pub label_ja: String,
    pub label_en: String,
    pub next: String,
    pub unknown: bool,
}

#[derive(Template)]
#[template(path = "navi/staff_question.html")]
pub struct QuestionPage {
    pub c: Ctx,
    pub event: String,
    pub title: String,
    pub rev: i64,
    pub id: String,
    pub text_ja: String,
    pub text_en: String,
    pub help_ja: String,
    pub help_en: String,
    pub options: Vec<OptionRow>,
    /// (id, text) of every other question, for 「次の質問」.
    pub targets: Vec<(String, String)>,
    pub is_start: bool,
    pub has_unknown: bool,
    /// 「質問 A で『はい』」 for every answer that leads here.
    pub reached_from: Vec<String>,
    pub error: Option<ErrorView>,
}

fn question_view(
    c: Ctx,
    event: &str,
    draft: &VersionRow,
    flow: &Flow,
    id: &str,
    error: Option<ErrorView>,
) -> Result<QuestionPage, AppError> {
    let q = flow.question(id).ok_or(AppError::NotFound)?;
    let mut reached_from = Vec::new();
    for other in &flow.questions {
        for o in &other.options {
            if o.next.as_deref() == Some(id) {
                reached_from.push(format!("「{}」→「{}」", other.text_ja, o.label_ja));
            }
        }
    }
    Ok(QuestionPage {
        event: event.to_owned(),
        title: flow.title(c.l).to_owned(),
        rev: draft.updated_at,
        id: q.id.clone(),
        text_ja: q.text_ja.clone(),
        text_en: q.text_en.clone(),
        help_ja: q.help_ja.clone().unwrap_or_default(),
        help_en: q.help_en.clone().unwrap_or_default(),
        options: q
            .options
            .iter()
            .map(|o| OptionRow {
                value: o.value.clone(),
                label_ja: o.label_ja.clone(),
                label_en: o.label_en.clone(),
                next: o.next.clone().unwrap_or_default(),
                unknown: o.unknown,
            })
            .collect(),
        targets: flow
            .questions
            .iter()
            .filter(|x| x.id != id)
            .map(|x| (x.id.clone(), x.text_ja.clone()))
            .collect(),
        is_start: flow.start == id,
        has_unknown: q.options.iter().any(|o| o.unknown),
        reached_from,
        error,
        c,
    })
}

async fn question_page(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    if let Err(r) = editor_user(&st, &c, &event).await? {
        return Ok(r);
    }
    let (draft, flow) = draft_flow(&st, &c.tenant.id, &event).await?;
    Ok(render(&question_view(c, &event, &draft, &flow, &id, None)?)?.into_response())
}

// ---- procedure page ------------------------------------------------------------------------

pub struct WhenOption {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

pub struct WhenRow {
    pub q: String,
    pub text: String,
    /// "", "is" or "not".
    pub mode: &'static str,
    pub options: Vec<WhenOption>,
}

pub struct BringRow {
    pub ja: String,
    pub en: String,
    pub cond: String,
}

#[derive(Template)]
#[template(path = "navi/staff_procedure.html")]
pub struct ProcedurePage {
    pub c: Ctx,
    pub event: String,
    pub title: String,
    pub rev: i64,
    pub id: String,
    pub name_ja: String,
    pub name_en: String,
    pub why_ja: String,
    pub why_en: String,
    pub department_ja: String,
    pub department_en: String,
    pub counter_ja: String,
    pub counter_en: String,
    pub counter_confirmed: bool,
    pub counter_note: String,
    pub has_deadline: bool,
    pub length: String,
    pub unit: &'static str,
    pub count: &'static str,
    pub rule_ja: String,
    pub rule_en: String,
    pub basis: String,
    pub opens: String,
    pub fixed: bool,
    pub deadline_text_ja: String,
    pub deadline_text_en: String,
    pub bring: Vec<BringRow>,
    pub note_ja: String,
    pub note_en: String,
    pub catalogue: String,
    /// (slug, name, online) of the procedure catalogue.
    pub catalogue_entries: Vec<(String, String, bool)>,
    pub source: String,
    pub elsewhere: bool,
    /// The condition can be edited here (one clause per question).
    pub when_editable: bool,
    pub when_json: String,
    pub when_rows: Vec<WhenRow>,
    /// (question id, value) pairs, to help writing a 持ち物 condition.
    pub answer_ids: Vec<String>,
    pub error: Option<ErrorView>,
}

async fn procedure_view(
    st: &AppState,
    c: Ctx,
    event: &str,
    draft: &VersionRow,
    flow: &Flow,
    id: &str,
    error: Option<ErrorView>,
) -> Result<ProcedurePage, AppError> {
    let p = flow.procedure(id).ok_or(AppError::NotFound)?;
    let l = c.l;
    let clauses = fields::clauses_of(p.when.as_ref());
    let when_rows = flow
        .questions
        .iter()
        .map(|q| {
            let clause = clauses
                .as_ref()
                .and_then(|cs| cs.iter().find(|cl| cl.q == q.id));
            WhenRow {
                q: q.id.clone(),
                text: q.text_ja.clone(),
                mode: match clause {
                    None => "",
                    Some(cl) if cl.negate => "not",
                    Some(_) => "is",
                },
                options: q
                    .options
                    .iter()
                    .map(|o| WhenOption {
                        value: o.value.clone(),
                        label: o.label_ja.clone(),
                        checked: clause.is_some_and(|cl| cl.values.contains(&o.value)),
                    })
                    .collect(),
            }
        })
        .collect();
    let mut bring: Vec<BringRow> = p
        .bring
        .iter()
        .map(|b| match b {
            Bring::Text(t) => BringRow {
                ja: t.clone(),
                en: String::new(),
                cond: String::new(),
            },
            Bring::When { ja, en, when } => BringRow {
                ja: ja.clone(),
                en: en.clone().unwrap_or_default(),
                cond: fields::bring_if_text(when),
            },
        })
        .collect();
    // Two empty rows to add lines.
    for _ in 0..2 {
        bring.push(BringRow {
            ja: String::new(),
            en: String::new(),
            cond: String::new(),
        });
    }
    let catalogue_entries: Vec<(String, String, bool)> =
        catalogue_store::list(&st.db, &c.tenant.id, &Filter::new("", None, None))
            .await?
            .into_iter()
            .map(|r| {
                let name = if l == Lang::En { r.name_en } else { r.name_ja };
                (r.slug, name, r.online)
            })
            .collect();
    let mut catalogue_entries: Vec<(String, String, bool)> = catalogue_entries;
    if let Some(slug) = &p.catalogue
        && !catalogue_entries.iter().any(|(s, _, _)| s == slug)
    {
        // Kept even when this municipality's catalogue has no such entry (yet).
        catalogue_entries.push((slug.clone(), slug.clone(), false));
    }
    let d = p.deadline.as_ref();
    Ok(ProcedurePage {
        event: event.to_owned(),
        title: flow.title(l).to_owned(),
        rev: draft.updated_at,
        id: p.id.clone(),
        name_ja: p.name_ja.clone(),
        name_en: p.name_en.clone(),
        why_ja: p.why_ja.clone(),
        why_en: p.why_en.clone().unwrap_or_default(),
        department_ja: p.department_ja.clone(),
        department_en: p.department_en.clone().unwrap_or_default(),
        counter_ja: p.counter_ja.clone(),
        counter_en: p.counter_en.clone().unwrap_or_default(),
        counter_confirmed: p.counter_confirmed,
        counter_note: p.counter_note.clone().unwrap_or_default(),
        has_deadline: d.is_some(),
        length: d.map(|d| d.length.to_string()).unwrap_or_default(),
        unit: match d.map(|d| d.unit) {
            Some(Unit::Months) => "months",
            Some(Unit::Years) => "years",
            _ => "days",
        },
        count: match d.map(|d| d.count) {
            Some(Count::FromEventDay) => "from_event_day",
            _ => "from_next_day",
        },
        rule_ja: d.map(|d| d.rule_ja.clone()).unwrap_or_default(),
        rule_en: d.and_then(|d| d.rule_en.clone()).unwrap_or_default(),
        basis: d.and_then(|d| d.basis.clone()).unwrap_or_default(),
        opens: d
            .and_then(|d| d.opens_days_before)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        fixed: d.is_some_and(|d| d.fixed),
        deadline_text_ja: p.deadline_text_ja.clone().unwrap_or_default(),
        deadline_text_en: p.deadline_text_en.clone().unwrap_or_default(),
        bring,
        note_ja: p.note_ja.clone().unwrap_or_default(),
        note_en: p.note_en.clone().unwrap_or_default(),
        catalogue: p.catalogue.clone().unwrap_or_default(),
        catalogue_entries,
        source: p.source.clone().unwrap_or_default(),
        elsewhere: p.elsewhere,
        when_editable: clauses.is_some(),
        when_json: p
            .when
            .as_ref()
            .map(|w| serde_json::to_string(w).unwrap_or_default())
            .unwrap_or_default(),
        when_rows,
        answer_ids: flow
            .questions
            .iter()
            .map(|q| {
                format!(
                    "{}（{}）= {}",
                    q.id,
                    q.text_ja,
                    q.options
                        .iter()
                        .map(|o| format!("{}（{}）", o.value, o.label_ja))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect(),
        error,
        c,
    })
}

async fn procedure_page(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    if let Err(r) = editor_user(&st, &c, &event).await? {
        return Ok(r);
    }
    let (draft, flow) = draft_flow(&st, &c.tenant.id, &event).await?;
    let page = procedure_view(&st, c, &event, &draft, &flow, &id, None).await?;
    Ok(render(&page)?.into_response())
}

// ---- applying one change -------------------------------------------------------------------

/// Where the editor goes back to after a change, and where an error is shown.
enum Back {
    Overview,
    Question(String),
    Procedure(String),
}

/// Applies `edit` to the draft and redirects; on a refused field, shows the page again with
/// the message (422) and nothing changed.
async fn run(
    st: &AppState,
    c: Ctx,
    user: &UserRow,
    event: &str,
    rev: i64,
    edit: Result<Edit, FieldError>,
    back: Back,
) -> Result<Response, AppError> {
    let m = c.tenant.id.clone();
    let result = match edit {
        Ok(e) => versions::edit_draft(&st.db, &Actor::User(user.id), &m, event, rev, &e)
            .await
            .map(|_| e),
        Err(f) => Err(VersionError::Field(f)),
    };
    match result {
        Ok(e) => {
            let to = match (&back, &e) {
                (_, Edit::DeleteQuestion { .. } | Edit::DeleteProcedure { .. }) => {
                    format!("/staff/navi/{event}?done=edited")
                }
                (_, Edit::AddQuestion { id, .. }) => {
                    format!("/staff/navi/{event}/questions/{id}?done=edited")
                }
                (_, Edit::AddProcedure { id, .. }) => {
                    format!("/staff/navi/{event}/procedures/{id}?done=edited")
                }
                (Back::Overview, _) => format!("/staff/navi/{event}?done=edited"),
                (Back::Question(id), _) => {
                    format!("/staff/navi/{event}/questions/{id}?done=edited")
                }
                (Back::Procedure(id), _) => {
                    format!("/staff/navi/{event}/procedures/{id}?done=edited")
                }
            };
            Ok(Redirect::to(&to).into_response())
        }
        Err(VersionError::Db(e)) => Err(e.into()),
        Err(VersionError::NoDraft) => Err(AppError::NotFound),
        Err(err) => {
            let fe = match &err {
                VersionError::Field(f) => f.clone(),
                other => FieldError {
                    field: "id".into(),
                    key: other.key(),
                },
            };
            let l = c.l;
            let (draft, flow) = draft_flow(st, &m, event).await?;
            let mut r = match back {
                Back::Question(id) if flow.question(&id).is_some() => render(&question_view(
                    c,
                    event,
                    &draft,
                    &flow,
                    &id,
                    Some(error_view(l, &fe)),
                )?)?
                .into_response(),
                Back::Procedure(id) if flow.procedure(&id).is_some() => {
                    let page =
                        procedure_view(st, c, event, &draft, &flow, &id, Some(error_view(l, &fe)))
                            .await?;
                    render(&page)?.into_response()
                }
                _ => {
                    super::staff::overview_with_error(st, c, user, event, error_view(l, &fe))
                        .await?
                }
            };
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

macro_rules! editor_guard {
    ($st:expr, $c:expr, $event:expr) => {
        match editor_user(&$st, &$c, &$event).await? {
            Ok(u) => u,
            Err(r) => return Ok(r),
        }
    };
}

async fn add_question(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    let edit = Edit::AddQuestion {
        id: f.get("id").trim().to_owned(),
        text_ja: f.get("text_ja").to_owned(),
        text_en: f.get("text_en").to_owned(),
    };
    run(&st, c, &user, &event, f.rev(), Ok(edit), Back::Overview).await
}

async fn update_question(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    let values = f.all("o-value");
    let options = values
        .iter()
        .enumerate()
        .map(|(i, v)| OptionFields {
            value: v.clone(),
            label_ja: f.get(&format!("o{i}-label_ja")).to_owned(),
            label_en: f.get(&format!("o{i}-label_en")).to_owned(),
            next: f.opt(&format!("o{i}-next")),
            unknown: f.on(&format!("o{i}-unknown")),
        })
        .collect();
    let edit = Edit::UpdateQuestion {
        id: id.clone(),
        text_ja: f.get("text_ja").to_owned(),
        text_en: f.get("text_en").to_owned(),
        help_ja: f.opt("help_ja"),
        help_en: f.opt("help_en"),
        options,
    };
    run(&st, c, &user, &event, f.rev(), Ok(edit), Back::Question(id)).await
}

async fn add_option(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    let option = if f.get("preset") == "unknown" {
        OptionFields {
            value: "unknown".into(),
            label_ja: "わからない".into(),
            label_en: "Not sure".into(),
            next: f.opt("next"),
            unknown: true,
        }
    } else {
        OptionFields {
            value: f.get("value").trim().to_owned(),
            label_ja: f.get("label_ja").to_owned(),
            label_en: f.get("label_en").to_owned(),
            next: f.opt("next"),
            unknown: f.on("unknown"),
        }
    };
    let edit = Edit::AddOption {
        q: id.clone(),
        option,
    };
    run(&st, c, &user, &event, f.rev(), Ok(edit), Back::Question(id)).await
}

async fn delete_option(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id, value)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    let edit = Edit::DeleteOption {
        q: id.clone(),
        value,
    };
    run(&st, c, &user, &event, f.rev(), Ok(edit), Back::Question(id)).await
}

async fn move_question(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    let edit = Edit::MoveQuestion {
        id,
        up: f.get("dir") == "up",
    };
    run(&st, c, &user, &event, f.rev(), Ok(edit), Back::Overview).await
}

async fn delete_question(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    run(
        &st,
        c,
        &user,
        &event,
        f.rev(),
        Ok(Edit::DeleteQuestion { id }),
        Back::Overview,
    )
    .await
}

async fn set_start(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    let back = Back::Question(id.clone());
    run(
        &st,
        c,
        &user,
        &event,
        f.rev(),
        Ok(Edit::SetStart { id }),
        back,
    )
    .await
}

async fn add_procedure(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    let edit = Edit::AddProcedure {
        id: f.get("id").trim().to_owned(),
        name_ja: f.get("name_ja").to_owned(),
        name_en: f.get("name_en").to_owned(),
    };
    run(&st, c, &user, &event, f.rev(), Ok(edit), Back::Overview).await
}

/// Reads the procedure form; a field that is not a number or a condition is refused here.
fn procedure_fields(flow: &Flow, f: &FormData) -> Result<ProcedureFields, FieldError> {
    let bad = |field: &str, key: &'static str| FieldError {
        field: field.to_owned(),
        key,
    };
    let deadline = if f.get("deadline") == "computed" {
        let length: u32 = f
            .get("length")
            .trim()
            .parse()
            .map_err(|_| bad("length", "navi.fe.length"))?;
        let opens = match f.opt("opens") {
            None => None,
            Some(s) => Some(s.parse().map_err(|_| bad("opens", "navi.fe.number"))?),
        };
        Some(Deadline {
            length,
            unit: match f.get("unit") {
                "months" => Unit::Months,
                "years" => Unit::Years,
                _ => Unit::Days,
            },
            count: match f.get("count") {
                "from_event_day" => Count::FromEventDay,
                _ => Count::FromNextDay,
            },
            rule_ja: f.get("rule_ja").trim().to_owned(),
            rule_en: f.opt("rule_en"),
            basis: f.opt("basis"),
            opens_days_before: opens,
            fixed: f.on("fixed"),
        })
    } else {
        None
    };
    let mut bring = Vec::new();
    for i in 0..f.all("b-row").len() {
        let Some(ja) = f.opt(&format!("b{i}-ja")) else {
            continue;
        };
        let en = f.opt(&format!("b{i}-en"));
        match fields::parse_bring_if(f.get(&format!("b{i}-if"))) {
            None => return Err(bad(&format!("b{i}-if"), "navi.fe.bring_if")),
            Some(None) if en.is_none() => bring.push(Bring::Text(ja)),
            Some(None) => bring.push(Bring::When {
                ja,
                en,
                // Always true: an `all` of nothing.
                when: super::model::Cond::All { all: Vec::new() },
            }),
            Some(Some(when)) => bring.push(Bring::When { ja, en, when }),
        }
    }
    let when = if f.on("when_form") {
        let mut clauses = Vec::new();
        for q in &flow.questions {
            let mode = f.get(&format!("when-{}", q.id));
            if mode == "is" || mode == "not" {
                clauses.push(Clause {
                    q: q.id.clone(),
                    negate: mode == "not",
                    values: f.all(&format!("when-{}-v", q.id)),
                });
            }
        }
        Some(clauses)
    } else {
        None
    };
    Ok(ProcedureFields {
        name_ja: f.get("name_ja").to_owned(),
        name_en: f.get("name_en").to_owned(),
        why_ja: f.get("why_ja").to_owned(),
        why_en: f.opt("why_en"),
        department_ja: f.get("department_ja").to_owned(),
        department_en: f.opt("department_en"),
        counter_ja: f.get("counter_ja").to_owned(),
        counter_en: f.opt("counter_en"),
        counter_confirmed: f.on("counter_confirmed"),
        counter_note: f.opt("counter_note"),
        deadline,
        deadline_text_ja: f.opt("deadline_text_ja"),
        deadline_text_en: f.opt("deadline_text_en"),
        bring,
        note_ja: f.opt("note_ja"),
        note_en: f.opt("note_en"),
        catalogue: f.opt("catalogue"),
        source: f.opt("source"),
        when,
        elsewhere: f.on("elsewhere"),
    })
}

async fn update_procedure(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    let (_, flow) = draft_flow(&st, &c.tenant.id, &event).await?;
    let edit = procedure_fields(&flow, &f).map(|fields| Edit::UpdateProcedure {
        id: id.clone(),
        fields: Box::new(fields),
    });
    run(&st, c, &user, &event, f.rev(), edit, Back::Procedure(id)).await
}

async fn move_procedure(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    let edit = Edit::MoveProcedure {
        id,
        up: f.get("dir") == "up",
    };
    run(&st, c, &user, &event, f.rev(), Ok(edit), Back::Overview).await
}

async fn delete_procedure(
    State(st): State<AppState>,
    c: Ctx,
    Path((event, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let f = FormData::parse(&body);
    run(
        &st,
        c,
        &user,
        &event,
        f.rev(),
        Ok(Edit::DeleteProcedure { id }),
        Back::Overview,
    )
    .await
}

// ---- export / import -----------------------------------------------------------------------

/// The draft (or, without one, the live flow) as a JSON file. Any staff member may export.
async fn export(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
) -> Result<Response, AppError> {
    if let Err(r) = staff(&c) {
        return Ok(r);
    }
    let m = c.tenant.id.clone();
    let (text, version) = match store::draft(&st.db, &m, &event).await? {
        Some(d) => (d.definition, Some(d.version)),
        None => {
            let (flow, v) = versions::live(&st.db, &m, &event)
                .await?
                .ok_or(AppError::NotFound)?;
            (flow.to_json_pretty(), v)
        }
    };
    let name = match version {
        Some(v) => format!("navi-{event}-v{v}.json"),
        None => format!("navi-{event}.json"),
    };
    let mut r = text.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

/// A multipart upload (`file`) that becomes the draft.
async fn import(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let user = editor_guard!(st, c, event);
    let mut text = String::new();
    while let Ok(Some(field)) = mp.next_field().await {
        if field.name() == Some("file") {
            let bytes = field.bytes().await.map_err(|_| AppError::BadRequest)?;
            text = String::from_utf8_lossy(&bytes).trim().to_owned();
        }
    }
    let l = c.l;
    let refused = |key: &'static str| FieldError {
        field: "file".into(),
        key,
    };
    let e = if text.is_empty() {
        refused("navi.fe.import_empty")
    } else {
        match versions::import(&st.db, &Actor::User(user.id), &c.tenant.id, &event, &text).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/staff/navi/{event}?done=imported")).into_response()
                );
            }
            Err(VersionError::Db(e)) => return Err(e.into()),
            Err(VersionError::Parse(_)) => refused("navi.err.parse"),
            Err(other) => refused(other.key()),
        }
    };
    let mut r = super::staff::overview_with_error(&st, c, &user, &event, error_view(l, &e)).await?;
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}
