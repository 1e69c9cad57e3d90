//! SQL of the debit module (migration 0014), sea-query, one code path for SQLite and PostgreSQL.
//! Reads take the municipality; writes take a `Tx` so the caller audits in the same transaction.

use sea_query::{Alias, Expr, ExprTrait, Iden, OnConflict, Order, Query};

use crate::db::{Db, Tx};

#[derive(Iden, Clone, Copy)]
pub enum Banks {
    Table,
    Code,
    Name,
    Kana,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum BankBranches {
    Table,
    BankCode,
    Code,
    Name,
    Kana,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum DebitBanks {
    Table,
    MunicipalityId,
    BankCode,
    Position,
}

#[derive(Iden, Clone, Copy)]
pub enum DebitItems {
    Table,
    MunicipalityId,
    Code,
    NameJa,
    NameEn,
    Position,
}

#[derive(Iden, Clone, Copy)]
pub enum DebitMandates {
    Table,
    Id,
    MunicipalityId,
    PublicId,
    ResidentId,
    Channel,
    CustomerNumber,
    BankCode,
    BranchCode,
    AccountType,
    AccountNumber,
    HolderKana,
    Status,
    StartsOn,
    BankNonce,
    BankExpiresAt,
    BankRef,
    CreatedAt,
    ActivatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum DebitMandateItems {
    Table,
    MandateId,
    ItemCode,
}

#[derive(Iden, Clone, Copy)]
pub enum DebitRequests {
    Table,
    Id,
    MunicipalityId,
    BankCode,
    DebitDate,
    FileName,
    Records,
    TotalYen,
    CreatedAt,
    ResultSha256,
    ResultImportedAt,
    PaidCount,
    PaidYen,
    UnpaidCount,
    UnpaidYen,
}

#[derive(Iden, Clone, Copy)]
pub enum DebitBills {
    Table,
    Id,
    MunicipalityId,
    CustomerNumber,
    ItemCode,
    AmountYen,
    DueDate,
    MandateId,
    ImportedAt,
    UpdatedAt,
}

/// Bills not yet requested (migration 0017: a bill's state lives in these narrow tables).
#[derive(Iden, Clone, Copy)]
pub enum DebitOpenBills {
    Table,
    BillId,
    MunicipalityId,
}

/// Which request file each requested bill went out in.
#[derive(Iden, Clone, Copy)]
pub enum DebitRequestBills {
    Table,
    BillId,
    RequestId,
    MandateId,
}

/// Bills the bank's result file reports as not paid.
#[derive(Iden, Clone, Copy)]
pub enum DebitUnpaid {
    Table,
    BillId,
    RequestId,
    ResultCode,
}

/// Mandates whose next request carries 新規コード 1.
#[derive(Iden, Clone, Copy)]
pub enum DebitFirstDebits {
    Table,
    MandateId,
}

/// The view of each bill's status, request and result code.
#[derive(Iden, Clone, Copy)]
pub enum DebitBillStates {
    Table,
    BillId,
    Status,
}

use BankBranches as Br;
use DebitBillStates as St;
use DebitBills as Bi;
use DebitFirstDebits as Fd;
use DebitMandateItems as Mi;
use DebitMandates as Ma;
use DebitOpenBills as Ob;
use DebitRequestBills as Rb;
use DebitRequests as Rq;
use DebitUnpaid as Up;

/// Rows per multi-row INSERT / id list (well under both databases' parameter limits).
pub const BATCH: usize = 2000;

// ---- bank master ----------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct BankRow {
    pub code: String,
    pub name: String,
    pub kana: String,
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct BranchRow {
    pub bank_code: String,
    pub code: String,
    pub name: String,
    pub kana: String,
}

pub async fn all_banks_tx(tx: &mut Tx) -> Result<Vec<BankRow>, sqlx::Error> {
    tx.fetch_all(
        Query::select()
            .columns([Banks::Code, Banks::Name, Banks::Kana])
            .from(Banks::Table)
            .order_by(Banks::Code, Order::Asc),
    )
    .await
}

pub async fn all_branches_tx(tx: &mut Tx) -> Result<Vec<BranchRow>, sqlx::Error> {
    tx.fetch_all(
        Query::select()
            .columns([Br::BankCode, Br::Code, Br::Name, Br::Kana])
            .from(Br::Table)
            .order_by(Br::BankCode, Order::Asc)
            .order_by(Br::Code, Order::Asc),
    )
    .await
}

pub async fn upsert_banks(tx: &mut Tx, rows: &[BankRow], now: i64) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(BATCH) {
        let mut q = Query::insert();
        q.into_table(Banks::Table).columns([
            Banks::Code,
            Banks::Name,
            Banks::Kana,
            Banks::UpdatedAt,
        ]);
        for b in chunk {
            q.values_panic([
                b.code.clone().into(),
                b.name.clone().into(),
                b.kana.clone().into(),
                now.into(),
            ]);
        }
        q.on_conflict(
            OnConflict::column(Banks::Code)
                .update_columns([Banks::Name, Banks::Kana, Banks::UpdatedAt])
                .to_owned(),
        );
        tx.execute(&q).await?;
    }
    Ok(())
}

pub async fn upsert_branches(tx: &mut Tx, rows: &[BranchRow], now: i64) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(BATCH) {
        let mut q = Query::insert();
        q.into_table(Br::Table).columns([
            Br::BankCode,
            Br::Code,
            Br::Name,
            Br::Kana,
            Br::UpdatedAt,
        ]);
        for b in chunk {
            q.values_panic([
                b.bank_code.clone().into(),
                b.code.clone().into(),
                b.name.clone().into(),
                b.kana.clone().into(),
                now.into(),
            ]);
        }
        q.on_conflict(
            OnConflict::columns([Br::BankCode, Br::Code])
                .update_columns([Br::Name, Br::Kana, Br::UpdatedAt])
                .to_owned(),
        );
        tx.execute(&q).await?;
    }
    Ok(())
}

pub async fn delete_branch(tx: &mut Tx, bank: &str, code: &str) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::delete()
            .from_table(Br::Table)
            .and_where(Expr::col(Br::BankCode).eq(bank))
            .and_where(Expr::col(Br::Code).eq(code)),
    )
    .await
    .map(|_| ())
}

pub async fn delete_bank(tx: &mut Tx, code: &str) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::delete()
            .from_table(Br::Table)
            .and_where(Expr::col(Br::BankCode).eq(code)),
    )
    .await?;
    tx.execute(
        Query::delete()
            .from_table(Banks::Table)
            .and_where(Expr::col(Banks::Code).eq(code)),
    )
    .await
    .map(|_| ())
}

pub async fn bank(db: &Db, code: &str) -> Result<Option<BankRow>, sqlx::Error> {
    db.fetch_optional(
        Query::select()
            .columns([Banks::Code, Banks::Name, Banks::Kana])
            .from(Banks::Table)
            .and_where(Expr::col(Banks::Code).eq(code)),
    )
    .await
}

pub async fn branch(db: &Db, bank: &str, code: &str) -> Result<Option<BranchRow>, sqlx::Error> {
    db.fetch_optional(
        Query::select()
            .columns([Br::BankCode, Br::Code, Br::Name, Br::Kana])
            .from(Br::Table)
            .and_where(Expr::col(Br::BankCode).eq(bank))
            .and_where(Expr::col(Br::Code).eq(code)),
    )
    .await
}

pub async fn branches_of(db: &Db, bank: &str) -> Result<Vec<BranchRow>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns([Br::BankCode, Br::Code, Br::Name, Br::Kana])
            .from(Br::Table)
            .and_where(Expr::col(Br::BankCode).eq(bank))
            .order_by(Br::Code, Order::Asc),
    )
    .await
}

pub async fn municipality_ids(tx: &mut Tx) -> Result<Vec<String>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct OneRow {
        id: String,
    }
    let rows: Vec<OneRow> = tx
        .fetch_all(
            Query::select()
                .column(crate::db::schema::Municipalities::Id)
                .from(crate::db::schema::Municipalities::Table)
                .order_by(crate::db::schema::Municipalities::Id, Order::Asc),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

// ---- the municipality's banks and items -----------------------------------------------------

/// The banks a municipality accepts, in order, with their names (banks missing from the master
/// are left out).
pub async fn accepted_banks(db: &Db, municipality: &str) -> Result<Vec<BankRow>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns([
                (Banks::Table, Banks::Code),
                (Banks::Table, Banks::Name),
                (Banks::Table, Banks::Kana),
            ])
            .from(DebitBanks::Table)
            .inner_join(
                Banks::Table,
                Expr::col((Banks::Table, Banks::Code))
                    .equals((DebitBanks::Table, DebitBanks::BankCode)),
            )
            .and_where(Expr::col((DebitBanks::Table, DebitBanks::MunicipalityId)).eq(municipality))
            .order_by((DebitBanks::Table, DebitBanks::Position), Order::Asc),
    )
    .await
}

pub async fn set_accepted_banks(
    tx: &mut Tx,
    municipality: &str,
    codes: &[&str],
) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::delete()
            .from_table(DebitBanks::Table)
            .and_where(Expr::col(DebitBanks::MunicipalityId).eq(municipality)),
    )
    .await?;
    if codes.is_empty() {
        return Ok(());
    }
    let mut q = Query::insert();
    q.into_table(DebitBanks::Table).columns([
        DebitBanks::MunicipalityId,
        DebitBanks::BankCode,
        DebitBanks::Position,
    ]);
    for (i, c) in codes.iter().enumerate() {
        q.values_panic([municipality.into(), (*c).into(), (i as i64).into()]);
    }
    tx.execute(&q).await.map(|_| ())
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct ItemRow {
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
}

pub async fn items(db: &Db, municipality: &str) -> Result<Vec<ItemRow>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns([DebitItems::Code, DebitItems::NameJa, DebitItems::NameEn])
            .from(DebitItems::Table)
            .and_where(Expr::col(DebitItems::MunicipalityId).eq(municipality))
            .order_by(DebitItems::Position, Order::Asc),
    )
    .await
}

pub async fn put_item(
    tx: &mut Tx,
    municipality: &str,
    position: i64,
    code: &str,
    ja: &str,
    en: &str,
) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::insert()
            .into_table(DebitItems::Table)
            .columns([
                DebitItems::MunicipalityId,
                DebitItems::Code,
                DebitItems::NameJa,
                DebitItems::NameEn,
                DebitItems::Position,
            ])
            .values_panic([
                municipality.into(),
                code.into(),
                ja.into(),
                en.into(),
                position.into(),
            ])
            .on_conflict(
                OnConflict::columns([DebitItems::MunicipalityId, DebitItems::Code])
                    .update_columns([DebitItems::NameJa, DebitItems::NameEn, DebitItems::Position])
                    .to_owned(),
            ),
    )
    .await
    .map(|_| ())
}

// ---- mandates -------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct MandateRow {
    pub id: i64,
    pub municipality_id: String,
    pub public_id: String,
    pub resident_id: Option<i64>,
    pub channel: String,
    pub customer_number: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: i64,
    pub account_number: String,
    pub holder_kana: String,
    pub status: String,
    pub starts_on: Option<String>,
    pub bank_nonce: Option<String>,
    pub bank_expires_at: Option<i64>,
    pub bank_ref: Option<String>,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub updated_at: i64,
}

fn mandate_select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Ma::Id,
            Ma::MunicipalityId,
            Ma::PublicId,
            Ma::ResidentId,
            Ma::Channel,
            Ma::CustomerNumber,
            Ma::BankCode,
            Ma::BranchCode,
            Ma::AccountType,
            Ma::AccountNumber,
            Ma::HolderKana,
            Ma::Status,
            Ma::StartsOn,
            Ma::BankNonce,
            Ma::BankExpiresAt,
            Ma::BankRef,
            Ma::CreatedAt,
            Ma::ActivatedAt,
            Ma::UpdatedAt,
        ])
        .from(Ma::Table)
        .to_owned()
}

pub struct NewMandate<'a> {
    pub municipality: &'a str,
    /// The 顧客番号 of a mandate taken on paper (the tax system's number); `None`: the id.
    pub customer_number: Option<&'a str>,
    pub public_id: &'a str,
    pub resident_id: Option<i64>,
    pub channel: &'a str,
    pub bank_code: &'a str,
    pub branch_code: &'a str,
    pub account_type: i64,
    pub account_number: &'a str,
    pub holder_kana: &'a str,
    pub status: &'a str,
    pub starts_on: Option<&'a str>,
    pub bank_nonce: Option<&'a str>,
    pub bank_expires_at: Option<i64>,
    pub activated_at: Option<i64>,
    pub items: &'a [String],
    pub now: i64,
}

/// Inserts a mandate and its items; its 顧客番号 is its id, zero-filled to 10 digits.
pub async fn insert_mandate(tx: &mut Tx, m: &NewMandate<'_>) -> Result<MandateRow, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let id: Id = tx
        .fetch_one(
            Query::insert()
                .into_table(Ma::Table)
                .columns([
                    Ma::MunicipalityId,
                    Ma::PublicId,
                    Ma::ResidentId,
                    Ma::Channel,
                    Ma::CustomerNumber,
                    Ma::BankCode,
                    Ma::BranchCode,
                    Ma::AccountType,
                    Ma::AccountNumber,
                    Ma::HolderKana,
                    Ma::Status,
                    Ma::StartsOn,
                    Ma::BankNonce,
                    Ma::BankExpiresAt,
                    Ma::CreatedAt,
                    Ma::ActivatedAt,
                    Ma::UpdatedAt,
                ])
                .values_panic([
                    m.municipality.into(),
                    m.public_id.into(),
                    m.resident_id.into(),
                    m.channel.into(),
                    format!("p{}", m.public_id).into(),
                    m.bank_code.into(),
                    m.branch_code.into(),
                    m.account_type.into(),
                    m.account_number.into(),
                    m.holder_kana.into(),
                    m.status.into(),
                    m.starts_on.map(str::to_owned).into(),
                    m.bank_nonce.map(str::to_owned).into(),
                    m.bank_expires_at.into(),
                    m.now.into(),
                    m.activated_at.into(),
                    m.now.into(),
                ])
                .returning(Query::returning().column(Ma::Id)),
        )
        .await?;
    let customer = m
        .customer_number
        .map_or_else(|| format!("{:010}", id.id), str::to_owned);
    tx.execute(
        Query::update()
            .table(Ma::Table)
            .value(Ma::CustomerNumber, customer)
            .and_where(Expr::col(Ma::Id).eq(id.id)),
    )
    .await?;
    if !m.items.is_empty() {
        let mut q = Query::insert();
        q.into_table(Mi::Table)
            .columns([Mi::MandateId, Mi::ItemCode]);
        for it in m.items {
            q.values_panic([id.id.into(), it.clone().into()]);
        }
        tx.execute(&q).await?;
    }
    tx.execute(
        Query::insert()
            .into_table(Fd::Table)
            .columns([Fd::MandateId])
            .values_panic([id.id.into()]),
    )
    .await?;
    tx.fetch_one(
        &mandate_select()
            .and_where(Expr::col(Ma::Id).eq(id.id))
            .to_owned(),
    )
    .await
}

pub async fn mandate_by_public(
    db: &Db,
    municipality: &str,
    public_id: &str,
) -> Result<Option<MandateRow>, sqlx::Error> {
    db.fetch_optional(
        &mandate_select()
            .and_where(Expr::col(Ma::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Ma::PublicId).eq(public_id))
            .to_owned(),
    )
    .await
}

pub async fn mandate_by_public_tx(
    tx: &mut Tx,
    municipality: &str,
    public_id: &str,
) -> Result<Option<MandateRow>, sqlx::Error> {
    tx.fetch_optional(
        &mandate_select()
            .and_where(Expr::col(Ma::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Ma::PublicId).eq(public_id))
            .to_owned(),
    )
    .await
}

pub async fn mandates_of_resident(
    db: &Db,
    municipality: &str,
    resident: i64,
) -> Result<Vec<MandateRow>, sqlx::Error> {
    db.fetch_all(
        &mandate_select()
            .and_where(Expr::col(Ma::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Ma::ResidentId).eq(resident))
            .order_by(Ma::Id, Order::Desc)
            .to_owned(),
    )
    .await
}

/// Staff search: by 顧客番号 (exact), holder kana or account number (contains), and status.
pub async fn search_mandates(
    db: &Db,
    municipality: &str,
    text: &str,
    status: Option<&str>,
    limit: u64,
) -> Result<Vec<MandateRow>, sqlx::Error> {
    let mut q = mandate_select()
        .and_where(Expr::col(Ma::MunicipalityId).eq(municipality))
        .order_by(Ma::Id, Order::Desc)
        .limit(limit)
        .to_owned();
    if let Some(s) = status {
        q.and_where(Expr::col(Ma::Status).eq(s));
    }
    let t = text.trim();
    if !t.is_empty() {
        let like = format!("%{}%", t.replace(['%', '_'], ""));
        q.cond_where(
            sea_query::Cond::any()
                .add(Expr::col(Ma::CustomerNumber).eq(t))
                .add(Expr::col(Ma::PublicId).eq(t))
                .add(Expr::col(Ma::HolderKana).like(like.clone()))
                .add(Expr::col(Ma::AccountNumber).like(like)),
        );
    }
    db.fetch_all(&q).await
}

pub async fn all_mandates(db: &Db, municipality: &str) -> Result<Vec<MandateRow>, sqlx::Error> {
    db.fetch_all(
        &mandate_select()
            .and_where(Expr::col(Ma::MunicipalityId).eq(municipality))
            .order_by(Ma::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

#[derive(sqlx::FromRow)]
struct ItemCodeRow {
    mandate_id: i64,
    item_code: String,
}

/// Item codes per mandate id.
pub async fn items_of(
    db: &Db,
    mandate_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<String>>, sqlx::Error> {
    let mut out: std::collections::HashMap<i64, Vec<String>> = Default::default();
    for chunk in mandate_ids.chunks(BATCH) {
        let rows: Vec<ItemCodeRow> = db
            .fetch_all(
                Query::select()
                    .columns([Mi::MandateId, Mi::ItemCode])
                    .from(Mi::Table)
                    .and_where(Expr::col(Mi::MandateId).is_in(chunk.iter().copied()))
                    .order_by(Mi::ItemCode, Order::Asc),
            )
            .await?;
        for r in rows {
            out.entry(r.mandate_id).or_default().push(r.item_code);
        }
    }
    Ok(out)
}

/// Activates a pending mandate whose outstanding nonce is `nonce` (one winner if two returns
/// race). Returns whether it changed.
pub async fn activate(
    tx: &mut Tx,
    id: i64,
    nonce: &str,
    starts_on: &str,
    bank_ref: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = tx
        .execute(
            Query::update()
                .table(Ma::Table)
                .value(Ma::Status, "active")
                .value(Ma::StartsOn, starts_on)
                .value(Ma::BankRef, bank_ref)
                .value(Ma::BankNonce, Option::<String>::None)
                .value(Ma::BankExpiresAt, Option::<i64>::None)
                .value(Ma::ActivatedAt, now)
                .value(Ma::UpdatedAt, now)
                .and_where(Expr::col(Ma::Id).eq(id))
                .and_where(Expr::col(Ma::Status).eq("pending"))
                .and_where(Expr::col(Ma::BankNonce).eq(nonce)),
        )
        .await?;
    Ok(n == 1)
}

/// Uses up the outstanding nonce of a pending mandate (the bank said cancel or error).
pub async fn clear_nonce(tx: &mut Tx, id: i64, nonce: &str, now: i64) -> Result<bool, sqlx::Error> {
    let n = tx
        .execute(
            Query::update()
                .table(Ma::Table)
                .value(Ma::BankNonce, Option::<String>::None)
                .value(Ma::BankExpiresAt, Option::<i64>::None)
                .value(Ma::UpdatedAt, now)
                .and_where(Expr::col(Ma::Id).eq(id))
                .and_where(Expr::col(Ma::Status).eq("pending"))
                .and_where(Expr::col(Ma::BankNonce).eq(nonce)),
        )
        .await?;
    Ok(n == 1)
}

/// A new outstanding nonce for a pending mandate (the resident tries the bank again).
pub async fn set_nonce(
    tx: &mut Tx,
    id: i64,
    nonce: &str,
    expires_at: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = tx
        .execute(
            Query::update()
                .table(Ma::Table)
                .value(Ma::BankNonce, nonce)
                .value(Ma::BankExpiresAt, expires_at)
                .value(Ma::UpdatedAt, now)
                .and_where(Expr::col(Ma::Id).eq(id))
                .and_where(Expr::col(Ma::Status).eq("pending")),
        )
        .await?;
    Ok(n == 1)
}

/// Staff moves: `from` → `to`, only if the mandate is still in `from`.
pub async fn set_status(
    tx: &mut Tx,
    id: i64,
    from: &str,
    to: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = tx
        .execute(
            Query::update()
                .table(Ma::Table)
                .value(Ma::Status, to)
                .value(Ma::BankNonce, Option::<String>::None)
                .value(Ma::UpdatedAt, now)
                .and_where(Expr::col(Ma::Id).eq(id))
                .and_where(Expr::col(Ma::Status).eq(from)),
        )
        .await?;
    Ok(n == 1)
}

/// Item codes already in a live (pending, active, suspended) mandate of the resident.
pub async fn live_items_of_resident(
    db: &Db,
    municipality: &str,
    resident: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<LiveItemRow> = db
        .fetch_all(&live_items_query(municipality, resident))
        .await?;
    Ok(rows.into_iter().map(|r| r.item_code).collect())
}

/// The live items of a resident inside a writing transaction, after locking the resident's
/// row (`users`): two confirmations of the same resident at the same moment are checked one
/// after the other, so an item cannot be taken twice (one account per item). On SQLite the
/// transaction is already the single writer (BEGIN IMMEDIATE); on PostgreSQL the row lock
/// holds until commit.
pub async fn lock_live_items_of_resident(
    tx: &mut Tx,
    municipality: &str,
    resident: i64,
) -> Result<Vec<String>, sqlx::Error> {
    use crate::db::schema::Users;
    tx.execute(
        &Query::update()
            .table(Users::Table)
            .value(Users::Id, Expr::col(Users::Id))
            .and_where(Expr::col(Users::Id).eq(resident))
            .to_owned(),
    )
    .await?;
    let rows: Vec<LiveItemRow> = tx
        .fetch_all(&live_items_query(municipality, resident))
        .await?;
    Ok(rows.into_iter().map(|r| r.item_code).collect())
}

#[derive(sqlx::FromRow)]
struct LiveItemRow {
    item_code: String,
}

fn live_items_query(municipality: &str, resident: i64) -> sea_query::SelectStatement {
    Query::select()
        .column((Mi::Table, Mi::ItemCode))
        .from(Mi::Table)
        .inner_join(
            Ma::Table,
            Expr::col((Ma::Table, Ma::Id)).equals((Mi::Table, Mi::MandateId)),
        )
        .and_where(Expr::col((Ma::Table, Ma::MunicipalityId)).eq(municipality))
        .and_where(Expr::col((Ma::Table, Ma::ResidentId)).eq(resident))
        .and_where(
            Expr::col((Ma::Table, Ma::Status))
                .is_in(["active", "suspended"])
                .or(Expr::col((Ma::Table, Ma::Status))
                    .eq("pending")
                    .and(Expr::col((Ma::Table, Ma::BankNonce)).is_not_null())),
        )
        .to_owned()
}

/// `activated_at` of every mandate registered on the web and confirmed by the bank.
pub async fn web_activations(db: &Db, municipality: &str) -> Result<Vec<i64>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct OneRow {
        activated_at: i64,
    }
    let rows: Vec<OneRow> = db
        .fetch_all(
            Query::select()
                .column(Ma::ActivatedAt)
                .from(Ma::Table)
                .and_where(Expr::col(Ma::MunicipalityId).eq(municipality))
                .and_where(Expr::col(Ma::Channel).eq("web"))
                .and_where(Expr::col(Ma::ActivatedAt).is_not_null()),
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.activated_at).collect())
}

// ---- bills ----------------------------------------------------------------------------------

/// What the bill import needs of a mandate: id, status and items, by 顧客番号.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct MandateKey {
    pub id: i64,
    pub customer_number: String,
    pub status: String,
    pub item_code: Option<String>,
}

pub async fn mandate_keys_tx(
    tx: &mut Tx,
    municipality: &str,
) -> Result<Vec<MandateKey>, sqlx::Error> {
    tx.fetch_all(
        Query::select()
            .columns([
                (Ma::Table, Ma::Id),
                (Ma::Table, Ma::CustomerNumber),
                (Ma::Table, Ma::Status),
            ])
            .column((Mi::Table, Mi::ItemCode))
            .from(Ma::Table)
            .left_join(
                Mi::Table,
                Expr::col((Mi::Table, Mi::MandateId)).equals((Ma::Table, Ma::Id)),
            )
            .and_where(Expr::col((Ma::Table, Ma::MunicipalityId)).eq(municipality)),
    )
    .await
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct BillKey {
    pub id: i64,
    pub customer_number: String,
    pub item_code: String,
    pub due_date: String,
    pub amount_yen: i64,
    pub status: String,
}

pub async fn bill_keys_tx(tx: &mut Tx, municipality: &str) -> Result<Vec<BillKey>, sqlx::Error> {
    tx.fetch_all(
        Query::select()
            .columns([
                (Bi::Table, Bi::Id),
                (Bi::Table, Bi::CustomerNumber),
                (Bi::Table, Bi::ItemCode),
                (Bi::Table, Bi::DueDate),
                (Bi::Table, Bi::AmountYen),
            ])
            .column((St::Table, St::Status))
            .from(Bi::Table)
            .inner_join(
                St::Table,
                Expr::col((St::Table, St::BillId)).equals((Bi::Table, Bi::Id)),
            )
            .and_where(Expr::col((Bi::Table, Bi::MunicipalityId)).eq(municipality)),
    )
    .await
}

pub struct NewBill {
    pub customer_number: String,
    pub item_code: String,
    pub amount_yen: i64,
    pub due_date: String,
    pub mandate_id: i64,
}

pub async fn insert_bills(
    tx: &mut Tx,
    municipality: &str,
    bills: &[NewBill],
    now: i64,
) -> Result<(), sqlx::Error> {
    for chunk in bills.chunks(BATCH) {
        let mut q = Query::insert();
        q.into_table(Bi::Table).columns([
            Bi::MunicipalityId,
            Bi::CustomerNumber,
            Bi::ItemCode,
            Bi::AmountYen,
            Bi::DueDate,
            Bi::MandateId,
            Bi::ImportedAt,
            Bi::UpdatedAt,
        ]);
        for b in chunk {
            q.values_panic([
                municipality.into(),
                b.customer_number.clone().into(),
                b.item_code.clone().into(),
                b.amount_yen.into(),
                b.due_date.clone().into(),
                b.mandate_id.into(),
                now.into(),
                now.into(),
            ]);
        }
        q.returning(Query::returning().column(Bi::Id));
        let ids: Vec<BillId> = tx.fetch_all(&q).await?;
        open_bills(tx, municipality, ids.iter().map(|b| b.id)).await?;
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct BillId {
    id: i64,
}

/// Puts bills in the export's queue (`debit_open_bills`).
pub async fn open_bills(
    tx: &mut Tx,
    municipality: &str,
    ids: impl IntoIterator<Item = i64>,
) -> Result<(), sqlx::Error> {
    let mut q = Query::insert();
    q.into_table(Ob::Table)
        .columns([Ob::BillId, Ob::MunicipalityId]);
    let mut any = false;
    for id in ids {
        q.values_panic([id.into(), municipality.into()]);
        any = true;
    }
    if any {
        tx.execute(&q).await?;
    }
    Ok(())
}

pub async fn set_bill_amount(
    tx: &mut Tx,
    id: i64,
    amount: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Bi::Table)
            .value(Bi::AmountYen, amount)
            .value(Bi::UpdatedAt, now)
            .and_where(Expr::col(Bi::Id).eq(id))
            .and_where(
                Expr::col(Bi::Id).in_subquery(
                    Query::select()
                        .column(Ob::BillId)
                        .from(Ob::Table)
                        .and_where(Expr::col(Ob::BillId).eq(id))
                        .to_owned(),
                ),
            ),
    )
    .await
    .map(|_| ())
}

/// A bill to request, with what its data record needs.
#[derive(Debug, Clone)]
pub struct DueBill {
    pub customer_number: String,
    pub amount_yen: i64,
    pub due_date: String,
    pub bank_code: String,
    pub branch_code: String,
    pub account_type: i64,
    pub account_number: String,
    pub holder_kana: String,
    pub first_debit: bool,
}

fn due_filter(
    q: &mut sea_query::SelectStatement,
    municipality: &str,
    date: Option<&str>,
    bank: Option<&str>,
    item: Option<&str>,
) {
    q.from(Ob::Table)
        .inner_join(
            Bi::Table,
            Expr::col((Bi::Table, Bi::Id)).equals((Ob::Table, Ob::BillId)),
        )
        .inner_join(
            Ma::Table,
            Expr::col((Ma::Table, Ma::Id)).equals((Bi::Table, Bi::MandateId)),
        )
        .and_where(Expr::col((Ob::Table, Ob::MunicipalityId)).eq(municipality))
        .and_where(Expr::col((Ma::Table, Ma::Status)).eq("active"))
        .and_where(Expr::col((Ma::Table, Ma::StartsOn)).lte(Expr::col((Bi::Table, Bi::DueDate))));
    if let Some(d) = date {
        q.and_where(Expr::col((Bi::Table, Bi::DueDate)).eq(d));
    }
    if let Some(b) = bank {
        q.and_where(Expr::col((Ma::Table, Ma::BankCode)).eq(b));
    }
    if let Some(i) = item {
        q.and_where(Expr::col((Bi::Table, Bi::ItemCode)).eq(i));
    }
}

/// A due bill as the database returns it (then sorted and turned into a [`DueBill`]). On SQLite
/// all of them come as ONE JSON array of arrays in this field order (`json_group_array`), read
/// with serde: sqlx's SQLite driver hands every row from its worker thread one by one, which
/// was half the time of an export of 100,000 debits (bench/debit.sh: select and build 0.77 s →
/// 0.39 s). PostgreSQL returns plain rows (its `json_agg` was slower than the binary rows).
#[derive(sqlx::FromRow, serde::Deserialize)]
struct DueRow {
    customer_number: String,
    amount_yen: i64,
    due_date: String,
    bank_code: String,
    branch_code: String,
    account_type: i64,
    account_number: String,
    holder_kana: String,
    /// 1 while the mandate's first debit is still to be requested.
    first_debit: i32,
    bill_id: i64,
}

/// The [`DueRow`] fields, in order, for SQLite's `json_array`.
const DUE_ROW_FIELDS: &str = "customer_number, amount_yen, due_date, bank_code, branch_code, \
     account_type, account_number, holder_kana, first_debit, bill_id";

/// Open bills of active mandates whose first debit date has come, narrowed by the options, in
/// bank, date, id order.
pub async fn due_bills(
    db: &Db,
    municipality: &str,
    date: Option<&str>,
    bank: Option<&str>,
    item: Option<&str>,
) -> Result<Vec<DueBill>, sqlx::Error> {
    let mut q = Query::select()
        .columns([
            (Bi::Table, Bi::CustomerNumber),
            (Bi::Table, Bi::AmountYen),
            (Bi::Table, Bi::DueDate),
        ])
        .columns([
            (Ma::Table, Ma::BankCode),
            (Ma::Table, Ma::BranchCode),
            (Ma::Table, Ma::AccountType),
            (Ma::Table, Ma::AccountNumber),
            (Ma::Table, Ma::HolderKana),
        ])
        .expr_as(
            Expr::case(Expr::col((Fd::Table, Fd::MandateId)).is_not_null(), 1).finally(0),
            Alias::new("first_debit"),
        )
        .expr_as(Expr::col((Bi::Table, Bi::Id)), Alias::new("bill_id"))
        .to_owned();
    due_filter(&mut q, municipality, date, bank, item);
    q.left_join(
        Fd::Table,
        Expr::col((Fd::Table, Fd::MandateId)).equals((Ma::Table, Ma::Id)),
    );
    let mut rows: Vec<DueRow> = match db.backend() {
        crate::db::Backend::Sqlite => {
            let all = Query::select()
                .expr(Expr::cust(format!(
                    "json_group_array(json_array({DUE_ROW_FIELDS}))"
                )))
                .from_subquery(q, Alias::new("due"))
                .to_owned();
            let (json,): (String,) = db
                .fetch_optional(&all)
                .await?
                .unwrap_or_else(|| ("[]".to_owned(),));
            serde_json::from_str(&json).map_err(|e| sqlx::Error::Decode(Box::new(e)))?
        }
        crate::db::Backend::Postgres => db.fetch_all(&q).await?,
    };
    // Sorted here rather than by the database: the same order on both, and cheaper than
    // SQLite's sort of the whole join.
    rows.sort_unstable_by(|a, b| {
        (&a.bank_code, &a.due_date, a.bill_id).cmp(&(&b.bank_code, &b.due_date, b.bill_id))
    });
    Ok(rows
        .into_iter()
        .map(|r| DueBill {
            customer_number: r.customer_number,
            amount_yen: r.amount_yen,
            due_date: r.due_date,
            bank_code: r.bank_code,
            branch_code: r.branch_code,
            account_type: r.account_type,
            account_number: r.account_number,
            holder_kana: r.holder_kana,
            first_debit: r.first_debit != 0,
        })
        .collect())
}

/// Puts in this request, in one INSERT … SELECT, the bills `due_bills` selects for this bank,
/// date and item, and takes them out of the open queue; returns how many (the caller compares
/// with the file it wrote).
pub async fn mark_due_requested(
    tx: &mut Tx,
    request_id: i64,
    municipality: &str,
    date: &str,
    bank: &str,
    item: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let mut due = Query::select()
        .column((Bi::Table, Bi::Id))
        .expr(Expr::val(request_id))
        .column((Bi::Table, Bi::MandateId))
        .to_owned();
    due_filter(&mut due, municipality, Some(date), Some(bank), item);
    let n = tx
        .execute(
            Query::insert()
                .into_table(Rb::Table)
                .columns([Rb::BillId, Rb::RequestId, Rb::MandateId])
                .select_from(due)
                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?,
        )
        .await?;
    if tx.backend() == crate::db::Backend::Postgres {
        // The rows just written have no statistics yet: PostgreSQL's planner would take this
        // request's bills for a few hundred and delete the first debits below one index probe
        // at a time (0.4 s of a 100,000-record export). ANALYZE (a sample, tens of ms) sees
        // this transaction's rows and lets it join them by hash. A second export running at
        // the same moment waits here (ANALYZE's lock) until the first commits: exports are
        // staff runs of a second or two.
        tx.execute_raw("ANALYZE debit_request_bills").await?;
    }
    tx.execute(
        Query::delete()
            .from_table(Ob::Table)
            .and_where(Expr::col(Ob::BillId).in_subquery(of_request(request_id))),
    )
    .await?;
    Ok(n)
}

/// The bill ids of a request.
fn of_request(request_id: i64) -> sea_query::SelectStatement {
    Query::select()
        .column(Rb::BillId)
        .from(Rb::Table)
        .and_where(Expr::col(Rb::RequestId).eq(request_id))
        .to_owned()
}

/// The first debit of the mandates in this request has been requested: later records carry
/// 新規コード 0.
pub async fn clear_first_debit_of_request(tx: &mut Tx, request_id: i64) -> Result<(), sqlx::Error> {
    let mandates = Query::select()
        .column(Rb::MandateId)
        .from(Rb::Table)
        .and_where(Expr::col(Rb::RequestId).eq(request_id))
        .to_owned();
    tx.execute(
        Query::delete()
            .from_table(Fd::Table)
            .and_where(Expr::col(Fd::MandateId).in_subquery(mandates)),
    )
    .await
    .map(|_| ())
}

/// Records a request file and marks its bills requested (only bills still open; returns how
/// many changed so the caller can refuse a race).
#[allow(clippy::too_many_arguments)]
pub async fn insert_request(
    tx: &mut Tx,
    municipality: &str,
    bank: &str,
    debit_date: &str,
    file_name: &str,
    records: i64,
    total: i64,
    now: i64,
) -> Result<i64, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Id {
        id: i64,
    }
    let r: Id = tx
        .fetch_one(
            Query::insert()
                .into_table(Rq::Table)
                .columns([
                    Rq::MunicipalityId,
                    Rq::BankCode,
                    Rq::DebitDate,
                    Rq::FileName,
                    Rq::Records,
                    Rq::TotalYen,
                    Rq::CreatedAt,
                ])
                .values_panic([
                    municipality.into(),
                    bank.into(),
                    debit_date.into(),
                    file_name.into(),
                    records.into(),
                    total.into(),
                    now.into(),
                ])
                .returning(Query::returning().column(Rq::Id)),
        )
        .await?;
    Ok(r.id)
}

pub async fn set_file_name(tx: &mut Tx, id: i64, name: &str) -> Result<(), sqlx::Error> {
    tx.execute(
        Query::update()
            .table(Rq::Table)
            .value(Rq::FileName, name)
            .and_where(Expr::col(Rq::Id).eq(id)),
    )
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub bank_code: String,
    pub debit_date: String,
    pub file_name: String,
    pub records: i64,
    pub total_yen: i64,
    pub created_at: i64,
    pub result_sha256: Option<String>,
    pub result_imported_at: Option<i64>,
    pub paid_count: Option<i64>,
    pub paid_yen: Option<i64>,
    pub unpaid_count: Option<i64>,
    pub unpaid_yen: Option<i64>,
}

fn request_select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Rq::Id,
            Rq::BankCode,
            Rq::DebitDate,
            Rq::FileName,
            Rq::Records,
            Rq::TotalYen,
            Rq::CreatedAt,
            Rq::ResultSha256,
            Rq::ResultImportedAt,
            Rq::PaidCount,
            Rq::PaidYen,
            Rq::UnpaidCount,
            Rq::UnpaidYen,
        ])
        .from(Rq::Table)
        .to_owned()
}

pub async fn requests(
    db: &Db,
    municipality: &str,
    limit: u64,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    db.fetch_all(
        &request_select()
            .and_where(Expr::col(Rq::MunicipalityId).eq(municipality))
            .order_by(Rq::Id, Order::Desc)
            .limit(limit)
            .to_owned(),
    )
    .await
}

/// Requests to this bank whose debit date ends in `-MM-DD` (the header carries MMDD only).
pub async fn requests_matching_tx(
    tx: &mut Tx,
    municipality: &str,
    bank: &str,
    mmdd: &str,
) -> Result<Vec<RequestRow>, sqlx::Error> {
    tx.fetch_all(
        &request_select()
            .and_where(Expr::col(Rq::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Rq::BankCode).eq(bank))
            .and_where(Expr::col(Rq::DebitDate).like(format!("%-{}-{}", &mmdd[..2], &mmdd[2..])))
            .order_by(Rq::Id, Order::Desc)
            .to_owned(),
    )
    .await
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct RequestedBill {
    pub id: i64,
    pub customer_number: String,
    pub amount_yen: i64,
}

pub async fn bills_of_request_tx(
    tx: &mut Tx,
    request_id: i64,
) -> Result<Vec<RequestedBill>, sqlx::Error> {
    tx.fetch_all(
        Query::select()
            .columns([
                (Bi::Table, Bi::Id),
                (Bi::Table, Bi::CustomerNumber),
                (Bi::Table, Bi::AmountYen),
            ])
            .from(Rb::Table)
            .inner_join(
                Bi::Table,
                Expr::col((Bi::Table, Bi::Id)).equals((Rb::Table, Rb::BillId)),
            )
            .and_where(Expr::col((Rb::Table, Rb::RequestId)).eq(request_id))
            .order_by((Rb::Table, Rb::BillId), Order::Asc),
    )
    .await
}

/// Records these bills of a request as not paid, with their 振替結果コード (not `0`). Every
/// other bill of the request counts as paid once `set_request_result` has run.
pub async fn set_unpaid(
    tx: &mut Tx,
    request_id: i64,
    bill_ids: &[i64],
    code: &str,
) -> Result<(), sqlx::Error> {
    for chunk in bill_ids.chunks(BATCH) {
        let mut q = Query::insert();
        q.into_table(Up::Table)
            .columns([Up::BillId, Up::RequestId, Up::ResultCode]);
        for id in chunk {
            q.values_panic([(*id).into(), request_id.into(), code.into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn set_request_result(
    tx: &mut Tx,
    id: i64,
    sha: &str,
    paid_count: i64,
    paid_yen: i64,
    unpaid_count: i64,
    unpaid_yen: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let n = tx
        .execute(
            Query::update()
                .table(Rq::Table)
                .value(Rq::ResultSha256, sha)
                .value(Rq::ResultImportedAt, now)
                .value(Rq::PaidCount, paid_count)
                .value(Rq::PaidYen, paid_yen)
                .value(Rq::UnpaidCount, unpaid_count)
                .value(Rq::UnpaidYen, unpaid_yen)
                .and_where(Expr::col(Rq::Id).eq(id))
                .and_where(Expr::col(Rq::ResultSha256).is_null()),
        )
        .await?;
    Ok(n == 1)
}

/// Bill counts per status (the staff overview).
pub async fn bill_counts(
    db: &Db,
    municipality: &str,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct OneRow {
        status: String,
        n: i64,
        yen: i64,
    }
    let rows: Vec<OneRow> = db
        .fetch_all(
            Query::select()
                .column((St::Table, St::Status))
                .expr_as(Expr::col((Bi::Table, Bi::Id)).count(), Alias::new("n"))
                .expr_as(
                    Expr::cust("CAST(COALESCE(SUM(debit_bills.amount_yen), 0) AS BIGINT)"),
                    Alias::new("yen"),
                )
                .from(Bi::Table)
                .inner_join(
                    St::Table,
                    Expr::col((St::Table, St::BillId)).equals((Bi::Table, Bi::Id)),
                )
                .and_where(Expr::col((Bi::Table, Bi::MunicipalityId)).eq(municipality))
                .group_by_col((St::Table, St::Status)),
        )
        .await?;
    Ok(rows.into_iter().map(|r| (r.status, r.n, r.yen)).collect())
}
