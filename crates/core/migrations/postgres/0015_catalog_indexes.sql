-- The catalog's generation moves only with events that change what the
-- public sees (publish, scheduled publish, withdrawal); editing a draft
-- leaves cached guides and the search index valid. This index answers
-- "the latest such event" without reading the event log.
CREATE INDEX ix_item_events_public ON item_events (id)
    WHERE action IN ('published', 'scheduled', 'withdrawn');

-- Other implementations of the same basic item (同一事项), shown on every
-- guide page: found by the basic code, not by reading the whole catalog.
CREATE INDEX ix_published_items_catalog ON published_items (catalog_code);

-- The life-event themes of each published item, one row per theme, so a
-- theme's items and the themes' counts are read from an index instead of
-- matching the `themes` text of every published item.
CREATE TABLE published_item_themes (
    theme   TEXT NOT NULL,
    item_id BIGINT NOT NULL,
    PRIMARY KEY (theme, item_id)
);
CREATE INDEX ix_published_item_themes_item ON published_item_themes (item_id);
INSERT INTO published_item_themes (theme, item_id)
    SELECT t.code, p.item_id FROM published_items p JOIN themes t ON p.themes LIKE '%|' || t.code || '|%';
