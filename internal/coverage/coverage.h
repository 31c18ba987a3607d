/* coverage: the insurance-coverage lookup. A payer catalog admins manage
 * (GET/POST /v1/payers, GET/PATCH/DELETE /v1/payers/{id}) and coverage
 * checks on a case (POST/GET /v1/cases/{id}/coverage-checks, GET
 * .../coverage-checks/{check_id}): an eligibility inquiry run through the
 * payer's adapter (adapter.h) and stored with its answer. Member ids and
 * answers are patient data: case_access() decides who sees them, every
 * access is audited, and the raw adapter payload is shown to admins only. */
#ifndef CSO_COVERAGE_H
#define CSO_COVERAGE_H

#include "../http/http.h"
#include "../validate/validate.h"

/* Registers the module's prepared statements, the stub adapter's
 * included (defined in coverage_store.c, declared in coverage_store.h too:
 * this header is the module's face to internal/routes.c). */
void coverage_store_init(void);

/* The module's routes (coverage.c; a static table the caller must not
 * free). */
const struct http_route *coverage_routes(void);

/* Waits (up to wait_ms) for eligibility inquiries still running in the
 * background; call after the HTTP server stopped and before the pool
 * closes. */
void coverage_stop(int wait_ms);

/* The request-body schemas of this module's routes (static; for the
 * body fuzzer, collected by routes_schemas() in internal/routes.c), each
 * defined beside its handlers: checks in checks.c, payers in payers.c. */
const struct vschema *coverage_check_schemas(void);
const struct vschema *coverage_payer_schemas(void);

#endif
