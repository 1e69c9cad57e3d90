//! SQL for stored notices (table `documents`, migration 0011). Reads take the municipality.

use sea_query::{Expr, ExprTrait, Iden, Order, Query};

use crate::db::{Db, Tx};

#[derive(Iden, Clone, Copy)]
pub enum Documents {
    Table,
    Id,
    MunicipalityId,
    ApplicationId,
    Kind,
    Decision,
    Number,
    Pdf,
    Sha256,
    Signature,
    CreatedAt,
}

/// A stored notice.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct DocumentRow {
    pub id: i64,
    pub municipality_id: String,
    pub application_id: i64,
    pub kind: String,
    pub decision: String,
    pub number: String,
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub signature: Option<Vec<u8>>,
    pub created_at: i64,
}

/// A notice without its bytes (for links).
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct DocumentInfo {
    pub id: i64,
    pub decision: String,
    pub number: String,
    pub signed: bool,
    pub created_at: i64,
}

pub struct NewDocument<'a> {
    pub municipality: &'a str,
    pub application_id: i64,
    pub decision: &'a str,
    pub number: &'a str,
    pub pdf: &'a [u8],
    pub sha256: &'a str,
    pub signature: Option<&'a [u8]>,
    pub now: i64,
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

pub async fn insert(tx: &mut Tx, d: &NewDocument<'_>) -> Result<i64, sqlx::Error> {
    let row: IdRow = tx
        .fetch_one(
            Query::insert()
                .into_table(Documents::Table)
                .columns([
                    Documents::MunicipalityId,
                    Documents::ApplicationId,
                    Documents::Kind,
                    Documents::Decision,
                    Documents::Number,
                    Documents::Pdf,
                    Documents::Sha256,
                    Documents::Signature,
                    Documents::CreatedAt,
                ])
                .values_panic([
                    d.municipality.into(),
                    d.application_id.into(),
                    "notice".into(),
                    d.decision.into(),
                    d.number.into(),
                    d.pdf.to_vec().into(),
                    d.sha256.into(),
                    d.signature.map(<[u8]>::to_vec).into(),
                    d.now.into(),
                ])
                .returning_col(Documents::Id),
        )
        .await?;
    Ok(row.id)
}

/// The newest notice of an application (a 承認 followed by 完了 has two; the newest wins
/// unless `decision` names one).
pub async fn notice(
    db: &Db,
    municipality: &str,
    application_id: i64,
    decision: Option<&str>,
) -> Result<Option<DocumentRow>, sqlx::Error> {
    let mut q = Query::select();
    q.columns([
        Documents::Id,
        Documents::MunicipalityId,
        Documents::ApplicationId,
        Documents::Kind,
        Documents::Decision,
        Documents::Number,
        Documents::Pdf,
        Documents::Sha256,
        Documents::Signature,
        Documents::CreatedAt,
    ])
    .from(Documents::Table)
    .and_where(Expr::col(Documents::MunicipalityId).eq(municipality))
    .and_where(Expr::col(Documents::ApplicationId).eq(application_id))
    .and_where(Expr::col(Documents::Kind).eq("notice"))
    .order_by(Documents::Id, Order::Desc)
    .limit(1);
    if let Some(d) = decision {
        q.and_where(Expr::col(Documents::Decision).eq(d));
    }
    db.fetch_optional(&q).await
}

/// The notices of an application, oldest first, without their bytes.
pub async fn notices_of(
    db: &Db,
    municipality: &str,
    application_id: i64,
) -> Result<Vec<DocumentInfo>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns([
                Documents::Id,
                Documents::Decision,
                Documents::Number,
                Documents::CreatedAt,
            ])
            .expr_as(
                Expr::col(Documents::Signature).is_not_null(),
                sea_query::Alias::new("signed"),
            )
            .from(Documents::Table)
            .and_where(Expr::col(Documents::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Documents::ApplicationId).eq(application_id))
            .and_where(Expr::col(Documents::Kind).eq("notice"))
            .order_by(Documents::Id, Order::Asc),
    )
    .await
}
