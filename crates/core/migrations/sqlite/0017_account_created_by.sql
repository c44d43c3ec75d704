-- Who opened an account (a system administrator, a department admin, a
-- counter clerk), so that four eyes can tell when a reviewer would approve
-- the work of an account they made themselves. Staff made before this change
-- are attributed to whoever granted their first role; the rest stay unknown.
ALTER TABLE accounts ADD COLUMN created_by BIGINT REFERENCES accounts (id);
UPDATE accounts SET created_by = (
    SELECT g.granted_by FROM role_grants g WHERE g.account_id = accounts.id ORDER BY g.id LIMIT 1
) WHERE kind = 'staff';
