-- The declaration a person accepted is kept in its words (Chinese and
-- English, as JSON), so the case's form shows what they signed even after
-- an administrator edits the law it names; and with each submitted round,
-- so the first round's declaration survives a correction.
ALTER TABLE applications ADD COLUMN declaration_words TEXT;
-- The law the receipt cites, as it was when the case was received.
ALTER TABLE applications ADD COLUMN receipt_basis TEXT;
ALTER TABLE application_submissions ADD COLUMN declaration_hash TEXT;
ALTER TABLE application_submissions ADD COLUMN declaration_words TEXT;
