/* The payer catalog: readable by every role (patients pick their insurer),
 * managed by admins. Payer names and kinds are not patient data; admin
 * changes are still audited and emitted as events. Retiring (DELETE) is
 * final: a retired payer stays readable for old checks, leaves the default
 * list and takes no new checks. The handlers parse the request, call one
 * function of coverage_domain.h (the rules, the trail, the commit) and
 * render what it returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../http/http_change.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "coverage_domain.h"
#include "handlers.h"

static const char *const payer_kinds[] = {"commercial", "medicare", "medicaid",
                                          "employer",   "self_pay", NULL};

static const struct vfield payer_fields[] = {
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"name", V_STRING, V_REQUIRED, 1, 120, NULL, NULL, 0},
    {"kind", V_ENUM, V_REQUIRED, 0, 0, payer_kinds, NULL, 0},
    {"adapter", V_STRING, V_REQUIRED, 1, 40, NULL, NULL, 0},
    {"version", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"retired_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"updated_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* Sets out's "next_cursor" after the last payer of a page. The cursor leads
 * with the id: a name may hold '|', the cursor's separator. */
static void set_next_cursor(json_t *out, const json_t *items, int more)
{
    const json_t *last = json_array_get(items, json_array_size(items) - 1);
    char *next = more && last ? http_cursor_encode(json_string_value(json_object_get(last, "id")),
                                                   json_string_value(json_object_get(last, "name")))
                              : NULL;
    json_object_set_new(out, "next_cursor", next ? json_string(next) : json_null());
    free(next);
}

/* The values a body sets (NULL for those a patch leaves alone). */
static struct coverage_payer_values body_values(const json_t *body)
{
    return (struct coverage_payer_values){vget_str(body, "name"), vget_str(body, "kind"),
                                          vget_str(body, "adapter")};
}

int payers_list(struct http_ctx *ctx)
{
    const char *cursor = http_query(ctx, "cursor"), *retired = http_query(ctx, "include_retired");
    const struct caller by = http_caller(ctx);
    char after_id[64] = "", after_name[200] = "";
    struct coverage_payer_query q;
    json_t *items, *out;
    int more, k;

    memset(&q, 0, sizeof q);
    q.kind = http_query(ctx, "kind");
    if (http_query_limit(ctx, 50, 200, &q.limit) != 0)
        return -1;
    if (q.kind) {
        for (k = 0; payer_kinds[k] && strcmp(payer_kinds[k], q.kind); k++)
            ;
        if (!payer_kinds[k])
            app_error_field(&ctx->err, "kind", "must be one of the documented values");
    }
    if (retired) {
        if (!strcmp(retired, "true"))
            q.include_retired = 1;
        else if (strcmp(retired, "false") != 0)
            app_error_field(&ctx->err, "include_retired", "must be true or false");
    }
    /* The name may hold '|', the cursor's separator, so the id goes first. */
    if (cursor &&
        http_cursor_decode(ctx, cursor, after_id, sizeof after_id, after_name, sizeof after_name) ==
            0 &&
        (!uuid_is_valid(after_id) || !after_name[0]))
        app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
    if (ctx->err.status)
        return -1;
    if (cursor) {
        q.after_name = after_name;
        q.after_id = after_id;
    }
    if (!http_db(ctx) || coverage_payer_list(ctx->db, &by, &q, &items, &more, &ctx->err) != 0)
        return -1;
    out = json_pack("{s:o}", "items", items);
    set_next_cursor(out, items, more);
    return http_reply_json(ctx, 200, out);
}

int payers_get(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "payer");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    if (!id || !http_db(ctx) || coverage_payer_read(ctx->db, &by, id, &out, &ctx->err) != 0)
        return -1;
    return http_reply_versioned(ctx, 200, out);
}

int payers_create(struct http_ctx *ctx)
{
    const struct caller by = http_caller(ctx);
    const struct coverage_payer_values v = body_values(ctx->body);
    json_t *out = NULL;
    char location[80];

    if (validate_object(ctx->body, payer_fields, "", 0, &ctx->err) != 0 || !http_db(ctx) ||
        coverage_payer_create(ctx->db, &by, &v, &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    snprintf(location, sizeof location, "/v1/payers/%s",
             json_string_value(json_object_get(out, "id")));
    http_set_header(ctx, "Location", location);
    return http_reply_versioned(ctx, 201, out);
}

int payers_update(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "payer");
    const struct caller by = http_caller(ctx);
    const struct coverage_payer_values v = body_values(ctx->body);
    json_t *out = NULL;

    if (!id || validate_object(ctx->body, payer_fields, "", 1, &ctx->err) != 0)
        return -1;
    if (json_object_size(ctx->body) == 0)
        return app_error_bad_request(&ctx->err, "Send at least one of name, kind, adapter.");
    if (!http_db(ctx) || coverage_payer_update(ctx->db, &by, id, http_header(ctx, "If-Match"), &v,
                                               &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_versioned(ctx, 200, out);
}

int payers_retire(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "payer");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!id || !http_db(ctx) ||
        coverage_payer_retire(ctx->db, &by, id, http_header(ctx, "If-Match"), &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_versioned(ctx, 200, out);
}

/* Request-body schemas, for the body fuzzer (internal/routes.c). */
static const struct vschema schemas[] = {
    {"coverage.payer.create", payer_fields, 0, NULL},
    {"coverage.payer.patch", payer_fields, 1, NULL},
    {NULL, NULL, 0, NULL},
};

const struct vschema *coverage_payer_schemas(void)
{
    return schemas;
}
