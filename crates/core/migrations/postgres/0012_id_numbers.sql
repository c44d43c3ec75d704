-- 公民身份号码 of natural persons: sealed with SM4 + HMAC-SM3 (base64), and
-- a keyed SM3 digest to find an account by it without decrypting anything.
ALTER TABLE accounts ADD COLUMN id_number_sealed TEXT;
ALTER TABLE accounts ADD COLUMN id_number_hash TEXT;
CREATE UNIQUE INDEX uq_accounts_id_number ON accounts (id_number_hash);
