#include "health.h"

static int healthz(struct http_ctx *ctx)
{
    return http_reply_json(ctx, 200, json_pack("{s:s}", "status", "ok"));
}

static int readyz(struct http_ctx *ctx)
{
    if (db_ping(ctx->app->pool) != 0)
        return app_error_unavailable(&ctx->err, "The database is not reachable.");
    return http_reply_json(ctx, 200, json_pack("{s:s,s:s}", "status", "ready", "database", "ok"));
}

static const struct http_route routes[] = {
    {"GET", "/healthz", 0, HTTP_BODY_NONE, NULL, healthz, NULL, 0},
    {"GET", "/readyz", 0, HTTP_BODY_NONE, NULL, readyz, NULL, 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

const struct http_route *health_routes(void)
{
    return routes;
}
