//! The public page of one route's ledger sheet (調書), `/roads/routes/{id}`: the route, the
//! current version of its 調書 and the list of its versions (台帳補正の履歴). Plain HTML.

use askama::Template;
use axum::Router;
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::model::{LedgerSheet, Route, Section, SheetRow};
use super::store::{self, Filter};
use super::views::ViewCounter;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new().route("/roads/routes/{id}", get(page))
}

#[derive(Template)]
#[template(path = "roads/sheet.html")]
struct SheetPage {
    c: Ctx,
    r: Route,
    class_key: &'static str,
    sheet: LedgerSheet,
    versions: Vec<SheetRow>,
    sections: usize,
}

async fn page(
    State(st): State<AppState>,
    Extension(views): Extension<ViewCounter>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let m = c.tenant.id.clone();
    let r: Route = store::get(&st.db, &m, id)
        .await?
        .filter(|r: &Route| r.public)
        .ok_or(AppError::NotFound)?;
    let versions = store::sheet_versions(&st.db, &m, id).await?;
    let sheet = versions.first().map(SheetRow::sheet).unwrap_or_default();
    let sections = store::count::<Section>(
        &st.db,
        &m,
        &Filter {
            route_id: Some(id),
            public_only: true,
            ..Default::default()
        },
    )
    .await? as usize;
    views.count(&st.db, &m, "map");
    let class_key = match r.route_class.as_str() {
        "1" => "roads.class.1",
        "2" => "roads.class.2",
        _ => "roads.class.other",
    };
    Ok(render(&SheetPage {
        c,
        r,
        class_key,
        sheet,
        versions,
        sections,
    })?
    .into_response())
}
