#include "http_change.h"

struct caller http_caller(const struct http_ctx *ctx)
{
    return (struct caller){&ctx->who, ctx->request_id};
}

int http_record_change(struct http_ctx *ctx, struct change c)
{
    const struct caller by = http_caller(ctx);
    if (!http_db(ctx) || change_record(ctx->db, &by, &c, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return 0;
}

int http_reply_versioned(struct http_ctx *ctx, int status, json_t *doc)
{
    http_set_etag_of(ctx, doc);
    return http_reply_json(ctx, status, doc);
}
