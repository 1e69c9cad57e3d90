//! The resident's pages: facilities → a facility (terms, rules, rooms) → a room's day (free
//! slots) → confirm (purpose, 減免) → booked; My Page (the user ID, where it is approved and
//! why not, bookings with cancel and confirm, renewal); lotteries (the published seed hash,
//! entry, the revealed seed and results). Plain HTML forms (GET to choose, POST to change), so
//! every flow works without JavaScript.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::api::{Slot, day_availability};
use super::model::{self, Refusal};
use super::service::{self, BookRequest, FacError};
use super::store::{self, FacilityRow, RoomRow};
use super::{lottery, registration};
use crate::audit::Actor;
use crate::auth::store::UserRow;
use crate::procedures::application::pages::{field, form_pairs};
use crate::web::AppState;
use crate::web::ctx::Ctx;
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::{render, require_resident};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/facilities", get(list))
        .route("/facilities/reserve", post(reserve))
        .route("/facilities/{id}", get(facility))
        .route("/facilities/{id}/rooms/{room}", get(room_day))
        .route("/facilities/{id}/rooms/{room}/confirm", get(confirm_page))
        .route("/facilities/lotteries/{id}", get(lottery_page))
        .route("/facilities/lotteries/{id}/enter", post(lottery_enter))
        .route("/mypage/facilities", get(mine))
        .route("/mypage/facilities/renew", post(renew))
        .route("/mypage/facilities/{pid}/cancel", post(cancel))
        .route("/mypage/facilities/{pid}/confirm", post(confirm_win))
        .route("/mypage/facilities/{pid}/pay", post(pay))
}

fn resident(c: &Ctx) -> Result<UserRow, Redirect> {
    require_resident(c)?;
    c.user
        .clone()
        .ok_or_else(|| Redirect::to("/login?needed=1"))
}

fn name(l: Lang, ja: &str, en: &str) -> String {
    match l {
        Lang::Ja => ja.to_owned(),
        Lang::En => en.to_owned(),
    }
}

fn kind_key(kind: &str) -> &'static str {
    match kind {
        "kominkan" => "fac.kind_kominkan",
        "taiikukan" => "fac.kind_taiikukan",
        "shukai" => "fac.kind_shukai",
        _ => "fac.kind_tennis",
    }
}

pub fn status_key(s: &str) -> &'static str {
    match s {
        "confirmed" => "fac.st_confirmed",
        "review" => "fac.st_review",
        "won" => "fac.st_won",
        "unpaid" => "fac.st_unpaid",
        "cancelled" => "fac.st_cancelled",
        "forfeited" => "fac.st_forfeited",
        _ => "fac.st_refused",
    }
}

/// A date as residents read it: 2026年5月10日（日） / Sun 10 May 2026.
pub fn show_date(l: Lang, d: time::Date) -> String {
    let wd = d.weekday().number_days_from_sunday() as usize;
    match l {
        Lang::Ja => format!(
            "{}年{}月{}日（{}）",
            d.year(),
            u8::from(d.month()),
            d.day(),
            ["日", "月", "火", "水", "木", "金", "土"][wd]
        ),
        Lang::En => format!(
            "{} {} {} {}",
            ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][wd],
            d.day(),
            d.month(),
            d.year()
        ),
    }
}

fn when(l: Lang, start: i64, end: i64) -> String {
    format!(
        "{} {}–{}",
        show_date(l, model::jst_date(start)),
        model::hhmm(model::jst_minute_of_day(start)),
        model::hhmm(model::jst_minute_of_day(end - 1) + 1)
    )
}

fn refusal_page(c: Ctx, e: FacError) -> Result<Response, AppError> {
    let (status, key) = match e {
        FacError::Refused(r) => (StatusCode::CONFLICT, r.key()),
        FacError::Invalid(k) => (StatusCode::BAD_REQUEST, k),
        FacError::NotFound => return Err(AppError::NotFound),
        FacError::Db(e) => return Err(e.into()),
    };
    let mut r = render(&MessagePage {
        c,
        key,
        back: "/mypage/facilities",
    })?
    .into_response();
    *r.status_mut() = status;
    Ok(r)
}

#[derive(Template)]
#[template(path = "facilities/message.html")]
struct MessagePage {
    c: Ctx,
    key: &'static str,
    back: &'static str,
}

// ---- list and facility ------------------------------------------------------------------------

pub struct FacilityLine {
    pub id: i64,
    pub name: String,
    pub kind_key: &'static str,
    pub address: String,
    pub online: bool,
}

pub struct LotteryLine {
    pub id: i64,
    pub facility: String,
    pub month: String,
    pub status: String,
    pub closes: String,
}

#[derive(Template)]
#[template(path = "facilities/list.html")]
struct ListPage {
    c: Ctx,
    facilities: Vec<FacilityLine>,
    lotteries: Vec<LotteryLine>,
    registered: bool,
    register_url: String,
}

async fn list(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    let rows = store::facilities(&st.db, &c.tenant.id).await?;
    let facilities = rows
        .iter()
        .map(|f| FacilityLine {
            id: f.id,
            name: name(c.l, &f.name_ja, &f.name_en),
            kind_key: kind_key(&f.kind),
            address: f.address.clone(),
            online: f.online_registration,
        })
        .collect();
    let lotteries = store::lotteries(&st.db, &c.tenant.id)
        .await?
        .into_iter()
        .map(|l| LotteryLine {
            id: l.id,
            facility: rows
                .iter()
                .find(|f| f.id == l.facility_id)
                .map(|f| name(c.l, &f.name_ja, &f.name_en))
                .unwrap_or_default(),
            month: l.target_month.clone(),
            status: l.status.clone(),
            closes: c.l.datetime(l.closes_at),
        })
        .collect();
    let registered = match &c.user {
        Some(u) if c.is_resident() => store::user_of_resident(&st.db, &c.tenant.id, u.id)
            .await?
            .is_some(),
        _ => false,
    };
    Ok(render(&ListPage {
        c,
        facilities,
        lotteries,
        registered,
        register_url: format!("/procedures/{}/apply", registration::SLUG),
    })?
    .into_response())
}

pub struct RoomLine {
    pub id: i64,
    pub name: String,
    pub capacity: i64,
    pub hours: String,
    pub slot_min: i64,
    pub fee_citizen: i64,
    pub fee_other: i64,
    pub combined: bool,
}

#[derive(Template)]
#[template(path = "facilities/facility.html")]
struct FacilityPage {
    c: Ctx,
    f: FacilityRow,
    name: String,
    kind_key: &'static str,
    rooms: Vec<RoomLine>,
    today: String,
}

async fn facility_of(st: &AppState, c: &Ctx, id: i64) -> Result<FacilityRow, AppError> {
    store::facility(&st.db, &c.tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

async fn facility(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let f = facility_of(&st, &c, id).await?;
    let mut rooms = Vec::new();
    for r in store::rooms(&st.db, f.id).await? {
        rooms.push(RoomLine {
            id: r.id,
            name: name(c.l, &r.name_ja, &r.name_en),
            capacity: r.capacity,
            hours: format!("{}–{}", model::hhmm(r.opens_min), model::hhmm(r.closes_min)),
            slot_min: r.slot_min,
            fee_citizen: r.fee_citizen_yen,
            fee_other: r.fee_other_yen,
            combined: store::atoms(&st.db, r.id).await?.len() > 1,
        });
    }
    let today = model::date_string(model::jst_date(crate::db::now_ms()) + time::Duration::days(1));
    Ok(render(&FacilityPage {
        name: name(c.l, &f.name_ja, &f.name_en),
        kind_key: kind_key(&f.kind),
        c,
        f,
        rooms,
        today,
    })?
    .into_response())
}

// ---- a room's day -----------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "facilities/room.html")]
struct RoomPage {
    c: Ctx,
    f: FacilityRow,
    facility: String,
    room: RoomRow,
    room_name: String,
    date: String,
    date_shown: String,
    prev: String,
    next: String,
    slots: Vec<Slot>,
    bad_date: bool,
}

async fn room_of(st: &AppState, f: &FacilityRow, room: i64) -> Result<RoomRow, AppError> {
    store::room(&st.db, room)
        .await?
        .filter(|r| r.facility_id == f.id)
        .ok_or(AppError::NotFound)
}

async fn room_day(
    State(st): State<AppState>,
    c: Ctx,
    Path((id, room)): Path<(i64, i64)>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let f = facility_of(&st, &c, id).await?;
    let room = room_of(&st, &f, room).await?;
    let pairs = form_pairs(q.as_deref().unwrap_or("").as_bytes());
    let now = crate::db::now_ms();
    let asked = field(&pairs, "date");
    let parsed = model::parse_date(asked);
    let bad_date = !asked.is_empty() && parsed.is_none();
    let date = parsed.unwrap_or_else(|| model::jst_date(now) + time::Duration::days(1));
    let slots = day_availability(&st, &room, date, now).await?;
    Ok(render(&RoomPage {
        facility: name(c.l, &f.name_ja, &f.name_en),
        room_name: name(c.l, &room.name_ja, &room.name_en),
        date: model::date_string(date),
        date_shown: show_date(c.l, date),
        prev: model::date_string(date - time::Duration::days(1)),
        next: model::date_string(date + time::Duration::days(1)),
        c,
        f,
        room,
        slots,
        bad_date,
    })?
    .into_response())
}

// ---- confirm and book -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "facilities/confirm.html")]
struct ConfirmPage {
    c: Ctx,
    f: FacilityRow,
    facility: String,
    room: RoomRow,
    room_name: String,
    start: i64,
    end: i64,
    when: String,
    date: String,
    purposes: Vec<(&'static str, bool, String)>,
    genmen: Vec<(&'static str, bool, String)>,
    any_genmen: bool,
    /// A refusal or a bad field: the message key.
    error: &'static str,
    registered: bool,
}

#[allow(clippy::too_many_arguments)]
async fn confirm_view(
    st: &AppState,
    c: Ctx,
    f: FacilityRow,
    room: RoomRow,
    start: i64,
    end: i64,
    purpose: &str,
    genmen: &str,
    error: &'static str,
) -> Result<ConfirmPage, AppError> {
    let registered = match &c.user {
        Some(u) => store::user_of_resident(&st.db, &c.tenant.id, u.id)
            .await?
            .is_some(),
        None => false,
    };
    Ok(ConfirmPage {
        facility: name(c.l, &f.name_ja, &f.name_en),
        room_name: name(c.l, &room.name_ja, &room.name_en),
        when: when(c.l, start, end),
        date: model::date_string(model::jst_date(start)),
        purposes: model::PURPOSES
            .iter()
            .map(|p| {
                (
                    *p,
                    *p == purpose,
                    c.l.t(&format!("fac.purpose_{p}")).to_owned(),
                )
            })
            .collect(),
        genmen: model::GENMEN
            .iter()
            .map(|(g, _)| {
                (
                    *g,
                    *g == genmen,
                    c.l.t(&format!("fac.genmen_{g}")).to_owned(),
                )
            })
            .collect(),
        any_genmen: model::GENMEN.iter().any(|(g, _)| *g == genmen),
        c,
        f,
        room,
        start,
        end,
        error,
        registered,
    })
}

async fn confirm_page(
    State(st): State<AppState>,
    c: Ctx,
    Path((id, room)): Path<(i64, i64)>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    if let Err(r) = resident(&c) {
        return Ok(r.into_response());
    }
    let f = facility_of(&st, &c, id).await?;
    let room = room_of(&st, &f, room).await?;
    let pairs = form_pairs(q.as_deref().unwrap_or("").as_bytes());
    let (Ok(start), Ok(end)) = (
        field(&pairs, "start").parse::<i64>(),
        field(&pairs, "end").parse::<i64>(),
    ) else {
        return Err(AppError::NotFound);
    };
    let page = confirm_view(&st, c, f, room, start, end, "meeting", "", "").await?;
    Ok(render(&page)?.into_response())
}

async fn reserve(State(st): State<AppState>, c: Ctx, body: Bytes) -> Result<Response, AppError> {
    let user = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs = form_pairs(&body);
    let room_id: i64 = field(&pairs, "room")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let start: i64 = field(&pairs, "start")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let end: i64 = field(&pairs, "end")
        .parse()
        .map_err(|_| AppError::NotFound)?;
    let room = store::room(&st.db, room_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = facility_of(&st, &c, room.facility_id).await?;
    let purpose = field(&pairs, "purpose").to_owned();
    let genmen = field(&pairs, "genmen").to_owned();
    let req = BookRequest {
        room: room.id,
        start,
        end,
        purpose: purpose.clone(),
        genmen: (!genmen.is_empty()).then(|| genmen.clone()),
    };
    match service::book(&st.db, &c.tenant.id, &Actor::User(user.id), user.id, &req).await {
        Ok(r) => {
            Ok(Redirect::to(&format!("/mypage/facilities?done={}", r.public_id)).into_response())
        }
        Err(FacError::Db(e)) => Err(e.into()),
        Err(FacError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            let (status, key) = match e {
                FacError::Refused(r) => (StatusCode::CONFLICT, r.key()),
                FacError::Invalid(k) => (StatusCode::BAD_REQUEST, k),
                _ => (StatusCode::BAD_REQUEST, "fac.err_terms"),
            };
            let page = confirm_view(&st, c, f, room, start, end, &purpose, &genmen, key).await?;
            let mut r = render(&page)?.into_response();
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

// ---- My Page ----------------------------------------------------------------------------------

pub struct ApprovalLine {
    pub facility: String,
    pub approved: bool,
    pub reason_key: String,
}

pub struct BookingLine {
    pub public_id: String,
    pub facility: String,
    pub room: String,
    pub when: String,
    pub status_key: &'static str,
    pub fee: i64,
    pub can_cancel: bool,
    pub can_confirm: bool,
    pub confirm_by: String,
    pub can_pay: bool,
    pub pay_by: String,
    /// Paid online and not refunded: cancelling refunds it (the page says so).
    pub paid: bool,
    /// "" or the message key of its refund: `fac.refund_pending`, `fac.refund_done`.
    pub refund_key: &'static str,
}

/// What a booking's payments say for My Page: (paid and not being refunded, refund message).
fn refund_of(payments: &[crate::payments::store::PaymentRow]) -> (bool, &'static str) {
    let refunded = payments.iter().any(|p| p.state == "refunded");
    let pending = payments
        .iter()
        .any(|p| p.state == "succeeded" && p.refund_requested_at.is_some());
    let paid = payments
        .iter()
        .any(|p| p.state == "succeeded" && p.refund_requested_at.is_none());
    let key = if pending {
        "fac.refund_pending"
    } else if refunded {
        "fac.refund_done"
    } else {
        ""
    };
    (paid, key)
}

pub struct EntryLine {
    pub lottery: i64,
    pub facility: String,
    pub when: String,
    pub result: String,
}

#[derive(Template)]
#[template(path = "facilities/mine.html")]
struct MinePage {
    c: Ctx,
    user: Option<store::FacUserRow>,
    valid_until: String,
    can_renew: bool,
    approvals: Vec<ApprovalLine>,
    legacy: Vec<(String, String)>,
    bookings: Vec<BookingLine>,
    entries: Vec<EntryLine>,
    done: String,
    renewed: bool,
    /// The payment state after the provider sent the resident back (`payments` return page).
    paid: String,
    register_url: String,
}

async fn mine(
    State(st): State<AppState>,
    c: Ctx,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let me = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs = form_pairs(q.as_deref().unwrap_or("").as_bytes());
    let facilities = store::facilities(&st.db, &c.tenant.id).await?;
    let fname = |id: i64| {
        facilities
            .iter()
            .find(|f| f.id == id)
            .map(|f| name(c.l, &f.name_ja, &f.name_en))
            .unwrap_or_default()
    };
    let user = store::user_of_resident(&st.db, &c.tenant.id, me.id).await?;
    let now = crate::db::now_ms();
    let today = model::jst_date(now);
    let (mut approvals, mut legacy, mut bookings, mut entries) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut valid_until, mut can_renew) = (String::new(), false);
    if let Some(u) = &user {
        let until = model::parse_date(&u.valid_until).unwrap_or(today);
        valid_until = show_date(c.l, until);
        can_renew = model::may_renew(today, until);
        for a in store::approvals(&st.db, u.id).await? {
            approvals.push(ApprovalLine {
                facility: fname(a.facility_id),
                approved: a.approved,
                reason_key: a.reason,
            });
        }
        for (fid, lid) in store::legacy_ids(&st.db, u.id).await? {
            legacy.push((fname(fid), lid));
        }
        let mine = store::reservations_of_user(&st.db, u.id).await?;
        let ids: Vec<i64> = mine.iter().map(|r| r.id).collect();
        let payments = crate::payments::store::of_reservations(&st.db, &ids).await?;
        let mut rooms: std::collections::HashMap<i64, Option<store::RoomRow>> =
            std::collections::HashMap::new();
        for r in mine {
            let room = match rooms.entry(r.room_id) {
                std::collections::hash_map::Entry::Occupied(e) => e.get().clone(),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(store::room(&st.db, r.room_id).await?).clone()
                }
            };
            let (rname, fid) = room
                .as_ref()
                .map(|x| (name(c.l, &x.name_ja, &x.name_en), x.facility_id))
                .unwrap_or_default();
            let rules = facilities.iter().find(|f| f.id == fid).map(|f| f.rules());
            let live = store::LIVE.contains(&r.status.as_str());
            let of_this: Vec<_> = payments
                .iter()
                .filter(|p| p.reservation_id == Some(r.id))
                .cloned()
                .collect();
            let (paid, refund_key) = refund_of(&of_this);
            bookings.push(BookingLine {
                public_id: r.public_id.clone(),
                facility: fname(fid),
                room: rname,
                when: when(c.l, r.starts_at, r.ends_at),
                status_key: status_key(&r.status),
                fee: r.fee_yen,
                can_cancel: live
                    && (r.status == "won"
                        || rules
                            .is_some_and(|x| model::check_cancel(now, r.starts_at, &x).is_ok())),
                can_confirm: r.status == "won" && r.confirm_by.is_some_and(|t| now <= t),
                confirm_by: r.confirm_by.map(|t| c.l.datetime(t)).unwrap_or_default(),
                can_pay: r.status == "unpaid" && r.pay_by.is_some_and(|t| now <= t),
                pay_by: r.pay_by.map(|t| c.l.datetime(t)).unwrap_or_default(),
                paid: live && paid,
                refund_key,
            });
        }
        for e in store::entries_of_user(&st.db, u.id).await? {
            let l = store::lottery(&st.db, e.lottery_id).await?;
            let slot = store::slots(&st.db, e.lottery_id)
                .await?
                .into_iter()
                .find(|s| s.id == e.slot_id);
            entries.push(EntryLine {
                lottery: e.lottery_id,
                facility: l.map(|l| fname(l.facility_id)).unwrap_or_default(),
                when: slot
                    .map(|s| when(c.l, s.starts_at, s.ends_at))
                    .unwrap_or_default(),
                result: e.result.clone(),
            });
        }
    }
    Ok(render(&MinePage {
        done: field(&pairs, "done").to_owned(),
        renewed: field(&pairs, "renewed") == "1",
        paid: field(&pairs, "paid").to_owned(),
        c,
        user,
        valid_until,
        can_renew,
        approvals,
        legacy,
        bookings,
        entries,
        register_url: format!("/procedures/{}/apply", registration::SLUG),
    })?
    .into_response())
}

async fn renew(State(st): State<AppState>, c: Ctx) -> Result<Response, AppError> {
    let me = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    match service::renew(&st.db, &c.tenant.id, &Actor::User(me.id), me.id).await {
        Ok(_) => Ok(Redirect::to("/mypage/facilities?renewed=1").into_response()),
        Err(e) => refusal_page(c, e),
    }
}

async fn cancel(
    State(st): State<AppState>,
    c: Ctx,
    Path(pid): Path<String>,
) -> Result<Response, AppError> {
    let me = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    match service::cancel(&st.db, &c.tenant.id, &Actor::User(me.id), me.id, &pid).await {
        Ok(done) => {
            refund_now(&st, &done).await;
            let to = if done.refund.is_some() {
                "/mypage/facilities?done=cancelled_refund"
            } else {
                "/mypage/facilities?done=cancelled"
            };
            Ok(Redirect::to(to).into_response())
        }
        Err(e) => refusal_page(c, e),
    }
}

/// Carries out the refund a cancellation decided on, right away, so the resident's page shows
/// it done. It is already durable (`facilities::service::cancel` marked the payment): when the
/// provider cannot be reached now, the facilities job does it later.
pub(crate) async fn refund_now(st: &AppState, done: &service::Cancelled) {
    let Some((payment, _)) = done.refund else {
        return;
    };
    match crate::payments::provider::HttpProvider::from_config(
        &st.cfg.payments,
        &st.cfg.base_url,
        st.sandbox,
    ) {
        Ok(p) => {
            if let Err(e) = crate::payments::service::carry_out_refunds(
                &st.db,
                &p,
                crate::payments::store::Due::Payment(payment),
            )
            .await
            {
                tracing::warn!(error = %e, payment, "refund after a cancellation: left to the job");
            }
        }
        Err(e) => tracing::warn!(error = %e, payment, "refund after a cancellation: no provider"),
    }
}

async fn confirm_win(
    State(st): State<AppState>,
    c: Ctx,
    Path(pid): Path<String>,
) -> Result<Response, AppError> {
    let me = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    match lottery::confirm(&st.db, &c.tenant.id, &Actor::User(me.id), me.id, &pid).await {
        Ok(()) => Ok(Redirect::to(&format!("/mypage/facilities?done={pid}")).into_response()),
        Err(e) => refusal_page(c, e),
    }
}

/// 「支払う」: start (or resume) the online payment of an unpaid booking and send the browser
/// to the provider, the same provider flow as application fees.
async fn pay(
    State(st): State<AppState>,
    c: Ctx,
    headers: axum::http::HeaderMap,
    Path(pid): Path<String>,
) -> Result<Response, AppError> {
    use crate::payments::service::PayError;
    let me = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let base = crate::procedures::application::pages::base_url(&st, &headers);
    let description = match store::reservation(&st.db, &c.tenant.id, &pid).await? {
        Some(r) => {
            let room = store::room(&st.db, r.room_id).await?;
            format!(
                "施設使用料 {} {} 予約番号 {}",
                room.map(|x| x.name_ja).unwrap_or_default(),
                when(Lang::Ja, r.starts_at, r.ends_at),
                r.public_id
            )
        }
        None => return Err(AppError::NotFound),
    };
    let r = match crate::payments::provider::HttpProvider::from_config(
        &st.cfg.payments,
        &st.cfg.base_url,
        st.sandbox,
    ) {
        Ok(p) => {
            service::start_payment(
                &st.db,
                &p,
                &st.cfg.payments,
                &c.tenant.id,
                me.id,
                &pid,
                description,
                &base,
            )
            .await
        }
        Err(e) => Err(e.into()),
    };
    match r {
        Ok(url) => Ok(Redirect::to(&url).into_response()),
        Err(PayError::NotFound) => Err(AppError::NotFound),
        Err(PayError::Db(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, reservation = %pid, "booking payment not started");
            let key = match e {
                PayError::AlreadyPaid => "fac.pay_already",
                PayError::CaseClosed | PayError::NothingToPay => "fac.pay_closed",
                _ => "fac.pay_unavailable",
            };
            let status = match e {
                PayError::Provider(_) | PayError::Mismatch(_) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::CONFLICT,
            };
            let mut r = render(&MessagePage {
                c,
                key,
                back: "/mypage/facilities",
            })?
            .into_response();
            *r.status_mut() = status;
            Ok(r)
        }
    }
}

// ---- lotteries --------------------------------------------------------------------------------

pub struct SlotLine {
    pub id: i64,
    pub when: String,
    pub entries: usize,
    pub winner: bool,
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "facilities/lottery.html")]
struct LotteryPage {
    c: Ctx,
    l: store::LotteryRow,
    facility: String,
    room: String,
    opens: String,
    closes: String,
    draw_at: String,
    confirm_until: String,
    open_now: bool,
    slots: Vec<SlotLine>,
    entered: bool,
    error: &'static str,
    entries: Vec<PublishedEntry>,
}

/// A line of the published entry list: with the revealed seed, anyone can re-run the draw.
/// `applicant` is a pseudonym of the user ID (the smallest entry id it has in the lottery),
/// enough to apply the maximum of wins and nothing more.
pub struct PublishedEntry {
    pub id: i64,
    pub slot: i64,
    pub applicant: i64,
    pub choice: i64,
    pub first: String,
    pub result: String,
}

async fn lottery_view(
    st: &AppState,
    c: Ctx,
    id: i64,
    entered: bool,
    error: &'static str,
) -> Result<LotteryPage, AppError> {
    let l = store::lottery(&st.db, id)
        .await?
        .filter(|l| l.municipality_id == c.tenant.id)
        .ok_or(AppError::NotFound)?;
    let f = facility_of(st, &c, l.facility_id).await?;
    let slots = store::slots(&st.db, l.id).await?;
    let entries = store::entries(&st.db, l.id).await?;
    let me = match &c.user {
        Some(u) if c.is_resident() => store::user_of_resident(&st.db, &c.tenant.id, u.id).await?,
        _ => None,
    };
    let room = match slots.first() {
        Some(s) => store::room(&st.db, s.room_id)
            .await?
            .map(|r| name(c.l, &r.name_ja, &r.name_en))
            .unwrap_or_default(),
        None => String::new(),
    };
    let now = crate::db::now_ms();
    let lines = slots
        .iter()
        .map(|s| SlotLine {
            id: s.id,
            when: when(c.l, s.starts_at, s.ends_at),
            entries: entries.iter().filter(|e| e.slot_id == s.id).count(),
            winner: entries
                .iter()
                .any(|e| e.slot_id == s.id && e.result == "won"),
            mine: me.as_ref().is_some_and(|u| {
                entries
                    .iter()
                    .any(|e| e.slot_id == s.id && e.fac_user_id == u.id)
            }),
        })
        .collect();
    // The published entry list (entry id, slot id, result): with the revealed seed, anyone can
    // re-run the draw.
    let list = entries
        .iter()
        .map(|e| PublishedEntry {
            id: e.id,
            slot: e.slot_id,
            applicant: entries
                .iter()
                .filter(|x| x.fac_user_id == e.fac_user_id)
                .map(|x| x.id)
                .min()
                .unwrap_or(e.id),
            choice: e.choice,
            first: e.first_entry_id.map(|f| f.to_string()).unwrap_or_default(),
            result: e.result.clone(),
        })
        .collect();
    Ok(LotteryPage {
        facility: name(c.l, &f.name_ja, &f.name_en),
        room,
        opens: c.l.datetime(l.opens_at),
        closes: c.l.datetime(l.closes_at),
        draw_at: c.l.datetime(l.draw_at),
        confirm_until: c.l.datetime(l.confirm_until),
        open_now: l.status == "open" && now >= l.opens_at && now < l.closes_at,
        c,
        l,
        slots: lines,
        entered,
        error,
        entries: list,
    })
}

async fn lottery_page(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    RawQuery(q): RawQuery,
) -> Result<Response, AppError> {
    let pairs = form_pairs(q.as_deref().unwrap_or("").as_bytes());
    let entered = field(&pairs, "entered") == "1";
    Ok(render(&lottery_view(&st, c, id, entered, "").await?)?.into_response())
}

async fn lottery_enter(
    State(st): State<AppState>,
    c: Ctx,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, AppError> {
    let me = match resident(&c) {
        Ok(u) => u,
        Err(r) => return Ok(r.into_response()),
    };
    let pairs = form_pairs(&body);
    let Ok(slot) = field(&pairs, "slot").parse::<i64>() else {
        let page = lottery_view(&st, c, id, false, "fac.err_pick_slot").await?;
        let mut r = render(&page)?.into_response();
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return Ok(r);
    };
    // 第2希望: optional; "" (なし) is none, anything else must be a slot of this lottery.
    let second = match field(&pairs, "second") {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => return Err(AppError::NotFound),
        },
    };
    match lottery::enter(
        &st.db,
        &c.tenant.id,
        &Actor::User(me.id),
        me.id,
        id,
        slot,
        second,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/facilities/lotteries/{id}?entered=1")).into_response()),
        Err(FacError::Db(e)) => Err(e.into()),
        Err(FacError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            let key = match e {
                FacError::Refused(r) => r.key(),
                FacError::Invalid(k) => k,
                _ => Refusal::NotRegistered.key(),
            };
            let page = lottery_view(&st, c, id, false, key).await?;
            let mut r = render(&page)?.into_response();
            *r.status_mut() = StatusCode::CONFLICT;
            Ok(r)
        }
    }
}
