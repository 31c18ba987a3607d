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

static json_t *string_or_null(const char *v)
{
    return v ? json_string(v) : json_null();
}

/* The API representation of one audit_list row. */
static json_t *row_json(const PGresult *res, int i)
{
    json_t *row = json_object();
    json_object_set_new(row, "id", json_integer(strtoll(db_value(res, i, "id"), NULL, 10)));
    json_object_set_new(row, "at", json_string(db_value(res, i, "at")));
    json_object_set_new(row, "actor", string_or_null(db_value(res, i, "actor_sub")));
    json_object_set_new(row, "role", string_or_null(db_value(res, i, "actor_role")));
    json_object_set_new(row, "action", json_string(db_value(res, i, "action")));
    json_object_set_new(row, "resource_type", string_or_null(db_value(res, i, "resource_type")));
    json_object_set_new(row, "resource_id", string_or_null(db_value(res, i, "resource_id")));
    json_object_set_new(row, "case_id", string_or_null(db_value(res, i, "case_id")));
    json_object_set_new(row, "outcome", json_string(db_value(res, i, "outcome")));
    json_object_set_new(row, "status", json_integer(atoi(db_value(res, i, "status"))));
    json_object_set_new(row, "request_id", string_or_null(db_value(res, i, "request_id")));
    return row;
}

int audit_list(struct db_conn *conn, const struct audit_filter *f, int limit, json_t **items,
               int *more, char last_id[24], struct app_error *err)
{
    const char *params[6];
    char limit_s[16];
    PGresult *res;
    int i, n;

    *items = NULL;
    /* One extra row tells whether another page follows. */
    snprintf(limit_s, sizeof limit_s, "%d", limit + 1);
    params[0] = f->before_id;
    params[1] = f->case_id;
    params[2] = f->actor;
    params[3] = f->action;
    params[4] = f->outcome;
    params[5] = limit_s;
    res = db_exec(conn, "audit_list", 6, params, err);
    if (!res)
        return -1;
    n = PQntuples(res);
    *items = json_array();
    for (i = 0; i < n && i < limit; i++)
        json_array_append_new(*items, row_json(res, i));
    *more = n > limit;
    snprintf(last_id, 24, "%s", *more ? db_value(res, limit - 1, "id") : "");
    PQclear(res);
    return 0;
}
