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
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_query::{Expr, InsertStatement, PostgresQueryBuilder, SqliteQueryBuilder};
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
///
/// It also holds the audit events recorded in it ([`crate::audit::record`]) and the rows given
/// to [`Tx::insert_at_commit`]; `commit` writes the rows, then chains and writes the events,
/// just before committing.
pub struct Tx {
    conn: TxConn,
    audit: Vec<crate::audit::PendingEvent>,
    deferred: Vec<Deferred>,
    /// Open savepoints: name, and how many audit events and deferred rows were recorded before it.
    savepoints: Vec<(String, usize, usize)>,
    /// The database's change counters and the topics this transaction changed
    /// ([`Tx::changed`]), counted once it has committed.
    changes: Arc<Changes>,
    changed: Vec<Topic>,
}

/// Kinds of data that in-process caches keep and must notice changes of ([`Tx::changed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// The road ledger's public data (the vector-tile cache, `roads::tiles_store`).
    RoadData = 0,
}

const TOPICS: usize = 1;

/// Per database handle (shared by its clones): how many committed transactions changed each
/// [`Topic`]. A cache remembers the count it saw; a different count means "read again".
#[derive(Debug, Default)]
pub struct Changes {
    commits: [AtomicU64; TOPICS],
}

impl Changes {
    /// Committed transactions of this process that changed `topic`.
    pub fn count(&self, topic: Topic) -> u64 {
        self.commits[topic as usize].load(Ordering::Acquire)
    }
}

/// One row for [`Tx::insert_at_commit`].
struct Deferred {
    table: &'static str,
    start: fn() -> InsertStatement,
    values: Vec<Expr>,
}

/// Bind parameters per multi-row INSERT written at commit (SQLite allows 32,766, PostgreSQL
/// 65,535); a batch's rows go in as few statements as fit under it.
pub(crate) const DEFERRED_PARAMS: usize = 8_000;

enum TxConn {
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
        match &mut $self.conn {
            TxConn::Sqlite(t) => {
                let $ex = &mut **t;
                let ($sql, $vals) = $stmt.build_sqlx(SqliteQueryBuilder);
                $body
            }
            TxConn::Postgres(t) => {
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
            Db::Sqlite { write, group, .. } => Tx::sqlite(
                write.begin_with("BEGIN IMMEDIATE").await?,
                group.changes().clone(),
            ),
            Db::Postgres(p, group) => Tx::postgres(p.begin().await?, group.changes().clone()),
        })
    }

    /// Runs `job` in a transaction shared with the other jobs waiting at the same moment and
    /// returns once that transaction has committed (see [`group`]). A job that returns `Err`
    /// leaves nothing behind and does not affect the others (the batch runs again, job by job).
    /// For short writes that must be durable when they are acknowledged (submissions). The
    /// closure owns its inputs (`'static`, it runs on the committer task) and may be called
    /// twice: only its effects on the transaction may count.
    pub async fn grouped<T, E, F>(&self, job: F) -> Result<T, E>
    where
        F: for<'t> Fn(&'t mut Tx) -> group::JobFuture<'t, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        match self {
            Db::Sqlite { group, .. } | Db::Postgres(_, group) => group.run(job).await,
        }
    }

    /// The group committer's counters.
    /// How many committed transactions of this process changed each [`Topic`].
    pub fn changes(&self) -> &Arc<Changes> {
        match self {
            Db::Sqlite { group, .. } | Db::Postgres(_, group) => group.changes(),
        }
    }

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
    pub(crate) fn sqlite(t: Transaction<'static, Sqlite>, changes: Arc<Changes>) -> Tx {
        Tx::new(TxConn::Sqlite(t), changes)
    }

    pub(crate) fn postgres(t: Transaction<'static, Postgres>, changes: Arc<Changes>) -> Tx {
        Tx::new(TxConn::Postgres(t), changes)
    }

    fn new(conn: TxConn, changes: Arc<Changes>) -> Tx {
        Tx {
            conn,
            audit: Vec::new(),
            deferred: Vec::new(),
            savepoints: Vec::new(),
            changes,
            changed: Vec::new(),
        }
    }

    /// Notes that this transaction changes `topic`: once it commits (not when it fails or rolls
    /// back) the database's [`Changes`] count it, and caches of that topic read again. A
    /// `ROLLBACK TO` a savepoint does not take the note back: a cache then reads again for
    /// nothing, which is harmless.
    pub fn changed(&mut self, topic: Topic) {
        if !self.changed.contains(&topic) {
            self.changed.push(topic);
        }
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            TxConn::Sqlite(_) => Backend::Sqlite,
            TxConn::Postgres(_) => Backend::Postgres,
        }
    }

    /// Queues a row that nothing in this transaction reads back, to be written when it commits:
    /// the rows of one `table` (all from the same `start`, an `INSERT INTO table (columns)`
    /// without values) go in as multi-row INSERTs, so a group-committed batch writes, say, its
    /// timeline entries in one statement instead of one per job. `values` are the row's values
    /// in `start`'s column order. A `ROLLBACK TO` a savepoint taken before drops the row; an
    /// error writing it (a constraint) fails the commit.
    pub fn insert_at_commit(
        &mut self,
        table: &'static str,
        start: fn() -> InsertStatement,
        values: Vec<Expr>,
    ) {
        self.deferred.push(Deferred {
            table,
            start,
            values,
        });
    }

    /// Writes the rows queued by [`Tx::insert_at_commit`], in the order their tables were first
    /// queued. [`Tx::commit`] calls it; the group committer calls it first on its own, so that a
    /// row that fails sends the batch's jobs to run alone instead of failing them all.
    pub(crate) async fn write_deferred(&mut self) -> Result<(), sqlx::Error> {
        let rows = std::mem::take(&mut self.deferred);
        // The rows of each table, in the order the tables were first queued.
        let mut tables: Vec<(Deferred, Vec<Vec<Expr>>)> = Vec::new();
        for row in rows {
            match tables.iter_mut().find(|(t, _)| t.table == row.table) {
                Some((_, rows)) => rows.push(row.values),
                None => {
                    let values = vec![row.values];
                    let first = Deferred {
                        table: row.table,
                        start: row.start,
                        values: Vec::new(),
                    };
                    tables.push((first, values));
                }
            }
        }
        for (Deferred { start, .. }, rows) in tables {
            let per_row = rows.first().map_or(1, Vec::len).max(1);
            let mut rows = rows.into_iter().peekable();
            while rows.peek().is_some() {
                let mut insert = start();
                for values in rows.by_ref().take((DEFERRED_PARAMS / per_row).max(1)) {
                    insert.values(values).map_err(|e| {
                        sqlx::Error::Protocol(format!("row queued for commit: {e}"))
                    })?;
                }
                self.execute(&insert).await?;
            }
        }
        Ok(())
    }

    /// The audit events recorded in this transaction and not yet written.
    pub(crate) fn pending_audit(&mut self) -> &mut Vec<crate::audit::PendingEvent> {
        &mut self.audit
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

    /// Runs a raw, parameterless statement. `SAVEPOINT name`, `ROLLBACK TO [SAVEPOINT] name` and
    /// `RELEASE [SAVEPOINT] name` also keep the transaction's pending audit events and queued rows
    /// in step: those recorded after a savepoint that is rolled back to are dropped with its writes.
    pub async fn execute_raw(&mut self, sql: &str) -> Result<u64, sqlx::Error> {
        let n = match &mut self.conn {
            TxConn::Sqlite(t) => sqlx::query(sql).execute(&mut **t).await?.rows_affected(),
            TxConn::Postgres(t) => sqlx::query(sql).execute(&mut **t).await?.rows_affected(),
        };
        match savepoint_command(sql) {
            Some(Savepoint::Take(name)) => {
                self.savepoints
                    .push((name, self.audit.len(), self.deferred.len()))
            }
            Some(Savepoint::RollBackTo(name)) => {
                // The savepoint stays open after ROLLBACK TO; later ones are gone.
                if let Some(i) = self.savepoints.iter().rposition(|(n, _, _)| *n == name) {
                    self.savepoints.truncate(i + 1);
                    let (_, audit, deferred) = self.savepoints[i];
                    self.audit.truncate(audit);
                    self.deferred.truncate(deferred);
                }
            }
            Some(Savepoint::Release(name)) => {
                if let Some(i) = self.savepoints.iter().rposition(|(n, _, _)| *n == name) {
                    self.savepoints.truncate(i);
                }
            }
            None => {}
        }
        Ok(n)
    }

    /// Writes the rows queued for commit and the pending audit events, then commits.
    pub async fn commit(mut self) -> Result<(), sqlx::Error> {
        self.write_deferred().await?;
        crate::audit::write_pending(&mut self).await?;
        match self.conn {
            TxConn::Sqlite(t) => t.commit().await?,
            TxConn::Postgres(t) => t.commit().await?,
        }
        for t in self.changed {
            self.changes.commits[t as usize].fetch_add(1, Ordering::AcqRel);
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.conn {
            TxConn::Sqlite(t) => t.rollback().await,
            TxConn::Postgres(t) => t.rollback().await,
        }
    }
}

enum Savepoint {
    Take(String),
    RollBackTo(String),
    Release(String),
}

/// Reads `SAVEPOINT x`, `ROLLBACK [TRANSACTION] TO [SAVEPOINT] x` and `RELEASE [SAVEPOINT] x`
/// (SQLite's and PostgreSQL's spellings; names compared case-insensitively, as both do for
/// unquoted names).
fn savepoint_command(sql: &str) -> Option<Savepoint> {
    let words: Vec<String> = sql
        .trim()
        .trim_end_matches(';')
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let name = |rest: &[&str]| match rest {
        ["savepoint", n] | [n] => Some(n.trim_matches('"').to_owned()),
        _ => None,
    };
    match w.as_slice() {
        ["savepoint", n] => Some(Savepoint::Take(n.trim_matches('"').to_owned())),
        ["rollback", "transaction", "to", rest @ ..] | ["rollback", "to", rest @ ..] => {
            name(rest).map(Savepoint::RollBackTo)
        }
        ["release", rest @ ..] => name(rest).map(Savepoint::Release),
        _ => None,
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
