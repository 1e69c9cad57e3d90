//! Issuing documents: the notice of a decision (rendered and signed before the decision's
//! transaction, stored and audited inside it) and the receipt (rendered on demand from the
//! stored application).

use std::sync::Arc;

use sea_query::{Expr, ExprTrait, Query};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Documents;
use super::content::{self, NoticeData, NoticeKind, ReceiptData};
use super::pdf::{self, Meta};
use super::store::{self, NewDocument};
use crate::audit;
use crate::db::schema::{Departments, Municipalities};
use crate::db::{Db, Tx};
use crate::procedures::application::store::ApplicationRow;

#[derive(sqlx::FromRow)]
struct Name {
    name_ja: String,
}

async fn town_name(db: &Db, municipality: &str) -> Result<String, sqlx::Error> {
    let r: Option<Name> = db
        .fetch_optional(
            Query::select()
                .column(Municipalities::NameJa)
                .from(Municipalities::Table)
                .and_where(Expr::col(Municipalities::Id).eq(municipality)),
        )
        .await?;
    Ok(r.map(|n| n.name_ja).unwrap_or_default())
}

async fn department_name(db: &Db, id: Option<i64>) -> Result<String, sqlx::Error> {
    let Some(id) = id else {
        return Ok(String::new());
    };
    let r: Option<Name> = db
        .fetch_optional(
            Query::select()
                .column(Departments::NameJa)
                .from(Departments::Table)
                .and_where(Expr::col(Departments::Id).eq(id)),
        )
        .await?;
    Ok(r.map(|n| n.name_ja).unwrap_or_default())
}

fn shown(receipt: &str) -> String {
    crate::procedures::application::pages::shown_receipt(receipt)
}

/// Renders on a blocking thread (subsetting a CJK font takes a moment).
async fn render_blocking(
    docs: Arc<Documents>,
    blocks: Vec<content::Block>,
    municipality: String,
    use_seal: bool,
    title: String,
    author: String,
    now: i64,
) -> anyhow::Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || {
        let seal = if use_seal {
            docs.seal(&municipality)
        } else {
            None
        };
        pdf::render(
            &docs.font,
            &blocks,
            seal.as_deref().map(Vec::as_slice),
            &Meta {
                title: &title,
                author: &author,
                created_at: now,
            },
        )
    })
    .await
    .map_err(|e| anyhow::anyhow!("rendering thread: {e}"))?
}

/// The receipt (受付票) of an application, as PDF bytes.
pub async fn receipt_pdf(
    db: &Db,
    docs: Arc<Documents>,
    app: &ApplicationRow,
    base_url: &str,
    now: i64,
) -> anyhow::Result<Vec<u8>> {
    let town = town_name(db, &app.municipality_id).await?;
    let dept = department_name(db, app.department_id).await?;
    let data = ReceiptData {
        town_ja: town.clone(),
        department_ja: dept,
        procedure_ja: app.procedure_name_ja.clone(),
        applicant: app.applicant_name.clone(),
        receipt: shown(&app.receipt),
        submitted_at: app.submitted_at,
        due_at: app.due_at,
        fee_yen: app.fee_yen,
        issued_at: now,
        link: format!(
            "{}/applications/{}",
            base_url.trim_end_matches('/'),
            app.receipt
        ),
        contact: docs.contact(&app.municipality_id),
    };
    let blocks = content::receipt_blocks(&data);
    render_blocking(
        docs,
        blocks,
        app.municipality_id.clone(),
        false,
        format!("受付票 {} {}", data.receipt, data.procedure_ja),
        town,
        now,
    )
    .await
}

/// A rendered (and, with a key, signed) notice waiting to be stored.
pub struct Prepared {
    pub kind: NoticeKind,
    pub number: String,
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub signature: Option<Vec<u8>>,
}

/// Renders and signs the notice of `kind` for `app`, decided at `now` with `text` (the reason
/// and/or notice text as stored in the timeline).
pub async fn prepare(
    db: &Db,
    docs: Arc<Documents>,
    app: &ApplicationRow,
    kind: NoticeKind,
    text: &str,
    now: i64,
) -> anyhow::Result<Prepared> {
    let town = town_name(db, &app.municipality_id).await?;
    let dept = department_name(db, app.department_id).await?;
    let receipt = shown(&app.receipt);
    let number = content::notice_number(&dept, &receipt);
    let seal = docs.seal(&app.municipality_id).is_some();
    let data = NoticeData {
        kind,
        town_ja: town.clone(),
        mayor: docs.mayor(&app.municipality_id, &town),
        department_ja: dept,
        procedure_ja: app.procedure_name_ja.clone(),
        applicant: app.applicant_name.clone(),
        receipt: receipt.clone(),
        number: number.clone(),
        submitted_at: app.submitted_at,
        decided_at: now,
        text: text.to_owned(),
        contact: docs.contact(&app.municipality_id),
        seal,
        signed: docs.signs(),
    };
    let blocks = content::notice_blocks(&data);
    let pdf = render_blocking(
        docs.clone(),
        blocks,
        app.municipality_id.clone(),
        seal,
        format!("{} {receipt} {}", kind.title(), data.procedure_ja),
        town,
        now,
    )
    .await?;
    let signature = docs.sign(&pdf, now)?;
    let sha256 = hex::encode(Sha256::digest(&pdf));
    Ok(Prepared {
        kind,
        number,
        pdf,
        sha256,
        signature,
    })
}

/// Stores a prepared notice and audits it, in the decision's transaction.
pub async fn store_in(
    tx: &mut Tx,
    municipality: &str,
    application_id: i64,
    actor: &audit::Actor,
    p: &Prepared,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let id = store::insert(
        tx,
        &NewDocument {
            municipality,
            application_id,
            decision: p.kind.as_str(),
            number: &p.number,
            pdf: &p.pdf,
            sha256: &p.sha256,
            signature: p.signature.as_deref(),
            now,
        },
    )
    .await?;
    audit::record(
        tx,
        municipality,
        actor,
        "document.notice_issued",
        &format!("application:{application_id}"),
        json!({
            "document": id,
            "decision": p.kind.as_str(),
            "number": p.number,
            "sha256": p.sha256,
            "signed": p.signature.is_some(),
        }),
    )
    .await?;
    Ok(id)
}
