#include "events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct db_statement statements[] = {
    {"events_insert", "INSERT INTO events (type, case_id, subject_type, subject_id, actor_role)"
                      " VALUES ($1, $2::uuid, $3, $4::uuid, $5)"},
    /* The ordering argument is in events.h. The row comparison uses
     * events_feed_idx (txid, id); xmin is taken from the statement's own
     * snapshot, the same one that decides which rows are visible. */
    {"events_feed",
     "SELECT json_build_object('id', id, 'type', type, 'case_id', case_id,"
     "   'subject_type', subject_type, 'subject_id', subject_id,"
     "   'actor_role', actor_role, 'occurred_at',"
     "   to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'))"
     "   AS doc, txid::text AS txid, id"
     " FROM events"
     " WHERE txid < pg_snapshot_xmin(pg_current_snapshot())"
     "   AND (txid, id) > ($1::xid8, $2::bigint)"
     /* Qualified: a bare "txid" here would be the text
      * output column, and '1000' sorts before '999'. */
     " ORDER BY events.txid, events.id LIMIT $3::int"},
    {NULL, NULL},
};

void events_store_init(void)
{
    db_register(statements);
}

int events_emit(struct db_conn *conn, const char *type, const char *case_id,
                const char *subject_type, const char *subject_id, const struct principal *who,
                struct app_error *err)
{
    const char *params[5] = {type, case_id, subject_type, subject_id,
                             who && who->role ? role_name(who->role) : NULL};
    PGresult *res = db_exec(conn, "events_insert", 5, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

static json_t *string_or_null(const char *v)
{
    return v ? json_string(v) : json_null();
}

json_t *events_row_json(const PGresult *res, int row)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(strtoll(db_value(res, row, "id"), NULL, 10)));
    json_object_set_new(o, "type", json_string(db_value(res, row, "type")));
    json_object_set_new(o, "case_id", string_or_null(db_value(res, row, "case_id")));
    json_object_set_new(o, "subject_type", string_or_null(db_value(res, row, "subject_type")));
    json_object_set_new(o, "subject_id", string_or_null(db_value(res, row, "subject_id")));
    json_object_set_new(o, "actor_role", string_or_null(db_value(res, row, "actor_role")));
    json_object_set_new(o, "occurred_at", json_string(db_value(res, row, "occurred_at")));
    return o;
}

int events_feed_read(struct db_conn *conn, const struct events_position *pos, int limit,
                     char **items_json, struct events_position *last, int *more,
                     struct app_error *err)
{
    char limit_s[16];
    const char *params[3] = {pos->txid, pos->id, limit_s};
    PGresult *res;
    char *buf;
    int n;

    /* One extra row tells whether another page is ready right now. */
    snprintf(limit_s, sizeof limit_s, "%d", limit + 1);
    res = db_exec(conn, "events_feed", 3, params, err);
    if (!res)
        return -1;
    n = PQntuples(res);
    *more = n > limit;
    if (n > limit)
        n = limit;
    *last = *pos;
    /* The events are PostgreSQL's JSON text: joined, never re-parsed. */
    if (!(buf = db_json_array_text(res, n))) {
        PQclear(res);
        return app_error_internal(err);
    }
    *items_json = buf;
    if (n > 0) {
        snprintf(last->txid, sizeof last->txid, "%s", db_value(res, n - 1, "txid"));
        snprintf(last->id, sizeof last->id, "%s", db_value(res, n - 1, "id"));
    }
    PQclear(res);
    return 0;
}

static int part_is_valid(const char *s, size_t len)
{
    size_t i;
    if (len < 1 || len > 40)
        return 0;
    for (i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return 0;
    return 1;
}

int events_type_pattern_is_valid(const char *s)
{
    const char *dot;
    if (!s)
        return 0;
    if (!strcmp(s, "*"))
        return 1;
    dot = strchr(s, '.');
    if (!dot || !part_is_valid(s, (size_t)(dot - s)))
        return 0;
    return !strcmp(dot + 1, "*") || part_is_valid(dot + 1, strlen(dot + 1));
}
