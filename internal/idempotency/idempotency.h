/* idempotency: the store behind Idempotency-Key for creating POSTs and the
 * workflow actions (submit, withdraw, sign, accept, decline). The key
 * is claimed inside the same transaction as the handler's writes, so a retry
 * after any failure either sees the first response or creates once; two
 * concurrent requests with one key serialise on the key's row.
 *
 * This is the core, below the HTTP layer: it takes a database connection,
 * the key's scope, a request fingerprint and an app_error, never a request.
 * Reading the header, fingerprinting the request and replaying a stored
 * response are the dispatcher's (internal/http/http_idempotency.c). */
#ifndef CSO_IDEMPOTENCY_H
#define CSO_IDEMPOTENCY_H

#include "../apperr/apperr.h"
#include "../db/db.h"

void idempotency_store_init(void);

/* Whose key it is. A key belongs to one caller, named by the token's
 * issuer, subject and role (one subject may hold several roles, and a
 * patient token must never be handed what the same subject stored as a
 * navigator), and to one operation, named by method and route template:
 * another caller's key, or the same key on another operation, is another
 * request. All strings are borrowed for the call. */
struct idempotency_scope {
    const char *issuer;  /* the token's issuer */
    const char *subject; /* the caller's token subject */
    const char *role;    /* the caller's role name */
    const char *method;  /* the request method */
    const char *route;   /* the route template, e.g. /v1/cases/:id/submit */
    const char *key;     /* the Idempotency-Key value */
};

/* A stored response as idempotency_lookup returns it. */
struct idempotency_response {
    int status;
    char *body;     /* response body text, "" for none */
    char *location; /* Location header, or NULL */
    char *etag;     /* ETag header, or NULL */
};

/* Opens a transaction on conn and claims the key for the request whose
 * fingerprint (a hex digest of what makes a retry "the same request") is
 * given. Returns 1 when claimed: the transaction stays open for the
 * handler's writes and idempotency_store ends it. Returns 0 when the key is
 * already held (then the transaction is rolled back: read the first
 * response with idempotency_lookup), or -1 with err set. */
int idempotency_claim(struct db_conn *conn, const struct idempotency_scope *scope,
                      const char *fingerprint, struct app_error *err);

/* The response stored under a held key, for a replay. Fills *out with
 * copies the caller frees with idempotency_response_clear, and returns 0;
 * or returns -1 with err set: 409 (with Retry-After) while the first
 * request is still being processed, 422 when the key was used with another
 * fingerprint, 503 and the like from the database. */
int idempotency_lookup(struct db_conn *conn, const struct idempotency_scope *scope,
                       const char *fingerprint, struct idempotency_response *out,
                       struct app_error *err);

/* Stores the response (status, body text, Location and ETag or NULL, all
 * borrowed) under the key claimed on conn and commits the claim's
 * transaction, handler's writes included. When no transaction is open any
 * more the handler ended it, and the claim with it: nothing is stored and 0
 * is returned. Returns 0, or -1 with err set (the transaction rolled back). */
int idempotency_store(struct db_conn *conn, const struct idempotency_scope *scope, int status,
                      const char *body, const char *location, const char *etag,
                      struct app_error *err);

/* Frees what idempotency_lookup copied into r and empties it. */
void idempotency_response_clear(struct idempotency_response *r);

#endif
