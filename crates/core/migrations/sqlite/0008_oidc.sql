-- OpenID Connect provider: signing keys, relying parties (department
-- systems), authorization codes, refresh tokens and consents.

-- Signing keys. The private key is PKCS#8 DER, base64. A key is active until
-- a newer one of its algorithm replaces it; a retired key is still published
-- in the JWKS until every token it signed has expired (drop_after).
CREATE TABLE oidc_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_der TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT,
    drop_after  BIGINT
);

-- Relying parties. Secrets are stored as SHA-256 (they are long random
-- values, so a fast hash suffices); public clients have none.
CREATE TABLE oidc_clients (
    id                 INTEGER PRIMARY KEY,
    client_id          TEXT NOT NULL CONSTRAINT uq_oidc_clients_client_id UNIQUE,
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL,
    secret_hash        TEXT,
    redirect_uris      TEXT NOT NULL,
    logout_uris        TEXT NOT NULL,
    scopes             TEXT NOT NULL,
    id_token_alg       TEXT NOT NULL,
    require_consent    INTEGER NOT NULL,
    org_id             BIGINT REFERENCES organizations (id),
    status             TEXT NOT NULL DEFAULT 'active',
    created_by         BIGINT REFERENCES accounts (id),
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- Authorization codes, by the SHA-256 of the code. A code is consumed once;
-- a second use revokes what the first one issued (family).
CREATE TABLE oidc_codes (
    code_hash      TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    session_hash   TEXT,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    acr            TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    family         TEXT NOT NULL,
    expires_at     BIGINT NOT NULL,
    consumed_at    BIGINT
);
CREATE INDEX ix_oidc_codes_expires ON oidc_codes (expires_at);

-- Refresh tokens, by SHA-256. Each use replaces the token with a new one of
-- the same family; presenting a used token again revokes the family.
CREATE TABLE oidc_refresh_tokens (
    token_hash   TEXT PRIMARY KEY,
    family       TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    session_hash TEXT,
    scope        TEXT NOT NULL,
    acr          TEXT NOT NULL,
    auth_time    BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX ix_oidc_refresh_family ON oidc_refresh_tokens (family);
CREATE INDEX ix_oidc_refresh_account ON oidc_refresh_tokens (account_id);

-- What a person has allowed a relying party to receive.
CREATE TABLE oidc_consents (
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    client_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

-- Contact details and the real-name level of accounts (GB/T 39046 Table 12).
ALTER TABLE accounts ADD COLUMN phone TEXT;
ALTER TABLE accounts ADD COLUMN email TEXT;
ALTER TABLE accounts ADD COLUMN real_name_level INTEGER NOT NULL DEFAULT 1;
