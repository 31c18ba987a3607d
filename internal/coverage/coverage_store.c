#include "coverage_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

PGresult *payer_store_list(struct db_conn *conn, const char *after_name, const char *after_id,
                           const char *kind, int include_retired, int limit, struct app_error *err)
{
    char limit_s[16];
    const char *params[5] = {after_name, after_id, kind, include_retired ? "true" : "false",
                             limit_s};
    snprintf(limit_s, sizeof limit_s, "%d", limit);
    return db_exec(conn, "coverage_payer_list", 5, params, err);
}

PGresult *payer_store_get(struct db_conn *conn, const char *id, int lock, struct app_error *err)
{
    const char *params[1] = {id};
    return db_exec(conn, lock ? "coverage_payer_get_lock" : "coverage_payer_get", 1, params, err);
}

PGresult *payer_store_insert(struct db_conn *conn, const char *name, const char *kind,
                             const char *adapter, struct app_error *err)
{
    const char *params[3] = {name, kind, adapter};
    return db_exec(conn, "coverage_payer_insert", 3, params, err);
}

PGresult *payer_store_update(struct db_conn *conn, const char *id, const char *name,
                             const char *kind, const char *adapter, struct app_error *err)
{
    const char *params[4] = {id, name, kind, adapter};
    return db_exec(conn, "coverage_payer_update", 4, params, err);
}

PGresult *payer_store_retire(struct db_conn *conn, const char *id, struct app_error *err)
{
    const char *params[1] = {id};
    return db_exec(conn, "coverage_payer_retire", 1, params, err);
}

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

PGresult *coverage_store_check_list(struct db_conn *conn, const char *case_id,
                                    const char *before_at, const char *before_id, int limit,
                                    int with_raw, struct app_error *err)
{
    char limit_s[16];
    const char *params[5] = {case_id, before_at, before_id, limit_s, with_raw ? "true" : "false"};
    snprintf(limit_s, sizeof limit_s, "%d", limit);
    return db_exec(conn, "coverage_check_list", 5, params, err);
}

PGresult *coverage_store_check_get(struct db_conn *conn, const char *case_id, const char *check_id,
                                   int with_raw, struct app_error *err)
{
    const char *params[3] = {case_id, check_id, with_raw ? "true" : "false"};
    return db_exec(conn, "coverage_check_get", 3, params, err);
}
