/* directory: the provider directory over HTTP. Institutions (NCI-designated
 * cancer centers and other hospitals) are /v1/providers; the specialists who
 * review cases are /v1/specialists. Anyone signed in may read them (no
 * patient data); admins create, update (If-Match) and retire entries.
 * Retired entries keep their history and stay readable by id, but are hidden
 * from lists unless include_retired=true and are never matched.
 *
 * The handlers (directory.c) parse the request, call one function of
 * directory_domain.h, which keeps the directory's invariants, and render
 * what it returns. */
#ifndef CSO_DIRECTORY_H
#define CSO_DIRECTORY_H

#include "../http/http.h"
#include "../validate/validate.h"

void directory_init(void);
const struct http_route *directory_routes(void);

/* The request-body schemas of this module's routes (static; for the
 * body fuzzer, collected by routes_schemas() in internal/routes.c). */
const struct vschema *directory_schemas(void);

#endif
