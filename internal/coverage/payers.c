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

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *payer_json(const PGresult *res, int row)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:i,s:o,s:s,s:s}", "id", db_value(res, row, "id"), "name",
                     db_value(res, row, "name"), "kind", db_value(res, row, "kind"), "adapter",
                     db_value(res, row, "adapter"), "version", atoi(db_value(res, row, "version")),
                     "retired_at", str_or_null(db_value(res, row, "retired_at")), "created_at",
                     db_value(res, row, "created_at"), "updated_at",
                     db_value(res, row, "updated_at"));
}

static void set_etag(struct http_ctx *ctx, const PGresult *res)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%s\"", db_value(res, 0, "version"));
    http_set_header(ctx, "ETag", etag);
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
    const char *cursor = http_query(ctx, "cursor"), *kind = http_query(ctx, "kind");
    const char *retired = http_query(ctx, "include_retired");
    char after_id[64] = "", after_name[200] = "";
    int limit, include_retired = 0, i, n, k;
    json_t *items, *out;
    PGresult *res;

    if (http_query_limit(ctx, 50, 200, &limit) != 0)
        return -1;
    if (kind) {
        for (k = 0; payer_kinds[k] && strcmp(payer_kinds[k], kind); k++)
            ;
        if (!payer_kinds[k])
            app_error_field(&ctx->err, "kind", "must be one of the documented values");
    }
    if (retired) {
        if (!strcmp(retired, "true"))
            include_retired = 1;
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
    if (!http_db(ctx))
        return -1;
    res = payer_store_list(ctx->db, cursor ? after_name : NULL, cursor ? after_id : NULL, kind,
                           include_retired, limit + 1, &ctx->err);
    if (!res)
        return -1;
    n = PQntuples(res);
    items = json_array();
    for (i = 0; i < n && i < limit; i++)
        json_array_append_new(items, payer_json(res, i));
    out = json_pack("{s:o}", "items", items);
    if (n > limit) {
        char *next =
            http_cursor_encode(db_value(res, limit - 1, "id"), db_value(res, limit - 1, "name"));
        json_object_set_new(out, "next_cursor", str_or_null(next));
        free(next);
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    PQclear(res);
    return http_reply_json(ctx, 200, out);
}

int payers_get(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "payer");
    PGresult *res;
    json_t *body;
    if (!id || !http_db(ctx))
        return -1;
    if (!(res = payer_store_get(ctx->db, id, 0, &ctx->err)))
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_not_found(&ctx->err, "payer");
    }
    set_etag(ctx, res);
    body = payer_json(res, 0);
    PQclear(res);
    return http_reply_json(ctx, 200, body);
}

int payers_create(struct http_ctx *ctx)
{
    PGresult *res;
    json_t *body;
    char location[80];
    int rc;

    if (validate_object(ctx->body, payer_fields, "", 0, &ctx->err) != 0)
        return -1;
    if (check_payer_values(ctx) != 0)
        return -1;
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0)
        return -1;
    res = payer_store_insert(ctx->db, vget_str(ctx->body, "name"), vget_str(ctx->body, "kind"),
                             vget_str(ctx->body, "adapter"), &ctx->err);
    if (!res) {
        if (ctx->err.status == 409)
            app_error_conflict(&ctx->err, "A payer with this name already exists.");
        return -1;
    }
    rc = write_trail(ctx, "payer.create", "payer.created", db_value(res, 0, "id"), 201);
    if (rc != 0 || db_commit(ctx->db, &ctx->err) != 0) {
        PQclear(res);
        return -1;
    }
    snprintf(location, sizeof location, "/v1/payers/%s", db_value(res, 0, "id"));
    http_set_header(ctx, "Location", location);
    set_etag(ctx, res);
    body = payer_json(res, 0);
    PQclear(res);
    return http_reply_json(ctx, 201, body);
}

/* Locks the payer and checks If-Match; on success returns the locked row
 * (inside the transaction the caller opened). */
static PGresult *lock_for_change(struct http_ctx *ctx, const char *id)
{
    PGresult *res = payer_store_get(ctx->db, id, 1, &ctx->err);
    char etag[32];
    if (!res)
        return NULL;
    if (PQntuples(res) != 1) {
        PQclear(res);
        app_error_not_found(&ctx->err, "payer");
        return NULL;
    }
    snprintf(etag, sizeof etag, "\"%s\"", db_value(res, 0, "version"));
    if (http_require_if_match(ctx, etag) != 0) {
        PQclear(res);
        return NULL;
    }
    if (db_value(res, 0, "retired_at")) {
        PQclear(res);
        app_error_conflict(&ctx->err, "The payer is retired; a retired payer cannot change.");
        return NULL;
    }
    return res;
}

int payers_update(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "payer");
    PGresult *cur, *res;
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
    if (!(cur = lock_for_change(ctx, id)))
        return -1;
    PQclear(cur);
    res = payer_store_update(ctx->db, id, vget_str(ctx->body, "name"), vget_str(ctx->body, "kind"),
                             vget_str(ctx->body, "adapter"), &ctx->err);
    if (!res) {
        if (ctx->err.status == 409)
            app_error_conflict(&ctx->err, "A payer with this name already exists.");
        return -1;
    }
    if (write_trail(ctx, "payer.update", "payer.updated", id, 200) != 0 ||
        db_commit(ctx->db, &ctx->err) != 0) {
        PQclear(res);
        return -1;
    }
    set_etag(ctx, res);
    body = payer_json(res, 0);
    PQclear(res);
    return http_reply_json(ctx, 200, body);
}

int payers_retire(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "payer");
    PGresult *cur, *res;
    json_t *body;

    if (!id || !http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0)
        return -1;
    if (!(cur = lock_for_change(ctx, id)))
        return -1;
    PQclear(cur);
    if (!(res = payer_store_retire(ctx->db, id, &ctx->err)))
        return -1;
    if (write_trail(ctx, "payer.retire", "payer.retired", id, 200) != 0 ||
        db_commit(ctx->db, &ctx->err) != 0) {
        PQclear(res);
        return -1;
    }
    set_etag(ctx, res);
    body = payer_json(res, 0);
    PQclear(res);
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
