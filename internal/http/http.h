/* http: routes, the one dispatcher every request goes through (request id,
 * body limits, authentication, roles, query parsing, JSON parsing, audit of
 * refusals, the log line) and the only place errors become
 * application/problem+json.
 *
 * A handler parses and validates with the helpers below, calls its domain
 * function and replies with http_reply_json; or it returns -1 with ctx->err
 * set and the dispatcher renders the problem.
 *
 * One header, one file per job behind it: http_server.c (life cycle and
 * accept loop), http_dispatch.c (the dispatcher), http_parse.c (pure
 * parsing: query strings, JSON bodies, cursors), http_problem.c
 * (problem+json), http_handler.c (the helpers for handlers) and
 * http_idempotency.c (Idempotency-Key on the wire). What they share is in
 * http_internal.h, which nothing outside internal/http includes.
 *
 * This is the handler layer: it may use audit, idempotency and events, and
 * none of them includes this header. */
#ifndef CSO_HTTP_H
#define CSO_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <ulfius.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../config/config.h"
#include "../db/db.h"

/* Shared, read-only after start-up. */
struct app {
    const struct config *cfg;
    struct db_pool *pool;
    struct auth_verifier *auth;
};

enum http_body {
    HTTP_BODY_NONE = 0,      /* any body is refused */
    HTTP_BODY_JSON,          /* a JSON object is required */
    HTTP_BODY_JSON_OPTIONAL, /* empty, or a JSON object */
    HTTP_BODY_BINARY,        /* raw bytes up to MAX_DOCUMENT_BYTES; handler checks type */
};

struct http_ctx;
typedef int (*http_handler_fn)(struct http_ctx *ctx);

struct http_route {
    const char *method;
    const char *path; /* ulfius format: /v1/cases/:id */
    unsigned roles;   /* bitmask of enum role; 0 = public, no token */
    enum http_body body;
    const char *query; /* allowed query keys, comma-separated; NULL = none */
    http_handler_fn handler;
    const char *audit_resource; /* patient-data route: refusals are audited as this type */
    int idempotent;             /* honours Idempotency-Key (creating POSTs, workflow actions) */
};

#define HTTP_MAX_PATH_PARAMS 4

struct http_ctx {
    const struct _u_request *req;
    struct _u_response *res;
    const struct http_route *route;
    const struct app *app;
    char request_id[65];
    struct principal who; /* valid when route->roles != 0 */
    json_t *body;         /* owned: parsed JSON body or NULL */
    json_t *query;        /* owned: key -> string; NULL when no query string */
    const char *path_names[HTTP_MAX_PATH_PARAMS];
    char path_values[HTTP_MAX_PATH_PARAMS][80];
    int path_count;
    struct db_conn *db; /* borrowed lazily by http_db, released by dispatcher */
    struct app_error err;
    int status;
    int audited;        /* the handler already wrote an audit row */
    char idem_key[129]; /* Idempotency-Key in effect, or "" */
};

/* Decides whether the caller may see the object named by id (a path
 * parameter, not yet checked to be a UUID). Returns 0 when visible, or -1
 * with err set: 404 when absent or not visible, 503 and the like from the
 * database. */
typedef int (*http_visible_fn)(struct db_conn *db, const struct principal *who, const char *id,
                               struct app_error *err);

/* An owner-scoped object: every route whose template is prefix (such as
 * "/v1/cases/:id", whose one parameter names the object) or starts with
 * prefix and a '/' serves that object or a child of it. Visibility comes
 * before validation: a request on such a route that is refused for its
 * query, headers or body (any 4xx but 401, 403, 404 and 429) gets the 404 of
 * visible instead when the caller may not see the object, so nothing a
 * stranger sends learns more than "not found". The check runs on the refusal
 * path only: a request that is accepted goes on to its handler, whose domain
 * function checks visibility itself in the same statement that reads or
 * writes, so the success path pays no extra round trip. Matching by prefix
 * fails closed: a new route under a scoped path is covered without a word. */
struct http_scope {
    const char *prefix;
    http_visible_fn visible;
};

/* The scope of scopes whose prefix the route template tmpl is or starts
 * with (then a '/'), with *param set to the index of the prefix's parameter
 * among the template's; NULL when the route names no owner-scoped object. */
const struct http_scope *http_scope_for(const struct http_scope *scopes, const char *tmpl,
                                        int *param);

/* The server: ulfius instance plus the route table. */
struct http_server;

/* Creates a server that will serve the NULL-method-terminated route arrays in
 * tables (NULL-terminated array of arrays), with the owner-scoped objects of
 * scopes (terminated by a NULL prefix; NULL for none). Both are borrowed and
 * must outlive the server. Returns NULL on failure. */
struct http_server *http_server_new(const struct app *app, const struct http_route *const *tables,
                                    const struct http_scope *scopes);
/* Starts listening (epoll, internal thread pool, connection limit and
 * timeout). Returns 0 on success. */
int http_server_start(struct http_server *srv);
/* Stops accepting, lets requests in flight finish, then frees everything. */
void http_server_stop_and_free(struct http_server *srv);

/* --- helpers for handlers --- */

/* Borrows a database connection for this request (released by the
 * dispatcher). Returns NULL with ctx->err set to 503 on failure. */
struct db_conn *http_db(struct http_ctx *ctx);

/* Path parameter by name (as in the route template), or NULL. */
const char *http_path(const struct http_ctx *ctx, const char *name);
/* Path parameter that must be a UUID; on failure sets a 404 for `what`
 * (a malformed id names no resource) and returns NULL. The returned pointer
 * is lowercased in place and lives as long as ctx. */
const char *http_path_uuid(struct http_ctx *ctx, const char *name, const char *what);

/* Request-shape limits the dispatcher enforces before any handler runs. */
#define HTTP_MAX_QUERY_BYTES 4096  /* the query string, '?' included */
#define HTTP_JSON_MAX_DEPTH 32     /* nested arrays/objects in a JSON body */
#define HTTP_JSON_MAX_VALUES 10000 /* values (elements, members) in a JSON body */

/* Parses the query string of a raw request URL (after the first '?') into
 * *out, a new object of decoded key -> value strings the caller owns.
 * Refuses (400, or 401 for access_token) keys not in `allowed` (comma-
 * separated; NULL = none), repeated or empty parameters, malformed escapes,
 * NUL, control characters and bytes that are not UTF-8. Returns 0, or -1
 * with err set and *out NULL. Pure: no request needed (fuzzed as is). */
int http_query_parse(const char *url, const char *allowed, json_t **out, struct app_error *err);

/* Parses a JSON request body as the dispatcher does: at most
 * HTTP_JSON_MAX_DEPTH deep and HTTP_JSON_MAX_VALUES values (checked before
 * parsing), duplicate keys refused, an object required. Returns a new
 * reference, or NULL with err set to a 400. Pure (fuzzed as is). */
json_t *http_json_body_parse(const void *buf, size_t len, struct app_error *err);

/* Query parameter (already checked against route->query), or NULL. */
const char *http_query(const struct http_ctx *ctx, const char *name);
/* Parses limit in [1,max] with a default; on error sets ctx->err, returns -1. */
int http_query_limit(struct http_ctx *ctx, int dflt, int max, int *out);

/* The request body as received, NUL-terminated (a JSON body that parsed
 * has no NUL byte), for passing on as text; NULL when out of memory.
 * Caller frees with free. */
char *http_body_text(const struct http_ctx *ctx);

/* Request header, case-insensitive, or NULL. */
const char *http_header(const struct http_ctx *ctx, const char *name);

/* Replies with a JSON body; takes ownership of body (may be NULL for an
 * empty body). Always returns 0. */
int http_reply_json(struct http_ctx *ctx, int status, json_t *body);
/* Replies with a JSON document that is already text (copied), e.g. one
 * PostgreSQL rendered: no parse and re-render on the hot paths. The caller
 * vouches that json is one valid JSON value. Returns 0. */
int http_reply_json_text(struct http_ctx *ctx, int status, const char *json, size_t len);
/* Replies 200 with a page whose items PostgreSQL rendered:
 * {"items":<items_json>,"next_cursor":<next_cursor or null>} plus
 * "has_more" when has_more >= 0. next_cursor must need no JSON escaping
 * (http_cursor_encode's alphabet). Returns 0, or -1 with ctx->err set. */
int http_reply_page_text(struct http_ctx *ctx, const char *items_json, const char *next_cursor,
                         int has_more);
/* Replies with raw bytes (copied) and a content type. Returns 0. */
int http_reply_bytes(struct http_ctx *ctx, int status, const char *content_type, const void *bytes,
                     size_t len);
void http_set_header(struct http_ctx *ctx, const char *name, const char *value);
/* ETag: "<version>", the tag of every resource versioned by one integer. */
void http_set_etag_version(struct http_ctx *ctx, long long version);
/* The same for a document with an integer "version" member. */
void http_set_etag_of(struct http_ctx *ctx, const json_t *doc);

/* Opaque keyset cursors: encodes (sort key, id) and decodes it back. The
 * encoded string is malloc'd (caller frees); decode writes into the buffers
 * and returns -1 (with ctx->err = 400) on a malformed cursor. */
char *http_cursor_encode(const char *key, const char *id);
int http_cursor_decode(struct http_ctx *ctx, const char *cursor, char *key, size_t keylen, char *id,
                       size_t idlen);

/* Sets out's "next_cursor" for a keyset page: the cursor after the last item
 * (its "_cursor_key" and "id") when more is set, else null; then removes the
 * "_cursor_key" helper member from every item. items stays owned by the caller. */
void http_set_next_cursor(json_t *out, json_t *items, int more);

/* Renders an error as problem+json onto a ulfius response (the single place
 * that does so). */
void http_render_problem(struct _u_response *res, const struct app_error *err,
                         const char *instance);

#endif
