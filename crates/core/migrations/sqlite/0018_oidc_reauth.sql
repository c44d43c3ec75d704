-- A relying party's demand for a fresh sign-in (prompt=login), kept on the
-- server: the browser carries only a random token to the sign-in page and
-- back, and a session counts as fresh only if it began after the demand.
CREATE TABLE oidc_reauth (
    token_hash TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
