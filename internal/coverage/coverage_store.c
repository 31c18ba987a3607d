#include "coverage_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Timestamps leave as the API's RFC 3339 text (UTC, microseconds, "Z")
 * whatever the session's TimeZone. */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define PAYER_COLUMNS                                                                              \
    "id, name, kind, adapter, version, " TS("retired_at") " AS retired_at, " TS(                   \
        "created_at") " AS created_at, " TS("updated_at") " AS updated_at"

#define CHECK_COLUMNS                                                                              \
    "c.id, c.case_id, c.payer_id, p.name AS payer_name, p.kind AS payer_kind, c.member_id,"        \
    " c.specialist_id, c.institution_id, c.adapter, c.outcome, c.plan_name, c.group_number,"       \
    " c.group_name, c.insurance_type, c.coverage_start::text AS coverage_start,"                   \
    " c.coverage_end::text AS coverage_end, c.in_network, c.second_opinion::text AS "              \
    "second_opinion,"                                                                              \
    " c.telehealth::text AS telehealth, c.second_opinion_required, c.international_coverage,"      \
    " c.messages::text AS messages, c.duration_ms, c.checked_by_role, " TS(                        \
        "c.created_at") " AS checked_at"

static const struct db_statement statements[] = {
    {"coverage_payer_list", "SELECT " PAYER_COLUMNS " FROM payers"
                            " WHERE ($1::text IS NULL OR (name, id) > ($1::text, $2::uuid))"
                            "   AND ($3::text IS NULL OR kind = $3::text)"
                            "   AND ($4::boolean OR retired_at IS NULL)"
                            " ORDER BY name, id LIMIT $5::int"},
    {"coverage_payer_get", "SELECT " PAYER_COLUMNS " FROM payers WHERE id = $1::uuid"},
    {"coverage_payer_get_lock",
     "SELECT " PAYER_COLUMNS " FROM payers WHERE id = $1::uuid FOR UPDATE"},
    {"coverage_payer_insert",
     "INSERT INTO payers (name, kind, adapter) VALUES ($1, $2, $3) RETURNING " PAYER_COLUMNS},
    {"coverage_payer_update",
     "UPDATE payers SET name = coalesce($2, name), kind = coalesce($3, kind),"
     " adapter = coalesce($4, adapter), version = version + 1, updated_at = now()"
     " WHERE id = $1::uuid RETURNING " PAYER_COLUMNS},
    {"coverage_payer_retire",
     "UPDATE payers SET retired_at = now(), version = version + 1, updated_at = now()"
     " WHERE id = $1::uuid RETURNING " PAYER_COLUMNS},
    {"coverage_case_patient",
     "SELECT patient_name, patient_dob::text AS patient_dob FROM cases WHERE id = $1::uuid"},
    {"coverage_specialist_institution",
     "SELECT institution_id FROM specialists WHERE id = $1::uuid AND retired_at IS NULL"},
    {"coverage_institution_exists",
     "SELECT 1 FROM institutions WHERE id = $1::uuid AND retired_at IS NULL"},
    {"coverage_check_insert",
     "INSERT INTO coverage_checks (case_id, payer_id, member_id, specialist_id, institution_id,"
     " adapter, outcome, plan_id, plan_name, group_number, group_name, insurance_type,"
     " coverage_start, coverage_end, in_network, second_opinion, telehealth,"
     " second_opinion_required, international_coverage, messages, raw, duration_ms,"
     " checked_by_sub, checked_by_role)"
     " VALUES ($1::uuid, $2::uuid, $3, $4::uuid, $5::uuid, $6, $7, $8::uuid, $9, $10, $11, $12,"
     " $13::date, $14::date, $15::boolean, $16::jsonb, $17::jsonb, $18::boolean, $19::boolean,"
     " $20::jsonb, $21::jsonb, $22::int, $23, $24)"
     " RETURNING id"},
    {"coverage_check_list",
     "SELECT " CHECK_COLUMNS ", CASE WHEN $5::boolean THEN c.raw::text END AS raw"
     " FROM coverage_checks c JOIN payers p ON p.id = c.payer_id"
     " WHERE c.case_id = $1::uuid"
     "   AND ($2::timestamptz IS NULL OR (c.created_at, c.id) < ($2::timestamptz, $3::uuid))"
     " ORDER BY c.created_at DESC, c.id DESC LIMIT $4::int"},
    {"coverage_check_get",
     "SELECT " CHECK_COLUMNS ", CASE WHEN $3::boolean THEN c.raw::text END AS raw"
     " FROM coverage_checks c JOIN payers p ON p.id = c.payer_id"
     " WHERE c.case_id = $1::uuid AND c.id = $2::uuid"},
    {NULL, NULL},
};

void coverage_store_init(void)
{
    db_register(statements);
    coverage_stub_store_init();
}

/* ---- payers ---- */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The representation of one payer row (NULL only when out of memory). */
static json_t *payer_json(const PGresult *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:o,s:s,s:s}", "id", db_value(res, row, "id"), "name",
                     db_value(res, row, "name"), "kind", db_value(res, row, "kind"), "adapter",
                     db_value(res, row, "adapter"), "version", atoi(db_value(res, row, "version")),
                     "retired_at", str_or_null(db_value(res, row, "retired_at")), "created_at",
                     db_value(res, row, "created_at"), "updated_at",
                     db_value(res, row, "updated_at"));
}

static void payer_fill(const PGresult *res, int row, struct coverage_payer *out)
{
    snprintf(out->id, sizeof out->id, "%s", db_value(res, row, "id"));
    snprintf(out->name, sizeof out->name, "%s", db_value(res, row, "name"));
    snprintf(out->kind, sizeof out->kind, "%s", db_value(res, row, "kind"));
    snprintf(out->adapter, sizeof out->adapter, "%s", db_value(res, row, "adapter"));
    out->version = atoi(db_value(res, row, "version"));
    out->retired = db_value(res, row, "retired_at") != NULL;
}

/* Takes a zero-or-one-row payer result (and clears it): 1 with *out (and
 * *doc when asked) filled, 0 when there is no row, -1 with err set. */
static int payer_take(PGresult *res, struct coverage_payer *out, json_t **doc,
                      struct app_error *err)
{
    int found;
    if (!res)
        return -1;
    found = PQntuples(res) == 1;
    if (found) {
        payer_fill(res, 0, out);
        if (doc && !(*doc = payer_json(res, 0))) {
            PQclear(res);
            return app_error_internal(err);
        }
    }
    PQclear(res);
    return found;
}

/* payer_take for a statement that must find the payer: 404 when not. */
static int payer_one(PGresult *res, struct coverage_payer *out, json_t **doc, struct app_error *err)
{
    int found = payer_take(res, out, doc, err);
    if (found < 0)
        return -1;
    return found ? 0 : app_error_not_found(err, "payer");
}

int coverage_store_payer_get(struct db_conn *conn, const char *id, int lock,
                             struct coverage_payer *out, json_t **doc, struct app_error *err)
{
    const char *params[1] = {id};
    return payer_one(
        db_exec(conn, lock ? "coverage_payer_get_lock" : "coverage_payer_get", 1, params, err), out,
        doc, err);
}

int coverage_store_payer_find(struct db_conn *conn, const char *id, struct coverage_payer *out,
                              struct app_error *err)
{
    const char *params[1] = {id};
    return payer_take(db_exec(conn, "coverage_payer_get", 1, params, err), out, NULL, err);
}

int coverage_store_payer_list(struct db_conn *conn, const struct coverage_payer_query *q,
                              json_t **items, int *more, struct app_error *err)
{
    char limit_s[16];
    const char *params[5] = {q->after_name, q->after_id, q->kind,
                             q->include_retired ? "true" : "false", limit_s};
    PGresult *res;
    int i, n;
    /* One row more than shown tells whether another page follows. */
    snprintf(limit_s, sizeof limit_s, "%d", q->limit + 1);
    if (!(res = db_exec(conn, "coverage_payer_list", 5, params, err)))
        return -1;
    n = PQntuples(res);
    *more = n > q->limit;
    *items = json_array();
    /* json_array_append_new takes the item even when it fails (or is NULL). */
    for (i = 0; *items && i < n && i < q->limit; i++) {
        if (json_array_append_new(*items, payer_json(res, i)) != 0) {
            json_decref(*items);
            *items = NULL;
        }
    }
    PQclear(res);
    return *items ? 0 : app_error_internal(err);
}

int coverage_store_payer_insert(struct db_conn *conn, const char *name, const char *kind,
                                const char *adapter, struct coverage_payer *out, json_t **doc,
                                struct app_error *err)
{
    const char *params[3] = {name, kind, adapter};
    return payer_one(db_exec(conn, "coverage_payer_insert", 3, params, err), out, doc, err);
}

int coverage_store_payer_update(struct db_conn *conn, const char *id, const char *name,
                                const char *kind, const char *adapter, struct coverage_payer *out,
                                json_t **doc, struct app_error *err)
{
    const char *params[4] = {id, name, kind, adapter};
    return payer_one(db_exec(conn, "coverage_payer_update", 4, params, err), out, doc, err);
}

int coverage_store_payer_retire(struct db_conn *conn, const char *id, struct coverage_payer *out,
                                json_t **doc, struct app_error *err)
{
    const char *params[1] = {id};
    return payer_one(db_exec(conn, "coverage_payer_retire", 1, params, err), out, doc, err);
}

/* ---- what an inquiry needs besides the payer ---- */

int coverage_store_case_patient(struct db_conn *conn, const char *case_id, char name[201],
                                char dob[11], struct app_error *err)
{
    const char *params[1] = {case_id};
    PGresult *res = db_exec(conn, "coverage_case_patient", 1, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_not_found(err, "case");
    }
    snprintf(name, 201, "%s", db_value(res, 0, "patient_name"));
    snprintf(dob, 11, "%s", db_value(res, 0, "patient_dob"));
    PQclear(res);
    return 0;
}

int coverage_store_specialist_institution(struct db_conn *conn, const char *specialist_id,
                                          char institution_id[37], struct app_error *err)
{
    const char *params[1] = {specialist_id};
    PGresult *res = db_exec(conn, "coverage_specialist_institution", 1, params, err);
    int found;
    if (!res)
        return -1;
    found = PQntuples(res) == 1;
    if (found)
        snprintf(institution_id, 37, "%s", db_value(res, 0, "institution_id"));
    PQclear(res);
    return found;
}

int coverage_store_institution_exists(struct db_conn *conn, const char *institution_id,
                                      struct app_error *err)
{
    const char *params[1] = {institution_id};
    PGresult *res = db_exec(conn, "coverage_institution_exists", 1, params, err);
    int found;
    if (!res)
        return -1;
    found = PQntuples(res) == 1;
    PQclear(res);
    return found;
}

/* ---- coverage checks ---- */

static const char *outcome_name(enum coverage_outcome o)
{
    switch (o) {
    case COVERAGE_ACTIVE:
        return "active";
    case COVERAGE_INACTIVE:
        return "inactive";
    case COVERAGE_MEMBER_NOT_FOUND:
        return "member_not_found";
    case COVERAGE_PAYER_UNAVAILABLE:
        return "payer_unavailable";
    case COVERAGE_ERROR:
        break;
    }
    return "error";
}

static json_t *flag_json(int f)
{
    return f == COVERAGE_YES ? json_true() : f == COVERAGE_NO ? json_false() : json_null();
}

static const char *flag_param(int f)
{
    return f == COVERAGE_YES ? "true" : f == COVERAGE_NO ? "false" : NULL;
}

static json_t *amount_json(long long v)
{
    return v < 0 ? json_null() : json_integer(v);
}

/* The stored (and served) shape of one benefit; NULL when not present. */
static char *benefit_text(const struct coverage_benefit *b)
{
    json_t *o;
    char *s;
    if (!b->present)
        return NULL;
    o = json_object();
    json_object_set_new(o, "covered", flag_json(b->covered));
    json_object_set_new(o, "in_network", flag_json(b->in_network));
    json_object_set_new(o, "prior_authorization_required", flag_json(b->prior_auth_required));
    json_object_set_new(o, "referral_required", flag_json(b->referral_required));
    json_object_set_new(o, "copay_cents", amount_json(b->copay_cents));
    json_object_set_new(o, "coinsurance_percent", amount_json(b->coinsurance_percent));
    json_object_set_new(o, "deductible_remaining_cents",
                        amount_json(b->deductible_remaining_cents));
    json_object_set_new(o, "out_of_pocket_remaining_cents", amount_json(b->oop_remaining_cents));
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static const char *or_null(const char *s)
{
    return s && *s ? s : NULL;
}

int coverage_store_check_insert(struct db_conn *conn, const struct coverage_check_new *c,
                                char id[37], struct app_error *err)
{
    const struct coverage_result *r = c->result;
    char duration[16];
    char *second_opinion = benefit_text(&r->second_opinion);
    char *telehealth = benefit_text(&r->telehealth);
    char *messages = r->messages ? json_dumps(r->messages, JSON_COMPACT) : NULL;
    char *raw = r->raw ? json_dumps(r->raw, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    const char *params[24];
    PGresult *res;
    int in_network = r->second_opinion.present ? r->second_opinion.in_network
                     : r->telehealth.present   ? r->telehealth.in_network
                                               : COVERAGE_UNKNOWN;

    snprintf(duration, sizeof duration, "%d", c->duration_ms);
    params[0] = c->case_id;
    params[1] = c->payer_id;
    params[2] = c->member_id;
    params[3] = c->specialist_id;
    params[4] = c->institution_id;
    params[5] = c->adapter;
    params[6] = outcome_name(r->outcome);
    params[7] = or_null(r->plan_id);
    params[8] = or_null(r->plan_name);
    params[9] = or_null(r->group_number);
    params[10] = or_null(r->group_name);
    params[11] = or_null(r->insurance_type);
    params[12] = or_null(r->coverage_start);
    params[13] = or_null(r->coverage_end);
    params[14] = flag_param(in_network);
    params[15] = second_opinion;
    params[16] = telehealth;
    params[17] = flag_param(r->second_opinion_required);
    params[18] = flag_param(r->international_coverage);
    params[19] = messages ? messages : "[]";
    params[20] = raw;
    params[21] = duration;
    params[22] = c->who->sub;
    params[23] = role_name(c->who->role);
    res = db_exec(conn, "coverage_check_insert", 24, params, err);
    free(second_opinion);
    free(telehealth);
    free(messages);
    free(raw);
    if (!res)
        return -1;
    snprintf(id, 37, "%s", db_value(res, 0, "id"));
    PQclear(res);
    return 0;
}

/* ---- rendering a stored check ---- */

static json_t *bool_or_null(const PGresult *res, int row, const char *column)
{
    const char *v = db_value(res, row, column);
    return v ? json_boolean(v[0] == 't') : json_null();
}

/* A JSON column (text) as JSON; null when SQL NULL. */
static json_t *json_column(const PGresult *res, int row, const char *column)
{
    const char *v = db_value(res, row, column);
    json_t *j = v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
    return j ? j : json_null();
}

/* A stored benefit in the documented member order (jsonb keeps its own). */
static json_t *benefit_json(const PGresult *res, int row, const char *column)
{
    static const char *const keys[] = {"covered",
                                       "in_network",
                                       "prior_authorization_required",
                                       "referral_required",
                                       "copay_cents",
                                       "coinsurance_percent",
                                       "deductible_remaining_cents",
                                       "out_of_pocket_remaining_cents",
                                       NULL};
    json_t *stored = json_column(res, row, column), *o;
    int i;
    if (!json_is_object(stored))
        return stored;
    o = json_object();
    for (i = 0; keys[i]; i++) {
        json_t *v = json_object_get(stored, keys[i]);
        json_object_set(o, keys[i], v ? v : json_null());
    }
    json_decref(stored);
    return o;
}

/* The representation of one check row (CHECK_COLUMNS and raw). */
static json_t *check_json(const PGresult *res, int row, int with_raw)
{
    const char *specialist = db_value(res, row, "specialist_id");
    const char *institution = db_value(res, row, "institution_id");
    const char *start = db_value(res, row, "coverage_start");
    const char *so = db_value(res, row, "second_opinion"), *th = db_value(res, row, "telehealth");
    json_t *o = json_object();

    json_object_set_new(o, "id", json_string(db_value(res, row, "id")));
    json_object_set_new(o, "case_id", json_string(db_value(res, row, "case_id")));
    json_object_set_new(o, "payer",
                        json_pack("{s:s,s:s,s:s}", "id", db_value(res, row, "payer_id"), "name",
                                  db_value(res, row, "payer_name"), "kind",
                                  db_value(res, row, "payer_kind")));
    json_object_set_new(o, "member_id", json_string(db_value(res, row, "member_id")));
    json_object_set_new(o, "provider",
                        institution
                            ? json_pack("{s:o,s:s}", "specialist_id", str_or_null(specialist),
                                        "institution_id", institution)
                            : json_null());
    json_object_set_new(o, "outcome", json_string(db_value(res, row, "outcome")));
    json_object_set_new(o, "plan_name", str_or_null(db_value(res, row, "plan_name")));
    json_object_set_new(o, "group_number", str_or_null(db_value(res, row, "group_number")));
    json_object_set_new(o, "group_name", str_or_null(db_value(res, row, "group_name")));
    json_object_set_new(o, "insurance_type", str_or_null(db_value(res, row, "insurance_type")));
    json_object_set_new(o, "coverage_period",
                        start ? json_pack("{s:s,s:o}", "start", start, "end",
                                          str_or_null(db_value(res, row, "coverage_end")))
                              : json_null());
    json_object_set_new(o, "benefits",
                        so || th ? json_pack("{s:o,s:o}", "second_opinion",
                                             benefit_json(res, row, "second_opinion"), "telehealth",
                                             benefit_json(res, row, "telehealth"))
                                 : json_null());
    json_object_set_new(o, "second_opinion_required_before_treatment",
                        bool_or_null(res, row, "second_opinion_required"));
    json_object_set_new(o, "international_coverage",
                        bool_or_null(res, row, "international_coverage"));
    json_object_set_new(o, "messages", json_column(res, row, "messages"));
    json_object_set_new(o, "adapter", json_string(db_value(res, row, "adapter")));
    json_object_set_new(o, "duration_ms", json_integer(atoi(db_value(res, row, "duration_ms"))));
    json_object_set_new(o, "checked_by_role", json_string(db_value(res, row, "checked_by_role")));
    json_object_set_new(o, "checked_at", json_string(db_value(res, row, "checked_at")));
    if (with_raw)
        json_object_set_new(o, "raw", json_column(res, row, "raw"));
    return o;
}

int coverage_store_check_list(struct db_conn *conn, const struct coverage_check_query *q,
                              json_t **items, int *more, struct app_error *err)
{
    char limit_s[16];
    const char *params[5] = {q->case_id, q->before_at, q->before_id, limit_s,
                             q->with_raw ? "true" : "false"};
    PGresult *res;
    int i, n;
    /* One row more than shown tells whether another page follows. */
    snprintf(limit_s, sizeof limit_s, "%d", q->limit + 1);
    if (!(res = db_exec(conn, "coverage_check_list", 5, params, err)))
        return -1;
    n = PQntuples(res);
    *more = n > q->limit;
    *items = json_array();
    /* json_array_append_new takes the item even when it fails (or is NULL). */
    for (i = 0; *items && i < n && i < q->limit; i++) {
        json_t *doc = check_json(res, i, q->with_raw);
        if (doc && json_object_set_new(doc, "_cursor_key",
                                       json_string(db_value(res, i, "checked_at"))) != 0) {
            json_decref(doc);
            doc = NULL;
        }
        if (json_array_append_new(*items, doc) != 0) {
            json_decref(*items);
            *items = NULL;
        }
    }
    PQclear(res);
    return *items ? 0 : app_error_internal(err);
}

int coverage_store_check_get(struct db_conn *conn, const char *case_id, const char *check_id,
                             int with_raw, json_t **doc, struct app_error *err)
{
    const char *params[3] = {case_id, check_id, with_raw ? "true" : "false"};
    PGresult *res = db_exec(conn, "coverage_check_get", 3, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_not_found(err, "coverage check");
    }
    *doc = check_json(res, 0, with_raw);
    PQclear(res);
    return *doc ? 0 : app_error_internal(err);
}
