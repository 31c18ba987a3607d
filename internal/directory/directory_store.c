#include "directory_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo_sql.h"

// clang-format off
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define INSTITUTION_JSON \
    "json_build_object('id', i.id, 'name', i.name, 'city', i.city, 'state', i.state," \
    " 'nci_designation', i.nci_designation, 'latitude', i.latitude, 'longitude', i.longitude," \
    " 'patient_care', i.patient_care, 'retired_at', " TS("i.retired_at") "," \
    " 'created_at', " TS("i.created_at") ", 'updated_at', " TS("i.updated_at") ")"

#define SPECIALIST_JSON \
    "json_build_object('id', s.id, 'name', s.name, 'specialty', s.specialty," \
    " 'institution', json_build_object('id', i.id, 'name', i.name, 'city', i.city," \
    "   'state', i.state, 'nci_designation', i.nci_designation, 'patient_care', i.patient_care," \
    "   'retired_at', " TS("i.retired_at") ")," \
    " 'cancer_types', ARRAY(SELECT t.cancer_type FROM specialist_cancer_types t" \
    "   WHERE t.specialist_id = s.id ORDER BY t.cancer_type)," \
    " 'languages', s.languages, 'telehealth', s.telehealth, 'accepting', s.accepting," \
    " 'turnaround_days', s.turnaround_days, 'open_cases', s.open_cases, 'capacity', s.capacity," \
    " 'payers', coalesce((SELECT json_agg(json_build_object('id', p.id, 'name', p.name)" \
    "   ORDER BY p.name, p.id) FROM specialist_payers sp JOIN payers p ON p.id = sp.payer_id" \
    "   WHERE sp.specialist_id = s.id), '[]'::json)," \
    " 'retired_at', " TS("s.retired_at") ", 'created_at', " TS("s.created_at") "," \
    " 'updated_at', " TS("s.updated_at") ")"

/* Parameters of both lists:
 *  $1 cancer_type   $2 designations text[]  $3 state       $4 telehealth  $5 accepting
 *  $6 payer uuid    $7 language             $8 specialty   $9 institution_id
 *  $10 include_retired  $11 near lat  $12 near lon  $13 within_km  $14 after id  $15 limit
 * An institution without coordinates has no distance and drops out of `near`. */
#define DISTANCE_FROM_NEAR \
    " CROSS JOIN LATERAL (SELECT CASE WHEN $11::float8 IS NULL OR i.latitude IS NULL" \
    "   OR i.longitude IS NULL THEN NULL" \
    "   ELSE " GEO_SQL_KM("$11::float8", "$12::float8", "i.latitude", "i.longitude") \
    "   END AS km) d"

#define INSTITUTION_TERMS \
    " ($2::text[] IS NULL OR coalesce(i.nci_designation, 'none') = ANY ($2::text[]))" \
    " AND ($3::text IS NULL OR i.state = $3)" \
    " AND ($11::float8 IS NULL OR d.km IS NOT NULL)" \
    " AND ($13::float8 IS NULL OR d.km <= $13::float8)"

#define SPECIALIST_TERMS(s) \
    " ($1::text IS NULL OR EXISTS (SELECT 1 FROM specialist_cancer_types x" \
    "   WHERE x.specialist_id = " s ".id AND x.cancer_type = $1))" \
    " AND ($4::boolean IS NULL OR " s ".telehealth = $4)" \
    " AND ($5::boolean IS NULL OR " s ".accepting = $5)" \
    " AND ($6::uuid IS NULL OR EXISTS (SELECT 1 FROM specialist_payers x" \
    "   WHERE x.specialist_id = " s ".id AND x.payer_id = $6))" \
    " AND ($7::text IS NULL OR $7 = ANY (" s ".languages))" \
    " AND ($8::text IS NULL OR " s ".specialty = $8)"

#define SPECIALISTS_FROM \
    "SELECT " SPECIALIST_JSON " AS item, s.id, round(d.km::numeric, 1) AS distance_km" \
    " FROM specialists s JOIN institutions i ON i.id = s.institution_id" DISTANCE_FROM_NEAR \
    " WHERE ($10::boolean OR s.retired_at IS NULL)" \
    " AND ($9::uuid IS NULL OR s.institution_id = $9)" \
    " AND" INSTITUTION_TERMS " AND" SPECIALIST_TERMS("s")

/* An institution passes the specialist filters when one of its active
 * specialists passes all of them. */
#define INSTITUTIONS_FROM \
    "SELECT " INSTITUTION_JSON " AS item, i.id, round(d.km::numeric, 1) AS distance_km" \
    " FROM institutions i" DISTANCE_FROM_NEAR \
    " WHERE ($10::boolean OR i.retired_at IS NULL) AND ($9::uuid IS NULL OR i.id = $9)" \
    " AND" INSTITUTION_TERMS \
    " AND (($1::text IS NULL AND $4::boolean IS NULL AND $5::boolean IS NULL" \
    "   AND $6::uuid IS NULL AND $7::text IS NULL AND $8::text IS NULL)" \
    "   OR EXISTS (SELECT 1 FROM specialists s WHERE s.institution_id = i.id" \
    "     AND s.retired_at IS NULL AND" SPECIALIST_TERMS("s") "))"
// clang-format on

/* The statements read as SQL, one clause a line. */
// clang-format off
static const struct db_statement statements[] = {
    {"dir_filter_refs",
     "SELECT ($1::text IS NULL OR EXISTS (SELECT 1 FROM cancer_types WHERE code = $1))"
     "  AS cancer_type_ok,"
     " ($2::text IS NULL OR EXISTS (SELECT 1 FROM specialties WHERE code = $2)) AS specialty_ok,"
     " ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM payers WHERE id = $3)) AS payer_ok,"
     " ($4::uuid IS NULL OR EXISTS (SELECT 1 FROM institutions WHERE id = $4)) AS institution_ok"},

    {"dir_institutions_by_name",
     INSTITUTIONS_FROM
     " AND ($14::uuid IS NULL OR (i.name, i.id) > (SELECT c.name, c.id FROM institutions c"
     "   WHERE c.id = $14))"
     " ORDER BY i.name, i.id LIMIT $15::int"},
    {"dir_institutions_by_distance",
     INSTITUTIONS_FROM
     " AND ($14::uuid IS NULL OR (d.km, i.id) > (SELECT "
     GEO_SQL_KM("$11::float8", "$12::float8", "c.latitude", "c.longitude")
     "   , c.id FROM institutions c WHERE c.id = $14))"
     " ORDER BY d.km, i.id LIMIT $15::int"},
    {"dir_specialists_by_name",
     SPECIALISTS_FROM
     " AND ($14::uuid IS NULL OR (s.name, s.id) > (SELECT c.name, c.id FROM specialists c"
     "   WHERE c.id = $14))"
     " ORDER BY s.name, s.id LIMIT $15::int"},
    {"dir_specialists_by_distance",
     SPECIALISTS_FROM
     " AND ($14::uuid IS NULL OR (d.km, s.id) > (SELECT "
     GEO_SQL_KM("$11::float8", "$12::float8", "ci.latitude", "ci.longitude")
     "   , c.id FROM specialists c JOIN institutions ci ON ci.id = c.institution_id"
     "   WHERE c.id = $14))"
     " ORDER BY d.km, s.id LIMIT $15::int"},

    {"dir_institution_get",
     "SELECT " INSTITUTION_JSON " AS item, i.version FROM institutions i WHERE i.id = $1::uuid"},
    {"dir_specialist_get",
     "SELECT " SPECIALIST_JSON " AS item, s.version"
     " FROM specialists s JOIN institutions i ON i.id = s.institution_id WHERE s.id = $1::uuid"},

    {"dir_institution_lock",
     "SELECT json_build_object('name', i.name, 'city', i.city, 'state', i.state,"
     "  'nci_designation', i.nci_designation, 'latitude', i.latitude, 'longitude', i.longitude,"
     "  'patient_care', i.patient_care) AS current,"
     " i.version, i.retired_at IS NOT NULL AS retired,"
     " (SELECT count(*) FROM specialists s WHERE s.institution_id = i.id"
     "   AND s.retired_at IS NULL) AS active_specialists, 0 AS open_cases"
     " FROM institutions i WHERE i.id = $1::uuid FOR UPDATE OF i"},
    {"dir_specialist_lock",
     "SELECT json_build_object('name', s.name, 'specialty', s.specialty,"
     "  'institution_id', s.institution_id,"
     "  'cancer_types', ARRAY(SELECT t.cancer_type FROM specialist_cancer_types t"
     "    WHERE t.specialist_id = s.id ORDER BY t.cancer_type),"
     "  'languages', s.languages, 'telehealth', s.telehealth, 'accepting', s.accepting,"
     "  'turnaround_days', s.turnaround_days, 'capacity', s.capacity,"
     "  'payer_ids', ARRAY(SELECT sp.payer_id::text FROM specialist_payers sp"
     "    WHERE sp.specialist_id = s.id ORDER BY sp.payer_id)) AS current,"
     " s.version, s.retired_at IS NOT NULL AS retired, 0 AS active_specialists, s.open_cases"
     " FROM specialists s WHERE s.id = $1::uuid FOR UPDATE OF s"},

    {"dir_specialist_refs",
     "SELECT (SELECT string_agg(x, ', ' ORDER BY x) FROM jsonb_array_elements_text($1::jsonb) x"
     "   WHERE NOT EXISTS (SELECT 1 FROM cancer_types ct WHERE ct.code = x))"
     "  AS unknown_cancer_types,"
     " EXISTS (SELECT 1 FROM specialties WHERE code = $2) AS specialty_ok,"
     " (SELECT string_agg(x, ', ' ORDER BY x) FROM jsonb_array_elements_text($3::jsonb) x"
     "   WHERE NOT EXISTS (SELECT 1 FROM payers p WHERE p.id = x::uuid AND p.retired_at IS NULL))"
     "  AS unknown_payers"},
    {"dir_specialist_institution",
     "SELECT retired_at IS NOT NULL AS retired,"
     " (patient_care AND nci_designation IS DISTINCT FROM 'basic_laboratory') AS sees_patients"
     " FROM institutions WHERE id = $1::uuid FOR SHARE"},

    {"dir_institution_insert",
     "INSERT INTO institutions (name, city, state, nci_designation, latitude, longitude,"
     "  patient_care)"
     " VALUES ($1, $2, $3, $4, $5::float8, $6::float8, $7::boolean) RETURNING id"},
    {"dir_institution_update",
     "UPDATE institutions SET name = $2, city = $3, state = $4, nci_designation = $5,"
     " latitude = $6::float8, longitude = $7::float8, patient_care = $8::boolean,"
     " version = version + 1, updated_at = now() WHERE id = $1::uuid"},
    {"dir_institution_retire",
     "UPDATE institutions SET retired_at = now(), version = version + 1, updated_at = now()"
     " WHERE id = $1::uuid AND retired_at IS NULL"},
    {"dir_specialist_insert",
     "INSERT INTO specialists (name, specialty, institution_id, languages, telehealth, accepting,"
     "  turnaround_days, capacity)"
     " VALUES ($1, $2, $3::uuid, ARRAY(SELECT jsonb_array_elements_text($4::jsonb)),"
     "  $5::boolean, $6::boolean, $7::int, $8::int) RETURNING id"},
    {"dir_specialist_update",
     "UPDATE specialists SET name = $2, specialty = $3, institution_id = $4::uuid,"
     " languages = ARRAY(SELECT jsonb_array_elements_text($5::jsonb)), telehealth = $6::boolean,"
     " accepting = $7::boolean, turnaround_days = $8::int, capacity = $9::int,"
     " version = version + 1, updated_at = now() WHERE id = $1::uuid"},
    {"dir_specialist_set_cancer_types",
     "WITH wanted AS (SELECT DISTINCT x AS cancer_type FROM jsonb_array_elements_text($2::jsonb) x),"
     " gone AS (DELETE FROM specialist_cancer_types t WHERE t.specialist_id = $1::uuid"
     "   AND t.cancer_type NOT IN (SELECT cancer_type FROM wanted))"
     " INSERT INTO specialist_cancer_types (specialist_id, cancer_type)"
     " SELECT $1::uuid, cancer_type FROM wanted ON CONFLICT DO NOTHING"},
    {"dir_specialist_set_payers",
     "WITH wanted AS (SELECT DISTINCT x::uuid AS payer_id FROM jsonb_array_elements_text($2::jsonb) x),"
     " gone AS (DELETE FROM specialist_payers t WHERE t.specialist_id = $1::uuid"
     "   AND t.payer_id NOT IN (SELECT payer_id FROM wanted))"
     " INSERT INTO specialist_payers (specialist_id, payer_id)"
     " SELECT $1::uuid, payer_id FROM wanted ON CONFLICT DO NOTHING"},
    {"dir_specialist_retire",
     "UPDATE specialists SET retired_at = now(), version = version + 1, updated_at = now()"
     " WHERE id = $1::uuid AND retired_at IS NULL"},
    {NULL, NULL},
};
// clang-format on

void directory_store_init(void)
{
    db_register(statements);
}

static const char *opt(const char *s)
{
    return s && *s ? s : NULL;
}

static const char *tristate(int v)
{
    return v < 0 ? NULL : v ? "true" : "false";
}

int directory_check_filter_refs(struct db_conn *conn, const struct directory_filter *f,
                                struct app_error *err)
{
    const char *params[4] = {opt(f->cancer_type), opt(f->specialty), opt(f->payer_id),
                             opt(f->institution_id)};
    PGresult *res;
    int bad = 0;
    if (!params[0] && !params[1] && !params[2] && !params[3])
        return 0;
    if (!(res = db_exec(conn, "dir_filter_refs", 4, params, err)))
        return -1;
    if (!db_bool(res, 0, "cancer_type_ok")) {
        app_error_field(err, "cancer_type", "is not a known cancer type");
        bad = 1;
    }
    if (!db_bool(res, 0, "specialty_ok")) {
        app_error_field(err, "specialty", "is not a known specialty");
        bad = 1;
    }
    if (!db_bool(res, 0, "payer_ok")) {
        app_error_field(err, "payer", "is not a known payer");
        bad = 1;
    }
    if (!db_bool(res, 0, "institution_ok")) {
        app_error_field(err, "institution_id", "is not a known institution");
        bad = 1;
    }
    PQclear(res);
    return bad ? -1 : 0;
}

/* Parses a json column value; NULL on SQL NULL or malformed text. */
static json_t *json_column(const PGresult *res, int row, const char *column)
{
    const char *v = db_value(res, row, column);
    return v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
}

int directory_list(struct db_conn *conn, enum directory_kind kind, const struct directory_filter *f,
                   const char *after_id, int limit, json_t **items, char *last_id,
                   struct app_error *err)
{
    char lat[32], lon[32], within[32], limit_s[16];
    const char *params[15];
    const char *stmt;
    PGresult *res;
    int i, n;

    snprintf(lat, sizeof lat, "%.17g", f->near_lat);
    snprintf(lon, sizeof lon, "%.17g", f->near_lon);
    snprintf(within, sizeof within, "%.17g", f->within_km);
    snprintf(limit_s, sizeof limit_s, "%d", limit + 1);
    params[0] = opt(f->cancer_type);
    params[1] = opt(f->designations);
    params[2] = opt(f->state);
    params[3] = tristate(f->telehealth);
    params[4] = tristate(f->accepting);
    params[5] = opt(f->payer_id);
    params[6] = opt(f->language);
    params[7] = opt(f->specialty);
    params[8] = opt(f->institution_id);
    params[9] = f->include_retired ? "true" : "false";
    params[10] = f->has_near ? lat : NULL;
    params[11] = f->has_near ? lon : NULL;
    params[12] = f->has_within ? within : NULL;
    params[13] = after_id;
    params[14] = limit_s;
    if (kind == DIRECTORY_INSTITUTIONS)
        stmt = f->has_near ? "dir_institutions_by_distance" : "dir_institutions_by_name";
    else
        stmt = f->has_near ? "dir_specialists_by_distance" : "dir_specialists_by_name";
    if (!(res = db_exec(conn, stmt, 15, params, err)))
        return -1;
    n = PQntuples(res);
    *items = json_array();
    last_id[0] = 0;
    for (i = 0; i < n && i < limit; i++) {
        json_t *item = json_column(res, i, "item");
        const char *km = db_value(res, i, "distance_km");
        if (!item) {
            PQclear(res);
            json_decref(*items);
            *items = NULL;
            return app_error_internal(err);
        }
        if (f->has_near)
            json_object_set_new(item, "distance_km",
                                km ? json_real(strtod(km, NULL)) : json_null());
        json_array_append_new(*items, item);
    }
    if (n > limit)
        snprintf(last_id, 37, "%s", db_value(res, limit - 1, "id"));
    PQclear(res);
    return 0;
}

int directory_get(struct db_conn *conn, enum directory_kind kind, const char *id, json_t **item,
                  int *version, struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res =
        db_exec(conn, kind == DIRECTORY_INSTITUTIONS ? "dir_institution_get" : "dir_specialist_get",
                1, params, err);
    *item = NULL;
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        *item = json_column(res, 0, "item");
        *version = atoi(db_value(res, 0, "version"));
        if (!*item) {
            PQclear(res);
            return app_error_internal(err);
        }
    }
    PQclear(res);
    return 0;
}

int directory_lock(struct db_conn *conn, enum directory_kind kind, const char *id, json_t **current,
                   int *version, int *retired, int *active_specialists, int *open_cases,
                   struct app_error *err)
{
    const char *params[1] = {id};
    PGresult *res = db_exec(
        conn, kind == DIRECTORY_INSTITUTIONS ? "dir_institution_lock" : "dir_specialist_lock", 1,
        params, err);
    *current = NULL;
    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        *current = json_column(res, 0, "current");
        *version = atoi(db_value(res, 0, "version"));
        *retired = db_bool(res, 0, "retired");
        *active_specialists = atoi(db_value(res, 0, "active_specialists"));
        *open_cases = atoi(db_value(res, 0, "open_cases"));
        if (!*current) {
            PQclear(res);
            return app_error_internal(err);
        }
    }
    PQclear(res);
    return 0;
}

/* Serialises a JSON member (an array) for a jsonb parameter; caller frees. */
static char *member_json(const json_t *body, const char *name)
{
    const json_t *v = json_object_get(body, name);
    return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
}

int directory_check_specialist_refs(struct db_conn *conn, const json_t *body, struct app_error *err)
{
    char *types = member_json(body, "cancer_types"), *payers = member_json(body, "payer_ids");
    const char *params[3] = {types, json_string_value(json_object_get(body, "specialty")), payers};
    const char *inst[1] = {json_string_value(json_object_get(body, "institution_id"))};
    PGresult *res = db_exec(conn, "dir_specialist_refs", 3, params, err);
    int bad = 0;
    const char *v;

    free(types);
    free(payers);
    if (!res)
        return -1;
    if ((v = db_value(res, 0, "unknown_cancer_types"))) {
        app_error_field(err, "cancer_types", "has unknown cancer types: %s", v);
        bad = 1;
    }
    if (!db_bool(res, 0, "specialty_ok")) {
        app_error_field(err, "specialty", "is not a known specialty");
        bad = 1;
    }
    if ((v = db_value(res, 0, "unknown_payers"))) {
        app_error_field(err, "payer_ids", "has unknown or retired payers: %s", v);
        bad = 1;
    }
    PQclear(res);
    if (!(res = db_exec(conn, "dir_specialist_institution", 1, inst, err)))
        return -1;
    if (PQntuples(res) != 1) {
        app_error_field(err, "institution_id", "is not a known institution");
        bad = 1;
    } else if (db_bool(res, 0, "retired")) {
        app_error_field(err, "institution_id", "is a retired institution");
        bad = 1;
    } else if (!db_bool(res, 0, "sees_patients")) {
        app_error_field(
            err, "institution_id",
            "does not see patients (a basic-laboratory center), so it has no reviewers");
        bad = 1;
    }
    PQclear(res);
    return bad ? -1 : 0;
}

static void number_text(const json_t *v, char *buf, size_t len)
{
    snprintf(buf, len, "%.17g", json_number_value(v));
}

static int exec_simple(struct db_conn *conn, const char *name, int n, const char *const *params,
                       struct app_error *err)
{
    PGresult *res = db_exec(conn, name, n, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

static int set_specialist_links(struct db_conn *conn, const char *id, const json_t *body,
                                struct app_error *err)
{
    char *types = member_json(body, "cancer_types"), *payers = member_json(body, "payer_ids");
    const char *p1[2] = {id, types}, *p2[2] = {id, payers};
    int rc = exec_simple(conn, "dir_specialist_set_cancer_types", 2, p1, err) == 0 &&
                     exec_simple(conn, "dir_specialist_set_payers", 2, p2, err) == 0
                 ? 0
                 : -1;
    free(types);
    free(payers);
    return rc;
}

struct specialist_params {
    char turnaround[16], capacity[16];
    char *languages; /* owned */
};

static void specialist_params_fill(struct specialist_params *p, const json_t *body)
{
    snprintf(p->turnaround, sizeof p->turnaround, "%lld",
             (long long)json_integer_value(json_object_get(body, "turnaround_days")));
    snprintf(p->capacity, sizeof p->capacity, "%lld",
             (long long)json_integer_value(json_object_get(body, "capacity")));
    p->languages = member_json(body, "languages");
}

static const char *bool_text(const json_t *body, const char *name)
{
    return json_is_true(json_object_get(body, name)) ? "true" : "false";
}

int directory_insert(struct db_conn *conn, enum directory_kind kind, const json_t *body,
                     char *id_out, struct app_error *err)
{
    PGresult *res;
    if (kind == DIRECTORY_INSTITUTIONS) {
        char lat[32], lon[32];
        const char *params[7];
        number_text(json_object_get(body, "latitude"), lat, sizeof lat);
        number_text(json_object_get(body, "longitude"), lon, sizeof lon);
        params[0] = json_string_value(json_object_get(body, "name"));
        params[1] = json_string_value(json_object_get(body, "city"));
        params[2] = json_string_value(json_object_get(body, "state"));
        params[3] = json_string_value(json_object_get(body, "nci_designation"));
        params[4] = lat;
        params[5] = lon;
        params[6] = bool_text(body, "patient_care");
        res = db_exec(conn, "dir_institution_insert", 7, params, err);
        if (!res)
            return -1;
        snprintf(id_out, 37, "%s", db_value(res, 0, "id"));
        PQclear(res);
        return 0;
    } else {
        struct specialist_params sp;
        const char *params[8];
        specialist_params_fill(&sp, body);
        params[0] = json_string_value(json_object_get(body, "name"));
        params[1] = json_string_value(json_object_get(body, "specialty"));
        params[2] = json_string_value(json_object_get(body, "institution_id"));
        params[3] = sp.languages;
        params[4] = bool_text(body, "telehealth");
        params[5] = bool_text(body, "accepting");
        params[6] = sp.turnaround;
        params[7] = sp.capacity;
        res = db_exec(conn, "dir_specialist_insert", 8, params, err);
        free(sp.languages);
        if (!res)
            return -1;
        snprintf(id_out, 37, "%s", db_value(res, 0, "id"));
        PQclear(res);
        return set_specialist_links(conn, id_out, body, err);
    }
}

int directory_update(struct db_conn *conn, enum directory_kind kind, const char *id,
                     const json_t *body, struct app_error *err)
{
    if (kind == DIRECTORY_INSTITUTIONS) {
        char lat[32], lon[32];
        const char *params[8];
        number_text(json_object_get(body, "latitude"), lat, sizeof lat);
        number_text(json_object_get(body, "longitude"), lon, sizeof lon);
        params[0] = id;
        params[1] = json_string_value(json_object_get(body, "name"));
        params[2] = json_string_value(json_object_get(body, "city"));
        params[3] = json_string_value(json_object_get(body, "state"));
        params[4] = json_string_value(json_object_get(body, "nci_designation"));
        params[5] = lat;
        params[6] = lon;
        params[7] = bool_text(body, "patient_care");
        return exec_simple(conn, "dir_institution_update", 8, params, err);
    } else {
        struct specialist_params sp;
        const char *params[9];
        int rc;
        specialist_params_fill(&sp, body);
        params[0] = id;
        params[1] = json_string_value(json_object_get(body, "name"));
        params[2] = json_string_value(json_object_get(body, "specialty"));
        params[3] = json_string_value(json_object_get(body, "institution_id"));
        params[4] = sp.languages;
        params[5] = bool_text(body, "telehealth");
        params[6] = bool_text(body, "accepting");
        params[7] = sp.turnaround;
        params[8] = sp.capacity;
        rc = exec_simple(conn, "dir_specialist_update", 9, params, err);
        free(sp.languages);
        if (rc != 0)
            return -1;
        return set_specialist_links(conn, id, body, err);
    }
}

int directory_retire(struct db_conn *conn, enum directory_kind kind, const char *id,
                     struct app_error *err)
{
    const char *params[1] = {id};
    return exec_simple(
        conn, kind == DIRECTORY_INSTITUTIONS ? "dir_institution_retire" : "dir_specialist_retire",
        1, params, err);
}
