#include "assignment_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cases/case_access.h"

/* The API representation of an assignment, from the row aliased a joined
 * with its specialist s and institution i. */
#define ASSIGNMENT_JSON                                                                            \
    "jsonb_build_object('id', a.id, 'case_id', a.case_id, 'status', a.status,"                     \
    " 'version', a.version, 'specialist', jsonb_build_object('id', s.id, 'name', s.name,"          \
    "   'specialty', s.specialty, 'institution', jsonb_build_object('id', i.id, 'name', i.name,"   \
    "   'city', i.city, 'state', i.state)),"                                                       \
    " 'due_at', a.due_at, 'decline_reason', a.decline_reason,"                                     \
    " 'consultation', CASE WHEN a.consultation_at IS NULL THEN NULL ELSE jsonb_build_object("      \
    "   'scheduled_at', a.consultation_at, 'duration_minutes', a.consultation_minutes,"            \
    "   'url', a.consultation_url) END,"                                                           \
    " 'created_by', jsonb_build_object('subject', a.created_by_sub, 'role', a.created_by_role),"   \
    " 'created_at', a.created_at, 'updated_at', a.updated_at, 'accepted_at', a.accepted_at,"       \
    " 'declined_at', a.declined_at, 'completed_at', a.completed_at)"

#define ASSIGNMENT_JOINS                                                                           \
    " JOIN specialists s ON s.id = a.specialist_id JOIN institutions i ON i.id = s.institution_id"

/* The assignments of the cases the caller may see (the case_access rule);
 * a specialist's only their own. */
#define LISTED_TO                                                                                  \
    " " CASE_VISIBLE_SQL("$1", "$2", "$3") " AND ($1 <> 'specialist'"                              \
                                           " OR a.specialist_id = $3::uuid)"

/* Renders the assignment row(s) produced by a data-modifying CTE named u. */
#define RENDER_U " SELECT " ASSIGNMENT_JSON " AS doc FROM u a" ASSIGNMENT_JOINS

static const struct db_statement statements[] = {
    {"assignment_ref",
     "SELECT id, case_id, specialist_id, status, version, consultation_at IS NOT NULL AS"
     " has_consultation FROM assignments WHERE id = $1::uuid"},
    {"assignment_ref_lock",
     "SELECT id, case_id, specialist_id, status, version, consultation_at IS NOT NULL AS"
     " has_consultation FROM assignments WHERE id = $1::uuid"
     " FOR UPDATE"},
    {"assignment_get", "SELECT " ASSIGNMENT_JSON " AS doc FROM assignments a" ASSIGNMENT_JOINS
                       " WHERE a.id = $1::uuid"},
    {"assignment_specialist_exists", "SELECT 1 FROM specialists WHERE id = $1::uuid"},
    {"assignment_live_for_case",
     "SELECT id FROM assignments WHERE case_id = $1::uuid AND status IN ('offered', 'accepted')"},
    /* The conditional increment takes the specialist's row lock: of two
     * transactions racing for the last slot, the second re-checks
     * open_cases < capacity after the first commits and gets no row. */
    {"assignment_create",
     "WITH slot AS (UPDATE specialists SET open_cases = open_cases + 1, updated_at = now()"
     "   WHERE id = $2::uuid AND open_cases < capacity AND accepting AND retired_at IS NULL"
     "   RETURNING id, turnaround_days),"
     " u AS (INSERT INTO assignments (case_id, specialist_id, due_at, created_by_sub,"
     "   created_by_role, consultation_at, consultation_minutes, consultation_url,"
     "   consultation_by_sub)"
     "   SELECT $1::uuid, slot.id, now() + make_interval(days => slot.turnaround_days), $3, $4,"
     "   $5::timestamptz, $6::int, $7, CASE WHEN $5 IS NULL THEN NULL ELSE $3 END FROM slot"
     "   RETURNING *)" RENDER_U},
    {"assignment_accept",
     "WITH u AS (UPDATE assignments SET status = 'accepted', accepted_at = now(),"
     "   version = version + 1, updated_at = now()"
     "   WHERE id = $1::uuid AND status = 'offered' RETURNING *)" RENDER_U},
    {"assignment_decline",
     "WITH u AS (UPDATE assignments SET status = 'declined', declined_at = now(),"
     "   decline_reason = $2, version = version + 1, updated_at = now()"
     "   WHERE id = $1::uuid AND status = 'offered' RETURNING *),"
     " freed AS (UPDATE specialists s SET open_cases = GREATEST(s.open_cases - 1, 0),"
     "   updated_at = now() FROM u WHERE s.id = u.specialist_id)" RENDER_U},
    {"assignment_complete",
     "WITH u AS (UPDATE assignments SET status = 'completed', completed_at = now(),"
     "   version = version + 1, updated_at = now()"
     "   WHERE id = $1::uuid AND status = 'accepted' RETURNING *)"
     " UPDATE specialists s SET open_cases = GREATEST(s.open_cases - 1, 0), updated_at = now()"
     " FROM u WHERE s.id = u.specialist_id RETURNING u.id"},
    {"assignment_set_consultation",
     "WITH u AS (UPDATE assignments SET consultation_at = $3::timestamptz,"
     "   consultation_minutes = $4::int, consultation_url = $5,"
     "   consultation_by_sub = CASE WHEN $3 IS NULL THEN NULL ELSE $6 END,"
     "   version = version + 1, updated_at = now()"
     "   WHERE id = $1::uuid AND version = $2::int RETURNING *)" RENDER_U},
    {"assignment_accepted_for",
     "SELECT id FROM assignments WHERE case_id = $1::uuid AND specialist_id = $2::uuid"
     " AND status = 'accepted'"},
    {"assignment_list_for_case",
     "SELECT COALESCE(jsonb_agg(" ASSIGNMENT_JSON " ORDER BY a.created_at, a.id), '[]'::jsonb)"
     " AS items FROM assignments a" ASSIGNMENT_JOINS
     " WHERE a.case_id = $1::uuid AND ($2::uuid IS NULL OR a.specialist_id = $2::uuid)"},
    {"assignment_list",
     "SELECT " ASSIGNMENT_JSON " AS doc,"
     " to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS k"
     " FROM assignments a" ASSIGNMENT_JOINS " JOIN cases c ON c.id = a.case_id"
     " WHERE" LISTED_TO " AND ($4::text IS NULL OR a.status = $4)"
     " AND ($5::timestamptz IS NULL OR (a.created_at, a.id) < ($5::timestamptz, $6::uuid))"
     " ORDER BY a.created_at DESC, a.id DESC LIMIT $7::int"},
    {"assignment_is_future", "SELECT $1::timestamptz > now() AS future"},
    /* A retirement's first step: the cases of the specialist's live
     * assignments, then those assignments, locked in one statement (one
     * lock wait) before the specialist row, in the order every writer of
     * assignments uses (case, assignment, specialist). */
    {"assignment_live_of_specialist_lock",
     "SELECT a.id, a.case_id, a.status, c.status AS case_status, c.version AS case_version"
     " FROM assignments a JOIN cases c ON c.id = a.case_id"
     " WHERE a.specialist_id = $1::uuid AND a.status IN ('offered', 'accepted')"
     " ORDER BY a.case_id, a.id FOR UPDATE OF c, a"},
    /* A revoked assignment is cancelled (the status a withdrawal leaves)
     * and gives its slot back, as a cancellation does. */
    {"assignment_revoke",
     "WITH u AS (UPDATE assignments SET status = 'cancelled', version = version + 1,"
     "   updated_at = now() WHERE id = $1::uuid AND status IN ('offered', 'accepted')"
     "   RETURNING *)"
     " UPDATE specialists s SET open_cases = GREATEST(s.open_cases - 1, 0), updated_at = now()"
     " FROM u WHERE s.id = u.specialist_id RETURNING u.id"},
    {NULL, NULL},
};

void assignment_store_init(void)
{
    db_register(statements);
}

int assignment_store_ref(struct db_conn *conn, const char *id, int lock, struct assignment_ref *out,
                         struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, lock ? "assignment_ref_lock" : "assignment_ref", 1, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_not_found(err, "assignment");
    }
    snprintf(out->id, sizeof out->id, "%s", db_value(res, 0, "id"));
    snprintf(out->case_id, sizeof out->case_id, "%s", db_value(res, 0, "case_id"));
    snprintf(out->specialist_id, sizeof out->specialist_id, "%s",
             db_value(res, 0, "specialist_id"));
    snprintf(out->status, sizeof out->status, "%s", db_value(res, 0, "status"));
    out->version = atoi(db_value(res, 0, "version"));
    out->has_consultation = db_bool(res, 0, "has_consultation");
    PQclear(res);
    return 0;
}

int assignment_store_get(struct db_conn *conn, const char *id, json_t **out, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "assignment_get", 1, params, err);
    if (!res)
        return -1;
    return db_one_doc(res, "doc", out, err, "assignment");
}

static int exists(struct db_conn *conn, const char *stmt, int n, const char *const *params,
                  struct app_error *err)
{
    PGresult *res = db_exec(conn, stmt, n, params, err);
    int found;
    if (!res)
        return -1;
    found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}

int assignment_store_specialist_exists(struct db_conn *conn, const char *specialist_id,
                                       struct app_error *err)
{
    const char *params[1] = {specialist_id};
    return exists(conn, "assignment_specialist_exists", 1, params, err);
}

int assignment_store_live_for_case(struct db_conn *conn, const char *case_id, char live[37],
                                   struct app_error *err)
{
    const char *params[1] = {case_id};
    PGresult *res = db_exec(conn, "assignment_live_for_case", 1, params, err);
    if (!res)
        return -1;
    return db_one_id(res, live);
}

int assignment_store_create(struct db_conn *conn, const char *case_id, const char *specialist_id,
                            const struct principal *who, const json_t *consultation, json_t **out,
                            struct app_error *err)
{
    char minutes[16];
    const char *params[7];
    PGresult *res;
    params[0] = case_id;
    params[1] = specialist_id;
    params[2] = who->sub;
    params[3] = role_name(who->role);
    params[4] =
        consultation ? json_string_value(json_object_get(consultation, "scheduled_at")) : NULL;
    snprintf(minutes, sizeof minutes, "%lld",
             (long long)json_integer_value(json_object_get(consultation, "duration_minutes")));
    params[5] = consultation ? minutes : NULL;
    params[6] = consultation ? json_string_value(json_object_get(consultation, "url")) : NULL;
    res = db_exec(conn, "assignment_create", 7, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        app_error_problem(
            err, PROBLEM_SPECIALIST_UNAVAILABLE,
            "The specialist has no free slot, is not accepting cases or has retired.");
        return -1;
    }
    return db_one_doc(res, "doc", out, err, "assignment");
}

/* Runs a state-changing statement; no row means the assignment left the
 * state the change starts from. */
static int change(PGresult *res, json_t **out, struct app_error *err, const char *from)
{
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return app_error_conflict(err, "The assignment is no longer %s.", from);
    }
    return db_one_doc(res, "doc", out, err, "assignment");
}

int assignment_store_accept(struct db_conn *conn, const char *id, json_t **out,
                            struct app_error *err)
{
    const char *params[1] = {id};
    return change(db_exec(conn, "assignment_accept", 1, params, err), out, err, "offered");
}

int assignment_store_decline(struct db_conn *conn, const char *id, const char *reason, json_t **out,
                             struct app_error *err)
{
    const char *params[2] = {id, reason};
    return change(db_exec(conn, "assignment_decline", 2, params, err), out, err, "offered");
}

int assignment_store_complete(struct db_conn *conn, const char *id, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "assignment_complete", 1, params, err);
    int n;
    if (!res)
        return -1;
    n = PQntuples(res);
    PQclear(res);
    return n == 1 ? 0 : app_error_conflict(err, "The assignment is no longer accepted.");
}

int assignment_store_set_consultation(struct db_conn *conn, const char *id, int version,
                                      const json_t *consultation, const struct principal *who,
                                      json_t **out, struct app_error *err)
{
    char vbuf[16], minutes[16];
    const char *params[6];
    PGresult *res;
    snprintf(vbuf, sizeof vbuf, "%d", version);
    snprintf(minutes, sizeof minutes, "%lld",
             (long long)json_integer_value(json_object_get(consultation, "duration_minutes")));
    params[0] = id;
    params[1] = vbuf;
    params[2] =
        consultation ? json_string_value(json_object_get(consultation, "scheduled_at")) : NULL;
    params[3] = consultation ? minutes : NULL;
    params[4] = consultation ? json_string_value(json_object_get(consultation, "url")) : NULL;
    params[5] = who->sub;
    res = db_exec(conn, "assignment_set_consultation", 6, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        app_error_problem(err, PROBLEM_PRECONDITION_FAILED,
                          "The assignment changed since you read it; read it again and retry.");
        return -1;
    }
    return db_one_doc(res, "doc", out, err, "assignment");
}

int assignment_store_accepted_for(struct db_conn *conn, const char *case_id,
                                  const char *specialist_id, char id[37], struct app_error *err)
{
    const char *params[2] = {case_id, specialist_id};
    PGresult *res = db_exec(conn, "assignment_accepted_for", 2, params, err);
    if (!res)
        return -1;
    return db_one_id(res, id);
}

int assignment_store_list_for_case(struct db_conn *conn, const char *case_id,
                                   const char *specialist_id, json_t **items, struct app_error *err)
{
    const char *params[2] = {case_id, specialist_id};
    PGresult *res = db_exec(conn, "assignment_list_for_case", 2, params, err);
    if (!res)
        return -1;
    return db_one_doc(res, "items", items, err, "case");
}

int assignment_store_list(struct db_conn *conn, const struct assignment_list_query *q,
                          json_t **items, int *more, struct app_error *err)
{
    char limit[16];
    const char *params[7];
    PGresult *res;
    snprintf(limit, sizeof limit, "%d", q->limit + 1);
    params[0] = role_name(q->who->role);
    params[1] = q->who->sub;
    params[2] = q->who->specialist_id[0] ? q->who->specialist_id : NULL;
    params[3] = q->status;
    params[4] = q->after_created;
    params[5] = q->after_id;
    params[6] = limit;
    res = db_exec(conn, "assignment_list", 7, params, err);
    if (!res)
        return -1;
    return db_page_items(res, q->limit, items, more, err);
}

int assignment_store_is_future(struct db_conn *conn, const char *when, struct app_error *err)
{
    const char *params[1] = {when};
    PGresult *res = db_exec(conn, "assignment_is_future", 1, params, err);
    int future;
    if (!res)
        return -1;
    future = db_bool(res, 0, "future");
    PQclear(res);
    return future;
}

int assignment_store_live_of_specialist_lock(struct db_conn *conn, const char *specialist_id,
                                             struct assignment_live **out, int *n,
                                             struct app_error *err)
{
    const char *params[1] = {specialist_id};
    PGresult *res = db_exec(conn, "assignment_live_of_specialist_lock", 1, params, err);
    struct assignment_live *rows;
    int i, count;
    *out = NULL;
    *n = 0;
    if (!res)
        return -1;
    count = PQntuples(res);
    rows = calloc(count > 0 ? (size_t)count : 1, sizeof *rows);
    if (!rows) {
        PQclear(res);
        return app_error_internal(err);
    }
    for (i = 0; i < count; i++) {
        snprintf(rows[i].id, sizeof rows[i].id, "%s", db_value(res, i, "id"));
        snprintf(rows[i].status, sizeof rows[i].status, "%s", db_value(res, i, "status"));
        snprintf(rows[i].c.id, sizeof rows[i].c.id, "%s", db_value(res, i, "case_id"));
        snprintf(rows[i].c.status, sizeof rows[i].c.status, "%s", db_value(res, i, "case_status"));
        rows[i].c.version = atoi(db_value(res, i, "case_version"));
    }
    PQclear(res);
    *out = rows;
    *n = count;
    return 0;
}

int assignment_store_revoke(struct db_conn *conn, const char *id, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "assignment_revoke", 1, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}
