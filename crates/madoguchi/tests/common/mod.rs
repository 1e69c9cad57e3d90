//! Test harness: every storage test runs against BOTH databases Madoguchi supports.
//!
//! # Usage
//!
//! ```ignore
//! #[macro_use]
//! mod common;
//!
//! use madoguchi::db::Db;
//!
//! db_test!(inserts_a_row, |db: Db| async move {
//!     db.execute_raw("INSERT INTO municipalities (id, name_ja, name_en, created_at) \
//!                     VALUES ('122033', '市川市', 'Ichikawa', 0)")
//!         .await
//!         .expect("insert");
//! });
//! ```
//!
//! `db_test!(name, closure)` expands to a module `name` holding two tests, `name::sqlite` and
//! `name::postgres`, both `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`. Each
//! calls the closure once with a fresh, fully migrated [`madoguchi::db::Db`]; the closure returns
//! a future (`async move { … }`) whose output is `()`. Attributes written before the name
//! (`db_test!(#[should_panic] name, …)`) are put on both tests. Filter with `cargo test sqlite` or
//! `cargo test postgres`. Items of the test file are visible inside the closure (the module
//! does `use super::*`). A body that runs longer than [`TEST_TIMEOUT`] fails (a deadlock shows
//! up as a failure, not a hung run).
//!
//! Tests that need both databases at once (schema parity) call [`sqlite`] and [`postgres`]
//! directly; they return a [`TestDb`] that derefs to `Db`; call [`TestDb::finish`] at the end
//! to drop the PostgreSQL database early (otherwise it goes away with the cluster).
//! [`sqlite_empty`] / [`postgres_empty`] give a database with no migrations applied.
//!
//! Helpers: [`fetch_raw`] (`fetch_raw::<(i64, String)>(&db, "SELECT …")` on either database),
//! [`exec`] (one raw statement, panics with the SQL on error), [`seed_municipality`], and
//! [`join_all`] (run futures concurrently on one task; sqlx futures are often not `Send`
//! enough for `tokio::spawn`).
//!
//! # The databases
//!
//! * **SQLite**: a new file `madoguchi.db` in a fresh temporary directory, opened with
//!   `Db::connect_sqlite` (WAL, single writer pool, like production) and migrated. The
//!   directory is removed when the test ends.
//! * **PostgreSQL**: one throwaway cluster per test process, started on first use and shared by
//!   all tests through a `std::sync::OnceLock` (no tokio state is shared between the per-test
//!   runtimes). It is initialised with `initdb -A trust -U postgres` in a temporary directory
//!   and listens **only** on a unix socket in that directory (`listen_addresses=''`, no TCP),
//!   with `fsync=off`. Each test gets its own `CREATE DATABASE t_<n>`, connected with
//!   `PgConnectOptions::new().socket(dir).port(port).username("postgres").database(name)` and
//!   `Db::connect_postgres`, then migrated; it is dropped when the test passes. The first
//!   process to need a cluster keeps a copy of its fresh `initdb` output in
//!   `target/tmp/madoguchi-pg-template-*` (`CARGO_TARGET_TMPDIR`); later processes copy it
//!   instead of running `initdb` again (about 0.3 s instead of 2 s). The binaries come from
//!   `$MADOGUCHI_PG_BINDIR` if set (and only from there), else `pg_config --bindir`, else the
//!   newest `/usr/lib/postgresql/*/bin`. When the tests run as root
//!   (PostgreSQL refuses to), `initdb`/`pg_ctl` run through `runuser -u postgres --` and the
//!   directory (under `/tmp`) is owned by `postgres`. A detached watchdog shell, started before
//!   `initdb`, waits for the test process to exit and then runs `pg_ctl stop -m immediate` and
//!   removes the directory, because statics are never dropped. The server log is
//!   `<dir>/postgres.log` while the tests run.
//!
//! Missing PostgreSQL binaries are a test FAILURE with the message
//! "PostgreSQL is required for storage tests: apt-get install postgresql"; nothing is skipped.
#![allow(dead_code)] // every test binary uses a different subset of the harness

pub mod pg;

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use madoguchi::db::Db;

/// Longest a single test body may run before it is failed.
pub const TEST_TIMEOUT: Duration = Duration::from_secs(180);

/// Declares a storage test that runs once on SQLite and once on PostgreSQL. See the module docs.
#[allow(unused_macros)] // not every test binary declares storage tests
macro_rules! db_test {
    ($(#[$meta:meta])* $name:ident, $body:expr $(,)?) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $crate::common::run_sqlite($body).await;
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $crate::common::run_postgres($body).await;
            }
        }
    };
}

/// A fresh database for one test. Derefs to [`Db`].
pub struct TestDb {
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Keeps the directory (and so the database file) alive until the test is done.
    Sqlite(tempfile::TempDir),
    Postgres {
        database: String,
    },
}

impl Deref for TestDb {
    type Target = Db;
    fn deref(&self) -> &Db {
        &self.db
    }
}

impl TestDb {
    /// Name of the backend, for messages: `"sqlite"` or `"postgres"`.
    pub fn label(&self) -> &'static str {
        match self.cleanup {
            Cleanup::Sqlite(_) => "sqlite",
            Cleanup::Postgres { .. } => "postgres",
        }
    }

    /// Closes the pools and removes the database (the SQLite directory, or the PostgreSQL
    /// database). Best effort: a failure here is not a test failure.
    pub async fn finish(self) {
        self.db.close().await;
        match self.cleanup {
            Cleanup::Sqlite(dir) => drop(dir),
            Cleanup::Postgres { database } => pg::drop_database(&database).await,
        }
    }
}

/// A fresh SQLite database with every migration applied.
pub async fn sqlite() -> TestDb {
    let t = sqlite_empty().await;
    t.db.migrate()
        .await
        .expect("migrating the SQLite test database");
    t
}

/// A fresh SQLite database without migrations.
pub async fn sqlite_empty() -> TestDb {
    let dir = tempfile::Builder::new()
        .prefix("madoguchi-sqlite-")
        .tempdir()
        .expect("creating a temporary directory for SQLite");
    let db = Db::connect_sqlite(&dir.path().join("madoguchi.db"))
        .await
        .expect("opening the SQLite test database");
    TestDb {
        db,
        cleanup: Cleanup::Sqlite(dir),
    }
}

/// A fresh database in the shared PostgreSQL test cluster with every migration applied.
pub async fn postgres() -> TestDb {
    let t = postgres_empty().await;
    t.db.migrate()
        .await
        .expect("migrating the PostgreSQL test database");
    t
}

/// A fresh database in the shared PostgreSQL test cluster, without migrations.
pub async fn postgres_empty() -> TestDb {
    let database = pg::create_database().await;
    let db = Db::connect_postgres(pg::options(&database).await)
        .await
        .expect("connecting to the PostgreSQL test database");
    TestDb {
        db,
        cleanup: Cleanup::Postgres { database },
    }
}

/// Runs `body` on a fresh migrated SQLite database (used by [`db_test!`]).
pub async fn run_sqlite<F, Fut>(body: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    run(sqlite().await, body).await;
}

/// Runs `body` on a fresh migrated PostgreSQL database (used by [`db_test!`]).
pub async fn run_postgres<F, Fut>(body: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    run(postgres().await, body).await;
}

async fn run<F, Fut>(t: TestDb, body: F)
where
    F: FnOnce(Db) -> Fut,
    Fut: Future<Output = ()>,
{
    let label = t.label();
    if tokio::time::timeout(TEST_TIMEOUT, body(t.db.clone()))
        .await
        .is_err()
    {
        panic!("{label}: test body did not finish within {TEST_TIMEOUT:?} (deadlock?)");
    }
    t.finish().await;
}

/// Runs a raw SELECT on either database and decodes every row (tuples work: `(i64, String)`).
pub async fn fetch_raw<T: madoguchi::db::Row>(db: &Db, sql: &str) -> Vec<T> {
    let rows = match db {
        Db::Sqlite { read, .. } => sqlx::query_as::<_, T>(sql).fetch_all(read).await,
        Db::Postgres(pool, _) => sqlx::query_as::<_, T>(sql).fetch_all(pool).await,
    };
    rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Runs one raw statement (no parameters) and panics with the SQL on failure.
pub async fn exec(db: &Db, sql: &str) -> u64 {
    db.execute_raw(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Inserts a municipality row (`created_at` 0). Quotes in the names are escaped.
pub async fn seed_municipality(db: &Db, id: &str, name_ja: &str, name_en: &str) {
    let q = |s: &str| s.replace('\'', "''");
    exec(
        db,
        &format!(
            "INSERT INTO municipalities (id, name_ja, name_en, created_at) VALUES ('{}', '{}', '{}', 0)",
            q(id),
            q(name_ja),
            q(name_en)
        ),
    )
    .await;
}

/// Runs futures concurrently on the current task and returns their outputs in order (a small
/// `futures::future::join_all`; unlike `tokio::spawn` it needs neither `Send` nor `'static`).
pub async fn join_all<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => *output = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

/// Applies only the migrations numbered below `version`, so a migration test can put rows in the
/// schema as it was before that migration and then run the rest with `Db::migrate`.
pub async fn migrate_before(db: &Db, version: i64) {
    let dir = match db {
        Db::Sqlite { .. } => "sqlite",
        Db::Postgres(..) => "postgres",
    };
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../migrations")
        .join(dir);
    let mut m = sqlx::migrate::Migrator::new(path)
        .await
        .expect("reading the migrations");
    m.migrations = m
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    match db {
        Db::Sqlite { write, .. } => m.run(write).await,
        Db::Postgres(pool, _) => m.run(pool).await,
    }
    .unwrap_or_else(|e| panic!("migrating to the one before {version}: {e}"));
}
