/* GET /v1/audit-events: request parsing and the reply around audit_list. */
#include "audit_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "audit.h"

/* Code points of a UTF-8 string (the query parser let only UTF-8 through):
 * the spec's maxLength counts characters, not bytes. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* The filters are checked like every other list's: a value no row can have
 * (an outcome that is not one, a subject or action longer than any stored)
 * is the caller's mistake, a 400 naming it, not an empty page. Every
 * problem is reported at once. */
static void check_filters(struct http_ctx *ctx)
{
    static const char *const outcomes[] = {AUDIT_OUTCOMES, NULL};
    const char *actor = http_query(ctx, "actor"), *action = http_query(ctx, "action");
    const char *outcome = http_query(ctx, "outcome");
    int i;

    if (actor && utf8_chars(actor) > AUDIT_ACTOR_MAX)
        app_error_field(&ctx->err, "actor", "must be at most %d characters", AUDIT_ACTOR_MAX);
    if (action && utf8_chars(action) > AUDIT_ACTION_MAX)
        app_error_field(&ctx->err, "action", "must be at most %d characters", AUDIT_ACTION_MAX);
    if (outcome) {
        for (i = 0; outcomes[i] && strcmp(outcomes[i], outcome) != 0; i++)
            ;
        if (!outcomes[i])
            app_error_field(&ctx->err, "outcome",
                            "must be one of success, denied, not_found, invalid, error");
    }
}

static int list_audit_events(struct http_ctx *ctx)
{
    int limit, more;
    const char *cursor = http_query(ctx, "cursor"), *case_id = http_query(ctx, "case_id");
    char key[32] = "", id[8], last_id[24];
    struct audit_filter f;
    json_t *items, *out;
    struct db_conn *conn;

    if (http_query_limit(ctx, 50, 200, &limit) != 0)
        return -1;
    if (cursor && http_cursor_decode(ctx, cursor, key, sizeof key, id, sizeof id) != 0)
        return -1;
    if (cursor) {
        char *end;
        strtoll(key, &end, 10);
        if (!key[0] || *end)
            return app_error_bad_request(&ctx->err, "cursor is not valid.");
    }
    if (case_id && !uuid_is_valid(case_id))
        app_error_field(&ctx->err, "case_id", "must be a UUID");
    check_filters(ctx);
    if (ctx->err.status || !(conn = http_db(ctx)))
        return -1;
    f.before_id = cursor ? key : NULL;
    f.case_id = case_id;
    f.actor = http_query(ctx, "actor");
    f.action = http_query(ctx, "action");
    f.outcome = http_query(ctx, "outcome");
    if (audit_list(conn, &f, limit, &items, &more, last_id, &ctx->err) != 0)
        return -1;
    out = json_pack("{s:o}", "items", items);
    if (more) {
        /* The cursor's id half is unused: rows page by their id alone. */
        char *next = http_cursor_encode(last_id, "a");
        json_object_set_new(out, "next_cursor", json_string(next));
        free(next);
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    return http_reply_json(ctx, 200, out);
}

static const struct http_route routes[] = {
    {"GET", "/v1/audit-events", ROLE_ADMIN, HTTP_BODY_NONE,
     "limit,cursor,case_id,actor,action,outcome", list_audit_events, NULL, 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

const struct http_route *audit_routes(void)
{
    return routes;
}
