-- Scheduled publication and cancellation of item versions (计划生效日期,
-- 计划取消日期). A version waiting for its date has status 'scheduled'.
ALTER TABLE item_versions ADD COLUMN effective_at BIGINT;
ALTER TABLE item_versions ADD COLUMN cancel_at BIGINT;
CREATE INDEX ix_item_versions_effective ON item_versions (status, effective_at);
CREATE INDEX ix_item_versions_cancel ON item_versions (status, cancel_at);
