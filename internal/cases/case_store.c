#include "case_store.h"
#include "case_access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The API representation of a case, rendered by PostgreSQL from the row
 * aliased c. Timestamps come out as RFC 3339 (sessions run in UTC). */
#define CASE_JSON                                                                                  \
    "jsonb_build_object("                                                                          \
    " 'id', c.id, 'status', c.status, 'version', c.version, 'round', c.round,"                     \
    " 'parent_case_id', c.parent_case_id, 'patient_subject', c.patient_sub,"                       \
    " 'created_by', jsonb_build_object('subject', c.created_by_sub, 'role', c.created_by_role),"   \
    " 'patient', jsonb_build_object('name', c.patient_name, 'date_of_birth', c.patient_dob,"       \
    "   'sex', c.patient_sex, 'contact', c.patient_contact, 'state', c.patient_state,"             \
    "   'zip', c.patient_zip, 'location', CASE WHEN c.patient_lat IS NULL THEN NULL ELSE"          \
    "   jsonb_build_object('lat', c.patient_lat, 'lon', c.patient_lon) END,"                       \
    "   'preferred_language', c.preferred_language),"                                              \
    " 'diagnosis', jsonb_build_object('cancer_type', c.cancer_type, 'diagnosis_date',"             \
    "   c.diagnosis_date, 'stage', c.stage, 'histology', c.histology),"                            \
    " 'treatment_plan', c.treatment_plan,"                                                         \
    " 'request', jsonb_build_object('reasons', to_jsonb(c.reasons), 'reason_other',"               \
    "   c.reason_other, 'urgency', c.urgency, 'urgency_reason', c.urgency_reason,"                 \
    "   'questions', c.questions),"                                                                \
    " 'preferences', jsonb_build_object('telehealth_ok', c.telehealth_ok, 'max_travel_km',"        \
    "   c.max_travel_km, 'languages', to_jsonb(c.languages)),"                                     \
    " 'created_at', c.created_at, 'updated_at', c.updated_at,"                                     \
    " 'submitted_at', c.submitted_at, 'closed_at', c.closed_at)"

/* Column values from the validated document d (see cases.c for its shape). */
#define CASE_COLUMNS_FROM_DOC                                                                      \
    " d#>>'{patient,name}', (d#>>'{patient,date_of_birth}')::date, d#>>'{patient,sex}',"           \
    " COALESCE(NULLIF(d#>'{patient,contact}', 'null'::jsonb), '{}'::jsonb),"                       \
    " d#>>'{patient,state}', d#>>'{patient,zip}',"                                                 \
    " (d#>>'{patient,location,lat}')::float8, (d#>>'{patient,location,lon}')::float8,"             \
    " COALESCE(d#>>'{patient,preferred_language}', 'en'),"                                         \
    " d#>>'{diagnosis,cancer_type}', (d#>>'{diagnosis,diagnosis_date}')::date,"                    \
    " COALESCE(NULLIF(d#>'{diagnosis,stage}', 'null'::jsonb), '{\"unknown\": true}'::jsonb),"      \
    " d#>>'{diagnosis,histology}', NULLIF(d->'treatment_plan', 'null'::jsonb),"                    \
    " ARRAY(SELECT jsonb_array_elements_text(d#>'{request,reasons}')),"                            \
    " d#>>'{request,reason_other}', d#>>'{request,urgency}', d#>>'{request,urgency_reason}',"      \
    " COALESCE((d#>>'{preferences,telehealth_ok}')::boolean, true),"                               \
    " (d#>>'{preferences,max_travel_km}')::int,"                                                   \
    " ARRAY(SELECT jsonb_array_elements_text(COALESCE(d#>'{preferences,languages}', '[]'))),"      \
    " COALESCE(NULLIF(d#>'{request,questions}', 'null'::jsonb), '[]'::jsonb)"

#define CASE_COLUMN_NAMES                                                                          \
    " patient_name, patient_dob, patient_sex, patient_contact, patient_state, patient_zip,"        \
    " patient_lat, patient_lon, preferred_language, cancer_type, diagnosis_date, stage,"           \
    " histology, treatment_plan, reasons, reason_other, urgency, urgency_reason,"                  \
    " telehealth_ok, max_travel_km, languages, questions"

#define VISIBLE_TO_LIST " " CASE_VISIBLE_SQL("$1", "$2", "$3")

static const struct db_statement statements[] = {
    /* Intake in one statement (atomic without BEGIN/COMMIT, one round trip):
     * the case, its first status-history row, the case.create audit row and
     * the case.created event. */
    {"case_insert_recorded",
     "WITH ins AS (INSERT INTO cases (patient_sub, created_by_sub, "
     "created_by_role," CASE_COLUMN_NAMES ") SELECT $1, $2, $3," CASE_COLUMNS_FROM_DOC
     " FROM (SELECT $4::jsonb AS d) x"
     /* the cancer-type vocabulary check, in the same round trip: no row
      * (and nothing written) when the code is not in the vocabulary */
     " WHERE EXISTS (SELECT 1 FROM cancer_types t WHERE t.code = x.d#>>'{diagnosis,cancer_type}')"
     " RETURNING *),"
     " h AS (INSERT INTO case_status_history (case_id, from_status, to_status, actor_sub,"
     "   actor_role) SELECT id, NULL, status, $2, $3 FROM ins),"
     " a AS (INSERT INTO audit_events (actor_sub, actor_role, action, resource_type, resource_id,"
     "   case_id, outcome, status, request_id)"
     "   SELECT $2, $3, 'case.create', 'case', id::text, id, 'success', 200, $5 FROM ins),"
     " e AS (INSERT INTO events (type, case_id, subject_type, subject_id, actor_role)"
     "   SELECT 'case.created', id, 'case', id, $3 FROM ins)"
     " SELECT " CASE_JSON " AS doc, c.id, c.version FROM ins c"},
    {"case_get", "SELECT " CASE_JSON " AS doc FROM cases c WHERE c.id = $1::uuid"},
    /* The hot read: visibility, the audit row and the representation in one
     * round trip and one statement (so the read is never unaudited). */
    {"case_read_audited",
     "WITH c AS (SELECT c.* FROM cases c WHERE c.id = $1::uuid AND " CASE_VISIBLE_SQL(
         "$2", "$3",
         "$4") "),"
               " a AS (INSERT INTO audit_events (actor_sub, actor_role, action, resource_type, "
               "resource_id,"
               "   case_id, outcome, status, request_id)"
               "   SELECT $3, $2, 'case.read', 'case', c.id::text, c.id, 'success', 200, $5 FROM c)"
               " SELECT " CASE_JSON " AS doc, c.version FROM c"},
    {"case_update",
     "UPDATE cases c SET (patient_sub," CASE_COLUMN_NAMES ") = (SELECT $4," CASE_COLUMNS_FROM_DOC
     " FROM (SELECT $2::jsonb AS d) x), version = c.version + 1, updated_at = now()"
     " WHERE c.id = $1::uuid AND c.version = $3::int RETURNING " CASE_JSON " AS doc"},
    /* A page of visible cases and one case.list audit row per case shown
     * (not the look-ahead row that only tells whether another page exists),
     * in one statement: one round trip and one commit instead of 1 + limit. */
    {"case_list_audited",
     "WITH page AS (SELECT c.*,"
     "   to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS k"
     "   FROM cases c WHERE" VISIBLE_TO_LIST
     "   AND ($4::text IS NULL OR c.status = $4) AND ($5::text IS NULL OR c.cancer_type = $5)"
     "   AND ($6::timestamptz IS NULL OR c.updated_at >= $6::timestamptz)"
     "   AND ($7::timestamptz IS NULL OR (c.created_at, c.id) < ($7::timestamptz, $8::uuid))"
     "   ORDER BY c.created_at DESC, c.id DESC LIMIT $9::int),"
     " a AS (INSERT INTO audit_events (actor_sub, actor_role, action, resource_type, resource_id,"
     "   case_id, outcome, status, request_id)"
     "   SELECT $2, $1, 'case.list', 'case', s.id::text, s.id, 'success', 200, $11"
     "   FROM (SELECT p.id FROM page p ORDER BY p.created_at DESC, p.id DESC LIMIT $10::int) s)"
     " SELECT " CASE_JSON " AS doc, c.k, c.id FROM page c ORDER BY c.created_at DESC, c.id DESC"},
    {"case_transition",
     "WITH u AS (UPDATE cases SET status = $2, version = version + 1, updated_at = now(),"
     "   submitted_at = CASE WHEN $2 = 'submitted' THEN now() ELSE submitted_at END,"
     "   closed_at = CASE WHEN $2 IN ('closed', 'withdrawn') THEN now() ELSE closed_at END"
     "   WHERE id = $1::uuid AND status = $3 RETURNING *),"
     " h AS (INSERT INTO case_status_history (case_id, from_status, to_status, actor_sub,"
     "   actor_role, note) SELECT id, $3, $2, $4, $5, $6 FROM u)"
     " SELECT " CASE_JSON " AS doc FROM u c"},
    /* Capacity is held while an assignment is offered or accepted; a
     * withdrawn case gives it back. */
    {"case_cancel_assignments",
     "WITH a AS (UPDATE assignments SET status = 'cancelled', updated_at = now()"
     "   WHERE case_id = $1::uuid AND status IN ('offered', 'accepted') RETURNING specialist_id)"
     " UPDATE specialists s SET open_cases = GREATEST(s.open_cases - 1, 0), updated_at = now()"
     " FROM a WHERE s.id = a.specialist_id"},
    /* A later round (third opinion) copies the parent's writable fields,
     * optionally with new questions, and starts out submitted: its records
     * are the parent's. jsonb_populate_record keeps the column list in one
     * place (CASE_COLUMN_NAMES). */
    {"case_open_round",
     "WITH p AS (SELECT * FROM cases WHERE id = $1::uuid),"
     " src AS (SELECT r.* FROM p, jsonb_populate_record(NULL::cases, to_jsonb(p) ||"
     "   jsonb_strip_nulls(jsonb_build_object('questions', $5::jsonb))) r),"
     " ins AS (INSERT INTO cases (patient_sub, created_by_sub, created_by_role, status,"
     "   submitted_at, parent_case_id, round," CASE_COLUMN_NAMES ")"
     "   SELECT patient_sub, $2, $3, 'submitted', now(), id, round + 1," CASE_COLUMN_NAMES
     "   FROM src RETURNING *),"
     " h AS (INSERT INTO case_status_history (case_id, from_status, to_status, actor_sub,"
     "   actor_role, note) SELECT id, NULL, status, $2, $3, $4 FROM ins)"
     " SELECT " CASE_JSON " AS doc FROM ins c"},
    {"case_live_child_round",
     "SELECT id FROM cases WHERE parent_case_id = $1::uuid AND status <> 'withdrawn' LIMIT 1"},
    /* Documents (with their bytes) and medication entries of the parent,
     * under new ids. Columns as in 003_cases.sql. */
    {"case_copy_records",
     "WITH d AS (SELECT gen_random_uuid() AS new_id, * FROM documents WHERE case_id = $1::uuid),"
     " ins AS (INSERT INTO documents (id, case_id, kind, title, media_type, size_bytes, sha256,"
     "   shipment_status, carrier, tracking_number, uploaded_by_sub, uploaded_by_role,"
     "   created_at, updated_at)"
     "   SELECT new_id, $2::uuid, kind, title, media_type, size_bytes, sha256, shipment_status,"
     "   carrier, tracking_number, uploaded_by_sub, uploaded_by_role, created_at, updated_at"
     "   FROM d RETURNING id),"
     " contents AS (INSERT INTO document_contents (document_id, content)"
     "   SELECT d.new_id, dc.content FROM d JOIN document_contents dc ON dc.document_id = d.id"
     "   RETURNING 1),"
     " meds AS (INSERT INTO medications (case_id, drug, dose, unit, route, frequency,"
     "   start_date, end_date, created_by_sub, created_at)"
     "   SELECT $2::uuid, drug, dose, unit, route, frequency, start_date, end_date,"
     "   created_by_sub, created_at FROM medications WHERE case_id = $1::uuid RETURNING 1)"
     " SELECT (SELECT count(*) FROM ins) AS documents, (SELECT count(*) FROM meds) AS"
     " medications"},
    {"case_history",
     "SELECT COALESCE(jsonb_agg(jsonb_build_object('from_status', h.from_status, 'to_status',"
     " h.to_status, 'actor', jsonb_build_object('subject', h.actor_sub, 'role', h.actor_role),"
     " 'note', h.note, 'at', h.at) ORDER BY h.id), '[]'::jsonb) AS items"
     " FROM case_status_history h WHERE h.case_id = $1::uuid"},
    {"case_checklist_inputs",
     "SELECT ct.category,"
     " COALESCE(c.treatment_plan->>'summary', '') <> '' AS plan_in_case,"
     " (SELECT count(*) FROM medications m WHERE m.case_id = c.id) AS medication_entries,"
     " COALESCE((SELECT jsonb_object_agg(kind, n) FROM (SELECT kind, count(*) AS n"
     "   FROM documents d WHERE d.case_id = c.id GROUP BY kind) k), '{}'::jsonb) AS documents"
     " FROM cases c JOIN cancer_types ct ON ct.code = c.cancer_type WHERE c.id = $1::uuid"},
    {"cancer_type_exists", "SELECT 1 FROM cancer_types WHERE code = $1"},
    {"cancer_types_all",
     "SELECT COALESCE(jsonb_agg(jsonb_build_object('code', code, 'name', name, 'icd10_range',"
     " icd10_range, 'category', category, 'rare', rare) ORDER BY code), '[]'::jsonb) AS items"
     " FROM cancer_types"},
    {"specialties_all",
     "SELECT COALESCE(jsonb_agg(jsonb_build_object('code', code, 'name', name, 'nucc_taxonomy',"
     " nucc_taxonomy) ORDER BY code), '[]'::jsonb) AS items FROM specialties"},
    {NULL, NULL},
};

void case_store_init(void)
{
    db_register(statements);
}

/* Copies the one-row result's document text and version; 404 when no row. */
static int one_doc_text(PGresult *res, struct case_text *out, struct app_error *err)
{
    const char *doc, *version, *id;
    if (PQntuples(res) != 1 || !(doc = db_value(res, 0, "doc")) ||
        !(version = db_value(res, 0, "version"))) {
        PQclear(res);
        return app_error_not_found(err, "case");
    }
    id = db_value(res, 0, "id");
    snprintf(out->id, sizeof out->id, "%s", id ? id : "");
    out->version = atoi(version);
    out->json = strdup(doc);
    PQclear(res);
    return out->json ? 0 : app_error_internal(err);
}

int case_store_insert(struct db_conn *conn, const struct principal *who, const char *patient_sub,
                      const char *doc_json, const char *request_id, struct case_text *out,
                      struct app_error *err)
{
    const char *params[5] = {patient_sub, who->sub, role_name(who->role), doc_json, request_id};
    PGresult *res = db_exec(conn, "case_insert_recorded", 5, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 1;
    }
    return one_doc_text(res, out, err);
}

int case_store_get(struct db_conn *conn, const char *id, json_t **out, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "case_get", 1, params, err);
    if (!res)
        return -1;
    return db_one_doc(res, "doc", out, err, "case");
}

int case_store_read_audited(struct db_conn *conn, const struct principal *who, const char *id,
                            const char *request_id, struct case_text *out, struct app_error *err)
{
    const char *params[5] = {id, role_name(who->role), who->sub,
                             who->specialist_id[0] ? who->specialist_id : NULL, request_id};
    PGresult *res = db_exec(conn, "case_read_audited", 5, params, err);
    if (!res)
        return -1;
    return one_doc_text(res, out, err);
}

int case_store_update(struct db_conn *conn, const char *id, int version, const char *patient_sub,
                      const json_t *doc, json_t **out, struct app_error *err)
{
    char *body = json_dumps(doc, JSON_COMPACT), vbuf[16];
    const char *params[4] = {id, body, vbuf, patient_sub};
    PGresult *res;
    snprintf(vbuf, sizeof vbuf, "%d", version);
    res = db_exec(conn, "case_update", 4, params, err);
    free(body);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        app_error_problem(err, PROBLEM_PRECONDITION_FAILED,
                          "The case changed since you read it; read it again and retry.");
        return -1;
    }
    return db_one_doc(res, "doc", out, err, "case");
}

int case_store_list_audited(struct db_conn *conn, const struct case_list_query *q,
                            const char *request_id, struct case_page *page, struct app_error *err)
{
    char limit[16], shown[16];
    const char *params[11];
    PGresult *res;
    int n;
    char *buf;

    memset(page, 0, sizeof *page);
    snprintf(limit, sizeof limit, "%d", q->limit + 1);
    snprintf(shown, sizeof shown, "%d", q->limit);
    params[0] = role_name(q->who->role);
    params[1] = q->who->sub;
    params[2] = q->who->specialist_id[0] ? q->who->specialist_id : NULL;
    params[3] = q->status;
    params[4] = q->cancer_type;
    params[5] = q->updated_since;
    params[6] = q->after_created;
    params[7] = q->after_id;
    params[8] = limit;
    params[9] = shown;
    params[10] = request_id;
    res = db_exec(conn, "case_list_audited", 11, params, err);
    if (!res)
        return -1;
    n = PQntuples(res);
    page->more = n > q->limit;
    if (n > q->limit)
        n = q->limit;
    /* The documents are PostgreSQL's JSON text: joined, never re-parsed. */
    if (!(buf = db_json_array_text(res, n))) {
        PQclear(res);
        return app_error_internal(err);
    }
    page->items_json = buf;
    page->count = n;
    if (n > 0) {
        snprintf(page->last_key, sizeof page->last_key, "%s", db_value(res, n - 1, "k"));
        snprintf(page->last_id, sizeof page->last_id, "%s", db_value(res, n - 1, "id"));
    }
    PQclear(res);
    return 0;
}

int case_store_transition(struct db_conn *conn, const char *id, const char *from_status,
                          const char *to_status, const struct principal *who, const char *note,
                          json_t **out, struct app_error *err)
{
    const char *params[6] = {id, to_status, from_status, who->sub, role_name(who->role), note};
    PGresult *res = db_exec(conn, "case_transition", 6, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return app_error_conflict(err, "The case is no longer %s.", from_status);
    }
    return db_one_doc(res, "doc", out, err, "case");
}

int case_store_cancel_assignments(struct db_conn *conn, const char *id, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "case_cancel_assignments", 1, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

int case_store_open_round(struct db_conn *conn, const char *parent_id, const struct principal *who,
                          const json_t *questions, const char *note, json_t **out,
                          struct app_error *err)
{
    const char *check[1] = {parent_id};
    char *qs = questions ? json_dumps(questions, JSON_COMPACT) : NULL;
    const char *params[5] = {parent_id, who->sub, role_name(who->role), note, qs};
    const char *copy[2] = {parent_id, NULL};
    PGresult *res = db_exec(conn, "case_live_child_round", 1, check, err);
    int rc;
    if (!res) {
        free(qs);
        return -1;
    }
    if (PQntuples(res) > 0) {
        app_error_problem(err, PROBLEM_ROUND_ALREADY_OPEN,
                          "A later round of this case is already open.");
        app_error_extra(err, "case_id", json_string(db_value(res, 0, "id")));
        PQclear(res);
        free(qs);
        return -1;
    }
    PQclear(res);
    res = db_exec(conn, "case_open_round", 5, params, err);
    free(qs);
    if (!res)
        return -1;
    if ((rc = db_one_doc(res, "doc", out, err, "case")) != 0)
        return rc;
    copy[1] = json_string_value(json_object_get(*out, "id"));
    res = db_exec(conn, "case_copy_records", 2, copy, err);
    if (!res) {
        json_decref(*out);
        *out = NULL;
        return -1;
    }
    PQclear(res);
    return 0;
}

int case_store_history(struct db_conn *conn, const char *id, json_t **items, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "case_history", 1, params, err);
    if (!res)
        return -1;
    return db_one_doc(res, "items", items, err, "case");
}

/* What a reviewer needs, and which of it blocks submission. Imaging is
 * required where staging depends on it (solid tumours, CNS, paediatric
 * tumours); blood and skin cancers can be reviewed without it. */
int case_store_checklist(struct db_conn *conn, const char *id, json_t **out, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(conn, "case_checklist_inputs", 1, params, err);
    json_t *docs, *items, *missing;
    const char *category;
    int plan_in_case, meds, imaging_required;
    struct {
        const char *item;
        int required;
        long count;
        const char *satisfied_by;
    } rows[7];
    int i;

    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_not_found(err, "case");
    }
    category = db_value(res, 0, "category");
    plan_in_case = db_bool(res, 0, "plan_in_case");
    meds = atoi(db_value(res, 0, "medication_entries"));
    docs = json_loads(db_value(res, 0, "documents"), 0, NULL);
    imaging_required = strcmp(category, "hematologic") != 0 && strcmp(category, "skin") != 0;
    PQclear(res);
    if (!docs)
        return app_error_internal(err);

#define DOCS(kind) ((long)json_integer_value(json_object_get(docs, kind)))
    rows[0].item = "pathology_report";
    rows[0].required = 1;
    rows[0].count = DOCS("pathology_report");
    rows[0].satisfied_by = "document";
    rows[1].item = "pathology_slides";
    rows[1].required = 0;
    rows[1].count = DOCS("pathology_slides");
    rows[1].satisfied_by = "document";
    rows[2].item = "imaging";
    rows[2].required = imaging_required;
    rows[2].count = DOCS("imaging");
    rows[2].satisfied_by = "document";
    rows[3].item = "operative_report";
    rows[3].required = 0;
    rows[3].count = DOCS("operative_report");
    rows[3].satisfied_by = "document";
    rows[4].item = "discharge_summary";
    rows[4].required = 0;
    rows[4].count = DOCS("discharge_summary");
    rows[4].satisfied_by = "document";
    rows[5].item = "treatment_plan";
    rows[5].required = 1;
    rows[5].count = DOCS("treatment_plan");
    rows[5].satisfied_by = rows[5].count ? "document" : plan_in_case ? "case_treatment_plan" : NULL;
    if (!rows[5].count && plan_in_case)
        rows[5].count = 1;
    rows[6].item = "medication_list";
    rows[6].required = 1;
    rows[6].count = DOCS("medication_list");
    rows[6].satisfied_by = rows[6].count ? "document" : meds ? "medication_entries" : NULL;
    if (!rows[6].count)
        rows[6].count = meds;
#undef DOCS
    json_decref(docs);

    items = json_array();
    missing = json_array();
    for (i = 0; i < 7; i++) {
        int present = rows[i].count > 0;
        json_t *row =
            json_pack("{s:s,s:b,s:b,s:I}", "item", rows[i].item, "required", rows[i].required,
                      "present", present, "count", (json_int_t)rows[i].count);
        json_object_set_new(row, "satisfied_by",
                            present && rows[i].satisfied_by ? json_string(rows[i].satisfied_by)
                                                            : json_null());
        json_array_append_new(items, row);
        if (rows[i].required && !present)
            json_array_append_new(missing, json_string(rows[i].item));
    }
    *out = json_pack("{s:o,s:b,s:o}", "items", items, "can_submit", json_array_size(missing) == 0,
                     "missing", missing);
    return 0;
}

int case_store_cancer_type_exists(struct db_conn *conn, const char *code, struct app_error *err)
{
    const char *params[1] = {code};
    PGresult *res = db_exec(conn, "cancer_type_exists", 1, params, err);
    int n;
    if (!res)
        return -1;
    n = PQntuples(res);
    PQclear(res);
    return n == 1;
}

static int vocabulary(struct db_conn *conn, const char *stmt, json_t **items, struct app_error *err)
{
    PGresult *res = db_exec(conn, stmt, 0, NULL, err);
    if (!res)
        return -1;
    return db_one_doc(res, "items", items, err, "vocabulary");
}

int case_store_cancer_types(struct db_conn *conn, json_t **items, struct app_error *err)
{
    return vocabulary(conn, "cancer_types_all", items, err);
}

int case_store_specialties(struct db_conn *conn, json_t **items, struct app_error *err)
{
    return vocabulary(conn, "specialties_all", items, err);
}
