//! Staff pages `/staff/facilities` (administrators and the configured departments): the
//! registrations waiting for a decision with the automatic screening against every facility's
//! terms (the decision itself is taken on the case page), the user IDs with the linking of old
//! per-facility IDs, the bookings in 減免 review, and the lotteries with the page that creates
//! one (`/staff/facilities/lotteries/new`, the same checks as `madoguchi facilities lottery
//! create`: `lottery::plan`), and the refunds still due (a paid booking cancelled in time whose
//! refund the payment provider has not carried out yet) with a button that tries them now.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::lottery::{self, LotteryForm};
use super::routes::{show_date, status_key};
use super::service::{self, FacError};
use super::{model, registration, store};
use crate::audit::Actor;
use crate::auth::store::UserRow;
use crate::db::schema::Applications as Ap;
use crate::payments::store::Due;
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
        .route("/staff/facilities/lotteries/new", get(new_lottery))
        .route("/staff/facilities/lotteries", post(create_lottery))
        .route("/staff/facilities/refunds", post(retry_refunds))
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

/// A refund Madoguchi decided on that the payment provider has not carried out yet.
pub struct RefundLine {
    pub payment: String,
    pub reservation: String,
    pub amount: i64,
    pub since: String,
}

#[derive(Template)]
#[template(path = "facilities/staff.html")]
struct OverviewPage {
    c: Ctx,
    pending: Vec<PendingLine>,
    users: Vec<UserLine>,
    reviews: Vec<ReviewLine>,
    facilities: Vec<(i64, String)>,
    lotteries: Vec<StaffLottery>,
    refunds: Vec<RefundLine>,
    notice: String,
}

pub struct StaffLottery {
    pub id: i64,
    pub facility: String,
    pub month: String,
    pub status: String,
    pub seed_hash: String,
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
    let lotteries = store::lotteries(&st.db, &c.tenant.id)
        .await?
        .into_iter()
        .map(|l| StaffLottery {
            facility: facilities
                .iter()
                .find(|f| f.id == l.facility_id)
                .map(|f| n(c.l, &f.name_ja, &f.name_en))
                .unwrap_or_default(),
            id: l.id,
            month: l.target_month,
            status: l.status,
            seed_hash: l.seed_hash,
        })
        .collect();
    let refunds = service::refunds_due(&st.db, &c.tenant.id)
        .await?
        .into_iter()
        .map(|d| RefundLine {
            payment: d.payment.public_id,
            reservation: d.booking,
            amount: d.payment.amount_yen,
            since: format!(
                "{} {}",
                show_date(c.l, model::jst_date(d.since)),
                model::hhmm(model::jst_minute_of_day(d.since))
            ),
        })
        .collect();
    Ok(render(&OverviewPage {
        lotteries,
        refunds,
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

/// Tries the municipality's refunds still due now (the facilities job also does, every run);
/// those the provider still cannot carry out stay on the list.
async fn retry_refunds(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let provider = match crate::payments::provider::HttpProvider::from_config(
        &st.cfg.payments,
        &st.cfg.base_url,
        st.sandbox,
    ) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "refunds from the staff page: no payment provider");
            return Ok(Redirect::to("/staff/facilities?done=refunds_no_provider").into_response());
        }
    };
    let n = crate::payments::service::carry_out_refunds(&st.db, &provider, Due::In(&c.tenant.id))
        .await?;
    tracing::info!(refunds = n, "refunds from the staff page");
    Ok(Redirect::to("/staff/facilities?done=refunds").into_response())
}

// ---- creating a lottery -----------------------------------------------------------------------

#[derive(Template)]
#[template(path = "facilities/staff_lottery.html")]
struct NewLotteryPage {
    c: Ctx,
    /// (room id, "facility room", selected).
    rooms: Vec<(i64, String, bool)>,
    room: Option<store::RoomRow>,
    room_name: String,
    /// (HH:MM, "HH:MM–HH:MM", checked).
    times: Vec<(String, String, bool)>,
    form: LotteryForm,
    error: &'static str,
    error_field: &'static str,
}

/// The rooms of the host's municipality, "facility room", in the facilities' order.
async fn room_choices(st: &AppState, c: &Ctx) -> Result<Vec<(store::RoomRow, String)>, AppError> {
    let mut out = Vec::new();
    for f in store::facilities(&st.db, &c.tenant.id).await? {
        for r in store::rooms(&st.db, f.id).await? {
            let label = format!(
                "{} {}",
                n(c.l, &f.name_ja, &f.name_en),
                n(c.l, &r.name_ja, &r.name_en)
            );
            out.push((r, label));
        }
    }
    Ok(out)
}

async fn new_lottery_page(
    st: &AppState,
    c: Ctx,
    room: Option<i64>,
    form: LotteryForm,
    error: Option<lottery::FormError>,
) -> Result<NewLotteryPage, AppError> {
    let choices = room_choices(st, &c).await?;
    let chosen = choices.iter().find(|(r, _)| Some(r.id) == room).cloned();
    let times = match &chosen {
        Some((r, _)) => model::day_slots(model::jst_date(crate::db::now_ms()), &r.hours())
            .iter()
            .map(|(s, e)| {
                let (a, b) = (
                    model::jst_minute_of_day(*s),
                    model::jst_minute_of_day(*e - 1) + 1,
                );
                let v = model::hhmm(a);
                let on = form.times.contains(&v);
                (v, format!("{}–{}", model::hhmm(a), model::hhmm(b)), on)
            })
            .collect(),
        None => Vec::new(),
    };
    Ok(NewLotteryPage {
        rooms: choices
            .iter()
            .map(|(r, l)| (r.id, l.clone(), Some(r.id) == room))
            .collect(),
        room_name: chosen.as_ref().map(|x| x.1.clone()).unwrap_or_default(),
        room: chosen.map(|x| x.0),
        times,
        form,
        error: error.map(|e| e.key).unwrap_or(""),
        error_field: error.map(|e| e.field).unwrap_or(""),
        c,
    })
}

/// The month of use whose entry window (the 1st to the 7th, `months_before` earlier) is the
/// next one still to close.
fn default_month(now: i64, months_before: i64) -> String {
    let today = model::jst_date(now);
    let ahead = if today.day() <= 7 { 0 } else { 1 };
    model::month_string(model::add_months(today, months_before as i32 + ahead))
}

async fn new_lottery(
    State(st): State<AppState>,
    c: Ctx,
    axum::extract::RawQuery(q): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    if let Err(r) = allowed(&st, &c).await? {
        return Ok(r);
    }
    let pairs = form_pairs(q.as_deref().unwrap_or("").as_bytes());
    let room = field(&pairs, "room").parse::<i64>().ok();
    let (_, months_before) = st.cfg.facilities.for_municipality(&c.tenant.id);
    let mut form = LotteryForm {
        month: default_month(crate::db::now_ms(), months_before),
        max_entries: "2".into(),
        ..Default::default()
    };
    if let Some(r) = room
        && let Some(r) = store::room(&st.db, r).await?
        && let Some(f) = store::facility(&st.db, &c.tenant.id, r.facility_id).await?
    {
        form.citizens_only = f.citizens_only_lottery;
    }
    Ok(render(&new_lottery_page(&st, c, room, form, None).await?)?.into_response())
}

async fn create_lottery(
    State(st): State<AppState>,
    c: Ctx,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match allowed(&st, &c).await? {
        Ok(u) => u,
        Err(r) => return Ok(r),
    };
    let pairs = form_pairs(&body);
    let form = LotteryForm {
        month: field(&pairs, "month").to_owned(),
        days: field(&pairs, "days").to_owned(),
        times: pairs
            .iter()
            .filter(|(k, _)| k == "times")
            .map(|(_, v)| v.clone())
            .collect(),
        opens: field(&pairs, "opens").to_owned(),
        closes: field(&pairs, "closes").to_owned(),
        draw: field(&pairs, "draw").to_owned(),
        confirm_until: field(&pairs, "confirm_until").to_owned(),
        max_entries: field(&pairs, "max_entries").to_owned(),
        max_wins: field(&pairs, "max_wins").to_owned(),
        citizens_only: field(&pairs, "citizens_only") == "yes",
    };
    // A room of another municipality is no room here.
    let mut room = None;
    if let Ok(id) = field(&pairs, "room").parse::<i64>()
        && let Some(r) = store::room(&st.db, id).await?
        && store::facility(&st.db, &c.tenant.id, r.facility_id)
            .await?
            .is_some()
    {
        room = Some(r);
    }
    let refuse = |page: NewLotteryPage| -> Result<Response, AppError> {
        let mut r = render(&page)?.into_response();
        *r.status_mut() = axum::http::StatusCode::BAD_REQUEST;
        Ok(r)
    };
    let Some(room) = room else {
        let e = lottery::FormError {
            field: "room",
            key: "fac.new_pick_room",
        };
        return refuse(new_lottery_page(&st, c, None, form, Some(e)).await?);
    };
    let (_, months_before) = st.cfg.facilities.for_municipality(&c.tenant.id);
    let plan = match lottery::plan(&form, &room, months_before, crate::db::now_ms()) {
        Ok(p) => p,
        Err(e) => return refuse(new_lottery_page(&st, c, Some(room.id), form, Some(e)).await?),
    };
    match lottery::create(&st.db, &c.tenant.id, &Actor::User(me.id), &plan).await {
        Ok(id) => Ok(
            Redirect::to(&format!("/staff/facilities?done=lottery&lottery={id}")).into_response(),
        ),
        Err(FacError::Invalid(key)) => {
            let field = match key {
                "fac.lottery_exists" => "month",
                "fac.new_bad_window" => "closes",
                _ => "days",
            };
            let e = lottery::FormError { field, key };
            refuse(new_lottery_page(&st, c, Some(room.id), form, Some(e)).await?)
        }
        Err(FacError::Refused(r)) => {
            let e = lottery::FormError {
                field: "times",
                key: r.key(),
            };
            refuse(new_lottery_page(&st, c, Some(room.id), form, Some(e)).await?)
        }
        Err(e) => problem(c, e),
    }
}
