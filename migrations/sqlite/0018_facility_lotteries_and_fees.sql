-- Public facilities (issue 7): lotteries created by staff, the 第1/第2希望 ladder, a maximum
-- number of wins per user ID, and booking fees paid online. Kept in lockstep with
-- ../postgres/0018_facility_lotteries_and_fees.sql. See docs/facilities.md.
--
-- fac_lotteries.max_wins: how many slots one user ID can win in the lottery (NULL: no maximum).
-- fac_lottery_entries.choice: 1 = 第1希望, 2 = 第2希望. A 第2希望 names the 第1希望 entry it
--   backs up (first_entry_id, of the same user ID and lottery): it is dropped when that one
--   wins, and goes into the second round of the draw otherwise. Entries made before this
--   migration are 第1希望.
ALTER TABLE fac_lotteries ADD COLUMN max_wins BIGINT CHECK (max_wins > 0);
ALTER TABLE fac_lottery_entries ADD COLUMN choice BIGINT NOT NULL DEFAULT 1 CHECK (choice IN (1, 2));
ALTER TABLE fac_lottery_entries ADD COLUMN first_entry_id BIGINT REFERENCES fac_lottery_entries (id);

-- Booking fees paid online (docs/facilities.md "Paying the fee").
--
-- fac_reservations.status gains 'unpaid' (支払待ち: the booking holds its rooms until pay_by,
--   then the job releases it as 'forfeited'); pay_by is that deadline (UTC ms).
-- payments: a payment is for an application (application_id) or for a booking
--   (reservation_id), exactly one of the two.
-- fac_settings.payment_minutes: how long an unpaid booking holds its rooms.
--
-- SQLite cannot change a CHECK or drop a NOT NULL in place, so both tables are rebuilt. Their
-- rows are kept aside first and written back into the new table of the same name: the rows of
-- fac_reservation_units and payment_events that lose their parent when the old table is
-- dropped find it again then (the foreign keys are deferred to the end of the migration).
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE old_fac_reservations AS SELECT * FROM fac_reservations;
DROP TABLE fac_reservations;
CREATE TABLE fac_reservations (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    public_id TEXT NOT NULL UNIQUE,
    room_id BIGINT NOT NULL REFERENCES fac_rooms (id),
    fac_user_id BIGINT NOT NULL REFERENCES fac_users (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'review', 'won', 'unpaid', 'cancelled', 'forfeited', 'refused')),
    purpose TEXT NOT NULL,
    fee_yen BIGINT NOT NULL,
    genmen TEXT,
    lottery_entry_id BIGINT,
    confirm_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    pay_by BIGINT,
    CHECK (starts_at < ends_at)
);
INSERT INTO fac_reservations (id, municipality_id, public_id, room_id, fac_user_id, starts_at,
                              ends_at, status, purpose, fee_yen, genmen, lottery_entry_id,
                              confirm_by, created_at, updated_at)
    SELECT id, municipality_id, public_id, room_id, fac_user_id, starts_at, ends_at, status,
           purpose, fee_yen, genmen, lottery_entry_id, confirm_by, created_at, updated_at
    FROM old_fac_reservations;
DROP TABLE old_fac_reservations;
CREATE INDEX fac_reservations_user ON fac_reservations (fac_user_id, starts_at);
CREATE INDEX fac_reservations_room ON fac_reservations (room_id, starts_at);
CREATE INDEX fac_reservations_unpaid ON fac_reservations (status, pay_by);

CREATE TEMP TABLE old_payments AS SELECT * FROM payments;
DROP TABLE payments;
CREATE TABLE payments (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    public_id TEXT NOT NULL UNIQUE,
    application_id BIGINT REFERENCES applications (id),
    provider TEXT NOT NULL,
    provider_ref TEXT,
    amount_yen BIGINT NOT NULL CHECK (amount_yen > 0),
    state TEXT NOT NULL CHECK (state IN ('created', 'started', 'succeeded', 'failed',
        'cancelled', 'expired', 'refunded')),
    next_url TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    reservation_id BIGINT REFERENCES fac_reservations (id),
    CHECK ((application_id IS NULL) <> (reservation_id IS NULL))
);
INSERT INTO payments (id, municipality_id, public_id, application_id, provider, provider_ref,
                      amount_yen, state, next_url, created_at, updated_at, expires_at)
    SELECT id, municipality_id, public_id, application_id, provider, provider_ref, amount_yen,
           state, next_url, created_at, updated_at, expires_at
    FROM old_payments;
DROP TABLE old_payments;
CREATE UNIQUE INDEX payments_provider_ref ON payments (provider, provider_ref);
CREATE INDEX payments_application ON payments (application_id);
CREATE INDEX payments_reservation ON payments (reservation_id);

ALTER TABLE fac_settings ADD COLUMN payment_minutes BIGINT NOT NULL DEFAULT 60 CHECK (payment_minutes > 0);
