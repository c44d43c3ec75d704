-- 法定代表人 of enterprise accounts (GB/T 39046 Table 12, legal person).
ALTER TABLE accounts ADD COLUMN legal_representative TEXT;
