//! SQL for form versions (`form_versions`). Reads take the municipality and never return
//! another municipality's rows; writes take a `Tx` so the caller audits in the same transaction.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use sea_query::{Expr, ExprTrait, Order, Query};

use super::def::FormDefinition;
use crate::db::schema::FormVersions as F;
use crate::db::{Db, Tx, now_ms};

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct FormVersionRow {
    pub id: i64,
    pub municipality_id: String,
    pub procedure_id: i64,
    pub version: i64,
    /// `draft`, `published` or `archived`.
    pub state: String,
    /// JSON in the format of `def::FormDefinition`.
    pub definition: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub published_at: Option<i64>,
}

impl FormVersionRow {
    /// The stored definition. Rows are written only from a parsed definition, so a failure
    /// here means the row was edited by hand; callers treat it as "no form".
    pub fn parsed(&self) -> Result<FormDefinition, serde_json::Error> {
        serde_json::from_str(&self.definition)
    }

    /// The parsed definition, shared. Parses are kept by the definition's content (its SipHash
    /// and length), so a version that never changes is parsed once per process, an edited
    /// draft is parsed again, and two databases in one process (the tests) never mix. Hashing
    /// the text costs a few microseconds; parsing it costs tens: submissions and form pages
    /// read the same few definitions thousands of times an hour.
    pub fn shared(&self) -> Result<Arc<FormDefinition>, serde_json::Error> {
        use std::hash::{BuildHasher, Hasher};
        let cache = PARSED.get_or_init(Default::default);
        let mut h = cache.hasher.build_hasher();
        h.write(self.definition.as_bytes());
        let key = (h.finish(), self.definition.len());
        if let Some(d) = cache.map.read().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(d);
        }
        let d = Arc::new(self.parsed()?);
        if let Ok(mut m) = cache.map.write() {
            // Definitions are few (a handful per procedure); the bound only guards a runaway.
            if m.len() >= 1024 {
                m.clear();
            }
            m.insert(key, d.clone());
        }
        Ok(d)
    }
}

#[derive(Default)]
struct ParsedCache {
    /// One random SipHash key for the process, so nobody can aim a collision at it.
    hasher: std::collections::hash_map::RandomState,
    map: RwLock<HashMap<(u64, usize), Arc<FormDefinition>>>,
}

static PARSED: OnceLock<ParsedCache> = OnceLock::new();

fn select() -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.columns([
        F::Id,
        F::MunicipalityId,
        F::ProcedureId,
        F::Version,
        F::State,
        F::Definition,
        F::CreatedBy,
        F::CreatedAt,
        F::UpdatedAt,
        F::PublishedAt,
    ])
    .from(F::Table);
    q
}

/// The published version of a procedure's form, if it has one.
pub async fn published(
    db: &Db,
    municipality: &str,
    procedure_id: i64,
) -> Result<Option<FormVersionRow>, sqlx::Error> {
    db.fetch_optional(
        select()
            .and_where(Expr::col(F::MunicipalityId).eq(municipality))
            .and_where(Expr::col(F::ProcedureId).eq(procedure_id))
            .and_where(Expr::col(F::State).eq("published")),
    )
    .await
}

/// One version by id (an application's own version, even when archived since).
pub async fn by_id(
    db: &Db,
    municipality: &str,
    id: i64,
) -> Result<Option<FormVersionRow>, sqlx::Error> {
    db.fetch_optional(
        select()
            .and_where(Expr::col(F::MunicipalityId).eq(municipality))
            .and_where(Expr::col(F::Id).eq(id)),
    )
    .await
}

/// Every version of a procedure's form, newest first.
pub async fn versions(
    db: &Db,
    municipality: &str,
    procedure_id: i64,
) -> Result<Vec<FormVersionRow>, sqlx::Error> {
    db.fetch_all(
        select()
            .and_where(Expr::col(F::MunicipalityId).eq(municipality))
            .and_where(Expr::col(F::ProcedureId).eq(procedure_id))
            .order_by(F::Version, Order::Desc),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

/// Inserts a version (the caller picks the number and state, and audits).
pub async fn insert(
    tx: &mut Tx,
    municipality: &str,
    procedure_id: i64,
    version: i64,
    state: &str,
    definition: &FormDefinition,
    created_by: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let json = serde_json::to_string(definition)
        .map_err(|e| sqlx::Error::Protocol(format!("form definition: {e}")))?;
    let now = now_ms();
    let published_at = (state == "published").then_some(now);
    let row: IdRow = tx
        .fetch_one(
            Query::insert()
                .into_table(F::Table)
                .columns([
                    F::MunicipalityId,
                    F::ProcedureId,
                    F::Version,
                    F::State,
                    F::Definition,
                    F::CreatedBy,
                    F::CreatedAt,
                    F::UpdatedAt,
                    F::PublishedAt,
                ])
                .values_panic([
                    municipality.into(),
                    procedure_id.into(),
                    version.into(),
                    state.into(),
                    json.into(),
                    created_by.into(),
                    now.into(),
                    now.into(),
                    published_at.into(),
                ])
                .returning_col(F::Id),
        )
        .await?;
    Ok(row.id)
}

/// The draft of a procedure's form, if it has one.
pub async fn draft_tx(
    tx: &mut Tx,
    municipality: &str,
    procedure_id: i64,
) -> Result<Option<FormVersionRow>, sqlx::Error> {
    tx.fetch_optional(
        select()
            .and_where(Expr::col(F::MunicipalityId).eq(municipality))
            .and_where(Expr::col(F::ProcedureId).eq(procedure_id))
            .and_where(Expr::col(F::State).eq("draft")),
    )
    .await
}

/// The published version, inside a transaction.
pub async fn published_tx(
    tx: &mut Tx,
    municipality: &str,
    procedure_id: i64,
) -> Result<Option<FormVersionRow>, sqlx::Error> {
    tx.fetch_optional(
        select()
            .and_where(Expr::col(F::MunicipalityId).eq(municipality))
            .and_where(Expr::col(F::ProcedureId).eq(procedure_id))
            .and_where(Expr::col(F::State).eq("published")),
    )
    .await
}

/// One version by its number.
pub async fn by_version(
    db: &Db,
    municipality: &str,
    procedure_id: i64,
    version: i64,
) -> Result<Option<FormVersionRow>, sqlx::Error> {
    db.fetch_optional(
        select()
            .and_where(Expr::col(F::MunicipalityId).eq(municipality))
            .and_where(Expr::col(F::ProcedureId).eq(procedure_id))
            .and_where(Expr::col(F::Version).eq(version)),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct MaxRow {
    v: Option<i64>,
}

/// The next version number of a procedure's form (1 for the first).
pub async fn next_version(tx: &mut Tx, procedure_id: i64) -> Result<i64, sqlx::Error> {
    let row: MaxRow = tx
        .fetch_one(
            Query::select()
                .expr_as(Expr::col(F::Version).max(), sea_query::Alias::new("v"))
                .from(F::Table)
                .and_where(Expr::col(F::ProcedureId).eq(procedure_id)),
        )
        .await?;
    Ok(row.v.unwrap_or(0) + 1)
}

/// Replaces the definition of a DRAFT whose `updated_at` is still `seen` (the revision the
/// caller read). Published and archived rows are never matched, so they cannot be edited
/// through this. `updated_at` always moves forward (at least by 1 ms), so it is a revision
/// number. Returns the number of rows changed: 0 or 1.
pub async fn update_draft(
    tx: &mut Tx,
    id: i64,
    seen: i64,
    definition: &FormDefinition,
) -> Result<u64, sqlx::Error> {
    let json = serde_json::to_string(definition)
        .map_err(|e| sqlx::Error::Protocol(format!("form definition: {e}")))?;
    tx.execute(
        Query::update()
            .table(F::Table)
            .value(F::Definition, json)
            .value(F::UpdatedAt, std::cmp::max(now_ms(), seen + 1))
            .and_where(Expr::col(F::Id).eq(id))
            .and_where(Expr::col(F::UpdatedAt).eq(seen))
            .and_where(Expr::col(F::State).eq("draft")),
    )
    .await
}

/// Moves a version from state `from` to `to` (draft → published, published → archived).
pub async fn set_state(tx: &mut Tx, id: i64, from: &str, to: &str) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let mut q = Query::update();
    q.table(F::Table)
        .value(F::State, to)
        .value(F::UpdatedAt, now)
        .and_where(Expr::col(F::Id).eq(id))
        .and_where(Expr::col(F::State).eq(from));
    if to == "published" {
        q.value(F::PublishedAt, now);
    }
    tx.execute(&q).await
}

/// Deletes a DRAFT (never a published or archived version).
pub async fn delete_draft(tx: &mut Tx, id: i64) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::delete()
            .from_table(F::Table)
            .and_where(Expr::col(F::Id).eq(id))
            .and_where(Expr::col(F::State).eq("draft")),
    )
    .await
}

/// One line of the staff forms list: the procedure's published and draft version numbers.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct StateRow {
    pub procedure_id: i64,
    pub state: String,
    pub version: i64,
    pub updated_at: i64,
}

/// The draft and published versions of every procedure of the municipality.
pub async fn current_states(db: &Db, municipality: &str) -> Result<Vec<StateRow>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns([F::ProcedureId, F::State, F::Version, F::UpdatedAt])
            .from(F::Table)
            .and_where(Expr::col(F::MunicipalityId).eq(municipality))
            .and_where(Expr::col(F::State).is_in(["draft", "published"])),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, definition: &str) -> FormVersionRow {
        FormVersionRow {
            id,
            municipality_id: "122033".into(),
            procedure_id: 1,
            version: 1,
            state: "published".into(),
            definition: definition.into(),
            created_by: None,
            created_at: 0,
            updated_at: 0,
            published_at: Some(0),
        }
    }

    #[test]
    fn shared_parses_once_per_content_and_never_mixes_contents() {
        let a = include_str!("../../../forms/ninshin.json");
        let b = include_str!("../../../forms/risai-shomei.json");
        let first = row(1, a).shared().expect("parse");
        let again = row(1, a).shared().expect("parse");
        assert!(Arc::ptr_eq(&first, &again), "the same text is parsed once");
        // Same id, other content (another database in the same process): its own parse.
        let other = row(1, b).shared().expect("parse");
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(*other, row(1, b).parsed().expect("parse"));
        assert_eq!(*first, row(1, a).parsed().expect("parse"));
        assert!(row(2, "{not json").shared().is_err());
    }
}
