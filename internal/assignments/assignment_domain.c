#include "assignment_domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cases/case_access.h"
#include "../matching/matching_store.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "../workflow/workflow.h"

/* A specialist's reason for declining is between them and the service
 * team; patients see that the offer was declined, not why. */
static void shape_for(const struct principal *who, json_t *doc)
{
    if (who->role == ROLE_PATIENT && json_object_get(doc, "decline_reason"))
        json_object_set_new(doc, "decline_reason", json_null());
}

/* A list shows each assignment as a read of it would. */
static void shape_all(const struct principal *who, json_t *list)
{
    json_t *item;
    size_t i;
    json_array_foreach(list, i, item)
    {
        shape_for(who, item);
    }
}

/* Loads an assignment the caller may see: its case is visible to them
 * (case_access) and a specialist sees only their own. With lock != 0 the
 * case and then the assignment are locked, in that order (the order every
 * writer of assignments uses). */
static int visible_assignment(struct db_conn *db, const struct principal *who, const char *id,
                              int lock, struct assignment_ref *a, struct case_ref *c,
                              struct app_error *err)
{
    if (assignment_store_ref(db, id, 0, a, err) != 0)
        return -1;
    if (who->role == ROLE_SPECIALIST && strcmp(a->specialist_id, who->specialist_id) != 0)
        return app_error_not_found(err, "assignment");
    if (case_access(db, who, a->case_id, lock, c, err) != 0) {
        if (err->status == 404) {
            app_error_clear(err);
            app_error_not_found(err, "assignment");
        }
        return -1;
    }
    if (lock && assignment_store_ref(db, id, 1, a, err) != 0)
        return -1;
    return 0;
}

int assignment_visible(struct db_conn *db, const struct principal *who, const char *id,
                       struct app_error *err)
{
    struct assignment_ref a;
    struct case_ref c;
    if (!uuid_is_valid(id))
        return app_error_not_found(err, "assignment");
    return visible_assignment(db, who, id, 0, &a, &c, err);
}

/* Checks a consultation whose shape is valid: an https link without
 * spaces, a time in the future (by the database's clock); fills in the
 * default duration. field_prefix names the fields in errors ("consultation"
 * or ""). Returns 0, or -1 with a field error on err. */
static int check_consultation(struct db_conn *db, json_t *consultation, const char *field_prefix,
                              struct app_error *err)
{
    const char *url = vget_str(consultation, "url"), *at = vget_str(consultation, "scheduled_at");
    const char *dot = *field_prefix ? "." : "";
    char field[64];
    int future;
    if (strncmp(url, "https://", 8) != 0 || strpbrk(url, " \t<>\"")) {
        snprintf(field, sizeof field, "%s%surl", field_prefix, dot);
        app_error_field(err, field, "must be an https:// link");
        return -1;
    }
    if ((future = assignment_store_is_future(db, at, err)) < 0)
        return -1;
    if (!future) {
        snprintf(field, sizeof field, "%s%sscheduled_at", field_prefix, dot);
        app_error_field(err, field, "must be in the future");
        return -1;
    }
    if (!json_object_get(consultation, "duration_minutes"))
        json_object_set_new(consultation, "duration_minutes", json_integer(30));
    return 0;
}

/* The rules an offer must meet before it is written (the case is locked). */
static int check_offer(struct db_conn *db, const struct caller *by, const struct case_ref *c,
                       const char *specialist_id, struct app_error *err)
{
    char live[37];
    int rc;
    if (!workflow_takes_assignment(c->status))
        return app_error_conflict(err, "Only a submitted case can be assigned; this case is %s.",
                                  c->status);
    if (assignment_store_live_for_case(db, c->id, live, err) != 0)
        return -1;
    if (live[0]) {
        app_error_problem(err, PROBLEM_CASE_ALREADY_ASSIGNED,
                          "The case has an assignment that is offered or accepted; it must be "
                          "declined before another specialist is asked.");
        app_error_extra(err, "assignment_id", json_string(live));
        return -1;
    }
    if ((rc = assignment_store_specialist_exists(db, specialist_id, err)) <= 0) {
        if (rc == 0)
            app_error_field(err, "specialist_id", "is not a specialist in the directory");
        return -1;
    }
    if (by->who->role != ROLE_PATIENT)
        return 0;
    if ((rc = matching_is_candidate(db, c->id, specialist_id, err)) < 0)
        return -1;
    if (rc == 0)
        return app_error_problem(err, PROBLEM_NOT_A_MATCH,
                                 "A patient can choose only one of the case's matches (GET "
                                 "/v1/cases/{id}/matches): a specialist who reviews this cancer "
                                 "type, is accepting cases, has a free slot, and is within the "
                                 "case's travel limit or offers telehealth the case accepts.");
    return 0;
}

int assignment_create(struct db_conn *db, const struct caller *by, const char *case_id,
                      const char *specialist_id, json_t *consultation, json_t **out,
                      struct app_error *err)
{
    struct case_ref ref;
    struct change change;
    json_t *doc = NULL;
    if ((consultation && check_consultation(db, consultation, "consultation", err) != 0) ||
        db_begin(db, err) != 0 || case_access(db, by->who, case_id, 1, &ref, err) != 0 ||
        check_offer(db, by, &ref, specialist_id, err) != 0 ||
        assignment_store_create(db, case_id, specialist_id, by->who, consultation, &doc, err) != 0)
        return -1;
    change =
        change_one("assignment.create", "assignment", json_string_value(json_object_get(doc, "id")),
                   case_id, 201, "assignment.created");
    shape_for(by->who, doc);
    return change_record_result(db, by, &change, doc, out, err);
}

int assignment_list_for_case(struct db_conn *db, const struct caller *by, const char *case_id,
                             json_t **items, struct app_error *err)
{
    struct case_ref ref;
    json_t *list = NULL;
    if (case_access(db, by->who, case_id, 0, &ref, err) != 0 ||
        assignment_store_list_for_case(
            db, case_id, by->who->role == ROLE_SPECIALIST ? by->who->specialist_id : NULL, &list,
            err) != 0)
        return -1;
    if (change_record_list_read(db, by, "assignment.list", "assignment", list, case_id, err) != 0 ||
        change_record_read(db, by, "case.assignments.read", "case", case_id, case_id, err) != 0) {
        json_decref(list);
        return -1;
    }
    shape_all(by->who, list);
    *items = list;
    return 0;
}

int assignment_list(struct db_conn *db, const struct caller *by,
                    const struct assignment_list_query *q, json_t **items, int *more,
                    struct app_error *err)
{
    json_t *list = NULL;
    if (assignment_store_list(db, q, &list, more, err) != 0)
        return -1;
    if (change_record_list_read(db, by, "assignment.list", "assignment", list, NULL, err) != 0) {
        json_decref(list);
        return -1;
    }
    shape_all(by->who, list);
    *items = list;
    return 0;
}

int assignment_read(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                    struct app_error *err)
{
    struct assignment_ref a;
    struct case_ref c;
    json_t *doc = NULL;
    if (visible_assignment(db, by->who, id, 0, &a, &c, err) != 0 ||
        assignment_store_get(db, id, &doc, err) != 0)
        return -1;
    if (change_record_read(db, by, "assignment.read", "assignment", id, a.case_id, err) != 0) {
        json_decref(doc);
        return -1;
    }
    shape_for(by->who, doc);
    *out = doc;
    return 0;
}

int assignment_answer(struct db_conn *db, const struct caller *by, const char *id, int accept,
                      const char *reason, json_t **out, struct app_error *err)
{
    struct assignment_ref a;
    struct case_ref c;
    json_t *doc = NULL;
    struct change change;

    if (db_begin(db, err) != 0 || visible_assignment(db, by->who, id, 1, &a, &c, err) != 0)
        return -1;
    if (strcmp(a.status, "offered") != 0)
        return app_error_conflict(err, "The assignment is %s; only an offered one can be %s.",
                                  a.status, accept ? "accepted" : "declined");
    change = change_one(accept ? "assignment.accept" : "assignment.decline", "assignment", id,
                        a.case_id, 200, accept ? "assignment.accepted" : "assignment.declined");
    if (accept) {
        /* Accepting is the case's move to in_review (internal/workflow):
         * its rule is checked before anything is written. */
        const struct workflow_move *move;
        if (workflow_check(MOVE_START_REVIEW, c.status, by->who->role, &move, err) != 0 ||
            assignment_store_accept(db, id, &doc, err) != 0)
            return -1;
        if (workflow_apply(db, by, &c, MOVE_START_REVIEW, NULL, &change, NULL, err) != 0) {
            json_decref(doc);
            return -1;
        }
    } else if (assignment_store_decline(db, id, reason, &doc, err) != 0) {
        return -1;
    }
    return change_record_result(db, by, &change, doc, out, err);
}

int assignment_change_consultation(struct db_conn *db, const struct caller *by, const char *id,
                                   const char *if_match, json_t *consultation, json_t **out,
                                   struct app_error *err)
{
    struct assignment_ref a;
    struct case_ref c;
    json_t *doc = NULL;
    struct change change;
    char etag[32];
    int set = consultation != NULL;

    if (set && check_consultation(db, consultation, "", err) != 0)
        return -1;
    if (db_begin(db, err) != 0 || visible_assignment(db, by->who, id, 1, &a, &c, err) != 0)
        return -1;
    snprintf(etag, sizeof etag, "\"%d\"", a.version);
    if (validate_if_match(if_match, etag, err) != 0)
        return -1;
    if (strcmp(a.status, "offered") != 0 && strcmp(a.status, "accepted") != 0)
        return app_error_conflict(
            err, "The assignment is %s; consultations belong to live assignments.", a.status);
    if (!set && !a.has_consultation)
        return app_error_conflict(err, "The assignment has no consultation to cancel.");
    if (assignment_store_set_consultation(db, id, a.version, consultation, by->who, &doc, err) != 0)
        return -1;
    change =
        change_one(set ? "assignment.consultation.schedule" : "assignment.consultation.cancel",
                   "assignment", id, a.case_id, 200,
                   set ? "assignment.consultation_scheduled" : "assignment.consultation_cancelled");
    shape_for(by->who, doc);
    return change_record_result(db, by, &change, doc, out, err);
}

/* One revoked assignment: cancelled, its slot given back, and when the
 * specialist had accepted it the case back to submitted (the workflow's
 * revoke_review), so that it can be offered to another specialist. Its own
 * audit row and events, in the retirement's transaction (not committed). */
static int revoke_one(struct db_conn *db, const struct caller *by, struct assignment_live *l,
                      struct app_error *err)
{
    struct change change = change_one(workflow_move_def(MOVE_REVOKE_REVIEW)->action, "assignment",
                                      l->id, l->c.id, 200, "assignment.revoked");
    if (assignment_store_revoke(db, l->id, err) != 0)
        return -1;
    if (!strcmp(l->status, "accepted") && workflow_takes_opinion(l->c.status) &&
        workflow_apply(db, by, &l->c, MOVE_REVOKE_REVIEW, "reviewer retired", &change, NULL, err) !=
            0)
        return -1;
    return change_write(db, by, &change, err);
}

int assignment_revoke_of_specialist(struct db_conn *db, const struct caller *by,
                                    const char *specialist_id, struct app_error *err)
{
    struct assignment_live *live = NULL;
    int n = 0, i, rc = 0;
    if (assignment_store_live_of_specialist_lock(db, specialist_id, &live, &n, err) != 0)
        return -1;
    for (i = 0; i < n && rc == 0; i++)
        rc = revoke_one(db, by, &live[i], err);
    free(live);
    return rc;
}
