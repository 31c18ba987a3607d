/* The coverage module's handlers, declared here for the one table that
 * uses them: the routes in coverage.c. They live apart by resource, the
 * payer catalog in payers.c (payers_*) and coverage checks in checks.c
 * (coverage_checks_*), each file beside its body schema; nothing outside
 * internal/coverage includes this header.
 *
 * Each follows the http.h handler contract: it replies with
 * http_reply_json, which takes the body it is given, and returns 0; or it
 * returns -1 with ctx->err set and the dispatcher renders the problem. Each
 * parses the request, calls one function of coverage_domain.h (the rules,
 * the audit trail and the commits) and renders the document it returns;
 * the handlers own nothing after they return. */
#ifndef CSO_COVERAGE_HANDLERS_H
#define CSO_COVERAGE_HANDLERS_H

#include "../http/http.h"

/* payers.c */
int payers_list(struct http_ctx *ctx);
int payers_get(struct http_ctx *ctx);
int payers_create(struct http_ctx *ctx);
int payers_update(struct http_ctx *ctx);
int payers_retire(struct http_ctx *ctx);

/* checks.c */
int coverage_checks_create(struct http_ctx *ctx);
int coverage_checks_list(struct http_ctx *ctx);
int coverage_checks_get(struct http_ctx *ctx);

#endif
