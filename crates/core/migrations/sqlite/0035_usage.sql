-- The home page's most used services count the cases submitted lately per
-- item: read by the time of submission, drafts (never submitted) aside.
CREATE INDEX ix_applications_submitted ON applications (submitted_at, task_code);
