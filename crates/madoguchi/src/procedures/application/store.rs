//! SQL for applications, their timeline entries, idempotency keys and the attachments and drafts
//! a submission takes over. Reads take the municipality and never return another
//! municipality's rows; writes take a `Tx` so the caller audits in the same transaction.

use sea_query::{
    Alias, Cond, Expr, ExprTrait, InsertStatement, JoinType, Order, Query, SelectStatement,
};

use crate::db::schema::{
    ApplicationDrafts as D, ApplicationEntries as E, Applications as A, Attachments as F,
    IdempotencyKeys as K, Municipalities, Procedures as P, Users,
};
use crate::db::{Db, Tx};

/// An application (申請) and its case (案件) with the procedure's names.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct ApplicationRow {
    pub id: i64,
    pub municipality_id: String,
    pub receipt: String,
    pub procedure_id: i64,
    pub form_version_id: i64,
    pub applicant_user_id: Option<i64>,
    pub applicant_email: Option<String>,
    pub applicant_name: String,
    /// JSON object.
    pub answers: String,
    /// JSON object `{id: value}`.
    pub computed: String,
    pub fee_yen: Option<i64>,
    pub state: String,
    pub department_id: Option<i64>,
    pub assigned_to: Option<i64>,
    /// JSON array of field ids while a 補正依頼 is open.
    pub correction_fields: Option<String>,
    pub due_at: Option<i64>,
    pub submitted_at: i64,
    pub updated_at: i64,
    pub decided_at: Option<i64>,
    pub procedure_slug: String,
    pub procedure_name_ja: String,
    pub procedure_name_en: String,
    pub assignee_name: Option<String>,
}

const APP_COLUMNS: [A; 19] = [
    A::Id,
    A::MunicipalityId,
    A::Receipt,
    A::ProcedureId,
    A::FormVersionId,
    A::ApplicantUserId,
    A::ApplicantEmail,
    A::ApplicantName,
    A::Answers,
    A::Computed,
    A::FeeYen,
    A::State,
    A::DepartmentId,
    A::AssignedTo,
    A::CorrectionFields,
    A::DueAt,
    A::SubmittedAt,
    A::UpdatedAt,
    A::DecidedAt,
];

fn select() -> SelectStatement {
    let mut q = Query::select();
    for c in APP_COLUMNS {
        q.column((A::Table, c));
    }
    q.expr_as(Expr::col((P::Table, P::Slug)), Alias::new("procedure_slug"))
        .expr_as(
            Expr::col((P::Table, P::NameJa)),
            Alias::new("procedure_name_ja"),
        )
        .expr_as(
            Expr::col((P::Table, P::NameEn)),
            Alias::new("procedure_name_en"),
        )
        .expr_as(
            Expr::col((Users::Table, Users::Name)),
            Alias::new("assignee_name"),
        )
        .from(A::Table)
        .join(
            JoinType::InnerJoin,
            P::Table,
            Expr::col((P::Table, P::Id)).equals((A::Table, A::ProcedureId)),
        )
        .join(
            JoinType::LeftJoin,
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((A::Table, A::AssignedTo)),
        );
    q
}

fn in_municipality(q: &mut SelectStatement, municipality: &str) {
    q.and_where(Expr::col((A::Table, A::MunicipalityId)).eq(municipality));
}

pub async fn by_id(
    db: &Db,
    municipality: &str,
    id: i64,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    let mut q = select();
    in_municipality(&mut q, municipality);
    q.and_where(Expr::col((A::Table, A::Id)).eq(id));
    db.fetch_optional(&q).await
}

/// A guest application by its receipt and the digest of the key in its mail link, or None.
pub async fn by_guest_key(
    db: &Db,
    municipality: &str,
    receipt: &str,
    key_digest: &str,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    let mut q = select();
    in_municipality(&mut q, municipality);
    q.and_where(Expr::col((A::Table, A::Receipt)).eq(receipt))
        .and_where(Expr::col((A::Table, A::GuestKeyDigest)).eq(key_digest));
    db.fetch_optional(&q).await
}

/// Gives the guest applications sent from `email` (no account yet) to the account `user_id`,
/// and returns their ids and receipts. The caller has just proved that the account owns the
/// address (a verification or reset link) and audits each in the same transaction.
pub async fn claim_guest_applications(
    tx: &mut Tx,
    municipality: &str,
    user_id: i64,
    email: &str,
    now: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Claimed {
        id: i64,
        receipt: String,
    }
    let rows: Vec<Claimed> = tx
        .fetch_all(
            Query::update()
                .table(A::Table)
                .value(A::ApplicantUserId, user_id)
                .value(A::UpdatedAt, now)
                .and_where(Expr::col(A::MunicipalityId).eq(municipality))
                .and_where(Expr::col(A::ApplicantUserId).is_null())
                .and_where(Expr::col(A::ApplicantEmail).eq(email))
                .returning(Query::returning().columns([A::Id, A::Receipt])),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.receipt)).collect())
}

pub async fn by_id_tx(
    tx: &mut Tx,
    municipality: &str,
    id: i64,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    let mut q = select();
    in_municipality(&mut q, municipality);
    q.and_where(Expr::col((A::Table, A::Id)).eq(id));
    tx.fetch_optional(&q).await
}

pub async fn by_receipt(
    db: &Db,
    municipality: &str,
    receipt: &str,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    let mut q = select();
    in_municipality(&mut q, municipality);
    q.and_where(Expr::col((A::Table, A::Receipt)).eq(receipt));
    db.fetch_optional(&q).await
}

/// A resident's applications, newest first.
pub async fn for_applicant(
    db: &Db,
    municipality: &str,
    user_id: i64,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    let mut q = select();
    in_municipality(&mut q, municipality);
    q.and_where(Expr::col((A::Table, A::ApplicantUserId)).eq(user_id))
        .order_by((A::Table, A::SubmittedAt), Order::Desc)
        .order_by((A::Table, A::Id), Order::Desc);
    db.fetch_all(&q).await
}

/// What the staff queue asks for.
#[derive(Clone, Debug, Default)]
pub struct QueueFilter {
    /// None: every department (administrators).
    pub department_id: Option<i64>,
    pub states: Vec<String>,
    pub procedure_id: Option<i64>,
    pub assigned_to: Option<i64>,
    /// Only open cases whose due date is before this instant.
    pub overdue_at: Option<i64>,
    pub submitted_from: Option<i64>,
    pub submitted_before: Option<i64>,
    pub limit: u64,
}

/// Cases for the staff queue or an export, soonest due first (no due date last).
pub async fn queue(
    db: &Db,
    municipality: &str,
    f: &QueueFilter,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    let mut q = select();
    in_municipality(&mut q, municipality);
    if let Some(d) = f.department_id {
        q.and_where(Expr::col((A::Table, A::DepartmentId)).eq(d));
    }
    if !f.states.is_empty() {
        q.and_where(Expr::col((A::Table, A::State)).is_in(f.states.iter().cloned()));
    }
    if let Some(p) = f.procedure_id {
        q.and_where(Expr::col((A::Table, A::ProcedureId)).eq(p));
    }
    if let Some(u) = f.assigned_to {
        q.and_where(Expr::col((A::Table, A::AssignedTo)).eq(u));
    }
    if let Some(at) = f.overdue_at {
        q.and_where(Expr::col((A::Table, A::DueAt)).lt(at));
        q.and_where(
            Expr::col((A::Table, A::State)).is_in(super::OPEN_STATES.iter().map(|s| s.as_str())),
        );
    }
    if let Some(t) = f.submitted_from {
        q.and_where(Expr::col((A::Table, A::SubmittedAt)).gte(t));
    }
    if let Some(t) = f.submitted_before {
        q.and_where(Expr::col((A::Table, A::SubmittedAt)).lt(t));
    }
    // NULL due dates last on both databases.
    q.order_by_expr(
        Expr::case(Expr::col((A::Table, A::DueAt)).is_null(), 1)
            .finally(0)
            .into(),
        Order::Asc,
    )
    .order_by((A::Table, A::DueAt), Order::Asc)
    .order_by((A::Table, A::SubmittedAt), Order::Asc)
    .order_by((A::Table, A::Id), Order::Asc)
    .limit(if f.limit == 0 { 500 } else { f.limit });
    db.fetch_all(&q).await
}

/// A new application row, in state `received`.
pub struct InsertApplication<'a> {
    pub municipality: &'a str,
    pub receipt: &'a str,
    pub procedure_id: i64,
    pub form_version_id: i64,
    pub applicant_user_id: Option<i64>,
    pub applicant_email: Option<&'a str>,
    pub applicant_name: &'a str,
    pub answers: &'a str,
    pub computed: &'a str,
    pub fee_yen: Option<i64>,
    pub department_id: Option<i64>,
    pub due_at: Option<i64>,
    /// SHA-256 of the key in a guest's mail link (`auth::token::digest`).
    pub guest_key_digest: Option<&'a str>,
    pub now: i64,
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

pub async fn insert_application(
    tx: &mut Tx,
    a: &InsertApplication<'_>,
) -> Result<i64, sqlx::Error> {
    let row: IdRow = tx
        .fetch_one(
            Query::insert()
                .into_table(A::Table)
                .columns([
                    A::MunicipalityId,
                    A::Receipt,
                    A::ProcedureId,
                    A::FormVersionId,
                    A::ApplicantUserId,
                    A::ApplicantEmail,
                    A::ApplicantName,
                    A::Answers,
                    A::Computed,
                    A::FeeYen,
                    A::State,
                    A::DepartmentId,
                    A::DueAt,
                    A::GuestKeyDigest,
                    A::SubmittedAt,
                    A::UpdatedAt,
                ])
                .values_panic([
                    a.municipality.into(),
                    a.receipt.into(),
                    a.procedure_id.into(),
                    a.form_version_id.into(),
                    a.applicant_user_id.into(),
                    a.applicant_email.map(str::to_owned).into(),
                    a.applicant_name.into(),
                    a.answers.into(),
                    a.computed.into(),
                    a.fee_yen.into(),
                    "received".into(),
                    a.department_id.into(),
                    a.due_at.into(),
                    a.guest_key_digest.map(str::to_owned).into(),
                    a.now.into(),
                    a.now.into(),
                ])
                .returning_col(A::Id),
        )
        .await?;
    Ok(row.id)
}

/// A state change. `correction_fields` is written as given (None clears it).
pub async fn set_state(
    tx: &mut Tx,
    id: i64,
    from: &str,
    to: &str,
    correction_fields: Option<String>,
    decided_at: Option<i64>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let mut q = Query::update();
    q.table(A::Table)
        .value(A::State, to)
        .value(A::CorrectionFields, correction_fields)
        .value(A::UpdatedAt, now)
        .and_where(Expr::col(A::Id).eq(id))
        // Optimistic check: the state the decision was taken on.
        .and_where(Expr::col(A::State).eq(from));
    if let Some(d) = decided_at {
        q.value(A::DecidedAt, d);
    }
    tx.execute(&q).await
}

/// A resubmission: the corrected answers and the new state in one update.
pub async fn set_answers(
    tx: &mut Tx,
    id: i64,
    answers: &str,
    computed: &str,
    fee_yen: Option<i64>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::update()
            .table(A::Table)
            .value(A::Answers, answers)
            .value(A::Computed, computed)
            .value(A::FeeYen, fee_yen)
            .value(A::UpdatedAt, now)
            .and_where(Expr::col(A::Id).eq(id)),
    )
    .await
}

pub async fn set_assignee(
    tx: &mut Tx,
    id: i64,
    user: Option<i64>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::update()
            .table(A::Table)
            .value(A::AssignedTo, user)
            .value(A::UpdatedAt, now)
            .and_where(Expr::col(A::Id).eq(id)),
    )
    .await
}

// ---- idempotency keys ------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug)]
pub struct IdempotencyRow {
    pub request_hash: String,
    pub application_id: i64,
}

pub async fn find_idempotency(
    tx: &mut Tx,
    municipality: &str,
    scope: &str,
    key: &str,
) -> Result<Option<IdempotencyRow>, sqlx::Error> {
    tx.fetch_optional(
        Query::select()
            .columns([K::RequestHash, K::ApplicationId])
            .from(K::Table)
            .and_where(Expr::col(K::MunicipalityId).eq(municipality))
            .and_where(Expr::col(K::Scope).eq(scope))
            .and_where(Expr::col(K::Key).eq(key)),
    )
    .await
}

pub async fn insert_idempotency(
    tx: &mut Tx,
    municipality: &str,
    scope: &str,
    key: &str,
    hash: &str,
    application_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::insert()
            .into_table(K::Table)
            .columns([
                K::MunicipalityId,
                K::Scope,
                K::Key,
                K::RequestHash,
                K::ApplicationId,
                K::CreatedAt,
            ])
            .values_panic([
                municipality.into(),
                scope.into(),
                key.into(),
                hash.into(),
                application_id.into(),
                now.into(),
            ]),
    )
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow, Debug)]
pub struct ReceiptRow {
    pub receipt: String,
}

pub async fn receipt_of(tx: &mut Tx, id: i64) -> Result<Option<String>, sqlx::Error> {
    let r: Option<ReceiptRow> = tx
        .fetch_optional(
            Query::select()
                .column(A::Receipt)
                .from(A::Table)
                .and_where(Expr::col(A::Id).eq(id)),
        )
        .await?;
    Ok(r.map(|r| r.receipt))
}

// ---- attachments and drafts ------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct AttachmentRef {
    pub id: i64,
    pub public_id: String,
    pub draft_id: Option<i64>,
    pub application_id: Option<i64>,
    pub owner_user_id: Option<i64>,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i64,
}

const ATTACHMENT_COLUMNS: [F; 8] = [
    F::Id,
    F::PublicId,
    F::DraftId,
    F::ApplicationId,
    F::OwnerUserId,
    F::Filename,
    F::ContentType,
    F::SizeBytes,
];

pub async fn attachment_tx(
    tx: &mut Tx,
    municipality: &str,
    public_id: &str,
) -> Result<Option<AttachmentRef>, sqlx::Error> {
    tx.fetch_optional(
        Query::select()
            .columns(ATTACHMENT_COLUMNS)
            .from(F::Table)
            .and_where(Expr::col(F::MunicipalityId).eq(municipality))
            .and_where(Expr::col(F::PublicId).eq(public_id)),
    )
    .await
}

/// Attachments of an application (for staff downloads and the answers view).
pub async fn attachments_of(
    db: &Db,
    application_id: i64,
) -> Result<Vec<AttachmentRef>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns(ATTACHMENT_COLUMNS)
            .from(F::Table)
            .and_where(Expr::col(F::ApplicationId).eq(application_id))
            .order_by(F::Id, Order::Asc),
    )
    .await
}

/// Links an attachment to the application, only if it is still unlinked.
pub async fn link_attachment(
    tx: &mut Tx,
    id: i64,
    application_id: i64,
) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::update()
            .table(F::Table)
            .value(F::ApplicationId, application_id)
            .value(F::DraftId, Option::<i64>::None)
            .and_where(Expr::col(F::Id).eq(id))
            .and_where(Expr::col(F::ApplicationId).is_null()),
    )
    .await
}

pub async fn delete_draft(tx: &mut Tx, municipality: &str, id: i64) -> Result<u64, sqlx::Error> {
    // Attachments still pointing at the draft keep their row (draft_id ON DELETE SET NULL);
    // clear the reference explicitly so SQLite without the FK action behaves the same.
    tx.execute(
        Query::update()
            .table(F::Table)
            .value(F::DraftId, Option::<i64>::None)
            .and_where(Expr::col(F::DraftId).eq(id)),
    )
    .await?;
    tx.execute(
        Query::delete()
            .from_table(D::Table)
            .and_where(Expr::col(D::MunicipalityId).eq(municipality))
            .and_where(Expr::col(D::Id).eq(id)),
    )
    .await
}

// ---- timeline ------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct EntryRow {
    pub id: i64,
    pub application_id: i64,
    pub kind: String,
    pub author_user_id: Option<i64>,
    pub author_role: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub body: String,
    /// JSON array of field ids (correction requests).
    pub fields: Option<String>,
    pub internal: bool,
    pub read_at: Option<i64>,
    pub created_at: i64,
    pub author_name: Option<String>,
}

pub struct NewEntry<'a> {
    pub application_id: i64,
    pub kind: &'a str,
    pub author_user_id: Option<i64>,
    pub author_role: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    pub body: &'a str,
    pub fields: Option<String>,
    pub internal: bool,
    pub now: i64,
}

/// `INSERT INTO application_entries (columns)`: what [`entry_values`] fills.
fn entry_insert() -> InsertStatement {
    Query::insert()
        .into_table(E::Table)
        .columns([
            E::ApplicationId,
            E::Kind,
            E::AuthorUserId,
            E::AuthorRole,
            E::FromState,
            E::ToState,
            E::Body,
            E::Fields,
            E::Internal,
            E::CreatedAt,
        ])
        .to_owned()
}

fn entry_values(e: &NewEntry<'_>) -> Vec<Expr> {
    vec![
        e.application_id.into(),
        e.kind.into(),
        e.author_user_id.into(),
        e.author_role.into(),
        e.from_state.map(str::to_owned).into(),
        e.to_state.map(str::to_owned).into(),
        e.body.into(),
        e.fields.clone().into(),
        e.internal.into(),
        e.now.into(),
    ]
}

pub async fn insert_entry(tx: &mut Tx, e: &NewEntry<'_>) -> Result<i64, sqlx::Error> {
    let row: IdRow = tx
        .fetch_one(
            entry_insert()
                .values_panic(entry_values(e))
                .returning_col(E::Id),
        )
        .await?;
    Ok(row.id)
}

/// [`insert_entry`] for an entry whose id nobody needs: written when `tx` commits, with the
/// other queued entries of the (group) transaction in one statement.
pub fn insert_entry_at_commit(tx: &mut Tx, e: &NewEntry<'_>) {
    tx.insert_at_commit("application_entries", entry_insert, entry_values(e));
}

/// The timeline of an application, oldest first. `with_internal: false` leaves out 内部メモ
/// (in SQL, so a resident's page cannot show one by mistake).
pub async fn entries(
    db: &Db,
    application_id: i64,
    with_internal: bool,
) -> Result<Vec<EntryRow>, sqlx::Error> {
    let mut q = Query::select();
    q.columns([
        (E::Table, E::Id),
        (E::Table, E::ApplicationId),
        (E::Table, E::Kind),
        (E::Table, E::AuthorUserId),
        (E::Table, E::AuthorRole),
        (E::Table, E::FromState),
        (E::Table, E::ToState),
        (E::Table, E::Body),
        (E::Table, E::Fields),
        (E::Table, E::Internal),
        (E::Table, E::ReadAt),
        (E::Table, E::CreatedAt),
    ])
    .expr_as(
        Expr::col((Users::Table, Users::Name)),
        Alias::new("author_name"),
    )
    .from(E::Table)
    .join(
        JoinType::LeftJoin,
        Users::Table,
        Expr::col((Users::Table, Users::Id)).equals((E::Table, E::AuthorUserId)),
    )
    .and_where(Expr::col((E::Table, E::ApplicationId)).eq(application_id))
    .order_by((E::Table, E::Id), Order::Asc);
    if !with_internal {
        q.and_where(Expr::col((E::Table, E::Internal)).eq(false));
    }
    db.fetch_all(&q).await
}

/// Marks the other side's entries as read: the applicant reading staff entries, or staff
/// reading the applicant's.
pub async fn mark_read(
    db: &Db,
    application_id: i64,
    by_applicant: bool,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let roles: Vec<&str> = if by_applicant {
        vec!["staff", "system"]
    } else {
        vec!["applicant"]
    };
    db.execute(
        Query::update()
            .table(E::Table)
            .value(E::ReadAt, now)
            .and_where(Expr::col(E::ApplicationId).eq(application_id))
            .and_where(Expr::col(E::ReadAt).is_null())
            .and_where(Expr::col(E::Internal).eq(false))
            .and_where(Expr::col(E::AuthorRole).is_in(roles)),
    )
    .await
}

#[derive(sqlx::FromRow, Debug)]
pub struct UnreadRow {
    pub application_id: i64,
    pub n: i64,
}

/// Unread staff entries (messages, requests, decisions) per application of a resident.
pub async fn unread_for_applicant(
    db: &Db,
    municipality: &str,
    user_id: i64,
) -> Result<Vec<UnreadRow>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .column((E::Table, E::ApplicationId))
            .expr_as(Expr::col((E::Table, E::Id)).count(), Alias::new("n"))
            .from(E::Table)
            .join(
                JoinType::InnerJoin,
                A::Table,
                Expr::col((A::Table, A::Id)).equals((E::Table, E::ApplicationId)),
            )
            .and_where(Expr::col((A::Table, A::MunicipalityId)).eq(municipality))
            .and_where(Expr::col((A::Table, A::ApplicantUserId)).eq(user_id))
            .and_where(Expr::col((E::Table, E::ReadAt)).is_null())
            .and_where(Expr::col((E::Table, E::Internal)).eq(false))
            .and_where(Expr::col((E::Table, E::AuthorRole)).eq("staff"))
            .cond_where(Cond::any().add(Expr::col((E::Table, E::Kind)).is_in([
                "message",
                "correction_request",
                "decision",
            ])))
            .group_by_col((E::Table, E::ApplicationId)),
    )
    .await
}

// ---- municipality name (for mails) ----------------------------------------------------------

#[derive(sqlx::FromRow)]
pub struct NameRow {
    pub name_ja: String,
    pub name_en: String,
}

/// The municipality's names, read outside any transaction (the submission reads them before it
/// takes the write lock).
pub async fn municipality_name_of(
    db: &Db,
    municipality: &str,
) -> Result<Option<NameRow>, sqlx::Error> {
    db.fetch_optional(&names_of(municipality)).await
}

pub async fn municipality_name(
    tx: &mut Tx,
    municipality: &str,
) -> Result<Option<NameRow>, sqlx::Error> {
    tx.fetch_optional(&names_of(municipality)).await
}

fn names_of(municipality: &str) -> SelectStatement {
    Query::select()
        .columns([Municipalities::NameJa, Municipalities::NameEn])
        .from(Municipalities::Table)
        .and_where(Expr::col(Municipalities::Id).eq(municipality))
        .to_owned()
}

#[derive(sqlx::FromRow)]
pub struct AttachmentData {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// One attachment's bytes, only if it belongs to this application.
pub async fn attachment_data(
    db: &Db,
    application_id: i64,
    public_id: &str,
) -> Result<Option<AttachmentData>, sqlx::Error> {
    db.fetch_optional(
        Query::select()
            .columns([F::Filename, F::ContentType, F::Data])
            .from(F::Table)
            .and_where(Expr::col(F::ApplicationId).eq(application_id))
            .and_where(Expr::col(F::PublicId).eq(public_id)),
    )
    .await
}
