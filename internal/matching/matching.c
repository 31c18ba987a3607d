#include "matching.h"

#include "../http/http_change.h"
#include "matching_domain.h"

#define MATCH_DEFAULT_LIMIT 10

void matching_init(void)
{
    matching_store_init();
}

static int get_matches(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    int limit;

    if (!case_id || http_query_limit(ctx, MATCH_DEFAULT_LIMIT, MATCH_MAX_LIMIT, &limit) != 0)
        return -1;
    if (!http_db(ctx) || matching_list_for_case(ctx->db, &by, case_id, limit, &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_json(ctx, 200, out);
}

static const struct http_route routes[] = {
    {"GET", "/v1/cases/:id/matches", ROLE_PATIENT | ROLES_STAFF, HTTP_BODY_NONE, "limit",
     get_matches, "case", 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

const struct http_route *matching_routes(void)
{
    return routes;
}
