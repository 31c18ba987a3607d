/* assignment_domain: what an assignment is allowed to do, below the
 * handlers. An assignment asks one specialist to review one submitted case;
 * the specialist accepts (the case moves to in_review, internal/workflow)
 * or declines; a video consultation may be set on a live one.
 *
 * Every function takes a database connection, the caller and an error,
 * never an HTTP context; it checks who may see what (case_access, and a
 * specialist sees only their own assignments), writes the audit trail of
 * every read and change, and commits its own changes. Documents it returns
 * are already shaped for the caller (a patient does not see why a
 * specialist declined) and are owned by the caller of the function. */
#ifndef CSO_ASSIGNMENT_DOMAIN_H
#define CSO_ASSIGNMENT_DOMAIN_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../change/change.h"
#include "../db/db.h"
#include "assignment_store.h"

/* Whether who may see assignment id (its case is visible to them, and a
 * specialist's own): 0, or -1 with err set (404 "assignment" when not).
 * An http_visible_fn for /v1/assignments/:id. */
int assignment_visible(struct db_conn *db, const struct principal *who, const char *id,
                       struct app_error *err);

/* Offers case_id to specialist_id: the case must be submitted and have no
 * live assignment, the specialist must exist, and a patient may only choose
 * one of the case's matches. consultation (shape valid, may be NULL; its
 * default duration is filled in) is checked and set on the offer. *out:
 * the new assignment. */
int assignment_create(struct db_conn *db, const struct caller *by, const char *case_id,
                      const char *specialist_id, json_t *consultation, json_t **out,
                      struct app_error *err);

/* The assignments of a case by's role may see (a specialist: their own);
 * each shown one is audited, and the read of the case. *items: an array. */
int assignment_list_for_case(struct db_conn *db, const struct caller *by, const char *case_id,
                             json_t **items, struct app_error *err);

/* A page of the assignments by may see (q->who must be by->who); each
 * shown one is audited. *items: an array with "_cursor_key" members for
 * http_set_next_cursor; *more: 1 when another page follows. */
int assignment_list(struct db_conn *db, const struct caller *by,
                    const struct assignment_list_query *q, json_t **items, int *more,
                    struct app_error *err);

/* One assignment, audited. */
int assignment_read(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                    struct app_error *err);

/* The named specialist accepts (the case moves to in_review) or declines
 * (reason required) an offered assignment. */
int assignment_answer(struct db_conn *db, const struct caller *by, const char *id, int accept,
                      const char *reason, json_t **out, struct app_error *err);

/* Sets (consultation checked, not NULL) or cancels (NULL) the consultation
 * of a live assignment, under If-Match (if_match: the header as sent, or
 * NULL). */
int assignment_change_consultation(struct db_conn *db, const struct caller *by, const char *id,
                                   const char *if_match, json_t *consultation, json_t **out,
                                   struct app_error *err);

/* A step of retiring specialist_id (by an admin, in the retirement's open
 * transaction, before the specialist row is locked: cases, assignments,
 * then the specialist is the lock order of every writer): each of their
 * offered and accepted assignments is revoked (cancelled, with an
 * "assignment.revoked" event), and a case they had accepted goes back from
 * in_review to submitted ("case.review_revoked"). Their opinion drafts are
 * left as they are. Writes one audit row per assignment and commits nothing.
 * Returns 0, or -1 with err set. */
int assignment_revoke_of_specialist(struct db_conn *db, const struct caller *by,
                                    const char *specialist_id, struct app_error *err);

#endif
