/* GET /v1/events: the "after" cursor, the page limit and the reply around
 * events_feed_read. */
#include "events_routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

/* A decimal that fits an unsigned 64-bit integer (xid8 and bigint ids). */
static int is_u64(const char *s)
{
    char *end;
    unsigned long long v;
    if (!*s || strlen(s) > 20 || *s == '-' || *s == '+' || *s == ' ')
        return 0;
    errno = 0;
    v = strtoull(s, &end, 10);
    (void)v;
    return !errno && !*end;
}

/* The position to read after: `cursor`, the name every list uses, or
 * `after`, the feed's first name for it, still accepted; not both. */
static int parse_cursor(struct http_ctx *ctx, struct events_position *pos)
{
    const char *cursor = http_query(ctx, "cursor"), *after = http_query(ctx, "after");
    const char *name = cursor ? "cursor" : "after", *value = cursor ? cursor : after;
    snprintf(pos->txid, sizeof pos->txid, "0");
    snprintf(pos->id, sizeof pos->id, "0");
    if (cursor && after) {
        app_error_field(&ctx->err, "cursor",
                        "cannot be combined with after (its other name): send one");
        return -1;
    }
    if (!value)
        return 0;
    if (http_cursor_decode(ctx, value, pos->txid, sizeof pos->txid, pos->id, sizeof pos->id) != 0) {
        /* The shared decoder names the parameter "cursor"; name the one sent. */
        app_error_clear(&ctx->err);
        app_error_field(&ctx->err, name, "is not a cursor this service issued");
        return -1;
    }
    /* ids are bigint: below 10^18 for the life of this table. */
    if (!is_u64(pos->txid) || !is_u64(pos->id) || strlen(pos->id) > 18) {
        app_error_field(&ctx->err, name, "is not a cursor this service issued");
        return -1;
    }
    return 0;
}

/* Reading the feed is not audited: it discloses event types, ids and times,
 * never patient data, to staff who may see every case anyway; a consumer
 * polling every second would otherwise bury the audit trail. The request
 * log line records who read it; refusals are audited by the dispatcher. */
static int list_events(struct http_ctx *ctx)
{
    struct events_position pos, last;
    char *items = NULL, *next, *body;
    size_t len;
    int limit, more, n;

    if (http_query_limit(ctx, 100, 500, &limit) != 0 || parse_cursor(ctx, &pos) != 0)
        return -1;
    if (!http_db(ctx))
        return -1;
    if (events_feed_read(ctx->db, &pos, limit, &items, &last, &more, &ctx->err) != 0)
        return -1;
    /* The cursor alphabet (base64url) needs no JSON escaping. */
    next = http_cursor_encode(last.txid, last.id);
    len = strlen(items) + (next ? strlen(next) : 0) + 64;
    body = next ? malloc(len) : NULL;
    n = body ? snprintf(body, len, "{\"items\":%s,\"next_cursor\":\"%s\",\"has_more\":%s}", items,
                        next, more ? "true" : "false")
             : -1;
    free(items);
    free(next);
    if (n < 0 || (size_t)n >= len) {
        free(body);
        return app_error_internal(&ctx->err);
    }
    http_reply_json_text(ctx, 200, body, (size_t)n);
    free(body);
    return 0;
}

static const struct http_route routes[] = {
    {"GET", "/v1/events", ROLES_STAFF, HTTP_BODY_NONE, "cursor,after,limit", list_events, NULL, 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

const struct http_route *events_routes(void)
{
    return routes;
}
