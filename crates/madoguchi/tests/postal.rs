//! 郵便番号 data (issue 3, the postal-code field) on SQLite and PostgreSQL: importing the
//! shipped 千葉県 file in both encodings, idempotent `--replace`, malformed files refused with
//! their line number and nothing changed, lookups, and the public JSON API.

#[macro_use]
mod common;
mod support;

use axum::http::{StatusCode, header};
use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::postal::{self, CHIBA_GZ, ImportError, PostalAddress};
use madoguchi::procedures::jp::PostalCode;
use support::*;

/// Lines in the shipped file (one address each: the utf_ken_all.csv layout has no split rows).
const CHIBA_ROWS: usize = 3610;

fn chiba_text() -> String {
    let (_, text) = postal::parse::decode(CHIBA_GZ).expect("shipped file decodes");
    text
}

async fn rows(db: &Db) -> i64 {
    common::fetch_raw::<(i64,)>(db, "SELECT COUNT(*) FROM postal_codes").await[0].0
}

async fn import(db: &Db, bytes: &[u8], replace: bool) -> Result<postal::Report, ImportError> {
    postal::import::import(db, bytes, replace, &Actor::Cli, &mut |_, _| {}).await
}

async fn find(db: &Db, code: &str) -> Vec<PostalAddress> {
    postal::lookup(db, &PostalCode::parse(code).expect("code"))
        .await
        .expect("lookup")
}

fn towns(found: &[PostalAddress]) -> Vec<&str> {
    found.iter().map(|a| a.town.as_str()).collect()
}

db_test!(the_shipped_file_imports_in_full, |db: Db| async move {
    common::seed_municipality(&db, "122033", "市川市", "Ichikawa").await;
    let report = import(&db, CHIBA_GZ, false).await.expect("import");
    assert_eq!(report.rows_read, CHIBA_ROWS);
    assert_eq!(report.rows_written, CHIBA_ROWS);
    assert_eq!(report.inserted, CHIBA_ROWS);
    assert_eq!((report.removed, report.unchanged), (0, 0));
    assert_eq!(rows(&db).await, CHIBA_ROWS as i64);
    assert_eq!(
        chiba_text().lines().count(),
        CHIBA_ROWS,
        "row count equals the file's"
    );

    let yawata = find(&db, "272-0021").await;
    assert_eq!(
        yawata,
        vec![PostalAddress {
            postal_code: "2720021".into(),
            prefecture: "千葉県".into(),
            prefecture_kana: "チバケン".into(),
            city: "市川市".into(),
            city_kana: "イチカワシ".into(),
            town: "八幡".into(),
            town_kana: "ヤワタ".into(),
            town_note: String::new(),
            local_government_code: "12203".into(),
        }]
    );
    // One code, two towns, in Japan Post's order.
    assert_eq!(towns(&find(&db, "2600822").await), ["蘇我", "蘇我町"]);
    // 「以下に掲載がない場合」: the city alone.
    let rest = find(&db, "272-0000").await;
    assert_eq!(
        (rest[0].city.as_str(), rest[0].town.as_str()),
        ("市川市", "")
    );
    // 「中瀬（次のビルを除く）」 and a floor of the building it excludes.
    let nakase = &find(&db, "261-0023").await[0];
    assert_eq!(
        (nakase.town.as_str(), nakase.town_note.as_str()),
        ("中瀬", "")
    );
    let floor = &find(&db, "261-7101").await[0];
    assert_eq!(
        (floor.town.as_str(), floor.town_note.as_str()),
        ("中瀬ワールドビジネスガーデン", "１階")
    );
    // 市川市役所 272-8501 is a 大口事業所 code: Japan Post lists it in the separate 事業所 file.
    assert!(find(&db, "272-8501").await.is_empty());

    // The national table's change is in the municipality's audit chain.
    assert_eq!(audit_actions(&db).await, ["postal.import"]);
    assert_audit_intact(&db).await;
});

db_test!(
    shift_jis_ken_all_gives_the_same_addresses,
    |db: Db| async move {
        // The same rows as KEN_ALL.CSV would carry them: Shift_JIS with half-width kana.
        let half_width = chiba_text()
            .replace("\"チバケン\"", "\"ﾁﾊﾞｹﾝ\"")
            .replace("\"イチカワシ\"", "\"ｲﾁｶﾜｼ\"")
            .replace("\"ヤワタ\"", "\"ﾔﾜﾀ\"")
            // Shift_JIS 0x8160, which a Windows-style decoder reads as ～.
            .replace('〜', "～");
        assert!(half_width.contains("\"ﾁﾊﾞｹﾝ\",\"ｲﾁｶﾜｼ\",\"ﾔﾜﾀ\""));
        let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&half_width);
        let odd: std::collections::BTreeSet<char> = half_width
            .chars()
            .filter(|c| encoding_rs::SHIFT_JIS.encode(&c.to_string()).2)
            .collect();
        assert!(!unmappable, "not in Shift_JIS: {odd:?}");
        let report = import(&db, &sjis, false).await.expect("import");
        assert_eq!(report.encoding, postal::parse::Encoding::ShiftJis);
        assert_eq!(report.rows_written, CHIBA_ROWS);
        let yawata = &find(&db, "2720021").await[0];
        assert_eq!(
            (
                yawata.prefecture_kana.as_str(),
                yawata.city_kana.as_str(),
                yawata.town_kana.as_str()
            ),
            ("チバケン", "イチカワシ", "ヤワタ"),
            "half-width kana widened"
        );
        assert_eq!(yawata.town, "八幡");
        // Replacing it with the UTF-8 file changes nothing.
        let again = import(&db, CHIBA_GZ, true).await.expect("replace");
        assert_eq!((again.inserted, again.removed), (0, 0));
        assert_eq!(again.codes_changed, 0);
    }
);

db_test!(
    replace_is_idempotent_and_reports_changes,
    |db: Db| async move {
        import(&db, CHIBA_GZ, false).await.expect("first import");
        // Without --replace a filled table is refused and left alone.
        match import(&db, CHIBA_GZ, false).await {
            Err(ImportError::NotEmpty(n)) => assert_eq!(n, CHIBA_ROWS as i64),
            other => panic!("expected NotEmpty, got {other:?}"),
        }
        assert_eq!(rows(&db).await, CHIBA_ROWS as i64);

        let again = import(&db, CHIBA_GZ, true).await.expect("replace");
        assert_eq!(again.rows_written, CHIBA_ROWS);
        assert_eq!(
            (
                again.inserted,
                again.removed,
                again.unchanged,
                again.codes_changed
            ),
            (0, 0, CHIBA_ROWS, 0)
        );
        assert_eq!(rows(&db).await, CHIBA_ROWS as i64);
        assert_eq!(towns(&find(&db, "272-0021").await), ["八幡"]);

        // A month later: one town renamed, one code gone.
        let text = chiba_text()
            .lines()
            .filter(|l| !l.contains("\"2600822\""))
            .map(|l| {
                if l.contains("\"2720021\"") {
                    l.replace("\"八幡\"", "\"八幡新町\"")
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\r\n");
        let report = import(&db, text.as_bytes(), true).await.expect("update");
        assert_eq!(report.rows_written, CHIBA_ROWS - 2);
        assert_eq!((report.inserted, report.removed), (1, 3));
        assert_eq!(report.codes_changed, 2);
        assert_eq!(towns(&find(&db, "272-0021").await), ["八幡新町"]);
        assert!(find(&db, "260-0822").await.is_empty());
    }
);

db_test!(
    a_malformed_file_is_refused_and_changes_nothing,
    |db: Db| async move {
        let text = chiba_text();
        let mut lines: Vec<&str> = text.lines().collect();
        lines[1999] = "\"12203\",\"272  \",\"27200\",\"チバケン\",\"イチカワシ\",\"ヤワタ\",\"千葉県\",\"市川市\",\"八幡\",0,0,1,0,0,0";
        let broken = lines.join("\r\n");

        // Into an empty table: nothing imported.
        let e = import(&db, broken.as_bytes(), false)
            .await
            .expect_err("refused");
        assert_eq!(
            e.to_string(),
            "line 2000: column 3 (郵便番号) must be 7 digits, found \"27200\""
        );
        assert_eq!(rows(&db).await, 0);

        // Over a filled table: the old data stays.
        import(&db, CHIBA_GZ, false).await.expect("import");
        let e = import(&db, broken.as_bytes(), true)
            .await
            .expect_err("refused");
        assert!(e.to_string().starts_with("line 2000:"), "{e}");
        let e = import(&db, b"not,a,postal,file\r\n", true)
            .await
            .expect_err("refused");
        assert!(
            e.to_string().starts_with("line 1: expected 15 columns"),
            "{e}"
        );
        assert_eq!(rows(&db).await, CHIBA_ROWS as i64);
        assert_eq!(towns(&find(&db, "272-0021").await), ["八幡"]);
    }
);

db_test!(the_api_answers_200_404_and_400, |db: Db| async move {
    let app = TestApp::demo(db.clone()).await;
    assert_eq!(rows(&db).await, CHIBA_ROWS as i64, "demo loads the data");
    // Loading the demo again leaves the table alone.
    madoguchi::demo::load(&db).await.expect("demo again");
    assert_eq!(rows(&db).await, CHIBA_ROWS as i64);

    let mut c = app.client(ICHIKAWA_HOST);
    for code in [
        "272-0021",
        "2720021",
        "%EF%BC%92%EF%BC%97%EF%BC%92%EF%BC%90%EF%BC%90%EF%BC%92%EF%BC%91",
    ] {
        let r = c.get(&format!("/api/v1/postal-codes/{code}")).await;
        assert_eq!(r.status, StatusCode::OK, "{code}: {}", r.body);
        assert_eq!(
            r.headers
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap_or("")),
            Some("public, max-age=86400")
        );
        assert!(
            r.headers.get(header::SET_COOKIE).is_none(),
            "a publicly cacheable answer sets no cookie"
        );
        assert_eq!(
            r.json(),
            serde_json::json!([{
                "postal_code": "2720021",
                "prefecture": "千葉県",
                "prefecture_kana": "チバケン",
                "city": "市川市",
                "city_kana": "イチカワシ",
                "town": "八幡",
                "town_kana": "ヤワタ",
                "town_note": "",
                "local_government_code": "12203"
            }])
        );
    }
    let two = c.get("/api/v1/postal-codes/260-0822").await.json();
    assert_eq!(two.as_array().map(Vec::len), Some(2));

    // The other municipality's host gets the same national data.
    let r = app
        .client(SHISUI_HOST)
        .get("/api/v1/postal-codes/2720021")
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let r = c.get("/api/v1/postal-codes/272-8501").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["error"]["code"], "not_found");
    let msg = r.json()["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        msg.contains("272-8501") && msg.contains("見つかりませんでした"),
        "{msg}"
    );
    assert_eq!(
        r.headers
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap_or("")),
        Some("no-store")
    );

    let r = c.get("/api/v1/postal-codes/27200").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json()["error"]["code"], "bad_request");
    assert_eq!(
        r.json()["error"]["message"],
        "郵便番号は7桁ですが、5桁入力されています。「272-8501」のように7桁の数字で入力してください。"
    );
    let r = c.get("/api/v1/postal-codes/27a0021").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("「a」")
    );

    c.cookies.insert("lang".into(), "en".into());
    let r = c.get("/api/v1/postal-codes/27200").await;
    assert_eq!(
        r.json()["error"]["message"],
        "A postal code has 7 digits, but 5 were entered. Please enter the seven digits, like 272-8501."
    );
    let r = c.get("/api/v1/postal-codes/2728501").await;
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("No address was found for postal code 272-8501")
    );

    let doc = c.get("/api/v1/openapi.json").await.json();
    let path = &doc["paths"]["/api/v1/postal-codes/{code}"]["get"];
    assert!(path["responses"]["200"].is_object(), "{path}");
    assert!(path["responses"]["404"].is_object() && path["responses"]["400"].is_object());
    assert!(doc["components"]["schemas"]["PostalAddress"].is_object());
});

/// `madoguchi postal import|lookup` as an operator runs them; returns (success, stdout, stderr).
fn cli(url: &str, args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"));
    for (k, _) in std::env::vars() {
        if k.starts_with("MADOGUCHI_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(args)
        .arg("--database-url")
        .arg(url)
        .output()
        .expect("run madoguchi");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn cli_suite(url: String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = dir.path().join("utf_ken_all_12.csv.gz");
    std::fs::write(&shipped, CHIBA_GZ).expect("write");
    let shipped = shipped.to_str().expect("path");
    let (ok, out, err) = cli(&url, &["postal", "import", shipped]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("UTF-8 (utf_ken_all.csv): 3610 rows read, 3610 addresses written (3610 new, 0 removed, 0 unchanged;"),
        "{out}"
    );
    let (ok, _, err) = cli(&url, &["postal", "import", shipped]);
    assert!(!ok && err.contains("--replace"), "{err}");
    let (ok, out, err) = cli(&url, &["postal", "import", "--replace", shipped]);
    assert!(ok, "{err}");
    assert!(
        out.contains("(0 new, 0 removed, 3610 unchanged; 0 postal codes changed)"),
        "{out}"
    );

    let mut lines: Vec<String> = chiba_text().lines().map(str::to_owned).collect();
    lines[9] = lines[9].replacen(",0,", ",x,", 1);
    let broken = dir.path().join("KEN_ALL.CSV");
    std::fs::write(&broken, lines.join("\r\n")).expect("write");
    let (ok, _, err) = cli(
        &url,
        &[
            "postal",
            "import",
            "--replace",
            broken.to_str().expect("path"),
        ],
    );
    assert!(!ok, "a malformed file fails");
    assert!(
        err.contains("line 10: column 10 (a flag) must be one digit"),
        "{err}"
    );

    let (ok, out, err) = cli(&url, &["postal", "lookup", "272-0021"]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("272-0021 千葉県市川市八幡  チバケン イチカワシ ヤワタ"),
        "{out}"
    );
    let (ok, _, err) = cli(&url, &["postal", "lookup", "2728501"]);
    assert!(!ok && err.contains("no address for 272-8501"), "{err}");
    let (ok, _, err) = cli(&url, &["postal", "lookup", "27285"]);
    assert!(!ok && err.contains("7 digits"), "{err}");

    let db = Db::connect(&url).await.expect("connect");
    assert_eq!(
        rows(&db).await,
        CHIBA_ROWS as i64,
        "the refused file changed nothing"
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    cli_suite(format!("sqlite://{}", dir.path().join("m.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_on_postgres() {
    let name = common::pg::create_database().await;
    let cluster = common::pg::cluster_async().await;
    cli_suite(format!(
        "postgres://postgres@localhost/{name}?host={}&port={}",
        cluster.dir.display(),
        cluster.port
    ))
    .await;
}
