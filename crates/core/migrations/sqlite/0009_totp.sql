-- Second factor: TOTP (mandatory for staff). The secret is base32; the last
-- accepted step is kept so that a code is never accepted twice.
ALTER TABLE accounts ADD COLUMN totp_secret TEXT;
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT;

-- A password accepted, a second factor still owed: the browser holds the
-- random token (its SHA-256 is kept here) for a few minutes.
CREATE TABLE login_challenges (
    token_hash     TEXT PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    pending_secret TEXT,
    next           TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    expires_at     BIGINT NOT NULL
);
