/* Handlers of the coverage module, shared between its files. */
#ifndef CSO_COVERAGE_HANDLERS_H
#define CSO_COVERAGE_HANDLERS_H

#include "../http/http.h"

int payers_list(struct http_ctx *ctx);
int payers_get(struct http_ctx *ctx);
int payers_create(struct http_ctx *ctx);
int payers_update(struct http_ctx *ctx);
int payers_retire(struct http_ctx *ctx);

int coverage_checks_create(struct http_ctx *ctx);
int coverage_checks_list(struct http_ctx *ctx);
int coverage_checks_get(struct http_ctx *ctx);

#endif
