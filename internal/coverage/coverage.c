#include "coverage.h"

#include "handlers.h"
#include "runner.h"

#define CHECKERS (ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN)

/* Specialists are refused coverage checks outright (403): insurance is no
 * business of a reviewer, even on a case they may see. */
static const struct http_route routes[] = {
    {"GET", "/v1/payers", ROLES_ALL, HTTP_BODY_NONE, "limit,cursor,kind,include_retired",
     payers_list, NULL, 0},
    {"POST", "/v1/payers", ROLE_ADMIN, HTTP_BODY_JSON, NULL, payers_create, NULL, 1},
    {"GET", "/v1/payers/:id", ROLES_ALL, HTTP_BODY_NONE, NULL, payers_get, NULL, 0},
    {"PATCH", "/v1/payers/:id", ROLE_ADMIN, HTTP_BODY_JSON, NULL, payers_update, NULL, 0},
    {"DELETE", "/v1/payers/:id", ROLE_ADMIN, HTTP_BODY_NONE, NULL, payers_retire, NULL, 0},
    /* Not idempotent on purpose: honouring Idempotency-Key would hold the
     * key's transaction open while the payer answers. A repeated inquiry is
     * harmless; it is stored as one more check. */
    {"POST", "/v1/cases/:id/coverage-checks", CHECKERS, HTTP_BODY_JSON, NULL,
     coverage_checks_create, "coverage_check", 0},
    {"GET", "/v1/cases/:id/coverage-checks", CHECKERS, HTTP_BODY_NONE, "limit,cursor",
     coverage_checks_list, "coverage_check", 0},
    {"GET", "/v1/cases/:id/coverage-checks/:check_id", CHECKERS, HTTP_BODY_NONE, NULL,
     coverage_checks_get, "coverage_check", 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

const struct http_route *coverage_routes(void)
{
    return routes;
}

void coverage_stop(int wait_ms)
{
    coverage_shutdown(wait_ms);
}
