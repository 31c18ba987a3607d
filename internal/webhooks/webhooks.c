#include "webhooks.h"

#include <stdio.h>

#include "../http/http_change.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "webhook_domain.h"
#include "webhook_store.h"

static int allow_private(const struct http_ctx *ctx)
{
    return ctx->app->cfg->webhook_allow_private;
}

static int create_webhook(struct http_ctx *ctx)
{
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    char loc[64];

    if (validate_object(ctx->body, webhook_create_fields, "", 0, &ctx->err) != 0 || !http_db(ctx) ||
        webhook_create(ctx->db, &by, ctx->body, allow_private(ctx), &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    snprintf(loc, sizeof loc, "/v1/webhooks/%s", json_string_value(json_object_get(out, "id")));
    http_set_header(ctx, "Location", loc);
    return http_reply_versioned(ctx, 201, out);
}

static int list_webhooks(struct http_ctx *ctx)
{
    const struct caller by = http_caller(ctx);
    const char *cursor = http_query(ctx, "cursor");
    char key[64] = "", cid[64] = "";
    json_t *items = NULL, *out;
    int limit, more = 0;

    if (http_query_limit(ctx, 50, 200, &limit) != 0)
        return -1;
    if (cursor && http_cursor_decode(ctx, cursor, key, sizeof key, cid, sizeof cid) == 0 &&
        (!datetime_is_valid(key) || !uuid_is_valid(cid)))
        app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
    if (ctx->err.status || !http_db(ctx) ||
        webhook_list(ctx->db, &by, cursor ? key : NULL, cursor ? cid : NULL, limit, &items, &more,
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
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    if (!id || !http_db(ctx) || webhook_read(ctx->db, &by, id, &out, &ctx->err) != 0)
        return -1;
    return http_reply_versioned(ctx, 200, out);
}

/* The body is not validated here: the domain looks at it only after the
 * subscription and its precondition (webhook_update). */
static int patch_webhook(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "webhook");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    if (!id || !http_db(ctx) ||
        webhook_update(ctx->db, &by, id, http_header(ctx, "If-Match"), ctx->body,
                       allow_private(ctx), &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_versioned(ctx, 200, out);
}

static int delete_webhook(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "webhook");
    const struct caller by = http_caller(ctx);
    if (!id || !http_db(ctx) || webhook_delete(ctx->db, &by, id, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
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
    {"webhooks.create", webhook_create_fields, 0, NULL},
    {"webhooks.patch", webhook_patch_fields, 1, NULL},
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
