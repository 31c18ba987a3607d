#include "case_access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

#define VISIBLE_TO " WHERE c.id = $1::uuid AND " CASE_VISIBLE_SQL("$2", "$3", "$4")

static const struct db_statement statements[] = {
    {"case_access", "SELECT c.id, c.status, c.version, c.cancer_type FROM cases c" VISIBLE_TO},
    {"case_access_lock",
     "SELECT c.id, c.status, c.version, c.cancer_type FROM cases c" VISIBLE_TO " FOR UPDATE OF c"},
    {NULL, NULL},
};

void case_access_store_init(void)
{
    db_register(statements);
}

int case_access(struct db_conn *conn, const struct principal *who, const char *case_id, int lock,
                struct case_ref *out, struct app_error *err)
{
    const char *params[4] = {case_id, role_name(who->role), who->sub,
                             who->specialist_id[0] ? who->specialist_id : NULL};
    PGresult *res = db_exec(conn, lock ? "case_access_lock" : "case_access", 4, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_not_found(err, "case");
    }
    snprintf(out->id, sizeof out->id, "%s", db_value(res, 0, "id"));
    snprintf(out->status, sizeof out->status, "%s", db_value(res, 0, "status"));
    out->version = atoi(db_value(res, 0, "version"));
    snprintf(out->cancer_type, sizeof out->cancer_type, "%s", db_value(res, 0, "cancer_type"));
    PQclear(res);
    return 0;
}

int case_visible(struct db_conn *conn, const struct principal *who, const char *case_id,
                 struct app_error *err)
{
    struct case_ref ref;
    if (!uuid_is_valid(case_id))
        return app_error_not_found(err, "case");
    return case_access(conn, who, case_id, 0, &ref, err);
}
