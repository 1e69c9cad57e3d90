//! Payments (issue 4): the resident pays a fee through the provider adapter against the SANDBOX
//! provider (started on its own port, as a real provider would be elsewhere), which sends signed
//! webhooks to Madoguchi (served on a port of its own too). Every test runs on SQLite and
//! PostgreSQL.

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app_fixture::*;
use common::{exec, fetch_raw};
use madoguchi::audit::Actor;
use madoguchi::config::Config;
use madoguchi::db::Db;
use madoguchi::payments::provider::{HttpProvider, SettlementItem};
use madoguchi::payments::sandbox::{self, API_PREFIX, Sandbox, SandboxConfig};
use madoguchi::payments::store::Due;
use madoguchi::payments::{reconcile, routes as pay_routes, signature};
use madoguchi::procedures::application;
use support::*;

const SECRET_KEY: &str = "sk_test_payments";
const WEBHOOK_SECRET: &str = "whsec_test_payments";

struct Env {
    app: TestApp,
    fx: Fixture,
    sandbox: Arc<Sandbox>,
    app_addr: SocketAddr,
    sandbox_addr: SocketAddr,
}

/// Madoguchi on a port (for the webhooks), the sandbox provider on another, the fixture city.
async fn env(db: Db) -> Env {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let app_addr = listener.local_addr().expect("addr");
    let (sandbox_addr, sandbox) = sandbox::spawn(SandboxConfig {
        secret_key: SECRET_KEY.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
        webhook_url: format!("http://{app_addr}{}", madoguchi::payments::WEBHOOK_PATH),
        public_base: String::new(),
        session_minutes: 90,
        webhook_delay: Duration::from_millis(1500),
    })
    .await
    .expect("sandbox");
    let mut cfg = Config {
        base_url: format!("http://{app_addr}"),
        ..Config::default()
    };
    cfg.payments.api_base = format!("http://{sandbox_addr}{API_PREFIX}");
    cfg.payments.secret_key = SECRET_KEY.into();
    cfg.payments.webhook_secret = WEBHOOK_SECRET.into();
    let app = TestApp::with_config(db, cfg).await;
    let router = madoguchi::web::router(app.state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    let fx = Fixture::new(&app).await;
    Env {
        app,
        fx,
        sandbox,
        app_addr,
        sandbox_addr,
    }
}

impl Env {
    fn db(&self) -> &Db {
        &self.app.db
    }

    /// Hanako's application of the fixture procedure (fee 300 yen). Returns the receipt.
    async fn apply(&self) -> String {
        let s = application::submit(
            self.db(),
            ICHIKAWA,
            &Actor::User(self.fx.hanako),
            "http://127.0.0.1",
            self.fx.new_app(answers("市川 花子"), None),
        )
        .await
        .expect("submit");
        s.receipt.compact()
    }

    async fn resident(&self, email: &str) -> Client<'_> {
        let mut c = self.app.client(ICHIKAWA_HOST);
        let r = c.login(email, PASSWORD).await;
        assert_eq!(r.status, 303, "{email} logs in");
        c
    }

    async fn staff(&self, email: &str) -> Client<'_> {
        let mut c = self.app.client(ICHIKAWA_HOST);
        let r = c
            .post_form("/staff/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(r.status, 303, "{email} logs in");
        c
    }

    fn provider(&self) -> HttpProvider {
        HttpProvider::from_config(&self.app.state.cfg.payments, "", false).expect("provider")
    }
}

/// The browser on the sandbox's page: presses one of its buttons, gets the redirect back.
async fn choose(next_url: &str, choice: &str) -> String {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let page = http.get(next_url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("サンドボックス"), "the sandbox is labelled");
    let r = http
        .post(next_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("choice={choice}"))
        .send()
        .await
        .expect("choice");
    assert_eq!(r.status(), 303);
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned()
}

/// Presses 「手数料を支払う」 on the application page; returns the provider's page URL.
async fn press_pay(c: &mut Client<'_>, receipt: &str) -> String {
    let page = c.get(&format!("/applications/{receipt}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("手数料を支払う"), "{}", page.body);
    assert!(page.body.contains("未払い"));
    let r = c
        .post_form(&format!("/applications/{receipt}/pay"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    r.location().to_owned()
}

async fn payment_states(db: &Db) -> Vec<String> {
    let rows: Vec<(String,)> = fetch_raw(db, "SELECT state FROM payments ORDER BY id").await;
    rows.into_iter().map(|r| r.0).collect()
}

async fn events(db: &Db) -> Vec<(String, String)> {
    let rows: Vec<(Option<String>, String)> = fetch_raw(
        db,
        "SELECT from_state, to_state FROM payment_events ORDER BY id",
    )
    .await;
    rows.into_iter()
        .map(|(a, b)| (a.unwrap_or_default(), b))
        .collect()
}

async fn count(db: &Db, sql: &str) -> i64 {
    let rows: Vec<(i64,)> = fetch_raw(db, sql).await;
    rows[0].0
}

async fn wait_for_state(db: &Db, want: &str) {
    for _ in 0..100 {
        if payment_states(db).await.last().map(String::as_str) == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "payment never reached {want}: {:?}",
        payment_states(db).await
    );
}

/// The sandbox has delivered at least `n` webhooks that Madoguchi answered 2xx.
async fn wait_for_webhooks(sb: &Sandbox, n: usize) {
    for _ in 0..100 {
        if sb.deliveries().len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("only {} webhooks delivered", sb.deliveries().len());
}

async fn public_id(db: &Db) -> (String, String) {
    let rows: Vec<(String, Option<String>)> = fetch_raw(
        db,
        "SELECT public_id, provider_ref FROM payments ORDER BY id DESC",
    )
    .await;
    (rows[0].0.clone(), rows[0].1.clone().unwrap_or_default())
}

db_test!(card_success_is_looked_up_server_side, |db: Db| async move {
    let e = env(db).await;
    let receipt = e.apply().await;
    // The fee fixed at submission is stored with the application.
    let fee: Vec<(i64, String, String)> = fetch_raw(
        e.db(),
        "SELECT amount_yen, source, due_before FROM application_fees",
    )
    .await;
    assert_eq!(fee, vec![(300, "submission".into(), "none".into())]);
    let mut c = e.resident(HANAKO).await;
    // The page after submission offers the payment at once (to the applicant only).
    let done_path = format!("/procedures/{}/apply/done/{receipt}", e.fx.slug);
    let done = c.get(&done_path).await;
    assert_eq!(done.status, 200);
    assert!(
        done.body.contains("手数料を支払う") && done.body.contains("300円"),
        "{}",
        done.body
    );
    assert!(done.body.contains(&format!("/applications/{receipt}/pay")));
    let mut jiro = e.resident(OTHER_RESIDENT).await;
    let other = jiro.get(&done_path).await;
    assert!(!other.body.contains("手数料を支払う"));
    let next = press_pay(&mut c, &receipt).await;
    assert!(next.starts_with(&format!("http://{}/sandbox/pay/checkout/", e.sandbox_addr)));
    assert_eq!(payment_states(e.db()).await, vec!["started"]);
    let back = choose(&next, "success").await;
    // Coming back with made-up query parameters changes nothing: the status is looked up.
    let page = c
        .get(&format!("{}?state=failed&paid=0", path_of(&back)))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("お支払いが完了しました"),
        "{}",
        page.body
    );
    assert_eq!(payment_states(e.db()).await, vec!["succeeded"]);
    assert_eq!(
        events(e.db()).await,
        vec![
            (String::new(), "created".into()),
            ("created".into(), "started".into()),
            ("started".into(), "succeeded".into()),
        ]
    );
    let app_page = c.get(&format!("/applications/{receipt}")).await;
    assert!(app_page.body.contains("支払済み"));
    assert!(!app_page.body.contains("手数料を支払う（"));
    assert!(
        app_page.body.contains("お支払いを確認しました"),
        "thread note"
    );
    // Paying again is refused plainly.
    let again = c
        .post_form(&format!("/applications/{receipt}/pay"), &[])
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("お支払い済み"));
    // The sandbox's own webhook arrives too, and changes nothing more.
    wait_for_webhooks(&e.sandbox, 1).await;
    assert_eq!(events(e.db()).await.len(), 3);
    let actions = audit_actions(e.db()).await;
    for a in [
        "payment.created",
        "payment.started",
        "payment.succeeded",
        "payment.webhook_received",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    assert_audit_intact(e.db()).await;
});

db_test!(declined_card_then_paying_again, |db: Db| async move {
    let e = env(db).await;
    let receipt = e.apply().await;
    let mut c = e.resident(HANAKO).await;
    let next = press_pay(&mut c, &receipt).await;
    let back = choose(&next, "decline").await;
    let page = c.get(&path_of(&back)).await;
    assert!(
        page.body.contains("カードでのお支払いができませんでした"),
        "{}",
        page.body
    );
    assert!(page.body.contains("もう一度支払う"));
    assert_eq!(payment_states(e.db()).await, vec!["failed"]);
    // A new payment is made; the failed one stays as it was.
    let next2 = press_pay(&mut c, &receipt).await;
    assert_ne!(next, next2);
    let back = choose(&next2, "success").await;
    c.get(&path_of(&back)).await;
    assert_eq!(payment_states(e.db()).await, vec!["failed", "succeeded"]);
    assert_audit_intact(e.db()).await;
});

db_test!(abandon_and_expiry, |db: Db| async move {
    let e = env(db).await;
    let receipt = e.apply().await;
    let mut c = e.resident(HANAKO).await;
    let next = press_pay(&mut c, &receipt).await;
    let back = choose(&next, "abandon").await;
    let page = c.get(&path_of(&back)).await;
    assert!(
        page.body.contains("お支払いを中断しました"),
        "{}",
        page.body
    );
    assert_eq!(payment_states(e.db()).await, vec!["cancelled"]);
    // Pressing pay again while a page is open reuses it (no second payment to complete).
    let next2 = press_pay(&mut c, &receipt).await;
    let again = c
        .post_form(&format!("/applications/{receipt}/pay"), &[])
        .await;
    assert_eq!(again.location(), next2);
    assert_eq!(payment_states(e.db()).await, vec!["cancelled", "started"]);
    // The provider's session runs out (sandbox control call).
    let (public, provider_ref) = public_id(e.db()).await;
    let r = reqwest::Client::new()
        .post(format!(
            "http://{}{API_PREFIX}/v1/payments/{provider_ref}/expire",
            e.sandbox_addr
        ))
        .bearer_auth(SECRET_KEY)
        .send()
        .await
        .expect("expire");
    assert_eq!(r.status(), 200);
    let page = c.get(&format!("/payments/{public}/return")).await;
    assert!(page.body.contains("期限が切れました"), "{}", page.body);
    assert_eq!(payment_states(e.db()).await, vec!["cancelled", "expired"]);
    // Nothing is stuck: an expired page gives way to a new payment.
    let next3 = press_pay(&mut c, &receipt).await;
    assert_ne!(next3, next2);
    assert_audit_intact(e.db()).await;
});

db_test!(
    delayed_webhook_shows_checking_then_paid,
    |db: Db| async move {
        let e = env(db).await;
        let receipt = e.apply().await;
        let mut c = e.resident(HANAKO).await;
        let next = press_pay(&mut c, &receipt).await;
        let back = choose(&next, "delayed").await;
        let page = c.get(&path_of(&back)).await;
        assert!(page.body.contains("お支払いを確認中です"), "{}", page.body);
        assert!(page.body.contains("もう一度確認する"));
        assert_eq!(payment_states(e.db()).await, vec!["started"]);
        let app_page = c.get(&format!("/applications/{receipt}")).await;
        assert!(app_page.body.contains("お支払いを確認しています"));
        // The webhook arrives seconds later and the payment is stored as paid without the resident.
        wait_for_state(e.db(), "succeeded").await;
        wait_for_webhooks(&e.sandbox, 1).await;
        let page = c.get(&path_of(&back)).await;
        assert!(page.body.contains("お支払いが完了しました"));
        assert!(
            audit_actions(e.db())
                .await
                .iter()
                .any(|a| a == "payment.webhook_received")
        );
        assert_audit_intact(e.db()).await;
    }
);

fn webhook_body(event_id: &str, provider_ref: &str) -> String {
    serde_json::json!({
        "id": event_id,
        "type": "payment.succeeded",
        "created": 0,
        "data": { "payment_id": provider_ref, "state": "succeeded" },
    })
    .to_string()
}

async fn post_webhook(c: &mut Client<'_>, body: &str, sig: &str) -> Resp {
    let req = axum::http::Request::post(madoguchi::payments::WEBHOOK_PATH)
        .header("host", ICHIKAWA_HOST)
        .header("content-type", "application/json")
        .header(signature::HEADER, sig)
        .body(axum::body::Body::from(body.to_owned()))
        .expect("request");
    c.send(req).await
}

fn now_secs() -> i64 {
    madoguchi::db::now_ms() / 1000
}

db_test!(
    bad_webhook_signature_is_refused_and_changes_nothing,
    |db: Db| async move {
        let e = env(db).await;
        let receipt = e.apply().await;
        let mut c = e.resident(HANAKO).await;
        let next = press_pay(&mut c, &receipt).await;
        let (_, provider_ref) = public_id(e.db()).await;
        // The provider says succeeded (the resident paid) but its webhook never came: only forged
        // ones do.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let _ = &next;
        let before_audit = audit_actions(e.db()).await.len();
        let before_events = events(e.db()).await;
        let body = webhook_body("evt_forged", &provider_ref);
        let mut hook = e.app.client(ICHIKAWA_HOST);
        for sig in [
            signature::sign("not-the-secret", now_secs(), body.as_bytes()),
            signature::sign(WEBHOOK_SECRET, now_secs() - 3600, body.as_bytes()),
            signature::sign(WEBHOOK_SECRET, now_secs(), b"{\"other\":1}"),
            String::new(),
            "t=1,v1=zz".into(),
        ] {
            let r = post_webhook(&mut hook, &body, &sig).await;
            assert_eq!(r.status, 401, "{sig}: {}", r.body);
            assert_eq!(r.json()["error"]["code"], "bad_signature");
        }
        assert_eq!(audit_actions(e.db()).await.len(), before_audit);
        assert_eq!(events(e.db()).await, before_events);
        assert_eq!(
            count(e.db(), "SELECT COUNT(*) FROM payment_webhooks").await,
            0
        );
        assert_eq!(payment_states(e.db()).await, vec!["started"]);
        drop(http);
        // Over a real socket too (what a provider does).
        let r = reqwest::Client::new()
            .post(format!(
                "http://{}{}",
                e.app_addr,
                madoguchi::payments::WEBHOOK_PATH
            ))
            .header(
                signature::HEADER,
                signature::sign("nope", now_secs(), body.as_bytes()),
            )
            .body(body.clone())
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 401);
        assert_eq!(payment_states(e.db()).await, vec!["started"]);
    }
);

db_test!(
    replayed_webhook_and_repeated_return_are_no_ops,
    |db: Db| async move {
        let e = env(db).await;
        let receipt = e.apply().await;
        let mut c = e.resident(HANAKO).await;
        let next = press_pay(&mut c, &receipt).await;
        let back = choose(&next, "success").await;
        wait_for_webhooks(&e.sandbox, 1).await;
        wait_for_state(e.db(), "succeeded").await;
        let (_, provider_ref) = public_id(e.db()).await;
        let body = webhook_body("evt_replayed", &provider_ref);
        let mut hook = e.app.client(ICHIKAWA_HOST);
        let sig = signature::sign(WEBHOOK_SECRET, now_secs(), body.as_bytes());
        let first = post_webhook(&mut hook, &body, &sig).await;
        assert_eq!(first.status, 200, "{}", first.body);
        assert_eq!(first.json()["status"], "ok");
        let audit_after_first = audit_actions(e.db()).await.len();
        let events_after_first = events(e.db()).await;
        for _ in 0..3 {
            let r = post_webhook(&mut hook, &body, &sig).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["status"], "duplicate");
        }
        assert_eq!(audit_actions(e.db()).await.len(), audit_after_first);
        assert_eq!(events(e.db()).await, events_after_first);
        // The return page, opened again and again, looks the status up and writes nothing.
        for _ in 0..3 {
            let page = c.get(&path_of(&back)).await;
            assert!(page.body.contains("お支払いが完了しました"));
        }
        assert_eq!(audit_actions(e.db()).await.len(), audit_after_first);
        assert_eq!(events(e.db()).await, events_after_first);
        assert_eq!(payment_states(e.db()).await, vec!["succeeded"]);
        assert_audit_intact(e.db()).await;
    }
);

db_test!(refund_by_staff, |db: Db| async move {
    let e = env(db).await;
    let receipt = e.apply().await;
    let mut c = e.resident(HANAKO).await;
    let next = press_pay(&mut c, &receipt).await;
    let back = choose(&next, "success").await;
    c.get(&path_of(&back)).await;
    let (public, _) = public_id(e.db()).await;
    // The resident cannot refund.
    let r = c
        .post_form(
            &format!("/staff/cases/{receipt}/refund"),
            &[("payment", &public)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/staff/login"));
    // Staff of another department cannot see the case.
    let mut other = e.staff(OTHER_DEPT).await;
    let r = other
        .post_form(
            &format!("/staff/cases/{receipt}/refund"),
            &[("payment", &public)],
        )
        .await;
    assert_eq!(r.status, 404);
    let mut s = e.staff(SHIMIN_STAFF).await;
    let case = s.get(&format!("/staff/cases/{receipt}")).await;
    assert!(case.body.contains("支払済み"), "{}", case.body);
    assert!(case.body.contains("全額を返金する"));
    let r = s
        .post_form(
            &format!("/staff/cases/{receipt}/refund"),
            &[("payment", &public)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(payment_states(e.db()).await, vec!["refunded"]);
    // A second refund is refused plainly.
    let r = s
        .post_form(
            &format!("/staff/cases/{receipt}/refund"),
            &[("payment", &public)],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("返金できるのは"));
    let page = c.get(&format!("/applications/{receipt}")).await;
    assert!(page.body.contains("返金しました"));
    assert!(
        audit_actions(e.db())
            .await
            .iter()
            .any(|a| a == "payment.refunded")
    );
    assert_audit_intact(e.db()).await;
});

db_test!(
    staff_set_fee_flow_and_the_completion_gate,
    |db: Db| async move {
        let e = env(db).await;
        // A procedure without a fee at submission.
        exec(
            e.db(),
            &format!(
                "UPDATE procedures SET fee_yen = NULL WHERE id = {}",
                e.fx.procedure_id
            ),
        )
        .await;
        let mut new = e.fx.new_app(answers("市川 花子"), None);
        new.computed.clear();
        let s = application::submit(
            e.db(),
            ICHIKAWA,
            &Actor::User(e.fx.hanako),
            "http://127.0.0.1",
            new,
        )
        .await
        .expect("submit");
        let receipt = s.receipt.compact();
        assert_eq!(
            count(e.db(), "SELECT COUNT(*) FROM application_fees").await,
            0
        );
        let mut c = e.resident(HANAKO).await;
        let page = c.get(&format!("/applications/{receipt}")).await;
        assert!(!page.body.contains("手数料のお支払い"));
        let r = c
            .post_form(&format!("/applications/{receipt}/pay"), &[])
            .await;
        assert_eq!(r.status, 409, "nothing to pay");
        let mut s = e.staff(SHIMIN_STAFF).await;
        let case = s.get(&format!("/staff/cases/{receipt}")).await;
        assert!(case.body.contains("手数料はありません"));
        assert!(case.body.contains("手数料を設定"));
        // Bad amounts are refused with a message naming the field; nothing changes.
        let audit_before = audit_actions(e.db()).await.len();
        for bad in ["", "abc", "0", "-300", "2000000"] {
            let r = s
                .post_form(
                    &format!("/staff/cases/{receipt}/fee"),
                    &[("amount", bad), ("message", "")],
                )
                .await;
            assert_eq!(r.status, 422, "{bad}");
            assert!(r.body.contains("手数料（金額）は1円から"), "{}", r.body);
        }
        assert_eq!(audit_actions(e.db()).await.len(), audit_before);
        assert_eq!(
            count(e.db(), "SELECT COUNT(*) FROM application_fees").await,
            0
        );
        let r = s
            .post_form(
                &format!("/staff/cases/{receipt}/fee"),
                &[("amount", "１，２００円"), ("message", "証明書2通分です。")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let fee: Vec<(i64, String, String)> = fetch_raw(
            e.db(),
            "SELECT amount_yen, source, due_before FROM application_fees",
        )
        .await;
        assert_eq!(fee, vec![(1200, "staff".into(), "completion".into())]);
        let fee_yen: Vec<(Option<i64>,)> =
            fetch_raw(e.db(), "SELECT fee_yen FROM applications").await;
        assert_eq!(fee_yen, vec![(Some(1200),)]);
        let (subject, body) = last_mail(e.db(), ICHIKAWA, HANAKO).await.expect("mail");
        assert!(subject.contains("手数料"), "{subject}");
        assert!(
            body.contains("1,200円") && body.contains("証明書2通分です。"),
            "{body}"
        );
        let page = c.get(&format!("/applications/{receipt}")).await;
        assert!(page.body.contains("1,200円"));
        assert!(page.body.contains("手数料を支払う"));
        assert!(
            page.body
                .contains("お支払いが確認できてから手続きを完了します")
        );
        assert!(
            page.body.contains("証明書2通分です。"),
            "message in the thread"
        );
        // The case runs on, but 完了 waits for the payment.
        let mut reviewer = e.staff(REVIEWER).await;
        for (who, action) in [(&mut s, "start_review"), (&mut reviewer, "approve")] {
            let r = who
                .post_form(
                    &format!("/staff/cases/{receipt}/action"),
                    &[("action", action), ("text", "")],
                )
                .await;
            assert_eq!(r.status, 303, "{action}: {}", r.body);
        }
        let r = s
            .post_form(
                &format!("/staff/cases/{receipt}/action"),
                &[("action", "complete"), ("text", "")],
            )
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(r.body.contains("手数料のお支払いがまだ確認できていません"));
        let next = press_pay(&mut c, &receipt).await;
        let back = choose(&next, "success").await;
        c.get(&path_of(&back)).await;
        let r = s
            .post_form(
                &format!("/staff/cases/{receipt}/action"),
                &[("action", "complete"), ("text", "")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        // Once paid, the fee can no longer be changed.
        let r = s
            .post_form(
                &format!("/staff/cases/{receipt}/fee"),
                &[("amount", "300"), ("message", "")],
            )
            .await;
        assert_eq!(r.status, 409);
        assert!(
            audit_actions(e.db())
                .await
                .iter()
                .any(|a| a == "payment.fee_set")
        );
        assert_audit_intact(e.db()).await;
    }
);

db_test!(
    fee_due_before_review_keeps_the_case_received,
    |db: Db| async move {
        let e = env(db).await;
        exec(
            e.db(),
            &format!(
                "INSERT INTO procedure_payment_timing (procedure_id, municipality_id, due_before) \
             VALUES ({}, '{ICHIKAWA}', 'review')",
                e.fx.procedure_id
            ),
        )
        .await;
        let receipt = e.apply().await;
        let mut c = e.resident(HANAKO).await;
        let page = c.get(&format!("/applications/{receipt}")).await;
        assert!(page.body.contains("お支払いが確認できてから審査を始めます"));
        let mut s = e.staff(SHIMIN_STAFF).await;
        let r = s
            .post_form(
                &format!("/staff/cases/{receipt}/action"),
                &[("action", "start_review"), ("text", "")],
            )
            .await;
        assert_eq!(r.status, 409);
        let state: Vec<(String,)> = fetch_raw(e.db(), "SELECT state FROM applications").await;
        assert_eq!(state[0].0, "received");
        let next = press_pay(&mut c, &receipt).await;
        let back = choose(&next, "success").await;
        c.get(&path_of(&back)).await;
        let r = s
            .post_form(
                &format!("/staff/cases/{receipt}/action"),
                &[("action", "start_review"), ("text", "")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
);

db_test!(someone_elses_payment_is_not_found, |db: Db| async move {
    let e = env(db).await;
    let receipt = e.apply().await;
    let mut hanako = e.resident(HANAKO).await;
    let next = press_pay(&mut hanako, &receipt).await;
    let (public, _) = public_id(e.db()).await;
    let mut jiro = e.resident(OTHER_RESIDENT).await;
    let r = jiro
        .post_form(&format!("/applications/{receipt}/pay"), &[])
        .await;
    assert_eq!(r.status, 404);
    let r = jiro.get(&format!("/payments/{public}/return")).await;
    assert_eq!(r.status, 404);
    let r = jiro.get(&format!("/applications/{receipt}")).await;
    assert_eq!(r.status, 404);
    // Another municipality's host does not know the payment either.
    let mut shisui = e.app.client(SHISUI_HOST);
    let r = shisui.get(&format!("/payments/{public}/return")).await;
    assert_ne!(r.status, 200);
    assert!(!r.body.contains("お支払い"), "{}", r.body);
    // Staff of another department: the fee page is not found.
    let mut other = e.staff(OTHER_DEPT).await;
    let r = other.get(&format!("/staff/cases/{receipt}/fee")).await;
    assert_eq!(r.status, 404);
    assert_eq!(payment_states(e.db()).await, vec!["started"]);
    let _ = next;
});

db_test!(reconciliation_totals_and_differences, |db: Db| async move {
    let e = env(db).await;
    let mut c = e.resident(HANAKO).await;
    // One paid and refunded, one paid, one declined.
    let mut receipts = Vec::new();
    for choice in ["success", "success", "decline"] {
        let receipt = e.apply().await;
        let next = press_pay(&mut c, &receipt).await;
        let back = choose(&next, choice).await;
        c.get(&path_of(&back)).await;
        receipts.push(receipt);
    }
    let mut s = e.staff(SHIMIN_STAFF).await;
    let first_public: Vec<(String,)> =
        fetch_raw(e.db(), "SELECT public_id FROM payments ORDER BY id").await;
    let r = s
        .post_form(
            &format!("/staff/cases/{}/refund", receipts[0]),
            &[("payment", &first_public[0].0)],
        )
        .await;
    assert_eq!(r.status, 303);
    let today = reconcile::jst_seconds(madoguchi::db::now_ms())[..10].to_owned();
    let p = e.provider();
    let report = pay_routes::day_report(e.db(), Some(&p), ICHIKAWA, &today)
        .await
        .expect("report")
        .expect("a date");
    assert_eq!(report.totals.charges, 600);
    assert_eq!(report.totals.charge_count, 2);
    assert_eq!(report.totals.refunds, 300);
    assert_eq!(report.totals.refund_count, 1);
    assert_eq!(report.totals.net(), 300);
    // created, started, then succeeded / succeeded+refunded / failed
    assert_eq!(report.lines.len(), 3 * 2 + 2 + 1 + 1);
    assert_eq!(
        report.checked,
        Some(Vec::new()),
        "matches the sandbox's list"
    );
    // Another day has nothing.
    let other = pay_routes::day_report(e.db(), Some(&p), ICHIKAWA, "2020-01-01")
        .await
        .expect("report")
        .expect("a date");
    assert!(other.lines.is_empty() && other.totals.net() == 0);
    // A settlement we have no record of is listed as a difference.
    e.sandbox.add_foreign_settlement(SettlementItem {
        payment_id: "sbp_unknown".into(),
        reference: "pay_unknown".into(),
        kind: "charge".into(),
        amount: 5000,
        at: now_secs(),
    });
    let report = pay_routes::day_report(e.db(), Some(&p), ICHIKAWA, &today)
        .await
        .expect("report")
        .expect("a date");
    assert_eq!(report.checked.as_ref().map(Vec::len), Some(1));
    let (bytes, _) = reconcile::csv(
        &report,
        madoguchi::procedures::application::rules::CsvEncoding::Utf8Bom,
    );
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    assert!(text.starts_with("日時,受付番号,手続,"), "{text}");
    assert!(text.contains("入金合計,600,2件\r\n"), "{text}");
    assert!(text.contains("返金合計,300,1件\r\n"));
    assert!(text.contains("差引,300\r\n"));
    assert!(
        text.contains("当市の記録にない,sbp_unknown,入金,,5000"),
        "{text}"
    );
    // The staff download: administrators (and 会計課) only.
    let r = s
        .get(&format!("/staff/payments/reconcile.csv?date={today}"))
        .await;
    assert_eq!(r.status, 404);
    let mut admin = e.staff(ADMIN).await;
    let page = admin.get("/staff/payments").await;
    assert_eq!(page.status, 200);
    let r = admin
        .get(&format!(
            "/staff/payments/reconcile.csv?date={today}&encoding=sjis"
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["content-type"], "text/csv; charset=shift_jis");
    let r = admin
        .get("/staff/payments/reconcile.csv?date=tomorrow")
        .await;
    assert_eq!(r.status, 400);
    assert_audit_intact(e.db()).await;
});

db_test!(provider_down_is_a_clear_message, |db: Db| async move {
    let e = env(db).await;
    let receipt = e.apply().await;
    // Point the adapter at a closed port: the resident gets a plain sentence, the payment is
    // recorded as failed, nothing else changes.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead = closed.local_addr().expect("addr");
    drop(closed);
    let mut cfg = (*e.app.state.cfg).clone();
    cfg.payments.api_base = format!("http://{dead}{API_PREFIX}");
    let app2 = TestApp::with_config(e.db().clone(), cfg).await;
    let mut c = app2.client(ICHIKAWA_HOST);
    assert_eq!(c.login(HANAKO, PASSWORD).await.status, 303);
    let r = c
        .post_form(&format!("/applications/{receipt}/pay"), &[])
        .await;
    assert_eq!(r.status, 502);
    assert!(
        r.body.contains("決済サービスにつながりませんでした"),
        "{}",
        r.body
    );
    assert_eq!(payment_states(e.db()).await, vec!["failed"]);
    let _ = e.app_addr;
});

// Property (like tests/app_workflow_props.rs): random sequences of states a provider might
// report, applied through the payment SERVICE on both databases, never leave the transition
// table. After every step the stored state is what `state::step` predicts (the target when it
// is reachable, the old state when not), each stored move wrote exactly one payment event and
// one audit event, a refusal or a repeat wrote nothing, and final states never move again.
db_test!(
    random_reported_states_follow_the_table,
    |db: Db| async move {
        use madoguchi::payments::service;
        use madoguchi::payments::state::{PaymentState, Step, step};
        use madoguchi::payments::store::{self, NewPayment};
        use proptest::strategy::{Strategy, ValueTree};
        use proptest::test_runner::TestRunner;

        let app = TestApp::demo(db.clone()).await;
        let fx = Fixture::new(&app).await;
        let s = application::submit(
            &db,
            ICHIKAWA,
            &Actor::User(fx.hanako),
            "http://x",
            fx.new_app(answers("市川 花子"), None),
        )
        .await
        .expect("submit");
        let payment_audit = |db: Db| async move {
            audit_actions(&db)
                .await
                .iter()
                .filter(|a| a.starts_with("payment."))
                .count()
        };
        let mut runner = TestRunner::deterministic();
        let seqs = proptest::collection::vec(0..PaymentState::ALL.len(), 1..14);
        let mut moved = 0;
        let mut reached = std::collections::BTreeSet::new();
        for n in 0..30 {
            let seq = seqs.new_tree(&mut runner).expect("strategy").current();
            let mut tx = db.begin().await.expect("tx");
            let id = store::insert_payment(
                &mut tx,
                &NewPayment {
                    municipality: ICHIKAWA,
                    public_id: &format!("pay_prop_{n}"),
                    application_id: Some(s.id),
                    reservation_id: None,
                    provider: "sandbox",
                    amount_yen: 300,
                    now: 0,
                    expires_at: 1,
                },
            )
            .await
            .expect("payment");
            tx.commit().await.expect("commit");
            let mut current = PaymentState::Created;
            for (i, target) in seq.iter().enumerate() {
                let target = PaymentState::ALL[*target];
                let ev_before = count(
                    &db,
                    &format!("SELECT COUNT(*) FROM payment_events WHERE payment_id = {id}"),
                )
                .await;
                let au_before = payment_audit(db.clone()).await;
                let expected = step(current, target);
                let row = service::apply(&db, id, target, "sync", &Actor::System)
                    .await
                    .expect("apply");
                let after = PaymentState::parse(&row.state).expect("known state");
                let ev_after = count(
                    &db,
                    &format!("SELECT COUNT(*) FROM payment_events WHERE payment_id = {id}"),
                )
                .await;
                let au_after = payment_audit(db.clone()).await;
                let ctx = format!("seq {n} step {i}: {current:?} -> {target:?}");
                match expected {
                    Step::Moves(m) => {
                        assert_eq!(after, target, "{ctx}");
                        assert_eq!(ev_after - ev_before, m.len() as i64, "{ctx}");
                        assert_eq!(au_after - au_before, m.len(), "{ctx}");
                        for (a, b) in &m {
                            assert!(madoguchi::payments::state::allowed(*a, *b), "{ctx}");
                        }
                        moved += m.len();
                    }
                    Step::Same | Step::Refused => {
                        assert_eq!(after, current, "{ctx}: nothing changes");
                        assert_eq!(ev_after, ev_before, "{ctx}: no event");
                        assert_eq!(au_after, au_before, "{ctx}: no audit event");
                    }
                }
                if current.is_final() {
                    assert_eq!(after, current, "{ctx}: final states stay");
                }
                current = after;
                reached.insert(after.as_str());
            }
        }
        assert!(
            moved > 20,
            "the sequences exercised the table: {moved} moves"
        );
        assert!(reached.len() >= 5, "states reached: {reached:?}");
        assert_audit_intact(&db).await;
    }
);

/// `madoguchi payments reconcile` on a database holding one paid fee (no provider configured:
/// the CSV says 未照合).
async fn reconcile_cli(url: String, db: Db) {
    use madoguchi::payments::service;
    use madoguchi::payments::state::PaymentState;
    use madoguchi::payments::store::{self, NewPayment};
    let app = TestApp::demo(db.clone()).await;
    let fx = Fixture::new(&app).await;
    let s = application::submit(
        &db,
        ICHIKAWA,
        &Actor::User(fx.hanako),
        "http://x",
        fx.new_app(answers("市川 花子"), None),
    )
    .await
    .expect("submit");
    let mut tx = db.begin().await.expect("tx");
    let id = store::insert_payment(
        &mut tx,
        &NewPayment {
            municipality: ICHIKAWA,
            public_id: "pay_cli",
            application_id: Some(s.id),
            reservation_id: None,
            provider: "sandbox",
            amount_yen: 300,
            now: madoguchi::db::now_ms(),
            expires_at: madoguchi::db::now_ms() + 60_000,
        },
    )
    .await
    .expect("payment");
    tx.commit().await.expect("commit");
    for to in [PaymentState::Started, PaymentState::Succeeded] {
        service::apply(&db, id, to, "sync", &Actor::System)
            .await
            .expect("apply");
    }
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("r.csv");
    let today = reconcile::jst_seconds(madoguchi::db::now_ms())[..10].to_owned();
    let run = |date: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"));
        for (k, _) in std::env::vars() {
            if k.starts_with("MADOGUCHI_") {
                cmd.env_remove(k);
            }
        }
        cmd.args(["payments", "reconcile", "--date", date, "--out"])
            .arg(&out)
            .args(["--database-url", &url])
            .output()
            .expect("run madoguchi")
    };
    let o = run(&today);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.contains("charges 300 yen (1)"), "{stderr}");
    let bytes = std::fs::read(&out).expect("csv");
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    assert!(text.contains("入金合計,300,1件"), "{text}");
    assert!(text.contains("未照合"), "{text}");
    assert!(text.contains("pay_cli"));
    let o = run("2026/04/01");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("YYYY-MM-DD"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_cli_on_sqlite() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("m.db");
    let db = Db::connect_sqlite(&path).await.expect("open");
    db.migrate().await.expect("migrate");
    reconcile_cli(format!("sqlite://{}", path.display()), db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_cli_on_postgres() {
    let name = common::pg::create_database().await;
    let cluster = common::pg::cluster_async().await;
    let url = format!(
        "postgres://postgres@localhost/{name}?host={}&port={}",
        cluster.dir.display(),
        cluster.port
    );
    let db = Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    reconcile_cli(url, db).await;
}

/// Hanako's group gets a user ID and books 鬼高公民館's study room 1, `days` days ahead (a fee:
/// 支払待ち). Returns the booking.
async fn unpaid_booking(
    e: &Env,
    days: i64,
    genmen: Option<&str>,
) -> madoguchi::facilities::store::ReservationRow {
    use madoguchi::facilities::{model, service, store};
    let db = e.db();
    if store::user_of_resident(db, ICHIKAWA, e.fx.hanako)
        .await
        .expect("q")
        .is_none()
    {
        let mut tx = db.begin().await.expect("begin");
        service::register_tx(
            &mut tx,
            ICHIKAWA,
            &Actor::Cli,
            e.fx.hanako,
            None,
            &service::Registration {
                group: true,
                name: "八幡合唱団".into(),
                citizen: true,
                members: 2,
                purposes: vec!["meeting".into()],
            },
        )
        .await
        .expect("register");
        tx.commit().await.expect("commit");
    }
    let f = store::facilities(db, ICHIKAWA)
        .await
        .expect("q")
        .into_iter()
        .find(|f| f.code == "onitaka")
        .expect("onitaka");
    let room = store::rooms(db, f.id)
        .await
        .expect("q")
        .into_iter()
        .find(|r| r.code == "study1")
        .expect("study1");
    let d = model::jst_date(madoguchi::db::now_ms()) + time::Duration::days(days);
    let (start, end) = model::day_slots(d, &room.hours())[0];
    service::book(
        db,
        ICHIKAWA,
        &Actor::User(e.fx.hanako),
        e.fx.hanako,
        &service::BookRequest {
            room: room.id,
            start,
            end,
            purpose: "meeting".into(),
            genmen: genmen.map(str::to_owned),
        },
    )
    .await
    .expect("booked")
}

async fn booking_status(db: &Db, public_id: &str) -> String {
    let rows: Vec<(String,)> = fetch_raw(
        db,
        &format!("SELECT status FROM fac_reservations WHERE public_id = '{public_id}'"),
    )
    .await;
    rows[0].0.clone()
}

db_test!(
    a_booking_fee_is_paid_online_and_confirms_the_booking,
    |db: Db| async move {
        let e = env(db).await;
        let b = unpaid_booking(&e, 10, None).await;
        assert_eq!(b.status, "unpaid");
        let mut c = e.resident(HANAKO).await;
        let mine = c.get("/mypage/facilities").await;
        assert!(
            mine.body.contains("支払待ち") && mine.body.contains("使用料を支払う"),
            "{}",
            mine.body
        );
        let pay_path = format!("/mypage/facilities/{}/pay", b.public_id);
        // Only the owner can pay (or even learn that the booking exists).
        let mut jiro = e.resident(OTHER_RESIDENT).await;
        assert_eq!(jiro.post_form(&pay_path, &[]).await.status, 404);
        let r = c.post_form(&pay_path, &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let next = r.location().to_owned();
        assert!(next.starts_with(&format!("http://{}/sandbox/pay/checkout/", e.sandbox_addr)));
        // Pressing again resumes the same provider page, no second payment.
        let again = c.post_form(&pay_path, &[]).await;
        assert_eq!(again.location(), next);
        assert_eq!(payment_states(e.db()).await, vec!["started"]);
        let back = choose(&next, "success").await;
        let r = c.get(&path_of(&back)).await;
        assert_eq!(r.status, 303);
        assert_eq!(r.location(), "/mypage/facilities?paid=succeeded");
        let mine = c.get(r.location()).await;
        assert!(mine.body.contains("予約が確定しました"), "{}", mine.body);
        assert_eq!(booking_status(e.db(), &b.public_id).await, "confirmed");
        assert_eq!(payment_states(e.db()).await, vec!["succeeded"]);
        // The provider's webhook confirms it again: nothing changes (idempotent).
        wait_for_webhooks(&e.sandbox, 1).await;
        assert_eq!(events(e.db()).await.len(), 3);
        let actions = audit_actions(e.db()).await;
        assert_eq!(
            actions.iter().filter(|a| *a == "facility.paid").count(),
            1,
            "{actions:?}"
        );
        assert_eq!(
            c.post_form(&pay_path, &[]).await.status,
            409,
            "paid already"
        );
        // The payment is in the accounting day report, under the booking's number.
        let lines = madoguchi::payments::store::events_between(e.db(), ICHIKAWA, 0, i64::MAX)
            .await
            .expect("events");
        assert!(
            lines.iter().any(|l| l.receipt == b.public_id
                && l.procedure_name_ja == "施設使用料"
                && l.to_state == "succeeded"),
            "{lines:?}"
        );
        assert_audit_intact(e.db()).await;
    }
);

db_test!(
    unpaid_bookings_are_released_after_the_deadline,
    |db: Db| async move {
        use madoguchi::facilities::{lottery, service};
        let e = env(db).await;
        let now = madoguchi::db::now_ms();
        let minute = 60_000;
        // Declined at the provider, then the deadline (60 minutes by default) passes: released.
        let a = unpaid_booking(&e, 10, None).await;
        assert!(
            a.pay_by
                .is_some_and(|t| (t - now - 60 * minute).abs() < minute)
        );
        let mut c = e.resident(HANAKO).await;
        let r = c
            .post_form(&format!("/mypage/facilities/{}/pay", a.public_id), &[])
            .await;
        let back = choose(r.location(), "decline").await;
        let r = c.get(&path_of(&back)).await;
        assert_eq!(r.location(), "/mypage/facilities?paid=failed");
        // A second booking whose provider page is still open (90 minutes) waits for it.
        let b = unpaid_booking(&e, 11, None).await;
        let r = c
            .post_form(&format!("/mypage/facilities/{}/pay", b.public_id), &[])
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(
            lottery::tick(e.db(), now + 30 * minute)
                .await
                .expect("tick")
                .1,
            0,
            "not yet"
        );
        assert_eq!(
            lottery::tick(e.db(), now + 61 * minute)
                .await
                .expect("tick")
                .1,
            1
        );
        assert_eq!(booking_status(e.db(), &a.public_id).await, "forfeited");
        assert_eq!(booking_status(e.db(), &b.public_id).await, "unpaid");
        let units: Vec<(i64,)> = fetch_raw(
            e.db(),
            &format!(
                "SELECT COUNT(*) FROM fac_reservation_units WHERE reservation_id = {}",
                a.id
            ),
        )
        .await;
        assert_eq!(units[0].0, 0, "the rooms are free again");
        let r = c
            .post_form(&format!("/mypage/facilities/{}/pay", a.public_id), &[])
            .await;
        assert_eq!(r.status, 409);
        assert!(r.body.contains("いまはお支払いできません"), "{}", r.body);
        assert_eq!(
            lottery::tick(e.db(), now + 91 * minute)
                .await
                .expect("tick")
                .1,
            1
        );
        assert_eq!(booking_status(e.db(), &b.public_id).await, "forfeited");
        // 減免: staff review first, then the reduced fee waits for its payment.
        let g = unpaid_booking(&e, 12, Some("senior")).await;
        assert_eq!(g.status, "review");
        service::decide_review(e.db(), ICHIKAWA, &Actor::Cli, &g.public_id, true)
            .await
            .expect("accepted");
        assert_eq!(booking_status(e.db(), &g.public_id).await, "unpaid");
        let actions = audit_actions(e.db()).await;
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "facility.unpaid_released")
                .count(),
            2,
            "{actions:?}"
        );
        assert_audit_intact(e.db()).await;
    }
);

/// Books and pays (sandbox card success) a booking `days` ahead; returns it (confirmed).
async fn paid_booking(
    e: &Env,
    c: &mut Client<'_>,
    days: i64,
) -> madoguchi::facilities::store::ReservationRow {
    let b = unpaid_booking(e, days, None).await;
    let r = c
        .post_form(&format!("/mypage/facilities/{}/pay", b.public_id), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let back = choose(r.location(), "success").await;
    let r = c.get(&path_of(&back)).await;
    assert_eq!(r.location(), "/mypage/facilities?paid=succeeded");
    assert_eq!(booking_status(e.db(), &b.public_id).await, "confirmed");
    b
}

async fn payment_of(db: &Db, reservation: i64) -> madoguchi::payments::store::PaymentRow {
    let mut list = madoguchi::payments::store::of_reservation(db, reservation)
        .await
        .expect("payments");
    assert_eq!(list.len(), 1, "{list:?}");
    list.remove(0)
}

// docs/facilities.md "Refunds": a paid booking cancelled in time is refunded in full (once,
// durably, and retried when the provider is down); a payment that holds no booking is refunded
// too; a paid booking cannot move to a time with another fee.
db_test!(
    a_paid_booking_cancelled_in_time_is_refunded_in_full,
    |db: Db| async move {
        use madoguchi::facilities::{model, service, store};
        use madoguchi::payments::provider::PaymentProvider;
        let e = env(db).await;
        let mut c = e.resident(HANAKO).await;
        let b = paid_booking(&e, &mut c, 10).await;
        let mine = c.get("/mypage/facilities").await;
        assert!(
            mine.body
                .contains("取り消すと、お支払いいただいた使用料は全額返金します。"),
            "{}",
            mine.body
        );
        // Moving it to two slots (twice the fee) is refused and changes nothing; one other
        // slot (the same fee) is fine.
        let room = store::room(e.db(), b.room_id)
            .await
            .expect("q")
            .expect("room");
        let day = model::jst_date(b.starts_at);
        let slots = model::day_slots(day, &room.hours());
        let longer = service::change(
            e.db(),
            ICHIKAWA,
            &Actor::User(e.fx.hanako),
            e.fx.hanako,
            &b.public_id,
            slots[1].0,
            slots[2].1,
        )
        .await;
        assert!(
            matches!(
                longer,
                Err(service::FacError::Refused(model::Refusal::PaidFeeChange))
            ),
            "{longer:?}"
        );
        let moved = service::change(
            e.db(),
            ICHIKAWA,
            &Actor::User(e.fx.hanako),
            e.fx.hanako,
            &b.public_id,
            slots[1].0,
            slots[1].1,
        )
        .await
        .expect("same fee");
        assert_eq!(
            (moved.fee_yen, moved.status.as_str()),
            (b.fee_yen, "confirmed")
        );

        // Cancelled from My Page: refunded at once, the page says so.
        let r = c
            .post_form(&format!("/mypage/facilities/{}/cancel", b.public_id), &[])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.location(), "/mypage/facilities?done=cancelled_refund");
        let mine = c.get(r.location()).await;
        assert!(
            mine.body.contains("使用料は全額返金します"),
            "{}",
            mine.body
        );
        assert!(mine.body.contains("返金しました"), "{}", mine.body);
        assert_eq!(booking_status(e.db(), &b.public_id).await, "cancelled");
        let p = payment_of(e.db(), b.id).await;
        assert_eq!(p.state, "refunded");
        assert!(p.refund_requested_at.is_some());
        // Exactly one move to refunded: recorded by the refund's own answer (source
        // 'refund') or by the provider's webhook about it, whichever lands first (the sandbox
        // sends one for every refund, so the two race).
        assert_eq!(
            count(
                e.db(),
                &format!(
                    "SELECT COUNT(*) FROM payment_events WHERE payment_id = {} \
                     AND to_state = 'refunded' AND source IN ('refund', 'webhook')",
                    p.id
                )
            )
            .await,
            1
        );
        assert_eq!(
            count(
                e.db(),
                &format!(
                    "SELECT COUNT(*) FROM payment_events WHERE payment_id = {} \
                     AND to_state = 'refunded'",
                    p.id
                )
            )
            .await,
            1
        );
        let actions = audit_actions(e.db()).await;
        for a in [
            "facility.cancelled",
            "facility.refund_requested",
            "payment.refunded",
        ] {
            assert_eq!(
                actions.iter().filter(|x| *x == a).count(),
                1,
                "{a}: {actions:?}"
            );
        }
        // Cancelling again is refused; nothing is refunded twice.
        let again = c
            .post_form(&format!("/mypage/facilities/{}/cancel", b.public_id), &[])
            .await;
        assert_eq!(again.status, 409, "{}", again.body);
        assert_eq!(
            madoguchi::payments::service::carry_out_refunds(e.db(), &e.provider(), Due::All)
                .await
                .expect("refunds"),
            0
        );

        // The provider is down when a second paid booking is cancelled: the cancellation
        // stands, the refund stays due (My Page says so) and a later run does it, once.
        let b2 = paid_booking(&e, &mut c, 11).await;
        let done = service::cancel(
            e.db(),
            ICHIKAWA,
            &Actor::User(e.fx.hanako),
            e.fx.hanako,
            &b2.public_id,
        )
        .await
        .expect("cancelled");
        let p2 = payment_of(e.db(), b2.id).await;
        assert_eq!(done.refund, Some((p2.id, b2.fee_yen)));
        let mut down_cfg = e.app.state.cfg.payments.clone();
        down_cfg.api_base = "http://127.0.0.1:9/v1-down".into();
        let down = HttpProvider::from_config(&down_cfg, "", false).expect("provider");
        assert_eq!(
            madoguchi::payments::service::carry_out_refunds(e.db(), &down, Due::All)
                .await
                .expect("refunds"),
            0
        );
        assert_eq!(payment_of(e.db(), b2.id).await.state, "succeeded");
        assert_eq!(booking_status(e.db(), &b2.public_id).await, "cancelled");
        let mine = c.get("/mypage/facilities").await;
        assert!(mine.body.contains("返金の手続中です"), "{}", mine.body);
        let report = madoguchi::facilities::cli::refunds_report(e.db(), ICHIKAWA)
            .await
            .expect("report");
        assert!(
            report.contains(&format!(
                "{}\tbooking {}\t{} yen",
                p2.public_id, b2.public_id, b2.fee_yen
            )),
            "{report}"
        );
        assert!(
            report.ends_with(&format!("1 refunds due, {} yen\n", b2.fee_yen)),
            "{report}"
        );
        // Staff see it under 返金待ち (their municipality's only) and try it from the page.
        let mut admin = e.staff(ADMIN).await;
        let page = admin.get("/staff/facilities").await;
        assert_eq!(page.status, 200);
        let due = page.body.split("返金待ち").nth(1).expect("refunds section");
        assert!(due.contains(&b2.public_id), "{}", page.body);
        assert!(due.contains(&p2.public_id), "{}", page.body);
        assert!(due.contains("今すぐ返金を試す"), "{}", page.body);
        assert_eq!(
            madoguchi::payments::store::refunds_due(e.db(), Due::In(SHISUI))
                .await
                .expect("due")
                .len(),
            0,
            "another municipality's list"
        );
        let refused = c.post_form("/staff/facilities/refunds", &[]).await;
        assert!(
            refused.status != 303 || refused.location().starts_with("/staff/login"),
            "a resident cannot: {} {}",
            refused.status,
            refused.body
        );
        assert_eq!(payment_of(e.db(), b2.id).await.state, "succeeded");
        let r = admin.post_form("/staff/facilities/refunds", &[]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(r.location(), "/staff/facilities?done=refunds");
        assert_eq!(payment_of(e.db(), b2.id).await.state, "refunded");
        let page = admin.get(r.location()).await;
        assert!(page.body.contains("返金を試しました"), "{}", page.body);
        assert!(page.body.contains("返金待ちはありません"), "{}", page.body);
        assert_eq!(
            madoguchi::payments::service::carry_out_refunds(e.db(), &e.provider(), Due::All)
                .await
                .expect("refunds"),
            0
        );

        // Cancelled while its provider page was open, then paid there: the money holds
        // nothing and goes back.
        let b3 = unpaid_booking(&e, 12, None).await;
        let r = c
            .post_form(&format!("/mypage/facilities/{}/pay", b3.public_id), &[])
            .await;
        let next = r.location().to_owned();
        let r = c
            .post_form(&format!("/mypage/facilities/{}/cancel", b3.public_id), &[])
            .await;
        assert_eq!(
            r.location(),
            "/mypage/facilities?done=cancelled",
            "not paid yet"
        );
        let back = choose(&next, "success").await;
        c.get(&path_of(&back)).await;
        let p3 = payment_of(e.db(), b3.id).await;
        assert_eq!(p3.state, "succeeded");
        assert!(p3.refund_requested_at.is_some(), "marked for the refund");
        assert_eq!(booking_status(e.db(), &b3.public_id).await, "cancelled");
        assert_eq!(
            madoguchi::payments::service::carry_out_refunds(e.db(), &e.provider(), Due::All)
                .await
                .expect("refunds"),
            1
        );
        assert_eq!(payment_of(e.db(), b3.id).await.state, "refunded");
        let actions = audit_actions(e.db()).await;
        assert!(actions.iter().any(|a| a == "facility.paid_not_held"));
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "facility.refund_requested")
                .count(),
            3
        );
        // The provider's list of money moved agrees: three charges, three refunds.
        let kinds: Vec<String> = e
            .provider()
            .settlements(
                &madoguchi::payments::reconcile::jst_seconds(madoguchi::db::now_ms())[..10],
            )
            .await
            .expect("settlements")
            .items
            .into_iter()
            .map(|i| i.kind)
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| *k == "refund").count(),
            3,
            "{kinds:?}"
        );
        assert_audit_intact(e.db()).await;
    }
);
