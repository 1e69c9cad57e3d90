//! Zero-downtime restart (issue 9): SIGTERM to the real `madoguchi serve` during a load of
//! submissions. Requests in flight finish with their normal answer, new connections are
//! refused (connection refused, never a 5xx), no request gets a 5xx, every acknowledged
//! submission is stored, and the process exits 0. On SQLite and PostgreSQL.

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod served;
mod support;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app_fixture::*;
use madoguchi::db::Db;
use serde_json::{Value, json};
use served::start;

struct Outcome {
    started_ms: u128,
    finished_ms: u128,
    result: Result<(u16, Option<String>), String>,
}

async fn sigterm_during_load(url: String, db: Db) {
    let app = support::TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let (_, token) = madoguchi::admin::create_token(&db, ICHIKAWA, HANAKO, "*")
        .await
        .expect("token");
    drop(app);
    let mut server = start(&url);
    let base = format!("http://{}", server.addr);
    // A new connection per request, so "refused" is visible as a connect error.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let t0 = std::time::Instant::now();
    let outcomes: Arc<Mutex<Vec<Outcome>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for c in 0..8u64 {
        let (http, base, token, outcomes, stop) = (
            http.clone(),
            base.clone(),
            token.clone(),
            outcomes.clone(),
            stop.clone(),
        );
        let pid = f.procedure_id;
        tasks.push(tokio::spawn(async move {
            let mut i = c * 1_000_000;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started_ms = t0.elapsed().as_millis();
                let body = json!({"procedure_id": pid, "answers": {"full_name": format!("終了 {i}"), "copies": 1}});
                let r = http
                    .post(format!("{base}/api/v1/applications"))
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("term-{i}"))
                    .json(&body)
                    .send()
                    .await;
                let result = match r {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let v: Option<Value> = r.json().await.ok();
                        Ok((status, v.and_then(|v| v["receipt"].as_str().map(|s| s.replace('-', "")))))
                    }
                    Err(e) if e.is_connect() => Err("refused".to_owned()),
                    Err(e) => Err(format!("{e:?}")),
                };
                let refused = matches!(&result, Err(e) if e == "refused");
                outcomes.lock().expect("lock").push(Outcome {
                    started_ms,
                    finished_ms: t0.elapsed().as_millis(),
                    result,
                });
                if refused {
                    break;
                }
                i += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let term_ms = t0.elapsed().as_millis();
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut exited = None;
    for _ in 0..300 {
        if let Some(s) = server.child.try_wait().expect("try_wait") {
            exited = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exited = exited.expect("the server did not stop within 30 s of SIGTERM");
    assert!(exited.success(), "exit status {exited}");
    // Clients keep trying for a moment after the exit: all refused.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.expect("task");
    }
    let outcomes = std::mem::take(&mut *outcomes.lock().expect("lock"));
    let mut acked = Vec::new();
    let (mut refused, mut finished_after_term) = (0, 0);
    for o in &outcomes {
        match &o.result {
            Ok((s, receipt)) => {
                assert!(*s < 500, "a request got {s}");
                assert_eq!(*s, 201, "a submission got {s}");
                acked.push(receipt.clone().expect("receipt"));
                if o.finished_ms >= term_ms && o.started_ms < term_ms {
                    finished_after_term += 1;
                }
            }
            Err(e) if e == "refused" => {
                assert!(
                    o.started_ms + 20 >= term_ms,
                    "refused before SIGTERM (started at {} ms, SIGTERM at {term_ms} ms)",
                    o.started_ms
                );
                refused += 1;
            }
            Err(e) => {
                // A connection the kernel accepted just as the listener closed is reset; that
                // is a refusal too, but only for requests that started around the SIGTERM.
                assert!(
                    o.started_ms + 50 >= term_ms,
                    "request started {} ms before SIGTERM failed: {e}",
                    term_ms - o.started_ms
                );
                refused += 1;
            }
        }
    }
    assert!(
        acked.len() > 8,
        "the load never got going: {} acknowledged",
        acked.len()
    );
    assert!(
        refused >= 8,
        "every client ends with a refused connection ({refused})"
    );
    eprintln!(
        "SIGTERM at {term_ms} ms: {} submissions acknowledged ({finished_after_term} finished after the signal), {refused} refused, 0 5xx",
        acked.len()
    );
    let rows: Vec<(String,)> = common::fetch_raw(&db, "SELECT receipt FROM applications").await;
    let stored: std::collections::BTreeSet<String> = rows.into_iter().map(|r| r.0).collect();
    for r in &acked {
        assert!(stored.contains(r), "acknowledged {r} is not stored");
    }
    support::assert_audit_intact(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_in_flight_requests_on_sqlite() {
    let t = common::sqlite().await;
    let rows: Vec<(i64, String, String)> = common::fetch_raw(&t, "PRAGMA database_list").await;
    let file = rows.iter().find(|r| r.1 == "main").expect("main").2.clone();
    sigterm_during_load(format!("sqlite://{file}"), t.db.clone()).await;
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_finishes_in_flight_requests_on_postgres() {
    let t = common::postgres().await;
    let name: Vec<(String,)> = common::fetch_raw(&t, "SELECT current_database()::text").await;
    let c = common::pg::cluster_async().await;
    let url = format!(
        "postgres://postgres@localhost/{}?host={}&port={}",
        name[0].0,
        c.dir.display(),
        c.port
    );
    sigterm_during_load(url, t.db.clone()).await;
    t.finish().await;
}
