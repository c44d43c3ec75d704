-- Running legal clocks (法定时限): every deadline a capability runs is
-- registered here by its owner, with what it counts from and how, so that
-- a calendar edit shows which ones it moves and moves them.
CREATE TABLE clocks (
    owner       TEXT PRIMARY KEY,
    label       TEXT NOT NULL,
    from_day    TEXT NOT NULL,
    count       INTEGER NOT NULL,
    unit        TEXT NOT NULL,
    starts      TEXT NOT NULL,
    due         TEXT,
    running     INTEGER NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX ix_clocks_running ON clocks (running, due);
