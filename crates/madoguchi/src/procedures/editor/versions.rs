//! Form versions as a state machine: at most one draft and one published version per
//! procedure; publishing archives the previous published version; published and archived
//! definitions are never edited (an application keeps the version it was filled on).
//!
//! ```text
//!   (none) --create--> draft --publish--> published --(next publish)--> archived
//!                        |  ^                 |
//!                        |  +-- create (copy) +
//!                        +--discard--> (gone)
//! ```
//! The list shows the combined state like GOV.UK Forms: 未作成 / 下書き / 公開中 /
//! 公開中（下書きあり）. Each function is one transaction with its audit event.

use serde_json::json;

use super::diff;
use super::engine::{self, Problem};
use crate::audit::{self, Actor};
use crate::db::{Db, Tx, is_unique_violation};
use crate::procedures::form::FormDefinition;
use crate::procedures::form::store::{self, FormVersionRow};
use crate::procedures::model::ProcedureDraft;
use crate::procedures::store::ProcedureRow;

/// Where a new draft starts from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A copy of the published version (or an empty form when there is none).
    Published,
    Empty,
    /// An imported file (already parsed and checked).
    Imported(FormDefinition),
}

impl Source {
    fn name(&self) -> &'static str {
        match self {
            Source::Published => "published",
            Source::Empty => "empty",
            Source::Imported(_) => "import",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("the form already has a draft (version {0})")]
    DraftExists(i64),
    #[error("the form has no draft")]
    NoDraft,
    #[error("the draft has problems")]
    Problems(Vec<Problem>),
    /// Someone else saved the draft after this editor loaded it.
    #[error("the draft was changed by someone else")]
    Stale,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl VersionError {
    /// The `editor.` message key that explains it to staff.
    pub fn key(&self) -> &'static str {
        match self {
            VersionError::DraftExists(_) => "editor.err.draft_exists",
            VersionError::NoDraft => "editor.err.no_draft",
            VersionError::Problems(_) => "editor.err.problems",
            VersionError::Stale => "editor.err.stale",
            VersionError::Db(_) => "err.internal",
        }
    }
}

/// The combined state of a procedure's form (what the list shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormState {
    None,
    Draft,
    Live,
    LiveWithDraft,
}

impl FormState {
    pub fn of(published: bool, draft: bool) -> FormState {
        match (published, draft) {
            (false, false) => FormState::None,
            (false, true) => FormState::Draft,
            (true, false) => FormState::Live,
            (true, true) => FormState::LiveWithDraft,
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            FormState::None => "editor.state.none",
            FormState::Draft => "editor.state.draft",
            FormState::Live => "editor.state.live",
            FormState::LiveWithDraft => "editor.state.live_with_draft",
        }
    }
}

fn target(procedure_id: i64) -> String {
    format!("procedure:{procedure_id}")
}

async fn insert_draft(
    tx: &mut Tx,
    municipality: &str,
    procedure_id: i64,
    def: &FormDefinition,
    actor: &Actor,
) -> Result<(i64, i64), VersionError> {
    if let Some(d) = store::draft_tx(tx, municipality, procedure_id).await? {
        return Err(VersionError::DraftExists(d.version));
    }
    let version = store::next_version(tx, procedure_id).await?;
    let created_by = match actor {
        Actor::User(id) => Some(*id),
        _ => None,
    };
    match store::insert(
        tx,
        municipality,
        procedure_id,
        version,
        "draft",
        def,
        created_by,
    )
    .await
    {
        Ok(id) => Ok((id, version)),
        // Two editors creating a draft at the same moment: the unique index keeps one.
        Err(e) if is_unique_violation(&e) => Err(VersionError::DraftExists(version)),
        Err(e) => Err(e.into()),
    }
}

/// Creates the draft (version = highest so far + 1). Refused when a draft exists.
pub async fn create_draft(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    procedure: &ProcedureRow,
    source: Source,
) -> Result<i64, VersionError> {
    let mut tx = db.begin().await?;
    let def = match &source {
        Source::Imported(d) => d.clone(),
        Source::Published => {
            match store::published_tx(&mut tx, municipality, procedure.id).await? {
                Some(row) => row
                    .parsed()
                    .map_err(|e| sqlx::Error::Protocol(e.to_string()))?,
                None => super::edit::empty(&procedure.name_ja, &procedure.name_en),
            }
        }
        Source::Empty => super::edit::empty(&procedure.name_ja, &procedure.name_en),
    };
    let (_, version) = insert_draft(&mut tx, municipality, procedure.id, &def, actor).await?;
    audit::record(
        &mut tx,
        municipality,
        actor,
        "form.draft_created",
        &target(procedure.id),
        json!({ "slug": procedure.slug, "version": version, "from": source.name() }),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Saves the draft's new definition. Returns false (and writes nothing) when it is unchanged.
/// Problems are not refused here (a draft is work in progress); `publish` refuses them.
pub async fn save_draft(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    procedure_id: i64,
    def: &FormDefinition,
) -> Result<bool, VersionError> {
    save_draft_if(db, actor, municipality, procedure_id, def, None).await
}

/// [`save_draft`], refused with [`VersionError::Stale`] when the draft's revision (its
/// `updated_at`, which every save moves forward) is no longer `rev`: two people editing the
/// same draft never silently overwrite each other's changes.
pub async fn save_draft_if(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    procedure_id: i64,
    def: &FormDefinition,
    rev: Option<i64>,
) -> Result<bool, VersionError> {
    let mut tx = db.begin().await?;
    let draft = store::draft_tx(&mut tx, municipality, procedure_id)
        .await?
        .ok_or(VersionError::NoDraft)?;
    if rev.is_some_and(|r| r != draft.updated_at) {
        return Err(VersionError::Stale);
    }
    let old = draft.parsed().ok();
    if old.as_ref() == Some(def) {
        return Ok(false);
    }
    if store::update_draft(&mut tx, draft.id, draft.updated_at, def).await? != 1 {
        return Err(VersionError::Stale);
    }
    let changes: Vec<String> = old
        .map(|o| diff::diff(&o, def).into_iter().map(|c| c.ja).collect())
        .unwrap_or_default();
    audit::record(
        &mut tx,
        municipality,
        actor,
        "form.draft_saved",
        &target(procedure_id),
        json!({ "version": draft.version, "changes": changes }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// What publishing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub version: i64,
    /// The version that was published before and is archived now.
    pub archived: Option<i64>,
}

async fn publish_tx(
    tx: &mut Tx,
    actor: &Actor,
    municipality: &str,
    procedure_id: i64,
) -> Result<Published, VersionError> {
    let draft = store::draft_tx(tx, municipality, procedure_id)
        .await?
        .ok_or(VersionError::NoDraft)?;
    let def = draft
        .parsed()
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    let problems = engine::check(&def);
    if !problems.is_empty() {
        return Err(VersionError::Problems(problems));
    }
    let old = store::published_tx(tx, municipality, procedure_id).await?;
    if let Some(o) = &old {
        store::set_state(tx, o.id, "published", "archived").await?;
    }
    if store::set_state(tx, draft.id, "draft", "published").await? != 1 {
        return Err(VersionError::NoDraft);
    }
    let archived = old.map(|o| o.version);
    audit::record(
        tx,
        municipality,
        actor,
        "form.published",
        &target(procedure_id),
        json!({ "version": draft.version, "archived": archived }),
    )
    .await?;
    Ok(Published {
        version: draft.version,
        archived,
    })
}

/// Publishes the draft, only when `check_definition` finds no problem; the published
/// version (if any) becomes archived. The procedure's `online` flag is not touched.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    procedure_id: i64,
) -> Result<Published, VersionError> {
    let mut tx = db.begin().await?;
    let p = publish_tx(&mut tx, actor, municipality, procedure_id).await?;
    tx.commit().await?;
    Ok(p)
}

/// Throws the draft away; returns its version number.
pub async fn discard(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    procedure_id: i64,
) -> Result<i64, VersionError> {
    let mut tx = db.begin().await?;
    let draft = store::draft_tx(&mut tx, municipality, procedure_id)
        .await?
        .ok_or(VersionError::NoDraft)?;
    if store::delete_draft(&mut tx, draft.id).await? != 1 {
        return Err(VersionError::NoDraft);
    }
    audit::record(
        &mut tx,
        municipality,
        actor,
        "form.draft_discarded",
        &target(procedure_id),
        json!({ "version": draft.version }),
    )
    .await?;
    tx.commit().await?;
    Ok(draft.version)
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// The file says exactly what the draft or published version says: nothing written.
    Unchanged {
        version: i64,
    },
    Draft {
        version: i64,
    },
    Published(Published),
}

/// Imports a checked definition as the new draft (and publishes it when asked). Importing
/// the same file twice makes no second version; an existing, different draft is refused
/// (it would be lost).
pub async fn import(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    procedure: &ProcedureRow,
    def: &FormDefinition,
    and_publish: bool,
) -> Result<Imported, VersionError> {
    let mut tx = db.begin().await?;
    let same = |row: &FormVersionRow| row.parsed().ok().as_ref() == Some(def);
    if let Some(p) = store::published_tx(&mut tx, municipality, procedure.id).await?
        && same(&p)
    {
        return Ok(Imported::Unchanged { version: p.version });
    }
    let draft = store::draft_tx(&mut tx, municipality, procedure.id).await?;
    let version = match draft {
        Some(d) if same(&d) => {
            if !and_publish {
                return Ok(Imported::Unchanged { version: d.version });
            }
            d.version
        }
        Some(d) => return Err(VersionError::DraftExists(d.version)),
        None => {
            let (_, version) =
                insert_draft(&mut tx, municipality, procedure.id, def, actor).await?;
            audit::record(
                &mut tx,
                municipality,
                actor,
                "form.draft_created",
                &target(procedure.id),
                json!({ "slug": procedure.slug, "version": version, "from": "import" }),
            )
            .await?;
            version
        }
    };
    let out = if and_publish {
        Imported::Published(publish_tx(&mut tx, actor, municipality, procedure.id).await?)
    } else {
        Imported::Draft { version }
    };
    tx.commit().await?;
    Ok(out)
}

/// The catalogue entry as a draft of `procedures::save`, to change its `online` flag (the
/// only field the editor changes, and only when staff ask).
pub fn procedure_draft(r: &ProcedureRow, online: bool) -> ProcedureDraft {
    ProcedureDraft {
        slug: r.slug.clone(),
        name_ja: r.name_ja.clone(),
        name_en: r.name_en.clone(),
        reading_ja: r.reading_ja.clone(),
        department: r.department_code.clone(),
        summary_ja: r.summary_ja.clone(),
        summary_en: r.summary_en.clone(),
        eligibility_ja: r.eligibility_ja.clone(),
        documents_ja: r.documents_ja.clone(),
        legal_basis: r.legal_basis.clone(),
        fee_yen: r.fee_yen,
        processing_days: r.processing_days,
        identity_level: r.identity(),
        life_events: r.events(),
        online,
    }
}

/// Turns online applications for the procedure on or off (audited by `procedures::save`).
/// Turning it on needs a published form.
pub async fn set_online(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    procedure: &ProcedureRow,
    online: bool,
) -> Result<(), VersionError> {
    if online
        && store::published(db, municipality, procedure.id)
            .await?
            .is_none()
    {
        return Err(VersionError::NoDraft);
    }
    match crate::procedures::save(db, actor, municipality, &procedure_draft(procedure, online))
        .await
    {
        Ok(_) => Ok(()),
        Err(crate::procedures::SaveError::Db(e)) => Err(e.into()),
        Err(e) => Err(sqlx::Error::Protocol(e.to_string()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_states() {
        assert_eq!(FormState::of(false, false), FormState::None);
        assert_eq!(FormState::of(false, true), FormState::Draft);
        assert_eq!(FormState::of(true, false), FormState::Live);
        assert_eq!(FormState::of(true, true), FormState::LiveWithDraft);
        for s in [
            FormState::None,
            FormState::Draft,
            FormState::Live,
            FormState::LiveWithDraft,
        ] {
            assert!(s.key().starts_with("editor.state."));
        }
    }
}
