//! One throwaway PostgreSQL cluster per test process, reachable only through a unix socket.
//! See the docs of the parent module for the whole picture.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// The message every PostgreSQL test fails with when the server binaries are not installed.
pub const MISSING: &str = "PostgreSQL is required for storage tests: apt-get install postgresql \
     (looked at $MADOGUCHI_PG_BINDIR, `pg_config --bindir` and /usr/lib/postgresql/*/bin for initdb and pg_ctl)";

/// A running cluster.
#[derive(Debug)]
pub struct Cluster {
    /// Temporary directory: the data directory is `dir/data`, the socket lives in `dir`.
    pub dir: PathBuf,
    pub port: u16,
    pub bindir: PathBuf,
}

static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
static NEXT_DATABASE: AtomicU64 = AtomicU64::new(1);

/// The process-wide cluster, started on first call (blocking; see [`cluster_async`]).
pub fn cluster() -> &'static Cluster {
    match CLUSTER.get_or_init(start) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

/// [`cluster`] without blocking a runtime worker while the cluster starts.
pub async fn cluster_async() -> &'static Cluster {
    match tokio::task::spawn_blocking(cluster).await {
        Ok(c) => c,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("starting the PostgreSQL test cluster: {e}"),
        },
    }
}

/// Connection options for `database` in the test cluster (unix socket, user `postgres`).
pub fn options_in(cluster: &Cluster, database: &str) -> PgConnectOptions {
    PgConnectOptions::new()
        .socket(&cluster.dir)
        .port(cluster.port)
        .username("postgres")
        .database(database)
}

/// Connection options for `database`, starting the cluster first if needed.
pub async fn options(database: &str) -> PgConnectOptions {
    options_in(cluster_async().await, database)
}

/// Creates an empty database `t_<n>` and returns its name.
pub async fn create_database() -> String {
    let name = format!("t_{}", NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
    let mut admin = PgConnection::connect_with(&options("postgres").await)
        .await
        .unwrap_or_else(|e| panic!("connecting to the PostgreSQL test cluster: {e}"));
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let _ = admin.close().await;
    name
}

/// Drops a test database (best effort; the whole cluster goes away at exit anyway).
pub async fn drop_database(name: &str) {
    let Ok(mut admin) = PgConnection::connect_with(&options("postgres").await).await else {
        return;
    };
    let _ = sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await;
    let _ = admin.close().await;
}

fn start() -> Result<Cluster, String> {
    let bindir = find_bindir().ok_or_else(|| MISSING.to_string())?;
    let as_root = current_uid()? == 0;
    if as_root && !user_exists("postgres") {
        return Err(format!(
            "{MISSING}: running as root, PostgreSQL refuses to run as root and there is no \
             `postgres` user to run it as (the Debian postgresql package creates it)"
        ));
    }
    // As root the cluster runs as `postgres`, which must be able to reach the directory: /tmp
    // always is. Unix socket paths are limited to 107 bytes, so a very long $TMPDIR is avoided.
    let base = match std::env::temp_dir() {
        t if !as_root && t.as_os_str().len() < 60 => t,
        _ => PathBuf::from("/tmp"),
    };
    let dir = tempfile::Builder::new()
        .prefix("madoguchi-pg-")
        .tempdir_in(&base)
        .map_err(|e| format!("creating a temporary directory in {}: {e}", base.display()))?
        .keep();
    // Before anything else can fail: whatever happens, the directory goes away after we exit.
    spawn_watchdog(&dir, &bindir.join("pg_ctl"), as_root)?;
    if as_root {
        run(
            Command::new("chown").arg("postgres").arg(&dir),
            "chown postgres",
        )?;
    }
    let port = 20_000 + (std::process::id() % 40_000) as u16;
    let data = dir.join("data");

    let log = dir.join("postgres.log");
    // A cached cluster that will not start (damaged cache) is thrown away and initdb'd afresh.
    if copy_template(&bindir, &data, as_root) {
        if pg_ctl_start(&bindir, &dir, port, as_root).is_ok() {
            return Ok(Cluster { dir, port, bindir });
        }
        remove_template(&bindir);
        let _ = std::fs::remove_dir_all(&data);
        let _ = std::fs::remove_file(&log);
    }
    let mut initdb = pg_command(&bindir.join("initdb"), as_root, &dir);
    initdb.arg("-D").arg(&data).args([
        "-A",
        "trust",
        "-U",
        "postgres",
        "-E",
        "UTF8",
        "--no-locale",
        "--no-sync",
        // 1 MB WAL segments instead of 16: a smaller directory to copy from the cache.
        "--wal-segsize=1",
    ]);
    run(&mut initdb, "initdb")?;
    save_template(&bindir, &data);
    pg_ctl_start(&bindir, &dir, port, as_root)?;
    Ok(Cluster { dir, port, bindir })
}

/// `pg_ctl start` on `dir/data`, socket in `dir`, no TCP; waits until it accepts connections.
fn pg_ctl_start(bindir: &Path, dir: &Path, port: u16, as_root: bool) -> Result<(), String> {
    let log = dir.join("postgres.log");
    let server_opts = format!(
        "-p {port} -k '{}' -c listen_addresses='' -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off",
        dir.display()
    );
    let mut pg_ctl = pg_command(&bindir.join("pg_ctl"), as_root, dir);
    pg_ctl
        .arg("start")
        .arg("-D")
        .arg(dir.join("data"))
        .arg("-l")
        .arg(&log)
        .args(["-w", "-t", "60", "-o"])
        .arg(server_opts);
    run(&mut pg_ctl, "pg_ctl start").map(drop).map_err(|e| {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        format!("{e}\nserver log:\n{log}")
    })
}

/// Where a pristine `initdb` result is kept between test processes: `initdb` takes about two
/// seconds, a copy a fraction of that. Keyed by the server binary, so an upgrade re-initialises.
/// `None` outside cargo (no `CARGO_TARGET_TMPDIR`), which simply means no cache.
fn template_path(bindir: &Path) -> Option<PathBuf> {
    let tmp = option_env!("CARGO_TARGET_TMPDIR")?;
    let meta = std::fs::metadata(bindir.join("initdb")).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let key: String = bindir
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    Some(Path::new(tmp).join(format!(
        "madoguchi-pg-template-v2-{key}-{mtime}-{}",
        meta.len()
    )))
}

/// Copies the cached cluster into `data`; false (and nothing left behind) when there is none.
fn copy_template(bindir: &Path, data: &Path, as_root: bool) -> bool {
    let Some(template) = template_path(bindir) else {
        return false;
    };
    if !template.join("PG_VERSION").is_file() || !template.join("global/pg_control").is_file() {
        return false;
    }
    let copied = Command::new("cp")
        .arg("-a")
        .arg(&template)
        .arg(data)
        .status()
        .is_ok_and(|s| s.success())
        && (!as_root
            || Command::new("chown")
                .arg("-R")
                .arg("postgres")
                .arg(data)
                .status()
                .is_ok_and(|s| s.success()));
    if !copied {
        let _ = std::fs::remove_dir_all(data);
    }
    copied
}

fn remove_template(bindir: &Path) {
    if let Some(template) = template_path(bindir) {
        let _ = std::fs::remove_dir_all(template);
    }
}

/// Stores a fresh `initdb` result for later processes (best effort; written aside, then renamed
/// so a concurrent process never sees half a copy).
fn save_template(bindir: &Path, data: &Path) {
    let Some(template) = template_path(bindir) else {
        return;
    };
    if template.exists() {
        return;
    }
    let Some(parent) = template.parent() else {
        return;
    };
    let _ = std::fs::create_dir_all(parent);
    let aside = template.with_extension(format!("partial-{}", std::process::id()));
    let ok = Command::new("cp")
        .arg("-a")
        .arg(data)
        .arg(&aside)
        .status()
        .is_ok_and(|s| s.success());
    if !ok || std::fs::rename(&aside, &template).is_err() {
        let _ = std::fs::remove_dir_all(&aside);
    }
}

/// Polls the test process and, once it is gone, stops the cluster and removes its directory.
/// It runs in its own process group so that a Ctrl-C aimed at `cargo test` does not kill it.
fn spawn_watchdog(dir: &Path, pg_ctl: &Path, as_root: bool) -> Result<(), String> {
    const SCRIPT: &str = r#"
while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
if [ "$4" = 1 ]; then
    runuser -u postgres -- "$3" stop -D "$2/data" -m immediate
else
    "$3" stop -D "$2/data" -m immediate
fi >/dev/null 2>&1
rm -rf "$2"
"#;
    Command::new("sh")
        .arg("-c")
        .arg(SCRIPT)
        .arg("madoguchi-pg-watchdog")
        .arg(std::process::id().to_string())
        .arg(dir)
        .arg(pg_ctl)
        .arg(if as_root { "1" } else { "0" })
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map(drop)
        .map_err(|e| format!("starting the PostgreSQL cleanup watchdog (sh): {e}"))
}

fn pg_command(bin: &Path, as_root: bool, cwd: &Path) -> Command {
    let mut cmd = if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    // postgres may not be allowed into the caller's working directory.
    cmd.current_dir(cwd).stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command, what: &str) -> Result<Output, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: could not run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(format!(
            "{what} failed ({}): {cmd:?}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

fn has_server(dir: &Path) -> bool {
    dir.join("initdb").is_file() && dir.join("pg_ctl").is_file()
}

fn find_bindir() -> Option<PathBuf> {
    // An explicit choice is used alone: a wrong path fails instead of silently using another.
    if let Some(dir) = std::env::var_os("MADOGUCHI_PG_BINDIR").map(PathBuf::from) {
        return has_server(&dir).then_some(dir);
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if has_server(&dir) {
            return Some(dir);
        }
    }
    // Debian/Ubuntu: /usr/lib/postgresql/<major>/bin, newest first.
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
            Some((major, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_server(bin))
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn current_uid() -> Result<u32, String> {
    let out = run(Command::new("id").arg("-u"), "id -u")?;
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("id -u printed something unexpected: {e}"))
}

fn user_exists(name: &str) -> bool {
    Command::new("id")
        .arg("-u")
        .arg(name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
