/* http_change: the handler's side of the change recorder
 * (internal/change): the request's caller, and recording a change on the
 * request's connection so that the dispatcher knows it is audited. */
#ifndef CSO_HTTP_CHANGE_H
#define CSO_HTTP_CHANGE_H

#include "../change/change.h"
#include "http.h"

/* The caller of this request: borrows ctx's principal and request id, so it
 * lives as long as ctx. */
struct caller http_caller(const struct http_ctx *ctx);

/* change_record of c (taken by value, so that a change_one(...) can be
 * passed as it is) on ctx's connection (a transaction must be open on it),
 * for ctx's caller; marks the request audited. Returns 0, or -1 with
 * ctx->err set and nothing committed. */
int http_record_change(struct http_ctx *ctx, struct change c);

#endif
