//! Group commit (`Db::grouped`, src/db/group.rs) on SQLite and PostgreSQL: jobs that arrive
//! together share one transaction, a failing job is undone alone, nothing is acknowledged before
//! its commit, and a panicking job fails only its own batch.

#[macro_use]
mod common;

use std::time::Duration;

use common::{exec, fetch_raw};
use madoguchi::db::{Db, Tx};

#[derive(sqlx::FromRow)]
struct V {
    v: String,
}

async fn values(db: &Db) -> Vec<String> {
    let mut v: Vec<String> = fetch_raw::<V>(db, "SELECT v FROM gc_probe")
        .await
        .into_iter()
        .map(|r| r.v)
        .collect();
    v.sort();
    v
}

async fn insert(tx: &mut Tx, v: &str) -> Result<u64, sqlx::Error> {
    tx.execute_raw(&format!("INSERT INTO gc_probe (v) VALUES ('{v}')"))
        .await
}

#[derive(Debug)]
enum JobError {
    Db(sqlx::Error),
    Refused,
}

impl From<sqlx::Error> for JobError {
    fn from(e: sqlx::Error) -> Self {
        JobError::Db(e)
    }
}

/// Occupies the committer for `ms` so the jobs sent meanwhile queue up and share one batch.
fn hold_committer(db: &Db, ms: u64) -> tokio::task::JoinHandle<()> {
    let db = db.clone();
    tokio::spawn(async move {
        db.grouped(move |_tx| {
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, sqlx::Error>(())
            })
        })
        .await
        .expect("holder");
    })
}

async fn wait_until_running(db: &Db, batches_before: u64) {
    for _ in 0..200 {
        if db.group_stats().batches.get() > batches_before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the holding job never started");
}

db_test!(
    jobs_sent_together_share_a_transaction_and_fail_alone,
    |db: Db| async move {
        exec(&db, "CREATE TABLE gc_probe (v TEXT NOT NULL UNIQUE)").await;
        let before = db.group_stats().batches.get();
        let holder = hold_committer(&db, 300);
        wait_until_running(&db, before).await;
        let jobs_before = db.group_stats().jobs.get();
        let batches_before = db.group_stats().batches.get();
        // 40 jobs: every fifth writes and then refuses (its row must vanish), job 7 writes a
        // value job 3 already wrote (a unique violation, undone alone), the rest commit.
        let handles: Vec<_> = (0..40)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.grouped(move |tx| {
                        Box::pin(async move {
                            let v = if i == 7 {
                                "v03".to_string()
                            } else {
                                format!("v{i:02}")
                            };
                            insert(tx, &v).await?;
                            if i % 5 == 4 {
                                return Err(JobError::Refused);
                            }
                            Ok(i)
                        })
                    })
                    .await
                })
            })
            .collect();
        let mut ok = Vec::new();
        let mut refused = 0;
        let mut unique = 0;
        for h in handles {
            match h.await.expect("task") {
                Ok(i) => ok.push(i),
                Err(JobError::Refused) => refused += 1,
                Err(JobError::Db(e)) => {
                    assert!(madoguchi::db::is_unique_violation(&e), "{e}");
                    unique += 1;
                }
            }
        }
        holder.await.expect("holder");
        assert_eq!(refused, 8);
        assert_eq!(unique, 1, "job 7 collides with job 3");
        assert_eq!(ok.len(), 31);
        let expected: Vec<String> = (0..40)
            .filter(|i| i % 5 != 4 && *i != 7)
            .map(|i| format!("v{i:02}"))
            .collect();
        // Read on another connection: acknowledged means committed.
        assert_eq!(values(&db).await, expected);
        let jobs = db.group_stats().jobs.get() - jobs_before;
        let batches = db.group_stats().batches.get() - batches_before;
        assert_eq!(jobs, 40);
        assert!(
            batches <= 2,
            "40 jobs queued behind one holder went in {batches} transactions"
        );
    }
);

db_test!(a_single_failing_job_leaves_nothing, |db: Db| async move {
    exec(&db, "CREATE TABLE gc_probe (v TEXT NOT NULL UNIQUE)").await;
    let r: Result<(), JobError> = db
        .grouped(|tx| {
            Box::pin(async move {
                insert(tx, "alone").await?;
                Err(JobError::Refused)
            })
        })
        .await;
    assert!(matches!(r, Err(JobError::Refused)));
    assert!(values(&db).await.is_empty());
    // The committer goes on.
    let r: Result<u64, JobError> = db
        .grouped(|tx| Box::pin(async move { Ok(insert(tx, "next").await?) }))
        .await;
    assert_eq!(r.expect("next"), 1);
    assert_eq!(values(&db).await, vec!["next".to_string()]);
});

db_test!(
    a_panicking_job_fails_its_batch_and_the_committer_goes_on,
    |db: Db| async move {
        exec(&db, "CREATE TABLE gc_probe (v TEXT NOT NULL UNIQUE)").await;
        let before = db.group_stats().batches.get();
        let holder = hold_committer(&db, 300);
        wait_until_running(&db, before).await;
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.grouped(move |tx| {
                        Box::pin(async move {
                            insert(tx, &format!("p{i}")).await?;
                            if i == 3 {
                                panic!("job 3 panics on purpose");
                            }
                            Ok::<_, sqlx::Error>(i)
                        })
                    })
                    .await
                })
            })
            .collect();
        for h in handles {
            // Every job of that batch hears an error; none hangs.
            let r = tokio::time::timeout(Duration::from_secs(20), h)
                .await
                .expect("answered")
                .expect("task");
            assert!(r.is_err(), "the batch with the panic is rolled back: {r:?}");
        }
        holder.await.expect("holder");
        assert!(values(&db).await.is_empty(), "nothing of that batch stays");
        let r = db
            .grouped(|tx| Box::pin(async move { insert(tx, "after").await }))
            .await;
        assert_eq!(r.expect("after the panic"), 1);
        assert_eq!(values(&db).await, vec!["after".to_string()]);
    }
);
