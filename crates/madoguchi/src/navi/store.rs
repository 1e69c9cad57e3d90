//! SQL of the navigator (migrations/*/0012_navi.sql), one code path for SQLite and PostgreSQL.

use sea_query::{Alias, Expr, ExprTrait, Iden, OnConflict, Order, Query, SelectStatement};

use crate::db::{Db, Tx, now_ms};

#[derive(Iden, Clone, Copy)]
pub enum NaviVersions {
    Table,
    Id,
    MunicipalityId,
    Event,
    Version,
    State,
    Definition,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum NaviVisits {
    Table,
    Id,
    MunicipalityId,
    Event,
    Answers,
    EventDate,
    StaffUserId,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum NaviVisitItems {
    Table,
    VisitId,
    ProcedureId,
    DoneBy,
    DoneAt,
}

#[derive(Iden, Clone, Copy)]
pub enum LineWebhookEvents {
    Table,
    WebhookEventId,
    MunicipalityId,
    EventType,
    ReceivedAt,
}

use NaviVersions as V;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VersionRow {
    pub id: i64,
    pub municipality_id: String,
    pub event: String,
    pub version: i64,
    pub state: String,
    pub definition: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

fn select_versions() -> SelectStatement {
    Query::select()
        .columns([
            V::Id,
            V::MunicipalityId,
            V::Event,
            V::Version,
            V::State,
            V::Definition,
            V::CreatedBy,
            V::CreatedAt,
            V::UpdatedAt,
            V::PublishedAt,
        ])
        .from(V::Table)
        .to_owned()
}

fn one_state(municipality: &str, event: &str, state: &str) -> SelectStatement {
    select_versions()
        .and_where(Expr::col(V::MunicipalityId).eq(municipality))
        .and_where(Expr::col(V::Event).eq(event))
        .and_where(Expr::col(V::State).eq(state))
        .to_owned()
}

/// The published version of an event's flow.
pub async fn published(
    db: &Db,
    municipality: &str,
    event: &str,
) -> Result<Option<VersionRow>, sqlx::Error> {
    db.fetch_optional(&one_state(municipality, event, "published"))
        .await
}

pub async fn draft(
    db: &Db,
    municipality: &str,
    event: &str,
) -> Result<Option<VersionRow>, sqlx::Error> {
    db.fetch_optional(&one_state(municipality, event, "draft"))
        .await
}

pub async fn published_tx(
    tx: &mut Tx,
    municipality: &str,
    event: &str,
) -> Result<Option<VersionRow>, sqlx::Error> {
    tx.fetch_optional(&one_state(municipality, event, "published"))
        .await
}

pub async fn draft_tx(
    tx: &mut Tx,
    municipality: &str,
    event: &str,
) -> Result<Option<VersionRow>, sqlx::Error> {
    tx.fetch_optional(&one_state(municipality, event, "draft"))
        .await
}

/// Every version of an event, newest first.
pub async fn versions(
    db: &Db,
    municipality: &str,
    event: &str,
) -> Result<Vec<VersionRow>, sqlx::Error> {
    db.fetch_all(
        &select_versions()
            .and_where(Expr::col(V::MunicipalityId).eq(municipality))
            .and_where(Expr::col(V::Event).eq(event))
            .order_by(V::Version, Order::Desc)
            .to_owned(),
    )
    .await
}

/// The published and draft versions of every event of a municipality.
pub async fn current(db: &Db, municipality: &str) -> Result<Vec<VersionRow>, sqlx::Error> {
    db.fetch_all(
        &select_versions()
            .and_where(Expr::col(V::MunicipalityId).eq(municipality))
            .and_where(Expr::col(V::State).is_in(["draft", "published"]))
            .order_by(V::Event, Order::Asc)
            .to_owned(),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct MaxRow {
    v: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

pub async fn next_version(
    tx: &mut Tx,
    municipality: &str,
    event: &str,
) -> Result<i64, sqlx::Error> {
    let row: MaxRow = tx
        .fetch_one(
            Query::select()
                .expr_as(Expr::col(V::Version).max(), Alias::new("v"))
                .from(V::Table)
                .and_where(Expr::col(V::MunicipalityId).eq(municipality))
                .and_where(Expr::col(V::Event).eq(event)),
        )
        .await?;
    Ok(row.v.unwrap_or(0) + 1)
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_version(
    tx: &mut Tx,
    municipality: &str,
    event: &str,
    version: i64,
    state: &str,
    definition: &str,
    created_by: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    let published_at = (state == "published").then_some(now);
    let row: IdRow = tx
        .fetch_one(
            Query::insert()
                .into_table(V::Table)
                .columns([
                    V::MunicipalityId,
                    V::Event,
                    V::Version,
                    V::State,
                    V::Definition,
                    V::CreatedBy,
                    V::CreatedAt,
                    V::UpdatedAt,
                    V::PublishedAt,
                ])
                .values_panic([
                    municipality.into(),
                    event.into(),
                    version.into(),
                    state.into(),
                    definition.into(),
                    created_by.into(),
                    now.into(),
                    now.into(),
                    published_at.into(),
                ])
                .returning(Query::returning().column(V::Id)),
        )
        .await?;
    Ok(row.id)
}

/// Replaces a DRAFT's definition when its revision (`updated_at`) is still `seen`; 0 or 1 rows.
pub async fn update_draft(
    tx: &mut Tx,
    id: i64,
    seen: i64,
    definition: &str,
) -> Result<u64, sqlx::Error> {
    let now = std::cmp::max(now_ms(), seen + 1);
    tx.execute(
        Query::update()
            .table(V::Table)
            .value(V::Definition, definition)
            .value(V::UpdatedAt, now)
            .and_where(Expr::col(V::Id).eq(id))
            .and_where(Expr::col(V::State).eq("draft"))
            .and_where(Expr::col(V::UpdatedAt).eq(seen)),
    )
    .await
}

pub async fn set_state(tx: &mut Tx, id: i64, state: &str) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let mut q = Query::update();
    q.table(V::Table)
        .value(V::State, state)
        .value(V::UpdatedAt, now)
        .and_where(Expr::col(V::Id).eq(id));
    if state == "published" {
        q.value(V::PublishedAt, now);
    }
    tx.execute(&q).await
}

pub async fn delete_version(tx: &mut Tx, id: i64) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::delete()
            .from_table(V::Table)
            .and_where(Expr::col(V::Id).eq(id))
            .and_where(Expr::col(V::State).eq("draft")),
    )
    .await
}

// ---- counter visits --------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VisitRow {
    pub id: i64,
    pub municipality_id: String,
    pub event: String,
    pub answers: String,
    pub event_date: Option<String>,
    pub staff_user_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

fn select_visits() -> SelectStatement {
    Query::select()
        .columns([
            NaviVisits::Id,
            NaviVisits::MunicipalityId,
            NaviVisits::Event,
            NaviVisits::Answers,
            NaviVisits::EventDate,
            NaviVisits::StaffUserId,
            NaviVisits::CreatedAt,
            NaviVisits::UpdatedAt,
        ])
        .from(NaviVisits::Table)
        .to_owned()
}

pub async fn insert_visit(
    tx: &mut Tx,
    municipality: &str,
    event: &str,
    answers: &str,
    event_date: Option<&str>,
    staff: i64,
) -> Result<i64, sqlx::Error> {
    let now = now_ms();
    let row: IdRow = tx
        .fetch_one(
            Query::insert()
                .into_table(NaviVisits::Table)
                .columns([
                    NaviVisits::MunicipalityId,
                    NaviVisits::Event,
                    NaviVisits::Answers,
                    NaviVisits::EventDate,
                    NaviVisits::StaffUserId,
                    NaviVisits::CreatedAt,
                    NaviVisits::UpdatedAt,
                ])
                .values_panic([
                    municipality.into(),
                    event.into(),
                    answers.into(),
                    event_date.map(str::to_owned).into(),
                    staff.into(),
                    now.into(),
                    now.into(),
                ])
                .returning(Query::returning().column(NaviVisits::Id)),
        )
        .await?;
    Ok(row.id)
}

pub async fn visit(db: &Db, municipality: &str, id: i64) -> Result<Option<VisitRow>, sqlx::Error> {
    db.fetch_optional(
        &select_visits()
            .and_where(Expr::col(NaviVisits::MunicipalityId).eq(municipality))
            .and_where(Expr::col(NaviVisits::Id).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn visit_tx(
    tx: &mut Tx,
    municipality: &str,
    id: i64,
) -> Result<Option<VisitRow>, sqlx::Error> {
    tx.fetch_optional(
        &select_visits()
            .and_where(Expr::col(NaviVisits::MunicipalityId).eq(municipality))
            .and_where(Expr::col(NaviVisits::Id).eq(id))
            .to_owned(),
    )
    .await
}

/// The newest visits of a municipality.
pub async fn recent_visits(
    db: &Db,
    municipality: &str,
    limit: u64,
) -> Result<Vec<VisitRow>, sqlx::Error> {
    db.fetch_all(
        &select_visits()
            .and_where(Expr::col(NaviVisits::MunicipalityId).eq(municipality))
            .order_by(NaviVisits::Id, Order::Desc)
            .limit(limit)
            .to_owned(),
    )
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DoneRow {
    pub procedure_id: String,
    pub done_by: i64,
    pub done_at: i64,
}

pub async fn done_items(db: &Db, visit: i64) -> Result<Vec<DoneRow>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns([
                NaviVisitItems::ProcedureId,
                NaviVisitItems::DoneBy,
                NaviVisitItems::DoneAt,
            ])
            .from(NaviVisitItems::Table)
            .and_where(Expr::col(NaviVisitItems::VisitId).eq(visit))
            .order_by(NaviVisitItems::ProcedureId, Order::Asc),
    )
    .await
}

pub async fn done_items_tx(tx: &mut Tx, visit: i64) -> Result<Vec<DoneRow>, sqlx::Error> {
    tx.fetch_all(
        Query::select()
            .columns([
                NaviVisitItems::ProcedureId,
                NaviVisitItems::DoneBy,
                NaviVisitItems::DoneAt,
            ])
            .from(NaviVisitItems::Table)
            .and_where(Expr::col(NaviVisitItems::VisitId).eq(visit))
            .order_by(NaviVisitItems::ProcedureId, Order::Asc),
    )
    .await
}

pub async fn mark_done(
    tx: &mut Tx,
    visit: i64,
    procedure: &str,
    by: i64,
) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::insert()
            .into_table(NaviVisitItems::Table)
            .columns([
                NaviVisitItems::VisitId,
                NaviVisitItems::ProcedureId,
                NaviVisitItems::DoneBy,
                NaviVisitItems::DoneAt,
            ])
            .values_panic([visit.into(), procedure.into(), by.into(), now_ms().into()])
            .on_conflict(
                OnConflict::columns([NaviVisitItems::VisitId, NaviVisitItems::ProcedureId])
                    .do_nothing()
                    .to_owned(),
            ),
    )
    .await
}

pub async fn unmark_done(tx: &mut Tx, visit: i64, procedure: &str) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::delete()
            .from_table(NaviVisitItems::Table)
            .and_where(Expr::col(NaviVisitItems::VisitId).eq(visit))
            .and_where(Expr::col(NaviVisitItems::ProcedureId).eq(procedure)),
    )
    .await
}

pub async fn touch_visit(tx: &mut Tx, visit: i64) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::update()
            .table(NaviVisits::Table)
            .value(NaviVisits::UpdatedAt, now_ms())
            .and_where(Expr::col(NaviVisits::Id).eq(visit)),
    )
    .await
}

// ---- LINE ------------------------------------------------------------------------------------

/// Records a webhook event id. Returns false (and changes nothing) when it was seen before.
pub async fn remember_line_event(
    tx: &mut Tx,
    municipality: &str,
    webhook_event_id: &str,
    event_type: &str,
) -> Result<bool, sqlx::Error> {
    let n = tx
        .execute(
            Query::insert()
                .into_table(LineWebhookEvents::Table)
                .columns([
                    LineWebhookEvents::WebhookEventId,
                    LineWebhookEvents::MunicipalityId,
                    LineWebhookEvents::EventType,
                    LineWebhookEvents::ReceivedAt,
                ])
                .values_panic([
                    webhook_event_id.into(),
                    municipality.into(),
                    event_type.into(),
                    now_ms().into(),
                ])
                .on_conflict(
                    OnConflict::column(LineWebhookEvents::WebhookEventId)
                        .do_nothing()
                        .to_owned(),
                ),
        )
        .await?;
    Ok(n == 1)
}

#[derive(sqlx::FromRow)]
struct CountRow {
    n: i64,
}

/// Number of LINE webhook events recorded for a municipality.
pub async fn line_event_count(db: &Db, municipality: &str) -> Result<i64, sqlx::Error> {
    let r: CountRow = db
        .fetch_one(
            Query::select()
                .expr_as(
                    Expr::col(LineWebhookEvents::WebhookEventId).count(),
                    Alias::new("n"),
                )
                .from(LineWebhookEvents::Table)
                .and_where(Expr::col(LineWebhookEvents::MunicipalityId).eq(municipality)),
        )
        .await?;
    Ok(r.n)
}
