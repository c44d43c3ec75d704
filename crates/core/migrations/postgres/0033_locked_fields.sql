-- The answers that say who the applicant is (name, ID number, enterprise
-- name, credit code), as filled from the account when the draft started
-- (or, under a 授权委托书, as matched): a JSON array of field keys whose
-- answers no save may change.
ALTER TABLE applications ADD COLUMN locked_fields TEXT NOT NULL DEFAULT '[]';
