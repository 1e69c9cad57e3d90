//! 手続きナビ on LINE (issue 5, "LINE"), against the local LINE sandbox on both databases: the
//! sandbox signs webhook events with the channel secret and receives the reply API calls
//! (checking the channel access token). Good, bad and missing signatures, a replayed event,
//! the console's empty "Verify" call, and a resident finishing 出生 with quick replies.

#[macro_use]
mod common;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use madoguchi::config::Config;
use madoguchi::db::Db;
use madoguchi::demo::ICHIKAWA;
use madoguchi::navi::sandbox::{self, LineSandbox};
use madoguchi::navi::store;
use serde_json::Value;
use support::*;

const SECRET: &str = "test_channel_secret";
const TOKEN: &str = "sandbox-channel-access-token";

async fn app_with_line(db: Db) -> (TestApp, LineSandbox) {
    let sb = LineSandbox::start(SECRET, TOKEN).await.expect("sandbox");
    let mut cfg = Config::default();
    cfg.line.channel_secret = SECRET.into();
    cfg.line.channel_access_token = TOKEN.into();
    cfg.line.api_base_url = sb.api_base_url();
    (TestApp::with_config(db, cfg).await, sb)
}

async fn post_webhook(c: &mut Client<'_>, body: &str, signature: Option<&str>) -> Resp {
    let mut b = Request::post("/line/webhook")
        .header(header::HOST, c.host)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(s) = signature {
        b = b.header("x-line-signature", s);
    }
    c.send(b.body(Body::from(body.to_owned())).expect("request"))
        .await
}

fn quick_items(reply: &Value) -> Vec<Value> {
    reply["messages"][0]["quickReply"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn text_of(reply: &Value) -> String {
    reply["messages"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

db_test!(
    bad_or_missing_signatures_are_refused_before_anything,
    |db: Db| async move {
        let (app, sb) = app_with_line(db.clone()).await;
        let mut c = app.client(ICHIKAWA_HOST);
        let body = sandbox::webhook_body(&[sandbox::text_event(
            "01JNAVI0000000000000000001",
            "rt-1",
            "出生",
        )]);
        // Missing.
        assert_eq!(
            post_webhook(&mut c, &body, None).await.status,
            StatusCode::UNAUTHORIZED
        );
        // Signed with another secret.
        let wrong = madoguchi::navi::line::sign("another_secret", body.as_bytes());
        assert_eq!(
            post_webhook(&mut c, &body, Some(&wrong)).await.status,
            StatusCode::UNAUTHORIZED
        );
        // Right secret, but over other bytes (the same JSON value written differently).
        let other = body.replace("出生", "\\u51fa\\u751f");
        let sig = sb.sign(&other);
        assert_eq!(
            post_webhook(&mut c, &body, Some(&sig)).await.status,
            StatusCode::UNAUTHORIZED
        );
        // Not even JSON, badly signed: still 401, never 400 (nothing is parsed first).
        assert_eq!(
            post_webhook(&mut c, "{oops", Some("AAAA")).await.status,
            StatusCode::UNAUTHORIZED
        );
        // Nothing was processed: no event stored, no reply sent.
        assert_eq!(store::line_event_count(&db, ICHIKAWA).await.expect("db"), 0);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(sb.replies().is_empty());
        // The console's "Verify" (no events), correctly signed: 200 and nothing done.
        let verify = r#"{"destination":"U00000000000000000000000000000000","events":[]}"#;
        assert_eq!(
            post_webhook(
                &mut c,
                verify,
                Some("8BnrnB9ZR2DkR6H65eHG/THnnFpB2PpL7rOGjiuchNA=")
            )
            .await
            .status,
            StatusCode::OK
        );
        assert_eq!(store::line_event_count(&db, ICHIKAWA).await.expect("db"), 0);
        // The demo's sandbox page is labelled; without a demo sandbox it says it is not running.
        let r = c.get("/sandbox/line").await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("本物のLINEではありません") && r.body.contains("動いていません"),
            "{}",
            r.body
        );
    }
);

db_test!(a_replayed_event_is_processed_once, |db: Db| async move {
    let (app, sb) = app_with_line(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let ev = sandbox::text_event("01JNAVI0000000000000000002", "rt-2", "こんにちは");
    let body = sandbox::webhook_body(std::slice::from_ref(&ev));
    assert_eq!(
        post_webhook(&mut c, &body, Some(&sb.sign(&body)))
            .await
            .status,
        StatusCode::OK
    );
    let replies = sb.wait_replies(1, 10).await;
    assert_eq!(replies.len(), 1);
    // An unknown text gets the menu of the seven events.
    assert_eq!(replies[0]["replyToken"], "rt-2");
    assert_eq!(quick_items(&replies[0]).len(), 7);
    // LINE redelivers the same event: accepted (200) but not processed again.
    let again = sandbox::webhook_body(&[sandbox::redelivered(ev)]);
    assert_eq!(
        post_webhook(&mut c, &again, Some(&sb.sign(&again)))
            .await
            .status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(sb.replies().len(), 1, "no second reply");
    assert_eq!(store::line_event_count(&db, ICHIKAWA).await.expect("db"), 1);
    assert_eq!(sb.refused(), 0, "the bearer token was accepted");
    assert!(
        audit_actions(&db)
            .await
            .iter()
            .any(|a| a == "navi.line_event")
    );
});

db_test!(a_resident_finishes_shussei_on_line, |db: Db| async move {
    let (app, sb) = app_with_line(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let mut n = 0;
    let send = async |c: &mut Client<'_>, ev: Value| {
        let body = sandbox::webhook_body(&[ev]);
        let r = post_webhook(c, &body, Some(&sb.sign(&body))).await;
        assert_eq!(r.status, StatusCode::OK);
    };
    send(
        &mut c,
        sandbox::text_event(
            "01JNAVI0000000000000000010",
            "rt-10",
            "赤ちゃんが生まれました",
        ),
    )
    .await;
    n += 1;
    let r = sb.wait_replies(n, 10).await;
    let first = r.last().expect("reply").clone();
    assert!(text_of(&first).contains("赤ちゃんが生まれた日"), "{first}");
    let items = quick_items(&first);
    assert_eq!(items[0]["action"]["type"], "datetimepicker");
    let pick_data = items[0]["action"]["data"]
        .as_str()
        .expect("data")
        .to_owned();
    // The resident picks 2026-04-01 in the date picker.
    send(
        &mut c,
        sandbox::postback_event(
            "01JNAVI0000000000000000011",
            "rt-11",
            &pick_data,
            Some("2026-04-01"),
        ),
    )
    .await;
    n += 1;
    // Then always taps the first quick reply until the checklist comes.
    let mut last = sb.wait_replies(n, 10).await.last().expect("reply").clone();
    let mut steps = 0;
    while text_of(&last).starts_with("質問") {
        let data = quick_items(&last)[0]["action"]["data"]
            .as_str()
            .expect("data")
            .to_owned();
        assert!(data.len() <= 300, "postback data fits LINE's limit");
        steps += 1;
        send(
            &mut c,
            sandbox::postback_event(
                &format!("01JNAVI00000000000000001{steps:02}"),
                &format!("rt-q{steps}"),
                &data,
                None,
            ),
        )
        .await;
        n += 1;
        last = sb.wait_replies(n, 10).await.last().expect("reply").clone();
        assert!(steps < 10, "ends");
    }
    assert_eq!(steps, 4, "insurance, direct, weight, koumuin");
    let text = text_of(&last);
    assert!(text.contains("出生届"), "{text}");
    assert!(text.contains("2026年4月14日"), "{text}");
    assert!(
        text.contains("http://127.0.0.1/navi/shussei?date=2026-04-01&insurance=kokuho&direct=yes&weight=yes&koumuin=yes"),
        "the web version: {text}"
    );
    assert_eq!(sb.refused(), 0);
});

db_test!(
    a_wrong_access_token_is_refused_by_the_sandbox,
    |db: Db| async move {
        let sb = LineSandbox::start(SECRET, TOKEN).await.expect("sandbox");
        let mut cfg = Config::default();
        cfg.line.channel_secret = SECRET.into();
        cfg.line.channel_access_token = "stale-token".into();
        cfg.line.api_base_url = sb.api_base_url();
        let app = TestApp::with_config(db, cfg).await;
        let mut c = app.client(ICHIKAWA_HOST);
        let body = sandbox::webhook_body(&[sandbox::text_event(
            "01JNAVI0000000000000000099",
            "rt-99",
            "転入",
        )]);
        assert_eq!(
            post_webhook(&mut c, &body, Some(&sb.sign(&body)))
                .await
                .status,
            StatusCode::OK
        );
        for _ in 0..50 {
            if sb.refused() > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(sb.refused(), 1);
        assert!(sb.replies().is_empty());
    }
);
