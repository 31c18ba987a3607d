#include "matching.h"

#include <stdio.h>
#include <string.h>

#include "../cases/case_access.h"
#include "matching_store.h"
#include "score.h"

#define MATCH_DEFAULT_LIMIT 10

void matching_init(void)
{
    matching_store_init();
}

/* An empty ranking always says why, most basic cause first. */
static json_t *no_match_reason(const struct match_criteria *crit, const struct match_shortfall *s)
{
    char detail[512];
    const char *code;
    if (s->reviewers == 0) {
        code = "no_reviewers";
        snprintf(detail, sizeof detail,
                 "No active specialist in the directory reviews %s at a center that sees "
                 "patients.",
                 crit->cancer_type_name);
    } else if (s->available == 0) {
        code = "none_available";
        snprintf(detail, sizeof detail,
                 "All %ld specialists who review %s are at capacity or not accepting new cases.",
                 s->reviewers, crit->cancer_type_name);
    } else if (!crit->location_known) {
        code = "patient_location_unknown";
        snprintf(detail, sizeof detail,
                 "The case limits travel to %d km but has no patient location, so no in-person "
                 "specialist can be shown to be close enough%s. Add the patient's location%s.",
                 crit->max_travel_km,
                 crit->telehealth_ok ? ", and none of the available ones offers telehealth" : "",
                 crit->telehealth_ok ? "" : " or accept telehealth");
    } else {
        code = "outside_travel_limit";
        snprintf(detail, sizeof detail,
                 "None of the %ld available specialists who review %s is within %d km of the "
                 "patient%s.",
                 s->available, crit->cancer_type_name, crit->max_travel_km,
                 crit->telehealth_ok ? " or offers telehealth"
                                     : ", and the patient does not accept telehealth");
    }
    return json_pack("{s:s,s:s}", "code", code, "detail", detail);
}

static int get_matches(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct db_conn *conn;
    struct case_ref ref;
    struct match_criteria crit;
    struct match_candidate *cands = NULL;
    int limit, n = 0, i;
    json_t *items, *out;

    if (!case_id || http_query_limit(ctx, MATCH_DEFAULT_LIMIT, MATCH_MAX_LIMIT, &limit) != 0)
        return -1;
    if (!(conn = http_db(ctx)) || case_access(conn, &ctx->who, case_id, 0, &ref, &ctx->err) != 0)
        return -1;
    if (matching_rank(conn, case_id, limit, &crit, &cands, &n, &ctx->err) != 0)
        return -1;
    if (!crit.json)
        return app_error_not_found(&ctx->err, "case");
    items = json_array();
    for (i = 0; i < n; i++) {
        struct match_candidate *c = &cands[i];
        json_t *distance = c->row.distance_known
                               ? json_real(match_distance_shown(c->row.distance_km))
                               : json_null();
        json_t *item = json_pack("{s:i,s:i,s:o,s:O,s:o}", "rank", i + 1, "score",
                                 match_score(&c->row), "distance_km", distance, "specialist",
                                 c->specialist, "reasons", match_reasons(&c->row));
        json_array_append_new(items, item);
    }
    matching_candidates_free(cands, n);
    out = json_pack("{s:s,s:o,s:o}", "case_id", case_id, "criteria", crit.json, "items", items);
    if (n == 0) {
        struct match_shortfall shortfall;
        if (matching_shortfall(conn, case_id, &shortfall, &ctx->err) != 0) {
            json_decref(out);
            return -1;
        }
        json_object_set_new(out, "no_match_reason", no_match_reason(&crit, &shortfall));
    } else {
        json_object_set_new(out, "no_match_reason", json_null());
    }
    if (http_audit_success(ctx, "case.matches.read", "case", case_id, case_id) != 0) {
        json_decref(out);
        return -1;
    }
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
