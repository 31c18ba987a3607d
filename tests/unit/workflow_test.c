/* Unit tests for the case workflow's rules (internal/workflow), without a
 * server or a database: every move from every status by every role, and
 * what each allowed move writes. The expected table is written out here
 * from the contract (api/paths/cases.yaml, assignments, opinions), not
 * derived from the module's own table. */
#include <string.h>

#include "workflow/workflow.h"
#include "unit.h"

static const enum role all_roles[] = {ROLE_PATIENT, ROLE_NAVIGATOR, ROLE_SPECIALIST, ROLE_ADMIN};

struct expected_move {
    enum case_move move;
    const char *from[CASE_STATUS_COUNT + 1]; /* the statuses it may leave, NULL-terminated */
    const char *to;
    unsigned roles;
    const char *action, *event;
    int needs_complete_records, ends_assignments;
};

static const struct expected_move expected[] = {
    {MOVE_SUBMIT,
     {"draft", NULL},
     "submitted",
     ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN,
     "case.submit",
     "case.submitted",
     1,
     0},
    {MOVE_WITHDRAW,
     {"draft", "submitted", "in_review", "opinion_ready", NULL},
     "withdrawn",
     ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN,
     "case.withdraw",
     "case.withdrawn",
     0,
     1},
    {MOVE_CLOSE,
     {"opinion_ready", NULL},
     "closed",
     ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN,
     "case.close",
     "case.closed",
     0,
     0},
    {MOVE_START_REVIEW,
     {"submitted", NULL},
     "in_review",
     ROLE_SPECIALIST,
     "assignment.accept",
     "case.review_started",
     0,
     0},
    {MOVE_OPINION_READY,
     {"in_review", NULL},
     "opinion_ready",
     ROLE_SPECIALIST,
     "opinion.sign",
     "case.opinion_ready",
     0,
     0},
    {MOVE_REVOKE_REVIEW,
     {"in_review", NULL},
     "submitted",
     ROLE_ADMIN,
     "assignment.revoke",
     "case.review_revoked",
     0,
     0},
};

static int listed(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

static void test_workflow_statuses(void)
{
    static const char *const names[] = {"draft",         "submitted", "in_review",
                                        "opinion_ready", "closed",    "withdrawn"};
    enum case_status s;
    size_t i;
    CHECK(sizeof names / sizeof names[0] == CASE_STATUS_COUNT);
    for (i = 0; i < CASE_STATUS_COUNT; i++) {
        CHECK(case_status_parse(names[i], &s) == 0 && s == (enum case_status)i);
        CHECK(!strcmp(case_status_name((enum case_status)i), names[i]));
    }
    CHECK(case_status_parse("Draft", &s) == -1);
    CHECK(case_status_parse("", &s) == -1);
    CHECK(case_status_parse(NULL, &s) == -1);
}

/* Every move from every status by every role: allowed exactly where the
 * table says; a role that may never make the move gets 403 whatever the
 * status, a wrong status 409; and nothing else is written into the error. */
static void test_workflow_every_move_status_and_role(void)
{
    size_t m, r;
    int s;
    CHECK(sizeof expected / sizeof expected[0] == CASE_MOVE_COUNT);
    for (m = 0; m < sizeof expected / sizeof expected[0]; m++) {
        const struct expected_move *x = &expected[m];
        for (s = 0; s < CASE_STATUS_COUNT; s++) {
            const char *status = case_status_name((enum case_status)s);
            for (r = 0; r < sizeof all_roles / sizeof all_roles[0]; r++) {
                const struct workflow_move *got = NULL;
                struct app_error err = {0};
                int rc = workflow_check(x->move, status, all_roles[r], &got, &err);
                int role_ok = (x->roles & (unsigned)all_roles[r]) != 0;
                if (role_ok && listed(x->from, status)) {
                    CHECK(rc == 0 && err.status == 0 && got != NULL);
                    CHECK(got && !strcmp(case_status_name(got->to), x->to));
                } else if (!role_ok) {
                    CHECK(rc == -1 && err.status == 403 && !strcmp(err.code, "forbidden"));
                } else {
                    CHECK(rc == -1 && err.status == 409 && !strcmp(err.code, "conflict"));
                    CHECK(strstr(err.detail, status) != NULL && strstr(err.detail, x->to));
                }
                app_error_clear(&err);
            }
        }
    }
}

/* What each move writes: the audit action and the case event, and the
 * preconditions its request checks before it. */
static void test_workflow_what_each_move_writes(void)
{
    size_t m;
    for (m = 0; m < sizeof expected / sizeof expected[0]; m++) {
        const struct expected_move *x = &expected[m];
        const struct workflow_move *d = workflow_move_def(x->move);
        CHECK(d != NULL && d->move == x->move);
        if (!d)
            continue;
        CHECK(!strcmp(d->action, x->action));
        CHECK(!strcmp(d->event, x->event));
        CHECK(d->needs_complete_records == x->needs_complete_records);
        CHECK(d->ends_assignments == x->ends_assignments);
        CHECK(d->roles == x->roles);
    }
    CHECK(workflow_move_def(CASE_MOVE_COUNT) == NULL);
}

static void test_workflow_unknown_status_is_an_internal_error(void)
{
    const struct workflow_move *got = NULL;
    struct app_error err = {0};
    CHECK(workflow_check(MOVE_SUBMIT, "archived", ROLE_PATIENT, &got, &err) == -1);
    CHECK(err.status == 500 && got == NULL);
    app_error_clear(&err);
}

/* What each status allows besides moves. */
static void test_workflow_what_statuses_allow(void)
{
    static const struct {
        const char *status;
        int records, edits, new_round, assignment, opinion;
    } rows[] = {
        {"draft", 1, 1, 0, 0, 0},          {"submitted", 1, 1, 0, 1, 0},
        {"in_review", 1, 0, 0, 0, 1},      {"opinion_ready", 0, 0, 1, 0, 0},
        {"closed", 0, 0, 1, 0, 0},         {"withdrawn", 0, 0, 0, 0, 0},
        {"no_such_status", 0, 0, 0, 0, 0},
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CHECK(workflow_takes_records(rows[i].status) == rows[i].records);
        CHECK(workflow_takes_edits(rows[i].status) == rows[i].edits);
        CHECK(workflow_takes_new_round(rows[i].status) == rows[i].new_round);
        CHECK(workflow_takes_assignment(rows[i].status) == rows[i].assignment);
        CHECK(workflow_takes_opinion(rows[i].status) == rows[i].opinion);
    }
}

static void test_change_events(void)
{
    struct app_error err = {0};
    struct change c = change_one("case.update", "case", "c1", "c1", 200, "case.updated");
    CHECK(!strcmp(c.events[0].type, "case.updated") && !strcmp(c.events[0].subject_id, "c1"));
    CHECK(c.events[1].type == NULL);
    CHECK(change_add_event(&c, NULL, NULL, NULL, &err) == 0 && c.events[1].type == NULL);
    CHECK(change_add_event(&c, "a.b", "x", "1", &err) == 0);
    CHECK(change_add_event(&c, "a.c", "x", "2", &err) == 0);
    CHECK(change_add_event(&c, "a.d", "x", "3", &err) == 0);
    CHECK(err.status == 0 && !strcmp(c.events[3].type, "a.d"));
    CHECK(change_add_event(&c, "a.e", "x", "4", &err) == -1 && err.status == 500);
    app_error_clear(&err);
    c = change_one("webhook.delete", "webhook", "w1", NULL, 204, NULL);
    CHECK(c.events[0].type == NULL && c.case_id == NULL && c.status == 204);
}

const struct unit_test workflow_tests[] = {
    {"workflow_statuses", test_workflow_statuses},
    {"workflow_every_move_status_and_role", test_workflow_every_move_status_and_role},
    {"workflow_what_each_move_writes", test_workflow_what_each_move_writes},
    {"workflow_unknown_status_is_an_internal_error",
     test_workflow_unknown_status_is_an_internal_error},
    {"workflow_what_statuses_allow", test_workflow_what_statuses_allow},
    {"change_events", test_change_events},
    {NULL, NULL},
};
