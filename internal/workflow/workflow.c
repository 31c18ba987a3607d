#include "workflow.h"

#include <string.h>

#include "../cases/case_store.h"

#define BIT(s) (1u << (s))
#define OPEN_STATUSES (BIT(CASE_DRAFT) | BIT(CASE_SUBMITTED) | BIT(CASE_IN_REVIEW))

static const char *const status_names[CASE_STATUS_COUNT] = {
    [CASE_DRAFT] = "draft",         [CASE_SUBMITTED] = "submitted",
    [CASE_IN_REVIEW] = "in_review", [CASE_OPINION_READY] = "opinion_ready",
    [CASE_CLOSED] = "closed",       [CASE_WITHDRAWN] = "withdrawn",
};

/* The moves. A withdrawal may come at any point before the case is closed;
 * the two moves a specialist makes are steps of their accept and sign, and
 * the revocation a step of an admin's retirement of the reviewer. */
static const struct workflow_move moves[CASE_MOVE_COUNT] = {
    [MOVE_SUBMIT] = {MOVE_SUBMIT, "submit", BIT(CASE_DRAFT), CASE_SUBMITTED, WORKFLOW_CASE_WRITERS,
                     "case.submit", "case.submitted", 1, 0},
    [MOVE_WITHDRAW] = {MOVE_WITHDRAW, "withdraw", OPEN_STATUSES | BIT(CASE_OPINION_READY),
                       CASE_WITHDRAWN, WORKFLOW_CASE_WRITERS, "case.withdraw", "case.withdrawn", 0,
                       1},
    [MOVE_CLOSE] = {MOVE_CLOSE, "close", BIT(CASE_OPINION_READY), CASE_CLOSED,
                    WORKFLOW_CASE_WRITERS, "case.close", "case.closed", 0, 0},
    [MOVE_START_REVIEW] = {MOVE_START_REVIEW, "start_review", BIT(CASE_SUBMITTED), CASE_IN_REVIEW,
                           ROLE_SPECIALIST, "assignment.accept", "case.review_started", 0, 0},
    [MOVE_OPINION_READY] = {MOVE_OPINION_READY, "opinion_ready", BIT(CASE_IN_REVIEW),
                            CASE_OPINION_READY, ROLE_SPECIALIST, "opinion.sign",
                            "case.opinion_ready", 0, 0},
    /* Retiring the reviewer takes their accepted assignment away: the case
     * goes back to the queue so that another specialist can be asked. A
     * step of the admin's retirement, whose audit action it carries. */
    [MOVE_REVOKE_REVIEW] = {MOVE_REVOKE_REVIEW, "revoke_review", BIT(CASE_IN_REVIEW),
                            CASE_SUBMITTED, ROLE_ADMIN, "assignment.revoke", "case.review_revoked",
                            0, 0},
};

const char *case_status_name(enum case_status s)
{
    return s >= 0 && s < CASE_STATUS_COUNT ? status_names[s] : "unknown";
}

int case_status_parse(const char *name, enum case_status *out)
{
    int i;
    for (i = 0; name && i < CASE_STATUS_COUNT; i++) {
        if (!strcmp(status_names[i], name)) {
            *out = (enum case_status)i;
            return 0;
        }
    }
    return -1;
}

const struct workflow_move *workflow_move_def(enum case_move move)
{
    return move >= 0 && move < CASE_MOVE_COUNT ? &moves[move] : NULL;
}

/* 1 when status is one of the statuses in mask; an unknown status is in
 * none. */
static int status_in(const char *status, unsigned mask)
{
    enum case_status s;
    return case_status_parse(status, &s) == 0 && (mask & BIT(s)) != 0;
}

int workflow_check(enum case_move move, const char *status, enum role role,
                   const struct workflow_move **out, struct app_error *err)
{
    const struct workflow_move *m = workflow_move_def(move);
    enum case_status from;
    if (!m || case_status_parse(status, &from) != 0)
        return app_error_internal(err);
    if (!(m->roles & (unsigned)role)) {
        app_error_problem(err, PROBLEM_FORBIDDEN, "The %s role may not %s a case.", role_name(role),
                          m->name);
        return -1;
    }
    if (!(m->from & BIT(from)))
        return app_error_conflict(err, "A %s case cannot move to %s.", status,
                                  case_status_name(m->to));
    *out = m;
    return 0;
}

int workflow_takes_records(const char *status)
{
    return status_in(status, OPEN_STATUSES);
}

int workflow_takes_edits(const char *status)
{
    return status_in(status, BIT(CASE_DRAFT) | BIT(CASE_SUBMITTED));
}

int workflow_takes_new_round(const char *status)
{
    return status_in(status, BIT(CASE_OPINION_READY) | BIT(CASE_CLOSED));
}

int workflow_takes_assignment(const char *status)
{
    return status_in(status, BIT(CASE_SUBMITTED));
}

int workflow_takes_opinion(const char *status)
{
    return status_in(status, BIT(CASE_IN_REVIEW));
}

int workflow_apply(struct db_conn *db, const struct caller *by, const struct case_ref *c,
                   enum case_move move, const char *note, struct change *change, json_t **out,
                   struct app_error *err)
{
    const struct workflow_move *m;
    json_t *doc = NULL;
    if (workflow_check(move, c->status, by->who->role, &m, err) != 0)
        return -1;
    if (case_store_transition(db, c->id, c->status, case_status_name(m->to), by->who, note, &doc,
                              err) != 0)
        return -1;
    if (change_add_event(change, m->event, "case", c->id, err) != 0) {
        json_decref(doc);
        return -1;
    }
    if (out)
        *out = doc;
    else
        json_decref(doc);
    return 0;
}

/* The precondition of a submission: the checklist of required records. */
static int require_complete_records(struct db_conn *db, const char *case_id, struct app_error *err)
{
    json_t *checklist = NULL;
    if (case_store_checklist(db, case_id, &checklist, err) != 0)
        return -1;
    if (!json_is_true(json_object_get(checklist, "can_submit"))) {
        app_error_problem(err, PROBLEM_CHECKLIST_INCOMPLETE,
                          "The case cannot be submitted until the required records are "
                          "present; see missing.");
        app_error_extra(err, "missing", json_incref(json_object_get(checklist, "missing")));
        json_decref(checklist);
        return -1;
    }
    json_decref(checklist);
    return 0;
}

int workflow_move_case(struct db_conn *db, const struct caller *by, const char *case_id,
                       enum case_move move, const char *note, json_t **out, struct app_error *err)
{
    const struct workflow_move *m;
    struct case_ref ref;
    struct change change = {NULL, "case", case_id, case_id, 200, {{NULL, NULL, NULL}}};
    json_t *doc = NULL;

    /* A move that ends assignments changes the case, its assignments and
     * their specialists: all are locked up front, in one wait at most. */
    if (db_begin(db, err) != 0 ||
        case_access(db, by->who, case_id,
                    workflow_move_def(move) && workflow_move_def(move)->ends_assignments
                        ? CASE_LOCK_WITH_ASSIGNMENTS
                        : 1,
                    &ref, err) != 0 ||
        workflow_check(move, ref.status, by->who->role, &m, err) != 0)
        return -1;
    if (m->needs_complete_records && require_complete_records(db, case_id, err) != 0)
        return -1;
    if (m->ends_assignments && case_store_cancel_assignments(db, case_id, err) != 0)
        return -1;
    change.action = m->action;
    if (workflow_apply(db, by, &ref, move, note, &change, &doc, err) != 0)
        return -1;
    if (change_record(db, by, &change, err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}
