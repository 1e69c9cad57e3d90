-- Public facilities (issue 7): lotteries created by staff, the 第1/第2希望 ladder, a maximum
-- number of wins per user ID, and booking fees paid online. Kept in lockstep with
-- ../sqlite/0018_facility_lotteries_and_fees.sql. See docs/facilities.md.
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
ALTER TABLE fac_reservations DROP CONSTRAINT fac_reservations_status_check;
ALTER TABLE fac_reservations ADD CONSTRAINT fac_reservations_status_check
    CHECK (status IN ('confirmed', 'review', 'won', 'unpaid', 'cancelled', 'forfeited', 'refused'));
ALTER TABLE fac_reservations ADD COLUMN pay_by BIGINT;
CREATE INDEX fac_reservations_unpaid ON fac_reservations (status, pay_by);

ALTER TABLE payments ALTER COLUMN application_id DROP NOT NULL;
ALTER TABLE payments ADD COLUMN reservation_id BIGINT REFERENCES fac_reservations (id);
ALTER TABLE payments ADD CONSTRAINT payments_one_owner
    CHECK ((application_id IS NULL) <> (reservation_id IS NULL));
CREATE INDEX payments_reservation ON payments (reservation_id);

ALTER TABLE fac_settings ADD COLUMN payment_minutes BIGINT NOT NULL DEFAULT 60 CHECK (payment_minutes > 0);
