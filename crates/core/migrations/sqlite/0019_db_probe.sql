-- One row that the outage probe writes: a database that reads but cannot
-- write (a full disk, a read-only data folder, a standby) is not available.
CREATE TABLE db_probe (
    id INTEGER PRIMARY KEY,
    at BIGINT NOT NULL
);
INSERT INTO db_probe (id, at) VALUES (1, 0);
