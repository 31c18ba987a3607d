/* workflow: the life cycle of a case in one place. Which statuses there
 * are, which moves lead from one to another, who may make each move, what
 * must hold before it (records complete, assignments ended) and what it
 * writes (the status and history row, its audit action and its event).
 * Cases, assignments, opinions and records ask this module instead of
 * comparing status strings themselves, so a new status or move (the next
 * issues add some) is one row here.
 *
 * Two halves: the rules are pure (no database: unit-tested in
 * tests/unit/workflow_test.c), and the moves apply them to a case row on a
 * database connection for a caller, never an HTTP context. */
#ifndef CSO_WORKFLOW_H
#define CSO_WORKFLOW_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../cases/case_access.h"
#include "../change/change.h"
#include "../db/db.h"

enum case_status {
    CASE_DRAFT,
    CASE_SUBMITTED,
    CASE_IN_REVIEW,
    CASE_OPINION_READY,
    CASE_CLOSED,
    CASE_WITHDRAWN,
    CASE_STATUS_COUNT
};

/* The status's API name ("in_review"); a static string. */
const char *case_status_name(enum case_status s);
/* Parses an API name. Returns 0, or -1 for anything else. */
int case_status_parse(const char *name, enum case_status *out);

enum case_move {
    MOVE_SUBMIT,        /* draft -> submitted, asked for by the case's writers */
    MOVE_WITHDRAW,      /* any open status -> withdrawn, by the case's writers */
    MOVE_CLOSE,         /* opinion_ready -> closed, by the case's writers */
    MOVE_START_REVIEW,  /* submitted -> in_review, when the specialist accepts */
    MOVE_OPINION_READY, /* in_review -> opinion_ready, when the specialist signs */
    MOVE_REVOKE_REVIEW, /* in_review -> submitted, when an admin retires the reviewer */
    CASE_MOVE_COUNT
};

/* Who may ask for the moves that are requests of their own (the route
 * tables use these, so the routes and the rules cannot disagree). */
#define WORKFLOW_CASE_WRITERS (ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN)

struct workflow_move {
    enum case_move move;
    const char *name; /* "submit" */
    unsigned from;    /* bitmask of 1u << enum case_status */
    enum case_status to;
    unsigned roles;             /* bitmask of enum role allowed to make it */
    const char *action;         /* audit action when the move is the request's change */
    const char *event;          /* the case event it emits */
    int needs_complete_records; /* the records checklist must say can_submit */
    int ends_assignments;       /* offered and accepted assignments are cancelled */
};

/* The definition of a move; static, never NULL for a valid move. */
const struct workflow_move *workflow_move_def(enum case_move move);

/* Pure rule: may a caller of role make move on a case whose status is
 * status? Returns 0 with *out set to the move, or -1 with err set: 403 when
 * the role may never make it, 409 when the status does not allow it (and
 * 500 for a status this module does not know). */
int workflow_check(enum case_move move, const char *status, enum role role,
                   const struct workflow_move **out, struct app_error *err);

/* Pure rules for what a status allows besides moves. */
int workflow_takes_records(const char *status);    /* documents, medications, slides */
int workflow_takes_edits(const char *status);      /* PATCH of the case itself */
int workflow_takes_new_round(const char *status);  /* a third opinion */
int workflow_takes_assignment(const char *status); /* a specialist may be asked */
int workflow_takes_opinion(const char *status);    /* drafting and signing */

/* Applies move to case c, which the caller has locked (case_access with
 * lock) in the transaction open on db: checks the rule, writes the status
 * and its history row, and appends the move's event to *change. Does not
 * check the move's preconditions beyond the status (the caller's step does)
 * and does not commit. *out (may be NULL) receives the case document after
 * the move, owned by the caller. Returns 0, or -1 with err set. */
int workflow_apply(struct db_conn *db, const struct caller *by, const struct case_ref *c,
                   enum case_move move, const char *note, struct change *change, json_t **out,
                   struct app_error *err);

/* A move that is the whole request (submit, withdraw, close): opens a
 * transaction, locks the case if by may see it (404 otherwise), checks the
 * rule and the move's preconditions (records complete; live assignments
 * ended), applies it, records the change and commits. *out is the case
 * document after the move, owned by the caller. Returns 0, or -1 with err
 * set and nothing written. */
int workflow_move_case(struct db_conn *db, const struct caller *by, const char *case_id,
                       enum case_move move, const char *note, json_t **out, struct app_error *err);

#endif
