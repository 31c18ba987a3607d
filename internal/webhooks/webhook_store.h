/* webhook_store: SQL for webhook subscriptions and delivery attempts - the
 * admin API's reads and writes and the delivery worker's claim/record
 * cycle. Representations are rendered by PostgreSQL (WEBHOOK_JSON in
 * webhook_store.c); the secret is never part of them, only its
 * fingerprint. */
#ifndef CSO_WEBHOOK_STORE_H
#define CSO_WEBHOOK_STORE_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../db/db.h"

void webhook_store_init(void);

/* --- admin API --- */

/* Inserts a subscription from a validated document {url, secret,
 * event_types, description?}. *out is its representation (caller frees). */
int webhook_store_create(struct db_conn *conn, const json_t *doc, const char *created_by,
                         json_t **out, struct app_error *err);

/* One subscription's representation (caller frees), 404 if absent. With
 * lock != 0 the row is locked FOR UPDATE (call inside a transaction). */
int webhook_store_get(struct db_conn *conn, const char *id, int lock, json_t **out,
                      struct app_error *err);

/* Newest first; after_created/after_id is the keyset cursor (or NULLs).
 * *items (caller frees) holds up to limit items, each with a "_cursor_key"
 * member for the caller to turn into a cursor and remove; *more is 1 when
 * there are further items. */
int webhook_store_list(struct db_conn *conn, const char *after_created, const char *after_id,
                       int limit, json_t **items, int *more, struct app_error *err);

/* The subscription's most recent attempts, newest first (caller frees). */
int webhook_store_attempts(struct db_conn *conn, const char *id, int limit, json_t **items,
                           struct app_error *err);

/* Applies a validated merge patch ({url?, secret?, event_types?,
 * description?, status?}) to the subscription at version; 412 when the
 * version moved. Setting status "active" or a new url clears the failure
 * count and makes the subscription due now. *out as for get. */
int webhook_store_update(struct db_conn *conn, const char *id, int version, const json_t *patch,
                         json_t **out, struct app_error *err);

/* Deletes the subscription and its attempts; 404 if absent. */
int webhook_store_delete(struct db_conn *conn, const char *id, struct app_error *err);

/* --- delivery worker --- */

/* One claimed unit of work: the next event a subscription is due to get. */
struct webhook_claim {
    char subscription_id[37];
    char lease_token[37];
    char *url;    /* owned */
    char *secret; /* owned */
    int failures; /* consecutive failures before this attempt */
    int attempt;  /* 1-based attempt number for this event */
    char event_txid[24];
    char event_id[24];
    json_t *event; /* owned: the event representation (the request body) */
};
void webhook_claim_free(struct webhook_claim *c);

/* Claims the subscription most overdue that has an event to deliver, with
 * FOR UPDATE SKIP LOCKED and a lease of lease_ms, in one short statement
 * (its own transaction): replicas never claim the same subscription, and
 * nothing stays locked while the request is out. lease_token must be a
 * fresh UUID. Returns 1 with *c filled, 0 when nothing is due, -1 on
 * error. */
int webhook_store_claim(struct db_conn *conn, int lease_ms, const char *lease_token,
                        struct webhook_claim *c, struct app_error *err);

struct webhook_result {
    int delivered;     /* 1 for a 2xx answer */
    int status_code;   /* HTTP status, or 0 when there was none */
    const char *error; /* short reason for a failure, or NULL */
    long duration_ms;
    const char *worker;
    long next_delay_ms; /* failures: delay before the next attempt */
    int max_failures;   /* failures: threshold for "failing" */
};

/* Records the attempt and, if the lease is still ours, moves the
 * subscription on (success: position advances, failures reset, back to
 * active) or schedules the retry (failure: count up, maybe failing).
 * *lease_kept is 0 when the lease had been lost (subscription deleted or
 * lease expired). Returns 0 or -1. */
int webhook_store_record(struct db_conn *conn, const struct webhook_claim *c,
                         const struct webhook_result *r, int *lease_kept, struct app_error *err);

/* Gives the lease back without recording an attempt (shutdown). */
int webhook_store_release(struct db_conn *conn, const struct webhook_claim *c,
                          struct app_error *err);

/* Moves idle subscriptions' positions past events none of their types
 * match, so the claim query's look-ahead stays short. Returns the number
 * of subscriptions moved, or -1. */
int webhook_store_skip_unmatched(struct db_conn *conn, struct app_error *err);

#endif
