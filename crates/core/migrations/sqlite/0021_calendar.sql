-- 法定工作日历 the legal calendar: each year's arrangement of holidays and
-- make-up working days (调休) as the State Council's notice gives it, kept
-- by system administrators. A year without a row in calendar_years is
-- provisional: only the statutory holidays of 全国年节及纪念日放假办法
-- count for it. The arrangements of 2025 and 2026 ship with the platform.
CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    source      TEXT NOT NULL DEFAULT '',
    revision    INTEGER NOT NULL DEFAULT 1,
    updated_by  INTEGER REFERENCES accounts(id),
    updated_at  INTEGER NOT NULL
);

CREATE TABLE calendar_days (
    day   TEXT PRIMARY KEY,
    year  INTEGER NOT NULL REFERENCES calendar_years(year),
    kind  TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX calendar_days_year ON calendar_days(year);

-- Every change of a year, for supervision: who loaded what, and when.
CREATE TABLE calendar_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    year        INTEGER NOT NULL,
    revision    INTEGER NOT NULL,
    table_text  TEXT NOT NULL,
    changed_by  INTEGER REFERENCES accounts(id),
    changed_at  INTEGER NOT NULL
);

INSERT INTO calendar_years (year, source, revision, updated_at) VALUES (2025, '国办发明电〔2024〕12号', 1, 1764547200000);
INSERT INTO calendar_days (day, year, kind, name) VALUES
    ('2025-01-01', 2025, 'holiday', '元旦'),
    ('2025-01-28', 2025, 'holiday', '春节'),
    ('2025-01-29', 2025, 'holiday', '春节'),
    ('2025-01-30', 2025, 'holiday', '春节'),
    ('2025-01-31', 2025, 'holiday', '春节'),
    ('2025-02-01', 2025, 'holiday', '春节'),
    ('2025-02-02', 2025, 'holiday', '春节'),
    ('2025-02-03', 2025, 'holiday', '春节'),
    ('2025-02-04', 2025, 'holiday', '春节'),
    ('2025-01-26', 2025, 'workday', '春节'),
    ('2025-02-08', 2025, 'workday', '春节'),
    ('2025-04-04', 2025, 'holiday', '清明节'),
    ('2025-04-05', 2025, 'holiday', '清明节'),
    ('2025-04-06', 2025, 'holiday', '清明节'),
    ('2025-05-01', 2025, 'holiday', '劳动节'),
    ('2025-05-02', 2025, 'holiday', '劳动节'),
    ('2025-05-03', 2025, 'holiday', '劳动节'),
    ('2025-05-04', 2025, 'holiday', '劳动节'),
    ('2025-05-05', 2025, 'holiday', '劳动节'),
    ('2025-04-27', 2025, 'workday', '劳动节'),
    ('2025-05-31', 2025, 'holiday', '端午节'),
    ('2025-06-01', 2025, 'holiday', '端午节'),
    ('2025-06-02', 2025, 'holiday', '端午节'),
    ('2025-10-01', 2025, 'holiday', '国庆节、中秋节'),
    ('2025-10-02', 2025, 'holiday', '国庆节、中秋节'),
    ('2025-10-03', 2025, 'holiday', '国庆节、中秋节'),
    ('2025-10-04', 2025, 'holiday', '国庆节、中秋节'),
    ('2025-10-05', 2025, 'holiday', '国庆节、中秋节'),
    ('2025-10-06', 2025, 'holiday', '国庆节、中秋节'),
    ('2025-10-07', 2025, 'holiday', '国庆节、中秋节'),
    ('2025-10-08', 2025, 'holiday', '国庆节、中秋节'),
    ('2025-09-28', 2025, 'workday', '国庆节、中秋节'),
    ('2025-10-11', 2025, 'workday', '国庆节、中秋节');

INSERT INTO calendar_years (year, source, revision, updated_at) VALUES (2026, '国办发明电〔2025〕7号', 1, 1764547200000);
INSERT INTO calendar_days (day, year, kind, name) VALUES
    ('2026-01-01', 2026, 'holiday', '元旦'),
    ('2026-01-02', 2026, 'holiday', '元旦'),
    ('2026-01-03', 2026, 'holiday', '元旦'),
    ('2026-01-04', 2026, 'workday', '元旦'),
    ('2026-02-15', 2026, 'holiday', '春节'),
    ('2026-02-16', 2026, 'holiday', '春节'),
    ('2026-02-17', 2026, 'holiday', '春节'),
    ('2026-02-18', 2026, 'holiday', '春节'),
    ('2026-02-19', 2026, 'holiday', '春节'),
    ('2026-02-20', 2026, 'holiday', '春节'),
    ('2026-02-21', 2026, 'holiday', '春节'),
    ('2026-02-22', 2026, 'holiday', '春节'),
    ('2026-02-23', 2026, 'holiday', '春节'),
    ('2026-02-14', 2026, 'workday', '春节'),
    ('2026-02-28', 2026, 'workday', '春节'),
    ('2026-04-04', 2026, 'holiday', '清明节'),
    ('2026-04-05', 2026, 'holiday', '清明节'),
    ('2026-04-06', 2026, 'holiday', '清明节'),
    ('2026-05-01', 2026, 'holiday', '劳动节'),
    ('2026-05-02', 2026, 'holiday', '劳动节'),
    ('2026-05-03', 2026, 'holiday', '劳动节'),
    ('2026-05-04', 2026, 'holiday', '劳动节'),
    ('2026-05-05', 2026, 'holiday', '劳动节'),
    ('2026-05-09', 2026, 'workday', '劳动节'),
    ('2026-06-19', 2026, 'holiday', '端午节'),
    ('2026-06-20', 2026, 'holiday', '端午节'),
    ('2026-06-21', 2026, 'holiday', '端午节'),
    ('2026-09-25', 2026, 'holiday', '中秋节'),
    ('2026-09-26', 2026, 'holiday', '中秋节'),
    ('2026-09-27', 2026, 'holiday', '中秋节'),
    ('2026-10-01', 2026, 'holiday', '国庆节'),
    ('2026-10-02', 2026, 'holiday', '国庆节'),
    ('2026-10-03', 2026, 'holiday', '国庆节'),
    ('2026-10-04', 2026, 'holiday', '国庆节'),
    ('2026-10-05', 2026, 'holiday', '国庆节'),
    ('2026-10-06', 2026, 'holiday', '国庆节'),
    ('2026-10-07', 2026, 'holiday', '国庆节'),
    ('2026-09-20', 2026, 'workday', '国庆节'),
    ('2026-10-10', 2026, 'workday', '国庆节');
