-- A notice is kept in both languages, so the inbox shows it in the page's
-- language (SMS and email keep the account's), and with the path of the
-- page it is about (a case, its notice), so a message leads somewhere.
ALTER TABLE notices ADD COLUMN alt_subject TEXT;
ALTER TABLE notices ADD COLUMN alt_body TEXT;
ALTER TABLE notices ADD COLUMN link TEXT;
