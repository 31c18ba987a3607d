/* webhook_domain: webhook subscriptions, below the handlers (webhooks.c).
 * Admins register a URL, a shared secret and the event types they want;
 * the delivery worker (worker.h) sends the feed there. The secret is never
 * returned, only a fingerprint. Who points the service's outbound traffic
 * where is a security question, so every change to a subscription is
 * audited (it emits no event: a subscription belongs to no case); reads
 * are not (no patient data).
 *
 * Every function takes a database connection, the caller and an error,
 * never an HTTP context, and commits its own changes. A subscription it
 * hands out (*out) is a new reference owned by the caller of the function
 * (json_decref), carrying its "version", the ETag's value. Every function
 * returns 0, or -1 with err set and nothing committed.
 *
 * A URL that is well formed but points where the service does not send
 * (its host does not resolve, or an answer is not a public address: see
 * outbound.h) is a 422 destination-not-allowed, the reason under "url".
 * allow_private (the webhook_allow_private setting) skips that check, and
 * the resolution with it: for tests and private deployments only. */
#ifndef CSO_WEBHOOK_DOMAIN_H
#define CSO_WEBHOOK_DOMAIN_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../change/change.h"
#include "../db/db.h"
#include "../validate/validate.h"

/* The bodies of POST and PATCH /v1/webhooks/{id} (static): what a
 * subscription may hold. The server's own members (id, fingerprint,
 * counters, times) are refused in both, so that a client echoing a read
 * back learns they are not writable. */
extern const struct vfield webhook_create_fields[];
extern const struct vfield webhook_patch_fields[];

/* Registers a subscription from a body whose shape is valid
 * (webhook_create_fields): the URL may be called, the secret is not weak,
 * the event type patterns are valid and not repeated (a field error each).
 * *out: the new subscription. */
int webhook_create(struct db_conn *db, const struct caller *by, const json_t *body,
                   int allow_private, json_t **out, struct app_error *err);

/* A page of the subscriptions, newest first, after the keyset cursor
 * (after_created, after_id; NULLs: from the start). *items: an array with
 * "_cursor_key" members for http_set_next_cursor; *more: 1 when another
 * page follows. */
int webhook_list(struct db_conn *db, const struct caller *by, const char *after_created,
                 const char *after_id, int limit, json_t **items, int *more, struct app_error *err);

/* One subscription (404 "webhook") with its recent delivery attempts. */
int webhook_read(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                 struct app_error *err);

/* Applies patch, a merge patch as sent, under If-Match (if_match: the
 * header as sent, or NULL). The subscription and the precondition answer
 * first (404, 428, 412), then the patch: its shape (webhook_patch_fields,
 * not empty) and the rules of create. Re-activating it or a new URL clears
 * its failures and makes it due now. */
int webhook_update(struct db_conn *db, const struct caller *by, const char *id,
                   const char *if_match, const json_t *patch, int allow_private, json_t **out,
                   struct app_error *err);

/* Deletes a subscription (404 "webhook" when there is none) and its
 * attempts. */
int webhook_delete(struct db_conn *db, const struct caller *by, const char *id,
                   struct app_error *err);

#endif
