-- When the applicant ended the power of the person acting for them on this
-- application (a community agent's 代办 consent withdrawn, a 授权委托书
-- revoked): from then on that person neither reads nor changes it.
ALTER TABLE applications ADD COLUMN authority_ended_at BIGINT;

-- Bumped by every file given to or taken back from the application, so a
-- submission that read the files can tell, in its guarded update, that they
-- changed meanwhile (answers saved in another tab do not disturb it).
ALTER TABLE applications ADD COLUMN files_revision BIGINT NOT NULL DEFAULT 0;

-- A person's consent that a community agent (代办员) applies for them on
-- one item: asked by the agent with the person's name and ID number (the
-- same answer whether or not they match anyone, so nothing is learnt), a
-- code sent to the person's phone of record and inbox, confirmed when the
-- agent enters it (or the person confirms in their inbox); withdrawn by
-- the person at any time, which ends the agent's power over the
-- application started under it. Every request is kept.
CREATE TABLE consents (
    id              BIGSERIAL PRIMARY KEY,
    public_id       TEXT NOT NULL CONSTRAINT uq_consents_public UNIQUE,
    acting_id       BIGINT NOT NULL REFERENCES accounts (id),
    person_id       BIGINT REFERENCES accounts (id),
    task_code       TEXT NOT NULL,
    situation_code  TEXT NOT NULL DEFAULT '',
    code_hash       TEXT,
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    confirmed_at    BIGINT,
    withdrawn_at    BIGINT,
    application_id  BIGINT REFERENCES applications (id)
);
CREATE INDEX ix_consents_person ON consents (person_id, created_at);
CREATE INDEX ix_consents_acting ON consents (acting_id, created_at);
ALTER TABLE applications ADD COLUMN consent_id BIGINT;

-- History is append-only: no row of these tables is ever updated or
-- deleted, whatever the code does (a case is a ledger).
CREATE FUNCTION tongban_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER application_events_append_only BEFORE UPDATE OR DELETE ON application_events FOR EACH ROW EXECUTE FUNCTION tongban_append_only();
CREATE TRIGGER application_submissions_append_only BEFORE UPDATE OR DELETE ON application_submissions FOR EACH ROW EXECUTE FUNCTION tongban_append_only();
CREATE TRIGGER application_documents_append_only BEFORE UPDATE OR DELETE ON application_documents FOR EACH ROW EXECUTE FUNCTION tongban_append_only();
CREATE TRIGGER application_findings_append_only BEFORE UPDATE OR DELETE ON application_findings FOR EACH ROW EXECUTE FUNCTION tongban_append_only();
CREATE TRIGGER application_reads_append_only BEFORE UPDATE OR DELETE ON application_reads FOR EACH ROW EXECUTE FUNCTION tongban_append_only();
CREATE TRIGGER item_events_append_only BEFORE UPDATE OR DELETE ON item_events FOR EACH ROW EXECUTE FUNCTION tongban_append_only();
CREATE TRIGGER code_list_events_append_only BEFORE UPDATE OR DELETE ON code_list_events FOR EACH ROW EXECUTE FUNCTION tongban_append_only();
