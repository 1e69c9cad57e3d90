//! Resident pages: `/navi` (the seven events) and `/navi/{event}` (start page with the date,
//! then one question per page, then the checklist). Everything is a GET with the answers in
//! the query string keyed by question id, so back, bookmarks, sharing and printing work
//! without JavaScript (smart-answers ADR 002, life-event-navigator.md §4).

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Html;
use axum::routing::get;

use super::engine::{self, Step};
use super::model::{EVENTS, Flow};
use super::versions;
use super::view::{self, AnsweredView, Catalogue, Input, ItemView, QuestionView};
use crate::db::Db;
use crate::procedures::store::{self as catalogue_store, Filter};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/navi", get(index))
        .route("/navi/{event}", get(flow_page))
}

/// slug → online, for the checklist's links into the procedure catalogue.
pub async fn catalogue(db: &Db, municipality: &str) -> Result<Catalogue, sqlx::Error> {
    Ok(
        catalogue_store::list(db, municipality, &Filter::new("", None, None))
            .await?
            .into_iter()
            .map(|r| (r.slug, r.online))
            .collect(),
    )
}

pub struct EventLink {
    pub event: &'static str,
    pub title: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "navi/index.html")]
pub struct IndexPage {
    pub c: Ctx,
    pub events: Vec<EventLink>,
}

pub async fn event_links(st: &AppState, m: &str, l: Lang) -> Result<Vec<EventLink>, AppError> {
    let mut events = Vec::new();
    for e in EVENTS {
        if let Some((flow, _)) = versions::live(&st.db, m, e).await? {
            events.push(EventLink {
                event: e,
                title: flow.title(l).to_owned(),
                summary: flow.summary(l).to_owned(),
            });
        }
    }
    Ok(events)
}

async fn index(State(st): State<AppState>, c: Ctx) -> Result<Html<String>, AppError> {
    let events = event_links(&st, &c.tenant.id, c.l).await?;
    render(&IndexPage { c, events })
}

/// Where the flow page is mounted and what it adds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Resident,
    /// Staff preview of a draft (labelled, not indexed).
    Preview,
    /// Counter mode: the checklist ends with 「来庁記録を作成」.
    Counter,
}

#[derive(Template)]
#[template(path = "navi/flow.html")]
pub struct FlowPage {
    pub c: Ctx,
    pub mode: Mode,
    pub event: String,
    pub title: String,
    pub summary: String,
    pub base: String,
    /// "start", "ask" or "done".
    pub stage: &'static str,
    pub date_label: String,
    pub date_value: String,
    pub date_error: bool,
    pub date_shown: Option<String>,
    pub question: Option<QuestionView>,
    pub hidden: Vec<(String, String)>,
    pub answered: Vec<AnsweredView>,
    pub back_href: Option<String>,
    pub items: Vec<ItemView>,
    /// Path and query of the checklist (to share, bookmark, print).
    pub share_href: String,
    /// The answers as a query string (counter mode stores it with the visit).
    pub answers_query: String,
    pub version: Option<i64>,
}

impl FlowPage {
    pub fn is_preview(&self) -> bool {
        self.mode == Mode::Preview
    }
    pub fn is_counter(&self) -> bool {
        self.mode == Mode::Counter
    }
    pub fn count_text(&self) -> String {
        self.c
            .l
            .t("navi.count")
            .replace("{n}", &self.items.len().to_string())
    }
}

/// Builds the page for any mode from the flow and the query string.
pub fn build(
    c: Ctx,
    mode: Mode,
    flow: &Flow,
    version: Option<i64>,
    base: String,
    query: &str,
    cat: &Catalogue,
) -> FlowPage {
    let l = c.l;
    let input = Input::from_query(flow, query);
    let (date, date_error) = match input.date() {
        Ok(d) => (d, false),
        Err(view::BadDate) => (None, true),
    };
    let date_value = input.date_raw.clone().unwrap_or_default();
    let mut page = FlowPage {
        mode,
        event: flow.event.clone(),
        title: flow.title(l).to_owned(),
        summary: flow.summary(l).to_owned(),
        stage: "start",
        date_label: flow.date_label(l).to_owned(),
        date_value: date_value.clone(),
        date_error,
        date_shown: date.map(|d| super::deadline::display(l, d)),
        question: None,
        hidden: Vec::new(),
        answered: Vec::new(),
        back_href: None,
        items: Vec::new(),
        share_href: base.clone(),
        answers_query: String::new(),
        version,
        base,
        c,
    };
    // The start page until a date (possibly empty) was given and it is valid.
    if input.date_raw.is_none() || date_error {
        page.hidden = input
            .answers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        return page;
    }
    let date_param = date.map(super::deadline::iso).unwrap_or_default();
    let step = engine::evaluate(flow, &input.answers, date);
    let path = match &step {
        Step::Ask { path, .. } => path.clone(),
        Step::Done(list) => list.path.clone(),
    };
    page.answered = view::answered(l, &page.base, Some(&date_param), &path);
    page.hidden = view::hidden(Some(&date_param), &path);
    page.back_href = Some(if path.is_empty() {
        view::href(&page.base, None, &[])
    } else {
        view::href(&page.base, Some(&date_param), &path[..path.len() - 1])
    });
    page.share_href = view::href(&page.base, Some(&date_param), &path);
    page.answers_query = engine::path_query(&path);
    match &step {
        Step::Ask { .. } => {
            page.stage = "ask";
            page.question = view::question(l, &step);
        }
        Step::Done(list) => {
            page.stage = "done";
            page.items = view::items(l, list, cat);
        }
    }
    page
}

async fn flow_page(
    State(st): State<AppState>,
    c: Ctx,
    Path(event): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Html<String>, AppError> {
    let (flow, version) = versions::live(&st.db, &c.tenant.id, &event)
        .await?
        .ok_or(AppError::NotFound)?;
    let cat = catalogue(&st.db, &c.tenant.id).await?;
    let page = build(
        c,
        Mode::Resident,
        &flow,
        version,
        format!("/navi/{event}"),
        query.as_deref().unwrap_or(""),
        &cat,
    );
    render(&page)
}
