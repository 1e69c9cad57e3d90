//! Crash safety (issue 9): the real `madoguchi serve` binary under a load of concurrent
//! submissions is killed with SIGKILL at a random moment, again and again, on SQLite and on
//! PostgreSQL. After every restart each application that got a 2xx is stored intact (same
//! receipt, same answers) and `madoguchi audit verify` passes.
//!
//! Kills per database: `MADOGUCHI_CRASH_KILLS` (default 20). `bench/crash.sh` runs more.
//!
//! The load is a list of [`Workload`]s; a module with its own durable writes (reservations,
//! mandates) adds one: `fire` sends one request and returns what a 2xx promised, `check`
//! reads the database after the restart and says what is missing or changed.

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod served;
mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app_fixture::*;
use madoguchi::db::Db;
use serde_json::{Value, json};
use served::{bin, start};

/// What `fire` returns: (key, promised value) when the server answered 2xx.
type Fired = std::pin::Pin<Box<dyn std::future::Future<Output = Option<(String, String)>> + Send>>;

/// One kind of durable write under test.
trait Workload: Send + Sync {
    fn name(&self) -> &'static str;
    /// Sends request number `i`; returns (key, promised value) when the server answered 2xx.
    fn fire(&self, http: reqwest::Client, base: String, i: u64) -> Fired;
    /// After a restart: every promised (key, value) must be stored as promised.
    fn check<'a>(
        &'a self,
        db: &'a Db,
        promised: &'a BTreeMap<String, String>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<String>> + 'a>>;
}

/// Applications through `POST /api/v1/applications` with a resident's bearer token.
struct Applications {
    token: String,
    procedure_id: i64,
}

impl Workload for Applications {
    fn name(&self) -> &'static str {
        "applications"
    }
    fn fire(&self, http: reqwest::Client, base: String, i: u64) -> Fired {
        let token = self.token.clone();
        let pid = self.procedure_id;
        Box::pin(async move {
            let name = format!("市川 花子 {i}");
            let body =
                json!({"procedure_id": pid, "answers": {"full_name": name, "copies": (i % 9) + 1}});
            let r = http
                .post(format!("{base}/api/v1/applications"))
                .bearer_auth(&token)
                .header("idempotency-key", format!("crash-{i}"))
                .json(&body)
                .send()
                .await
                .ok()?;
            if !r.status().is_success() {
                assert!(
                    !r.status().is_server_error(),
                    "a submission got {} (a 5xx is never acceptable)",
                    r.status()
                );
                return None;
            }
            let v: Value = r.json().await.ok()?;
            let receipt = v["receipt"].as_str()?.replace('-', "");
            Some((
                receipt,
                json!({"full_name": name, "copies": (i % 9) + 1}).to_string(),
            ))
        })
    }
    fn check<'a>(
        &'a self,
        db: &'a Db,
        promised: &'a BTreeMap<String, String>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<String>> + 'a>> {
        Box::pin(async move {
            let rows: Vec<(String, String)> =
                common::fetch_raw(db, "SELECT receipt, answers FROM applications").await;
            let stored: BTreeMap<String, Value> = rows
                .into_iter()
                .map(|(r, a)| (r, serde_json::from_str(&a).unwrap_or(Value::Null)))
                .collect();
            let mut bad = Vec::new();
            for (receipt, answers) in promised {
                let want: Value = serde_json::from_str(answers).expect("json");
                match stored.get(receipt) {
                    None => bad.push(format!("application {receipt} got a 2xx but is missing")),
                    Some(got) if got != &want => {
                        bad.push(format!("application {receipt} changed: {got} != {want}"))
                    }
                    Some(_) => {}
                }
            }
            bad
        })
    }
}

struct Report {
    kills: usize,
    acknowledged: usize,
}

async fn crash_loop(url: String, db: Db) -> Report {
    // Demo data and a published form, written through the library before the binary starts.
    let app = support::TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let (_, token) = madoguchi::admin::create_token(&db, ICHIKAWA, HANAKO, "*")
        .await
        .expect("token");
    drop(app);
    let workloads: Vec<Arc<dyn Workload>> = vec![Arc::new(Applications {
        token,
        procedure_id: f.procedure_id,
    })];
    let kills: usize = std::env::var("MADOGUCHI_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut promised: Vec<BTreeMap<String, String>> =
        workloads.iter().map(|_| BTreeMap::new()).collect();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let mut next: u64 = 0;
    let mut acknowledged_total = 0;
    for round in 0..kills {
        let mut server = start(&url);
        let base = format!("http://{}", server.addr);
        // Everything promised so far is still there after the last kill.
        for (w, p) in workloads.iter().zip(&promised) {
            let bad = w.check(&db, p).await;
            assert!(bad.is_empty(), "round {round}, {}: {bad:#?}", w.name());
        }
        let (ok, _, err) = audit_verify(&url);
        assert!(ok, "round {round}: audit verify failed: {err}");

        // Load: 8 concurrent clients per workload, until the kill.
        let acked: Arc<Mutex<Vec<(usize, String, String)>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for (wi, w) in workloads.iter().enumerate() {
            for c in 0..8u64 {
                let (w, http, base, acked, stop) = (
                    w.clone(),
                    http.clone(),
                    base.clone(),
                    acked.clone(),
                    stop.clone(),
                );
                let start_i = next + c * 1_000_000;
                tasks.push(tokio::spawn(async move {
                    let mut i = start_i;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        if let Some((k, v)) = w.fire(http.clone(), base.clone(), i).await {
                            acked.lock().expect("lock").push((wi, k, v));
                        }
                        i += 1;
                    }
                }));
            }
        }
        next += 8 * 1_000_000;
        // A random moment: 150–1200 ms into the load.
        let wait = 150 + (rand::random::<u64>() % 1050);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.child.kill().expect("SIGKILL");
        let _ = server.child.wait();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in tasks {
            t.await.expect("load task");
        }
        let acked = std::mem::take(&mut *acked.lock().expect("lock"));
        acknowledged_total += acked.len();
        for (wi, k, v) in acked {
            promised[wi].insert(k, v);
        }
    }
    // After the last kill.
    let _server = start(&url);
    for (w, p) in workloads.iter().zip(&promised) {
        let bad = w.check(&db, p).await;
        assert!(
            bad.is_empty(),
            "after the last kill, {}: {bad:#?}",
            w.name()
        );
    }
    let (ok, out, err) = audit_verify(&url);
    assert!(ok, "audit verify after the last kill: {err}");
    assert!(out.contains("audit chain intact"), "{out}");
    assert!(
        acknowledged_total > 0,
        "no submission was acknowledged: the load never reached the server"
    );
    Report {
        kills,
        acknowledged: acknowledged_total,
    }
}

fn audit_verify(url: &str) -> (bool, String, String) {
    let out = bin()
        .args(["audit", "verify", "--database-url", url])
        .output()
        .expect("audit verify");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_nothing_on_sqlite() {
    let t = common::sqlite().await;
    let rows: Vec<(i64, String, String)> = common::fetch_raw(&t, "PRAGMA database_list").await;
    let file = rows.iter().find(|r| r.1 == "main").expect("main").2.clone();
    let url = format!("sqlite://{file}");
    let r = crash_loop(url, t.db.clone()).await;
    eprintln!(
        "sqlite: {} kills survived, {} acknowledged writes all intact",
        r.kills, r.acknowledged
    );
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_nothing_on_postgres() {
    let t = common::postgres().await;
    let name: Vec<(String,)> = common::fetch_raw(&t, "SELECT current_database()::text").await;
    let c = common::pg::cluster_async().await;
    let url = format!(
        "postgres://postgres@localhost/{}?host={}&port={}",
        name[0].0,
        c.dir.display(),
        c.port
    );
    let r = crash_loop(url, t.db.clone()).await;
    eprintln!(
        "postgres: {} kills survived, {} acknowledged writes all intact",
        r.kills, r.acknowledged
    );
    t.finish().await;
}
