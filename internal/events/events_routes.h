/* events_routes: the HTTP face of the event feed, GET /v1/events
 * (navigators and admins). A handler file: it reads the request with the
 * internal/http helpers and the feed through events_feed_read (events.h). */
#ifndef CSO_EVENTS_ROUTES_H
#define CSO_EVENTS_ROUTES_H

#include "../http/http.h"

/* The route table, NULL-method terminated; static, owned by this module. */
const struct http_route *events_routes(void);

#endif
