/* score: how GET /v1/cases/{id}/matches ranks specialists, in one place.
 *
 * Hard filters (a specialist failing any of them is never listed):
 *   - reviews the case's cancer type (specialist_cancer_types);
 *   - not retired, accepting new cases, open_cases < capacity;
 *   - at an institution that is not retired, sees patients and is not a
 *     basic-laboratory center;
 *   - travel: telehealth is acceptable to the patient (cases.telehealth_ok)
 *     and offered by the specialist, OR the case has no travel limit
 *     (max_travel_km NULL), OR the institution is within max_travel_km of the
 *     patient. When the patient's location is unknown (patient_lat/lon NULL)
 *     and there is a travel limit, an in-person-only specialist cannot be
 *     shown to be within it and is left out; telehealth still qualifies.
 *
 * Score: the sum of whole points per factor below (maximum 105). Every
 * match lists every factor with its value and points, so a navigator can
 * explain the order. The SQL in matching_store.c computes the points from
 * these very constants (stringified at compile time), so the weights exist
 * only here.
 *
 *   nci_designation      comprehensive 30, clinical 15, not NCI-designated 0
 *   rare_cancer_center   +20 when the case's cancer type is rare
 *                        (cancer_types.rare) and the center is comprehensive
 *   in_network           +15 when the institution is in the network of the
 *                        plan of the case's latest active coverage check;
 *                        0 when out of network or unknown (no such check)
 *   distance             <= 50 km 10, <= 150 km 7, <= 400 km 4,
 *                        <= 1000 km 2, farther or unknown 0
 *   telehealth           +5 when offered and acceptable to the patient
 *   language             +10 speaks the patient's preferred language,
 *                        +5 speaks another language the case lists, else 0
 *   turnaround           <= 5 days 10, <= 10 days 6, <= 20 days 3, else 0
 *   load                 open/capacity < 50 % 5, < 80 % 3, else 0
 *
 * Ties: higher score, then shorter turnaround, then nearer (unknown
 * distance last), then specialist id, so the same request always gives the
 * same order. */
#ifndef CSO_MATCHING_SCORE_H
#define CSO_MATCHING_SCORE_H

#include <jansson.h>

#define MATCH_POINTS_NCI_COMPREHENSIVE 30
#define MATCH_POINTS_NCI_CLINICAL 15
#define MATCH_POINTS_RARE_AT_COMPREHENSIVE 20
#define MATCH_POINTS_IN_NETWORK 15
#define MATCH_KM_TIER1 50
#define MATCH_POINTS_KM_TIER1 10
#define MATCH_KM_TIER2 150
#define MATCH_POINTS_KM_TIER2 7
#define MATCH_KM_TIER3 400
#define MATCH_POINTS_KM_TIER3 4
#define MATCH_KM_TIER4 1000
#define MATCH_POINTS_KM_TIER4 2
#define MATCH_POINTS_TELEHEALTH 5
#define MATCH_POINTS_LANGUAGE_PREFERRED 10
#define MATCH_POINTS_LANGUAGE_SPOKEN 5
#define MATCH_DAYS_TIER1 5
#define MATCH_POINTS_DAYS_TIER1 10
#define MATCH_DAYS_TIER2 10
#define MATCH_POINTS_DAYS_TIER2 6
#define MATCH_DAYS_TIER3 20
#define MATCH_POINTS_DAYS_TIER3 3
/* load tiers as percent of capacity, compared in integers */
#define MATCH_LOAD_TIER1_PERCENT 50
#define MATCH_POINTS_LOAD_TIER1 5
#define MATCH_LOAD_TIER2_PERCENT 80
#define MATCH_POINTS_LOAD_TIER2 3

#define MATCH_SQL_INT_(x) #x
/* A weight as an SQL literal: MATCH_SQL_INT(MATCH_POINTS_TELEHEALTH) -> "5". */
#define MATCH_SQL_INT(x) MATCH_SQL_INT_(x)

enum match_factor {
    MATCH_NCI_DESIGNATION,
    MATCH_RARE_CANCER_CENTER,
    MATCH_IN_NETWORK,
    MATCH_DISTANCE,
    MATCH_TELEHEALTH,
    MATCH_LANGUAGE,
    MATCH_TURNAROUND,
    MATCH_LOAD,
    MATCH_FACTOR_COUNT
};

/* The factor's name in responses, e.g. "nci_designation". */
const char *match_factor_name(enum match_factor f);

/* One ranked candidate: the factor inputs as the navigator should see them
 * and the points the database gave each factor. */
struct match_row {
    char designation[20]; /* "comprehensive", "clinical" or "none" */
    int rare_at_comprehensive;
    char network[16]; /* "in_network", "out_of_network" or "unknown" */
    int distance_known;
    double distance_km;
    int telehealth;   /* offered and acceptable */
    char language[4]; /* the matching language, or "" */
    int turnaround_days;
    int open_cases, capacity;
    int points[MATCH_FACTOR_COUNT];
};

/* A distance as responses show it: km to one decimal (the coordinates are
 * city points, not addresses). */
double match_distance_shown(double km);

/* Sum of the factor points. */
int match_score(const struct match_row *r);

/* The reasons array, one {"factor","value","points"} per factor in enum
 * order. Returns a new reference. */
json_t *match_reasons(const struct match_row *r);

#endif
