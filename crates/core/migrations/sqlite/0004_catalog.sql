-- Service catalog: basic entries (基本目录), implementation lists (实施清单)
-- with whole-document versions, their append-only history, life-event
-- themes, and the read model of what is published.
CREATE TABLE catalog_entries (
    id           INTEGER PRIMARY KEY,
    catalog_code TEXT NOT NULL CONSTRAINT uq_catalog_entries_code UNIQUE,
    name         TEXT NOT NULL,
    item_type    TEXT NOT NULL,
    legal_basis  TEXT NOT NULL,
    use_level    INTEGER NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE service_items (
    id                   INTEGER PRIMARY KEY,
    task_code            TEXT NOT NULL CONSTRAINT uq_service_items_task_code UNIQUE,
    entry_id             BIGINT NOT NULL REFERENCES catalog_entries (id),
    org_id               BIGINT NOT NULL REFERENCES organizations (id),
    division_code        TEXT NOT NULL REFERENCES divisions (code),
    published_version_id BIGINT,
    status               TEXT NOT NULL,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX ix_service_items_entry ON service_items (entry_id);
CREATE INDEX ix_service_items_org ON service_items (org_id);

CREATE TABLE item_versions (
    id           INTEGER PRIMARY KEY,
    item_id      BIGINT NOT NULL REFERENCES service_items (id),
    version_no   INTEGER NOT NULL,
    status       TEXT NOT NULL,
    document     TEXT NOT NULL,
    revision     INTEGER NOT NULL DEFAULT 1,
    created_by   BIGINT REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    updated_by   BIGINT REFERENCES accounts (id),
    updated_at   BIGINT NOT NULL,
    submitted_by BIGINT REFERENCES accounts (id),
    submitted_at BIGINT,
    published_by BIGINT REFERENCES accounts (id),
    published_at BIGINT,
    CONSTRAINT uq_item_versions UNIQUE (item_id, version_no)
);
CREATE INDEX ix_item_versions_status ON item_versions (status, item_id);

CREATE TABLE item_events (
    id         INTEGER PRIMARY KEY,
    item_id    BIGINT NOT NULL REFERENCES service_items (id),
    version_id BIGINT REFERENCES item_versions (id),
    action     TEXT NOT NULL,
    actor_id   BIGINT REFERENCES accounts (id),
    at         BIGINT NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_item_events_item ON item_events (item_id, id);

CREATE TABLE themes (
    code       TEXT PRIMARY KEY,
    audience   TEXT NOT NULL,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE published_items (
    item_id         BIGINT PRIMARY KEY REFERENCES service_items (id),
    version_id      BIGINT NOT NULL REFERENCES item_versions (id),
    task_code       TEXT NOT NULL,
    catalog_code    TEXT NOT NULL,
    name            TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    item_type       TEXT NOT NULL,
    org_id          BIGINT NOT NULL REFERENCES organizations (id),
    division_code   TEXT NOT NULL,
    themes          TEXT NOT NULL,
    service_objects TEXT NOT NULL,
    online_depth    INTEGER NOT NULL,
    promised_value  INTEGER NOT NULL,
    version_no      INTEGER NOT NULL,
    published_at    BIGINT NOT NULL
);
CREATE INDEX ix_published_items_org ON published_items (org_id, name);
CREATE INDEX ix_published_items_division ON published_items (division_code, name);
CREATE UNIQUE INDEX ix_published_items_task_code ON published_items (task_code);

-- Default life-event themes (自然人主题 / 法人主题). The national code list
-- is not confirmed in the spec, so these are editable platform defaults.
INSERT INTO themes (code, audience, name_zh, name_en, sort_order) VALUES
('p_birth', 'person', '生育收养', 'Birth and adoption', 1),
('p_household', 'person', '户籍办理', 'Household registration', 2),
('p_id', 'person', '证件办理', 'Identity documents', 3),
('p_education', 'person', '教育科研', 'Education', 4),
('p_employment', 'person', '就业创业', 'Jobs and starting a business', 5),
('p_marriage', 'person', '婚姻登记', 'Marriage', 6),
('p_social_security', 'person', '社会保障', 'Social insurance', 7),
('p_medical', 'person', '医疗卫生', 'Health and medical insurance', 8),
('p_housing', 'person', '住房保障', 'Housing', 9),
('p_real_estate', 'person', '不动产登记', 'Real estate', 10),
('p_assistance', 'person', '社会救助', 'Social assistance', 11),
('p_elderly', 'person', '养老服务', 'Older people', 12),
('p_transport', 'person', '交通出行', 'Transport', 13),
('p_retirement', 'person', '离职退休', 'Retirement', 14),
('p_death', 'person', '死亡殡葬', 'Death and funerals', 15),
('e_establish', 'enterprise', '设立变更', 'Setting up and changes', 1),
('e_permits', 'enterprise', '准营准办', 'Operating licences', 2),
('e_construction', 'enterprise', '工程建设', 'Construction projects', 3),
('e_tax', 'enterprise', '税收财务', 'Tax and finance', 4),
('e_hr', 'enterprise', '人力资源', 'Employment and staff', 5),
('e_social_insurance', 'enterprise', '社会保险', 'Social insurance for employers', 6),
('e_quality', 'enterprise', '质量安全', 'Quality and safety', 7),
('e_environment', 'enterprise', '环保绿化', 'Environment', 8),
('e_closing', 'enterprise', '注销退出', 'Closing a business', 9);
