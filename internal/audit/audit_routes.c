/* GET /v1/audit-events: request parsing and the reply around audit_list. */
#include "audit_routes.h"

#include <stdio.h>
#include <stdlib.h>

#include "../util/util.h"
#include "audit.h"

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
    if (case_id && !uuid_is_valid(case_id)) {
        app_error_field(&ctx->err, "case_id", "must be a UUID");
        return -1;
    }
    if (!(conn = http_db(ctx)))
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
