//! `madoguchi forms export | import | check`: moving a form between servers (test →
//! production) or municipalities as a file, from a shell or a deployment script.

use anyhow::{Context, bail};

use super::file;
use super::routes::export_file;
use super::versions::{self, Imported};
use crate::audit::Actor;
use crate::auth::store as auth_store;
use crate::db::Db;
use crate::procedures::form::store as fstore;
use crate::procedures::store as pstore;

/// The export file of the procedure's form: the given version, else the published one,
/// else the newest. Returns (file name, JSON).
pub async fn export(
    db: &Db,
    municipality: &str,
    slug: &str,
    version: Option<i64>,
) -> anyhow::Result<(String, String)> {
    let m = auth_store::list_municipalities(db)
        .await?
        .into_iter()
        .find(|m| m.id == municipality)
        .with_context(|| format!("no municipality {municipality}"))?;
    let p = pstore::find_by_slug(db, municipality, slug)
        .await?
        .with_context(|| format!("no procedure {slug:?} in {municipality}"))?;
    let row = match version {
        Some(v) => fstore::by_version(db, municipality, p.id, v).await?,
        None => match fstore::published(db, municipality, p.id).await? {
            Some(r) => Some(r),
            None => fstore::versions(db, municipality, p.id)
                .await?
                .into_iter()
                .next(),
        },
    }
    .with_context(|| format!("procedure {slug:?} has no form (version {version:?})"))?;
    let f = export_file(&m.name_ja, &m.id, &p, &row)?;
    Ok((file::file_name(&p.slug, row.version), file::to_json(&f)))
}

/// The problems of a file, one per line (empty when the file is fine).
pub fn check(text: &str) -> Vec<String> {
    match file::read(text) {
        Ok(_) => Vec::new(),
        Err(ps) => ps
            .into_iter()
            .map(|p| {
                if p.path.is_empty() {
                    format!("{} / {}", p.message_ja, p.message_en)
                } else {
                    format!("{}: {} / {}", p.path, p.message_ja, p.message_en)
                }
            })
            .collect(),
    }
}

/// Imports a file as the procedure's draft (and publishes it). The procedure is `slug` or,
/// when not given, the one named in the file's header. Returns a line for the terminal.
pub async fn import(
    db: &Db,
    municipality: &str,
    text: &str,
    slug: Option<&str>,
    publish: bool,
) -> anyhow::Result<String> {
    let read = match file::read(text) {
        Ok(r) => r,
        Err(_) => bail!("the file has problems:\n{}", check(text).join("\n")),
    };
    let slug = match (slug, &read.slug) {
        (Some(s), _) => s.to_owned(),
        (None, Some(s)) => s.clone(),
        (None, None) => bail!("the file names no procedure: pass --procedure SLUG"),
    };
    let p = pstore::find_by_slug(db, municipality, &slug)
        .await?
        .with_context(|| format!("no procedure {slug:?} in {municipality}"))?;
    Ok(
        match versions::import(db, &Actor::Cli, municipality, &p, &read.definition, publish).await?
        {
            Imported::Unchanged { version } => {
                format!("{slug}: unchanged (same as version {version}); no new version")
            }
            Imported::Draft { version } => format!("{slug}: imported as draft version {version}"),
            Imported::Published(p) => match p.archived {
                Some(a) => format!(
                    "{slug}: version {} published (version {a} archived)",
                    p.version
                ),
                None => format!("{slug}: version {} published", p.version),
            },
        },
    )
}
