//! The `madoguchi` binary end to end on SQLite and PostgreSQL: migrate, admin commands while
//! the server runs, bearer tokens, JSON logs with request ids, metrics on their own address,
//! graceful shutdown on SIGTERM, and `audit verify` catching an edited row.

#[macro_use]
mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use madoguchi::db::Db;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    // Never pick up a developer's own configuration.
    for (k, _) in std::env::vars() {
        if k.starts_with("MADOGUCHI_") {
            c.env_remove(k);
        }
    }
    c
}

/// Runs the CLI with `args` (password on stdin when given); returns (success, stdout, stderr).
fn run(url: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut cmd = bin();
    cmd.args(args)
        .arg("--database-url")
        .arg(url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn madoguchi");
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct Server {
    child: Child,
    addr: String,
    metrics: String,
    lines: mpsc::Receiver<String>,
}

impl Drop for Server {
    /// A failing assertion must not leave the server running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn start_server(url: &str) -> Server {
    let mut child = bin()
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url])
        .env("MADOGUCHI_METRICS_ADDR", "127.0.0.1:0")
        .env("MADOGUCHI_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn server");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let (mut addr, mut metrics) = (None, None);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while addr.is_none() || metrics.is_none() {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = rx
            .recv_timeout(left)
            .expect("server did not report its addresses in time");
        let v: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
        let msg = v["message"].as_str().unwrap_or("");
        if msg == "listening" {
            addr = v["addr"].as_str().map(str::to_owned);
        } else if msg == "metrics listening" {
            metrics = v["addr"].as_str().map(str::to_owned);
        }
    }
    Server {
        child,
        addr: addr.expect("addr"),
        metrics: metrics.expect("metrics"),
        lines: rx,
    }
}

async fn suite(url: String, db: Db) {
    let (ok, out, err) = run(&url, &["migrate"], None);
    assert!(ok, "migrate: {err}");
    assert!(out.contains("migrations applied"));
    let (ok, out, err) = run(
        &url,
        &[
            "admin",
            "municipality",
            "create",
            "--code",
            "122033",
            "--name-ja",
            "市川市",
            "--name-en",
            "Ichikawa City",
        ],
        None,
    );
    assert!(ok && out.contains("created"), "{err}");
    let (ok, out, _) = run(
        &url,
        &[
            "admin",
            "municipality",
            "create",
            "--code",
            "122033",
            "--name-ja",
            "市川市",
            "--name-en",
            "Ichikawa City",
        ],
        None,
    );
    assert!(ok && out.contains("already exists"));
    let (ok, _, err) = run(
        &url,
        &[
            "admin",
            "municipality",
            "create",
            "--code",
            "12203",
            "--name-ja",
            "x",
            "--name-en",
            "x",
        ],
        None,
    );
    assert!(!ok && err.contains("6-digit"), "{err}");
    let (ok, _, err) = run(
        &url,
        &[
            "admin",
            "department",
            "create",
            "--code",
            "shimin",
            "--name-ja",
            "市民課",
            "--name-en",
            "Citizens Division",
        ],
        None,
    );
    assert!(ok, "{err}");

    let mut server = start_server(&url);
    let base = format!("http://{}", server.addr);

    // Admin commands work while the server runs (SQLite: busy timeout and the writer lock).
    let (ok, out, err) = run(
        &url,
        &[
            "admin",
            "staff",
            "create",
            "--email",
            "clerk@city.ichikawa.example.jp",
            "--name",
            "窓口 係長",
            "--department",
            "shimin",
            "--role",
            "department_staff",
        ],
        Some("window desk phrase\n"),
    );
    assert!(ok && out.contains("staff member"), "{err}");
    let (ok, _, err) = run(
        &url,
        &[
            "admin",
            "staff",
            "create",
            "--email",
            "x@city.ichikawa.example.jp",
            "--name",
            "x",
            "--department",
            "shimin",
            "--role",
            "root",
        ],
        Some("window desk phrase\n"),
    );
    assert!(!ok && err.contains("role must be one of"), "{err}");
    let (ok, _, err) = run(
        &url,
        &[
            "admin",
            "resident",
            "create",
            "--email",
            "weak@example.jp",
            "--name",
            "弱い",
        ],
        Some("short\n"),
    );
    assert!(!ok && err.contains("password refused"), "{err}");
    let (ok, _, err) = run(
        &url,
        &[
            "admin",
            "resident",
            "create",
            "--email",
            "sachiko@example.jp",
            "--name",
            "市川 幸子",
        ],
        Some("cherry blossom river\n"),
    );
    assert!(ok, "{err}");
    let (ok, token, err) = run(
        &url,
        &[
            "admin",
            "token",
            "create",
            "--email",
            "clerk@city.ichikawa.example.jp",
            "--scope",
            "api:read",
        ],
        None,
    );
    assert!(ok, "{err}");
    let token = token.trim().to_owned();

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let me = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.expect("json");
    assert_eq!(me["name"], "窓口 係長");

    // The resident created by the CLI can log in over real HTTP.
    let home = http.get(&base).send().await.expect("home");
    let csrf = home
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|s| {
            s.strip_prefix("__Host-csrf=")
                .map(|r| r.split(';').next().unwrap_or("").to_owned())
        })
        .expect("csrf cookie");
    let login = http
        .post(format!("{base}/login"))
        .header("cookie", format!("__Host-csrf={csrf}"))
        .form(&[
            ("email", "sachiko@example.jp"),
            ("password", "cherry blossom river"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 303);

    let metrics = http
        .get(format!("http://{}/metrics", server.metrics))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("madoguchi_http_requests_total"),
        "{metrics}"
    );
    assert!(
        http.get(format!("{base}/metrics"))
            .send()
            .await
            .expect("public")
            .status()
            == 404,
        "metrics must not be on the public address"
    );

    // SIGTERM: the server stops cleanly and exits 0.
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut exited = None;
    for _ in 0..100 {
        if let Some(s) = server.child.try_wait().expect("try_wait") {
            exited = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let exited = exited.expect("server did not stop within 10 s of SIGTERM");
    assert!(exited.success(), "exit status {exited}");
    let logs: Vec<String> = server.lines.try_iter().collect();
    let with_id = logs.iter().filter(|l| l.contains("\"request_id\"")).count();
    assert!(with_id > 0, "no request ids in the JSON logs: {logs:?}");
    assert!(
        logs.iter().any(|l| l.contains("stopped")),
        "no clean stop in logs"
    );

    // The audit chain verifies; an edited row is named.
    let (ok, out, err) = run(&url, &["audit", "verify"], None);
    assert!(ok, "{err}");
    assert!(out.contains("audit chain intact"), "{out}");
    db.execute_raw("UPDATE audit_events SET detail = '{\"forged\":true}' WHERE seq = 3")
        .await
        .expect("tamper");
    let (ok, _, err) = run(&url, &["audit", "verify"], None);
    assert!(!ok, "a tampered chain must fail");
    assert!(err.contains("event #3") && err.contains("altered"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let (ok, _, err) = run(&url, &["migrate"], None);
    assert!(ok, "{err}");
    let db = Db::connect(&url).await.expect("connect");
    suite(url, db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_on_postgres() {
    let name = common::pg::create_database().await;
    let cluster = common::pg::cluster_async().await;
    let url = format!(
        "postgres://postgres@localhost/{name}?host={}&port={}",
        cluster.dir.display(),
        cluster.port
    );
    let db = Db::connect(&url).await.expect("connect");
    suite(url, db).await;
}
