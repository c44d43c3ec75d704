-- Data upgrades run once by the binary after the migrations (changes SQL
-- cannot write once for both engines, such as filling a field inside stored
-- JSON documents), each recorded here when done.
CREATE TABLE data_upgrades (
    name     TEXT PRIMARY KEY,
    done_at  BIGINT NOT NULL
);
