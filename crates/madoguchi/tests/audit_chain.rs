//! The hash-chained audit log (`madoguchi::audit`) on both databases: an intact chain verifies,
//! and every kind of tampering an operator with database access could do is reported, naming
//! the event where the chain breaks.

#[macro_use]
mod common;

use common::{exec, fetch_raw, seed_municipality};
use madoguchi::audit::{Actor, EventRow, VerifyReport, event_hash, record, verify};
use madoguchi::db::Db;
use serde_json::json;

const ICHIKAWA: &str = "122033";
const SHISUI: &str = "123226";

async fn seed(db: &Db) {
    seed_municipality(db, ICHIKAWA, "市川市", "Ichikawa").await;
    seed_municipality(db, SHISUI, "酒々井町", "Shisui").await;
}

fn actor_for(i: usize) -> Actor {
    match i % 5 {
        0 => Actor::User(i as i64),
        1 => Actor::ApiToken(i as i64),
        2 => Actor::Cli,
        3 => Actor::System,
        _ => Actor::Anonymous,
    }
}

/// Appends one event in its own committed transaction and returns its sequence number.
async fn append_one(db: &Db, municipality: &str, i: usize) -> i64 {
    let mut tx = db.begin().await.expect("begin");
    record(
        &mut tx,
        municipality,
        &actor_for(i),
        "test.event",
        &format!("thing/{i}"),
        json!({ "i": i, "note": "住民票の写し \"quoted\" 'single'" }),
    )
    .await
    .expect("record");
    tx.commit().await.expect("commit");
    // Numbered at commit: the newest event with this target is this one (callers that write
    // concurrently use distinct targets).
    let rows: Vec<(i64,)> = fetch_raw(
        db,
        &format!(
            "SELECT MAX(seq) FROM audit_events WHERE municipality_id = '{municipality}' AND target = 'thing/{i}'"
        ),
    )
    .await;
    rows[0].0
}

/// The chain head's sequence number (the last event's).
async fn head_seq(db: &Db, municipality: &str) -> i64 {
    let rows: Vec<(i64,)> = fetch_raw(
        db,
        &format!("SELECT audit_seq FROM municipalities WHERE id = '{municipality}'"),
    )
    .await;
    rows[0].0
}

/// Appends `n` events, each in its own transaction.
async fn append(db: &Db, municipality: &str, n: usize) -> Vec<i64> {
    let mut seqs = Vec::with_capacity(n);
    for i in 0..n {
        seqs.push(append_one(db, municipality, i).await);
    }
    seqs
}

async fn verify_ok(db: &Db) -> VerifyReport {
    let report = verify(db).await.expect("verify");
    assert!(
        report.first_bad.is_none(),
        "expected an intact chain, got {:?}",
        report.first_bad
    );
    report
}

/// Verifies and returns the reported problem, failing the test if the chain looks intact.
async fn verify_broken(db: &Db, what: &str) -> String {
    let report = verify(db).await.expect("verify");
    report.first_bad.unwrap_or_else(|| {
        panic!(
            "{what}: verify did not notice ({} events checked)",
            report.events
        )
    })
}

/// True when `msg` names event `#seq` (and not e.g. `#50` when asked about `#5`).
fn names_event(msg: &str, seq: i64) -> bool {
    let needle = format!("#{seq}");
    msg.match_indices(&needle)
        .any(|(i, _)| !msg[i + needle.len()..].starts_with(|c: char| c.is_ascii_digit()))
}

fn assert_names(msg: &str, municipality: &str, seq: i64, what: &str) {
    assert!(
        msg.contains(municipality) && names_event(msg, seq),
        "{what}: expected the report to name municipality {municipality} event #{seq}, got: {msg}"
    );
}

async fn event(db: &Db, municipality: &str, seq: i64) -> EventRow {
    let rows: Vec<EventRow> = fetch_raw(
        db,
        &format!(
            "SELECT id, municipality_id, seq, at, actor, action, target, detail, prev_hash, hash \
             FROM audit_events WHERE municipality_id = '{municipality}' AND seq = {seq}"
        ),
    )
    .await;
    rows.into_iter()
        .next()
        .unwrap_or_else(|| panic!("no event {municipality} #{seq}"))
}

async fn all_events(db: &Db) -> Vec<EventRow> {
    fetch_raw(
        db,
        "SELECT id, municipality_id, seq, at, actor, action, target, detail, prev_hash, hash \
         FROM audit_events ORDER BY municipality_id, seq",
    )
    .await
}

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes every column of `e` back to the row with id `e.id`.
async fn restore(db: &Db, e: &EventRow) {
    exec(
        db,
        &format!(
            "UPDATE audit_events SET municipality_id = {}, seq = {}, at = {}, actor = {}, action = {}, \
             target = {}, detail = {}, prev_hash = {}, hash = {} WHERE id = {}",
            sql_str(&e.municipality_id),
            e.seq,
            e.at,
            sql_str(&e.actor),
            sql_str(&e.action),
            sql_str(&e.target),
            sql_str(&e.detail),
            sql_str(&e.prev_hash),
            sql_str(&e.hash),
            e.id
        ),
    )
    .await;
}

/// Re-inserts a deleted event with its original id.
async fn reinsert(db: &Db, e: &EventRow) {
    exec(
        db,
        &format!(
            "INSERT INTO audit_events (id, municipality_id, seq, at, actor, action, target, detail, \
             prev_hash, hash) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
            e.id,
            sql_str(&e.municipality_id),
            e.seq,
            e.at,
            sql_str(&e.actor),
            sql_str(&e.action),
            sql_str(&e.target),
            sql_str(&e.detail),
            sql_str(&e.prev_hash),
            sql_str(&e.hash)
        ),
    )
    .await;
}

fn assert_contiguous(events: &[EventRow], municipality: &str, n: i64) {
    let seqs: Vec<i64> = events
        .iter()
        .filter(|e| e.municipality_id == municipality)
        .map(|e| e.seq)
        .collect();
    assert_eq!(
        seqs,
        (1..=n).collect::<Vec<_>>(),
        "sequence of {municipality}"
    );
}

db_test!(
    intact_chains_in_two_municipalities_verify,
    |db| async move {
        seed(&db).await;
        let mut seqs_a = Vec::new();
        let mut seqs_b = Vec::new();
        // Interleave the two chains so that one chain's writes sit between the other's.
        for i in 0..12 {
            seqs_a.push(append_one(&db, ICHIKAWA, i).await);
            if i % 2 == 0 || i > 9 {
                seqs_b.push(append_one(&db, SHISUI, i).await);
            }
        }
        assert_eq!(seqs_a, (1..=12).collect::<Vec<_>>());
        assert_eq!(seqs_b, (1..=7).collect::<Vec<_>>());

        let report = verify_ok(&db).await;
        assert_eq!(report.events, 19);
        assert_eq!(report.municipalities, 2);

        // The stored chain is what the docs promise: genesis links to "", each event to the one
        // before it, the hash covers the content, and the municipality row holds the head.
        let events = all_events(&db).await;
        for m in [ICHIKAWA, SHISUI] {
            let chain: Vec<&EventRow> = events.iter().filter(|e| e.municipality_id == m).collect();
            let mut prev = String::new();
            for e in &chain {
                assert_eq!(e.prev_hash, prev, "{m} #{} links to its predecessor", e.seq);
                let expected = event_hash(
                    &e.prev_hash,
                    &e.municipality_id,
                    e.seq,
                    e.at,
                    &e.actor,
                    &e.action,
                    &e.target,
                    &e.detail,
                );
                assert_eq!(e.hash, expected, "{m} #{} hash", e.seq);
                prev = e.hash.clone();
            }
            let head: Vec<(i64, String)> = fetch_raw(
                &db,
                &format!("SELECT audit_seq, audit_head FROM municipalities WHERE id = '{m}'"),
            )
            .await;
            assert_eq!(head, vec![(chain.len() as i64, prev)], "{m} head");
        }
        let detail: serde_json::Value =
            serde_json::from_str(&events[0].detail).expect("detail is JSON");
        assert_eq!(detail["note"], "住民票の写し \"quoted\" 'single'");
    }
);

db_test!(empty_chains_verify, |db| async move {
    let report = verify_ok(&db).await;
    assert_eq!((report.events, report.municipalities), (0, 0));
    seed(&db).await;
    let report = verify_ok(&db).await;
    assert_eq!((report.events, report.municipalities), (0, 2));
});

db_test!(
    editing_any_field_of_a_middle_event_is_reported,
    |db| async move {
        seed(&db).await;
        // A third municipality with no events, to move an event into.
        seed_municipality(&db, "999999", "架空市", "Nowhere").await;
        append(&db, ICHIKAWA, 10).await;
        append(&db, SHISUI, 3).await;
        verify_ok(&db).await;

        let original = event(&db, ICHIKAWA, 5).await;
        let id = original.id;
        let edits = [
            ("detail", r#"detail = '{"i":4,"note":"改ざん"}'"#),
            ("actor", "actor = 'user:999'"),
            ("action", "action = action || '.x'"),
            ("target", "target = 'thing/other'"),
            ("at", "at = at + 1"),
            ("prev_hash", "prev_hash = hash"),
            ("hash", "hash = prev_hash"),
            ("seq", "seq = 1000"),
            ("municipality_id", "municipality_id = '999999'"),
        ];
        for (field, set) in edits {
            exec(
                &db,
                &format!("UPDATE audit_events SET {set} WHERE id = {id}"),
            )
            .await;
            let msg = verify_broken(&db, &format!("editing {field}")).await;
            assert_names(&msg, ICHIKAWA, 5, &format!("editing {field}"));
            // Putting the original back makes the chain whole again: the edit alone was the problem.
            restore(&db, &original).await;
            let report = verify_ok(&db).await;
            assert_eq!(report.events, 13, "after restoring {field}");
        }
    }
);

db_test!(
    an_edit_with_a_recomputed_hash_breaks_the_next_link,
    |db| async move {
        seed(&db).await;
        append(&db, ICHIKAWA, 10).await;
        let e = event(&db, ICHIKAWA, 5).await;
        let detail = r#"{"i":4,"note":"rewritten"}"#;
        let forged = event_hash(
            &e.prev_hash,
            &e.municipality_id,
            e.seq,
            e.at,
            &e.actor,
            &e.action,
            &e.target,
            detail,
        );
        exec(
            &db,
            &format!(
                "UPDATE audit_events SET detail = {}, hash = {} WHERE id = {}",
                sql_str(detail),
                sql_str(&forged),
                e.id
            ),
        )
        .await;
        let msg = verify_broken(&db, "re-hashed edit").await;
        assert_names(&msg, ICHIKAWA, 6, "re-hashed edit of #5");

        // Rewriting the whole tail consistently still disagrees with the head kept on the
        // municipality row.
        let mut prev = forged;
        for seq in 6..=10 {
            let e = event(&db, ICHIKAWA, seq).await;
            let hash = event_hash(
                &prev,
                &e.municipality_id,
                e.seq,
                e.at,
                &e.actor,
                &e.action,
                &e.target,
                &e.detail,
            );
            exec(
                &db,
                &format!(
                    "UPDATE audit_events SET prev_hash = {}, hash = {} WHERE id = {}",
                    sql_str(&prev),
                    sql_str(&hash),
                    e.id
                ),
            )
            .await;
            prev = hash;
        }
        let msg = verify_broken(&db, "rewritten tail").await;
        assert!(msg.contains(ICHIKAWA), "rewritten tail: {msg}");
    }
);

db_test!(deleting_a_middle_event_is_reported, |db| async move {
    seed(&db).await;
    append(&db, ICHIKAWA, 10).await;
    append(&db, SHISUI, 4).await;
    let e = event(&db, ICHIKAWA, 5).await;
    exec(
        &db,
        &format!("DELETE FROM audit_events WHERE id = {}", e.id),
    )
    .await;
    let msg = verify_broken(&db, "deleting #5").await;
    assert_names(&msg, ICHIKAWA, 5, "deleting #5");
    reinsert(&db, &e).await;
    assert_eq!(verify_ok(&db).await.events, 14);
});

db_test!(deleting_the_first_event_is_reported, |db| async move {
    seed(&db).await;
    append(&db, SHISUI, 6).await;
    let e = event(&db, SHISUI, 1).await;
    exec(
        &db,
        &format!("DELETE FROM audit_events WHERE id = {}", e.id),
    )
    .await;
    let msg = verify_broken(&db, "deleting #1").await;
    assert_names(&msg, SHISUI, 1, "deleting #1");
});

db_test!(deleting_the_last_event_is_reported, |db| async move {
    seed(&db).await;
    append(&db, ICHIKAWA, 10).await;
    append(&db, SHISUI, 4).await;
    let e = event(&db, ICHIKAWA, 10).await;
    exec(
        &db,
        &format!("DELETE FROM audit_events WHERE id = {}", e.id),
    )
    .await;
    let msg = verify_broken(&db, "deleting the last event").await;
    assert_names(&msg, ICHIKAWA, 10, "deleting the last event");
    reinsert(&db, &e).await;
    verify_ok(&db).await;
});

db_test!(
    deleting_every_event_of_a_municipality_is_reported,
    |db| async move {
        seed(&db).await;
        append(&db, ICHIKAWA, 3).await;
        append(&db, SHISUI, 3).await;
        exec(
            &db,
            &format!("DELETE FROM audit_events WHERE municipality_id = '{SHISUI}'"),
        )
        .await;
        let msg = verify_broken(&db, "deleting a whole chain").await;
        assert_names(&msg, SHISUI, 3, "deleting a whole chain");
    }
);

db_test!(
    concurrent_writers_keep_each_chain_contiguous,
    |db| async move {
        seed(&db).await;
        const TASKS: usize = 8;
        const EACH: usize = 10;
        let mut handles = Vec::new();
        for t in 0..TASKS {
            let db = db.clone();
            let municipality = if t % 2 == 0 { ICHIKAWA } else { SHISUI };
            handles.push(tokio::spawn(async move {
                let mut seqs = Vec::new();
                for i in 0..EACH {
                    seqs.push(append_one(&db, municipality, t * 100 + i).await);
                    tokio::task::yield_now().await;
                }
                (municipality, seqs)
            }));
        }
        let mut seqs_a = Vec::new();
        let mut seqs_b = Vec::new();
        for h in handles {
            let (m, seqs) = h.await.expect("writer task");
            if m == ICHIKAWA {
                seqs_a.extend(seqs)
            } else {
                seqs_b.extend(seqs)
            }
        }
        seqs_a.sort_unstable();
        seqs_b.sort_unstable();
        let per_municipality = (TASKS / 2 * EACH) as i64;
        // No sequence number was handed out twice, none was skipped.
        assert_eq!(seqs_a, (1..=per_municipality).collect::<Vec<_>>());
        assert_eq!(seqs_b, (1..=per_municipality).collect::<Vec<_>>());

        let report = verify_ok(&db).await;
        assert_eq!(report.events, (TASKS * EACH) as u64);
        let events = all_events(&db).await;
        assert_contiguous(&events, ICHIKAWA, per_municipality);
        assert_contiguous(&events, SHISUI, per_municipality);
    }
);

db_test!(
    concurrent_multi_event_transactions_keep_the_chain_contiguous,
    |db| async move {
        seed(&db).await;
        let mut handles = Vec::new();
        for t in 0..6usize {
            let db = db.clone();
            handles.push(tokio::spawn(async move {
                for round in 0..4usize {
                    let mut tx = db.begin().await.expect("begin");
                    for i in 0..3usize {
                        record(
                            &mut tx,
                            ICHIKAWA,
                            &Actor::System,
                            "batch",
                            &format!("{t}/{round}/{i}"),
                            json!({}),
                        )
                        .await
                        .expect("record");
                        tokio::task::yield_now().await;
                    }
                    // Every other batch of the odd tasks is abandoned: its numbers must not leave a gap.
                    if t % 2 == 1 && round % 2 == 1 {
                        drop(tx);
                    } else {
                        tx.commit().await.expect("commit");
                    }
                }
            }));
        }
        for h in handles {
            h.await.expect("writer task");
        }
        // 6 tasks × 4 batches × 3 events, minus 3 tasks × 2 abandoned batches × 3 events.
        let committed = 6 * 4 * 3 - 3 * 2 * 3;
        let report = verify_ok(&db).await;
        assert_eq!(report.events, committed as u64);
        assert_contiguous(&all_events(&db).await, ICHIKAWA, committed);
    }
);

db_test!(a_rolled_back_event_leaves_no_trace, |db| async move {
    seed(&db).await;
    append(&db, ICHIKAWA, 2).await;
    {
        let mut tx = db.begin().await.expect("begin");
        for i in 0..3 {
            record(
                &mut tx,
                ICHIKAWA,
                &Actor::Cli,
                "doomed",
                &format!("{i}"),
                json!(null),
            )
            .await
            .expect("record");
        }
        // Dropped without commit: rolls back.
    }
    let seqs = append(&db, ICHIKAWA, 2).await;
    assert_eq!(
        seqs,
        vec![3, 4],
        "the rolled-back numbers are handed out again"
    );
    let report = verify_ok(&db).await;
    assert_eq!(report.events, 4);
    let events = all_events(&db).await;
    assert_contiguous(&events, ICHIKAWA, 4);
    assert!(events.iter().all(|e| e.action != "doomed"));
});

db_test!(
    recording_for_an_unknown_municipality_fails,
    |db| async move {
        seed(&db).await;
        let mut tx = db.begin().await.expect("begin");
        record(&mut tx, "000000", &Actor::Cli, "x", "y", json!({}))
            .await
            .expect("recorded in the transaction");
        // The event is chained at commit, and there is no chain to put it in.
        assert!(
            tx.commit().await.is_err(),
            "committing an event of a municipality that does not exist must fail"
        );
        assert_eq!(verify_ok(&db).await.events, 0);
    }
);

db_test!(long_chains_are_verified_across_pages, |db| async move {
    seed(&db).await;
    // verify() reads 1000 events per page; 2000 makes the last page come back empty.
    const N: i64 = 2000;
    let mut tx = db.begin().await.expect("begin");
    for i in 0..N {
        record(
            &mut tx,
            ICHIKAWA,
            &Actor::System,
            "bulk",
            &i.to_string(),
            json!({ "i": i }),
        )
        .await
        .expect("record");
    }
    tx.commit().await.expect("commit");
    append(&db, SHISUI, 2).await;
    assert_eq!(verify_ok(&db).await.events, N as u64 + 2);

    // Tampering on the second page, right at the boundary, is found and named.
    let e = event(&db, ICHIKAWA, 1001).await;
    exec(
        &db,
        &format!("UPDATE audit_events SET target = 'x' WHERE id = {}", e.id),
    )
    .await;
    assert_names(
        &verify_broken(&db, "edit on page 2").await,
        ICHIKAWA,
        1001,
        "edit on page 2",
    );
    restore(&db, &e).await;

    let e = event(&db, ICHIKAWA, 1000).await;
    exec(
        &db,
        &format!("DELETE FROM audit_events WHERE id = {}", e.id),
    )
    .await;
    assert_names(
        &verify_broken(&db, "delete at the page end").await,
        ICHIKAWA,
        1000,
        "delete at the page end",
    );
    reinsert(&db, &e).await;
    assert_eq!(verify_ok(&db).await.events, N as u64 + 2);
});

db_test!(
    verify_on_a_live_server_is_not_fooled_by_new_events,
    |db| async move {
        seed(&db).await;
        for i in 0..200 {
            append_one(&db, ICHIKAWA, i).await;
        }
        // Events keep arriving while verify reads: newer than the head it read first, they are
        // not a rewrite (found flaky in tests/payments.rs, whose sandbox webhooks write late).
        let writer = {
            let db = db.clone();
            tokio::spawn(async move {
                for i in 200..600 {
                    append_one(&db, ICHIKAWA, i).await;
                }
            })
        };
        let mut runs = 0;
        while !writer.is_finished() {
            let report = verify(&db).await.expect("verify");
            assert!(report.first_bad.is_none(), "{:?}", report.first_bad);
            runs += 1;
        }
        writer.await.expect("writer");
        assert!(runs > 0);
        let report = verify(&db).await.expect("verify");
        assert!(report.first_bad.is_none(), "{:?}", report.first_bad);
        assert_eq!(report.events, 600);
    }
);

db_test!(
    a_transaction_chains_all_its_events_at_commit,
    |db| async move {
        seed(&db).await;
        append(&db, ICHIKAWA, 3).await;
        // More events than one INSERT takes (500), for two chains, interleaved, in one
        // transaction: each chain gets its events in the order they were recorded.
        let mut tx = db.begin().await.expect("begin");
        for i in 0..1_203 {
            let town = if i % 3 == 0 { SHISUI } else { ICHIKAWA };
            record(
                &mut tx,
                town,
                &actor_for(i),
                "test.batch",
                &format!("thing/{i}"),
                json!({ "i": i }),
            )
            .await
            .expect("record");
        }
        // Nothing is written before the commit.
        assert_eq!(head_seq(&db, ICHIKAWA).await, 3);
        tx.commit().await.expect("commit");
        assert_eq!(head_seq(&db, ICHIKAWA).await, 3 + 802);
        assert_eq!(head_seq(&db, SHISUI).await, 401);
        let report = verify_ok(&db).await;
        assert_eq!(report.events, 3 + 1_203);
        let events = all_events(&db).await;
        let targets = |m: &str| -> Vec<String> {
            events
                .iter()
                .filter(|e| e.municipality_id == m && e.action == "test.batch")
                .map(|e| e.target.clone())
                .collect()
        };
        let want = |keep: fn(usize) -> bool| -> Vec<String> {
            (0..1_203)
                .filter(|i| keep(*i))
                .map(|i| format!("thing/{i}"))
                .collect()
        };
        assert_eq!(targets(SHISUI), want(|i| i % 3 == 0));
        assert_eq!(targets(ICHIKAWA), want(|i| i % 3 != 0));
        assert_contiguous(&events, ICHIKAWA, 805);

        // A transaction rolled back, or dropped, writes none of its events.
        for rollback in [true, false] {
            let mut tx = db.begin().await.expect("begin");
            record(&mut tx, ICHIKAWA, &Actor::Cli, "test.lost", "x", json!({}))
                .await
                .expect("record");
            if rollback {
                tx.rollback().await.expect("rollback");
            } else {
                drop(tx);
            }
        }
        assert_eq!(head_seq(&db, ICHIKAWA).await, 805);
        verify_ok(&db).await;
    }
);

db_test!(
    events_after_a_savepoint_that_is_rolled_back_to_are_dropped,
    |db| async move {
        seed(&db).await;
        let mut tx = db.begin().await.expect("begin");
        let ev = |name: &'static str| (name, json!({}));
        for (spell_take, spell_back, spell_release) in [
            (
                "SAVEPOINT a",
                "ROLLBACK TO SAVEPOINT a",
                "RELEASE SAVEPOINT a",
            ),
            ("savepoint b;", "rollback transaction to b", "release b"),
        ] {
            let (keep, d) = ev("test.kept");
            record(&mut tx, ICHIKAWA, &Actor::Cli, keep, spell_take, d)
                .await
                .expect("record");
            tx.execute_raw(spell_take).await.expect("savepoint");
            let (lost, d) = ev("test.lost");
            record(&mut tx, ICHIKAWA, &Actor::Cli, lost, spell_back, d)
                .await
                .expect("record");
            tx.execute_raw(spell_back).await.expect("rollback to");
            let (kept_after, d) = ev("test.kept.after");
            record(&mut tx, ICHIKAWA, &Actor::Cli, kept_after, spell_release, d)
                .await
                .expect("record");
            tx.execute_raw(spell_release).await.expect("release");
        }
        tx.commit().await.expect("commit");
        let events = all_events(&db).await;
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "test.kept",
                "test.kept.after",
                "test.kept",
                "test.kept.after"
            ]
        );
        verify_ok(&db).await;
    }
);

db_test!(
    concurrent_transactions_and_group_commits_keep_one_chain,
    |db| async move {
        seed(&db).await;
        // Plain transactions and group-committed jobs of both towns at once: on PostgreSQL
        // they run concurrently and meet only at the head rows when they commit.
        let mut tasks = Vec::new();
        for w in 0..8_usize {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..25_usize {
                    let town = if (w + i) % 4 == 0 { SHISUI } else { ICHIKAWA };
                    if w % 2 == 0 {
                        append_one(&db, town, i).await;
                    } else {
                        db.grouped(move |tx| {
                            Box::pin(async move {
                                record(tx, town, &Actor::System, "test.grouped", "g", json!({}))
                                    .await?;
                                record(tx, ICHIKAWA, &Actor::System, "test.grouped", "h", json!({}))
                                    .await
                            })
                        })
                        .await
                        .expect("grouped");
                    }
                }
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        let report = verify_ok(&db).await;
        // 4 plain writers × 25 events, 4 grouped writers × 25 jobs × 2 events.
        assert_eq!(report.events, 100 + 200);
        let events = all_events(&db).await;
        let n = |m: &str| events.iter().filter(|e| e.municipality_id == m).count() as i64;
        assert_eq!(n(ICHIKAWA) + n(SHISUI), 300);
        assert_contiguous(&events, ICHIKAWA, n(ICHIKAWA));
        assert_contiguous(&events, SHISUI, n(SHISUI));
    }
);
