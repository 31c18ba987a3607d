/* The dispatcher: every request goes through http_dispatch, in this order:
 * request id and common headers, route lookup (404/405), authentication and
 * role, rate limit, query string and body checks, Idempotency-Key, the
 * handler; then, on any error, the visibility-first rule of struct
 * http_scope (hide_from_strangers) and the problem+json reply, the audit row
 * of a refused access, and the log line. */
#include "http_internal.h"

#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../audit/audit.h"
#include "../log/log.h"
#include "../ratelimit/ratelimit.h"
#include "../util/util.h"

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

/* The request is made by ulfius_uri_logger when the request line arrives,
 * before any header, and is the one the dispatcher is later given. The
 * connection rides in its `timeout`, a field ulfius uses only for requests
 * it sends as a client (ulfius_send_http_request): the server side neither
 * reads nor frees it (ulfius 2.7). There is no other slot on the request,
 * and a thread-local would not do: a worker thread interleaves the header
 * parsing of many connections between this call and the dispatch. */
void *http_uri_logger(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct connection_info_struct *ci = ulfius_uri_logger(cls, uri);
    if (ci && ci->request)
        ci->request->timeout = (unsigned long)(uintptr_t)con;
    return ci;
}

struct MHD_Connection *http_connection(const struct _u_request *req)
{
    return (struct MHD_Connection *)(uintptr_t)req->timeout;
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

static int check_body(struct http_ctx *ctx)
{
    const struct http_route *r = ctx->route;
    const struct config *cfg = ctx->app->cfg;
    size_t limit = r->body == HTTP_BODY_BINARY ? cfg->max_document_bytes : cfg->max_body_bytes;
    const char *cl = http_header(ctx, "Content-Length");
    size_t len = ctx->req->binary_body_length;

    if ((cl && strtoull(cl, NULL, 10) > limit) || len > limit) {
        app_error_problem(&ctx->err, PROBLEM_PAYLOAD_TOO_LARGE,
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
            app_error_problem(&ctx->err, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
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
        app_error_problem(&ctx->err, PROBLEM_UNAUTHORIZED,
                          "Send a bearer token in the Authorization header.");
        return -1;
    }
    h += 7;
    while (*h == ' ')
        h++;
    if (auth_verify(ctx->app->auth, h, (long)time(NULL), &ctx->who, reason, sizeof reason) != 0) {
        app_error_problem(&ctx->err, PROBLEM_UNAUTHORIZED, "The bearer token is not valid (%s).",
                          reason);
        return -1;
    }
    if (!(ctx->route->roles & (unsigned)ctx->who.role)) {
        app_error_problem(&ctx->err, PROBLEM_FORBIDDEN,
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

/* The scope whose prefix the route template is or starts with (then a '/'),
 * and the index of the prefix's parameter among the template's. */
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

int http_dispatch(const struct _u_request *req, struct _u_response *res, void *user_data)
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
        app_error_problem(&ctx.err, PROBLEM_NOT_FOUND, "No such route.");
        /* Distinguish a wrong method on a known path (405). */
        for (int i = 0; i < b->srv->nbindings; i++) {
            if (template_match(b->srv->bindings[i].route->path, req->url_path, NULL)) {
                app_error_problem(&ctx.err, PROBLEM_METHOD_NOT_ALLOWED,
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
        app_error_problem(&ctx.err, PROBLEM_TOO_MANY_REQUESTS,
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
        int rc = http_idempotency_begin(&ctx);
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
        } else if (ctx.idem_key[0] && http_idempotency_finish(&ctx) != 0) {
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
