-- Web口座振替: a bill's state leaves the bill row (issue 6, 200,000 records/s). Kept in lockstep
-- with ../sqlite/0017_debit_queue.sql.
--
-- An export of 100,000 debits used to rewrite 100,000 wide debit_bills rows (and, on
-- PostgreSQL, every index of each, as a changed indexed column rules out HOT updates) plus
-- 100,000 debit_mandates rows for their 新規コード. Now a bill row is the tax system's fact and
-- never changes state; what happens to it is recorded in narrow tables that an export or a
-- result import appends to or deletes from:
--
-- debit_open_bills: the bills not yet requested (the export's work queue). A bill import adds
--   rows, an export deletes them.
-- debit_request_bills: which request file each requested bill (of which mandate) went out in
--   (the file's data records are the request's bills in id order). No foreign keys: its rows are written only by
--   the export's one INSERT … SELECT from debit_bills and debit_requests rows of the same
--   transaction, and a per-row foreign-key check was the largest part of that statement's time.
-- debit_unpaid: the bills the bank's result file reports as not paid, with the 振替結果コード.
--   Every other bill of a request whose result was imported is paid.
-- debit_first_debits: the mandates whose next request carries 新規コード 1 (replaces
--   debit_mandates.first_debit).
-- debit_bill_states: the view that puts it together: status 'open', 'requested', 'paid' or
--   'unpaid', request_id and result_code of each bill.

CREATE TABLE debit_open_bills (
    bill_id BIGINT NOT NULL PRIMARY KEY REFERENCES debit_bills (id),
    municipality_id TEXT NOT NULL
);
INSERT INTO debit_open_bills (bill_id, municipality_id)
    SELECT id, municipality_id FROM debit_bills WHERE status = 'open';

CREATE TABLE debit_request_bills (
    bill_id BIGINT NOT NULL PRIMARY KEY,
    request_id BIGINT NOT NULL,
    mandate_id BIGINT NOT NULL
);
CREATE INDEX debit_request_bills_request ON debit_request_bills (request_id);
INSERT INTO debit_request_bills (bill_id, request_id, mandate_id)
    SELECT id, request_id, mandate_id FROM debit_bills WHERE request_id IS NOT NULL;

CREATE TABLE debit_unpaid (
    bill_id BIGINT NOT NULL PRIMARY KEY REFERENCES debit_bills (id),
    request_id BIGINT NOT NULL REFERENCES debit_requests (id),
    result_code TEXT NOT NULL
);
CREATE INDEX debit_unpaid_request ON debit_unpaid (request_id);
INSERT INTO debit_unpaid (bill_id, request_id, result_code)
    SELECT id, request_id, COALESCE(result_code, '9') FROM debit_bills
    WHERE status = 'unpaid' AND request_id IS NOT NULL;

CREATE TABLE debit_first_debits (
    mandate_id BIGINT NOT NULL PRIMARY KEY REFERENCES debit_mandates (id)
);
INSERT INTO debit_first_debits (mandate_id) SELECT id FROM debit_mandates WHERE first_debit;

ALTER TABLE debit_bills DROP COLUMN status;
ALTER TABLE debit_bills DROP COLUMN request_id;
ALTER TABLE debit_bills DROP COLUMN result_code;
ALTER TABLE debit_mandates DROP COLUMN first_debit;

CREATE VIEW debit_bill_states AS
SELECT b.id AS bill_id,
       b.municipality_id AS municipality_id,
       CASE WHEN o.bill_id IS NOT NULL THEN 'open'
            WHEN u.bill_id IS NOT NULL THEN 'unpaid'
            WHEN r.result_imported_at IS NOT NULL THEN 'paid'
            ELSE 'requested' END AS status,
       rb.request_id AS request_id,
       CASE WHEN u.bill_id IS NOT NULL THEN u.result_code
            WHEN r.result_imported_at IS NOT NULL THEN '0' END AS result_code
FROM debit_bills b
LEFT JOIN debit_open_bills o ON o.bill_id = b.id
LEFT JOIN debit_request_bills rb ON rb.bill_id = b.id
LEFT JOIN debit_requests r ON r.id = rb.request_id
LEFT JOIN debit_unpaid u ON u.bill_id = b.id;
