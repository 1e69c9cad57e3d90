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
        assert_eq!(first.status, "confirmed");
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
        let near = service::book(
            &db,
            ICHIKAWA,
            &Actor::Cli,
            me,
            &book(study1.id, slot(&study1, 1, 3), "meeting", None),
        )
        .await
        .expect("tomorrow evening");
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
            f.id,
            &month,
            &slots,
            2,
            Some((
                now - 1000,
                now + 3_600_000,
                now + 3_600_000,
                now + 7_200_000,
            )),
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
            lottery::enter(&db, ICHIKAWA, &Actor::Cli, *u, id, s_ids[i % 2])
                .await
                .expect("entered");
        }
        lottery::enter(&db, ICHIKAWA, &Actor::Cli, entrants[0], id, s_ids[2])
            .await
            .expect("second entry");
        let inv = |r: Result<i64, FacError>| match r {
            Err(FacError::Invalid(k)) => k,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            inv(lottery::enter(&db, ICHIKAWA, &Actor::Cli, entrants[0], id, s_ids[1]).await),
            "fac.lottery_limit"
        );
        assert_eq!(
            inv(lottery::enter(&db, ICHIKAWA, &Actor::Cli, entrants[1], id, s_ids[1]).await),
            "fac.lottery_already"
        );
        assert_eq!(
            inv(lottery::enter(&db, ICHIKAWA, &Actor::Cli, outsider, id, s_ids[0]).await),
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
