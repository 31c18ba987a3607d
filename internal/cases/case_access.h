/* case_access: the one rule for who may see a case, used by every module
 * that serves data belonging to a case (records, coverage, matching,
 * opinions). A patient sees the cases whose patient_sub is their sub;
 * navigators and admins see all; a specialist sees a case only while an
 * assignment to them is offered, accepted or completed and they are not
 * retired (retirement ends a specialist's access at once, whatever their
 * token says). Anything else is "not found" (404), never 403, so ids cannot
 * be probed. */
#ifndef CSO_CASE_ACCESS_H
#define CSO_CASE_ACCESS_H

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../db/db.h"

/* The visibility rule as an SQL predicate over the case row aliased c, for
 * statements that must check it inline (one round trip). role, sub and spec
 * are the parameter placeholders holding the caller's role name, subject and
 * specialist id, e.g. CASE_VISIBLE_SQL("$2", "$3", "$4"). Every statement
 * that decides visibility uses this macro, so the rule lives here only. */
#define CASE_VISIBLE_SQL(role, sub, spec)                                                          \
    "(" role " IN ('navigator', 'admin') OR (" role " = 'patient' AND c.patient_sub = " sub ")"    \
    " OR (" role " = 'specialist' AND EXISTS (SELECT 1 FROM assignments a"                         \
    " JOIN specialists vs ON vs.id = a.specialist_id AND vs.retired_at IS NULL"                    \
    " WHERE a.case_id = c.id AND a.specialist_id = " spec                                          \
    "::uuid AND a.status IN ('offered', 'accepted', 'completed'))))"

struct case_ref {
    char id[37];
    char status[16];
    int version;
    char cancer_type[65];
};

void case_access_store_init(void);

/* lock of case_access: the case row, its offered and accepted assignments
 * and their specialists' rows, all in one statement that waits at most one
 * lock timeout (DB_LOCK_TIMEOUT_MS) in all, for a change of all three. */
#define CASE_LOCK_WITH_ASSIGNMENTS 2

/* Checks that who may see case_id and fills *out. With lock != 0 the case
 * row is locked FOR UPDATE (call inside a transaction) so that status checks
 * and the write that follows cannot race; with CASE_LOCK_WITH_ASSIGNMENTS
 * its live assignments and their specialists too. Returns 0, or -1 with err
 * set (404 when not visible or absent; 503 and others from the database,
 * a lock not granted in time among them). */
int case_access(struct db_conn *conn, const struct principal *who, const char *case_id, int lock,
                struct case_ref *out, struct app_error *err);

/* Whether who may see case_id (any string; not a UUID is not found): 0, or
 * -1 with err set (404 "case" when not). An http_visible_fn for
 * /v1/cases/:id. */
int case_visible(struct db_conn *conn, const struct principal *who, const char *case_id,
                 struct app_error *err);

#endif
