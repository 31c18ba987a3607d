#include "cases.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../http/http_change.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "../workflow/workflow.h"
#include "case_domain.h"

/* ---------- the shape of a case document ---------- */

static const char *const sexes[] = {"female", "male", "intersex", "unknown", NULL};
static const char *const stage_systems[] = {"ajcc8", "ajcc7", "figo", "ann_arbor",
                                            "iss",   "other", NULL};
static const char *const intents[] = {"curative", "palliative", "unknown", NULL};
static const char *const modalities[] = {"surgery",
                                         "chemotherapy",
                                         "radiation",
                                         "immunotherapy",
                                         "targeted_therapy",
                                         "hormone_therapy",
                                         "stem_cell_transplant",
                                         "car_t",
                                         "active_surveillance",
                                         "clinical_trial",
                                         "palliative_care",
                                         "other",
                                         NULL};
static const char *const reasons[] = {"confirm_diagnosis",
                                      "confirm_stage",
                                      "explore_options",
                                      "rare_cancer",
                                      "doctor_not_specialist",
                                      "treatment_not_working",
                                      "surgery_recommended",
                                      "risky_or_experimental_treatment",
                                      "uncertain_type_or_stage",
                                      "communication_difficulty",
                                      "peace_of_mind",
                                      "insurer_requires",
                                      "other",
                                      NULL};
static const char *const urgencies[] = {"routine", "soon", "urgent", NULL};

static const struct vfield contact_fields[] = {
    {"email", V_STRING, V_NULLABLE, 3, 254, NULL, NULL, 0},
    {"phone", V_STRING, V_NULLABLE, 3, 32, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield location_fields[] = {
    {"lat", V_NUMBER, V_REQUIRED, -90, 90, NULL, NULL, 0},
    {"lon", V_NUMBER, V_REQUIRED, -180, 180, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield patient_fields[] = {
    {"name", V_STRING, V_REQUIRED, 1, 200, NULL, NULL, 0},
    {"date_of_birth", V_DATE, V_REQUIRED, 0, 0, NULL, NULL, 0},
    {"sex", V_ENUM, V_REQUIRED, 0, 0, sexes, NULL, 0},
    {"contact", V_OBJECT, V_NULLABLE, 0, 0, NULL, contact_fields, 0},
    {"state", V_STRING, V_NULLABLE, 2, 2, NULL, NULL, 0},
    {"zip", V_STRING, V_NULLABLE, 5, 5, NULL, NULL, 0},
    {"location", V_OBJECT, V_NULLABLE, 0, 0, NULL, location_fields, 0},
    {"preferred_language", V_STRING, 0, 2, 16, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
const struct vfield case_stage_fields[] = {
    {"unknown", V_BOOL, 0, 0, 0, NULL, NULL, 0},
    {"system", V_ENUM, 0, 0, 0, stage_systems, NULL, 0},
    {"t", V_STRING, V_NULLABLE, 1, 16, NULL, NULL, 0},
    {"n", V_STRING, V_NULLABLE, 1, 16, NULL, NULL, 0},
    {"m", V_STRING, V_NULLABLE, 1, 16, NULL, NULL, 0},
    {"group", V_STRING, V_NULLABLE, 1, 16, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield diagnosis_fields[] = {
    {"cancer_type", V_STRING, V_REQUIRED, 1, 64, NULL, NULL, 0},
    {"diagnosis_date", V_DATE, V_NULLABLE, 0, 0, NULL, NULL, 0},
    {"stage", V_OBJECT, 0, 0, 0, NULL, case_stage_fields, 0},
    {"histology", V_TEXT, V_NULLABLE, 1, 2000, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield proposed_by_fields[] = {
    {"physician", V_STRING, V_NULLABLE, 1, 200, NULL, NULL, 0},
    {"institution", V_STRING, V_NULLABLE, 1, 200, NULL, NULL, 0},
    {"specialty", V_STRING, V_NULLABLE, 1, 100, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield plan_fields[] = {
    {"summary", V_TEXT, V_REQUIRED, 1, 5000, NULL, NULL, 0},
    {"intent", V_ENUM, 0, 0, 0, intents, NULL, 0},
    {"modalities", V_ENUM_ARRAY, 0, 0, 12, modalities, NULL, 0},
    {"proposed_by", V_OBJECT, V_NULLABLE, 0, 0, NULL, proposed_by_fields, 0},
    {"planned_start", V_DATE, V_NULLABLE, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield request_fields[] = {
    {"reasons", V_ENUM_ARRAY, V_REQUIRED, 1, 13, reasons, NULL, 0},
    {"reason_other", V_TEXT, V_NULLABLE, 1, 1000, NULL, NULL, 0},
    {"urgency", V_ENUM, V_REQUIRED, 0, 0, urgencies, NULL, 0},
    {"urgency_reason", V_TEXT, V_NULLABLE, 1, 1000, NULL, NULL, 0},
    {"questions", V_STRING_ARRAY, 0, 0, 20, NULL, NULL, 2000},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield preference_fields[] = {
    {"telehealth_ok", V_BOOL, 0, 0, 0, NULL, NULL, 0},
    {"max_travel_km", V_INT, V_NULLABLE, 0, 20000, NULL, NULL, 0},
    {"languages", V_STRING_ARRAY, 0, 0, 10, NULL, NULL, 16},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

#define CASE_COMMON_FIELDS                                                                         \
    {"patient", V_OBJECT, V_REQUIRED, 0, 0, NULL, patient_fields, 0},                              \
        {"diagnosis", V_OBJECT, V_REQUIRED, 0, 0, NULL, diagnosis_fields, 0},                      \
        {"treatment_plan", V_OBJECT, V_NULLABLE, 0, 0, NULL, plan_fields, 0},                      \
        {"request", V_OBJECT, V_REQUIRED, 0, 0, NULL, request_fields, 0},                          \
        {"preferences", V_OBJECT, 0, 0, 0, NULL, preference_fields, 0},                            \
        {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                                \
        {"status", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                            \
        {"version", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                           \
        {"round", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                             \
        {"parent_case_id", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                    \
        {"created_by", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"updated_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"submitted_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                      \
        {"closed_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                         \
    {                                                                                              \
        "owner", V_READONLY, 0, 0, 0, NULL, NULL, 0                                                \
    }

/* Staff name the patient's account (JWT subject) when they open a case on a
 * patient's behalf; a patient's own cases are always theirs. */
static const struct vfield staff_case_fields[] = {
    CASE_COMMON_FIELDS,
    {"patient_subject", V_STRING, V_NULLABLE, 1, 128, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};
static const struct vfield patient_case_fields[] = {
    CASE_COMMON_FIELDS,
    {"patient_subject", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

static const struct vfield transition_fields[] = {
    {"note", V_TEXT, V_NULLABLE, 1, 1000, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* ---------- handlers: parse, call the domain (case_domain.h), render ---------- */

/* The table a case document of this caller's role meets: a patient may not
 * name whose case it is. */
static const struct vfield *case_fields(const struct http_ctx *ctx)
{
    return ctx->who.role == ROLE_PATIENT ? patient_case_fields : staff_case_fields;
}

/* A case document the domain answered with, and its ETag. */
static int reply_case(struct http_ctx *ctx, json_t *out)
{
    ctx->audited = 1;
    return http_reply_versioned(ctx, 200, out);
}

/* The hot paths: the JSON text PostgreSQL rendered goes out as it is. */
static int reply_case_text(struct http_ctx *ctx, int status, struct case_text *out)
{
    ctx->audited = 1;
    http_set_etag_version(ctx, out->version);
    http_reply_json_text(ctx, status, out->json, strlen(out->json));
    free(out->json);
    return 0;
}

static int create_case(struct http_ctx *ctx)
{
    const struct caller by = http_caller(ctx);
    struct case_text out = {0};
    char *doc_json, loc[64];
    int rc;

    if (!http_db(ctx))
        return -1;
    if (!(doc_json = http_body_text(ctx)))
        return app_error_internal(&ctx->err);
    rc = case_create(ctx->db, &by, case_fields(ctx), ctx->body, doc_json, &out, &ctx->err);
    free(doc_json);
    if (rc != 0)
        return -1;
    snprintf(loc, sizeof loc, "/v1/cases/%s", out.id);
    http_set_header(ctx, "Location", loc);
    return reply_case_text(ctx, 201, &out);
}

static int get_case(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    struct case_text out = {0};
    if (!id || !http_db(ctx) || case_read(ctx->db, &by, id, &out, &ctx->err) != 0)
        return -1;
    return reply_case_text(ctx, 200, &out);
}

/* {"items":[...],"next_cursor":...} around the page's JSON text. */
static int reply_page(struct http_ctx *ctx, struct case_page *page)
{
    char *next = NULL;
    int rc;
    if (page->more && page->count > 0 &&
        !(next = http_cursor_encode(page->last_key, page->last_id)))
        rc = app_error_internal(&ctx->err);
    else
        rc = http_reply_page_text(ctx, page->items_json, next, -1);
    free(page->items_json);
    free(next);
    return rc;
}

static int list_cases(struct http_ctx *ctx)
{
    const struct caller by = http_caller(ctx);
    struct case_list_query q;
    const char *cursor = http_query(ctx, "cursor");
    char key[64], cid[64];
    struct case_page page;

    memset(&q, 0, sizeof q);
    q.status = http_query(ctx, "status");
    q.cancer_type = http_query(ctx, "cancer_type");
    q.updated_since = http_query(ctx, "updated_since");
    if (http_query_limit(ctx, 50, 200, &q.limit) != 0)
        return -1;
    if (q.status) {
        enum case_status known;
        if (case_status_parse(q.status, &known) != 0)
            app_error_field(&ctx->err, "status", "must be one of the case statuses");
    }
    if (q.updated_since && !datetime_is_valid(q.updated_since))
        app_error_field(&ctx->err, "updated_since", "must be an RFC 3339 date-time with a zone");
    if (cursor && http_cursor_decode(ctx, cursor, key, sizeof key, cid, sizeof cid) == 0) {
        if (!datetime_is_valid(key) || !uuid_is_valid(cid))
            app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
        q.after_created = key;
        q.after_id = cid;
    }
    if (ctx->err.status || !http_db(ctx) || case_list(ctx->db, &by, &q, &page, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return reply_page(ctx, &page);
}

static int patch_case(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    /* The patch's shape is checked by the domain against case_fields: only
     * after If-Match and the case's status, and again once merged. */
    if (!id || !http_db(ctx) ||
        case_update(ctx->db, &by, id, http_header(ctx, "If-Match"), case_fields(ctx), ctx->body,
                    &out, &ctx->err) != 0)
        return -1;
    return reply_case(ctx, out);
}

/* The workflow actions: the body's optional note, then the move
 * (internal/workflow). */
static int move_case(struct http_ctx *ctx, enum case_move move)
{
    const char *id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (ctx->body && validate_object(ctx->body, transition_fields, "", 0, &ctx->err) != 0)
        return -1;
    if (!id || !http_db(ctx) ||
        workflow_move_case(ctx->db, &by, id, move, ctx->body ? vget_str(ctx->body, "note") : NULL,
                           &out, &ctx->err) != 0)
        return -1;
    return reply_case(ctx, out);
}

static int submit_case(struct http_ctx *ctx)
{
    return move_case(ctx, MOVE_SUBMIT);
}

static int withdraw_case(struct http_ctx *ctx)
{
    return move_case(ctx, MOVE_WITHDRAW);
}

static int close_case(struct http_ctx *ctx)
{
    return move_case(ctx, MOVE_CLOSE);
}

static int get_case_history(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *items = NULL;
    if (!id || !http_db(ctx) || case_history(ctx->db, &by, id, &items, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static int get_case_checklist(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    if (!id || !http_db(ctx) || case_checklist(ctx->db, &by, id, &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_json(ctx, 200, out);
}

/* The reference vocabularies: {"items": [...]} of one of them. */
static int reply_vocabulary(struct http_ctx *ctx,
                            int (*list)(struct db_conn *, json_t **, struct app_error *))
{
    json_t *items = NULL;
    if (!http_db(ctx) || list(ctx->db, &items, &ctx->err) != 0)
        return -1;
    return http_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static int list_cancer_types(struct http_ctx *ctx)
{
    return reply_vocabulary(ctx, case_cancer_types);
}

static int list_specialties(struct http_ctx *ctx)
{
    return reply_vocabulary(ctx, case_specialties);
}

#define WRITERS (ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN)

static const struct http_route routes[] = {
    {"POST", "/v1/cases", WRITERS, HTTP_BODY_JSON, NULL, create_case, "case", 1},
    {"GET", "/v1/cases", ROLES_ALL, HTTP_BODY_NONE, "limit,cursor,status,cancer_type,updated_since",
     list_cases, "case", 0},
    {"GET", "/v1/cases/:id", ROLES_ALL, HTTP_BODY_NONE, NULL, get_case, "case", 0},
    {"PATCH", "/v1/cases/:id", WRITERS, HTTP_BODY_JSON, NULL, patch_case, "case", 0},
    {"POST", "/v1/cases/:id/submit", WORKFLOW_CASE_WRITERS, HTTP_BODY_JSON_OPTIONAL, NULL,
     submit_case, "case", 1},
    {"POST", "/v1/cases/:id/withdraw", WORKFLOW_CASE_WRITERS, HTTP_BODY_JSON_OPTIONAL, NULL,
     withdraw_case, "case", 1},
    {"POST", "/v1/cases/:id/close", WORKFLOW_CASE_WRITERS, HTTP_BODY_JSON_OPTIONAL, NULL,
     close_case, "case", 0},
    {"GET", "/v1/cases/:id/history", ROLES_ALL, HTTP_BODY_NONE, NULL, get_case_history, "case", 0},
    {"GET", "/v1/cases/:id/checklist", ROLES_ALL, HTTP_BODY_NONE, NULL, get_case_checklist, "case",
     0},
    {"GET", "/v1/cancer-types", ROLES_ALL, HTTP_BODY_NONE, NULL, list_cancer_types, NULL, 0},
    {"GET", "/v1/specialties", ROLES_ALL, HTTP_BODY_NONE, NULL, list_specialties, NULL, 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

static const struct vschema schemas[] = {
    {"cases.create.patient", patient_case_fields, 0, case_check_rules},
    {"cases.create.staff", staff_case_fields, 0, case_check_rules},
    {"cases.patch.patient", patient_case_fields, 1, NULL},
    {"cases.patch.staff", staff_case_fields, 1, NULL},
    {"cases.transition", transition_fields, 0, NULL},
    {NULL, NULL, 0, NULL},
};

const struct vschema *cases_schemas(void)
{
    return schemas;
}

void cases_store_init(void)
{
    case_store_init();
}

const struct http_route *cases_routes(void)
{
    return routes;
}
