-- Payments (issue 4, part 2, plan 1-1). Kept in lockstep with ../postgres/0010_payments.sql.
--
-- application_fees: the fee (手数料) an application owes, at most one per application. source:
--   'submission' (the procedure's fee or the form's computed `fee`, fixed when the resident
--   submits) or 'staff' (set on the case page after review, 「手数料を設定」). due_before says
--   which case step waits for the payment: 'review' (the case stays 受付 until paid),
--   'completion' (完了 waits for it) or 'none' (payable online, never blocks the case).
-- procedure_payment_timing: per procedure, the due_before of fees fixed at submission (no row:
--   'none').
-- payments: one attempt to pay a fee through a provider (create -> redirect -> return ->
--   server-side status lookup). state follows src/payments/state.rs; public_id is random and is
--   what URLs carry; provider_ref is the provider's id of the payment.
-- payment_events: every state change of a payment, one row each (the reconciliation CSV for
--   会計課 lists them per day).
-- payment_webhooks: webhook event ids already processed, so a replayed webhook is a no-op.
CREATE TABLE application_fees (
    application_id BIGINT NOT NULL PRIMARY KEY REFERENCES applications (id),
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    amount_yen BIGINT NOT NULL CHECK (amount_yen > 0),
    source TEXT NOT NULL CHECK (source IN ('submission', 'staff')),
    due_before TEXT NOT NULL CHECK (due_before IN ('none', 'review', 'completion')),
    set_by BIGINT REFERENCES users (id),
    set_at BIGINT NOT NULL
);

CREATE TABLE procedure_payment_timing (
    procedure_id BIGINT NOT NULL PRIMARY KEY REFERENCES procedures (id),
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    due_before TEXT NOT NULL CHECK (due_before IN ('none', 'review', 'completion'))
);

CREATE TABLE payments (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    public_id TEXT NOT NULL UNIQUE,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    provider TEXT NOT NULL,
    provider_ref TEXT,
    amount_yen BIGINT NOT NULL CHECK (amount_yen > 0),
    state TEXT NOT NULL CHECK (state IN ('created', 'started', 'succeeded', 'failed',
        'cancelled', 'expired', 'refunded')),
    next_url TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX payments_provider_ref ON payments (provider, provider_ref);
CREATE INDEX payments_application ON payments (application_id);

CREATE TABLE payment_events (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    payment_id BIGINT NOT NULL REFERENCES payments (id),
    from_state TEXT,
    to_state TEXT NOT NULL,
    amount_yen BIGINT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('create', 'return', 'webhook', 'sync', 'staff')),
    at BIGINT NOT NULL
);
CREATE INDEX payment_events_day ON payment_events (municipality_id, at);

CREATE TABLE payment_webhooks (
    provider TEXT NOT NULL,
    event_id TEXT NOT NULL,
    payment_ref TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
