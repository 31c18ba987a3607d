/* Coverage checks on a case. A check runs the payer's adapter with no
 * transaction open and no pooled connection held by the request, then
 * stores the answer, its audit row and the coverage.checked event in one
 * short transaction. Whatever the payer does, the caller gets a stored
 * result within the adapter's time-out: payer_unavailable when it hangs or
 * fails, never a hung request or a 500. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../audit/audit.h"
#include "../cases/case_access.h"
#include "../events/events.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "adapter.h"
#include "coverage_store.h"
#include "handlers.h"
#include "runner.h"

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

/* Copies src into dst (n bytes), cut to fit: the inquiry's fields are sized
 * by struct coverage_request (adapter.h), the catalog's values are not. */
static void copy_cut(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = 0;
}

/* What the inquiry is about, checked against the catalog before the payer
 * is asked. Fills req (and adapter_name); field errors are 400. */
static int prepare_inquiry(struct http_ctx *ctx, struct coverage_request *req,
                           char adapter_name[41])
{
    const char *payer_id = vget_str(ctx->body, "payer_id");
    const char *specialist_id = vget_str(ctx->body, "specialist_id");
    const char *institution_id = vget_str(ctx->body, "institution_id");
    struct coverage_payer payer;
    int found;

    lower_uuid(req->payer_id, payer_id);
    found = coverage_store_payer_find(ctx->db, req->payer_id, &payer, &ctx->err);
    if (found < 0)
        return -1;
    if (!found) {
        app_error_field(&ctx->err, "payer_id", "is not a payer in the catalog");
    } else if (payer.retired) {
        app_error_field(&ctx->err, "payer_id", "is a retired payer");
    } else if (!strcmp(payer.kind, "self_pay")) {
        app_error_field(&ctx->err, "payer_id", "is self-pay: there is no coverage to check");
    } else {
        copy_cut(req->payer_name, sizeof req->payer_name, payer.name);
        copy_cut(adapter_name, 41, payer.adapter);
    }

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
    int duration_ms = 0, rc = -1, with_raw = ctx->who.role == ROLE_ADMIN;
    json_t *body = NULL;

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
    if (coverage_store_check_get(ctx->db, case_id, check_id, with_raw, &body, &ctx->err) != 0)
        goto out;
    if (db_commit(ctx->db, &ctx->err) != 0)
        goto out;
    ctx->audited = 1;
    snprintf(location, sizeof location, "/v1/cases/%s/coverage-checks/%s", case_id, check_id);
    http_set_header(ctx, "Location", location);
    rc = http_reply_json(ctx, 201, body);
    body = NULL; /* the reply took it */
out:
    json_decref(body);
    coverage_result_clear(&result);
    return rc;
}

int coverage_checks_list(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *cursor = http_query(ctx, "cursor");
    char before_at[64] = "", before_id[64] = "";
    struct coverage_check_query q;
    struct case_ref ref;
    json_t *items, *out;
    int more;

    memset(&q, 0, sizeof q);
    q.case_id = case_id;
    q.with_raw = ctx->who.role == ROLE_ADMIN;
    if (!case_id || http_query_limit(ctx, 20, 100, &q.limit) != 0)
        return -1;
    if (cursor) {
        if (http_cursor_decode(ctx, cursor, before_at, sizeof before_at, before_id,
                               sizeof before_id) != 0)
            return -1;
        if (!datetime_is_valid(before_at) || !uuid_is_valid(before_id)) {
            app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
            return -1;
        }
        q.before_at = before_at;
        q.before_id = before_id;
    }
    if (!http_db(ctx) || case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0)
        return -1;
    if (coverage_store_check_list(ctx->db, &q, &items, &more, &ctx->err) != 0)
        return -1;
    if (http_audit_success(ctx, "coverage_check.list", "coverage_check", NULL, case_id) != 0) {
        json_decref(items);
        return -1;
    }
    out = json_pack("{s:o}", "items", items);
    http_set_next_cursor(out, items, more);
    return http_reply_json(ctx, 200, out);
}

int coverage_checks_get(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *check_id = case_id ? http_path_uuid(ctx, "check_id", "coverage check") : NULL;
    int with_raw = ctx->who.role == ROLE_ADMIN;
    struct case_ref ref;
    json_t *body;

    if (!case_id || !check_id)
        return -1;
    if (!http_db(ctx) || case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0)
        return -1;
    if (coverage_store_check_get(ctx->db, case_id, check_id, with_raw, &body, &ctx->err) != 0)
        return -1;
    if (http_audit_success(ctx, "coverage_check.read", "coverage_check", check_id, case_id) != 0) {
        json_decref(body);
        return -1;
    }
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
