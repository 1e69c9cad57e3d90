//! Re-linking a card when its `sub` changed (docs/identity.md, "Re-linking when `sub`
//! changes"). Whether `sub` survives a card renewal is not confirmed, so a resident whose new
//! card is unknown gets a new account at the first card sign-in. At the counter, staff of 市民課
//! (or an administrator) find the resident's old account, compare its verified facts with those
//! of the new card accounts whose name matches, check the resident's identity document, and
//! move the new card's link to the old account. The new account is disabled (its sessions
//! end), the old account's previous card link is removed, and the new card's facts replace the
//! old ones; one audit event `identity.relinked` in the same transaction.
//!
//! `GET /staff/identity/relink?email=…` (the comparison) and `POST /staff/identity/relink`.
//! Everyone else gets 404.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use sea_query::{Expr, ExprTrait, Query as Sql};
use serde::Deserialize;
use serde_json::json;

use super::facts::{self, FACTS};
use super::routes::CARD;
use super::store::{self, FactRow, IdentityLinks, VerifiedFacts};
use crate::audit::{self, Actor};
use crate::auth::store::{self as auth_store, UserRow};
use crate::auth::{Kind, Role};
use crate::db::schema::{Sessions, Users};
use crate::db::{Db, Tx, now_ms};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::pages::render;

/// The department whose staff re-link cards: 市民課 keeps the resident register.
pub const RELINK_DEPARTMENT: &str = "shimin";

pub fn routes() -> Router<AppState> {
    Router::new().route("/staff/identity/relink", get(page).post(relink))
}

/// Administrators, and 市民課 staff who work on cases (not DX推進員).
async fn may_relink(st: &AppState, me: &UserRow) -> Result<bool, AppError> {
    if me.is_admin() {
        return Ok(true);
    }
    if me.role() == Some(Role::DxPromoter) {
        return Ok(false);
    }
    let Some(d) = me.department_id else {
        return Ok(false);
    };
    Ok(auth_store::get_department(&st.db, d)
        .await?
        .is_some_and(|d| d.code == RELINK_DEPARTMENT))
}

async fn staff(st: &AppState, c: &Ctx) -> Result<Result<UserRow, Response>, AppError> {
    let me = match crate::web::staff::require_staff(c) {
        Ok(u) => u,
        Err(r) => return Ok(Err(r.into_response())),
    };
    if !may_relink(st, &me).await? {
        return Err(AppError::NotFound);
    }
    Ok(Ok(me))
}

/// One row of the comparison: a fact of the old account and of the new one.
pub struct FactCompare {
    pub label: &'static str,
    pub old: String,
    pub new: String,
    /// Both known and equal.
    pub same: bool,
    /// Both known and different: the move is refused.
    pub differs: bool,
    /// Known on neither side.
    pub neither: bool,
}

pub struct Candidate {
    pub user_id: i64,
    pub name: String,
    pub linked_at: String,
    pub rows: Vec<FactCompare>,
    pub movable: bool,
}

pub struct OldAccount {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub card_linked: bool,
}

#[derive(Template)]
#[template(path = "identity/relink.html")]
struct RelinkPage {
    c: Ctx,
    email: String,
    old: Option<OldAccount>,
    candidates: Vec<Candidate>,
    error: Option<String>,
    done: bool,
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    email: String,
    #[serde(default)]
    done: Option<String>,
}

fn value_of(facts: &[FactRow], fact: &str) -> Option<String> {
    facts
        .iter()
        .find(|f| f.fact == fact)
        .map(|f| f.value.clone())
}

/// The old account's name for matching: its verified name, else the account name.
fn old_name(user: &UserRow, facts: &[FactRow]) -> String {
    value_of(facts, "name").unwrap_or_else(|| user.name.clone())
}

/// Compares the four facts. The move needs the names equal and no fact known on both sides
/// that differs.
pub fn compare(
    old_user_name: &str,
    old: &[FactRow],
    new: &[FactRow],
    l: crate::web::i18n::Lang,
) -> (Vec<FactCompare>, bool) {
    let mut rows = Vec::new();
    let mut ok = true;
    for f in FACTS {
        let o = if f == "name" {
            Some(value_of(old, "name").unwrap_or_else(|| old_user_name.to_owned()))
        } else {
            value_of(old, f)
        };
        let n = value_of(new, f);
        let same = matches!((&o, &n), (Some(a), Some(b)) if norm(a) == norm(b));
        let differs = matches!((&o, &n), (Some(a), Some(b)) if norm(a) != norm(b));
        if differs || (f == "name" && !same) {
            ok = false;
        }
        let shown = |v: &Option<String>| match v {
            Some(v) if f == "birthdate" => {
                time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
                    .map(crate::procedures::jp::format_wareki)
                    .unwrap_or_else(|_| v.clone())
            }
            Some(v) => facts::display(f, v, l),
            None => "—".to_owned(),
        };
        rows.push(FactCompare {
            label: l.t(facts::label_key(f)),
            old: shown(&o),
            new: shown(&n),
            same,
            differs,
            neither: o.is_none() && n.is_none(),
        });
    }
    (rows, ok)
}

/// Spaces (half- or full-width) do not make two names different.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '\u{3000}'))
        .collect()
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    user_id: i64,
    name: String,
    created_at: i64,
}

/// Resident accounts of this municipality, other than `old_id`, not disabled, with a card link
/// and a verified name equal to `name` (spaces aside).
async fn candidates(
    db: &Db,
    municipality: &str,
    old_id: i64,
    name: &str,
) -> Result<Vec<CandidateRow>, sqlx::Error> {
    let rows: Vec<CandidateRow> = db
        .fetch_all(
            &Sql::select()
                .expr_as(
                    Expr::col((IdentityLinks::Table, IdentityLinks::UserId)),
                    sea_query::Alias::new("user_id"),
                )
                .expr_as(
                    Expr::col((VerifiedFacts::Table, VerifiedFacts::Value)),
                    sea_query::Alias::new("name"),
                )
                .expr_as(
                    Expr::col((IdentityLinks::Table, IdentityLinks::CreatedAt)),
                    sea_query::Alias::new("created_at"),
                )
                .from(IdentityLinks::Table)
                .inner_join(
                    Users::Table,
                    Expr::col((Users::Table, Users::Id))
                        .equals((IdentityLinks::Table, IdentityLinks::UserId)),
                )
                .inner_join(
                    VerifiedFacts::Table,
                    Expr::col((VerifiedFacts::Table, VerifiedFacts::UserId))
                        .equals((IdentityLinks::Table, IdentityLinks::UserId)),
                )
                .and_where(
                    Expr::col((IdentityLinks::Table, IdentityLinks::MunicipalityId))
                        .eq(municipality),
                )
                .and_where(Expr::col((IdentityLinks::Table, IdentityLinks::Provider)).eq(CARD))
                .and_where(Expr::col((IdentityLinks::Table, IdentityLinks::UserId)).ne(old_id))
                .and_where(Expr::col((Users::Table, Users::Kind)).eq("resident"))
                .and_where(Expr::col((Users::Table, Users::DisabledAt)).is_null())
                .and_where(Expr::col((VerifiedFacts::Table, VerifiedFacts::Fact)).eq("name"))
                .to_owned(),
        )
        .await?;
    let want = norm(name);
    Ok(rows.into_iter().filter(|r| norm(&r.name) == want).collect())
}

async fn resident(db: &Db, municipality: &str, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    Ok(auth_store::find_user(db, id).await?.filter(|u| {
        u.municipality_id == municipality && u.kind == "resident" && u.disabled_at.is_none()
    }))
}

fn when(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms / 1000)
        .map(|t| {
            let t = t.to_offset(time::macros::offset!(+9));
            format!(
                "{}年{}月{}日 {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

async fn build(
    st: &AppState,
    c: Ctx,
    email: String,
    error: Option<String>,
    done: bool,
) -> Result<RelinkPage, AppError> {
    let l = c.l;
    let mut page = RelinkPage {
        email: email.trim().to_owned(),
        old: None,
        candidates: Vec::new(),
        error,
        done,
        c,
    };
    if page.email.is_empty() {
        return Ok(page);
    }
    let found = auth_store::find_user_by_email(
        &st.db,
        &page.c.tenant.id,
        Kind::Resident,
        &page.email.to_lowercase(),
    )
    .await?
    .filter(|u| u.disabled_at.is_none());
    let Some(old) = found else {
        page.error
            .get_or_insert_with(|| l.t("identity.relink_no_account").to_owned());
        return Ok(page);
    };
    let old_facts = store::facts(&st.db, old.id).await?;
    let name = old_name(&old, &old_facts);
    for r in candidates(&st.db, &page.c.tenant.id, old.id, &name).await? {
        let new_facts = store::facts(&st.db, r.user_id).await?;
        let (rows, movable) = compare(&old.name, &old_facts, &new_facts, l);
        page.candidates.push(Candidate {
            user_id: r.user_id,
            name: r.name,
            linked_at: when(r.created_at),
            rows,
            movable,
        });
    }
    page.old = Some(OldAccount {
        id: old.id,
        name: old.name.clone(),
        email: old.email.clone(),
        card_linked: store::link_of_user(&st.db, old.id, CARD).await?.is_some(),
    });
    Ok(page)
}

async fn page(
    State(st): State<AppState>,
    c: Ctx,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    if let Err(r) = staff(&st, &c).await? {
        return Ok(r);
    }
    let p = build(&st, c, q.email, None, q.done.is_some()).await?;
    Ok(render(&p)?.into_response())
}

#[derive(Deserialize)]
pub struct RelinkForm {
    #[serde(default)]
    old: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    checked: Option<String>,
}

async fn refuse(st: &AppState, c: Ctx, email: String, key: &str) -> Result<Response, AppError> {
    let msg = c.l.t(key).to_owned();
    let p = build(st, c, email, Some(msg), false).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&p)?).into_response())
}

async fn relink(
    State(st): State<AppState>,
    c: Ctx,
    axum::Form(f): axum::Form<RelinkForm>,
) -> Result<Response, AppError> {
    let me = match staff(&st, &c).await? {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let m = c.tenant.id.clone();
    let ids = (f.old.trim().parse::<i64>(), f.new.trim().parse::<i64>());
    let (Ok(old_id), Ok(new_id)) = ids else {
        return Err(AppError::BadRequest);
    };
    let (Some(old), Some(new)) = (
        resident(&st.db, &m, old_id).await?,
        resident(&st.db, &m, new_id).await?,
    ) else {
        return Err(AppError::NotFound);
    };
    if old.id == new.id {
        return Err(AppError::BadRequest);
    }
    let email = old.email.clone();
    if f.checked.as_deref() != Some("on") {
        return refuse(&st, c, email, "identity.relink_not_checked").await;
    }
    let Some(new_link) = store::link_of_user(&st.db, new.id, CARD).await? else {
        return refuse(&st, c, email, "identity.relink_no_card").await;
    };
    let old_facts = store::facts(&st.db, old.id).await?;
    let new_facts = store::facts(&st.db, new.id).await?;
    if !compare(&old.name, &old_facts, &new_facts, c.l).1 {
        return refuse(&st, c, email, "identity.relink_facts_differ").await;
    }
    let old_link = store::link_of_user(&st.db, old.id, CARD).await?;
    let mut tx = st.db.begin().await?;
    move_link(
        &mut tx,
        old_link.as_ref().map(|l| l.id),
        new_link.id,
        old.id,
    )
    .await?;
    for f in &new_facts {
        store::put_fact(&mut tx, old.id, &f.fact, &f.value).await?;
    }
    disable(&mut tx, new.id).await?;
    audit::record(
        &mut tx,
        &m,
        &Actor::User(me.id),
        "identity.relinked",
        &format!("user:{}", old.id),
        json!({
            "from_user": new.id,
            "to_user": old.id,
            "previous_card_link_removed": old_link.is_some(),
            "facts": new_facts.iter().map(|f| f.fact.as_str()).collect::<Vec<_>>(),
            "identity_document_checked": true,
        }),
    )
    .await?;
    tx.commit().await?;
    let q = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", &email)
        .append_pair("done", "1")
        .finish();
    Ok(Redirect::to(&format!("/staff/identity/relink?{q}")).into_response())
}

/// Removes the old account's card link (if any) and gives it the new card's link, whose
/// facts move with it.
async fn move_link(
    tx: &mut Tx,
    old_link: Option<i64>,
    new_link: i64,
    to_user: i64,
) -> Result<(), sqlx::Error> {
    if let Some(id) = old_link {
        tx.execute(
            &Sql::delete()
                .from_table(IdentityLinks::Table)
                .and_where(Expr::col(IdentityLinks::Id).eq(id))
                .to_owned(),
        )
        .await?;
    }
    tx.execute(
        &Sql::update()
            .table(IdentityLinks::Table)
            .value(IdentityLinks::UserId, to_user)
            .and_where(Expr::col(IdentityLinks::Id).eq(new_link))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The new account: its facts went to the old account; it is disabled and signed out.
async fn disable(tx: &mut Tx, user: i64) -> Result<(), sqlx::Error> {
    tx.execute(
        &Sql::delete()
            .from_table(VerifiedFacts::Table)
            .and_where(Expr::col(VerifiedFacts::UserId).eq(user))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Sql::delete()
            .from_table(Sessions::Table)
            .and_where(Expr::col(Sessions::UserId).eq(user))
            .to_owned(),
    )
    .await?;
    tx.execute(
        &Sql::update()
            .table(Users::Table)
            .value(Users::DisabledAt, now_ms())
            .and_where(Expr::col(Users::Id).eq(user))
            .to_owned(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::i18n::Lang;

    fn row(fact: &str, value: &str) -> FactRow {
        FactRow {
            fact: fact.into(),
            value: value.into(),
            verified_at: 0,
        }
    }

    #[test]
    fn names_must_match_and_no_known_fact_may_differ() {
        let old = vec![row("name", "市川 花子"), row("birthdate", "1988-04-12")];
        let new = vec![
            row("name", "市川　花子"),
            row("birthdate", "1988-04-12"),
            row("address", "千葉県市川市八幡二丁目15番10号"),
        ];
        let (rows, ok) = compare("市川 花子", &old, &new, Lang::Ja);
        assert!(ok, "full-width space aside, the same person");
        assert_eq!(rows.len(), 4);
        assert!(rows[0].same && rows[2].same, "name and birthdate");
        assert!(
            !rows[1].same && !rows[1].differs && !rows[1].neither,
            "address known on one side only"
        );
        assert!(rows[3].neither, "gender on neither side");
        assert_eq!(rows[2].new, "昭和63年4月12日");
        let other = vec![row("name", "市川 花子"), row("birthdate", "1990-01-01")];
        assert!(!compare("市川 花子", &old, &other, Lang::Ja).1);
        // Without a verified name the account's name is compared.
        assert!(compare("市川 花子", &[], &new, Lang::Ja).1);
        assert!(!compare("市川 花", &[], &new, Lang::Ja).1);
        assert!(
            !compare("市川 花子", &old, &[], Lang::Ja).1,
            "no name on the card side"
        );
    }
}
