/* assignments: asking a specialist to review a case, and their answer.
 *   POST/GET /v1/cases/{id}/assignments, GET /v1/assignments,
 *   GET /v1/assignments/{id}, POST /v1/assignments/{id}/accept|decline,
 *   PUT/DELETE /v1/assignments/{id}/consultation.
 * Navigators and admins assign any available specialist; a patient may
 * assign one of their own case's matches. Accepting moves the case from
 * submitted to in_review; declining frees the case (and the slot) for
 * another specialist. */
#ifndef CSO_ASSIGNMENTS_H
#define CSO_ASSIGNMENTS_H

#include "../http/http.h"
#include "../validate/validate.h"

void assignments_store_init(void);
const struct http_route *assignments_routes(void);

/* Whether who may see assignment id (its case is visible to them, and a
 * specialist's own): 0, or -1 with err set (404 "assignment" when not).
 * An http_visible_fn for /v1/assignments/:id. */
int assignment_visible(struct db_conn *db, const struct principal *who, const char *id,
                       struct app_error *err);

/* The request-body schemas of this module's routes (static; for the
 * body fuzzer, collected by routes_schemas() in internal/routes.c). */
const struct vschema *assignments_schemas(void);

#endif
