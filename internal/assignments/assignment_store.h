/* assignment_store: SQL for assignments (a specialist asked to review a
 * case) and the specialist capacity they hold. The API representation is
 * rendered by PostgreSQL (ASSIGNMENT_JSON in assignment_store.c).
 *
 * Capacity rule, shared with the cases module's withdraw: a specialist's
 * open_cases counts their offered and accepted assignments. It goes up when
 * an assignment is created (conditionally, so that racing creators
 * serialise on the specialist row and the loser sees no free slot) and down
 * on decline, cancel and completion. */
#ifndef CSO_ASSIGNMENT_STORE_H
#define CSO_ASSIGNMENT_STORE_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../cases/case_access.h"
#include "../db/db.h"

struct assignment_ref {
    char id[37];
    char case_id[37];
    char specialist_id[37];
    char status[16];
    int version;
    int has_consultation;
};

void assignment_store_init(void);

/* Finds an assignment's case, specialist, status and version. With lock
 * != 0 the row is locked FOR UPDATE (call inside a transaction, after
 * locking its case). 404 when absent. */
int assignment_store_ref(struct db_conn *conn, const char *id, int lock, struct assignment_ref *out,
                         struct app_error *err);

/* Reads one assignment's representation (caller frees *out). */
int assignment_store_get(struct db_conn *conn, const char *id, json_t **out, struct app_error *err);

/* 1 if a specialist with this id exists (retired or not), 0 if not, -1 on
 * error. */
int assignment_store_specialist_exists(struct db_conn *conn, const char *specialist_id,
                                       struct app_error *err);

/* The id of the case's live (offered or accepted) assignment into live
 * (37 bytes), or "" when there is none. Returns 0 or -1. */
int assignment_store_live_for_case(struct db_conn *conn, const char *case_id, char live[37],
                                   struct app_error *err);

/* Takes one of the specialist's free slots and inserts an offered
 * assignment due after the specialist's turnaround. consultation is NULL or
 * a validated {scheduled_at, duration_minutes, url}. 409
 * (specialist-unavailable) when the specialist is full, not accepting or
 * retired. Call inside a transaction. Caller frees *out. */
int assignment_store_create(struct db_conn *conn, const char *case_id, const char *specialist_id,
                            const struct principal *who, const json_t *consultation, json_t **out,
                            struct app_error *err);

/* offered -> accepted. 409 if the assignment is no longer offered. */
int assignment_store_accept(struct db_conn *conn, const char *id, json_t **out,
                            struct app_error *err);

/* offered -> declined with a reason, giving the slot back. 409 if the
 * assignment is no longer offered. */
int assignment_store_decline(struct db_conn *conn, const char *id, const char *reason, json_t **out,
                             struct app_error *err);

/* accepted -> completed (the opinion was signed), giving the slot back. 409
 * if the assignment is no longer accepted. */
int assignment_store_complete(struct db_conn *conn, const char *id, struct app_error *err);

/* Sets (consultation != NULL) or clears the video consultation if version
 * still matches (412 otherwise). */
int assignment_store_set_consultation(struct db_conn *conn, const char *id, int version,
                                      const json_t *consultation, const struct principal *who,
                                      json_t **out, struct app_error *err);

/* The id of the caller's accepted assignment on the case into id, or "" when
 * there is none. */
int assignment_store_accepted_for(struct db_conn *conn, const char *case_id,
                                  const char *specialist_id, char id[37], struct app_error *err);

/* Assignments of one case, oldest first; specialist_id limits them to one
 * specialist's (NULL for all). Caller frees *items. */
int assignment_store_list_for_case(struct db_conn *conn, const char *case_id,
                                   const char *specialist_id, json_t **items,
                                   struct app_error *err);

struct assignment_list_query {
    const struct principal *who;
    const char *status;        /* or NULL */
    const char *after_created; /* keyset cursor: created_at text, or NULL */
    const char *after_id;      /* keyset cursor: id, or NULL */
    int limit;
};

/* The caller's worklist, newest first: a specialist's own assignments that
 * give them access to the case, a patient's cases' assignments, all for
 * staff. Items carry "_cursor_key"; *more is set when another page exists.
 * Caller frees *items. */
int assignment_store_list(struct db_conn *conn, const struct assignment_list_query *q,
                          json_t **items, int *more, struct app_error *err);

/* 1 if the RFC 3339 time is in the future, 0 if not, -1 on error. */
int assignment_store_is_future(struct db_conn *conn, const char *when, struct app_error *err);

/* A live (offered or accepted) assignment of a specialist with its case. */
struct assignment_live {
    char id[37];
    char status[16];
    struct case_ref c;
};

/* Locks the cases of specialist_id's live assignments and then those
 * assignments (inside a transaction) and lists them: *out is malloc'd with
 * *n rows (caller frees with free, also when *n is 0). */
int assignment_store_live_of_specialist_lock(struct db_conn *conn, const char *specialist_id,
                                             struct assignment_live **out, int *n,
                                             struct app_error *err);

/* Cancels a live assignment and gives its specialist's slot back. */
int assignment_store_revoke(struct db_conn *conn, const char *id, struct app_error *err);

#endif
