-- Failed sign-in steps per client address in fixed windows, shared by every
-- node: an address that fails too often is refused for the rest of the window.
CREATE TABLE throttle (
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);
