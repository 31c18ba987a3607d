#include "webhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../events/events.h"
#include "../http/http_change.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "outbound.h"
#include "webhook_store.h"

#define RECENT_ATTEMPTS 20

static const char *const settable_statuses[] = {"active", "disabled", NULL};

/* Members the server owns: present in a request body at all is an error,
 * so that a client echoing a read back learns they are not writable. */
#define READONLY_FIELDS                                                                            \
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                                    \
        {"consecutive_failures", V_READONLY, 0, 0, 0, NULL, NULL, 0},                              \
        {"secret_fingerprint", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                \
        {"next_attempt_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                   \
        {"last_success_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                   \
        {"last_failure_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                   \
        {"last_error", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"version", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                           \
        {"created_by", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"updated_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
    {                                                                                              \
        "recent_attempts", V_READONLY, 0, 0, 0, NULL, NULL, 0                                      \
    }

static const struct vfield create_fields[] = {
    {"url", V_STRING, V_REQUIRED, 1, WEBHOOK_URL_MAX, NULL, NULL, 0},
    {"secret", V_STRING, V_REQUIRED, 16, 256, NULL, NULL, 0},
    {"event_types", V_STRING_ARRAY, V_REQUIRED, 1, 50, NULL, NULL, 82},
    {"description", V_STRING, V_NULLABLE, 1, 500, NULL, NULL, 0},
    {"status", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    READONLY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

static const struct vfield patch_fields[] = {
    {"url", V_STRING, 0, 1, WEBHOOK_URL_MAX, NULL, NULL, 0},
    {"secret", V_STRING, 0, 16, 256, NULL, NULL, 0},
    {"event_types", V_STRING_ARRAY, 0, 1, 50, NULL, NULL, 82},
    {"description", V_STRING, V_NULLABLE, 1, 500, NULL, NULL, 0},
    {"status", V_ENUM, 0, 0, 0, settable_statuses, NULL, 0},
    READONLY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* The checks a field table cannot express. Adds per-field errors. */
static void check_semantics(struct http_ctx *ctx, const json_t *doc)
{
    const char *url = vget_str(doc, "url"), *secret = vget_str(doc, "secret");
    const json_t *types = json_object_get(doc, "event_types"), *t;
    char why[128];
    size_t i, j;

    if (url && webhook_url_check(url, ctx->app->cfg->webhook_allow_private, why, sizeof why) != 0)
        app_error_field(&ctx->err, "url", "%s", why);
    if (secret) {
        int seen[256] = {0}, distinct = 0, printable = 1;
        for (i = 0; secret[i]; i++) {
            unsigned char c = (unsigned char)secret[i];
            if (c < 0x21 || c > 0x7e)
                printable = 0;
            if (!seen[c]++)
                distinct++;
        }
        /* A secret anyone can guess signs nothing; refuse the obvious ones. */
        if (!printable)
            app_error_field(&ctx->err, "secret", "must be printable ASCII without spaces");
        else if (distinct < 8)
            app_error_field(&ctx->err, "secret",
                            "is too weak: it has fewer than 8 distinct characters");
    }
    if (json_is_array(types))
        json_array_foreach(types, i, t)
        {
            char fp[40];
            snprintf(fp, sizeof fp, "event_types[%zu]", i);
            if (!events_type_pattern_is_valid(json_string_value(t))) {
                app_error_field(&ctx->err, fp,
                                "must be \"*\", \"<resource>.*\" or \"<resource>.<action>\" "
                                "in lowercase, e.g. \"case.created\"");
                continue;
            }
            for (j = 0; j < i; j++)
                if (json_equal(json_array_get(types, j), t))
                    app_error_field(&ctx->err, fp, "is repeated");
        }
}

static void set_etag(struct http_ctx *ctx, const json_t *doc)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"",
             (long long)json_integer_value(json_object_get(doc, "version")));
    http_set_header(ctx, "ETag", etag);
}

/* A change to a subscription is audited (who points the service's outbound
 * traffic where is a security question) and emits no event. */
static struct change webhook_change(const char *action, const char *id, int status)
{
    return change_one(action, "webhook", id, NULL, status, NULL);
}

static int create_webhook(struct http_ctx *ctx)
{
    json_t *out = NULL;
    const char *id;
    char loc[64];

    if (validate_object(ctx->body, create_fields, "", 0, &ctx->err) != 0)
        return -1;
    check_semantics(ctx, ctx->body);
    if (ctx->err.status)
        return -1;
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0)
        return -1;
    if (webhook_store_create(ctx->db, ctx->body, ctx->who.sub, &out, &ctx->err) != 0)
        return -1;
    id = json_string_value(json_object_get(out, "id"));
    if (http_record_change(ctx, webhook_change("webhook.create", id, 201)) != 0) {
        json_decref(out);
        return -1;
    }
    snprintf(loc, sizeof loc, "/v1/webhooks/%s", id);
    http_set_header(ctx, "Location", loc);
    set_etag(ctx, out);
    return http_reply_json(ctx, 201, out);
}

static int list_webhooks(struct http_ctx *ctx)
{
    const char *cursor = http_query(ctx, "cursor");
    char key[64] = "", cid[64] = "";
    json_t *items = NULL, *out;
    int limit, more = 0;

    if (http_query_limit(ctx, 50, 200, &limit) != 0)
        return -1;
    if (cursor && http_cursor_decode(ctx, cursor, key, sizeof key, cid, sizeof cid) == 0 &&
        (!datetime_is_valid(key) || !uuid_is_valid(cid)))
        app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
    if (ctx->err.status || !http_db(ctx))
        return -1;
    if (webhook_store_list(ctx->db, cursor ? key : NULL, cursor ? cid : NULL, limit, &items, &more,
                           &ctx->err) != 0)
        return -1;
    out = json_object();
    http_set_next_cursor(out, items, more);
    json_object_set_new(out, "items", items);
    return http_reply_json(ctx, 200, out);
}

static int get_webhook(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "webhook");
    json_t *out = NULL, *attempts = NULL;

    if (!id || !http_db(ctx) || webhook_store_get(ctx->db, id, 0, &out, &ctx->err) != 0)
        return -1;
    if (webhook_store_attempts(ctx->db, id, RECENT_ATTEMPTS, &attempts, &ctx->err) != 0) {
        json_decref(out);
        return -1;
    }
    json_object_set_new(out, "recent_attempts", attempts);
    set_etag(ctx, out);
    return http_reply_json(ctx, 200, out);
}

static int patch_webhook(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "webhook");
    json_t *current = NULL, *out = NULL;
    char etag[32];
    int version;

    if (!id || !http_db(ctx))
        return -1;
    if (db_begin(ctx->db, &ctx->err) != 0 ||
        webhook_store_get(ctx->db, id, 1, &current, &ctx->err) != 0)
        return -1;
    version = (int)json_integer_value(json_object_get(current, "version"));
    json_decref(current);
    snprintf(etag, sizeof etag, "\"%d\"", version);
    if (http_require_if_match(ctx, etag) != 0)
        return -1;
    if (validate_object(ctx->body, patch_fields, "", 1, &ctx->err) != 0)
        return -1;
    if (json_object_size(ctx->body) == 0)
        return app_error_bad_request(&ctx->err, "The patch is empty.");
    check_semantics(ctx, ctx->body);
    if (ctx->err.status)
        return -1;
    if (webhook_store_update(ctx->db, id, version, ctx->body, &out, &ctx->err) != 0)
        return -1;
    if (http_record_change(ctx, webhook_change("webhook.update", id, 200)) != 0) {
        json_decref(out);
        return -1;
    }
    set_etag(ctx, out);
    return http_reply_json(ctx, 200, out);
}

static int delete_webhook(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "webhook");
    if (!id || !http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0)
        return -1;
    if (webhook_store_delete(ctx->db, id, &ctx->err) != 0 ||
        http_record_change(ctx, webhook_change("webhook.delete", id, 204)) != 0)
        return -1;
    return http_reply_json(ctx, 204, NULL);
}

static const struct http_route routes[] = {
    {"POST", "/v1/webhooks", ROLE_ADMIN, HTTP_BODY_JSON, NULL, create_webhook, NULL, 1},
    {"GET", "/v1/webhooks", ROLE_ADMIN, HTTP_BODY_NONE, "limit,cursor", list_webhooks, NULL, 0},
    {"GET", "/v1/webhooks/:id", ROLE_ADMIN, HTTP_BODY_NONE, NULL, get_webhook, NULL, 0},
    {"PATCH", "/v1/webhooks/:id", ROLE_ADMIN, HTTP_BODY_JSON, NULL, patch_webhook, NULL, 0},
    {"DELETE", "/v1/webhooks/:id", ROLE_ADMIN, HTTP_BODY_NONE, NULL, delete_webhook, NULL, 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

/* Request-body schemas, for the body fuzzer (internal/routes.c). */
static const struct vschema schemas[] = {
    {"webhooks.create", create_fields, 0, NULL},
    {"webhooks.patch", patch_fields, 1, NULL},
    {NULL, NULL, 0, NULL},
};

const struct vschema *webhooks_schemas(void)
{
    return schemas;
}

void webhooks_store_init(void)
{
    webhook_store_init();
}

const struct http_route *webhooks_routes(void)
{
    return routes;
}
