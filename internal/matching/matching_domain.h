/* matching_domain: a case's matches, below the handler (matching.c). The
 * ranking (hard filters, weights and tie-breaks in score.h, one statement
 * in matching_store.c) is derived from the case's health information, so
 * it is shown only to those who may see the case (case_access) and every
 * read of it is audited.
 *
 * Takes a database connection, the caller and an error, never an HTTP
 * context. The document it returns is a new reference owned by the caller
 * of the function (json_decref). */
#ifndef CSO_MATCHING_DOMAIN_H
#define CSO_MATCHING_DOMAIN_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../change/change.h"
#include "../db/db.h"
#include "matching_store.h"

/* The best limit (1..MATCH_MAX_LIMIT) specialists for case_id, best
 * first: *out is {case_id, criteria, items [{rank, score, distance_km,
 * specialist, reasons}], no_match_reason} (the reason, most basic cause
 * first, only when items is empty). 404 "case" when by may not see it.
 * The read is audited. Returns 0, or -1 with err set. */
int matching_list_for_case(struct db_conn *db, const struct caller *by, const char *case_id,
                           int limit, json_t **out, struct app_error *err);

#endif
