/* matching_store: the SQL behind GET /v1/cases/{id}/matches. One statement
 * applies the hard filters, computes each factor's points (score.h) and
 * returns only the top `limit` rows, so no request ever reads the directory
 * into memory. Callers check case visibility (case_access) first. */
#ifndef CSO_MATCHING_STORE_H
#define CSO_MATCHING_STORE_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../db/db.h"
#include "score.h"

/* The most specialists one ranking returns. */
#define MATCH_MAX_LIMIT 50

void matching_store_init(void);

/* What the case asks for, as shown back in the response ("criteria"). */
struct match_criteria {
    json_t *json; /* owned: the criteria object */
    char cancer_type_name[200];
    int telehealth_ok;
    int has_travel_limit;
    int max_travel_km;
    int location_known;
};

/* A ranked candidate: factor inputs and points, plus the specialist summary
 * (owned JSON object). */
struct match_candidate {
    struct match_row row;
    json_t *specialist;
};

/* Ranks the case in one statement: fills *criteria (criteria->json NULL
 * when there is no such case; otherwise owned by the caller) and the best
 * `limit` (1..MATCH_MAX_LIMIT) specialists, best first, as a malloc'd array
 * *out of *count candidates (free with matching_candidates_free). */
int matching_rank(struct db_conn *conn, const char *case_id, int limit,
                  struct match_criteria *criteria, struct match_candidate **out, int *count,
                  struct app_error *err);
void matching_candidates_free(struct match_candidate *list, int count);

/* 1 when the specialist passes the case's hard filters, i.e. would be among
 * its matches with a large enough limit (the same SQL building blocks as
 * match_rank); 0 when not, or when there is no such case; -1 with err. */
int matching_is_candidate(struct db_conn *conn, const char *case_id, const char *specialist_id,
                          struct app_error *err);

/* Why nothing matched: how many active specialists review the case's cancer
 * type at institutions that see patients, and how many of those are
 * accepting and below capacity. */
struct match_shortfall {
    long reviewers;
    long available;
};
int matching_shortfall(struct db_conn *conn, const char *case_id, struct match_shortfall *out,
                       struct app_error *err);

#endif
