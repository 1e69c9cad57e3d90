//! Storing submissions (issue 3, Applications): `application::submit` on SQLite and PostgreSQL.
//! One transaction with the idempotency key, receipt, attachments, draft, timeline, audit event
//! and confirmation mail; retries and concurrent identical requests make one application.

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod support;

use app_fixture::*;
use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::procedures::application::{self, Applicant, Idempotency, SubmitError};
use madoguchi::procedures::receipt::ReceiptNumber;
use serde_json::json;
use support::*;

db_test!(submit_stores_everything_in_one_go, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let s = application::submit(
        &db,
        ICHIKAWA,
        &Actor::User(f.hanako),
        "http://127.0.0.1",
        f.new_app(answers("市川 花子"), Some("k1")),
    )
    .await
    .expect("submit");
    assert!(s.created);
    // The receipt is valid and stored compact.
    assert_eq!(
        ReceiptNumber::parse(&s.receipt.to_string()).expect("parse"),
        s.receipt
    );
    let row = application::store::by_id(&db, ICHIKAWA, s.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(row.receipt, s.receipt.compact());
    assert_eq!(row.state, "received");
    assert_eq!(row.department_id, Some(f.shimin_dept));
    assert_eq!(row.applicant_user_id, Some(f.hanako));
    assert_eq!(row.fee_yen, Some(300));
    let due = row.due_at.expect("due date from 標準処理期間");
    // 7 開庁日 (初日不算入) always span a weekend: at least 9 calendar days, and the due day
    // is a day the city hall is open.
    assert!(due > row.submitted_at + 8 * 86_400_000, "7 開庁日: {due}");
    assert!(due <= row.submitted_at + 17 * 86_400_000, "7 開庁日: {due}");
    let due_day = time::OffsetDateTime::from_unix_timestamp(due / 1000)
        .expect("time")
        .to_offset(time::macros::offset!(+9))
        .date();
    assert!(!madoguchi::calendar::is_closed(due_day), "{due_day}");
    let answers: serde_json::Value = serde_json::from_str(&row.answers).expect("json");
    assert_eq!(answers["full_name"], "市川 花子");
    // Timeline entry, audit event and the confirmation mail.
    let entries = application::store::entries(&db, s.id, true)
        .await
        .expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].to_state.as_deref(), Some("received"));
    assert!(
        audit_actions(&db)
            .await
            .contains(&"application.submitted".to_owned())
    );
    let (subject, body) = last_mail(&db, ICHIKAWA, "hanako@example.jp")
        .await
        .expect("mail");
    assert!(subject.contains(&s.receipt.to_string()), "{subject}");
    assert!(
        body.contains(&format!(
            "http://127.0.0.1/applications/{}",
            s.receipt.compact()
        )),
        "{body}"
    );
    assert_audit_intact(&db).await;
});

db_test!(
    retry_returns_the_first_application_and_other_body_conflicts,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let submit = |name: &'static str, key: &'static str| {
            let db = db.clone();
            let new = f.new_app(answers(name), Some(key));
            async move { application::submit(&db, ICHIKAWA, &Actor::User(1), "http://x", new).await }
        };
        let first = submit("市川 花子", "same").await.expect("first");
        let again = submit("市川 花子", "same").await.expect("retry");
        assert!(first.created);
        assert!(!again.created);
        assert_eq!(first.id, again.id);
        assert_eq!(first.receipt, again.receipt);
        match submit("市川 次郎", "same").await {
            Err(SubmitError::IdempotencyConflict) => {}
            other => panic!("expected a conflict, got {other:?}"),
        }
        // A new key is a new application; no key at all too.
        let other = submit("市川 花子", "other").await.expect("other key");
        assert!(other.created);
        assert_ne!(other.id, first.id);
        let no_key = application::submit(
            &db,
            ICHIKAWA,
            &Actor::User(1),
            "http://x",
            f.new_app(answers("市川 花子"), None),
        )
        .await
        .expect("no key");
        assert!(no_key.created);
        assert_eq!(count_applications(&db).await, 3);
        // The same key in another scope (another account) is independent.
        let mut new = f.new_app(answers("市川 花子"), Some("same"));
        new.idempotency = Some(Idempotency {
            scope: "token:99".into(),
            key: "same".into(),
        });
        assert!(
            application::submit(&db, ICHIKAWA, &Actor::ApiToken(99), "http://x", new)
                .await
                .expect("other scope")
                .created
        );
        assert_eq!(count_applications(&db).await, 4);
        assert_audit_intact(&db).await;
    }
);

db_test!(
    twenty_concurrent_identical_requests_make_one_application,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let results =
            common::join_all(
                (0..20).map(|_| {
                    let db = db.clone();
                    let new = f.new_app(answers("市川 花子"), Some("double-click"));
                    async move {
                        application::submit(&db, ICHIKAWA, &Actor::User(1), "http://x", new).await
                    }
                }),
            )
            .await;
        let ok: Vec<_> = results
            .into_iter()
            .map(|r| r.expect("every request succeeds"))
            .collect();
        assert_eq!(ok.iter().filter(|s| s.created).count(), 1);
        assert!(
            ok.iter()
                .all(|s| s.id == ok[0].id && s.receipt == ok[0].receipt)
        );
        assert_eq!(count_applications(&db).await, 1);
        let mails = madoguchi::mail::recent(&db, ICHIKAWA, 100)
            .await
            .expect("outbox")
            .into_iter()
            .filter(|m| m.subject.contains("申請を受け付けました"))
            .count();
        assert_eq!(mails, 1, "one confirmation mail");
        let submitted = audit_actions(&db)
            .await
            .into_iter()
            .filter(|a| a == "application.submitted")
            .count();
        assert_eq!(submitted, 1);
        assert_audit_intact(&db).await;
    }
);

db_test!(
    concurrent_submissions_share_flushes_and_keep_the_chain,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        // Hold the committer so the submissions queue up behind it and share transactions.
        let holder = {
            let before = db.group_stats().batches.get();
            let held = db.clone();
            let h = tokio::spawn(async move {
                held.grouped(|_tx| {
                    Box::pin(async move {
                        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                        Ok::<_, sqlx::Error>(())
                    })
                })
                .await
            });
            while db.group_stats().batches.get() == before {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            h
        };
        let batches_before = db.group_stats().batches.get();
        let results =
            common::join_all(
                (0..30).map(|i| {
                    let db = db.clone();
                    let new = f.new_app(answers(&format!("市川 {i}")), Some(&format!("key-{i}")));
                    async move {
                        application::submit(&db, ICHIKAWA, &Actor::User(1), "http://x", new).await
                    }
                }),
            )
            .await;
        holder.await.expect("holder").expect("holder job");
        let ok: Vec<_> = results
            .into_iter()
            .map(|r| r.expect("every submission succeeds"))
            .collect();
        assert!(ok.iter().all(|s| s.created));
        let mut receipts: Vec<_> = ok.iter().map(|s| s.receipt.compact()).collect();
        receipts.sort();
        receipts.dedup();
        assert_eq!(receipts.len(), 30, "thirty distinct 受付番号");
        assert_eq!(count_applications(&db).await, 30);
        let batches = db.group_stats().batches.get() - batches_before;
        assert!(
            batches < 30,
            "30 queued submissions took {batches} transactions"
        );
        let submitted = audit_actions(&db)
            .await
            .into_iter()
            .filter(|a| a == "application.submitted")
            .count();
        assert_eq!(submitted, 30);
        assert_audit_intact(&db).await;
    }
);

db_test!(
    attachments_must_be_the_applicants_and_unlinked,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let taro_other_town = 5; // any user id that is not hanako
        insert_attachment(&db, ICHIKAWA, "att-mine", Some(f.hanako), None).await;
        insert_attachment(&db, ICHIKAWA, "att-theirs", Some(taro_other_town), None).await;
        let with_file = |id: &str| {
            let mut a = answers("市川 花子");
            a.insert(
                "proof".into(),
                json!({"id": id, "name": "a.pdf", "size": 3, "type": "application/pdf"}),
            );
            a
        };
        // Someone else's file: refused, nothing stored.
        match application::submit(
            &db,
            ICHIKAWA,
            &Actor::User(f.hanako),
            "http://x",
            f.new_app(with_file("att-theirs"), None),
        )
        .await
        {
            Err(SubmitError::UnknownAttachment(p)) => assert_eq!(p, "proof"),
            other => panic!("expected UnknownAttachment, got {other:?}"),
        }
        match application::submit(
            &db,
            ICHIKAWA,
            &Actor::User(f.hanako),
            "http://x",
            f.new_app(with_file("no-such"), None),
        )
        .await
        {
            Err(SubmitError::UnknownAttachment(_)) => {}
            other => panic!("expected UnknownAttachment, got {other:?}"),
        }
        assert_eq!(count_applications(&db).await, 0);
        assert!(
            !audit_actions(&db)
                .await
                .contains(&"application.submitted".to_owned())
        );
        // Her own file: linked.
        let s = application::submit(
            &db,
            ICHIKAWA,
            &Actor::User(f.hanako),
            "http://x",
            f.new_app(with_file("att-mine"), None),
        )
        .await
        .expect("own file");
        let linked = application::store::attachments_of(&db, s.id)
            .await
            .expect("attachments");
        assert_eq!(linked.len(), 1);
        assert_eq!(linked[0].public_id, "att-mine");
        // Already linked: a second application cannot take it.
        match application::submit(
            &db,
            ICHIKAWA,
            &Actor::User(f.hanako),
            "http://x",
            f.new_app(with_file("att-mine"), None),
        )
        .await
        {
            Err(SubmitError::UnknownAttachment(_)) => {}
            other => panic!("expected UnknownAttachment, got {other:?}"),
        }
        assert_eq!(count_applications(&db).await, 1);
    }
);

db_test!(
    draft_is_deleted_and_guest_applications_work,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let draft = insert_draft(&db, ICHIKAWA, f.procedure_id, f.form_version_id).await;
        insert_attachment(&db, ICHIKAWA, "att-draft", None, Some(draft)).await;
        let mut a = answers("成田 一郎");
        a.insert(
            "proof".into(),
            json!({"id": "att-draft", "name": "a.pdf", "size": 3, "type": "application/pdf"}),
        );
        let mut new = f.new_app(a, Some("g1"));
        new.applicant = Applicant::Guest {
            name: "成田 一郎".into(),
            email: "ichiro@example.jp".into(),
        };
        new.draft_id = Some(draft);
        new.idempotency = Some(Idempotency {
            scope: format!("draft:{draft}"),
            key: "g1".into(),
        });
        let s = application::submit(&db, ICHIKAWA, &Actor::Anonymous, "http://x", new.clone())
            .await
            .expect("guest submit");
        let drafts: Vec<(i64,)> =
            common::fetch_raw(&db, "SELECT COUNT(*) FROM application_drafts").await;
        assert_eq!(drafts[0].0, 0);
        let row = application::store::by_id(&db, ICHIKAWA, s.id)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(row.applicant_user_id, None);
        assert_eq!(row.applicant_email.as_deref(), Some("ichiro@example.jp"));
        assert!(
            last_mail(&db, ICHIKAWA, "ichiro@example.jp")
                .await
                .is_some()
        );
        // The retry (draft gone by now) still finds the first application.
        let again = application::submit(&db, ICHIKAWA, &Actor::Anonymous, "http://x", new)
            .await
            .expect("retry");
        assert_eq!(again.id, s.id);
        assert!(!again.created);
    }
);

db_test!(wrong_procedure_or_version_is_refused, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let mut new = f.new_app(answers("市川 花子"), None);
    new.procedure_id = 999_999;
    assert!(matches!(
        application::submit(&db, ICHIKAWA, &Actor::User(1), "http://x", new).await,
        Err(SubmitError::UnknownProcedure)
    ));
    // Ichikawa's procedure from Shisui's host.
    let new = f.new_app(answers("市川 花子"), None);
    assert!(matches!(
        application::submit(&db, SHISUI, &Actor::User(1), "http://x", new).await,
        Err(SubmitError::UnknownProcedure)
    ));
    let mut new = f.new_app(answers("市川 花子"), None);
    new.form_version_id = 999_999;
    assert!(matches!(
        application::submit(&db, ICHIKAWA, &Actor::User(1), "http://x", new).await,
        Err(SubmitError::UnknownFormVersion)
    ));
    assert_eq!(count_applications(&db).await, 0);
});

db_test!(
    clients_that_hang_up_mid_request_leave_every_write_path_working,
    |db: Db| async move {
        // Regression (session 3): sqlx's SQLite connection is not cancel-safe; a request future
        // dropped inside a transaction (a client that hung up) left the one writer connection
        // "in a transaction" and every later write failed. Handlers now run to completion on
        // their own task and submissions commit on the group committer.
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let mut c = resident(&app, ICHIKAWA_HOST, HANAKO).await;
        let first = submit_as(&mut c, &f, "市川 花子", "hang-first").await;
        assert_eq!(first.status, 201, "{}", first.body);
        let receipt = first.json()["receipt"]
            .as_str()
            .expect("receipt")
            .to_owned();
        let csrf = c.csrf();
        let mut answered = 0;
        for i in 0..60u64 {
            // Hang up after 0–3 ms: before, inside and after the transactions.
            let after = std::time::Duration::from_micros((i * 397) % 3000);
            let req = if i % 2 == 0 {
                let body = json!({"procedure_id": f.procedure_id, "answers": answers("市川 花子")});
                c.json_request(
                    "/api/v1/applications",
                    &body,
                    &[
                        ("x-csrf-token", &csrf),
                        ("idempotency-key", &format!("hang-{i}")),
                    ],
                )
            } else {
                c.form_request(
                    &format!("/applications/{receipt}/messages"),
                    &[("body", &format!("途中で切れた送信 {i}"))],
                )
            };
            if c.hang_up(req, after).await {
                answered += 1;
            }
        }
        // The hung-up handlers finish on their own tasks; wait for them to settle.
        let mut last = -1;
        for _ in 0..100 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let now = count_applications(&db).await;
            if now == last {
                break;
            }
            last = now;
        }
        tracing::info!(answered, "requests answered before the hang-up");
        // Every write path still works.
        let after = submit_as(&mut c, &f, "市川 花子", "hang-after").await;
        assert_eq!(
            after.status, 201,
            "submission after hang-ups: {}",
            after.body
        );
        let msg = c
            .post_form(
                &format!("/applications/{receipt}/messages"),
                &[("body", "切れた後の送信")],
            )
            .await;
        assert!(
            msg.status.is_redirection() || msg.status.is_success(),
            "message after hang-ups: {} {}",
            msg.status,
            msg.body
        );
        // Each hung-up submission made at most one application, all intact, chain intact.
        let n = count_applications(&db).await;
        assert!((2..=32).contains(&n), "{n} applications");
        let submitted = audit_actions(&db)
            .await
            .into_iter()
            .filter(|a| a == "application.submitted")
            .count() as i64;
        assert_eq!(submitted, n, "one audit event per stored application");
        assert_audit_intact(&db).await;
    }
);
