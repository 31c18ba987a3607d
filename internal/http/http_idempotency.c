/* Idempotency-Key on the wire: reads and checks the header (sent once,
 * visible ASCII, as MHD received it), scopes it to the caller and the
 * operation, fingerprints the request, and replays a stored response (with
 * its audit row) onto the reply. What a key holds and when it is claimed, stored or looked up is
 * the core's (internal/idempotency). */
#include "http_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The scope of the key in ctx->idem_key: the caller (the verifier accepts
 * only the configured issuer, so that is the token's) and the operation. */
static void scope_of(const struct http_ctx *ctx, struct idempotency_scope *scope)
{
    scope->issuer = ctx->app->cfg->jwt_issuer;
    scope->subject = ctx->who.sub;
    scope->role = role_name(ctx->who.role);
    scope->method = ctx->route->method;
    scope->route = ctx->route->path;
    scope->key = ctx->idem_key;
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

/* A key is 1 to 128 visible ASCII characters other than ','. A control
 * byte, NUL included, would let two different keys compare equal once cut
 * at the NUL; a ',' is what a repeated header looks like once joined (by
 * ulfius, or by a proxy folding header lines as RFC 9110 5.3 allows). */
static int key_is_valid(const char *key, size_t n)
{
    size_t i;
    if (n == 0 || n > 128)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x21 || (unsigned char)key[i] > 0x7e || key[i] == ',')
            return 0;
    return 1;
}

/* What MHD holds of the Idempotency-Key headers: how many there are, and
 * whether any is invalid counting every byte it received. */
struct raw_keys {
    int count;
    int invalid;
    const char *value; /* the first one's value, as MHD stores it */
    size_t value_size;
};

static enum MHD_Result count_raw_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    struct raw_keys *raw = cls;
    static const char name[] = "Idempotency-Key";
    (void)kind;
    if (!key || strlen(key) != sizeof name - 1 || strcasecmp(key, name) != 0)
        return MHD_YES;
    if (raw->count++ == 0) {
        raw->value = value;
        raw->value_size = value_size;
    }
    /* A size beyond the C string is a NUL inside the name or the value. */
    if (key_size != sizeof name - 1 || !value || strlen(value) != value_size ||
        !key_is_valid(value, value_size))
        raw->invalid = 1;
    return MHD_YES;
}

#if MHD_VERSION <= 0x00097500
/* MHD up to 0.9.75 gives a header's value as the C string it parsed in place
 * in the connection's read buffer, and its size as strlen: a NUL inside the
 * value is invisible to the size. What follows the terminating NUL tells:
 * MHD replaces the CR and LF of each line ending with NULs, so after a whole
 * value come the NUL of its LF and then the next line, or (bare LF) the next
 * line at once; a line that is not the end of the header block is the next
 * header, whose name MHD points at. So a value is whole when one or two
 * bytes past it start a header name, or when a NUL follows it and then the
 * block's end; it was cut when other bytes follow (kk<NUL>AAA), or when the
 * next header starts one byte later than a CRLF allows (kk<NUL><CR><LF>).
 * A NUL that is the last byte of the last header's line cannot be told from
 * that line's CR; the key is then the bytes before it. Only bytes up to the
 * next header name or the block's ending CRLF are read, all in the buffer. */
struct name_at {
    const char *where;
    int found;
};

static enum MHD_Result find_name_at(void *cls, enum MHD_ValueKind kind, const char *key,
                                    size_t key_size, const char *value, size_t value_size)
{
    struct name_at *n = cls;
    (void)kind;
    (void)key_size;
    (void)value;
    (void)value_size;
    if (key == n->where)
        n->found = 1;
    return MHD_YES;
}

static int header_name_at(struct MHD_Connection *con, const char *where)
{
    struct name_at n = {where, 0};
    MHD_get_connection_values_n(con, MHD_HEADER_KIND, find_name_at, &n);
    return n.found;
}

static int cut_by_nul(struct MHD_Connection *con, const struct raw_keys *raw)
{
    const char *p = raw->value + raw->value_size + 1; /* past the terminator */
    if (p[0] != 0)                                    /* bare LF and the next header, or cut */
        return !header_name_at(con, p);
    if (p[1] != 0) /* CRLF (or NUL and bare LF) and the next header, or cut */
        return !header_name_at(con, p + 1);
    /* NUL CR LF and the next header; else the block's end */
    return header_name_at(con, p + 2);
}
#else
/* Later MHD versions size a value by its line, so strlen catches a NUL. */
static int cut_by_nul(struct MHD_Connection *con, const struct raw_keys *raw)
{
    (void)con;
    (void)raw;
    return 0;
}
#endif

/* How many Idempotency-Key headers the request carried, by any spelling,
 * and whether any of them is malformed. From MHD when the connection is
 * known; else from ulfius' map, whose names keep the client's spelling (so
 * case variants are separate entries) while exact repeats are joined with
 * ',' (which key_is_valid refuses). */
static void inspect_keys(const struct http_ctx *ctx, struct raw_keys *raw)
{
    struct MHD_Connection *con = http_connection(ctx->req);
    const char **names;
    memset(raw, 0, sizeof *raw);
    if (con) {
        MHD_get_connection_values_n(con, MHD_HEADER_KIND, count_raw_key, raw);
        if (raw->count == 1 && !raw->invalid && cut_by_nul(con, raw))
            raw->invalid = 1;
        return;
    }
    names = u_map_enum_keys(ctx->req->map_header);
    for (; names && *names; names++)
        if (!strcasecmp(*names, "Idempotency-Key"))
            raw->count++;
}

int http_idempotency_begin(struct http_ctx *ctx)
{
    const char *key = http_header(ctx, "Idempotency-Key");
    struct idempotency_scope scope;
    struct raw_keys raw;
    char hash[65];
    int rc;

    inspect_keys(ctx, &raw);
    if (!key && raw.count == 0)
        return 0;
    if (raw.count > 1) {
        app_error_field(&ctx->err, "Idempotency-Key", "must be sent once");
        return -1;
    }
    /* A header MHD has but ulfius dropped (a value that is not UTF-8) is
     * malformed too: handled without its key it would not be idempotent. */
    if (raw.invalid || !key || !key_is_valid(key, strlen(key))) {
        app_error_field(&ctx->err, "Idempotency-Key",
                        "must be 1 to 128 visible ASCII characters other than ','");
        return -1;
    }
    snprintf(ctx->idem_key, sizeof ctx->idem_key, "%s", key);
    request_hash(ctx, hash);
    if (!http_db(ctx))
        return -1;
    scope_of(ctx, &scope);
    rc = idempotency_claim(ctx->db, &scope, hash, &ctx->err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    /* Held by an earlier request: nothing of ours to store afterwards. */
    ctx->idem_key[0] = 0;
    scope.key = key;
    return replay(ctx, &scope, hash);
}

int http_idempotency_finish(struct http_ctx *ctx)
{
    struct idempotency_scope scope;
    char *body;
    int rc;

    if (!ctx->db)
        return 0;
    scope_of(ctx, &scope);
    body = strndup(ctx->res->binary_body ? (const char *)ctx->res->binary_body : "",
                   ctx->res->binary_body_length);
    rc = idempotency_store(ctx->db, &scope, ctx->status, body,
                           u_map_get_case(ctx->res->map_header, "Location"),
                           u_map_get_case(ctx->res->map_header, "ETag"), &ctx->err);
    free(body);
    return rc;
}
