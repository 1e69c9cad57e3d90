//! Group commit: short write transactions that arrive together share one database transaction,
//! so one durable flush (SQLite's WAL fsync, PostgreSQL's WAL flush) acknowledges all of them.
//!
//! Why: a submission is a handful of small statements and one flush. With one flush per
//! submission, throughput is bounded by the disk's fdatasync rate divided by everything else a
//! commit waits for, and the commits of one municipality queue at its audit chain's head row
//! (locked from the chaining of a transaction's events to its commit). Sharing the flush lifts
//! both bounds.
//!
//! How: [`Db::grouped`](super::Db::grouped) sends a job (a closure over `&mut Tx`) to one
//! committer task per database. The committer takes every job waiting (up to [`MAX_BATCH`]),
//! runs them one after the other in one transaction, commits, and only then answers each job:
//! nobody hears "done" before the flush. At low load a job waits for nothing; under load it
//! waits at most for the batch before it.
//!
//! Optimistic: when a job of a batch fails (returns `Err` or panics), the whole transaction is
//! rolled back and every job of the batch runs again alone, in its own transaction, so each
//! gets exactly the result it would have got without company (a panicking job is not run
//! again; its caller gets an error). Failures are rare (answers are validated before), so a
//! batch costs no per-job `SAVEPOINT` round trips; with sqlx's SQLite driver every statement is
//! a hop to the connection's thread, and those hops are what a submission spends its CPU on.
//!
//! Jobs must be short, may run twice (only the transaction's effects count), and must only use
//! the transaction they are given (no other database connection, or SQLite's single writer
//! would wait for itself).

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;
use prometheus_client::metrics::counter::Counter;
use sqlx::{PgPool, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{Changes, Tx};

/// The most jobs one transaction takes. Bounds the time a job waits behind a batch.
pub const MAX_BATCH: usize = 128;

/// A job's future: it borrows the shared transaction for as long as it runs.
pub type JobFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// The sending side, held by every clone of the [`Db`](super::Db). When the last clone is
/// dropped the committer task ends.
#[derive(Clone, Debug)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Box<dyn Job>>,
    stats: Arc<GroupStats>,
    /// The database handle's change counters (`Db::changes`), here because every clone of the
    /// handle and the committer's transactions share them.
    changes: Arc<Changes>,
}

/// What the committer has done since start (also exported to Prometheus): `jobs /
/// transactions` is the mean number of jobs that shared a flush.
#[derive(Debug, Default)]
pub struct GroupStats {
    /// Transactions the committer began (a batch, or one job run again alone).
    pub transactions: Counter,
    /// Jobs it was given.
    pub jobs: Counter,
}

/// Where the committer opens its transactions.
#[derive(Clone, Debug)]
pub(super) enum WritePool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl WritePool {
    async fn begin(&self, changes: &Arc<Changes>) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            WritePool::Sqlite(p) => {
                Tx::sqlite(p.begin_with("BEGIN IMMEDIATE").await?, changes.clone())
            }
            WritePool::Postgres(p) => Tx::postgres(p.begin().await?, changes.clone()),
        })
    }
}

trait Job: Send {
    /// Runs the job in `tx` and keeps its result; true when it succeeded. May be called again
    /// (in a fresh transaction) after its batch was rolled back.
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> JobFuture<'t, bool>;
    /// Answers the caller: the kept result when `commit` is Ok, else the commit's error (a job
    /// that failed gets its own error either way, its writes having been rolled back).
    fn answer(self: Box<Self>, commit: Result<(), &str>);
}

struct Typed<F, T, E> {
    f: F,
    result: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> Job for Typed<F, T, E>
where
    F: for<'t> Fn(&'t mut Tx) -> JobFuture<'t, Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<sqlx::Error> + Send + 'static,
{
    fn run<'t>(&'t mut self, tx: &'t mut Tx) -> JobFuture<'t, bool> {
        Box::pin(async move {
            let result = (self.f)(tx).await;
            let ok = result.is_ok();
            self.result = Some(result);
            ok
        })
    }

    fn answer(self: Box<Self>, commit: Result<(), &str>) {
        let result = match (self.result, commit) {
            (Some(Ok(_)), Err(why)) | (None, Err(why)) => Err(E::from(batch_error(why))),
            (Some(r), _) => r,
            (None, Ok(())) => Err(E::from(batch_error("the job did not run"))),
        };
        // The caller may have gone (a test that timed out); the work is committed regardless.
        let _ = self.reply.send(result);
    }
}

fn batch_error(why: &str) -> sqlx::Error {
    sqlx::Error::Protocol(format!("group commit: {why}"))
}

impl GroupCommit {
    /// Starts the committer task for `pool` on the current Tokio runtime.
    pub(super) fn start(pool: WritePool) -> GroupCommit {
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        let stats = Arc::new(GroupStats::default());
        let changes = Arc::new(Changes::default());
        tokio::spawn(committer(pool, rx, stats.clone(), changes.clone()));
        GroupCommit {
            jobs,
            stats,
            changes,
        }
    }

    pub fn stats(&self) -> &Arc<GroupStats> {
        &self.stats
    }

    pub fn changes(&self) -> &Arc<Changes> {
        &self.changes
    }

    pub(super) async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: for<'t> Fn(&'t mut Tx) -> JobFuture<'t, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(Typed {
                f,
                result: None,
                reply,
            }))
            .await
            .map_err(|_| E::from(batch_error("the committer has stopped")))?;
        answer
            .await
            .map_err(|_| E::from(batch_error("the batch was abandoned (a job panicked)")))?
    }
}

async fn committer(
    pool: WritePool,
    mut rx: mpsc::Receiver<Box<dyn Job>>,
    stats: Arc<GroupStats>,
    changes: Arc<Changes>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        stats.jobs.inc_by(jobs.len() as u64);
        run_batch(&pool, &changes, &stats, jobs).await;
    }
}

/// How one attempt at a batch ended.
enum Tried {
    Committed,
    /// A job failed or panicked: everything was rolled back.
    RolledBack,
    /// The database refused begin or commit: every job gets this error.
    Broken(String),
}

/// Runs one batch. Every job is answered exactly once (a panicking job by dropping its reply).
async fn run_batch(
    pool: &WritePool,
    changes: &Arc<Changes>,
    stats: &GroupStats,
    mut jobs: Vec<Box<dyn Job>>,
) {
    let mut panicked = vec![false; jobs.len()];
    match attempt(pool, changes, stats, &mut jobs, &mut panicked).await {
        Tried::Committed => {
            for job in jobs {
                job.answer(Ok(()));
            }
            return;
        }
        Tried::Broken(why) => {
            tracing::error!(error = %why, "group commit: batch failed");
            for job in jobs {
                job.answer(Err(&why));
            }
            return;
        }
        Tried::RolledBack if jobs.len() == 1 => {
            // The one job failed on its own; nothing of it stays.
            for (job, p) in jobs.into_iter().zip(panicked) {
                if !p {
                    job.answer(Ok(()));
                }
            }
            return;
        }
        Tried::RolledBack => {}
    }
    // One job of the batch failed: each runs again alone, so each gets its own outcome.
    for (job, p) in jobs.into_iter().zip(panicked) {
        if p {
            continue;
        }
        let mut one = vec![job];
        let mut again = vec![false];
        let tried = attempt(pool, changes, stats, &mut one, &mut again).await;
        let Some(job) = one.pop() else { continue };
        match tried {
            Tried::Committed | Tried::RolledBack if !again[0] => job.answer(Ok(())),
            Tried::Committed | Tried::RolledBack => {}
            Tried::Broken(why) => job.answer(Err(&why)),
        }
    }
}

/// Runs `jobs` in one transaction and commits when all succeeded; marks a job that panicked.
async fn attempt(
    pool: &WritePool,
    changes: &Arc<Changes>,
    stats: &GroupStats,
    jobs: &mut [Box<dyn Job>],
    panicked: &mut [bool],
) -> Tried {
    stats.transactions.inc();
    let mut tx = match pool.begin(changes).await {
        Ok(tx) => tx,
        Err(e) => return Tried::Broken(e.to_string()),
    };
    for (job, panicked) in jobs.iter_mut().zip(panicked.iter_mut()) {
        match AssertUnwindSafe(job.run(&mut tx)).catch_unwind().await {
            Ok(true) => {}
            Ok(false) => {
                let _ = tx.rollback().await;
                return Tried::RolledBack;
            }
            Err(panic) => {
                tracing::error!(panic = %panic_message(&panic), "group commit: a job panicked");
                *panicked = true;
                // The connection may be mid-statement: roll everything back.
                let _ = tx.rollback().await;
                return Tried::RolledBack;
            }
        }
    }
    // Rows queued for commit (`Tx::insert_at_commit`) go in now, not inside `commit`, so a row
    // that fails (a constraint) sends the jobs to run alone, where it fails only its own job.
    // Alone, `commit` writes them and its error is that job's answer.
    if jobs.len() > 1
        && let Err(e) = tx.write_deferred().await
    {
        tracing::warn!(error = %e, "group commit: a row queued for commit failed; running the jobs alone");
        let _ = tx.rollback().await;
        return Tried::RolledBack;
    }
    match tx.commit().await {
        Ok(()) => Tried::Committed,
        Err(e) => Tried::Broken(e.to_string()),
    }
}

fn panic_message(panic: &Box<dyn Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}
