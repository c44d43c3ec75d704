-- What the person declared when submitting (承诺书): the text's version and
-- hash, their real-name level and the time; when it was submitted; and the
-- query code printed on the receipt, with which a person without an account
-- follows the case by its 办件编号.
ALTER TABLE applications ADD COLUMN declaration_version TEXT;
ALTER TABLE applications ADD COLUMN declaration_hash TEXT;
ALTER TABLE applications ADD COLUMN declared_level INTEGER;
ALTER TABLE applications ADD COLUMN submitted_at BIGINT;
ALTER TABLE applications ADD COLUMN query_code TEXT;
