-- Stored files (blank forms and samples of materials for now). Content is
-- kept in the data folder under its SHA-256; this table holds what people
-- see: name, type, size, who uploaded it.
CREATE TABLE files (
    id           INTEGER PRIMARY KEY,
    sha256       TEXT NOT NULL,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_by   BIGINT REFERENCES accounts (id),
    created_at   BIGINT NOT NULL
);
