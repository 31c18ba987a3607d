#include "records.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../audit/audit.h"
#include "../cases/case_access.h"
#include "../cases/case_store.h"
#include "../http/http_change.h"
#include "../log/log.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "../workflow/workflow.h"
#include "media_type.h"
#include "record_store.h"

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

/* Physical slides only move forward: requested -> shipped -> received. */
static const char *const shipment_statuses[] = {"requested", "shipped", "received", NULL};

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
    {"shipment_status", V_ENUM, 0, 0, 0, shipment_statuses, NULL, 0},
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

/* ---------- small helpers ---------- */

static int in_list(const char *const *values, const char *s)
{
    for (; *values; values++)
        if (!strcmp(*values, s))
            return 1;
    return 0;
}

static int shipment_rank(const char *status)
{
    int i;
    for (i = 0; shipment_statuses[i]; i++)
        if (!strcmp(shipment_statuses[i], status))
            return i;
    return -1;
}

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return 0;
    return 1;
}

/* The UTC date days from today, as YYYY-MM-DD. */
static void date_from_today(int days, char out[11])
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* 409 unless the case still takes record changes. */
static int require_open(struct http_ctx *ctx, const struct case_ref *ref)
{
    if (workflow_takes_records(ref->status))
        return 0;
    app_error_problem(&ctx->err, PROBLEM_CASE_NOT_OPEN_FOR_RECORDS,
                      "Records can be added, changed or removed only while the case is draft, "
                      "submitted or in review; it is %s.",
                      ref->status);
    return -1;
}

static void set_document_headers(struct http_ctx *ctx, const char *case_id, const char *doc_id,
                                 const char *etag, int with_location)
{
    if (with_location) {
        char loc[128];
        snprintf(loc, sizeof loc, "/v1/cases/%s/documents/%s", case_id, doc_id);
        http_set_header(ctx, "Location", loc);
    }
    http_set_header(ctx, "ETag", etag);
}

/* Opens the transaction of a record write: the case must be visible, is
 * locked (serialising every record write of the case, and the count limit)
 * and must be open for records. */
static int begin_record_write(struct http_ctx *ctx, const char *case_id, struct case_ref *ref)
{
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0 ||
        case_access(ctx->db, &ctx->who, case_id, 1, ref, &ctx->err) != 0)
        return -1;
    return require_open(ctx, ref);
}

static int check_document_limit(struct http_ctx *ctx, const char *case_id)
{
    long n = 0;
    int max = ctx->app->cfg->max_documents_per_case;
    if (record_store_document_count(ctx->db, case_id, &n, &ctx->err) != 0)
        return -1;
    if (n < max)
        return 0;
    app_error_problem(&ctx->err, PROBLEM_DOCUMENT_LIMIT_REACHED,
                      "This case already holds %ld documents, the most a case may hold (%d). "
                      "Remove one before adding another.",
                      n, max);
    app_error_extra(&ctx->err, "limit", json_integer(max));
    return -1;
}

/* Required checklist items that are missing, as an array (caller frees), or
 * NULL with ctx->err set. */
static json_t *missing_records(struct http_ctx *ctx, const char *case_id)
{
    json_t *checklist = NULL, *missing;
    if (case_store_checklist(ctx->db, case_id, &checklist, &ctx->err) != 0)
        return NULL;
    missing = json_incref(json_object_get(checklist, "missing"));
    json_decref(checklist);
    return missing ? missing : json_array();
}

/* A submitted case passed the records checklist; a removal must not take
 * away the last record of a required item (the caller adds the replacement
 * first). A draft may be incomplete, so drafts are not checked. Compares
 * against the items already missing before the removal, so an unrelated
 * removal is never blocked by an old gap. */
static int keep_checklist(struct http_ctx *ctx, const struct case_ref *ref, json_t *before)
{
    json_t *after, *newly, *item;
    size_t i, j;
    if (!before)
        return 0;
    if (!(after = missing_records(ctx, ref->id)))
        return -1;
    newly = json_array();
    json_array_foreach(after, i, item)
    {
        int was = 0;
        json_t *old;
        json_array_foreach(before, j, old) if (json_equal(old, item)) was = 1;
        if (!was)
            json_array_append(newly, item);
    }
    json_decref(after);
    if (json_array_size(newly) == 0) {
        json_decref(newly);
        return 0;
    }
    app_error_problem(&ctx->err, PROBLEM_CHECKLIST_INCOMPLETE,
                      "The case is %s; removing this record would leave it without a required "
                      "record (see missing). Add the replacement first.",
                      ref->status);
    app_error_extra(&ctx->err, "missing", newly);
    return -1;
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

/* Replies {items, next_cursor} and audits the page: one row per record
 * shown (a list discloses each of them), or one row for the case when the
 * page is empty, since even an empty list is a read of the case's records. */
static int reply_page(struct http_ctx *ctx, const char *case_id, json_t *items, int more,
                      const char *action, const char *resource_type)
{
    json_t *out = json_object();
    size_t i;

    http_set_next_cursor(out, items, more);
    json_object_set_new(out, "items", items);

    for (i = 0; i < json_array_size(items); i++) {
        const char *rid = json_string_value(json_object_get(json_array_get(items, i), "id"));
        struct audit_entry e = {&ctx->who, ctx->request_id, action,    resource_type,
                                rid,       case_id,         "success", 200};
        if (audit_record(ctx->db, &e, &ctx->err) != 0) {
            json_decref(out);
            return -1;
        }
    }
    if (json_array_size(items) == 0 &&
        http_audit_success(ctx, action, resource_type, NULL, case_id) != 0) {
        json_decref(out);
        return -1;
    }
    ctx->audited = 1;
    return http_reply_json(ctx, 200, out);
}

/* ---------- documents ---------- */

static int upload_document(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *kind = http_query(ctx, "kind"), *title = http_query(ctx, "title");
    const unsigned char *bytes = (const unsigned char *)ctx->req->binary_body;
    size_t len = ctx->req->binary_body_length;
    struct document_new d;
    struct case_ref ref;
    char sha[65], etag[RECORD_ETAG_LEN];
    const char *doc_id;
    json_t *out = NULL;

    if (!case_id)
        return -1;
    if (!kind)
        app_error_field(&ctx->err, "kind", "is required: the kind of record this is");
    else if (!in_list(document_kinds, kind))
        app_error_field(&ctx->err, "kind", "must be one of the document kinds");
    if (title) {
        /* The same rule as a title in a JSON body (length in characters). */
        json_t *q = json_pack("{s:s}", "title", title);
        if (validate_object(q, upload_query_fields, "", 0, &ctx->err) == 0 && is_blank(title))
            app_error_field(&ctx->err, "title", "must not be blank");
        json_decref(q);
    }
    if (ctx->err.status)
        return -1;

    memset(&d, 0, sizeof d);
    d.media_type = media_type_accepted(http_header(ctx, "Content-Type"));
    if (!d.media_type) {
        app_error_problem(
            &ctx->err, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
            "Upload a PDF, JPEG, PNG or DICOM file with Content-Type application/pdf, "
            "image/jpeg, image/png or application/dicom.");
        return -1;
    }
    if (len == 0)
        return app_error_bad_request(&ctx->err, "The upload is empty.");
    if (!media_type_matches(d.media_type, bytes, len)) {
        app_error_problem(&ctx->err, PROBLEM_MEDIA_TYPE_MISMATCH,
                          "The uploaded bytes are not a %s file. Send the file with its real media "
                          "type.",
                          d.media_type);
        return -1;
    }
    sha256_hex(bytes, len, sha);
    d.kind = kind;
    d.title = title;
    d.bytes = bytes;
    d.size = len;
    d.sha256 = sha;

    if (begin_record_write(ctx, case_id, &ref) != 0 || check_document_limit(ctx, case_id) != 0 ||
        record_store_document_insert(ctx->db, &ctx->who, case_id, &d, &out, etag, &ctx->err) != 0)
        return -1;
    doc_id = json_string_value(json_object_get(out, "id"));
    if (http_record_change(ctx, change_one("document.upload", "document", doc_id, case_id, 201,
                                           "document.added")) != 0) {
        json_decref(out);
        return -1;
    }
    set_document_headers(ctx, case_id, doc_id, etag, 1);
    return http_reply_json(ctx, 201, out);
}

static int tracking_number_ok(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '-' || *s == ' '))
            return 0;
    return 1;
}

/* Checks the slides fields of a validated body; patients may say slides
 * were shipped, only staff confirm they arrived. */
static int check_slides_body(struct http_ctx *ctx, const json_t *body)
{
    const char *s;
    if ((s = vget_str(body, "tracking_number")) && !tracking_number_ok(s))
        app_error_field(&ctx->err, "tracking_number", "may hold only letters, digits, - and space");
    if ((s = vget_str(body, "carrier")) && is_blank(s))
        app_error_field(&ctx->err, "carrier", "must not be blank");
    if ((s = vget_str(body, "title")) && is_blank(s))
        app_error_field(&ctx->err, "title", "must not be blank");
    if (ctx->err.status)
        return -1;
    if (ctx->who.role == ROLE_PATIENT && (s = vget_str(body, "shipment_status")) &&
        !strcmp(s, "received")) {
        app_error_problem(&ctx->err, PROBLEM_FORBIDDEN,
                          "Only navigators and admins confirm that slides were received.");
        return -1;
    }
    return 0;
}

static int create_slides(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct document_new d;
    struct case_ref ref;
    char etag[RECORD_ETAG_LEN];
    const char *doc_id;
    json_t *out = NULL;

    if (!case_id || validate_object(ctx->body, slides_fields, "", 0, &ctx->err) != 0 ||
        check_slides_body(ctx, ctx->body) != 0)
        return -1;
    memset(&d, 0, sizeof d);
    d.kind = "pathology_slides";
    d.title = vget_str(ctx->body, "title");
    d.shipment_status = vget_str(ctx->body, "shipment_status");
    if (!d.shipment_status)
        d.shipment_status = "requested";
    d.carrier = vget_str(ctx->body, "carrier");
    d.tracking_number = vget_str(ctx->body, "tracking_number");

    if (begin_record_write(ctx, case_id, &ref) != 0 || check_document_limit(ctx, case_id) != 0 ||
        record_store_document_insert(ctx->db, &ctx->who, case_id, &d, &out, etag, &ctx->err) != 0)
        return -1;
    doc_id = json_string_value(json_object_get(out, "id"));
    if (http_record_change(ctx, change_one("document.create", "document", doc_id, case_id, 201,
                                           "document.added")) != 0) {
        json_decref(out);
        return -1;
    }
    set_document_headers(ctx, case_id, doc_id, etag, 1);
    return http_reply_json(ctx, 201, out);
}

static int list_documents(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct record_page q;
    struct case_ref ref;
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
    if (!http_db(ctx) || case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0 ||
        record_store_document_list(ctx->db, &q, &items, &more, &ctx->err) != 0)
        return -1;
    return reply_page(ctx, case_id, items, more, "document.list", "document");
}

static int get_document(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *doc_id = case_id ? http_path_uuid(ctx, "doc", "document") : NULL;
    struct case_ref ref;
    char etag[RECORD_ETAG_LEN];
    json_t *out = NULL;

    if (!doc_id || !http_db(ctx) ||
        case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0 ||
        record_store_document_get(ctx->db, case_id, doc_id, &out, etag, &ctx->err) != 0)
        return -1;
    if (http_audit_success(ctx, "document.read", "document", doc_id, case_id) != 0) {
        json_decref(out);
        return -1;
    }
    set_document_headers(ctx, case_id, doc_id, etag, 0);
    return http_reply_json(ctx, 200, out);
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

static int download_document(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *doc_id = case_id ? http_path_uuid(ctx, "doc", "document") : NULL;
    struct case_ref ref;
    struct document_content c;
    char sha[65], header[160];
    int rc;

    if (!doc_id || !http_db(ctx) ||
        case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0 ||
        record_store_content_open(ctx->db, case_id, doc_id, &c, &ctx->err) != 0)
        return -1;
    if (!c.media_type) {
        record_store_content_close(&c);
        app_error_problem(&ctx->err, PROBLEM_NOT_FOUND,
                          "This record is physical slides; it has no content to download.");
        return -1;
    }
    if (!c.bytes || !c.sha256) {
        record_store_content_close(&c);
        log_msg(LOG_ERROR, "records: document %s has no stored content", doc_id);
        return app_error_internal(&ctx->err);
    }
    /* Serve only what was stored: a mismatch means the bytes changed after
     * upload, and a reviewer must never read an altered record. */
    sha256_hex(c.bytes, c.size, sha);
    if (strcmp(sha, c.sha256) != 0) {
        record_store_content_close(&c);
        log_msg(LOG_ERROR, "records: content of document %s does not match its stored SHA-256",
                doc_id);
        return app_error_internal(&ctx->err);
    }
    if (http_audit_success(ctx, "document.download", "document", doc_id, case_id) != 0) {
        record_store_content_close(&c);
        return -1;
    }
    snprintf(header, sizeof header, "attachment; filename=\"%s.%s\"", doc_id,
             media_type_extension(c.media_type));
    http_set_header(ctx, "Content-Disposition", header);
    repr_digest(sha, header);
    http_set_header(ctx, "Repr-Digest", header);
    snprintf(header, sizeof header, "\"%s\"", sha);
    http_set_header(ctx, "ETag", header);
    rc = http_reply_bytes(ctx, 200, c.media_type, c.bytes, c.size);
    record_store_content_close(&c);
    return rc;
}

/* Keeps the current value of a text field unless the patch names it (null
 * clears). */
static const char *patched(const json_t *patch, const json_t *current, const char *name)
{
    if (json_object_get(patch, name))
        return vget_str(patch, name);
    return vget_str(current, name);
}

static int patch_document(struct http_ctx *ctx)
{
    static const char *const slides_only[] = {"shipment_status", "carrier", "tracking_number",
                                              NULL};
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *doc_id = case_id ? http_path_uuid(ctx, "doc", "document") : NULL;
    struct case_ref ref;
    char etag[RECORD_ETAG_LEN];
    json_t *current = NULL, *out = NULL;
    const char *from, *to;
    int i, rc = -1;

    if (!doc_id || validate_object(ctx->body, slides_fields, "", 1, &ctx->err) != 0 ||
        check_slides_body(ctx, ctx->body) != 0)
        return -1;
    if (json_object_size(ctx->body) == 0)
        return app_error_bad_request(&ctx->err, "The patch is empty.");
    if (begin_record_write(ctx, case_id, &ref) != 0 ||
        record_store_document_get(ctx->db, case_id, doc_id, &current, etag, &ctx->err) != 0)
        return -1;
    if (http_require_if_match(ctx, etag) != 0)
        goto out;
    from = vget_str(current, "shipment_status");
    if (!from) {
        for (i = 0; slides_only[i]; i++)
            if (json_object_get(ctx->body, slides_only[i]))
                app_error_field(&ctx->err, slides_only[i],
                                "applies only to physical slides; this document is a file");
        if (ctx->err.status)
            goto out;
    }
    to = patched(ctx->body, current, "shipment_status");
    if (from && shipment_rank(to) < shipment_rank(from)) {
        app_error_conflict(&ctx->err,
                           "Slides move only forward (requested, shipped, received); "
                           "these are already %s.",
                           from);
        goto out;
    }
    if (record_store_document_update(ctx->db, case_id, doc_id, patched(ctx->body, current, "title"),
                                     to, patched(ctx->body, current, "carrier"),
                                     patched(ctx->body, current, "tracking_number"), &out, etag,
                                     &ctx->err) != 0)
        goto out;
    if (http_record_change(ctx, change_one("document.update", "document", doc_id, case_id, 200,
                                           "document.updated")) != 0)
        goto out;
    set_document_headers(ctx, case_id, doc_id, etag, 0);
    rc = http_reply_json(ctx, 200, out);
    out = NULL;
out:
    json_decref(out);
    json_decref(current);
    return rc;
}

/* Removal is a real delete of the bytes and the metadata: what a patient
 * uploads by mistake (another person's report, the wrong scan) must be
 * gone, not hidden. It is allowed only while the case is open for records;
 * once an opinion is ready the records it was based on are frozen. The
 * audit row and the document.removed event keep the fact of the removal. */
static int delete_document(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *doc_id = case_id ? http_path_uuid(ctx, "doc", "document") : NULL;
    struct case_ref ref;
    json_t *before = NULL;
    int rc;

    if (!doc_id || begin_record_write(ctx, case_id, &ref) != 0)
        return -1;
    if (strcmp(ref.status, "draft") != 0 && !(before = missing_records(ctx, case_id)))
        return -1;
    rc = -1;
    if (record_store_document_delete(ctx->db, case_id, doc_id, &ctx->err) == 0 &&
        keep_checklist(ctx, &ref, before) == 0 &&
        http_record_change(ctx, change_one("document.remove", "document", doc_id, case_id, 204,
                                           "document.removed")) == 0)
        rc = http_reply_json(ctx, 204, NULL);
    json_decref(before);
    return rc;
}

/* ---------- medications ---------- */

static void check_medication_rules(const json_t *m, struct app_error *err)
{
    const json_t *dose = json_object_get(m, "dose");
    const char *unit = vget_str(m, "unit"), *start = vget_str(m, "start_date"),
               *end = vget_str(m, "end_date"), *s;
    char latest[11];

    if ((s = vget_str(m, "drug")) && is_blank(s))
        app_error_field(err, "drug", "must not be blank");
    if ((s = vget_str(m, "frequency")) && is_blank(s))
        app_error_field(err, "frequency", "must not be blank");
    if (json_is_number(dose) && json_number_value(dose) <= 0)
        app_error_field(err, "dose", "must be greater than 0");
    if (json_is_number(dose) && !unit)
        app_error_field(err, "unit", "is required when a dose is given");
    if (unit && !json_is_number(dose))
        app_error_field(err, "dose", "is required when a unit is given");
    /* Planned courses may start ahead; a year ahead is as far as a plan goes. */
    date_from_today(366, latest);
    if (start && (strcmp(start, "1900-01-01") < 0 || strcmp(start, latest) > 0))
        app_error_field(err, "start_date", "must be between 1900-01-01 and one year from today");
    if (end && (strcmp(end, "1900-01-01") < 0 || strcmp(end, latest) > 0))
        app_error_field(err, "end_date", "must be between 1900-01-01 and one year from today");
    if (start && end && strcmp(end, start) < 0)
        app_error_field(err, "end_date", "must not be before start_date");
}

static int add_medication(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct case_ref ref;
    json_t *out = NULL;
    const char *med_id;
    char loc[128];

    if (!case_id)
        return -1;
    if (validate_object(ctx->body, medication_fields, "", 0, &ctx->err) == 0)
        check_medication_rules(ctx->body, &ctx->err);
    if (ctx->err.status)
        return -1;
    if (begin_record_write(ctx, case_id, &ref) != 0 ||
        record_store_medication_insert(ctx->db, &ctx->who, case_id, ctx->body, &out, &ctx->err) !=
            0)
        return -1;
    med_id = json_string_value(json_object_get(out, "id"));
    if (http_record_change(ctx, change_one("medication.add", "medication", med_id, case_id, 201,
                                           "medication.added")) != 0) {
        json_decref(out);
        return -1;
    }
    snprintf(loc, sizeof loc, "/v1/cases/%s/medications/%s", case_id, med_id);
    http_set_header(ctx, "Location", loc);
    return http_reply_json(ctx, 201, out);
}

static int list_medications(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct record_page q;
    struct case_ref ref;
    char key[64], cid[64];
    json_t *items = NULL;
    int more = 0;

    memset(&q, 0, sizeof q);
    if (!case_id || parse_page(ctx, &q, key, sizeof key, cid, sizeof cid) != 0)
        return -1;
    q.case_id = case_id;
    if (!http_db(ctx) || case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0 ||
        record_store_medication_list(ctx->db, &q, &items, &more, &ctx->err) != 0)
        return -1;
    return reply_page(ctx, case_id, items, more, "medication.list", "medication");
}

static int get_medication(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *med_id = case_id ? http_path_uuid(ctx, "med", "medication") : NULL;
    struct case_ref ref;
    json_t *out = NULL;

    if (!med_id || !http_db(ctx) ||
        case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0 ||
        record_store_medication_get(ctx->db, case_id, med_id, &out, &ctx->err) != 0)
        return -1;
    if (http_audit_success(ctx, "medication.read", "medication", med_id, case_id) != 0) {
        json_decref(out);
        return -1;
    }
    return http_reply_json(ctx, 200, out);
}

/* A medication entry is the patient's own account of what they take; a
 * wrong entry is corrected by removing it, so removal is a real delete
 * (kept in the audit trail and the medication.removed event). */
static int delete_medication(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *med_id = case_id ? http_path_uuid(ctx, "med", "medication") : NULL;
    struct case_ref ref;
    json_t *before = NULL;
    int rc;

    if (!med_id || begin_record_write(ctx, case_id, &ref) != 0)
        return -1;
    if (strcmp(ref.status, "draft") != 0 && !(before = missing_records(ctx, case_id)))
        return -1;
    rc = -1;
    if (record_store_medication_delete(ctx->db, case_id, med_id, &ctx->err) == 0 &&
        keep_checklist(ctx, &ref, before) == 0 &&
        http_record_change(ctx, change_one("medication.remove", "medication", med_id, case_id, 204,
                                           "medication.removed")) == 0)
        rc = http_reply_json(ctx, 204, NULL);
    json_decref(before);
    return rc;
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
