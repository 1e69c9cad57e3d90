//! Web口座振替 (issue 6), the files: the bank master import, the billing CSV, the 全銀 種別91
//! request files (parsed back with the `zengin` crate) and the result files. Every test runs on
//! SQLite and PostgreSQL.

#[macro_use]
mod common;
mod support;

use common::{exec, fetch_raw, seed_municipality};
use madoguchi::audit::Actor;
use madoguchi::db::Db;
use madoguchi::debit::{banks, bills, files};
use support::*;
use zengin::{FileKind, NewCode, ReadOptions, ResultCode};

const ICHIKAWA: &str = "122033";

fn write(dir: &std::path::Path, banks_json: &str, branches: &[(&str, &str)]) {
    std::fs::create_dir_all(dir.join("branches")).expect("dir");
    std::fs::write(dir.join("banks.json"), banks_json).expect("banks");
    for (code, json) in branches {
        std::fs::write(dir.join("branches").join(format!("{code}.json")), json).expect("branch");
    }
}

async fn audit_count(db: &Db) -> i64 {
    fetch_raw::<(i64,)>(db, "SELECT COUNT(*) FROM audit_events").await[0].0
}

async fn import_dir(db: &Db, dir: &std::path::Path) -> Result<banks::Report, String> {
    let (data, stale) = banks::read_dir(dir).map_err(|e| e.to_string())?;
    let mut n = 0;
    let mut progress = |_: usize, _: usize| n += 1;
    banks::import(db, &data, stale, &Actor::Cli, &mut progress)
        .await
        .map_err(|e| e.to_string())
}

db_test!(
    bank_master_import_reports_and_is_idempotent,
    |db: Db| async move {
        seed_municipality(&db, ICHIKAWA, "市川市", "Ichikawa").await;
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("data");
        write(
            &dir,
            r#"{"0134":{"code":"0134","name":"千葉","kana":"チバ","hira":"ちば","roma":"chiba"},
            "9900":{"code":"9900","name":"ゆうちょ","kana":"ユウチヨ","hira":"ゆうちよ","roma":"yuucho"}}"#,
            &[
                (
                    "0134",
                    r#"{"001":{"code":"001","name":"中央","kana":"チユウオウ"},"011":{"code":"011","name":"市川","kana":"イチカワ"}}"#,
                ),
                (
                    "9900",
                    r#"{"008":{"code":"008","name":"〇〇八","kana":"ゼロゼロハチ"}}"#,
                ),
                (
                    "0118",
                    r#"{"001":{"code":"001","name":"古い","kana":"フルイ"}}"#,
                ),
            ],
        );
        // The parent directory (source-data's root) works too.
        let r = import_dir(&db, tmp.path()).await.expect("import");
        assert_eq!(
            (r.banks, r.branches, r.banks_added, r.branches_added),
            (2, 3, 2, 3)
        );
        assert_eq!(
            r.stale_files_skipped, 1,
            "branches/0118.json of a bank not in banks.json"
        );
        assert_eq!(r.changes.len(), 2);
        assert!(
            r.to_string()
                .contains("0134 千葉: bank added, branches +2 ~0 -0"),
            "{r}"
        );
        let events = audit_count(&db).await;
        // The same data again: nothing changes, nothing is audited.
        let r = import_dir(&db, &dir).await.expect("again");
        assert!(r.is_unchanged(), "{r}");
        assert_eq!(audit_count(&db).await, events);
        // A branch renamed, one removed, one added; a bank removed, one added.
        write(
            &dir,
            r#"{"0134":{"code":"0134","name":"千葉","kana":"チバ","hira":"ちば","roma":"chiba"},
            "0522":{"code":"0522","name":"京葉","kana":"ケイヨウ","hira":"けいよう","roma":"keiyou"}}"#,
            &[
                (
                    "0134",
                    r#"{"011":{"code":"011","name":"市川駅前","kana":"イチカワエキマエ"},"012":{"code":"012","name":"本八幡","kana":"モトヤワタ"}}"#,
                ),
                (
                    "0522",
                    r#"{"080":{"code":"080","name":"本店営業部","kana":"ホンテン"}}"#,
                ),
            ],
        );
        std::fs::remove_file(dir.join("branches/9900.json")).expect("rm");
        let r = import_dir(&db, &dir).await.expect("changed");
        assert_eq!((r.banks_added, r.banks_changed, r.banks_removed), (1, 0, 1));
        assert_eq!(
            (r.branches_added, r.branches_changed, r.branches_removed),
            (2, 1, 2)
        );
        let c0134 = r.changes.iter().find(|c| c.code == "0134").expect("0134");
        assert_eq!(
            (
                c0134.bank,
                c0134.branches_added,
                c0134.branches_changed,
                c0134.branches_removed
            ),
            ("unchanged", 1, 1, 1)
        );
        let gone = r.changes.iter().find(|c| c.code == "9900").expect("9900");
        assert_eq!((gone.bank, gone.branches_removed), ("removed", 1));
        let rows = fetch_raw::<(String, String, String)>(
            &db,
            "SELECT bank_code, code, name FROM bank_branches ORDER BY bank_code, code",
        )
        .await;
        assert_eq!(
            rows,
            vec![
                ("0134".into(), "011".into(), "市川駅前".into()),
                ("0134".into(), "012".into(), "本八幡".into()),
                ("0522".into(), "080".into(), "本店営業部".into()),
            ]
        );
        assert!(
            audit_actions(&db)
                .await
                .iter()
                .any(|a| a == "debit.banks.import")
        );
        // A malformed file is refused before anything is written.
        std::fs::write(
            dir.join("branches/0134.json"),
            r#"{"11":{"code":"11","name":"x","kana":"x"}}"#,
        )
        .expect("w");
        let err = import_dir(&db, &dir).await.expect_err("bad code");
        assert!(err.contains("3 digits"), "{err}");
        std::fs::write(dir.join("banks.json"), "{not json").expect("w");
        assert!(import_dir(&db, &dir).await.is_err());
        assert_eq!(
            fetch_raw::<(i64,)>(&db, "SELECT COUNT(*) FROM bank_branches").await[0].0,
            3
        );
    }
);

/// The demo (9 banks, paper mandates, the billing CSV) with its configuration.
async fn demo(db: &Db) -> TestApp {
    TestApp::demo(db.clone()).await
}

db_test!(bills_are_checked_row_by_row, |db: Db| async move {
    let app = demo(&db).await;
    let n_before = fetch_raw::<(i64,)>(&db, "SELECT COUNT(*) FROM debit_bills").await[0].0;
    assert_eq!(n_before, 9, "the demo's billing CSV");
    // The demo CSV again: unchanged.
    let r = bills::import(
        &db,
        ICHIKAWA,
        madoguchi::debit::demo::DEMO_BILLS.as_bytes(),
        &Actor::Cli,
    )
    .await
    .expect("again");
    assert_eq!((r.added, r.updated, r.unchanged), (0, 0, 9));
    let events = audit_count(&db).await;
    let bad = "顧客番号,税目,金額,納期限\n\
               9000000001,kokuho,100,2027-03-31\n\
               9999999999,kokuho,100,2027-03-31\n\
               9000000002,kokuho,100,2027-03-31\n\
               9000000001,unknown,100,2027-03-31\n\
               9000000001,kokuho,-5,2027-03-31\n\
               9000000001,kokuho,100,2027-02-30\n";
    let err = bills::import(&db, ICHIKAWA, bad.as_bytes(), &Actor::Cli)
        .await
        .expect_err("refused");
    let rows: Vec<usize> = match &err {
        bills::BillsError::Rows(v) => v.iter().map(|e| e.row).collect(),
        e => panic!("{e}"),
    };
    assert_eq!(
        rows,
        vec![6, 7],
        "parse errors first (amount, date), nothing else checked"
    );
    let bad2 = "9000000001,kokuho,100,2027-03-31\n9999999999,kokuho,100,2027-03-31\n9000000002,kokuho,100,2027-03-31\n9000000001,unknown,100,2027-03-31\n9000000001,kokuho,100,2027-03-31\n";
    let err = bills::import(&db, ICHIKAWA, bad2.as_bytes(), &Actor::Cli)
        .await
        .expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("row 2: no mandate with customer number 9999999999"),
        "{msg}"
    );
    assert!(
        msg.contains(
            "row 3: the mandate of customer number 9000000002 does not cover item \"kokuho\""
        ),
        "{msg}"
    );
    assert!(msg.contains("row 4: item \"unknown\""), "{msg}");
    assert!(msg.contains("row 5: the same customer number"), "{msg}");
    assert_eq!(
        fetch_raw::<(i64,)>(&db, "SELECT COUNT(*) FROM debit_bills").await[0].0,
        9,
        "nothing changed"
    );
    assert_eq!(audit_count(&db).await, events);
    // A changed amount of an open bill is updated.
    let r = bills::import(
        &db,
        ICHIKAWA,
        b"9000000001,kokuho,18300,2027-01-31\n",
        &Actor::Cli,
    )
    .await
    .expect("update");
    assert_eq!((r.added, r.updated), (0, 1));
    drop(app);
});

fn read_request(bytes: &[u8], padding: zengin::CustomerNumberFormat) -> zengin::TransferFile {
    zengin::from_bytes(
        bytes,
        &ReadOptions {
            expect: Some(FileKind::Request),
            customer_number: padding,
            ..ReadOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .file
}

db_test!(
    export_writes_one_file_per_bank_and_date,
    |db: Db| async move {
        let app = demo(&db).await;
        let cfg = &app.state.cfg.debit;
        let all = files::prepare(&db, cfg, ICHIKAWA, &files::ExportOptions::default())
            .await
            .expect("prepare");
        let groups: Vec<(String, String, usize)> = all
            .iter()
            .map(|p| (p.bank_code.clone(), p.debit_date.clone(), p.records))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("0001".into(), "2027-01-31".into(), 1),
                ("0005".into(), "2027-01-31".into(), 2),
                ("0134".into(), "2027-01-31".into(), 2),
                ("0134".into(), "2027-02-28".into(), 1),
                ("0522".into(), "2027-01-31".into(), 1),
                ("9900".into(), "2027-01-31".into(), 2),
            ]
        );
        let chiba = &all[2];
        // CR LF after each record at 千葉銀行: 5 records × 122 bytes.
        assert_eq!(chiba.bytes.len(), 5 * 122);
        let f = read_request(&chiba.bytes, zengin::CustomerNumberFormat::ZeroFilled);
        let g = &f.groups[0];
        assert_eq!(g.header.collector_code, "1220330134");
        assert_eq!(g.header.collector_name, "ｲﾁｶﾜｼ");
        assert_eq!(
            (g.header.debit_date.month(), g.header.debit_date.day()),
            (1, 31)
        );
        assert_eq!(
            (g.header.bank_code.as_str(), g.header.bank_name.as_str()),
            ("0134", "ﾁﾊﾞ")
        );
        assert_eq!(
            (g.header.branch_code.as_str(), g.header.branch_name.as_str()),
            ("011", "ｲﾁｶﾜ")
        );
        let amounts: Vec<u64> = g.data.iter().map(|d| d.amount).collect();
        assert_eq!(amounts, vec![23400, 18200]);
        assert!(g.data.iter().all(|d| d.customer_number == "9000000001"
            && d.new_code == NewCode::First
            && d.holder_name == "ｲﾁｶﾜ ｲﾁﾛｳ"));
        assert_eq!((g.trailer.total_count, g.trailer.total_amount), (2, 41600));
        // ゆうちょ: 120-byte records without line ends, 顧客番号 left-aligned and space-filled.
        let yucho = &all[5];
        assert_eq!(yucho.bytes.len(), 5 * 120);
        assert_eq!(&yucho.bytes[120 + 91..120 + 111], b"9000000004          ");
        let f = read_request(&yucho.bytes, zengin::CustomerNumberFormat::SpaceFilled);
        assert_eq!(f.groups[0].data.len(), 2);
        assert_eq!(
            chiba.file_name(ICHIKAWA, Some(7)),
            "zengin91_122033_0134_20270131_r7.txt"
        );
        // Narrowed by the options.
        let one = files::prepare(
            &db,
            cfg,
            ICHIKAWA,
            &files::ExportOptions {
                date: Some("2027-01-31".into()),
                bank: Some("0134".into()),
                item: Some("kokuho".into()),
            },
        )
        .await
        .expect("narrow");
        assert_eq!((one.len(), one[0].records, one[0].total_yen), (1, 1, 18200));
        let bad = files::prepare(
            &db,
            cfg,
            ICHIKAWA,
            &files::ExportOptions {
                date: Some("2027/01/31".into()),
                ..Default::default()
            },
        )
        .await;
        assert!(bad.is_err());
        // The CLI's export: a dry run writes the files and marks nothing.
        let out = tempfile::tempdir().expect("tmp");
        let n = madoguchi::debit::cli::export(
            &db,
            &app.state.cfg,
            ICHIKAWA,
            &files::ExportOptions::default(),
            out.path(),
            true,
        )
        .await
        .expect("dry");
        assert_eq!(n, 6);
        assert!(
            out.path()
                .join("zengin91_122033_0134_20270131_dryrun.txt")
                .is_file()
        );
        assert_eq!(
            fetch_raw::<(i64,)>(
                &db,
                "SELECT COUNT(*) FROM debit_bill_states WHERE status = 'open'"
            )
            .await[0]
                .0,
            9
        );
        // The real one marks the debits requested and the next records carry 新規コード 0.
        let n = madoguchi::debit::cli::export(
            &db,
            &app.state.cfg,
            ICHIKAWA,
            &files::ExportOptions {
                bank: Some("0134".into()),
                date: Some("2027-01-31".into()),
                item: None,
            },
            out.path(),
            false,
        )
        .await
        .expect("export");
        assert_eq!(n, 1);
        let names: Vec<String> = std::fs::read_dir(out.path())
            .expect("ls")
            .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
            .collect();
        let name = names
            .iter()
            .find(|n| n.contains("0134_20270131_r"))
            .expect("named file");
        let written = std::fs::read(out.path().join(name)).expect("read");
        assert_eq!(written, chiba.bytes, "the same bytes as prepared");
        assert_eq!(
            fetch_raw::<(i64,)>(
                &db,
                "SELECT COUNT(*) FROM debit_bill_states WHERE status = 'requested'"
            )
            .await[0]
                .0,
            2
        );
        assert!(audit_actions(&db).await.iter().any(|a| a == "debit.export"));
        let again = files::prepare(
            &db,
            cfg,
            ICHIKAWA,
            &files::ExportOptions {
                bank: Some("0134".into()),
                date: Some("2027-01-31".into()),
                item: None,
            },
        )
        .await
        .expect("again");
        assert!(again.is_empty(), "requested debits are not exported twice");
        let next = files::prepare(
            &db,
            cfg,
            ICHIKAWA,
            &files::ExportOptions {
                bank: Some("0134".into()),
                ..Default::default()
            },
        )
        .await
        .expect("next");
        let f = read_request(&next[0].bytes, zengin::CustomerNumberFormat::ZeroFilled);
        assert_eq!(
            f.groups[0].data[0].new_code,
            NewCode::First,
            "9000000002's first debit"
        );
        // A bill before the mandate's first debit date is not exported; nor a suspended mandate's.
        exec(&db, "UPDATE debit_mandates SET starts_on = '2027-03-01' WHERE customer_number = '9000000002'").await;
        assert!(
            files::prepare(
                &db,
                cfg,
                ICHIKAWA,
                &files::ExportOptions {
                    bank: Some("0134".into()),
                    ..Default::default()
                }
            )
            .await
            .expect("p")
            .is_empty()
        );
        exec(
            &db,
            "UPDATE debit_mandates SET status = 'suspended' WHERE customer_number = '9000000003'",
        )
        .await;
        assert!(
            files::prepare(
                &db,
                cfg,
                ICHIKAWA,
                &files::ExportOptions {
                    bank: Some("0522".into()),
                    ..Default::default()
                }
            )
            .await
            .expect("p")
            .is_empty()
        );
        // A bank without settings is refused by name.
        let mut cfg2 = cfg.clone();
        cfg2.banks.remove("0001");
        let err = files::prepare(&db, &cfg2, ICHIKAWA, &files::ExportOptions::default())
            .await
            .expect_err("no config");
        assert!(err.to_string().contains("bank 0001"), "{err}");
    }
);

/// Exports 千葉銀行's 2027-01-31 file and builds the bank's answer with these result codes.
async fn requested_and_result(
    app: &TestApp,
    codes: &[ResultCode],
) -> (Vec<u8>, zengin::TransferFile) {
    let db = &app.db;
    let opts = files::ExportOptions {
        bank: Some("0134".into()),
        date: Some("2027-01-31".into()),
        item: None,
    };
    let p = files::prepare(db, &app.state.cfg.debit, ICHIKAWA, &opts)
        .await
        .expect("prepare");
    files::commit(db, ICHIKAWA, &p, &Actor::Cli)
        .await
        .expect("commit");
    let req = read_request(&p[0].bytes, zengin::CustomerNumberFormat::ZeroFilled);
    let mut data = req.groups[0].data.clone();
    for (d, c) in data.iter_mut().zip(codes) {
        d.result = Some(*c);
    }
    let result = zengin::TransferFile::single(FileKind::Result, req.groups[0].header.clone(), data)
        .expect("result");
    let bytes = zengin::to_bytes(
        &result,
        &zengin::WriteOptions {
            line_ending: zengin::LineEnding::CrLf,
            ..Default::default()
        },
    )
    .expect("bytes");
    (bytes, result)
}

async fn bill_states(db: &Db) -> Vec<(String, String, Option<String>)> {
    fetch_raw::<(String, String, Option<String>)>(db, "SELECT b.item_code, s.status, s.result_code FROM debit_bills b JOIN debit_bill_states s ON s.bill_id = b.id WHERE b.customer_number = '9000000001' AND b.due_date = '2027-01-31' ORDER BY b.id").await
}

db_test!(results_mark_paid_and_unpaid_once, |db: Db| async move {
    let app = demo(&db).await;
    let cfg = &app.state.cfg.debit;
    let (bytes, _) =
        requested_and_result(&app, &[ResultCode::Paid, ResultCode::InsufficientFunds]).await;
    let s = files::import_results(&db, cfg, ICHIKAWA, &bytes, &Actor::Cli)
        .await
        .expect("import");
    assert!(!s.already_imported);
    assert_eq!(
        (s.paid_count, s.paid_yen, s.unpaid_count(), s.unpaid_yen()),
        (1, 23400, 1, 18200)
    );
    assert_eq!(s.unpaid[0].code, "1");
    assert_eq!(s.unpaid[0].meaning_ja, "資金不足");
    assert!(
        s.to_string()
            .contains("1 資金不足 (insufficient funds): 1 debits, 18200 yen"),
        "{s}"
    );
    assert_eq!(
        bill_states(&db).await,
        vec![
            ("shikenmin".into(), "paid".into(), Some("0".into())),
            ("kokuho".into(), "unpaid".into(), Some("1".into())),
        ]
    );
    // The same file again: nothing changes.
    let events = audit_count(&db).await;
    let again = files::import_results(&db, cfg, ICHIKAWA, &bytes, &Actor::Cli)
        .await
        .expect("again");
    assert!(again.already_imported);
    assert_eq!(audit_count(&db).await, events);
    assert_eq!(bill_states(&db).await[1].1, "unpaid");
    // A different answer for the same request is refused.
    let mut other = bytes.clone();
    let pos = 122 * 2 + 111; // second data record's 振替結果コード
    other[pos] = b'0';
    let err = files::import_results(&db, cfg, ICHIKAWA, &other, &Actor::Cli)
        .await
        .expect_err("other");
    assert!(err.to_string().contains("refused"), "{err}");
});

db_test!(bad_result_files_change_nothing, |db: Db| async move {
    let app = demo(&db).await;
    let cfg = &app.state.cfg.debit;
    let (bytes, result) =
        requested_and_result(&app, &[ResultCode::Paid, ResultCode::NoAccount]).await;
    let events = audit_count(&db).await;
    let check = |r: Result<files::ResultSummary, files::ResultsError>| -> String {
        match r {
            Ok(s) => panic!("accepted: {s}"),
            Err(e) => e.to_string(),
        }
    };
    // Malformed: a short record, named with its record number and byte offset.
    let mut short = bytes.clone();
    short.remove(200);
    let msg = check(files::import_results(&db, cfg, ICHIKAWA, &short, &Actor::Cli).await);
    assert!(msg.contains("record 2 (byte offset 122)"), "{msg}");
    // A bad digit in an amount.
    let mut bad = bytes.clone();
    bad[122 + 85] = b'X';
    let msg = check(files::import_results(&db, cfg, ICHIKAWA, &bad, &Actor::Cli).await);
    assert!(msg.contains("record 2"), "{msg}");
    // The trailer's 振替済 amount does not add up.
    let mut t = result.clone();
    t.groups[0].trailer.paid_amount += 1;
    t.groups[0].trailer.unpaid_amount -= 1;
    let tb = trailer_bytes(&t);
    let msg = check(files::import_results(&db, cfg, ICHIKAWA, &tb, &Actor::Cli).await);
    assert!(msg.contains("record 4") || msg.contains("trailer"), "{msg}");
    // Amounts that differ from what was requested (the file agrees with itself).
    let mut changed = result.clone();
    changed.groups[0].data[1].amount += 100;
    let cb = zengin::to_bytes(&changed, &zengin::WriteOptions::default()).expect("bytes");
    let msg = check(files::import_results(&db, cfg, ICHIKAWA, &cb, &Actor::Cli).await);
    assert!(msg.contains("18200") || msg.contains("records"), "{msg}");
    // A request file is not a result file.
    let p = files::prepare(
        &db,
        cfg,
        ICHIKAWA,
        &files::ExportOptions {
            bank: Some("0005".into()),
            ..Default::default()
        },
    )
    .await
    .expect("p");
    assert!(
        files::import_results(&db, cfg, ICHIKAWA, &p[0].bytes, &Actor::Cli)
            .await
            .is_err()
    );
    assert_eq!(audit_count(&db).await, events, "nothing was written");
    assert!(bill_states(&db).await.iter().all(|b| b.1 == "requested"));
    // Then the good file is taken.
    let s = files::import_results(&db, cfg, ICHIKAWA, &bytes, &Actor::Cli)
        .await
        .expect("good");
    assert_eq!(s.unpaid[0].meaning_ja, "取引なし（預金取引なし）");
});

/// A result file with the given (possibly wrong) trailer: written with TrailerMode::Check off,
/// then the trailer record replaced byte for byte.
fn trailer_bytes(f: &zengin::TransferFile) -> Vec<u8> {
    let mut b = zengin::to_bytes(f, &zengin::WriteOptions::default()).expect("bytes");
    let t = &f.groups[0].trailer;
    let rec = format!(
        "8{:06}{:012}{:06}{:012}{:06}{:012}{}",
        t.total_count,
        t.total_amount,
        t.paid_count,
        t.paid_amount,
        t.unpaid_count,
        t.unpaid_amount,
        " ".repeat(65)
    );
    let at = 120 * (1 + f.groups[0].data.len());
    b[at..at + 120].copy_from_slice(rec.as_bytes());
    b
}

// `due_bills` sorts in Rust (SQLite reads them as one JSON array): bank, then date, then bill,
// the same on both databases, with each mandate's 新規コード flag.
db_test!(due_bills_come_in_bank_date_order, |db: Db| async move {
    let _app = demo(&db).await;
    let due = madoguchi::debit::store::due_bills(&db, ICHIKAWA, None, None, None)
        .await
        .expect("due");
    assert!(due.len() >= 9, "{}", due.len());
    let keys: Vec<(String, String)> = due
        .iter()
        .map(|b| (b.bank_code.clone(), b.due_date.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(keys.windows(2).any(|w| w[0].0 != w[1].0), "several banks");
    assert!(due.iter().all(|b| b.first_debit), "no debit requested yet");
    assert!(
        due.iter()
            .all(|b| b.amount_yen > 0 && !b.holder_kana.is_empty())
    );
});
