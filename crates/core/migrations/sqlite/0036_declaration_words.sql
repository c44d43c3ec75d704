-- The declaration a person accepted is kept in its words (Chinese and
-- English, as JSON), once per distinct text, named by the hash a case and
-- each of its submitted rounds keep: the case's form shows what they
-- accepted even after an administrator edits the law it names, and the
-- first round's declaration survives a correction.
CREATE TABLE declaration_texts (
    sha256 TEXT PRIMARY KEY,
    words  TEXT NOT NULL
);
ALTER TABLE application_submissions ADD COLUMN declaration_hash TEXT;
-- The law the receipt cites, as it was when the case was received.
ALTER TABLE applications ADD COLUMN receipt_basis TEXT;
