//! Storage: one code path over two real databases.
//!
//! Queries are written once with sea-query and rendered per backend (`SqliteQueryBuilder` or
//! `PostgresQueryBuilder`), then bound through sqlx. We chose this over `sqlx::Any` because Any
//! loses types (no `bool`/`i64` parity, no `RETURNING` typing) and over an ORM because the
//! migrations stay plain SQL that a city's DBA can read.

pub mod group;
pub mod schema;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};
use sea_query_sqlx::SqlxBinder;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{FromRow, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which database a pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A row type readable from both databases.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// The connection pool. SQLite keeps a separate single-connection writer pool so that writes
/// inside this process queue instead of failing with SQLITE_BUSY; other processes (the admin CLI
/// while the server runs) wait on `busy_timeout`. Each database also has a group committer
/// ([`group`], used through [`Db::grouped`]).
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        group: group::GroupCommit,
    },
    Postgres(PgPool, group::GroupCommit),
}

/// A write transaction on either database. Dropped without `commit` it rolls back.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

macro_rules! dispatch {
    ($self:expr, $stmt:expr, |$ex:ident, $sql:ident, $vals:ident| $body:expr) => {
        match $self {
            Db::Sqlite { read: $ex, .. } => {
                let ($sql, $vals) = $stmt.build_sqlx(SqliteQueryBuilder);
                $body
            }
            Db::Postgres($ex, _) => {
                let ($sql, $vals) = $stmt.build_sqlx(PostgresQueryBuilder);
                $body
            }
        }
    };
}

macro_rules! dispatch_tx {
    ($self:expr, $stmt:expr, |$ex:ident, $sql:ident, $vals:ident| $body:expr) => {
        match $self {
            Tx::Sqlite(t) => {
                let $ex = &mut **t;
                let ($sql, $vals) = $stmt.build_sqlx(SqliteQueryBuilder);
                $body
            }
            Tx::Postgres(t) => {
                let $ex = &mut **t;
                let ($sql, $vals) = $stmt.build_sqlx(PostgresQueryBuilder);
                $body
            }
        }
    };
}

impl Db {
    /// Opens `sqlite://PATH` or `postgres://…` and runs pending migrations when `migrate` is set.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            Self::connect_postgres(opts).await
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Self::connect_sqlite(Path::new(path)).await
        } else {
            anyhow::bail!("database URL must start with sqlite:// or postgres:// (got {url:?})")
        }
    }

    pub async fn connect_postgres(opts: PgConnectOptions) -> anyhow::Result<Db> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        let group = group::GroupCommit::start(group::WritePool::Postgres(pool.clone()));
        Ok(Db::Postgres(pool, group))
    }

    pub async fn connect_sqlite(path: &Path) -> anyhow::Result<Db> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        // synchronous=FULL: an acknowledged commit survives power loss, not only a crash.
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts.read_only(false))
            .await?;
        let group = group::GroupCommit::start(group::WritePool::Sqlite(write.clone()));
        Ok(Db::Sqlite { read, write, group })
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(..) => Backend::Postgres,
        }
    }

    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await?,
            Db::Postgres(p, _) => POSTGRES_MIGRATIONS.run(p).await?,
        }
        Ok(())
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE` so the write lock is
    /// taken up front and a read-then-write never fails half way with SQLITE_BUSY.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite { write, .. } => Tx::Sqlite(write.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p, _) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Runs `job` in a transaction shared with the other jobs waiting at the same moment and
    /// returns once that transaction has committed (see [`group`]). The job's writes are undone
    /// if it returns `Err`; the others' stay. For short writes that must be durable when they
    /// are acknowledged (submissions). The closure owns its inputs (`'static`): it runs on the
    /// committer task.
    pub async fn grouped<T, E, F>(&self, job: F) -> Result<T, E>
    where
        F: for<'t> FnOnce(&'t mut Tx) -> group::JobFuture<'t, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        match self {
            Db::Sqlite { group, .. } | Db::Postgres(_, group) => group.run(job).await,
        }
    }

    /// The group committer's counters.
    pub fn group_stats(&self) -> &std::sync::Arc<group::GroupStats> {
        match self {
            Db::Sqlite { group, .. } | Db::Postgres(_, group) => group.stats(),
        }
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        match self {
            Db::Sqlite { read, .. } => sqlx::query("SELECT 1").execute(read).await.map(|_| ()),
            Db::Postgres(p, _) => sqlx::query("SELECT 1").execute(p).await.map(|_| ()),
        }
    }

    pub async fn fetch_all<T: Row, S: SqlxBinder>(&self, stmt: &S) -> Result<Vec<T>, sqlx::Error> {
        dispatch!(self, stmt, |ex, sql, vals| sqlx::query_as_with::<_, T, _>(
            &sql, vals
        )
        .fetch_all(ex)
        .await)
    }

    pub async fn fetch_optional<T: Row, S: SqlxBinder>(
        &self,
        stmt: &S,
    ) -> Result<Option<T>, sqlx::Error> {
        dispatch!(self, stmt, |ex, sql, vals| sqlx::query_as_with::<_, T, _>(
            &sql, vals
        )
        .fetch_optional(ex)
        .await)
    }

    pub async fn fetch_one<T: Row, S: SqlxBinder>(&self, stmt: &S) -> Result<T, sqlx::Error> {
        dispatch!(self, stmt, |ex, sql, vals| sqlx::query_as_with::<_, T, _>(
            &sql, vals
        )
        .fetch_one(ex)
        .await)
    }

    /// A single write outside an explicit transaction (still serialized on SQLite).
    pub async fn execute<S: SqlxBinder>(&self, stmt: &S) -> Result<u64, sqlx::Error> {
        match self {
            Db::Sqlite { write, .. } => {
                let (sql, vals) = stmt.build_sqlx(SqliteQueryBuilder);
                Ok(sqlx::query_with(&sql, vals)
                    .execute(write)
                    .await?
                    .rows_affected())
            }
            Db::Postgres(p, _) => {
                let (sql, vals) = stmt.build_sqlx(PostgresQueryBuilder);
                Ok(sqlx::query_with(&sql, vals)
                    .execute(p)
                    .await?
                    .rows_affected())
            }
        }
    }

    /// Runs a raw, parameterless SQL statement (used by tests and maintenance commands).
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        match self {
            Db::Sqlite { write, .. } => Ok(sqlx::query(sql).execute(write).await?.rows_affected()),
            Db::Postgres(p, _) => Ok(sqlx::query(sql).execute(p).await?.rows_affected()),
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Db::Postgres(p, _) => p.close().await,
        }
    }
}

impl Tx {
    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn fetch_all<T: Row, S: SqlxBinder>(
        &mut self,
        stmt: &S,
    ) -> Result<Vec<T>, sqlx::Error> {
        dispatch_tx!(self, stmt, |ex, sql, vals| sqlx::query_as_with::<_, T, _>(
            &sql, vals
        )
        .fetch_all(ex)
        .await)
    }

    pub async fn fetch_optional<T: Row, S: SqlxBinder>(
        &mut self,
        stmt: &S,
    ) -> Result<Option<T>, sqlx::Error> {
        dispatch_tx!(self, stmt, |ex, sql, vals| sqlx::query_as_with::<_, T, _>(
            &sql, vals
        )
        .fetch_optional(ex)
        .await)
    }

    pub async fn fetch_one<T: Row, S: SqlxBinder>(&mut self, stmt: &S) -> Result<T, sqlx::Error> {
        dispatch_tx!(self, stmt, |ex, sql, vals| sqlx::query_as_with::<_, T, _>(
            &sql, vals
        )
        .fetch_one(ex)
        .await)
    }

    pub async fn execute<S: SqlxBinder>(&mut self, stmt: &S) -> Result<u64, sqlx::Error> {
        dispatch_tx!(self, stmt, |ex, sql, vals| Ok(sqlx::query_with(&sql, vals)
            .execute(ex)
            .await?
            .rows_affected()))
    }

    /// Runs a raw, parameterless statement (savepoints).
    pub async fn execute_raw(&mut self, sql: &str) -> Result<u64, sqlx::Error> {
        match self {
            Tx::Sqlite(t) => Ok(sqlx::query(sql).execute(&mut **t).await?.rows_affected()),
            Tx::Postgres(t) => Ok(sqlx::query(sql).execute(&mut **t).await?.rows_affected()),
        }
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.rollback().await,
            Tx::Postgres(t) => t.rollback().await,
        }
    }
}

/// Current time in UTC Unix milliseconds, the unit every timestamp column uses.
pub fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000) as i64
}

/// True when the error is a unique-constraint violation on either database.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(e) => e.is_unique_violation(),
        _ => false,
    }
}
