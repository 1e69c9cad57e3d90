//! Administrative operations shared by the CLI (`madoguchi admin …`) and the demo loader. Each
//! runs in one transaction with its audit event, and is safe while the server runs.

use anyhow::{Context, bail};
use serde_json::json;

use crate::audit::{self, Actor};
use crate::auth::store::{self, CreateError, NewUser};
use crate::auth::{Kind, Role, normalize_email, password};
use crate::db::Db;

pub async fn create_municipality(
    db: &Db,
    code: &str,
    name_ja: &str,
    name_en: &str,
) -> anyhow::Result<bool> {
    anyhow::ensure!(
        code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()),
        "municipality code must be the 6-digit 全国地方公共団体コード (e.g. 122033)"
    );
    let mut tx = db.begin().await?;
    let created = store::ensure_municipality(&mut tx, code, name_ja, name_en).await?;
    if created {
        audit::record(
            &mut tx,
            code,
            &Actor::Cli,
            "municipality.created",
            &format!("municipality:{code}"),
            json!({ "name_ja": name_ja }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(created)
}

/// Returns the municipality code to use: the given one (which must exist) or the only/first one.
pub async fn resolve_municipality(db: &Db, code: Option<&str>) -> anyhow::Result<String> {
    let all = store::list_municipalities(db).await?;
    match code {
        Some(c) => all.iter().find(|m| m.id == c).map(|m| m.id.clone()).with_context(|| format!("no municipality with code {c}; create it with `madoguchi admin municipality create`")),
        None => all.first().map(|m| m.id.clone()).context("no municipality yet; create one with `madoguchi admin municipality create`"),
    }
}

pub async fn create_department(
    db: &Db,
    municipality: &str,
    code: &str,
    name_ja: &str,
    name_en: &str,
) -> anyhow::Result<Option<i64>> {
    anyhow::ensure!(
        crate::web::staff::valid_code(code),
        "department code must be 1–32 letters, digits, '-' or '_'"
    );
    let mut tx = db.begin().await?;
    if store::find_department(&mut tx, municipality, code)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let id = match store::create_department(&mut tx, municipality, code, name_ja, name_en).await {
        Ok(id) => id,
        Err(CreateError::EmailTaken) => return Ok(None),
        Err(CreateError::Db(e)) => return Err(e.into()),
    };
    audit::record(
        &mut tx,
        municipality,
        &Actor::Cli,
        "department.created",
        &format!("department:{id}"),
        json!({ "code": code }),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(id))
}

pub struct NewAccount<'a> {
    pub municipality: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    /// Staff only: department code and role.
    pub staff: Option<(&'a str, Role)>,
}

/// Creates a resident (already verified: an admin vouches for the address) or a staff member.
pub async fn create_account(db: &Db, a: NewAccount<'_>) -> anyhow::Result<i64> {
    let email = normalize_email(a.email).context("not a valid e-mail address")?;
    let name = a.name.trim();
    anyhow::ensure!(!name.is_empty(), "name must not be empty");
    if let Err(e) = password::check_policy(a.password, &email) {
        bail!(
            "password refused by the policy: {e} (use at least {} characters, not a common password)",
            password::MIN_LEN
        );
    }
    let hash = password::hash(a.password.to_owned()).await?;
    let mut tx = db.begin().await?;
    let (kind, dept, role) = match a.staff {
        Some((code, role)) => {
            let d = store::find_department(&mut tx, a.municipality, code)
                .await?
                .with_context(|| format!("no department with code {code:?}; create it with `madoguchi admin department create`"))?;
            (Kind::Staff, Some(d.id), Some(role))
        }
        None => (Kind::Resident, None, None),
    };
    let id = match store::create_user(
        &mut tx,
        NewUser {
            municipality: a.municipality,
            kind,
            email: &email,
            name,
            password_hash: &hash,
            verified: true,
            department_id: dept,
            role,
        },
    )
    .await
    {
        Ok(id) => id,
        Err(CreateError::EmailTaken) => bail!(
            "a {} with e-mail {email} already exists in municipality {}",
            kind.as_str(),
            a.municipality
        ),
        Err(CreateError::Db(e)) => return Err(e.into()),
    };
    let action = if kind == Kind::Staff {
        "staff.created"
    } else {
        "resident.created"
    };
    audit::record(
        &mut tx,
        a.municipality,
        &Actor::Cli,
        action,
        &format!("user:{id}"),
        json!({ "role": role.map(|r| r.as_str()) }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Issues an API token for the account with this e-mail (staff first, then resident).
pub async fn create_token(
    db: &Db,
    municipality: &str,
    email: &str,
    scope: &str,
) -> anyhow::Result<(i64, String)> {
    let email = normalize_email(email).context("not a valid e-mail address")?;
    let user = match store::find_user_by_email(db, municipality, Kind::Staff, &email).await? {
        Some(u) => u,
        None => store::find_user_by_email(db, municipality, Kind::Resident, &email)
            .await?
            .with_context(|| {
                format!("no account with e-mail {email} in municipality {municipality}")
            })?,
    };
    anyhow::ensure!(
        !scope.trim().is_empty() && scope.len() <= 200,
        "scope must be 1–200 characters"
    );
    let mut tx = db.begin().await?;
    let (id, secret) =
        store::create_api_token(&mut tx, municipality, user.id, scope.trim()).await?;
    audit::record(
        &mut tx,
        municipality,
        &Actor::Cli,
        "token.issued",
        &format!("token:{id}"),
        json!({ "user": user.id, "scope": scope.trim() }),
    )
    .await?;
    tx.commit().await?;
    Ok((id, secret))
}

pub async fn revoke_token(db: &Db, id: i64) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    let token = store::get_api_token(&mut tx, id)
        .await?
        .with_context(|| format!("no token with id {id}"))?;
    let n = store::revoke_api_token(&mut tx, id).await?;
    anyhow::ensure!(n == 1, "token {id} was already revoked");
    audit::record(
        &mut tx,
        &token.municipality_id,
        &Actor::Cli,
        "token.revoked",
        &format!("token:{id}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes a staff member's role (and optionally department). Audited with before and after.
pub async fn set_staff_role(
    db: &Db,
    municipality: &str,
    email: &str,
    role: Role,
    department: Option<&str>,
) -> anyhow::Result<()> {
    let email = normalize_email(email).context("not a valid e-mail address")?;
    let user = store::find_user_by_email(db, municipality, Kind::Staff, &email)
        .await?
        .with_context(|| {
            format!("no staff member with e-mail {email} in municipality {municipality}")
        })?;
    let mut tx = db.begin().await?;
    let dept_id = match department {
        Some(code) => Some(
            store::find_department(&mut tx, municipality, code)
                .await?
                .with_context(|| format!("no department with code {code:?}"))?
                .id,
        ),
        None => user.department_id,
    };
    store::set_role(&mut tx, user.id, role, dept_id).await?;
    audit::record(
        &mut tx,
        municipality,
        &Actor::Cli,
        "staff.role_changed",
        &format!("user:{}", user.id),
        json!({ "before": { "role": user.role, "department": user.department_id }, "after": { "role": role.as_str(), "department": dept_id } }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
