/* directory filter: the query parameters of GET /v1/providers and
 * GET /v1/specialists, parsed and checked without the database. Every bad
 * value becomes a per-field 400 (all of them at once); names that must exist
 * (cancer type, specialty, payer) are checked afterwards by the store. */
#ifndef CSO_DIRECTORY_FILTER_H
#define CSO_DIRECTORY_FILTER_H

#include <jansson.h>

#include "../apperr/apperr.h"

/* Largest `within_km`: half the Earth's circumference, i.e. anywhere. */
#define DIRECTORY_MAX_WITHIN_KM 20038.0

struct directory_filter {
    /* Text filters: "" when absent. */
    char cancer_type[65];    /* a cancer_types code the entry reviews */
    char designations[80];   /* text[] literal, e.g. "{comprehensive,none}"; "none" = not NCI */
    char state[3];           /* USPS code */
    char payer_id[37];       /* accepted payer (uuid, lowercase) */
    char language[4];        /* ISO 639 code the specialist speaks */
    char specialty[65];      /* specialties code (specialists only) */
    char institution_id[37]; /* one institution's specialists (specialists only) */
    /* Boolean filters: -1 when absent, else 0 or 1. */
    int telehealth;
    int accepting;
    int include_retired; /* 0 or 1 */
    /* near=lat,lon orders by distance; within_km (needs near) cuts off. */
    int has_near;
    double near_lat, near_lon;
    int has_within;
    double within_km;
};

/* Reads the filters present in query (an object of key -> string, or NULL
 * for none, as the dispatcher leaves it). Returns 0, or -1 after adding a
 * field error for every bad value to err. */
int directory_filter_parse(const json_t *query, struct directory_filter *out,
                           struct app_error *err);

/* Whether any filter that applies to specialists is set (the providers list
 * then keeps institutions having at least one such active specialist). */
int directory_filter_has_specialist_terms(const struct directory_filter *f);

/* 1 when code is a USPS state, district or territory code. */
int directory_state_is_valid(const char *code);

/* 1 when s is a lowercase ISO 639-1/639-2 language code (2 or 3 letters). */
int directory_language_is_valid(const char *s);

/* 1 when s looks like a reference code (^[a-z0-9_]{1,64}$). */
int directory_code_is_valid(const char *s);

#endif
