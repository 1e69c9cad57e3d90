-- Resident form runner (issue 3, "Forms"). Kept in lockstep with ../sqlite/0008_runner_drafts.sql.
--
-- application_drafts.raw_input: what the resident typed on each page, exactly as typed, as a
--   JSON object {page_id: {input_name: value}}. It holds input that does not validate yet (a
--   resident who presses 「戻る」 or 「あとで続ける」 keeps it); `answers` holds only canonical,
--   validated answers. Cleared for a page once that page validates.
ALTER TABLE application_drafts ADD COLUMN raw_input TEXT NOT NULL DEFAULT '{}';
CREATE INDEX application_drafts_expiry ON application_drafts (expires_at);
