/* assignments: asking a specialist to review a case, and their answer.
 *   POST/GET /v1/cases/{id}/assignments, GET /v1/assignments,
 *   GET /v1/assignments/{id}, POST /v1/assignments/{id}/accept|decline,
 *   PUT/DELETE /v1/assignments/{id}/consultation.
 * Navigators and admins assign any available specialist; a patient may
 * assign one of their own case's matches. Accepting moves the case from
 * submitted to in_review; declining frees the case (and the slot) for
 * another specialist. The handlers here parse and render; the rules live
 * in assignment_domain.h. */
#ifndef CSO_ASSIGNMENTS_H
#define CSO_ASSIGNMENTS_H

#include "../http/http.h"
#include "../validate/validate.h"

void assignments_store_init(void);
const struct http_route *assignments_routes(void);

/* Request-body schemas, for the body fuzzer (internal/routes.c). */
const struct vschema *assignments_schemas(void);

#endif
