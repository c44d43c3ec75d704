-- 消息通知 notices to people: each message kept once (its dedupe key makes
-- a retried event produce no second message), shown in the person's inbox
-- unless it is a secret such as a one-time code, and delivered by SMS and
-- email, one delivery row per channel with its own status and retries.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    account_id  BIGINT REFERENCES accounts (id),
    topic       TEXT NOT NULL,
    dedupe_key  TEXT NOT NULL CONSTRAINT uq_notices_dedupe UNIQUE,
    lang        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    inbox       INTEGER NOT NULL,
    sensitive   INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX ix_notices_inbox ON notices (account_id, inbox, id);
CREATE INDEX ix_notices_unread ON notices (account_id, read_at);

CREATE TABLE notice_deliveries (
    id          INTEGER PRIMARY KEY,
    notice_id   BIGINT NOT NULL REFERENCES notices (id),
    channel     TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    address     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX ix_notice_deliveries_notice ON notice_deliveries (notice_id);

-- A person's preferences: the language messages are written in, and the
-- channels besides the inbox they want notices on ('sms,email').
ALTER TABLE accounts ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh-CN';
ALTER TABLE accounts ADD COLUMN notify_channels TEXT NOT NULL DEFAULT 'sms,email';

-- A code that proves a new contact (email or phone) names the address it
-- was sent to; it is recorded on the account when the code comes back.
ALTER TABLE one_time_codes ADD COLUMN target TEXT;
