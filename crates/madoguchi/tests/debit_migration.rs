//! Migration 0017 moves each bill's state out of `debit_bills` into narrow tables. A database
//! that has bills in every state before it must show the same states after it, through the
//! `debit_bill_states` view, and keep each mandate's 新規コード (first debit) flag.

mod common;

use madoguchi::db::Db;

use common::{exec, fetch_raw};

async fn check(t: common::TestDb) {
    let db: &Db = &t;
    common::migrate_before(db, 17).await;
    for sql in [
        "INSERT INTO municipalities (id, name_ja, name_en, created_at) VALUES ('122033', '市川市', 'Ichikawa', 0)",
        // Mandate 1 was debited before (first_debit false); mandate 2 is new.
        "INSERT INTO debit_mandates (id, municipality_id, public_id, channel, customer_number, bank_code, branch_code, account_type, account_number, holder_kana, status, starts_on, first_debit, created_at, updated_at) VALUES (1, '122033', 'm1', 'paper', '0000000001', '0134', '001', 1, '1234567', 'ｲﾁｶﾜ ﾀﾛｳ', 'active', '2026-04-01', FALSE, 0, 0)",
        "INSERT INTO debit_mandates (id, municipality_id, public_id, channel, customer_number, bank_code, branch_code, account_type, account_number, holder_kana, status, starts_on, first_debit, created_at, updated_at) VALUES (2, '122033', 'm2', 'paper', '0000000002', '0134', '001', 1, '7654321', 'ｲﾁｶﾜ ﾊﾅｺ', 'active', '2026-04-01', TRUE, 0, 0)",
        "INSERT INTO debit_requests (id, municipality_id, bank_code, debit_date, file_name, records, total_yen, created_at, result_sha256, result_imported_at) VALUES (1, '122033', '0134', '2026-12-31', 'done.txt', 2, 3000, 0, 'aa', 5)",
        "INSERT INTO debit_requests (id, municipality_id, bank_code, debit_date, file_name, records, total_yen, created_at) VALUES (2, '122033', '0134', '2027-01-31', 'sent.txt', 1, 1000, 0)",
        "INSERT INTO debit_bills (id, municipality_id, customer_number, item_code, amount_yen, due_date, mandate_id, status, request_id, result_code, imported_at, updated_at) VALUES (1, '122033', '0000000001', 'kokuho', 1000, '2026-12-31', 1, 'paid', 1, '0', 0, 0)",
        "INSERT INTO debit_bills (id, municipality_id, customer_number, item_code, amount_yen, due_date, mandate_id, status, request_id, result_code, imported_at, updated_at) VALUES (2, '122033', '0000000001', 'kaigo', 2000, '2026-12-31', 1, 'unpaid', 1, '1', 0, 0)",
        "INSERT INTO debit_bills (id, municipality_id, customer_number, item_code, amount_yen, due_date, mandate_id, status, request_id, imported_at, updated_at) VALUES (3, '122033', '0000000001', 'kokuho', 1000, '2027-01-31', 1, 'requested', 2, 0, 0)",
        "INSERT INTO debit_bills (id, municipality_id, customer_number, item_code, amount_yen, due_date, mandate_id, status, imported_at, updated_at) VALUES (4, '122033', '0000000002', 'kokuho', 1500, '2027-02-28', 2, 'open', 0, 0)",
    ] {
        exec(db, sql).await;
    }
    db.migrate().await.expect("migration 0017");
    let states = fetch_raw::<(i64, String, Option<i64>, Option<String>)>(
        db,
        "SELECT bill_id, status, request_id, result_code FROM debit_bill_states ORDER BY bill_id",
    )
    .await;
    assert_eq!(
        states,
        vec![
            (1, "paid".into(), Some(1), Some("0".into())),
            (2, "unpaid".into(), Some(1), Some("1".into())),
            (3, "requested".into(), Some(2), None),
            (4, "open".into(), None, None),
        ],
        "{}: every bill keeps its state",
        t.label()
    );
    let links = fetch_raw::<(i64, i64, i64)>(
        db,
        "SELECT bill_id, request_id, mandate_id FROM debit_request_bills ORDER BY bill_id",
    )
    .await;
    assert_eq!(
        links,
        vec![(1, 1, 1), (2, 1, 1), (3, 2, 1)],
        "{}",
        t.label()
    );
    let firsts = fetch_raw::<(i64,)>(db, "SELECT mandate_id FROM debit_first_debits").await;
    assert_eq!(firsts, vec![(2,)], "{}: only the new mandate", t.label());
    let bills = fetch_raw::<(i64, String, i64)>(
        db,
        "SELECT id, customer_number, amount_yen FROM debit_bills ORDER BY id",
    )
    .await;
    assert_eq!(bills.len(), 4, "{}: every bill row kept", t.label());
    assert_eq!(bills[3], (4, "0000000002".into(), 1500));
    // SQLite rebuilt the table: its ids keep counting after the rebuild (the AUTOINCREMENT
    // sequence). PostgreSQL only dropped columns (and the rows above gave ids explicitly).
    if t.label() == "sqlite" {
        exec(db, "INSERT INTO debit_bills (municipality_id, customer_number, item_code, amount_yen, due_date, mandate_id, imported_at, updated_at) VALUES ('122033', '0000000002', 'kaigo', 700, '2027-02-28', 2, 0, 0)").await;
        let max = fetch_raw::<(i64,)>(db, "SELECT MAX(id) FROM debit_bills").await;
        assert!(max[0].0 > 4, "a new bill gets a new id");
    }
    t.finish().await;
}

#[tokio::test]
async fn bill_states_survive_the_migration_on_sqlite() {
    check(common::sqlite_empty().await).await;
}

#[tokio::test]
async fn bill_states_survive_the_migration_on_postgres() {
    check(common::postgres_empty().await).await;
}
