//! Plan 1-1 オンライン申請, first part: the procedure (手続) catalogue (issue 3, "Catalogue").
//!
//! Each municipality lists its procedures with names, the 課 in charge, who may apply, required
//! documents, legal basis, fee, 標準処理期間, the identity level an online application needs,
//! life-event tags, and whether it can be done online. Residents browse and search it at
//! `/procedures` (search forgives width, kana and 旧字 differences: see `search`), programs read
//! it at `/api/v1/procedures`, and the plan's KPI "procedures online" is counted from it.
//! Forms, applications and cases (the rest of issue 3) build on these rows.
//!
//! Layout: `model` (rules, no I/O), `search` (normalisation), `store` (SQL), `routes` (pages),
//! `api` (JSON), `demo` (demo catalogue).

pub mod api;
pub mod application;
pub mod case;
pub mod demo;
pub mod editor;
pub mod form;
pub mod jp;
pub mod model;
pub mod receipt;
pub mod routes;
pub mod runner;
pub mod search;
pub mod store;

use serde_json::{Value, json};

use crate::audit::{self, Actor};
use crate::auth::store as auth_store;
use crate::db::Db;
use model::{ProcedureDraft, join_life_events, parse_life_events, search_text, validate};
use store::ProcedureRow;

/// What [`save`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Created(i64),
    Updated(i64),
    /// The stored row already said exactly this; nothing was written or audited.
    Unchanged(i64),
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// (field, message key) for each problem.
    #[error("invalid procedure: {0:?}")]
    Invalid(Vec<(&'static str, &'static str)>),
    #[error("no department with code {0:?} in this municipality")]
    UnknownDepartment(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates or updates the municipality's procedure with the draft's slug, in one transaction
/// with its audit event (`procedure.created` / `procedure.updated`, the latter with every
/// changed field before and after). Saving the same draft twice writes nothing the second time.
pub async fn save(
    db: &Db,
    actor: &Actor,
    municipality: &str,
    d: &ProcedureDraft,
) -> Result<Saved, SaveError> {
    let problems = validate(d);
    if !problems.is_empty() {
        return Err(SaveError::Invalid(problems));
    }
    let mut tx = db.begin().await?;
    let department_id = match &d.department {
        Some(code) => Some(
            auth_store::find_department(&mut tx, municipality, code)
                .await?
                .ok_or_else(|| SaveError::UnknownDepartment(code.clone()))?
                .id,
        ),
        None => None,
    };
    let text = search_text(d);
    let existing = store::find_by_slug_tx(&mut tx, municipality, &d.slug).await?;
    let saved = match existing {
        None => {
            let id = store::insert(&mut tx, municipality, d, department_id, &text).await?;
            audit::record(
                &mut tx,
                municipality,
                actor,
                "procedure.created",
                &format!("procedure:{id}"),
                json!({ "slug": d.slug, "online": d.online }),
            )
            .await?;
            Saved::Created(id)
        }
        Some(row) => {
            let before = fields_of_row(&row);
            let after = fields_of_draft(d, department_id);
            let changed: serde_json::Map<String, Value> = before
                .iter()
                .zip(after.iter())
                .filter(|(b, a)| b.1 != a.1)
                .map(|(b, a)| (b.0.to_owned(), json!({ "before": b.1, "after": a.1 })))
                .collect();
            if changed.is_empty() {
                return Ok(Saved::Unchanged(row.id));
            }
            store::update(&mut tx, row.id, d, department_id, &text).await?;
            audit::record(
                &mut tx,
                municipality,
                actor,
                "procedure.updated",
                &format!("procedure:{}", row.id),
                json!({ "slug": d.slug, "changed": changed }),
            )
            .await?;
            Saved::Updated(row.id)
        }
    };
    tx.commit().await?;
    Ok(saved)
}

type Fields = Vec<(&'static str, Value)>;

fn fields_of_draft(d: &ProcedureDraft, department_id: Option<i64>) -> Fields {
    vec![
        ("name_ja", json!(d.name_ja)),
        ("name_en", json!(d.name_en)),
        ("reading_ja", json!(d.reading_ja)),
        ("department_id", json!(department_id)),
        ("summary_ja", json!(d.summary_ja)),
        ("summary_en", json!(d.summary_en)),
        ("eligibility_ja", json!(d.eligibility_ja)),
        ("documents_ja", json!(d.documents_ja)),
        ("legal_basis", json!(d.legal_basis)),
        ("fee_yen", json!(d.fee_yen)),
        ("processing_days", json!(d.processing_days)),
        ("identity_level", json!(d.identity_level.as_str())),
        ("life_events", json!(join_life_events(&d.life_events))),
        ("online", json!(d.online)),
    ]
}

fn fields_of_row(r: &ProcedureRow) -> Fields {
    vec![
        ("name_ja", json!(r.name_ja)),
        ("name_en", json!(r.name_en)),
        ("reading_ja", json!(r.reading_ja)),
        ("department_id", json!(r.department_id)),
        ("summary_ja", json!(r.summary_ja)),
        ("summary_en", json!(r.summary_en)),
        ("eligibility_ja", json!(r.eligibility_ja)),
        ("documents_ja", json!(r.documents_ja)),
        ("legal_basis", json!(r.legal_basis)),
        ("fee_yen", json!(r.fee_yen)),
        ("processing_days", json!(r.processing_days)),
        ("identity_level", json!(r.identity_level)),
        (
            "life_events",
            json!(join_life_events(&parse_life_events(&r.life_events))),
        ),
        ("online", json!(r.online)),
    ]
}

impl ProcedureRow {
    pub fn identity(&self) -> model::IdentityLevel {
        // The CHECK constraint allows only the three values; fall back to the strictest.
        model::IdentityLevel::parse(&self.identity_level).unwrap_or(model::IdentityLevel::Card)
    }
    pub fn events(&self) -> Vec<model::LifeEvent> {
        parse_life_events(&self.life_events)
    }
    /// Required documents, one per non-empty line.
    pub fn documents(&self) -> Vec<&str> {
        self.documents_ja
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }
}
