#include "idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../util/util.h"

static const struct db_statement statements[] = {
    /* ON CONFLICT waits for a concurrent claimer to finish; a key older than
     * a day is taken over as new. */
    {"idem_claim", "INSERT INTO idempotency_keys (subject, key, route, request_hash)"
                   " VALUES ($1, $2, $3, $4)"
                   " ON CONFLICT (subject, key) DO UPDATE SET route = EXCLUDED.route,"
                   "   request_hash = EXCLUDED.request_hash, status = NULL, response_body = NULL,"
                   "   location = NULL, etag = NULL, created_at = now()"
                   " WHERE idempotency_keys.created_at < now() - interval '24 hours'"
                   " RETURNING 1"},
    {"idem_get",
     "SELECT route, request_hash, status, response_body, location, etag FROM idempotency_keys"
     " WHERE subject = $1 AND key = $2"},
    {"idem_store",
     "UPDATE idempotency_keys SET status = $3::int, response_body = $4, location = $5, etag = $6"
     " WHERE subject = $1 AND key = $2"},
    {NULL, NULL},
};

void idempotency_store_init(void)
{
    db_register(statements);
}

/* What makes a retry "the same request": method, path with its query (an
 * upload's kind and title travel there), for raw uploads the declared
 * Content-Type, and the body. */
static void request_hash(const struct http_ctx *ctx, char out[65])
{
    const char *url = ctx->req->http_url ? ctx->req->http_url : ctx->req->url_path;
    const char *ct = ctx->route->body == HTTP_BODY_BINARY ? http_header(ctx, "Content-Type") : NULL;
    size_t ulen = strlen(url), clen = ct ? strlen(ct) : 0, blen = ctx->req->binary_body_length;
    size_t mlen = strlen(ctx->req->http_verb), n = 0;
    char *buf = malloc(mlen + ulen + clen + blen + 3);
    if (!buf) {
        memset(out, '0', 64);
        out[64] = 0;
        return;
    }
    memcpy(buf + n, ctx->req->http_verb, mlen);
    n += mlen;
    buf[n++] = ' ';
    memcpy(buf + n, url, ulen);
    n += ulen;
    buf[n++] = '\n';
    if (clen)
        memcpy(buf + n, ct, clen);
    n += clen;
    buf[n++] = '\n';
    if (blen)
        memcpy(buf + n, ctx->req->binary_body, blen);
    n += blen;
    sha256_hex(buf, n, out);
    free(buf);
}

static int replay(struct http_ctx *ctx, const char *key, const char *hash)
{
    const char *params[2] = {ctx->who.sub, key};
    PGresult *res = db_exec(ctx->db, "idem_get", 2, params, &ctx->err);
    const char *status, *body, *loc;
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        app_error_set(&ctx->err, 409, "idempotency-conflict", "Conflict",
                      "A request with this Idempotency-Key is being processed; retry shortly.");
        ctx->err.retry_after = 1;
        return -1;
    }
    if (strcmp(db_value(res, 0, "request_hash"), hash) != 0) {
        PQclear(res);
        app_error_set(&ctx->err, 422, "idempotency-key-reused", "Idempotency key reused",
                      "This Idempotency-Key was used with a different request.");
        return -1;
    }
    status = db_value(res, 0, "status");
    body = db_value(res, 0, "response_body");
    loc = db_value(res, 0, "location");
    if (!status) {
        PQclear(res);
        app_error_set(&ctx->err, 409, "idempotency-conflict", "Conflict",
                      "A request with this Idempotency-Key is being processed; retry shortly.");
        ctx->err.retry_after = 1;
        return -1;
    }
    ulfius_set_string_body_response(ctx->res, (unsigned)atoi(status), body ? body : "");
    if (body && *body)
        http_set_header(ctx, "Content-Type", "application/json");
    if (loc)
        http_set_header(ctx, "Location", loc);
    if (db_value(res, 0, "etag"))
        http_set_header(ctx, "ETag", db_value(res, 0, "etag"));
    http_set_header(ctx, "Idempotent-Replayed", "true");
    ctx->status = atoi(status);
    PQclear(res);
    /* A replay hands patient data out again: it is an access like any other. */
    {
        struct audit_entry e = {
            &ctx->who, ctx->request_id, "request.replayed", ctx->route->audit_resource, NULL,
            NULL,      "success",       ctx->status};
        if (audit_record(ctx->db, &e, &ctx->err) != 0)
            return -1;
        ctx->audited = 1;
    }
    return 1;
}

int idempotency_begin(struct http_ctx *ctx)
{
    const char *key = http_header(ctx, "Idempotency-Key");
    char hash[65];
    const char *params[4];
    PGresult *res;
    size_t i, n;
    int claimed;

    if (!key)
        return 0;
    n = strlen(key);
    for (i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e)
            break;
    if (n == 0 || n > 128 || i != n) {
        app_error_field(&ctx->err, "Idempotency-Key", "must be 1 to 128 visible ASCII characters");
        return -1;
    }
    snprintf(ctx->idem_key, sizeof ctx->idem_key, "%s", key);
    request_hash(ctx, hash);
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0)
        return -1;
    params[0] = ctx->who.sub;
    params[1] = key;
    params[2] = ctx->route->path;
    params[3] = hash;
    res = db_exec(ctx->db, "idem_claim", 4, params, &ctx->err);
    if (!res) {
        db_rollback(ctx->db);
        return -1;
    }
    claimed = PQntuples(res) == 1;
    PQclear(res);
    if (claimed)
        return 0;
    db_rollback(ctx->db);
    ctx->idem_key[0] = 0;
    return replay(ctx, key, hash);
}

int idempotency_finish(struct http_ctx *ctx)
{
    char status[16], *body;
    const char *params[6];
    const char *loc = u_map_get_case(ctx->res->map_header, "Location");
    const char *etag = u_map_get_case(ctx->res->map_header, "ETag");
    PGresult *res;

    if (!ctx->db || !db_in_transaction(ctx->db))
        return 0;
    snprintf(status, sizeof status, "%d", ctx->status);
    body = strndup(ctx->res->binary_body ? (const char *)ctx->res->binary_body : "",
                   ctx->res->binary_body_length);
    params[0] = ctx->who.sub;
    params[1] = ctx->idem_key;
    params[2] = status;
    params[3] = body;
    params[4] = loc;
    params[5] = etag;
    res = db_exec(ctx->db, "idem_store", 6, params, &ctx->err);
    free(body);
    if (!res) {
        db_rollback(ctx->db);
        return -1;
    }
    PQclear(res);
    return db_commit(ctx->db, &ctx->err);
}
