/* routes: the list of every module's route table and store registration,
 * so that main and the tests agree on what the service serves. */
#ifndef CSO_ROUTES_H
#define CSO_ROUTES_H

#include "http/http.h"
#include "validate/validate.h"

/* Registers every module's prepared statements with the db module. */
void routes_store_init(void);

/* Lets modules finish background work once the HTTP server has stopped
 * and before the database pool closes. */
void routes_stop(void);

/* NULL-terminated array of route tables. */
const struct http_route *const *routes_all(void);

/* The owner-scoped objects (struct http_scope), NULL-prefix terminated: a
 * case, an assignment, an opinion, each with the visibility rule of its
 * module. */
const struct http_scope *routes_scopes(void);

/* NULL-terminated array of every module's request-body schema list (see
 * struct vschema). A module with JSON bodies adds its list here, next to
 * its route table, so the body fuzzer checks it too. */
const struct vschema *const *routes_schemas(void);

#endif
