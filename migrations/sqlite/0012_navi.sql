-- 手続きナビ (issue 5, plan 1-3). Kept in lockstep with ../postgres/0012_navi.sql.
--
-- navi_versions: one row per version of a life event's flow (JSON, the format in
--   src/navi/model.rs). state: draft -> published -> archived. At most one draft and one
--   published version per municipality and event (partial unique indexes). A municipality
--   without a published version uses the shipped flow (crates/madoguchi/navi/).
-- navi_visits: a visit at the counter (counter mode): the event, the answers (the query
--   string, keyed by question id), the event date, and the staff member who opened it.
-- navi_visit_items: the procedures of a visit's checklist the clerk ticked off as done.
-- line_webhook_events: webhookEventId of every LINE webhook event processed, so a
--   redelivery is not processed twice. Nothing of the LINE user is stored.

CREATE TABLE navi_versions (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    event TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    state TEXT NOT NULL CHECK (state IN ('draft', 'published', 'archived')),
    definition TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    published_at BIGINT,
    UNIQUE (municipality_id, event, version)
);
CREATE UNIQUE INDEX navi_versions_one_draft ON navi_versions (municipality_id, event) WHERE state = 'draft';
CREATE UNIQUE INDEX navi_versions_one_published ON navi_versions (municipality_id, event) WHERE state = 'published';

CREATE TABLE navi_visits (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    event TEXT NOT NULL,
    answers TEXT NOT NULL,
    event_date TEXT,
    staff_user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX navi_visits_recent ON navi_visits (municipality_id, created_at);

CREATE TABLE navi_visit_items (
    visit_id BIGINT NOT NULL REFERENCES navi_visits (id),
    procedure_id TEXT NOT NULL,
    done_by BIGINT NOT NULL REFERENCES users (id),
    done_at BIGINT NOT NULL,
    PRIMARY KEY (visit_id, procedure_id)
);

CREATE TABLE line_webhook_events (
    webhook_event_id TEXT NOT NULL PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    event_type TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX line_webhook_events_received ON line_webhook_events (received_at);
