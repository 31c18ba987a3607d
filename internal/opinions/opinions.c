#include "opinions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../cases/cases.h"
#include "../http/http_change.h"
#include "../validate/validate.h"
#include "opinion_domain.h"
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
 * check_signable in opinion_domain.c). */
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

/* ---------- handlers: parse, call the domain (opinion_domain.h), render ---------- */

static void set_location(struct http_ctx *ctx, const char *kind, const char *id)
{
    char loc[96];
    snprintf(loc, sizeof loc, "/v1/%s/%s", kind, id);
    http_set_header(ctx, "Location", loc);
}

/* An opinion the domain answered with, sent with its ETag. */
static int reply_opinion(struct http_ctx *ctx, int status, json_t *out)
{
    char etag[OPINION_ETAG_LEN];
    ctx->audited = 1;
    opinion_etag(out, etag);
    http_set_header(ctx, "ETag", etag);
    return http_reply_json(ctx, status, out);
}

static int create_opinion(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!case_id || validate_object(ctx->body, opinion_fields, "", 0, &ctx->err) != 0)
        return -1;
    if (!http_db(ctx) || opinion_create(ctx->db, &by, case_id, ctx->body, &out, &ctx->err) != 0)
        return -1;
    set_location(ctx, "opinions", json_string_value(json_object_get(out, "id")));
    return reply_opinion(ctx, 201, out);
}

static int list_case_opinions(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *items = NULL;

    if (!case_id || !http_db(ctx) ||
        opinion_list_for_case(ctx->db, &by, case_id, &items, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_json(ctx, 200, json_pack("{s:s,s:o}", "case_id", case_id, "items", items));
}

/* The report inline (a browser shows it), named after the case. */
static int reply_report(struct http_ctx *ctx, const struct caller *by, const char *id)
{
    struct opinion_report report;
    char disposition[96];

    if (opinion_read_report(ctx->db, by, id, &report, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    snprintf(disposition, sizeof disposition, "inline; filename=\"second-opinion-%.36s.pdf\"",
             report.case_id);
    http_set_header(ctx, "Content-Disposition", disposition);
    http_set_header(ctx, "ETag", report.etag);
    http_reply_bytes(ctx, 200, "application/pdf", report.bytes, report.len);
    free(report.bytes);
    return 0;
}

static int get_opinion(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "opinion");
    enum representation repr = negotiate(http_header(ctx, "Accept"));
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!id)
        return -1;
    /* Every answer from here on depends on Accept (a 406 as well), so a
     * cache must key it on Accept. */
    http_set_header(ctx, "Vary", "Accept");
    if (repr == REPR_NONE) {
        app_error_problem(&ctx->err, PROBLEM_NOT_ACCEPTABLE,
                          "An opinion is available as application/json or application/pdf.");
        return -1;
    }
    if (!http_db(ctx))
        return -1;
    if (repr == REPR_PDF)
        return reply_report(ctx, &by, id);
    if (opinion_read(ctx->db, &by, id, &out, &ctx->err) != 0)
        return -1;
    return reply_opinion(ctx, 200, out);
}

/* The patch is checked against opinion_fields by the domain, after the
 * draft's state and If-Match (a signed or stale draft is reported before a
 * bad patch), and so is the draft it makes. */
static int patch_opinion(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "opinion");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!id || !http_db(ctx) ||
        opinion_update_draft(ctx->db, &by, id, http_header(ctx, "If-Match"), ctx->body,
                             opinion_fields, &out, &ctx->err) != 0)
        return -1;
    return reply_opinion(ctx, 200, out);
}

static int sign_opinion(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "opinion");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!id || !http_db(ctx) ||
        opinion_sign(ctx->db, &by, id, http_header(ctx, "If-Match"), &out, &ctx->err) != 0)
        return -1;
    return reply_opinion(ctx, 200, out);
}

static int amend_opinion(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "opinion");
    const struct caller by = http_caller(ctx);
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
    if (ctx->err.status || !http_db(ctx) ||
        opinion_amend(ctx->db, &by, id, vget_str(ctx->body, "reason"), changes, narrative, &out,
                      &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    set_location(ctx, "opinions", id);
    return http_reply_json(ctx, 201, out);
}

static int acknowledge(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    int created = 0;

    if (!case_id || !http_db(ctx) ||
        opinion_acknowledge(ctx->db, &by, case_id, &out, &created, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    /* A new acknowledgement is a new resource: say where it is read. */
    if (created) {
        char location[80];
        snprintf(location, sizeof location, "/v1/cases/%s/acknowledgement", case_id);
        http_set_header(ctx, "Location", location);
    }
    return http_reply_json(ctx, created ? 201 : 200, out);
}

static int get_acknowledgement(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!case_id || !http_db(ctx) ||
        opinion_read_acknowledgement(ctx->db, &by, case_id, &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_json(ctx, 200, out);
}

static int third_opinion(struct http_ctx *ctx)
{
    const char *parent = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    const json_t *questions = NULL;
    const char *note = NULL;
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
    if (!http_db(ctx) ||
        opinion_request_third(ctx->db, &by, parent, questions, note, &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    set_location(ctx, "cases", json_string_value(json_object_get(out, "id")));
    /* The answer is the new case: its ETag is a case's (its version). */
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
     "opinion", 1},
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
