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
 * records, whose reviewer reads the earlier rounds' signed opinions. */
#ifndef CSO_OPINIONS_H
#define CSO_OPINIONS_H

#include "../http/http.h"
#include "../validate/validate.h"

void opinions_store_init(void);
const struct http_route *opinions_routes(void);

/* Whether who may read opinion id (the rule of GET /v1/opinions/{id}): 0, or
 * -1 with err set (404 "opinion" when not). An http_visible_fn for
 * /v1/opinions/:id. */
int opinion_visible(struct db_conn *db, const struct principal *who, const char *id,
                    struct app_error *err);

/* The request-body schemas of this module's routes (static; for the
 * body fuzzer, collected by routes_schemas() in internal/routes.c). */
const struct vschema *opinions_schemas(void);

#endif
