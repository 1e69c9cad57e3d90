//! The demo's forms: every shipped definition `forms/<slug>.json` (embedded in the binary)
//! whose procedure is in 市川市's demo catalogue is published as version 1 when the procedure
//! has no form yet, and the procedure is marked online. Loading twice changes nothing.

use rust_embed::RustEmbed;

use super::versions;
use crate::audit::Actor;
use crate::db::Db;
use crate::demo::ICHIKAWA;
use crate::procedures::form::FormDefinition;
use crate::procedures::form::store as fstore;
use crate::procedures::store as pstore;

#[derive(RustEmbed)]
#[folder = "forms/"]
struct Shipped;

/// The shipped definitions that pass the engine's check, by slug (a broken one is logged and
/// left out, so the demo still starts).
pub fn shipped() -> Vec<(String, FormDefinition)> {
    let mut out: Vec<(String, FormDefinition)> = Shipped::iter()
        .filter_map(|name| {
            let slug = name.strip_suffix(".json")?.to_owned();
            let file = Shipped::get(&name)?;
            let text = String::from_utf8_lossy(&file.data).into_owned();
            match super::file::read(&text) {
                Ok(r) => Some((slug, r.definition)),
                Err(problems) => {
                    tracing::warn!(file = %name, ?problems, "shipped form definition has problems; not published");
                    None
                }
            }
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Saves the demo catalogue (`procedures::demo::drafts`) with `online` set for every 市川市
/// procedure that has a shipped form, then publishes those forms as version 1 where the
/// procedure has no form yet. Replaces `procedures::demo::load` in the demo loader.
pub async fn load(db: &Db) -> anyhow::Result<()> {
    let forms = shipped();
    for (m, mut d) in crate::procedures::demo::drafts() {
        if m == ICHIKAWA && forms.iter().any(|(s, _)| *s == d.slug) {
            d.online = true;
        }
        crate::procedures::save(db, &Actor::Cli, m, &d).await?;
    }
    for (slug, def) in &forms {
        let Some(p) = pstore::find_by_slug(db, ICHIKAWA, slug).await? else {
            continue;
        };
        if !fstore::versions(db, ICHIKAWA, p.id).await?.is_empty() {
            continue;
        }
        versions::import(db, &Actor::Cli, ICHIKAWA, &p, def, true).await?;
    }
    Ok(())
}
