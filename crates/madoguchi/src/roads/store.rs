//! SQL of the roads module (migration 0016), sea-query, one code path for SQLite and PostgreSQL.
//!
//! Every spatial table is a [`Layer`]: one generic insert / update / delete / get / list. Writes
//! take a `Tx` and an [`Editor`]; each one writes a `road_history` row (who, when, before, after),
//! an audit event (`audit::record`) and bumps the municipality's `road_meta.data_version` in the
//! same transaction. Reads take the municipality. Bounding boxes are zone IX metres
//! `[min easting, min northing, max easting, max northing]` (see [`super::model`]).

use sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query, SelectStatement, SimpleExpr};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::model::{
    self, AreaLine, Bbox, BoundaryPoint, ControlPoint, Facility, HistoryRow, LedgerSheet, Route,
    Section, SheetRow,
};
use crate::audit::{self, Actor};
use crate::db::{Db, Row, Tx, now_ms};

/// Who makes a change and why (the `reason` goes into the history and the audit event).
#[derive(Clone, Debug)]
pub struct Editor {
    pub actor: Actor,
    pub reason: String,
}

impl Editor {
    pub fn new(actor: Actor, reason: impl Into<String>) -> Editor {
        Editor {
            actor,
            reason: reason.into(),
        }
    }
    fn user_id(&self) -> Option<i64> {
        match self.actor {
            Actor::User(id) => Some(id),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// Someone else saved the row since it was read (version mismatch).
    #[error("changed by someone else since it was read")]
    Conflict,
    /// A value the database would refuse, or a geometry that does not validate.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Column kinds, for typed binding (PostgreSQL needs typed NULLs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Text,
    OptText,
    Real,
    OptReal,
    Int,
    OptInt,
    Bool,
}

/// One spatial table. The row struct has `id`, `version`, `updated_at` and the `FIELDS`
/// (the editable columns, `geometry` among them), with the same names as the columns.
pub trait Layer: Row + Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    const TABLE: &'static str;
    /// Entity name in the history and audit log ("route", "section" …).
    const ENTITY: &'static str;
    const FIELDS: &'static [(&'static str, Col)];
    /// Geometry types accepted.
    const GEOMETRY_TYPES: &'static [&'static str];
    /// The table has a `created_at` column.
    const CREATED_AT: bool = false;
    fn id(&self) -> i64;
    fn version(&self) -> i64;
    fn set_meta(&mut self, id: i64, version: i64, updated_at: i64);
    /// `public`: shown in the OGC API, the public map and the tiles (else 非公開).
    fn set_public(&mut self, public: bool);
    fn is_public(&self) -> bool;
    /// The route (路線) the row belongs to, for the layers that have one: a row of an abolished
    /// route cannot be public ([`refuse_public_rows_of_abolished_routes`]).
    fn route_id(&self) -> Option<i64> {
        None
    }
    /// Geometry text (None for a route without a centre line).
    fn geometry(&self) -> Option<&str>;
    /// Fills derived fields (point geometry from X/Y, section length) before a write.
    fn prepare(&mut self) -> Result<(), String> {
        Ok(())
    }
    /// Checks the values the database would refuse, naming the field.
    fn check(&self) -> Result<(), String>;
}

fn one_of(field: &str, v: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&v) {
        Ok(())
    } else {
        Err(format!(
            "{field}: {v:?} is not one of {}",
            allowed.join(", ")
        ))
    }
}

fn non_empty(field: &str, v: &str) -> Result<(), String> {
    if v.trim().is_empty() {
        Err(format!("{field} is empty"))
    } else {
        Ok(())
    }
}

fn opt_date(field: &str, v: &Option<String>) -> Result<(), String> {
    match v {
        Some(d) if !model::is_date(d) => Err(format!("{field}: {d:?} is not a YYYY-MM-DD date")),
        _ => Ok(()),
    }
}

fn non_negative(field: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!("{field}: {v} must be a number of 0 or more"))
    }
}

macro_rules! layer_meta {
    () => {
        fn id(&self) -> i64 {
            self.id
        }
        fn version(&self) -> i64 {
            self.version
        }
        fn set_meta(&mut self, id: i64, version: i64, updated_at: i64) {
            self.id = id;
            self.version = version;
            self.updated_at = updated_at;
        }
        fn set_public(&mut self, public: bool) {
            self.public = public;
        }
        fn is_public(&self) -> bool {
            self.public
        }
    };
}

impl Layer for Route {
    const TABLE: &'static str = "road_routes";
    const ENTITY: &'static str = "route";
    const CREATED_AT: bool = true;
    const GEOMETRY_TYPES: &'static [&'static str] = &["LineString", "MultiLineString"];
    const FIELDS: &'static [(&'static str, Col)] = &[
        ("road_kind", Col::Text),
        ("route_number", Col::Text),
        ("name", Col::Text),
        ("route_class", Col::Text),
        ("certified_on", Col::Text),
        ("opened_on", Col::OptText),
        ("start_address", Col::Text),
        ("end_address", Col::Text),
        ("start_x_north", Col::OptReal),
        ("start_y_east", Col::OptReal),
        ("end_x_north", Col::OptReal),
        ("end_y_east", Col::OptReal),
        ("length_m", Col::Real),
        ("width_min_m", Col::Real),
        ("width_max_m", Col::Real),
        ("geometry", Col::OptText),
        ("public", Col::Bool),
        ("abolished_on", Col::OptText),
    ];
    layer_meta!();
    fn geometry(&self) -> Option<&str> {
        self.geometry.as_deref()
    }
    fn check(&self) -> Result<(), String> {
        one_of("road_kind", &self.road_kind, &model::ROAD_KINDS)?;
        opt_date("abolished_on", &self.abolished_on)?;
        if self.abolished_on.is_some() && self.public {
            return Err("public: an abolished route cannot be public".into());
        }
        non_empty("route_number", &self.route_number)?;
        non_empty("name", &self.name)?;
        one_of("route_class", &self.route_class, &model::ROUTE_CLASSES)?;
        if !model::is_date(&self.certified_on) {
            return Err(format!(
                "certified_on: {:?} is not a YYYY-MM-DD date",
                self.certified_on
            ));
        }
        opt_date("opened_on", &self.opened_on)?;
        non_empty("start_address", &self.start_address)?;
        non_empty("end_address", &self.end_address)?;
        non_negative("length_m", self.length_m)?;
        non_negative("width_min_m", self.width_min_m)?;
        non_negative("width_max_m", self.width_max_m)?;
        if self.width_max_m < self.width_min_m {
            return Err(format!(
                "width_max_m: {} is less than width_min_m {}",
                self.width_max_m, self.width_min_m
            ));
        }
        Ok(())
    }
}

impl Layer for Section {
    const TABLE: &'static str = "road_sections";
    const ENTITY: &'static str = "section";
    const GEOMETRY_TYPES: &'static [&'static str] = &["LineString"];
    const FIELDS: &'static [(&'static str, Col)] = &[
        ("route_id", Col::Int),
        ("section_code", Col::Text),
        ("carriageway_width_m", Col::Real),
        ("sidewalk_width_m", Col::Real),
        ("pavement", Col::Text),
        ("sidewalk", Col::Text),
        ("length_m", Col::Real),
        ("geometry", Col::Text),
        ("public", Col::Bool),
    ];
    layer_meta!();
    fn route_id(&self) -> Option<i64> {
        Some(self.route_id)
    }
    fn geometry(&self) -> Option<&str> {
        Some(&self.geometry)
    }
    fn prepare(&mut self) -> Result<(), String> {
        let g = model::parse_geometry(&self.geometry)?;
        self.length_m = (model::length_m(&g.value) * 1000.0).round() / 1000.0;
        Ok(())
    }
    fn check(&self) -> Result<(), String> {
        non_empty("section_code", &self.section_code)?;
        non_negative("carriageway_width_m", self.carriageway_width_m)?;
        non_negative("sidewalk_width_m", self.sidewalk_width_m)?;
        one_of("pavement", &self.pavement, &model::PAVEMENTS)?;
        one_of("sidewalk", &self.sidewalk, &model::SIDEWALKS)
    }
}

impl Layer for AreaLine {
    const TABLE: &'static str = "road_area_lines";
    const ENTITY: &'static str = "area_line";
    const GEOMETRY_TYPES: &'static [&'static str] = &["LineString", "MultiLineString", "Polygon"];
    const FIELDS: &'static [(&'static str, Col)] = &[
        ("route_id", Col::Int),
        ("boundary_status", Col::Text),
        ("confirmed_on", Col::OptText),
        ("document_number", Col::OptText),
        ("geometry", Col::Text),
        ("public", Col::Bool),
    ];
    layer_meta!();
    fn route_id(&self) -> Option<i64> {
        Some(self.route_id)
    }
    fn geometry(&self) -> Option<&str> {
        Some(&self.geometry)
    }
    fn check(&self) -> Result<(), String> {
        one_of(
            "boundary_status",
            &self.boundary_status,
            &model::BOUNDARY_STATUSES,
        )?;
        opt_date("confirmed_on", &self.confirmed_on)
    }
}

impl Layer for BoundaryPoint {
    const TABLE: &'static str = "road_boundary_points";
    const ENTITY: &'static str = "boundary_point";
    const GEOMETRY_TYPES: &'static [&'static str] = &["Point"];
    const FIELDS: &'static [(&'static str, Col)] = &[
        ("route_id", Col::OptInt),
        ("point_number", Col::Text),
        ("x_north", Col::Real),
        ("y_east", Col::Real),
        ("marker", Col::Text),
        ("installed_on", Col::OptText),
        ("boundary_status", Col::Text),
        ("datum", Col::Text),
        ("accuracy", Col::OptText),
        ("geometry", Col::Text),
        ("public", Col::Bool),
    ];
    layer_meta!();
    fn route_id(&self) -> Option<i64> {
        self.route_id
    }
    fn geometry(&self) -> Option<&str> {
        Some(&self.geometry)
    }
    fn prepare(&mut self) -> Result<(), String> {
        self.geometry = model::point_text(self.x_north, self.y_east);
        Ok(())
    }
    fn check(&self) -> Result<(), String> {
        non_empty("point_number", &self.point_number)?;
        one_of("marker", &self.marker, &model::MARKERS)?;
        opt_date("installed_on", &self.installed_on)?;
        one_of(
            "boundary_status",
            &self.boundary_status,
            &model::BOUNDARY_STATUSES,
        )?;
        one_of("datum", &self.datum, &model::DATUMS)
    }
}

impl Layer for ControlPoint {
    const TABLE: &'static str = "road_control_points";
    const ENTITY: &'static str = "control_point";
    const GEOMETRY_TYPES: &'static [&'static str] = &["Point"];
    const FIELDS: &'static [(&'static str, Col)] = &[
        ("point_name", Col::Text),
        ("kind", Col::Text),
        ("grade", Col::Int),
        ("x_north", Col::Real),
        ("y_east", Col::Real),
        ("h_m", Col::OptReal),
        ("datum", Col::Text),
        ("epoch", Col::OptText),
        ("installed_on", Col::OptText),
        ("condition", Col::Text),
        ("manager", Col::Text),
        ("geometry", Col::Text),
        ("public", Col::Bool),
    ];
    layer_meta!();
    fn geometry(&self) -> Option<&str> {
        Some(&self.geometry)
    }
    fn prepare(&mut self) -> Result<(), String> {
        self.geometry = model::point_text(self.x_north, self.y_east);
        Ok(())
    }
    fn check(&self) -> Result<(), String> {
        non_empty("point_name", &self.point_name)?;
        one_of("kind", &self.kind, &model::CONTROL_KINDS)?;
        if !(1..=4).contains(&self.grade) {
            return Err(format!("grade: {} is not 1 to 4", self.grade));
        }
        one_of("datum", &self.datum, &model::DATUMS)?;
        opt_date("installed_on", &self.installed_on)?;
        one_of("condition", &self.condition, &model::CONDITIONS)?;
        non_empty("manager", &self.manager)
    }
}

impl Layer for Facility {
    const TABLE: &'static str = "road_facilities";
    const ENTITY: &'static str = "facility";
    const GEOMETRY_TYPES: &'static [&'static str] = &[
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
    ];
    const FIELDS: &'static [(&'static str, Col)] = &[
        ("route_id", Col::OptInt),
        ("kind", Col::Text),
        ("name", Col::Text),
        ("attributes_json", Col::Text),
        ("geometry", Col::Text),
        ("public", Col::Bool),
    ];
    layer_meta!();
    fn route_id(&self) -> Option<i64> {
        self.route_id
    }
    fn geometry(&self) -> Option<&str> {
        Some(&self.geometry)
    }
    fn check(&self) -> Result<(), String> {
        one_of("kind", &self.kind, &model::FACILITY_KINDS)?;
        non_empty("name", &self.name)?;
        match serde_json::from_str::<serde_json::Value>(&self.attributes_json) {
            Ok(serde_json::Value::Object(_)) => Ok(()),
            _ => Err("attributes_json is not a JSON object".into()),
        }
    }
}

fn col(name: &str) -> Alias {
    Alias::new(name)
}

/// The typed value of one field of a serialised row.
fn field_value(
    obj: &serde_json::Map<String, serde_json::Value>,
    name: &str,
    kind: Col,
) -> sea_query::Value {
    let v = obj.get(name).unwrap_or(&serde_json::Value::Null);
    match kind {
        Col::Text | Col::OptText => sea_query::Value::String(v.as_str().map(str::to_owned)),
        Col::Real | Col::OptReal => sea_query::Value::Double(v.as_f64()),
        Col::Int | Col::OptInt => sea_query::Value::BigInt(v.as_i64()),
        Col::Bool => sea_query::Value::Bool(v.as_bool()),
    }
}

/// Validates, fills derived fields and returns the row's column values plus its bbox.
type Values = Vec<(Alias, SimpleExpr)>;

fn values_of<T: Layer>(row: &mut T) -> Result<(Values, Option<Bbox>), StoreError> {
    row.prepare().map_err(StoreError::Invalid)?;
    row.check().map_err(StoreError::Invalid)?;
    let bbox = match row.geometry() {
        None => None,
        Some(text) => {
            let g = model::parse_geometry(text)
                .map_err(|e| StoreError::Invalid(format!("geometry: {e}")))?;
            model::validate(&g.value, T::GEOMETRY_TYPES)
                .map_err(|e| StoreError::Invalid(format!("geometry: {e}")))?;
            model::bbox(&g.value)
        }
    };
    let json = serde_json::to_value(&*row).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let obj = json.as_object().cloned().unwrap_or_default();
    let mut vals: Vec<(Alias, SimpleExpr)> = T::FIELDS
        .iter()
        .map(|(name, kind)| (col(name), SimpleExpr::Value(field_value(&obj, name, *kind))))
        .collect();
    let b = bbox.map(|b| b.map(Some)).unwrap_or([None; 4]);
    for (name, v) in ["minx", "miny", "maxx", "maxy"].into_iter().zip(b) {
        vals.push((col(name), SimpleExpr::Value(sea_query::Value::Double(v))));
    }
    Ok((vals, bbox))
}

fn select_of<T: Layer>(municipality: &str) -> SelectStatement {
    let mut q = Query::select();
    q.from(col(T::TABLE))
        .columns([col("id"), col("version"), col("updated_at")])
        .columns(T::FIELDS.iter().map(|(n, _)| col(n)))
        .and_where(Expr::col(col("municipality_id")).eq(municipality));
    q
}

async fn bump_version(tx: &mut Tx, municipality: &str, now: i64) -> Result<(), sqlx::Error> {
    let mut q = Query::insert();
    q.into_table(col("road_meta"))
        .columns([
            col("municipality_id"),
            col("data_version"),
            col("updated_at"),
        ])
        .values_panic([municipality.into(), 1i64.into(), now.into()])
        .on_conflict(
            OnConflict::column(col("municipality_id"))
                .value(
                    col("data_version"),
                    Expr::col((col("road_meta"), col("data_version"))).add(1),
                )
                .value(col("updated_at"), now)
                .to_owned(),
        );
    tx.execute(&q).await?;
    tx.changed(crate::db::Topic::RoadData);
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn write_history(
    tx: &mut Tx,
    municipality: &str,
    entity: &str,
    entity_id: i64,
    action: &str,
    editor: &Editor,
    before: Option<String>,
    after: Option<String>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut q = Query::insert();
    q.into_table(col("road_history"))
        .columns(
            [
                "municipality_id",
                "entity",
                "entity_id",
                "action",
                "actor",
                "user_id",
                "at",
                "before_json",
                "after_json",
                "reason",
            ]
            .map(col),
        )
        .values_panic([
            municipality.into(),
            entity.into(),
            entity_id.into(),
            action.into(),
            editor.actor.to_string().into(),
            editor.user_id().into(),
            now.into(),
            before.into(),
            after.into(),
            editor.reason.clone().into(),
        ]);
    tx.execute(&q).await?;
    bump_version(tx, municipality, now).await?;
    audit::record(
        tx,
        municipality,
        &editor.actor,
        &format!("roads.{entity}.{action}"),
        &format!("{entity}:{entity_id}"),
        serde_json::json!({ "reason": editor.reason }),
    )
    .await?;
    Ok(())
}

fn map_db(e: sqlx::Error) -> StoreError {
    if crate::db::is_unique_violation(&e) {
        StoreError::Invalid("a row with the same number or code already exists".into())
    } else if let sqlx::Error::Database(d) = &e {
        if d.is_foreign_key_violation() {
            return StoreError::Invalid(
                "it refers to a route that does not exist, or is still referred to".into(),
            );
        }
        if d.is_check_violation() {
            return StoreError::Invalid(format!("a value is out of range: {}", d.message()));
        }
        StoreError::Db(e)
    } else {
        StoreError::Db(e)
    }
}

/// Refuses public rows that belong to an abolished route (路線の廃止 takes a route's rows off
/// the public map and API for good; `abolish_route` hides them, this keeps them hidden): one
/// query for all the routes of `rows`.
async fn refuse_public_rows_of_abolished_routes<T: Layer>(
    tx: &mut Tx,
    municipality: &str,
    rows: &[T],
) -> Result<(), StoreError> {
    let mut routes: Vec<i64> = rows
        .iter()
        .filter(|r| r.is_public())
        .filter_map(Layer::route_id)
        .collect();
    routes.sort_unstable();
    routes.dedup();
    if routes.is_empty() {
        return Ok(());
    }
    let q = Query::select()
        .column(col("id"))
        .from(col(Route::TABLE))
        .and_where(Expr::col(col("municipality_id")).eq(municipality))
        .and_where(Expr::col(col("abolished_on")).is_not_null())
        .and_where(Expr::col(col("id")).is_in(routes))
        .limit(1)
        .to_owned();
    let abolished: Option<(i64,)> = tx.fetch_optional(&q).await.map_err(map_db)?;
    match abolished {
        Some((id,)) => Err(StoreError::Invalid(format!(
            "public: route {id} is abolished (廃止), so its {} rows cannot be public",
            T::ENTITY
        ))),
        None => Ok(()),
    }
}

/// Inserts a row (its `id`/`version` are ignored) and returns it as stored.
pub async fn insert<T: Layer>(
    tx: &mut Tx,
    municipality: &str,
    row: &T,
    editor: &Editor,
) -> Result<T, StoreError> {
    insert_as(tx, municipality, row, editor, "create").await
}

async fn insert_as<T: Layer>(
    tx: &mut Tx,
    municipality: &str,
    row: &T,
    editor: &Editor,
    action: &str,
) -> Result<T, StoreError> {
    let mut row = row.clone();
    let (vals, _) = values_of(&mut row)?;
    refuse_public_rows_of_abolished_routes(tx, municipality, std::slice::from_ref(&row)).await?;
    let now = now_ms();
    let mut q = Query::insert();
    let mut cols: Vec<Alias> = vec![col("municipality_id"), col("version"), col("updated_at")];
    let mut vs: Vec<SimpleExpr> = vec![municipality.into(), 1i64.into(), now.into()];
    if T::CREATED_AT {
        cols.push(col("created_at"));
        vs.push(now.into());
    }
    for (c, v) in vals {
        cols.push(c);
        vs.push(v);
    }
    q.into_table(col(T::TABLE))
        .columns(cols)
        .values_panic(vs)
        .returning(Query::returning().column(col("id")));
    let (id,): (i64,) = tx.fetch_one(&q).await.map_err(map_db)?;
    row.set_meta(id, 1, now);
    let after = serde_json::to_string(&row).ok();
    write_history(
        tx,
        municipality,
        T::ENTITY,
        id,
        action,
        editor,
        None,
        after,
        now,
    )
    .await?;
    Ok(row)
}

/// Inserts many rows of one layer in one statement per chunk, with ONE history row
/// ("import", after = the count) for the whole batch; used by `roads import` and the demo.
pub async fn insert_batch<T: Layer>(
    tx: &mut Tx,
    municipality: &str,
    rows: &[T],
    editor: &Editor,
) -> Result<Vec<i64>, StoreError> {
    refuse_public_rows_of_abolished_routes(tx, municipality, rows).await?;
    let now = now_ms();
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(200) {
        let mut q = Query::insert();
        let mut cols: Vec<Alias> = vec![col("municipality_id"), col("version"), col("updated_at")];
        if T::CREATED_AT {
            cols.push(col("created_at"));
        }
        cols.extend(T::FIELDS.iter().map(|(n, _)| col(n)));
        cols.extend(["minx", "miny", "maxx", "maxy"].map(col));
        q.into_table(col(T::TABLE)).columns(cols);
        for r in chunk {
            let mut r = r.clone();
            let (vals, _) = values_of(&mut r)?;
            let mut vs: Vec<SimpleExpr> = vec![municipality.into(), 1i64.into(), now.into()];
            if T::CREATED_AT {
                vs.push(now.into());
            }
            vs.extend(vals.into_iter().map(|(_, v)| v));
            q.values_panic(vs);
        }
        q.returning(Query::returning().column(col("id")));
        let got: Vec<(i64,)> = tx.fetch_all(&q).await.map_err(map_db)?;
        ids.extend(got.into_iter().map(|(id,)| id));
    }
    if !rows.is_empty() {
        let after = serde_json::json!({ "rows": rows.len(), "first_id": ids.first(), "last_id": ids.last() });
        write_history(
            tx,
            municipality,
            T::ENTITY,
            0,
            "import",
            editor,
            None,
            Some(after.to_string()),
            now,
        )
        .await?;
    }
    Ok(ids)
}

/// Saves `row` over the stored row with the same id, if its `version` is still the stored one
/// (else [`StoreError::Conflict`]). Returns the row as stored (version + 1).
pub async fn update<T: Layer>(
    tx: &mut Tx,
    municipality: &str,
    row: &T,
    editor: &Editor,
) -> Result<T, StoreError> {
    let before: T = get_tx(tx, municipality, row.id())
        .await?
        .ok_or(StoreError::NotFound)?;
    if before.version() != row.version() {
        return Err(StoreError::Conflict);
    }
    let mut row = row.clone();
    let (vals, _) = values_of(&mut row)?;
    refuse_public_rows_of_abolished_routes(tx, municipality, std::slice::from_ref(&row)).await?;
    let now = now_ms();
    let mut q = Query::update();
    q.table(col(T::TABLE))
        .values(vals)
        .value(col("version"), row.version() + 1)
        .value(col("updated_at"), now)
        .and_where(Expr::col(col("municipality_id")).eq(municipality))
        .and_where(Expr::col(col("id")).eq(row.id()))
        .and_where(Expr::col(col("version")).eq(row.version()));
    let n = tx.execute(&q).await.map_err(map_db)?;
    if n != 1 {
        return Err(StoreError::Conflict);
    }
    let (id, version) = (row.id(), row.version() + 1);
    row.set_meta(id, version, now);
    write_history(
        tx,
        municipality,
        T::ENTITY,
        id,
        "update",
        editor,
        serde_json::to_string(&before).ok(),
        serde_json::to_string(&row).ok(),
        now,
    )
    .await?;
    Ok(row)
}

/// Deletes a row (history keeps it as `before`).
pub async fn delete<T: Layer>(
    tx: &mut Tx,
    municipality: &str,
    id: i64,
    editor: &Editor,
) -> Result<(), StoreError> {
    let before: T = get_tx(tx, municipality, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let q = Query::delete()
        .from_table(col(T::TABLE))
        .and_where(Expr::col(col("municipality_id")).eq(municipality))
        .and_where(Expr::col(col("id")).eq(id))
        .to_owned();
    tx.execute(&q).await.map_err(map_db)?;
    let now = now_ms();
    write_history(
        tx,
        municipality,
        T::ENTITY,
        id,
        "delete",
        editor,
        serde_json::to_string(&before).ok(),
        None,
        now,
    )
    .await?;
    Ok(())
}

/// 路線の廃止: the route gets its 廃止年月日 `on` and leaves the public data together with its
/// sections, road-area lines and facilities (`public` = FALSE on each; boundary and control
/// points stay, they are survey marks on the ground). `version` is the route version the
/// form was read at ([`StoreError::Conflict`] when someone saved since). One history row per
/// changed row, all in `tx`; the route's row and history stay, so its ledger can still be read
/// by staff.
pub async fn abolish_route(
    tx: &mut Tx,
    municipality: &str,
    id: i64,
    version: i64,
    on: &str,
    editor: &Editor,
) -> Result<Route, StoreError> {
    let mut r: Route = get_tx(tx, municipality, id)
        .await?
        .ok_or(StoreError::NotFound)?;
    if r.version != version {
        return Err(StoreError::Conflict);
    }
    if r.abolished_on.is_some() {
        return Err(StoreError::Invalid("the route is already abolished".into()));
    }
    r.abolished_on = Some(on.to_owned());
    r.public = false;
    let r = update(tx, municipality, &r, editor).await?;
    let sections = hide_of_route::<Section>(tx, municipality, id, editor).await?;
    let area_lines = hide_of_route::<AreaLine>(tx, municipality, id, editor).await?;
    let facilities = hide_of_route::<Facility>(tx, municipality, id, editor).await?;
    // The history has one `update` per row; the audit log also gets the decision itself.
    audit::record(
        tx,
        municipality,
        &editor.actor,
        "roads.route.abolish",
        &format!("route:{id}"),
        serde_json::json!({
            "abolished_on": on,
            "reason": editor.reason,
            "hidden": { "sections": sections, "area_lines": area_lines, "facilities": facilities },
        }),
    )
    .await?;
    Ok(r)
}

/// Makes the public rows of a layer that belong to route `route_id` non-public.
async fn hide_of_route<T: Layer>(
    tx: &mut Tx,
    municipality: &str,
    route_id: i64,
    editor: &Editor,
) -> Result<usize, StoreError> {
    let mut q = select_of::<T>(municipality);
    q.and_where(Expr::col(col("route_id")).eq(route_id))
        .and_where(Expr::col(col("public")).eq(true));
    let rows: Vec<T> = tx.fetch_all(&q).await?;
    for mut row in rows.iter().cloned() {
        row.set_public(false);
        update(tx, municipality, &row, editor).await?;
    }
    Ok(rows.len())
}

pub async fn get<T: Layer>(db: &Db, municipality: &str, id: i64) -> Result<Option<T>, sqlx::Error> {
    let mut q = select_of::<T>(municipality);
    q.and_where(Expr::col(col("id")).eq(id));
    db.fetch_optional(&q).await
}

pub async fn get_tx<T: Layer>(
    tx: &mut Tx,
    municipality: &str,
    id: i64,
) -> Result<Option<T>, sqlx::Error> {
    let mut q = select_of::<T>(municipality);
    q.and_where(Expr::col(col("id")).eq(id));
    tx.fetch_optional(&q).await
}

/// What to list. `bbox` in zone IX metres (rows without geometry match too, as OGC API wants);
/// `updated` = [from, to] Unix ms, either end open; ordered by id.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub bbox: Option<Bbox>,
    pub public_only: bool,
    pub route_id: Option<i64>,
    pub updated: Option<(Option<i64>, Option<i64>)>,
    /// Keyset paging: only ids above this one.
    pub after_id: Option<i64>,
    pub offset: u64,
    pub limit: Option<u64>,
}

fn apply_filter(q: &mut SelectStatement, f: &Filter) {
    if let Some([minx, miny, maxx, maxy]) = f.bbox {
        q.and_where(
            Expr::col(col("minx")).is_null().or(Expr::col(col("maxx"))
                .gte(minx)
                .and(Expr::col(col("minx")).lte(maxx))
                .and(Expr::col(col("maxy")).gte(miny))
                .and(Expr::col(col("miny")).lte(maxy))),
        );
    }
    if f.public_only {
        q.and_where(Expr::col(col("public")).eq(true));
    }
    if let Some(r) = f.route_id {
        q.and_where(Expr::col(col("route_id")).eq(r));
    }
    if let Some(a) = f.after_id {
        q.and_where(Expr::col(col("id")).gt(a));
    }
    if let Some((from, to)) = f.updated {
        if let Some(a) = from {
            q.and_where(Expr::col(col("updated_at")).gte(a));
        }
        if let Some(b) = to {
            q.and_where(Expr::col(col("updated_at")).lte(b));
        }
    }
}

pub async fn list<T: Layer>(
    db: &Db,
    municipality: &str,
    f: &Filter,
) -> Result<Vec<T>, sqlx::Error> {
    let mut q = select_of::<T>(municipality);
    apply_filter(&mut q, f);
    q.order_by(col("id"), Order::Asc);
    if let Some(l) = f.limit {
        q.limit(l);
    }
    if f.offset > 0 {
        q.offset(f.offset);
    }
    db.fetch_all(&q).await
}

/// The exact number of rows `list` would return without limit and offset.
pub async fn count<T: Layer>(db: &Db, municipality: &str, f: &Filter) -> Result<i64, sqlx::Error> {
    let mut q = Query::select();
    q.from(col(T::TABLE))
        .expr(Expr::col(col("id")).count())
        .and_where(Expr::col(col("municipality_id")).eq(municipality));
    apply_filter(&mut q, f);
    let (n,): (i64,) = db.fetch_one(&q).await?;
    Ok(n)
}

/// The bbox of all (public) rows of a layer, for the collection extent.
pub async fn extent<T: Layer>(
    db: &Db,
    municipality: &str,
    public_only: bool,
) -> Result<Option<Bbox>, sqlx::Error> {
    let mut q = Query::select();
    q.from(col(T::TABLE))
        .expr(Expr::col(col("minx")).min())
        .expr(Expr::col(col("miny")).min())
        .expr(Expr::col(col("maxx")).max())
        .expr(Expr::col(col("maxy")).max())
        .and_where(Expr::col(col("municipality_id")).eq(municipality));
    if public_only {
        q.and_where(Expr::col(col("public")).eq(true));
    }
    type Ext = (Option<f64>, Option<f64>, Option<f64>, Option<f64>);
    let (a, b, c, d): Ext = db.fetch_one(&q).await?;
    Ok(match (a, b, c, d) {
        (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
        _ => None,
    })
}

// ---- routes ---------------------------------------------------------------------------------

pub async fn route_by_number(
    db: &Db,
    municipality: &str,
    road_kind: &str,
    route_number: &str,
) -> Result<Option<Route>, sqlx::Error> {
    let mut q = select_of::<Route>(municipality);
    q.and_where(Expr::col(col("road_kind")).eq(road_kind))
        .and_where(Expr::col(col("route_number")).eq(route_number));
    db.fetch_optional(&q).await
}

/// Every route of the municipality (number → id lookups for import), ordered by number.
pub async fn all_routes(db: &Db, municipality: &str) -> Result<Vec<Route>, sqlx::Error> {
    let mut q = select_of::<Route>(municipality);
    q.order_by(col("road_kind"), Order::Asc)
        .order_by(col("route_number"), Order::Asc);
    db.fetch_all(&q).await
}

/// Routes whose number, name, start or end address contains `text` (case-sensitive substring;
/// all routes when empty), ordered by road kind and number; `public_only` for public pages.
pub async fn search_routes(
    db: &Db,
    municipality: &str,
    text: &str,
    public_only: bool,
    offset: u64,
    limit: u64,
) -> Result<(Vec<Route>, i64), sqlx::Error> {
    let cond = |q: &mut SelectStatement| {
        let t = text.trim();
        if !t.is_empty() {
            let pat = format!(
                "%{}%",
                t.replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_")
            );
            let like = |c: &str| {
                Expr::col(col(c)).like(sea_query::LikeExpr::new(pat.clone()).escape('\\'))
            };
            q.and_where(
                like("route_number")
                    .or(like("name"))
                    .or(like("start_address"))
                    .or(like("end_address")),
            );
        }
        if public_only {
            q.and_where(Expr::col(col("public")).eq(true));
        }
    };
    let mut q = select_of::<Route>(municipality);
    cond(&mut q);
    q.order_by(col("road_kind"), Order::Asc)
        .order_by(col("route_number"), Order::Asc)
        .limit(limit)
        .offset(offset);
    let rows = db.fetch_all(&q).await?;
    let mut c = Query::select();
    c.from(col("road_routes"))
        .expr(Expr::col(col("id")).count())
        .and_where(Expr::col(col("municipality_id")).eq(municipality));
    cond(&mut c);
    let (n,): (i64,) = db.fetch_one(&c).await?;
    Ok((rows, n))
}

// ---- ledger sheets (調書) -------------------------------------------------------------------

const SHEET_COLS: [&str; 7] = [
    "id",
    "route_id",
    "version",
    "sheet_json",
    "reason",
    "created_by",
    "created_at",
];

/// Saves a new version of a route's 調書. `expected` is the version the editor started from
/// (None when the route has no sheet yet); a mismatch is [`StoreError::Conflict`].
/// `editor.reason` must be one of [`model::SHEET_REASONS`].
pub async fn save_sheet(
    tx: &mut Tx,
    municipality: &str,
    route_id: i64,
    expected: Option<i64>,
    sheet: &LedgerSheet,
    editor: &Editor,
) -> Result<SheetRow, StoreError> {
    one_of("reason", &editor.reason, &model::SHEET_REASONS).map_err(StoreError::Invalid)?;
    let _route: Route = get_tx(tx, municipality, route_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let before = current_sheet_tx(tx, municipality, route_id).await?;
    if before.as_ref().map(|s| s.version) != expected {
        return Err(StoreError::Conflict);
    }
    let version = expected.unwrap_or(0) + 1;
    let now = now_ms();
    let json = serde_json::to_string(sheet).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let mut q = Query::insert();
    q.into_table(col("road_ledger_sheets"))
        .columns(
            [
                "municipality_id",
                "route_id",
                "version",
                "sheet_json",
                "reason",
                "created_by",
                "created_at",
            ]
            .map(col),
        )
        .values_panic([
            municipality.into(),
            route_id.into(),
            version.into(),
            json.clone().into(),
            editor.reason.clone().into(),
            editor.actor.to_string().into(),
            now.into(),
        ])
        .returning(Query::returning().column(col("id")));
    let (id,): (i64,) = tx.fetch_one(&q).await.map_err(|e| {
        if crate::db::is_unique_violation(&e) {
            StoreError::Conflict
        } else {
            StoreError::Db(e)
        }
    })?;
    write_history(
        tx,
        municipality,
        "sheet",
        route_id,
        if before.is_some() { "update" } else { "create" },
        editor,
        before.map(|b| b.sheet_json),
        Some(json.clone()),
        now,
    )
    .await?;
    Ok(SheetRow {
        id,
        route_id,
        version,
        sheet_json: json,
        reason: editor.reason.clone(),
        created_by: editor.actor.to_string(),
        created_at: now,
    })
}

fn sheet_select(municipality: &str, route_id: i64) -> SelectStatement {
    let mut q = Query::select();
    q.from(col("road_ledger_sheets"))
        .columns(SHEET_COLS.map(col))
        .and_where(Expr::col(col("municipality_id")).eq(municipality))
        .and_where(Expr::col(col("route_id")).eq(route_id));
    q
}

async fn current_sheet_tx(
    tx: &mut Tx,
    municipality: &str,
    route_id: i64,
) -> Result<Option<SheetRow>, sqlx::Error> {
    let mut q = sheet_select(municipality, route_id);
    q.order_by(col("version"), Order::Desc).limit(1);
    tx.fetch_optional(&q).await
}

/// The newest version of a route's 調書.
pub async fn current_sheet(
    db: &Db,
    municipality: &str,
    route_id: i64,
) -> Result<Option<SheetRow>, sqlx::Error> {
    let mut q = sheet_select(municipality, route_id);
    q.order_by(col("version"), Order::Desc).limit(1);
    db.fetch_optional(&q).await
}

/// Every version of a route's 調書, newest first.
pub async fn sheet_versions(
    db: &Db,
    municipality: &str,
    route_id: i64,
) -> Result<Vec<SheetRow>, sqlx::Error> {
    let mut q = sheet_select(municipality, route_id);
    q.order_by(col("version"), Order::Desc);
    db.fetch_all(&q).await
}

pub async fn sheet_version(
    db: &Db,
    municipality: &str,
    route_id: i64,
    version: i64,
) -> Result<Option<SheetRow>, sqlx::Error> {
    let mut q = sheet_select(municipality, route_id);
    q.and_where(Expr::col(col("version")).eq(version));
    db.fetch_optional(&q).await
}

// ---- history, data version, imports, views ---------------------------------------------------

/// The history of one entity ("route", "section", "sheet" (entity_id = route id) …), newest first.
pub async fn history(
    db: &Db,
    municipality: &str,
    entity: &str,
    entity_id: i64,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    let q = Query::select()
        .from(col("road_history"))
        .columns(
            [
                "id",
                "entity",
                "entity_id",
                "action",
                "actor",
                "user_id",
                "at",
                "before_json",
                "after_json",
                "reason",
            ]
            .map(col),
        )
        .and_where(Expr::col(col("municipality_id")).eq(municipality))
        .and_where(Expr::col(col("entity")).eq(entity))
        .and_where(Expr::col(col("entity_id")).eq(entity_id))
        .order_by(col("id"), Order::Desc)
        .to_owned();
    db.fetch_all(&q).await
}

/// The municipality's road data version (0 before any data): +1 in every write transaction.
/// Caches of derived data (vector tiles) key on it.
pub async fn data_version(db: &Db, municipality: &str) -> Result<i64, sqlx::Error> {
    let q = Query::select()
        .from(col("road_meta"))
        .column(col("data_version"))
        .and_where(Expr::col(col("municipality_id")).eq(municipality))
        .to_owned();
    let v: Option<(i64,)> = db.fetch_optional(&q).await?;
    Ok(v.map(|(v,)| v).unwrap_or(0))
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq)]
pub struct ImportRow {
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub crs: String,
    pub routes: i64,
    pub sections: i64,
    pub features: i64,
    pub imported_at: i64,
}

#[allow(clippy::too_many_arguments)]
pub async fn record_import(
    tx: &mut Tx,
    municipality: &str,
    file_name: &str,
    sha256: &str,
    crs: &str,
    routes: i64,
    sections: i64,
    features: i64,
) -> Result<i64, sqlx::Error> {
    let q = Query::insert()
        .into_table(col("road_imports"))
        .columns(
            [
                "municipality_id",
                "file_name",
                "sha256",
                "crs",
                "routes",
                "sections",
                "features",
                "imported_at",
            ]
            .map(col),
        )
        .values_panic([
            municipality.into(),
            file_name.into(),
            sha256.into(),
            crs.into(),
            routes.into(),
            sections.into(),
            features.into(),
            now_ms().into(),
        ])
        .returning(Query::returning().column(col("id")))
        .to_owned();
    let (id,): (i64,) = tx.fetch_one(&q).await?;
    Ok(id)
}

pub async fn imports(db: &Db, municipality: &str) -> Result<Vec<ImportRow>, sqlx::Error> {
    let q = Query::select()
        .from(col("road_imports"))
        .columns(
            [
                "id",
                "file_name",
                "sha256",
                "crs",
                "routes",
                "sections",
                "features",
                "imported_at",
            ]
            .map(col),
        )
        .and_where(Expr::col(col("municipality_id")).eq(municipality))
        .order_by(col("id"), Order::Desc)
        .to_owned();
    db.fetch_all(&q).await
}

/// Adds `n` views to the counter of (municipality, month "YYYY-MM", channel 'map' | 'api').
pub async fn add_views(
    db: &Db,
    municipality: &str,
    month: &str,
    channel: &str,
    n: i64,
) -> Result<(), sqlx::Error> {
    let q = Query::insert()
        .into_table(col("road_view_counts"))
        .columns(["municipality_id", "month", "channel", "views"].map(col))
        .values_panic([municipality.into(), month.into(), channel.into(), n.into()])
        .on_conflict(
            OnConflict::columns(["municipality_id", "month", "channel"].map(col))
                .value(
                    col("views"),
                    Expr::col((col("road_view_counts"), col("views"))).add(n),
                )
                .to_owned(),
        )
        .to_owned();
    db.execute(&q).await?;
    Ok(())
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ViewCount {
    pub month: String,
    pub channel: String,
    pub views: i64,
}

/// The view counters of a municipality, by month then channel.
pub async fn views(db: &Db, municipality: &str) -> Result<Vec<ViewCount>, sqlx::Error> {
    let q = Query::select()
        .from(col("road_view_counts"))
        .columns(["month", "channel", "views"].map(col))
        .and_where(Expr::col(col("municipality_id")).eq(municipality))
        .order_by(col("month"), Order::Asc)
        .order_by(col("channel"), Order::Asc)
        .to_owned();
    db.fetch_all(&q).await
}
