#include "matching_domain.h"

#include <stdio.h>

#include "../cases/case_access.h"
#include "score.h"

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

/* The ranked candidates as the API shows them. */
static json_t *items_of(const struct match_candidate *cands, int n)
{
    json_t *items = json_array();
    int i;
    for (i = 0; i < n; i++) {
        const struct match_candidate *c = &cands[i];
        json_t *distance = c->row.distance_known
                               ? json_real(match_distance_shown(c->row.distance_km))
                               : json_null();
        json_t *item = json_pack("{s:i,s:i,s:o,s:O,s:o}", "rank", i + 1, "score",
                                 match_score(&c->row), "distance_km", distance, "specialist",
                                 c->specialist, "reasons", match_reasons(&c->row));
        json_array_append_new(items, item);
    }
    return items;
}

int matching_list_for_case(struct db_conn *db, const struct caller *by, const char *case_id,
                           int limit, json_t **out, struct app_error *err)
{
    struct case_ref ref;
    struct match_criteria crit;
    struct match_candidate *cands = NULL;
    json_t *doc, *reason = json_null();
    int n = 0;

    if (case_access(db, by->who, case_id, 0, &ref, err) != 0 ||
        matching_rank(db, case_id, limit, &crit, &cands, &n, err) != 0)
        return -1;
    if (!crit.json)
        return app_error_not_found(err, "case");
    doc = json_pack("{s:s,s:o,s:o}", "case_id", case_id, "criteria", crit.json, "items",
                    items_of(cands, n));
    matching_candidates_free(cands, n);
    if (n == 0) {
        struct match_shortfall shortfall;
        if (matching_shortfall(db, case_id, &shortfall, err) != 0) {
            json_decref(doc);
            return -1;
        }
        reason = no_match_reason(&crit, &shortfall);
    }
    json_object_set_new(doc, "no_match_reason", reason);
    if (change_record_read(db, by, "case.matches.read", "case", case_id, case_id, err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}
