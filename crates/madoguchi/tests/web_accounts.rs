//! Resident and staff account flows through the whole HTTP stack, on SQLite and PostgreSQL.

#[macro_use]
mod common;
mod support;

use axum::http::StatusCode;
use madoguchi::db::Db;
use support::*;

const PW: &str = "demo-password-2026";

db_test!(register_verify_login_mypage_logout, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c.get("/register").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("<html lang=\"ja\""));
    assert!(
        r.body
            .contains("id=\"f-name\" name=\"name\" type=\"text\" value=\"\""),
        "a fresh form must be empty"
    );
    let r = c
        .post_form(
            "/register",
            &[
                ("name", "市川 一郎"),
                ("email", "Ichiro@Example.jp"),
                ("password", "a long pass phrase"),
                ("password_confirm", "a long pass phrase"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("確認メールを送りました"));

    // Not verified yet: login is refused with a message that says what to do.
    let r = c.login("ichiro@example.jp", "a long pass phrase").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("メールアドレスの確認が済んでいません"));

    let (subject, body) = last_mail(&db, "122033", "ichiro@example.jp")
        .await
        .expect("verification mail");
    assert!(
        subject.contains("メールアドレスの確認") && subject.contains("市川市"),
        "{subject}"
    );
    let link = link_in(&body, "/verify?token=");
    assert!(link.starts_with("http://127.0.0.1/verify?token="), "{link}");
    let path = path_of(&link);
    let r = c.get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("メールアドレスを確認する"));
    // GET alone changes nothing: still unverified.
    assert_eq!(
        c.login("ichiro@example.jp", "a long pass phrase")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let token = path.split("token=").nth(1).expect("token");
    let r = c.post_form("/verify", &[("token", token)]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("メールアドレスを確認しました"));
    // A link works once.
    let r = c.post_form("/verify", &[("token", token)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("すでに使われています"));

    let before = c.cookies.get("__Host-session").cloned();
    assert!(before.is_none());
    let r = c.login("ichiro@example.jp", "a long pass phrase").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/mypage");
    let set = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .find(|s| s.starts_with("__Host-session="))
        .expect("session cookie");
    for attr in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{set} lacks {attr}");
    }
    assert!(
        !set.contains("Domain"),
        "__Host- cookies must not set Domain"
    );
    let r = c.get("/mypage").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("マイページ") && r.body.contains("市川 一郎"));
    assert_eq!(
        r.headers
            .get("cache-control")
            .map(|v| v.to_str().expect("ascii")),
        Some("no-store")
    );

    let session = c.cookies.get("__Host-session").cloned().expect("session");
    let r = c.post_form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Browsers only honour the removal of a __Host- cookie when it carries the same attributes.
    let removal = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .find(|s| s.starts_with("__Host-session="))
        .expect("removal");
    assert!(
        removal.contains("Secure") && removal.contains("Max-Age=0") && removal.contains("Path=/"),
        "{removal}"
    );
    assert!(!c.cookies.contains_key("__Host-session"));
    // The old session id is dead on the server too, not only forgotten by the browser.
    c.cookies.insert("__Host-session".into(), session);
    let r = c.get("/mypage").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(r.location().starts_with("/login"));

    let actions = audit_actions(&db).await;
    for a in [
        "resident.registered",
        "resident.email_verified",
        "login",
        "logout",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "audit lacks {a}: {actions:?}"
        );
    }
    assert_audit_intact(&db).await;
});

db_test!(
    bad_registration_input_changes_nothing,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut c = app.client(ICHIKAWA_HOST);
        let before = audit_actions(&db).await.len();
        let r = c
            .post_form(
                "/register",
                &[
                    ("name", "  "),
                    ("email", "not-an-address"),
                    ("password", "short"),
                    ("password_confirm", "short"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("氏名を入力してください。"));
        assert!(
            r.body
                .contains("メールアドレスを、例のように正しい形で入力してください")
        );
        assert!(r.body.contains("パスワードは8文字以上で入力してください。"));
        assert!(
            r.body.contains("id=\"f-name\" name=\"name\"")
                && r.body.contains("aria-invalid=\"true\"")
        );
        // The typed address comes back so the resident does not retype it; passwords never do.
        assert!(r.body.contains("value=\"not-an-address\""));
        let r = c
            .post_form(
                "/register",
                &[
                    ("name", "市川"),
                    ("email", "x@example.jp"),
                    ("password", "password123"),
                    ("password_confirm", "password123"),
                ],
            )
            .await;
        assert!(r.body.contains("推測されやすいパスワード"));
        let r = c
            .post_form(
                "/register",
                &[
                    ("name", "市川"),
                    ("email", "x@example.jp"),
                    ("password", "a long pass phrase"),
                    ("password_confirm", "a long pass phrasE"),
                ],
            )
            .await;
        assert!(r.body.contains("確認用のパスワードが一致しません"));
        // Already registered (demo resident).
        let r = c
            .post_form(
                "/register",
                &[
                    ("name", "市川"),
                    ("email", "hanako@example.jp"),
                    ("password", "a long pass phrase"),
                    ("password_confirm", "a long pass phrase"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("このメールアドレスはすでに登録されています")
        );
        assert_eq!(
            audit_actions(&db).await.len(),
            before,
            "refused input wrote audit events"
        );
        assert!(last_mail(&db, "122033", "x@example.jp").await.is_none());
        // English page, English message naming the field.
        c.cookies.insert("lang".into(), "en".into());
        let r = c
            .post_form(
                "/register",
                &[
                    ("name", ""),
                    ("email", "a@b.jp"),
                    ("password", "a long pass phrase"),
                    ("password_confirm", "a long pass phrase"),
                ],
            )
            .await;
        assert!(
            r.body.contains("<html lang=\"en\"") && r.body.contains("Enter your full name."),
            "{}",
            r.body
        );
    }
);

db_test!(csrf_and_error_pages, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    c.get("/").await;
    // Form without the token: refused, in Japanese, nothing created.
    let r = c
        .post_raw(
            "/register",
            &[
                ("name", "x"),
                ("email", "csrf@example.jp"),
                ("password", "a long pass phrase"),
                ("password_confirm", "a long pass phrase"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("もう一度送信してください"), "{}", r.body);
    // Cross-site POST with a valid token: refused by the fetch-metadata check.
    let csrf = c.csrf();
    let r = c
        .post_raw(
            "/login",
            &[
                ("email", "hanako@example.jp"),
                ("password", PW),
                ("csrf", &csrf),
            ],
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(!c.cookies.contains_key("__Host-session"));
    assert!(
        madoguchi::auth::store::find_user_by_email(
            &db,
            "122033",
            madoguchi::auth::Kind::Resident,
            "csrf@example.jp"
        )
        .await
        .expect("query")
        .is_none()
    );
    // Unknown route, wrong method, oversized and malformed bodies: clear pages, right status.
    let r = c.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("お探しのページが見つかりません"));
    assert!(!r.body.contains("panicked") && !r.body.contains("sqlx"));
    let r = c.post_form("/healthz", &[]).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.body.contains("この操作はできません"));
    let big = "x".repeat(2 * 1024 * 1024);
    let r = c.post_form("/register", &[("name", &big)]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("大きすぎます"));
    let r = c.get("/api/v1/nothing").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
    // Security headers on every page.
    let r = c.get("/").await;
    let csp = r
        .headers
        .get("content-security-policy")
        .expect("csp")
        .to_str()
        .expect("ascii");
    assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(
        r.headers.get("x-content-type-options").expect("nosniff"),
        "nosniff"
    );
    assert!(r.headers.get("referrer-policy").is_some());
    assert!(r.headers.get("x-request-id").is_some());
    assert!(
        r.headers.get("strict-transport-security").is_none(),
        "HSTS only when https = true"
    );
    let cfg = madoguchi::config::Config {
        https: true,
        ..Default::default()
    };
    let tls = TestApp::with_config(db.clone(), cfg).await;
    let r = tls.client(ICHIKAWA_HOST).get("/").await;
    assert!(
        r.headers
            .get("strict-transport-security")
            .expect("hsts")
            .to_str()
            .expect("ascii")
            .contains("max-age=31536000")
    );
});

db_test!(
    assets_skip_the_page_layers_but_keep_the_headers,
    |db: Db| async move {
        // Static files, tiles and the liveness probe take the light stack (web::router): no CSRF
        // cookie, no page layers; the security headers and request ids are the same as on pages.
        let app = TestApp::demo(db.clone()).await;
        let page = app.client(ICHIKAWA_HOST).get("/").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.headers
                .get_all("set-cookie")
                .iter()
                .any(|v| v.to_str().is_ok_and(|v| v.starts_with("__Host-csrf="))),
            "a first page visit gets its CSRF cookie"
        );
        assert_eq!(page.headers.get("cache-control").expect("cc"), "no-store");
        let page_id = page.headers.get("x-request-id").expect("id").clone();
        for path in [
            "/static/css/madoguchi.css",
            "/healthz",
            "/roads/tiles/15/29126/12909.mvt",
        ] {
            let r = app.client(ICHIKAWA_HOST).get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            assert!(
                r.headers.get("set-cookie").is_none(),
                "{path}: no cookie on an asset"
            );
            for h in [
                "content-security-policy",
                "x-content-type-options",
                "referrer-policy",
                "x-frame-options",
                "permissions-policy",
                "cache-control",
            ] {
                assert!(r.headers.get(h).is_some(), "{path}: {h}");
            }
            let id = r.headers.get("x-request-id").expect("request id");
            assert_ne!(id, &page_id, "{path}: request ids are unique");
        }
        let css = app
            .client(ICHIKAWA_HOST)
            .get("/static/css/madoguchi.css")
            .await;
        assert_eq!(
            css.headers.get("cache-control").expect("cc"),
            "public, max-age=86400",
            "the handler's own Cache-Control is kept"
        );
        // A missing asset still gets the error page; a write to an asset route is refused.
        let r = app
            .client(ICHIKAWA_HOST)
            .get("/static/no-such-file.css")
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.body.contains("ページが見つかりません"), "{}", r.body);
        let r = app
            .client(ICHIKAWA_HOST)
            .post_form("/roads/tiles/15/29126/12909.mvt", &[("a", "b")])
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    }
);

db_test!(login_throttling_locks_out_with_429, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    for _ in 0..5 {
        let r = c.login("hanako@example.jp", "wrong password!").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(
            r.body
                .contains("メールアドレスまたはパスワードが正しくありません。")
        );
    }
    // Even the right password is refused now, with a Japanese message and Retry-After.
    let r = c.login("hanako@example.jp", PW).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("一時的にログインを停止しています"));
    assert!(r.headers.get("retry-after").is_some());
    assert!(!c.cookies.contains_key("__Host-session"));
    // Another account is not affected.
    let mut other = app.client(SHISUI_HOST);
    assert_eq!(
        other.login("taro@example.jp", PW).await.status,
        StatusCode::SEE_OTHER
    );
    // Unknown accounts get the same answer as a wrong password.
    let r = c.login("nobody@example.jp", "whatever it is").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

db_test!(expired_and_cycled_sessions, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    assert_eq!(
        c.login("hanako@example.jp", PW).await.status,
        StatusCode::SEE_OTHER
    );
    let first = c.cookies.get("__Host-session").cloned().expect("session");
    // Logging in again issues a new id and ends the old session.
    assert_eq!(
        c.login("hanako@example.jp", PW).await.status,
        StatusCode::SEE_OTHER
    );
    let second = c.cookies.get("__Host-session").cloned().expect("session");
    assert_ne!(first, second);
    let mut stale = app.client(ICHIKAWA_HOST);
    stale.cookies.insert("__Host-session".into(), first);
    assert_eq!(stale.get("/mypage").await.status, StatusCode::SEE_OTHER);
    // Idle timeout: the session is gone and the resident is told why.
    db.execute_raw("UPDATE sessions SET last_seen_at = 0")
        .await
        .expect("age sessions");
    let r = c.get("/mypage").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login?expired=1");
    let r = c.get("/login?expired=1").await;
    assert!(
        r.body
            .contains("一定時間操作がなかったため、ログアウトしました")
    );
});

db_test!(password_reset_ends_sessions, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut old = app.client(ICHIKAWA_HOST);
    assert_eq!(
        old.login("hanako@example.jp", PW).await.status,
        StatusCode::SEE_OTHER
    );
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c
        .post_form("/password/forgot", &[("email", "hanako@example.jp")])
        .await;
    assert!(r.body.contains("メールを送りました"));
    // Same answer for an unknown address, and no mail.
    let r2 = c
        .post_form("/password/forgot", &[("email", "nobody@example.jp")])
        .await;
    assert_eq!(r.status, r2.status);
    assert!(
        last_mail(&db, "122033", "nobody@example.jp")
            .await
            .is_none()
    );
    let (subject, body) = last_mail(&db, "122033", "hanako@example.jp")
        .await
        .expect("reset mail");
    assert!(subject.contains("パスワードの再設定"));
    let path = path_of(&link_in(&body, "/password/reset?token="));
    assert_eq!(c.get(&path).await.status, StatusCode::OK);
    let token = path.split("token=").nth(1).expect("token").to_owned();
    let r = c
        .post_form(
            "/password/reset",
            &[
                ("token", &token),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post_form(
            "/password/reset",
            &[
                ("token", &token),
                ("password", "a brand new phrase"),
                ("password_confirm", "a brand new phrase"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("パスワードを変更しました"));
    assert_eq!(
        old.get("/mypage").await.status,
        StatusCode::SEE_OTHER,
        "old sessions must end"
    );
    assert_eq!(
        c.login("hanako@example.jp", PW).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.login("hanako@example.jp", "a brand new phrase")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let r = c
        .post_form(
            "/password/reset",
            &[
                ("token", &token),
                ("password", "another new phrase"),
                ("password_confirm", "another new phrase"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a reset link works once");
});

db_test!(preferences_language_and_large_text, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(ICHIKAWA_HOST);
    let r = c
        .post_form("/prefs", &[("lang", "en"), ("return_to", "/login")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login");
    let r = c.get("/login").await;
    assert!(r.body.contains("<html lang=\"en\"") && r.body.contains("Log in"));
    let r = c
        .post_form(
            "/prefs",
            &[("large_text", "1"), ("return_to", "https://evil.example/")],
        )
        .await;
    assert_eq!(r.location(), "/", "no open redirect");
    assert!(c.get("/").await.body.contains("class=\"large-text\""));
    // Signed in, the choice is saved on the account and follows the resident to a new device.
    assert_eq!(
        c.login("hanako@example.jp", PW).await.status,
        StatusCode::SEE_OTHER
    );
    c.post_form(
        "/prefs",
        &[
            ("lang", "en"),
            ("large_text", "1"),
            ("return_to", "/mypage"),
        ],
    )
    .await;
    let mut phone = app.client(ICHIKAWA_HOST);
    phone.login("hanako@example.jp", PW).await;
    let r = phone.get("/mypage").await;
    assert!(
        r.body.contains("<html lang=\"en\" class=\"large-text\""),
        "{}",
        &r.body[..200]
    );
});

db_test!(
    staff_admin_adds_staff_and_others_cannot,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut admin = app.client(ICHIKAWA_HOST);
        let r = admin
            .post_form(
                "/staff/login",
                &[
                    ("email", "admin@city.ichikawa.example.jp"),
                    ("password", PW),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), "/staff");
        let r = admin.get("/staff").await;
        assert!(
            r.body.contains("職員ホーム")
                && r.body.contains("情報システム課")
                && r.body.contains("管理者")
        );
        assert!(r.body.contains("shimin@city.ichikawa.example.jp"));
        // The staff home leads to the case queue and the form editor.
        assert!(r.body.contains("href=\"/staff/cases\""));
        assert!(r.body.contains("href=\"/staff/forms\""));
        assert!(
            r.body
                .contains("<option value=\"department_staff\" selected>"),
            "least privilege by default"
        );
        assert!(!r.body.contains("<option value=\"admin\" selected>"));
        assert!(
            !r.body.contains("admin@town.shisui.example.jp"),
            "other municipality's staff leaked"
        );
        let r = admin
            .post_form(
                "/staff/users",
                &[
                    ("name", "審査 花"),
                    ("email", "shinsa@city.ichikawa.example.jp"),
                    ("department", "kokuho"),
                    ("role", "reviewer"),
                    ("password", "reviewer pass phrase"),
                    ("password_confirm", "reviewer pass phrase"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = admin
            .post_form(
                "/staff/users",
                &[
                    ("name", "x"),
                    ("email", "y@city.ichikawa.example.jp"),
                    ("department", "nope"),
                    ("role", "root"),
                    ("password", "reviewer pass phrase"),
                    ("password_confirm", "reviewer pass phrase"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("役割を一覧から選んでください。")
                && r.body.contains("課を一覧から選んでください。")
        );
        let mut reviewer = app.client(ICHIKAWA_HOST);
        assert_eq!(
            reviewer
                .post_form(
                    "/staff/login",
                    &[
                        ("email", "shinsa@city.ichikawa.example.jp"),
                        ("password", "reviewer pass phrase")
                    ]
                )
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        let r = reviewer.get("/staff").await;
        assert!(r.body.contains("国民健康保険課") && r.body.contains("審査担当"));
        assert!(
            !r.body.contains("shimin@city.ichikawa.example.jp"),
            "non-admins do not see the staff list"
        );
        let r = reviewer
            .post_form(
                "/staff/users",
                &[
                    ("name", "x"),
                    ("email", "z@city.ichikawa.example.jp"),
                    ("department", "kokuho"),
                    ("role", "admin"),
                    ("password", "reviewer pass phrase"),
                    ("password_confirm", "reviewer pass phrase"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // A resident account cannot use the staff pages, and a resident login is not a staff login.
        let mut resident = app.client(ICHIKAWA_HOST);
        resident.login("hanako@example.jp", PW).await;
        assert_eq!(resident.get("/staff").await.status, StatusCode::SEE_OTHER);
        assert_eq!(
            resident
                .post_form(
                    "/staff/login",
                    &[("email", "hanako@example.jp"), ("password", PW)]
                )
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        let actions = audit_actions(&db).await;
        assert!(actions.iter().filter(|a| *a == "staff.created").count() >= 4);
        assert!(
            madoguchi::audit::verify(&db)
                .await
                .expect("verify")
                .first_bad
                .is_none()
        );
    }
);
