//! Migration 0018 adds the 第1/第2希望 ladder and the maximum of wins to lotteries, and lets a
//! booking wait for its payment ('unpaid'). On SQLite it rebuilds `fac_reservations` (and
//! `payments`) to change a CHECK: a database with bookings, their units and lottery entries
//! before it must keep them all, with their ids, and the units must still point at their
//! booking (the foreign keys hold at the end of the migration).

mod common;

use madoguchi::db::Db;

use common::{exec, fetch_raw};

async fn check(t: common::TestDb) {
    let db: &Db = &t;
    common::migrate_before(db, 18).await;
    for sql in [
        "INSERT INTO municipalities (id, name_ja, name_en, created_at) VALUES ('122033', '市川市', 'Ichikawa', 0)",
        "INSERT INTO users (id, municipality_id, kind, email, name, password_hash, created_at) VALUES (1, '122033', 'resident', 'a@example.jp', 'A', 'x', 0)",
        "INSERT INTO fac_facilities (id, municipality_id, code, name_ja, name_en, kind, address, phone, allow_commercial, allow_political, allow_religious, allow_food, allow_individual, citizens_only_lottery, book_ahead_days, max_per_month, cancel_days, online_registration, position) VALUES (1, '122033', 'f', 'F', 'F', 'kominkan', '', '', FALSE, FALSE, FALSE, FALSE, TRUE, TRUE, 60, 4, 3, TRUE, 0)",
        "INSERT INTO fac_rooms (id, facility_id, code, name_ja, name_en, capacity, opens_min, closes_min, slot_min, fee_citizen_yen, fee_other_yen, position) VALUES (1, 1, 'r', 'R', 'R', 10, 540, 1260, 180, 500, 1000, 0)",
        "INSERT INTO fac_room_atoms (room_id, atom_id) VALUES (1, 1)",
        "INSERT INTO fac_users (id, municipality_id, user_number, resident_id, kind, name, citizen, purposes, members, valid_until, created_at, updated_at) VALUES (1, '122033', '122033-000001', 1, 'group', 'G', TRUE, '[]', 1, '2099-03-31', 0, 0)",
        "INSERT INTO fac_reservations (id, municipality_id, public_id, room_id, fac_user_id, starts_at, ends_at, status, purpose, fee_yen, created_at, updated_at) VALUES (1, '122033', 'R1', 1, 1, 1000, 2000, 'confirmed', 'meeting', 500, 0, 0)",
        "INSERT INTO fac_reservations (id, municipality_id, public_id, room_id, fac_user_id, starts_at, ends_at, status, purpose, fee_yen, genmen, created_at, updated_at) VALUES (2, '122033', 'R2', 1, 1, 3000, 4000, 'review', 'meeting', 250, 'senior', 0, 0)",
        "INSERT INTO fac_reservations (id, municipality_id, public_id, room_id, fac_user_id, starts_at, ends_at, status, purpose, fee_yen, created_at, updated_at) VALUES (3, '122033', 'R3', 1, 1, 5000, 6000, 'cancelled', 'meeting', 500, 0, 0)",
        "INSERT INTO fac_reservation_units (reservation_id, atom_id, starts_at, ends_at) VALUES (1, 1, 1000, 2000)",
        "INSERT INTO fac_reservation_units (reservation_id, atom_id, starts_at, ends_at) VALUES (2, 1, 3000, 4000)",
        "INSERT INTO fac_lotteries (id, municipality_id, facility_id, target_month, opens_at, closes_at, draw_at, confirm_until, max_entries, citizens_only, seed, seed_hash, status, created_at) VALUES (1, '122033', 1, '2027-03', 0, 1, 1, 2, 2, TRUE, 's', 'h', 'open', 0)",
        "INSERT INTO fac_lottery_slots (id, lottery_id, room_id, starts_at, ends_at) VALUES (1, 1, 1, 7000, 8000)",
        "INSERT INTO fac_lottery_entries (id, lottery_id, slot_id, fac_user_id, result, created_at) VALUES (1, 1, 1, 1, 'pending', 0)",
    ] {
        exec(db, sql).await;
    }
    db.migrate().await.expect("migration 0018");
    let rows = fetch_raw::<(i64, String, String, Option<String>, Option<i64>)>(
        db,
        "SELECT id, public_id, status, genmen, pay_by FROM fac_reservations ORDER BY id",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            (1, "R1".into(), "confirmed".into(), None, None),
            (2, "R2".into(), "review".into(), Some("senior".into()), None),
            (3, "R3".into(), "cancelled".into(), None, None),
        ],
        "{}: every booking kept",
        t.label()
    );
    let units = fetch_raw::<(i64, i64)>(
        db,
        "SELECT u.reservation_id, r.id FROM fac_reservation_units u JOIN fac_reservations r ON r.id = u.reservation_id ORDER BY 1",
    )
    .await;
    assert_eq!(
        units,
        vec![(1, 1), (2, 2)],
        "{}: units keep their booking",
        t.label()
    );
    let entries = fetch_raw::<(i64, i64, Option<i64>)>(
        db,
        "SELECT id, choice, first_entry_id FROM fac_lottery_entries",
    )
    .await;
    assert_eq!(
        entries,
        vec![(1, 1, None)],
        "{}: old entries are 第1希望",
        t.label()
    );
    let max = fetch_raw::<(Option<i64>,)>(db, "SELECT max_wins FROM fac_lotteries").await;
    assert_eq!(max, vec![(None,)], "{}: no maximum of wins", t.label());
    // The new status is allowed; the foreign key and the exclusion still hold.
    // SQLite rebuilt the table: its ids keep counting (the AUTOINCREMENT sequence). The
    // PostgreSQL rows above gave their ids explicitly, so this one does too.
    let explicit = if t.label() == "sqlite" { "" } else { "id, " };
    let value = if t.label() == "sqlite" { "" } else { "4, " };
    exec(db, &format!("INSERT INTO fac_reservations ({explicit}municipality_id, public_id, room_id, fac_user_id, starts_at, ends_at, status, purpose, fee_yen, created_at, updated_at, pay_by) VALUES ({value}'122033', 'R4', 1, 1, 9000, 9500, 'unpaid', 'meeting', 500, 0, 0, 99)")).await;
    let id =
        fetch_raw::<(i64,)>(db, "SELECT id FROM fac_reservations WHERE public_id = 'R4'").await;
    assert!(id[0].0 > 3, "{}: ids keep counting", t.label());
    assert!(
        db.execute_raw("INSERT INTO fac_reservation_units (reservation_id, atom_id, starts_at, ends_at) VALUES (999, 1, 9000, 9500)")
            .await
            .is_err(),
        "{}: a unit needs its booking",
        t.label()
    );
    assert!(
        db.execute_raw(&format!("INSERT INTO fac_reservation_units (reservation_id, atom_id, starts_at, ends_at) VALUES ({}, 1, 1500, 2500)", id[0].0))
            .await
            .is_err(),
        "{}: no double booking",
        t.label()
    );
    assert!(
        db.execute_raw("UPDATE fac_reservations SET status = 'paid' WHERE id = 1")
            .await
            .is_err(),
        "{}: an unknown status is refused",
        t.label()
    );
    t.finish().await;
}

#[tokio::test]
async fn bookings_survive_migration_0018_on_sqlite() {
    check(common::sqlite_empty().await).await;
}

#[tokio::test]
async fn bookings_survive_migration_0018_on_postgres() {
    check(common::postgres_empty().await).await;
}
