/* matching: GET /v1/cases/{id}/matches ranks the directory's specialists
 * for a case (hard filters, weights and tie-breaks in score.h). Patients see
 * matches for their own cases, navigators and admins for any (case_access);
 * specialists are refused. Every read is audited: the ranking is derived from
 * the case's health information. The handler (matching.c) parses the limit
 * and calls matching_domain.h, which does the rest. */
#ifndef CSO_MATCHING_H
#define CSO_MATCHING_H

#include "../http/http.h"

void matching_init(void);
const struct http_route *matching_routes(void);

#endif
