/* opinions: what the reviewing specialist writes, and what follows it.
 *   POST/GET /v1/cases/{id}/opinions, GET/PATCH /v1/opinions/{id}
 *   (GET with Accept: application/pdf renders the report),
 *   POST /v1/opinions/{id}/sign, POST /v1/opinions/{id}/amendments,
 *   POST /v1/cases/{id}/acknowledge, GET /v1/cases/{id}/acknowledgement,
 *   POST /v1/cases/{id}/third-opinion.
 * The specialist of the accepted assignment drafts the opinion while the
 * case is in_review and signs it, which completes the assignment and moves
 * the case to opinion_ready. A signed opinion never changes; corrections are
 * amendments. A third opinion is a new case (the next round) with the same
 * records, whose reviewer reads the earlier rounds' signed opinions. The
 * handlers here parse and render; the rules live in opinion_domain.h. */
#ifndef CSO_OPINIONS_H
#define CSO_OPINIONS_H

#include "../http/http.h"
#include "../validate/validate.h"

void opinions_store_init(void);
const struct http_route *opinions_routes(void);

/* The request-body schemas of this module's routes (static; for the
 * body fuzzer, collected by routes_schemas() in internal/routes.c). */
const struct vschema *opinions_schemas(void);

#endif
