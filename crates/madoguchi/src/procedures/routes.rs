//! Public catalogue pages: `/procedures` (search and filters, a plain GET form that works
//! without JavaScript), `/procedures/{slug}` (everything about one procedure) and
//! `/procedures/{slug}/apply` (the online form's start page) lives in `runner`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use axum::routing::get;
use serde::Deserialize;

use super::model::{LifeEvent, fee_label, processing_label};
use super::store::{self, Filter, ProcedureRow};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/procedures", get(list))
        .route("/procedures/{slug}", get(detail))
}

/// One procedure as a page shows it, in the page's language.
pub struct View {
    pub slug: String,
    pub name: String,
    pub summary: String,
    pub department: Option<String>,
    pub online: bool,
    pub fee: String,
    pub processing: String,
    pub identity_key: &'static str,
    pub events: Vec<(&'static str, &'static str)>,
    pub eligibility: String,
    pub documents: Vec<String>,
    pub legal_basis: String,
}

impl View {
    pub fn new(l: Lang, r: &ProcedureRow) -> View {
        let (name, summary, department) = match l {
            Lang::Ja => (&r.name_ja, &r.summary_ja, &r.department_name_ja),
            Lang::En => (&r.name_en, &r.summary_en, &r.department_name_en),
        };
        View {
            slug: r.slug.clone(),
            name: name.clone(),
            summary: summary.clone(),
            department: department.clone(),
            online: r.online,
            fee: fee_label(l, r.fee_yen),
            processing: processing_label(l, r.processing_days),
            identity_key: r.identity().key(),
            events: r
                .events()
                .into_iter()
                .map(|e| (e.as_str(), l.t(e.key())))
                .collect(),
            eligibility: r.eligibility_ja.clone(),
            documents: r.documents().into_iter().map(str::to_owned).collect(),
            legal_basis: r.legal_basis.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "procedures/list.html")]
pub struct ListPage {
    pub c: Ctx,
    pub q: String,
    pub life_event: String,
    pub online_only: bool,
    /// (tag, label) for the select.
    pub events: Vec<(&'static str, &'static str)>,
    pub items: Vec<View>,
    pub count_text: String,
    /// Whether any search or filter is applied (to word the result heading).
    pub filtered: bool,
}

#[derive(Template)]
#[template(path = "procedures/detail.html")]
pub struct DetailPage {
    pub c: Ctx,
    pub p: View,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub life_event: Option<String>,
    #[serde(default)]
    pub online: Option<String>,
}

async fn list(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, AppError> {
    // An unknown life event (an old bookmark) is ignored rather than refused.
    let life_event = q.life_event.as_deref().and_then(LifeEvent::parse);
    let online_only = matches!(q.online.as_deref(), Some("1" | "true" | "on"));
    let text = q.q.unwrap_or_default();
    let filter = Filter::new(&text, life_event, online_only.then_some(true));
    let rows = store::list(&st.db, &c.tenant.id, &filter).await?;
    let l = c.l;
    let items: Vec<View> = rows.iter().map(|r| View::new(l, r)).collect();
    let count_text = l.t("proc.count").replace("{n}", &items.len().to_string());
    let filtered = !filter.tokens.is_empty() || life_event.is_some() || online_only;
    render(&ListPage {
        events: LifeEvent::ALL
            .iter()
            .map(|e| (e.as_str(), l.t(e.key())))
            .collect(),
        c,
        q: text
            .chars()
            .take(store::MAX_QUERY_CHARS)
            .collect::<String>()
            .trim()
            .to_owned(),
        life_event: life_event
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        online_only,
        items,
        count_text,
        filtered,
    })
}

/// The procedure with this slug in the request's municipality, as its pages show it.
async fn view(st: &AppState, c: &Ctx, slug: &str) -> Result<View, AppError> {
    let row = store::find_by_slug(&st.db, &c.tenant.id, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(View::new(c.l, &row))
}

async fn detail(
    State(st): State<AppState>,
    c: Ctx,
    Path(slug): Path<String>,
) -> Result<Html<String>, AppError> {
    let p = view(&st, &c, &slug).await?;
    render(&DetailPage { c, p })
}
