-- Guest applicants (issue 3, "Applications and cases"). Kept in lockstep with ../postgres/0013_guest_access.sql.
--
-- applications.guest_key_digest: SHA-256 (hex) of the random key in the link that the
--   confirmation mail of a guest application (no account) carries, so the applicant can open
--   the application's page without signing in. NULL for applications made from an account. Kept when the
--   application is later taken over by an account with the same verified address, so the link
--   in the old mail goes on working (read-only).
ALTER TABLE applications ADD COLUMN guest_key_digest TEXT;
