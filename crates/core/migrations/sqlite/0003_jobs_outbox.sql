-- Background jobs (claimed by one worker at a time, retried with back-off),
-- recurring schedules, and the transactional outbox.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at       BIGINT NOT NULL,
    locked_by    TEXT,
    locked_until BIGINT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX ix_jobs_due ON jobs (status, run_at);

CREATE TABLE job_schedules (
    name          TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    every_seconds BIGINT NOT NULL,
    next_run_at   BIGINT NOT NULL
);

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    topic         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    dispatched_at BIGINT
);
CREATE INDEX ix_outbox_pending ON outbox (dispatched_at, id);
