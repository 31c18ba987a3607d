/* Idempotency-Key on the wire: reads and checks the header, fingerprints
 * the request, and replays a stored response (with its audit row) onto the
 * reply. What a key holds and when it is claimed, stored or looked up is
 * the core's (internal/idempotency). */
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../idempotency/idempotency.h"
#include "../util/util.h"

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

static int replay(struct http_ctx *ctx, const struct idempotency_scope *scope, const char *hash)
{
    struct idempotency_response stored;
    if (idempotency_lookup(ctx->db, scope, hash, &stored, &ctx->err) != 0)
        return -1;
    ulfius_set_string_body_response(ctx->res, (unsigned)stored.status, stored.body);
    if (*stored.body)
        http_set_header(ctx, "Content-Type", "application/json");
    if (stored.location)
        http_set_header(ctx, "Location", stored.location);
    if (stored.etag)
        http_set_header(ctx, "ETag", stored.etag);
    http_set_header(ctx, "Idempotent-Replayed", "true");
    ctx->status = stored.status;
    idempotency_response_clear(&stored);
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

int http_idempotency_begin(struct http_ctx *ctx)
{
    const char *key = http_header(ctx, "Idempotency-Key");
    struct idempotency_scope scope;
    char hash[65];
    size_t i, n;
    int rc;

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
    if (!http_db(ctx))
        return -1;
    scope.subject = ctx->who.sub;
    scope.key = key;
    scope.route = ctx->route->path;
    rc = idempotency_claim(ctx->db, &scope, hash, &ctx->err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    /* Held by an earlier request: nothing of ours to store afterwards. */
    ctx->idem_key[0] = 0;
    return replay(ctx, &scope, hash);
}

int http_idempotency_finish(struct http_ctx *ctx)
{
    struct idempotency_scope scope = {ctx->who.sub, ctx->idem_key, ctx->route->path};
    char *body;
    int rc;

    if (!ctx->db)
        return 0;
    body = strndup(ctx->res->binary_body ? (const char *)ctx->res->binary_body : "",
                   ctx->res->binary_body_length);
    rc = idempotency_store(ctx->db, &scope, ctx->status, body,
                           u_map_get_case(ctx->res->map_header, "Location"),
                           u_map_get_case(ctx->res->map_header, "ETag"), &ctx->err);
    free(body);
    return rc;
}
