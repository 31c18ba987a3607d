/* The kit handlers use on a request: the database connection, path and
 * query parameters, headers, replies, ETags, If-Match and a page's next
 * cursor. Nothing here decides whether a request runs: that is the
 * dispatcher's (http_dispatch.c). */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

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

void http_set_etag_version(struct http_ctx *ctx, long long version)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"", version);
    http_set_header(ctx, "ETag", etag);
}

void http_set_etag_of(struct http_ctx *ctx, const json_t *doc)
{
    http_set_etag_version(ctx, (long long)json_integer_value(json_object_get(doc, "version")));
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

int http_reply_page_text(struct http_ctx *ctx, const char *items_json, const char *next_cursor,
                         int has_more)
{
    size_t len = strlen(items_json) + (next_cursor ? strlen(next_cursor) : 0) + 64;
    char *body = malloc(len);
    int n = body ? snprintf(body, len, "{\"items\":%s,\"next_cursor\":%s%s%s%s}", items_json,
                            next_cursor ? "\"" : "", next_cursor ? next_cursor : "null",
                            next_cursor ? "\"" : "",
                            has_more < 0 ? ""
                            : has_more   ? ",\"has_more\":true"
                                         : ",\"has_more\":false")
                 : -1;
    if (n < 0 || (size_t)n >= len) {
        free(body);
        return app_error_internal(&ctx->err);
    }
    http_reply_json_text(ctx, 200, body, (size_t)n);
    free(body);
    return 0;
}

int http_reply_bytes(struct http_ctx *ctx, int status, const char *content_type, const void *bytes,
                     size_t len)
{
    ulfius_set_binary_body_response(ctx->res, (unsigned)status, bytes, len);
    u_map_put(ctx->res->map_header, "Content-Type", content_type);
    ctx->status = status;
    return 0;
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
