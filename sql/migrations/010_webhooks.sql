-- Webhooks: admin-registered HTTP endpoints that receive the events feed,
-- delivered by a worker inside the service (internal/webhooks/worker.c).
-- Owned by the webhooks module.

-- One row per registered endpoint. Delivery follows the same (txid, id)
-- order as GET /v1/events: (last_txid, last_event_id) is the feed position
-- up to which every matching event has been delivered (or was not matched),
-- so each subscription receives its events in feed order, one at a time.
CREATE TABLE webhook_subscriptions (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url                  text NOT NULL CHECK (url ~* '^https?://' AND length(url) <= 2048),
    -- The HMAC key the worker signs each delivery with, so it must be
    -- readable by the service (a hash would not do). At rest it is protected
    -- only by the database's own controls (disk encryption, backups, access
    -- to the cso_app/cso_owner roles); the API never returns it, only a
    -- fingerprint. Wrapping it with a key held outside the database (KMS) is
    -- the next step if the threat model needs it.
    secret               text NOT NULL CHECK (length(secret) BETWEEN 16 AND 256),
    event_types          text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 50),
    description          text CHECK (length(description) <= 500),
    -- active: delivering. failing: max consecutive failures reached; still
    -- retried at the capped back-off and back to active on the first success.
    -- disabled: paused by an admin; re-enabling resumes from the position.
    status               text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'failing', 'disabled')),
    consecutive_failures integer NOT NULL DEFAULT 0 CHECK (consecutive_failures >= 0),
    -- Starts at the oldest transaction still running when the subscription
    -- was created: every event committed after creation is delivered.
    last_txid            xid8 NOT NULL DEFAULT pg_snapshot_xmin(pg_current_snapshot()),
    last_event_id        bigint NOT NULL DEFAULT 0,
    next_attempt_at      timestamptz NOT NULL DEFAULT now(),
    -- A worker claims a subscription by setting a lease and committing; it
    -- never holds a transaction or row lock across the outbound request.
    lease_until          timestamptz NOT NULL DEFAULT '-infinity',
    lease_token          uuid,
    last_success_at      timestamptz,
    last_failure_at      timestamptz,
    last_error           text,
    version              integer NOT NULL DEFAULT 1,
    created_by_sub       text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_due_idx ON webhook_subscriptions (next_attempt_at)
    WHERE status <> 'disabled';
CREATE INDEX webhook_subscriptions_created_idx ON webhook_subscriptions (created_at DESC, id DESC);

-- Every delivery attempt, successful or not. Insert-only for the service.
CREATE TABLE webhook_attempts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL REFERENCES events (id),
    attempt         integer NOT NULL CHECK (attempt >= 1),
    outcome         text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
    status_code     integer CHECK (status_code BETWEEN 100 AND 599),
    error           text CHECK (length(error) <= 300),
    duration_ms     integer NOT NULL CHECK (duration_ms >= 0),
    worker          text NOT NULL,
    attempted_at    timestamptz NOT NULL,
    -- When the worker will try again (failed attempts only).
    next_attempt_at timestamptz
);
CREATE INDEX webhook_attempts_subscription_idx ON webhook_attempts (subscription_id, id DESC);
CREATE INDEX webhook_attempts_event_idx ON webhook_attempts (subscription_id, event_id);
REVOKE UPDATE, DELETE, TRUNCATE ON webhook_attempts FROM cso_app;
