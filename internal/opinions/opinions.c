#include "opinions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../jsonpatch/jsonpatch.h"
#include "../assignments/assignment_store.h"
#include "../audit/audit.h"
#include "../cases/case_access.h"
#include "../cases/case_store.h"
#include "../cases/cases.h"
#include "../http/http_change.h"
#include "../util/util.h"
#include "../workflow/workflow.h"
#include "../validate/validate.h"
#include "opinion_pdf.h"
#include "opinion_store.h"

/* ---------- the shape of an opinion ---------- */

static const char *const concordances[] = {
    "agree", "minor_change", "major_change", "different_diagnosis", "insufficient_records", NULL};
static const char *const materials[] = {"pathology_report",
                                        "pathology_slides",
                                        "imaging",
                                        "operative_report",
                                        "discharge_summary",
                                        "treatment_plan",
                                        "medication_list",
                                        "previous_opinions",
                                        "other",
                                        NULL};

static const struct vfield diagnosis_fields[] = {
    {"cancer_type", V_STRING, V_REQUIRED, 1, 64, NULL, NULL, 0},
    {"stage", V_OBJECT, 0, 0, 0, NULL, case_stage_fields, 0},
    {"histology", V_TEXT, V_NULLABLE, 1, 2000, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield test_fields[] = {
    {"name", V_STRING, V_REQUIRED, 1, 200, NULL, NULL, 0},
    {"rationale", V_TEXT, V_NULLABLE, 1, 2000, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield trial_fields[] = {
    {"id", V_STRING, V_REQUIRED, 11, 11, NULL, NULL, 0},
    {"title", V_STRING, V_REQUIRED, 1, 300, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield answer_fields[] = {
    {"question", V_TEXT, V_REQUIRED, 1, 2000, NULL, NULL, 0},
    {"answer", V_TEXT, V_REQUIRED, 1, 5000, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield attestation_fields[] = {
    {"statement", V_TEXT, V_REQUIRED, 20, 2000, NULL, NULL, 0},
    {"reviewed_materials", V_ENUM_ARRAY, V_REQUIRED, 1, 9, materials, NULL, 0},
    {"conflicts_of_interest", V_TEXT, V_NULLABLE, 1, 1000, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* A draft may be saved with any of these missing; signing needs them (see
 * check_signable). */
static const struct vfield opinion_fields[] = {
    {"concordance", V_ENUM, V_NULLABLE, 0, 0, concordances, NULL, 0},
    {"diagnosis", V_OBJECT, V_NULLABLE, 0, 0, NULL, diagnosis_fields, 0},
    {"treatment_recommendation", V_TEXT, V_NULLABLE, 1, 10000, NULL, NULL, 0},
    {"additional_tests", V_OBJECT_ARRAY, V_NULLABLE, 0, 30, NULL, test_fields, 0},
    {"clinical_trials", V_OBJECT_ARRAY, V_NULLABLE, 0, 20, NULL, trial_fields, 0},
    {"answers", V_OBJECT_ARRAY, V_NULLABLE, 0, 30, NULL, answer_fields, 0},
    {"narrative", V_TEXT, V_NULLABLE, 1, 20000, NULL, NULL, 0},
    {"attestation", V_OBJECT, V_NULLABLE, 0, 0, NULL, attestation_fields, 0},
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"case_id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"round", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"assignment_id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"status", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"version", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"reviewer", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"updated_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"signed_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"amendments", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* What an amendment may revise: the clinical content. The narrative of an
 * amendment is its own member; the attestation stays the one signed. */
static const struct vfield change_fields[] = {
    {"concordance", V_ENUM, 0, 0, 0, concordances, NULL, 0},
    {"diagnosis", V_OBJECT, 0, 0, 0, NULL, diagnosis_fields, 0},
    {"treatment_recommendation", V_TEXT, 0, 1, 10000, NULL, NULL, 0},
    {"additional_tests", V_OBJECT_ARRAY, 0, 0, 30, NULL, test_fields, 0},
    {"clinical_trials", V_OBJECT_ARRAY, 0, 0, 20, NULL, trial_fields, 0},
    {"answers", V_OBJECT_ARRAY, 0, 0, 30, NULL, answer_fields, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield amendment_fields[] = {
    {"reason", V_TEXT, V_REQUIRED, 5, 2000, NULL, NULL, 0},
    {"changes", V_OBJECT, 0, 0, 0, NULL, change_fields, 0},
    {"narrative", V_TEXT, 0, 1, 20000, NULL, NULL, 0},
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"opinion_id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"seq", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"specialist_id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"signed_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

static const struct vfield third_opinion_fields[] = {
    {"note", V_TEXT, V_NULLABLE, 1, 1000, NULL, NULL, 0},
    {"questions", V_STRING_ARRAY, V_NULLABLE, 0, 20, NULL, NULL, 2000},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

static const char *const writable[] = {
    "concordance",      "diagnosis",       "treatment_recommendation",
    "additional_tests", "clinical_trials", "answers",
    "narrative",        "attestation",     NULL};

/* ---------- checks the tables cannot express ---------- */

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
 * cancer type vocabulary. Call after the table validation passed. */
static int check_content(struct http_ctx *ctx, const json_t *doc, const char *prefix)
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
            app_error_field(&ctx->err, f, "is either unknown or has values, not both");
        if (!unknown && !any)
            app_error_field(&ctx->err, f, "needs a group or T/N/M values, or unknown: true");
    }
    json_array_foreach(trials, i, t)
    {
        const char *id = vget_str(t, "id");
        snprintf(f, sizeof f, "%sclinical_trials[%zu].id", prefix, i);
        if (id && !nct_id_ok(id))
            app_error_field(&ctx->err, f, "must be a ClinicalTrials.gov id such as NCT01234567");
        for (j = 0; id && j < i; j++)
            if (vget_str(json_array_get(trials, j), "id") &&
                !strcmp(vget_str(json_array_get(trials, j), "id"), id))
                app_error_field(&ctx->err, f, "is repeated");
    }
    if (ctx->err.status)
        return -1;
    if (code) {
        int rc;
        if (!http_db(ctx) || (rc = case_store_cancer_type_exists(ctx->db, code, &ctx->err)) < 0)
            return -1;
        if (rc == 0) {
            snprintf(f, sizeof f, "%sdiagnosis.cancer_type", prefix);
            app_error_field(&ctx->err, f, "is not a code from GET /v1/cancer-types");
            return -1;
        }
    }
    return 0;
}

/* Validates a whole opinion document (draft rules). */
static int validate_opinion(struct http_ctx *ctx, const json_t *doc)
{
    if (validate_object(doc, opinion_fields, "", 0, &ctx->err) != 0)
        return -1;
    return check_content(ctx, doc, "");
}

/* What a signature needs beyond a valid draft: concordance, narrative and
 * attestation always; the diagnosis and a treatment recommendation unless
 * the records were insufficient; an answer to each of the patient's
 * questions. Reported as 409 opinion-incomplete with the list of fields
 * (never the patient's words). */
static int check_signable(struct http_ctx *ctx, const json_t *op, const json_t *questions)
{
    const char *concordance = vget_str(op, "concordance");
    int insufficient = concordance && !strcmp(concordance, "insufficient_records");
    const json_t *answers = json_object_get(op, "answers"), *q, *a;
    size_t i, j;

    if (!concordance)
        app_error_field(&ctx->err, "concordance", "is required to sign");
    if (!vget_str(op, "narrative"))
        app_error_field(&ctx->err, "narrative", "is required to sign");
    if (!json_is_object(json_object_get(op, "attestation")))
        app_error_field(&ctx->err, "attestation", "is required to sign");
    if (!insufficient && !json_is_object(json_object_get(op, "diagnosis")))
        app_error_field(&ctx->err, "diagnosis",
                        "is required to sign unless concordance is insufficient_records");
    if (!insufficient && !vget_str(op, "treatment_recommendation"))
        app_error_field(&ctx->err, "treatment_recommendation",
                        "is required to sign unless concordance is insufficient_records");
    json_array_foreach(questions, i, q)
    {
        int answered = 0;
        json_array_foreach(answers, j, a) if (json_equal(json_object_get(a, "question"), q))
            answered = 1;
        if (!answered)
            app_error_field(&ctx->err, "answers",
                            "has no answer to the patient's question %zu (answers[].question "
                            "must repeat it as asked)",
                            i + 1);
    }
    if (!ctx->err.status)
        return 0;
    app_error_problem(&ctx->err, PROBLEM_OPINION_INCOMPLETE,
                      "The draft lacks what a signed opinion needs; see errors.");
    return -1;
}

/* ---------- rendering and recording ---------- */

/* The ETag covers the row's version and the amendments appended to it (a
 * signed row never changes, its representation still grows). */
static void opinion_etag(const json_t *doc, char *out, size_t cap)
{
    snprintf(out, cap, "\"%lld-%zu\"",
             (long long)json_integer_value(json_object_get(doc, "version")),
             json_array_size(json_object_get(doc, "amendments")));
}

static void set_opinion_etag(struct http_ctx *ctx, const json_t *doc)
{
    char etag[48];
    opinion_etag(doc, etag, sizeof etag);
    http_set_header(ctx, "ETag", etag);
}

static void set_location(struct http_ctx *ctx, const char *kind, const char *id)
{
    char loc[96];
    snprintf(loc, sizeof loc, "/v1/%s/%s", kind, id);
    http_set_header(ctx, "Location", loc);
}

/* Turns a 404 about the case into a 404 about the thing asked for. */
static int not_found_as(struct app_error *err, const char *what)
{
    if (err->status == 404) {
        app_error_clear(err);
        app_error_not_found(err, what);
    }
    return -1;
}

/* The rule for who reads an opinion: whoever may see its case (case_access),
 * except that a draft is shown only to staff and its author; a signed
 * opinion also to whoever may see a later round of its case, so that the
 * next reviewer reads the earlier opinions. Anything else: 404. */
static int visible_opinion(struct db_conn *db, const struct principal *who, const char *id,
                           struct opinion_ref *o, struct app_error *err)
{
    struct case_ref c;
    json_t *later = NULL, *lid;
    size_t i;
    int draft;

    if (opinion_store_ref(db, id, 0, o, err) != 0)
        return -1;
    draft = !strcmp(o->status, "draft");
    if (draft && !is_staff(who) &&
        !(who->role == ROLE_SPECIALIST && !strcmp(o->specialist_id, who->specialist_id)))
        return app_error_not_found(err, "opinion");
    if (case_access(db, who, o->case_id, 0, &c, err) == 0)
        return 0;
    if (err->status != 404 || draft)
        return not_found_as(err, "opinion");
    app_error_clear(err);
    if (opinion_store_later_rounds(db, o->case_id, &later, err) != 0)
        return -1;
    json_array_foreach(later, i, lid)
    {
        if (case_access(db, who, json_string_value(lid), 0, &c, err) == 0) {
            json_decref(later);
            return 0;
        }
        if (err->status != 404) {
            json_decref(later);
            return -1;
        }
        app_error_clear(err);
    }
    json_decref(later);
    return app_error_not_found(err, "opinion");
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
 * opinion. */
static int authored_opinion(struct http_ctx *ctx, const char *id, struct opinion_ref *o,
                            struct case_ref *c)
{
    if (!http_db(ctx) || opinion_store_ref(ctx->db, id, 0, o, &ctx->err) != 0)
        return -1;
    if (strcmp(o->specialist_id, ctx->who.specialist_id) != 0)
        return app_error_not_found(&ctx->err, "opinion");
    if (db_begin(ctx->db, &ctx->err) != 0)
        return -1;
    if (case_access(ctx->db, &ctx->who, o->case_id, 1, c, &ctx->err) != 0)
        return not_found_as(&ctx->err, "opinion");
    return opinion_store_ref(ctx->db, id, 1, o, &ctx->err);
}

/* ---------- content negotiation ---------- */

enum representation { REPR_JSON, REPR_PDF, REPR_NONE };

/* Picks JSON or PDF from an Accept header (RFC 9110, 12.5.1): each type
 * takes the q of the most specific range that matches it; the higher q
 * wins, a tie goes to the type named exactly rather than by a wildcard,
 * then to JSON. No header means JSON; q=0 everywhere means neither. */
static enum representation negotiate(const char *accept)
{
    static const char *const types[2] = {"application/json", "application/pdf"};
    double q[2] = {0, 0};
    int spec[2] = {-1, -1}, k;
    const char *p = accept;

    if (!accept || !*accept)
        return REPR_JSON;
    while (*p) {
        const char *end = strchr(p, ','), *semi;
        char range[64];
        size_t rlen;
        double rq = 1.0;
        if (!end)
            end = p + strlen(p);
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        semi = memchr(p, ';', (size_t)(end - p));
        rlen = (size_t)((semi ? semi : end) - p);
        while (rlen > 0 && (p[rlen - 1] == ' ' || p[rlen - 1] == '\t'))
            rlen--;
        if (rlen > 0 && rlen < sizeof range) {
            memcpy(range, p, rlen);
            range[rlen] = 0;
            for (const char *s = semi; s && s < end;
                 s = memchr(s + 1, ';', (size_t)(end - s - 1))) {
                const char *v = s + 1;
                while (v < end && *v == ' ')
                    v++;
                if ((v[0] == 'q' || v[0] == 'Q') && v[1] == '=') {
                    char *e;
                    rq = strtod(v + 2, &e);
                    if (e == v + 2 || rq < 0 || rq > 1)
                        rq = 0;
                }
            }
            for (k = 0; k < 2; k++) {
                int s = -1;
                if (!strcasecmp(range, types[k]))
                    s = 2;
                else if (!strcasecmp(range, "application/*"))
                    s = 1;
                else if (!strcmp(range, "*/*"))
                    s = 0;
                if (s > spec[k]) {
                    spec[k] = s;
                    q[k] = rq;
                }
            }
        }
        p = *end ? end + 1 : end;
    }
    if (q[0] <= 0 && q[1] <= 0)
        return REPR_NONE;
    if (q[1] > q[0] || (q[1] == q[0] && spec[1] > spec[0]))
        return REPR_PDF;
    return REPR_JSON;
}

/* ---------- handlers ---------- */

static int create_opinion(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct case_ref c;
    char assignment[37], existing[37];
    json_t *out = NULL;
    const char *id;

    if (!case_id || validate_opinion(ctx, ctx->body) != 0)
        return -1;
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0 ||
        case_access(ctx->db, &ctx->who, case_id, 1, &c, &ctx->err) != 0)
        return -1;
    if (!workflow_takes_opinion(c.status))
        return app_error_conflict(
            &ctx->err, "An opinion is written while the case is in_review; this case is %s.",
            c.status);
    if (assignment_store_accepted_for(ctx->db, case_id, ctx->who.specialist_id, assignment,
                                      &ctx->err) != 0)
        return -1;
    if (!assignment[0])
        return app_error_conflict(&ctx->err, "Only the specialist of the case's accepted "
                                             "assignment writes its opinion.");
    if (opinion_store_for_assignment(ctx->db, assignment, existing, &ctx->err) != 0)
        return -1;
    if (existing[0]) {
        app_error_problem(&ctx->err, PROBLEM_OPINION_EXISTS,
                          "This assignment already has an opinion; change the draft with "
                          "PATCH /v1/opinions/{id}.");
        app_error_extra(&ctx->err, "opinion_id", json_string(existing));
        return -1;
    }
    if (opinion_store_insert(ctx->db, case_id, assignment, ctx->who.specialist_id, ctx->who.sub,
                             ctx->body, &out, &ctx->err) != 0)
        return -1;
    id = json_string_value(json_object_get(out, "id"));
    if (http_record_change(ctx, change_one("opinion.create", "opinion", id, case_id, 201,
                                           "opinion.created")) != 0) {
        json_decref(out);
        return -1;
    }
    set_location(ctx, "opinions", id);
    set_opinion_etag(ctx, out);
    return http_reply_json(ctx, 201, out);
}

static int list_case_opinions(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct case_ref c;
    json_t *items = NULL, *item;
    size_t i;
    if (!case_id || !http_db(ctx) ||
        case_access(ctx->db, &ctx->who, case_id, 0, &c, &ctx->err) != 0)
        return -1;
    if (opinion_store_list_for_case(ctx->db, case_id, role_name(ctx->who.role),
                                    ctx->who.specialist_id, &items, &ctx->err) != 0)
        return -1;
    /* One audit row per opinion shown, under the case it belongs to. */
    json_array_foreach(items, i, item)
    {
        const char *oid = json_string_value(json_object_get(item, "id"));
        const char *ocase = json_string_value(json_object_get(item, "case_id"));
        struct audit_entry e = {&ctx->who, ctx->request_id, "opinion.list", "opinion",
                                oid,       ocase,           "success",      200};
        if (audit_record(ctx->db, &e, &ctx->err) != 0) {
            json_decref(items);
            return -1;
        }
    }
    if (http_audit_success(ctx, "case.opinions.read", "case", case_id, case_id) != 0) {
        json_decref(items);
        return -1;
    }
    return http_reply_json(ctx, 200, json_pack("{s:s,s:o}", "case_id", case_id, "items", items));
}

static int opinion_report(struct http_ctx *ctx, const struct opinion_ref *o)
{
    json_t *report = NULL;
    unsigned char *pdf = NULL;
    size_t len = 0;
    char disposition[96];

    if (strcmp(o->status, "signed") != 0)
        return app_error_conflict(&ctx->err,
                                  "Only a signed opinion has a report; this one is a draft.");
    if (opinion_store_report(ctx->db, o->id, &report, &ctx->err) != 0)
        return -1;
    if (opinion_pdf_render(report, &pdf, &len, &ctx->err) != 0) {
        json_decref(report);
        return -1;
    }
    json_decref(report);
    /* The report is patient data like the JSON it is made from. */
    if (http_audit_success(ctx, "opinion.report.read", "opinion", o->id, o->case_id) != 0) {
        free(pdf);
        return -1;
    }
    snprintf(disposition, sizeof disposition, "inline; filename=\"second-opinion-%.36s.pdf\"",
             o->case_id);
    http_set_header(ctx, "Content-Disposition", disposition);
    http_reply_bytes(ctx, 200, "application/pdf", pdf, len);
    free(pdf);
    return 0;
}

static int get_opinion(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "opinion");
    enum representation repr = negotiate(http_header(ctx, "Accept"));
    struct opinion_ref o;
    json_t *out = NULL;

    if (!id)
        return -1;
    http_set_header(ctx, "Vary", "Accept");
    if (repr == REPR_NONE) {
        app_error_problem(&ctx->err, PROBLEM_NOT_ACCEPTABLE,
                          "An opinion is available as application/json or application/pdf.");
        return -1;
    }
    if (!http_db(ctx) || visible_opinion(ctx->db, &ctx->who, id, &o, &ctx->err) != 0)
        return -1;
    if (repr == REPR_PDF)
        return opinion_report(ctx, &o);
    if (opinion_store_get(ctx->db, id, &out, &ctx->err) != 0)
        return -1;
    if (http_audit_success(ctx, "opinion.read", "opinion", id, o.case_id) != 0) {
        json_decref(out);
        return -1;
    }
    set_opinion_etag(ctx, out);
    return http_reply_json(ctx, 200, out);
}

static int patch_opinion(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "opinion");
    struct opinion_ref o;
    struct case_ref c;
    json_t *current = NULL, *doc = NULL, *out = NULL;
    char etag[48];
    int i, rc = -1;

    if (!id || authored_opinion(ctx, id, &o, &c) != 0)
        return -1;
    if (!strcmp(o.status, "signed")) {
        app_error_problem(&ctx->err, PROBLEM_OPINION_SIGNED,
                          "A signed opinion cannot change; add an amendment with "
                          "POST /v1/opinions/{id}/amendments.");
        return -1;
    }
    snprintf(etag, sizeof etag, "\"%d-%d\"", o.version, o.amendments);
    if (http_require_if_match(ctx, etag) != 0)
        return -1;
    if (!workflow_takes_opinion(c.status))
        return app_error_conflict(
            &ctx->err, "A draft can change only while the case is in_review; it is %s.", c.status);
    if (validate_object(ctx->body, opinion_fields, "", 1, &ctx->err) != 0)
        return -1;
    if (json_object_size(ctx->body) == 0)
        return app_error_bad_request(&ctx->err, "The patch is empty.");
    if (opinion_store_get(ctx->db, id, &current, &ctx->err) != 0)
        return -1;
    doc = json_object();
    for (i = 0; writable[i]; i++)
        if (json_object_get(current, writable[i]))
            json_object_set_new(doc, writable[i],
                                json_deep_copy(json_object_get(current, writable[i])));
    json_strip_nulls(doc);
    json_merge_patch(doc, ctx->body);
    if (validate_opinion(ctx, doc) != 0)
        goto out;
    if (opinion_store_update(ctx->db, id, o.version, doc, &out, &ctx->err) != 0)
        goto out;
    if (http_record_change(ctx, change_one("opinion.update", "opinion", id, o.case_id, 200,
                                           "opinion.updated")) != 0)
        goto out;
    set_opinion_etag(ctx, out);
    rc = http_reply_json(ctx, 200, out);
    out = NULL;
out:
    json_decref(out);
    json_decref(doc);
    json_decref(current);
    return rc;
}

static int sign_opinion(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "opinion");
    struct opinion_ref o;
    struct case_ref c;
    struct assignment_ref a;
    json_t *current = NULL, *the_case = NULL, *out = NULL;
    const struct caller by = http_caller(ctx);
    struct change change;
    char etag[48];
    int rc = -1;

    if (!id || authored_opinion(ctx, id, &o, &c) != 0)
        return -1;
    if (!strcmp(o.status, "signed")) {
        app_error_problem(&ctx->err, PROBLEM_OPINION_SIGNED,
                          "The opinion is already signed; corrections are amendments.");
        return -1;
    }
    snprintf(etag, sizeof etag, "\"%d-%d\"", o.version, o.amendments);
    if (http_require_if_match(ctx, etag) != 0)
        return -1;
    if (!workflow_takes_opinion(c.status))
        return app_error_conflict(
            &ctx->err, "An opinion is signed while the case is in_review; this case is %s.",
            c.status);
    if (assignment_store_ref(ctx->db, o.assignment_id, 1, &a, &ctx->err) != 0)
        return -1;
    if (strcmp(a.status, "accepted") != 0)
        return app_error_conflict(&ctx->err, "The assignment is %s, no longer accepted.", a.status);
    if (opinion_store_get(ctx->db, id, &current, &ctx->err) != 0 ||
        case_store_get(ctx->db, o.case_id, &the_case, &ctx->err) != 0)
        goto out;
    if (check_signable(ctx, current,
                       json_object_get(json_object_get(the_case, "request"), "questions")) != 0)
        goto out;
    change = change_one("opinion.sign", "opinion", id, o.case_id, 200, "opinion.signed");
    if (change_add_event(&change, "assignment.completed", "assignment", o.assignment_id,
                         &ctx->err) != 0 ||
        opinion_store_sign(ctx->db, id, ctx->who.sub, &out, &ctx->err) != 0 ||
        assignment_store_complete(ctx->db, o.assignment_id, &ctx->err) != 0 ||
        workflow_apply(ctx->db, &by, &c, MOVE_OPINION_READY, NULL, &change, NULL, &ctx->err) != 0 ||
        http_record_change(ctx, change) != 0)
        goto out;
    set_opinion_etag(ctx, out);
    rc = http_reply_json(ctx, 200, out);
    out = NULL;
out:
    json_decref(out);
    json_decref(the_case);
    json_decref(current);
    return rc;
}

static int amend_opinion(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "opinion");
    struct opinion_ref o;
    struct case_ref c;
    const json_t *changes;
    const char *narrative;
    json_t *out = NULL;

    if (!id || validate_object(ctx->body, amendment_fields, "", 0, &ctx->err) != 0)
        return -1;
    changes = json_object_get(ctx->body, "changes");
    narrative = vget_str(ctx->body, "narrative");
    if (changes && json_object_size(changes) == 0)
        app_error_field(&ctx->err, "changes", "must revise at least one member when present");
    if (!changes && !narrative)
        app_error_field(&ctx->err, "changes", "or narrative is required: say what is corrected");
    if (ctx->err.status || (changes && check_content(ctx, changes, "changes.") != 0))
        return -1;
    if (authored_opinion(ctx, id, &o, &c) != 0)
        return -1;
    if (strcmp(o.status, "signed") != 0) {
        app_error_problem(&ctx->err, PROBLEM_OPINION_NOT_SIGNED,
                          "A draft is changed with PATCH; amendments correct a signed opinion.");
        return -1;
    }
    if (opinion_store_amend(ctx->db, id, vget_str(ctx->body, "reason"), changes, narrative,
                            ctx->who.specialist_id, ctx->who.sub, &out, &ctx->err) != 0)
        return -1;
    if (http_record_change(ctx, change_one("opinion.amend", "opinion", id, o.case_id, 201,
                                           "opinion.amended")) != 0) {
        json_decref(out);
        return -1;
    }
    set_location(ctx, "opinions", id);
    return http_reply_json(ctx, 201, out);
}

static int acknowledge(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct case_ref c;
    char opinion_id[37];
    json_t *out = NULL;
    int created = 0;
    struct change change;

    if (!case_id || !http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0 ||
        case_access(ctx->db, &ctx->who, case_id, 1, &c, &ctx->err) != 0)
        return -1;
    if (opinion_store_signed_for_case(ctx->db, case_id, opinion_id, &ctx->err) != 0)
        return -1;
    if (!opinion_id[0])
        return app_error_conflict(&ctx->err, "The case has no signed opinion to acknowledge yet.");
    if (opinion_store_acknowledge(ctx->db, case_id, opinion_id, ctx->who.sub, &out, &created,
                                  &ctx->err) != 0)
        return -1;
    /* Acknowledging again changes nothing: no event, the first record back. */
    change = change_one("case.acknowledge", "case", case_id, case_id, created ? 201 : 200, NULL);
    if (created &&
        change_add_event(&change, "case.acknowledged", "acknowledgement",
                         json_string_value(json_object_get(out, "id")), &ctx->err) != 0) {
        json_decref(out);
        return -1;
    }
    if (http_record_change(ctx, change) != 0) {
        json_decref(out);
        return -1;
    }
    return http_reply_json(ctx, created ? 201 : 200, out);
}

static int get_acknowledgement(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct case_ref c;
    json_t *out = NULL;
    if (!case_id || !http_db(ctx) ||
        case_access(ctx->db, &ctx->who, case_id, 0, &c, &ctx->err) != 0 ||
        opinion_store_acknowledgement(ctx->db, case_id, &out, &ctx->err) != 0)
        return -1;
    if (http_audit_success(ctx, "case.acknowledgement.read", "case", case_id, case_id) != 0) {
        json_decref(out);
        return -1;
    }
    return http_reply_json(ctx, 200, out);
}

static int third_opinion(struct http_ctx *ctx)
{
    const char *parent = http_path_uuid(ctx, "id", "case");
    const json_t *questions = NULL;
    const char *note = NULL, *new_id;
    struct case_ref c;
    json_t *out = NULL;
    char etag[32];

    if (!parent)
        return -1;
    if (ctx->body) {
        if (validate_object(ctx->body, third_opinion_fields, "", 0, &ctx->err) != 0)
            return -1;
        note = vget_str(ctx->body, "note");
        questions = json_object_get(ctx->body, "questions");
        if (json_is_null(questions))
            questions = NULL;
    }
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0 ||
        case_access(ctx->db, &ctx->who, parent, 1, &c, &ctx->err) != 0)
        return -1;
    if (!workflow_takes_new_round(c.status))
        return app_error_conflict(&ctx->err,
                                  "Another opinion can be asked for once this one is ready "
                                  "(opinion_ready or closed); the case is %s.",
                                  c.status);
    if (case_store_open_round(ctx->db, parent, &ctx->who, questions, note, &out, &ctx->err) != 0)
        return -1;
    new_id = json_string_value(json_object_get(out, "id"));
    {
        /* The new case is created (its own feed entry) and the earlier one
         * points at it. Both carry ids only. */
        const struct caller by = http_caller(ctx);
        struct change asked = change_one("case.third_opinion", "case", parent, parent, 201, NULL);
        if (change_add_event(&asked, "case.third_opinion_requested", "case", new_id, &ctx->err) !=
                0 ||
            change_write(ctx->db, &by, &asked, &ctx->err) != 0 ||
            http_record_change(
                ctx, change_one("case.create", "case", new_id, new_id, 201, "case.created")) != 0) {
            json_decref(out);
            return -1;
        }
    }
    set_location(ctx, "cases", new_id);
    snprintf(etag, sizeof etag, "\"%lld\"",
             (long long)json_integer_value(json_object_get(out, "version")));
    http_set_header(ctx, "ETag", etag);
    return http_reply_json(ctx, 201, out);
}

#define CASE_WRITERS (ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN)

static const struct http_route routes[] = {
    {"POST", "/v1/cases/:id/opinions", ROLE_SPECIALIST, HTTP_BODY_JSON, NULL, create_opinion,
     "opinion", 1},
    {"GET", "/v1/cases/:id/opinions", ROLES_ALL, HTTP_BODY_NONE, NULL, list_case_opinions,
     "opinion", 0},
    {"GET", "/v1/opinions/:id", ROLES_ALL, HTTP_BODY_NONE, NULL, get_opinion, "opinion", 0},
    {"PATCH", "/v1/opinions/:id", ROLE_SPECIALIST, HTTP_BODY_JSON, NULL, patch_opinion, "opinion",
     0},
    {"POST", "/v1/opinions/:id/sign", ROLE_SPECIALIST, HTTP_BODY_NONE, NULL, sign_opinion,
     "opinion", 0},
    {"POST", "/v1/opinions/:id/amendments", ROLE_SPECIALIST, HTTP_BODY_JSON, NULL, amend_opinion,
     "opinion", 1},
    {"POST", "/v1/cases/:id/acknowledge", ROLE_PATIENT, HTTP_BODY_NONE, NULL, acknowledge, "case",
     0},
    {"GET", "/v1/cases/:id/acknowledgement", ROLES_ALL, HTTP_BODY_NONE, NULL, get_acknowledgement,
     "case", 0},
    {"POST", "/v1/cases/:id/third-opinion", CASE_WRITERS, HTTP_BODY_JSON_OPTIONAL, NULL,
     third_opinion, "case", 1},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

/* Request-body schemas, for the body fuzzer (internal/routes.c). */
static const struct vschema schemas[] = {
    {"opinions.create", opinion_fields, 0, NULL},
    {"opinions.patch", opinion_fields, 1, NULL},
    {"opinions.amend", amendment_fields, 0, NULL},
    {"opinions.third_opinion", third_opinion_fields, 0, NULL},
    {NULL, NULL, 0, NULL},
};

const struct vschema *opinions_schemas(void)
{
    return schemas;
}

void opinions_store_init(void)
{
    opinion_store_init();
}

const struct http_route *opinions_routes(void)
{
    return routes;
}
