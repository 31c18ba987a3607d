/* webhooks: admin-registered endpoints that receive the events feed.
 *
 * Admins register a URL, a shared secret and the event types they want
 * (POST /v1/webhooks); the delivery worker (worker.h) POSTs each matching
 * event to it, signed with the secret (outbound.h), in feed order, retrying
 * with back-off. The secret is never returned, only a fingerprint. Every
 * change to a subscription writes an audit row. */
#ifndef CSO_WEBHOOKS_H
#define CSO_WEBHOOKS_H

#include "../http/http.h"
#include "../validate/validate.h"

void webhooks_store_init(void);

/* Routes: /v1/webhooks and /v1/webhooks/:id (admins only). */
const struct http_route *webhooks_routes(void);

/* The request-body schemas of this module's routes (static; for the
 * body fuzzer, collected by routes_schemas() in internal/routes.c). */
const struct vschema *webhooks_schemas(void);

#endif
