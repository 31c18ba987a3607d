#include "score.h"

static const char *const factor_names[MATCH_FACTOR_COUNT] = {
    "nci_designation", "rare_cancer_center", "in_network", "distance",
    "telehealth",      "language",           "turnaround", "load",
};

const char *match_factor_name(enum match_factor f)
{
    return f >= 0 && f < MATCH_FACTOR_COUNT ? factor_names[f] : "unknown";
}

/* Half-up rounding of a non-negative value to 1/scale (no libm needed). */
static double round_to(double x, double scale)
{
    return (double)(long long)(x * scale + 0.5) / scale;
}

double match_distance_shown(double km)
{
    return round_to(km, 10.0);
}

int match_score(const struct match_row *r)
{
    int total = 0;
    for (int f = 0; f < MATCH_FACTOR_COUNT; f++)
        total += r->points[f];
    return total;
}

static json_t *factor_value(const struct match_row *r, enum match_factor f)
{
    switch (f) {
    case MATCH_NCI_DESIGNATION:
        return json_string(r->designation);
    case MATCH_RARE_CANCER_CENTER:
        return json_boolean(r->rare_at_comprehensive);
    case MATCH_IN_NETWORK:
        return json_string(r->network);
    case MATCH_DISTANCE:
        /* one decimal: the coordinates are city points, not addresses */
        return r->distance_known ? json_real(match_distance_shown(r->distance_km)) : json_null();
    case MATCH_TELEHEALTH:
        return json_boolean(r->telehealth);
    case MATCH_LANGUAGE:
        return r->language[0] ? json_string(r->language) : json_null();
    case MATCH_TURNAROUND:
        return json_integer(r->turnaround_days);
    case MATCH_LOAD:
        return json_real(r->capacity > 0 ? round_to((double)r->open_cases / r->capacity, 100.0)
                                         : 1.0);
    case MATCH_FACTOR_COUNT:
        break;
    }
    return json_null();
}

json_t *match_reasons(const struct match_row *r)
{
    json_t *out = json_array();
    for (int f = 0; f < MATCH_FACTOR_COUNT; f++)
        json_array_append_new(out, json_pack("{s:s,s:o,s:i}", "factor", factor_names[f], "value",
                                             factor_value(r, (enum match_factor)f), "points",
                                             r->points[f]));
    return out;
}
