//! SQL for identity: account links to OIDC subjects, verified facts, pending sign-ins, and the
//! session's identity level. Functions that change state take a `Tx` so the caller writes the
//! audit event in the same transaction.

use sea_query::{Expr, ExprTrait, Iden, OnConflict, Order, Query};

use crate::db::schema::Sessions;
use crate::db::{Db, Tx, now_ms};

#[derive(Iden, Clone, Copy)]
pub enum IdentityLinks {
    Table,
    Id,
    MunicipalityId,
    UserId,
    Provider,
    Issuer,
    Subject,
    CreatedAt,
    LastLoginAt,
}

#[derive(Iden, Clone, Copy)]
pub enum VerifiedFacts {
    Table,
    UserId,
    Fact,
    Value,
    VerifiedAt,
}

#[derive(Iden, Clone, Copy)]
pub enum OidcRequests {
    Table,
    StateHash,
    MunicipalityId,
    Provider,
    BrowserHash,
    Nonce,
    PkceVerifier,
    Scopes,
    NextPath,
    CreatedAt,
    ExpiresAt,
}

#[derive(Iden, Clone, Copy)]
enum SessionLevel {
    IdentityLevel,
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct PendingRow {
    pub state_hash: String,
    pub municipality_id: String,
    pub provider: String,
    pub browser_hash: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub scopes: String,
    pub next_path: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Records a pending sign-in (one `state`).
pub async fn insert_pending(tx: &mut Tx, p: &PendingRow) -> Result<(), sqlx::Error> {
    // Expired requests of anyone are swept on the way.
    tx.execute(
        &Query::delete()
            .from_table(OidcRequests::Table)
            .and_where(Expr::col(OidcRequests::ExpiresAt).lt(now_ms()))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Query::insert()
            .into_table(OidcRequests::Table)
            .columns([
                OidcRequests::StateHash,
                OidcRequests::MunicipalityId,
                OidcRequests::Provider,
                OidcRequests::BrowserHash,
                OidcRequests::Nonce,
                OidcRequests::PkceVerifier,
                OidcRequests::Scopes,
                OidcRequests::NextPath,
                OidcRequests::CreatedAt,
                OidcRequests::ExpiresAt,
            ])
            .values_panic([
                p.state_hash.clone().into(),
                p.municipality_id.clone().into(),
                p.provider.clone().into(),
                p.browser_hash.clone().into(),
                p.nonce.clone().into(),
                p.pkce_verifier.clone().into(),
                p.scopes.clone().into(),
                p.next_path.clone().into(),
                p.created_at.into(),
                p.expires_at.into(),
            ])
            .to_owned(),
    )
    .await
    .map(|_| ())
}

/// Takes a pending sign-in: deletes it and returns it, so a `state` works once. Returns None
/// for an unknown state; expiry and browser binding are checked by the caller.
pub async fn take_pending(db: &Db, state_hash: &str) -> Result<Option<PendingRow>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let row: Option<PendingRow> = tx
        .fetch_optional(
            &Query::select()
                .columns([
                    OidcRequests::StateHash,
                    OidcRequests::MunicipalityId,
                    OidcRequests::Provider,
                    OidcRequests::BrowserHash,
                    OidcRequests::Nonce,
                    OidcRequests::PkceVerifier,
                    OidcRequests::Scopes,
                    OidcRequests::NextPath,
                    OidcRequests::CreatedAt,
                    OidcRequests::ExpiresAt,
                ])
                .from(OidcRequests::Table)
                .and_where(Expr::col(OidcRequests::StateHash).eq(state_hash))
                .to_owned(),
        )
        .await?;
    if row.is_some() {
        let n = tx
            .execute(
                &Query::delete()
                    .from_table(OidcRequests::Table)
                    .and_where(Expr::col(OidcRequests::StateHash).eq(state_hash))
                    .to_owned(),
            )
            .await?;
        if n != 1 {
            // Taken by a concurrent request.
            return Ok(None);
        }
    }
    tx.commit().await?;
    Ok(row)
}

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct LinkRow {
    pub id: i64,
    pub user_id: i64,
    pub subject: String,
}

pub async fn find_link(
    db: &Db,
    municipality: &str,
    provider: &str,
    issuer: &str,
    subject: &str,
) -> Result<Option<LinkRow>, sqlx::Error> {
    db.fetch_optional(
        &Query::select()
            .columns([
                IdentityLinks::Id,
                IdentityLinks::UserId,
                IdentityLinks::Subject,
            ])
            .from(IdentityLinks::Table)
            .and_where(Expr::col(IdentityLinks::MunicipalityId).eq(municipality))
            .and_where(Expr::col(IdentityLinks::Provider).eq(provider))
            .and_where(Expr::col(IdentityLinks::Issuer).eq(issuer))
            .and_where(Expr::col(IdentityLinks::Subject).eq(subject))
            .to_owned(),
    )
    .await
}

/// The link of a user for a provider, if any.
pub async fn link_of_user(
    db: &Db,
    user_id: i64,
    provider: &str,
) -> Result<Option<LinkRow>, sqlx::Error> {
    db.fetch_optional(
        &Query::select()
            .columns([
                IdentityLinks::Id,
                IdentityLinks::UserId,
                IdentityLinks::Subject,
            ])
            .from(IdentityLinks::Table)
            .and_where(Expr::col(IdentityLinks::UserId).eq(user_id))
            .and_where(Expr::col(IdentityLinks::Provider).eq(provider))
            .to_owned(),
    )
    .await
}

pub async fn create_link(
    tx: &mut Tx,
    municipality: &str,
    user_id: i64,
    provider: &str,
    issuer: &str,
    subject: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    tx.execute(
        &Query::insert()
            .into_table(IdentityLinks::Table)
            .columns([
                IdentityLinks::MunicipalityId,
                IdentityLinks::UserId,
                IdentityLinks::Provider,
                IdentityLinks::Issuer,
                IdentityLinks::Subject,
                IdentityLinks::CreatedAt,
                IdentityLinks::LastLoginAt,
            ])
            .values_panic([
                municipality.into(),
                user_id.into(),
                provider.into(),
                issuer.into(),
                subject.into(),
                now.into(),
                now.into(),
            ])
            .to_owned(),
    )
    .await
    .map(|_| ())
}

pub async fn touch_link(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(IdentityLinks::Table)
            .value(IdentityLinks::LastLoginAt, now_ms())
            .and_where(Expr::col(IdentityLinks::Id).eq(id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

/// Stores (or refreshes) one verified fact.
pub async fn put_fact(
    tx: &mut Tx,
    user_id: i64,
    fact: &str,
    value: &str,
) -> Result<(), sqlx::Error> {
    let now = now_ms();
    tx.execute(
        &Query::insert()
            .into_table(VerifiedFacts::Table)
            .columns([
                VerifiedFacts::UserId,
                VerifiedFacts::Fact,
                VerifiedFacts::Value,
                VerifiedFacts::VerifiedAt,
            ])
            .values_panic([user_id.into(), fact.into(), value.into(), now.into()])
            .on_conflict(
                OnConflict::columns([VerifiedFacts::UserId, VerifiedFacts::Fact])
                    .update_columns([VerifiedFacts::Value, VerifiedFacts::VerifiedAt])
                    .to_owned(),
            )
            .to_owned(),
    )
    .await
    .map(|_| ())
}

#[derive(sqlx::FromRow, Debug, Clone, PartialEq, Eq)]
pub struct FactRow {
    pub fact: String,
    pub value: String,
    pub verified_at: i64,
}

pub async fn facts(db: &Db, user_id: i64) -> Result<Vec<FactRow>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns([
                VerifiedFacts::Fact,
                VerifiedFacts::Value,
                VerifiedFacts::VerifiedAt,
            ])
            .from(VerifiedFacts::Table)
            .and_where(Expr::col(VerifiedFacts::UserId).eq(user_id))
            .order_by(VerifiedFacts::Fact, Order::Asc)
            .to_owned(),
    )
    .await
}

/// Sets the identity level of a session (by its cookie secret).
pub async fn set_session_level(tx: &mut Tx, secret: &str, level: &str) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Sessions::Table)
            .value(SessionLevel::IdentityLevel, level)
            .and_where(Expr::col(Sessions::IdHash).eq(crate::auth::token::digest(secret)))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

/// The identity level of a session (`signed_in` or `card`).
pub async fn session_level(db: &Db, secret: &str) -> Result<String, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct L {
        identity_level: String,
    }
    let row: Option<L> = db
        .fetch_optional(
            &Query::select()
                .column(SessionLevel::IdentityLevel)
                .from(Sessions::Table)
                .and_where(Expr::col(Sessions::IdHash).eq(crate::auth::token::digest(secret)))
                .to_owned(),
        )
        .await?;
    Ok(row.map(|r| r.identity_level).unwrap_or_default())
}
