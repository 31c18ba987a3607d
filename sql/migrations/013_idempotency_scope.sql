-- Idempotency-Key scope (issue 15): a stored response belongs to the
-- caller's issuer, subject and role and to one operation (method and route
-- template), not to the subject alone. A patient token that shares a
-- navigator's `sub` must not be handed the navigator's answer, and one
-- caller's key on two operations names two requests.
--
-- Rows stored under the old scope cannot be told apart by role or issuer,
-- so they are dropped rather than guessed at: a retry of a request made
-- before this migration runs again (the window is the 24 hours a key is
-- kept), which is the old behaviour for a key never seen.
DELETE FROM idempotency_keys;

ALTER TABLE idempotency_keys
    ADD COLUMN issuer text NOT NULL,
    ADD COLUMN role   text NOT NULL,
    ADD COLUMN method text NOT NULL;

ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD PRIMARY KEY (issuer, subject, role, method, route, key);
