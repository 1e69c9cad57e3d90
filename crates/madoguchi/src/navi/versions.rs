//! Flow versions as a state machine, like the form editor's (`procedures::editor::versions`):
//! at most one draft and one published version per municipality and event; publishing
//! archives the previous published version and is refused while [`check::check`] finds
//! problems; published and archived flows are never edited. Each function is one
//! transaction with its audit event.
//!
//! ```text
//!   (none) --create--> draft --publish--> published --(next publish)--> archived
//!                        +--discard--> (gone)
//! ```

use serde_json::json;

use super::check::{self, Problem};
use super::model::{self, Flow};
use super::store::{self, VersionRow};
use crate::audit::{self, Actor};
use crate::db::{Db, is_unique_violation};

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    #[error("the event already has a draft")]
    DraftExists,
    #[error("the event has no draft")]
    NoDraft,
    #[error("the draft is not valid JSON of the flow format: {0}")]
    Parse(String),
    #[error("the draft has problems")]
    Problems(Vec<Problem>),
    #[error("the draft was changed by someone else")]
    Stale,
    #[error("a field is not valid: {0:?}")]
    Field(super::fields::FieldError),
    #[error("the file is for another event: {0}")]
    OtherEvent(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl VersionError {
    /// The `navi.` message key that explains it to staff.
    pub fn key(&self) -> &'static str {
        match self {
            VersionError::DraftExists => "navi.err.draft_exists",
            VersionError::NoDraft => "navi.err.no_draft",
            VersionError::Parse(_) => "navi.err.parse",
            VersionError::Problems(_) => "navi.err.problems",
            VersionError::Stale => "navi.err.stale",
            VersionError::Field(f) => f.key,
            VersionError::OtherEvent(_) => "navi.err.other_event",
            VersionError::Db(_) => "err.internal",
        }
    }
}

fn target(event: &str) -> String {
    format!("navi:{event}")
}

fn actor_id(actor: &Actor) -> Option<i64> {
    match actor {
        Actor::User(id) => Some(*id),
        _ => None,
    }
}

/// The flow residents see: the published version, else the shipped one. `None` for an event
/// that is not one of the seven.
pub async fn live(
    db: &Db,
    municipality: &str,
    event: &str,
) -> Result<Option<(Flow, Option<i64>)>, sqlx::Error> {
    if !model::is_event(event) {
        return Ok(None);
    }
    if let Some(row) = store::published(db, municipality, event).await? {
        match Flow::from_json(&row.definition) {
            Ok(f) => return Ok(Some((f, Some(row.version)))),
            Err(e) => tracing::error!(event, error = %e, "published navi flow does not parse"),
        }
    }
    Ok(model::shipped(event).map(|f| (f, None)))
}

/// Parses a draft's text and lists its problems (an empty list: it may be published).
pub fn parse_and_check(text: &str, event: &str) -> Result<(Flow, Vec<Problem>), String> {
    let flow = Flow::from_json(text).map_err(|e| e.to_string())?;
    let problems = check::check(&flow, event);
    Ok((flow, problems))
}

/// Publishes the shipped flow as version 1 of every event that has no version yet (demo start,
/// and `madoguchi navi load`). Returns how many it published.
pub async fn load_shipped(db: &Db, municipality: &str) -> Result<usize, sqlx::Error> {
    let mut n = 0;
    for (event, text) in model::SHIPPED {
        let mut tx = db.begin().await?;
        if store::next_version(&mut tx, municipality, event).await? > 1 {
            continue;
        }
        match store::insert_version(&mut tx, municipality, event, 1, "published", text, None).await
        {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e),
        }
        audit::record(
            &mut tx,
            municipality,
            &Actor::System,
            "navi.published",
            &target(event),
            json!({ "version": 1, "from": "shipped" }),
        )
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// Creates a draft as a copy of the live flow (the published version or the shipped one).
pub async fn create_draft(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    event: &str,
) -> Result<i64, VersionError> {
    let mut tx = db.begin().await?;
    if store::draft_tx(&mut tx, municipality, event)
        .await?
        .is_some()
    {
        return Err(VersionError::DraftExists);
    }
    let text = match store::published_tx(&mut tx, municipality, event).await? {
        Some(row) => row.definition,
        None => model::SHIPPED
            .iter()
            .find(|(e, _)| *e == event)
            .map(|(_, t)| (*t).to_owned())
            .ok_or(VersionError::NoDraft)?,
    };
    let version = store::next_version(&mut tx, municipality, event).await?;
    match store::insert_version(
        &mut tx,
        municipality,
        event,
        version,
        "draft",
        &text,
        actor_id(actor),
    )
    .await
    {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => return Err(VersionError::DraftExists),
        Err(e) => return Err(e.into()),
    }
    audit::record(
        &mut tx,
        municipality,
        actor,
        "navi.draft_created",
        &target(event),
        json!({ "version": version }),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Saves the draft's text when it parses as a flow (problems are allowed in a draft; publish
/// refuses them) and nobody saved it since revision `rev`. Returns false when unchanged.
pub async fn save_draft(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    event: &str,
    text: &str,
    rev: i64,
) -> Result<bool, VersionError> {
    let flow = Flow::from_json(text).map_err(|e| VersionError::Parse(e.to_string()))?;
    // Stored pretty-printed in the canonical field order, so diffs between versions read well.
    let canonical = flow.to_json_pretty();
    let mut tx = db.begin().await?;
    let draft = store::draft_tx(&mut tx, municipality, event)
        .await?
        .ok_or(VersionError::NoDraft)?;
    if draft.updated_at != rev {
        return Err(VersionError::Stale);
    }
    if draft.definition == canonical {
        return Ok(false);
    }
    if store::update_draft(&mut tx, draft.id, rev, &canonical).await? == 0 {
        return Err(VersionError::Stale);
    }
    audit::record(
        &mut tx,
        municipality,
        actor,
        "navi.draft_saved",
        &target(event),
        json!({ "version": draft.version }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Applies one field-editor change to the draft (saved at revision `rev`), in one
/// transaction with its audit event `navi.draft_edited` (the operation and what it changed).
/// The published flow is untouched until [`publish`].
pub async fn edit_draft(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    event: &str,
    rev: i64,
    edit: &super::fields::Edit,
) -> Result<bool, VersionError> {
    let mut tx = db.begin().await?;
    let draft = store::draft_tx(&mut tx, municipality, event)
        .await?
        .ok_or(VersionError::NoDraft)?;
    if draft.updated_at != rev {
        return Err(VersionError::Stale);
    }
    let mut flow =
        Flow::from_json(&draft.definition).map_err(|e| VersionError::Parse(e.to_string()))?;
    super::fields::apply(&mut flow, edit).map_err(VersionError::Field)?;
    let canonical = flow.to_json_pretty();
    if canonical == draft.definition {
        return Ok(false);
    }
    if store::update_draft(&mut tx, draft.id, rev, &canonical).await? == 0 {
        return Err(VersionError::Stale);
    }
    audit::record(
        &mut tx,
        municipality,
        actor,
        "navi.draft_edited",
        &target(event),
        json!({ "version": draft.version, "op": edit.op(), "subject": edit.subject() }),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Imports a flow file (an export of this or another municipality) as the draft: creates the
/// draft when there is none, else replaces its text. Refused when the file does not parse or
/// is for another event; problems are allowed (publish refuses them). Audited
/// `navi.draft_imported`.
pub async fn import(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    event: &str,
    text: &str,
) -> Result<i64, VersionError> {
    let flow = Flow::from_json(text).map_err(|e| VersionError::Parse(e.to_string()))?;
    if flow.event != event {
        return Err(VersionError::OtherEvent(flow.event));
    }
    let canonical = flow.to_json_pretty();
    let mut tx = db.begin().await?;
    let version = match store::draft_tx(&mut tx, municipality, event).await? {
        Some(d) => {
            if store::update_draft(&mut tx, d.id, d.updated_at, &canonical).await? == 0 {
                return Err(VersionError::Stale);
            }
            d.version
        }
        None => {
            let version = store::next_version(&mut tx, municipality, event).await?;
            match store::insert_version(
                &mut tx,
                municipality,
                event,
                version,
                "draft",
                &canonical,
                actor_id(actor),
            )
            .await
            {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) => return Err(VersionError::DraftExists),
                Err(e) => return Err(e.into()),
            }
            version
        }
    };
    audit::record(
        &mut tx,
        municipality,
        actor,
        "navi.draft_imported",
        &target(event),
        json!({ "version": version, "bytes": text.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Publishes the draft: refused with the problems when the checker finds any.
pub async fn publish(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    event: &str,
) -> Result<i64, VersionError> {
    let mut tx = db.begin().await?;
    let draft = store::draft_tx(&mut tx, municipality, event)
        .await?
        .ok_or(VersionError::NoDraft)?;
    let (_, problems) = parse_and_check(&draft.definition, event).map_err(VersionError::Parse)?;
    if !problems.is_empty() {
        return Err(VersionError::Problems(problems));
    }
    let previous = store::published_tx(&mut tx, municipality, event).await?;
    if let Some(p) = &previous {
        store::set_state(&mut tx, p.id, "archived").await?;
    }
    store::set_state(&mut tx, draft.id, "published").await?;
    audit::record(
        &mut tx,
        municipality,
        actor,
        "navi.published",
        &target(event),
        json!({ "version": draft.version, "archived": previous.map(|p| p.version) }),
    )
    .await?;
    tx.commit().await?;
    Ok(draft.version)
}

pub async fn discard(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    event: &str,
) -> Result<(), VersionError> {
    let mut tx = db.begin().await?;
    let draft: VersionRow = store::draft_tx(&mut tx, municipality, event)
        .await?
        .ok_or(VersionError::NoDraft)?;
    store::delete_version(&mut tx, draft.id).await?;
    audit::record(
        &mut tx,
        municipality,
        actor,
        "navi.draft_discarded",
        &target(event),
        json!({ "version": draft.version }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
