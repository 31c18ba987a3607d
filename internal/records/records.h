/* records: the records a reviewer needs, attached to a case.
 *   POST/GET /v1/cases/{id}/documents            upload (raw bytes) / list
 *   GET/PATCH/DELETE /v1/cases/{id}/documents/{doc}   metadata / edit / remove
 *   GET /v1/cases/{id}/documents/{doc}/content   the stored bytes
 *   POST /v1/cases/{id}/slides                   physical slides (shipment status, no bytes)
 *   GET/POST /v1/cases/{id}/medications, GET/DELETE /v1/cases/{id}/medications/{med}
 * Who sees them is case_access(); patients (own case), navigators and admins
 * add, change and remove them while the case is open for records
 * (workflow_takes_records); assigned specialists read. Every read and write is
 * audited; every write emits an event in the same transaction. The handlers
 * here parse and render; the rules live in record_domain.h. */
#ifndef CSO_RECORDS_H
#define CSO_RECORDS_H

#include "../http/http.h"
#include "../validate/validate.h"

void records_store_init(void);
const struct http_route *records_routes(void);

/* The request-body schemas of this module's routes (static; for the
 * body fuzzer, collected by routes_schemas() in internal/routes.c). */
const struct vschema *records_schemas(void);

#endif
