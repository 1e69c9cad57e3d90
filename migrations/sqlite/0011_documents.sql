-- Official documents (issue 4, "Documents"). Kept in lockstep with ../postgres/0011_documents.sql.
--
-- documents: the notices (通知書) issued at decision time, stored once so that the document a
--   resident downloads later is byte for byte the one issued (receipts are generated on demand).
--   number: the 文書番号 printed on it. sha256: hex of pdf. signature: a detached CMS
--   (RFC 5652) SignedData over pdf, DER, when a signing key is configured.
CREATE TABLE documents (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    application_id BIGINT NOT NULL REFERENCES applications (id),
    kind TEXT NOT NULL CHECK (kind = 'notice'),
    decision TEXT NOT NULL CHECK (decision IN ('approved', 'rejected', 'dismissed', 'completed')),
    number TEXT NOT NULL,
    pdf BLOB NOT NULL,
    sha256 TEXT NOT NULL,
    signature BLOB,
    created_at BIGINT NOT NULL,
    UNIQUE (application_id, decision)
);
CREATE INDEX documents_municipality ON documents (municipality_id, created_at);
