-- The catalog's generation moves only with events that change what the
-- public sees (publish, scheduled publish, withdrawal); editing a draft
-- leaves cached guides and the search index valid. This index answers
-- "the latest such event" without reading the event log.
CREATE INDEX ix_item_events_public ON item_events (id)
    WHERE action IN ('published', 'scheduled', 'withdrawn');
