//! Staff forms of the road ledger (docs/roads.md, "Staff editing"), plain HTML without
//! JavaScript:
//! - `/staff/roads`: the routes (路線) with search and pages;
//! - `/staff/roads/routes/{id}`: the route form (number, name, kind, class, 認定 / 供用開始
//!   dates, start and end, length, widths, public) and the route's sections;
//! - `/staff/roads/routes/{id}/sheet`: the 調書 form (structured, a new version per save);
//! - `/staff/roads/routes/{id}/history`, `/staff/roads/routes/{id}/sheet/history`,
//!   `/staff/roads/sections/{id}/history`: who changed what when, field by field (before →
//!   after, with the labels of the forms).
//!
//! Saves go through `roads::store` (`update`, `save_sheet`): the version the form was read at
//! is sent back and a stale form is refused (409) with the latest values shown; history,
//! audit event and data version are written in the same transaction. Bad input is 422 with a
//! message naming the field and the fix, and nothing is changed. Who may use these pages:
//! administrators and `roads_map.edit_departments` (as for the map editor).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

use super::crs::{self, ZONE_IX};
use super::model::{
    self, HistoryRow, LedgerSheet, PrivateLot, ROAD_KINDS, ROUTE_CLASSES, Route, Section,
    ZONE_LIMIT_M,
};
use super::store::{self, Editor, Filter, StoreError};
use crate::audit::Actor;
use crate::auth::store::UserRow;
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;

/// Routes per page of the staff list.
pub const PAGE_SIZE: u64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/roads", get(list_page))
        .route("/staff/roads/new", get(new_page).post(new_save))
        .route("/staff/roads/routes/{id}", get(route_page).post(route_save))
        .route("/staff/roads/routes/{id}/abolish", post(abolish_save))
        .route(
            "/staff/roads/routes/{id}/sheet",
            get(sheet_page).post(sheet_save),
        )
        .route("/staff/roads/routes/{id}/history", get(route_history))
        .route("/staff/roads/routes/{id}/sheet/history", get(sheet_history))
        .route("/staff/roads/sections/{id}/history", get(section_history))
}

async fn allowed(st: &AppState, c: &Ctx) -> Result<Result<UserRow, Response>, AppError> {
    crate::web::staff::require_department_staff(st, c, &st.cfg.roads_map.edit_departments).await
}

// ---- input parsing (pure) --------------------------------------------------------------------

/// The problems of a form: (field name, message key) each.
pub type Problems = Vec<(&'static str, &'static str)>;

/// What a form shows when the store refuses its write: `conflict` for a stale version, what
/// `invalid` makes of the store's message for a value it refused; a missing row or a database
/// error is no form's business (404 / 500). One rule for every staff form of the ledger.
pub(crate) fn refusal(
    e: StoreError,
    conflict: Problems,
    invalid: impl FnOnce(&str) -> Problems,
) -> Result<Problems, AppError> {
    match e {
        StoreError::Conflict => Ok(conflict),
        StoreError::Invalid(msg) => Ok(invalid(&msg)),
        StoreError::NotFound => Err(AppError::NotFound),
        StoreError::Db(e) => Err(e.into()),
    }
}

fn nfkc(v: &str) -> String {
    v.nfkc().collect::<String>().trim().to_owned()
}

/// A number (full-width digits, thousands commas allowed) in `range`.
pub fn parse_number(v: &str, max: f64) -> Option<f64> {
    let t = nfkc(v).replace(',', "");
    t.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && (0.0..=max).contains(n))
}

/// A whole number from 0 to `max`.
pub fn parse_count(v: &str, max: i64) -> Option<i64> {
    nfkc(v)
        .replace(',', "")
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=max).contains(n))
}

/// A calendar date as YYYY-MM-DD from "2024-04-01", "2024/4/1", "2024.4.1", "20240401" (also
/// full-width); None when it is no real date.
pub fn parse_date(v: &str) -> Option<String> {
    let t = nfkc(v);
    let parts: Vec<&str> = if t.len() == 8 && t.chars().all(|c| c.is_ascii_digit()) {
        vec![&t[0..4], &t[4..6], &t[6..8]]
    } else {
        t.split(['-', '/', '.']).collect()
    };
    let [y, m, d] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = (
        y.parse::<u32>().ok()?,
        m.parse::<u32>().ok()?,
        d.parse::<u32>().ok()?,
    );
    let s = format!("{y:04}-{m:02}-{d:02}");
    model::is_date(&s).then_some(s)
}

/// The lines of a textarea, trimmed, empty ones dropped.
fn lines(v: &str) -> Vec<String> {
    v.lines()
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

/// 民有地 lines "地番, 面積": the lot and its area in m².
pub fn parse_lots(v: &str) -> Option<Vec<PrivateLot>> {
    let mut out = Vec::new();
    for line in lines(v) {
        // The 地番 keeps what was typed; only the area is a number (width-folded).
        let line = line.replace(['、', '，'], ",");
        let (lot, area) = line.rsplit_once(',')?;
        let lot = lot.trim();
        if lot.is_empty() || lot.chars().count() > 50 {
            return None;
        }
        let area = parse_number(area, 1_000_000.0)?;
        out.push(PrivateLot {
            lot: lot.to_owned(),
            area_m2: area,
        });
    }
    (out.len() <= 200).then_some(out)
}

fn num_text(v: f64) -> String {
    format!("{v}")
}

/// How the 起点 / 終点 coordinates are typed: plane rectangular zone IX "X, Y" in metres (as
/// on survey sheets, X north first) or JGD2011 "緯度, 経度" in degrees.
pub const COORD_CRS: [&str; 2] = ["6677", "6668"];

/// A point typed as two numbers (comma, 、 or space between; full-width digits allowed) in
/// `crs` (one of [`COORD_CRS`]) → (X north, Y east) in zone IX metres; `Ok(None)` when
/// empty; else the message key of the problem.
pub fn parse_point(v: &str, crs: &str) -> Result<Option<(f64, f64)>, &'static str> {
    let t = nfkc(v).replace(['、', '，'], ",");
    if t.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = t
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|p| !p.is_empty())
        .collect();
    let nums: Vec<f64> = parts
        .iter()
        .filter_map(|p| p.parse::<f64>().ok().filter(|n| n.is_finite()))
        .collect();
    if parts.len() != 2 || nums.len() != 2 {
        return Err(if crs == "6668" {
            "roadstaff.err_point_format_deg"
        } else {
            "roadstaff.err_point_format"
        });
    }
    let (x, y) = if crs == "6668" {
        let (lat, lon) = (nums[0], nums[1]);
        // Japan, generously; also catches the two numbers typed the wrong way round.
        if !(20.0..=46.0).contains(&lat) || !(122.0..=154.0).contains(&lon) {
            return Err("roadstaff.err_point_deg_range");
        }
        crs::to_plane(&ZONE_IX, lat, lon)
    } else {
        // Degrees typed as metres would be a point within 150 m of the zone's origin (a field
        // in Ibaraki): far likelier a latitude and longitude with the wrong choice above.
        if (20.0..=46.0).contains(&nums[0]) && (122.0..=154.0).contains(&nums[1]) {
            return Err("roadstaff.err_point_looks_deg");
        }
        (nums[0], nums[1])
    };
    if x.abs() > ZONE_LIMIT_M || y.abs() > ZONE_LIMIT_M {
        return Err(if crs == "6668" {
            "roadstaff.err_point_zone_deg"
        } else {
            "roadstaff.err_point_zone"
        });
    }
    Ok(Some((x, y)))
}

/// A stored point as the form shows it: "X, Y" in zone IX metres to the millimetre.
fn point_text(x: Option<f64>, y: Option<f64>) -> String {
    match (x, y) {
        (Some(x), Some(y)) => format!("{x:.3}, {y:.3}"),
        _ => String::new(),
    }
}

// ---- form fields (one template for both forms) -----------------------------------------------

/// One field of a form as the template shows it. Keys are message keys.
pub struct Field {
    pub name: &'static str,
    pub label: String,
    pub help: &'static str,
    /// "text", "date", "number", "textarea", "select", "checkbox".
    pub kind: &'static str,
    pub value: String,
    /// (value, message key) of a select.
    pub options: Vec<(&'static str, String)>,
    pub required: bool,
    pub error: &'static str,
    pub maxlength: usize,
}

fn field(name: &'static str, label: String, kind: &'static str, value: String) -> Field {
    Field {
        name,
        label,
        help: "",
        kind,
        value,
        options: Vec::new(),
        required: false,
        error: "",
        maxlength: 200,
    }
}

impl Field {
    fn help(mut self, k: &'static str) -> Field {
        self.help = k;
        self
    }
    fn required(mut self) -> Field {
        self.required = true;
        self
    }
    fn options(mut self, values: &[&'static str], prefix: &str) -> Field {
        self.options = values
            .iter()
            .map(|v| (*v, format!("{prefix}{v}")))
            .collect();
        self
    }
    fn max(mut self, n: usize) -> Field {
        self.maxlength = n;
        self
    }
}

fn set_errors(fields: &mut [Field], errors: &[(&'static str, &'static str)]) {
    for f in fields {
        if let Some((_, k)) = errors.iter().find(|(n, _)| *n == f.name) {
            f.error = k;
        }
    }
}

#[derive(Template)]
#[template(path = "roads/staff_form.html")]
pub struct FormPage {
    pub c: Ctx,
    pub r: Route,
    /// "route" or "sheet".
    pub which: &'static str,
    pub title: &'static str,
    pub action: String,
    pub version: String,
    pub fields: Vec<Field>,
    /// (field name, message key); "version" for a conflict.
    pub errors: Problems,
    /// Message key of the banner after a save ("" for none).
    pub notice: &'static str,
    pub sections: Vec<Section>,
    /// The sheet's current version (0: none yet).
    pub sheet_version: i64,
    /// The 廃止 form below the route form (its values and problems).
    pub abolish: AbolishForm,
    pub abolish_errors: Problems,
}

impl FormPage {
    pub fn label_of(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| self.c.l.t(&f.label).to_owned())
            .unwrap_or_default()
    }
    /// The first field, where a conflict message points.
    pub fn first_field(&self) -> &'static str {
        self.fields.first().map(|f| f.name).unwrap_or("reason")
    }
    /// The label key of a field of the 廃止 form.
    pub fn abolish_label(&self, name: &str) -> &'static str {
        match name {
            "abolish_reason" => "roadstaff.abolish_reason",
            "confirm" => "roadstaff.abolish_confirm",
            _ => "roads.prop.abolished_on",
        }
    }
    /// The message of a field of the 廃止 form ("" when it has none).
    pub fn abolish_error(&self, name: &str) -> &'static str {
        self.abolish_errors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
            .unwrap_or("")
    }
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    pub saved: Option<String>,
    pub created: Option<String>,
    pub abolished: Option<String>,
}

impl SavedQuery {
    fn notice(&self) -> &'static str {
        if self.created.is_some() {
            "roadstaff.created"
        } else if self.abolished.is_some() {
            "roadstaff.abolished"
        } else if self.saved.is_some() {
            "roadstaff.saved"
        } else {
            ""
        }
    }
}

// ---- the list --------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: Option<String>,
}

#[derive(Template)]
#[template(path = "roads/staff_list.html")]
pub struct ListPage {
    pub c: Ctx,
    pub q: String,
    pub q_enc: String,
    pub error: &'static str,
    pub rows: Vec<Route>,
    pub total: i64,
    pub page: u64,
    pub pages: u64,
}

impl ListPage {
    /// "市町村道・2級".
    pub fn kind(&self, r: &Route) -> String {
        format!(
            "{}・{}",
            self.c.l.t(&format!("roadmap.kind_{}", r.road_kind)),
            self.c.l.t(&format!("roadmap.class_{}", r.route_class))
        )
    }
}

async fn list_page(
    State(st): State<AppState>,
    c: Ctx,
    Query(lq): Query<ListQuery>,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let mut error = "";
    let q = super::map::normalise_query(&lq.q).unwrap_or_else(|e| {
        error = e;
        String::new()
    });
    let page = super::map::parse_page(lq.page.as_deref()).unwrap_or_else(|e| {
        error = e;
        1
    });
    let (rows, total) = store::search_routes(
        &st.db,
        &c.tenant.id,
        &q,
        false,
        (page - 1) * PAGE_SIZE,
        PAGE_SIZE,
    )
    .await?;
    let pages = (total as u64).div_ceil(PAGE_SIZE).max(1);
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let p = ListPage {
        q_enc: form_urlencoded::byte_serialize(q.as_bytes()).collect(),
        q,
        error,
        rows,
        total,
        page,
        pages,
        c,
    };
    Ok((status, render(&p)?).into_response())
}

// ---- the route form --------------------------------------------------------------------------

/// The route form's values as text.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct RouteForm {
    pub version: String,
    pub route_number: String,
    pub name: String,
    pub road_kind: String,
    pub route_class: String,
    pub certified_on: String,
    pub opened_on: String,
    pub start_address: String,
    pub end_address: String,
    /// One of [`COORD_CRS`]: how `start_coord` and `end_coord` are typed.
    pub coord_crs: String,
    pub start_coord: String,
    pub end_coord: String,
    pub length_m: String,
    pub width_min_m: String,
    pub width_max_m: String,
    pub public: Option<String>,
    pub reason: String,
}

impl RouteForm {
    pub fn of(r: &Route) -> RouteForm {
        RouteForm {
            version: r.version.to_string(),
            route_number: r.route_number.clone(),
            name: r.name.clone(),
            road_kind: r.road_kind.clone(),
            route_class: r.route_class.clone(),
            certified_on: r.certified_on.clone(),
            opened_on: r.opened_on.clone().unwrap_or_default(),
            start_address: r.start_address.clone(),
            end_address: r.end_address.clone(),
            coord_crs: COORD_CRS[0].to_owned(),
            start_coord: point_text(r.start_x_north, r.start_y_east),
            end_coord: point_text(r.end_x_north, r.end_y_east),
            length_m: num_text(r.length_m),
            width_min_m: num_text(r.width_min_m),
            width_max_m: num_text(r.width_max_m),
            public: r.public.then(|| "1".to_owned()),
            reason: String::new(),
        }
    }

    /// The empty form of a new route: 市町村道, その他, public.
    pub fn blank() -> RouteForm {
        RouteForm {
            version: "0".into(),
            road_kind: ROAD_KINDS[0].into(),
            route_class: "other".into(),
            coord_crs: COORD_CRS[0].into(),
            public: Some("1".into()),
            ..Default::default()
        }
    }

    /// The stored route with this form's values, or the (field, message key) of every problem.
    /// A new route starts from `Route::default()` (version 0).
    pub fn apply(&self, stored: &Route) -> Result<(Route, String), Problems> {
        let mut e = Vec::new();
        let mut r = stored.clone();
        let text = |e: &mut Vec<_>, name: &'static str, v: &str, max: usize| -> String {
            // Only the number is normalised (full-width digits); names keep what was typed.
            let t = if name == "route_number" {
                nfkc(v)
            } else {
                v.trim().to_owned()
            };
            if t.is_empty() {
                e.push((name, "roadstaff.err_required"));
            } else if t.chars().count() > max {
                e.push((name, "roadstaff.err_long"));
            }
            t
        };
        r.route_number = text(&mut e, "route_number", &self.route_number, 20);
        r.name = text(&mut e, "name", &self.name, 100);
        if ROAD_KINDS.contains(&self.road_kind.as_str()) {
            r.road_kind = self.road_kind.clone();
        } else {
            e.push(("road_kind", "roadstaff.err_choice"));
        }
        if ROUTE_CLASSES.contains(&self.route_class.as_str()) {
            r.route_class = self.route_class.clone();
        } else {
            e.push(("route_class", "roadstaff.err_choice"));
        }
        match parse_date(&self.certified_on) {
            Some(d) => r.certified_on = d,
            None => e.push(("certified_on", "roadstaff.err_date")),
        }
        if nfkc(&self.opened_on).is_empty() {
            r.opened_on = None;
        } else {
            match parse_date(&self.opened_on) {
                Some(d) => r.opened_on = Some(d),
                None => e.push(("opened_on", "roadstaff.err_date_opt")),
            }
        }
        r.start_address = text(&mut e, "start_address", &self.start_address, 200);
        r.end_address = text(&mut e, "end_address", &self.end_address, 200);
        let crs = if self.coord_crs.is_empty() {
            COORD_CRS[0]
        } else {
            self.coord_crs.as_str()
        };
        if COORD_CRS.contains(&crs) {
            match parse_point(&self.start_coord, crs) {
                Ok(p) => (r.start_x_north, r.start_y_east) = (p.map(|p| p.0), p.map(|p| p.1)),
                Err(k) => e.push(("start_coord", k)),
            }
            match parse_point(&self.end_coord, crs) {
                Ok(p) => (r.end_x_north, r.end_y_east) = (p.map(|p| p.0), p.map(|p| p.1)),
                Err(k) => e.push(("end_coord", k)),
            }
        } else {
            e.push(("coord_crs", "roadstaff.err_choice"));
        }
        match parse_number(&self.length_m, 100_000.0) {
            Some(v) => r.length_m = v,
            None => e.push(("length_m", "roadstaff.err_length")),
        }
        let wmin = parse_number(&self.width_min_m, 100.0);
        let wmax = parse_number(&self.width_max_m, 100.0);
        match wmin {
            Some(v) => r.width_min_m = v,
            None => e.push(("width_min_m", "roadstaff.err_width")),
        }
        match wmax {
            Some(v) => r.width_max_m = v,
            None => e.push(("width_max_m", "roadstaff.err_width")),
        }
        if let (Some(a), Some(b)) = (wmin, wmax)
            && b < a
        {
            e.push(("width_max_m", "roadstaff.err_width_order"));
        }
        r.public = self.public.is_some();
        if r.public && stored.abolished_on.is_some() {
            e.push(("public", "roadstaff.err_public_abolished"));
        }
        let reason = self.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 200 {
            e.push(("reason", "roadstaff.err_reason"));
        }
        match self.version.trim().parse::<i64>() {
            Ok(v) => r.version = v,
            Err(_) => e.push(("version", "roadstaff.err_conflict")),
        }
        if e.is_empty() {
            Ok((r, reason))
        } else {
            Err(e)
        }
    }

    /// The form's fields; an abolished route has no 公開 box (it cannot be public).
    fn fields(&self, abolished: bool) -> Vec<Field> {
        let p = |k: &str| format!("roads.prop.{k}");
        let mut fields = vec![
            field(
                "route_number",
                p("route_number"),
                "text",
                self.route_number.clone(),
            )
            .required()
            .max(20),
            field("name", "roadmap.col_name".into(), "text", self.name.clone())
                .required()
                .max(100),
            field(
                "road_kind",
                p("road_kind"),
                "select",
                self.road_kind.clone(),
            )
            .options(&ROAD_KINDS, "roadmap.kind_"),
            field(
                "route_class",
                p("route_class"),
                "select",
                self.route_class.clone(),
            )
            .options(&ROUTE_CLASSES, "roadmap.class_"),
            field(
                "certified_on",
                p("certified_on"),
                "date",
                self.certified_on.clone(),
            )
            .required()
            .help("roadstaff.help_date"),
            field("opened_on", p("opened_on"), "date", self.opened_on.clone())
                .help("roadstaff.help_date_opt"),
            field(
                "start_address",
                p("start_address"),
                "text",
                self.start_address.clone(),
            )
            .required(),
            field(
                "end_address",
                p("end_address"),
                "text",
                self.end_address.clone(),
            )
            .required(),
            field(
                "coord_crs",
                "roadstaff.coord_crs".into(),
                "select",
                self.coord_crs.clone(),
            )
            .options(&COORD_CRS, "roadstaff.crs_")
            .help("roadstaff.help_coord_crs"),
            field(
                "start_coord",
                "roadstaff.start_coord".into(),
                "text",
                self.start_coord.clone(),
            )
            .max(60)
            .help("roadstaff.help_coord"),
            field(
                "end_coord",
                "roadstaff.end_coord".into(),
                "text",
                self.end_coord.clone(),
            )
            .max(60)
            .help("roadstaff.help_coord"),
            field("length_m", p("length_m"), "number", self.length_m.clone()).required(),
            field(
                "width_min_m",
                p("width_min_m"),
                "number",
                self.width_min_m.clone(),
            )
            .required(),
            field(
                "width_max_m",
                p("width_max_m"),
                "number",
                self.width_max_m.clone(),
            )
            .required(),
            field(
                "public",
                "roadstaff.public".into(),
                "checkbox",
                if self.public.is_some() { "1" } else { "" }.into(),
            )
            .help("roadstaff.help_public"),
            field(
                "reason",
                "roadstaff.reason".into(),
                "text",
                self.reason.clone(),
            )
            .required()
            .help("roadstaff.help_reason"),
        ];
        if abolished {
            fields.retain(|f| f.name != "public");
        }
        fields
    }
}

async fn load_route(st: &AppState, m: &str, id: &str) -> Result<Route, AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    store::get::<Route>(&st.db, m, id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn sections_of(st: &AppState, m: &str, route_id: i64) -> Result<Vec<Section>, AppError> {
    Ok(store::list::<Section>(
        &st.db,
        m,
        &Filter {
            route_id: Some(route_id),
            ..Default::default()
        },
    )
    .await?)
}

/// What the route page shows besides the route form.
#[derive(Default)]
struct RouteExtras {
    notice: &'static str,
    abolish: AbolishForm,
    abolish_errors: Problems,
}

async fn route_form_page(
    st: &AppState,
    c: Ctx,
    r: Route,
    form: RouteForm,
    errors: Problems,
    extras: RouteExtras,
) -> Result<FormPage, AppError> {
    let sections = sections_of(st, &c.tenant.id, r.id).await?;
    let sheet_version = store::current_sheet(&st.db, &c.tenant.id, r.id)
        .await?
        .map(|s| s.version)
        .unwrap_or(0);
    let mut fields = form.fields(r.abolished_on.is_some());
    set_errors(&mut fields, &errors);
    Ok(FormPage {
        which: "route",
        title: "roadstaff.route_title",
        action: format!("/staff/roads/routes/{}", r.id),
        version: r.version.to_string(),
        fields,
        errors,
        notice: extras.notice,
        sections,
        sheet_version,
        abolish: extras.abolish,
        abolish_errors: extras.abolish_errors,
        r,
        c,
    })
}

/// The form of a new route (`/staff/roads/new`).
fn new_form_page(c: Ctx, form: RouteForm, errors: Problems) -> FormPage {
    let mut fields = form.fields(false);
    set_errors(&mut fields, &errors);
    FormPage {
        which: "new",
        title: "roadstaff.new_title",
        action: "/staff/roads/new".into(),
        version: "0".into(),
        fields,
        errors,
        notice: "",
        sections: Vec::new(),
        sheet_version: 0,
        abolish: AbolishForm::default(),
        abolish_errors: Vec::new(),
        r: Route::default(),
        c,
    }
}

async fn new_page(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    Ok(render(&new_form_page(c, RouteForm::blank(), Vec::new()))?.into_response())
}

/// The store's refusal of a route as a field problem (a taken number, else a generic one).
fn route_refusal(msg: &str) -> Problems {
    if msg.contains("same number") {
        vec![("route_number", "roadstaff.err_route_taken")]
    } else {
        tracing::info!(error = %msg, "route refused by the store");
        vec![("route_number", "roadstaff.err_invalid")]
    }
}

async fn new_save(
    State(st): State<AppState>,
    c: Ctx,
    form: Result<Form<RouteForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, AppError> {
    let me = match allowed(&st, &c).await? {
        Ok(me) => me,
        Err(r) => return Ok(r),
    };
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return Ok(e.into_response()),
    };
    let m = c.tenant.id.clone();
    let errors = match f.apply(&Route::default()) {
        Ok((row, reason)) => {
            let editor = Editor::new(Actor::User(me.id), reason);
            let mut tx = st.db.begin().await?;
            match store::insert(&mut tx, &m, &row, &editor).await {
                Ok(saved) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!(
                        "/staff/roads/routes/{}?created=1",
                        saved.id
                    ))
                    .into_response());
                }
                Err(e) => refusal(
                    e,
                    vec![("version", "roadstaff.err_conflict")],
                    route_refusal,
                )?,
            }
        }
        Err(e) => e,
    };
    let page = new_form_page(c, f, errors);
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

async fn route_page(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let r = load_route(&st, &c.tenant.id, &id).await?;
    let form = RouteForm::of(&r);
    let extras = RouteExtras {
        notice: q.notice(),
        ..Default::default()
    };
    let page = route_form_page(&st, c, r, form, Vec::new(), extras).await?;
    Ok(render(&page)?.into_response())
}

async fn route_save(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    form: Result<Form<RouteForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, AppError> {
    // Who may edit is checked before the form is read.
    let me = match allowed(&st, &c).await? {
        Ok(me) => me,
        Err(r) => return Ok(r),
    };
    let m = c.tenant.id.clone();
    let stored = load_route(&st, &m, &id).await?;
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return Ok(e.into_response()),
    };
    let mut errors = match f.apply(&stored) {
        Ok((row, reason)) => {
            let editor = Editor::new(Actor::User(me.id), reason);
            let mut tx = st.db.begin().await?;
            match store::update(&mut tx, &m, &row, &editor).await {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(
                        Redirect::to(&format!("/staff/roads/routes/{}?saved=1", stored.id))
                            .into_response(),
                    );
                }
                Err(e) => refusal(
                    e,
                    vec![("version", "roadstaff.err_conflict")],
                    route_refusal,
                )?,
            }
        }
        Err(e) => e,
    };
    let conflict = errors.iter().any(|(n, _)| *n == "version");
    // A stale form shows the latest values (with the latest version), not the stale ones.
    let (r, form) = if conflict {
        errors.retain(|(n, _)| *n == "version");
        let latest = load_route(&st, &m, &id).await?;
        let form = RouteForm::of(&latest);
        (latest, form)
    } else {
        (stored, f)
    };
    let page = route_form_page(&st, c, r, form, errors, RouteExtras::default()).await?;
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)?).into_response())
}

// ---- abolishing a route (路線の廃止) ------------------------------------------------------------

/// The 廃止 form below the route form.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct AbolishForm {
    /// The route version the page was read at.
    pub version: String,
    /// 廃止年月日.
    pub abolished_on: String,
    pub reason: String,
    /// The "I understand" box: abolishing takes the route off the public map and API.
    pub confirm: Option<String>,
}

impl AbolishForm {
    /// (version, 廃止年月日, reason) or the problems; `today` is the Japanese calendar day (a
    /// route is abolished on its day, not ahead of it: until then it is still a road).
    pub fn parse(&self, r: &Route, today: &str) -> Result<(i64, String, String), Problems> {
        let mut e = Vec::new();
        if r.abolished_on.is_some() {
            return Err(vec![("abolished_on", "roadstaff.err_already_abolished")]);
        }
        let on = parse_date(&self.abolished_on);
        match &on {
            None => e.push(("abolished_on", "roadstaff.err_date")),
            Some(d) if d.as_str() < r.certified_on.as_str() => {
                e.push(("abolished_on", "roadstaff.err_abolish_before"))
            }
            Some(d) if d.as_str() > today => {
                e.push(("abolished_on", "roadstaff.err_abolish_future"))
            }
            Some(_) => {}
        }
        let reason = self.reason.trim().to_owned();
        if reason.is_empty() || reason.chars().count() > 200 {
            e.push(("abolish_reason", "roadstaff.err_abolish_reason"));
        }
        if self.confirm.is_none() {
            e.push(("confirm", "roadstaff.err_abolish_confirm"));
        }
        let version = self.version.trim().parse::<i64>();
        if version.is_err() {
            e.push(("abolished_on", "roadstaff.err_conflict"));
        }
        match (e.is_empty(), on, version) {
            (true, Some(on), Ok(v)) => Ok((v, on, reason)),
            _ => Err(e),
        }
    }
}

async fn abolish_save(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    form: Result<Form<AbolishForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, AppError> {
    let me = match allowed(&st, &c).await? {
        Ok(me) => me,
        Err(r) => return Ok(r),
    };
    let m = c.tenant.id.clone();
    let stored = load_route(&st, &m, &id).await?;
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return Ok(e.into_response()),
    };
    let today = crate::calendar::today_jst().to_string();
    let mut conflict = false;
    let errors = match f.parse(&stored, &today) {
        Ok((version, on, reason)) => {
            let editor = Editor::new(Actor::User(me.id), reason);
            let mut tx = st.db.begin().await?;
            match store::abolish_route(&mut tx, &m, stored.id, version, &on, &editor).await {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!(
                        "/staff/roads/routes/{}?abolished=1",
                        stored.id
                    ))
                    .into_response());
                }
                Err(e) => {
                    conflict = matches!(e, StoreError::Conflict);
                    refusal(
                        e,
                        vec![("abolished_on", "roadstaff.err_conflict_abolish")],
                        |msg| {
                            tracing::info!(error = %msg, "abolition refused by the store");
                            vec![("abolished_on", "roadstaff.err_already_abolished")]
                        },
                    )?
                }
            }
        }
        Err(e) => e,
    };
    // The page shows the route as stored now (after a conflict: the latest values).
    let r = load_route(&st, &m, &id).await?;
    let form = RouteForm::of(&r);
    let mut abolish = f;
    abolish.version = r.version.to_string();
    let extras = RouteExtras {
        notice: "",
        abolish,
        abolish_errors: errors,
    };
    let page = route_form_page(&st, c, r, form, Vec::new(), extras).await?;
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)?).into_response())
}

// ---- the 調書 form ---------------------------------------------------------------------------

/// The 調書 form's values as text.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct SheetForm {
    /// The version the form was read at ("" when the route had no sheet).
    pub version: String,
    pub via: String,
    pub length_actual_m: String,
    pub length_shared_m: String,
    pub length_unopened_m: String,
    pub length_bridges_m: String,
    pub length_tunnels_m: String,
    pub length_paved_m: String,
    pub length_unpaved_m: String,
    pub width_typical_m: String,
    pub width_narrowest_m: String,
    pub steepest_gradient_pct: String,
    pub min_curve_radius_m: String,
    pub bridges: String,
    pub tunnels: String,
    pub pedestrian_bridges: String,
    pub level_crossings: String,
    pub area_decided_on: String,
    pub notice_number: String,
    pub private_lots: String,
    pub remarks: String,
    pub reason: String,
}

/// The reasons staff choose from: every one of [`SHEET_REASONS`] but `import`.
pub const FORM_SHEET_REASONS: [&str; 4] =
    ["construction", "area_change", "certification", "correction"];

const SHEET_LENGTHS: [&str; 7] = [
    "length_actual_m",
    "length_shared_m",
    "length_unopened_m",
    "length_bridges_m",
    "length_tunnels_m",
    "length_paved_m",
    "length_unpaved_m",
];
const SHEET_COUNTS: [&str; 4] = [
    "bridges",
    "tunnels",
    "pedestrian_bridges",
    "level_crossings",
];

impl SheetForm {
    pub fn of(s: &LedgerSheet, version: Option<i64>) -> SheetForm {
        SheetForm {
            version: version.map(|v| v.to_string()).unwrap_or_default(),
            via: s.via.join("\n"),
            length_actual_m: num_text(s.length_actual_m),
            length_shared_m: num_text(s.length_shared_m),
            length_unopened_m: num_text(s.length_unopened_m),
            length_bridges_m: num_text(s.length_bridges_m),
            length_tunnels_m: num_text(s.length_tunnels_m),
            length_paved_m: num_text(s.length_paved_m),
            length_unpaved_m: num_text(s.length_unpaved_m),
            width_typical_m: num_text(s.width_typical_m),
            width_narrowest_m: num_text(s.width_narrowest_m),
            steepest_gradient_pct: s.steepest_gradient_pct.map(num_text).unwrap_or_default(),
            min_curve_radius_m: s.min_curve_radius_m.map(num_text).unwrap_or_default(),
            bridges: s.bridges.to_string(),
            tunnels: s.tunnels.to_string(),
            pedestrian_bridges: s.pedestrian_bridges.to_string(),
            level_crossings: s.level_crossings.to_string(),
            area_decided_on: s.area_decided_on.clone().unwrap_or_default(),
            notice_number: s.notice_number.clone().unwrap_or_default(),
            private_lots: s
                .private_lots
                .iter()
                .map(|l| format!("{}, {}", l.lot, num_text(l.area_m2)))
                .collect::<Vec<_>>()
                .join("\n"),
            remarks: s.remarks.clone(),
            reason: String::new(),
        }
    }

    fn get(&self, name: &str) -> &str {
        match name {
            "length_actual_m" => &self.length_actual_m,
            "length_shared_m" => &self.length_shared_m,
            "length_unopened_m" => &self.length_unopened_m,
            "length_bridges_m" => &self.length_bridges_m,
            "length_tunnels_m" => &self.length_tunnels_m,
            "length_paved_m" => &self.length_paved_m,
            "length_unpaved_m" => &self.length_unpaved_m,
            "bridges" => &self.bridges,
            "tunnels" => &self.tunnels,
            "pedestrian_bridges" => &self.pedestrian_bridges,
            "level_crossings" => &self.level_crossings,
            _ => "",
        }
    }

    /// The expected version, the sheet, the reason; or every problem.
    #[allow(clippy::type_complexity)]
    pub fn parse(&self) -> Result<(Option<i64>, LedgerSheet, String), Problems> {
        let mut e = Vec::new();
        let mut s = LedgerSheet {
            // Place names keep what was typed (（改）, full-width digits in 丁目): only numbers,
            // dates and codes are width-folded (NFKC).
            via: lines(&self.via),
            ..Default::default()
        };
        if s.via.len() > 50 || s.via.iter().any(|v| v.chars().count() > 100) {
            e.push(("via", "roadstaff.err_via"));
        }
        let mut lengths = [0.0; 7];
        for (i, name) in SHEET_LENGTHS.iter().enumerate() {
            match parse_number(self.get(name), 100_000.0) {
                Some(v) => lengths[i] = v,
                None => e.push((*name, "roadstaff.err_length")),
            }
        }
        [
            s.length_actual_m,
            s.length_shared_m,
            s.length_unopened_m,
            s.length_bridges_m,
            s.length_tunnels_m,
            s.length_paved_m,
            s.length_unpaved_m,
        ] = lengths;
        match parse_number(&self.width_typical_m, 100.0) {
            Some(v) => s.width_typical_m = v,
            None => e.push(("width_typical_m", "roadstaff.err_width")),
        }
        match parse_number(&self.width_narrowest_m, 100.0) {
            Some(v) => s.width_narrowest_m = v,
            None => e.push(("width_narrowest_m", "roadstaff.err_width")),
        }
        if nfkc(&self.steepest_gradient_pct).is_empty() {
            s.steepest_gradient_pct = None;
        } else {
            match parse_number(&self.steepest_gradient_pct, 100.0) {
                Some(v) => s.steepest_gradient_pct = Some(v),
                None => e.push(("steepest_gradient_pct", "roadstaff.err_gradient")),
            }
        }
        if nfkc(&self.min_curve_radius_m).is_empty() {
            s.min_curve_radius_m = None;
        } else {
            match parse_number(&self.min_curve_radius_m, 100_000.0) {
                Some(v) => s.min_curve_radius_m = Some(v),
                None => e.push(("min_curve_radius_m", "roadstaff.err_length_opt")),
            }
        }
        let mut counts = [0i64; 4];
        for (i, name) in SHEET_COUNTS.iter().enumerate() {
            match parse_count(self.get(name), 10_000) {
                Some(v) => counts[i] = v,
                None => e.push((*name, "roadstaff.err_count")),
            }
        }
        [
            s.bridges,
            s.tunnels,
            s.pedestrian_bridges,
            s.level_crossings,
        ] = counts;
        if nfkc(&self.area_decided_on).is_empty() {
            s.area_decided_on = None;
        } else {
            match parse_date(&self.area_decided_on) {
                Some(d) => s.area_decided_on = Some(d),
                None => e.push(("area_decided_on", "roadstaff.err_date_opt")),
            }
        }
        let notice = self.notice_number.trim().to_owned();
        if notice.chars().count() > 50 {
            e.push(("notice_number", "roadstaff.err_long_50"));
        }
        s.notice_number = (!notice.is_empty()).then_some(notice);
        match parse_lots(&self.private_lots) {
            Some(l) => s.private_lots = l,
            None => e.push(("private_lots", "roadstaff.err_lots")),
        }
        s.remarks = self.remarks.trim().to_owned();
        if s.remarks.chars().count() > 2000 {
            e.push(("remarks", "roadstaff.err_long_2000"));
        }
        if !FORM_SHEET_REASONS.contains(&self.reason.as_str()) {
            e.push(("reason", "roadstaff.err_sheet_reason"));
        }
        let expected = match self.version.trim() {
            "" => None,
            v => match v.parse::<i64>() {
                Ok(v) => Some(v),
                Err(_) => {
                    e.push(("version", "roadstaff.err_conflict_sheet"));
                    None
                }
            },
        };
        if e.is_empty() {
            Ok((expected, s, self.reason.clone()))
        } else {
            Err(e)
        }
    }

    fn fields(&self) -> Vec<Field> {
        let p = |k: &str| format!("roadstaff.sheet.{k}");
        let mut out =
            vec![field("via", p("via"), "textarea", self.via.clone()).help("roadstaff.help_via")];
        for name in SHEET_LENGTHS {
            out.push(field(name, p(name), "number", self.get(name).to_owned()).required());
        }
        out.push(
            field(
                "width_typical_m",
                p("width_typical_m"),
                "number",
                self.width_typical_m.clone(),
            )
            .required(),
        );
        out.push(
            field(
                "width_narrowest_m",
                p("width_narrowest_m"),
                "number",
                self.width_narrowest_m.clone(),
            )
            .required(),
        );
        out.push(
            field(
                "steepest_gradient_pct",
                p("steepest_gradient_pct"),
                "number",
                self.steepest_gradient_pct.clone(),
            )
            .help("roadstaff.help_optional"),
        );
        out.push(
            field(
                "min_curve_radius_m",
                p("min_curve_radius_m"),
                "number",
                self.min_curve_radius_m.clone(),
            )
            .help("roadstaff.help_optional"),
        );
        for name in SHEET_COUNTS {
            out.push(field(name, p(name), "number", self.get(name).to_owned()).required());
        }
        out.push(
            field(
                "area_decided_on",
                p("area_decided_on"),
                "date",
                self.area_decided_on.clone(),
            )
            .help("roadstaff.help_date_opt"),
        );
        out.push(
            field(
                "notice_number",
                p("notice_number"),
                "text",
                self.notice_number.clone(),
            )
            .max(50)
            .help("roadstaff.help_optional"),
        );
        out.push(
            field(
                "private_lots",
                p("private_lots"),
                "textarea",
                self.private_lots.clone(),
            )
            .help("roadstaff.help_lots"),
        );
        out.push(
            field("remarks", p("remarks"), "textarea", self.remarks.clone())
                .max(2000)
                .help("roadstaff.help_optional"),
        );
        out.push(
            field(
                "reason",
                "roadstaff.sheet_reason".into(),
                "select",
                self.reason.clone(),
            )
            .required()
            .options(&FORM_SHEET_REASONS, "roadstaff.reason_"),
        );
        out
    }
}

async fn sheet_form_page(
    st: &AppState,
    c: Ctx,
    r: Route,
    form: SheetForm,
    errors: Problems,
    notice: &'static str,
) -> Result<FormPage, AppError> {
    let sheet_version = store::current_sheet(&st.db, &c.tenant.id, r.id)
        .await?
        .map(|s| s.version)
        .unwrap_or(0);
    let mut fields = form.fields();
    set_errors(&mut fields, &errors);
    Ok(FormPage {
        which: "sheet",
        title: "roadstaff.sheet_title",
        action: format!("/staff/roads/routes/{}/sheet", r.id),
        version: form.version.clone(),
        fields,
        errors,
        notice,
        sections: Vec::new(),
        sheet_version,
        abolish: AbolishForm::default(),
        abolish_errors: Vec::new(),
        r,
        c,
    })
}

async fn sheet_page(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let r = load_route(&st, &c.tenant.id, &id).await?;
    let cur = store::current_sheet(&st.db, &c.tenant.id, r.id).await?;
    let form = SheetForm::of(
        &cur.as_ref().map(|s| s.sheet()).unwrap_or_default(),
        cur.as_ref().map(|s| s.version),
    );
    let page = sheet_form_page(&st, c, r, form, Vec::new(), q.notice()).await?;
    Ok(render(&page)?.into_response())
}

async fn sheet_save(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
    form: Result<Form<SheetForm>, axum::extract::rejection::FormRejection>,
) -> Result<Response, AppError> {
    let me = match allowed(&st, &c).await? {
        Ok(me) => me,
        Err(r) => return Ok(r),
    };
    let m = c.tenant.id.clone();
    let r = load_route(&st, &m, &id).await?;
    let Form(f) = match form {
        Ok(f) => f,
        Err(e) => return Ok(e.into_response()),
    };
    let errors = match f.parse() {
        Ok((expected, sheet, reason)) => {
            let editor = Editor::new(Actor::User(me.id), reason);
            let mut tx = st.db.begin().await?;
            match store::save_sheet(&mut tx, &m, r.id, expected, &sheet, &editor).await {
                Ok(_) => {
                    tx.commit().await?;
                    return Ok(Redirect::to(&format!(
                        "/staff/roads/routes/{}/sheet?saved=1",
                        r.id
                    ))
                    .into_response());
                }
                Err(e) => refusal(
                    e,
                    vec![("version", "roadstaff.err_conflict_sheet")],
                    |msg| {
                        tracing::info!(error = %msg, "sheet refused by the store");
                        vec![("reason", "roadstaff.err_sheet_reason")]
                    },
                )?,
            }
        }
        Err(e) => e,
    };
    let conflict = errors.iter().any(|(n, _)| *n == "version");
    let (form, errors) = if conflict {
        let cur = store::current_sheet(&st.db, &m, r.id).await?;
        let form = SheetForm::of(
            &cur.as_ref().map(|s| s.sheet()).unwrap_or_default(),
            cur.as_ref().map(|s| s.version),
        );
        (form, vec![("version", "roadstaff.err_conflict_sheet")])
    } else {
        (f, errors)
    };
    let page = sheet_form_page(&st, c, r, form, errors, "").await?;
    let status = if conflict {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, render(&page)?).into_response())
}

// ---- history ---------------------------------------------------------------------------------

/// One changed field of a history entry.
pub struct Change {
    pub label: String,
    pub before: String,
    pub after: String,
}

/// One history entry as shown.
pub struct Entry {
    pub at: String,
    pub who: String,
    pub action_key: String,
    pub reason: String,
    pub changes: Vec<Change>,
}

/// The fields of [`LedgerSheet`] in the order of the form.
const SHEET_FIELDS: [&str; 20] = [
    "via",
    "length_actual_m",
    "length_shared_m",
    "length_unopened_m",
    "length_bridges_m",
    "length_tunnels_m",
    "length_paved_m",
    "length_unpaved_m",
    "width_typical_m",
    "width_narrowest_m",
    "steepest_gradient_pct",
    "min_curve_radius_m",
    "bridges",
    "tunnels",
    "pedestrian_bridges",
    "level_crossings",
    "area_decided_on",
    "notice_number",
    "private_lots",
    "remarks",
];

/// Fields not shown in a diff (bookkeeping).
const HIDDEN: [&str; 3] = ["id", "version", "updated_at"];

/// The order and label key of the fields of an entity, for the diff.
fn label_key(entity: &str, field: &str) -> String {
    match entity {
        "sheet" => format!("roadstaff.sheet.{field}"),
        _ => match field {
            "public" => "roadstaff.public_field".into(),
            "geometry" => "roadstaff.geometry".into(),
            "name" if entity == "route" => "roadmap.col_name".into(),
            _ => format!("roads.prop.{field}"),
        },
    }
}

/// A stored value in words: choices by their label, geometry by its size, lists joined.
pub fn value_text(l: Lang, field: &str, v: Option<&serde_json::Value>) -> String {
    use serde_json::Value;
    let none = || l.t("roadstaff.none").to_owned();
    let Some(v) = v else { return none() };
    let choice = |prefix: &str, s: &str| {
        let k = format!("{prefix}{s}");
        if crate::web::i18n::has_key(&k) {
            l.t(&k).to_owned()
        } else {
            s.to_owned()
        }
    };
    match (field, v) {
        (_, Value::Null) => none(),
        ("road_kind", Value::String(s)) => choice("roadmap.kind_", s),
        ("route_class", Value::String(s)) => choice("roadmap.class_", s),
        ("pavement", Value::String(s)) => choice("roadmap.pavement_", s),
        ("sidewalk", Value::String(s)) => choice("roadmap.sidewalk_", s),
        ("public", Value::Bool(b)) => l
            .t(if *b {
                "roadstaff.public_yes"
            } else {
                "roadstaff.public_no"
            })
            .to_owned(),
        ("geometry", Value::String(s)) => {
            let n = model::parse_geometry(s)
                .map(|g| {
                    let mut n = 0;
                    model::for_each_position(&g.value, &mut |_| n += 1);
                    n
                })
                .unwrap_or(0);
            format!("{}{}", n, l.t("roadstaff.geometry_points"))
        }
        ("private_lots", Value::Array(a)) if a.is_empty() => none(),
        ("private_lots", Value::Array(a)) => a
            .iter()
            .map(|lot| {
                format!(
                    "{}（{} m²）",
                    lot["lot"].as_str().unwrap_or(""),
                    lot["area_m2"].as_f64().map(num_text).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("、"),
        (_, Value::Array(a)) if a.is_empty() => none(),
        (_, Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| x.to_string())
            })
            .collect::<Vec<_>>()
            .join("、"),
        (_, Value::String(s)) if s.is_empty() => none(),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Number(n)) => n.as_f64().map(num_text).unwrap_or_else(|| n.to_string()),
        (_, Value::Bool(b)) => b.to_string(),
        (_, other) => other.to_string(),
    }
}

/// The fields that differ between two stored JSON objects, in the order of `after` (then
/// `before`), with labels and values in words.
pub fn diff(l: Lang, entity: &str, before: Option<&str>, after: Option<&str>) -> Vec<Change> {
    let parse = |t: Option<&str>| -> serde_json::Map<String, serde_json::Value> {
        t.and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let (b, a) = (parse(before), parse(after));
    // The order of the form (the layer's columns, the 調書's fields), then any others.
    let order: Vec<&str> = match entity {
        "route" => <Route as store::Layer>::FIELDS
            .iter()
            .map(|(n, _)| *n)
            .collect(),
        "section" => <Section as store::Layer>::FIELDS
            .iter()
            .map(|(n, _)| *n)
            .collect(),
        "sheet" => SHEET_FIELDS.to_vec(),
        _ => Vec::new(),
    };
    let mut keys: Vec<&String> = a
        .keys()
        .chain(b.keys().filter(|k| !a.contains_key(*k)))
        .collect();
    keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(usize::MAX));
    let null = serde_json::Value::Null;
    let mut out = Vec::new();
    for k in keys {
        let (bv, av) = (b.get(k).unwrap_or(&null), a.get(k).unwrap_or(&null));
        if HIDDEN.contains(&k.as_str()) || bv == av {
            continue;
        }
        let key = label_key(entity, k);
        let label = if crate::web::i18n::has_key(&key) {
            l.t(&key).to_owned()
        } else {
            k.clone()
        };
        out.push(Change {
            label,
            before: if before.is_some() {
                value_text(l, k, b.get(k))
            } else {
                String::new()
            },
            after: if after.is_some() {
                value_text(l, k, a.get(k))
            } else {
                String::new()
            },
        });
    }
    out
}

/// Unix ms as Japan time "2026-12-02 13:40".
pub fn jst(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+9));
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[derive(Template)]
#[template(path = "roads/staff_history.html")]
pub struct HistoryPage {
    pub c: Ctx,
    pub r: Option<Route>,
    pub title: &'static str,
    pub subject: String,
    pub back: String,
    pub entries: Vec<Entry>,
}

async fn entries(
    st: &AppState,
    l: Lang,
    entity: &str,
    rows: Vec<HistoryRow>,
) -> Result<Vec<Entry>, AppError> {
    let mut names: std::collections::HashMap<i64, String> = Default::default();
    let mut out = Vec::with_capacity(rows.len());
    for h in rows {
        let who = match h.user_id {
            Some(u) => {
                if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(u) {
                    let n = crate::auth::store::find_user(&st.db, u)
                        .await?
                        .map(|u| u.name)
                        .unwrap_or_else(|| format!("#{u}"));
                    slot.insert(n);
                }
                names[&u].clone()
            }
            None => match h.actor.as_str() {
                "cli" => l.t("roadstaff.actor_cli").to_owned(),
                "system" => l.t("roadstaff.actor_system").to_owned(),
                other => other.to_owned(),
            },
        };
        let reason = if entity == "sheet" {
            let k = format!("roadstaff.reason_{}", h.reason);
            if crate::web::i18n::has_key(&k) {
                l.t(&k).to_owned()
            } else {
                h.reason.clone()
            }
        } else {
            h.reason.clone()
        };
        out.push(Entry {
            at: jst(h.at),
            who,
            action_key: format!("roadstaff.action_{}", h.action),
            reason,
            changes: diff(l, entity, h.before_json.as_deref(), h.after_json.as_deref()),
        });
    }
    Ok(out)
}

async fn route_history(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    history_of(st, c, id, "route").await
}

async fn sheet_history(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    history_of(st, c, id, "sheet").await
}

async fn section_history(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    history_of(st, c, id, "section").await
}

async fn history_of(
    st: AppState,
    c: Ctx,
    id: String,
    entity: &'static str,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let m = c.tenant.id.clone();
    let (r, subject, back, title) = match entity {
        "section" => {
            let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
            let s = store::get::<Section>(&st.db, &m, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let r = store::get::<Route>(&st.db, &m, s.route_id).await?;
            let back = format!("/staff/roads/routes/{}", s.route_id);
            (r, s.section_code, back, "roadstaff.history_section")
        }
        _ => {
            let r = load_route(&st, &m, &id).await?;
            let subject = format!("{} {}", r.route_number, r.name);
            let (back, title) = if entity == "sheet" {
                (
                    format!("/staff/roads/routes/{}/sheet", r.id),
                    "roadstaff.history_sheet",
                )
            } else {
                (
                    format!("/staff/roads/routes/{}", r.id),
                    "roadstaff.history_route",
                )
            };
            (Some(r), subject, back, title)
        }
    };
    let eid: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let rows = store::history(&st.db, &m, entity, eid).await?;
    let entries = entries(&st, c.l, entity, rows).await?;
    Ok(render(&HistoryPage {
        c,
        r,
        title,
        subject,
        back,
        entries,
    })?
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::super::model::SHEET_REASONS;
    use super::*;

    #[test]
    fn dates_numbers_and_lots() {
        assert_eq!(parse_date("2024/4/1").as_deref(), Some("2024-04-01"));
        assert_eq!(
            parse_date("２０２４－０４－０１").as_deref(),
            Some("2024-04-01")
        );
        assert_eq!(
            parse_date("２０２４/０４/０１").as_deref(),
            Some("2024-04-01")
        );
        assert_eq!(parse_date("20240229").as_deref(), Some("2024-02-29"));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("昭和60年"), None);
        assert_eq!(parse_number("１,２３４.５", 10_000.0), Some(1234.5));
        assert_eq!(parse_number("-1", 100.0), None);
        assert_eq!(parse_number("101", 100.0), None);
        assert_eq!(parse_count("3", 10), Some(3));
        assert_eq!(parse_count("2.5", 10), None);
        let lots = parse_lots("八幡二丁目 12-3, 4.5\n\n市川南1-1、10").expect("lots");
        assert_eq!(lots.len(), 2);
        assert_eq!(lots[0].lot, "八幡二丁目 12-3");
        assert_eq!(lots[1].area_m2, 10.0);
        assert!(parse_lots("地番だけ").is_none());
        assert!(parse_lots(", 3").is_none());
    }

    #[test]
    fn diff_names_fields_in_words() {
        let before = r#"{"id":1,"version":1,"name":"八幡1号線","route_class":"2","public":true,"width_min_m":4.0,"opened_on":null}"#;
        let after = r#"{"id":1,"version":2,"name":"八幡1号線","route_class":"1","public":false,"width_min_m":4.5,"opened_on":"1990-04-01"}"#;
        let d = diff(Lang::Ja, "route", Some(before), Some(after));
        let got: Vec<(String, String, String)> = d
            .into_iter()
            .map(|c| (c.label, c.before, c.after))
            .collect();
        assert_eq!(
            got,
            vec![
                ("路線の区分".into(), "2級".into(), "1級".into()),
                (
                    "供用開始年月日".into(),
                    "（なし）".into(),
                    "1990-04-01".into()
                ),
                ("最小幅員（m）".into(), "4".into(), "4.5".into()),
                ("公開・非公開".into(), "公開".into(), "非公開".into()),
            ]
        );
        let s = diff(
            Lang::En,
            "sheet",
            None,
            Some(r#"{"via":["八幡","鬼越"],"bridges":2}"#),
        );
        assert_eq!(s[0].label, "Main places passed");
        assert_eq!(s[0].after, "八幡、鬼越");
        assert_eq!(s[0].before, "");
        assert_eq!(jst(0), "1970-01-01 09:00:00");
        assert!(
            FORM_SHEET_REASONS
                .iter()
                .all(|r| SHEET_REASONS.contains(r) && *r != "import")
        );
    }
}
