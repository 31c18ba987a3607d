/* Coverage checks on a case. A check runs the payer's adapter with no
 * transaction open and no pooled connection held by the request, then
 * stores the answer, its audit row and the coverage.checked event in one
 * short transaction. Whatever the payer does, the caller gets a stored
 * result within the adapter's time-out: payer_unavailable when it hangs or
 * fails, never a hung request or a 500. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../audit/audit.h"
#include "../cases/case_access.h"
#include "../events/events.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "adapter.h"
#include "handlers.h"
#include "runner.h"
#include "store.h"

static const struct vfield check_fields[] = {
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"payer_id", V_UUID, V_REQUIRED, 0, 0, NULL, NULL, 0},
    {"member_id", V_STRING, V_REQUIRED, 1, 80, NULL, NULL, 0},
    {"specialist_id", V_UUID, V_NULLABLE, 0, 0, NULL, NULL, 0},
    {"institution_id", V_UUID, V_NULLABLE, 0, 0, NULL, NULL, 0},
    {"outcome", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* Member ids as payers print them on cards: letters, digits and dashes,
 * compared without regard to case (stored upper-cased). */
static int normalise_member_id(const char *in, char out[81])
{
    size_t i, n = strlen(in);
    if (n == 0 || n > 80 || in[0] == '-')
        return -1;
    for (i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return -1;
        out[i] = c;
    }
    out[n] = 0;
    return 0;
}

static void lower_uuid(char *dst, const char *src)
{
    size_t i;
    for (i = 0; i < 36; i++)
        dst[i] = (char)(src[i] >= 'A' && src[i] <= 'F' ? src[i] - 'A' + 'a' : src[i]);
    dst[36] = 0;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

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

/* What the inquiry is about, checked against the catalog before the payer
 * is asked. Fills req (and adapter_name); field errors are 400. */
static int prepare_inquiry(struct http_ctx *ctx, struct coverage_request *req,
                           char adapter_name[41])
{
    const char *payer_id = vget_str(ctx->body, "payer_id");
    const char *specialist_id = vget_str(ctx->body, "specialist_id");
    const char *institution_id = vget_str(ctx->body, "institution_id");
    PGresult *payer;
    int found;

    lower_uuid(req->payer_id, payer_id);
    if (!(payer = payer_store_get(ctx->db, req->payer_id, 0, &ctx->err)))
        return -1;
    if (PQntuples(payer) != 1) {
        app_error_field(&ctx->err, "payer_id", "is not a payer in the catalog");
    } else if (db_value(payer, 0, "retired_at")) {
        app_error_field(&ctx->err, "payer_id", "is a retired payer");
    } else if (!strcmp(db_value(payer, 0, "kind"), "self_pay")) {
        app_error_field(&ctx->err, "payer_id", "is self-pay: there is no coverage to check");
    } else {
        snprintf(req->payer_name, sizeof req->payer_name, "%s", db_value(payer, 0, "name"));
        snprintf(adapter_name, 41, "%s", db_value(payer, 0, "adapter"));
    }
    PQclear(payer);

    if (specialist_id) {
        lower_uuid(req->specialist_id, specialist_id);
        found = coverage_store_specialist_institution(ctx->db, req->specialist_id,
                                                      req->institution_id, &ctx->err);
        if (found < 0)
            return -1;
        if (!found)
            app_error_field(&ctx->err, "specialist_id", "is not an active specialist");
    } else if (institution_id) {
        lower_uuid(req->institution_id, institution_id);
        found = coverage_store_institution_exists(ctx->db, req->institution_id, &ctx->err);
        if (found < 0)
            return -1;
        if (!found)
            app_error_field(&ctx->err, "institution_id", "is not an active institution");
    }
    return ctx->err.status ? -1 : 0;
}

static void today_utc(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

int coverage_checks_create(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct coverage_request req;
    struct coverage_result result;
    struct coverage_check_new row;
    struct case_ref ref;
    const struct coverage_adapter *adapter;
    char adapter_name[41] = "", check_id[37], location[160];
    int duration_ms = 0, rc = -1;
    PGresult *res = NULL;
    json_t *body;

    if (!case_id)
        return -1;
    memset(&req, 0, sizeof req);
    if (validate_object(ctx->body, check_fields, "", 0, &ctx->err) != 0)
        return -1;
    if (normalise_member_id(vget_str(ctx->body, "member_id"), req.member_id) != 0) {
        app_error_field(&ctx->err, "member_id",
                        "must be 1 to 80 letters, digits or dashes, as on the member card");
        return -1;
    }
    if (vget_str(ctx->body, "specialist_id") && vget_str(ctx->body, "institution_id")) {
        app_error_field(&ctx->err, "institution_id",
                        "must not be sent with specialist_id; name one provider");
        return -1;
    }
    if (!http_db(ctx) || case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0)
        return -1;
    if (!strcmp(ref.status, "closed") || !strcmp(ref.status, "withdrawn"))
        return app_error_conflict(&ctx->err, "The case is %s; coverage can no longer be checked.",
                                  ref.status);
    if (prepare_inquiry(ctx, &req, adapter_name) != 0)
        return -1;
    if (coverage_store_case_patient(ctx->db, case_id, req.patient_name, req.patient_dob,
                                    &ctx->err) != 0)
        return -1;
    today_utc(req.as_of);

    /* Give the connection back while the payer is asked: a slow payer must
     * not pin a pooled connection. */
    db_release(ctx->db);
    ctx->db = NULL;

    coverage_result_init(&result);
    adapter = coverage_adapter_find(adapter_name);
    if (adapter) {
        coverage_run(adapter, &req, ctx->app->pool, &result, &duration_ms);
    } else {
        result.outcome = COVERAGE_ERROR;
        coverage_result_message(&result, "No eligibility service is configured for this payer.");
    }

    memset(&row, 0, sizeof row);
    row.case_id = case_id;
    row.payer_id = req.payer_id;
    row.member_id = req.member_id;
    row.specialist_id = req.specialist_id[0] ? req.specialist_id : NULL;
    row.institution_id = req.institution_id[0] ? req.institution_id : NULL;
    row.adapter = adapter_name;
    row.result = &result;
    row.duration_ms = duration_ms;
    row.who = &ctx->who;

    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0)
        goto out;
    /* The case may have been closed while the payer answered. */
    if (case_access(ctx->db, &ctx->who, case_id, 1, &ref, &ctx->err) != 0)
        goto out;
    if (!strcmp(ref.status, "closed") || !strcmp(ref.status, "withdrawn")) {
        app_error_conflict(&ctx->err, "The case is %s; coverage can no longer be checked.",
                           ref.status);
        goto out;
    }
    if (coverage_store_check_insert(ctx->db, &row, check_id, &ctx->err) != 0)
        goto out;
    {
        struct audit_entry e = {&ctx->who,
                                ctx->request_id,
                                "coverage_check.create",
                                "coverage_check",
                                check_id,
                                case_id,
                                "success",
                                201};
        if (audit_record(ctx->db, &e, &ctx->err) != 0)
            goto out;
    }
    if (events_emit(ctx->db, "coverage.checked", case_id, "coverage_check", check_id, &ctx->who,
                    &ctx->err) != 0)
        goto out;
    if (!(res = coverage_store_check_get(ctx->db, case_id, check_id, ctx->who.role == ROLE_ADMIN,
                                         &ctx->err)) ||
        PQntuples(res) != 1)
        goto out;
    if (db_commit(ctx->db, &ctx->err) != 0)
        goto out;
    ctx->audited = 1;
    snprintf(location, sizeof location, "/v1/cases/%s/coverage-checks/%s", case_id, check_id);
    http_set_header(ctx, "Location", location);
    body = check_json(res, 0, ctx->who.role == ROLE_ADMIN);
    rc = http_reply_json(ctx, 201, body);
out:
    PQclear(res);
    coverage_result_clear(&result);
    return rc;
}

int coverage_checks_list(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *cursor = http_query(ctx, "cursor");
    char before_at[64] = "", before_id[64] = "";
    struct case_ref ref;
    int limit, i, n, with_raw = ctx->who.role == ROLE_ADMIN;
    PGresult *res;
    json_t *items, *out;

    if (!case_id || http_query_limit(ctx, 20, 100, &limit) != 0)
        return -1;
    if (cursor) {
        if (http_cursor_decode(ctx, cursor, before_at, sizeof before_at, before_id,
                               sizeof before_id) != 0)
            return -1;
        if (!datetime_is_valid(before_at) || !uuid_is_valid(before_id)) {
            app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
            return -1;
        }
    }
    if (!http_db(ctx) || case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0)
        return -1;
    res = coverage_store_check_list(ctx->db, case_id, cursor ? before_at : NULL,
                                    cursor ? before_id : NULL, limit + 1, with_raw, &ctx->err);
    if (!res)
        return -1;
    if (http_audit_success(ctx, "coverage_check.list", "coverage_check", NULL, case_id) != 0) {
        PQclear(res);
        return -1;
    }
    n = PQntuples(res);
    items = json_array();
    for (i = 0; i < n && i < limit; i++)
        json_array_append_new(items, check_json(res, i, with_raw));
    out = json_pack("{s:o}", "items", items);
    if (n > limit) {
        char *next = http_cursor_encode(db_value(res, limit - 1, "checked_at"),
                                        db_value(res, limit - 1, "id"));
        json_object_set_new(out, "next_cursor", str_or_null(next));
        free(next);
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    PQclear(res);
    return http_reply_json(ctx, 200, out);
}

int coverage_checks_get(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *check_id = case_id ? http_path_uuid(ctx, "check_id", "coverage check") : NULL;
    int with_raw = ctx->who.role == ROLE_ADMIN;
    struct case_ref ref;
    PGresult *res;
    json_t *body;

    if (!case_id || !check_id)
        return -1;
    if (!http_db(ctx) || case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0)
        return -1;
    if (!(res = coverage_store_check_get(ctx->db, case_id, check_id, with_raw, &ctx->err)))
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_not_found(&ctx->err, "coverage check");
    }
    if (http_audit_success(ctx, "coverage_check.read", "coverage_check", check_id, case_id) != 0) {
        PQclear(res);
        return -1;
    }
    body = check_json(res, 0, with_raw);
    PQclear(res);
    return http_reply_json(ctx, 200, body);
}

/* Request-body schemas, for the body fuzzer (internal/routes.c). */
static const struct vschema schemas[] = {
    {"coverage.check.create", check_fields, 0, NULL},
    {NULL, NULL, 0, NULL},
};

const struct vschema *coverage_check_schemas(void)
{
    return schemas;
}
