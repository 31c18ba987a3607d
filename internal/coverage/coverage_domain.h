/* coverage_domain: what the coverage module does, below its handlers
 * (payers.c, checks.c). The payer catalog: every role reads it (patients
 * pick their insurer), admins add, change (under If-Match) and retire
 * payers; a retired payer stays readable for old checks and takes no new
 * ones. Coverage checks: an eligibility inquiry on a case, run through the
 * payer's adapter (runner.h) and stored with its answer.
 *
 * Every function takes a database connection, the caller and an error,
 * never an HTTP context. It checks who may see what (a check belongs to a
 * case: case_access), writes the audit rows of reads of checks (member ids
 * and answers are patient data) and of every change, records changes with
 * the change recorder (internal/change) and commits them. Documents it
 * returns are new references owned by the caller of the function
 * (json_decref); a payer's carries its "version", the ETag's value. Every
 * function returns 0, or -1 with err set and nothing committed. */
#ifndef CSO_COVERAGE_DOMAIN_H
#define CSO_COVERAGE_DOMAIN_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../change/change.h"
#include "../db/db.h"
#include "coverage_store.h"

/* ---- the payer catalog ---- */

/* A payer's writable values, shape already valid; a NULL member is not
 * changed (a patch). Borrowed for the call. */
struct coverage_payer_values {
    const char *name;
    const char *kind;
    const char *adapter;
};

/* A page of the catalog (coverage_store_payer_list); not audited: the
 * catalog holds no patient data. *items: an array; *more: 1 when another
 * page follows. */
int coverage_payer_list(struct db_conn *db, const struct caller *by,
                        const struct coverage_payer_query *q, json_t **items, int *more,
                        struct app_error *err);

/* One payer, retired or not (404 "payer" when there is none). */
int coverage_payer_read(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                        struct app_error *err);

/* Adds a payer: the name has no surrounding blanks and is new to the
 * catalog (409), the adapter is installed. *out: the new payer. */
int coverage_payer_create(struct db_conn *db, const struct caller *by,
                          const struct coverage_payer_values *v, json_t **out,
                          struct app_error *err);

/* Changes the values v sets (as for create) of a payer that is not
 * retired, under If-Match (if_match: the header as sent, or NULL). */
int coverage_payer_update(struct db_conn *db, const struct caller *by, const char *id,
                          const char *if_match, const struct coverage_payer_values *v, json_t **out,
                          struct app_error *err);

/* Retires a payer that is not retired yet, under If-Match. Final. */
int coverage_payer_retire(struct db_conn *db, const struct caller *by, const char *id,
                          const char *if_match, json_t **out, struct app_error *err);

/* ---- coverage checks ---- */

/* An inquiry as asked, shape already valid. Borrowed for the call. */
struct coverage_inquiry {
    const char *payer_id;       /* uuid, any case */
    const char *member_id;      /* as on the member card */
    const char *specialist_id;  /* the provider asked about, or NULL */
    const char *institution_id; /* or NULL; not with specialist_id */
};

/* Runs an inquiry on case case_id (visible to by, not closed or
 * withdrawn) and stores its answer. Unlike every other domain function it
 * gives its connection back while the payer is asked, so that a slow payer
 * pins no pooled connection. *db is the caller's connection, or NULL for
 * one to be borrowed from pool once the checks that need no database pass;
 * it is released before the payer is asked, and afterwards *db is a new
 * one borrowed from pool (NULL when none could be had). The caller releases
 * whatever *db is on return, as ever. No transaction may be open on
 * entry. Whatever the payer does, the answer is
 * stored within the adapter's time-out (payer_unavailable when it hangs or
 * fails). *out: the stored check, with the adapter's raw payload for
 * admins only. */
int coverage_check_create(struct db_conn **db, struct db_pool *pool, const struct caller *by,
                          const char *case_id, const struct coverage_inquiry *in, json_t **out,
                          struct app_error *err);

/* A page of the checks of case q->case_id (visible to by), newest first;
 * q->with_raw is ignored (raw payloads are for admins, by's role decides).
 * The read is audited. *items: an array with "_cursor_key" members for
 * http_set_next_cursor; *more: 1 when another page follows. */
int coverage_check_list(struct db_conn *db, const struct caller *by,
                        const struct coverage_check_query *q, json_t **items, int *more,
                        struct app_error *err);

/* One check of case case_id (visible to by), audited. */
int coverage_check_read(struct db_conn *db, const struct caller *by, const char *case_id,
                        const char *check_id, json_t **out, struct app_error *err);

#endif
