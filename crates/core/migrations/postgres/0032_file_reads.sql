-- A member of staff opening one of a case's files is recorded like their
-- reading of the case itself: purpose `file`, with the giving opened.
ALTER TABLE application_reads ADD COLUMN given_id BIGINT;
