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
    /* The case, then its live assignments, then their specialists, locked
     * in one statement (the order every writer of assignments uses): a
     * withdrawal changes all three, and taking the locks in three
     * statements let each wait its own lock timeout. The CTEs run in that
     * order because each reads the one before. */
    {"case_access_lock_assignments",
     "WITH c AS MATERIALIZED (SELECT c.id, c.status, c.version, c.cancer_type FROM cases "
     "c" VISIBLE_TO "   FOR UPDATE OF c),"
     " a AS MATERIALIZED (SELECT a.specialist_id FROM assignments a JOIN c ON a.case_id = c.id"
     "   WHERE a.status IN ('offered', 'accepted') FOR UPDATE OF a),"
     " s AS MATERIALIZED (SELECT s.id FROM specialists s WHERE s.id IN (SELECT specialist_id FROM "
     "a)"
     "   FOR UPDATE OF s)"
     " SELECT c.id, c.status, c.version, c.cancer_type, (SELECT count(*) FROM s) AS locked"
     " FROM c"},
    /* lock_timeout bounds each lock acquisition, not a statement that
     * needs several rows: the locking statement above runs with its
     * statement timeout set to the lock timeout, so that it waits at most
     * one lock timeout in all, then the statement timeout is restored. */
    {"case_access_deadline",
     "SELECT current_setting('statement_timeout') AS saved,"
     " set_config('statement_timeout', current_setting('lock_timeout'), true) AS now"},
    {"case_access_deadline_end", "SELECT set_config('statement_timeout', $1, true) AS now"},
    {NULL, NULL},
};

void case_access_store_init(void)
{
    db_register(statements);
}

/* Runs the statement that locks the case with its assignments under a
 * statement timeout of one lock timeout (inside the caller's transaction;
 * set_config(..., true) lasts until its end at most). */
static PGresult *exec_within_lock_timeout(struct db_conn *conn, const char *const *params,
                                          struct app_error *err)
{
    char saved[64];
    const char *restore[1] = {saved};
    PGresult *res = db_exec(conn, "case_access_deadline", 0, NULL, err), *locked;
    if (!res)
        return NULL;
    snprintf(saved, sizeof saved, "%s", db_value(res, 0, "saved"));
    PQclear(res);
    locked = db_exec(conn, "case_access_lock_assignments", 4, params, err);
    if (!locked)
        return NULL;
    res = db_exec(conn, "case_access_deadline_end", 1, restore, err);
    if (!res) {
        PQclear(locked);
        return NULL;
    }
    PQclear(res);
    return locked;
}

int case_access(struct db_conn *conn, const struct principal *who, const char *case_id, int lock,
                struct case_ref *out, struct app_error *err)
{
    const char *params[4] = {case_id, role_name(who->role), who->sub,
                             who->specialist_id[0] ? who->specialist_id : NULL};
    PGresult *res = lock == CASE_LOCK_WITH_ASSIGNMENTS
                        ? exec_within_lock_timeout(conn, params, err)
                        : db_exec(conn, lock ? "case_access_lock" : "case_access", 4, params, err);
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
