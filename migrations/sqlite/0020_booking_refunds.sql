-- Refunds of facility fees (docs/facilities.md "Refunds"):
-- payments.refund_requested_at: when Madoguchi decided to give the money back (a paid booking
--   cancelled by its resident, or a payment that arrived for a booking no longer held). The
--   facilities job carries the refund out at the provider and retries until it is done; the
--   mark makes the decision durable before the provider is asked, and only once.
-- payment_events.source gains 'refund' (a move made by carrying out such a refund).
ALTER TABLE payments ADD COLUMN refund_requested_at BIGINT;
CREATE INDEX payments_refund_requested ON payments (refund_requested_at)
    WHERE refund_requested_at IS NOT NULL;

CREATE TEMP TABLE old_payment_events AS SELECT * FROM payment_events;
DROP TABLE payment_events;
CREATE TABLE payment_events (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    payment_id BIGINT NOT NULL REFERENCES payments (id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    amount_yen BIGINT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('create', 'return', 'webhook', 'sync', 'staff', 'refund')),
    at BIGINT NOT NULL
);
INSERT INTO payment_events (id, municipality_id, payment_id, from_state, to_state, amount_yen, source, at)
    SELECT id, municipality_id, payment_id, from_state, to_state, amount_yen, source, at
    FROM old_payment_events;
DROP TABLE old_payment_events;
CREATE INDEX payment_events_day ON payment_events (municipality_id, at);
