//! SQL of the form runner: drafts (`application_drafts`) and the files uploaded into them
//! (`attachments`). Every read takes the municipality and the owner, so one resident's draft
//! can never be read or written through another resident's session or token. Writes take a
//! `Tx` so the caller audits in the same transaction.

use sea_query::{Expr, ExprTrait, Order, Query};

use crate::db::schema::{ApplicationDrafts as D, Attachments as A};
use crate::db::{Db, Tx};

/// Who a draft belongs to: a signed-in resident, or whoever holds the anonymous token (only
/// its SHA-256 is stored and compared).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Owner {
    User(i64),
    TokenHash(String),
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct DraftRow {
    pub id: i64,
    pub municipality_id: String,
    pub procedure_id: i64,
    pub form_version_id: i64,
    pub owner_user_id: Option<i64>,
    pub email: Option<String>,
    pub answers: String,
    pub raw_input: String,
    pub current_page: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
}

fn select() -> sea_query::SelectStatement {
    let mut q = Query::select();
    q.columns([
        D::Id,
        D::MunicipalityId,
        D::ProcedureId,
        D::FormVersionId,
        D::OwnerUserId,
        D::Email,
        D::Answers,
        D::RawInput,
        D::CurrentPage,
        D::CreatedAt,
        D::UpdatedAt,
        D::ExpiresAt,
    ])
    .from(D::Table);
    q
}

fn owned(q: &mut sea_query::SelectStatement, owner: &Owner) {
    match owner {
        Owner::User(id) => q.and_where(Expr::col(D::OwnerUserId).eq(*id)),
        Owner::TokenHash(h) => q
            .and_where(Expr::col(D::OwnerUserId).is_null())
            .and_where(Expr::col(D::ResumeTokenHash).eq(h.as_str())),
    };
}

/// The owner's draft for a procedure (expired or not: the caller decides and says so).
pub async fn find(
    db: &Db,
    municipality: &str,
    procedure_id: i64,
    owner: &Owner,
) -> Result<Option<DraftRow>, sqlx::Error> {
    let mut q = select();
    q.and_where(Expr::col(D::MunicipalityId).eq(municipality))
        .and_where(Expr::col(D::ProcedureId).eq(procedure_id));
    owned(&mut q, owner);
    db.fetch_optional(&q).await
}

/// The anonymous draft a resume token opens, whatever its procedure.
pub async fn find_by_token(
    db: &Db,
    municipality: &str,
    token_hash: &str,
) -> Result<Option<DraftRow>, sqlx::Error> {
    let mut q = select();
    q.and_where(Expr::col(D::MunicipalityId).eq(municipality));
    owned(&mut q, &Owner::TokenHash(token_hash.to_owned()));
    db.fetch_optional(&q).await
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

pub struct NewDraft<'a> {
    pub municipality: &'a str,
    pub procedure_id: i64,
    pub form_version_id: i64,
    pub owner: &'a Owner,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn create(tx: &mut Tx, d: NewDraft<'_>) -> Result<i64, sqlx::Error> {
    let (user, token): (Option<i64>, Option<String>) = match d.owner {
        Owner::User(id) => (Some(*id), None),
        Owner::TokenHash(h) => (None, Some(h.clone())),
    };
    let row: IdRow = tx
        .fetch_one(
            Query::insert()
                .into_table(D::Table)
                .columns([
                    D::MunicipalityId,
                    D::ProcedureId,
                    D::FormVersionId,
                    D::OwnerUserId,
                    D::ResumeTokenHash,
                    D::Answers,
                    D::RawInput,
                    D::CreatedAt,
                    D::UpdatedAt,
                    D::ExpiresAt,
                ])
                .values_panic([
                    d.municipality.into(),
                    d.procedure_id.into(),
                    d.form_version_id.into(),
                    user.into(),
                    token.into(),
                    "{}".into(),
                    "{}".into(),
                    d.now.into(),
                    d.now.into(),
                    d.expires_at.into(),
                ])
                .returning_col(D::Id),
        )
        .await?;
    Ok(row.id)
}

/// What a page POST changes in a draft. Every save pushes the expiry out again.
pub struct DraftUpdate<'a> {
    pub form_version_id: i64,
    pub answers: &'a str,
    pub raw_input: &'a str,
    pub current_page: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn save(tx: &mut Tx, id: i64, u: DraftUpdate<'_>) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(D::Table)
            .value(D::FormVersionId, u.form_version_id)
            .value(D::Answers, u.answers)
            .value(D::RawInput, u.raw_input)
            .value(D::CurrentPage, u.current_page.map(str::to_owned))
            .value(D::UpdatedAt, u.now)
            .value(D::ExpiresAt, u.expires_at)
            .and_where(Expr::col(D::Id).eq(id)),
    )
    .await
    .map(|_| ())
}

pub async fn set_email(tx: &mut Tx, id: i64, email: &str) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(D::Table)
            .value(D::Email, email)
            .and_where(Expr::col(D::Id).eq(id)),
    )
    .await
    .map(|_| ())
}

/// Deletes a draft and the files uploaded into it that no application took over.
pub async fn delete(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::delete()
            .from_table(A::Table)
            .and_where(Expr::col(A::DraftId).eq(id))
            .and_where(Expr::col(A::ApplicationId).is_null()),
    )
    .await?;
    tx.execute(
        Query::delete()
            .from_table(D::Table)
            .and_where(Expr::col(D::Id).eq(id)),
    )
    .await
    .map(|_| ())
}

/// Ids of the municipality's drafts past their expiry (for the clean-up).
pub async fn expired_ids(
    db: &Db,
    municipality: &str,
    now: i64,
    limit: u64,
) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<IdRow> = db
        .fetch_all(
            Query::select()
                .column(D::Id)
                .from(D::Table)
                .and_where(Expr::col(D::MunicipalityId).eq(municipality))
                .and_where(Expr::col(D::ExpiresAt).lte(now))
                .order_by(D::Id, Order::Asc)
                .limit(limit),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

// ---- attachments ------------------------------------------------------------------------------

/// An uploaded file without its bytes.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct AttachmentMeta {
    pub public_id: String,
    pub field_path: String,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
}

pub struct NewAttachment<'a> {
    pub municipality: &'a str,
    pub public_id: &'a str,
    /// The draft being filled in, or None for a file sent with a 補正 (`application_id`).
    pub draft_id: Option<i64>,
    pub application_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    pub field_path: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub data: &'a [u8],
    pub now: i64,
}

pub async fn insert_attachment(tx: &mut Tx, a: NewAttachment<'_>) -> Result<(), sqlx::Error> {
    let size = i64::try_from(a.data.len()).unwrap_or(i64::MAX);
    tx.execute(
        Query::insert()
            .into_table(A::Table)
            .columns([
                A::MunicipalityId,
                A::PublicId,
                A::DraftId,
                A::ApplicationId,
                A::OwnerUserId,
                A::FieldPath,
                A::Filename,
                A::ContentType,
                A::SizeBytes,
                A::Sha256,
                A::Data,
                A::CreatedAt,
            ])
            .values_panic([
                a.municipality.into(),
                a.public_id.into(),
                a.draft_id.into(),
                a.application_id.into(),
                a.owner_user_id.into(),
                a.field_path.into(),
                a.filename.into(),
                a.content_type.into(),
                size.into(),
                a.sha256.into(),
                a.data.to_vec().into(),
                a.now.into(),
            ]),
    )
    .await
    .map(|_| ())
}

/// The files of a draft not yet taken over by an application, oldest first.
pub async fn draft_attachments(
    db: &Db,
    municipality: &str,
    draft_id: i64,
) -> Result<Vec<AttachmentMeta>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns([
                A::PublicId,
                A::FieldPath,
                A::Filename,
                A::ContentType,
                A::SizeBytes,
            ])
            .from(A::Table)
            .and_where(Expr::col(A::MunicipalityId).eq(municipality))
            .and_where(Expr::col(A::DraftId).eq(draft_id))
            .and_where(Expr::col(A::ApplicationId).is_null())
            .order_by(A::Id, Order::Asc),
    )
    .await
}

/// Deletes files of a draft (one field's, or all under a path prefix such as a removed group
/// item's `children/1/`); returns how many went.
pub async fn delete_attachments(
    tx: &mut Tx,
    draft_id: i64,
    public_ids: &[String],
) -> Result<u64, sqlx::Error> {
    if public_ids.is_empty() {
        return Ok(0);
    }
    tx.execute(
        Query::delete()
            .from_table(A::Table)
            .and_where(Expr::col(A::DraftId).eq(draft_id))
            .and_where(Expr::col(A::ApplicationId).is_null())
            .and_where(Expr::col(A::PublicId).is_in(public_ids.iter().map(String::as_str))),
    )
    .await
}

/// Gives an anonymous draft a new resume token (the old one stops working) and the address
/// the link was mailed to.
pub async fn set_token(
    tx: &mut Tx,
    id: i64,
    token_hash: &str,
    email: &str,
) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(D::Table)
            .value(D::ResumeTokenHash, token_hash)
            .value(D::Email, email)
            .and_where(Expr::col(D::Id).eq(id))
            .and_where(Expr::col(D::OwnerUserId).is_null()),
    )
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow)]
struct ReceiptRow {
    receipt: String,
}

/// The receipt of the application a submit key made (a 「申請する」 sent twice finds it).
pub async fn receipt_for_key(
    db: &Db,
    municipality: &str,
    scope: &str,
    key: &str,
) -> Result<Option<String>, sqlx::Error> {
    use crate::db::schema::{Applications as P, IdempotencyKeys as K};
    let row: Option<ReceiptRow> = db
        .fetch_optional(
            Query::select()
                .column((P::Table, P::Receipt))
                .from(K::Table)
                .inner_join(
                    P::Table,
                    Expr::col((P::Table, P::Id)).equals((K::Table, K::ApplicationId)),
                )
                .and_where(Expr::col((K::Table, K::MunicipalityId)).eq(municipality))
                .and_where(Expr::col((K::Table, K::Scope)).eq(scope))
                .and_where(Expr::col((K::Table, K::Key)).eq(key)),
        )
        .await?;
    Ok(row.map(|r| r.receipt))
}

/// What the receipt page shows of an application.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct ReceiptApp {
    pub id: i64,
    pub procedure_id: i64,
    pub applicant_user_id: Option<i64>,
    pub applicant_email: Option<String>,
}

pub async fn application_by_receipt(
    db: &Db,
    municipality: &str,
    receipt: &str,
) -> Result<Option<ReceiptApp>, sqlx::Error> {
    use crate::db::schema::Applications as P;
    db.fetch_optional(
        Query::select()
            .columns([P::Id, P::ProcedureId, P::ApplicantUserId, P::ApplicantEmail])
            .from(P::Table)
            .and_where(Expr::col(P::MunicipalityId).eq(municipality))
            .and_where(Expr::col(P::Receipt).eq(receipt)),
    )
    .await
}
