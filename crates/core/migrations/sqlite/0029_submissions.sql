-- What each submission of an application said (its answers and files), so
-- that after a correction the clerk and the applicant see what changed.
CREATE TABLE application_submissions (
    application_id  BIGINT NOT NULL REFERENCES applications (id),
    round           INTEGER NOT NULL,
    fields          TEXT NOT NULL,
    files           TEXT NOT NULL,
    submitted_at    BIGINT NOT NULL,
    PRIMARY KEY (application_id, round)
);
