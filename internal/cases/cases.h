/* cases: case intake and the status workflow.
 *   POST/GET /v1/cases, GET/PATCH /v1/cases/{id},
 *   POST /v1/cases/{id}/submit|withdraw|close, GET /v1/cases/{id}/history,
 *   GET /v1/cases/{id}/checklist, GET /v1/cancer-types, GET /v1/specialties.
 * Workflow: draft -> submitted -> in_review -> opinion_ready -> closed, and
 * withdrawn from any state before closed; the moves are internal/workflow's
 * (in_review and opinion_ready are entered when a specialist accepts and
 * signs). The handlers here parse and render; the rules live in
 * case_domain.h. */
#ifndef CSO_CASES_H
#define CSO_CASES_H

#include "../http/http.h"
#include "../validate/validate.h"

void cases_store_init(void);
const struct http_route *cases_routes(void);
/* A cancer stage as a case and a reviewer's opinion both state it:
 * {"unknown", "system" (ajcc8, ajcc7, figo, ann_arbor, iss, other), "t", "n",
 * "m", "group"}. Static, NULL-name terminated. */
extern const struct vfield case_stage_fields[];

/* The request-body schemas of the cases routes (static; for the fuzzer). */
const struct vschema *cases_schemas(void);

#endif
