/* The payer catalog: readable by every role (patients pick their insurer),
 * managed by admins. Payer names and kinds are not patient data; admin
 * changes are still audited and emitted as events. Retiring (DELETE) is
 * final: a retired payer stays readable for old checks, leaves the default
 * list and takes no new checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../events/events.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "adapter.h"
#include "coverage_store.h"
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

static void set_etag(struct http_ctx *ctx, int version)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%d\"", version);
    http_set_header(ctx, "ETag", etag);
}

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

/* Checks what the table cannot: a registered adapter and a name without
 * surrounding blanks. Adds field errors; returns -1 if any. */
static int check_payer_values(struct http_ctx *ctx)
{
    const char *name = vget_str(ctx->body, "name"), *adapter = vget_str(ctx->body, "adapter");
    int bad = 0;
    if (name && (name[0] == ' ' || name[strlen(name) - 1] == ' ')) {
        app_error_field(&ctx->err, "name", "must not start or end with a space");
        bad = 1;
    }
    if (adapter && !coverage_adapter_find(adapter)) {
        app_error_field(&ctx->err, "adapter", "must be an installed adapter: %s",
                        coverage_adapter_names());
        bad = 1;
    }
    return bad ? -1 : 0;
}

static int write_trail(struct http_ctx *ctx, const char *action, const char *event,
                       const char *payer_id, int status)
{
    struct audit_entry e = {&ctx->who, ctx->request_id, action, "payer", payer_id,
                            NULL,      "success",       status};
    if (audit_record(ctx->db, &e, &ctx->err) != 0 ||
        events_emit(ctx->db, event, NULL, "payer", payer_id, &ctx->who, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return 0;
}

int payers_list(struct http_ctx *ctx)
{
    const char *cursor = http_query(ctx, "cursor"), *retired = http_query(ctx, "include_retired");
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
    if (!http_db(ctx) || coverage_store_payer_list(ctx->db, &q, &items, &more, &ctx->err) != 0)
        return -1;
    out = json_pack("{s:o}", "items", items);
    set_next_cursor(out, items, more);
    return http_reply_json(ctx, 200, out);
}

int payers_get(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "payer");
    struct coverage_payer payer;
    json_t *body;
    if (!id || !http_db(ctx))
        return -1;
    if (coverage_store_payer_get(ctx->db, id, 0, &payer, &body, &ctx->err) != 0)
        return -1;
    set_etag(ctx, payer.version);
    return http_reply_json(ctx, 200, body);
}

int payers_create(struct http_ctx *ctx)
{
    struct coverage_payer payer;
    json_t *body;
    char location[80];

    if (validate_object(ctx->body, payer_fields, "", 0, &ctx->err) != 0)
        return -1;
    if (check_payer_values(ctx) != 0)
        return -1;
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0)
        return -1;
    if (coverage_store_payer_insert(ctx->db, vget_str(ctx->body, "name"),
                                    vget_str(ctx->body, "kind"), vget_str(ctx->body, "adapter"),
                                    &payer, &body, &ctx->err) != 0) {
        if (ctx->err.status == 409)
            app_error_conflict(&ctx->err, "A payer with this name already exists.");
        return -1;
    }
    if (write_trail(ctx, "payer.create", "payer.created", payer.id, 201) != 0 ||
        db_commit(ctx->db, &ctx->err) != 0) {
        json_decref(body);
        return -1;
    }
    snprintf(location, sizeof location, "/v1/payers/%s", payer.id);
    http_set_header(ctx, "Location", location);
    set_etag(ctx, payer.version);
    return http_reply_json(ctx, 201, body);
}

/* Locks the payer and checks If-Match and that it may still change (inside
 * the transaction the caller opened). Returns 0 or -1 with ctx->err set. */
static int lock_for_change(struct http_ctx *ctx, const char *id)
{
    struct coverage_payer cur;
    char etag[32];
    if (coverage_store_payer_get(ctx->db, id, 1, &cur, NULL, &ctx->err) != 0)
        return -1;
    snprintf(etag, sizeof etag, "\"%d\"", cur.version);
    if (http_require_if_match(ctx, etag) != 0)
        return -1;
    if (cur.retired)
        return app_error_conflict(&ctx->err,
                                  "The payer is retired; a retired payer cannot change.");
    return 0;
}

int payers_update(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "payer");
    struct coverage_payer payer;
    json_t *body;

    if (!id)
        return -1;
    if (validate_object(ctx->body, payer_fields, "", 1, &ctx->err) != 0)
        return -1;
    if (json_object_size(ctx->body) == 0)
        return app_error_bad_request(&ctx->err, "Send at least one of name, kind, adapter.");
    if (check_payer_values(ctx) != 0)
        return -1;
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0)
        return -1;
    if (lock_for_change(ctx, id) != 0)
        return -1;
    if (coverage_store_payer_update(ctx->db, id, vget_str(ctx->body, "name"),
                                    vget_str(ctx->body, "kind"), vget_str(ctx->body, "adapter"),
                                    &payer, &body, &ctx->err) != 0) {
        if (ctx->err.status == 409)
            app_error_conflict(&ctx->err, "A payer with this name already exists.");
        return -1;
    }
    if (write_trail(ctx, "payer.update", "payer.updated", id, 200) != 0 ||
        db_commit(ctx->db, &ctx->err) != 0) {
        json_decref(body);
        return -1;
    }
    set_etag(ctx, payer.version);
    return http_reply_json(ctx, 200, body);
}

int payers_retire(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "payer");
    struct coverage_payer payer;
    json_t *body;

    if (!id || !http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0)
        return -1;
    if (lock_for_change(ctx, id) != 0)
        return -1;
    if (coverage_store_payer_retire(ctx->db, id, &payer, &body, &ctx->err) != 0)
        return -1;
    if (write_trail(ctx, "payer.retire", "payer.retired", id, 200) != 0 ||
        db_commit(ctx->db, &ctx->err) != 0) {
        json_decref(body);
        return -1;
    }
    set_etag(ctx, payer.version);
    return http_reply_json(ctx, 200, body);
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
