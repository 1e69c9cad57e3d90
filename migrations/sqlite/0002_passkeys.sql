-- Passkeys (WebAuthn) for residents and staff, and the server-side state of a ceremony between
-- its two requests. Kept in lockstep with ../postgres/0002_passkeys.sql (tests/schema_parity.rs).

-- One row per registered credential. `passkey_json` is webauthn-rs's serialised `Passkey`
-- (public key, counter, flags); `credential_id` is its id in unpadded base64url, unique across
-- the whole deployment so a login finds the row without knowing the user first.
-- `user_handle` is the random UUID the authenticator stores as the WebAuthn user id; one per
-- user (all of a user's passkeys share it), never the database id.
CREATE TABLE passkeys (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    user_handle TEXT NOT NULL,
    credential_id TEXT NOT NULL UNIQUE,
    passkey_json TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- A registration or login in progress. The browser holds only a random handle in the
-- `__Host-webauthn` cookie; `id_hash` is its SHA-256. Rows live five minutes and are used once.
CREATE TABLE webauthn_challenges (
    id_hash TEXT NOT NULL PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    user_id BIGINT REFERENCES users (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('register', 'authenticate')),
    state_json TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
