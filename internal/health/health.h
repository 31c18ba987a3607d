/* health: liveness and readiness probes for load balancers and
 * orchestrators. Neither needs a token nor touches patient data. */
#ifndef CSO_HEALTH_H
#define CSO_HEALTH_H

#include "../http/http.h"

/* GET /healthz (process alive) and GET /readyz (database reachable). */
const struct http_route *health_routes(void);

#endif
