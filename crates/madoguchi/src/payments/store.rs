//! SQL for fees, payments, their events and processed webhooks (migration 0010; since 0018 a
//! payment is for an application or for a facility booking, `reservation_id`). Reads take the
//! municipality; writes take a `Tx` so the caller audits in the same transaction.

use sea_query::{Alias, Expr, ExprTrait, Iden, JoinType, OnConflict, Order, Query};

use crate::db::schema::{Applications as A, Procedures as P};
use crate::db::{Db, Tx};

#[derive(Iden, Clone, Copy)]
pub enum ApplicationFees {
    Table,
    ApplicationId,
    MunicipalityId,
    AmountYen,
    Source,
    DueBefore,
    SetBy,
    SetAt,
}

#[derive(Iden, Clone, Copy)]
pub enum ProcedurePaymentTiming {
    Table,
    ProcedureId,
    MunicipalityId,
    DueBefore,
}

#[derive(Iden, Clone, Copy)]
pub enum Payments {
    Table,
    Id,
    MunicipalityId,
    PublicId,
    ApplicationId,
    Provider,
    ProviderRef,
    AmountYen,
    State,
    NextUrl,
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
    ReservationId,
    RefundRequestedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum PaymentEvents {
    Table,
    Id,
    MunicipalityId,
    PaymentId,
    FromState,
    ToState,
    AmountYen,
    Source,
    At,
}

#[derive(Iden, Clone, Copy)]
pub enum PaymentWebhooks {
    Table,
    Provider,
    EventId,
    PaymentRef,
    ReceivedAt,
}

use ApplicationFees as Fe;
use PaymentEvents as Ev;
use PaymentWebhooks as Wh;
use Payments as Pa;

// ---- fees ----------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct FeeRow {
    pub application_id: i64,
    pub amount_yen: i64,
    /// `submission` or `staff`.
    pub source: String,
    /// `none`, `review` or `completion`.
    pub due_before: String,
    pub set_by: Option<i64>,
    pub set_at: i64,
}

fn fee_select(application_id: i64) -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Fe::ApplicationId,
            Fe::AmountYen,
            Fe::Source,
            Fe::DueBefore,
            Fe::SetBy,
            Fe::SetAt,
        ])
        .from(Fe::Table)
        .and_where(Expr::col(Fe::ApplicationId).eq(application_id))
        .to_owned()
}

pub async fn fee(db: &Db, application_id: i64) -> Result<Option<FeeRow>, sqlx::Error> {
    db.fetch_optional(&fee_select(application_id)).await
}

pub async fn fee_tx(tx: &mut Tx, application_id: i64) -> Result<Option<FeeRow>, sqlx::Error> {
    tx.fetch_optional(&fee_select(application_id)).await
}

pub struct NewFee<'a> {
    pub application_id: i64,
    pub municipality: &'a str,
    pub amount_yen: i64,
    pub source: &'a str,
    pub due_before: &'a str,
    pub set_by: Option<i64>,
    pub now: i64,
}

/// Inserts the fee, or replaces an existing one (staff correcting an unpaid fee).
pub async fn put_fee(tx: &mut Tx, f: &NewFee<'_>) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::insert()
            .into_table(Fe::Table)
            .columns([
                Fe::ApplicationId,
                Fe::MunicipalityId,
                Fe::AmountYen,
                Fe::Source,
                Fe::DueBefore,
                Fe::SetBy,
                Fe::SetAt,
            ])
            .values_panic([
                f.application_id.into(),
                f.municipality.into(),
                f.amount_yen.into(),
                f.source.into(),
                f.due_before.into(),
                f.set_by.into(),
                f.now.into(),
            ])
            .on_conflict(
                OnConflict::column(Fe::ApplicationId)
                    .update_columns([
                        Fe::AmountYen,
                        Fe::Source,
                        Fe::DueBefore,
                        Fe::SetBy,
                        Fe::SetAt,
                    ])
                    .to_owned(),
            ),
    )
    .await?;
    // The application's own column follows, so the API and the CSV show the fee owed.
    tx.execute(
        Query::update()
            .table(A::Table)
            .value(A::FeeYen, f.amount_yen)
            .value(A::UpdatedAt, f.now)
            .and_where(Expr::col(A::Id).eq(f.application_id)),
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct TimingRow {
    due_before: String,
}

/// When a fee fixed at submission of this procedure must be paid (`none` when not set).
pub async fn timing_tx(tx: &mut Tx, procedure_id: i64) -> Result<String, sqlx::Error> {
    let row: Option<TimingRow> = tx
        .fetch_optional(
            Query::select()
                .column(ProcedurePaymentTiming::DueBefore)
                .from(ProcedurePaymentTiming::Table)
                .and_where(Expr::col(ProcedurePaymentTiming::ProcedureId).eq(procedure_id)),
        )
        .await?;
    Ok(row.map_or_else(|| "none".to_owned(), |r| r.due_before))
}

pub async fn set_timing(
    tx: &mut Tx,
    municipality: &str,
    procedure_id: i64,
    due_before: &str,
) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::insert()
            .into_table(ProcedurePaymentTiming::Table)
            .columns([
                ProcedurePaymentTiming::ProcedureId,
                ProcedurePaymentTiming::MunicipalityId,
                ProcedurePaymentTiming::DueBefore,
            ])
            .values_panic([procedure_id.into(), municipality.into(), due_before.into()])
            .on_conflict(
                OnConflict::column(ProcedurePaymentTiming::ProcedureId)
                    .update_column(ProcedurePaymentTiming::DueBefore)
                    .to_owned(),
            ),
    )
    .await?;
    Ok(())
}

// ---- payments ------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: i64,
    pub municipality_id: String,
    pub public_id: String,
    /// The application whose fee this pays, or
    pub application_id: Option<i64>,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub amount_yen: i64,
    pub state: String,
    pub next_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub expires_at: i64,
    /// the facility booking whose fee this pays (exactly one of the two).
    pub reservation_id: Option<i64>,
    /// When Madoguchi decided to refund it in full ([`request_refund`]); the facilities job
    /// carries the refund out (`payments::service::carry_out_refunds`).
    pub refund_requested_at: Option<i64>,
}

const PAY_COLUMNS: [Pa; 14] = [
    Pa::Id,
    Pa::MunicipalityId,
    Pa::PublicId,
    Pa::ApplicationId,
    Pa::Provider,
    Pa::ProviderRef,
    Pa::AmountYen,
    Pa::State,
    Pa::NextUrl,
    Pa::CreatedAt,
    Pa::UpdatedAt,
    Pa::ExpiresAt,
    Pa::ReservationId,
    Pa::RefundRequestedAt,
];

fn pay_select() -> sea_query::SelectStatement {
    Query::select()
        .columns(PAY_COLUMNS)
        .from(Pa::Table)
        .to_owned()
}

pub async fn by_public(
    db: &Db,
    municipality: &str,
    public_id: &str,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    db.fetch_optional(
        pay_select()
            .and_where(Expr::col(Pa::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Pa::PublicId).eq(public_id)),
    )
    .await
}

pub async fn by_id_tx(tx: &mut Tx, id: i64) -> Result<Option<PaymentRow>, sqlx::Error> {
    tx.fetch_optional(pay_select().and_where(Expr::col(Pa::Id).eq(id)))
        .await
}

/// A payment by the provider's id (webhooks name payments that way).
pub async fn by_provider_ref(
    db: &Db,
    provider: &str,
    provider_ref: &str,
) -> Result<Option<PaymentRow>, sqlx::Error> {
    db.fetch_optional(
        pay_select()
            .and_where(Expr::col(Pa::Provider).eq(provider))
            .and_where(Expr::col(Pa::ProviderRef).eq(provider_ref)),
    )
    .await
}

/// An application's payments, newest first.
pub async fn of_application(db: &Db, application_id: i64) -> Result<Vec<PaymentRow>, sqlx::Error> {
    db.fetch_all(
        pay_select()
            .and_where(Expr::col(Pa::ApplicationId).eq(application_id))
            .order_by(Pa::Id, Order::Desc),
    )
    .await
}

pub async fn of_application_tx(
    tx: &mut Tx,
    application_id: i64,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    tx.fetch_all(
        pay_select()
            .and_where(Expr::col(Pa::ApplicationId).eq(application_id))
            .order_by(Pa::Id, Order::Desc),
    )
    .await
}

/// A facility booking's payments, newest first.
pub async fn of_reservation(db: &Db, reservation_id: i64) -> Result<Vec<PaymentRow>, sqlx::Error> {
    db.fetch_all(
        pay_select()
            .and_where(Expr::col(Pa::ReservationId).eq(reservation_id))
            .order_by(Pa::Id, Order::Desc),
    )
    .await
}

/// The payments of several facility bookings in one query, newest first (My Page).
pub async fn of_reservations(
    db: &Db,
    reservation_ids: &[i64],
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    if reservation_ids.is_empty() {
        return Ok(Vec::new());
    }
    db.fetch_all(
        pay_select()
            .and_where(Expr::col(Pa::ReservationId).is_in(reservation_ids.iter().copied()))
            .order_by(Pa::Id, Order::Desc),
    )
    .await
}

pub async fn of_reservation_tx(
    tx: &mut Tx,
    reservation_id: i64,
) -> Result<Vec<PaymentRow>, sqlx::Error> {
    tx.fetch_all(
        pay_select()
            .and_where(Expr::col(Pa::ReservationId).eq(reservation_id))
            .order_by(Pa::Id, Order::Desc),
    )
    .await
}

/// Marks a succeeded payment to be refunded in full. Only the first mark counts: returns
/// false when it was already marked or is not (or no longer) succeeded.
pub async fn request_refund(tx: &mut Tx, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let n = tx
        .execute(
            Query::update()
                .table(Pa::Table)
                .value(Pa::RefundRequestedAt, now)
                .and_where(Expr::col(Pa::Id).eq(id))
                .and_where(Expr::col(Pa::State).eq("succeeded"))
                .and_where(Expr::col(Pa::RefundRequestedAt).is_null()),
        )
        .await?;
    Ok(n == 1)
}

/// Which of the refunds still due to list or carry out.
#[derive(Debug, Clone, Copy)]
pub enum Due<'a> {
    /// Every municipality's (the facilities job).
    All,
    /// One municipality's (the staff page, the CLI).
    In(&'a str),
    /// Just this payment (right after a cancellation).
    Payment(i64),
}

/// Payments marked for a refund that has not happened yet, oldest mark first.
pub async fn refunds_due(db: &Db, due: Due<'_>) -> Result<Vec<PaymentRow>, sqlx::Error> {
    let mut q = pay_select();
    q.and_where(Expr::col(Pa::RefundRequestedAt).is_not_null())
        .and_where(Expr::col(Pa::State).eq("succeeded"))
        .order_by(Pa::RefundRequestedAt, Order::Asc)
        .order_by(Pa::Id, Order::Asc);
    match due {
        Due::All => {}
        Due::In(m) => {
            q.and_where(Expr::col(Pa::MunicipalityId).eq(m));
        }
        Due::Payment(id) => {
            q.and_where(Expr::col(Pa::Id).eq(id));
        }
    }
    db.fetch_all(&q).await
}

pub struct NewPayment<'a> {
    pub municipality: &'a str,
    pub public_id: &'a str,
    pub application_id: Option<i64>,
    pub reservation_id: Option<i64>,
    pub provider: &'a str,
    pub amount_yen: i64,
    pub now: i64,
    pub expires_at: i64,
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

pub async fn insert_payment(tx: &mut Tx, p: &NewPayment<'_>) -> Result<i64, sqlx::Error> {
    let row: IdRow = tx
        .fetch_one(
            Query::insert()
                .into_table(Pa::Table)
                .columns([
                    Pa::MunicipalityId,
                    Pa::PublicId,
                    Pa::ApplicationId,
                    Pa::Provider,
                    Pa::AmountYen,
                    Pa::State,
                    Pa::CreatedAt,
                    Pa::UpdatedAt,
                    Pa::ExpiresAt,
                    Pa::ReservationId,
                ])
                .values_panic([
                    p.municipality.into(),
                    p.public_id.into(),
                    p.application_id.into(),
                    p.provider.into(),
                    p.amount_yen.into(),
                    "created".into(),
                    p.now.into(),
                    p.now.into(),
                    p.expires_at.into(),
                    p.reservation_id.into(),
                ])
                .returning_col(Pa::Id),
        )
        .await?;
    Ok(row.id)
}

/// Records the provider's id and page for a payment still in `created`.
pub async fn set_provider_ref(
    tx: &mut Tx,
    id: i64,
    provider_ref: &str,
    next_url: &str,
    expires_at: i64,
    now: i64,
) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Pa::Table)
            .value(Pa::ProviderRef, provider_ref)
            .value(Pa::NextUrl, next_url)
            .value(Pa::ExpiresAt, expires_at)
            .value(Pa::UpdatedAt, now)
            .and_where(Expr::col(Pa::Id).eq(id))
            .and_where(Expr::col(Pa::ProviderRef).is_null()),
    )
    .await
}

/// Moves a payment from `from` to `to`, only if it is still in `from` (a concurrent update
/// loses instead of overwriting).
pub async fn set_state(
    tx: &mut Tx,
    id: i64,
    from: &str,
    to: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Pa::Table)
            .value(Pa::State, to)
            .value(Pa::UpdatedAt, now)
            .and_where(Expr::col(Pa::Id).eq(id))
            .and_where(Expr::col(Pa::State).eq(from)),
    )
    .await
}

pub struct NewEvent<'a> {
    pub municipality: &'a str,
    pub payment_id: i64,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub amount_yen: i64,
    pub source: &'a str,
    pub at: i64,
}

pub async fn insert_event(tx: &mut Tx, e: &NewEvent<'_>) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::insert()
            .into_table(Ev::Table)
            .columns([
                Ev::MunicipalityId,
                Ev::PaymentId,
                Ev::FromState,
                Ev::ToState,
                Ev::AmountYen,
                Ev::Source,
                Ev::At,
            ])
            .values_panic([
                e.municipality.into(),
                e.payment_id.into(),
                e.from_state.map(str::to_owned).into(),
                e.to_state.into(),
                e.amount_yen.into(),
                e.source.into(),
                e.at.into(),
            ]),
    )
    .await?;
    Ok(())
}

/// Remembers a webhook event id. Returns false when it was processed before (a replay).
pub async fn claim_webhook(
    tx: &mut Tx,
    provider: &str,
    event_id: &str,
    payment_ref: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = tx
        .execute(
            Query::insert()
                .into_table(Wh::Table)
                .columns([Wh::Provider, Wh::EventId, Wh::PaymentRef, Wh::ReceivedAt])
                .values_panic([
                    provider.into(),
                    event_id.into(),
                    payment_ref.into(),
                    now.into(),
                ])
                .on_conflict(
                    OnConflict::columns([Wh::Provider, Wh::EventId])
                        .do_nothing()
                        .to_owned(),
                ),
        )
        .await?;
    Ok(n == 1)
}

pub async fn webhook_seen(db: &Db, provider: &str, event_id: &str) -> Result<bool, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct One {
        n: i64,
    }
    let r: One = db
        .fetch_one(
            Query::select()
                .expr_as(Expr::col(Wh::EventId).count(), Alias::new("n"))
                .from(Wh::Table)
                .and_where(Expr::col(Wh::Provider).eq(provider))
                .and_where(Expr::col(Wh::EventId).eq(event_id)),
        )
        .await?;
    Ok(r.n > 0)
}

// ---- reconciliation ------------------------------------------------------------------------

/// One payment event with what the accounting CSV needs.
#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    pub event_id: i64,
    pub at: i64,
    pub from_state: Option<String>,
    pub to_state: String,
    pub amount_yen: i64,
    pub source: String,
    pub payment_public_id: String,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub receipt: String,
    pub procedure_name_ja: String,
}

/// The municipality's payment events with `from_ms <= at < to_ms`, in order.
pub async fn events_between(
    db: &Db,
    municipality: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<EventLine>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .expr_as(Expr::col((Ev::Table, Ev::Id)), Alias::new("event_id"))
            .column((Ev::Table, Ev::At))
            .column((Ev::Table, Ev::FromState))
            .column((Ev::Table, Ev::ToState))
            .column((Ev::Table, Ev::AmountYen))
            .column((Ev::Table, Ev::Source))
            .expr_as(
                Expr::col((Pa::Table, Pa::PublicId)),
                Alias::new("payment_public_id"),
            )
            .column((Pa::Table, Pa::Provider))
            .column((Pa::Table, Pa::ProviderRef))
            // A booking's payment has no application: its booking number and 施設使用料.
            .expr_as(
                Expr::cust("COALESCE(applications.receipt, fac_reservations.public_id)"),
                Alias::new("receipt"),
            )
            .expr_as(
                Expr::cust("COALESCE(procedures.name_ja, '施設使用料')"),
                Alias::new("procedure_name_ja"),
            )
            .from(Ev::Table)
            .join(
                JoinType::InnerJoin,
                Pa::Table,
                Expr::col((Pa::Table, Pa::Id)).equals((Ev::Table, Ev::PaymentId)),
            )
            .join(
                JoinType::LeftJoin,
                A::Table,
                Expr::col((A::Table, A::Id)).equals((Pa::Table, Pa::ApplicationId)),
            )
            .join(
                JoinType::LeftJoin,
                P::Table,
                Expr::col((P::Table, P::Id)).equals((A::Table, A::ProcedureId)),
            )
            .join(
                JoinType::LeftJoin,
                crate::facilities::store::FacReservations::Table,
                Expr::col((
                    crate::facilities::store::FacReservations::Table,
                    crate::facilities::store::FacReservations::Id,
                ))
                .equals((Pa::Table, Pa::ReservationId)),
            )
            .and_where(Expr::col((Ev::Table, Ev::MunicipalityId)).eq(municipality))
            .and_where(Expr::col((Ev::Table, Ev::At)).gte(from_ms))
            .and_where(Expr::col((Ev::Table, Ev::At)).lt(to_ms))
            .order_by((Ev::Table, Ev::Id), Order::Asc),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct MunicipalityOf {
    municipality_id: String,
}

/// The municipality a payment (by public id) belongs to, if it is ours at all.
pub async fn municipality_of_public(
    db: &Db,
    public_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let r: Option<MunicipalityOf> = db
        .fetch_optional(
            Query::select()
                .column(Pa::MunicipalityId)
                .from(Pa::Table)
                .and_where(Expr::col(Pa::PublicId).eq(public_id)),
        )
        .await?;
    Ok(r.map(|r| r.municipality_id))
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<PaymentRow>, sqlx::Error> {
    db.fetch_optional(pay_select().and_where(Expr::col(Pa::Id).eq(id)))
        .await
}
