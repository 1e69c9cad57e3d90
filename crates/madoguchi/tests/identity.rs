//! My Number card sign-in (デジタル認証アプリ) and staff single sign-on against the sandbox
//! provider, on both databases. The browser side goes through the router in-process; the
//! relying party's back channel (discovery, token, JWKS, userinfo) goes over real HTTP to the
//! same application, served on a loopback port, where the sandbox provider is mounted.

#[macro_use]
mod common;
mod support;

use std::net::SocketAddr;

use axum::http::StatusCode;
use madoguchi::config::Config;
use madoguchi::db::Db;
use madoguchi::identity::sandbox;
use serde_json::json;
use support::{Client, TestApp};

use crate::common::{exec, fetch_raw};

const SLUG: &str = "juminhyo";

/// The demo application with the identity sandbox wired, served on a loopback port.
async fn app(db: Db) -> (TestApp, tempfile::TempDir) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cfg = Config {
        addr,
        ..Config::default()
    };
    madoguchi::identity::wire_demo_sandbox(&mut cfg, dir.path()).expect("wiring");
    let app = TestApp::with_config(db, cfg).await;
    let router = madoguchi::web::router(app.state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    (app, dir)
}

/// Path and query of an absolute URL.
fn path_of(url: &str) -> String {
    match url.split_once("://") {
        Some((_, rest)) => rest[rest.find('/').unwrap_or(rest.len())..].to_owned(),
        None => url.to_owned(),
    }
}

fn query_pairs(url: &str) -> Vec<(String, String)> {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(url: &str, key: &str) -> String {
    query_pairs(url)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

/// Consent page → start: returns the provider's authorization URL (path and query).
async fn start(c: &mut Client<'_>, next: &str, procedure: &str, share: bool) -> String {
    let consent = c
        .get(&format!("/auth/card?next={next}&procedure={procedure}"))
        .await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    let r = c
        .post_form(
            "/auth/card/start",
            &[
                ("next", next),
                ("procedure", procedure),
                ("share", if share { "1" } else { "0" }),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let to = r.location().to_owned();
    assert!(to.contains("/sandbox/auth-and-sign/api/realms/main/protocol/openid-connect/auth?"));
    for k in ["state", "nonce", "code_challenge"] {
        assert!(!param(&to, k).is_empty(), "{k} in {to}");
    }
    assert_eq!(param(&to, "code_challenge_method"), "S256");
    path_of(&to)
}

/// The tester picks holder `who` on the sandbox page (with a fault): returns the callback path.
async fn approve(c: &mut Client<'_>, auth: &str, who: &str, fault: &str) -> String {
    let page = c.get(auth).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("サンドボックス"));
    let mut fields = query_pairs(auth);
    fields.push(("who".into(), who.into()));
    fields.push(("fault".into(), fault.into()));
    fields.push(("decision".into(), "approve".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let action = auth.split('?').next().unwrap_or("");
    let r = c.post_form(action, &refs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(
        r.location().contains("/auth/card/callback?code="),
        "{}",
        r.location()
    );
    path_of(r.location())
}

async fn card_login(c: &mut Client<'_>, who: &str, next: &str, procedure: &str, share: bool) {
    let auth = start(c, next, procedure, share).await;
    let cb = approve(c, &auth, who, "none").await;
    let r = c.get(&cb).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), next);
}

async fn level_of_sessions(db: &Db) -> Vec<(String,)> {
    fetch_raw(
        db,
        "SELECT identity_level FROM sessions ORDER BY created_at",
    )
    .await
}

async fn actions(db: &Db) -> Vec<String> {
    let rows: Vec<(String,)> = fetch_raw(db, "SELECT action FROM audit_events ORDER BY id").await;
    rows.into_iter().map(|r| r.0).collect()
}

/// A refused callback: 4xx page with the message, no session, an audit event.
async fn assert_refused(db: &Db, r: &support::Resp, words: &str, reason: &str) {
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("ログインできませんでした"), "{}", r.body);
    assert!(r.body.contains(words), "{words} in {}", r.body);
    let n: Vec<(i64,)> = fetch_raw(db, "SELECT COUNT(*) FROM sessions").await;
    assert_eq!(n[0].0, 0, "no session was created");
    let rows: Vec<(String,)> = fetch_raw(
        db,
        "SELECT detail FROM audit_events WHERE action = 'identity.login_refused' ORDER BY id DESC",
    )
    .await;
    assert!(
        rows.first().is_some_and(|d| d.0.contains(reason)),
        "{reason} in {rows:?}"
    );
}

/// A card-level procedure whose form prefills name and address from the card.
async fn card_procedure(db: &Db) {
    exec(
        db,
        "UPDATE procedures SET identity_level = 'card', online = TRUE \
         WHERE slug = 'juminhyo' AND municipality_id = '122033'",
    )
    .await;
    let id: Vec<(i64,)> = fetch_raw(
        db,
        "SELECT id FROM procedures WHERE slug = 'juminhyo' AND municipality_id = '122033'",
    )
    .await;
    exec(
        db,
        &format!(
            "UPDATE form_versions SET state = 'archived' WHERE procedure_id = {} AND state = 'published'",
            id[0].0
        ),
    )
    .await;
    let def = serde_json::from_value(json!({
        "format": 1,
        "title_ja": "住民票の写しの交付請求",
        "title_en": "Residence record copy",
        "pages": [{
            "id": "main", "title_ja": "請求の内容", "title_en": "Request",
            "fields": [
                {"id": "full_name", "label_ja": "氏名", "label_en": "Name", "type": "text", "prefill": "verified.name"},
                {"id": "addr", "label_ja": "住所", "label_en": "Address", "type": "text", "prefill": "verified.address"},
                {"id": "copies", "label_ja": "通数", "label_en": "Copies", "type": "number", "min": 1, "max": 10}
            ]
        }]
    }))
    .expect("definition");
    assert!(
        madoguchi::procedures::form::check_definition(&def).is_empty(),
        "the definition with prefill keys is valid"
    );
    let mut tx = db.begin().await.expect("tx");
    madoguchi::procedures::form::store::insert(
        &mut tx,
        "122033",
        id[0].0,
        90,
        "published",
        &def,
        None,
    )
    .await
    .expect("form version");
    tx.commit().await.expect("commit");
}

fn key_of(body: &str) -> String {
    body.split("name=\"key\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("key")
        .to_owned()
}

db_test!(
    happy_path_gives_card_level_and_submits_a_card_procedure,
    |db: Db| async move {
        let (app, _dir) = app(db.clone()).await;
        card_procedure(&db).await;
        let mut c = app.client(support::ICHIKAWA_HOST);
        let next = format!("/procedures/{SLUG}/apply");
        // The consent page lists what will be read for this procedure.
        let consent = c
            .get(&format!("/auth/card?next={next}&procedure={SLUG}"))
            .await;
        assert!(
            consent.body.contains("氏名") && consent.body.contains("住所"),
            "{}",
            consent.body
        );
        assert!(
            !consent.body.contains("生年月日"),
            "only what the form needs"
        );
        card_login(&mut c, "0", &next, SLUG, true).await;
        assert_eq!(level_of_sessions(&db).await, vec![("card".to_owned(),)]);
        let links: Vec<(String, String)> =
            fetch_raw(&db, "SELECT provider, subject FROM identity_links").await;
        assert_eq!(links, vec![("card".into(), sandbox::HOLDERS[0].sub.into())]);
        let facts: Vec<(String, String)> =
            fetch_raw(&db, "SELECT fact, value FROM verified_facts ORDER BY fact").await;
        assert_eq!(
            facts,
            vec![
                ("address".into(), sandbox::HOLDERS[0].address.into()),
                ("name".into(), sandbox::HOLDERS[0].name.into()),
            ],
            "only the consented facts"
        );
        let a = actions(&db).await;
        for want in [
            "identity.account_created",
            "identity.linked",
            "identity.facts_verified",
            "login",
        ] {
            assert!(a.iter().any(|x| x == want), "{want} in {a:?}");
        }

        // The form: name and address come from the card, read-only; a different value sent by
        // hand is ignored.
        let page = c.get(&format!("/procedures/{SLUG}/apply/main")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("マイナンバーカードで確認済み"),
            "{}",
            page.body
        );
        assert!(page.body.contains(sandbox::HOLDERS[0].address));
        let r = c
            .post_form(
                &format!("/procedures/{SLUG}/apply/main"),
                &[
                    ("f.full_name", "なりすまし"),
                    ("f.addr", "どこか"),
                    ("f.copies", "2"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let check = c.get(&format!("/procedures/{SLUG}/apply/check")).await;
        assert!(
            check.body.contains(sandbox::HOLDERS[0].name),
            "{}",
            check.body
        );
        assert!(!check.body.contains("なりすまし"));
        let r = c
            .post_form(
                &format!("/procedures/{SLUG}/apply/submit"),
                &[("key", &key_of(&check.body))],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert!(r.location().contains("/done/"), "{}", r.location());
        let n: Vec<(i64,)> = fetch_raw(&db, "SELECT COUNT(*) FROM applications").await;
        assert_eq!(n[0].0, 1);

        // Once-only: the next sign-in finds the same account.
        let mut c2 = app.client(support::ICHIKAWA_HOST);
        card_login(&mut c2, "0", "/mypage", "", false).await;
        let users: Vec<(i64,)> = fetch_raw(
            &db,
            "SELECT COUNT(*) FROM users WHERE email LIKE 'card-%@card.madoguchi.invalid'",
        )
        .await;
        assert_eq!(users[0].0, 1);
    }
);

db_test!(
    password_session_is_refused_for_a_card_procedure_with_a_card_button,
    |db: Db| async move {
        let (app, _dir) = app(db.clone()).await;
        card_procedure(&db).await;
        let mut c = app.client(support::ICHIKAWA_HOST);
        let r = c
            .post_form(
                "/login",
                &[
                    ("email", "hanako@example.jp"),
                    ("password", madoguchi::demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = c
            .post_form(
                &format!("/procedures/{SLUG}/apply/main"),
                &[
                    ("f.full_name", "市川 花子"),
                    ("f.addr", "市川市八幡"),
                    ("f.copies", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let check = c.get(&format!("/procedures/{SLUG}/apply/check")).await;
        let r = c
            .post_form(
                &format!("/procedures/{SLUG}/apply/submit"),
                &[("key", &key_of(&check.body))],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(
            r.body
                .contains("マイナンバーカードでログインしてから申請してください"),
            "{}",
            r.body
        );
        assert!(r.body.contains("/auth/card?next="), "a card sign-in button");
        let n: Vec<(i64,)> = fetch_raw(&db, "SELECT COUNT(*) FROM applications").await;
        assert_eq!(n[0].0, 0);

        // Signing in with the card while signed in links the card to this account.
        let next = format!("/procedures/{SLUG}/apply/check");
        card_login(&mut c, "0", &next, SLUG, false).await;
        let rows: Vec<(String,)> = fetch_raw(
            &db,
            "SELECT u.email FROM identity_links l JOIN users u ON u.id = l.user_id",
        )
        .await;
        assert_eq!(rows, vec![("hanako@example.jp".to_owned(),)]);
        let check = c.get(&next).await;
        let r = c
            .post_form(
                &format!("/procedures/{SLUG}/apply/submit"),
                &[("key", &key_of(&check.body))],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
);

db_test!(wrong_state_is_refused, |db: Db| async move {
    let (app, _dir) = app(db.clone()).await;
    let mut c = app.client(support::ICHIKAWA_HOST);
    let auth = start(&mut c, "/mypage", "", false).await;
    let cb = approve(&mut c, &auth, "1", "none").await;
    let state = param(&cb, "state");
    let forged = cb.replace(
        &form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>(),
        "forged-state",
    );
    let r = c.get(&forged).await;
    assert_refused(&db, &r, "ログインの手続きを確認できませんでした", "state").await;
    // The same state from another browser is refused too.
    let mut other = app.client(support::ICHIKAWA_HOST);
    let r = other.get(&cb).await;
    assert_refused(&db, &r, "ログインの手続きを確認できませんでした", "state").await;
});

db_test!(
    wrong_nonce_expired_and_wrongly_signed_tokens_and_wrong_audience_are_refused,
    |db: Db| async move {
        let (app, _dir) = app(db.clone()).await;
        for (fault, words, reason) in [
            (
                "nonce",
                "この画面で始めたログインのものではありません",
                "nonce",
            ),
            ("expired", "有効期限が切れていました", "expired"),
            ("wrong_key", "署名を確かめられませんでした", "signature"),
            ("audience", "ほかのサービスあてのもの", "audience"),
        ] {
            let mut c = app.client(support::ICHIKAWA_HOST);
            let auth = start(&mut c, "/mypage", "", false).await;
            let cb = approve(&mut c, &auth, "2", fault).await;
            let r = c.get(&cb).await;
            assert_refused(&db, &r, words, reason).await;
        }
        let n: Vec<(i64,)> = fetch_raw(&db, "SELECT COUNT(*) FROM identity_links").await;
        assert_eq!(n[0].0, 0, "nothing was linked");
    }
);

db_test!(
    replayed_code_and_wrong_pkce_verifier_are_refused,
    |db: Db| async move {
        let (app, _dir) = app(db.clone()).await;
        let mut c = app.client(support::ICHIKAWA_HOST);
        // Code A is issued for flow A's PKCE challenge; delivering it with flow B's state makes
        // the relying party send B's verifier: the provider refuses it.
        let auth_a = start(&mut c, "/mypage", "", false).await;
        let cb_a = approve(&mut c, &auth_a, "3", "none").await;
        let auth_b = start(&mut c, "/mypage", "", false).await;
        let cb_b = approve(&mut c, &auth_b, "3", "none").await;
        let mixed = format!(
            "/auth/card/callback?code={}&state={}",
            param(&cb_a, "code"),
            param(&cb_b, "state")
        );
        let r = c.get(&mixed).await;
        assert_refused(&db, &r, "使えないものでした", "code").await;
        // Code A has now been presented once: presenting it again (with a fresh state) is a replay.
        let auth_c = start(&mut c, "/mypage", "", false).await;
        let cb_c = approve(&mut c, &auth_c, "3", "none").await;
        let replay = format!(
            "/auth/card/callback?code={}&state={}",
            param(&cb_a, "code"),
            param(&cb_c, "state")
        );
        let r = c.get(&replay).await;
        assert_refused(&db, &r, "使えないものでした", "code").await;
        // And a good code works once only: its state is gone after the first use.
        let r = c.get(&cb_c).await;
        assert_refused(&db, &r, "ログインの手続きを確認できませんでした", "state").await;
    }
);

db_test!(
    the_sandbox_token_endpoint_requires_pkce_and_a_signed_client_assertion,
    |db: Db| async move {
        let (app, _dir) = app(db.clone()).await;
        let issuer = app.state.cfg.identity.card.issuer.clone();
        let token_url = format!("{issuer}/protocol/openid-connect/token");
        let mut c = app.client(support::ICHIKAWA_HOST);
        let auth = start(&mut c, "/mypage", "", false).await;
        let cb = approve(&mut c, &auth, "0", "none").await;
        let code = param(&cb, "code");
        let http = reqwest::Client::new();
        let key = madoguchi::identity::keys::SigningKey::generate_es256("other").expect("key");
        let bad_assertion =
            madoguchi::identity::oidc::Rp::client_assertion(&key, "RP00000001", &token_url)
                .expect("jwt");
        let r = http
            .post(&token_url)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://127.0.0.1/auth/card/callback"),
                ("code_verifier", "x"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", bad_assertion.as_str()),
            ])
            .send()
            .await
            .expect("token");
        assert_eq!(
            r.status().as_u16(),
            401,
            "an assertion signed by another key"
        );
        let rp_key = madoguchi::identity::keys::SigningKey::from_file(
            &app.state.cfg.identity.card.private_key_path,
            "",
        )
        .expect("rp key");
        let good =
            madoguchi::identity::oidc::Rp::client_assertion(&rp_key, "RP00000001", &token_url)
                .expect("jwt");
        let r = http
            .post(&token_url)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", "http://127.0.0.1/auth/card/callback"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", good.as_str()),
            ])
            .send()
            .await
            .expect("token");
        assert_eq!(r.status().as_u16(), 400, "no code_verifier");
        let body: serde_json::Value = r.json().await.expect("json");
        assert_eq!(body["error"], "invalid_request");
    }
);

db_test!(no_my_number_is_ever_stored, |db: Db| async move {
    let (app, _dir) = app(db.clone()).await;
    card_procedure(&db).await;
    let mut c = app.client(support::ICHIKAWA_HOST);
    card_login(&mut c, "1", "/mypage", SLUG, true).await;
    let re = regex::Regex::new(r"[0-9]{12}").expect("regex");
    for (table, cols) in [
        ("identity_links", "issuer || ' ' || subject"),
        ("verified_facts", "fact || ' ' || value"),
        ("users", "email || ' ' || name"),
        ("audit_events", "action || ' ' || target || ' ' || detail"),
        ("oidc_requests", "scopes || ' ' || next_path"),
    ] {
        let rows: Vec<(String,)> = fetch_raw(&db, &format!("SELECT {cols} FROM {table}")).await;
        for r in rows {
            assert!(!r.0.contains(sandbox::DECOY_VALUE), "{table}: {}", r.0);
            assert!(!re.is_match(&r.0), "{table}: 12 digits in {}", r.0);
        }
    }
    let n: Vec<(i64,)> = fetch_raw(&db, "SELECT COUNT(*) FROM verified_facts").await;
    assert_eq!(
        n[0].0, 2,
        "name and address were stored; the decoy claim was not"
    );
});

db_test!(
    staff_sign_on_maps_groups_to_department_and_role,
    |db: Db| async move {
        let (app, _dir) = app(db.clone()).await;
        let mut c = app.client(support::ICHIKAWA_HOST);
        let login = c.get("/staff/login").await;
        assert!(login.body.contains("/staff/login/sso"));
        let page = c.get("/staff/login/sso").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let r = c.post_form("/staff/login/sso", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let auth = path_of(r.location());
        assert!(auth.contains("/realms/staff/"), "{auth}");
        // The reviewer (group shimin-reviewer → 市民課, reviewer).
        let mut fields = query_pairs(&auth);
        fields.extend([
            ("who".into(), "1".into()),
            ("fault".into(), "none".into()),
            ("decision".into(), "approve".into()),
        ]);
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = c
            .post_form(auth.split('?').next().unwrap_or(""), &refs)
            .await;
        let r = c.get(&path_of(r.location())).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/staff");
        let rows: Vec<(String, String, String)> = fetch_raw(
        &db,
        "SELECT u.email, u.role, d.code FROM users u JOIN departments d ON d.id = u.department_id \
         WHERE u.email = 'saburo.shinsa@city.ichikawa.example.jp'",
    )
    .await;
        assert_eq!(
            rows,
            vec![(
                "saburo.shinsa@city.ichikawa.example.jp".into(),
                "reviewer".into(),
                "shimin".into()
            )]
        );
        let home = c.get("/staff").await;
        assert_eq!(home.status, StatusCode::OK, "{}", home.body);
        let a = actions(&db).await;
        assert!(a.iter().any(|x| x == "identity.linked"));

        // A contractor's group is mapped to nothing: refused, no account.
        let mut c = app.client(support::ICHIKAWA_HOST);
        c.get("/staff/login/sso").await;
        let r = c.post_form("/staff/login/sso", &[]).await;
        let auth = path_of(r.location());
        let mut fields = query_pairs(&auth);
        fields.extend([
            ("who".into(), "2".into()),
            ("fault".into(), "none".into()),
            ("decision".into(), "approve".into()),
        ]);
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = c
            .post_form(auth.split('?').next().unwrap_or(""), &refs)
            .await;
        let r = c.get(&path_of(r.location())).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(
            r.body.contains("どの課にも割り当てられていません"),
            "{}",
            r.body
        );
        let n: Vec<(i64,)> = fetch_raw(
            &db,
            "SELECT COUNT(*) FROM users WHERE email = 'itaku@contractor.example.jp'",
        )
        .await;
        assert_eq!(n[0].0, 0);
    }
);

db_test!(our_public_keys_are_served_as_jwks, |db: Db| async move {
    let (app, _dir) = app(db.clone()).await;
    let mut c = app.client(support::ICHIKAWA_HOST);
    let r = c.get("/.well-known/jwks.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let keys = &r.json()["keys"];
    assert_eq!(keys[0]["kty"], "EC");
    assert_eq!(keys[0]["alg"], "ES256");
    assert!(keys[0].get("d").is_none(), "never the private part");
});

// ---- prefill beyond text fields (name, address, date, gender choice) ------------------------

const KOSEKI: &str = "koseki-shomei";

fn input_tag<'a>(body: &'a str, name: &str) -> &'a str {
    let at = body
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name} in {body}"));
    let start = body[..at].rfind('<').expect("tag start");
    let end = at + body[at..].find('>').expect("tag end");
    &body[start..=end]
}

fn stored_answers(rows: Vec<(String,)>) -> serde_json::Value {
    serde_json::from_str(&rows.first().expect("a row").0).expect("answers json")
}

db_test!(
    shipped_koseki_form_takes_name_address_and_birthdate_from_the_card,
    |db: Db| async move {
        let (app, _dir) = app(db.clone()).await;
        let mut c = app.client(support::ICHIKAWA_HOST);
        let start_url = format!("/procedures/{KOSEKI}/apply");
        // The consent page asks for exactly the three facts the shipped form prefills.
        let consent = c
            .get(&format!("/auth/card?next={start_url}&procedure={KOSEKI}"))
            .await;
        for fact in ["氏名", "住所", "生年月日"] {
            assert!(consent.body.contains(fact), "{fact}: {}", consent.body);
        }
        assert!(!consent.body.contains("性別"), "gender is not asked for");
        card_login(&mut c, "0", &start_url, KOSEKI, true).await;
        let h = &sandbox::HOLDERS[0];

        let page = c.get(&format!("{start_url}/applicant")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let b = &page.body;
        for (name, value) in [
            ("f.applicant_name.family", "市川"),
            ("f.applicant_name.given", "花子"),
            ("f.applicant_birth_date", "昭和63年4月12日"),
            ("f.applicant_address.address", h.address),
        ] {
            let tag = input_tag(b, name);
            assert!(tag.contains(&format!("value=\"{value}\"")), "{tag}");
            assert!(tag.contains(" readonly"), "{name} is read-only: {tag}");
        }
        for name in [
            "f.applicant_name.family_kana",
            "f.applicant_name.given_kana",
            "f.applicant_address.postal_code",
            "f.applicant_address.building",
            "f.phone",
        ] {
            assert!(
                !input_tag(b, name).contains("readonly"),
                "{name} stays editable"
            );
        }
        assert_eq!(
            b.matches("マイナンバーカードで確認済み").count(),
            3,
            "one badge per verified field"
        );
        assert!(
            !b.contains("value=\"postal:f.applicant_address\""),
            "no postal lookup that would replace the verified address"
        );

        // A forged POST cannot change the verified parts; the editable ones are kept.
        let r = c
            .post_form(
                &format!("{start_url}/applicant"),
                &[
                    ("f.applicant_name.family", "偽名"),
                    ("f.applicant_name.given", "太郎"),
                    ("f.applicant_name.family_kana", "イチカワ"),
                    ("f.applicant_name.given_kana", "ハナコ"),
                    ("f.applicant_birth_date", "平成元年1月8日"),
                    ("f.applicant_address.postal_code", "272-0021"),
                    ("f.applicant_address.address", "東京都千代田区永田町1丁目"),
                    ("f.applicant_address.building", "八幡ハイツ101"),
                    ("f.phone", "090-1234-5678"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let draft = stored_answers(fetch_raw(&db, "SELECT answers FROM application_drafts").await);
        assert_eq!(
            draft["applicant_name"],
            json!({"family": "市川", "given": "花子", "family_kana": "イチカワ", "given_kana": "ハナコ"})
        );
        assert_eq!(draft["applicant_birth_date"], "1988-04-12");
        assert_eq!(
            draft["applicant_address"],
            json!({"postal_code": "2720021", "address": h.address, "building": "八幡ハイツ101"})
        );

        let r = c
            .post_form(
                &format!("{start_url}/koseki"),
                &[
                    ("f.honseki", "千葉県市川市八幡二丁目15番地"),
                    ("f.hittosha.family", "市川"),
                    ("f.hittosha.given", "太郎"),
                    ("f.relation", "lineal"),
                    ("f.kind", "zenbu"),
                    ("f.copies", "2"),
                    ("f.joseki_copies", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = c
            .post_form(&format!("{start_url}/consent"), &[("f.agree", "on")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let check = c.get(&format!("{start_url}/check")).await;
        assert_eq!(check.status, StatusCode::OK, "{}", check.body);
        assert!(
            check.body.contains("1,650円"),
            "2 × 450 + 750: {}",
            check.body
        );
        assert!(!check.body.contains("偽名") && !check.body.contains("永田町"));
        let r = c
            .post_form(
                &format!("{start_url}/submit"),
                &[("key", &key_of(&check.body))],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let answers = stored_answers(fetch_raw(&db, "SELECT answers FROM applications").await);
        assert_eq!(answers["applicant_name"]["family"], "市川");
        assert_eq!(answers["applicant_birth_date"], "1988-04-12");
        assert_eq!(answers["applicant_address"]["address"], h.address);
        // Step 1 of the journey: the fee is fixed at submission and due before review.
        let fee: Vec<(i64, String, String)> = fetch_raw(
            &db,
            "SELECT amount_yen, source, due_before FROM application_fees",
        )
        .await;
        assert_eq!(fee, vec![(1650, "submission".into(), "review".into())]);
    }
);

/// A card-level form with a gender choice and a name, for a resident who typed it before
/// signing in with the card.
async fn gender_procedure(db: &Db) {
    card_procedure(db).await;
    let id: Vec<(i64,)> = fetch_raw(
        db,
        "SELECT id FROM procedures WHERE slug = 'juminhyo' AND municipality_id = '122033'",
    )
    .await;
    exec(
        db,
        &format!(
            "UPDATE form_versions SET state = 'archived' WHERE procedure_id = {} AND state = 'published'",
            id[0].0
        ),
    )
    .await;
    let def = serde_json::from_value(json!({
        "format": 1, "title_ja": "住民票の写しの交付請求", "title_en": "Residence record copy",
        "pages": [{
            "id": "main", "title_ja": "請求の内容", "title_en": "Request",
            "fields": [
                {"id": "who", "label_ja": "氏名", "label_en": "Name", "type": "name",
                 "furigana": false, "prefill": "verified.name"},
                {"id": "sex", "label_ja": "性別", "label_en": "Sex", "type": "choice",
                 "prefill": "verified.gender", "options": [
                    {"value": "female", "label_ja": "女性", "label_en": "Female"},
                    {"value": "male", "label_ja": "男性", "label_en": "Male"},
                    {"value": "no_answer", "label_ja": "回答しない", "label_en": "Prefer not to say"}]},
                {"id": "copies", "label_ja": "通数", "label_en": "Copies", "type": "number", "min": 1, "max": 10}
            ]
        }]
    }))
    .expect("definition");
    assert!(madoguchi::procedures::form::check_definition(&def).is_empty());
    let mut tx = db.begin().await.expect("tx");
    madoguchi::procedures::form::store::insert(
        &mut tx,
        "122033",
        id[0].0,
        91,
        "published",
        &def,
        None,
    )
    .await
    .expect("form version");
    tx.commit().await.expect("commit");
}

db_test!(
    gender_choice_is_prefilled_and_a_draft_typed_before_the_card_cannot_keep_other_facts,
    |db: Db| async move {
        let (app, _dir) = app(db.clone()).await;
        gender_procedure(&db).await;
        let mut c = app.client(support::ICHIKAWA_HOST);
        let r = c
            .post_form(
                "/login",
                &[
                    ("email", "hanako@example.jp"),
                    ("password", madoguchi::demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // With a password session nothing is verified: the fields are ordinary.
        let page = c.get(&format!("/procedures/{SLUG}/apply/main")).await;
        assert!(!page.body.contains("マイナンバーカードで確認済み"));
        assert!(!input_tag(&page.body, "f.who.family").contains("readonly"));
        let r = c
            .post_form(
                &format!("/procedures/{SLUG}/apply/main"),
                &[
                    ("f.who.family", "別人"),
                    ("f.who.given", "次郎"),
                    ("f.sex", "male"),
                    ("f.copies", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

        // The card sign-in links this account and verifies the facts; the check page and the
        // submission hold the card's values, not the ones typed before.
        let next = format!("/procedures/{SLUG}/apply/check");
        card_login(&mut c, "2", &next, SLUG, true).await;
        let h = &sandbox::HOLDERS[2];
        let check = c.get(&next).await;
        assert_eq!(check.status, StatusCode::OK, "{}", check.body);
        assert!(check.body.contains("国府台") && check.body.contains("さくら"));
        assert!(check.body.contains("女性"), "{}", check.body);
        assert!(!check.body.contains("別人") && !check.body.contains("男性"));

        // On the page the choice is fixed: the other options are disabled, and a forged
        // answer is replaced.
        let page = c.get(&format!("/procedures/{SLUG}/apply/main")).await;
        let female = input_tag(&page.body, "f.sex");
        assert!(
            female.contains("value=\"female\"") && female.contains(" checked"),
            "{female}"
        );
        assert!(!female.contains("disabled"));
        assert_eq!(page.body.matches(" disabled").count(), 2, "{}", page.body);
        let r = c
            .post_form(
                &format!("/procedures/{SLUG}/apply/main"),
                &[
                    ("f.who.family", "別人"),
                    ("f.who.given", "次郎"),
                    ("f.sex", "no_answer"),
                    ("f.copies", "3"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let check = c.get(&next).await;
        let r = c
            .post_form(
                &format!("/procedures/{SLUG}/apply/submit"),
                &[("key", &key_of(&check.body))],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let answers = stored_answers(fetch_raw(&db, "SELECT answers FROM applications").await);
        let (family, given) = h.name.split_once(' ').expect("a space");
        assert_eq!(
            answers,
            json!({"who": {"family": family, "given": given}, "sex": "female", "copies": 3})
        );

        // A 補正依頼 naming the verified name and the copies: the resident may fix the copies,
        // but a resubmission cannot change what the card verified.
        let receipt: Vec<(String,)> = fetch_raw(&db, "SELECT receipt FROM applications").await;
        let receipt = receipt[0].0.clone();
        let mut clerk = app.client(support::ICHIKAWA_HOST);
        let r = clerk
            .post_form(
                "/staff/login",
                &[
                    ("email", "shimin@city.ichikawa.example.jp"),
                    ("password", madoguchi::demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        for extra in [
            vec![("action", "start_review")],
            vec![
                ("action", "request_correction"),
                ("fields", "who"),
                ("fields", "copies"),
                ("text", "通数を確かめてください。"),
            ],
        ] {
            let r = clerk
                .post_form(&format!("/staff/cases/{receipt}/action"), &extra)
                .await;
            assert!(r.status.is_redirection(), "{}", r.body);
        }
        let r = c
            .post_form(
                &format!("/applications/{receipt}/resubmit"),
                &[
                    ("f.who.family", "別人"),
                    ("f.who.given", "次郎"),
                    ("f.copies", "2"),
                ],
            )
            .await;
        assert!(r.status.is_redirection(), "{}", r.body);
        let answers = stored_answers(fetch_raw(&db, "SELECT answers FROM applications").await);
        assert_eq!(
            answers,
            json!({"who": {"family": family, "given": given}, "sex": "female", "copies": 2})
        );
    }
);

// ---- staff re-link when the card's `sub` changed ---------------------------------------------

async fn staff_in<'a>(app: &'a TestApp, email: &str) -> Client<'a> {
    let mut s = app.client(support::ICHIKAWA_HOST);
    let r = s
        .post_form(
            "/staff/login",
            &[("email", email), ("password", madoguchi::demo::PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    s
}

async fn card_account(db: &Db, sub: &str) -> i64 {
    let rows: Vec<(i64,)> = fetch_raw(
        db,
        &format!(
            "SELECT user_id FROM identity_links WHERE provider = 'card' AND subject = '{sub}'"
        ),
    )
    .await;
    rows.first().map(|r| r.0).expect("a card link")
}

async fn link_rows(db: &Db) -> Vec<(i64, String)> {
    fetch_raw(
        db,
        "SELECT user_id, subject FROM identity_links WHERE provider = 'card' ORDER BY subject",
    )
    .await
}

db_test!(
    staff_move_a_renewed_card_to_the_old_account_after_comparing_facts,
    |db: Db| async move {
        let (app, _dir) = app(db.clone()).await;
        let next = format!("/procedures/{KOSEKI}/apply");
        // 市川 花子 linked her old card to her account.
        let mut c = app.client(support::ICHIKAWA_HOST);
        let r = c
            .post_form(
                "/login",
                &[
                    ("email", "hanako@example.jp"),
                    ("password", madoguchi::demo::PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        card_login(&mut c, "0", &next, KOSEKI, true).await;
        let hanako: Vec<(i64,)> = fetch_raw(
            &db,
            "SELECT id FROM users WHERE email = 'hanako@example.jp'",
        )
        .await;
        let hanako = hanako[0].0;
        // Her card was renewed and the provider now sends another `sub`: the new card is
        // unknown and signs in to a new account.
        exec(
            &db,
            "UPDATE identity_links SET subject = 'old-card-sub' WHERE provider = 'card'",
        )
        .await;
        let mut fresh = app.client(support::ICHIKAWA_HOST);
        card_login(&mut fresh, "0", &next, KOSEKI, true).await;
        let new_id = card_account(&db, sandbox::HOLDERS[0].sub).await;
        assert_ne!(new_id, hanako);
        // Another card holder, whose facts are not hers.
        let mut other = app.client(support::ICHIKAWA_HOST);
        card_login(&mut other, "1", &next, KOSEKI, true).await;
        let other_id = card_account(&db, sandbox::HOLDERS[1].sub).await;
        let before = link_rows(&db).await;

        // Only 市民課 and administrators see the screen.
        let mut dx = staff_in(&app, "dx@city.ichikawa.example.jp").await;
        assert_eq!(
            dx.get("/staff/identity/relink").await.status,
            StatusCode::NOT_FOUND
        );
        let mut s = staff_in(&app, "shimin@city.ichikawa.example.jp").await;
        let page = s
            .get("/staff/identity/relink?email=HANAKO@example.jp")
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("元のアカウント") && page.body.contains("hanako@example.jp"));
        assert!(page.body.contains("一致"), "{}", page.body);
        assert!(
            page.body
                .contains(&format!("name=\"new\" value=\"{new_id}\"")),
            "the new card's account is offered"
        );
        assert!(
            !page
                .body
                .contains(&format!("name=\"new\" value=\"{other_id}\"")),
            "another name is not a candidate"
        );
        let none = s
            .get("/staff/identity/relink?email=nobody@example.jp")
            .await;
        assert!(none.body.contains("住民アカウントが見つかりません"));

        // Refusals change nothing: no identity document ticked, facts that differ.
        let (old_s, new_s, other_s) =
            (hanako.to_string(), new_id.to_string(), other_id.to_string());
        let r = s
            .post_form(
                "/staff/identity/relink",
                &[("old", &old_s), ("new", &new_s)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("本人確認書類"), "{}", r.body);
        let r = s
            .post_form(
                "/staff/identity/relink",
                &[("old", &old_s), ("new", &other_s), ("checked", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert!(r.body.contains("確認済みの情報が違う"), "{}", r.body);
        assert_eq!(link_rows(&db).await, before);
        assert!(!actions(&db).await.iter().any(|a| a == "identity.relinked"));

        // The move: the new card now belongs to the old account; the new account is closed.
        let r = s
            .post_form(
                "/staff/identity/relink",
                &[("old", &old_s), ("new", &new_s), ("checked", "on")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let done = s.get(r.location()).await;
        assert!(
            done.body
                .contains("新しいカードを元のアカウントにつなぎました")
        );
        let mut want = vec![
            (hanako, sandbox::HOLDERS[0].sub.to_owned()),
            (other_id, sandbox::HOLDERS[1].sub.to_owned()),
        ];
        want.sort_by(|a, b| a.1.cmp(&b.1));
        assert_eq!(link_rows(&db).await, want, "the old card's link is gone");
        let closed: Vec<(i64,)> = fetch_raw(
            &db,
            &format!("SELECT COUNT(*) FROM users WHERE id = {new_id} AND disabled_at IS NOT NULL"),
        )
        .await;
        assert_eq!(closed[0].0, 1);
        let sessions: Vec<(i64,)> = fetch_raw(
            &db,
            &format!("SELECT COUNT(*) FROM sessions WHERE user_id = {new_id}"),
        )
        .await;
        assert_eq!(sessions[0].0, 0, "the new account is signed out");
        let facts: Vec<(String,)> = fetch_raw(
            &db,
            &format!("SELECT fact FROM verified_facts WHERE user_id = {hanako} ORDER BY fact"),
        )
        .await;
        assert_eq!(facts.len(), 3, "{facts:?}");
        let detail: Vec<(String, String)> = fetch_raw(
            &db,
            "SELECT target, detail FROM audit_events WHERE action = 'identity.relinked'",
        )
        .await;
        assert_eq!(detail.len(), 1);
        assert_eq!(detail[0].0, format!("user:{hanako}"));
        assert!(
            detail[0].1.contains(&format!("\"from_user\":{new_id}")),
            "{}",
            detail[0].1
        );

        // The next card sign-in lands in her account.
        let mut again = app.client(support::ICHIKAWA_HOST);
        card_login(&mut again, "0", "/mypage", "", false).await;
        let latest: Vec<(i64,)> = fetch_raw(
            &db,
            "SELECT user_id FROM sessions ORDER BY created_at DESC, id_hash LIMIT 1",
        )
        .await;
        assert_eq!(latest[0].0, hanako);
        let page = again.get("/mypage").await;
        assert!(page.body.contains("hanako@example.jp") || page.body.contains("市川 花子"));
    }
);
