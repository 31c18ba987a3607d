#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "../audit/audit.h"
#include "../idempotency/idempotency.h"
#include "../log/log.h"
#include "../ratelimit/ratelimit.h"
#include "../util/util.h"

#define PROBLEM_BASE "https://problems.second-opinion.example/"

struct route_binding {
    const struct app *app;
    const struct http_route *route;
    struct http_server *srv;
    const struct http_scope *scope; /* the owner-scoped object the path names, or NULL */
    int scope_param;                /* index of that object's id among the path parameters */
};

struct http_server {
    const struct app *app;
    struct _u_instance instance;
    struct sockaddr_in bind_addr;
    struct route_binding *bindings;
    int nbindings;
    struct route_binding fallback;
    struct ratelimit *limiter;
    atomic_int in_flight;
    /* Our own listening socket and the thread that accepts on it (see
     * http_server_start); -1 / 0 until started. */
    int listen_fd;
    pthread_t acceptor;
    int acceptor_running;
    atomic_int stopping;
    /* Connections handed to MHD and not yet closed: counted up by the
     * accept thread, down by MHD's close notification. */
    atomic_int open_connections;
};

/* ---------- problem+json: the one place errors are rendered ---------- */

void http_render_problem(struct _u_response *res, const struct app_error *err,
                         const char *request_id)
{
    json_t *p;
    char type[160], *body;
    const char *key;
    json_t *val;
    int status = err->status ? err->status : 500;

    snprintf(type, sizeof type, PROBLEM_BASE "%s", err->code[0] ? err->code : "internal-error");
    p = json_pack("{s:s,s:s,s:i,s:s}", "type", type, "title", err->title[0] ? err->title : "Error",
                  "status", status, "detail", err->detail);
    if (request_id && *request_id)
        json_object_set_new(p, "request_id", json_string(request_id));
    if (err->fields)
        json_object_set(p, "errors", err->fields);
    if (err->extra)
        json_object_foreach(err->extra, key, val) if (!json_object_get(p, key))
            json_object_set(p, key, val);
    body = json_dumps(p, JSON_COMPACT);
    ulfius_set_string_body_response(res, (unsigned)status, body ? body : "{}");
    u_map_put(res->map_header, "Content-Type", "application/problem+json");
    if (err->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", err->retry_after);
        u_map_put(res->map_header, "Retry-After", ra);
    }
    if (status == 401)
        u_map_put(res->map_header, "WWW-Authenticate",
                  "Bearer realm=\"cso\", error=\"invalid_token\"");
    /* A 412 tells the client the ETag to send next (validate_if_match). */
    if (err->etag[0])
        u_map_put(res->map_header, "ETag", err->etag);
    free(body);
    json_decref(p);
}

/* ---------- helpers for handlers ---------- */

struct db_conn *http_db(struct http_ctx *ctx)
{
    if (!ctx->db)
        ctx->db = db_acquire(ctx->app->pool, &ctx->err);
    return ctx->db;
}

const char *http_path(const struct http_ctx *ctx, const char *name)
{
    int i;
    for (i = 0; i < ctx->path_count; i++)
        if (!strcmp(ctx->path_names[i], name))
            return ctx->path_values[i];
    return NULL;
}

const char *http_path_uuid(struct http_ctx *ctx, const char *name, const char *what)
{
    int i;
    for (i = 0; i < ctx->path_count; i++) {
        if (strcmp(ctx->path_names[i], name) != 0)
            continue;
        if (!uuid_is_valid(ctx->path_values[i]))
            break;
        for (char *p = ctx->path_values[i]; *p; p++)
            if (*p >= 'A' && *p <= 'F')
                *p = (char)(*p - 'A' + 'a');
        return ctx->path_values[i];
    }
    app_error_not_found(&ctx->err, what);
    return NULL;
}

const char *http_query(const struct http_ctx *ctx, const char *name)
{
    return ctx->query ? json_string_value(json_object_get(ctx->query, name)) : NULL;
}

int http_query_limit(struct http_ctx *ctx, int dflt, int max, int *out)
{
    const char *v = http_query(ctx, "limit");
    char *end = NULL;
    long n;
    if (!v) {
        *out = dflt;
        return 0;
    }
    n = strtol(v, &end, 10);
    if (!*v || *end || n < 1 || n > max || v[0] == '+' || v[0] == ' ') {
        app_error_field(&ctx->err, "limit", "must be an integer from 1 to %d", max);
        return -1;
    }
    *out = (int)n;
    return 0;
}

char *http_body_text(const struct http_ctx *ctx)
{
    return strndup(ctx->req->binary_body ? ctx->req->binary_body : "",
                   ctx->req->binary_body_length);
}

const char *http_header(const struct http_ctx *ctx, const char *name)
{
    return u_map_get_case(ctx->req->map_header, name);
}

void http_set_header(struct http_ctx *ctx, const char *name, const char *value)
{
    u_map_put(ctx->res->map_header, name, value);
}

int http_reply_json(struct http_ctx *ctx, int status, json_t *body)
{
    if (body) {
        char *s = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
        ulfius_set_string_body_response(ctx->res, (unsigned)status, s ? s : "{}");
        u_map_put(ctx->res->map_header, "Content-Type", "application/json");
        free(s);
        json_decref(body);
    } else {
        ulfius_set_empty_body_response(ctx->res, (unsigned)status);
    }
    ctx->status = status;
    return 0;
}

int http_reply_json_text(struct http_ctx *ctx, int status, const char *json, size_t len)
{
    return http_reply_bytes(ctx, status, "application/json", json, len);
}

int http_reply_bytes(struct http_ctx *ctx, int status, const char *content_type, const void *bytes,
                     size_t len)
{
    ulfius_set_binary_body_response(ctx->res, (unsigned)status, bytes, len);
    u_map_put(ctx->res->map_header, "Content-Type", content_type);
    ctx->status = status;
    return 0;
}

int http_require_if_match(struct http_ctx *ctx, const char *etag)
{
    const char *im = http_header(ctx, "If-Match");
    if (!im || !*im) {
        app_error_set(&ctx->err, 428, "precondition-required", "Precondition required",
                      "Send If-Match with the ETag from your last read of this resource.");
        return -1;
    }
    if (strcmp(im, etag) != 0 && strcmp(im, "*") != 0) {
        app_error_set(&ctx->err, 412, "precondition-failed", "Precondition failed",
                      "The resource changed since you read it; read it again and retry.");
        http_set_header(ctx, "ETag", etag);
        return -1;
    }
    return 0;
}

char *http_cursor_encode(const char *key, const char *id)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf, "%s|%s", key, id);
    if (n < 0 || (size_t)n >= sizeof buf)
        return NULL;
    return b64url_encode((const unsigned char *)buf, (size_t)n);
}

void http_set_next_cursor(json_t *out, json_t *items, int more)
{
    json_t *item, *next = json_null();
    size_t i;
    if (more && json_array_size(items) > 0) {
        json_t *last = json_array_get(items, json_array_size(items) - 1);
        char *enc = http_cursor_encode(json_string_value(json_object_get(last, "_cursor_key")),
                                       json_string_value(json_object_get(last, "id")));
        if (enc) {
            json_decref(next);
            next = json_string(enc);
            free(enc);
        }
    }
    json_object_set_new(out, "next_cursor", next);
    json_array_foreach(items, i, item) json_object_del(item, "_cursor_key");
}

int http_cursor_decode(struct http_ctx *ctx, const char *cursor, char *key, size_t keylen, char *id,
                       size_t idlen)
{
    size_t n = 0;
    unsigned char *raw;
    char *bar;
    if (strlen(cursor) > 300 || !(raw = b64url_decode(cursor, strlen(cursor), &n)))
        goto bad;
    /* The id (last) never contains '|'; a sort key (a name, a date) might. */
    bar = strrchr((char *)raw, '|');
    if (!bar || memchr(raw, 0, n) || (size_t)(bar - (char *)raw) >= keylen ||
        strlen(bar + 1) >= idlen) {
        free(raw);
        goto bad;
    }
    *bar = 0;
    snprintf(key, keylen, "%s", (char *)raw);
    snprintf(id, idlen, "%s", bar + 1);
    free(raw);
    return 0;
bad:
    app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
    return -1;
}

/* ---------- request parsing ---------- */

/* Request ids come from the CSPRNG in batches: one RAND_bytes call (a DRBG
 * lock and an AES-CTR step) per 32 requests per thread instead of one each. */
static void random_bytes(unsigned char *out, size_t n)
{
    static __thread unsigned char pool[512];
    static __thread size_t left;
    if (n > sizeof pool)
        n = sizeof pool;
    if (left < n) {
        if (RAND_bytes(pool, sizeof pool) != 1)
            memset(pool, 0, sizeof pool);
        left = sizeof pool;
    }
    memcpy(out, pool + sizeof pool - left, n);
    /* each byte is handed out once */
    memset(pool + sizeof pool - left, 0, n);
    left -= n;
}

static void make_request_id(struct http_ctx *ctx)
{
    const char *given = http_header(ctx, "X-Request-Id");
    unsigned char rnd[16];
    size_t i, n;
    if (given && (n = strlen(given)) > 0 && n <= 64) {
        for (i = 0; i < n; i++) {
            char c = given[i];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':'))
                break;
        }
        if (i == n) {
            snprintf(ctx->request_id, sizeof ctx->request_id, "%s", given);
            return;
        }
    }
    random_bytes(rnd, sizeof rnd);
    for (i = 0; i < sizeof rnd; i++) {
        ctx->request_id[i * 2] = "0123456789abcdef"[rnd[i] >> 4];
        ctx->request_id[i * 2 + 1] = "0123456789abcdef"[rnd[i] & 15];
    }
    ctx->request_id[sizeof rnd * 2] = 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes into a new string; NULL on malformed escapes or NUL. */
static char *url_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    size_t i, o = 0;
    if (!out)
        return NULL;
    for (i = 0; i < len; i++) {
        if (s[i] == '%') {
            int h, l;
            if (i + 2 >= len)
                goto bad;
            h = hexval((unsigned char)s[i + 1]);
            l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0))
                goto bad;
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (s[i] == '+') {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = 0;
    return out;
bad:
    free(out);
    return NULL;
}

static int key_allowed(const char *allowed, const char *key)
{
    size_t klen = strlen(key);
    const char *p = allowed;
    if (!allowed)
        return 0;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == klen && !strncmp(p, key, len))
            return 1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

/* Parses the raw query string ourselves: ulfius merges route and query
 * parameters into one map, which hides repeats and lets ?id= shadow a path
 * id. Unknown and repeated keys are refused. */
int http_query_parse(const char *url, const char *allowed, json_t **out, struct app_error *err)
{
    const char *q = url ? strchr(url, '?') : NULL, *p;
    json_t *query = json_object();
    *out = NULL;
    if (!query)
        return app_error_internal(err);
    if (!q || !q[1]) {
        *out = query;
        return 0;
    }
    if (strlen(q) > HTTP_MAX_QUERY_BYTES) {
        json_decref(query);
        return app_error_bad_request(err, "The query string is too long.");
    }
    p = q + 1;
    while (*p) {
        const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p), *eq;
        char *key, *val;
        if (end == p) {
            p = amp ? amp + 1 : end;
            continue;
        }
        eq = memchr(p, '=', (size_t)(end - p));
        key = url_decode(p, (size_t)((eq ? eq : end) - p));
        val = eq ? url_decode(eq + 1, (size_t)(end - eq - 1)) : strdup("");
        /* Decoded bytes did not pass through the JSON parser: check UTF-8
         * here, or json_string() would refuse the value and the parameter
         * would silently vanish (an ignored filter). */
        if (!key || !utf8_is_valid(key, strlen(key)) || !text_is_clean(key)) {
            free(key);
            free(val);
            json_decref(query);
            return app_error_bad_request(err, "The query string is not well formed.");
        }
        if (!val || !utf8_is_valid(val, strlen(val)) || !text_is_clean(val) || strchr(val, '\n')) {
            app_error_field(err, key,
                            "is not well formed (bad percent-encoding, not UTF-8, or control "
                            "characters)");
            free(key);
            free(val);
            json_decref(query);
            return -1;
        }
        if (!strcmp(key, "access_token")) {
            free(key);
            free(val);
            json_decref(query);
            app_error_set(err, 401, "unauthorized", "Unauthorized",
                          "Tokens are accepted only in the Authorization header.");
            return -1;
        }
        if (!key_allowed(allowed, key))
            app_error_field(err, key, "is not a query parameter of this operation");
        else if (json_object_get(query, key))
            app_error_field(err, key, "must not be repeated");
        else if (!*val)
            app_error_field(err, key, "must not be empty");
        else if (json_object_set_new(query, key, json_string(val)) != 0)
            app_error_internal(err);
        free(key);
        free(val);
        if (err->status) {
            json_decref(query);
            return -1;
        }
        p = amp ? amp + 1 : end;
    }
    *out = query;
    return 0;
}

/* Matches template segments against the path to collect :name values. */
static int template_match(const char *tmpl, const char *path, struct http_ctx *ctx)
{
    const char *t = tmpl, *p = path;
    int n = 0;
    while (*t == '/' && *p == '/') {
        const char *te, *pe;
        t++;
        p++;
        te = strchr(t, '/');
        pe = strchr(p, '/');
        if (!te)
            te = t + strlen(t);
        if (!pe)
            pe = p + strlen(p);
        if (*t == ':') {
            if (pe == p || (size_t)(pe - p) >= sizeof ctx->path_values[0] ||
                n >= HTTP_MAX_PATH_PARAMS)
                return 0;
            if (ctx) {
                memcpy(ctx->path_values[n], p, (size_t)(pe - p));
                ctx->path_values[n][pe - p] = 0;
            }
            n++;
        } else if ((size_t)(te - t) != (size_t)(pe - p) || strncmp(t, p, (size_t)(te - t))) {
            return 0;
        }
        t = te;
        p = pe;
    }
    if (*p == '/' && p[1] == 0)
        p++; /* tolerate one trailing slash, as ulfius does */
    return *t == 0 && *p == 0 ? n + 1 : 0;
}

/* Param names live in the static route template; point into it. */
static void bind_param_names(struct http_ctx *ctx, const char *tmpl)
{
    static __thread char names[HTTP_MAX_PATH_PARAMS][40];
    const char *t = tmpl;
    int n = 0;
    while ((t = strchr(t, ':')) && n < HTTP_MAX_PATH_PARAMS) {
        const char *e = strchr(t, '/');
        size_t len = e ? (size_t)(e - t - 1) : strlen(t + 1);
        if (len >= sizeof names[0])
            len = sizeof names[0] - 1;
        memcpy(names[n], t + 1, len);
        names[n][len] = 0;
        ctx->path_names[n] = names[n];
        n++;
        t++;
    }
    ctx->path_count = n;
}

static int content_type_is_json(const char *ct)
{
    static const char *const accepted[] = {"application/json", "application/merge-patch+json",
                                           NULL};
    int i;
    if (!ct)
        return 0;
    for (i = 0; accepted[i]; i++) {
        size_t n = strlen(accepted[i]);
        if (!strncasecmp(ct, accepted[i], n) && (ct[n] == 0 || ct[n] == ';' || ct[n] == ' '))
            return 1;
    }
    return 0;
}

/* One pass over the raw bytes before jansson sees them: a 1 MiB body of
 * "[[[[..." or "1,1,1,..." is small on the wire but jansson would build a
 * value per element (some 40 bytes each, so 20 MB for one request) or
 * recurse 2048 deep before failing. Counting brackets and commas outside
 * strings bounds both; malformed JSON is left for jansson to report. */
static int json_shape_ok(const char *buf, size_t len, struct app_error *err)
{
    size_t i, depth = 0, values = 1;
    int in_string = 0;
    for (i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        switch (c) {
        case '"':
            in_string = 1;
            break;
        case '[':
        case '{':
            if (++depth > HTTP_JSON_MAX_DEPTH) {
                app_error_set(err, 400, "json-too-complex", "JSON too complex",
                              "The body nests deeper than %d levels.", HTTP_JSON_MAX_DEPTH);
                return -1;
            }
            values++;
            break;
        case ']':
        case '}':
            if (depth > 0)
                depth--;
            break;
        case ',':
            values++;
            break;
        default:
            break;
        }
        if (values > HTTP_JSON_MAX_VALUES) {
            app_error_set(err, 400, "json-too-complex", "JSON too complex",
                          "The body has more than %d values.", HTTP_JSON_MAX_VALUES);
            return -1;
        }
    }
    return 0;
}

json_t *http_json_body_parse(const void *buf, size_t len, struct app_error *err)
{
    json_error_t jerr;
    json_t *body;
    if (json_shape_ok(buf, len, err) != 0)
        return NULL;
    body = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!body) {
        app_error_set(err, 400, "malformed-json", "Malformed JSON",
                      "The body is not valid JSON (or repeats a key) near line %d, column %d.",
                      jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        app_error_bad_request(err, "The body must be a JSON object.");
        return NULL;
    }
    return body;
}

static int check_body(struct http_ctx *ctx)
{
    const struct http_route *r = ctx->route;
    const struct config *cfg = ctx->app->cfg;
    size_t limit = r->body == HTTP_BODY_BINARY ? cfg->max_document_bytes : cfg->max_body_bytes;
    const char *cl = http_header(ctx, "Content-Length");
    size_t len = ctx->req->binary_body_length;

    if ((cl && strtoull(cl, NULL, 10) > limit) || len > limit) {
        app_error_set(&ctx->err, 413, "payload-too-large", "Payload too large",
                      "The request body is larger than the %zu bytes this operation accepts.",
                      limit);
        http_set_header(ctx, "Connection", "close");
        return -1;
    }
    /* A declared length the body did not reach means the upload was cut off. */
    if (cl && strtoull(cl, NULL, 10) != len)
        return app_error_bad_request(&ctx->err, "The request body is incomplete.");
    switch (r->body) {
    case HTTP_BODY_NONE:
        if (len > 0)
            return app_error_bad_request(&ctx->err, "This operation takes no request body.");
        return 0;
    case HTTP_BODY_BINARY:
        return 0;
    case HTTP_BODY_JSON_OPTIONAL:
        if (len == 0)
            return 0;
        /* fall through */
    case HTTP_BODY_JSON:
        if (len == 0)
            return app_error_bad_request(&ctx->err, "A JSON object body is required.");
        if (!content_type_is_json(http_header(ctx, "Content-Type"))) {
            app_error_set(&ctx->err, 415, "unsupported-media-type", "Unsupported media type",
                          "Send the body as application/json.");
            return -1;
        }
        ctx->body = http_json_body_parse(ctx->req->binary_body, len, &ctx->err);
        return ctx->body ? 0 : -1;
    }
    return 0;
}

static int authenticate(struct http_ctx *ctx)
{
    const char *h = http_header(ctx, "Authorization");
    char reason[64] = "";
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
        app_error_set(&ctx->err, 401, "unauthorized", "Unauthorized",
                      "Send a bearer token in the Authorization header.");
        return -1;
    }
    h += 7;
    while (*h == ' ')
        h++;
    if (auth_verify(ctx->app->auth, h, (long)time(NULL), &ctx->who, reason, sizeof reason) != 0) {
        app_error_set(&ctx->err, 401, "unauthorized", "Unauthorized",
                      "The bearer token is not valid (%s).", reason);
        return -1;
    }
    if (!(ctx->route->roles & (unsigned)ctx->who.role)) {
        app_error_set(&ctx->err, 403, "forbidden", "Forbidden",
                      "The %s role may not perform this operation.", role_name(ctx->who.role));
        return -1;
    }
    return 0;
}

/* Writes the audit row for a refused or failed access to patient data. The
 * handler's own transaction is over by now, so this commits on its own. */
static void audit_refusal(struct http_ctx *ctx)
{
    struct audit_entry e;
    struct app_error err = {0};
    const char *outcome;
    int st = ctx->status;
    int auth_refusal = st == 401 || st == 403;
    if (ctx->audited || !ctx->route || ctx->route->roles == 0)
        return;
    if (!auth_refusal && !(ctx->route->audit_resource && st >= 400 && st < 500 && st != 429))
        return;
    outcome = st == 401 || st == 403 ? "denied" : st == 404 ? "not_found" : "invalid";
    memset(&e, 0, sizeof e);
    e.who = ctx->who.role ? &ctx->who : NULL;
    e.request_id = ctx->request_id;
    e.action = auth_refusal ? "request.denied" : "request.refused";
    e.resource_type = ctx->route->audit_resource;
    e.resource_id = ctx->path_count > 0 && uuid_is_valid(ctx->path_values[ctx->path_count - 1])
                        ? ctx->path_values[ctx->path_count - 1]
                        : NULL;
    e.case_id = NULL;
    {
        const char *cid = http_path(ctx, "id");
        if (cid && uuid_is_valid(cid) && ctx->route->path &&
            !strncmp(ctx->route->path, "/v1/cases/:id", 13))
            e.case_id = cid;
    }
    e.outcome = outcome;
    e.status = st;
    if (!http_db(ctx) || audit_record(ctx->db, &e, &err) != 0)
        log_msg(LOG_WARN, "audit: could not record refusal for request %s", ctx->request_id);
    app_error_clear(&err);
}

static void common_headers(struct http_ctx *ctx)
{
    u_map_put(ctx->res->map_header, "X-Request-Id", ctx->request_id);
    u_map_put(ctx->res->map_header, "Cache-Control", "no-store");
    u_map_put(ctx->res->map_header, "X-Content-Type-Options", "nosniff");
}

/* The binding of the route that matches method and path, or NULL. No two
 * templates of one method match the same path (checked by the contract
 * test's route list), so the first match is the only one. */
static struct route_binding *route_find(struct http_server *srv, const char *method,
                                        const char *path)
{
    int i;
    if (!method || !path)
        return NULL;
    for (i = 0; i < srv->nbindings; i++) {
        struct route_binding *bd = &srv->bindings[i];
        if (!strcmp(bd->route->method, method) && template_match(bd->route->path, path, NULL))
            return bd;
    }
    return NULL;
}

/* The visibility-first rule of struct http_scope: a refusal of a request on
 * an object the caller may not see becomes that object's 404. Refusals that
 * come before any look at the object stay: authentication and role (401,
 * 403), the rate limit (429), and not found itself. */
static void hide_from_strangers(struct http_ctx *ctx, const struct route_binding *b)
{
    struct app_error seen = {0};
    int st = ctx->err.status;
    if (!b->scope || !ctx->route->roles || st < 400 || st >= 500 || st == 401 || st == 403 ||
        st == 404 || st == 429 || b->scope_param >= ctx->path_count)
        return;
    /* Not http_db: its error would land on the refusal being judged. */
    if (!ctx->db)
        ctx->db = db_acquire(ctx->app->pool, &seen);
    if (ctx->db &&
        b->scope->visible(ctx->db, &ctx->who, ctx->path_values[b->scope_param], &seen) == 0)
        return;
    /* Not visible, or not known (the database is away: fail closed). */
    app_error_clear(&ctx->err);
    ctx->err = seen;
}

static int dispatch(const struct _u_request *req, struct _u_response *res, void *user_data)
{
    struct route_binding *b = user_data, *found = route_find(b->srv, req->http_verb, req->url_path);
    struct http_ctx ctx;
    double t0 = now_ms();
    struct log_request_line line;
    int replayed = 0;

    if (found)
        b = found;
    atomic_fetch_add(&b->srv->in_flight, 1);
    memset(&ctx, 0, sizeof ctx);
    ctx.req = req;
    ctx.res = res;
    ctx.route = b->route;
    ctx.app = b->app;
    make_request_id(&ctx);
    common_headers(&ctx);

    if (!ctx.route) {
        app_error_set(&ctx.err, 404, "not-found", "Not found", "No such route.");
        /* Distinguish a wrong method on a known path (405). */
        for (int i = 0; i < b->srv->nbindings; i++) {
            if (template_match(b->srv->bindings[i].route->path, req->url_path, NULL)) {
                app_error_set(&ctx.err, 405, "method-not-allowed", "Method not allowed",
                              "This path does not support %s.", req->http_verb);
                break;
            }
        }
        goto done;
    }
    template_match(ctx.route->path, req->url_path, &ctx);
    bind_param_names(&ctx, ctx.route->path);

    if (ctx.route->roles && authenticate(&ctx) != 0)
        goto done;
    if (ctx.route->roles && b->srv->limiter && ratelimit_take(b->srv->limiter, ctx.who.sub) != 0) {
        app_error_set(&ctx.err, 429, "too-many-requests", "Too many requests",
                      "This caller sent too many requests; slow down.");
        ctx.err.retry_after = 10;
        goto done;
    }
    /* Most requests have no query string: no empty object for them
     * (http_query reads a NULL ctx.query as "absent"). */
    if ((req->http_url && strchr(req->http_url, '?') &&
         http_query_parse(req->http_url, ctx.route->query, &ctx.query, &ctx.err) != 0) ||
        check_body(&ctx) != 0)
        goto done;
    if (ctx.route->idempotent) {
        int rc = idempotency_begin(&ctx);
        if (rc < 0)
            goto done;
        replayed = rc == 1;
    }
    if (!replayed) {
        if (ctx.route->handler(&ctx) != 0) {
            if (!ctx.err.status)
                app_error_internal(&ctx.err);
            if (ctx.db)
                db_rollback(ctx.db);
        } else if (ctx.idem_key[0] && idempotency_finish(&ctx) != 0) {
            if (!ctx.err.status)
                app_error_internal(&ctx.err);
        }
    }

done:
    if (ctx.err.status) {
        if (ctx.db)
            db_rollback(ctx.db);
        hide_from_strangers(&ctx, b);
        ctx.status = ctx.err.status;
        http_render_problem(res, &ctx.err, ctx.request_id);
        if (ctx.err.status == 413)
            u_map_put(res->map_header, "Connection", "close");
    } else if (ctx.status == 0) {
        ctx.status = (int)res->status;
    }
    audit_refusal(&ctx);
    if (ctx.db)
        db_release(ctx.db);

    memset(&line, 0, sizeof line);
    line.method = req->http_verb;
    line.route = ctx.route ? ctx.route->path : "(unmatched)";
    line.status = ctx.status;
    line.latency_ms = now_ms() - t0;
    line.request_id = ctx.request_id;
    line.subject = ctx.who.sub[0] ? ctx.who.sub : NULL;
    line.role = ctx.who.role ? role_name(ctx.who.role) : NULL;
    line.problem = ctx.err.status ? ctx.err.code : NULL;
    log_request(&line);

    json_decref(ctx.body);
    json_decref(ctx.query);
    app_error_clear(&ctx.err);
    atomic_fetch_sub(&b->srv->in_flight, 1);
    return U_CALLBACK_COMPLETE;
}

/* ---------- server life cycle ---------- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    vsnprintf(buf, sizeof buf, fmt, ap);
    buf[strcspn(buf, "\n")] = 0;
    log_msg(LOG_WARN, "http: %s", buf);
}

const struct http_scope *http_scope_for(const struct http_scope *scopes, const char *tmpl,
                                        int *param)
{
    for (; scopes && scopes->prefix; scopes++) {
        size_t n = strlen(scopes->prefix);
        const char *p;
        if (strncmp(tmpl, scopes->prefix, n) != 0 || (tmpl[n] != '\0' && tmpl[n] != '/'))
            continue;
        *param = -1;
        for (p = scopes->prefix; (p = strchr(p, ':')) != NULL; p++)
            (*param)++;
        if (*param >= 0)
            return scopes;
    }
    return NULL;
}

struct http_server *http_server_new(const struct app *app, const struct http_route *const *tables,
                                    const struct http_scope *scopes)
{
    struct http_server *srv = calloc(1, sizeof *srv);
    int i, n = 0, k = 0;
    const struct http_route *r;
    size_t body_cap;

    if (!srv)
        return NULL;
    srv->listen_fd = -1;
    srv->app = app;
    for (i = 0; tables[i]; i++)
        for (r = tables[i]; r->method; r++)
            n++;
    srv->bindings = calloc((size_t)n, sizeof *srv->bindings);
    if (!srv->bindings) {
        free(srv);
        return NULL;
    }
    srv->bind_addr.sin_family = AF_INET;
    srv->bind_addr.sin_port = htons((uint16_t)app->cfg->port);
    if (inet_pton(AF_INET, app->cfg->bind_address, &srv->bind_addr.sin_addr) != 1) {
        log_msg(LOG_ERROR, "config: BIND_ADDRESS must be an IPv4 address");
        free(srv->bindings);
        free(srv);
        return NULL;
    }
    if (ulfius_init_instance(&srv->instance, (unsigned)app->cfg->port, &srv->bind_addr, "cso") !=
        U_OK) {
        free(srv->bindings);
        free(srv);
        return NULL;
    }
    /* ulfius truncates silently at max_post_body_size: allow one byte more
     * than the largest body any route takes, so an over-size body is seen as
     * over-size (and refused with 413) while memory stays bounded. The cap is
     * per server, not per route, and ulfius buffers a whole body before any
     * handler runs: so the document limit applies only when some route takes
     * documents, else every connection could hold 25 MiB. */
    body_cap = app->cfg->max_body_bytes;
    for (i = 0; tables[i]; i++)
        for (r = tables[i]; r->method; r++)
            if (r->body == HTTP_BODY_BINARY && app->cfg->max_document_bytes > body_cap)
                body_cap = app->cfg->max_document_bytes;
    srv->instance.max_post_body_size = body_cap + 1;
    srv->instance.allowed_post_processor = U_POST_PROCESS_NONE;
    srv->instance.timeout = (unsigned)app->cfg->connection_timeout_s;

    for (i = 0; tables[i]; i++) {
        for (r = tables[i]; r->method; r++) {
            struct route_binding *bd = &srv->bindings[k++];
            bd->app = app;
            bd->route = r;
            bd->srv = srv;
            bd->scope = http_scope_for(scopes, r->path, &bd->scope_param);
        }
    }
    /* ulfius gets no endpoints of ours, only the default one: its matcher
     * splits the URL and walks every endpoint with allocations on each
     * request (about 9% of the server's CPU on GET /v1/cases/{id} in a perf
     * profile); route_find does the same job over the static tables. */
    srv->nbindings = k;
    srv->fallback.app = app;
    srv->fallback.route = NULL;
    srv->fallback.srv = srv;
    ulfius_set_default_endpoint(&srv->instance, dispatch, &srv->fallback);
    if (app->cfg->rate_limit_per_minute > 0)
        srv->limiter = ratelimit_new(app->cfg->rate_limit_per_minute);
    return srv;
}

static void notify_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    (void)connection;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub(&srv->open_connections, 1);
}

/* Accepts connections and hands each to MHD, which files it with the worker
 * thread whose index is the socket number modulo the pool size (the next one
 * with room when that one is full). Consecutive sockets therefore spread
 * evenly over the workers. When the workers accept for themselves, the first
 * to wake takes a whole burst: 16 keep-alive clients landed on 11 of 64
 * workers, 512 on 30, and since a worker runs one request at a time
 * (handlers block on PostgreSQL), clients that share a worker wait for each
 * other; that was most of the service's p99 at 16 and 64 connections. */
static void *accept_loop(void *arg)
{
    struct http_server *srv = arg;
    time_t last_warning = 0;
    while (!atomic_load(&srv->stopping)) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        int fd;
        /* MAX_CONNECTIONS is enforced here, not by MHD: libmicrohttpd 0.9.75
         * deadlocks a worker (it locks a mutex it already holds) when a
         * connection handed to it finds the worker at its share of MHD's
         * limit, so MHD gets a limit no worker can reach (http_server_start).
         * At the limit new clients wait in the listen backlog, as they did
         * when MHD accepted for itself. */
        if (atomic_load(&srv->open_connections) >= srv->app->cfg->max_connections) {
            time_t now = time(NULL);
            if (now != last_warning) /* at most one line a second */
                log_msg(LOG_WARN, "http: MAX_CONNECTIONS open; new clients wait in the backlog");
            last_warning = now;
            usleep(2000);
            continue;
        }
        fd = accept4(srv->listen_fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (atomic_load(&srv->stopping))
                break;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_msg(LOG_WARN, "http: accept: out of descriptors or memory; pausing");
                usleep(50000);
            }
            continue; /* EINTR, ECONNABORTED and the like: the next one */
        }
        /* MHD owns (and on failure closes) the socket from here on. */
        atomic_fetch_add(&srv->open_connections, 1);
        if (MHD_add_connection(srv->instance.mhd_daemon, fd, (struct sockaddr *)&peer, len) !=
            MHD_YES) {
            atomic_fetch_sub(&srv->open_connections, 1);
            log_msg(LOG_WARN, "http: MHD could not take a connection: %s", strerror(errno));
        }
    }
    return NULL;
}

static int listen_socket(const struct sockaddr_in *addr, int backlog)
{
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, backlog) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int http_server_start(struct http_server *srv)
{
    const struct config *cfg = srv->app->cfg;
    struct MHD_OptionItem ops[] = {
        /* The logger first, so that MHD reports problems with the rest through it. */
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)mhd_request_completed, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)ulfius_uri_logger, NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_connection, srv},
        {MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL},
        /* MHD splits this evenly over its workers; each share is at least
         * MAX_CONNECTIONS, so no worker ever meets its limit (accept_loop). */
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections * cfg->threads, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    /* ITC: a worker learns of a connection added from our thread at once. */
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;

    srv->listen_fd = listen_socket(&srv->bind_addr, 1024);
    if (srv->listen_fd < 0) {
        log_msg(LOG_ERROR, "http: cannot listen on %s:%d: %s", cfg->bind_address, cfg->port,
                strerror(errno));
        return -1;
    }
    if (ulfius_start_framework_with_mhd_options(&srv->instance, flags, ops) != U_OK) {
        close(srv->listen_fd);
        srv->listen_fd = -1;
        return -1;
    }
    if (pthread_create(&srv->acceptor, NULL, accept_loop, srv) != 0) {
        log_msg(LOG_ERROR, "http: cannot start the accept thread");
        return -1;
    }
    srv->acceptor_running = 1;
    return 0;
}

/* Stops accepting: later connection attempts are refused by the kernel. */
static void stop_accepting(struct http_server *srv)
{
    atomic_store(&srv->stopping, 1);
    if (srv->listen_fd >= 0)
        shutdown(srv->listen_fd, SHUT_RDWR); /* wakes accept4 */
    if (srv->acceptor_running) {
        pthread_join(srv->acceptor, NULL);
        srv->acceptor_running = 0;
    }
    if (srv->listen_fd >= 0) {
        close(srv->listen_fd);
        srv->listen_fd = -1;
    }
}

void http_server_stop_and_free(struct http_server *srv)
{
    int waited = 0;
    if (!srv)
        return;
    if (srv->instance.mhd_daemon) {
        /* Stop accepting first, then give requests in flight time to finish
         * and their responses time to leave before the workers are torn down. */
        stop_accepting(srv);
        while (atomic_load(&srv->in_flight) > 0 && waited < 25000) {
            usleep(10000);
            waited += 10;
        }
        usleep(200000);
        ulfius_stop_framework(&srv->instance);
    }
    ulfius_clean_instance(&srv->instance);
    ratelimit_free(srv->limiter);
    free(srv->bindings);
    free(srv);
}
