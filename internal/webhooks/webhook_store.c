#include "webhook_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../events/events.h"

/* The API representation of a subscription s. The secret itself is never
 * selected into it: only the first 16 hex digits of its SHA-256, enough for
 * an admin to tell which secret is configured. */
#define WEBHOOK_JSON                                                                               \
    "jsonb_build_object("                                                                          \
    " 'id', s.id, 'url', s.url, 'description', s.description,"                                     \
    " 'event_types', to_jsonb(s.event_types), 'status', s.status,"                                 \
    " 'consecutive_failures', s.consecutive_failures,"                                             \
    " 'secret_fingerprint', left(encode(sha256(convert_to(s.secret, 'UTF8')), 'hex'), 16),"        \
    " 'next_attempt_at', CASE WHEN s.status = 'disabled' THEN NULL ELSE s.next_attempt_at END,"    \
    " 'last_success_at', s.last_success_at, 'last_failure_at', s.last_failure_at,"                 \
    " 'last_error', s.last_error, 'version', s.version, 'created_by', s.created_by_sub,"           \
    " 'created_at', s.created_at, 'updated_at', s.updated_at)"

/* Whether event e is one subscription s asked for: its exact type, its
 * resource with ".*", or "*". */
#define EVENT_MATCHES                                                                              \
    " (e.type = ANY (s.event_types) OR '*' = ANY (s.event_types)"                                  \
    "  OR split_part(e.type, '.', 1) || '.*' = ANY (s.event_types))"

/* Events after s's position that are final in feed order (see events.h). */
#define PENDING_FOR_S                                                                              \
    " (e.txid, e.id) > (s.last_txid, s.last_event_id)"                                             \
    " AND e.txid < pg_snapshot_xmin(pg_current_snapshot())"

static const struct db_statement statements[] = {
    {"webhook_insert",
     "WITH s AS (INSERT INTO webhook_subscriptions (url, secret, event_types, description,"
     " created_by_sub) VALUES ($1, $2, ARRAY(SELECT jsonb_array_elements_text($3::jsonb)), $4, $5)"
     " RETURNING *)"
     " SELECT s.id, " WEBHOOK_JSON "::text AS doc FROM s"},
    {"webhook_get", "SELECT s.id, " WEBHOOK_JSON "::text AS doc FROM webhook_subscriptions s"
                    " WHERE s.id = $1::uuid"},
    {"webhook_get_locked", "SELECT s.id, " WEBHOOK_JSON "::text AS doc FROM webhook_subscriptions s"
                           " WHERE s.id = $1::uuid FOR UPDATE"},
    {"webhook_list",
     "SELECT s.id, " WEBHOOK_JSON "::text AS doc,"
     " to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS k"
     " FROM webhook_subscriptions s"
     " WHERE ($1::timestamptz IS NULL OR (s.created_at, s.id) < ($1::timestamptz, $2::uuid))"
     " ORDER BY s.created_at DESC, s.id DESC LIMIT $3::int"},
    {"webhook_attempts",
     "SELECT jsonb_build_object('id', a.id, 'event_id', a.event_id, 'attempt', a.attempt,"
     " 'outcome', a.outcome, 'status_code', a.status_code, 'error', a.error,"
     " 'duration_ms', a.duration_ms, 'attempted_at', a.attempted_at,"
     " 'next_attempt_at', a.next_attempt_at)::text AS doc"
     " FROM webhook_attempts a WHERE a.subscription_id = $1::uuid ORDER BY a.id DESC LIMIT "
     "$2::int"},
    /* $3 url, $4 secret, $5 event_types (json), $6 description given,
     * $7 description, $8 status: NULL when not in the patch. */
    {"webhook_update",
     "UPDATE webhook_subscriptions s SET"
     " url = COALESCE($3::text, s.url), secret = COALESCE($4::text, s.secret),"
     " event_types = CASE WHEN $5::jsonb IS NULL THEN s.event_types"
     "   ELSE ARRAY(SELECT jsonb_array_elements_text($5::jsonb)) END,"
     " description = CASE WHEN $6::boolean THEN $7::text ELSE s.description END,"
     " status = CASE WHEN $8::text IS NOT NULL THEN $8::text"
     "   WHEN $3::text IS NOT NULL AND s.status = 'failing' THEN 'active' ELSE s.status END,"
     " consecutive_failures = CASE WHEN $8::text = 'active' OR $3::text IS NOT NULL THEN 0"
     "   ELSE s.consecutive_failures END,"
     " next_attempt_at = CASE WHEN $8::text = 'active' OR $3::text IS NOT NULL THEN now()"
     "   ELSE s.next_attempt_at END,"
     " version = s.version + 1, updated_at = now()"
     " WHERE s.id = $1::uuid AND s.version = $2::int"
     " RETURNING s.id, " WEBHOOK_JSON "::text AS doc"},
    {"webhook_delete", "DELETE FROM webhook_subscriptions WHERE id = $1::uuid RETURNING id"},

    /* The claim. The subquery picks the most overdue subscription that has
     * a final event it wants, skipping rows another worker is claiming right
     * now; the UPDATE sets a lease so later claims skip it until the worker
     * records the outcome; the lateral join returns that event. One
     * statement: one snapshot, committed at once, no lock outlives it. */
    {"webhook_claim",
     "WITH candidate AS ("
     "  SELECT s.id FROM webhook_subscriptions s"
     "   WHERE s.status <> 'disabled' AND s.next_attempt_at <= now() AND s.lease_until <= now()"
     "     AND EXISTS (SELECT 1 FROM events e WHERE" PENDING_FOR_S " AND" EVENT_MATCHES ")"
     "   ORDER BY s.next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED),"
     " claimed AS ("
     "  UPDATE webhook_subscriptions s"
     "     SET lease_until = now() + make_interval(secs => $1::int / 1000.0),"
     "         lease_token = $2::uuid"
     "    FROM candidate WHERE s.id = candidate.id"
     "  RETURNING s.id, s.url, s.secret, s.consecutive_failures, s.event_types,"
     "            s.last_txid, s.last_event_id)"
     " SELECT s.id AS subscription_id, s.url, s.secret, s.consecutive_failures,"
     "  e.id, e.txid::text AS txid, e.type, e.case_id, e.subject_type, e.subject_id,"
     "  e.actor_role,"
     "  to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
     "   AS occurred_at,"
     "  (SELECT count(*) + 1 FROM webhook_attempts a"
     "    WHERE a.subscription_id = s.id AND a.event_id = e.id) AS attempt"
     " FROM claimed s LEFT JOIN LATERAL ("
     "  SELECT e.* FROM events e WHERE" PENDING_FOR_S " AND" EVENT_MATCHES
     "  ORDER BY e.txid, e.id LIMIT 1) e ON true"},
    /* $1 subscription, $2 lease token, $3 event txid, $4 event id,
     * $5 attempt, $6 status code, $7 duration ms, $8 worker */
    {"webhook_record_success",
     "WITH moved AS ("
     "  UPDATE webhook_subscriptions SET last_txid = $3::xid8, last_event_id = $4::bigint,"
     "   consecutive_failures = 0,"
     "   status = CASE WHEN status = 'failing' THEN 'active' ELSE status END,"
     "   next_attempt_at = now(), lease_until = '-infinity', lease_token = NULL,"
     "   last_success_at = now()"
     "  WHERE id = $1::uuid AND lease_token = $2::uuid"
     "    AND (last_txid, last_event_id) < ($3::xid8, $4::bigint)"
     "  RETURNING id)"
     " INSERT INTO webhook_attempts (subscription_id, event_id, attempt, outcome, status_code,"
     "  duration_ms, worker, attempted_at)"
     " SELECT $1::uuid, $4::bigint, $5::int, 'delivered', $6::int, $7::int, $8::text,"
     "  clock_timestamp() - make_interval(secs => $7::int / 1000.0)"
     " WHERE EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = $1::uuid)"
     " RETURNING (SELECT count(*) FROM moved) AS kept"},
    /* ... $6 status code or NULL, $7 duration, $8 worker, $9 error,
     * $10 delay ms, $11 max failures */
    {"webhook_record_failure",
     "WITH moved AS ("
     "  UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1,"
     "   status = CASE WHEN status = 'active' AND consecutive_failures + 1 >= $11::int"
     "            THEN 'failing' ELSE status END,"
     "   next_attempt_at = now() + make_interval(secs => $10::bigint / 1000.0),"
     "   lease_until = '-infinity', lease_token = NULL,"
     "   last_failure_at = now(), last_error = $9::text"
     "  WHERE id = $1::uuid AND lease_token = $2::uuid"
     "    AND (last_txid, last_event_id) < ($3::xid8, $4::bigint)"
     "  RETURNING next_attempt_at)"
     " INSERT INTO webhook_attempts (subscription_id, event_id, attempt, outcome, status_code,"
     "  error, duration_ms, worker, attempted_at, next_attempt_at)"
     " SELECT $1::uuid, $4::bigint, $5::int, 'failed', $6::int, $9::text, $7::int, $8::text,"
     "  clock_timestamp() - make_interval(secs => $7::int / 1000.0),"
     "  (SELECT next_attempt_at FROM moved)"
     " WHERE EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = $1::uuid)"
     " RETURNING (SELECT count(*) FROM moved) AS kept"},
    {"webhook_release",
     "UPDATE webhook_subscriptions SET lease_until = '-infinity', lease_token = NULL"
     " WHERE id = $1::uuid AND lease_token = $2::uuid"},
    /* Only subscriptions nobody holds, and only past events that are final
     * and that none of their types match, so nothing deliverable is ever
     * skipped. */
    {"webhook_skip_unmatched",
     "WITH head AS (SELECT e.txid, e.id FROM events e"
     "  WHERE e.txid < pg_snapshot_xmin(pg_current_snapshot())"
     "  ORDER BY e.txid DESC, e.id DESC LIMIT 1)"
     " UPDATE webhook_subscriptions s SET last_txid = head.txid, last_event_id = head.id"
     " FROM head"
     " WHERE s.lease_until <= now() AND (head.txid, head.id) > (s.last_txid, s.last_event_id)"
     "   AND NOT EXISTS (SELECT 1 FROM events e WHERE" PENDING_FOR_S
     "     AND (e.txid, e.id) <= (head.txid, head.id) AND" EVENT_MATCHES ")"},
    {NULL, NULL},
};

void webhook_store_init(void)
{
    db_register(statements);
}

static json_t *parse_doc(const PGresult *res, int row)
{
    const char *doc = db_value(res, row, "doc");
    return doc ? json_loads(doc, 0, NULL) : NULL;
}

/* Returns the single row's document, or 404 / 500. Frees res. */
static int one_doc(PGresult *res, json_t **out, struct app_error *err)
{
    if (PQntuples(res) == 0) {
        PQclear(res);
        return app_error_not_found(err, "webhook");
    }
    *out = parse_doc(res, 0);
    PQclear(res);
    if (!*out)
        return app_error_internal(err);
    return 0;
}

static char *json_text(const json_t *v)
{
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

int webhook_store_create(struct db_conn *conn, const json_t *doc, const char *created_by,
                         json_t **out, struct app_error *err)
{
    char *types = json_text(json_object_get(doc, "event_types"));
    const char *params[5] = {json_string_value(json_object_get(doc, "url")),
                             json_string_value(json_object_get(doc, "secret")), types,
                             json_string_value(json_object_get(doc, "description")), created_by};
    PGresult *res = db_exec(conn, "webhook_insert", 5, params, err);
    free(types);
    if (!res)
        return -1;
    return one_doc(res, out, err);
}

int webhook_store_get(struct db_conn *conn, const char *id, int lock, json_t **out,
                      struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, lock ? "webhook_get_locked" : "webhook_get", 1, params, err);
    if (!res)
        return -1;
    return one_doc(res, out, err);
}

int webhook_store_list(struct db_conn *conn, const char *after_created, const char *after_id,
                       int limit, json_t **items, int *more, struct app_error *err)
{
    char limit_s[16];
    const char *params[3] = {after_created, after_id, limit_s};
    PGresult *res;

    snprintf(limit_s, sizeof limit_s, "%d", limit + 1);
    if (!(res = db_exec(conn, "webhook_list", 3, params, err)))
        return -1;
    return db_page_items(res, limit, items, more, err);
}

int webhook_store_attempts(struct db_conn *conn, const char *id, int limit, json_t **items,
                           struct app_error *err)
{
    char limit_s[16];
    const char *params[2] = {id, limit_s};
    PGresult *res;
    int i, n;

    snprintf(limit_s, sizeof limit_s, "%d", limit);
    if (!(res = db_exec(conn, "webhook_attempts", 2, params, err)))
        return -1;
    n = PQntuples(res);
    *items = json_array();
    for (i = 0; i < n; i++) {
        json_t *item = parse_doc(res, i);
        if (item)
            json_array_append_new(*items, item);
    }
    PQclear(res);
    return 0;
}

int webhook_store_update(struct db_conn *conn, const char *id, int version, const json_t *patch,
                         json_t **out, struct app_error *err)
{
    char version_s[16];
    const json_t *desc = json_object_get(patch, "description");
    char *types = json_text(json_object_get(patch, "event_types"));
    const char *params[8];
    PGresult *res;

    snprintf(version_s, sizeof version_s, "%d", version);
    params[0] = id;
    params[1] = version_s;
    params[2] = json_string_value(json_object_get(patch, "url"));
    params[3] = json_string_value(json_object_get(patch, "secret"));
    params[4] = types;
    params[5] = desc ? "true" : "false";
    params[6] = json_string_value(desc); /* NULL for JSON null: clears it */
    params[7] = json_string_value(json_object_get(patch, "status"));
    res = db_exec(conn, "webhook_update", 8, params, err);
    free(types);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        app_error_problem(err, PROBLEM_PRECONDITION_FAILED,
                          "The webhook changed since you read it; read it again and retry.");
        return -1;
    }
    return one_doc(res, out, err);
}

int webhook_store_delete(struct db_conn *conn, const char *id, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "webhook_delete", 1, params, err);
    int n;
    if (!res)
        return -1;
    n = PQntuples(res);
    PQclear(res);
    return n ? 0 : app_error_not_found(err, "webhook");
}

/* ---------- delivery worker ---------- */

void webhook_claim_free(struct webhook_claim *c)
{
    free(c->url);
    free(c->secret);
    json_decref(c->event);
    memset(c, 0, sizeof *c);
}

int webhook_store_claim(struct db_conn *conn, int lease_ms, const char *lease_token,
                        struct webhook_claim *c, struct app_error *err)
{
    char lease_s[16];
    const char *params[2] = {lease_s, lease_token};
    PGresult *res;

    memset(c, 0, sizeof *c);
    snprintf(lease_s, sizeof lease_s, "%d", lease_ms);
    if (!(res = db_exec(conn, "webhook_claim", 2, params, err)))
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    snprintf(c->subscription_id, sizeof c->subscription_id, "%s",
             db_value(res, 0, "subscription_id"));
    snprintf(c->lease_token, sizeof c->lease_token, "%s", lease_token);
    if (!db_value(res, 0, "id")) {
        /* Claimed, but the event it was claimed for is not there: the row
         * changed under the claim (another worker moved it on). Give the
         * lease back rather than let it sit until it expires. */
        PQclear(res);
        webhook_store_release(conn, c, err);
        memset(c, 0, sizeof *c);
        return err->status ? -1 : 0;
    }
    c->url = strdup(db_value(res, 0, "url"));
    c->secret = strdup(db_value(res, 0, "secret"));
    c->failures = atoi(db_value(res, 0, "consecutive_failures"));
    c->attempt = atoi(db_value(res, 0, "attempt"));
    snprintf(c->event_txid, sizeof c->event_txid, "%s", db_value(res, 0, "txid"));
    snprintf(c->event_id, sizeof c->event_id, "%s", db_value(res, 0, "id"));
    c->event = events_row_json(res, 0);
    PQclear(res);
    if (!c->url || !c->secret || !c->event) {
        /* The lease simply expires; the next claim picks the event up. */
        webhook_claim_free(c);
        return app_error_internal(err);
    }
    return 1;
}

int webhook_store_record(struct db_conn *conn, const struct webhook_claim *c,
                         const struct webhook_result *r, int *lease_kept, struct app_error *err)
{
    char attempt_s[16], status_s[16], duration_s[24], delay_s[24], maxf_s[16];
    const char *params[11];
    PGresult *res;

    snprintf(attempt_s, sizeof attempt_s, "%d", c->attempt);
    snprintf(status_s, sizeof status_s, "%d", r->status_code);
    snprintf(duration_s, sizeof duration_s, "%ld", r->duration_ms < 0 ? 0 : r->duration_ms);
    snprintf(delay_s, sizeof delay_s, "%ld", r->next_delay_ms);
    snprintf(maxf_s, sizeof maxf_s, "%d", r->max_failures);
    params[0] = c->subscription_id;
    params[1] = c->lease_token;
    params[2] = c->event_txid;
    params[3] = c->event_id;
    params[4] = attempt_s;
    params[5] = r->status_code >= 100 && r->status_code <= 599 ? status_s : NULL;
    params[6] = duration_s;
    params[7] = r->worker;
    params[8] = r->error;
    params[9] = delay_s;
    params[10] = maxf_s;
    res = db_exec(conn, r->delivered ? "webhook_record_success" : "webhook_record_failure",
                  r->delivered ? 8 : 11, params, err);
    if (!res)
        return -1;
    *lease_kept = PQntuples(res) > 0 && atoi(db_value(res, 0, "kept")) > 0;
    PQclear(res);
    return 0;
}

int webhook_store_release(struct db_conn *conn, const struct webhook_claim *c,
                          struct app_error *err)
{
    const char *params[2] = {c->subscription_id, c->lease_token};
    PGresult *res = db_exec(conn, "webhook_release", 2, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int webhook_store_skip_unmatched(struct db_conn *conn, struct app_error *err)
{
    PGresult *res = db_exec(conn, "webhook_skip_unmatched", 0, NULL, err);
    int n;
    if (!res)
        return -1;
    n = atoi(PQcmdTuples(res));
    PQclear(res);
    return n;
}
