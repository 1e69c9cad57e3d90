-- My Number card identity and staff single sign-on (issue 4). Kept in lockstep with
-- ../postgres/0009_identity.sql.

-- identity_links: a resident's or staff member's account linked to an OpenID Connect subject.
--   Only the issuer and `sub` are kept, never a 個人番号. provider 'card' is デジタル認証アプリ
--   (My Number card), 'staff' the city's own staff identity provider.
CREATE TABLE identity_links (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    provider TEXT NOT NULL CHECK (provider IN ('card', 'staff')),
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    UNIQUE (municipality_id, provider, issuer, subject),
    UNIQUE (user_id, provider)
);

-- verified_facts: the basic four facts (基本4情報) read from the card, only those the resident
--   agreed to share, each with the time it was read.
CREATE TABLE verified_facts (
    user_id BIGINT NOT NULL REFERENCES users (id),
    fact TEXT NOT NULL CHECK (fact IN ('name', 'address', 'birthdate', 'gender')),
    value TEXT NOT NULL,
    verified_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, fact)
);

-- oidc_requests: one pending sign-in (state, nonce, PKCE verifier), bound to the browser by
--   the digest of a random cookie value, used once and short-lived.
CREATE TABLE oidc_requests (
    state_hash TEXT NOT NULL PRIMARY KEY,
    municipality_id TEXT NOT NULL REFERENCES municipalities (id),
    provider TEXT NOT NULL CHECK (provider IN ('card', 'staff')),
    browser_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    scopes TEXT NOT NULL,
    next_path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX oidc_requests_expiry ON oidc_requests (expires_at);

-- sessions.identity_level: how the session's sign-in proved who it is: 'signed_in' (password,
--   passkey, staff provider) or 'card' (My Number card through デジタル認証アプリ).
ALTER TABLE sessions ADD COLUMN identity_level TEXT NOT NULL DEFAULT 'signed_in' CHECK (identity_level IN ('signed_in', 'card'));
