#include "opinion_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AMENDMENT_JSON                                                                             \
    "jsonb_build_object('id', m.id, 'opinion_id', m.opinion_id, 'seq', m.seq, 'reason',"           \
    " m.reason, 'changes', m.changes, 'narrative', m.narrative, 'specialist_id',"                  \
    " m.specialist_id, 'signed_at', m.signed_at)"

/* The API representation of an opinion, from the row aliased o joined with
 * its case c, author s and institution i (OPINION_JOINS). */
#define OPINION_JSON                                                                               \
    "jsonb_build_object('id', o.id, 'case_id', o.case_id, 'round', c.round,"                       \
    " 'assignment_id', o.assignment_id, 'status', o.status, 'version', o.version,"                 \
    " 'reviewer', jsonb_build_object('specialist_id', s.id, 'name', s.name,"                       \
    "   'specialty', s.specialty, 'institution', i.name),"                                         \
    " 'concordance', o.concordance, 'diagnosis', o.diagnosis,"                                     \
    " 'treatment_recommendation', o.treatment_recommendation,"                                     \
    " 'additional_tests', o.additional_tests, 'clinical_trials', o.clinical_trials,"               \
    " 'answers', o.answers, 'narrative', o.narrative, 'attestation', o.attestation,"               \
    " 'created_at', o.created_at, 'updated_at', o.updated_at, 'signed_at', o.signed_at,"           \
    " 'amendments', COALESCE((SELECT jsonb_agg(" AMENDMENT_JSON " ORDER BY m.seq)"                 \
    "   FROM opinion_amendments m WHERE m.opinion_id = o.id), '[]'::jsonb))"

#define OPINION_JOINS                                                                              \
    " JOIN cases c ON c.id = o.case_id JOIN specialists s ON s.id = o.specialist_id"               \
    " JOIN institutions i ON i.id = s.institution_id"

#define OPINION_COLUMN_NAMES                                                                       \
    " concordance, diagnosis, treatment_recommendation, additional_tests, clinical_trials,"        \
    " answers, narrative, attestation"

/* Column values from the validated document d (see opinions.c for its
 * shape); absent and null members are empty. */
#define OPINION_COLUMNS_FROM_DOC                                                                   \
    " d->>'concordance', NULLIF(d->'diagnosis', 'null'::jsonb), d->>'treatment_recommendation',"   \
    " COALESCE(NULLIF(d->'additional_tests', 'null'::jsonb), '[]'::jsonb),"                        \
    " COALESCE(NULLIF(d->'clinical_trials', 'null'::jsonb), '[]'::jsonb),"                         \
    " COALESCE(NULLIF(d->'answers', 'null'::jsonb), '[]'::jsonb),"                                 \
    " d->>'narrative', NULLIF(d->'attestation', 'null'::jsonb)"

#define OPINION_REF                                                                                \
    "SELECT o.id, o.case_id, o.assignment_id, o.specialist_id, o.status, o.version,"               \
    " (SELECT count(*) FROM opinion_amendments m WHERE m.opinion_id = o.id) AS amendments,"        \
    " EXISTS (SELECT 1 FROM assignments x WHERE x.id = o.assignment_id"                            \
    "   AND x.status = 'cancelled') AS left_behind"                                                \
    " FROM opinions o WHERE o.id = $1::uuid"

#define ACK_JSON                                                                                   \
    "jsonb_build_object('id', k.id, 'case_id', k.case_id, 'opinion_id', k.opinion_id,"             \
    " 'patient_subject', k.patient_sub, 'acknowledged_at', k.acknowledged_at)"

static const struct db_statement statements[] = {
    {"opinion_ref", OPINION_REF},
    {"opinion_ref_lock", OPINION_REF " FOR UPDATE OF o"},
    {"opinion_for_assignment", "SELECT id FROM opinions WHERE assignment_id = $1::uuid"},
    {"opinion_insert", "WITH o AS (INSERT INTO opinions (case_id, assignment_id, specialist_id, "
                       "created_by_sub," OPINION_COLUMN_NAMES
                       ") SELECT $1::uuid, $2::uuid, $3::uuid, $4," OPINION_COLUMNS_FROM_DOC
                       " FROM (SELECT $5::jsonb AS d) x RETURNING *)"
                       " SELECT " OPINION_JSON " AS doc FROM o" OPINION_JOINS},
    {"opinion_get",
     "SELECT " OPINION_JSON " AS doc FROM opinions o" OPINION_JOINS " WHERE o.id = $1::uuid"},
    {"opinion_update",
     "WITH o AS (UPDATE opinions SET (" OPINION_COLUMN_NAMES ") = (SELECT" OPINION_COLUMNS_FROM_DOC
     " FROM (SELECT $2::jsonb AS d) x), version = version + 1,"
     " updated_at = now() WHERE id = $1::uuid AND version = $3::int AND status = 'draft'"
     " RETURNING *)"
     " SELECT " OPINION_JSON " AS doc FROM o" OPINION_JOINS},
    {"opinion_sign",
     "WITH o AS (UPDATE opinions SET status = 'signed', signed_at = now(), signed_by_sub = $2,"
     " version = version + 1, updated_at = now() WHERE id = $1::uuid AND status = 'draft'"
     " RETURNING *)"
     " SELECT " OPINION_JSON " AS doc FROM o" OPINION_JOINS},
    {"opinion_amend",
     "WITH n AS (SELECT COALESCE(max(seq), 0) + 1 AS seq FROM opinion_amendments"
     "   WHERE opinion_id = $1::uuid),"
     " m AS (INSERT INTO opinion_amendments (opinion_id, seq, reason, changes, narrative,"
     "   specialist_id, signed_by_sub) SELECT $1::uuid, n.seq, $2, $3::jsonb, $4, $5::uuid, $6"
     "   FROM n RETURNING *)"
     " SELECT " AMENDMENT_JSON " AS doc FROM m"},
    /* Walks up the parent_case_id chain: the reviewer of a later round
     * reads the signed opinions of the earlier ones through their own case. */
    {"opinion_list_for_case",
     "WITH RECURSIVE chain (id, parent, depth) AS ("
     "   SELECT id, parent_case_id, 0 FROM cases WHERE id = $1::uuid"
     "   UNION ALL SELECT p.id, p.parent_case_id, chain.depth + 1 FROM chain"
     "   JOIN cases p ON p.id = chain.parent WHERE chain.depth < 50)"
     " SELECT COALESCE(jsonb_agg(" OPINION_JSON " ORDER BY c.round, o.created_at, o.id),"
     " '[]'::jsonb) AS items FROM chain JOIN opinions o ON o.case_id = chain.id" OPINION_JOINS
     " WHERE o.status = 'signed' OR (chain.depth = 0 AND ($2 IN ('navigator', 'admin')"
     "   OR ($2 = 'specialist' AND (o.specialist_id = $3::uuid OR EXISTS (SELECT 1"
     "     FROM assignments x WHERE x.id = o.assignment_id AND x.status = 'cancelled')))))"},
    {"opinion_later_rounds",
     "WITH RECURSIVE later (id, depth) AS ("
     "   SELECT id, 1 FROM cases WHERE parent_case_id = $1::uuid"
     "   UNION ALL SELECT c.id, later.depth + 1 FROM later JOIN cases c"
     "   ON c.parent_case_id = later.id WHERE later.depth < 50)"
     " SELECT COALESCE(jsonb_agg(id ORDER BY depth), '[]'::jsonb) AS ids FROM later"},
    {"opinion_report",
     "SELECT jsonb_build_object('opinion', " OPINION_JSON ","
     " 'case', jsonb_build_object('id', c.id, 'round', c.round, 'patient_name', c.patient_name,"
     "   'patient_dob', c.patient_dob, 'cancer_type', c.cancer_type, 'stage', c.stage,"
     "   'histology', c.histology, 'treatment_plan', c.treatment_plan->>'summary',"
     "   'questions', c.questions),"
     " 'reviewer', jsonb_build_object('name', s.name, 'specialty', sp.name, 'institution',"
     "   i.name, 'city', i.city, 'state', i.state),"
     " 'cancer_type_names', (SELECT COALESCE(jsonb_object_agg(ct.code, ct.name), '{}'::jsonb)"
     "   FROM cancer_types ct WHERE ct.code = c.cancer_type"
     "   OR ct.code = o.diagnosis->>'cancer_type' OR ct.code IN (SELECT"
     "   m.changes#>>'{diagnosis,cancer_type}' FROM opinion_amendments m"
     "   WHERE m.opinion_id = o.id))) AS doc"
     " FROM opinions o" OPINION_JOINS " JOIN specialties sp ON sp.code = s.specialty"
     " WHERE o.id = $1::uuid"},
    {"opinion_signed_for_case",
     "SELECT id FROM opinions WHERE case_id = $1::uuid AND status = 'signed'"
     " ORDER BY signed_at DESC, id LIMIT 1"},
    /* ON CONFLICT waits for a concurrent acknowledgement to commit, so two
     * at once still make one row and one event. */
    {"ack_insert", "INSERT INTO acknowledgements AS k (case_id, opinion_id, patient_sub)"
                   " VALUES ($1::uuid, $2::uuid, $3) ON CONFLICT (case_id) DO NOTHING"
                   " RETURNING " ACK_JSON " AS doc"},
    {"ack_get", "SELECT " ACK_JSON " AS doc FROM acknowledgements k WHERE k.case_id = $1::uuid"},
    {NULL, NULL},
};

void opinion_store_init(void)
{
    db_register(statements);
}

int opinion_store_ref(struct db_conn *conn, const char *id, int lock, struct opinion_ref *out,
                      struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, lock ? "opinion_ref_lock" : "opinion_ref", 1, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_not_found(err, "opinion");
    }
    snprintf(out->id, sizeof out->id, "%s", db_value(res, 0, "id"));
    snprintf(out->case_id, sizeof out->case_id, "%s", db_value(res, 0, "case_id"));
    snprintf(out->assignment_id, sizeof out->assignment_id, "%s",
             db_value(res, 0, "assignment_id"));
    snprintf(out->specialist_id, sizeof out->specialist_id, "%s",
             db_value(res, 0, "specialist_id"));
    snprintf(out->status, sizeof out->status, "%s", db_value(res, 0, "status"));
    out->version = atoi(db_value(res, 0, "version"));
    out->amendments = atoi(db_value(res, 0, "amendments"));
    out->left_behind = db_bool(res, 0, "left_behind");
    PQclear(res);
    return 0;
}

int opinion_store_for_assignment(struct db_conn *conn, const char *assignment_id, char id[37],
                                 struct app_error *err)
{
    const char *params[1] = {assignment_id};
    PGresult *res = db_exec(conn, "opinion_for_assignment", 1, params, err);
    if (!res)
        return -1;
    return db_one_id(res, id);
}

int opinion_store_insert(struct db_conn *conn, const char *case_id, const char *assignment_id,
                         const char *specialist_id, const char *author_sub, const json_t *doc,
                         json_t **out, struct app_error *err)
{
    char *body = json_dumps(doc, JSON_COMPACT);
    const char *params[5] = {case_id, assignment_id, specialist_id, author_sub, body};
    PGresult *res = db_exec(conn, "opinion_insert", 5, params, err);
    free(body);
    if (!res)
        return -1;
    return db_one_doc(res, "doc", out, err, "opinion");
}

int opinion_store_get(struct db_conn *conn, const char *id, json_t **out, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "opinion_get", 1, params, err);
    if (!res)
        return -1;
    return db_one_doc(res, "doc", out, err, "opinion");
}

int opinion_store_update(struct db_conn *conn, const char *id, int version, const json_t *doc,
                         json_t **out, struct app_error *err)
{
    char *body = json_dumps(doc, JSON_COMPACT), vbuf[16];
    const char *params[3] = {id, body, vbuf};
    PGresult *res;
    snprintf(vbuf, sizeof vbuf, "%d", version);
    res = db_exec(conn, "opinion_update", 3, params, err);
    free(body);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        app_error_problem(err, PROBLEM_PRECONDITION_FAILED,
                          "The opinion changed since you read it; read it again and retry.");
        return -1;
    }
    return db_one_doc(res, "doc", out, err, "opinion");
}

int opinion_store_sign(struct db_conn *conn, const char *id, const char *signer_sub, json_t **out,
                       struct app_error *err)
{
    const char *params[2] = {id, signer_sub};
    PGresult *res = db_exec(conn, "opinion_sign", 2, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return app_error_conflict(err, "The opinion is already signed.");
    }
    return db_one_doc(res, "doc", out, err, "opinion");
}

int opinion_store_amend(struct db_conn *conn, const char *opinion_id, const char *reason,
                        const json_t *changes, const char *narrative, const char *specialist_id,
                        const char *signer_sub, json_t **out, struct app_error *err)
{
    char *ch = changes ? json_dumps(changes, JSON_COMPACT) : NULL;
    const char *params[6] = {opinion_id, reason, ch, narrative, specialist_id, signer_sub};
    PGresult *res = db_exec(conn, "opinion_amend", 6, params, err);
    free(ch);
    if (!res)
        return -1;
    return db_one_doc(res, "doc", out, err, "opinion");
}

int opinion_store_list_for_case(struct db_conn *conn, const char *case_id, const char *role,
                                const char *specialist_id, json_t **items, struct app_error *err)
{
    const char *params[3] = {case_id, role, specialist_id && *specialist_id ? specialist_id : NULL};
    PGresult *res = db_exec(conn, "opinion_list_for_case", 3, params, err);
    if (!res)
        return -1;
    return db_one_doc(res, "items", items, err, "case");
}

int opinion_store_later_rounds(struct db_conn *conn, const char *case_id, json_t **ids,
                               struct app_error *err)
{
    const char *params[1] = {case_id};
    PGresult *res = db_exec(conn, "opinion_later_rounds", 1, params, err);
    if (!res)
        return -1;
    return db_one_doc(res, "ids", ids, err, "case");
}

int opinion_store_report(struct db_conn *conn, const char *id, json_t **out, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "opinion_report", 1, params, err);
    if (!res)
        return -1;
    return db_one_doc(res, "doc", out, err, "opinion");
}

int opinion_store_signed_for_case(struct db_conn *conn, const char *case_id, char id[37],
                                  struct app_error *err)
{
    const char *params[1] = {case_id};
    PGresult *res = db_exec(conn, "opinion_signed_for_case", 1, params, err);
    if (!res)
        return -1;
    return db_one_id(res, id);
}

int opinion_store_acknowledge(struct db_conn *conn, const char *case_id, const char *opinion_id,
                              const char *patient_sub, json_t **out, int *created,
                              struct app_error *err)
{
    const char *params[3] = {case_id, opinion_id, patient_sub};
    PGresult *res = db_exec(conn, "ack_insert", 3, params, err);
    if (!res)
        return -1;
    *created = PQntuples(res) == 1;
    if (*created)
        return db_one_doc(res, "doc", out, err, "acknowledgement");
    PQclear(res);
    return opinion_store_acknowledgement(conn, case_id, out, err);
}

int opinion_store_acknowledgement(struct db_conn *conn, const char *case_id, json_t **out,
                                  struct app_error *err)
{
    const char *params[1] = {case_id};
    PGresult *res = db_exec(conn, "ack_get", 1, params, err);
    if (!res)
        return -1;
    return db_one_doc(res, "doc", out, err, "acknowledgement");
}
