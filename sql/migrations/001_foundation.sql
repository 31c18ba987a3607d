-- Foundation: privileges of the service role, the audit trail and
-- idempotency keys. Runs as cso_owner; the service connects as cso_app.

GRANT USAGE ON SCHEMA public TO cso_app;
ALTER DEFAULT PRIVILEGES FOR ROLE cso_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO cso_app;
ALTER DEFAULT PRIVILEGES FOR ROLE cso_owner IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO cso_app;

-- Every access to patient data and every refused attempt. Insert-only for the
-- service: it can add and read rows, never change or remove them.
CREATE TABLE audit_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    actor_sub     text,
    actor_role    text CHECK (actor_role IN ('patient', 'navigator', 'specialist', 'admin')),
    action        text NOT NULL,
    resource_type text,
    resource_id   text,
    case_id       uuid,
    outcome       text NOT NULL CHECK (outcome IN ('success', 'denied', 'not_found', 'invalid', 'error')),
    status        integer NOT NULL,
    request_id    text
);
CREATE INDEX audit_events_case_idx ON audit_events (case_id, id) WHERE case_id IS NOT NULL;
CREATE INDEX audit_events_actor_idx ON audit_events (actor_sub, id);
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM cso_app;

-- Idempotency-Key records: the first response to a creating POST, replayed
-- to retries with the same key and body for 24 hours.
CREATE TABLE idempotency_keys (
    subject       text NOT NULL,
    key           text NOT NULL,
    route         text NOT NULL,
    request_hash  text NOT NULL,
    status        integer,
    response_body text,
    location      text,
    etag          text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
