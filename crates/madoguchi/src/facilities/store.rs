//! SQL of the facilities module (migration 0015), sea-query, one code path for SQLite and
//! PostgreSQL. Writes take a `Tx` so the caller audits in the same transaction.

use sea_query::{Expr, ExprTrait, Iden, Order, Query, SelectStatement};

use crate::db::{Db, Tx};

#[derive(Iden, Clone, Copy)]
pub enum FacFacilities {
    Table,
    Id,
    MunicipalityId,
    Code,
    NameJa,
    NameEn,
    Kind,
    Address,
    Phone,
    AllowCommercial,
    AllowPolitical,
    AllowReligious,
    AllowFood,
    AllowIndividual,
    CitizensOnlyLottery,
    BookAheadDays,
    MaxPerMonth,
    CancelDays,
    OnlineRegistration,
    Position,
}

#[derive(Iden, Clone, Copy)]
pub enum FacRooms {
    Table,
    Id,
    FacilityId,
    Code,
    NameJa,
    NameEn,
    Capacity,
    OpensMin,
    ClosesMin,
    SlotMin,
    FeeCitizenYen,
    FeeOtherYen,
    Position,
}

#[derive(Iden, Clone, Copy)]
pub enum FacRoomAtoms {
    Table,
    RoomId,
    AtomId,
}

#[derive(Iden, Clone, Copy)]
pub enum FacUsers {
    Table,
    Id,
    MunicipalityId,
    UserNumber,
    ResidentId,
    Kind,
    Name,
    Citizen,
    Purposes,
    Members,
    ApplicationId,
    ValidUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum FacUserFacilities {
    Table,
    FacUserId,
    FacilityId,
    Approved,
    Reason,
}

#[derive(Iden, Clone, Copy)]
pub enum FacLegacyIds {
    Table,
    FacilityId,
    LegacyId,
    FacUserId,
    LinkedBy,
    LinkedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum FacReservations {
    Table,
    Id,
    MunicipalityId,
    PublicId,
    RoomId,
    FacUserId,
    StartsAt,
    EndsAt,
    Status,
    Purpose,
    FeeYen,
    Genmen,
    LotteryEntryId,
    ConfirmBy,
    CreatedAt,
    UpdatedAt,
    PayBy,
}

#[derive(Iden, Clone, Copy)]
pub enum FacReservationUnits {
    Table,
    ReservationId,
    AtomId,
    StartsAt,
    EndsAt,
}

#[derive(Iden, Clone, Copy)]
pub enum FacLotteries {
    Table,
    Id,
    MunicipalityId,
    FacilityId,
    TargetMonth,
    OpensAt,
    ClosesAt,
    DrawAt,
    ConfirmUntil,
    MaxEntries,
    CitizensOnly,
    Seed,
    SeedHash,
    Status,
    DrawnAt,
    CreatedAt,
    MaxWins,
}

#[derive(Iden, Clone, Copy)]
pub enum FacLotterySlots {
    Table,
    Id,
    LotteryId,
    RoomId,
    StartsAt,
    EndsAt,
}

#[derive(Iden, Clone, Copy)]
pub enum FacLotteryEntries {
    Table,
    Id,
    LotteryId,
    SlotId,
    FacUserId,
    Result,
    ReservationId,
    CreatedAt,
    Choice,
    FirstEntryId,
}

use FacFacilities as F;
use FacLotteries as L;
use FacLotteryEntries as LE;
use FacLotterySlots as LS;
use FacReservationUnits as U;
use FacReservations as Rv;
use FacRoomAtoms as A;
use FacRooms as R;
use FacUserFacilities as UF;
use FacUsers as Us;

/// Reservation states that hold their rooms ('unpaid': 支払待ち, until `pay_by`).
pub const LIVE: [&str; 4] = ["confirmed", "review", "won", "unpaid"];

// ---- facilities and rooms ---------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct FacilityRow {
    pub id: i64,
    pub municipality_id: String,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub kind: String,
    pub address: String,
    pub phone: String,
    pub allow_commercial: bool,
    pub allow_political: bool,
    pub allow_religious: bool,
    pub allow_food: bool,
    pub allow_individual: bool,
    pub citizens_only_lottery: bool,
    pub book_ahead_days: i64,
    pub max_per_month: i64,
    pub cancel_days: i64,
    pub online_registration: bool,
    pub position: i64,
}

impl FacilityRow {
    pub fn terms(&self) -> super::model::Terms {
        super::model::Terms {
            commercial: self.allow_commercial,
            political: self.allow_political,
            religious: self.allow_religious,
            food: self.allow_food,
            individual: self.allow_individual,
        }
    }
    pub fn rules(&self) -> super::model::Rules {
        super::model::Rules {
            book_ahead_days: self.book_ahead_days,
            max_per_month: self.max_per_month,
            cancel_days: self.cancel_days,
        }
    }
}

const F_COLS: [F; 19] = [
    F::Id,
    F::MunicipalityId,
    F::Code,
    F::NameJa,
    F::NameEn,
    F::Kind,
    F::Address,
    F::Phone,
    F::AllowCommercial,
    F::AllowPolitical,
    F::AllowReligious,
    F::AllowFood,
    F::AllowIndividual,
    F::CitizensOnlyLottery,
    F::BookAheadDays,
    F::MaxPerMonth,
    F::CancelDays,
    F::OnlineRegistration,
    F::Position,
];

fn facility_select() -> SelectStatement {
    Query::select()
        .columns(F_COLS.map(|c| (F::Table, c)))
        .from(F::Table)
        .order_by((F::Table, F::Position), Order::Asc)
        .order_by((F::Table, F::Id), Order::Asc)
        .to_owned()
}

pub async fn facilities(db: &Db, municipality: &str) -> Result<Vec<FacilityRow>, sqlx::Error> {
    db.fetch_all(
        &facility_select()
            .and_where(Expr::col((F::Table, F::MunicipalityId)).eq(municipality))
            .to_owned(),
    )
    .await
}

pub async fn facility(
    db: &Db,
    municipality: &str,
    id: i64,
) -> Result<Option<FacilityRow>, sqlx::Error> {
    db.fetch_optional(
        &facility_select()
            .and_where(Expr::col((F::Table, F::MunicipalityId)).eq(municipality))
            .and_where(Expr::col((F::Table, F::Id)).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn facility_tx(tx: &mut Tx, id: i64) -> Result<Option<FacilityRow>, sqlx::Error> {
    tx.fetch_optional(
        &facility_select()
            .and_where(Expr::col((F::Table, F::Id)).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn facility_by_code_tx(
    tx: &mut Tx,
    municipality: &str,
    code: &str,
) -> Result<Option<FacilityRow>, sqlx::Error> {
    tx.fetch_optional(
        &facility_select()
            .and_where(Expr::col((F::Table, F::MunicipalityId)).eq(municipality))
            .and_where(Expr::col((F::Table, F::Code)).eq(code))
            .to_owned(),
    )
    .await
}

/// Inserts a facility (every column but the id) and returns its id.
pub async fn insert_facility(tx: &mut Tx, f: &FacilityRow) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = tx
        .fetch_one(
            &Query::insert()
                .into_table(F::Table)
                .columns(F_COLS[1..].iter().copied())
                .values_panic([
                    f.municipality_id.clone().into(),
                    f.code.clone().into(),
                    f.name_ja.clone().into(),
                    f.name_en.clone().into(),
                    f.kind.clone().into(),
                    f.address.clone().into(),
                    f.phone.clone().into(),
                    f.allow_commercial.into(),
                    f.allow_political.into(),
                    f.allow_religious.into(),
                    f.allow_food.into(),
                    f.allow_individual.into(),
                    f.citizens_only_lottery.into(),
                    f.book_ahead_days.into(),
                    f.max_per_month.into(),
                    f.cancel_days.into(),
                    f.online_registration.into(),
                    f.position.into(),
                ])
                .returning_col(F::Id)
                .to_owned(),
        )
        .await?;
    Ok(id)
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct RoomRow {
    pub id: i64,
    pub facility_id: i64,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub capacity: i64,
    pub opens_min: i64,
    pub closes_min: i64,
    pub slot_min: i64,
    pub fee_citizen_yen: i64,
    pub fee_other_yen: i64,
    pub position: i64,
}

impl RoomRow {
    pub fn hours(&self) -> super::model::Hours {
        super::model::Hours {
            opens_min: self.opens_min,
            closes_min: self.closes_min,
            slot_min: self.slot_min,
        }
    }
}

const R_COLS: [R; 12] = [
    R::Id,
    R::FacilityId,
    R::Code,
    R::NameJa,
    R::NameEn,
    R::Capacity,
    R::OpensMin,
    R::ClosesMin,
    R::SlotMin,
    R::FeeCitizenYen,
    R::FeeOtherYen,
    R::Position,
];

fn room_select() -> SelectStatement {
    Query::select()
        .columns(R_COLS.map(|c| (R::Table, c)))
        .from(R::Table)
        .order_by((R::Table, R::Position), Order::Asc)
        .order_by((R::Table, R::Id), Order::Asc)
        .to_owned()
}

pub async fn rooms(db: &Db, facility: i64) -> Result<Vec<RoomRow>, sqlx::Error> {
    db.fetch_all(
        &room_select()
            .and_where(Expr::col((R::Table, R::FacilityId)).eq(facility))
            .to_owned(),
    )
    .await
}

pub async fn rooms_tx(tx: &mut Tx, facility: i64) -> Result<Vec<RoomRow>, sqlx::Error> {
    tx.fetch_all(
        &room_select()
            .and_where(Expr::col((R::Table, R::FacilityId)).eq(facility))
            .to_owned(),
    )
    .await
}

pub async fn room(db: &Db, id: i64) -> Result<Option<RoomRow>, sqlx::Error> {
    db.fetch_optional(
        &room_select()
            .and_where(Expr::col((R::Table, R::Id)).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn room_tx(tx: &mut Tx, id: i64) -> Result<Option<RoomRow>, sqlx::Error> {
    tx.fetch_optional(
        &room_select()
            .and_where(Expr::col((R::Table, R::Id)).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn insert_room(tx: &mut Tx, r: &RoomRow) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = tx
        .fetch_one(
            &Query::insert()
                .into_table(R::Table)
                .columns(R_COLS[1..].iter().copied())
                .values_panic([
                    r.facility_id.into(),
                    r.code.clone().into(),
                    r.name_ja.clone().into(),
                    r.name_en.clone().into(),
                    r.capacity.into(),
                    r.opens_min.into(),
                    r.closes_min.into(),
                    r.slot_min.into(),
                    r.fee_citizen_yen.into(),
                    r.fee_other_yen.into(),
                    r.position.into(),
                ])
                .returning_col(R::Id)
                .to_owned(),
        )
        .await?;
    Ok(id)
}

pub async fn insert_atom(tx: &mut Tx, room: i64, atom: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::insert()
            .into_table(A::Table)
            .columns([A::RoomId, A::AtomId])
            .values_panic([room.into(), atom.into()])
            .to_owned(),
    )
    .await
    .map(|_| ())
}

fn atoms_select(room: i64) -> SelectStatement {
    Query::select()
        .column(A::AtomId)
        .from(A::Table)
        .and_where(Expr::col(A::RoomId).eq(room))
        .order_by(A::AtomId, Order::Asc)
        .to_owned()
}

pub async fn atoms(db: &Db, room: i64) -> Result<Vec<i64>, sqlx::Error> {
    let v: Vec<(i64,)> = db.fetch_all(&atoms_select(room)).await?;
    Ok(v.into_iter().map(|r| r.0).collect())
}

pub async fn atoms_tx(tx: &mut Tx, room: i64) -> Result<Vec<i64>, sqlx::Error> {
    let v: Vec<(i64,)> = tx.fetch_all(&atoms_select(room)).await?;
    Ok(v.into_iter().map(|r| r.0).collect())
}

// ---- user IDs ---------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct FacUserRow {
    pub id: i64,
    pub municipality_id: String,
    pub user_number: String,
    pub resident_id: i64,
    pub kind: String,
    pub name: String,
    pub citizen: bool,
    pub purposes: String,
    pub members: i64,
    pub application_id: Option<i64>,
    pub valid_until: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl FacUserRow {
    pub fn purposes(&self) -> Vec<String> {
        serde_json::from_str(&self.purposes).unwrap_or_default()
    }
}

const US_COLS: [Us; 13] = [
    Us::Id,
    Us::MunicipalityId,
    Us::UserNumber,
    Us::ResidentId,
    Us::Kind,
    Us::Name,
    Us::Citizen,
    Us::Purposes,
    Us::Members,
    Us::ApplicationId,
    Us::ValidUntil,
    Us::CreatedAt,
    Us::UpdatedAt,
];

fn user_select() -> SelectStatement {
    Query::select()
        .columns(US_COLS)
        .from(Us::Table)
        .order_by(Us::Id, Order::Asc)
        .to_owned()
}

pub async fn user_of_resident(
    db: &Db,
    municipality: &str,
    resident: i64,
) -> Result<Option<FacUserRow>, sqlx::Error> {
    db.fetch_optional(
        &user_select()
            .and_where(Expr::col(Us::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Us::ResidentId).eq(resident))
            .to_owned(),
    )
    .await
}

pub async fn user_of_resident_tx(
    tx: &mut Tx,
    municipality: &str,
    resident: i64,
) -> Result<Option<FacUserRow>, sqlx::Error> {
    tx.fetch_optional(
        &user_select()
            .and_where(Expr::col(Us::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Us::ResidentId).eq(resident))
            .to_owned(),
    )
    .await
}

pub async fn user_by_number(
    db: &Db,
    municipality: &str,
    number: &str,
) -> Result<Option<FacUserRow>, sqlx::Error> {
    db.fetch_optional(
        &user_select()
            .and_where(Expr::col(Us::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Us::UserNumber).eq(number))
            .to_owned(),
    )
    .await
}

pub async fn users(db: &Db, municipality: &str) -> Result<Vec<FacUserRow>, sqlx::Error> {
    db.fetch_all(
        &user_select()
            .and_where(Expr::col(Us::MunicipalityId).eq(municipality))
            .to_owned(),
    )
    .await
}

/// Takes the user ID's row lock (PostgreSQL; the single writer does it on SQLite) so that two
/// bookings of one user ID are counted one after the other. Returns the row.
pub async fn lock_user(tx: &mut Tx, id: i64, now: i64) -> Result<Option<FacUserRow>, sqlx::Error> {
    tx.fetch_optional(
        &Query::update()
            .table(Us::Table)
            .value(Us::UpdatedAt, now)
            .and_where(Expr::col(Us::Id).eq(id))
            .returning(Query::returning().columns(US_COLS))
            .to_owned(),
    )
    .await
}

pub async fn insert_user(tx: &mut Tx, u: &FacUserRow) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = tx
        .fetch_one(
            &Query::insert()
                .into_table(Us::Table)
                .columns(US_COLS[1..].iter().copied())
                .values_panic([
                    u.municipality_id.clone().into(),
                    u.user_number.clone().into(),
                    u.resident_id.into(),
                    u.kind.clone().into(),
                    u.name.clone().into(),
                    u.citizen.into(),
                    u.purposes.clone().into(),
                    u.members.into(),
                    u.application_id.into(),
                    u.valid_until.clone().into(),
                    u.created_at.into(),
                    u.updated_at.into(),
                ])
                .returning_col(Us::Id)
                .to_owned(),
        )
        .await?;
    Ok(id)
}

/// Replaces the registration details of a user ID (renewal, a new registration by the same
/// resident); the number stays.
pub async fn update_user(tx: &mut Tx, u: &FacUserRow) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Us::Table)
            .value(Us::Kind, u.kind.clone())
            .value(Us::Name, u.name.clone())
            .value(Us::Citizen, u.citizen)
            .value(Us::Purposes, u.purposes.clone())
            .value(Us::Members, u.members)
            .value(Us::ApplicationId, u.application_id)
            .value(Us::ValidUntil, u.valid_until.clone())
            .value(Us::UpdatedAt, u.updated_at)
            .and_where(Expr::col(Us::Id).eq(u.id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

pub async fn set_valid_until(
    tx: &mut Tx,
    id: i64,
    until: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Us::Table)
            .value(Us::ValidUntil, until)
            .value(Us::UpdatedAt, now)
            .and_where(Expr::col(Us::Id).eq(id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

pub async fn set_user_facility(
    tx: &mut Tx,
    user: i64,
    facility: i64,
    approved: bool,
    reason: &str,
) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::delete()
            .from_table(UF::Table)
            .and_where(Expr::col(UF::FacUserId).eq(user))
            .and_where(Expr::col(UF::FacilityId).eq(facility))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Query::insert()
            .into_table(UF::Table)
            .columns([UF::FacUserId, UF::FacilityId, UF::Approved, UF::Reason])
            .values_panic([user.into(), facility.into(), approved.into(), reason.into()])
            .to_owned(),
    )
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    pub facility_id: i64,
    pub approved: bool,
    pub reason: String,
}

pub async fn approvals(db: &Db, user: i64) -> Result<Vec<ApprovalRow>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns([UF::FacilityId, UF::Approved, UF::Reason])
            .from(UF::Table)
            .and_where(Expr::col(UF::FacUserId).eq(user))
            .order_by(UF::FacilityId, Order::Asc)
            .to_owned(),
    )
    .await
}

pub async fn approved_tx(tx: &mut Tx, user: i64, facility: i64) -> Result<bool, sqlx::Error> {
    let v: Option<(bool,)> = tx
        .fetch_optional(
            &Query::select()
                .column(UF::Approved)
                .from(UF::Table)
                .and_where(Expr::col(UF::FacUserId).eq(user))
                .and_where(Expr::col(UF::FacilityId).eq(facility))
                .to_owned(),
        )
        .await?;
    Ok(v.is_some_and(|r| r.0))
}

pub async fn link_legacy(
    tx: &mut Tx,
    facility: i64,
    legacy: &str,
    user: i64,
    by: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::insert()
            .into_table(FacLegacyIds::Table)
            .columns([
                FacLegacyIds::FacilityId,
                FacLegacyIds::LegacyId,
                FacLegacyIds::FacUserId,
                FacLegacyIds::LinkedBy,
                FacLegacyIds::LinkedAt,
            ])
            .values_panic([
                facility.into(),
                legacy.into(),
                user.into(),
                by.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await
    .map(|_| ())
}

pub async fn legacy_ids(db: &Db, user: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns([FacLegacyIds::FacilityId, FacLegacyIds::LegacyId])
            .from(FacLegacyIds::Table)
            .and_where(Expr::col(FacLegacyIds::FacUserId).eq(user))
            .order_by(FacLegacyIds::FacilityId, Order::Asc)
            .to_owned(),
    )
    .await
}

// ---- reservations -----------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct ReservationRow {
    pub id: i64,
    pub municipality_id: String,
    pub public_id: String,
    pub room_id: i64,
    pub fac_user_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub status: String,
    pub purpose: String,
    pub fee_yen: i64,
    pub genmen: Option<String>,
    pub lottery_entry_id: Option<i64>,
    pub confirm_by: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// While 'unpaid': the booking is released when it is not paid by then.
    pub pay_by: Option<i64>,
}

const RV_COLS: [Rv; 16] = [
    Rv::Id,
    Rv::MunicipalityId,
    Rv::PublicId,
    Rv::RoomId,
    Rv::FacUserId,
    Rv::StartsAt,
    Rv::EndsAt,
    Rv::Status,
    Rv::Purpose,
    Rv::FeeYen,
    Rv::Genmen,
    Rv::LotteryEntryId,
    Rv::ConfirmBy,
    Rv::CreatedAt,
    Rv::UpdatedAt,
    Rv::PayBy,
];

fn reservation_select() -> SelectStatement {
    Query::select()
        .columns(RV_COLS)
        .from(Rv::Table)
        .order_by(Rv::StartsAt, Order::Asc)
        .order_by(Rv::Id, Order::Asc)
        .to_owned()
}

pub async fn reservation_tx(
    tx: &mut Tx,
    municipality: &str,
    public_id: &str,
) -> Result<Option<ReservationRow>, sqlx::Error> {
    tx.fetch_optional(
        &reservation_select()
            .and_where(Expr::col(Rv::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Rv::PublicId).eq(public_id))
            .to_owned(),
    )
    .await
}

pub async fn reservation(
    db: &Db,
    municipality: &str,
    public_id: &str,
) -> Result<Option<ReservationRow>, sqlx::Error> {
    db.fetch_optional(
        &reservation_select()
            .and_where(Expr::col(Rv::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Rv::PublicId).eq(public_id))
            .to_owned(),
    )
    .await
}

/// The resident (account id) whose user ID holds a booking of the municipality.
pub async fn owner_of_reservation(
    db: &Db,
    municipality: &str,
    reservation: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let v: Option<(i64,)> = db
        .fetch_optional(
            &Query::select()
                .column((Us::Table, Us::ResidentId))
                .from(Rv::Table)
                .inner_join(
                    Us::Table,
                    Expr::col((Us::Table, Us::Id)).equals((Rv::Table, Rv::FacUserId)),
                )
                .and_where(Expr::col((Rv::Table, Rv::Id)).eq(reservation))
                .and_where(Expr::col((Rv::Table, Rv::MunicipalityId)).eq(municipality))
                .to_owned(),
        )
        .await?;
    Ok(v.map(|r| r.0))
}

pub async fn reservation_by_id(db: &Db, id: i64) -> Result<Option<ReservationRow>, sqlx::Error> {
    db.fetch_optional(
        &reservation_select()
            .and_where(Expr::col(Rv::Id).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn reservation_by_id_tx(
    tx: &mut Tx,
    id: i64,
) -> Result<Option<ReservationRow>, sqlx::Error> {
    tx.fetch_optional(
        &reservation_select()
            .and_where(Expr::col(Rv::Id).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn reservations_of_user(db: &Db, user: i64) -> Result<Vec<ReservationRow>, sqlx::Error> {
    db.fetch_all(
        &reservation_select()
            .and_where(Expr::col(Rv::FacUserId).eq(user))
            .to_owned(),
    )
    .await
}

pub async fn reservations_in_review(
    db: &Db,
    municipality: &str,
) -> Result<Vec<ReservationRow>, sqlx::Error> {
    db.fetch_all(
        &reservation_select()
            .and_where(Expr::col(Rv::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Rv::Status).eq("review"))
            .to_owned(),
    )
    .await
}

/// Unpaid bookings whose payment deadline has passed.
pub async fn overdue_unpaid(db: &Db, now: i64) -> Result<Vec<ReservationRow>, sqlx::Error> {
    db.fetch_all(
        &reservation_select()
            .and_where(Expr::col(Rv::Status).eq("unpaid"))
            .and_where(Expr::col(Rv::PayBy).lt(now))
            .to_owned(),
    )
    .await
}

/// Moves a booking from `from` to 'unpaid' with its payment deadline; 0 rows when it was not in
/// `from`.
pub async fn set_unpaid(
    tx: &mut Tx,
    id: i64,
    from: &str,
    pay_by: i64,
    now: i64,
) -> Result<u64, sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Rv::Table)
            .value(Rv::Status, "unpaid")
            .value(Rv::PayBy, pay_by)
            .value(Rv::UpdatedAt, now)
            .and_where(Expr::col(Rv::Id).eq(id))
            .and_where(Expr::col(Rv::Status).eq(from))
            .to_owned(),
    )
    .await
}

/// Won lottery bookings whose confirmation deadline has passed.
pub async fn unconfirmed_wins(db: &Db, now: i64) -> Result<Vec<ReservationRow>, sqlx::Error> {
    db.fetch_all(
        &reservation_select()
            .and_where(Expr::col(Rv::Status).eq("won"))
            .and_where(Expr::col(Rv::ConfirmBy).lt(now))
            .to_owned(),
    )
    .await
}

/// Live bookings of a user ID starting in [from, to) (the monthly limit).
pub async fn count_live(
    tx: &mut Tx,
    user: i64,
    from: i64,
    to: i64,
    except: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let mut q = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(Rv::Table)
        .and_where(Expr::col(Rv::FacUserId).eq(user))
        .and_where(Expr::col(Rv::Status).is_in(LIVE))
        .and_where(Expr::col(Rv::StartsAt).gte(from))
        .and_where(Expr::col(Rv::StartsAt).lt(to))
        .to_owned();
    if let Some(id) = except {
        q.and_where(Expr::col(Rv::Id).ne(id));
    }
    let (n,): (i64,) = tx.fetch_one(&q).await?;
    Ok(n)
}

/// How many live units overlap [start, end) on any of the atoms.
pub async fn overlapping(
    tx: &mut Tx,
    atoms: &[i64],
    start: i64,
    end: i64,
    except: Option<i64>,
) -> Result<i64, sqlx::Error> {
    let mut q = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(U::Table)
        .and_where(Expr::col(U::AtomId).is_in(atoms.iter().copied()))
        .and_where(Expr::col(U::StartsAt).lt(end))
        .and_where(Expr::col(U::EndsAt).gt(start))
        .to_owned();
    if let Some(id) = except {
        q.and_where(Expr::col(U::ReservationId).ne(id));
    }
    let (n,): (i64,) = tx.fetch_one(&q).await?;
    Ok(n)
}

/// Busy intervals on any of the atoms within [from, to): (start, end).
pub async fn busy(
    db: &Db,
    atoms: &[i64],
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns([U::StartsAt, U::EndsAt])
            .from(U::Table)
            .and_where(Expr::col(U::AtomId).is_in(atoms.iter().copied()))
            .and_where(Expr::col(U::StartsAt).lt(to))
            .and_where(Expr::col(U::EndsAt).gt(from))
            .to_owned(),
    )
    .await
}

/// Lottery slots of lotteries not yet drawn that share an atom with `atoms` and overlap.
pub async fn open_lottery_slots(
    db_or_tx: &mut Tx,
    atoms: &[i64],
    start: i64,
    end: i64,
) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = db_or_tx
        .fetch_one(&open_lottery_query(atoms, start, end))
        .await?;
    Ok(n)
}

fn open_lottery_query(atoms: &[i64], start: i64, end: i64) -> SelectStatement {
    Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(LS::Table)
        .inner_join(
            L::Table,
            Expr::col((L::Table, L::Id)).equals((LS::Table, LS::LotteryId)),
        )
        .inner_join(
            A::Table,
            Expr::col((A::Table, A::RoomId)).equals((LS::Table, LS::RoomId)),
        )
        .and_where(Expr::col((L::Table, L::Status)).eq("open"))
        .and_where(Expr::col((A::Table, A::AtomId)).is_in(atoms.iter().copied()))
        .and_where(Expr::col((LS::Table, LS::StartsAt)).lt(end))
        .and_where(Expr::col((LS::Table, LS::EndsAt)).gt(start))
        .to_owned()
}

/// Intervals of open lottery slots on these atoms within [from, to).
pub async fn lottery_blocked(
    db: &Db,
    atoms: &[i64],
    from: i64,
    to: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns([(LS::Table, LS::StartsAt), (LS::Table, LS::EndsAt)])
            .from(LS::Table)
            .inner_join(
                L::Table,
                Expr::col((L::Table, L::Id)).equals((LS::Table, LS::LotteryId)),
            )
            .inner_join(
                A::Table,
                Expr::col((A::Table, A::RoomId)).equals((LS::Table, LS::RoomId)),
            )
            .and_where(Expr::col((L::Table, L::Status)).eq("open"))
            .and_where(Expr::col((A::Table, A::AtomId)).is_in(atoms.iter().copied()))
            .and_where(Expr::col((LS::Table, LS::StartsAt)).lt(to))
            .and_where(Expr::col((LS::Table, LS::EndsAt)).gt(from))
            .to_owned(),
    )
    .await
}

pub struct NewReservation<'a> {
    pub municipality: &'a str,
    pub public_id: &'a str,
    pub room: i64,
    pub user: i64,
    pub start: i64,
    pub end: i64,
    pub status: &'a str,
    pub purpose: &'a str,
    pub fee: i64,
    pub genmen: Option<&'a str>,
    pub lottery_entry: Option<i64>,
    pub confirm_by: Option<i64>,
    pub pay_by: Option<i64>,
    pub now: i64,
}

pub async fn insert_reservation(tx: &mut Tx, n: &NewReservation<'_>) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = tx
        .fetch_one(
            &Query::insert()
                .into_table(Rv::Table)
                .columns(RV_COLS[1..].iter().copied())
                .values_panic([
                    n.municipality.into(),
                    n.public_id.into(),
                    n.room.into(),
                    n.user.into(),
                    n.start.into(),
                    n.end.into(),
                    n.status.into(),
                    n.purpose.into(),
                    n.fee.into(),
                    n.genmen.map(str::to_owned).into(),
                    n.lottery_entry.into(),
                    n.confirm_by.into(),
                    n.now.into(),
                    n.now.into(),
                    n.pay_by.into(),
                ])
                .returning_col(Rv::Id)
                .to_owned(),
        )
        .await?;
    Ok(id)
}

/// One unit row per atom: the database refuses an overlap here (see the migration).
pub async fn insert_units(
    tx: &mut Tx,
    reservation: i64,
    atoms: &[i64],
    start: i64,
    end: i64,
) -> Result<(), sqlx::Error> {
    let mut q = Query::insert()
        .into_table(U::Table)
        .columns([U::ReservationId, U::AtomId, U::StartsAt, U::EndsAt])
        .to_owned();
    for a in atoms {
        q.values_panic([reservation.into(), (*a).into(), start.into(), end.into()]);
    }
    tx.execute(&q).await.map(|_| ())
}

pub async fn delete_units(tx: &mut Tx, reservation: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::delete()
            .from_table(U::Table)
            .and_where(Expr::col(U::ReservationId).eq(reservation))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

/// Moves a reservation from one state to another; 0 rows when it was not in `from`.
pub async fn set_status(
    tx: &mut Tx,
    id: i64,
    from: &str,
    to: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Rv::Table)
            .value(Rv::Status, to)
            .value(Rv::UpdatedAt, now)
            .and_where(Expr::col(Rv::Id).eq(id))
            .and_where(Expr::col(Rv::Status).eq(from))
            .to_owned(),
    )
    .await
}

pub async fn set_time(
    tx: &mut Tx,
    id: i64,
    start: i64,
    end: i64,
    fee: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Rv::Table)
            .value(Rv::StartsAt, start)
            .value(Rv::EndsAt, end)
            .value(Rv::FeeYen, fee)
            .value(Rv::UpdatedAt, now)
            .and_where(Expr::col(Rv::Id).eq(id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

/// All live units (for the invariant checks of the tests and `facilities check`).
pub async fn all_units(db: &Db) -> Result<Vec<(i64, i64, i64, i64)>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns([U::ReservationId, U::AtomId, U::StartsAt, U::EndsAt])
            .from(U::Table)
            .order_by(U::AtomId, Order::Asc)
            .order_by(U::StartsAt, Order::Asc)
            .to_owned(),
    )
    .await
}

// ---- lotteries --------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct LotteryRow {
    pub id: i64,
    pub municipality_id: String,
    pub facility_id: i64,
    pub target_month: String,
    pub opens_at: i64,
    pub closes_at: i64,
    pub draw_at: i64,
    pub confirm_until: i64,
    pub max_entries: i64,
    pub citizens_only: bool,
    pub seed: String,
    pub seed_hash: String,
    pub status: String,
    pub drawn_at: Option<i64>,
    pub created_at: i64,
    /// Slots one user ID can win (NULL: no maximum).
    pub max_wins: Option<i64>,
}

const L_COLS: [L; 16] = [
    L::Id,
    L::MunicipalityId,
    L::FacilityId,
    L::TargetMonth,
    L::OpensAt,
    L::ClosesAt,
    L::DrawAt,
    L::ConfirmUntil,
    L::MaxEntries,
    L::CitizensOnly,
    L::Seed,
    L::SeedHash,
    L::Status,
    L::DrawnAt,
    L::CreatedAt,
    L::MaxWins,
];

fn lottery_select() -> SelectStatement {
    Query::select()
        .columns(L_COLS)
        .from(L::Table)
        .order_by(L::DrawAt, Order::Asc)
        .order_by(L::Id, Order::Asc)
        .to_owned()
}

pub async fn lotteries(db: &Db, municipality: &str) -> Result<Vec<LotteryRow>, sqlx::Error> {
    db.fetch_all(
        &lottery_select()
            .and_where(Expr::col(L::MunicipalityId).eq(municipality))
            .to_owned(),
    )
    .await
}

pub async fn lottery(db: &Db, id: i64) -> Result<Option<LotteryRow>, sqlx::Error> {
    db.fetch_optional(
        &lottery_select()
            .and_where(Expr::col(L::Id).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn lottery_tx(tx: &mut Tx, id: i64) -> Result<Option<LotteryRow>, sqlx::Error> {
    tx.fetch_optional(
        &lottery_select()
            .and_where(Expr::col(L::Id).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn lottery_for(
    db: &Db,
    facility: i64,
    month: &str,
) -> Result<Option<LotteryRow>, sqlx::Error> {
    db.fetch_optional(
        &lottery_select()
            .and_where(Expr::col(L::FacilityId).eq(facility))
            .and_where(Expr::col(L::TargetMonth).eq(month))
            .to_owned(),
    )
    .await
}

/// Open lotteries whose draw time has come.
pub async fn due_lotteries(db: &Db, now: i64) -> Result<Vec<LotteryRow>, sqlx::Error> {
    db.fetch_all(
        &lottery_select()
            .and_where(Expr::col(L::Status).eq("open"))
            .and_where(Expr::col(L::DrawAt).lte(now))
            .to_owned(),
    )
    .await
}

pub async fn insert_lottery(tx: &mut Tx, l: &LotteryRow) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = tx
        .fetch_one(
            &Query::insert()
                .into_table(L::Table)
                .columns(L_COLS[1..].iter().copied())
                .values_panic([
                    l.municipality_id.clone().into(),
                    l.facility_id.into(),
                    l.target_month.clone().into(),
                    l.opens_at.into(),
                    l.closes_at.into(),
                    l.draw_at.into(),
                    l.confirm_until.into(),
                    l.max_entries.into(),
                    l.citizens_only.into(),
                    l.seed.clone().into(),
                    l.seed_hash.clone().into(),
                    l.status.clone().into(),
                    l.drawn_at.into(),
                    l.created_at.into(),
                    l.max_wins.into(),
                ])
                .returning_col(L::Id)
                .to_owned(),
        )
        .await?;
    Ok(id)
}

/// Marks a lottery drawn; 0 rows when it already was (the draw runs once).
pub async fn set_drawn(tx: &mut Tx, id: i64, now: i64) -> Result<u64, sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(L::Table)
            .value(L::Status, "drawn")
            .value(L::DrawnAt, now)
            .and_where(Expr::col(L::Id).eq(id))
            .and_where(Expr::col(L::Status).eq("open"))
            .to_owned(),
    )
    .await
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct SlotRow {
    pub id: i64,
    pub lottery_id: i64,
    pub room_id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
}

pub async fn insert_slot(
    tx: &mut Tx,
    lottery: i64,
    room: i64,
    start: i64,
    end: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = tx
        .fetch_one(
            &Query::insert()
                .into_table(LS::Table)
                .columns([LS::LotteryId, LS::RoomId, LS::StartsAt, LS::EndsAt])
                .values_panic([lottery.into(), room.into(), start.into(), end.into()])
                .returning_col(LS::Id)
                .to_owned(),
        )
        .await?;
    Ok(id)
}

fn slot_select() -> SelectStatement {
    Query::select()
        .columns([LS::Id, LS::LotteryId, LS::RoomId, LS::StartsAt, LS::EndsAt])
        .from(LS::Table)
        .order_by(LS::Id, Order::Asc)
        .to_owned()
}

pub async fn slots(db: &Db, lottery: i64) -> Result<Vec<SlotRow>, sqlx::Error> {
    db.fetch_all(
        &slot_select()
            .and_where(Expr::col(LS::LotteryId).eq(lottery))
            .to_owned(),
    )
    .await
}

pub async fn slot_tx(tx: &mut Tx, id: i64) -> Result<Option<SlotRow>, sqlx::Error> {
    tx.fetch_optional(&slot_select().and_where(Expr::col(LS::Id).eq(id)).to_owned())
        .await
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    pub id: i64,
    pub lottery_id: i64,
    pub slot_id: i64,
    pub fac_user_id: i64,
    pub result: String,
    pub reservation_id: Option<i64>,
    pub created_at: i64,
    /// 1 = 第1希望, 2 = 第2希望.
    pub choice: i64,
    /// For a 第2希望: the 第1希望 entry it backs up.
    pub first_entry_id: Option<i64>,
}

impl EntryRow {
    /// The entry as the draw sees it.
    pub fn draw_entry(&self) -> super::model::DrawEntry {
        super::model::DrawEntry {
            id: self.id,
            slot: self.slot_id,
            user: self.fac_user_id,
            first: self.first_entry_id,
        }
    }
}

const LE_COLS: [LE; 9] = [
    LE::Id,
    LE::LotteryId,
    LE::SlotId,
    LE::FacUserId,
    LE::Result,
    LE::ReservationId,
    LE::CreatedAt,
    LE::Choice,
    LE::FirstEntryId,
];

pub async fn entries(db: &Db, lottery: i64) -> Result<Vec<EntryRow>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns(LE_COLS)
            .from(LE::Table)
            .and_where(Expr::col(LE::LotteryId).eq(lottery))
            .order_by(LE::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

pub async fn entries_tx(tx: &mut Tx, lottery: i64) -> Result<Vec<EntryRow>, sqlx::Error> {
    tx.fetch_all(
        &Query::select()
            .columns(LE_COLS)
            .from(LE::Table)
            .and_where(Expr::col(LE::LotteryId).eq(lottery))
            .order_by(LE::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

pub async fn entries_of_user(db: &Db, user: i64) -> Result<Vec<EntryRow>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns(LE_COLS)
            .from(LE::Table)
            .and_where(Expr::col(LE::FacUserId).eq(user))
            .order_by(LE::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

/// The 第1希望 entries of a user ID in a lottery (a 第2希望 rides on one, uncounted).
pub async fn count_entries(tx: &mut Tx, lottery: i64, user: i64) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = tx
        .fetch_one(
            &Query::select()
                .expr(Expr::cust("COUNT(*)"))
                .from(LE::Table)
                .and_where(Expr::col(LE::LotteryId).eq(lottery))
                .and_where(Expr::col(LE::FacUserId).eq(user))
                .and_where(Expr::col(LE::Choice).eq(1))
                .to_owned(),
        )
        .await?;
    Ok(n)
}

/// Inserts an entry: a 第1希望 (`first` None) or the 第2希望 backing up the entry `first`.
pub async fn insert_entry(
    tx: &mut Tx,
    lottery: i64,
    slot: i64,
    user: i64,
    first: Option<i64>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = tx
        .fetch_one(
            &Query::insert()
                .into_table(LE::Table)
                .columns([
                    LE::LotteryId,
                    LE::SlotId,
                    LE::FacUserId,
                    LE::Result,
                    LE::CreatedAt,
                    LE::Choice,
                    LE::FirstEntryId,
                ])
                .values_panic([
                    lottery.into(),
                    slot.into(),
                    user.into(),
                    "pending".into(),
                    now.into(),
                    if first.is_some() { 2 } else { 1 }.into(),
                    first.into(),
                ])
                .returning_col(LE::Id)
                .to_owned(),
        )
        .await?;
    Ok(id)
}

pub async fn set_entry_result(
    tx: &mut Tx,
    id: i64,
    result: &str,
    reservation: Option<i64>,
) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(LE::Table)
            .value(LE::Result, result)
            .value(LE::ReservationId, reservation)
            .and_where(Expr::col(LE::Id).eq(id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

// ---- KPI --------------------------------------------------------------------------------------

/// Facilities of a municipality whose registration is online: (total, online).
pub async fn online_registration_counts(
    db: &Db,
    municipality: &str,
) -> Result<(i64, i64), sqlx::Error> {
    let all = facilities(db, municipality).await?;
    let online = all.iter().filter(|f| f.online_registration).count() as i64;
    Ok((all.len() as i64, online))
}

// ---- settings ---------------------------------------------------------------------------------

#[derive(Iden, Clone, Copy)]
pub enum FacSettings {
    Table,
    MunicipalityId,
    ExpiresOn,
    LotteryMonthsBefore,
    PaymentMinutes,
}

/// (expires_on `MM-DD`, lottery months before) of a municipality; the defaults when unset.
pub async fn settings_tx(tx: &mut Tx, municipality: &str) -> Result<(String, i64), sqlx::Error> {
    let v: Option<(String, i64)> = tx
        .fetch_optional(
            &Query::select()
                .columns([FacSettings::ExpiresOn, FacSettings::LotteryMonthsBefore])
                .from(FacSettings::Table)
                .and_where(Expr::col(FacSettings::MunicipalityId).eq(municipality))
                .to_owned(),
        )
        .await?;
    Ok(v.unwrap_or_else(|| ("03-31".into(), 3)))
}

/// How long (minutes) an unpaid booking of the municipality holds its rooms; 60 when unset.
pub async fn payment_minutes_tx(tx: &mut Tx, municipality: &str) -> Result<i64, sqlx::Error> {
    let v: Option<(i64,)> = tx
        .fetch_optional(
            &Query::select()
                .column(FacSettings::PaymentMinutes)
                .from(FacSettings::Table)
                .and_where(Expr::col(FacSettings::MunicipalityId).eq(municipality))
                .to_owned(),
        )
        .await?;
    Ok(v.map_or(60, |r| r.0))
}

pub async fn put_settings(
    tx: &mut Tx,
    municipality: &str,
    expires_on: &str,
    months_before: i64,
    payment_minutes: i64,
) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::delete()
            .from_table(FacSettings::Table)
            .and_where(Expr::col(FacSettings::MunicipalityId).eq(municipality))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Query::insert()
            .into_table(FacSettings::Table)
            .columns([
                FacSettings::MunicipalityId,
                FacSettings::ExpiresOn,
                FacSettings::LotteryMonthsBefore,
                FacSettings::PaymentMinutes,
            ])
            .values_panic([
                municipality.into(),
                expires_on.into(),
                months_before.into(),
                payment_minutes.into(),
            ])
            .to_owned(),
    )
    .await
    .map(|_| ())
}
