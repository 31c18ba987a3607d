#include "opinion_domain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../assignments/assignment_store.h"
#include "../cases/case_access.h"
#include "../cases/case_store.h"
#include "../jsonpatch/jsonpatch.h"
#include "../util/util.h"
#include "../workflow/workflow.h"
#include "opinion_pdf.h"
#include "opinion_store.h"

/* The members of an opinion its author writes; the rest of the
 * representation is the server's. */
static const char *const writable[] = {
    "concordance",      "diagnosis",       "treatment_recommendation",
    "additional_tests", "clinical_trials", "answers",
    "narrative",        "attestation",     NULL};

/* ---------- ETags ---------- */

/* One format for both the representation's ETag and the one a change is
 * checked against (from the locked row), so that they always compare. */
static void format_etag(long long version, long long amendments, char etag[OPINION_ETAG_LEN])
{
    snprintf(etag, OPINION_ETAG_LEN, "\"%lld-%lld\"", version, amendments);
}

void opinion_etag(const json_t *doc, char etag[OPINION_ETAG_LEN])
{
    format_etag(json_integer_value(json_object_get(doc, "version")),
                (long long)json_array_size(json_object_get(doc, "amendments")), etag);
}

/* ---------- content rules the request tables cannot express ---------- */

static int is_staff(const struct principal *who)
{
    return who->role == ROLE_NAVIGATOR || who->role == ROLE_ADMIN;
}

static int nct_id_ok(const char *s)
{
    int i;
    if (strncmp(s, "NCT", 3) != 0 || strlen(s) != 11)
        return 0;
    for (i = 3; i < 11; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Rules across members of opinion content (an opinion or an amendment's
 * changes); prefix names the fields in errors. Needs the database for the
 * cancer type vocabulary. Call after the table validation passed, with no
 * error on err yet (its status tells whether these rules added one). */
static int check_content(struct db_conn *db, const json_t *doc, const char *prefix,
                         struct app_error *err)
{
    const json_t *dx = json_object_get(doc, "diagnosis"), *stage = json_object_get(dx, "stage"),
                 *trials = json_object_get(doc, "clinical_trials"), *t;
    const char *code = vget_str(dx, "cancer_type");
    char f[96];
    size_t i, j;

    if (json_is_object(stage)) {
        int unknown = vget_bool(stage, "unknown", 0);
        int any = vget_str(stage, "t") || vget_str(stage, "n") || vget_str(stage, "m") ||
                  vget_str(stage, "group");
        snprintf(f, sizeof f, "%sdiagnosis.stage", prefix);
        if (unknown && any)
            app_error_field(err, f, "is either unknown or has values, not both");
        if (!unknown && !any)
            app_error_field(err, f, "needs a group or T/N/M values, or unknown: true");
    }
    json_array_foreach(trials, i, t)
    {
        const char *id = vget_str(t, "id");
        snprintf(f, sizeof f, "%sclinical_trials[%zu].id", prefix, i);
        if (id && !nct_id_ok(id))
            app_error_field(err, f, "must be a ClinicalTrials.gov id such as NCT01234567");
        for (j = 0; id && j < i; j++)
            if (vget_str(json_array_get(trials, j), "id") &&
                !strcmp(vget_str(json_array_get(trials, j), "id"), id))
                app_error_field(err, f, "is repeated");
    }
    if (err->status)
        return -1;
    if (code) {
        int rc;
        if ((rc = case_store_cancer_type_exists(db, code, err)) < 0)
            return -1;
        if (rc == 0) {
            snprintf(f, sizeof f, "%sdiagnosis.cancer_type", prefix);
            app_error_field(err, f, "is not a code from GET /v1/cancer-types");
            return -1;
        }
    }
    return 0;
}

/* What a signature needs beyond a valid draft: concordance, narrative and
 * attestation always; the diagnosis and a treatment recommendation unless
 * the records were insufficient; an answer to each of the patient's
 * questions. Reported as 409 opinion-incomplete with the list of fields
 * (never the patient's words). */
static int check_signable(const json_t *op, const json_t *questions, struct app_error *err)
{
    const char *concordance = vget_str(op, "concordance");
    int insufficient = concordance && !strcmp(concordance, "insufficient_records");
    const json_t *answers = json_object_get(op, "answers"), *q, *a;
    size_t i, j;

    if (!concordance)
        app_error_field(err, "concordance", "is required to sign");
    if (!vget_str(op, "narrative"))
        app_error_field(err, "narrative", "is required to sign");
    if (!json_is_object(json_object_get(op, "attestation")))
        app_error_field(err, "attestation", "is required to sign");
    if (!insufficient && !json_is_object(json_object_get(op, "diagnosis")))
        app_error_field(err, "diagnosis",
                        "is required to sign unless concordance is insufficient_records");
    if (!insufficient && !vget_str(op, "treatment_recommendation"))
        app_error_field(err, "treatment_recommendation",
                        "is required to sign unless concordance is insufficient_records");
    json_array_foreach(questions, i, q)
    {
        int answered = 0;
        json_array_foreach(answers, j, a) if (json_equal(json_object_get(a, "question"), q))
            answered = 1;
        if (!answered)
            app_error_field(err, "answers",
                            "has no answer to the patient's question %zu (answers[].question "
                            "must repeat it as asked)",
                            i + 1);
    }
    if (!err->status)
        return 0;
    app_error_problem(err, PROBLEM_OPINION_INCOMPLETE,
                      "The draft lacks what a signed opinion needs; see errors.");
    return -1;
}

/* ---------- who may see and change an opinion ---------- */

/* Turns a 404 about the case into a 404 about the thing asked for. */
static int not_found_as(struct app_error *err, const char *what)
{
    if (err->status == 404) {
        app_error_clear(err);
        app_error_not_found(err, what);
    }
    return -1;
}

/* Whether who may see one of the later rounds of case_id (their reviewer
 * reads the earlier rounds' signed opinions): 0, or -1 with err set (404
 * when none). */
static int sees_later_round(struct db_conn *db, const struct principal *who, const char *case_id,
                            struct app_error *err)
{
    struct case_ref c;
    json_t *later = NULL, *lid;
    size_t i;
    int rc = -1;

    if (opinion_store_later_rounds(db, case_id, &later, err) != 0)
        return -1;
    json_array_foreach(later, i, lid)
    {
        rc = case_access(db, who, json_string_value(lid), 0, &c, err);
        if (rc == 0 || err->status != 404)
            break;
        app_error_clear(err);
    }
    json_decref(later);
    if (rc == 0)
        return 0;
    return err->status ? -1 : app_error_not_found(err, "opinion");
}

/* The rule for who reads an opinion: whoever may see its case (case_access),
 * except that a draft is shown only to staff and its author, and a draft
 * left behind by a revoked assignment also to the specialists who may see
 * the case (the next reviewer, for context: it is read-only, since only its
 * author could change it and a retired author sees nothing); a signed
 * opinion also to whoever may see a later round of its case, so that the
 * next reviewer reads the earlier opinions. Anything else: 404. */
static int visible_opinion(struct db_conn *db, const struct principal *who, const char *id,
                           struct opinion_ref *o, struct app_error *err)
{
    struct case_ref c;
    int draft;

    if (opinion_store_ref(db, id, 0, o, err) != 0)
        return -1;
    draft = !strcmp(o->status, "draft");
    if (draft && !is_staff(who) &&
        !(who->role == ROLE_SPECIALIST &&
          (o->left_behind || !strcmp(o->specialist_id, who->specialist_id))))
        return app_error_not_found(err, "opinion");
    if (case_access(db, who, o->case_id, 0, &c, err) == 0)
        return 0;
    if (err->status != 404 || draft)
        return not_found_as(err, "opinion");
    app_error_clear(err);
    return sees_later_round(db, who, o->case_id, err);
}

int opinion_visible(struct db_conn *db, const struct principal *who, const char *id,
                    struct app_error *err)
{
    struct opinion_ref o;
    if (!uuid_is_valid(id))
        return app_error_not_found(err, "opinion");
    return visible_opinion(db, who, id, &o, err);
}

/* Loads an opinion for a change by its author; anyone else gets 404 (a
 * draft is not visible to them, and a signed opinion they may read is not
 * theirs to change). Opens a transaction and locks the case, then the
 * opinion (the order every writer of opinions uses). */
static int authored_opinion(struct db_conn *db, const struct principal *who, const char *id,
                            struct opinion_ref *o, struct case_ref *c, struct app_error *err)
{
    if (opinion_store_ref(db, id, 0, o, err) != 0)
        return -1;
    if (strcmp(o->specialist_id, who->specialist_id) != 0)
        return app_error_not_found(err, "opinion");
    if (db_begin(db, err) != 0)
        return -1;
    if (case_access(db, who, o->case_id, 1, c, err) != 0)
        return not_found_as(err, "opinion");
    return opinion_store_ref(db, id, 1, o, err);
}

/* The checks every change of a draft (PATCH, sign) makes after loading it,
 * in this order: still a draft (409 opinion-signed with signed_detail, which
 * says what to do instead), If-Match against the locked row, and a case
 * in_review (409 with case_detail, a format given the case's status). */
static int check_draft_change(const struct opinion_ref *o, const struct case_ref *c,
                              const char *if_match, const char *signed_detail,
                              const char *case_detail, struct app_error *err)
{
    char etag[OPINION_ETAG_LEN];
    if (!strcmp(o->status, "signed"))
        return app_error_problem(err, PROBLEM_OPINION_SIGNED, "%s", signed_detail);
    format_etag(o->version, o->amendments, etag);
    if (validate_if_match(if_match, etag, err) != 0)
        return -1;
    if (!workflow_takes_opinion(c->status))
        return app_error_conflict(err, case_detail, c->status);
    return 0;
}

/* ---------- reads ---------- */

/* Writes the audit row of a read of resource_id and hands doc to *out, or
 * frees doc when the row cannot be written: patient data that cannot be
 * audited is not shown. */
static int audited_read(struct db_conn *db, const struct caller *by, const char *action,
                        const char *resource_type, const char *resource_id, const char *case_id,
                        json_t *doc, json_t **out, struct app_error *err)
{
    if (change_record_read(db, by, action, resource_type, resource_id, case_id, err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

int opinion_list_for_case(struct db_conn *db, const struct caller *by, const char *case_id,
                          json_t **items, struct app_error *err)
{
    struct case_ref c;
    json_t *list = NULL;

    if (case_access(db, by->who, case_id, 0, &c, err) != 0 ||
        opinion_store_list_for_case(db, case_id, role_name(by->who->role), by->who->specialist_id,
                                    &list, err) != 0)
        return -1;
    /* An earlier round's opinion is audited under its own case. */
    if (change_record_list_read(db, by, "opinion.list", "opinion", list, NULL, err) != 0) {
        json_decref(list);
        return -1;
    }
    return audited_read(db, by, "case.opinions.read", "case", case_id, case_id, list, items, err);
}

int opinion_read(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                 struct app_error *err)
{
    struct opinion_ref o;
    json_t *doc = NULL;
    if (visible_opinion(db, by->who, id, &o, err) != 0 || opinion_store_get(db, id, &doc, err) != 0)
        return -1;
    return audited_read(db, by, "opinion.read", "opinion", id, o.case_id, doc, out, err);
}

int opinion_read_report(struct db_conn *db, const struct caller *by, const char *id,
                        struct opinion_report *out, struct app_error *err)
{
    struct opinion_ref o;
    json_t *report = NULL;
    unsigned char *pdf = NULL;
    size_t len = 0;
    int rc;

    if (visible_opinion(db, by->who, id, &o, err) != 0)
        return -1;
    if (strcmp(o.status, "signed") != 0)
        return app_error_conflict(err, "Only a signed opinion has a report; this one is a draft.");
    if (opinion_store_report(db, id, &report, err) != 0)
        return -1;
    rc = opinion_pdf_render(report, &pdf, &len, err);
    opinion_etag(json_object_get(report, "opinion"), out->etag);
    json_decref(report);
    if (rc != 0)
        return -1;
    /* The report is patient data like the JSON it is made from. */
    if (change_record_read(db, by, "opinion.report.read", "opinion", id, o.case_id, err) != 0) {
        free(pdf);
        return -1;
    }
    out->bytes = pdf;
    out->len = len;
    snprintf(out->case_id, sizeof out->case_id, "%s", o.case_id);
    return 0;
}

int opinion_read_acknowledgement(struct db_conn *db, const struct caller *by, const char *case_id,
                                 json_t **out, struct app_error *err)
{
    struct case_ref c;
    json_t *doc = NULL;
    if (case_access(db, by->who, case_id, 0, &c, err) != 0 ||
        opinion_store_acknowledgement(db, case_id, &doc, err) != 0)
        return -1;
    return audited_read(db, by, "case.acknowledgement.read", "case", case_id, case_id, doc, out,
                        err);
}

/* ---------- changes ---------- */

/* The rules a new draft must meet (the case is locked): an in_review case,
 * by the specialist of its accepted assignment (into assignment), and no
 * opinion for that assignment yet. */
static int check_new_draft(struct db_conn *db, const struct principal *who,
                           const struct case_ref *c, char assignment[37], struct app_error *err)
{
    char existing[37];
    if (!workflow_takes_opinion(c->status))
        return app_error_conflict(
            err, "An opinion is written while the case is in_review; this case is %s.", c->status);
    if (assignment_store_accepted_for(db, c->id, who->specialist_id, assignment, err) != 0)
        return -1;
    if (!assignment[0])
        return app_error_conflict(err, "Only the specialist of the case's accepted "
                                       "assignment writes its opinion.");
    if (opinion_store_for_assignment(db, assignment, existing, err) != 0)
        return -1;
    if (existing[0]) {
        app_error_problem(err, PROBLEM_OPINION_EXISTS,
                          "This assignment already has an opinion; change the draft with "
                          "PATCH /v1/opinions/{id}.");
        app_error_extra(err, "opinion_id", json_string(existing));
        return -1;
    }
    return 0;
}

int opinion_create(struct db_conn *db, const struct caller *by, const char *case_id,
                   const json_t *doc, json_t **out, struct app_error *err)
{
    struct case_ref c;
    char assignment[37];
    json_t *draft = NULL;
    struct change change;

    if (check_content(db, doc, "", err) != 0 || db_begin(db, err) != 0 ||
        case_access(db, by->who, case_id, 1, &c, err) != 0 ||
        check_new_draft(db, by->who, &c, assignment, err) != 0 ||
        opinion_store_insert(db, case_id, assignment, by->who->specialist_id, by->who->sub, doc,
                             &draft, err) != 0)
        return -1;
    change =
        change_one("opinion.create", "opinion", json_string_value(json_object_get(draft, "id")),
                   case_id, 201, "opinion.created");
    return change_record_result(db, by, &change, draft, out, err);
}

/* The draft's content after patch: its writable members, without nulls
 * (a member set to null is absent), merged with patch (RFC 7396). The
 * caller frees the result. */
static json_t *patched_content(const json_t *current, const json_t *patch)
{
    return json_merge_members(current, writable, patch);
}

int opinion_update_draft(struct db_conn *db, const struct caller *by, const char *id,
                         const char *if_match, const json_t *patch, const struct vfield *shape,
                         json_t **out, struct app_error *err)
{
    struct opinion_ref o;
    struct case_ref c;
    json_t *current = NULL, *doc = NULL, *updated = NULL;
    struct change change;
    int rc = -1;

    if (authored_opinion(db, by->who, id, &o, &c, err) != 0 ||
        check_draft_change(&o, &c, if_match,
                           "A signed opinion cannot change; add an amendment with "
                           "POST /v1/opinions/{id}/amendments.",
                           "A draft can change only while the case is in_review; it is %s.",
                           err) != 0 ||
        validate_object(patch, shape, "", 1, err) != 0)
        return -1;
    if (json_object_size(patch) == 0)
        return app_error_bad_request(err, "The patch is empty.");
    if (opinion_store_get(db, id, &current, err) != 0)
        return -1;
    doc = patched_content(current, patch);
    if (validate_object(doc, shape, "", 0, err) == 0 && check_content(db, doc, "", err) == 0 &&
        opinion_store_update(db, id, o.version, doc, &updated, err) == 0) {
        change = change_one("opinion.update", "opinion", id, o.case_id, 200, "opinion.updated");
        rc = change_record_result(db, by, &change, updated, out, err);
    }
    json_decref(doc);
    json_decref(current);
    return rc;
}

/* What signing needs beyond the draft's own state: the assignment still
 * accepted (locked after the opinion), and content a signed opinion must
 * have, the patient's questions answered. */
static int check_sign(struct db_conn *db, const struct opinion_ref *o, struct app_error *err)
{
    struct assignment_ref a;
    json_t *current = NULL, *the_case = NULL;
    int rc = -1;

    if (assignment_store_ref(db, o->assignment_id, 1, &a, err) != 0)
        return -1;
    if (strcmp(a.status, "accepted") != 0)
        return app_error_conflict(err, "The assignment is %s, no longer accepted.", a.status);
    if (opinion_store_get(db, o->id, &current, err) == 0 &&
        case_store_get(db, o->case_id, &the_case, err) == 0)
        rc = check_signable(
            current, json_object_get(json_object_get(the_case, "request"), "questions"), err);
    json_decref(the_case);
    json_decref(current);
    return rc;
}

int opinion_sign(struct db_conn *db, const struct caller *by, const char *id, const char *if_match,
                 json_t **out, struct app_error *err)
{
    struct opinion_ref o;
    struct case_ref c;
    json_t *signed_doc = NULL;
    struct change change;

    if (authored_opinion(db, by->who, id, &o, &c, err) != 0 ||
        check_draft_change(
            &o, &c, if_match, "The opinion is already signed; corrections are amendments.",
            "An opinion is signed while the case is in_review; this case is %s.", err) != 0 ||
        check_sign(db, &o, err) != 0)
        return -1;
    /* Signing is three entities' change in one transaction: the opinion,
     * its assignment (completed, the slot given back) and the case's move
     * to opinion_ready (internal/workflow), with an event for each. */
    change = change_one("opinion.sign", "opinion", id, o.case_id, 200, "opinion.signed");
    if (change_add_event(&change, "assignment.completed", "assignment", o.assignment_id, err) !=
            0 ||
        opinion_store_sign(db, id, by->who->sub, &signed_doc, err) != 0)
        return -1;
    if (assignment_store_complete(db, o.assignment_id, err) != 0 ||
        workflow_apply(db, by, &c, MOVE_OPINION_READY, NULL, &change, NULL, err) != 0) {
        json_decref(signed_doc);
        return -1;
    }
    return change_record_result(db, by, &change, signed_doc, out, err);
}

int opinion_amend(struct db_conn *db, const struct caller *by, const char *id, const char *reason,
                  const json_t *changes, const char *narrative, json_t **out, struct app_error *err)
{
    struct opinion_ref o;
    struct case_ref c;
    json_t *amendment = NULL;
    struct change change;

    if ((changes && check_content(db, changes, "changes.", err) != 0) ||
        authored_opinion(db, by->who, id, &o, &c, err) != 0)
        return -1;
    if (strcmp(o.status, "signed") != 0)
        return app_error_problem(
            err, PROBLEM_OPINION_NOT_SIGNED,
            "A draft is changed with PATCH; amendments correct a signed opinion.");
    if (opinion_store_amend(db, id, reason, changes, narrative, by->who->specialist_id,
                            by->who->sub, &amendment, err) != 0)
        return -1;
    change = change_one("opinion.amend", "opinion", id, o.case_id, 201, "opinion.amended");
    return change_record_result(db, by, &change, amendment, out, err);
}

int opinion_acknowledge(struct db_conn *db, const struct caller *by, const char *case_id,
                        json_t **out, int *created, struct app_error *err)
{
    struct case_ref c;
    char opinion_id[37];
    json_t *ack = NULL;
    struct change change;

    if (db_begin(db, err) != 0 || case_access(db, by->who, case_id, 1, &c, err) != 0 ||
        opinion_store_signed_for_case(db, case_id, opinion_id, err) != 0)
        return -1;
    if (!opinion_id[0])
        return app_error_conflict(err, "The case has no signed opinion to acknowledge yet.");
    if (opinion_store_acknowledge(db, case_id, opinion_id, by->who->sub, &ack, created, err) != 0)
        return -1;
    /* Acknowledging again changes nothing: no event, the first record back. */
    change = change_one("case.acknowledge", "case", case_id, case_id, *created ? 201 : 200, NULL);
    if (*created && change_add_event(&change, "case.acknowledged", "acknowledgement",
                                     json_string_value(json_object_get(ack, "id")), err) != 0) {
        json_decref(ack);
        return -1;
    }
    return change_record_result(db, by, &change, ack, out, err);
}

int opinion_request_third(struct db_conn *db, const struct caller *by, const char *case_id,
                          const json_t *questions, const char *note, json_t **out,
                          struct app_error *err)
{
    struct case_ref c;
    json_t *round = NULL;
    const char *new_id;
    struct change asked, created;

    if (db_begin(db, err) != 0 || case_access(db, by->who, case_id, 1, &c, err) != 0)
        return -1;
    if (!workflow_takes_new_round(c.status))
        return app_error_conflict(err,
                                  "Another opinion can be asked for once this one is ready "
                                  "(opinion_ready or closed); the case is %s.",
                                  c.status);
    if (case_store_open_round(db, case_id, by->who, questions, note, &round, err) != 0)
        return -1;
    new_id = json_string_value(json_object_get(round, "id"));
    /* Two changes in one transaction: the new case is created (its own
     * feed entry) and the earlier one points at it. Both carry ids only. */
    asked = change_one("case.third_opinion", "case", case_id, case_id, 201, NULL);
    created = change_one("case.create", "case", new_id, new_id, 201, "case.created");
    if (change_add_event(&asked, "case.third_opinion_requested", "case", new_id, err) != 0 ||
        change_write(db, by, &asked, err) != 0) {
        json_decref(round);
        return -1;
    }
    return change_record_result(db, by, &created, round, out, err);
}
