#include "records.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "../http/http_change.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "media_type.h"
#include "record_domain.h"

/* ---------- vocabularies and body shapes ---------- */

static const char *const document_kinds[] = {"pathology_report",
                                             "pathology_slides",
                                             "imaging",
                                             "operative_report",
                                             "discharge_summary",
                                             "treatment_plan",
                                             "medication_list",
                                             "other",
                                             NULL};

static const char *const units[] = {"mg",      "g",     "mcg",     "ng",       "mL",    "L",
                                    "IU",      "units", "mEq",     "mmol",     "mg/m2", "mg/kg",
                                    "mcg/kg",  "AUC",   "tablets", "capsules", "drops", "puffs",
                                    "patches", "other", NULL};

static const char *const medication_routes[] = {
    "oral",        "intravenous", "subcutaneous", "intramuscular", "intrathecal", "topical",
    "transdermal", "inhaled",     "rectal",       "sublingual",    "other",       NULL};

#define DOCUMENT_SERVER_FIELDS                                                                     \
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0}, {"case_id", V_READONLY, 0, 0, 0, NULL, NULL, 0},   \
        {"kind", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                              \
        {"media_type", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"size_bytes", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"sha256", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                            \
        {"uploaded_by", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                       \
        {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"updated_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
    {                                                                                              \
        "content_url", V_READONLY, 0, 0, 0, NULL, NULL, 0                                          \
    }

/* POST /slides (complete) and PATCH /documents/{doc} (partial). */
static const struct vfield slides_fields[] = {
    {"title", V_STRING, V_NULLABLE, 1, 200, NULL, NULL, 0},
    {"shipment_status", V_ENUM, 0, 0, 0, record_shipment_statuses, NULL, 0},
    {"carrier", V_STRING, V_NULLABLE, 1, 100, NULL, NULL, 0},
    {"tracking_number", V_STRING, V_NULLABLE, 1, 64, NULL, NULL, 0},
    DOCUMENT_SERVER_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

static const struct vfield upload_query_fields[] = {
    {"title", V_STRING, 0, 1, 200, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

static const struct vfield medication_fields[] = {
    {"drug", V_STRING, V_REQUIRED, 1, 200, NULL, NULL, 0},
    {"dose", V_NUMBER, V_NULLABLE, 0, 100000, NULL, NULL, 0},
    {"unit", V_ENUM, V_NULLABLE, 0, 0, units, NULL, 0},
    {"route", V_ENUM, V_NULLABLE, 0, 0, medication_routes, NULL, 0},
    {"frequency", V_STRING, V_NULLABLE, 1, 100, NULL, NULL, 0},
    {"start_date", V_DATE, V_NULLABLE, 0, 0, NULL, NULL, 0},
    {"end_date", V_DATE, V_NULLABLE, 0, 0, NULL, NULL, 0},
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"case_id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"created_by", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* ---------- request shapes the tables cannot express ---------- */

static int in_list(const char *const *values, const char *s)
{
    for (; *values; values++)
        if (!strcmp(*values, s))
            return 1;
    return 0;
}

static int tracking_number_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == ' '))
            return 0;
    return 1;
}

/* The slides fields of a body the table accepted, as to their form. */
static int check_slides_fields(struct http_ctx *ctx, const json_t *body)
{
    const char *s;
    if ((s = vget_str(body, "tracking_number")) && !tracking_number_ok(s))
        app_error_field(&ctx->err, "tracking_number", "may hold only letters, digits, - and space");
    if ((s = vget_str(body, "carrier")) && text_is_blank(s))
        app_error_field(&ctx->err, "carrier", "must not be blank");
    if ((s = vget_str(body, "title")) && text_is_blank(s))
        app_error_field(&ctx->err, "title", "must not be blank");
    return ctx->err.status ? -1 : 0;
}

/* Parses limit and cursor of a list operation into q (key and id buffers
 * back the cursor fields). */
static int parse_page(struct http_ctx *ctx, struct record_page *q, char *key, size_t keylen,
                      char *id, size_t idlen)
{
    const char *cursor = http_query(ctx, "cursor");
    if (http_query_limit(ctx, 50, 200, &q->limit) != 0)
        return -1;
    if (cursor) {
        if (http_cursor_decode(ctx, cursor, key, keylen, id, idlen) != 0)
            return -1;
        if (!datetime_is_valid(key) || !uuid_is_valid(id)) {
            app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
            return -1;
        }
        q->after_created = key;
        q->after_id = id;
    }
    return 0;
}

/* ---------- rendering ---------- */

/* A record the domain answered with, and its ETag (documents; NULL for
 * none). */
static int reply_record(struct http_ctx *ctx, int status, json_t *out, const char *etag)
{
    if (etag)
        http_set_header(ctx, "ETag", etag);
    ctx->audited = 1;
    return http_reply_json(ctx, status, out);
}

/* A new record, with its Location in collection ("documents") of case_id. */
static int reply_created(struct http_ctx *ctx, const char *case_id, const char *collection,
                         json_t *out, const char *etag)
{
    char loc[128];
    snprintf(loc, sizeof loc, "/v1/cases/%s/%s/%s", case_id, collection,
             json_string_value(json_object_get(out, "id")));
    http_set_header(ctx, "Location", loc);
    return reply_record(ctx, 201, out, etag);
}

/* {items, next_cursor} of a page the domain listed (and audited). */
static int reply_page(struct http_ctx *ctx, json_t *items, int more)
{
    json_t *out = json_object();
    http_set_next_cursor(out, items, more);
    json_object_set_new(out, "items", items);
    ctx->audited = 1;
    return http_reply_json(ctx, 200, out);
}

/* After a removal: 204, no body. */
static int reply_removed(struct http_ctx *ctx)
{
    ctx->audited = 1;
    return http_reply_json(ctx, 204, NULL);
}

/* RFC 9530 Repr-Digest value for a hex SHA-256: sha-256=:<base64>: */
static void repr_digest(const char *hex, char out[64])
{
    unsigned char raw[32], b64[48];
    int i;
    for (i = 0; i < 32; i++) {
        unsigned v = 0;
        sscanf(hex + 2 * i, "%2x", &v);
        raw[i] = (unsigned char)v;
    }
    EVP_EncodeBlock(b64, raw, 32);
    snprintf(out, 64, "sha-256=:%s:", (const char *)b64);
}

/* ---------- handlers: parse, call the domain (record_domain.h), render ---------- */

static int upload_document(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    struct record_upload u = {(const unsigned char *)ctx->req->binary_body,
                              ctx->req->binary_body_length, http_header(ctx, "Content-Type"),
                              http_query(ctx, "kind"), http_query(ctx, "title")};
    char etag[RECORD_ETAG_LEN];
    json_t *out = NULL;

    if (!case_id)
        return -1;
    if (!u.kind)
        app_error_field(&ctx->err, "kind", "is required: the kind of record this is");
    else if (!in_list(document_kinds, u.kind))
        app_error_field(&ctx->err, "kind", "must be one of the document kinds");
    if (u.title) {
        /* The same rule as a title in a JSON body (length in characters). */
        json_t *q = json_pack("{s:s}", "title", u.title);
        if (validate_object(q, upload_query_fields, "", 0, &ctx->err) == 0 &&
            text_is_blank(u.title))
            app_error_field(&ctx->err, "title", "must not be blank");
        json_decref(q);
    }
    if (ctx->err.status || !http_db(ctx) ||
        record_document_upload(ctx->db, &by, case_id, &u, ctx->app->cfg->max_documents_per_case,
                               &out, etag, &ctx->err) != 0)
        return -1;
    return reply_created(ctx, case_id, "documents", out, etag);
}

static int create_slides(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    char etag[RECORD_ETAG_LEN];
    json_t *out = NULL;

    if (!case_id || validate_object(ctx->body, slides_fields, "", 0, &ctx->err) != 0 ||
        check_slides_fields(ctx, ctx->body) != 0 || !http_db(ctx) ||
        record_slides_create(ctx->db, &by, case_id, ctx->body,
                             ctx->app->cfg->max_documents_per_case, &out, etag, &ctx->err) != 0)
        return -1;
    return reply_created(ctx, case_id, "documents", out, etag);
}

static int list_documents(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    struct record_page q;
    char key[64], cid[64];
    json_t *items = NULL;
    int more = 0;

    memset(&q, 0, sizeof q);
    if (!case_id || parse_page(ctx, &q, key, sizeof key, cid, sizeof cid) != 0)
        return -1;
    q.case_id = case_id;
    q.kind = http_query(ctx, "kind");
    if (q.kind && !in_list(document_kinds, q.kind)) {
        app_error_field(&ctx->err, "kind", "must be one of the document kinds");
        return -1;
    }
    if (!http_db(ctx) || record_document_list(ctx->db, &by, &q, &items, &more, &ctx->err) != 0)
        return -1;
    return reply_page(ctx, items, more);
}

static int get_document(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *doc_id = case_id ? http_path_uuid(ctx, "doc", "document") : NULL;
    const struct caller by = http_caller(ctx);
    char etag[RECORD_ETAG_LEN];
    json_t *out = NULL;

    if (!doc_id || !http_db(ctx) ||
        record_document_read(ctx->db, &by, case_id, doc_id, &out, etag, &ctx->err) != 0)
        return -1;
    return reply_record(ctx, 200, out, etag);
}

static int download_document(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *doc_id = case_id ? http_path_uuid(ctx, "doc", "document") : NULL;
    const struct caller by = http_caller(ctx);
    struct document_content c;
    char header[160];
    int rc;

    if (!doc_id || !http_db(ctx) ||
        record_document_content(ctx->db, &by, case_id, doc_id, &c, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    snprintf(header, sizeof header, "attachment; filename=\"%s.%s\"", doc_id,
             media_type_extension(c.media_type));
    http_set_header(ctx, "Content-Disposition", header);
    repr_digest(c.sha256, header);
    http_set_header(ctx, "Repr-Digest", header);
    snprintf(header, sizeof header, "\"%s\"", c.sha256);
    http_set_header(ctx, "ETag", header);
    rc = http_reply_bytes(ctx, 200, c.media_type, c.bytes, c.size);
    record_store_content_close(&c);
    return rc;
}

static int patch_document(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *doc_id = case_id ? http_path_uuid(ctx, "doc", "document") : NULL;
    const struct caller by = http_caller(ctx);
    char etag[RECORD_ETAG_LEN];
    json_t *out = NULL;

    if (!doc_id || validate_object(ctx->body, slides_fields, "", 1, &ctx->err) != 0 ||
        check_slides_fields(ctx, ctx->body) != 0)
        return -1;
    if (json_object_size(ctx->body) == 0)
        return app_error_bad_request(&ctx->err, "The patch is empty.");
    if (!http_db(ctx) ||
        record_document_update(ctx->db, &by, case_id, doc_id, http_header(ctx, "If-Match"),
                               ctx->body, &out, etag, &ctx->err) != 0)
        return -1;
    return reply_record(ctx, 200, out, etag);
}

static int delete_document(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *doc_id = case_id ? http_path_uuid(ctx, "doc", "document") : NULL;
    const struct caller by = http_caller(ctx);

    if (!doc_id || !http_db(ctx) ||
        record_document_delete(ctx->db, &by, case_id, doc_id, &ctx->err) != 0)
        return -1;
    return reply_removed(ctx);
}

static int add_medication(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!case_id || validate_object(ctx->body, medication_fields, "", 0, &ctx->err) != 0 ||
        !http_db(ctx) ||
        record_medication_add(ctx->db, &by, case_id, ctx->body, &out, &ctx->err) != 0)
        return -1;
    return reply_created(ctx, case_id, "medications", out, NULL);
}

static int list_medications(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    struct record_page q;
    char key[64], cid[64];
    json_t *items = NULL;
    int more = 0;

    memset(&q, 0, sizeof q);
    if (!case_id || parse_page(ctx, &q, key, sizeof key, cid, sizeof cid) != 0)
        return -1;
    q.case_id = case_id;
    if (!http_db(ctx) || record_medication_list(ctx->db, &by, &q, &items, &more, &ctx->err) != 0)
        return -1;
    return reply_page(ctx, items, more);
}

static int get_medication(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *med_id = case_id ? http_path_uuid(ctx, "med", "medication") : NULL;
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!med_id || !http_db(ctx) ||
        record_medication_read(ctx->db, &by, case_id, med_id, &out, &ctx->err) != 0)
        return -1;
    return reply_record(ctx, 200, out, NULL);
}

static int delete_medication(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *med_id = case_id ? http_path_uuid(ctx, "med", "medication") : NULL;
    const struct caller by = http_caller(ctx);

    if (!med_id || !http_db(ctx) ||
        record_medication_delete(ctx->db, &by, case_id, med_id, &ctx->err) != 0)
        return -1;
    return reply_removed(ctx);
}

/* ---------- routes ---------- */

#define WRITERS (ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN)

static const struct http_route routes[] = {
    {"POST", "/v1/cases/:id/documents", WRITERS, HTTP_BODY_BINARY, "kind,title", upload_document,
     "document", 1},
    {"GET", "/v1/cases/:id/documents", ROLES_ALL, HTTP_BODY_NONE, "limit,cursor,kind",
     list_documents, "document", 0},
    {"GET", "/v1/cases/:id/documents/:doc", ROLES_ALL, HTTP_BODY_NONE, NULL, get_document,
     "document", 0},
    {"PATCH", "/v1/cases/:id/documents/:doc", WRITERS, HTTP_BODY_JSON, NULL, patch_document,
     "document", 0},
    {"DELETE", "/v1/cases/:id/documents/:doc", WRITERS, HTTP_BODY_NONE, NULL, delete_document,
     "document", 0},
    {"GET", "/v1/cases/:id/documents/:doc/content", ROLES_ALL, HTTP_BODY_NONE, NULL,
     download_document, "document", 0},
    {"POST", "/v1/cases/:id/slides", WRITERS, HTTP_BODY_JSON, NULL, create_slides, "document", 1},
    {"POST", "/v1/cases/:id/medications", WRITERS, HTTP_BODY_JSON, NULL, add_medication,
     "medication", 1},
    {"GET", "/v1/cases/:id/medications", ROLES_ALL, HTTP_BODY_NONE, "limit,cursor",
     list_medications, "medication", 0},
    {"GET", "/v1/cases/:id/medications/:med", ROLES_ALL, HTTP_BODY_NONE, NULL, get_medication,
     "medication", 0},
    {"DELETE", "/v1/cases/:id/medications/:med", WRITERS, HTTP_BODY_NONE, NULL, delete_medication,
     "medication", 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

/* Request-body schemas, for the body fuzzer (internal/routes.c). */
static const struct vschema schemas[] = {
    {"records.slides.create", slides_fields, 0, NULL},
    {"records.slides.patch", slides_fields, 1, NULL},
    {"records.upload_query", upload_query_fields, 0, NULL},
    {"records.medications.create", medication_fields, 0, NULL},
    {NULL, NULL, 0, NULL},
};

const struct vschema *records_schemas(void)
{
    return schemas;
}

void records_store_init(void)
{
    record_store_init();
}

const struct http_route *records_routes(void)
{
    return routes;
}
