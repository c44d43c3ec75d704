-- 申办 applications: a draft on the server (every page saves, resumable on
-- any device, revision-checked), kept with the version of the item's form
-- it was started under, for the applicant (a person or an enterprise) by
-- the person acting (经办人), on the authority recorded.
CREATE TABLE applications (
    id              INTEGER PRIMARY KEY,
    public_id       TEXT NOT NULL CONSTRAINT uq_applications_public UNIQUE,
    item_id         BIGINT NOT NULL REFERENCES service_items (id),
    task_code       TEXT NOT NULL,
    version_no      INTEGER NOT NULL,
    situation_code  TEXT NOT NULL DEFAULT '',
    applicant_id    BIGINT NOT NULL REFERENCES accounts (id),
    acting_id       BIGINT NOT NULL REFERENCES accounts (id),
    authority       TEXT NOT NULL,
    channel         TEXT NOT NULL,
    source_code     TEXT NOT NULL,
    state           TEXT NOT NULL,
    fields          TEXT NOT NULL,
    revision        INTEGER NOT NULL,
    case_number     TEXT CONSTRAINT uq_applications_case_number UNIQUE,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    reminded_at     BIGINT
);
CREATE INDEX ix_applications_applicant ON applications (applicant_id, updated_at);
CREATE INDEX ix_applications_acting ON applications (acting_id, updated_at);
CREATE INDEX ix_applications_expiry ON applications (state, expires_at);

-- Every change of an application's state, appended, never updated.
CREATE TABLE application_events (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    kind            TEXT NOT NULL,
    actor_id        BIGINT REFERENCES accounts (id),
    detail          TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL
);
CREATE INDEX ix_application_events_app ON application_events (application_id, id);

-- Idempotency-Key of POST /api/v1/applications: the same key and body
-- give the same draft for 24 hours.
CREATE TABLE application_requests (
    account_id      BIGINT NOT NULL REFERENCES accounts (id),
    idem_key        TEXT NOT NULL,
    body_hash       TEXT NOT NULL,
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);

-- The files given for each material of an application (several per
-- material), in the file store; the store's file_refs name them too.
CREATE TABLE application_files (
    id              INTEGER PRIMARY KEY,
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    material_code   TEXT NOT NULL,
    file_id         BIGINT NOT NULL REFERENCES files (id),
    created_at      BIGINT NOT NULL
);
CREATE INDEX ix_application_files_app ON application_files (application_id, material_code);

-- The daily sequence of each item's case numbers: one row per item and
-- day, so submissions to different items never wait on one another.
CREATE TABLE case_sequences (
    task_code  TEXT NOT NULL,
    day        TEXT NOT NULL,
    last       BIGINT NOT NULL,
    PRIMARY KEY (task_code, day)
);
