//! Applications and cases through the whole HTTP stack (issue 3), on SQLite and PostgreSQL:
//! the JSON API (submit, idempotency, errors, who sees a receipt), the staff workflow per role,
//! correction of named fields only, messages both ways, internal notes, audit events and the
//! CSV export's bytes.

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod support;

use app_fixture::*;
use axum::http::StatusCode;
use madoguchi::db::Db;
use serde_json::json;
use support::*;

db_test!(api_submit_session_and_token, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let mut c = resident(&app, ICHIKAWA_HOST, HANAKO).await;
    // Session without the CSRF header: refused, nothing stored.
    let body = json!({"procedure_id": f.procedure_id, "answers": answers("市川 花子")});
    let r = c.post_json_with("/api/v1/applications", &body, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(count_applications(&db).await, 0);
    // With it: 201 and the documented body.
    let r = submit_as(&mut c, &f, "市川 花子", "k-1").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let j = r.json();
    assert_eq!(j["state"], "received");
    assert_eq!(j["fee_yen"], 300);
    assert!(j["submitted_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    let receipt = j["receipt"].as_str().expect("receipt").to_owned();
    assert_eq!(receipt.len(), 11, "{receipt}");
    // The retry answers the same application, flagged as replayed.
    let r2 = submit_as(&mut c, &f, "市川 花子", "k-1").await;
    assert_eq!(r2.status, StatusCode::CREATED);
    assert_eq!(r2.json()["receipt"], receipt.as_str());
    assert_eq!(
        r2.headers
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    // Same key, other body: 409.
    let r3 = submit_as(&mut c, &f, "市川 次郎", "k-1").await;
    assert_eq!(r3.status, StatusCode::CONFLICT, "{}", r3.body);
    assert_eq!(r3.json()["error"]["code"], "idempotency_conflict");
    assert_eq!(count_applications(&db).await, 1);
    // A token needs the applications:write scope.
    let (_, read_only) = madoguchi::admin::create_token(&db, ICHIKAWA, HANAKO, "api:read")
        .await
        .expect("token");
    let (_, writer) = madoguchi::admin::create_token(&db, ICHIKAWA, HANAKO, "applications:write")
        .await
        .expect("token");
    let mut t = app.client(ICHIKAWA_HOST);
    let bearer = format!("Bearer {read_only}");
    let r = t
        .post_json_with("/api/v1/applications", &body, &[("authorization", &bearer)])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "insufficient_scope");
    let bearer = format!("Bearer {writer}");
    let r = t
        .post_json_with(
            "/api/v1/applications",
            &body,
            &[("authorization", &bearer), ("idempotency-key", "k-1")],
        )
        .await;
    // Same key as the session's, but another scope (token:…): a new application.
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_ne!(r.json()["receipt"], receipt.as_str());
    assert_eq!(count_applications(&db).await, 2);
    // Not signed in at all: 401.
    let mut anon = app.client(ICHIKAWA_HOST);
    let r = anon
        .post_json_with("/api/v1/applications", &body, &[])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_audit_intact(&db).await;
});

db_test!(api_submit_refusals, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let mut c = resident(&app, ICHIKAWA_HOST, HANAKO).await;
    c.get("/").await;
    let csrf = c.csrf();
    let h = [("x-csrf-token", csrf.as_str())];
    // 422 names the fields: a missing required answer and an unknown key.
    let r = c
        .post_json_with(
            "/api/v1/applications",
            &json!({"procedure_id": f.procedure_id, "answers": {"copies": 1, "bogus": "x"}}),
            &h,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let j = r.json();
    assert_eq!(j["error"]["code"], "invalid_answers");
    let paths: Vec<&str> = j["error"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|x| x["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"full_name") && paths.contains(&"bogus"),
        "{paths:?}"
    );
    assert!(
        j["error"]["fields"][0]["message_ja"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    // 404: unknown procedure, a procedure that is not online, one without a published form.
    for id in [999_999_i64] {
        let r = c
            .post_json_with(
                "/api/v1/applications",
                &json!({"procedure_id": id, "answers": {}}),
                &h,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    }
    let other: Vec<(i64,)> = common::fetch_raw(
        &db,
        "SELECT id FROM procedures WHERE slug = 'tennyu' AND municipality_id = '122033'",
    )
    .await;
    let r = c
        .post_json_with(
            "/api/v1/applications",
            &json!({"procedure_id": other[0].0, "answers": {}}),
            &h,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not online: {}", r.body);
    let no_form: Vec<(i64,)> = common::fetch_raw(
        &db,
        "SELECT id FROM procedures WHERE slug = 'kazei-shomei' AND municipality_id = '122033'",
    )
    .await;
    common::exec(
        &db,
        &format!(
            "UPDATE procedures SET online = TRUE WHERE id = {}",
            no_form[0].0
        ),
    )
    .await;
    let r = c
        .post_json_with(
            "/api/v1/applications",
            &json!({"procedure_id": no_form[0].0, "answers": {}}),
            &h,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "no form: {}", r.body);
    // Ichikawa's procedure through Shisui's host: 404 (and the session is not valid there).
    // 403 with a clear message when the procedure needs the My Number card.
    common::exec(
        &db,
        &format!(
            "UPDATE procedures SET identity_level = 'card' WHERE id = {}",
            f.procedure_id
        ),
    )
    .await;
    let r = submit_as(&mut c, &f, "市川 花子", "card").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "identity_card_required");
    assert!(r.body.contains("マイナンバーカード"));
    // signed_in: a staff token submitting for a guest is refused; `none` allows it.
    common::exec(
        &db,
        &format!(
            "UPDATE procedures SET identity_level = 'signed_in' WHERE id = {}",
            f.procedure_id
        ),
    )
    .await;
    let (_, staff_token) =
        madoguchi::admin::create_token(&db, ICHIKAWA, SHIMIN_STAFF, "applications:write")
            .await
            .expect("token");
    let bearer = format!("Bearer {staff_token}");
    let guest = json!({"procedure_id": f.procedure_id, "answers": answers("成田 一郎"),
        "applicant": {"name": "成田 一郎", "email": "ichiro@example.jp"}});
    let mut t = app.client(ICHIKAWA_HOST);
    let r = t
        .post_json_with(
            "/api/v1/applications",
            &guest,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.json()["error"]["code"], "sign_in_required");
    common::exec(
        &db,
        &format!(
            "UPDATE procedures SET identity_level = 'none' WHERE id = {}",
            f.procedure_id
        ),
    )
    .await;
    let r = t
        .post_json_with(
            "/api/v1/applications",
            &guest,
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert!(
        last_mail(&db, ICHIKAWA, "ichiro@example.jp")
            .await
            .is_some()
    );
    assert_eq!(count_applications(&db).await, 1);
});

db_test!(
    twenty_concurrent_http_submissions_make_one,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let (_, token) =
            madoguchi::admin::create_token(&db, ICHIKAWA, HANAKO, "applications:write")
                .await
                .expect("token");
        let bearer = format!("Bearer {token}");
        let body = json!({"procedure_id": f.procedure_id, "answers": answers("市川 花子")});
        let responses = common::join_all((0..20).map(|_| {
            let bearer = bearer.clone();
            let body = body.clone();
            let app = &app;
            async move {
                let mut c = app.client(ICHIKAWA_HOST);
                c.post_json_with(
                    "/api/v1/applications",
                    &body,
                    &[("authorization", &bearer), ("idempotency-key", "dbl")],
                )
                .await
            }
        }))
        .await;
        let receipts: Vec<String> = responses
            .iter()
            .map(|r| {
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
                r.json()["receipt"].as_str().expect("receipt").to_owned()
            })
            .collect();
        assert!(receipts.iter().all(|r| r == &receipts[0]));
        assert_eq!(count_applications(&db).await, 1);
    }
);

db_test!(who_sees_a_receipt, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let receipt = new_case(&app, &f, "see").await;
    let shown = format!("{}-{}-{}", &receipt[0..4], &receipt[4..8], &receipt[8..]);
    let path = format!("/api/v1/applications/{receipt}");
    // Owner (session): 200; also in forgiving forms.
    let mut owner = resident(&app, ICHIKAWA_HOST, HANAKO).await;
    let r = owner.get(&path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["receipt"], shown.as_str());
    let fullwidth: String = shown
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'a'..='z' | '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    for form in [
        shown.to_lowercase(),
        fullwidth,
        format!(" {} ", shown.replace('-', " ")),
    ] {
        // Percent-encoded for a path (byte_serialize writes spaces as '+').
        let enc: String = form_urlencoded::byte_serialize(form.as_bytes())
            .collect::<String>()
            .replace('+', "%20");
        let r = owner.get(&format!("/api/v1/applications/{enc}")).await;
        assert_eq!(r.status, StatusCode::OK, "{form}: {}", r.body);
    }
    // Another resident, a staff member of another department, the DX promoter's department
    // (gyosei-dx) and Shisui's administrator on Shisui's host: 404.
    let mut other = resident(&app, ICHIKAWA_HOST, OTHER_RESIDENT).await;
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
    for email in [OTHER_DEPT, DX] {
        let mut s = staff(&app, ICHIKAWA_HOST, email).await;
        assert_eq!(s.get(&path).await.status, StatusCode::NOT_FOUND, "{email}");
        assert_eq!(
            s.get(&format!("/staff/cases/{receipt}")).await.status,
            StatusCode::NOT_FOUND,
            "{email}"
        );
    }
    let mut shisui = staff(&app, SHISUI_HOST, "admin@town.shisui.example.jp").await;
    assert_eq!(shisui.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        shisui.get(&format!("/staff/cases/{receipt}")).await.status,
        StatusCode::NOT_FOUND
    );
    let (_, shisui_token) = madoguchi::admin::create_token(
        &db,
        SHISUI,
        "admin@town.shisui.example.jp",
        "applications:read",
    )
    .await
    .expect("token");
    let bearer = format!("Bearer {shisui_token}");
    let mut t = app.client(SHISUI_HOST);
    assert_eq!(
        t.get_with(&path, &[("authorization", &bearer)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A wrong check character is simply not found.
    let mut bad = receipt.clone();
    let last = if bad.ends_with('0') { "1" } else { "0" };
    bad.replace_range(8..9, last);
    assert_eq!(
        owner
            .get(&format!("/api/v1/applications/{bad}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Department staff and the admin: 200 (token and session).
    for email in [SHIMIN_STAFF, ADMIN, REVIEWER] {
        let mut s = staff(&app, ICHIKAWA_HOST, email).await;
        assert_eq!(s.get(&path).await.status, StatusCode::OK, "{email}");
        assert_eq!(
            s.get(&format!("/staff/cases/{receipt}")).await.status,
            StatusCode::OK,
            "{email}"
        );
    }
    let (_, admin_token) =
        madoguchi::admin::create_token(&db, ICHIKAWA, ADMIN, "applications:read")
            .await
            .expect("token");
    let bearer = format!("Bearer {admin_token}");
    let mut t = app.client(ICHIKAWA_HOST);
    let r = t.get_with(&path, &[("authorization", &bearer)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // The resident page: owner only.
    assert_eq!(
        owner.get(&format!("/applications/{receipt}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        other.get(&format!("/applications/{receipt}")).await.status,
        StatusCode::NOT_FOUND
    );
    // RPA list for the procedure: department staff token with filters; other dept 404.
    let r = t
        .get_with(
            &format!(
                "/api/v1/procedures/{}/applications?state=received",
                f.procedure_id
            ),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json().as_array().map(Vec::len), Some(1));
    assert_eq!(r.json()[0]["answers"]["full_name"], "市川 花子");
    let r = t
        .get_with(
            &format!(
                "/api/v1/procedures/{}/applications?state=approved",
                f.procedure_id
            ),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(r.json().as_array().map(Vec::len), Some(0));
    let r = t
        .get_with(
            &format!(
                "/api/v1/procedures/{}/applications?from=2000-01-01&to=2000-12-31",
                f.procedure_id
            ),
            &[("authorization", &bearer)],
        )
        .await;
    assert_eq!(r.json().as_array().map(Vec::len), Some(0));
    let (_, nozei) = madoguchi::admin::create_token(&db, ICHIKAWA, OTHER_DEPT, "applications:read")
        .await
        .expect("token");
    let r = t
        .get_with(
            &format!("/api/v1/procedures/{}/applications", f.procedure_id),
            &[("authorization", &format!("Bearer {nozei}"))],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
});

async fn do_action(
    c: &mut Client<'_>,
    receipt: &str,
    action: &str,
    extra: &[(&str, &str)],
) -> Resp {
    let mut fields = vec![("action", action)];
    fields.extend_from_slice(extra);
    c.post_form(&format!("/staff/cases/{receipt}/action"), &fields)
        .await
}

/// 審査開始 and a 補正依頼 of `fields` with `text`, as the department's clerk.
async fn ask_for_correction(clerk: &mut Client<'_>, receipt: &str, fields: &str, text: &str) {
    let r = do_action(clerk, receipt, "start_review", &[]).await;
    assert!(r.status.is_redirection(), "{}", r.body);
    let r = do_action(
        clerk,
        receipt,
        "request_correction",
        &[("fields", fields), ("text", text)],
    )
    .await;
    assert!(r.status.is_redirection(), "{}", r.body);
}

db_test!(
    transitions_offered_and_refused_per_role,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let mut clerk = staff(&app, ICHIKAWA_HOST, SHIMIN_STAFF).await;
        let mut reviewer = staff(&app, ICHIKAWA_HOST, REVIEWER).await;
        let mut admin = staff(&app, ICHIKAWA_HOST, ADMIN).await;
        let receipt = new_case(&app, &f, "t1").await;
        let page =
            |body: &str, code: &str| body.contains(&format!("name=\"action\" value=\"{code}\""));
        // 受付: the clerk is offered 審査開始 but no decision.
        let r = clerk.get(&format!("/staff/cases/{receipt}")).await;
        assert!(page(&r.body, "start_review"));
        assert!(!page(&r.body, "approve"));
        // The clerk may not approve (forbidden before any state check), nor may anyone from 受付.
        let r = do_action(&mut clerk, &receipt, "approve", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.body.contains("権限がありません"));
        let r = do_action(&mut reviewer, &receipt, "approve", &[]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(app_state(&db, &receipt).await, "received");
        // Staff cannot withdraw or resubmit for the applicant.
        for a in ["withdraw", "resubmit"] {
            let r = do_action(&mut admin, &receipt, a, &[]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{a}: {}", r.body);
        }
        // 審査開始 by the clerk.
        let r = do_action(&mut clerk, &receipt, "start_review", &[]).await;
        assert!(r.status.is_redirection(), "{}", r.body);
        assert_eq!(app_state(&db, &receipt).await, "under_review");
        // The reviewer sees 承認 / 不承認 / 却下; the clerk does not.
        let r = reviewer.get(&format!("/staff/cases/{receipt}")).await;
        for code in ["approve", "reject", "dismiss", "request_correction"] {
            assert!(page(&r.body, code), "reviewer offered {code}");
        }
        assert!(!page(&r.body, "complete"));
        let r = clerk.get(&format!("/staff/cases/{receipt}")).await;
        for code in ["approve", "reject", "dismiss"] {
            assert!(!page(&r.body, code), "clerk not offered {code}");
        }
        // 不承認 needs a reason.
        let r = do_action(&mut reviewer, &receipt, "reject", &[("reason", "  ")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("理由を入力してください"));
        // 承認 by the reviewer, then the reviewer may not complete; the clerk may.
        let r = do_action(
            &mut reviewer,
            &receipt,
            "approve",
            &[("text", "証明書を郵送します。")],
        )
        .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        assert_eq!(app_state(&db, &receipt).await, "approved");
        let (subject, body) = last_mail(&db, ICHIKAWA, HANAKO)
            .await
            .expect("decision mail");
        assert!(subject.contains("承認の通知"), "{subject}");
        assert!(body.contains("証明書を郵送します。"));
        let r = do_action(&mut reviewer, &receipt, "complete", &[]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = do_action(&mut clerk, &receipt, "complete", &[]).await;
        assert!(r.status.is_redirection(), "{}", r.body);
        assert_eq!(app_state(&db, &receipt).await, "completed");
        // Closed: nothing more, for anyone.
        let r = do_action(&mut admin, &receipt, "start_review", &[]).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        // A second case: the admin may decide; 却下 with a reason mails the applicant.
        let second = new_case(&app, &f, "t2").await;
        assert!(
            do_action(&mut admin, &second, "start_review", &[])
                .await
                .status
                .is_redirection()
        );
        let r = do_action(
            &mut admin,
            &second,
            "dismiss",
            &[("reason", "添付書類がありません。")],
        )
        .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        assert_eq!(app_state(&db, &second).await, "dismissed");
        let (subject, body) = last_mail(&db, ICHIKAWA, HANAKO).await.expect("mail");
        assert!(subject.contains("却下の通知"));
        assert!(body.contains("添付書類がありません。"));
        // The DX推進員 of another department does not even see it; a DX推進員 of the same
        // department would be offered nothing (role table): check through the service.
        let mut dx = staff(&app, ICHIKAWA_HOST, DX).await;
        assert_eq!(
            do_action(&mut dx, &second, "start_review", &[])
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        // Every state change has its audit event.
        let actions = audit_actions(&db).await;
        for ev in [
            "application.submitted",
            "case.review_started",
            "case.approved",
            "case.completed",
            "case.dismissed",
        ] {
            assert!(actions.contains(&ev.to_owned()), "{ev} in {actions:?}");
        }
        assert_eq!(
            actions
                .iter()
                .filter(|a| *a == "case.review_started")
                .count(),
            2
        );
        assert_audit_intact(&db).await;
    }
);

db_test!(correction_only_of_named_fields, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let receipt = new_case(&app, &f, "c1").await;
    let mut clerk = staff(&app, ICHIKAWA_HOST, SHIMIN_STAFF).await;
    assert!(
        do_action(&mut clerk, &receipt, "start_review", &[])
            .await
            .status
            .is_redirection()
    );
    // A field the form does not have is refused; none at all too.
    let r = do_action(
        &mut clerk,
        &receipt,
        "request_correction",
        &[("fields", "nope")],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = do_action(&mut clerk, &receipt, "request_correction", &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = do_action(
        &mut clerk,
        &receipt,
        "request_correction",
        &[
            ("fields", "full_name"),
            ("text", "戸籍どおりの漢字でご記入ください。"),
        ],
    )
    .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    assert_eq!(app_state(&db, &receipt).await, "correction_requested");
    let (subject, body) = last_mail(&db, ICHIKAWA, HANAKO).await.expect("mail");
    assert!(subject.contains("補正のお願い"), "{subject}");
    assert!(body.contains("戸籍どおり"));
    // The resident sees only the named field as an input.
    let mut hanako = resident(&app, ICHIKAWA_HOST, HANAKO).await;
    let page = hanako.get(&format!("/applications/{receipt}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("name=\"f.full_name\""), "{}", page.body);
    assert!(!page.body.contains("name=\"f.copies\""));
    assert!(page.body.contains("戸籍どおりの漢字でご記入ください。"));
    // Unchanged: refused with the plain reason.
    let r = hanako
        .post_form(
            &format!("/applications/{receipt}/resubmit"),
            &[("f.full_name", "市川 花子")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("変更されていません"));
    // An attempt to change another field through the form is ignored (only named fields
    // are read); the named one changes.
    let r = hanako
        .post_form(
            &format!("/applications/{receipt}/resubmit"),
            &[("f.full_name", "市川 華子"), ("f.copies", "9")],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    assert_eq!(app_state(&db, &receipt).await, "resubmitted");
    let row = madoguchi::procedures::application::store::by_receipt(&db, ICHIKAWA, &receipt)
        .await
        .expect("read")
        .expect("row");
    let a: serde_json::Value = serde_json::from_str(&row.answers).expect("json");
    assert_eq!(a["full_name"], "市川 華子");
    assert_eq!(a["copies"], 1);
    assert!(row.correction_fields.is_none());
    // The service itself refuses a change outside the request.
    assert!(
        do_action(
            &mut clerk,
            &receipt,
            "request_correction",
            &[("fields", "full_name")]
        )
        .await
        .status
        .is_redirection()
    );
    let user = madoguchi::auth::store::find_user(&db, f.hanako)
        .await
        .expect("user")
        .expect("hanako");
    let mut changed =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&row.answers)
            .expect("answers");
    changed.insert("copies".into(), json!(5));
    let err = madoguchi::procedures::application::workflow::resubmit(
        &db,
        ICHIKAWA,
        row.id,
        &user,
        changed,
        vec![("fee".into(), 300)],
        &[],
    )
    .await
    .expect_err("outside the request");
    assert!(err.message_ja().contains("copies"), "{}", err.message_ja());
    assert_eq!(app_state(&db, &receipt).await, "correction_requested");
    let actions = audit_actions(&db).await;
    assert!(actions.contains(&"case.correction_requested".to_owned()));
    assert!(actions.contains(&"case.resubmitted".to_owned()));
    assert_audit_intact(&db).await;
});

db_test!(
    messages_both_ways_notes_stay_internal_and_withdraw,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let receipt = new_case(&app, &f, "m1").await;
        let mut hanako = resident(&app, ICHIKAWA_HOST, HANAKO).await;
        let mut clerk = staff(&app, ICHIKAWA_HOST, SHIMIN_STAFF).await;
        // Resident → staff.
        let r = hanako
            .post_form(
                &format!("/applications/{receipt}/messages"),
                &[("body", "郵送先を変えたいです。")],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        let empty = hanako
            .post_form(
                &format!("/applications/{receipt}/messages"),
                &[("body", "  ")],
            )
            .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        let page = clerk.get(&format!("/staff/cases/{receipt}")).await;
        assert!(page.body.contains("郵送先を変えたいです。"));
        // Staff → resident, mailed and shown as unread on My Page until read.
        let r = clerk
            .post_form(
                &format!("/staff/cases/{receipt}/message"),
                &[("body", "新しい住所をお知らせください。")],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        let (subject, _) = last_mail(&db, ICHIKAWA, HANAKO).await.expect("mail");
        assert!(subject.contains("職員からのメッセージ"));
        let list = hanako.get("/mypage/applications").await;
        assert!(list.body.contains("未読"), "{}", list.body);
        let detail = hanako.get(&format!("/applications/{receipt}")).await;
        assert!(detail.body.contains("新しい住所をお知らせください。"));
        let list = hanako.get("/mypage/applications").await;
        assert!(
            !list.body.contains("<strong>未読"),
            "read now: {}",
            list.body
        );
        // 内部メモ: on the staff page, never on the resident's page or in her API answer.
        let r = clerk
            .post_form(
                &format!("/staff/cases/{receipt}/note"),
                &[("body", "本人確認は電話で済み。")],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        assert!(
            clerk
                .get(&format!("/staff/cases/{receipt}"))
                .await
                .body
                .contains("本人確認は電話で済み。")
        );
        assert!(
            !hanako
                .get(&format!("/applications/{receipt}"))
                .await
                .body
                .contains("本人確認は電話で済み。")
        );
        let api = hanako.get(&format!("/api/v1/applications/{receipt}")).await;
        assert!(!api.body.contains("本人確認は電話で済み。"), "{}", api.body);
        assert!(
            api.json()["timeline"]
                .as_array()
                .is_some_and(|t| t.iter().all(|e| e["internal"] == false))
        );
        let staff_api = clerk.get(&format!("/api/v1/applications/{receipt}")).await;
        assert!(staff_api.body.contains("本人確認は電話で済み。"));
        let outbox = madoguchi::mail::recent(&db, ICHIKAWA, 100)
            .await
            .expect("outbox");
        assert!(
            outbox
                .iter()
                .all(|m| !m.body.contains("本人確認は電話で済み。"))
        );
        // Assignment: to me, then to a colleague of another department is refused.
        let r = clerk
            .post_form(
                &format!("/staff/cases/{receipt}/assign"),
                &[("assignee", "me")],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        let row = madoguchi::procedures::application::store::by_receipt(&db, ICHIKAWA, &receipt)
            .await
            .expect("read")
            .expect("row");
        assert_eq!(row.assigned_to, Some(f.shimin_staff));
        let nozei: Vec<(i64,)> = common::fetch_raw(
            &db,
            &format!("SELECT id FROM users WHERE email = '{OTHER_DEPT}'"),
        )
        .await;
        let r = clerk
            .post_form(
                &format!("/staff/cases/{receipt}/assign"),
                &[("assignee", &nozei[0].0.to_string())],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let mine = clerk.get("/staff/cases?mine=1").await;
        assert!(mine.body.contains(&format!("/staff/cases/{receipt}")));
        // 取下げ with a confirmation page.
        let confirm = hanako
            .get(&format!("/applications/{receipt}/withdraw"))
            .await;
        assert_eq!(confirm.status, StatusCode::OK);
        assert!(confirm.body.contains("元に戻せません"));
        let r = hanako
            .post_form(
                &format!("/applications/{receipt}/withdraw"),
                &[("confirm", "yes")],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        assert_eq!(app_state(&db, &receipt).await, "withdrawn");
        let again = hanako
            .post_form(
                &format!("/applications/{receipt}/withdraw"),
                &[("confirm", "yes")],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let actions = audit_actions(&db).await;
        for ev in [
            "case.message_from_applicant",
            "case.message_to_applicant",
            "case.note_added",
            "case.assigned",
            "case.withdrawn",
        ] {
            assert!(actions.contains(&ev.to_owned()), "{ev}");
        }
        assert_audit_intact(&db).await;
    }
);

db_test!(queue_filters_and_overdue_label, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let late = new_case(&app, &f, "q1").await;
    let fresh = new_case(&app, &f, "q2").await;
    common::exec(
        &db,
        &format!("UPDATE applications SET due_at = 1000 WHERE receipt = '{late}'"),
    )
    .await;
    let mut clerk = staff(&app, ICHIKAWA_HOST, SHIMIN_STAFF).await;
    let q = clerk.get("/staff/cases").await;
    assert_eq!(q.status, StatusCode::OK);
    let (a, b) = (
        q.body
            .find(&format!("/staff/cases/{late}"))
            .expect("late listed"),
        q.body
            .find(&format!("/staff/cases/{fresh}"))
            .expect("fresh listed"),
    );
    assert!(a < b, "sorted by due date");
    assert!(q.body.contains("期限超過"), "overdue has a text label");
    let q = clerk.get("/staff/cases?overdue=1").await;
    assert!(q.body.contains(&late) && !q.body.contains(&fresh));
    let q = clerk.get("/staff/cases?state=approved").await;
    assert!(!q.body.contains(&late));
    // Another department's queue does not list them; the admin's lists all.
    let mut nozei = staff(&app, ICHIKAWA_HOST, OTHER_DEPT).await;
    assert!(!nozei.get("/staff/cases").await.body.contains(&late));
    let mut admin = staff(&app, ICHIKAWA_HOST, ADMIN).await;
    assert!(admin.get("/staff/cases").await.body.contains(&late));
    // Residents are sent to the staff login.
    let mut hanako = resident(&app, ICHIKAWA_HOST, HANAKO).await;
    assert!(hanako.get("/staff/cases").await.status.is_redirection());
});

db_test!(csv_export_bytes, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let mut c = resident(&app, ICHIKAWA_HOST, HANAKO).await;
    assert_eq!(
        submit_as(&mut c, &f, "髙橋 \"花\", 子", "x1").await.status,
        StatusCode::CREATED
    );
    let mut clerk = staff(&app, ICHIKAWA_HOST, SHIMIN_STAFF).await;
    let path = format!("/staff/procedures/{}/applications.csv", f.slug);
    let req = |enc: &str| format!("{path}{enc}");
    // UTF-8 with BOM, CRLF, RFC 4180 quoting.
    let r = clerk.get(&req("")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=utf-8")
    );
    assert!(r.body.starts_with('\u{feff}'), "BOM");
    let text = r.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert!(
        lines[0].starts_with("受付番号,受付日時,状態,申請者,氏名,通数"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(",受付,"), "{}", lines[1]);
    assert!(lines[1].contains("\"髙橋 \"\"花\"\", 子\""), "{}", lines[1]);
    assert_eq!(lines.last(), Some(&""), "ends with CRLF");
    assert!(!text.replace("\r\n", "").contains('\n'));
    // The UTF-8 bytes start with EF BB BF.
    let (_, _, utf8) = raw_get(&app, &clerk, &req("")).await;
    assert_eq!(&utf8[..3], &[0xEF, 0xBB, 0xBF]);
    // Shift_JIS: no BOM, 髙 becomes 〓 (0x81 0xAC), and the count is in a header.
    let (status, headers, bytes) = raw_get(&app, &clerk, &req("?encoding=sjis")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers
            .get("x-replaced-characters")
            .and_then(|v| v.to_str().ok()),
        Some("1"),
        "髙 once (in the answer; the applicant is the account's name)"
    );
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("text/csv; charset=shift_jis")
    );
    // "受付番号" in Shift_JIS.
    assert_eq!(
        &bytes[..8],
        &[0x8E, 0xF3, 0x95, 0x74, 0x94, 0xD4, 0x8D, 0x86]
    );
    let (decoded, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!errors);
    assert!(decoded.contains("\"〓橋 \"\"花\"\", 子\""), "{decoded}");
    assert!(decoded.contains("市川 花子"));
    assert!(decoded.ends_with("\r\n"));
    // Windows-31J keeps 髙.
    let (_, headers, bytes) = raw_get(&app, &clerk, &req("?encoding=cp932")).await;
    assert_eq!(
        headers
            .get("x-replaced-characters")
            .and_then(|v| v.to_str().ok()),
        Some("0")
    );
    assert!(encoding_rs::SHIFT_JIS.decode(&bytes).0.contains("髙橋"));
    // Another department: 404; an unknown encoding: 400.
    let mut nozei = staff(&app, ICHIKAWA_HOST, OTHER_DEPT).await;
    assert_eq!(nozei.get(&req("")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        clerk.get(&req("?encoding=latin1")).await.status,
        StatusCode::BAD_REQUEST
    );
});

db_test!(staff_download_attachments_as_files, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    insert_attachment(&db, ICHIKAWA, "att-1", Some(f.hanako), None).await;
    let mut c = resident(&app, ICHIKAWA_HOST, HANAKO).await;
    c.get("/").await;
    let csrf = c.csrf();
    let mut a = answers("市川 花子");
    a.insert(
        "proof".into(),
        json!({"id": "att-1", "name": "a.pdf", "size": 3, "type": "application/pdf"}),
    );
    let r = c
        .post_json_with(
            "/api/v1/applications",
            &json!({"procedure_id": f.procedure_id, "answers": a}),
            &[("x-csrf-token", &csrf)],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let receipt = r.json()["receipt"]
        .as_str()
        .expect("receipt")
        .replace('-', "");
    let clerk = staff(&app, ICHIKAWA_HOST, SHIMIN_STAFF).await;
    let path = format!("/staff/cases/{receipt}/attachments/att-1");
    let (status, headers, bytes) = raw_get(&app, &clerk, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, b"abc");
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/octet-stream")
    );
    assert!(
        headers
            .get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("attachment;"))
    );
    let (status, _, _) = raw_get(
        &app,
        &clerk,
        &format!("/staff/cases/{receipt}/attachments/nope"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let nozei = staff(&app, ICHIKAWA_HOST, OTHER_DEPT).await;
    let (status, _, _) = raw_get(&app, &nozei, &path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

db_test!(
    a_correction_can_ask_for_a_new_file_checked_before_it_is_stored,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let receipt = new_case(&app, &f, "file-1").await;
        let mut clerk = staff(&app, ICHIKAWA_HOST, SHIMIN_STAFF).await;
        ask_for_correction(
            &mut clerk,
            &receipt,
            "proof",
            "本人確認書類の写しを添付してください。",
        )
        .await;
        let mut hanako = resident(&app, ICHIKAWA_HOST, HANAKO).await;
        let page = hanako.get(&format!("/applications/{receipt}")).await;
        assert!(
            page.body.contains("enctype=\"multipart/form-data\""),
            "{}",
            page.body
        );
        assert!(page.body.contains("type=\"file\""));
        assert!(page.body.contains("name=\"f.proof\""));
        assert!(page.body.contains("accept=\"application/pdf\""));
        let path = format!("/applications/{receipt}/resubmit");
        let files_before = 0;
        let audit_before = audit_actions(&db).await.len();

        // A PNG where only PDF is accepted, and a file over the limit: refused with the field
        // named, nothing stored, the case still waits for the correction.
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let r = hanako
            .post_file(&path, &[], "f.proof", "photo.png", "image/png", png)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("本人確認書類"), "{}", r.body);
        let big = [b"%PDF-1.7\n".as_slice(), &vec![b'0'; 1_000_001]].concat();
        let r = hanako
            .post_file(&path, &[], "f.proof", "big.pdf", "application/pdf", &big)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("1MB"), "{}", r.body);
        let stored: Vec<(i64,)> = common::fetch_raw(&db, "SELECT COUNT(*) FROM attachments").await;
        assert_eq!(stored[0].0, files_before, "refused files are not stored");
        assert_eq!(audit_actions(&db).await.len(), audit_before);
        assert_eq!(app_state(&db, &receipt).await, "correction_requested");

        // A real PDF: stored with the application in the resubmission's transaction.
        let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n";
        let r = hanako
            .post_file(&path, &[], "f.proof", "menkyo.pdf", "application/pdf", pdf)
            .await;
        assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
        assert_eq!(app_state(&db, &receipt).await, "resubmitted");
        let row = madoguchi::procedures::application::store::by_receipt(&db, ICHIKAWA, &receipt)
            .await
            .expect("read")
            .expect("row");
        let a: serde_json::Value = serde_json::from_str(&row.answers).expect("json");
        assert_eq!(a["proof"]["name"], "menkyo.pdf");
        assert_eq!(a["proof"]["type"], "application/pdf");
        assert_eq!(a["proof"]["size"], pdf.len());
        assert_eq!(a["copies"], 1, "other answers unchanged");
        let id = a["proof"]["id"].as_str().expect("id").to_owned();
        let files = madoguchi::procedures::application::store::attachments_of(&db, row.id)
            .await
            .expect("attachments");
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].public_id, id);
        assert_eq!(files[0].owner_user_id, Some(f.hanako));
        // Staff download exactly those bytes.
        let (status, _, bytes) = raw_get(
            &app,
            &clerk,
            &format!("/staff/cases/{receipt}/attachments/{id}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(bytes, pdf);
        assert!(
            audit_actions(&db)
                .await
                .contains(&"case.resubmitted".to_owned())
        );
        assert_audit_intact(&db).await;
    }
);

db_test!(correction_of_a_repeating_group, |db: Db| async move {
    // A form with a repeating group (each child); the clerk asks for the children to be fixed.
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let mut def = definition();
    def.pages[0].fields.push(
        serde_json::from_value(json!({
            "id": "children", "label_ja": "対象の子ども", "label_en": "Children", "type": "group",
            "item_label_ja": "子ども", "item_label_en": "Child", "min_items": 1, "max_items": 3,
            "fields": [
                {"id": "child_name", "label_ja": "子どもの氏名", "label_en": "Child's name", "type": "text"},
                {"id": "born", "label_ja": "生年月日", "label_en": "Date of birth", "type": "date"}
            ]
        }))
        .expect("group field"),
    );
    common::exec(
        &db,
        &format!(
            "UPDATE form_versions SET state = 'archived' WHERE id = {}",
            f.form_version_id
        ),
    )
    .await;
    let mut tx = db.begin().await.expect("tx");
    let version = madoguchi::procedures::form::store::insert(
        &mut tx,
        ICHIKAWA,
        f.procedure_id,
        2,
        "published",
        &def,
        None,
    )
    .await
    .expect("form version 2");
    tx.commit().await.expect("commit");
    let mut answers = answers("市川 花子");
    answers.insert(
        "children".into(),
        json!([{"child_name": "市川 一郎", "born": "2020-04-01"}]),
    );
    let mut new = f.new_app(answers, Some("group-1"));
    new.form_version_id = version;
    let s = madoguchi::procedures::application::submit(
        &db,
        ICHIKAWA,
        &madoguchi::audit::Actor::User(f.hanako),
        "http://x",
        new,
    )
    .await
    .expect("submitted");
    let receipt = s.receipt.compact();
    let mut clerk = staff(&app, ICHIKAWA_HOST, SHIMIN_STAFF).await;
    assert!(
        do_action(&mut clerk, &receipt, "start_review", &[])
            .await
            .status
            .is_redirection()
    );
    let r = do_action(
        &mut clerk,
        &receipt,
        "request_correction",
        &[
            ("fields", "children"),
            ("text", "双子の弟の分が抜けています。"),
        ],
    )
    .await;
    assert!(r.status.is_redirection(), "{}", r.body);
    // The resident sees the stored child as inputs, with add/remove buttons, and nothing else.
    let mut hanako = resident(&app, ICHIKAWA_HOST, HANAKO).await;
    let page = hanako.get(&format!("/applications/{receipt}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("name=\"f.children.0.child_name\" type=\"text\" value=\"市川 一郎\""),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"add:children\""),
        "an add button"
    );
    assert!(
        !page.body.contains("name=\"f.full_name\""),
        "only the named field"
    );
    // 「子どもを追加」 shows a second, empty item; nothing is stored.
    let typed = [
        ("n.children", "1"),
        ("f.children.0.child_name", "市川 一郎"),
        ("f.children.0.born", "令和2年4月1日"),
        ("action", "add:children"),
    ];
    let r = hanako
        .post_form(&format!("/applications/{receipt}/resubmit"), &typed)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body.contains("name=\"f.children.1.child_name\""),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("name=\"n.children\" value=\"2\""),
        "{}",
        r.body
    );
    assert_eq!(app_state(&db, &receipt).await, "correction_requested");
    // A second child with a bad date: refused, naming the child and the field.
    let r = hanako
        .post_form(
            &format!("/applications/{receipt}/resubmit"),
            &[
                ("n.children", "2"),
                ("f.children.0.child_name", "市川 一郎"),
                ("f.children.0.born", "令和2年4月1日"),
                ("f.children.1.child_name", "市川 二郎"),
                ("f.children.1.born", "2020-13-40"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("子ども2"), "{}", r.body);
    assert_eq!(app_state(&db, &receipt).await, "correction_requested");
    // Fixed: both children are stored, the other answers unchanged.
    let r = hanako
        .post_form(
            &format!("/applications/{receipt}/resubmit"),
            &[
                ("n.children", "2"),
                ("f.children.0.child_name", "市川 一郎"),
                ("f.children.0.born", "令和2年4月1日"),
                ("f.children.1.child_name", "市川 二郎"),
                ("f.children.1.born", "令和2年4月1日"),
                ("f.full_name", "別人 太郎"),
            ],
        )
        .await;
    assert!(r.status.is_redirection(), "{} {}", r.status, r.body);
    assert_eq!(app_state(&db, &receipt).await, "resubmitted");
    let row = madoguchi::procedures::application::store::by_receipt(&db, ICHIKAWA, &receipt)
        .await
        .expect("read")
        .expect("row");
    let a: serde_json::Value = serde_json::from_str(&row.answers).expect("json");
    assert_eq!(
        a["children"],
        json!([
            {"child_name": "市川 一郎", "born": "2020-04-01"},
            {"child_name": "市川 二郎", "born": "2020-04-01"}
        ])
    );
    assert_eq!(a["full_name"], "市川 花子", "a field not named stays");
    assert_audit_intact(&db).await;
});
