-- Forms, applications and cases (issue 3, plan 1-1). Kept in lockstep with
-- ../postgres/0004_applications.sql.
--
-- form_versions: one row per version of a procedure's form definition (JSON, the format in
--   src/procedures/form/def.rs). state: draft -> published -> archived. At most one draft and
--   one published version per procedure (partial unique indexes). An application keeps the
--   version it was filled on, so a published definition is never edited, only archived.
-- applications: a submitted application and its case (案件). state is the case state
--   (src/procedures/case.rs). answers/computed are JSON. receipt is the compact 受付番号
--   (src/procedures/receipt.rs). The applicant is a resident account or, for a procedure that
--   needs no sign-in, an e-mail address.
-- idempotency_keys: a retried POST with the same key and scope returns the first application.
--   request_hash tells a retry from a different request that reuses the key.
-- application_entries: the case timeline and the two-way window: messages (resident <-> staff),
--   internal notes (never shown to the resident), transitions, correction requests (fields =
--   JSON array of field ids), decisions with their notice text.
-- application_drafts: a resident's unfinished application (auto-saved). A signed-in resident
--   has one per procedure; an anonymous applicant resumes with a mailed link whose token is
--   stored hashed (SHA-256).
-- attachments: uploaded files, stored in the database so a backup holds everything. Checked for
--   type and size before they are stored; public_id is random and is what answers refer to.

CREATE TABLE form_versions (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    procedure_id BIGINT NOT NULL REFERENCES procedures (id),
    version BIGINT NOT NULL CHECK (version >= 1),
    state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'archived')),
    definition TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT,
    UNIQUE (procedure_id, version)
);
CREATE UNIQUE INDEX form_versions_one_draft ON form_versions (procedure_id) WHERE state = 'draft';
CREATE UNIQUE INDEX form_versions_one_published ON form_versions (procedure_id) WHERE state = 'published';

CREATE TABLE applications (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    receipt TEXT NOT NULL UNIQUE,
    procedure_id BIGINT NOT NULL REFERENCES procedures (id),
    form_version_id BIGINT NOT NULL REFERENCES form_versions (id),
    applicant_user_id BIGINT REFERENCES users (id),
    applicant_email TEXT,
    applicant_name TEXT NOT NULL DEFAULT '',
    answers TEXT NOT NULL,
    computed TEXT NOT NULL DEFAULT '{}',
    fee_yen BIGINT CHECK (fee_yen IS NULL OR fee_yen >= 0),
    state TEXT NOT NULL CHECK (state IN ('received', 'under_review', 'correction_requested',
        'resubmitted', 'approved', 'rejected', 'dismissed', 'withdrawn', 'completed')),
    department_id BIGINT REFERENCES departments (id),
    assigned_to BIGINT REFERENCES users (id),
    correction_fields TEXT,
    due_at BIGINT,
    submitted_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    decided_at BIGINT,
    CHECK (applicant_user_id IS NOT NULL OR applicant_email IS NOT NULL)
);
CREATE INDEX applications_queue ON applications (municipality_id, department_id, state);
CREATE INDEX applications_applicant ON applications (applicant_user_id);
CREATE INDEX applications_procedure ON applications (procedure_id, submitted_at);

CREATE TABLE idempotency_keys (
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (municipality_id, scope, key)
);

CREATE TABLE application_entries (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    kind TEXT NOT NULL CHECK (kind IN ('message', 'note', 'transition', 'correction_request',
        'resubmission', 'decision', 'assignment')),
    author_user_id BIGINT REFERENCES users (id),
    author_role TEXT NOT NULL CHECK (author_role IN ('applicant', 'staff', 'system')),
    from_state TEXT,
    to_state TEXT,
    body TEXT NOT NULL DEFAULT '',
    fields TEXT,
    internal BOOLEAN NOT NULL DEFAULT FALSE,
    read_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX application_entries_timeline ON application_entries (application_id, id);

CREATE TABLE application_drafts (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    procedure_id BIGINT NOT NULL REFERENCES procedures (id),
    form_version_id BIGINT NOT NULL REFERENCES form_versions (id),
    owner_user_id BIGINT REFERENCES users (id),
    email TEXT,
    resume_token_hash TEXT UNIQUE,
    answers TEXT NOT NULL DEFAULT '{}',
    current_page TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    UNIQUE (municipality_id, owner_user_id, procedure_id)
);

CREATE TABLE attachments (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    public_id TEXT NOT NULL UNIQUE,
    draft_id BIGINT REFERENCES application_drafts (id) ON DELETE SET NULL,
    application_id BIGINT REFERENCES applications (id),
    owner_user_id BIGINT REFERENCES users (id),
    field_path TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_application ON attachments (application_id);
CREATE INDEX attachments_draft ON attachments (draft_id);
