//! `madoguchi backup` / `restore` and the table checksum on SQLite and PostgreSQL (issue 9):
//! data written across modules survives backup → restore into a fresh database with identical
//! checksums; a backup taken while submissions are being written restores to a database whose
//! audit chain verifies; a non-empty target is refused unless forced.

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod support;

use std::path::PathBuf;

use app_fixture::*;
use madoguchi::audit::Actor;
use madoguchi::backup;
use madoguchi::db::{Backend, Db};
use madoguchi::procedures::application;
use support::*;

/// A URL for `db` that `madoguchi backup` and pg_dump understand, and a fresh target URL.
async fn urls(db: &Db, dir: &std::path::Path) -> (String, String) {
    match db.backend() {
        Backend::Sqlite => {
            let rows: Vec<(i64, String, String)> =
                common::fetch_raw(db, "PRAGMA database_list").await;
            let file = rows
                .iter()
                .find(|r| r.1 == "main")
                .map(|r| r.2.clone())
                .expect("main database");
            (
                format!("sqlite://{file}"),
                format!("sqlite://{}", dir.join("restored.db").display()),
            )
        }
        Backend::Postgres => {
            let name: Vec<(String,)> =
                common::fetch_raw(db, "SELECT current_database()::text").await;
            let fresh = common::pg::create_database().await;
            let c = common::pg::cluster_async().await;
            let url = |n: &str| {
                format!(
                    "postgres://postgres@localhost/{n}?host={}&port={}",
                    c.dir.display(),
                    c.port
                )
            };
            (url(&name[0].0), url(&fresh))
        }
    }
}

async fn submit_some(db: &Db, f: &Fixture, n: usize, tag: &str) -> usize {
    let mut ok = 0;
    for i in 0..n {
        let r = application::submit(
            db,
            ICHIKAWA,
            &Actor::User(f.hanako),
            "http://127.0.0.1",
            f.new_app(answers(&format!("市川 花子 {tag}{i}")), None),
        )
        .await;
        if r.is_ok() {
            ok += 1;
        }
    }
    ok
}

fn file_in(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

db_test!(backup_restores_identical_data, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    assert_eq!(submit_some(&db, &f, 5, "b").await, 5);
    // Sessions, login attempts and audit events from the web side too.
    let mut c = app.client(ICHIKAWA_HOST);
    assert!(c.login(HANAKO, PASSWORD).await.status.is_redirection());

    let dir = tempfile::tempdir().expect("tempdir");
    let (url, target) = urls(&db, dir.path()).await;
    let before = backup::checksum(&db).await.expect("checksum");
    let with_rows = before.tables.iter().filter(|t| t.rows > 0).count();
    assert!(
        with_rows >= 10,
        "the demo writes many tables, only {with_rows}: {before}"
    );
    let out = file_in(&dir, "madoguchi.backup");
    backup::backup(&db, &url, &out).await.expect("backup");
    // An existing file is never overwritten.
    assert!(backup::backup(&db, &url, &out).await.is_err());

    backup::restore(&target, &out, false)
        .await
        .expect("restore");
    let restored = Db::connect(&target).await.expect("open restored");
    let after = backup::checksum(&restored).await.expect("checksum");
    assert_eq!(before, after, "restored data differ");
    assert_audit_intact(&restored).await;

    // The restored copy is a working database: it migrates (no-op) and takes new writes.
    restored.migrate().await.expect("migrate");
    assert_eq!(submit_some(&restored, &f, 1, "r").await, 1);
    let changed = backup::checksum(&restored).await.expect("checksum");
    assert_ne!(
        changed.overall, before.overall,
        "a new row changes the checksum"
    );
    restored.close().await;

    // Not fresh any more: refused without --force, replaced with it.
    let err = backup::restore(&target, &out, false)
        .await
        .expect_err("non-empty target");
    assert!(err.to_string().contains("not empty"), "{err}");
    backup::restore(&target, &out, true)
        .await
        .expect("forced restore");
    let again = Db::connect(&target).await.expect("open");
    assert_eq!(backup::checksum(&again).await.expect("sum"), before);
    again.close().await;

    // A file of the wrong kind is refused with a clear message.
    let junk = file_in(&dir, "junk.bin");
    std::fs::write(&junk, b"not a backup").expect("write");
    let err = backup::restore(&target, &junk, true)
        .await
        .expect_err("junk");
    assert!(err.to_string().contains("neither"), "{err}");
});

db_test!(a_backup_taken_during_writes_restores, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let (url, target) = urls(&db, dir.path()).await;
    let out = file_in(&dir, "during.backup");
    let before: i64 = count_applications(&db).await;
    let writers = common::join_all((0..4).map(|w| {
        let db = db.clone();
        let f = &f;
        async move { submit_some(&db, f, 10, &format!("w{w}-")).await }
    }));
    let snapshot = async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        backup::backup(&db, &url, &out).await
    };
    let (written, taken) = tokio::join!(writers, snapshot);
    taken.expect("backup during writes");
    let written: usize = written.into_iter().sum();
    assert_eq!(written, 40);

    backup::restore(&target, &out, false)
        .await
        .expect("restore");
    let restored = Db::connect(&target).await.expect("open restored");
    assert_audit_intact(&restored).await;
    let n = count_applications(&restored).await;
    assert!(
        n >= before && n <= before + 40,
        "restored {n} applications, expected between {before} and {}",
        before + 40
    );
    // Every restored application has its audit event (one consistent moment, no torn write).
    let events: Vec<(i64,)> = common::fetch_raw(
        &restored,
        "SELECT COUNT(*) FROM audit_events WHERE action = 'application.submitted'",
    )
    .await;
    assert_eq!(events[0].0, n, "applications and their audit events differ");
    restored.close().await;
});

/// The CLI: `backup --out`, `backup --checksum`, `restore` (SQLite; the library paths above run
/// on both databases).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_backup_and_restore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = format!("sqlite://{}", dir.path().join("live.db").display());
    let dst = format!("sqlite://{}", dir.path().join("copy.db").display());
    let out = dir.path().join("b.sqlite");
    let bin = env!("CARGO_BIN_EXE_madoguchi");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(bin)
            .args(args)
            .env_remove("MADOGUCHI_CONFIG")
            .env_remove("MADOGUCHI_DATABASE_URL")
            .output()
            .expect("run");
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&[
        "admin",
        "municipality",
        "create",
        "--code",
        "122033",
        "--name-ja",
        "市川市",
        "--name-en",
        "Ichikawa",
        "--database-url",
        &src,
    ]);
    assert!(ok, "{err}");
    let (ok, sum, err) = run(&["backup", "--checksum", "--database-url", &src]);
    assert!(ok, "{err}");
    let overall = sum
        .lines()
        .find_map(|l| l.strip_prefix("overall "))
        .expect("overall line")
        .to_owned();
    assert!(sum.contains("municipalities"), "{sum}");
    let out_s = out.to_string_lossy().into_owned();
    let (ok, _, err) = run(&["backup", "--out", &out_s, "--database-url", &src]);
    assert!(ok, "{err}");
    let (ok, msg, err) = run(&["restore", &out_s, "--database-url", &dst]);
    assert!(ok, "{err}");
    assert!(
        msg.contains(&overall),
        "restore prints the same checksum: {msg} vs {overall}"
    );
    let (ok, _, err) = run(&["restore", &out_s, "--database-url", &dst]);
    assert!(!ok && err.contains("not empty"), "{err}");
}
