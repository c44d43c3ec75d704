-- Attempts in flight, apart from the failures counted: a sign-in step holds
-- a place while it is evaluated (so parallel guesses cannot outrun the
-- limit), and a step that passes gives it back without counting.
ALTER TABLE throttle ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;

-- The same for an account's sign-in steps: steps being checked hold a place
-- apart from the failures, so parallel sign-ins of the right person wait for
-- each other instead of closing the lock.
ALTER TABLE accounts ADD COLUMN pending_logins INTEGER NOT NULL DEFAULT 0;
