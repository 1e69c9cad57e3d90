//! The JSON API: the facilities of this host's municipality, availability per room and date,
//! bookings (201, or 409 with the reason), change and cancel, and the plan 1-4 KPI.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{self, Refusal};
use super::service::{self, BookRequest, FacError};
use super::store::{self, FacilityRow, ReservationRow, RoomRow};
use crate::api::{ApiCaller, ErrorBody};
use crate::audit::Actor;
use crate::auth::store::MunicipalityRow;
use crate::web::AppState;
use crate::web::error::json_error;
use crate::web::i18n::Lang;

pub const KPI_PATH: &str = "/api/v1/kpi/facilities-online-registration";

/// The token scope for booking through the API.
pub const SCOPE: &str = "facilities:book";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/facilities", get(list))
        .route("/api/v1/facilities/{id}/availability", get(availability))
        .route("/api/v1/reservations", post(reserve))
        .route("/api/v1/reservations/{id}/cancel", post(cancel))
        .route("/api/v1/reservations/{id}/change", post(change))
        .route(KPI_PATH, get(kpi))
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "facilities API");
    json_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "システムで問題が起きました。 Something went wrong.",
    )
}

fn both(key: &str) -> String {
    format!("{} {}", Lang::Ja.t(key), Lang::En.t(key))
}

/// The answer to a refused or failed operation: 409 with the reason's code and message for a
/// rule, 400 for bad input, 404, 500.
pub fn error_response(e: FacError) -> Response {
    match e {
        FacError::Refused(r) => json_error(StatusCode::CONFLICT, r.code(), &both(r.key())),
        FacError::Invalid(key) => json_error(
            StatusCode::BAD_REQUEST,
            key.trim_start_matches("fac."),
            &both(key),
        ),
        FacError::NotFound => json_error(
            StatusCode::NOT_FOUND,
            "not_found",
            "見つかりません。 Not found.",
        ),
        FacError::Db(e) => internal(e),
    }
}

async fn tenant(st: &AppState, headers: &HeaderMap) -> Result<MunicipalityRow, Response> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    st.tenant_for_host(host).await.map_err(internal)
}

#[derive(Serialize, ToSchema)]
pub struct Terms {
    pub commercial: bool,
    pub political: bool,
    pub religious: bool,
    pub food_and_drink: bool,
    pub individual_use: bool,
    /// Lottery entries only for 市民等 (living, working or studying in the city).
    pub lottery_citizens_only: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Room {
    pub id: i64,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    pub capacity: i64,
    /// `HH:MM`, JST.
    pub opens: String,
    pub closes: String,
    pub slot_minutes: i64,
    /// Fee per slot for 市民等 and for others (yen).
    pub fee_citizen_yen: i64,
    pub fee_other_yen: i64,
    /// Ids of the atomic rooms it occupies (a combined room lists several).
    pub atoms: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct Facility {
    pub id: i64,
    pub code: String,
    pub name_ja: String,
    pub name_en: String,
    /// `kominkan` 公民館, `taiikukan` 体育館, `shukai` 集会施設, `tennis`.
    pub kind: String,
    pub address: String,
    pub phone: String,
    pub online_registration: bool,
    pub book_ahead_days: i64,
    pub max_per_month: i64,
    /// Cancel or change until this many days before the day of use.
    pub cancel_days: i64,
    pub terms: Terms,
    pub rooms: Vec<Room>,
}

pub async fn room_json(st: &AppState, r: &RoomRow) -> Result<Room, sqlx::Error> {
    Ok(Room {
        id: r.id,
        code: r.code.clone(),
        name_ja: r.name_ja.clone(),
        name_en: r.name_en.clone(),
        capacity: r.capacity,
        opens: model::hhmm(r.opens_min),
        closes: model::hhmm(r.closes_min),
        slot_minutes: r.slot_min,
        fee_citizen_yen: r.fee_citizen_yen,
        fee_other_yen: r.fee_other_yen,
        atoms: store::atoms(&st.db, r.id).await?,
    })
}

async fn facility_json(st: &AppState, f: &FacilityRow) -> Result<Facility, sqlx::Error> {
    let mut rooms = Vec::new();
    for r in store::rooms(&st.db, f.id).await? {
        rooms.push(room_json(st, &r).await?);
    }
    Ok(Facility {
        id: f.id,
        code: f.code.clone(),
        name_ja: f.name_ja.clone(),
        name_en: f.name_en.clone(),
        kind: f.kind.clone(),
        address: f.address.clone(),
        phone: f.phone.clone(),
        online_registration: f.online_registration,
        book_ahead_days: f.book_ahead_days,
        max_per_month: f.max_per_month,
        cancel_days: f.cancel_days,
        terms: Terms {
            commercial: f.allow_commercial,
            political: f.allow_political,
            religious: f.allow_religious,
            food_and_drink: f.allow_food,
            individual_use: f.allow_individual,
            lottery_citizens_only: f.citizens_only_lottery,
        },
        rooms,
    })
}

/// The facilities of this host's municipality with their rooms, terms and rules (public).
#[utoipa::path(get, path = "/api/v1/facilities", tag = "facilities",
    responses((status = 200, body = [Facility])))]
pub async fn list(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let m = match tenant(&st, &headers).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let rows = match store::facilities(&st.db, &m.id).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let mut out = Vec::new();
    for f in &rows {
        match facility_json(&st, f).await {
            Ok(j) => out.push(j),
            Err(e) => return internal(e),
        }
    }
    Json(out).into_response()
}

#[derive(Deserialize, IntoParams)]
pub struct AvailabilityQuery {
    /// Room id.
    pub room: i64,
    /// `YYYY-MM-DD` (JST).
    pub date: String,
}

#[derive(Serialize, ToSchema, Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    /// UTC Unix milliseconds.
    pub start: i64,
    pub end: i64,
    /// `HH:MM`, JST.
    pub from: String,
    pub to: String,
    /// `free`, `booked`, `lottery` (held for an open lottery) or `past`.
    pub state: String,
}

#[derive(Serialize, ToSchema)]
pub struct Availability {
    pub facility: i64,
    pub room: i64,
    pub date: String,
    pub slots: Vec<Slot>,
}

/// The slots of a room on a day and whether each is free.
pub async fn day_availability(
    st: &AppState,
    room: &RoomRow,
    date: time::Date,
    now: i64,
) -> Result<Vec<Slot>, sqlx::Error> {
    let atoms = store::atoms(&st.db, room.id).await?;
    let (from, to) = (model::jst_ms(date, 0), model::jst_ms(date, 24 * 60));
    let busy = store::busy(&st.db, &atoms, from, to).await?;
    let held = store::lottery_blocked(&st.db, &atoms, from, to).await?;
    Ok(model::day_slots(date, &room.hours())
        .into_iter()
        .map(|(s, e)| Slot {
            start: s,
            end: e,
            from: model::hhmm(model::jst_minute_of_day(s)),
            to: model::hhmm(model::jst_minute_of_day(e - 1) + 1),
            state: if s <= now {
                "past"
            } else if busy.iter().any(|b| model::overlaps(*b, (s, e))) {
                "booked"
            } else if held.iter().any(|b| model::overlaps(*b, (s, e))) {
                "lottery"
            } else {
                "free"
            }
            .into(),
        })
        .collect())
}

/// Free and taken slots of one room on one day (public).
#[utoipa::path(get, path = "/api/v1/facilities/{id}/availability", tag = "facilities",
    params(("id" = i64, Path, description = "Facility id"), AvailabilityQuery),
    responses((status = 200, body = Availability), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn availability(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<AvailabilityQuery>,
) -> Response {
    let m = match tenant(&st, &headers).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let Some(date) = model::parse_date(&q.date) else {
        return error_response(FacError::Invalid("fac.bad_date"));
    };
    let room = match store::room(&st.db, q.room).await {
        Ok(Some(r)) if r.facility_id == id => r,
        Ok(_) => return error_response(FacError::NotFound),
        Err(e) => return internal(e),
    };
    match store::facility(&st.db, &m.id, id).await {
        Ok(Some(_)) => {}
        Ok(None) => return error_response(FacError::NotFound),
        Err(e) => return internal(e),
    }
    match day_availability(&st, &room, date, crate::db::now_ms()).await {
        Ok(slots) => Json(Availability {
            facility: id,
            room: room.id,
            date: model::date_string(date),
            slots,
        })
        .into_response(),
        Err(e) => internal(e),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ReserveBody {
    pub room: i64,
    /// UTC Unix milliseconds, on the room's slot grid.
    pub start: i64,
    pub end: i64,
    /// One of `meeting`, `culture`, `sports`, `food`, `commercial`, `political`, `religious`.
    pub purpose: String,
    /// A 減免 category (`city`, `senior`, `disability`, `children`): the booking waits for staff.
    #[serde(default)]
    pub genmen: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Reservation {
    pub id: String,
    pub room: i64,
    pub start: i64,
    pub end: i64,
    /// `confirmed`, `review`, `won`, `unpaid` (支払待ち: pay by `pay_by` on My Page), `cancelled`,
    /// `forfeited`, `refused`.
    pub status: String,
    pub fee_yen: i64,
    pub genmen: Option<String>,
    /// While `unpaid`: the booking is released if its fee is not paid by then (UTC ms).
    pub pay_by: Option<i64>,
}

impl From<ReservationRow> for Reservation {
    fn from(r: ReservationRow) -> Self {
        Reservation {
            id: r.public_id,
            room: r.room_id,
            start: r.starts_at,
            end: r.ends_at,
            status: r.status,
            fee_yen: r.fee_yen,
            genmen: r.genmen,
            pay_by: r.pay_by,
        }
    }
}

fn resident_of(caller: &ApiCaller) -> Result<i64, Box<Response>> {
    caller
        .require_scope(SCOPE)
        .map_err(|r| Box::new(r.into_response()))?;
    if caller.user.kind != "resident" {
        // A staff member's token books nothing: forbidden, with the same reason body.
        let mut r = error_response(FacError::Refused(Refusal::NotRegistered));
        *r.status_mut() = StatusCode::FORBIDDEN;
        return Err(Box::new(r));
    }
    Ok(caller.user.id)
}

/// Books a room for the token's resident (user ID). 201, or 409 with the reason: `overlap`,
/// `outside_hours`, `not_on_slot`, `in_past`, `too_far_ahead`, `monthly_limit`,
/// `not_registered`, `registration_expired`, `terms`, `lottery`.
#[utoipa::path(post, path = "/api/v1/reservations", tag = "facilities", security(("bearer" = [])),
    request_body = ReserveBody,
    responses((status = 201, body = Reservation), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 415), (status = 422)))]
pub async fn reserve(
    State(st): State<AppState>,
    caller: ApiCaller,
    body: Result<Json<ReserveBody>, JsonRejection>,
) -> Response {
    // Who may book is checked before the body is read.
    let resident = match resident_of(&caller) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let req = BookRequest {
        room: b.room,
        start: b.start,
        end: b.end,
        purpose: b.purpose,
        genmen: b.genmen.filter(|g| !g.is_empty()),
    };
    match service::book(
        &st.db,
        &caller.user.municipality_id,
        &Actor::ApiToken(caller.token.id),
        resident,
        &req,
    )
    .await
    {
        Ok(r) => (StatusCode::CREATED, Json(Reservation::from(r))).into_response(),
        Err(e) => error_response(e),
    }
}

/// Cancels a booking of the token's resident (until the facility's deadline).
#[utoipa::path(post, path = "/api/v1/reservations/{id}/cancel", tag = "facilities", security(("bearer" = [])),
    params(("id" = String, Path, description = "Reservation id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(st): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Response {
    let resident = match resident_of(&caller) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    match service::cancel(
        &st.db,
        &caller.user.municipality_id,
        &Actor::ApiToken(caller.token.id),
        resident,
        &id,
    )
    .await
    {
        Ok(done) => {
            super::routes::refund_now(&st, &done).await;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => error_response(e),
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ChangeBody {
    pub start: i64,
    pub end: i64,
}

/// Moves a booking of the token's resident to another time in the same room.
#[utoipa::path(post, path = "/api/v1/reservations/{id}/change", tag = "facilities", security(("bearer" = [])),
    params(("id" = String, Path, description = "Reservation id")), request_body = ChangeBody,
    responses((status = 200, body = Reservation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 415), (status = 422)))]
pub async fn change(
    State(st): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
    body: Result<Json<ChangeBody>, JsonRejection>,
) -> Response {
    let resident = match resident_of(&caller) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    match service::change(
        &st.db,
        &caller.user.municipality_id,
        &Actor::ApiToken(caller.token.id),
        resident,
        &id,
        b.start,
        b.end,
    )
    .await
    {
        Ok(r) => Json(Reservation::from(r)).into_response(),
        Err(e) => error_response(e),
    }
}

#[derive(Serialize, ToSchema, Debug, PartialEq, Eq)]
pub struct OnlineRegistration {
    pub municipality: String,
    /// Facilities whose user registration is online (one user ID).
    pub online: i64,
    pub facilities: i64,
    /// The DX Action Plan's figures, if the municipality has them (市川市: 0 at the end of
    /// FY2022 → 11 at the end of FY2025).
    pub baseline: Option<i64>,
    pub target: Option<i64>,
    pub target_fiscal_year: Option<i32>,
}

pub async fn online_registration(
    db: &crate::db::Db,
    municipality: &str,
) -> Result<OnlineRegistration, sqlx::Error> {
    let (total, online) = store::online_registration_counts(db, municipality).await?;
    let ichikawa = municipality == crate::demo::ICHIKAWA;
    Ok(OnlineRegistration {
        municipality: municipality.to_owned(),
        online,
        facilities: total,
        baseline: ichikawa.then_some(0),
        target: ichikawa.then_some(11),
        target_fiscal_year: ichikawa.then_some(2025),
    })
}

/// Plan 1-4 KPI: facilities with online registration (one user ID), counted from the data.
#[utoipa::path(get, path = "/api/v1/kpi/facilities-online-registration", tag = "kpi",
    responses((status = 200, body = OnlineRegistration)))]
pub async fn kpi(State(st): State<AppState>, headers: HeaderMap) -> Response {
    let m = match tenant(&st, &headers).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    match online_registration(&st.db, &m.id).await {
        Ok(r) => Json(r).into_response(),
        Err(e) => internal(e),
    }
}
