#include "events.h"

static const struct db_statement statements[] = {
    {"events_insert", "INSERT INTO events (type, case_id, subject_type, subject_id, actor_role)"
                      " VALUES ($1, $2::uuid, $3, $4::uuid, $5)"},
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
