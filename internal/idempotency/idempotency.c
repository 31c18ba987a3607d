#include "idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* $1..$6 are the scope (issuer, subject, role, method, route, key) in every
 * statement, in the order of the primary key. */
#define SCOPE_WHERE                                                                                \
    " WHERE issuer = $1 AND subject = $2 AND role = $3 AND method = $4 AND route = $5 AND key = "  \
    "$6"

static const struct db_statement statements[] = {
    /* ON CONFLICT waits for a concurrent claimer to finish; a key older than
     * a day is taken over as new. */
    {"idem_claim",
     "INSERT INTO idempotency_keys (issuer, subject, role, method, route, key, request_hash)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7)"
     " ON CONFLICT (issuer, subject, role, method, route, key) DO UPDATE SET"
     "   request_hash = EXCLUDED.request_hash, status = NULL, response_body = NULL,"
     "   location = NULL, etag = NULL, created_at = now()"
     " WHERE idempotency_keys.created_at < now() - interval '24 hours'"
     " RETURNING 1"},
    {"idem_get", "SELECT request_hash, status, response_body, location, etag FROM "
                 "idempotency_keys" SCOPE_WHERE},
    {"idem_store", "UPDATE idempotency_keys SET status = $7::int, response_body = $8, location = "
                   "$9, etag = $10" SCOPE_WHERE},
    {NULL, NULL},
};

void idempotency_store_init(void)
{
    db_register(statements);
}

static void set_in_progress(struct app_error *err)
{
    app_error_problem(err, PROBLEM_IDEMPOTENCY_CONFLICT,
                      "A request with this Idempotency-Key is being processed; retry shortly.");
    err->retry_after = 1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int idempotency_claim(struct db_conn *conn, const struct idempotency_scope *scope,
                      const char *fingerprint, struct app_error *err)
{
    const char *params[7] = {scope->issuer, scope->subject, scope->role, scope->method,
                             scope->route,  scope->key,     fingerprint};
    PGresult *res;
    int claimed;

    if (db_begin(conn, err) != 0)
        return -1;
    res = db_exec(conn, "idem_claim", 7, params, err);
    if (!res) {
        db_rollback(conn);
        return -1;
    }
    claimed = PQntuples(res) == 1;
    PQclear(res);
    if (claimed)
        return 1;
    db_rollback(conn);
    return 0;
}

int idempotency_lookup(struct db_conn *conn, const struct idempotency_scope *scope,
                       const char *fingerprint, struct idempotency_response *out,
                       struct app_error *err)
{
    const char *params[6] = {scope->issuer, scope->subject, scope->role,
                             scope->method, scope->route,   scope->key};
    PGresult *res = db_exec(conn, "idem_get", 6, params, err);
    const char *status;

    memset(out, 0, sizeof *out);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        set_in_progress(err);
        return -1;
    }
    if (strcmp(db_value(res, 0, "request_hash"), fingerprint) != 0) {
        PQclear(res);
        app_error_problem(err, PROBLEM_IDEMPOTENCY_KEY_REUSED,
                          "This Idempotency-Key was used with a different request.");
        return -1;
    }
    status = db_value(res, 0, "status");
    if (!status) {
        PQclear(res);
        set_in_progress(err);
        return -1;
    }
    out->status = atoi(status);
    out->body = strdup(db_value(res, 0, "response_body") ? db_value(res, 0, "response_body") : "");
    out->location = dup_or_null(db_value(res, 0, "location"));
    out->etag = dup_or_null(db_value(res, 0, "etag"));
    if (!out->body || (db_value(res, 0, "location") && !out->location) ||
        (db_value(res, 0, "etag") && !out->etag)) {
        PQclear(res);
        idempotency_response_clear(out);
        return app_error_internal(err);
    }
    PQclear(res);
    return 0;
}

int idempotency_store(struct db_conn *conn, const struct idempotency_scope *scope, int status,
                      const char *body, const char *location, const char *etag,
                      struct app_error *err)
{
    char status_s[16];
    const char *params[10] = {
        scope->issuer, scope->subject, scope->role, scope->method, scope->route,
        scope->key,    status_s,       body,        location,      etag};
    PGresult *res;

    if (!db_in_transaction(conn))
        return 0;
    snprintf(status_s, sizeof status_s, "%d", status);
    res = db_exec(conn, "idem_store", 10, params, err);
    if (!res) {
        db_rollback(conn);
        return -1;
    }
    PQclear(res);
    return db_commit(conn, err);
}

void idempotency_response_clear(struct idempotency_response *r)
{
    free(r->body);
    free(r->location);
    free(r->etag);
    memset(r, 0, sizeof *r);
}
