-- Identity: accounts, staff role grants, server-side sessions.
CREATE TABLE accounts (
    id                  INTEGER PRIMARY KEY,
    username            TEXT NOT NULL CONSTRAINT uq_accounts_username UNIQUE,
    kind                TEXT NOT NULL,
    display_name        TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    org_id              BIGINT REFERENCES organizations (id),
    credit_code         TEXT,
    status              TEXT NOT NULL DEFAULT 'active',
    failed_logins       INTEGER NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    password_changed_at BIGINT,
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX ix_accounts_org ON accounts (org_id);

CREATE TABLE role_grants (
    id         INTEGER PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    role       TEXT NOT NULL,
    org_id     BIGINT NOT NULL REFERENCES organizations (id),
    granted_by BIGINT REFERENCES accounts (id),
    granted_at BIGINT NOT NULL,
    CONSTRAINT uq_role_grants UNIQUE (account_id, role, org_id)
);
CREATE INDEX ix_role_grants_org ON role_grants (org_id);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    user_agent   TEXT,
    ip           TEXT
);
CREATE INDEX ix_sessions_account ON sessions (account_id);
CREATE INDEX ix_sessions_expires ON sessions (expires_at);
