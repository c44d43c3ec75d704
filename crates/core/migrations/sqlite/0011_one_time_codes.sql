-- One-time codes sent by SMS or email (password reset, contact checks).
-- Only the SHA-256 of a code is kept.
CREATE TABLE one_time_codes (
    id          INTEGER PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    purpose     TEXT NOT NULL,
    channel     TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX ix_one_time_codes_account ON one_time_codes (account_id, purpose);

-- The development outbox: messages that would have been sent, shown at
-- /dev/messages in demo mode when no SMTP server or SMS gateway is set.
CREATE TABLE dev_messages (
    id         INTEGER PRIMARY KEY,
    channel    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
