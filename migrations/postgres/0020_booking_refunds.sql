-- Refunds of facility fees (docs/facilities.md "Refunds"):
-- payments.refund_requested_at: when Madoguchi decided to give the money back (a paid booking
--   cancelled by its resident, or a payment that arrived for a booking no longer held). The
--   facilities job carries the refund out at the provider and retries until it is done; the
--   mark makes the decision durable before the provider is asked, and only once.
-- payment_events.source gains 'refund' (a move made by carrying out such a refund).
ALTER TABLE payments ADD COLUMN refund_requested_at BIGINT;
CREATE INDEX payments_refund_requested ON payments (refund_requested_at)
    WHERE refund_requested_at IS NOT NULL;

ALTER TABLE payment_events DROP CONSTRAINT payment_events_source_check;
ALTER TABLE payment_events ADD CONSTRAINT payment_events_source_check
    CHECK (source IN ('create', 'return', 'webhook', 'sync', 'staff', 'refund'));
