-- Procedure catalogue (issue 3, plan 1-1): one row per 手続 a municipality offers.
-- Kept in lockstep with ../postgres/0003_procedures.sql. Version 0002 is taken by another branch
-- (passkeys); sqlx applies versions in order and does not require them to be contiguous.
--
-- life_events: comma-separated tags from a fixed list (see src/procedures/mod.rs).
-- search_text: normalize_for_search() of the searchable fields (src/procedures/search.rs),
-- recomputed by the application on every write; searched with LIKE on both databases.
-- fee_yen NULL = free; processing_days NULL = no standard processing period (標準処理期間) set.
-- department_id must belong to the same municipality; the application checks it.

CREATE TABLE procedures (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    slug TEXT NOT NULL,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    reading_ja TEXT NOT NULL,
    department_id BIGINT REFERENCES departments (id),
    summary_ja TEXT NOT NULL,
    summary_en TEXT NOT NULL,
    eligibility_ja TEXT NOT NULL,
    documents_ja TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    fee_yen BIGINT CHECK (fee_yen IS NULL OR fee_yen >= 0),
    processing_days BIGINT CHECK (processing_days IS NULL OR processing_days >= 0),
    identity_level TEXT NOT NULL CHECK (identity_level IN ('none', 'signed_in', 'card')),
    life_events TEXT NOT NULL DEFAULT '',
    online BOOLEAN NOT NULL DEFAULT FALSE,
    search_text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (municipality_id, slug)
);
CREATE INDEX procedures_online ON procedures (municipality_id, online);
