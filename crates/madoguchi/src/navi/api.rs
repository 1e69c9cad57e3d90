//! JSON API (public, no token): the events, one event's questions, and the next question or
//! the checklist for answers given as query parameters keyed by question id.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use super::engine::{self, Step};
use super::model::{EVENTS, Flow};
use super::versions;
use super::view::{self, Input};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::json_error;
use crate::web::i18n::Lang;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/navi/events", get(list_events))
        .route("/api/v1/navi/events/{event}", get(get_event))
        .route("/api/v1/navi/events/{event}/checklist", get(get_checklist))
}

#[derive(Serialize, ToSchema)]
pub struct EventSummary {
    #[schema(example = "tennyu")]
    pub event: String,
    #[schema(example = "転入（市外から市川市へ引っ越した）")]
    pub title: String,
    pub summary: String,
    /// What the `date` parameter means for this event.
    pub date_label: String,
    /// Published version number; null while the shipped flow is in use.
    pub version: Option<i64>,
    /// The resident web page.
    #[schema(example = "/navi/tennyu")]
    pub web_path: String,
}

#[derive(Serialize, ToSchema)]
pub struct OptionOut {
    #[schema(example = "yes")]
    pub value: String,
    #[schema(example = "はい")]
    pub label: String,
    /// The next question's id; null when the checklist follows.
    pub next: Option<String>,
    /// The 「わからない」 answer.
    pub unknown: bool,
}

#[derive(Serialize, ToSchema)]
pub struct QuestionOut {
    #[schema(example = "card")]
    pub id: String,
    pub text: String,
    pub help: Option<String>,
    pub options: Vec<OptionOut>,
}

#[derive(Serialize, ToSchema)]
pub struct EventOut {
    #[serde(flatten)]
    pub summary: EventSummary,
    /// Id of the first question.
    pub start: String,
    pub questions: Vec<QuestionOut>,
}

#[derive(Serialize, ToSchema)]
pub struct AnswerOut {
    pub question: String,
    pub value: String,
}

#[derive(Serialize, ToSchema)]
pub struct ItemOut {
    #[schema(example = "tennyu")]
    pub id: String,
    pub name: String,
    pub why: String,
    pub department: String,
    pub counter: String,
    /// The deadline rule in words.
    pub deadline_rule: String,
    /// The period's last day by the calendar (YYYY-MM-DD; 民法第140条〜第143条) when `date`
    /// was given and the deadline is computed. Not moved past closed days, so never later
    /// than the real deadline; see `last_open_day`.
    #[schema(example = "2026-05-03")]
    pub due: Option<String>,
    /// The day the procedure is still on time (YYYY-MM-DD): `due`, or the next day the city
    /// hall is open when `due` is a weekend, a national holiday or 12/29–1/3 (民法第142条).
    #[schema(example = "2026-05-07")]
    pub last_open_day: Option<String>,
    /// Set when `due` is a closed day: why, and until when (「期限の日（…）が閉庁日（…）のため、
    /// 次の開庁日（…）まで」).
    pub due_moved: Option<String>,
    pub bring: Vec<String>,
    pub note: Option<String>,
    /// Listed only because of a 「わからない」 answer.
    pub uncertain: bool,
    /// The online application's path, when the catalogue has it online.
    pub apply_online: Option<String>,
    /// True when it must be done at the city hall (no online application, not elsewhere).
    pub visit_required: bool,
    /// Slug in the procedure catalogue.
    pub catalogue: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StepOut {
    pub event: String,
    /// `question` (answer `next_question`) or `checklist`.
    #[schema(example = "checklist")]
    pub kind: String,
    /// The answers on the path, in order (others are ignored).
    pub answers: Vec<AnswerOut>,
    /// The next question, when `kind` is `question`.
    pub next_question: Option<QuestionOut>,
    /// True when the answers held a value for the next question that is not one of its options.
    pub invalid_answer: bool,
    /// The event date used, YYYY-MM-DD.
    pub date: Option<String>,
    pub checklist: Vec<ItemOut>,
    /// The same state as a resident web page.
    pub web_path: String,
}

fn summary(flow: &Flow, version: Option<i64>, l: Lang) -> EventSummary {
    EventSummary {
        event: flow.event.clone(),
        title: flow.title(l).to_owned(),
        summary: flow.summary(l).to_owned(),
        date_label: flow.date_label(l).to_owned(),
        version,
        web_path: format!("/navi/{}", flow.event),
    }
}

fn question_out(q: &super::model::Question, l: Lang) -> QuestionOut {
    QuestionOut {
        id: q.id.clone(),
        text: q.text(l).to_owned(),
        help: q.help(l).map(str::to_owned),
        options: q
            .options
            .iter()
            .map(|o| OptionOut {
                value: o.value.clone(),
                label: o.label(l).to_owned(),
                next: o.next.clone(),
                unknown: o.unknown,
            })
            .collect(),
    }
}

fn internal(e: sqlx::Error, l: Lang) -> Response {
    tracing::error!(error = %e, "navi api");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        l.t("err.internal"),
    )
}

fn not_found(l: Lang) -> Response {
    json_error(StatusCode::NOT_FOUND, "not_found", l.t("err.not_found"))
}

/// The seven life events.
#[utoipa::path(get, path = "/api/v1/navi/events", tag = "navi",
    responses((status = 200, body = [EventSummary], description = "The life events, in menu order")))]
pub(crate) async fn list_events(State(st): State<AppState>, c: Ctx) -> Response {
    let mut out = Vec::new();
    for e in EVENTS {
        match versions::live(&st.db, &c.tenant.id, e).await {
            Ok(Some((flow, v))) => out.push(summary(&flow, v, c.l)),
            Ok(None) => {}
            Err(err) => return internal(err, c.l),
        }
    }
    Json(out).into_response()
}

/// One event with all its questions and their options.
#[utoipa::path(get, path = "/api/v1/navi/events/{event}", tag = "navi",
    params(("event" = String, Path, description = "tennyu, tenshutsu, tenkyo, shussei, konin, rikon or shibo", example = "shussei")),
    responses(
        (status = 200, body = EventOut),
        (status = 404, body = crate::api::ErrorBody, description = "Not one of the seven events"),
    ))]
pub(crate) async fn get_event(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
) -> Response {
    match versions::live(&st.db, &c.tenant.id, &event).await {
        Ok(Some((flow, v))) => Json(EventOut {
            summary: summary(&flow, v, c.l),
            start: flow.start.clone(),
            questions: flow
                .questions
                .iter()
                .map(|q| question_out(q, c.l))
                .collect(),
        })
        .into_response(),
        Ok(None) => not_found(c.l),
        Err(e) => internal(e, c.l),
    }
}

/// The next question, or the checklist with deadlines computed from `date`.
/// Query parameters are the answers keyed by question id (`card=yes&kokuho=no`) and
/// optionally `date=YYYY-MM-DD`; parameters that are not questions on the path are ignored.
#[utoipa::path(get, path = "/api/v1/navi/events/{event}/checklist", tag = "navi",
    params(
        ("event" = String, Path, description = "The life event", example = "shussei"),
        ("date" = Option<String>, Query, description = "Event date, YYYY-MM-DD", example = "2026-04-01"),
    ),
    responses(
        (status = 200, body = StepOut, description = "The next question (kind = question) or the checklist (kind = checklist)"),
        (status = 400, body = crate::api::ErrorBody, description = "`date` is not a date"),
        (status = 404, body = crate::api::ErrorBody, description = "Not one of the seven events"),
    ))]
pub(crate) async fn get_checklist(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let l = c.l;
    let (flow, _) = match versions::live(&st.db, &c.tenant.id, &event).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(l),
        Err(e) => return internal(e, l),
    };
    let query = query.unwrap_or_default();
    let input = Input::from_query(&flow, &query);
    let Ok(date) = input.date() else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            l.t("navi.date_invalid"),
        );
    };
    let cat = match super::routes::catalogue(&st.db, &c.tenant.id).await {
        Ok(c) => c,
        Err(e) => return internal(e, l),
    };
    let step = engine::evaluate(&flow, &input.answers, date);
    Json(step_out(&flow, &step, date, &cat, l)).into_response()
}

/// The API's view of a step (also used by the tests and the bench).
pub fn step_out(
    flow: &Flow,
    step: &Step<'_>,
    date: Option<time::Date>,
    cat: &view::Catalogue,
    l: Lang,
) -> StepOut {
    let date_s = date.map(super::deadline::iso);
    let (path, next, invalid, checklist) = match step {
        Step::Ask {
            question,
            invalid,
            path,
        } => (path, Some(question_out(question, l)), *invalid, Vec::new()),
        Step::Done(list) => {
            let items = view::items(l, list, cat)
                .into_iter()
                .zip(list.items.iter())
                .map(|(v, it)| ItemOut {
                    id: v.id,
                    name: v.name,
                    why: v.why,
                    department: v.department,
                    counter: v.counter,
                    deadline_rule: v.deadline_rule,
                    due: v.due_iso,
                    last_open_day: v.due_open_iso,
                    due_moved: v.due_moved,
                    bring: v.bring,
                    note: v.note,
                    uncertain: v.uncertain,
                    visit_required: v.online_href.is_none() && !v.elsewhere,
                    apply_online: v.online_href,
                    catalogue: it.procedure.catalogue.clone(),
                })
                .collect();
            (&list.path, None, false, items)
        }
    };
    StepOut {
        event: flow.event.clone(),
        kind: if next.is_some() {
            "question"
        } else {
            "checklist"
        }
        .to_owned(),
        answers: path
            .iter()
            .map(|a| AnswerOut {
                question: a.question.id.clone(),
                value: a.value.to_owned(),
            })
            .collect(),
        next_question: next,
        invalid_answer: invalid,
        web_path: view::href(
            &format!("/navi/{}", flow.event),
            Some(date_s.as_deref().unwrap_or("")),
            path,
        ),
        date: date_s,
        checklist,
    }
}
