//! Demo data for payments: which of 市川市's demo procedures take their fee before the city
//! works on the application (pay before processing, `due_before = 'review'`, docs/payments.md).
//! Loading twice changes nothing, and a timing set otherwise is left as it is.

use crate::audit::{self, Actor};
use crate::db::Db;
use crate::demo::ICHIKAWA;
use crate::procedures::store as pstore;

/// 戸籍証明書等の交付請求（郵送）: the certificate is issued and posted only once paid.
pub const PAY_BEFORE_REVIEW: &[&str] = &["koseki-shomei"];

pub async fn load(db: &Db) -> anyhow::Result<()> {
    for slug in PAY_BEFORE_REVIEW {
        let Some(p) = pstore::find_by_slug(db, ICHIKAWA, slug).await? else {
            continue;
        };
        let mut tx = db.begin().await?;
        if super::store::timing_tx(&mut tx, p.id).await? != "none" {
            continue;
        }
        super::store::set_timing(&mut tx, ICHIKAWA, p.id, "review").await?;
        audit::record(
            &mut tx,
            ICHIKAWA,
            &Actor::Cli,
            "fee_timing.set",
            &format!("procedure:{}", p.id),
            serde_json::json!({ "slug": slug, "due_before": "review" }),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
