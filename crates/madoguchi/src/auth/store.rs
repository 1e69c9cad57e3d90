//! SQL for people, sessions and tokens. Every function that changes state takes a `Tx` so the
//! caller writes the audit event in the same transaction.

use sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};

use super::{Kind, Role, token};
use crate::db::schema::{
    ApiTokens, Departments, EmailTokens, LoginAttempts, Municipalities, Sessions, Users,
};
use crate::db::{Db, Tx, is_unique_violation, now_ms};

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub municipality_id: String,
    pub kind: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub email_verified_at: Option<i64>,
    pub department_id: Option<i64>,
    pub role: Option<String>,
    pub lang: String,
    pub large_text: bool,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

impl UserRow {
    pub fn kind(&self) -> Kind {
        if self.kind == "staff" {
            Kind::Staff
        } else {
            Kind::Resident
        }
    }
    pub fn role(&self) -> Option<Role> {
        self.role.as_deref().and_then(Role::parse)
    }
    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }
}

fn user_columns() -> [Users; 13] {
    [
        Users::Id,
        Users::MunicipalityId,
        Users::Kind,
        Users::Email,
        Users::Name,
        Users::PasswordHash,
        Users::EmailVerifiedAt,
        Users::DepartmentId,
        Users::Role,
        Users::Lang,
        Users::LargeText,
        Users::DisabledAt,
        Users::CreatedAt,
    ]
}

fn user_select() -> sea_query::SelectStatement {
    Query::select()
        .columns(user_columns().map(|c| (Users::Table, c)))
        .from(Users::Table)
        .to_owned()
}

pub async fn find_user_by_email(
    db: &Db,
    municipality: &str,
    kind: Kind,
    email: &str,
) -> Result<Option<UserRow>, sqlx::Error> {
    db.fetch_optional(
        &user_select()
            .and_where(Expr::col((Users::Table, Users::MunicipalityId)).eq(municipality))
            .and_where(Expr::col((Users::Table, Users::Kind)).eq(kind.as_str()))
            .and_where(Expr::col((Users::Table, Users::Email)).eq(email))
            .to_owned(),
    )
    .await
}

pub async fn find_user(db: &Db, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    db.fetch_optional(
        &user_select()
            .and_where(Expr::col((Users::Table, Users::Id)).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn list_staff(db: &Db, municipality: &str) -> Result<Vec<UserRow>, sqlx::Error> {
    db.fetch_all(
        &user_select()
            .and_where(Expr::col((Users::Table, Users::MunicipalityId)).eq(municipality))
            .and_where(Expr::col((Users::Table, Users::Kind)).eq("staff"))
            .order_by((Users::Table, Users::Id), Order::Asc)
            .to_owned(),
    )
    .await
}

pub struct NewUser<'a> {
    pub municipality: &'a str,
    pub kind: Kind,
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub verified: bool,
    pub department_id: Option<i64>,
    pub role: Option<Role>,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("this e-mail address is already registered")]
    EmailTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

#[derive(sqlx::FromRow)]
struct IdRow {
    id: i64,
}

pub async fn create_user(tx: &mut Tx, u: NewUser<'_>) -> Result<i64, CreateError> {
    let now = now_ms();
    let stmt = Query::insert()
        .into_table(Users::Table)
        .columns([
            Users::MunicipalityId,
            Users::Kind,
            Users::Email,
            Users::Name,
            Users::PasswordHash,
            Users::EmailVerifiedAt,
            Users::DepartmentId,
            Users::Role,
            Users::CreatedAt,
        ])
        .values_panic([
            u.municipality.into(),
            u.kind.as_str().into(),
            u.email.into(),
            u.name.into(),
            u.password_hash.into(),
            (if u.verified { Some(now) } else { None }).into(),
            u.department_id.into(),
            u.role.map(|r| r.as_str().to_owned()).into(),
            now.into(),
        ])
        .returning_col(Users::Id)
        .to_owned();
    match tx.fetch_one::<IdRow, _>(&stmt).await {
        Ok(r) => Ok(r.id),
        Err(e) if is_unique_violation(&e) => Err(CreateError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

pub async fn set_email_verified(tx: &mut Tx, user_id: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Users::Table)
            .value(Users::EmailVerifiedAt, now_ms())
            .and_where(Expr::col(Users::Id).eq(user_id))
            .and_where(Expr::col(Users::EmailVerifiedAt).is_null())
            .to_owned(),
    )
    .await
    .map(|_| ())
}

pub async fn set_password(tx: &mut Tx, user_id: i64, hash: &str) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Users::Table)
            .value(Users::PasswordHash, hash)
            .and_where(Expr::col(Users::Id).eq(user_id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

pub async fn set_preferences(
    tx: &mut Tx,
    user_id: i64,
    lang: &str,
    large_text: bool,
) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Users::Table)
            .value(Users::Lang, lang)
            .value(Users::LargeText, large_text)
            .and_where(Expr::col(Users::Id).eq(user_id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

pub async fn set_role(
    tx: &mut Tx,
    user_id: i64,
    role: Role,
    department_id: Option<i64>,
) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(Users::Table)
            .value(Users::Role, role.as_str())
            .value(Users::DepartmentId, department_id)
            .and_where(Expr::col(Users::Id).eq(user_id))
            .and_where(Expr::col(Users::Kind).eq("staff"))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

// ---- sessions -------------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: i64,
    pub municipality_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// Creates a session and returns the secret for the cookie (only its digest is stored).
pub async fn create_session(
    tx: &mut Tx,
    user_id: i64,
    municipality: &str,
    absolute_ms: i64,
) -> Result<String, sqlx::Error> {
    let secret = token::random_secret();
    let now = now_ms();
    tx.execute(
        &Query::insert()
            .into_table(Sessions::Table)
            .columns([
                Sessions::IdHash,
                Sessions::UserId,
                Sessions::MunicipalityId,
                Sessions::CreatedAt,
                Sessions::LastSeenAt,
                Sessions::ExpiresAt,
            ])
            .values_panic([
                token::digest(&secret).into(),
                user_id.into(),
                municipality.into(),
                now.into(),
                now.into(),
                (now + absolute_ms).into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(secret)
}

/// Looks a session up. Expired (idle or absolute) sessions are deleted and not returned.
/// `last_seen_at` is refreshed at most once a minute to keep reads cheap.
pub async fn load_session(
    db: &Db,
    secret: &str,
    idle_ms: i64,
) -> Result<Option<(SessionRow, UserRow)>, sqlx::Error> {
    let hash = token::digest(secret);
    let row: Option<SessionRow> = db
        .fetch_optional(
            &Query::select()
                .columns([
                    Sessions::IdHash,
                    Sessions::UserId,
                    Sessions::MunicipalityId,
                    Sessions::CreatedAt,
                    Sessions::LastSeenAt,
                    Sessions::ExpiresAt,
                ])
                .from(Sessions::Table)
                .and_where(Expr::col(Sessions::IdHash).eq(hash.as_str()))
                .to_owned(),
        )
        .await?;
    let Some(s) = row else { return Ok(None) };
    let now = now_ms();
    if now >= s.expires_at || now >= s.last_seen_at + idle_ms {
        delete_session_by_hash(db, &s.id_hash).await?;
        return Ok(None);
    }
    let Some(user) = find_user(db, s.user_id).await? else {
        return Ok(None);
    };
    if user.disabled_at.is_some() {
        delete_session_by_hash(db, &s.id_hash).await?;
        return Ok(None);
    }
    if now - s.last_seen_at > 60_000 {
        db.execute(
            &Query::update()
                .table(Sessions::Table)
                .value(Sessions::LastSeenAt, now)
                .and_where(Expr::col(Sessions::IdHash).eq(hash.as_str()))
                .to_owned(),
        )
        .await?;
    }
    Ok(Some((s, user)))
}

pub async fn delete_session(db: &Db, secret: &str) -> Result<(), sqlx::Error> {
    delete_session_by_hash(db, &token::digest(secret)).await
}

async fn delete_session_by_hash(db: &Db, hash: &str) -> Result<(), sqlx::Error> {
    db.execute(
        &Query::delete()
            .from_table(Sessions::Table)
            .and_where(Expr::col(Sessions::IdHash).eq(hash))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

/// Ends every session of a user (password reset, "log out everywhere"), optionally keeping one.
pub async fn delete_user_sessions(
    tx: &mut Tx,
    user_id: i64,
    keep_secret: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let mut stmt = Query::delete()
        .from_table(Sessions::Table)
        .and_where(Expr::col(Sessions::UserId).eq(user_id))
        .to_owned();
    if let Some(k) = keep_secret {
        stmt.and_where(Expr::col(Sessions::IdHash).ne(token::digest(k)));
    }
    tx.execute(&stmt).await
}

pub async fn count_user_sessions(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct C {
        n: i64,
    }
    let c: C = db
        .fetch_one(
            &Query::select()
                .expr_as(Func::count(Expr::col(Sessions::IdHash)), Alias::new("n"))
                .from(Sessions::Table)
                .and_where(Expr::col(Sessions::UserId).eq(user_id))
                .and_where(Expr::col(Sessions::ExpiresAt).gt(now_ms()))
                .to_owned(),
        )
        .await?;
    Ok(c.n)
}

// ---- e-mail tokens --------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Verify,
    Reset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Verify => "verify",
            Purpose::Reset => "reset",
        }
    }
    /// Verification links last 48 hours; reset links one hour.
    pub fn ttl_ms(self) -> i64 {
        match self {
            Purpose::Verify => 48 * 3600 * 1000,
            Purpose::Reset => 3600 * 1000,
        }
    }
}

pub async fn create_email_token(
    tx: &mut Tx,
    user_id: i64,
    purpose: Purpose,
) -> Result<String, sqlx::Error> {
    let secret = token::random_secret();
    let now = now_ms();
    tx.execute(
        &Query::insert()
            .into_table(EmailTokens::Table)
            .columns([
                EmailTokens::TokenHash,
                EmailTokens::UserId,
                EmailTokens::Purpose,
                EmailTokens::CreatedAt,
                EmailTokens::ExpiresAt,
            ])
            .values_panic([
                token::digest(&secret).into(),
                user_id.into(),
                purpose.as_str().into(),
                now.into(),
                (now + purpose.ttl_ms()).into(),
            ])
            .to_owned(),
    )
    .await?;
    Ok(secret)
}

#[derive(Debug, PartialEq, Eq)]
pub enum TokenState {
    Valid(i64),
    Used,
    Expired,
    Unknown,
}

#[derive(sqlx::FromRow)]
struct EmailTokenRow {
    user_id: i64,
    expires_at: i64,
    used_at: Option<i64>,
}

/// Reads a token without using it (to show the confirmation page).
pub async fn peek_email_token(
    db: &Db,
    secret: &str,
    purpose: Purpose,
) -> Result<TokenState, sqlx::Error> {
    let row: Option<EmailTokenRow> = db
        .fetch_optional(&email_token_select(secret, purpose))
        .await?;
    Ok(token_state(row))
}

/// Marks a token used and returns its user, atomically: a token works once.
pub async fn consume_email_token(
    tx: &mut Tx,
    secret: &str,
    purpose: Purpose,
) -> Result<TokenState, sqlx::Error> {
    let row: Option<EmailTokenRow> = tx
        .fetch_optional(&email_token_select(secret, purpose))
        .await?;
    let state = token_state(row);
    if let TokenState::Valid(_) = state {
        let n = tx
            .execute(
                &Query::update()
                    .table(EmailTokens::Table)
                    .value(EmailTokens::UsedAt, now_ms())
                    .and_where(Expr::col(EmailTokens::TokenHash).eq(token::digest(secret)))
                    .and_where(Expr::col(EmailTokens::UsedAt).is_null())
                    .to_owned(),
            )
            .await?;
        if n == 0 {
            return Ok(TokenState::Used);
        }
    }
    Ok(state)
}

fn email_token_select(secret: &str, purpose: Purpose) -> sea_query::SelectStatement {
    Query::select()
        .columns([
            EmailTokens::UserId,
            EmailTokens::ExpiresAt,
            EmailTokens::UsedAt,
        ])
        .from(EmailTokens::Table)
        .and_where(Expr::col(EmailTokens::TokenHash).eq(token::digest(secret)))
        .and_where(Expr::col(EmailTokens::Purpose).eq(purpose.as_str()))
        .to_owned()
}

fn token_state(row: Option<EmailTokenRow>) -> TokenState {
    match row {
        None => TokenState::Unknown,
        Some(r) if r.used_at.is_some() => TokenState::Used,
        Some(r) if r.expires_at <= now_ms() => TokenState::Expired,
        Some(r) => TokenState::Valid(r.user_id),
    }
}

// ---- login throttling -----------------------------------------------------------------------

/// Records a login attempt inside `tx`: a successful one shares the transaction of the new
/// session and its audit event, so a login costs one durable commit.
pub async fn record_login_attempt(
    tx: &mut Tx,
    municipality: &str,
    email: &str,
    ip: &str,
    success: bool,
) -> Result<(), sqlx::Error> {
    tx.execute(
        &Query::insert()
            .into_table(LoginAttempts::Table)
            .columns([
                LoginAttempts::MunicipalityId,
                LoginAttempts::Email,
                LoginAttempts::Ip,
                LoginAttempts::Success,
                LoginAttempts::At,
            ])
            .values_panic([
                municipality.into(),
                email.into(),
                ip.into(),
                success.into(),
                now_ms().into(),
            ])
            .to_owned(),
    )
    .await
    .map(|_| ())
}

/// Failures since the last success within the window, for the account and for the address.
/// The database holds the counts so every app server behind a load balancer sees the same.
pub async fn recent_failures(
    db: &Db,
    municipality: &str,
    email: &str,
    ip: &str,
    window_ms: i64,
) -> Result<(i64, i64), sqlx::Error> {
    let since = now_ms() - window_ms;
    #[derive(sqlx::FromRow)]
    struct M {
        n: Option<i64>,
    }
    let last_success: M = db
        .fetch_one(
            &Query::select()
                .expr_as(Func::max(Expr::col(LoginAttempts::At)), Alias::new("n"))
                .from(LoginAttempts::Table)
                .and_where(Expr::col(LoginAttempts::MunicipalityId).eq(municipality))
                .and_where(Expr::col(LoginAttempts::Email).eq(email))
                .and_where(Expr::col(LoginAttempts::Success).eq(true))
                .and_where(Expr::col(LoginAttempts::At).gte(since))
                .to_owned(),
        )
        .await?;
    let from = Ord::max(last_success.n.unwrap_or(since), since);
    let account = sea_query::Cond::all()
        .add(Expr::col(LoginAttempts::MunicipalityId).eq(municipality))
        .add(Expr::col(LoginAttempts::Email).eq(email));
    let by_account = count_failures(db, account, from).await?;
    let by_ip = count_failures(
        db,
        sea_query::Cond::all().add(Expr::col(LoginAttempts::Ip).eq(ip)),
        since,
    )
    .await?;
    Ok((by_account, by_ip))
}

/// Failed attempts matching `who` since `from`.
async fn count_failures(db: &Db, who: sea_query::Condition, from: i64) -> Result<i64, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct C {
        n: i64,
    }
    let c: C = db
        .fetch_one(
            &Query::select()
                .expr_as(Func::count(Expr::col(LoginAttempts::Id)), Alias::new("n"))
                .from(LoginAttempts::Table)
                .cond_where(who)
                .and_where(Expr::col(LoginAttempts::Success).eq(false))
                .and_where(Expr::col(LoginAttempts::At).gte(from))
                .to_owned(),
        )
        .await?;
    Ok(c.n)
}

// ---- API tokens -----------------------------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct ApiTokenRow {
    pub id: i64,
    pub municipality_id: String,
    pub user_id: i64,
    pub scope: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// `last_used_at` is kept to the minute: rewriting it on every call would make each API
/// request a durable write of its own (on SQLite, in the one writer's queue).
pub const TOKEN_TOUCH_INTERVAL_MS: i64 = 60_000;

/// Creates a bearer token; the secret is returned once and never stored.
pub async fn create_api_token(
    tx: &mut Tx,
    municipality: &str,
    user_id: i64,
    scope: &str,
) -> Result<(i64, String), sqlx::Error> {
    let secret = format!("mdg_{}", token::random_secret());
    let row: IdRow = tx
        .fetch_one(
            &Query::insert()
                .into_table(ApiTokens::Table)
                .columns([
                    ApiTokens::MunicipalityId,
                    ApiTokens::UserId,
                    ApiTokens::TokenHash,
                    ApiTokens::Scope,
                    ApiTokens::CreatedAt,
                ])
                .values_panic([
                    municipality.into(),
                    user_id.into(),
                    token::digest(&secret).into(),
                    scope.into(),
                    now_ms().into(),
                ])
                .returning_col(ApiTokens::Id)
                .to_owned(),
        )
        .await?;
    Ok((row.id, secret))
}

const TOKEN_COLUMNS: [ApiTokens; 7] = [
    ApiTokens::Id,
    ApiTokens::MunicipalityId,
    ApiTokens::UserId,
    ApiTokens::Scope,
    ApiTokens::CreatedAt,
    ApiTokens::RevokedAt,
    ApiTokens::LastUsedAt,
];

pub async fn find_api_token(db: &Db, secret: &str) -> Result<Option<ApiTokenRow>, sqlx::Error> {
    db.fetch_optional(
        &Query::select()
            .columns(TOKEN_COLUMNS)
            .from(ApiTokens::Table)
            .and_where(Expr::col(ApiTokens::TokenHash).eq(token::digest(secret)))
            .to_owned(),
    )
    .await
}

pub async fn get_api_token(tx: &mut Tx, id: i64) -> Result<Option<ApiTokenRow>, sqlx::Error> {
    tx.fetch_optional(
        &Query::select()
            .columns(TOKEN_COLUMNS)
            .from(ApiTokens::Table)
            .and_where(Expr::col(ApiTokens::Id).eq(id))
            .to_owned(),
    )
    .await
}

pub async fn revoke_api_token(tx: &mut Tx, id: i64) -> Result<u64, sqlx::Error> {
    tx.execute(
        &Query::update()
            .table(ApiTokens::Table)
            .value(ApiTokens::RevokedAt, now_ms())
            .and_where(Expr::col(ApiTokens::Id).eq(id))
            .and_where(Expr::col(ApiTokens::RevokedAt).is_null())
            .to_owned(),
    )
    .await
}

pub async fn touch_api_token(db: &Db, id: i64) -> Result<(), sqlx::Error> {
    db.execute(
        &Query::update()
            .table(ApiTokens::Table)
            .value(ApiTokens::LastUsedAt, now_ms())
            .and_where(Expr::col(ApiTokens::Id).eq(id))
            .to_owned(),
    )
    .await
    .map(|_| ())
}

// ---- municipalities and departments ---------------------------------------------------------

#[derive(sqlx::FromRow, Debug, Clone, serde::Serialize)]
pub struct MunicipalityRow {
    pub id: String,
    pub name_ja: String,
    pub name_en: String,
}

pub async fn list_municipalities(db: &Db) -> Result<Vec<MunicipalityRow>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns([
                Municipalities::Id,
                Municipalities::NameJa,
                Municipalities::NameEn,
            ])
            .from(Municipalities::Table)
            .order_by(Municipalities::Id, Order::Asc)
            .to_owned(),
    )
    .await
}

/// Creates a municipality if it does not exist. Returns true when created.
pub async fn ensure_municipality(
    tx: &mut Tx,
    code: &str,
    name_ja: &str,
    name_en: &str,
) -> Result<bool, sqlx::Error> {
    let exists: Option<MunicipalityRow> = tx
        .fetch_optional(
            &Query::select()
                .columns([
                    Municipalities::Id,
                    Municipalities::NameJa,
                    Municipalities::NameEn,
                ])
                .from(Municipalities::Table)
                .and_where(Expr::col(Municipalities::Id).eq(code))
                .to_owned(),
        )
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    tx.execute(
        &Query::insert()
            .into_table(Municipalities::Table)
            .columns([
                Municipalities::Id,
                Municipalities::NameJa,
                Municipalities::NameEn,
                Municipalities::CreatedAt,
            ])
            .values_panic([code.into(), name_ja.into(), name_en.into(), now_ms().into()])
            .to_owned(),
    )
    .await?;
    Ok(true)
}

#[derive(sqlx::FromRow, Debug, Clone, serde::Serialize)]
pub struct DepartmentRow {
    pub id: i64,
    pub municipality_id: String,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
}

fn department_select() -> sea_query::SelectStatement {
    Query::select()
        .columns([
            Departments::Id,
            Departments::MunicipalityId,
            Departments::Code,
            Departments::NameJa,
            Departments::NameEn,
        ])
        .from(Departments::Table)
        .to_owned()
}

pub async fn list_departments(
    db: &Db,
    municipality: &str,
) -> Result<Vec<DepartmentRow>, sqlx::Error> {
    db.fetch_all(
        &department_select()
            .and_where(Expr::col(Departments::MunicipalityId).eq(municipality))
            .order_by(Departments::Code, Order::Asc)
            .to_owned(),
    )
    .await
}

pub async fn find_department(
    tx: &mut Tx,
    municipality: &str,
    code: &str,
) -> Result<Option<DepartmentRow>, sqlx::Error> {
    tx.fetch_optional(
        &department_select()
            .and_where(Expr::col(Departments::MunicipalityId).eq(municipality))
            .and_where(Expr::col(Departments::Code).eq(code))
            .to_owned(),
    )
    .await
}

pub async fn get_department(db: &Db, id: i64) -> Result<Option<DepartmentRow>, sqlx::Error> {
    db.fetch_optional(
        &department_select()
            .and_where(Expr::col(Departments::Id).eq(id))
            .to_owned(),
    )
    .await
}

/// Creates a department; Err(EmailTaken) is reused to signal a duplicate code.
pub async fn create_department(
    tx: &mut Tx,
    municipality: &str,
    code: &str,
    name_ja: &str,
    name_en: &str,
) -> Result<i64, CreateError> {
    let stmt = Query::insert()
        .into_table(Departments::Table)
        .columns([
            Departments::MunicipalityId,
            Departments::Code,
            Departments::NameJa,
            Departments::NameEn,
            Departments::CreatedAt,
        ])
        .values_panic([
            municipality.into(),
            code.into(),
            name_ja.into(),
            name_en.into(),
            now_ms().into(),
        ])
        .returning_col(Departments::Id)
        .to_owned();
    match tx.fetch_one::<IdRow, _>(&stmt).await {
        Ok(r) => Ok(r.id),
        Err(e) if is_unique_violation(&e) => Err(CreateError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}
