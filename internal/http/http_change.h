/* http_change: the handler's side of the change recorder
 * (internal/change) and of the domain functions that use it: the request's
 * caller, recording a change on the request's connection so that the
 * dispatcher knows it is audited, and replying with a versioned document a
 * domain function returned. */
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

/* Replies with doc (taken, as http_reply_json takes its body) and sets its
 * ETag from doc's "version" member, for resources whose ETag is their
 * version. Always returns 0. */
int http_reply_versioned(struct http_ctx *ctx, int status, json_t *doc);

#endif
