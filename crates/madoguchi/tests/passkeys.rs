//! Passkeys through the whole HTTP stack, on SQLite and PostgreSQL: the full WebAuthn ceremony
//! with a software authenticator (webauthn-authenticator-rs `SoftPasskey`), the server-side
//! ceremony state (single use, five minutes, bound to its purpose, user and municipality),
//! CSRF on the JSON endpoints, deletion, and municipality scoping.
//!
//! WebAuthn needs a host name (not an IP address) and, over plain http, `localhost`: these
//! tests use the demo host `localhost` (市川市).

#[macro_use]
mod common;
mod support;

use axum::http::StatusCode;
use base64::Engine;
use madoguchi::config::Config;
use madoguchi::db::Db;
use serde_json::{Value, json};
use support::*;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::prelude::{
    CreationChallengeResponse, PublicKeyCredential, RequestChallengeResponse, Url,
};
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const PW: &str = "demo-password-2026";
const LOCALHOST: &str = "localhost";

fn b64u(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64u(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .expect("base64url")
}

fn origin() -> Url {
    Url::parse("http://localhost").expect("url")
}

/// A software authenticator standing in for the browser + platform authenticator.
struct Device {
    key: SoftPasskey,
    /// Credential id (base64url) and WebAuthn user handle of the registered passkey.
    cred_id: String,
    user_handle: Vec<u8>,
}

impl Device {
    fn new() -> Device {
        Device {
            // `true`: the soft token claims user verification (as Chrome's virtual one does).
            key: SoftPasskey::new(true),
            cred_id: String::new(),
            user_handle: Vec::new(),
        }
    }
}

/// Runs register/start → authenticator → register/finish as the signed-in user of `c`.
/// Returns the finish response.
async fn register(c: &mut Client<'_>, dev: &mut Device, name: &str) -> Resp {
    let r = c.post_json("/passkeys/register/start", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(c.cookies.contains_key("__Host-webauthn"));
    let mut options = r.json();
    let pk = &options["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    dev.user_handle = unb64u(pk["user"]["id"].as_str().expect("user id"));
    // SoftPasskey cannot store resident keys; a platform authenticator would. The server
    // does not depend on the flag, so the test authenticator is told not to insist.
    options["publicKey"]["authenticatorSelection"]["requireResidentKey"] = json!(false);
    let ccr: CreationChallengeResponse = serde_json::from_value(options).expect("ccr");
    let cred = dev
        .key
        .do_registration(origin(), ccr)
        .expect("soft authenticator registers");
    dev.cred_id = b64u(&cred.raw_id);
    c.post_json(
        "/passkeys/register/finish",
        &json!({ "credential": cred, "name": name }),
    )
    .await
}

/// Runs login/start and the authenticator; returns the credential to post to login/finish.
/// A discoverable login sends no allowCredentials; the soft token needs the id to find its
/// key, and returns no user handle, so both are filled in as a platform authenticator would.
async fn assertion(c: &mut Client<'_>, dev: &mut Device) -> PublicKeyCredential {
    let r = c.post_json("/passkeys/login/start", &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut options = r.json();
    assert!(options.get("mediation").is_none(), "{options}");
    let pk = &options["publicKey"];
    assert_eq!(pk["rpId"], "localhost");
    assert_eq!(pk["userVerification"], "required");
    assert!(
        pk.get("allowCredentials")
            .and_then(Value::as_array)
            .is_none_or(|a| a.is_empty()),
        "usernameless login must not list credentials: {pk}"
    );
    options["publicKey"]["allowCredentials"] = json!([{ "type": "public-key", "id": dev.cred_id }]);
    let rcr: RequestChallengeResponse = serde_json::from_value(options).expect("rcr");
    let mut cred = dev
        .key
        .do_authentication(origin(), rcr)
        .expect("soft authenticator signs");
    cred.response.user_handle = Some(dev.user_handle.clone());
    cred
}

async fn login_with(c: &mut Client<'_>, dev: &mut Device) -> Resp {
    let cred = assertion(c, dev).await;
    c.post_json("/passkeys/login/finish", &json!(cred)).await
}

async fn count(db: &Db, sql: &str) -> i64 {
    common::fetch_raw::<(i64,)>(db, sql).await[0].0
}

async fn last_login_detail(db: &Db) -> String {
    common::fetch_raw::<(String,)>(
        db,
        "SELECT detail FROM audit_events WHERE action = 'login' ORDER BY id DESC LIMIT 1",
    )
    .await[0]
        .0
        .clone()
}

db_test!(register_login_and_delete_a_passkey, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(LOCALHOST);
    assert_eq!(
        c.login("hanako@example.jp", PW).await.status,
        StatusCode::SEE_OTHER
    );
    let r = c.get("/mypage").await;
    assert!(r.body.contains("パスキー") && r.body.contains("登録されたパスキーはありません"));
    // Hidden until the script finds WebAuthn; a plain message for browsers without it.
    assert!(r.body.contains("data-passkey=\"register\" hidden"));
    assert!(r.body.contains("/static/js/passkey.js"));

    let mut dev = Device::new();
    let r = register(&mut c, &mut dev, "  テスト端末  ").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["redirect"], "/mypage?done=passkey_added");
    assert!(
        !c.cookies.contains_key("__Host-webauthn"),
        "challenge cookie kept"
    );
    // Browsers replace a __Host- cookie only with a Secure, Path=/ Set-Cookie.
    let removal = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .find(|s| s.starts_with("__Host-webauthn="))
        .expect("challenge cookie removed");
    for attr in ["Secure", "Path=/", "Max-Age=0"] {
        assert!(removal.contains(attr), "{removal} lacks {attr}");
    }
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM webauthn_challenges").await,
        0
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM passkeys").await, 1);
    let r = c.get("/mypage?done=passkey_added").await;
    assert!(r.body.contains("パスキーを登録しました"), "{}", r.body);
    assert!(r.body.contains("<td>テスト端末</td>"), "{}", r.body);
    assert!(r.body.contains("まだ使われていません"));
    let (pid, stored_id) =
        common::fetch_raw::<(i64, String)>(&db, "SELECT id, credential_id FROM passkeys").await[0]
            .clone();
    assert_eq!(stored_id, dev.cred_id);

    // Logged out, in a fresh browser: the passkey alone logs in (no e-mail typed).
    let old_session = c.cookies.get("__Host-session").cloned().expect("session");
    let mut fresh = app.client(LOCALHOST);
    let r = login_with(&mut fresh, &mut dev).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["redirect"], "/mypage");
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
    let r = fresh.get("/mypage").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("市川 花子"));
    assert!(
        !r.body.contains("まだ使われていません"),
        "last use not recorded"
    );
    let detail = last_login_detail(&db).await;
    assert!(
        detail.contains("\"method\":\"passkey\"") && detail.contains("\"kind\":\"resident\""),
        "{detail}"
    );
    assert!(
        count(
            &db,
            "SELECT COUNT(*) FROM passkeys WHERE last_used_at IS NOT NULL"
        )
        .await
            == 1
    );

    // A passkey login while signed in cycles the session id, like the password login.
    let r = login_with(&mut c, &mut dev).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_ne!(c.cookies.get("__Host-session"), Some(&old_session));
    let mut stale = app.client(LOCALHOST);
    stale.cookies.insert("__Host-session".into(), old_session);
    assert_eq!(stale.get("/mypage").await.status, StatusCode::SEE_OTHER);

    // Delete it from My Page (a plain form): audited, gone, and no longer logs in.
    let r = c.post_form(&format!("/passkeys/{pid}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), "/mypage?done=passkey_deleted");
    let r = c.get("/mypage?done=passkey_deleted").await;
    assert!(
        r.body.contains("パスキーを削除しました")
            && r.body.contains("登録されたパスキーはありません")
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM passkeys").await, 0);
    let r = c.post_form(&format!("/passkeys/{pid}/delete"), &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let mut other = app.client(LOCALHOST);
    let r = login_with(&mut other, &mut dev).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["code"], "unknown_passkey");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .expect("message")
            .contains("このパスキーは登録されていません")
    );
    assert!(!other.cookies.contains_key("__Host-session"));

    let actions = audit_actions(&db).await;
    for a in ["passkey.registered", "passkey.deleted"] {
        assert_eq!(
            actions.iter().filter(|x| *x == a).count(),
            1,
            "{a}: {actions:?}"
        );
    }
    assert_audit_intact(&db).await;
});

db_test!(
    ceremony_state_is_single_use_short_lived_and_bound,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut c = app.client(LOCALHOST);
        let junk = json!({
            "id": "AAAA",
            "rawId": "AAAA",
            "type": "public-key",
            "response": {
                "authenticatorData": "AAAA",
                "clientDataJSON": "AAAA",
                "signature": "AAAA",
                "userHandle": null
            }
        });

        // No ceremony started: a clear message, nothing else.
        let r = c.post_json("/passkeys/login/finish", &junk).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["error"]["code"], "no_challenge");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .expect("message")
                .contains("もう一度お試しください")
        );

        // Started, then left for more than five minutes.
        let r = c.post_json("/passkeys/login/start", &json!({})).await;
        assert_eq!(r.status, StatusCode::OK);
        let set = r
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().expect("ascii").to_owned())
            .find(|s| s.starts_with("__Host-webauthn="))
            .expect("challenge cookie");
        for attr in [
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=300",
        ] {
            assert!(set.contains(attr), "{set} lacks {attr}");
        }
        let (purpose, user, ttl) = common::fetch_raw::<(String, Option<i64>, i64)>(
            &db,
            "SELECT purpose, user_id, expires_at - created_at FROM webauthn_challenges",
        )
        .await[0]
            .clone();
        assert_eq!(
            (purpose.as_str(), user, ttl),
            ("authenticate", None, 300_000)
        );
        // Only the digest of the cookie's handle is stored.
        let handle = c.cookies.get("__Host-webauthn").cloned().expect("handle");
        assert_eq!(
            count(
                &db,
                &format!("SELECT COUNT(*) FROM webauthn_challenges WHERE id_hash = '{handle}'")
            )
            .await,
            0
        );
        common::exec(&db, "UPDATE webauthn_challenges SET expires_at = 1").await;
        let r = c.post_json("/passkeys/login/finish", &junk).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["error"]["code"], "challenge_expired");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .expect("message")
                .contains("時間切れ")
        );
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM webauthn_challenges").await,
            0
        );
        assert!(!c.cookies.contains_key("__Host-webauthn"));

        // Abandoned ceremonies are swept when the next one starts.
        c.post_json("/passkeys/login/start", &json!({})).await;
        common::exec(&db, "UPDATE webauthn_challenges SET expires_at = 1").await;
        c.post_json("/passkeys/login/start", &json!({})).await;
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM webauthn_challenges").await,
            1
        );

        // A used state cannot be replayed: the handle is gone once finish has read it.
        let handle = c.cookies.get("__Host-webauthn").cloned().expect("handle");
        let r = c.post_json("/passkeys/login/finish", &junk).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        c.cookies.insert("__Host-webauthn".into(), handle);
        let r = c.post_json("/passkeys/login/finish", &junk).await;
        assert_eq!(r.json()["error"]["code"], "no_challenge");

        // Registration needs a signed-in user.
        let r = c.post_json("/passkeys/register/start", &json!({})).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.json()["error"]["code"], "unauthorized");

        // A registration state is not a login state (and is not used up by trying).
        assert_eq!(
            c.login("hanako@example.jp", PW).await.status,
            StatusCode::SEE_OTHER
        );
        let r = c.post_json("/passkeys/register/start", &json!({})).await;
        assert_eq!(r.status, StatusCode::OK);
        let r = c.post_json("/passkeys/login/finish", &junk).await;
        assert_eq!(r.json()["error"]["code"], "no_challenge");
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM webauthn_challenges WHERE purpose = 'register'"
            )
            .await,
            1
        );
        // A garbage attestation is refused with a message, and nothing is stored.
        let r = c.post_json("/passkeys/register/start", &json!({})).await;
        assert_eq!(r.status, StatusCode::OK);
        let bad = json!({ "credential": {
            "id": "AAAA", "rawId": "AAAA", "type": "public-key",
            "response": { "attestationObject": "AAAA", "clientDataJSON": "AAAA" }
        }});
        let r = c.post_json("/passkeys/register/finish", &bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["error"]["code"], "register_failed");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .expect("message")
                .contains("パスキーを登録できませんでした")
        );
        assert_eq!(count(&db, "SELECT COUNT(*) FROM passkeys").await, 0);

        // In English for an English visitor.
        c.cookies.insert("lang".into(), "en".into());
        let r = c.post_json("/passkeys/login/finish", &junk).await;
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .expect("message")
                .contains("Please reload the page")
        );

        // Not on an IP address: WebAuthn has no relying party there.
        let mut ip = app.client(ICHIKAWA_HOST);
        assert_eq!(
            ip.login("hanako@example.jp", PW).await.status,
            StatusCode::SEE_OTHER
        );
        let r = ip.post_json("/passkeys/register/start", &json!({})).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.json()["error"]["code"], "unavailable");
        let r = ip.post_json("/passkeys/login/start", &json!({})).await;
        assert_eq!(r.json()["error"]["code"], "unavailable");
    }
);

db_test!(json_posts_need_the_csrf_header, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(LOCALHOST);
    assert_eq!(
        c.login("hanako@example.jp", PW).await.status,
        StatusCode::SEE_OTHER
    );
    for headers in [
        vec![],
        vec![(
            "x-csrf-token",
            "0123456789abcdef0123456789abcdef0123456789a",
        )],
    ] {
        let r = c
            .post_json_with("/passkeys/register/start", &json!({}), &headers)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.json()["error"]["code"], "forbidden");
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .expect("message")
                .contains("もう一度送信してください")
        );
    }
    // Cross-site, even with the right token: refused by the fetch-metadata check.
    let csrf = c.csrf();
    let r = c
        .post_json_with(
            "/passkeys/login/start",
            &json!({}),
            &[
                ("x-csrf-token", &csrf),
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The start endpoints accept only JSON (so the header check always applies).
    let r = c
        .post_raw("/passkeys/login/start", &[("csrf", &csrf)], &[])
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM webauthn_challenges").await,
        0
    );
    // The form delete needs the form token like every form.
    let r = c.post_raw("/passkeys/1/delete", &[], &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
});

db_test!(
    a_passkey_works_only_in_its_municipality,
    |db: Db| async move {
        let app = TestApp::demo(db.clone()).await;
        let mut hanako = app.client(LOCALHOST);
        assert_eq!(
            hanako.login("hanako@example.jp", PW).await.status,
            StatusCode::SEE_OTHER
        );
        let mut dev = Device::new();
        let r = register(&mut hanako, &mut dev, "花子のスマホ").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let pid = count(&db, "SELECT id FROM passkeys").await;

        // Nobody else can delete it: not a resident of another town, not staff of the same city.
        let mut taro = app.client(SHISUI_HOST);
        assert_eq!(
            taro.login("taro@example.jp", PW).await.status,
            StatusCode::SEE_OTHER
        );
        let r = taro
            .post_form(&format!("/passkeys/{pid}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let mut admin = app.client(LOCALHOST);
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
        let r = admin
            .post_form(&format!("/passkeys/{pid}/delete"), &[])
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM passkeys").await, 1);
        assert!(
            !audit_actions(&db)
                .await
                .iter()
                .any(|a| a == "passkey.deleted")
        );

        // The same host name serving another municipality (a re-mapped deployment): the
        // credential is valid for the host, but it belongs to 市川市, so 酒々井町 refuses it.
        let mut cfg = Config::default();
        cfg.hosts.insert(LOCALHOST.into(), "123226".into());
        let shisui = TestApp::with_config(db.clone(), cfg).await;
        let mut c = shisui.client(LOCALHOST);
        let r = login_with(&mut c, &mut dev).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.json()["error"]["code"], "unknown_passkey");
        assert!(!c.cookies.contains_key("__Host-session"));
        // …while at home it still works.
        let mut again = app.client(LOCALHOST);
        let r = login_with(&mut again, &mut dev).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
);

db_test!(staff_can_use_passkeys_too, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let mut c = app.client(LOCALHOST);
    let r = c
        .post_form(
            "/staff/login",
            &[
                ("email", "shimin@city.ichikawa.example.jp"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(r.location(), "/staff");
    let r = c.get("/staff").await;
    assert!(
        r.body.contains("登録されたパスキーはありません"),
        "{}",
        r.body
    );
    let mut dev = Device::new();
    let r = register(&mut c, &mut dev, "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["redirect"], "/staff?done=passkey_added");
    let r = c.get("/staff?done=passkey_added").await;
    assert!(r.body.contains("パスキーを登録しました"));
    // No name given and no User-Agent: the default name.
    assert!(r.body.contains("<td>パスキー</td>"), "{}", r.body);
    // The staff login page offers the passkey button as well; login lands on 職員ホーム.
    let mut fresh = app.client(LOCALHOST);
    let r = fresh.get("/staff/login").await;
    assert!(r.body.contains("パスキーでログイン"));
    let r = login_with(&mut fresh, &mut dev).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["redirect"], "/staff");
    let r = fresh.get("/staff").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("職員ホーム"));
    assert!(last_login_detail(&db).await.contains("\"kind\":\"staff\""));
});
