-- Kernel: administrative divisions and organisations.
CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    parent_code TEXT REFERENCES divisions (code),
    kind        TEXT NOT NULL,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    sort_order  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_divisions_parent ON divisions (parent_code, sort_order);

CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    credit_code   TEXT NOT NULL CONSTRAINT uq_organizations_credit_code UNIQUE,
    name_zh       TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    short_name_zh TEXT NOT NULL,
    kind          TEXT NOT NULL,
    admin_level   INTEGER NOT NULL,
    division_code TEXT NOT NULL REFERENCES divisions (code),
    parent_id     BIGINT REFERENCES organizations (id),
    -- '/code/code/…/' of credit codes from the root: scope checks are a prefix match.
    path          TEXT NOT NULL,
    sort_order    INTEGER NOT NULL DEFAULT 0,
    phone         TEXT,
    address_zh    TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX ix_organizations_parent ON organizations (parent_id, sort_order);
CREATE INDEX ix_organizations_division ON organizations (division_code, sort_order);
CREATE INDEX ix_organizations_path ON organizations (path);
