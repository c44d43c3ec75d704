-- Each file given for a material says where it came from (uploaded, reused
-- from an earlier case, scanned at a window) and how far it can be trusted
-- (国办函〔2016〕108号: A issuer-produced, B checked against the original,
-- C uploaded by the applicant, D made under a declaration), and the
-- material's name, by which a later case offers it again.
ALTER TABLE application_files ADD COLUMN trust TEXT NOT NULL DEFAULT 'C';
ALTER TABLE application_files ADD COLUMN origin TEXT NOT NULL DEFAULT 'upload';
ALTER TABLE application_files ADD COLUMN material_name TEXT NOT NULL DEFAULT '';
