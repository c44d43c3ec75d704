-- Files get an unguessable public key (the id was sequential), and every
-- reference to a file is recorded, so that a download is authorised by what
-- refers to the file and files nobody refers to are cleaned up.
-- Files stored before this change keep their id as their key: links already
-- published go on working, and the reference rule below guards them.
ALTER TABLE files ADD COLUMN public_key TEXT;
UPDATE files SET public_key = CAST(id AS TEXT);
CREATE UNIQUE INDEX uq_files_public_key ON files (public_key);

-- What refers to a file: a capability's record (`owner_kind`, `owner_id`),
-- such as a catalog version (`catalog_version`) whose guide links a blank
-- form or a sample.
CREATE TABLE file_refs (
    file_id    BIGINT NOT NULL REFERENCES files (id),
    owner_kind TEXT NOT NULL,
    owner_id   BIGINT NOT NULL,
    PRIMARY KEY (file_id, owner_kind, owner_id)
);
CREATE INDEX ix_file_refs_owner ON file_refs (owner_kind, owner_id);

INSERT INTO file_refs (file_id, owner_kind, owner_id)
SELECT DISTINCT f.id, 'catalog_version', v.id
FROM item_versions v, json_each(v.document, '$.materials') m
JOIN files f ON f.public_key IN (json_extract(m.value, '$.blank_form'), json_extract(m.value, '$.sample'));
