-- Pre-review and acceptance (Art. 32): the one complete list of
-- corrections, 受理 with its deadlines, 不予受理 with reason and basis; the
-- official documents each produced; every staff read of a case.
ALTER TABLE applications ADD COLUMN corrected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN accepted_at BIGINT;
ALTER TABLE applications ADD COLUMN clock_from TEXT;
ALTER TABLE applications ADD COLUMN promised_date TEXT;
ALTER TABLE applications ADD COLUMN legal_date TEXT;
ALTER TABLE applications ADD COLUMN late_notice INTEGER NOT NULL DEFAULT 0;

-- Each deficiency of a 补正告知书: where (a field's JSON pointer, a
-- material, or nothing for the whole), what, and on what basis.
CREATE TABLE application_findings (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    target          TEXT NOT NULL,
    problem         TEXT NOT NULL,
    basis           TEXT NOT NULL,
    automatic       INTEGER NOT NULL,
    actor_id        BIGINT REFERENCES accounts (id),
    created_at      BIGINT NOT NULL
);
CREATE INDEX ix_application_findings_app ON application_findings (application_id, id);

-- The official documents of a case (补正告知书, 受理通知书, 不予受理通知书),
-- kept as issued so the PDF reads the same every time it is fetched.
CREATE TABLE application_documents (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    kind            TEXT NOT NULL,
    number          TEXT NOT NULL CONSTRAINT uq_application_documents_number UNIQUE,
    body            TEXT NOT NULL,
    issued_at       BIGINT NOT NULL,
    actor_id        BIGINT REFERENCES accounts (id)
);
CREATE INDEX ix_application_documents_app ON application_documents (application_id, id);

-- Document numbers: one sequence per organisation, kind and year.
CREATE TABLE document_sequences (
    org_id  BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    year    INTEGER NOT NULL,
    last    BIGINT NOT NULL,
    PRIMARY KEY (org_id, kind, year)
);

-- Every time a member of staff opened an applicant's case, for the
-- supervision ledger.
CREATE TABLE application_reads (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    actor_id        BIGINT NOT NULL REFERENCES accounts (id),
    purpose         TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX ix_application_reads_app ON application_reads (application_id, id);
