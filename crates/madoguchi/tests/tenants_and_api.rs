//! Municipalities cannot see or change each other's data; the API and its tokens.

#[macro_use]
mod common;
mod support;

use axum::http::StatusCode;
use madoguchi::db::Db;
use support::*;

const PW: &str = "demo-password-2026";

db_test!(
    residents_staff_and_sessions_stay_in_their_municipality,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        // 市川市's resident cannot log in on 酒々井町's host, nor its staff.
        let mut s = app.client(SHISUI_HOST);
        assert_eq!(
            s.login("hanako@example.jp", PW).await.status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            s.post_form(
                "/staff/login",
                &[
                    ("email", "admin@city.ichikawa.example.jp"),
                    ("password", PW)
                ]
            )
            .await
            .status,
            StatusCode::UNAUTHORIZED
        );
        assert!(s.get("/").await.body.contains("酒々井町"));
        // A 市川市 session cookie presented to 酒々井町 is not a session there.
        let mut i = app.client(ICHIKAWA_HOST);
        assert_eq!(
            i.post_form(
                "/staff/login",
                &[
                    ("email", "admin@city.ichikawa.example.jp"),
                    ("password", PW)
                ]
            )
            .await
            .status,
            StatusCode::SEE_OTHER
        );
        let session = i.cookies.get("__Host-session").cloned().expect("session");
        let mut moved = app.client(SHISUI_HOST);
        moved.cookies.insert("__Host-session".into(), session);
        moved.get("/").await;
        assert_eq!(moved.get("/staff").await.status, StatusCode::SEE_OTHER);
        let r = moved
            .post_form(
                "/staff/departments",
                &[("code", "evil"), ("name_ja", "x"), ("name_en", "x")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "must be sent to login, not allowed"
        );
        assert!(r.location().starts_with("/staff/login"));
        let shisui_depts = madoguchi::auth::store::list_departments(&db, "123226")
            .await
            .expect("list");
        assert!(shisui_depts.iter().all(|d| d.code != "evil"));
        // 酒々井町's admin sees only 酒々井町's staff and departments.
        let mut sa = app.client(SHISUI_HOST);
        assert_eq!(
            sa.post_form(
                "/staff/login",
                &[("email", "admin@town.shisui.example.jp"), ("password", PW)]
            )
            .await
            .status,
            StatusCode::SEE_OTHER
        );
        let r = sa.get("/staff").await;
        assert!(
            r.body.contains("総務課")
                && !r.body.contains("情報システム課")
                && !r.body.contains("ichikawa")
        );
        // Registering on each host creates the account in that municipality only.
        sa.post_form(
            "/register",
            &[
                ("name", "両方 登録"),
                ("email", "both@example.jp"),
                ("password", "a long pass phrase"),
                ("password_confirm", "a long pass phrase"),
            ],
        )
        .await;
        assert!(
            last_mail(&db, "123226", "both@example.jp")
                .await
                .expect("mail")
                .0
                .contains("酒々井町")
        );
        assert!(last_mail(&db, "122033", "both@example.jp").await.is_none());
        let chains = madoguchi::audit::verify(&db).await.expect("verify");
        assert_eq!(chains.municipalities, 2);
        assert!(chains.first_bad.is_none());
    }
);

db_test!(
    api_tokens_are_scoped_to_municipality_and_revocable,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let (id, secret) = madoguchi::admin::create_token(
            &db,
            "122033",
            "admin@city.ichikawa.example.jp",
            "api:read",
        )
        .await
        .expect("token");
        assert!(secret.starts_with("mdg_") && secret.len() > 40);
        let mut c = app.client(ICHIKAWA_HOST);
        let auth = format!("Bearer {secret}");
        let r = c.get_with("/api/v1/me", &[("authorization", &auth)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let me = r.json();
        assert_eq!(me["email"], "admin@city.ichikawa.example.jp");
        assert_eq!(me["municipality"], "122033");
        assert_eq!(me["token_id"], id);
        // No token, a wrong token, or the right token on the other municipality's host: 401 JSON.
        let r = c.get("/api/v1/me").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["error"]["code"], "unauthorized");
        assert_eq!(
            r.headers.get("www-authenticate").expect("challenge"),
            "Bearer"
        );
        assert_eq!(
            c.get_with("/api/v1/me", &[("authorization", "Bearer mdg_wrong")])
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        let mut s = app.client(SHISUI_HOST);
        assert_eq!(
            s.get_with("/api/v1/me", &[("authorization", &auth)])
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        // Only the digest is stored.
        let stored: Vec<madoguchi::auth::store::ApiTokenRow> = Vec::new();
        drop(stored);
        assert!(
            madoguchi::auth::store::find_api_token(&db, &secret)
                .await
                .expect("lookup")
                .is_some()
        );
        let raw = db
            .execute_raw(&format!(
                "UPDATE api_tokens SET scope = scope WHERE token_hash = '{secret}'"
            ))
            .await
            .expect("probe");
        assert_eq!(raw, 0, "the secret itself must not be in the database");
        madoguchi::admin::revoke_token(&db, id)
            .await
            .expect("revoke");
        assert_eq!(
            c.get_with("/api/v1/me", &[("authorization", &auth)])
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert!(
            madoguchi::admin::revoke_token(&db, id).await.is_err(),
            "revoking twice is reported"
        );
        let actions = audit_actions(&db).await;
        assert!(
            actions.contains(&"token.issued".to_owned())
                && actions.contains(&"token.revoked".to_owned())
        );
    }
);

db_test!(openapi_health_and_public_api, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(SHISUI_HOST);
    let doc = c.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    for p in ["/api/v1/me", "/api/v1/municipality"] {
        assert!(doc["paths"][p].is_object(), "{p} missing from OpenAPI");
    }
    let m = c.get("/api/v1/municipality").await.json();
    assert_eq!(m["code"], "123226");
    assert_eq!(m["name_ja"], "酒々井町");
    assert_eq!(c.get("/healthz").await.body, "ok");
    assert_eq!(c.get("/readyz").await.status, StatusCode::OK);
    db.close().await;
    assert_eq!(
        c.get("/readyz").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
});
