/* idempotency: Idempotency-Key support for creating POSTs. The key is
 * claimed inside the same transaction as the handler's writes, so a retry
 * after any failure either sees the first response or creates once; two
 * concurrent requests with one key serialise on the key's row. */
#ifndef CSO_IDEMPOTENCY_H
#define CSO_IDEMPOTENCY_H

#include "../http/http.h"

void idempotency_store_init(void);

/* Called before the handler. Returns 0 to run the handler (with a
 * transaction open on ctx->db when a key was claimed), 1 when a stored
 * response was replayed onto ctx->res, -1 with ctx->err set. */
int idempotency_begin(struct http_ctx *ctx);

/* Called after a successful handler when a key was claimed: stores the
 * response and commits. Returns 0, or -1 with ctx->err set. */
int idempotency_finish(struct http_ctx *ctx);

#endif
