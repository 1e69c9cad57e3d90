//! Group commit: short write transactions that arrive together share one database transaction,
//! so one durable flush (SQLite's WAL fsync, PostgreSQL's WAL flush) acknowledges all of them.
//!
//! Why: a submission is a handful of small statements and one flush. With one flush per
//! submission, throughput is bounded by the disk's fdatasync rate divided by everything else a
//! commit waits for; on PostgreSQL the audit chain's head row is locked from the first audit
//! event to the commit, so commits of one municipality queue one flush at a time. Sharing the
//! flush lifts both bounds.
//!
//! How: [`Db::grouped`](super::Db::grouped) sends a job (a closure over `&mut Tx`) to one
//! committer task per database. The committer takes every job waiting (up to [`MAX_BATCH`]),
//! opens one transaction, runs each job inside its own `SAVEPOINT` (a job that fails is rolled
//! back to its savepoint and gets its error; the others go on), commits, and only then answers
//! each job: nobody hears "done" before the flush. A batch of one runs without a savepoint. At low
//! load a job waits for nothing; under load it waits at most for the batch before it.
//!
//! Jobs must be short and must only use the transaction they are given (no other database
//! connection, or SQLite's single writer would wait for itself).

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;

use futures_util::FutureExt;
use prometheus_client::metrics::counter::Counter;
use sqlx::{PgPool, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::Tx;

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
}

/// What the committer has done since start (also exported to Prometheus): `jobs / batches` is
/// the mean number of jobs that shared a flush.
#[derive(Debug, Default)]
pub struct GroupStats {
    /// Transactions the committer committed (or tried to).
    pub batches: Counter,
    /// Jobs it ran in them.
    pub jobs: Counter,
}

/// Where the committer opens its transactions.
#[derive(Clone, Debug)]
pub(super) enum WritePool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl WritePool {
    async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            WritePool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            WritePool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }
}

trait Job: Send {
    fn run<'t>(self: Box<Self>, tx: &'t mut Tx) -> JobFuture<'t, Box<dyn Outcome>>;
    /// Answers a job that did not run because its batch failed first.
    fn fail(self: Box<Self>, why: &str);
}

/// A job's result, held until the batch's commit has succeeded or failed.
trait Outcome: Send {
    fn succeeded(&self) -> bool;
    fn deliver(self: Box<Self>, commit: Result<(), &str>);
}

struct Typed<F, T, E> {
    f: F,
    reply: oneshot::Sender<Result<T, E>>,
}

struct TypedOutcome<T, E> {
    result: Result<T, E>,
    reply: oneshot::Sender<Result<T, E>>,
}

impl<F, T, E> Job for Typed<F, T, E>
where
    F: for<'t> FnOnce(&'t mut Tx) -> JobFuture<'t, Result<T, E>> + Send + 'static,
    T: Send + 'static,
    E: From<sqlx::Error> + Send + 'static,
{
    fn run<'t>(self: Box<Self>, tx: &'t mut Tx) -> JobFuture<'t, Box<dyn Outcome>> {
        let Typed { f, reply } = *self;
        Box::pin(async move {
            let result = f(tx).await;
            Box::new(TypedOutcome { result, reply }) as Box<dyn Outcome>
        })
    }

    fn fail(self: Box<Self>, why: &str) {
        let _ = self.reply.send(Err(E::from(batch_error(why))));
    }
}

impl<T: Send, E: From<sqlx::Error> + Send> Outcome for TypedOutcome<T, E> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn deliver(self: Box<Self>, commit: Result<(), &str>) {
        let result = match (self.result, commit) {
            (Ok(_), Err(why)) => Err(E::from(batch_error(why))),
            (r, _) => r,
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
        tokio::spawn(committer(pool, rx, stats.clone()));
        GroupCommit { jobs, stats }
    }

    pub fn stats(&self) -> &Arc<GroupStats> {
        &self.stats
    }

    pub(super) async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: for<'t> FnOnce(&'t mut Tx) -> JobFuture<'t, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(Typed { f, reply }))
            .await
            .map_err(|_| E::from(batch_error("the committer has stopped")))?;
        answer
            .await
            .map_err(|_| E::from(batch_error("the batch was abandoned (a job panicked)")))?
    }
}

async fn committer(pool: WritePool, mut rx: mpsc::Receiver<Box<dyn Job>>, stats: Arc<GroupStats>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        stats.batches.inc();
        stats.jobs.inc_by(jobs.len() as u64);
        run_batch(&pool, jobs).await;
    }
}

/// Runs one batch. Every job is answered exactly once (or its reply dropped, after a panic).
async fn run_batch(pool: &WritePool, jobs: Vec<Box<dyn Job>>) {
    let single = jobs.len() == 1;
    let mut jobs = jobs.into_iter();
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            let why = e.to_string();
            tracing::error!(error = %why, "group commit: could not begin");
            for job in jobs {
                job.fail(&why);
            }
            return;
        }
    };
    let mut outcomes: Vec<Box<dyn Outcome>> = Vec::with_capacity(jobs.len());
    while let Some(job) = jobs.next() {
        if !single && let Err(e) = tx.execute_raw("SAVEPOINT group_job").await {
            job.fail(&e.to_string());
            return abandon(tx, outcomes, jobs, &e.to_string()).await;
        }
        let outcome = match AssertUnwindSafe(job.run(&mut tx)).catch_unwind().await {
            Ok(o) => o,
            Err(panic) => {
                let why = panic_message(&panic);
                tracing::error!(panic = %why, "group commit: a job panicked; batch rolled back");
                // The connection may be mid-statement: roll everything back, answer the rest.
                return abandon(tx, outcomes, jobs, "a job in the same batch panicked").await;
            }
        };
        if !single {
            let undo = if outcome.succeeded() {
                tx.execute_raw("RELEASE SAVEPOINT group_job").await
            } else {
                match tx.execute_raw("ROLLBACK TO SAVEPOINT group_job").await {
                    Ok(_) => tx.execute_raw("RELEASE SAVEPOINT group_job").await,
                    Err(e) => Err(e),
                }
            };
            outcomes.push(outcome);
            if let Err(e) = undo {
                return abandon(tx, outcomes, jobs, &e.to_string()).await;
            }
        } else {
            outcomes.push(outcome);
        }
    }
    if single && !outcomes.iter().all(|o| o.succeeded()) {
        // The one job failed: nothing of it may stay.
        let _ = tx.rollback().await;
        for o in outcomes {
            o.deliver(Ok(()));
        }
        return;
    }
    match tx.commit().await {
        Ok(()) => {
            for o in outcomes {
                o.deliver(Ok(()));
            }
        }
        Err(e) => {
            let why = e.to_string();
            tracing::error!(error = %why, "group commit: commit failed");
            for o in outcomes {
                o.deliver(Err(&why));
            }
        }
    }
}

/// Rolls the whole batch back and tells every job, run or not.
async fn abandon(
    tx: Tx,
    outcomes: Vec<Box<dyn Outcome>>,
    rest: impl Iterator<Item = Box<dyn Job>>,
    why: &str,
) {
    tracing::error!(error = %why, "group commit: batch rolled back");
    let _ = tx.rollback().await;
    for o in outcomes {
        o.deliver(Err(why));
    }
    for job in rest {
        job.fail(why);
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
