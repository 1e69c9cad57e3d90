//! Backup, restore and a checksum over every table (docs/operations.md, docs/security.md).
//!
//! * **SQLite**: `VACUUM INTO` writes a consistent snapshot of the live database (it runs in one
//!   read transaction, so writers keep going and the copy is of one moment). The backup is a
//!   plain SQLite file.
//! * **PostgreSQL**: `pg_dump --format=custom` (one consistent snapshot, `pg_restore` reads it).
//!   The binaries come from `$MADOGUCHI_PG_BINDIR`, `pg_config --bindir`, the newest
//!   `/usr/lib/postgresql/*/bin`, else `$PATH`.
//!
//! Restore goes to a **fresh** database only (no rows in any table but the migration ledger)
//! unless `force` is given; it never merges.
//!
//! The checksum reads every table (ordered by name) row by row in a canonical text form,
//! sorted, and hashes each table with SHA-256; the overall hash covers the list of
//! `table rows hash` lines. Two databases of the same backend with the same data give the
//! same checksums, whatever order the rows were written in.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use sha2::{Digest, Sha256};

use crate::db::Db;

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";
/// The first bytes of a pg_dump custom-format archive.
const PGDMP_MAGIC: &[u8] = b"PGDMP";

/// One table's checksum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSum {
    pub table: String,
    pub rows: u64,
    pub sha256: String,
}

/// Every table's checksum and the overall one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checksum {
    pub tables: Vec<TableSum>,
    pub overall: String,
}

impl std::fmt::Display for Checksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for t in &self.tables {
            writeln!(f, "{:<40} {:>8} {}", t.table, t.rows, t.sha256)?;
        }
        write!(f, "overall {}", self.overall)
    }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(sqlx::FromRow)]
struct Name {
    name: String,
}

#[derive(sqlx::FromRow)]
struct Line {
    r: Option<String>,
}

/// Every table of the database, by name (SQLite internals excluded).
pub async fn tables(db: &Db) -> anyhow::Result<Vec<String>> {
    let rows: Vec<Name> = match db {
        Db::Sqlite { read, .. } => {
            sqlx::query_as(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(read)
            .await?
        }
        Db::Postgres(pool, _) => {
            sqlx::query_as(
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
                 ORDER BY table_name COLLATE \"C\"",
            )
            .fetch_all(pool)
            .await?
        }
    };
    let mut names: Vec<String> = rows.into_iter().map(|n| n.name).collect();
    names.sort();
    Ok(names)
}

/// The canonical text of every row of `table`, sorted bytewise.
async fn table_lines(db: &Db, table: &str) -> anyhow::Result<Vec<String>> {
    let mut lines: Vec<String> = match db {
        Db::Sqlite { read, .. } => {
            let cols: Vec<Name> = sqlx::query_as("SELECT name FROM pragma_table_info(?)")
                .bind(table)
                .fetch_all(read)
                .await?;
            ensure!(!cols.is_empty(), "table {table} has no columns");
            let expr = cols
                .iter()
                .map(|c| format!("quote({})", quote_ident(&c.name)))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let sql = format!("SELECT {expr} AS r FROM {}", quote_ident(table));
            let rows: Vec<Line> = sqlx::query_as(&sql).fetch_all(read).await?;
            rows.into_iter().map(|l| l.r.unwrap_or_default()).collect()
        }
        Db::Postgres(pool, _) => {
            let q = quote_ident(table);
            let sql = format!("SELECT CAST(t AS text) AS r FROM {q} AS t");
            let rows: Vec<Line> = sqlx::query_as(&sql).fetch_all(pool).await?;
            rows.into_iter().map(|l| l.r.unwrap_or_default()).collect()
        }
    };
    lines.sort_unstable();
    Ok(lines)
}

/// SHA-256 of every table and of the whole database. Run it on a quiet database (or on a
/// backup) to compare two copies.
pub async fn checksum(db: &Db) -> anyhow::Result<Checksum> {
    let mut tables = Vec::new();
    let mut overall = Sha256::new();
    for table in self::tables(db).await? {
        let lines = table_lines(db, &table)
            .await
            .with_context(|| format!("reading table {table}"))?;
        let mut h = Sha256::new();
        for l in &lines {
            h.update(l.as_bytes());
            h.update(b"\n");
        }
        let sum = TableSum {
            rows: lines.len() as u64,
            sha256: hex::encode(h.finalize()),
            table,
        };
        overall.update(format!("{} {} {}\n", sum.table, sum.rows, sum.sha256).as_bytes());
        tables.push(sum);
    }
    Ok(Checksum {
        tables,
        overall: hex::encode(overall.finalize()),
    })
}

/// True when no table but the migration ledger holds a row (a fresh or just-migrated database).
pub async fn is_fresh(db: &Db) -> anyhow::Result<bool> {
    for table in tables(db).await? {
        if table == "_sqlx_migrations" {
            continue;
        }
        let sql = format!("SELECT 1 AS n FROM {} LIMIT 1", quote_ident(&table));
        #[derive(sqlx::FromRow)]
        struct N {
            #[allow(dead_code)]
            n: i32,
        }
        let any: Option<N> = match db {
            Db::Sqlite { read, .. } => sqlx::query_as(&sql).fetch_optional(read).await?,
            Db::Postgres(pool, _) => sqlx::query_as(&sql).fetch_optional(pool).await?,
        };
        if any.is_some() {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The directory of the PostgreSQL client programs.
pub fn pg_bindir() -> Option<PathBuf> {
    if let Ok(d) = std::env::var("MADOGUCHI_PG_BINDIR") {
        return Some(PathBuf::from(d));
    }
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let d = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if d.join("pg_dump").is_file() {
            return Some(d);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_dump").is_file().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, d)| d)
}

fn pg_program(name: &str) -> PathBuf {
    pg_bindir()
        .map(|d| d.join(name))
        .unwrap_or_else(|| PathBuf::from(name))
}

fn run_program(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    let out = cmd
        .output()
        .with_context(|| format!("running {what} (is the PostgreSQL client installed?)"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Writes a consistent backup of the database at `url` (open as `db`) to `out`, which must
/// not exist yet.
pub async fn backup(db: &Db, url: &str, out: &Path) -> anyhow::Result<()> {
    ensure!(
        !out.exists(),
        "{} already exists: choose a new file name",
        out.display()
    );
    match db {
        Db::Sqlite { read, .. } => {
            let target = out.to_string_lossy().replace('\'', "''");
            sqlx::query(&format!("VACUUM INTO '{target}'"))
                .execute(read)
                .await
                .with_context(|| format!("VACUUM INTO {}", out.display()))?;
        }
        Db::Postgres(..) => {
            let out = out.to_path_buf();
            let url = url.to_owned();
            tokio::task::spawn_blocking(move || {
                run_program(
                    Command::new(pg_program("pg_dump"))
                        .arg("--format=custom")
                        .arg("--no-owner")
                        .arg("--no-privileges")
                        .arg("--file")
                        .arg(&out)
                        .arg("--dbname")
                        .arg(&url),
                    "pg_dump",
                )
            })
            .await??;
        }
    }
    Ok(())
}

/// What kind of backup a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    PgDump,
}

/// Reads the first bytes of a backup file.
pub fn kind_of(file: &Path) -> anyhow::Result<Kind> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let n = f.read(&mut head)?;
    if n >= SQLITE_MAGIC.len() && head.starts_with(SQLITE_MAGIC) {
        Ok(Kind::Sqlite)
    } else if head[..n].starts_with(PGDMP_MAGIC) {
        Ok(Kind::PgDump)
    } else {
        bail!(
            "{} is neither a SQLite backup nor a pg_dump archive",
            file.display()
        )
    }
}

/// Restores `file` into the database at `url`. The target must be fresh unless `force`.
/// The server must not be running against the target while this runs.
pub async fn restore(url: &str, file: &Path, force: bool) -> anyhow::Result<()> {
    let kind = kind_of(file)?;
    if let Some(path) = url.strip_prefix("sqlite://") {
        ensure!(
            kind == Kind::Sqlite,
            "{} is a PostgreSQL archive; the target is SQLite",
            file.display()
        );
        let path = Path::new(path);
        if path.exists() {
            let db = Db::connect_sqlite(path).await?;
            let fresh = is_fresh(&db).await;
            db.close().await;
            if !fresh? && !force {
                bail!(
                    "{} is not empty: restore into a fresh database, or give --force to replace it",
                    path.display()
                );
            }
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        // Copy next to the target, check it, then rename over it (atomic on one filesystem).
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".restoring");
        let tmp = PathBuf::from(tmp);
        std::fs::copy(file, &tmp).with_context(|| format!("copying to {}", tmp.display()))?;
        let check = Db::connect_sqlite(&tmp).await?;
        let ok: Vec<Line> = match &check {
            Db::Sqlite { read, .. } => {
                sqlx::query_as("SELECT integrity_check AS r FROM pragma_integrity_check")
                    .fetch_all(read)
                    .await
                    .unwrap_or_default()
            }
            Db::Postgres(..) => Vec::new(),
        };
        check.close().await;
        if ok.len() != 1 || ok[0].r.as_deref() != Some("ok") {
            let _ = std::fs::remove_file(&tmp);
            bail!("{} fails SQLite's integrity check", file.display());
        }
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(side));
            let mut side = tmp.as_os_str().to_owned();
            side.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(side));
        }
        std::fs::rename(&tmp, path)?;
        Ok(())
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        ensure!(
            kind == Kind::PgDump,
            "{} is a SQLite backup; the target is PostgreSQL",
            file.display()
        );
        let db = Db::connect(url).await?;
        let fresh = is_fresh(&db).await;
        let has_tables = !tables(&db).await?.is_empty();
        db.close().await;
        if !fresh? && !force {
            bail!(
                "the target database is not empty: restore into a fresh database, or give --force to replace it"
            );
        }
        let url = url.to_owned();
        let file = file.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let mut cmd = Command::new(pg_program("pg_restore"));
            cmd.arg("--no-owner")
                .arg("--no-privileges")
                .arg("--exit-on-error")
                .arg("--single-transaction");
            if has_tables {
                cmd.arg("--clean").arg("--if-exists");
            }
            cmd.arg("--dbname").arg(&url).arg(&file);
            run_program(&mut cmd, "pg_restore")
        })
        .await??;
        Ok(())
    } else {
        bail!("database URL must start with sqlite:// or postgres:// (got {url:?})")
    }
}
