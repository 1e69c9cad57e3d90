//! SQL of the `postal_codes` table (migrations/*/0005_postal_codes.sql), one code path for
//! SQLite and PostgreSQL.

use sea_query::{Alias, Expr, ExprTrait, Func, Iden, Order, Query};

use super::parse::Entry;
use crate::db::schema::Municipalities;
use crate::db::{Db, Tx};

#[derive(Iden, Clone, Copy)]
pub enum PostalCodes {
    Table,
    Id,
    Code,
    LocalGovernmentCode,
    Prefecture,
    PrefectureKana,
    City,
    CityKana,
    Town,
    TownKana,
    TownNote,
}

const COLUMNS: [PostalCodes; 9] = [
    PostalCodes::Code,
    PostalCodes::LocalGovernmentCode,
    PostalCodes::Prefecture,
    PostalCodes::PrefectureKana,
    PostalCodes::City,
    PostalCodes::CityKana,
    PostalCodes::Town,
    PostalCodes::TownKana,
    PostalCodes::TownNote,
];

/// Rows per INSERT: 9 parameters each stays far below SQLite's 32,766 and PostgreSQL's 65,535.
pub const BATCH: usize = 1000;

#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}

fn count_query() -> sea_query::SelectStatement {
    Query::select()
        .expr_as(Func::count(Expr::col(PostalCodes::Id)), Alias::new("n"))
        .from(PostalCodes::Table)
        .to_owned()
}

/// Number of rows in the table.
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    Ok(db.fetch_one::<Count, _>(&count_query()).await?.n)
}

pub async fn count_in(tx: &mut Tx) -> Result<i64, sqlx::Error> {
    Ok(tx.fetch_one::<Count, _>(&count_query()).await?.n)
}

/// Every address of one code, in Japan Post's order.
pub async fn by_code(db: &Db, code: &str) -> Result<Vec<Entry>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns(COLUMNS)
            .from(PostalCodes::Table)
            .and_where(Expr::col(PostalCodes::Code).eq(code))
            .order_by(PostalCodes::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

/// The whole table, for comparing an import with what it replaces.
pub async fn all_in(tx: &mut Tx) -> Result<Vec<Entry>, sqlx::Error> {
    tx.fetch_all(
        &Query::select()
            .columns(COLUMNS)
            .from(PostalCodes::Table)
            .order_by(PostalCodes::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

pub async fn delete_all(tx: &mut Tx) -> Result<u64, sqlx::Error> {
    tx.execute(&Query::delete().from_table(PostalCodes::Table).to_owned())
        .await
}

/// Inserts up to [`BATCH`] entries with one statement.
pub async fn insert_batch(tx: &mut Tx, entries: &[Entry]) -> Result<u64, sqlx::Error> {
    if entries.is_empty() {
        return Ok(0);
    }
    let mut q = Query::insert();
    q.into_table(PostalCodes::Table).columns(COLUMNS);
    for e in entries {
        q.values([
            e.code.as_str().into(),
            e.local_government_code.as_str().into(),
            e.prefecture.as_str().into(),
            e.prefecture_kana.as_str().into(),
            e.city.as_str().into(),
            e.city_kana.as_str().into(),
            e.town.as_str().into(),
            e.town_kana.as_str().into(),
            e.town_note.as_str().into(),
        ])
        .map_err(|err| sqlx::Error::Protocol(format!("building the postal insert: {err}")))?;
    }
    tx.execute(&q).await
}

#[derive(sqlx::FromRow)]
struct Id {
    id: String,
}

/// Ids of every municipality (each one's audit chain records a change of the national data).
pub async fn municipality_ids(tx: &mut Tx) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<Id> = tx
        .fetch_all(
            &Query::select()
                .column(Municipalities::Id)
                .from(Municipalities::Table)
                .order_by(Municipalities::Id, Order::Asc)
                .to_owned(),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
