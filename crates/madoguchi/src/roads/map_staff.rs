//! Staff map editing of a section (区間): `/staff/roads/map/sections/{id}` shows the section on
//! the map with its vertices as draggable markers and its attributes in a form; saving goes
//! through the roads store (`store::update`: optimistic version check, history with before and
//! after, audit, data version + 1, so the tiles change at once). The vertices are also a plain
//! text field (one "longitude, latitude" a line), so the page works without JavaScript.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::crs::{Crs, ZONE_IX, to_geographic};
use super::model::{PAVEMENTS, Route, SIDEWALKS, Section};
use super::store::{self, Editor};
use crate::audit::Actor;
use crate::auth::store::UserRow;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/roads/map/sections/{id}", get(edit_page).post(save))
}

/// Administrators and the staff of the departments in `roads_map.edit_departments`; other
/// staff get 404, as for a page that does not exist.
async fn allowed(st: &AppState, c: &Ctx) -> Result<Result<UserRow, Response>, AppError> {
    crate::web::staff::require_department_staff(st, c, &st.cfg.roads_map.edit_departments).await
}

/// The vertices of a stored LineString as "lon, lat" lines (9 decimals ≈ 0.1 mm).
pub fn vertices_text(geometry: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(geometry).unwrap_or_default();
    let mut out = String::new();
    for p in v["coordinates"].as_array().into_iter().flatten() {
        if let (Some(e), Some(n)) = (p[0].as_f64(), p[1].as_f64()) {
            let (lat, lon) = to_geographic(&ZONE_IX, n, e);
            out.push_str(&format!("{lon:.9}, {lat:.9}\n"));
        }
    }
    out
}

/// Parses the vertices field into a stored LineString (GeoJSON text, zone IX [easting,
/// northing]), or the message key of what is wrong.
pub fn parse_vertices(text: &str) -> Result<String, &'static str> {
    let mut coords = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let line = line.replace(['，', '、'], ",");
        let mut it = line.split([',', ' ', '\t']).filter(|s| !s.is_empty());
        let (Some(a), Some(b), None) = (it.next(), it.next(), it.next()) else {
            return Err("roadmap.edit_err_vertex");
        };
        let (Ok(lon), Ok(lat)) = (a.parse::<f64>(), b.parse::<f64>()) else {
            return Err("roadmap.edit_err_vertex");
        };
        // Zone IX covers 関東 and 福島; far outside it the projection is meaningless.
        if !(138.0..=142.0).contains(&lon) || !(34.0..=38.0).contains(&lat) {
            return Err("roadmap.edit_err_range");
        }
        let s = Crs::Crs84.to_storage(&geojson::Position::from([lon, lat]));
        coords.push([(s[0] * 1e4).round() / 1e4, (s[1] * 1e4).round() / 1e4]);
    }
    if coords.len() < 2 {
        return Err("roadmap.edit_err_two");
    }
    if coords.windows(2).any(|w| w[0] == w[1]) {
        return Err("roadmap.edit_err_repeat");
    }
    Ok(serde_json::json!({"type": "LineString", "coordinates": coords}).to_string())
}

#[derive(Template)]
#[template(path = "roads/map_edit.html")]
pub struct EditPage {
    pub c: Ctx,
    pub s: Section,
    pub route: Option<Route>,
    pub vertices: String,
    pub carriageway: String,
    pub sidewalk_width: String,
    pub pavement: String,
    pub sidewalk: String,
    pub reason: String,
    pub errors: Vec<(&'static str, &'static str)>,
    pub saved: bool,
    /// (value, message key) of each choice.
    pub pavements: Vec<(&'static str, String)>,
    pub sidewalks: Vec<(&'static str, String)>,
}

fn choices(values: &[&'static str], prefix: &str) -> Vec<(&'static str, String)> {
    values
        .iter()
        .map(|v| (*v, format!("{prefix}{v}")))
        .collect()
}

impl EditPage {
    pub fn error_for(&self, field: &str) -> &'static str {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, k)| *k)
            .unwrap_or("")
    }
}

#[derive(Deserialize, Default)]
pub struct Saved {
    pub saved: Option<String>,
}

async fn load(st: &AppState, m: &str, id: &str) -> Result<(Section, Option<Route>), AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let s = store::get::<Section>(&st.db, m, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let route = store::get::<Route>(&st.db, m, s.route_id).await?;
    Ok((s, route))
}

async fn edit_page(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<Saved>,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let (s, route) = load(&st, &c.tenant.id, &id).await?;
    let page = EditPage {
        vertices: vertices_text(&s.geometry),
        carriageway: format!("{}", s.carriageway_width_m),
        sidewalk_width: format!("{}", s.sidewalk_width_m),
        pavement: s.pavement.clone(),
        sidewalk: s.sidewalk.clone(),
        reason: String::new(),
        errors: Vec::new(),
        saved: q.saved.is_some(),
        pavements: choices(&PAVEMENTS, "roadmap.pavement_"),
        sidewalks: choices(&SIDEWALKS, "roadmap.sidewalk_"),
        s,
        route,
        c,
    };
    Ok(render(&page)?.into_response())
}

#[derive(Deserialize)]
pub struct EditForm {
    pub version: i64,
    pub vertices: String,
    pub carriageway_width_m: String,
    pub sidewalk_width_m: String,
    pub pavement: String,
    pub sidewalk: String,
    pub reason: String,
}

fn width(v: &str) -> Option<f64> {
    let t: String = unicode_normalization::UnicodeNormalization::nfkc(v.trim()).collect();
    t.parse::<f64>()
        .ok()
        .filter(|w| w.is_finite() && (0.0..=100.0).contains(w))
}

async fn save(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    form: Result<Form<EditForm>, FormRejection>,
) -> Result<Response, AppError> {
    // Who may edit is checked before the form is read.
    let me = match allowed(&st, &c).await? {
        Ok(me) => me,
        Err(r) => return Ok(r),
    };
    let m = c.tenant.id.clone();
    let (stored, route) = load(&st, &m, &id).await?;
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return Ok(e.into_response()),
    };
    let mut errors = Vec::new();
    let geometry = parse_vertices(&f.vertices).unwrap_or_else(|e| {
        errors.push(("vertices", e));
        String::new()
    });
    let cw = width(&f.carriageway_width_m);
    if cw.is_none() {
        errors.push(("carriageway_width_m", "roadmap.edit_err_width"));
    }
    let sw = width(&f.sidewalk_width_m);
    if sw.is_none() {
        errors.push(("sidewalk_width_m", "roadmap.edit_err_width"));
    }
    if !PAVEMENTS.contains(&f.pavement.as_str()) {
        errors.push(("pavement", "roadmap.edit_err_choice"));
    }
    if !SIDEWALKS.contains(&f.sidewalk.as_str()) {
        errors.push(("sidewalk", "roadmap.edit_err_choice"));
    }
    if f.reason.trim().is_empty() || f.reason.chars().count() > 200 {
        errors.push(("reason", "roadmap.edit_err_reason"));
    }
    if errors.is_empty() {
        let mut row = stored.clone();
        row.version = f.version;
        row.geometry = geometry;
        row.carriageway_width_m = cw.unwrap_or_default();
        row.sidewalk_width_m = sw.unwrap_or_default();
        row.pavement = f.pavement.clone();
        row.sidewalk = f.sidewalk.clone();
        let editor = Editor::new(Actor::User(me.id), f.reason.trim());
        let mut tx = st.db.begin().await?;
        match store::update(&mut tx, &m, &row, &editor).await {
            Ok(_) => {
                tx.commit().await?;
                return Ok(Redirect::to(&format!(
                    "/staff/roads/map/sections/{}?saved=1",
                    stored.id
                ))
                .into_response());
            }
            Err(e) => errors.extend(super::staff::refusal(
                e,
                vec![("version", "roadmap.edit_err_conflict")],
                |msg| {
                    tracing::info!(error = %msg, "section edit refused by the store");
                    vec![("vertices", "roadmap.edit_err_vertex")]
                },
            )?),
        }
        tx.rollback().await?;
    }
    let conflict = errors.iter().any(|(f, _)| *f == "version");
    let page = EditPage {
        vertices: if conflict {
            vertices_text(&stored.geometry)
        } else {
            f.vertices.clone()
        },
        carriageway: f.carriageway_width_m,
        sidewalk_width: f.sidewalk_width_m,
        pavement: f.pavement,
        sidewalk: f.sidewalk,
        reason: f.reason,
        errors,
        saved: false,
        pavements: choices(&PAVEMENTS, "roadmap.pavement_"),
        sidewalks: choices(&SIDEWALKS, "roadmap.sidewalk_"),
        s: stored,
        route,
        c,
    };
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vertices_round_trip() {
        let g = parse_vertices("139.9070, 35.7285\n139.9080，35.7290\n").expect("parses");
        let back = vertices_text(&g);
        let lines: Vec<&str> = back.lines().collect();
        assert_eq!(lines.len(), 2);
        let p: Vec<f64> = lines[0]
            .split(", ")
            .map(|v| v.parse().expect("number"))
            .collect();
        assert!((p[0] - 139.907).abs() < 1e-8 && (p[1] - 35.7285).abs() < 1e-8);
        assert_eq!(parse_vertices("139.9, 35.7"), Err("roadmap.edit_err_two"));
        assert_eq!(
            parse_vertices("139.9 35.7 1\n1 2"),
            Err("roadmap.edit_err_vertex")
        );
        assert_eq!(parse_vertices("0, 0\n1, 1"), Err("roadmap.edit_err_range"));
        assert_eq!(
            parse_vertices("139.9, 35.7\n139.9, 35.7"),
            Err("roadmap.edit_err_repeat")
        );
    }
}
