#include "cases.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../jsonpatch/jsonpatch.h"
#include "../audit/audit.h"
#include "../http/http_change.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "../workflow/workflow.h"
#include "case_access.h"
#include "case_store.h"

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

/* ---------- checks the table cannot express ---------- */

static int all_match(const char *s, int (*pred)(int))
{
    for (; *s; s++)
        if (!pred((unsigned char)*s))
            return 0;
    return 1;
}

static int language_tag_ok(const char *s)
{
    /* BCP 47 primary tag with an optional subtag: en, es, zh-Hant, pt-BR. */
    size_t i = 0;
    while (s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i < 2 || i > 3)
        return 0;
    if (!s[i])
        return 1;
    if (s[i] != '-' || !s[i + 1])
        return 0;
    for (i++; s[i]; i++)
        if (!isalnum((unsigned char)s[i]))
            return 0;
    return 1;
}

static void today_utc(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static void check_case_rules(const json_t *doc, struct app_error *err)
{
    const json_t *patient = json_object_get(doc, "patient"),
                 *diagnosis = json_object_get(doc, "diagnosis"),
                 *request = json_object_get(doc, "request"),
                 *prefs = json_object_get(doc, "preferences"),
                 *stage = json_object_get(diagnosis, "stage"), *item;
    const char *s;
    char today[11];
    size_t i;

    today_utc(today);
    if ((s = vget_str(patient, "state")) && !all_match(s, isupper))
        app_error_field(err, "patient.state", "must be a two-letter USPS code");
    if ((s = vget_str(patient, "zip")) && !all_match(s, isdigit))
        app_error_field(err, "patient.zip", "must be five digits");
    if ((s = vget_str(patient, "date_of_birth")) && strcmp(s, today) > 0)
        app_error_field(err, "patient.date_of_birth", "must not be in the future");
    if ((s = vget_str(patient, "preferred_language")) && !language_tag_ok(s))
        app_error_field(err, "patient.preferred_language",
                        "must be a language tag such as en or es");
    if ((s = vget_str(json_object_get(patient, "contact"), "email")) &&
        (!strchr(s, '@') || strchr(s, ' ')))
        app_error_field(err, "patient.contact.email", "must be an email address");
    if ((s = vget_str(diagnosis, "diagnosis_date")) && strcmp(s, today) > 0)
        app_error_field(err, "diagnosis.diagnosis_date", "must not be in the future");
    if ((s = vget_str(diagnosis, "diagnosis_date")) && vget_str(patient, "date_of_birth") &&
        strcmp(s, vget_str(patient, "date_of_birth")) < 0)
        app_error_field(err, "diagnosis.diagnosis_date", "must not be before the date of birth");
    if (stage) {
        int unknown = vget_bool(stage, "unknown", 0);
        int any = vget_str(stage, "t") || vget_str(stage, "n") || vget_str(stage, "m") ||
                  vget_str(stage, "group");
        if (unknown && any)
            app_error_field(err, "diagnosis.stage", "is either unknown or has values, not both");
        if (!unknown && !any)
            app_error_field(err, "diagnosis.stage",
                            "needs a group or T/N/M values, or unknown: true");
    }
    if (request) {
        int other = 0;
        json_array_foreach(json_object_get(request, "reasons"), i,
                           item) if (json_is_string(item) &&
                                     !strcmp(json_string_value(item), "other")) other = 1;
        if (other && !vget_str(request, "reason_other"))
            app_error_field(err, "request.reason_other", "is required when reasons include other");
        if ((s = vget_str(request, "urgency")) && strcmp(s, "routine") != 0 &&
            !vget_str(request, "urgency_reason"))
            app_error_field(err, "request.urgency_reason", "is required unless urgency is routine");
    }
    json_array_foreach(json_object_get(prefs, "languages"), i, item)
    {
        if (json_is_string(item) && !language_tag_ok(json_string_value(item))) {
            char f[64];
            snprintf(f, sizeof f, "preferences.languages[%zu]", i);
            app_error_field(err, f, "must be a language tag such as en or es");
        }
    }
}

/* Checks a case document's shape and rules for ctx's role (no database). */
static int validate_case_shape(struct http_ctx *ctx, const json_t *doc, int partial)
{
    const struct vfield *spec =
        ctx->who.role == ROLE_PATIENT ? patient_case_fields : staff_case_fields;
    validate_object(doc, spec, "", partial, &ctx->err);
    if (!partial)
        check_case_rules(doc, &ctx->err);
    return ctx->err.status ? -1 : 0;
}

static int unknown_cancer_type(struct http_ctx *ctx)
{
    app_error_field(&ctx->err, "diagnosis.cancer_type", "is not a code from GET /v1/cancer-types");
    return -1;
}

/* Validates a complete case document for ctx's role and checks the cancer
 * type against the vocabulary. */
static int validate_case(struct http_ctx *ctx, const json_t *doc, int partial)
{
    const char *code;
    int rc;
    if (validate_case_shape(ctx, doc, partial) != 0)
        return -1;
    code = vget_str(json_object_get(doc, "diagnosis"), "cancer_type");
    if (!code)
        return 0;
    if (!http_db(ctx))
        return -1;
    rc = case_store_cancer_type_exists(ctx->db, code, &ctx->err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return unknown_cancer_type(ctx);
    return 0;
}

/* ---------- rendering ---------- */

static void set_etag(struct http_ctx *ctx, const json_t *doc)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"",
             (long long)json_integer_value(json_object_get(doc, "version")));
    http_set_header(ctx, "ETag", etag);
}

static void set_location(struct http_ctx *ctx, const char *id)
{
    char loc[64];
    snprintf(loc, sizeof loc, "/v1/cases/%s", id);
    http_set_header(ctx, "Location", loc);
}

/* ---------- handlers ---------- */

static void set_etag_version(struct http_ctx *ctx, int version)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%d\"", version);
    http_set_header(ctx, "ETag", etag);
}

static int create_case(struct http_ctx *ctx)
{
    struct case_text out = {0};
    const char *patient_sub;
    char *doc_json;
    int rc;

    /* The insert checks the cancer type itself: one round trip. */
    if (validate_case_shape(ctx, ctx->body, 0) != 0)
        return -1;
    patient_sub =
        ctx->who.role == ROLE_PATIENT ? ctx->who.sub : vget_str(ctx->body, "patient_subject");
    if (!http_db(ctx))
        return -1;
    if (!(doc_json = http_body_text(ctx)))
        return app_error_internal(&ctx->err);
    rc = case_store_insert(ctx->db, &ctx->who, patient_sub, doc_json, ctx->request_id, &out,
                           &ctx->err);
    free(doc_json);
    if (rc == 1)
        return unknown_cancer_type(ctx);
    if (rc != 0)
        return -1;
    ctx->audited = 1;
    set_location(ctx, out.id);
    set_etag_version(ctx, out.version);
    http_reply_json_text(ctx, 201, out.json, strlen(out.json));
    free(out.json);
    return 0;
}

static int get_case(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "case");
    struct case_text out = {0};
    if (!id || !http_db(ctx) ||
        case_store_read_audited(ctx->db, &ctx->who, id, ctx->request_id, &out, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    set_etag_version(ctx, out.version);
    http_reply_json_text(ctx, 200, out.json, strlen(out.json));
    free(out.json);
    return 0;
}

/* {"items":[...],"next_cursor":...} around the page's JSON text. */
static int reply_page(struct http_ctx *ctx, struct case_page *page)
{
    char *next = NULL, *body;
    size_t len;
    int n;
    if (page->more && page->count > 0 &&
        !(next = http_cursor_encode(page->last_key, page->last_id))) {
        free(page->items_json);
        return app_error_internal(&ctx->err);
    }
    len = strlen(page->items_json) + (next ? strlen(next) : 0) + 64;
    body = malloc(len);
    n = body ? snprintf(body, len, "{\"items\":%s,\"next_cursor\":%s%s%s}", page->items_json,
                        next ? "\"" : "", next ? next : "null", next ? "\"" : "")
             : -1;
    free(page->items_json);
    free(next);
    if (n < 0 || (size_t)n >= len) {
        free(body);
        return app_error_internal(&ctx->err);
    }
    http_reply_json_text(ctx, 200, body, (size_t)n);
    free(body);
    return 0;
}

static int list_cases(struct http_ctx *ctx)
{
    struct case_list_query q;
    const char *cursor = http_query(ctx, "cursor");
    char key[64], cid[64];
    struct case_page page;

    memset(&q, 0, sizeof q);
    q.who = &ctx->who;
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
    if (ctx->err.status || !http_db(ctx))
        return -1;
    if (q.cancer_type) {
        int rc = case_store_cancer_type_exists(ctx->db, q.cancer_type, &ctx->err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            app_error_field(&ctx->err, "cancer_type", "is not a code from GET /v1/cancer-types");
            return -1;
        }
    }
    /* One audit row per case shown (a list discloses each of them), written
     * by the listing statement itself. */
    if (case_store_list_audited(ctx->db, &q, ctx->request_id, &page, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return reply_page(ctx, &page);
}

static int patch_case(struct http_ctx *ctx)
{
    static const char *const writable[] = {"patient", "diagnosis",   "treatment_plan",
                                           "request", "preferences", "patient_subject",
                                           NULL};
    const char *id = http_path_uuid(ctx, "id", "case");
    struct case_ref ref;
    json_t *current = NULL, *doc = NULL, *out = NULL;
    const char *patient_sub;
    char etag[32];
    int i, rc = -1;

    if (!id || !http_db(ctx))
        return -1;
    if (db_begin(ctx->db, &ctx->err) != 0 ||
        case_access(ctx->db, &ctx->who, id, 1, &ref, &ctx->err) != 0)
        return -1;
    snprintf(etag, sizeof etag, "\"%d\"", ref.version);
    if (http_require_if_match(ctx, etag) != 0)
        return -1;
    if (!workflow_takes_edits(ref.status))
        return app_error_conflict(
            &ctx->err, "A case can be edited only while draft or submitted; it is %s.", ref.status);
    /* Type-check the patch itself first so errors name what the caller sent. */
    if (validate_object(ctx->body,
                        ctx->who.role == ROLE_PATIENT ? patient_case_fields : staff_case_fields, "",
                        1, &ctx->err) != 0)
        return -1;
    if (json_object_size(ctx->body) == 0)
        return app_error_bad_request(&ctx->err, "The patch is empty.");
    if (case_store_get(ctx->db, id, &current, &ctx->err) != 0)
        return -1;
    doc = json_object();
    for (i = 0; writable[i]; i++)
        if (json_object_get(current, writable[i]))
            json_object_set_new(doc, writable[i],
                                json_deep_copy(json_object_get(current, writable[i])));
    json_strip_nulls(doc);
    json_merge_patch(doc, ctx->body);
    if (ctx->who.role == ROLE_PATIENT)
        json_object_del(doc, "patient_subject");
    if (validate_case(ctx, doc, 0) != 0)
        goto out;
    patient_sub = ctx->who.role == ROLE_PATIENT
                      ? json_string_value(json_object_get(current, "patient_subject"))
                      : vget_str(doc, "patient_subject");
    if (case_store_update(ctx->db, id, ref.version, patient_sub, doc, &out, &ctx->err) != 0)
        goto out;
    if (http_record_change(ctx, change_one("case.update", "case", id, id, 200, "case.updated")) !=
        0)
        goto out;
    set_etag(ctx, out);
    rc = http_reply_json(ctx, 200, out);
    out = NULL;
out:
    json_decref(out);
    json_decref(doc);
    json_decref(current);
    return rc;
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
    ctx->audited = 1;
    set_etag(ctx, out);
    return http_reply_json(ctx, 200, out);
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

static int case_history(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "case");
    struct case_ref ref;
    json_t *items = NULL;
    if (!id || !http_db(ctx) || case_access(ctx->db, &ctx->who, id, 0, &ref, &ctx->err) != 0 ||
        case_store_history(ctx->db, id, &items, &ctx->err) != 0)
        return -1;
    if (http_audit_success(ctx, "case.history.read", "case", id, id) != 0) {
        json_decref(items);
        return -1;
    }
    return http_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static int case_checklist(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "case");
    struct case_ref ref;
    json_t *out = NULL;
    if (!id || !http_db(ctx) || case_access(ctx->db, &ctx->who, id, 0, &ref, &ctx->err) != 0 ||
        case_store_checklist(ctx->db, id, &out, &ctx->err) != 0)
        return -1;
    if (http_audit_success(ctx, "case.checklist.read", "case", id, id) != 0) {
        json_decref(out);
        return -1;
    }
    json_object_set_new(out, "case_id", json_string(id));
    json_object_set_new(out, "status", json_string(ref.status));
    return http_reply_json(ctx, 200, out);
}

static int list_cancer_types(struct http_ctx *ctx)
{
    json_t *items = NULL;
    if (!http_db(ctx) || case_store_cancer_types(ctx->db, &items, &ctx->err) != 0)
        return -1;
    return http_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static int list_specialties(struct http_ctx *ctx)
{
    json_t *items = NULL;
    if (!http_db(ctx) || case_store_specialties(ctx->db, &items, &ctx->err) != 0)
        return -1;
    return http_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

#define WRITERS (ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN)

static const struct http_route routes[] = {
    {"POST", "/v1/cases", WRITERS, HTTP_BODY_JSON, NULL, create_case, "case", 1},
    {"GET", "/v1/cases", ROLES_ALL, HTTP_BODY_NONE, "limit,cursor,status,cancer_type,updated_since",
     list_cases, "case", 0},
    {"GET", "/v1/cases/:id", ROLES_ALL, HTTP_BODY_NONE, NULL, get_case, "case", 0},
    {"PATCH", "/v1/cases/:id", WRITERS, HTTP_BODY_JSON, NULL, patch_case, "case", 0},
    {"POST", "/v1/cases/:id/submit", WORKFLOW_CASE_WRITERS, HTTP_BODY_JSON_OPTIONAL, NULL,
     submit_case, "case", 0},
    {"POST", "/v1/cases/:id/withdraw", WORKFLOW_CASE_WRITERS, HTTP_BODY_JSON_OPTIONAL, NULL,
     withdraw_case, "case", 0},
    {"POST", "/v1/cases/:id/close", WORKFLOW_CASE_WRITERS, HTTP_BODY_JSON_OPTIONAL, NULL,
     close_case, "case", 0},
    {"GET", "/v1/cases/:id/history", ROLES_ALL, HTTP_BODY_NONE, NULL, case_history, "case", 0},
    {"GET", "/v1/cases/:id/checklist", ROLES_ALL, HTTP_BODY_NONE, NULL, case_checklist, "case", 0},
    {"GET", "/v1/cancer-types", ROLES_ALL, HTTP_BODY_NONE, NULL, list_cancer_types, NULL, 0},
    {"GET", "/v1/specialties", ROLES_ALL, HTTP_BODY_NONE, NULL, list_specialties, NULL, 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

static const struct vschema schemas[] = {
    {"cases.create.patient", patient_case_fields, 0, check_case_rules},
    {"cases.create.staff", staff_case_fields, 0, check_case_rules},
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
