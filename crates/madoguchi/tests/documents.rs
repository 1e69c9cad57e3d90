//! PDF documents (issue 4, "Documents") through the whole HTTP stack on SQLite and PostgreSQL:
//! the receipt's text (extracted with poppler's pdftotext) and embedded font (pdffonts), who may
//! download it, the notice issued and stored at the decision, its CMS signature (valid, tampered
//! file, wrong key), and `madoguchi document verify`.
//!
//! Needs poppler-utils (`apt-get install poppler-utils`; scripts/test.sh installs it) and a
//! Japanese font (fonts-noto-cjk).

#[macro_use]
mod common;
#[allow(dead_code)]
mod app_fixture;
mod support;

use std::path::Path;
use std::process::Command;

use app_fixture::*;
use axum::http::{StatusCode, header};
use madoguchi::config::Config;
use madoguchi::db::Db;
use madoguchi::documents::content::{both_dates, jst};
use madoguchi::documents::sign::{self, VerifyError};
use madoguchi::procedures::receipt::ReceiptNumber;
use support::*;

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "{tool} is required for the document tests ({e}): apt-get install poppler-utils \
             (scripts/test.sh installs it)"
        )
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of a PDF, as pdftotext extracts it (layout kept), with spaces removed so that
/// Japanese words split by the layout still match.
fn pdf_text(pdf: &[u8]) -> (String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("doc.pdf");
    std::fs::write(&p, pdf).expect("write pdf");
    let text = poppler("pdftotext", &["-layout", p.to_str().expect("path"), "-"]);
    let fonts = poppler("pdffonts", &[p.to_str().expect("path")]);
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (squeezed, fonts)
}

/// Every font in the PDF is embedded and subset (pdffonts columns `emb` and `sub`).
fn assert_fonts_embedded(fonts: &str) {
    let rows: Vec<&str> = fonts
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(!rows.is_empty(), "no fonts in the PDF:\n{fonts}");
    for r in rows {
        let cols: Vec<&str> = r.split_whitespace().collect();
        // name type... encoding emb sub uni object ID
        let n = cols.len();
        assert!(n >= 7, "{r}");
        assert_eq!(cols[n - 5], "yes", "font not embedded: {r}");
        assert_eq!(cols[n - 4], "yes", "font not subset: {r}");
        assert!(
            r.contains('+'),
            "subset fonts carry a tag like ABCDEF+: {r}"
        );
    }
}

async fn procedure_name(db: &Db, id: i64) -> String {
    let rows: Vec<(String,)> = common::fetch_raw(
        db,
        &format!("SELECT name_ja FROM procedures WHERE id = {id}"),
    )
    .await;
    rows[0].0.clone()
}

/// A config whose notices are signed with a fresh self-signed key in `dir`.
fn signing_config(dir: &Path) -> Config {
    let (key, cert) = sign::ensure_demo_certificate(dir, "Test signer").expect("cert");
    let mut cfg = Config::default();
    cfg.documents.signing_key = key.display().to_string();
    cfg.documents.signing_cert = cert.display().to_string();
    cfg
}

db_test!(receipt_pdf_text_font_and_access, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    let f = Fixture::new(&app).await;
    let receipt = new_case(&app, &f, "doc-1").await;
    let shown = ReceiptNumber::parse(&receipt).expect("receipt").to_string();
    let path = format!("/api/v1/applications/{receipt}/receipt.pdf");

    let hanako = resident(&app, ICHIKAWA_HOST, HANAKO).await;
    let (status, headers, pdf) = raw_get(&app, &hanako, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let (text, fonts) = pdf_text(&pdf);
    let today = both_dates(jst(madoguchi::db::now_ms()).date());
    let procedure = procedure_name(&db, f.procedure_id).await;
    for needle in [
        "受付票",
        shown.as_str(),
        "市川市",
        "市川花子",
        procedure.as_str(),
        "市民課",
        "300円",
        today.as_str(),
        "令和",
    ] {
        assert!(text.contains(needle), "receipt lacks {needle:?}:\n{text}");
    }
    // 西暦 too: the year in four digits.
    let year = format!("{}年", jst(madoguchi::db::now_ms()).year());
    assert!(text.contains(&year), "{text}");
    assert_fonts_embedded(&fonts);
    assert!(fonts.contains("CJK"), "the Noto CJK font is used:\n{fonts}");

    // The handling department's staff may download it; a forgiving receipt form works.
    let clerk = staff(&app, ICHIKAWA_HOST, SHIMIN_STAFF).await;
    let (status, _, _) = raw_get(
        &app,
        &clerk,
        &format!("/api/v1/applications/{}/receipt.pdf", shown.to_lowercase()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Another resident, another department and another municipality: 404.
    let jiro = resident(&app, ICHIKAWA_HOST, OTHER_RESIDENT).await;
    assert_eq!(raw_get(&app, &jiro, &path).await.0, StatusCode::NOT_FOUND);
    let nozei = staff(&app, ICHIKAWA_HOST, OTHER_DEPT).await;
    assert_eq!(raw_get(&app, &nozei, &path).await.0, StatusCode::NOT_FOUND);
    let taro = resident(&app, SHISUI_HOST, "taro@example.jp").await;
    assert_eq!(raw_get(&app, &taro, &path).await.0, StatusCode::NOT_FOUND);
    // Nobody signed in: 401.
    let anon = app.client(ICHIKAWA_HOST);
    assert_eq!(
        raw_get(&app, &anon, &path).await.0,
        StatusCode::UNAUTHORIZED
    );
    // No notice before a decision.
    let (status, _, _) = raw_get(
        &app,
        &hanako,
        &format!("/api/v1/applications/{receipt}/notice.pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The resident's page and the staff case page link to it.
    let mut hanako = hanako;
    let page = hanako.get(&format!("/applications/{receipt}")).await;
    assert!(page.body.contains("受付票（PDF）"), "{}", page.body);
    assert!(page.body.contains(&path));
    assert!(!page.body.contains("通知書（PDF）"));
    let mut clerk = clerk;
    let page = clerk.get(&format!("/staff/cases/{receipt}")).await;
    assert!(page.body.contains(&path), "{}", page.body);
    // The routes are in the OpenAPI document.
    let doc = clerk.get("/api/v1/openapi.json").await.json();
    for p in [
        "/api/v1/applications/{receipt}/receipt.pdf",
        "/api/v1/applications/{receipt}/notice.pdf",
        "/api/v1/applications/{receipt}/notices/{decision}/notice.pdf.p7s",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} missing from OpenAPI");
    }
});

async fn act(c: &mut Client<'_>, receipt: &str, fields: &[(&str, &str)]) {
    let r = c
        .post_form(&format!("/staff/cases/{receipt}/action"), fields)
        .await;
    assert!(
        r.status.is_redirection(),
        "{fields:?}: {} {}",
        r.status,
        r.body
    );
}

db_test!(
    notice_issued_at_decision_signed_and_verifiable,
    |db: Db| async move {
        let keys = tempfile::tempdir().expect("tempdir");
        let app = TestApp::with_config(db.clone(), signing_config(keys.path())).await;
        let f = Fixture::new(&app).await;
        let receipt = new_case(&app, &f, "doc-2").await;
        let shown = ReceiptNumber::parse(&receipt).expect("receipt").to_string();
        let mut reviewer = staff(&app, ICHIKAWA_HOST, REVIEWER).await;
        act(&mut reviewer, &receipt, &[("action", "start_review")]).await;
        act(
            &mut reviewer,
            &receipt,
            &[
                ("action", "reject"),
                ("reason", "請求の対象となる世帯に属していないため"),
            ],
        )
        .await;
        assert_eq!(app_state(&db, &receipt).await, "rejected");

        let hanako = resident(&app, ICHIKAWA_HOST, HANAKO).await;
        let path = format!("/api/v1/applications/{receipt}/notice.pdf");
        let (status, headers, pdf) = raw_get(&app, &hanako, &path).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/pdf");
        let (text, fonts) = pdf_text(&pdf);
        let today = both_dates(jst(madoguchi::db::now_ms()).date());
        for needle in [
            "不承認通知書",
            shown.as_str(),
            "市川花子様",
            "市川市長田中甲",
            "請求の対象となる世帯に属していないため",
            "教示",
            "3か月以内",
            "審査請求",
            "6か月以内",
            "取消しの訴え",
            "市民第",
            today.as_str(),
            "047-334-1111",
        ] {
            assert!(text.contains(needle), "notice lacks {needle:?}:\n{text}");
        }
        assert_fonts_embedded(&fonts);
        // The seal is an image in the PDF.
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("notice.pdf");
        std::fs::write(&file, &pdf).expect("write");
        let images = poppler("pdfimages", &["-list", file.to_str().expect("path")]);
        assert!(
            images.lines().count() >= 3,
            "the seal image is missing:\n{images}"
        );

        // Stored at the decision: the same bytes every time, and audited.
        let (_, _, again) = raw_get(&app, &hanako, &path).await;
        assert_eq!(pdf, again);
        let actions = audit_actions(&db).await;
        assert!(
            actions.iter().any(|a| a == "document.notice_issued"),
            "{actions:?}"
        );
        assert_audit_intact(&db).await;

        // The detached signature verifies against the configured certificate.
        let (status, headers, p7s) = raw_get(&app, &hanako, &format!("{path}.p7s")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/pkcs7-signature");
        let trusted = sign::read_cert(&keys.path().join("demo-signing-cert.pem")).expect("cert");
        let ok = sign::verify(&pdf, &p7s, &trusted).expect("valid signature");
        assert_eq!(ok.sha256.len(), 64);
        // A changed PDF fails.
        let mut tampered = pdf.clone();
        let at = tampered.len() / 2;
        tampered[at] ^= 0x01;
        assert_eq!(
            sign::verify(&tampered, &p7s, &trusted).expect_err("tampered"),
            VerifyError::DigestMismatch
        );
        // A signature made with another key fails, and so does checking against another
        // certificate.
        let other = tempfile::tempdir().expect("tempdir");
        let (k2, c2) = sign::ensure_demo_certificate(other.path(), "Someone else").expect("cert");
        let forger = sign::Signer::from_files(&k2, &c2).expect("signer");
        let forged = forger.sign_detached(&pdf, 0).expect("sign");
        assert!(matches!(
            sign::verify(&pdf, &forged, &trusted),
            Err(VerifyError::UntrustedSigner(_))
        ));
        let other_cert = sign::read_cert(&c2).expect("cert");
        assert!(sign::verify(&pdf, &p7s, &other_cert).is_err());
        // Garbage is not a signature.
        assert!(matches!(
            sign::verify(&pdf, b"not a signature", &trusted),
            Err(VerifyError::Malformed(_))
        ));

        // The pages link to the notice and its signature; another resident gets 404.
        let mut hanako = hanako;
        let page = hanako.get(&format!("/applications/{receipt}")).await;
        assert!(page.body.contains("通知書（PDF）"), "{}", page.body);
        assert!(page.body.contains(&format!(
            "/api/v1/applications/{receipt}/notices/rejected/notice.pdf.p7s"
        )));
        let (status, _, by_decision) = raw_get(
            &app,
            &hanako,
            &format!("/api/v1/applications/{receipt}/notices/rejected/notice.pdf"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(by_decision, pdf);
        let jiro = resident(&app, ICHIKAWA_HOST, OTHER_RESIDENT).await;
        assert_eq!(raw_get(&app, &jiro, &path).await.0, StatusCode::NOT_FOUND);
        assert_eq!(
            raw_get(&app, &jiro, &format!("{path}.p7s")).await.0,
            StatusCode::NOT_FOUND
        );
        let page = reviewer.get(&format!("/staff/cases/{receipt}")).await;
        assert!(page.body.contains("通知書（PDF）"), "{}", page.body);
    }
);

db_test!(
    approval_then_completion_gives_two_notices,
    |db: Db| async move {
        // Unsigned (no key configured): the notice says so and there is no .p7s.
        let app = TestApp::demo(db.clone()).await;
        let f = Fixture::new(&app).await;
        let receipt = new_case(&app, &f, "doc-3").await;
        let mut reviewer = staff(&app, ICHIKAWA_HOST, REVIEWER).await;
        act(&mut reviewer, &receipt, &[("action", "start_review")]).await;
        act(
            &mut reviewer,
            &receipt,
            &[("action", "approve"), ("text", "窓口で交付します。")],
        )
        .await;
        let mut admin = staff(&app, ICHIKAWA_HOST, ADMIN).await;
        act(&mut admin, &receipt, &[("action", "complete")]).await;
        let hanako = resident(&app, ICHIKAWA_HOST, HANAKO).await;
        let base = format!("/api/v1/applications/{receipt}");
        let (status, _, approved) = raw_get(
            &app,
            &hanako,
            &format!("{base}/notices/approved/notice.pdf"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (text, _) = pdf_text(&approved);
        assert!(text.contains("承認通知書"), "{text}");
        assert!(text.contains("窓口で交付します。"), "{text}");
        assert!(
            !text.contains("教示"),
            "no appeal text on an approval: {text}"
        );
        assert!(text.contains("オンラインで交付"), "{text}");
        let (_, _, latest) = raw_get(&app, &hanako, &format!("{base}/notice.pdf")).await;
        let (text, _) = pdf_text(&latest);
        assert!(text.contains("手続完了通知書"), "{text}");
        assert_eq!(
            raw_get(&app, &hanako, &format!("{base}/notice.pdf.p7s"))
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            raw_get(
                &app,
                &hanako,
                &format!("{base}/notices/nonsense/notice.pdf")
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        let rows: Vec<(i64,)> = common::fetch_raw(&db, "SELECT COUNT(*) FROM documents").await;
        assert_eq!(rows[0].0, 2);
    }
);

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    for (k, _) in std::env::vars() {
        if k.starts_with("MADOGUCHI_") {
            c.env_remove(k);
        }
    }
    c
}

#[test]
fn cli_document_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (key, cert) = sign::ensure_demo_certificate(dir.path(), "CLI signer").expect("cert");
    let signer = sign::Signer::from_files(&key, &cert).expect("signer");
    let pdf = dir.path().join("notice.pdf");
    std::fs::write(&pdf, b"%PDF-1.7 a notice").expect("write");
    let p7s = signer.sign_detached(b"%PDF-1.7 a notice", 0).expect("sign");
    std::fs::write(dir.path().join("notice.pdf.p7s"), &p7s).expect("write");
    let run = |file: &Path, extra: &[&str]| {
        let out = bin()
            .args(["document", "verify"])
            .arg(file)
            .arg("--cert")
            .arg(&cert)
            .args(extra)
            .output()
            .expect("run madoguchi");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&pdf, &[]);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("OK") && out.contains("署名は有効です"),
        "{out}"
    );
    // Tampered file, signature named explicitly: exit 1 with the reason.
    let changed = dir.path().join("changed.pdf");
    std::fs::write(&changed, b"%PDF-1.7 a notice!").expect("write");
    let sig = dir.path().join("notice.pdf.p7s");
    let (code, out) = run(&changed, &["--signature", sig.to_str().expect("path")]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("FAILED") && out.contains("changed"), "{out}");
    // Checked against another certificate: exit 1.
    let other = tempfile::tempdir().expect("tempdir");
    let (_, other_cert) = sign::ensure_demo_certificate(other.path(), "Other").expect("cert");
    let out = bin()
        .args(["document", "verify"])
        .arg(&pdf)
        .arg("--cert")
        .arg(&other_cert)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("trusted certificate"));
}

#[test]
fn a_missing_font_is_a_clear_startup_error() {
    let cfg = madoguchi::documents::DocumentsConfig {
        font_path: "/nonexistent/font.ttc".into(),
        ..Default::default()
    };
    let err = madoguchi::documents::Documents::load(&cfg).expect_err("no font");
    let msg = format!("{err:#}");
    assert!(msg.contains("documents.font_path"), "{msg}");
    assert!(msg.contains("fonts-noto-cjk"), "{msg}");
    // A file that is not a font at all.
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("x.ttf");
    std::fs::write(&p, b"not a font").expect("write");
    let cfg = madoguchi::documents::DocumentsConfig {
        font_path: p.display().to_string(),
        ..Default::default()
    };
    let err = madoguchi::documents::Documents::load(&cfg).expect_err("not a font");
    assert!(format!("{err:#}").contains("cannot be used"), "{err:#}");
    // A latin-only font (DejaVu) has no Japanese glyphs: refused, not a blank PDF.
    let dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
    if Path::new(dejavu).is_file() {
        let cfg = madoguchi::documents::DocumentsConfig {
            font_path: dejavu.into(),
            ..Default::default()
        };
        let err = madoguchi::documents::Documents::load(&cfg).expect_err("latin font");
        assert!(format!("{err:#}").contains("Japanese"), "{err:#}");
    }
}
