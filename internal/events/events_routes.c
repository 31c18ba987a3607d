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
    char *items = NULL, *next;
    int limit, more, rc;

    if (http_query_limit(ctx, 100, 500, &limit) != 0 || parse_cursor(ctx, &pos) != 0)
        return -1;
    if (!http_db(ctx))
        return -1;
    if (events_feed_read(ctx->db, &pos, limit, &items, &last, &more, &ctx->err) != 0)
        return -1;
    /* The feed's next_cursor is never null: a consumer stores it and polls. */
    next = http_cursor_encode(last.txid, last.id);
    rc = next ? http_reply_page_text(ctx, items, next, more) : app_error_internal(&ctx->err);
    free(items);
    free(next);
    return rc;
}

static const struct http_route routes[] = {
    {"GET", "/v1/events", ROLES_STAFF, HTTP_BODY_NONE, "cursor,after,limit", list_events, NULL, 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

const struct http_route *events_routes(void)
{
    return routes;
}
