#include "audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

static const struct db_statement audit_statements[] = {
    {"audit_insert",
     "INSERT INTO audit_events (actor_sub, actor_role, action, resource_type, resource_id,"
     " case_id, outcome, status, request_id)"
     " VALUES ($1, $2, $3, $4, $5, $6::uuid, $7, $8::int, $9)"},
    {"audit_list",
     "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS at,"
     " actor_sub, actor_role, action, resource_type, resource_id, case_id, outcome, status,"
     " request_id FROM audit_events"
     " WHERE ($1::bigint IS NULL OR id < $1::bigint)"
     "   AND ($2::uuid IS NULL OR case_id = $2::uuid)"
     "   AND ($3::text IS NULL OR actor_sub = $3)"
     "   AND ($4::text IS NULL OR action = $4)"
     "   AND ($5::text IS NULL OR outcome = $5)"
     " ORDER BY id DESC LIMIT $6::int"},
    {NULL, NULL},
};

void audit_store_init(void)
{
    db_register(audit_statements);
}

int audit_record(struct db_conn *conn, const struct audit_entry *e, struct app_error *err)
{
    char status[16];
    const char *params[9];
    PGresult *res;
    snprintf(status, sizeof status, "%d", e->status);
    params[0] = e->who && e->who->sub[0] ? e->who->sub : NULL;
    params[1] = e->who && e->who->role ? role_name(e->who->role) : NULL;
    params[2] = e->action;
    params[3] = e->resource_type;
    params[4] = e->resource_id;
    params[5] = e->case_id && uuid_is_valid(e->case_id) ? e->case_id : NULL;
    params[6] = e->outcome;
    params[7] = status;
    params[8] = e->request_id;
    res = db_exec(conn, "audit_insert", 9, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int audit_success(struct http_ctx *ctx, const char *action, const char *resource_type,
                  const char *resource_id, const char *case_id)
{
    struct audit_entry e = {&ctx->who,   ctx->request_id, action,    resource_type,
                            resource_id, case_id,         "success", 200};
    struct db_conn *conn = http_db(ctx);
    if (!conn)
        return -1;
    if (audit_record(conn, &e, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return 0;
}

static int list_audit_events(struct http_ctx *ctx)
{
    int limit;
    const char *cursor = http_query(ctx, "cursor"), *case_id = http_query(ctx, "case_id");
    char key[32] = "", id[8];
    const char *params[6];
    char limit_s[16];
    PGresult *res;
    json_t *items, *out;
    int i, n;
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
    snprintf(limit_s, sizeof limit_s, "%d", limit + 1);
    params[0] = cursor ? key : NULL;
    params[1] = case_id;
    params[2] = http_query(ctx, "actor");
    params[3] = http_query(ctx, "action");
    params[4] = http_query(ctx, "outcome");
    params[5] = limit_s;
    res = db_exec(conn, "audit_list", 6, params, &ctx->err);
    if (!res)
        return -1;
    n = PQntuples(res);
    items = json_array();
    for (i = 0; i < n && i < limit; i++) {
        json_t *row = json_object();
        const char *v;
        json_object_set_new(row, "id", json_integer(strtoll(db_value(res, i, "id"), NULL, 10)));
        json_object_set_new(row, "at", json_string(db_value(res, i, "at")));
        v = db_value(res, i, "actor_sub");
        json_object_set_new(row, "actor", v ? json_string(v) : json_null());
        v = db_value(res, i, "actor_role");
        json_object_set_new(row, "role", v ? json_string(v) : json_null());
        json_object_set_new(row, "action", json_string(db_value(res, i, "action")));
        v = db_value(res, i, "resource_type");
        json_object_set_new(row, "resource_type", v ? json_string(v) : json_null());
        v = db_value(res, i, "resource_id");
        json_object_set_new(row, "resource_id", v ? json_string(v) : json_null());
        v = db_value(res, i, "case_id");
        json_object_set_new(row, "case_id", v ? json_string(v) : json_null());
        json_object_set_new(row, "outcome", json_string(db_value(res, i, "outcome")));
        json_object_set_new(row, "status", json_integer(atoi(db_value(res, i, "status"))));
        v = db_value(res, i, "request_id");
        json_object_set_new(row, "request_id", v ? json_string(v) : json_null());
        json_array_append_new(items, row);
    }
    out = json_pack("{s:o}", "items", items);
    if (n > limit) {
        char *next = http_cursor_encode(db_value(res, limit - 1, "id"), "a");
        json_object_set_new(out, "next_cursor", json_string(next));
        free(next);
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    PQclear(res);
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
