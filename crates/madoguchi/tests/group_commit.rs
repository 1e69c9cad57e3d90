//! Group commit (`Db::grouped`, src/db/group.rs) on SQLite and PostgreSQL: jobs that arrive
//! together share one transaction, a failing or panicking job is undone alone (its batch runs
//! again job by job), and nothing is acknowledged before its commit.

#[macro_use]
mod common;

use std::time::Duration;

use common::{exec, fetch_raw};
use madoguchi::db::{Db, Topic, Tx};

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

async fn wait_until_running(db: &Db, transactions_before: u64) {
    for _ in 0..200 {
        if db.group_stats().transactions.get() > transactions_before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the holding job never started");
}

/// Sends `n` jobs while the committer is held, so they queue up together; job `i` inserts
/// `v{i}` (job `collide` inserts job 3's value) and refuses after writing when `refuse(i)`.
async fn queued_jobs(
    db: &Db,
    n: usize,
    collide: Option<usize>,
    refuse: fn(usize) -> bool,
) -> Vec<Result<usize, JobError>> {
    let before = db.group_stats().transactions.get();
    let holder = hold_committer(db, 300);
    wait_until_running(db, before).await;
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                db.grouped(move |tx| {
                    Box::pin(async move {
                        let v = if Some(i) == collide {
                            "v03".to_string()
                        } else {
                            format!("v{i:02}")
                        };
                        insert(tx, &v).await?;
                        if refuse(i) {
                            return Err(JobError::Refused);
                        }
                        Ok(i)
                    })
                })
                .await
            })
        })
        .collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    holder.await.expect("holder");
    out
}

db_test!(
    jobs_sent_together_share_one_transaction,
    |db: Db| async move {
        exec(&db, "CREATE TABLE gc_probe (v TEXT NOT NULL UNIQUE)").await;
        let tx_before = db.group_stats().transactions.get();
        let jobs_before = db.group_stats().jobs.get();
        let results = queued_jobs(&db, 40, None, |_| false).await;
        assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
        // Read on another connection: acknowledged means committed.
        let expected: Vec<String> = (0..40).map(|i| format!("v{i:02}")).collect();
        assert_eq!(values(&db).await, expected);
        assert_eq!(
            db.group_stats().jobs.get() - jobs_before,
            41,
            "40 jobs and the holder"
        );
        let transactions = db.group_stats().transactions.get() - tx_before;
        assert!(
            transactions <= 3,
            "the holder and 40 jobs queued behind it took {transactions} transactions"
        );
    }
);

db_test!(
    a_job_that_fails_in_a_batch_fails_alone,
    |db: Db| async move {
        exec(&db, "CREATE TABLE gc_probe (v TEXT NOT NULL UNIQUE)").await;
        // Every fifth job writes and then refuses (its row must vanish), job 7 writes the value
        // job 3 wrote (a unique violation, undone alone), the rest commit.
        let results = queued_jobs(&db, 40, Some(7), |i| i % 5 == 4).await;
        let mut ok = Vec::new();
        let mut refused = 0;
        let mut unique = 0;
        for r in results {
            match r {
                Ok(i) => ok.push(i),
                Err(JobError::Refused) => refused += 1,
                Err(JobError::Db(e)) => {
                    assert!(madoguchi::db::is_unique_violation(&e), "{e}");
                    unique += 1;
                }
            }
        }
        assert_eq!(refused, 8);
        assert_eq!(unique, 1, "job 7 collides with job 3");
        assert_eq!(ok.len(), 31);
        let expected: Vec<String> = (0..40)
            .filter(|i| i % 5 != 4 && *i != 7)
            .map(|i| format!("v{i:02}"))
            .collect();
        assert_eq!(values(&db).await, expected);
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
    a_panicking_job_fails_alone_and_the_committer_goes_on,
    |db: Db| async move {
        exec(&db, "CREATE TABLE gc_probe (v TEXT NOT NULL UNIQUE)").await;
        let before = db.group_stats().transactions.get();
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
        let mut results = Vec::new();
        for h in handles {
            // Every job hears back; none hangs.
            let r = tokio::time::timeout(Duration::from_secs(20), h)
                .await
                .expect("answered")
                .expect("task");
            results.push(r);
        }
        holder.await.expect("holder");
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_err(), i == 3, "job {i}: {r:?}");
        }
        assert_eq!(
            values(&db).await,
            ["p0", "p1", "p2", "p4", "p5"].map(String::from).to_vec(),
            "the panicking job's write is gone, the others' stay"
        );
        let r = db
            .grouped(|tx| Box::pin(async move { insert(tx, "after").await }))
            .await;
        assert_eq!(r.expect("after the panic"), 1);
    }
);

/// `INSERT INTO gc_probe (v)`, for `Tx::insert_at_commit`.
fn probe_insert() -> sea_query::InsertStatement {
    sea_query::Query::insert()
        .into_table(sea_query::Alias::new("gc_probe"))
        .columns([sea_query::Alias::new("v")])
        .to_owned()
}

fn queue(tx: &mut Tx, v: &str) {
    tx.insert_at_commit("gc_probe", probe_insert, vec![v.into()]);
}

db_test!(
    rows_queued_for_commit_are_written_with_it_and_dropped_with_a_savepoint,
    |db: Db| async move {
        exec(&db, "CREATE TABLE gc_probe (v TEXT NOT NULL UNIQUE)").await;
        // 20,000 one-column rows: more than one statement's parameters (DEFERRED_PARAMS, 8,000)
        // carry, so they take three INSERTs.
        let n = 20_000;
        let mut tx = db.begin().await.expect("begin");
        for i in 0..n {
            queue(&mut tx, &format!("r{i:05}"));
        }
        tx.execute_raw("SAVEPOINT later").await.expect("savepoint");
        queue(&mut tx, "dropped-1");
        queue(&mut tx, "dropped-2");
        tx.execute_raw("ROLLBACK TO SAVEPOINT later")
            .await
            .expect("rollback to");
        queue(&mut tx, "kept");
        // Not written before the commit: another connection sees nothing yet.
        assert!(values(&db).await.is_empty());
        tx.commit().await.expect("commit");
        let got = values(&db).await;
        assert_eq!(got.len(), n + 1, "every queued row but the two rolled back");
        assert!(got.contains(&"kept".to_string()));
        assert!(got.contains(&format!("r{:05}", n - 1)));
        assert!(!got.iter().any(|v| v.starts_with("dropped")));

        // A transaction rolled back (or dropped) writes none of its queued rows.
        let mut tx = db.begin().await.expect("begin");
        queue(&mut tx, "never");
        tx.rollback().await.expect("rollback");
        let mut tx = db.begin().await.expect("begin");
        queue(&mut tx, "never-either");
        drop(tx);
        assert_eq!(values(&db).await.len(), n + 1);

        // A queued row that breaks a constraint fails the commit, and nothing of it stays.
        let mut tx = db.begin().await.expect("begin");
        insert(&mut tx, "direct").await.expect("insert");
        queue(&mut tx, "kept");
        let err = tx.commit().await.expect_err("duplicate at commit");
        assert!(madoguchi::db::is_unique_violation(&err), "{err}");
        assert!(!values(&db).await.contains(&"direct".to_string()));
    }
);

db_test!(
    a_row_queued_for_commit_that_fails_in_a_batch_fails_only_its_job,
    |db: Db| async move {
        exec(&db, "CREATE TABLE gc_probe (v TEXT NOT NULL UNIQUE)").await;
        let before = db.group_stats().transactions.get();
        let holder = hold_committer(&db, 300);
        wait_until_running(&db, before).await;
        let handles: Vec<_> = (0..12)
            .map(|i| {
                let db = db.clone();
                tokio::spawn(async move {
                    db.grouped(move |tx| {
                        Box::pin(async move {
                            // Job 7 queues the value job 3 queues: the batch's INSERT at commit
                            // fails, the jobs run alone, and only the second of the two fails.
                            let v = if i == 7 { 3 } else { i };
                            queue(tx, &format!("q{v:02}"));
                            Ok::<_, sqlx::Error>(i)
                        })
                    })
                    .await
                })
            })
            .collect();
        let mut results = Vec::new();
        for h in handles {
            results.push(h.await.expect("task"));
        }
        holder.await.expect("holder");
        // Jobs 3 and 7 queue the same value: whichever of them reaches the committer second
        // (the channel's order, not the index) is the one that fails; every other job commits.
        let failed: Vec<usize> = results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e.to_string())))
            .map(|(i, e)| {
                assert!(e.contains("UNIQUE") || e.contains("unique"), "job {i}: {e}");
                i
            })
            .collect();
        assert!(
            failed == [3] || failed == [7],
            "exactly one of jobs 3 and 7 fails: {failed:?}"
        );
        for (i, r) in results.iter().enumerate() {
            if let Ok(got) = r {
                assert_eq!(*got, i);
            }
        }
        let expected: Vec<String> = (0..12)
            .filter(|i| *i != 7)
            .map(|i| format!("q{i:02}"))
            .collect();
        assert_eq!(values(&db).await, expected);
    }
);

db_test!(
    changes_count_committed_transactions_only,
    |db: Db| async move {
        // Db::changes (src/db/mod.rs): what in-process caches (the vector tiles) watch.
        exec(&db, "CREATE TABLE gc_probe (v TEXT NOT NULL UNIQUE)").await;
        let count = || db.changes().count(Topic::RoadData);
        assert_eq!(count(), 0);

        let mut tx = db.begin().await.expect("begin");
        insert(&mut tx, "rolled back").await.expect("insert");
        tx.changed(Topic::RoadData);
        tx.rollback().await.expect("rollback");
        assert_eq!(count(), 0, "a rollback changes nothing");

        let mut tx = db.begin().await.expect("begin");
        insert(&mut tx, "dup").await.expect("insert");
        tx.changed(Topic::RoadData);
        tx.changed(Topic::RoadData);
        assert_eq!(count(), 0, "not before the commit");
        tx.commit().await.expect("commit");
        assert_eq!(count(), 1, "once per transaction, however many writes");

        // A grouped job that fails is undone alone and not counted; one that succeeds is.
        let a = db.grouped(|tx| {
            Box::pin(async move {
                tx.changed(Topic::RoadData);
                insert(tx, "dup").await?;
                Ok::<_, sqlx::Error>(())
            })
        });
        let b = db.grouped(|tx| {
            Box::pin(async move {
                tx.changed(Topic::RoadData);
                insert(tx, "fresh").await?;
                Ok::<_, sqlx::Error>(())
            })
        });
        let (a, b) = tokio::join!(a, b);
        assert!(a.is_err(), "unique violation");
        b.expect("the other job commits");
        assert_eq!(values(&db).await, ["dup", "fresh"]);
        assert_eq!(count(), 2, "the failed job's transaction was not counted");

        // Clones of the handle share the counters.
        let clone = db.clone();
        let mut tx = clone.begin().await.expect("begin");
        tx.changed(Topic::RoadData);
        tx.commit().await.expect("commit");
        assert_eq!(count(), 3);
    }
);
