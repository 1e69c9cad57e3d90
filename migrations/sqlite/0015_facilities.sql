-- Public facilities (issue 7, plan 1-4): one user ID, reservations, lotteries. Kept in lockstep
-- with ../postgres/0015_facilities.sql. See docs/facilities.md.
--
-- fac_facilities: a 公民館, 体育館, 集会施設 or tennis court of a municipality, its terms (whether
--   commercial / political / religious use, food and drink, use by an individual are allowed;
--   whether only 市民等 may enter its lotteries) and booking rules (days ahead, bookings per
--   month per user ID, cancellation deadline in days, whether registration is online: the KPI).
-- fac_rooms: a bookable room or court: opening hours (minutes after midnight, JST), slot length,
--   fees for 市民等 and others.
-- fac_room_atoms: the atomic rooms a room occupies (an atomic room: itself; a hall made of two
--   rooms: both). Booking the hall books both atoms.
-- fac_users: the one user ID (利用者番号) of a resident or group: who, whether 市民等, the
--   purposes (JSON array), the registration application, valid_until (YYYY-MM-DD, e.g. the next
--   31 March). fac_user_facilities: per facility, approved or not and the reason (terms).
-- fac_legacy_ids: a facility's old per-facility user ID linked to the one user ID (staff).
-- fac_reservations: a booking of a room for [starts_at, ends_at) (UTC ms): 'confirmed',
--   'review' (減免 requested: staff decide), 'won' (lottery, to be confirmed by confirm_by),
--   'cancelled', 'forfeited' (not confirmed in time), 'refused' (staff).
-- fac_reservation_units: one row per atomic room a live reservation holds (deleted when it is
--   cancelled, forfeited or refused). NO DOUBLE BOOKING is enforced here by the database:
--   on SQLite the trigger fac_reservation_units_exclusion refuses an overlapping row (and the
--   service checks and inserts in one BEGIN IMMEDIATE transaction on the single writer).
-- fac_lotteries: a monthly 抽選 of a facility for target_month (YYYY-MM): the entry window
--   [opens_at, closes_at), draw_at, the winners' confirmation deadline, entries per user ID,
--   市民等 only; seed (secret until the draw) and seed_hash = SHA-256 of it (published).
-- fac_lottery_slots: the slots drawn; fac_lottery_entries: one entry per user ID and slot.
-- fac_settings: see below. No 個人番号 (My Number) is ever stored.
CREATE TABLE fac_facilities (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    code TEXT NOT NULL,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('kominkan', 'taiikukan', 'shukai', 'tennis')),
    address TEXT NOT NULL,
    phone TEXT NOT NULL,
    allow_commercial BOOLEAN NOT NULL,
    allow_political BOOLEAN NOT NULL,
    allow_religious BOOLEAN NOT NULL,
    allow_food BOOLEAN NOT NULL,
    allow_individual BOOLEAN NOT NULL,
    citizens_only_lottery BOOLEAN NOT NULL,
    book_ahead_days BIGINT NOT NULL,
    max_per_month BIGINT NOT NULL,
    cancel_days BIGINT NOT NULL,
    online_registration BOOLEAN NOT NULL,
    position BIGINT NOT NULL,
    UNIQUE (municipality_id, code)
);

CREATE TABLE fac_rooms (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    facility_id BIGINT NOT NULL REFERENCES fac_facilities (id),
    code TEXT NOT NULL,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    opens_min BIGINT NOT NULL,
    closes_min BIGINT NOT NULL,
    slot_min BIGINT NOT NULL CHECK (slot_min > 0),
    fee_citizen_yen BIGINT NOT NULL,
    fee_other_yen BIGINT NOT NULL,
    position BIGINT NOT NULL,
    UNIQUE (facility_id, code),
    CHECK (opens_min < closes_min)
);

CREATE TABLE fac_room_atoms (
    room_id BIGINT NOT NULL REFERENCES fac_rooms (id),
    atom_id BIGINT NOT NULL REFERENCES fac_rooms (id),
    PRIMARY KEY (room_id, atom_id)
);

CREATE TABLE fac_users (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    user_number TEXT NOT NULL UNIQUE,
    resident_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('individual', 'group')),
    name TEXT NOT NULL,
    citizen BOOLEAN NOT NULL,
    purposes TEXT NOT NULL,
    members BIGINT NOT NULL,
    application_id BIGINT,
    valid_until TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (municipality_id, resident_id)
);

CREATE TABLE fac_user_facilities (
    fac_user_id BIGINT NOT NULL REFERENCES fac_users (id),
    facility_id BIGINT NOT NULL REFERENCES fac_facilities (id),
    approved BOOLEAN NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (fac_user_id, facility_id)
);

CREATE TABLE fac_legacy_ids (
    facility_id BIGINT NOT NULL REFERENCES fac_facilities (id),
    legacy_id TEXT NOT NULL,
    fac_user_id BIGINT NOT NULL REFERENCES fac_users (id),
    linked_by BIGINT NOT NULL,
    linked_at BIGINT NOT NULL,
    PRIMARY KEY (facility_id, legacy_id)
);

CREATE TABLE fac_reservations (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    public_id TEXT NOT NULL UNIQUE,
    room_id BIGINT NOT NULL REFERENCES fac_rooms (id),
    fac_user_id BIGINT NOT NULL REFERENCES fac_users (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('confirmed', 'review', 'won', 'cancelled', 'forfeited', 'refused')),
    purpose TEXT NOT NULL,
    fee_yen BIGINT NOT NULL,
    genmen TEXT,
    lottery_entry_id BIGINT,
    confirm_by BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX fac_reservations_user ON fac_reservations (fac_user_id, starts_at);
CREATE INDEX fac_reservations_room ON fac_reservations (room_id, starts_at);

CREATE TABLE fac_reservation_units (
    reservation_id BIGINT NOT NULL REFERENCES fac_reservations (id),
    atom_id BIGINT NOT NULL REFERENCES fac_rooms (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    PRIMARY KEY (reservation_id, atom_id),
    CHECK (starts_at < ends_at)
);
CREATE INDEX fac_units_atom ON fac_reservation_units (atom_id, starts_at);

-- SQLite has no exclusion constraints: this trigger is the database's own guard, the
-- counterpart of PostgreSQL's fac_units_no_overlap (tests/schema_parity.rs pairs them).
CREATE TRIGGER fac_reservation_units_exclusion BEFORE INSERT ON fac_reservation_units
WHEN EXISTS (
    SELECT 1 FROM fac_reservation_units u
    WHERE u.atom_id = NEW.atom_id AND u.starts_at < NEW.ends_at AND NEW.starts_at < u.ends_at
)
BEGIN
    SELECT RAISE(ABORT, 'fac_units_no_overlap');
END;

CREATE TABLE fac_lotteries (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    facility_id BIGINT NOT NULL REFERENCES fac_facilities (id),
    target_month TEXT NOT NULL,
    opens_at BIGINT NOT NULL,
    closes_at BIGINT NOT NULL,
    draw_at BIGINT NOT NULL,
    confirm_until BIGINT NOT NULL,
    max_entries BIGINT NOT NULL,
    citizens_only BOOLEAN NOT NULL,
    seed TEXT NOT NULL,
    seed_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'drawn')),
    drawn_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (facility_id, target_month)
);

CREATE TABLE fac_lottery_slots (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    lottery_id BIGINT NOT NULL REFERENCES fac_lotteries (id),
    room_id BIGINT NOT NULL REFERENCES fac_rooms (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    CHECK (starts_at < ends_at)
);
CREATE INDEX fac_lottery_slots_lottery ON fac_lottery_slots (lottery_id);

CREATE TABLE fac_lottery_entries (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    lottery_id BIGINT NOT NULL REFERENCES fac_lotteries (id),
    slot_id BIGINT NOT NULL REFERENCES fac_lottery_slots (id),
    fac_user_id BIGINT NOT NULL REFERENCES fac_users (id),
    result TEXT NOT NULL CHECK (result IN ('pending', 'won', 'lost')),
    reservation_id BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (slot_id, fac_user_id)
);
CREATE INDEX fac_lottery_entries_user ON fac_lottery_entries (fac_user_id);

-- fac_settings: per municipality, the day registrations expire (MM-DD, default 03-31) and how
-- many months before the month of use a lottery's entry window opens (default 3). Written
-- from the [facilities] configuration when the server starts.
CREATE TABLE fac_settings (
    municipality_id TEXT NOT NULL PRIMARY KEY REFERENCES municipalities (id),
    expires_on TEXT NOT NULL,
    lottery_months_before BIGINT NOT NULL
);
