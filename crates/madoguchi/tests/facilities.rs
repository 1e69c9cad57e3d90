//! Public facilities (issue 7): registration through the case workflow, bookings and their
//! refusals, 200 concurrent bookings of one slot, random book/cancel/change sequences, the
//! database's own no-double-booking guard, and verifiable lotteries. Every test runs on SQLite
//! and PostgreSQL.

#[macro_use]
mod common;
mod support;

use common::{exec, fetch_raw, join_all};
use madoguchi::audit::Actor;
use madoguchi::db::{Db, now_ms};
use madoguchi::facilities::model::{self, Refusal};
use madoguchi::facilities::service::{self, BookRequest, FacError, Registration};
use madoguchi::facilities::{lottery, store};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use serde_json::json;
use support::*;

const PASSWORD: &str = madoguchi::demo::PASSWORD;
const HANAKO: &str = "hanako@example.jp";
const ADMIN: &str = "admin@city.ichikawa.example.jp";
const ICHIKAWA: &str = "122033";

async fn staff<'a>(app: &'a TestApp, email: &str) -> Client<'a> {
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c
        .post_form("/staff/login", &[("email", email), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, 303, "{email} logs in");
    c
}

async fn resident<'a>(app: &'a TestApp, email: &str) -> Client<'a> {
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c.login(email, PASSWORD).await;
    assert_eq!(r.status, 303, "{email} logs in: {}", r.body);
    c
}

async fn facility(db: &Db, code: &str) -> store::FacilityRow {
    store::facilities(db, ICHIKAWA)
        .await
        .expect("facilities")
        .into_iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("facility {code}"))
}

async fn room(db: &Db, f: &store::FacilityRow, code: &str) -> store::RoomRow {
    store::rooms(db, f.id)
        .await
        .expect("rooms")
        .into_iter()
        .find(|r| r.code == code)
        .unwrap_or_else(|| panic!("room {code}"))
}

/// A new resident account with an approved user ID (registered directly, as the approval
/// hook does). Returns the resident's user id.
async fn registered(db: &Db, email: &str, group: bool, citizen: bool, purposes: &[&str]) -> i64 {
    let id = madoguchi::admin::create_account(
        db,
        madoguchi::admin::NewAccount {
            municipality: ICHIKAWA,
            email,
            name: "利用 者",
            password: PASSWORD,
            staff: None,
        },
    )
    .await
    .expect("account");
    let mut tx = db.begin().await.expect("begin");
    service::register_tx(
        &mut tx,
        ICHIKAWA,
        &Actor::Cli,
        id,
        None,
        &Registration {
            group,
            name: email.into(),
            citizen,
            members: 1,
            purposes: purposes.iter().map(|s| s.to_string()).collect(),
        },
    )
    .await
    .expect("register");
    tx.commit().await.expect("commit");
    id
}

/// The `n`th slot (0-based) of a room, `days` days from today (JST).
fn slot(r: &store::RoomRow, days: i64, n: usize) -> (i64, i64) {
    let d = model::jst_date(now_ms()) + time::Duration::days(days);
    model::day_slots(d, &r.hours())[n]
}

/// No two live units on one atomic room overlap (read from the database).
async fn assert_no_overlap(db: &Db, label: &str) {
    let units = store::all_units(db).await.expect("units");
    for (i, a) in units.iter().enumerate() {
        for b in &units[i + 1..] {
            assert!(
                !(a.1 == b.1 && model::overlaps((a.2, a.3), (b.2, b.3))),
                "{label}: overlap {a:?} {b:?}"
            );
        }
    }
}

db_test!(
    api_lists_facilities_availability_and_the_kpi,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut c = app.client(ICHIKAWA_HOST);
        let r = c.get("/api/v1/facilities").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let list = r.json();
        let list = list.as_array().expect("array");
        assert_eq!(list.len(), 13);
        let online = list
            .iter()
            .filter(|f| f["online_registration"] == true)
            .count();
        assert_eq!(online, 11, "the 11 facilities of the plan register online");
        let onitaka = list
            .iter()
            .find(|f| f["code"] == "onitaka")
            .expect("鬼高公民館");
        assert_eq!(onitaka["terms"]["commercial"], false);
        let hall = onitaka["rooms"]
            .as_array()
            .expect("rooms")
            .iter()
            .find(|r| r["code"] == "hall")
            .expect("hall");
        assert_eq!(
            hall["atoms"].as_array().map(Vec::len),
            Some(2),
            "the hall is two rooms"
        );
        let r = c.get(madoguchi::facilities::api::KPI_PATH).await;
        assert_eq!(r.json()["online"], 11);
        assert_eq!(r.json()["target"], 11);
        // Availability: 4 slots of three hours, all free.
        let date = model::date_string(model::jst_date(now_ms()) + time::Duration::days(5));
        let id = onitaka["id"].as_i64().expect("id");
        let path = format!(
            "/api/v1/facilities/{id}/availability?room={}&date={date}",
            hall["id"]
        );
        let r = c.get(&path).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let slots = r.json()["slots"].as_array().cloned().expect("slots");
        assert_eq!(slots.len(), 4);
        assert!(slots.iter().all(|s| s["state"] == "free"));
        assert_eq!(slots[0]["from"], "09:00");
        let r = c
            .get(&format!(
                "/api/v1/facilities/{id}/availability?room={}&date=tomorrow",
                hall["id"]
            ))
            .await;
        assert_eq!(r.status, 400);
        // Shisui has none; the OpenAPI document has the booking endpoint.
        let mut s = app.client(SHISUI_HOST);
        assert_eq!(
            s.get("/api/v1/facilities")
                .await
                .json()
                .as_array()
                .map(Vec::len),
            Some(0)
        );
        let doc = c.get("/api/v1/openapi.json").await.json();
        assert!(doc["paths"]["/api/v1/reservations"]["post"].is_object());
        assert!(doc["paths"]["/api/v1/facilities/{id}/availability"]["get"].is_object());
    }
);

db_test!(
    registration_is_an_application_approved_in_the_case_workflow,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let hanako = madoguchi::auth::store::find_user_by_email(
            &db,
            ICHIKAWA,
            madoguchi::auth::Kind::Resident,
            HANAKO,
        )
        .await
        .expect("query")
        .expect("hanako");
        let p = madoguchi::procedures::store::find_by_slug(
            &db,
            ICHIKAWA,
            madoguchi::facilities::registration::SLUG,
        )
        .await
        .expect("query")
        .expect("the procedure is in the catalogue");
        let v = madoguchi::procedures::form::store::published(&db, ICHIKAWA, p.id)
            .await
            .expect("query")
            .expect("published form");
        // A group of 3, two living in the city (市民等), for meetings with food.
        let answers = json!({
            "applicant_kind": "group",
            "applicant_name": {"family": "市川", "given": "花子", "family_kana": "イチカワ", "given_kana": "ハナコ"},
            "applicant_address": {"postal_code": "2728501", "address": "千葉県市川市八幡1丁目1番1号"},
            "phone": "0473344111",
            "group_name": "八幡合唱団",
            "members": [
                {"member_name": "市川 花子", "member_in_city": true},
                {"member_name": "市川 次郎", "member_in_city": true},
                {"member_name": "東京 三郎", "member_in_city": false}
            ],
            "purposes": ["meeting", "food"],
            "activity": "月2回、合唱の練習をします。",
            "agree": true
        });
        let def = v.parsed().expect("definition");
        let checked =
            madoguchi::procedures::form::validate(&def, &answers, model::jst_date(now_ms()))
                .unwrap_or_else(|e| panic!("the answers fit the form: {e:?}"));
        let submitted = madoguchi::procedures::application::submit(
            &db,
            ICHIKAWA,
            &Actor::User(hanako.id),
            "http://127.0.0.1",
            madoguchi::procedures::application::NewApplication {
                procedure_id: p.id,
                form_version_id: v.id,
                answers: checked,
                computed: Vec::new(),
                applicant: madoguchi::procedures::application::Applicant::Resident {
                    user_id: hanako.id,
                    name: "市川 花子".into(),
                    email: HANAKO.into(),
                },
                idempotency: None,
                draft_id: None,
            },
        )
        .await
        .expect("submitted");
        let receipt = fetch_raw::<(String,)>(
            &db,
            &format!(
                "SELECT receipt FROM applications WHERE id = {}",
                submitted.id
            ),
        )
        .await[0]
            .0
            .clone();
        // Staff see the automatic screening before deciding.
        let mut admin = staff(&app, ADMIN).await;
        let r = admin.get("/staff/facilities").await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("八幡合唱団"), "{}", r.body);
        assert!(
            r.body.contains("飲食を伴う利用はできません"),
            "公民館 refuse food"
        );
        assert!(
            r.body.contains("この施設の登録は窓口で受け付けています"),
            "大野 is on paper"
        );
        assert!(
            store::user_of_resident(&db, ICHIKAWA, hanako.id)
                .await
                .expect("q")
                .is_none()
        );
        for a in ["start_review", "approve"] {
            let r = admin
                .post_form(&format!("/staff/cases/{receipt}/action"), &[("action", a)])
                .await;
            assert!(r.status.is_redirection(), "{a}: {} {}", r.status, r.body);
        }
        // The hook made the user ID in the same transaction.
        let u = store::user_of_resident(&db, ICHIKAWA, hanako.id)
            .await
            .expect("q")
            .expect("the approval created the user ID");
        assert_eq!(u.kind, "group");
        assert_eq!(u.name, "八幡合唱団");
        assert!(u.citizen, "two of three members live in the city");
        assert_eq!(u.members, 3);
        let until = model::parse_date(&u.valid_until).expect("date");
        assert_eq!(
            (u8::from(until.month()), until.day()),
            (3, 31),
            "expires on 31 March"
        );
        let approvals = store::approvals(&db, u.id).await.expect("approvals");
        let ilink = facility(&db, "i-link").await;
        let onitaka = facility(&db, "onitaka").await;
        let of = |f: i64| {
            approvals
                .iter()
                .find(|a| a.facility_id == f)
                .cloned()
                .expect("row")
        };
        assert!(of(ilink.id).approved, "I-link allows food");
        assert!(!of(onitaka.id).approved);
        assert_eq!(of(onitaka.id).reason, "fac.reason_food");
        assert!(
            audit_actions(&db)
                .await
                .iter()
                .any(|a| a == "facility.user_registered")
        );
        // My Page shows the number and why 鬼高 cannot be used.
        let mut c = resident(&app, HANAKO).await;
        let r = c.get("/mypage").await;
        assert!(r.body.contains("/mypage/facilities"));
        let r = c.get("/mypage/facilities").await;
        assert!(r.body.contains(&u.user_number), "{}", r.body);
        assert!(r.body.contains("飲食を伴う利用はできません"));
        // Staff link an old per-facility ID; a second link of the same old ID is refused.
        let r = admin
            .post_form(
                &format!("/staff/facilities/users/{}/link", u.user_number),
                &[
                    ("facility", &ilink.id.to_string()),
                    ("legacy_id", "IL-0042"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = admin
            .post_form(
                &format!("/staff/facilities/users/{}/link", u.user_number),
                &[
                    ("facility", &ilink.id.to_string()),
                    ("legacy_id", "IL-0042"),
                ],
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains("すでにつながっています"));
        assert_eq!(store::legacy_ids(&db, u.id).await.expect("q").len(), 1);
        // Renewal follows the three-month rule.
        let r = c.post_form("/mypage/facilities/renew", &[]).await;
        let today = model::jst_date(now_ms());
        if model::may_renew(today, until) {
            assert_eq!(r.status, 303);
        } else {
            assert_eq!(r.status, 400);
            assert!(r.body.contains("3か月前から"));
        }
        assert_audit_intact(&db).await;
    }
);

db_test!(
    bookings_follow_the_rules_and_say_why_not,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let onitaka = facility(&db, "onitaka").await;
        let study1 = room(&db, &onitaka, "study1").await;
        let hall = room(&db, &onitaka, "hall").await;
        let me = registered(&db, "taro@example.jp", true, true, &["meeting"]).await;
        let book = |room: i64, (start, end): (i64, i64), purpose: &str, genmen: Option<&str>| {
            BookRequest {
                room,
                start,
                end,
                purpose: purpose.into(),
                genmen: genmen.map(str::to_owned),
            }
        };
        let refused = |r: Result<store::ReservationRow, FacError>| match r {
            Err(FacError::Refused(x)) => x,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let s = slot(&study1, 10, 0);
        let first = service::book(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            me,
            &book(study1.id, s, "meeting", None),
        )
        .await
        .expect("booked");
        assert_eq!(
            first.status, "unpaid",
            "a booking with a fee waits for its payment"
        );
        assert!(first.pay_by.is_some_and(|t| t > now_ms()));
        assert_eq!(first.fee_yen, study1.fee_citizen_yen);
        // The hall contains study room 1: refused at the same time, fine at the next slot.
        assert_eq!(
            refused(
                service::book(
                    &db,
                    ICHIKAWA,
                    &Actor::Cli,
                    me,
                    &book(hall.id, s, "meeting", None)
                )
                .await
            ),
            Refusal::Overlap
        );
        let h = service::book(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            me,
            &book(hall.id, slot(&hall, 10, 1), "meeting", None),
        )
        .await
        .expect("hall booked");
        assert_eq!(
            store::all_units(&db)
                .await
                .expect("units")
                .iter()
                .filter(|u| u.0 == h.id)
                .count(),
            2
        );
        // Hours, grid, ahead, terms.
        let (a, _) = slot(&study1, 11, 0);
        assert_eq!(
            refused(
                service::book(
                    &db,
                    ICHIKAWA,
                    &Actor::Cli,
                    me,
                    &book(study1.id, (a - 3_600_000, a), "meeting", None)
                )
                .await
            ),
            Refusal::OutsideHours
        );
        assert_eq!(
            refused(
                service::book(
                    &db,
                    ICHIKAWA,
                    &Actor::Cli,
                    me,
                    &book(
                        study1.id,
                        (a + 60_000, a + 60_000 + 10_800_000),
                        "meeting",
                        None
                    )
                )
                .await
            ),
            Refusal::NotOnSlot
        );
        assert_eq!(
            refused(
                service::book(
                    &db,
                    ICHIKAWA,
                    &Actor::Cli,
                    me,
                    &book(study1.id, slot(&study1, 120, 0), "meeting", None)
                )
                .await
            ),
            Refusal::TooFarAhead
        );
        assert_eq!(
            refused(
                service::book(
                    &db,
                    ICHIKAWA,
                    &Actor::Cli,
                    me,
                    &book(study1.id, slot(&study1, 12, 0), "political", None)
                )
                .await
            ),
            Refusal::Terms
        );
        // Not registered, and not approved for a facility that registers on paper.
        let other = madoguchi::auth::store::find_user_by_email(
            &db,
            ICHIKAWA,
            madoguchi::auth::Kind::Resident,
            HANAKO,
        )
        .await
        .expect("q")
        .expect("hanako");
        assert_eq!(
            refused(
                service::book(
                    &db,
                    ICHIKAWA,
                    &Actor::Cli,
                    other.id,
                    &book(study1.id, slot(&study1, 12, 0), "meeting", None)
                )
                .await
            ),
            Refusal::NotRegistered
        );
        let ono = facility(&db, "ono").await;
        let ono1 = room(&db, &ono, "study1").await;
        assert_eq!(
            refused(
                service::book(
                    &db,
                    ICHIKAWA,
                    &Actor::Cli,
                    me,
                    &book(ono1.id, slot(&ono1, 12, 0), "meeting", None)
                )
                .await
            ),
            Refusal::NotRegistered
        );
        // The monthly limit (set to the two bookings there are).
        exec(
            &db,
            &format!(
                "UPDATE fac_facilities SET max_per_month = 2 WHERE id = {}",
                onitaka.id
            ),
        )
        .await;
        let same_month = (1..28).map(|d| slot(&study1, 10 + d, 0)).find(|x| {
            model::month_string(model::jst_date(x.0)) == model::month_string(model::jst_date(s.0))
        });
        if let Some(x) = same_month {
            assert_eq!(
                refused(
                    service::book(
                        &db,
                        ICHIKAWA,
                        &Actor::Cli,
                        me,
                        &book(study1.id, x, "meeting", None)
                    )
                    .await
                ),
                Refusal::MonthlyLimit
            );
        }
        exec(
            &db,
            &format!(
                "UPDATE fac_facilities SET max_per_month = 8 WHERE id = {}",
                onitaka.id
            ),
        )
        .await;
        // 減免 sends the booking to staff review at the reduced fee.
        let g = service::book(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            me,
            &book(study1.id, slot(&study1, 13, 0), "meeting", Some("senior")),
        )
        .await
        .expect("booked for review");
        assert_eq!(
            (g.status.as_str(), g.fee_yen),
            ("review", study1.fee_citizen_yen / 2)
        );
        let mut admin = staff(&app, ADMIN).await;
        let r = admin.get("/staff/facilities").await;
        assert!(r.body.contains(&g.public_id));
        let r = admin
            .post_form(
                &format!("/staff/facilities/reviews/{}", g.public_id),
                &[("decision", "accept")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        // Change and cancel, with the deadline (3 days before for 公民館).
        let moved = service::change(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            me,
            &first.public_id,
            slot(&study1, 10, 2).0,
            slot(&study1, 10, 2).1,
        )
        .await
        .expect("changed");
        assert_eq!(moved.starts_at, slot(&study1, 10, 2).0);
        service::book(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            me,
            &book(hall.id, s, "meeting", None),
        )
        .await
        .expect("the old time is free again");
        service::cancel(&db, ICHIKAWA, &Actor::Cli, me, &first.public_id)
            .await
            .expect("cancelled");
        // An unpaid booking can be let go at any time (it would lapse at its deadline anyway);
        // a booking in review (here a full waiver, nothing to pay) keeps the deadline.
        let unpaid = service::book(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            me,
            &book(study1.id, slot(&study1, 1, 2), "meeting", None),
        )
        .await
        .expect("tomorrow afternoon");
        assert_eq!(unpaid.status, "unpaid");
        service::cancel(&db, ICHIKAWA, &Actor::Cli, me, &unpaid.public_id)
            .await
            .expect("an unpaid booking is cancelled whenever");
        let near = service::book(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            me,
            &book(study1.id, slot(&study1, 1, 3), "meeting", Some("city")),
        )
        .await
        .expect("tomorrow evening");
        assert_eq!((near.status.as_str(), near.fee_yen), ("review", 0));
        match service::cancel(&db, ICHIKAWA, &Actor::Cli, me, &near.public_id).await {
            Err(FacError::Refused(Refusal::CancelDeadline)) => {}
            other => panic!("{other:?}"),
        }
        // Another resident's booking is "not found".
        assert!(matches!(
            service::cancel(&db, ICHIKAWA, &Actor::Cli, other.id, &near.public_id).await,
            Err(FacError::NotFound)
        ));
        assert_no_overlap(&db, "rules").await;
        assert_audit_intact(&db).await;
    }
);

db_test!(
    the_resident_books_through_the_pages_without_javascript,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        registered(&db, "jiro@example.jp", false, true, &["meeting", "culture"]).await;
        let f = facility(&db, "tobu").await;
        let r1 = room(&db, &f, "washitsu").await;
        let mut c = resident(&app, "jiro@example.jp").await;
        let r = c.get("/facilities").await;
        assert!(r.body.contains("東部公民館"));
        let r = c.get(&format!("/facilities/{}", f.id)).await;
        assert!(r.body.contains("和室") && r.body.contains("できません"));
        let date = model::date_string(model::jst_date(now_ms()) + time::Duration::days(7));
        let r = c
            .get(&format!("/facilities/{}/rooms/{}?date={date}", f.id, r1.id))
            .await;
        assert_eq!(r.status, 200);
        let (s, e) = slot(&r1, 7, 1);
        let confirm = format!(
            "/facilities/{}/rooms/{}/confirm?start={s}&amp;end={e}",
            f.id, r1.id
        );
        assert!(r.body.contains(&confirm), "{}", r.body);
        let r = c.get(&confirm.replace("&amp;", "&")).await;
        assert!(r.body.contains("予約の内容の確認"));
        let (ss, es) = (s.to_string(), e.to_string());
        let form = |purpose: &'static str| {
            vec![
                ("room", r1.id.to_string()),
                ("start", ss.clone()),
                ("end", es.clone()),
                ("purpose", purpose.to_string()),
                ("genmen", String::new()),
            ]
        };
        let fields = form("religious");
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = c.post_form("/facilities/reserve", &pairs).await;
        assert_eq!(r.status, 409);
        assert!(
            r.body.contains("利用規約"),
            "the refusal names the reason: {}",
            r.body
        );
        let fields = form("culture");
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = c.post_form("/facilities/reserve", &pairs).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let r = c.get(r.location()).await;
        assert!(r.body.contains("予約しました"));
        let r = c
            .get(&format!("/facilities/{}/rooms/{}?date={date}", f.id, r1.id))
            .await;
        assert!(r.body.contains("予約済み"));
        let again = c.post_form("/facilities/reserve", &pairs).await;
        assert_eq!(again.status, 409);
        assert!(again.body.contains("すでに予約されています"));
        // English too.
        let r = c
            .get_with(
                &format!("/facilities/{}", f.id),
                &[(
                    "cookie",
                    &format!(
                        "lang=en; {}",
                        c.cookies
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join("; ")
                    ),
                )],
            )
            .await;
        assert!(r.body.contains("Rooms and courts"), "{}", r.body);
    }
);

db_test!(
    two_hundred_concurrent_bookings_of_one_slot_one_wins,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = facility(&db, "onitaka").await;
        let r1 = room(&db, &f, "study2").await;
        let mut tokens = Vec::new();
        for i in 0..20 {
            let email = format!("user{i}@example.jp");
            registered(&db, &email, true, true, &["meeting"]).await;
            let (_, t) = madoguchi::admin::create_token(
                &db,
                ICHIKAWA,
                &email,
                madoguchi::facilities::api::SCOPE,
            )
            .await
            .expect("token");
            tokens.push(format!("Bearer {t}"));
        }
        let (s, e) = slot(&r1, 20, 0);
        let body = json!({ "room": r1.id, "start": s, "end": e, "purpose": "meeting" });
        let clients: Vec<Client<'_>> = (0..200).map(|_| app.client(ICHIKAWA_HOST)).collect();
        let answers = join_all(clients.into_iter().enumerate().map(|(i, mut c)| {
            let auth = tokens[i % tokens.len()].clone();
            let body = body.clone();
            async move {
                c.post_json_with("/api/v1/reservations", &body, &[("authorization", &auth)])
                    .await
            }
        }))
        .await;
        let created = answers.iter().filter(|r| r.status == 201).count();
        let conflict: Vec<&Resp> = answers.iter().filter(|r| r.status == 409).collect();
        assert!(
            answers.iter().all(|r| r.status.as_u16() < 500),
            "no 5xx: {:?}",
            answers.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        assert_eq!(created, 1, "exactly one booking");
        assert_eq!(conflict.len(), 199);
        assert!(
            conflict
                .iter()
                .all(|r| r.json()["error"]["code"] == "overlap"),
            "{}",
            conflict[0].body
        );
        assert!(
            conflict[0].json()["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("すでに予約")
        );
        let n = fetch_raw::<(i64,)>(
            &db,
            &format!(
                "SELECT COUNT(*) FROM fac_reservation_units WHERE atom_id = {}",
                r1.id
            ),
        )
        .await;
        assert_eq!(n[0].0, 1);
        // The API's other answers: bad token scope, cancel, change.
        let (_, weak) =
            madoguchi::admin::create_token(&db, ICHIKAWA, "user0@example.jp", "api:read")
                .await
                .expect("token");
        let mut c = app.client(ICHIKAWA_HOST);
        let r = c
            .post_json_with(
                "/api/v1/reservations",
                &body,
                &[("authorization", &format!("Bearer {weak}"))],
            )
            .await;
        assert_eq!(r.status, 403);
        let won = answers
            .iter()
            .find(|r| r.status == 201)
            .expect("the winner")
            .json();
        let winner_token = answers
            .iter()
            .enumerate()
            .find(|(_, r)| r.status == 201)
            .map(|(i, _)| tokens[i % tokens.len()].clone())
            .expect("token");
        let (s2, e2) = slot(&r1, 20, 1);
        let r = c
            .post_json_with(
                &format!(
                    "/api/v1/reservations/{}/change",
                    won["id"].as_str().unwrap_or("")
                ),
                &json!({"start": s2, "end": e2}),
                &[("authorization", &winner_token)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = c
            .post_json_with(
                &format!(
                    "/api/v1/reservations/{}/cancel",
                    won["id"].as_str().unwrap_or("")
                ),
                &json!({}),
                &[("authorization", &winner_token)],
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.body);
        assert_no_overlap(&db, "concurrent").await;
        assert_audit_intact(&db).await;
    }
);

db_test!(
    random_book_cancel_change_sequences_never_overlap,
    |db: Db| async move {
        madoguchi::demo::load(&db).await.expect("demo");
        let f = facility(&db, "shintoku").await;
        let rooms = store::rooms(&db, f.id).await.expect("rooms");
        let mut users = Vec::new();
        for i in 0..3 {
            users
                .push(registered(&db, &format!("p{i}@example.jp"), true, true, &["meeting"]).await);
        }
        exec(
            &db,
            &format!(
                "UPDATE fac_facilities SET max_per_month = 1000 WHERE id = {}",
                f.id
            ),
        )
        .await;
        // (op, user, room, day, slot): 0 book, 1 cancel, 2 change.
        let step = (0..3usize, 0..3usize, 0..rooms.len(), 5..8i64, 0..4usize);
        let steps = proptest::collection::vec(step, 1..25);
        let mut runner = TestRunner::deterministic();
        let mut live: Vec<(String, usize)> = Vec::new();
        for case in 0..12 {
            let seq = steps.new_tree(&mut runner).expect("strategy").current();
            for (i, (op, u, r, day, n)) in seq.into_iter().enumerate() {
                let room = &rooms[r];
                let (s, e) = slot(room, day, n);
                match op {
                    0 => {
                        let req = BookRequest {
                            room: room.id,
                            start: s,
                            end: e,
                            purpose: "meeting".into(),
                            genmen: None,
                        };
                        match service::book(&db, ICHIKAWA, &Actor::Cli, users[u], &req).await {
                            Ok(b) => live.push((b.public_id, u)),
                            Err(FacError::Refused(Refusal::Overlap)) => {}
                            Err(x) => panic!("case {case} step {i}: {x:?}"),
                        }
                    }
                    1 if !live.is_empty() => {
                        let (pid, owner) = live.remove(n % live.len());
                        service::cancel(&db, ICHIKAWA, &Actor::Cli, users[owner], &pid)
                            .await
                            .unwrap_or_else(|x| panic!("case {case} step {i}: cancel {x:?}"));
                    }
                    2 if !live.is_empty() => {
                        let (pid, owner) = live[n % live.len()].clone();
                        let b = fetch_raw::<(i64,)>(
                            &db,
                            &format!(
                                "SELECT room_id FROM fac_reservations WHERE public_id = '{pid}'"
                            ),
                        )
                        .await;
                        let own_room = rooms.iter().find(|x| x.id == b[0].0).expect("room");
                        let (s, e) = slot(own_room, day, (n + 1) % 4);
                        match service::change(&db, ICHIKAWA, &Actor::Cli, users[owner], &pid, s, e)
                            .await
                        {
                            Ok(_) | Err(FacError::Refused(Refusal::Overlap)) => {}
                            Err(x) => panic!("case {case} step {i}: change {x:?}"),
                        }
                    }
                    _ => {}
                }
                assert_no_overlap(&db, &format!("case {case} step {i}")).await;
            }
        }
        // Every live booking holds exactly its room's atoms.
        let n_units = store::all_units(&db).await.expect("units").len();
        let mut expected = 0;
        for (pid, _) in &live {
            let b = fetch_raw::<(i64,)>(
                &db,
                &format!("SELECT room_id FROM fac_reservations WHERE public_id = '{pid}'"),
            )
            .await;
            expected += store::atoms(&db, b[0].0).await.expect("atoms").len();
        }
        assert_eq!(n_units, expected);
    }
);

db_test!(
    the_database_itself_refuses_an_overlapping_unit,
    |db: Db| async move {
        madoguchi::demo::load(&db).await.expect("demo");
        let f = facility(&db, "gyotoku").await;
        let r1 = room(&db, &f, "study1").await;
        let me = registered(&db, "g@example.jp", true, true, &["meeting"]).await;
        let (s, e) = slot(&r1, 9, 0);
        let b = service::book(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            me,
            &BookRequest {
                room: r1.id,
                start: s,
                end: e,
                purpose: "meeting".into(),
                genmen: None,
            },
        )
        .await
        .expect("booked");
        let study2 = room(&db, &f, "study2").await;
        let (s2, e2) = slot(&study2, 9, 2);
        let req2 = BookRequest {
            room: study2.id,
            start: s2,
            end: e2,
            purpose: "meeting".into(),
            genmen: None,
        };
        let b2 = service::book(&db, ICHIKAWA, &Actor::Cli, me, &req2)
            .await
            .expect("booked");
        // Writing around the service (as a sync job might): the database refuses an overlap.
        let mut tx = db.begin().await.expect("begin");
        let err = store::insert_units(&mut tx, b2.id, &[r1.id], s + 60_000, e + 60_000)
            .await
            .expect_err("refused by the database");
        assert!(service::is_overlap_violation(&err), "{err}");
        drop(tx);
        let mut tx = db.begin().await.expect("begin");
        store::insert_units(&mut tx, b.id, &[study2.id], s, e)
            .await
            .expect("another atom at that time is fine");
        store::insert_units(&mut tx, b2.id, &[r1.id], e, e + 60_000)
            .await
            .expect("the same atom right after is fine (half-open ranges)");
    }
);

db_test!(
    lotteries_are_drawn_once_and_verifiable,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = facility(&db, "i-link").await;
        let room = room(&db, &f, "room").await;
        let month_first = model::add_months(model::jst_date(now_ms()), 2);
        let month = model::month_string(month_first);
        let slots: Vec<(i64, i64, i64)> = (0..3)
            .map(|i| {
                let d = month_first + time::Duration::days(i);
                let s = model::jst_ms(d, room.opens_min);
                (room.id, s, s + room.slot_min * model::MINUTE_MS)
            })
            .collect();
        let now = now_ms();
        let id = lottery::create(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            &lottery::NewLottery {
                facility: f.id,
                target_month: month.clone(),
                slots: slots.clone(),
                max_entries: 2,
                max_wins: None,
                citizens_only: None,
                window: Some((
                    now - 1000,
                    now + 3_600_000,
                    now + 3_600_000,
                    now + 7_200_000,
                )),
            },
        )
        .await
        .expect("created");
        let l = store::lottery(&db, id).await.expect("q").expect("row");
        assert_eq!(l.seed_hash, model::seed_hash(&l.seed));
        // The page publishes the hash, never the seed before the draw.
        let mut anon = app.client(ICHIKAWA_HOST);
        let page = anon.get(&format!("/facilities/lotteries/{id}")).await;
        assert!(page.body.contains(&l.seed_hash));
        assert!(!page.body.contains(&l.seed));
        let mut entrants = Vec::new();
        for i in 0..5 {
            entrants
                .push(registered(&db, &format!("l{i}@example.jp"), true, true, &["meeting"]).await);
        }
        let outsider = registered(&db, "outside@example.jp", true, false, &["meeting"]).await;
        let s_ids: Vec<i64> = store::slots(&db, id)
            .await
            .expect("slots")
            .iter()
            .map(|s| s.id)
            .collect();
        for (i, u) in entrants.iter().enumerate() {
            lottery::enter(&db, ICHIKAWA, &Actor::Cli, *u, id, s_ids[i % 2], None)
                .await
                .expect("entered");
        }
        lottery::enter(&db, ICHIKAWA, &Actor::Cli, entrants[0], id, s_ids[2], None)
            .await
            .expect("second entry");
        let inv = |r: Result<i64, FacError>| match r {
            Err(FacError::Invalid(k)) => k,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            inv(lottery::enter(&db, ICHIKAWA, &Actor::Cli, entrants[0], id, s_ids[1], None).await),
            "fac.lottery_limit"
        );
        assert_eq!(
            inv(lottery::enter(&db, ICHIKAWA, &Actor::Cli, entrants[1], id, s_ids[1], None).await),
            "fac.lottery_already"
        );
        assert_eq!(
            inv(lottery::enter(&db, ICHIKAWA, &Actor::Cli, outsider, id, s_ids[0], None).await),
            "fac.lottery_citizens_only"
        );
        // First-come booking of a lottery slot is refused until the draw.
        let req = BookRequest {
            room: room.id,
            start: slots[2].1,
            end: slots[2].2,
            purpose: "meeting".into(),
            genmen: None,
        };
        assert!(matches!(
            service::book(&db, ICHIKAWA, &Actor::Cli, outsider, &req).await,
            Err(FacError::Refused(Refusal::Lottery))
        ));
        // Not due yet: the job leaves it; after its time the job draws it, once.
        assert_eq!(lottery::tick(&db, now).await.expect("tick").0, 0);
        assert!(
            lottery::verify(&db, id).await.expect("verify").is_none(),
            "no verification before the seed is out"
        );
        assert_eq!(
            lottery::tick(&db, now + 3_600_001).await.expect("tick").0,
            1
        );
        assert!(
            lottery::draw(&db, id, &Actor::Cli)
                .await
                .expect("draw")
                .is_none(),
            "drawn once"
        );
        let v = lottery::verify(&db, id)
            .await
            .expect("verify")
            .expect("drawn");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.recomputed.len(), 3, "every slot had entries");
        let page = anon.get(&format!("/facilities/lotteries/{id}")).await;
        assert!(
            page.body.contains(&l.seed),
            "the seed is revealed after the draw"
        );
        // Winners hold their slot as 'won'; one confirms, the others lapse at the deadline.
        let won: Vec<(String, i64)> = fetch_raw(&db, "SELECT r.public_id, u.resident_id FROM fac_reservations r JOIN fac_users u ON u.id = r.fac_user_id WHERE r.status = 'won' ORDER BY r.id").await;
        assert_eq!(won.len(), 3);
        lottery::confirm(&db, ICHIKAWA, &Actor::Cli, won[0].1, &won[0].0)
            .await
            .expect("confirmed");
        let lapsed = lottery::forfeit_overdue(&db, now + 7_200_001)
            .await
            .expect("forfeit");
        assert_eq!(lapsed, 2);
        // What is left opens first-come (the outsider may book it now, at the non-resident fee).
        let left: Vec<(i64, i64)> = fetch_raw(&db, "SELECT starts_at, ends_at FROM fac_reservations WHERE status = 'forfeited' ORDER BY id").await;
        let req = BookRequest {
            room: room.id,
            start: left[0].0,
            end: left[0].1,
            purpose: "meeting".into(),
            genmen: None,
        };
        let b = service::book(&db, ICHIKAWA, &Actor::Cli, outsider, &req)
            .await
            .expect("first come");
        assert_eq!(b.fee_yen, room.fee_other_yen);
        // Tampering with the stored seed is detected.
        exec(
            &db,
            &format!("UPDATE fac_lotteries SET seed = 'x' WHERE id = {id}"),
        )
        .await;
        assert!(
            !lottery::verify(&db, id)
                .await
                .expect("verify")
                .expect("drawn")
                .ok()
        );
        assert_no_overlap(&db, "lottery").await;
        assert_audit_intact(&db).await;
    }
);

/// The open-window dates of the staff form: entries from today for three days, the draw the
/// day after, confirm within a week; the month of use two months ahead.
fn staff_form_dates() -> (String, [String; 4]) {
    let today = model::jst_date(now_ms());
    let d = |n: i64| model::date_string(today + time::Duration::days(n));
    (
        model::month_string(model::add_months(today, 2)),
        [d(0), d(3), d(4), d(10)],
    )
}

db_test!(
    staff_create_a_lottery_on_the_page_and_residents_see_it,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = facility(&db, "i-link").await;
        let room = room(&db, &f, "room").await;
        let mut s = staff(&app, ADMIN).await;
        let r = s.get("/staff/facilities").await;
        assert!(
            r.body.contains("/staff/facilities/lotteries/new"),
            "linked from the overview"
        );
        let r = s.get("/staff/facilities/lotteries/new").await;
        assert_eq!(r.status, 200);
        assert!(
            !r.body.contains("name=\"times\""),
            "no times before a room is chosen"
        );
        let r = s
            .get(&format!("/staff/facilities/lotteries/new?room={}", room.id))
            .await;
        assert_eq!(r.status, 200);
        let t0 = model::hhmm(room.opens_min);
        let t1 = model::hhmm(room.opens_min + room.slot_min);
        assert!(
            r.body.contains(&format!("value=\"{t0}\"")),
            "the room's slot times are offered"
        );
        let (month, [opens, closes, draw, confirm]) = staff_form_dates();
        let room_id = room.id.to_string();
        let count = |db: Db| async move { store::lotteries(&db, ICHIKAWA).await.expect("q").len() };
        let before = count(db.clone()).await;
        let post = |days: &'static str, closes: String, max_wins: &'static str| {
            vec![
                ("room".to_owned(), room_id.clone()),
                ("month".to_owned(), month.clone()),
                ("days".to_owned(), days.to_owned()),
                ("times".to_owned(), t0.clone()),
                ("times".to_owned(), t1.clone()),
                ("opens".to_owned(), opens.clone()),
                ("closes".to_owned(), closes),
                ("draw".to_owned(), draw.clone()),
                ("confirm_until".to_owned(), confirm.clone()),
                ("max_entries".to_owned(), "2".to_owned()),
                ("max_wins".to_owned(), max_wins.to_owned()),
            ]
        };
        fn send(v: &[(String, String)]) -> Vec<(&str, &str)> {
            v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
        }
        // Bad input: a clear Japanese message naming the field, nothing created.
        for (form, says) in [
            (post("32", closes.clone(), ""), "利用日には"),
            (post("3", opens.clone() + "x", ""), "申込の期間は"),
            (post("3", closes.clone(), "たくさん"), "当選数の上限は"),
        ] {
            let r = s
                .post_form("/staff/facilities/lotteries", &send(&form))
                .await;
            assert_eq!(r.status, 400, "{says}");
            assert!(r.body.contains(says), "{says}: {}", r.body);
            assert!(
                r.body.contains("aria-invalid=\"true\""),
                "the field is marked"
            );
        }
        assert_eq!(count(db.clone()).await, before, "nothing created");
        // 酒々井's admin cannot create a lottery on 市川's room.
        let mut other = app.client(SHISUI_HOST);
        let r = other
            .post_form(
                "/staff/login",
                &[
                    ("email", "admin@town.shisui.example.jp"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, 303);
        let r = other
            .post_form(
                "/staff/facilities/lotteries",
                &send(&post("3, 10", closes.clone(), "1")),
            )
            .await;
        assert_eq!(r.status, 400);
        assert_eq!(count(db.clone()).await, before, "nothing created");
        // Valid: created with the seed committed, audited as the staff member.
        let r = s
            .post_form(
                "/staff/facilities/lotteries",
                &send(&post("3、10", closes.clone(), "1")),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let id: i64 = r
            .location()
            .rsplit('=')
            .next()
            .and_then(|x| x.parse().ok())
            .expect("lottery id in the redirect");
        let l = store::lottery(&db, id).await.expect("q").expect("row");
        assert_eq!(l.target_month, month);
        assert_eq!(l.max_wins, Some(1));
        assert_eq!(l.max_entries, 2);
        assert!(!l.citizens_only, "the box was not ticked");
        assert_eq!(l.seed_hash, model::seed_hash(&l.seed));
        assert_eq!(model::date_string(model::jst_date(l.opens_at)), opens);
        assert_eq!(model::date_string(model::jst_date(l.closes_at - 1)), closes);
        assert_eq!(
            model::jst_minute_of_day(l.draw_at),
            240,
            "the draw at 04:00"
        );
        let slots = store::slots(&db, id).await.expect("slots");
        assert_eq!(slots.len(), 4, "2 days × 2 times");
        assert!(slots.iter().all(|x| x.room_id == room.id));
        let (actor, detail): (String, String) = fetch_raw(&db, &format!("SELECT actor, detail FROM audit_events WHERE action = 'facility.lottery_created' AND target = 'lottery:{id}'")).await.into_iter().next().expect("audited");
        assert!(actor.starts_with("user:"), "{actor}");
        assert!(detail.contains(&model::blocks(&l.seed_hash)), "{detail}");
        let r = s.get("/staff/facilities?done=lottery").await;
        assert!(r.body.contains(&l.seed_hash), "listed with its hash");
        // The same month again: refused with the reason.
        let r = s
            .post_form(
                "/staff/facilities/lotteries",
                &send(&post("4", closes.clone(), "")),
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains("すでに"), "{}", r.body);
        // Residents see it and enter with a first and a second choice.
        let mut anon = app.client(ICHIKAWA_HOST);
        let r = anon.get("/facilities").await;
        assert!(r.body.contains(&format!("/facilities/lotteries/{id}")));
        let entrant = registered(&db, "ladder@example.jp", true, false, &["meeting"]).await;
        let _ = entrant;
        let mut res = resident(&app, "ladder@example.jp").await;
        let page = res.get(&format!("/facilities/lotteries/{id}")).await;
        assert!(page.body.contains(&l.seed_hash) && page.body.contains("第2希望"));
        let (a, b) = (slots[0].id.to_string(), slots[1].id.to_string());
        let r = res
            .post_form(
                &format!("/facilities/lotteries/{id}/enter"),
                &[("slot", &a), ("second", &a)],
            )
            .await;
        assert_eq!(r.status, 409);
        assert!(r.body.contains("第2希望には"), "{}", r.body);
        let r = res
            .post_form(
                &format!("/facilities/lotteries/{id}/enter"),
                &[("slot", &a), ("second", &b)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let e = store::entries(&db, id).await.expect("entries");
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].slot_id, e[0].choice, e[0].first_entry_id),
            (slots[0].id, 1, None)
        );
        assert_eq!(
            (e[1].slot_id, e[1].choice, e[1].first_entry_id),
            (slots[1].id, 2, Some(e[0].id))
        );
        assert_audit_intact(&db).await;
    }
);

db_test!(
    the_ladder_and_the_maximum_of_wins_are_drawn_and_verified,
    |db: Db| async move {
        let _app = TestApp::demo(db.clone()).await;
        let f = facility(&db, "i-link").await;
        let room = room(&db, &f, "room").await;
        let now = now_ms();
        let new = |months: i32, max_wins: Option<i64>| {
            let first = model::add_months(model::jst_date(now), months);
            lottery::NewLottery {
                facility: f.id,
                target_month: model::month_string(first),
                slots: (0..4)
                    .map(|i| {
                        let s = model::jst_ms(first + time::Duration::days(i), room.opens_min);
                        (room.id, s, s + room.slot_min * model::MINUTE_MS)
                    })
                    .collect(),
                max_entries: 3,
                max_wins,
                citizens_only: Some(false),
                window: Some((
                    now - 1000,
                    now + 3_600_000,
                    now + 3_600_000,
                    now + 7_200_000,
                )),
            }
        };
        let mut users = Vec::new();
        for i in 0..5 {
            users
                .push(registered(&db, &format!("w{i}@example.jp"), true, true, &["meeting"]).await);
        }
        // Random entries (user, 第1希望, maybe a 第2希望) into lotteries with and without a
        // maximum; after each draw the stored result is what the seed gives, no slot has two
        // winners, no user ID wins more than the maximum, and a 第2希望 never wins beside its
        // 第1希望.
        let strategy = proptest::collection::vec(
            (0usize..5, 0usize..4, proptest::option::of(0usize..4)),
            1..16,
        );
        let mut runner = TestRunner::deterministic();
        for case in 0..4 {
            let max = if case % 2 == 0 { Some(1) } else { None };
            let id = lottery::create(&db, ICHIKAWA, &Actor::Cli, &new(4 + case, max))
                .await
                .expect("created");
            let s_ids: Vec<i64> = store::slots(&db, id)
                .await
                .expect("slots")
                .iter()
                .map(|s| s.id)
                .collect();
            let plan = strategy.new_tree(&mut runner).expect("tree").current();
            for (u, a, b) in plan {
                match lottery::enter(
                    &db,
                    ICHIKAWA,
                    &Actor::Cli,
                    users[u],
                    id,
                    s_ids[a],
                    b.map(|b| s_ids[b]),
                )
                .await
                {
                    Ok(_) => {}
                    Err(FacError::Invalid(k)) => assert!(
                        [
                            "fac.lottery_limit",
                            "fac.lottery_already",
                            "fac.lottery_same_choice"
                        ]
                        .contains(&k),
                        "{k}"
                    ),
                    Err(e) => panic!("{e:?}"),
                }
            }
            lottery::draw(&db, id, &Actor::Cli)
                .await
                .expect("draw")
                .expect("drawn now");
            let v = lottery::verify(&db, id)
                .await
                .expect("verify")
                .expect("drawn");
            assert!(v.ok(), "case {case}: {v:?}");
            let entries = store::entries(&db, id).await.expect("entries");
            let won: Vec<&store::EntryRow> = entries.iter().filter(|e| e.result == "won").collect();
            for s in &s_ids {
                assert!(
                    won.iter().filter(|e| e.slot_id == *s).count() <= 1,
                    "slot {s}"
                );
            }
            for u in &users {
                let fac_user = store::user_of_resident(&db, ICHIKAWA, *u)
                    .await
                    .expect("q")
                    .expect("user");
                let n = won.iter().filter(|e| e.fac_user_id == fac_user.id).count() as i64;
                assert!(max.is_none_or(|m| n <= m), "case {case}: user won {n}");
            }
            for e in &won {
                if let Some(first) = e.first_entry_id {
                    assert!(
                        !won.iter().any(|x| x.id == first),
                        "the 第2希望 of a winner was dropped"
                    );
                }
                assert!(e.reservation_id.is_some(), "a win holds its slot");
            }
        }
        // A fixed case: one user ID enters two slots nobody else wants, at most one win.
        let id = lottery::create(&db, ICHIKAWA, &Actor::Cli, &new(9, Some(1)))
            .await
            .expect("created");
        let s_ids: Vec<i64> = store::slots(&db, id)
            .await
            .expect("slots")
            .iter()
            .map(|s| s.id)
            .collect();
        lottery::enter(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            users[0],
            id,
            s_ids[0],
            Some(s_ids[1]),
        )
        .await
        .expect("entry");
        lottery::enter(&db, ICHIKAWA, &Actor::Cli, users[0], id, s_ids[2], None)
            .await
            .expect("entry");
        lottery::enter(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            users[1],
            id,
            s_ids[0],
            Some(s_ids[3]),
        )
        .await
        .expect("entry");
        let d = lottery::draw(&db, id, &Actor::Cli)
            .await
            .expect("draw")
            .expect("drawn");
        let v = lottery::verify(&db, id)
            .await
            .expect("verify")
            .expect("drawn");
        assert!(v.ok(), "{v:?}");
        assert_eq!(
            d.winners.len(),
            2,
            "user 0 wins one of its slots, user 1 wins one: {d:?}"
        );
        // Lifting the maximum in the database after the draw is caught by verify.
        exec(
            &db,
            &format!("UPDATE fac_lotteries SET max_wins = NULL WHERE id = {id}"),
        )
        .await;
        assert!(
            !lottery::verify(&db, id)
                .await
                .expect("verify")
                .expect("drawn")
                .ok()
        );
        assert_no_overlap(&db, "ladder").await;
        assert_audit_intact(&db).await;
    }
);

/// `madoguchi facilities lottery create` against a database the demo data was loaded into:
/// a wrong option is named and creates nothing; a right one creates the lottery with its seed
/// committed, audited as the CLI.
async fn cli_creates_a_lottery(url: String) {
    let bin = |args: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"));
        for (k, _) in std::env::vars() {
            if k.starts_with("MADOGUCHI_") {
                c.env_remove(k);
            }
        }
        let out = c
            .args(args)
            .arg("--database-url")
            .arg(&url)
            .output()
            .expect("run madoguchi");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, _, err) = bin(&["migrate"]);
    assert!(ok, "{err}");
    let db = Db::connect(&url).await.expect("connect");
    madoguchi::demo::load(&db).await.expect("demo data");
    let f = facility(&db, "i-link").await;
    let room = room(&db, &f, "room").await;
    let (month, [opens, closes, draw, confirm]) = staff_form_dates();
    let t0 = model::hhmm(room.opens_min);
    let room_id = room.id.to_string();
    let args = |days: &str, max_wins: &str| -> Vec<String> {
        [
            "facilities",
            "lottery",
            "create",
            "--room",
            &room_id,
            "--month",
            &month,
            "--days",
            days,
            "--times",
            &t0,
            "--opens",
            &opens,
            "--closes",
            &closes,
            "--draw",
            &draw,
            "--confirm-until",
            &confirm,
            "--max-entries",
            "3",
            "--max-wins",
            max_wins,
            "--citizens-only",
            "yes",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |v: Vec<String>| bin(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let before = store::lotteries(&db, ICHIKAWA).await.expect("q").len();
    let (ok, _, err) = run(args("5", "0"));
    assert!(!ok);
    assert!(err.contains("--max-wins"), "the option is named: {err}");
    assert_eq!(
        store::lotteries(&db, ICHIKAWA).await.expect("q").len(),
        before
    );
    let (ok, out, err) = run(args("5,12,19", "2"));
    assert!(ok, "{out}{err}");
    let l = store::lotteries(&db, ICHIKAWA)
        .await
        .expect("q")
        .into_iter()
        .find(|l| l.target_month == month && l.facility_id == f.id)
        .expect("created");
    assert!(out.contains(&l.seed_hash), "{out}");
    assert_eq!(
        (l.max_entries, l.max_wins, l.citizens_only),
        (3, Some(2), true)
    );
    assert_eq!(store::slots(&db, l.id).await.expect("slots").len(), 3);
    let actors: Vec<(String,)> = fetch_raw(&db, &format!("SELECT actor FROM audit_events WHERE action = 'facility.lottery_created' AND target = 'lottery:{}'", l.id)).await;
    assert_eq!(actors, vec![("cli".to_owned(),)]);
    assert_audit_intact(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_creates_a_lottery_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    cli_creates_a_lottery(format!("sqlite://{}", dir.path().join("m.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_creates_a_lottery_on_postgres() {
    let name = common::pg::create_database().await;
    let cluster = common::pg::cluster_async().await;
    cli_creates_a_lottery(format!(
        "postgres://postgres@localhost/{name}?host={}&port={}",
        cluster.dir.display(),
        cluster.port
    ))
    .await;
}
