//! Crash safety (issue 9): the real `madoguchi serve` binary under a load of concurrent
//! writes is killed with SIGKILL at a random moment, again and again, on SQLite and on
//! PostgreSQL. Three workloads run at once, 8 clients each: applications through the API,
//! direct-debit mandates through the resident's Web口座振替 flow (confirmation, then the bank's
//! signed return) and facility bookings through the API. After every restart each write that
//! got its success answer is stored intact (applications: receipt and answers; mandates: the
//! account, holder, items and status; bookings: room, times and status), no two live bookings
//! hold a room at the same time, no resident holds an item in two live mandates, and
//! `madoguchi audit verify` passes.
//!
//! Kills per database: `MADOGUCHI_CRASH_KILLS` (default 20). `bench/crash.sh` runs more.
//!
//! The load is a list of [`Workload`]s; a module with its own durable writes adds one: `fire`
//! sends one request and returns what a success answer promised, `check` reads the database
//! after the restart and says what is missing or changed.

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod served;
mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app_fixture::*;
use madoguchi::db::Db;
use serde_json::{Value, json};
use served::{bin, start_with};

/// What `fire` returns: (key, promised value) when the server answered 2xx.
type Fired = std::pin::Pin<Box<dyn std::future::Future<Output = Option<(String, String)>> + Send>>;

/// One kind of durable write under test.
trait Workload: Send + Sync {
    fn name(&self) -> &'static str;
    /// Sends request number `i`; returns (key, promised value) when the server answered 2xx.
    fn fire(&self, http: reqwest::Client, base: String, i: u64) -> Fired;
    /// After a restart: every promised (key, value) must be stored as promised.
    fn check<'a>(
        &'a self,
        db: &'a Db,
        promised: &'a BTreeMap<String, String>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<String>> + 'a>>;
}

/// Applications through `POST /api/v1/applications` with a resident's bearer token.
struct Applications {
    token: String,
    procedure_id: i64,
}

impl Workload for Applications {
    fn name(&self) -> &'static str {
        "applications"
    }
    fn fire(&self, http: reqwest::Client, base: String, i: u64) -> Fired {
        let token = self.token.clone();
        let pid = self.procedure_id;
        Box::pin(async move {
            let name = format!("市川 花子 {i}");
            let body =
                json!({"procedure_id": pid, "answers": {"full_name": name, "copies": (i % 9) + 1}});
            let r = http
                .post(format!("{base}/api/v1/applications"))
                .bearer_auth(&token)
                .header("idempotency-key", format!("crash-{i}"))
                .json(&body)
                .send()
                .await
                .ok()?;
            if !r.status().is_success() {
                assert!(
                    !r.status().is_server_error(),
                    "a submission got {} (a 5xx is never acceptable)",
                    r.status()
                );
                return None;
            }
            let v: Value = r.json().await.ok()?;
            let receipt = v["receipt"].as_str()?.replace('-', "");
            Some((
                receipt,
                json!({"full_name": name, "copies": (i % 9) + 1}).to_string(),
            ))
        })
    }
    fn check<'a>(
        &'a self,
        db: &'a Db,
        promised: &'a BTreeMap<String, String>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<String>> + 'a>> {
        Box::pin(async move {
            let rows: Vec<(String, String)> =
                common::fetch_raw(db, "SELECT receipt, answers FROM applications").await;
            let stored: BTreeMap<String, Value> = rows
                .into_iter()
                .map(|(r, a)| (r, serde_json::from_str(&a).unwrap_or(Value::Null)))
                .collect();
            let mut bad = Vec::new();
            for (receipt, answers) in promised {
                let want: Value = serde_json::from_str(answers).expect("json");
                match stored.get(receipt) {
                    None => bad.push(format!("application {receipt} got a 2xx but is missing")),
                    Some(got) if got != &want => {
                        bad.push(format!("application {receipt} changed: {got} != {want}"))
                    }
                    Some(_) => {}
                }
            }
            bad
        })
    }
}

/// Direct-debit mandates through the resident's Web口座振替 flow: `POST /debit/new/confirm`
/// (a session and the CSRF token, as a browser sends them) stores the mandate as pending and
/// answers 303 to the bank; then the bank's signed return `GET /debit/return` activates it (303
/// to the completion page). Each mandate takes one (resident, item) pair that no other request
/// uses: one account per item and resident.
struct Mandates {
    /// A client that does not follow redirects: the 303s are the answers.
    http: reqwest::Client,
    /// (user id, session cookie secret) of each resident.
    residents: Vec<(i64, String)>,
    items: Vec<String>,
    secret: String,
    next: std::sync::atomic::AtomicUsize,
}

/// What a mandate's 2xx/3xx promised, as JSON in the promised map.
#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
struct MandatePromise {
    /// `pending` (the confirmation was answered) or `active` (the bank's return was too).
    status: String,
    resident: i64,
    bank: String,
    branch: String,
    account_type: i64,
    account_number: String,
    holder: String,
    items: Vec<String>,
}

const CSRF: &str = "crash-test-csrf-token-0123456789abcdef";
const HOLDERS: &[&str] = &[
    "イチカワ ハナコ",
    "やまだ　たろう",
    "スズキ イチロー",
    "ｻﾄｳ ﾕｷ",
    "タナカ ジュンイチ",
];

fn query_of(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn no_5xx(what: &str, s: reqwest::StatusCode) {
    assert!(
        !s.is_server_error(),
        "{what} got {s} (a 5xx is never acceptable)"
    );
}

impl Workload for Mandates {
    fn name(&self) -> &'static str {
        "mandates"
    }
    fn fire(&self, _http: reqwest::Client, base: String, i: u64) -> Fired {
        let slot = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let per = self.items.len();
        let Some((resident, session)) = self.residents.get(slot / per).cloned() else {
            // Every (resident, item) pair is used: this workload rests.
            return Box::pin(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                None
            });
        };
        let item = self.items[slot % per].clone();
        let (http, secret) = (self.http.clone(), self.secret.clone());
        Box::pin(async move {
            let input = HOLDERS[(i % HOLDERS.len() as u64) as usize];
            let account_number = format!("{:07}", i % 10_000_000);
            let account_type = if i.is_multiple_of(5) { 2 } else { 1 };
            let cookie = format!("__Host-session={session}; __Host-csrf={CSRF}");
            let r = http
                .post(format!("{base}/debit/new/confirm"))
                .header("cookie", &cookie)
                .form(&[
                    ("csrf", CSRF),
                    ("items", &item),
                    ("bank", "0134"),
                    ("branch", "011"),
                    ("account_type", &account_type.to_string()),
                    ("account_number", &account_number),
                    ("holder", input),
                ])
                .send()
                .await
                .ok()?;
            no_5xx("a mandate confirmation", r.status());
            assert_ne!(
                r.status(),
                reqwest::StatusCode::OK,
                "the confirmation must store or refuse, not show a page"
            );
            if r.status() != reqwest::StatusCode::SEE_OTHER {
                return None;
            }
            let to_bank = r.headers().get("location")?.to_str().ok()?.to_owned();
            let out = query_of(&to_bank);
            let get = |k: &str| {
                out.iter()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let mandate = get("mandate");
            assert!(
                !mandate.is_empty(),
                "the redirect names the mandate: {to_bank}"
            );
            let mut p = MandatePromise {
                status: "pending".into(),
                resident,
                bank: "0134".into(),
                branch: "011".into(),
                account_type,
                account_number,
                holder: madoguchi::debit::kana::holder_name(input).expect("holder"),
                items: vec![item],
            };
            // The bank confirms: its signed return, as the SANDBOX would send it.
            let back = madoguchi::debit::bank::signed_return(
                &secret,
                "0134",
                &mandate,
                &get("nonce"),
                madoguchi::debit::bank::Outcome::Confirmed,
                &format!("CRASH{i}"),
                madoguchi::db::now_ms() / 1000,
            );
            let q = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(back.iter())
                .finish();
            let promised = |p: &MandatePromise| Some((mandate.clone(), json!(p).to_string()));
            let Ok(r) = http
                .get(format!("{base}/debit/return?{q}"))
                .header("cookie", &cookie)
                .send()
                .await
            else {
                return promised(&p);
            };
            no_5xx("a bank return", r.status());
            let done = r
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .is_some_and(|l| l.ends_with("?done=done"));
            if r.status() == reqwest::StatusCode::SEE_OTHER && done {
                p.status = "active".into();
            }
            promised(&p)
        })
    }
    fn check<'a>(
        &'a self,
        db: &'a Db,
        promised: &'a BTreeMap<String, String>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<String>> + 'a>> {
        Box::pin(async move {
            type Row = (
                String,
                Option<i64>,
                String,
                String,
                i64,
                String,
                String,
                String,
                Option<String>,
                i64,
            );
            let rows: Vec<Row> = common::fetch_raw(
                db,
                "SELECT public_id, resident_id, bank_code, branch_code, account_type, account_number, \
                 holder_kana, status, starts_on, id FROM debit_mandates WHERE channel = 'web'",
            )
            .await;
            let items: Vec<(i64, String)> = common::fetch_raw(
                db,
                "SELECT mandate_id, item_code FROM debit_mandate_items ORDER BY item_code",
            )
            .await;
            let mut items_of: BTreeMap<i64, Vec<String>> = BTreeMap::new();
            for (m, code) in items {
                items_of.entry(m).or_default().push(code);
            }
            let stored: BTreeMap<&str, &Row> = rows.iter().map(|r| (r.0.as_str(), r)).collect();
            let mut bad = Vec::new();
            for (id, p) in promised {
                let want: MandatePromise = serde_json::from_str(p).expect("json");
                let Some(r) = stored.get(id.as_str()) else {
                    bad.push(format!("mandate {id} got a 303 but is missing"));
                    continue;
                };
                let got = MandatePromise {
                    // A pending promise may have become active before the kill.
                    status: if want.status == "pending" && r.7 == "active" {
                        "pending".into()
                    } else {
                        r.7.clone()
                    },
                    resident: r.1.unwrap_or(0),
                    bank: r.2.clone(),
                    branch: r.3.clone(),
                    account_type: r.4,
                    account_number: r.5.clone(),
                    holder: r.6.clone(),
                    items: items_of.get(&r.9).cloned().unwrap_or_default(),
                };
                if got != want {
                    bad.push(format!("mandate {id} changed: {got:?} != {want:?}"));
                }
                if r.7 == "active" && r.8.is_none() {
                    bad.push(format!("mandate {id} is active without a first debit date"));
                }
            }
            // One account per item: no resident holds an item in two live mandates.
            let mut live: BTreeMap<(i64, &str), usize> = BTreeMap::new();
            for r in &rows {
                if matches!(r.7.as_str(), "pending" | "active" | "suspended") {
                    for code in items_of.get(&r.9).into_iter().flatten() {
                        *live.entry((r.1.unwrap_or(0), code.as_str())).or_default() += 1;
                    }
                }
            }
            for ((resident, code), n) in live {
                if n > 1 {
                    bad.push(format!(
                        "resident {resident} has item {code} in {n} live mandates"
                    ));
                }
            }
            bad
        })
    }
}

/// Facility bookings through `POST /api/v1/reservations` with residents' bearer tokens, on
/// random slots of a small pool (tomorrow and the next 20 days, every room of the facilities
/// with online registration, combined rooms too): clients often want the same slot or rooms
/// that share an atom, so many answers are 409 `overlap`. After a restart every 201 is stored
/// as answered, and no two live bookings hold one atomic room at the same time.
struct Reservations {
    tokens: Vec<String>,
    /// (room id, purpose, opens_min, closes_min, slot_min)
    rooms: Vec<(i64, &'static str, i64, i64, i64)>,
    day0: time::Date,
}

#[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
struct ReservationPromise {
    room: i64,
    start: i64,
    end: i64,
    status: String,
}

impl Workload for Reservations {
    fn name(&self) -> &'static str {
        "reservations"
    }
    fn fire(&self, http: reqwest::Client, base: String, i: u64) -> Fired {
        use madoguchi::facilities::model::jst_ms;
        let token = self.tokens[((i / 1_000_000) % self.tokens.len() as u64) as usize].clone();
        let pick = rand::random::<u64>();
        let (room, purpose, opens, closes, slot) =
            self.rooms[(pick % self.rooms.len() as u64) as usize];
        let day = self.day0 + time::Duration::days(((pick >> 16) % 21) as i64);
        let per_day = ((closes - opens) / slot).max(1);
        let first = (pick >> 32) as i64 % per_day;
        let len = 1 + ((pick >> 48) as i64 % 2).min(per_day - first - 1).max(0);
        let start = jst_ms(day, opens + first * slot);
        let end = jst_ms(day, opens + (first + len) * slot);
        Box::pin(async move {
            let r = http
                .post(format!("{base}/api/v1/reservations"))
                .bearer_auth(&token)
                .json(&json!({"room": room, "start": start, "end": end, "purpose": purpose}))
                .send()
                .await
                .ok()?;
            no_5xx("a booking", r.status());
            if r.status() != reqwest::StatusCode::CREATED {
                return None;
            }
            let v: Value = r.json().await.ok()?;
            let p = ReservationPromise {
                room: v["room"].as_i64()?,
                start: v["start"].as_i64()?,
                end: v["end"].as_i64()?,
                status: v["status"].as_str()?.to_owned(),
            };
            assert_eq!(
                (p.room, p.start, p.end),
                (room, start, end),
                "the 201 describes the booking asked for"
            );
            Some((v["id"].as_str()?.to_owned(), json!(p).to_string()))
        })
    }
    fn check<'a>(
        &'a self,
        db: &'a Db,
        promised: &'a BTreeMap<String, String>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<String>> + 'a>> {
        Box::pin(async move {
            let rows: Vec<(String, i64, i64, i64, String, i64)> = common::fetch_raw(
                db,
                "SELECT public_id, room_id, starts_at, ends_at, status, id FROM fac_reservations",
            )
            .await;
            let stored: BTreeMap<&str, _> = rows.iter().map(|r| (r.0.as_str(), r)).collect();
            let mut bad = Vec::new();
            for (id, p) in promised {
                let want: ReservationPromise = serde_json::from_str(p).expect("json");
                match stored.get(id.as_str()) {
                    None => bad.push(format!("reservation {id} got a 201 but is missing")),
                    Some(r) => {
                        let got = ReservationPromise {
                            room: r.1,
                            start: r.2,
                            end: r.3,
                            status: r.4.clone(),
                        };
                        if got != want {
                            bad.push(format!("reservation {id} changed: {got:?} != {want:?}"));
                        }
                    }
                }
            }
            // No double booking: the live bookings, spread over the atomic rooms they hold.
            let atoms: Vec<(i64, i64)> =
                common::fetch_raw(db, "SELECT room_id, atom_id FROM fac_room_atoms").await;
            let mut by_atom: BTreeMap<i64, Vec<(i64, i64, &str)>> = BTreeMap::new();
            for r in rows
                .iter()
                .filter(|r| madoguchi::facilities::store::LIVE.contains(&r.4.as_str()))
            {
                for (_, atom) in atoms.iter().filter(|(room, _)| *room == r.1) {
                    by_atom
                        .entry(*atom)
                        .or_default()
                        .push((r.2, r.3, r.0.as_str()));
                }
            }
            for (atom, mut v) in by_atom {
                v.sort();
                for w in v.windows(2) {
                    if w[1].0 < w[0].1 {
                        bad.push(format!(
                            "room {atom}: reservations {} and {} overlap",
                            w[0].2, w[1].2
                        ));
                    }
                }
            }
            // The database's own guard holds exactly the live bookings' atoms.
            let units: Vec<(i64, i64, i64, i64)> = common::fetch_raw(
                db,
                "SELECT reservation_id, atom_id, starts_at, ends_at FROM fac_reservation_units",
            )
            .await;
            let mut want_units: Vec<(i64, i64, i64, i64)> = rows
                .iter()
                .filter(|r| madoguchi::facilities::store::LIVE.contains(&r.4.as_str()))
                .flat_map(|r| {
                    atoms
                        .iter()
                        .filter(move |(room, _)| *room == r.1)
                        .map(move |(_, a)| (r.5, *a, r.2, r.3))
                })
                .collect();
            want_units.sort();
            let mut units = units;
            units.sort();
            if units != want_units {
                bad.push(format!(
                    "fac_reservation_units ({} rows) differ from the live bookings' atoms ({} rows)",
                    units.len(),
                    want_units.len()
                ));
            }
            bad
        })
    }
}

/// Residents for the mandates (no password: they only use sessions made here) and the
/// booking residents (user IDs approved, tokens), and the rules lifted for the load.
async fn mandate_residents(db: &Db, n: usize) -> Vec<(i64, String)> {
    let mut tx = db.begin().await.expect("begin");
    let mut out = Vec::new();
    for k in 0..n {
        let email = format!("crash-debit-{k}@example.jp");
        let id = madoguchi::auth::store::create_user(
            &mut tx,
            madoguchi::auth::store::NewUser {
                municipality: ICHIKAWA,
                kind: madoguchi::auth::Kind::Resident,
                email: &email,
                name: "振替 試験",
                password_hash: "",
                verified: true,
                department_id: None,
                role: None,
            },
        )
        .await
        .expect("resident");
        let secret = madoguchi::auth::store::create_session(&mut tx, id, ICHIKAWA, 3_600_000)
            .await
            .expect("session");
        out.push((id, secret));
    }
    tx.commit().await.expect("commit");
    out
}

async fn booking_setup(db: &Db) -> Reservations {
    use madoguchi::facilities::{model, service, store};
    let mut tokens = Vec::new();
    for k in 0..8 {
        let email = format!("crash-fac-{k}@example.jp");
        let mut tx = db.begin().await.expect("begin");
        let id = madoguchi::auth::store::create_user(
            &mut tx,
            madoguchi::auth::store::NewUser {
                municipality: ICHIKAWA,
                kind: madoguchi::auth::Kind::Resident,
                email: &email,
                name: "予約 試験",
                password_hash: "",
                verified: true,
                department_id: None,
                role: None,
            },
        )
        .await
        .expect("resident");
        service::register_tx(
            &mut tx,
            ICHIKAWA,
            &madoguchi::audit::Actor::Cli,
            id,
            None,
            &service::Registration {
                group: true,
                name: email.clone(),
                citizen: true,
                members: 10,
                purposes: vec!["meeting".into(), "sports".into()],
            },
        )
        .await
        .expect("user ID");
        tx.commit().await.expect("commit");
        let (_, token) = madoguchi::admin::create_token(db, ICHIKAWA, &email, "*")
            .await
            .expect("token");
        tokens.push(token);
    }
    common::exec(
        db,
        &format!(
            "UPDATE fac_facilities SET max_per_month = 1000000, book_ahead_days = 1000 WHERE municipality_id = '{ICHIKAWA}'"
        ),
    )
    .await;
    let mut rooms = Vec::new();
    for f in store::facilities(db, ICHIKAWA).await.expect("facilities") {
        if !f.online_registration {
            continue;
        }
        let purpose = if matches!(f.kind.as_str(), "taiikukan" | "tennis") {
            "sports"
        } else {
            "meeting"
        };
        for r in store::rooms(db, f.id).await.expect("rooms") {
            rooms.push((r.id, purpose, r.opens_min, r.closes_min, r.slot_min));
        }
    }
    assert!(rooms.len() >= 2, "the demo has rooms to book: {rooms:?}");
    let day0 = model::jst_date(madoguchi::db::now_ms()) + time::Duration::days(1);
    Reservations {
        tokens,
        rooms,
        day0,
    }
}

/// Residents for the mandate workload: each has one mandate per item (15 in the demo).
const MANDATE_RESIDENTS: usize = 200;

struct Report {
    kills: usize,
    /// (workload, acknowledged writes).
    acknowledged: Vec<(&'static str, usize)>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} kills survived; acknowledged and intact:", self.kills)?;
        for (w, n) in &self.acknowledged {
            write!(f, " {n} {w}")?;
        }
        Ok(())
    }
}

async fn crash_loop(url: String, db: Db) -> Report {
    // Demo data and a published form, written through the library before the binary starts.
    let app = support::TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let (_, token) = madoguchi::admin::create_token(&db, ICHIKAWA, HANAKO, "*")
        .await
        .expect("token");
    // The demo's bank secret, given to the server as configuration.
    let secret = app.state.cfg.debit.banks["0134"].secret.clone();
    let env = vec![(
        "MADOGUCHI_DEBIT__BANKS__0134__SECRET".to_owned(),
        secret.clone(),
    )];
    drop(app);
    let items: Vec<(String,)> = common::fetch_raw(
        &db,
        &format!("SELECT code FROM debit_items WHERE municipality_id = '{ICHIKAWA}' ORDER BY code"),
    )
    .await;
    let residents = mandate_residents(&db, MANDATE_RESIDENTS).await;
    let bookings = booking_setup(&db).await;
    let workloads: Vec<Arc<dyn Workload>> = vec![
        Arc::new(Applications {
            token,
            procedure_id: f.procedure_id,
        }),
        Arc::new(Mandates {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            residents,
            items: items.into_iter().map(|r| r.0).collect(),
            secret,
            next: Default::default(),
        }),
        Arc::new(bookings),
    ];
    let kills: usize = std::env::var("MADOGUCHI_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut promised: Vec<BTreeMap<String, String>> =
        workloads.iter().map(|_| BTreeMap::new()).collect();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let mut next: u64 = 0;
    let mut acknowledged = vec![0usize; workloads.len()];
    for round in 0..kills {
        let mut server = start_with(&url, &env);
        let base = format!("http://{}", server.addr);
        // Everything promised so far is still there after the last kill.
        for (w, p) in workloads.iter().zip(&promised) {
            let bad = w.check(&db, p).await;
            assert!(bad.is_empty(), "round {round}, {}: {bad:#?}", w.name());
        }
        let (ok, _, err) = audit_verify(&url);
        assert!(ok, "round {round}: audit verify failed: {err}");

        // Load: 8 concurrent clients per workload, until the kill.
        let acked: Arc<Mutex<Vec<(usize, String, String)>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for (wi, w) in workloads.iter().enumerate() {
            for c in 0..8u64 {
                let (w, http, base, acked, stop) = (
                    w.clone(),
                    http.clone(),
                    base.clone(),
                    acked.clone(),
                    stop.clone(),
                );
                let start_i = next + c * 1_000_000;
                tasks.push(tokio::spawn(async move {
                    let mut i = start_i;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        if let Some((k, v)) = w.fire(http.clone(), base.clone(), i).await {
                            acked.lock().expect("lock").push((wi, k, v));
                        }
                        i += 1;
                    }
                }));
            }
        }
        next += 8 * 1_000_000;
        // A random moment: 150–1200 ms into the load.
        let wait = 150 + (rand::random::<u64>() % 1050);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.child.kill().expect("SIGKILL");
        let _ = server.child.wait();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in tasks {
            t.await.expect("load task");
        }
        let acked = std::mem::take(&mut *acked.lock().expect("lock"));
        for (wi, k, v) in acked {
            acknowledged[wi] += 1;
            promised[wi].insert(k, v);
        }
    }
    // After the last kill.
    let _server = start_with(&url, &env);
    for (w, p) in workloads.iter().zip(&promised) {
        let bad = w.check(&db, p).await;
        assert!(
            bad.is_empty(),
            "after the last kill, {}: {bad:#?}",
            w.name()
        );
    }
    let (ok, out, err) = audit_verify(&url);
    assert!(ok, "audit verify after the last kill: {err}");
    assert!(out.contains("audit chain intact"), "{out}");
    for (w, n) in workloads.iter().zip(&acknowledged) {
        assert!(
            *n > 0,
            "no {} write was acknowledged: the load never reached the server",
            w.name()
        );
    }
    Report {
        kills,
        acknowledged: workloads
            .iter()
            .map(|w| w.name())
            .zip(acknowledged)
            .collect(),
    }
}

fn audit_verify(url: &str) -> (bool, String, String) {
    let out = bin()
        .args(["audit", "verify", "--database-url", url])
        .output()
        .expect("audit verify");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_nothing_on_sqlite() {
    let t = common::sqlite().await;
    let rows: Vec<(i64, String, String)> = common::fetch_raw(&t, "PRAGMA database_list").await;
    let file = rows.iter().find(|r| r.1 == "main").expect("main").2.clone();
    let url = format!("sqlite://{file}");
    let r = crash_loop(url, t.db.clone()).await;
    eprintln!("sqlite: {r}");
    t.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_under_load_loses_nothing_on_postgres() {
    let t = common::postgres().await;
    let name: Vec<(String,)> = common::fetch_raw(&t, "SELECT current_database()::text").await;
    let c = common::pg::cluster_async().await;
    let url = format!(
        "postgres://postgres@localhost/{}?host={}&port={}",
        name[0].0,
        c.dir.display(),
        c.port
    );
    let r = crash_loop(url, t.db.clone()).await;
    eprintln!("postgres: {r}");
    t.finish().await;
}
