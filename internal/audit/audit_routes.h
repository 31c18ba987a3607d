/* audit_routes: the HTTP face of the audit trail, GET /v1/audit-events
 * (admins). A handler file: it reads the request with the internal/http
 * helpers and reads the trail through audit_list (audit.h). */
#ifndef CSO_AUDIT_ROUTES_H
#define CSO_AUDIT_ROUTES_H

#include "../http/http.h"

/* The route table, NULL-method terminated; static, owned by this module. */
const struct http_route *audit_routes(void);

#endif
