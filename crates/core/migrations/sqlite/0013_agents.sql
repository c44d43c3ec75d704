-- 经办人: people an enterprise authorises to act for it, for some items (or
-- all) until a date; the enterprise revokes them at will.
CREATE TABLE enterprise_agents (
    id            INTEGER PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES accounts (id),
    agent_id      BIGINT NOT NULL REFERENCES accounts (id),
    items         TEXT NOT NULL,
    granted_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    revoked_at    BIGINT
);
CREATE INDEX ix_enterprise_agents_agent ON enterprise_agents (agent_id);
CREATE INDEX ix_enterprise_agents_enterprise ON enterprise_agents (enterprise_id);

-- The enterprise a browser session currently acts for, and the same context
-- carried by authorization codes and refresh tokens to relying parties.
ALTER TABLE sessions ADD COLUMN acting_for BIGINT;
ALTER TABLE oidc_codes ADD COLUMN acting_for BIGINT;
ALTER TABLE oidc_refresh_tokens ADD COLUMN acting_for BIGINT;
