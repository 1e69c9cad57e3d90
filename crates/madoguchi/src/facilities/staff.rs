//! Staff pages `/staff/facilities` (administrators and the configured departments): the
//! registrations waiting for a decision with the automatic screening against every facility's
//! terms (the decision itself is taken on the case page), the user IDs with the linking of old
//! per-facility IDs, and the bookings in 減免 review.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::routes::{show_date, status_key};
use super::service::{self, FacError};
use super::{model, registration, store};
use crate::audit::Actor;
use crate::auth::store::UserRow;
use crate::db::schema::Applications as Ap;
use crate::procedures::application::pages::{field, form_pairs};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::render;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/facilities", get(overview))
        .route("/staff/facilities/users/{number}/link", post(link))
        .route("/staff/facilities/reviews/{pid}", post(review))
}

async fn allowed(st: &AppState, c: &Ctx) -> Result<Result<UserRow, Response>, AppError> {
    crate::web::staff::require_department_staff(st, c, &st.cfg.facilities.departments).await
}

pub struct Screened {
    pub facility: String,
    pub reason_key: String,
}

pub struct PendingLine {
    pub receipt: String,
    pub applicant: String,
    pub state: String,
    pub group: bool,
    pub citizen: bool,
    pub purposes: String,
    pub ok: Vec<String>,
    pub refused: Vec<Screened>,
}

pub struct UserLine {
    pub number: String,
    pub name: String,
    pub kind: String,
    pub citizen: bool,
    pub valid_until: String,
    pub legacy: String,
}

pub struct ReviewLine {
    pub public_id: String,
    pub room: String,
    pub when: String,
    pub genmen: String,
    pub fee: i64,
    pub status_key: &'static str,
}

#[derive(Template)]
#[template(path = "facilities/staff.html")]
struct OverviewPage {
    c: Ctx,
    pending: Vec<PendingLine>,
    users: Vec<UserLine>,
    reviews: Vec<ReviewLine>,
    facilities: Vec<(i64, String)>,
    notice: String,
}

#[derive(sqlx::FromRow)]
struct AppLine {
    receipt: String,
    applicant_name: String,
    answers: String,
    state: String,
}

fn n(l: Lang, ja: &str, en: &str) -> String {
    match l {
        Lang::Ja => ja.to_owned(),
        Lang::En => en.to_owned(),
    }
}

async fn overview(
    State(st): State<AppState>,
    c: Ctx,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let pairs = form_pairs(q.as_deref().unwrap_or("").as_bytes());
    let facilities = store::facilities(&st.db, &c.tenant.id).await?;
    let mut pending = Vec::new();
    if let Some(p) =
        crate::procedures::store::find_by_slug(&st.db, &c.tenant.id, registration::SLUG).await?
    {
        let apps: Vec<AppLine> = st
            .db
            .fetch_all(
                &Query::select()
                    .columns([Ap::Receipt, Ap::ApplicantName, Ap::Answers, Ap::State])
                    .from(Ap::Table)
                    .and_where(Expr::col(Ap::MunicipalityId).eq(c.tenant.id.as_str()))
                    .and_where(Expr::col(Ap::ProcedureId).eq(p.id))
                    .and_where(Expr::col(Ap::State).is_not_in([
                        "approved",
                        "rejected",
                        "dismissed",
                        "withdrawn",
                        "completed",
                    ]))
                    .order_by(Ap::Id, Order::Asc)
                    .to_owned(),
            )
            .await?;
        for a in apps {
            let answers: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&a.answers).unwrap_or_default();
            let reg = service::registration_of(&answers, &a.applicant_name);
            let mut ok = Vec::new();
            let mut refused = Vec::new();
            for (f, reason) in service::screening(&facilities, &reg) {
                match reason {
                    None => ok.push(n(c.l, &f.name_ja, &f.name_en)),
                    Some(k) => refused.push(Screened {
                        facility: n(c.l, &f.name_ja, &f.name_en),
                        reason_key: k.to_owned(),
                    }),
                }
            }
            pending.push(PendingLine {
                receipt: a.receipt,
                applicant: reg.name.clone(),
                state: a.state,
                group: reg.group,
                citizen: reg.citizen,
                purposes: reg
                    .purposes
                    .iter()
                    .map(|p| c.l.t(&format!("fac.purpose_{p}")))
                    .collect::<Vec<_>>()
                    .join("、"),
                ok,
                refused,
            });
        }
    }
    let mut users = Vec::new();
    for u in store::users(&st.db, &c.tenant.id).await? {
        let legacy = store::legacy_ids(&st.db, u.id)
            .await?
            .into_iter()
            .map(|(fid, lid)| {
                let f = facilities
                    .iter()
                    .find(|f| f.id == fid)
                    .map(|f| n(c.l, &f.name_ja, &f.name_en))
                    .unwrap_or_default();
                format!("{f}: {lid}")
            })
            .collect::<Vec<_>>()
            .join("、");
        users.push(UserLine {
            valid_until: model::parse_date(&u.valid_until)
                .map(|d| show_date(c.l, d))
                .unwrap_or_default(),
            number: u.user_number,
            name: u.name,
            kind: u.kind,
            citizen: u.citizen,
            legacy,
        });
    }
    let mut reviews = Vec::new();
    for r in store::reservations_in_review(&st.db, &c.tenant.id).await? {
        let room = store::room(&st.db, r.room_id)
            .await?
            .map(|x| n(c.l, &x.name_ja, &x.name_en))
            .unwrap_or_default();
        reviews.push(ReviewLine {
            public_id: r.public_id.clone(),
            room,
            when: format!(
                "{} {}–{}",
                show_date(c.l, model::jst_date(r.starts_at)),
                model::hhmm(model::jst_minute_of_day(r.starts_at)),
                model::hhmm(model::jst_minute_of_day(r.ends_at - 1) + 1)
            ),
            genmen: r.genmen.clone().unwrap_or_default(),
            fee: r.fee_yen,
            status_key: status_key(&r.status),
        });
    }
    Ok(render(&OverviewPage {
        facilities: facilities
            .iter()
            .map(|f| (f.id, n(c.l, &f.name_ja, &f.name_en)))
            .collect(),
        notice: field(&pairs, "done").to_owned(),
        c,
        pending,
        users,
        reviews,
    })?
    .into_response())
}

#[derive(Template)]
#[template(path = "facilities/message.html")]
struct MessagePage {
    c: Ctx,
    key: &'static str,
    back: &'static str,
}

fn problem(c: Ctx, e: FacError) -> Result<Response, AppError> {
    let key = match e {
        FacError::Refused(r) => r.key(),
        FacError::Invalid(k) => k,
        FacError::NotFound => return Err(AppError::NotFound),
        FacError::Db(e) => return Err(e.into()),
    };
    let mut r = render(&MessagePage {
        c,
        key,
        back: "/staff/facilities",
    })?
    .into_response();
    *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    Ok(r)
}

async fn link(
    State(st): State<AppState>,
    c: Ctx,
    Path(number): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match allowed(&st, &c).await? {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let pairs = form_pairs(&body);
    let Ok(facility) = field(&pairs, "facility").parse::<i64>() else {
        return problem(c, FacError::Invalid("fac.bad_facility"));
    };
    match service::link_legacy(
        &st.db,
        &c.tenant.id,
        me.id,
        &number,
        facility,
        field(&pairs, "legacy_id"),
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/staff/facilities?done=linked").into_response()),
        Err(e) => problem(c, e),
    }
}

async fn review(
    State(st): State<AppState>,
    c: Ctx,
    Path(pid): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match allowed(&st, &c).await? {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let pairs = form_pairs(&body);
    let accept = field(&pairs, "decision") == "accept";
    match service::decide_review(&st.db, &c.tenant.id, &Actor::User(me.id), &pid, accept).await {
        Ok(()) => Ok(Redirect::to("/staff/facilities?done=reviewed").into_response()),
        Err(e) => problem(c, e),
    }
}
