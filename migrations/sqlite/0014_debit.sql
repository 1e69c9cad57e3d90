-- Web口座振替 (issue 6, plan 1-2). Kept in lockstep with ../postgres/0014_debit.sql.
--
-- banks, bank_branches: the bank master in the zengin-code source-data layout (banks.json and
--   branches/<bank>.json), shared by every municipality; `madoguchi banks import` replaces it.
--   name/kana as the data has them (kana full-width, 全銀 conventions: no small kana).
-- debit_banks: the banks (the "9 banks") each municipality accepts for 口座振替, in display order.
-- debit_items: the taxes and fees (税目・料金) each municipality collects by direct debit.
-- debit_mandates: one 口座振替の申込 (direct-debit mandate): the resident, the account (bank,
--   branch, 預金種目 1 普通 / 2 当座 / 3 納税準備預金 / 9 その他, account number, holder name in
--   全銀 half-width kana) and its status: 'pending' (sent to the bank, not confirmed), 'active',
--   'suspended' (staff), 'cancelled'. customer_number is the 顧客番号 of the 種別91 record (digits,
--   unique per municipality); starts_on the first debit date (YYYY-MM-DD) once active.
--   bank_nonce / bank_expires_at: the outstanding signed redirect to the bank (NULL once a return
--   was accepted, so a replayed return is refused). first_debit: the next request carries
--   新規コード 1. No 個人番号 (My Number) is ever stored.
-- debit_mandate_items: which items a mandate pays.
-- debit_bills: an amount owed (from the tax system's CSV) for a customer number and item, due on
--   a date: 'open' (not yet requested), 'requested' (in the 種別91 request file request_id; the
--   file's data records are the request's bills in id order), 'paid' or 'unpaid' (from the
--   bank's result file; result_code is the 振替結果コード). The open-bills index is partial, so
--   marking bills requested does not have to update it.
-- debit_requests: one 種別91 request file per bank and debit date; the result file imported for
--   it (its SHA-256, so importing the same file twice changes nothing) and the totals.
CREATE TABLE banks (
    code TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    kana TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE bank_branches (
    bank_code TEXT NOT NULL REFERENCES banks (code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    kana TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (bank_code, code)
);

CREATE TABLE debit_banks (
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    bank_code TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (municipality_id, bank_code)
);

CREATE TABLE debit_items (
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    code TEXT NOT NULL,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (municipality_id, code)
);

CREATE TABLE debit_mandates (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    public_id TEXT NOT NULL UNIQUE,
    resident_id BIGINT REFERENCES users (id),
    channel TEXT NOT NULL CHECK (channel IN ('web', 'paper')),
    customer_number TEXT NOT NULL,
    bank_code TEXT NOT NULL,
    branch_code TEXT NOT NULL,
    account_type BIGINT NOT NULL CHECK (account_type IN (1, 2, 3, 9)),
    account_number TEXT NOT NULL,
    holder_kana TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'suspended', 'cancelled')),
    starts_on TEXT,
    bank_nonce TEXT,
    bank_expires_at BIGINT,
    bank_ref TEXT,
    first_debit BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    updated_at BIGINT NOT NULL,
    UNIQUE (municipality_id, customer_number)
);
CREATE INDEX debit_mandates_resident ON debit_mandates (resident_id);
CREATE INDEX debit_mandates_activated ON debit_mandates (municipality_id, activated_at);

CREATE TABLE debit_mandate_items (
    mandate_id BIGINT NOT NULL REFERENCES debit_mandates (id),
    item_code TEXT NOT NULL,
    PRIMARY KEY (mandate_id, item_code)
);

CREATE TABLE debit_requests (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    bank_code TEXT NOT NULL,
    debit_date TEXT NOT NULL,
    file_name TEXT NOT NULL,
    records BIGINT NOT NULL,
    total_yen BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    result_sha256 TEXT,
    result_imported_at BIGINT,
    paid_count BIGINT,
    paid_yen BIGINT,
    unpaid_count BIGINT,
    unpaid_yen BIGINT
);
CREATE INDEX debit_requests_bank_date ON debit_requests (municipality_id, bank_code, debit_date);

CREATE TABLE debit_bills (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    customer_number TEXT NOT NULL,
    item_code TEXT NOT NULL,
    amount_yen BIGINT NOT NULL CHECK (amount_yen > 0),
    due_date TEXT NOT NULL,
    mandate_id BIGINT NOT NULL REFERENCES debit_mandates (id),
    status TEXT NOT NULL CHECK (status IN ('open', 'requested', 'paid', 'unpaid')),
    request_id BIGINT REFERENCES debit_requests (id),
    result_code TEXT,
    imported_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (municipality_id, customer_number, item_code, due_date)
);
CREATE INDEX debit_bills_open ON debit_bills (municipality_id, due_date) WHERE status = 'open';
CREATE INDEX debit_bills_request ON debit_bills (request_id);
