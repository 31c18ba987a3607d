/* Coverage checks on a case: the handlers parse the request, call one
 * function of coverage_domain.h and render what it returns. The domain runs
 * the payer's adapter with no transaction open and no pooled connection
 * held by the request, then stores the answer, its audit row and the
 * coverage.checked event in one short transaction. Whatever the payer does,
 * the caller gets a stored result within the adapter's time-out:
 * payer_unavailable when it hangs or fails, never a hung request or a 500. */
#include <stdio.h>
#include <string.h>

#include "../http/http_change.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "coverage_domain.h"
#include "handlers.h"

static const struct vfield check_fields[] = {
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"payer_id", V_UUID, V_REQUIRED, 0, 0, NULL, NULL, 0},
    {"member_id", V_STRING, V_REQUIRED, 1, 80, NULL, NULL, 0},
    {"specialist_id", V_UUID, V_NULLABLE, 0, 0, NULL, NULL, 0},
    {"institution_id", V_UUID, V_NULLABLE, 0, 0, NULL, NULL, 0},
    {"outcome", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* The inquiry a valid body asks (NULL for the provider it does not name). */
static struct coverage_inquiry body_inquiry(const json_t *body)
{
    return (struct coverage_inquiry){vget_str(body, "payer_id"), vget_str(body, "member_id"),
                                     vget_str(body, "specialist_id"),
                                     vget_str(body, "institution_id")};
}

int coverage_checks_create(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    struct coverage_inquiry in;
    json_t *out = NULL;
    char location[160];

    if (!case_id || validate_object(ctx->body, check_fields, "", 0, &ctx->err) != 0)
        return -1;
    in = body_inquiry(ctx->body);
    /* The domain borrows the request's connection when it needs one and
     * swaps it while the payer answers: ctx->db is whatever it leaves. */
    if (coverage_check_create(&ctx->db, ctx->app->pool, &by, case_id, &in, &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    snprintf(location, sizeof location, "/v1/cases/%s/coverage-checks/%s", case_id,
             json_string_value(json_object_get(out, "id")));
    http_set_header(ctx, "Location", location);
    return http_reply_json(ctx, 201, out);
}

int coverage_checks_list(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *cursor = http_query(ctx, "cursor");
    const struct caller by = http_caller(ctx);
    char before_at[64] = "", before_id[64] = "";
    struct coverage_check_query q;
    json_t *items, *out;
    int more;

    memset(&q, 0, sizeof q);
    q.case_id = case_id;
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
    if (!http_db(ctx) || coverage_check_list(ctx->db, &by, &q, &items, &more, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    out = json_pack("{s:o}", "items", items);
    http_set_next_cursor(out, items, more);
    return http_reply_json(ctx, 200, out);
}

int coverage_checks_get(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *check_id = case_id ? http_path_uuid(ctx, "check_id", "coverage check") : NULL;
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!case_id || !check_id || !http_db(ctx) ||
        coverage_check_read(ctx->db, &by, case_id, check_id, &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_json(ctx, 200, out);
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
