-- The catalog's configurable code lists (材料形式, 来源渠道, the wording of
-- 网上办理深度): values the national standard leaves open. A list without
-- rows uses the defaults compiled into the platform; the first edit stores
-- them. Every edit of a code list or a theme is kept in code_list_events,
-- whose ids also move the catalog's generation (cached pages are rebuilt).
CREATE TABLE code_lists (
    list       TEXT NOT NULL,
    code       TEXT NOT NULL,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (list, code)
);

CREATE TABLE code_list_events (
    id       INTEGER PRIMARY KEY,
    list     TEXT NOT NULL,
    code     TEXT NOT NULL,
    name_zh  TEXT NOT NULL,
    name_en  TEXT NOT NULL,
    actor_id BIGINT REFERENCES accounts (id),
    at       BIGINT NOT NULL
);
