#include "record_domain.h"

#include <string.h>

#include "../cases/case_access.h"
#include "../cases/case_store.h"
#include "../log/log.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "../workflow/workflow.h"
#include "media_type.h"

/* ---------- the case a record write belongs to ---------- */

/* Opens the transaction of a record write: the case must be visible, is
 * locked (serialising every record write of the case, and the count limit)
 * and must still take records. */
static int begin_record_write(struct db_conn *db, const struct caller *by, const char *case_id,
                              struct case_ref *ref, struct app_error *err)
{
    if (db_begin(db, err) != 0 || case_access(db, by->who, case_id, 1, ref, err) != 0)
        return -1;
    if (workflow_takes_records(ref->status))
        return 0;
    return app_error_problem(err, PROBLEM_CASE_NOT_OPEN_FOR_RECORDS,
                             "Records can be added, changed or removed only while the case is "
                             "draft, submitted or in review; it is %s.",
                             ref->status);
}

/* Required checklist items that are missing, as an array (caller frees), or
 * NULL with err set. */
static json_t *missing_records(struct db_conn *db, const char *case_id, struct app_error *err)
{
    json_t *checklist = NULL, *missing;
    if (case_store_checklist(db, case_id, &checklist, err) != 0)
        return NULL;
    missing = json_incref(json_object_get(checklist, "missing"));
    json_decref(checklist);
    return missing ? missing : json_array();
}

/* A submitted case passed the records checklist; a removal must not take
 * away the last record of a required item (the caller adds the replacement
 * first). A draft may be incomplete, so drafts are not checked (before is
 * NULL). Compares against the items already missing before the removal, so
 * an unrelated removal is never blocked by an old gap. */
static int keep_checklist(struct db_conn *db, const struct case_ref *ref, json_t *before,
                          struct app_error *err)
{
    json_t *after, *newly, *item;
    size_t i, j;
    if (!before)
        return 0;
    if (!(after = missing_records(db, ref->id, err)))
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
    app_error_problem(err, PROBLEM_CHECKLIST_INCOMPLETE,
                      "The case is %s; removing this record would leave it without a required "
                      "record (see missing). Add the replacement first.",
                      ref->status);
    app_error_extra(err, "missing", newly);
    return -1;
}

/* What distinguishes the two kinds of record the shared steps below serve:
 * documents (files and slides) and medication entries. */
struct record_kind {
    const char *type; /* resource type of audit rows and events */
    const char *list_action;
    const char *remove_action;
    const char *removed_event;
    int (*list)(struct db_conn *, const struct record_page *, json_t **, int *, struct app_error *);
    int (*remove)(struct db_conn *, const char *case_id, const char *id, struct app_error *);
};

static const struct record_kind documents = {
    "document",
    "document.list",
    "document.remove",
    "document.removed",
    record_store_document_list,
    record_store_document_delete,
};

static const struct record_kind medications = {
    "medication",
    "medication.list",
    "medication.remove",
    "medication.removed",
    record_store_medication_list,
    record_store_medication_delete,
};

/* A page of a case's records of kind k, audited: one row per record shown
 * (a list discloses each of them), or one row for the case when the page is
 * empty, since even an empty list is a read of the case's records. */
static int list_records(struct db_conn *db, const struct caller *by, const struct record_page *q,
                        const struct record_kind *k, json_t **items, int *more,
                        struct app_error *err)
{
    struct case_ref ref;
    json_t *list = NULL;
    size_t i;
    if (case_access(db, by->who, q->case_id, 0, &ref, err) != 0 ||
        k->list(db, q, &list, more, err) != 0)
        return -1;
    for (i = 0; i < json_array_size(list); i++) {
        const char *id = json_string_value(json_object_get(json_array_get(list, i), "id"));
        if (change_record_read(db, by, k->list_action, k->type, id, q->case_id, err) != 0) {
            json_decref(list);
            return -1;
        }
    }
    if (json_array_size(list) == 0 &&
        change_record_read(db, by, k->list_action, k->type, NULL, q->case_id, err) != 0) {
        json_decref(list);
        return -1;
    }
    *items = list;
    return 0;
}

/* Removes record id of kind k, keeping a submitted case's checklist whole. */
static int remove_record(struct db_conn *db, const struct caller *by, const char *case_id,
                         const char *id, const struct record_kind *k, struct app_error *err)
{
    struct case_ref ref;
    struct change change;
    json_t *before = NULL;
    int rc = -1;

    if (begin_record_write(db, by, case_id, &ref, err) != 0)
        return -1;
    if (strcmp(ref.status, "draft") != 0 && !(before = missing_records(db, case_id, err)))
        return -1;
    change = change_one(k->remove_action, k->type, id, case_id, 204, k->removed_event);
    if (k->remove(db, case_id, id, err) == 0 && keep_checklist(db, &ref, before, err) == 0 &&
        change_record(db, by, &change, err) == 0)
        rc = 0;
    json_decref(before);
    return rc;
}

/* ---------- documents: files and physical slides ---------- */

static int check_document_limit(struct db_conn *db, const char *case_id, int max,
                                struct app_error *err)
{
    long n = 0;
    if (record_store_document_count(db, case_id, &n, err) != 0)
        return -1;
    if (n < max)
        return 0;
    app_error_problem(err, PROBLEM_DOCUMENT_LIMIT_REACHED,
                      "This case already holds %ld documents, the most a case may hold (%d). "
                      "Remove one before adding another.",
                      n, max);
    app_error_extra(err, "limit", json_integer(max));
    return -1;
}

/* Writes d as a new document of case_id, within the case's limit, and
 * records the change as action. */
static int add_document(struct db_conn *db, const struct caller *by, const char *case_id,
                        const struct document_new *d, int max_documents, const char *action,
                        json_t **out, char etag[RECORD_ETAG_LEN], struct app_error *err)
{
    struct case_ref ref;
    struct change change;
    json_t *doc = NULL;
    if (begin_record_write(db, by, case_id, &ref, err) != 0 ||
        check_document_limit(db, case_id, max_documents, err) != 0 ||
        record_store_document_insert(db, by->who, case_id, d, &doc, etag, err) != 0)
        return -1;
    change = change_one(action, "document", json_string_value(json_object_get(doc, "id")), case_id,
                        201, "document.added");
    return change_record_result(db, by, &change, doc, out, err);
}

int record_document_upload(struct db_conn *db, const struct caller *by, const char *case_id,
                           const struct record_upload *u, int max_documents, json_t **out,
                           char etag[RECORD_ETAG_LEN], struct app_error *err)
{
    struct document_new d;
    char sha[65];

    memset(&d, 0, sizeof d);
    d.media_type = media_type_accepted(u->declared_type);
    if (!d.media_type)
        return app_error_problem(
            err, PROBLEM_UNSUPPORTED_MEDIA_TYPE,
            "Upload a PDF, JPEG, PNG or DICOM file with Content-Type application/pdf, "
            "image/jpeg, image/png or application/dicom.");
    if (u->size == 0)
        return app_error_bad_request(err, "The upload is empty.");
    if (!media_type_matches(d.media_type, u->bytes, u->size))
        return app_error_problem(err, PROBLEM_MEDIA_TYPE_MISMATCH,
                                 "The uploaded bytes are not a %s file. Send the file with its "
                                 "real media type.",
                                 d.media_type);
    sha256_hex(u->bytes, u->size, sha);
    d.kind = u->kind;
    d.title = u->title;
    d.bytes = u->bytes;
    d.size = u->size;
    d.sha256 = sha;
    return add_document(db, by, case_id, &d, max_documents, "document.upload", out, etag, err);
}

/* Patients may say slides were shipped; only staff confirm they arrived. */
static int check_shipment_by(const struct caller *by, const json_t *body, struct app_error *err)
{
    const char *s = vget_str(body, "shipment_status");
    if (by->who->role == ROLE_PATIENT && s && !strcmp(s, "received"))
        return app_error_problem(err, PROBLEM_FORBIDDEN,
                                 "Only navigators and admins confirm that slides were received.");
    return 0;
}

int record_slides_create(struct db_conn *db, const struct caller *by, const char *case_id,
                         const json_t *body, int max_documents, json_t **out,
                         char etag[RECORD_ETAG_LEN], struct app_error *err)
{
    struct document_new d;
    if (check_shipment_by(by, body, err) != 0)
        return -1;
    memset(&d, 0, sizeof d);
    d.kind = "pathology_slides";
    d.title = vget_str(body, "title");
    d.shipment_status = vget_str(body, "shipment_status");
    if (!d.shipment_status)
        d.shipment_status = "requested";
    d.carrier = vget_str(body, "carrier");
    d.tracking_number = vget_str(body, "tracking_number");
    return add_document(db, by, case_id, &d, max_documents, "document.create", out, etag, err);
}

int record_document_list(struct db_conn *db, const struct caller *by, const struct record_page *q,
                         json_t **items, int *more, struct app_error *err)
{
    return list_records(db, by, q, &documents, items, more, err);
}

int record_document_read(struct db_conn *db, const struct caller *by, const char *case_id,
                         const char *doc_id, json_t **out, char etag[RECORD_ETAG_LEN],
                         struct app_error *err)
{
    struct case_ref ref;
    json_t *doc = NULL;
    if (case_access(db, by->who, case_id, 0, &ref, err) != 0 ||
        record_store_document_get(db, case_id, doc_id, &doc, etag, err) != 0)
        return -1;
    if (change_record_read(db, by, "document.read", "document", doc_id, case_id, err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

/* The content as stored, or an error when there is none to serve (slides)
 * or what is stored is not what was uploaded. Closes c on error. */
static int check_content(const char *doc_id, struct document_content *c, struct app_error *err)
{
    char sha[65];
    if (!c->media_type) {
        record_store_content_close(c);
        return app_error_problem(err, PROBLEM_NOT_FOUND,
                                 "This record is physical slides; it has no content to download.");
    }
    if (!c->bytes || !c->sha256) {
        record_store_content_close(c);
        log_msg(LOG_ERROR, "records: document %s has no stored content", doc_id);
        return app_error_internal(err);
    }
    /* Serve only what was stored: a mismatch means the bytes changed after
     * upload, and a reviewer must never read an altered record. */
    sha256_hex(c->bytes, c->size, sha);
    if (strcmp(sha, c->sha256) != 0) {
        record_store_content_close(c);
        log_msg(LOG_ERROR, "records: content of document %s does not match its stored SHA-256",
                doc_id);
        return app_error_internal(err);
    }
    return 0;
}

int record_document_content(struct db_conn *db, const struct caller *by, const char *case_id,
                            const char *doc_id, struct document_content *c, struct app_error *err)
{
    struct case_ref ref;
    if (case_access(db, by->who, case_id, 0, &ref, err) != 0 ||
        record_store_content_open(db, case_id, doc_id, c, err) != 0 ||
        check_content(doc_id, c, err) != 0)
        return -1;
    if (change_record_read(db, by, "document.download", "document", doc_id, case_id, err) != 0) {
        record_store_content_close(c);
        return -1;
    }
    return 0;
}

const char *const record_shipment_statuses[] = {"requested", "shipped", "received", NULL};

static int shipment_rank(const char *status)
{
    int i;
    for (i = 0; record_shipment_statuses[i]; i++)
        if (!strcmp(record_shipment_statuses[i], status))
            return i;
    return -1;
}

/* Keeps the current value of a text field unless the patch names it (null
 * clears). */
static const char *patched(const json_t *patch, const json_t *current, const char *name)
{
    if (json_object_get(patch, name))
        return vget_str(patch, name);
    return vget_str(current, name);
}

/* What a patch may change on the current document: the shipment fields
 * belong to slides only, and slides move only forward. */
static int check_document_patch(const json_t *current, const json_t *patch, struct app_error *err)
{
    static const char *const slides_only[] = {"shipment_status", "carrier", "tracking_number",
                                              NULL};
    const char *from = vget_str(current, "shipment_status");
    int i;
    if (!from) {
        for (i = 0; slides_only[i]; i++)
            if (json_object_get(patch, slides_only[i]))
                app_error_field(err, slides_only[i],
                                "applies only to physical slides; this document is a file");
        return err->status ? -1 : 0;
    }
    if (shipment_rank(patched(patch, current, "shipment_status")) < shipment_rank(from))
        return app_error_conflict(err,
                                  "Slides move only forward (requested, shipped, received); "
                                  "these are already %s.",
                                  from);
    return 0;
}

int record_document_update(struct db_conn *db, const struct caller *by, const char *case_id,
                           const char *doc_id, const char *if_match, const json_t *patch,
                           json_t **out, char etag[RECORD_ETAG_LEN], struct app_error *err)
{
    struct case_ref ref;
    struct change change;
    json_t *current = NULL, *doc = NULL;
    int rc = -1;

    if (check_shipment_by(by, patch, err) != 0 ||
        begin_record_write(db, by, case_id, &ref, err) != 0 ||
        record_store_document_get(db, case_id, doc_id, &current, etag, err) != 0)
        return -1;
    if (validate_if_match(if_match, etag, err) != 0 ||
        check_document_patch(current, patch, err) != 0 ||
        record_store_document_update(
            db, case_id, doc_id, patched(patch, current, "title"),
            patched(patch, current, "shipment_status"), patched(patch, current, "carrier"),
            patched(patch, current, "tracking_number"), &doc, etag, err) != 0)
        goto out;
    change = change_one("document.update", "document", doc_id, case_id, 200, "document.updated");
    rc = change_record_result(db, by, &change, doc, out, err);
out:
    json_decref(current);
    return rc;
}

int record_document_delete(struct db_conn *db, const struct caller *by, const char *case_id,
                           const char *doc_id, struct app_error *err)
{
    return remove_record(db, by, case_id, doc_id, &documents, err);
}

/* ---------- medications ---------- */

/* The rules of an entry beyond its table. Adds a field error to err for
 * each broken rule; returns -1 if any. */
static int check_medication(const json_t *m, struct app_error *err)
{
    const json_t *dose = json_object_get(m, "dose");
    const char *unit = vget_str(m, "unit"), *start = vget_str(m, "start_date"),
               *end = vget_str(m, "end_date"), *s;
    char latest[11];

    if ((s = vget_str(m, "drug")) && text_is_blank(s))
        app_error_field(err, "drug", "must not be blank");
    if ((s = vget_str(m, "frequency")) && text_is_blank(s))
        app_error_field(err, "frequency", "must not be blank");
    if (json_is_number(dose) && json_number_value(dose) <= 0)
        app_error_field(err, "dose", "must be greater than 0");
    if (json_is_number(dose) && !unit)
        app_error_field(err, "unit", "is required when a dose is given");
    if (unit && !json_is_number(dose))
        app_error_field(err, "dose", "is required when a unit is given");
    /* Planned courses may start ahead; a year ahead is as far as a plan goes. */
    utc_date_from_today(366, latest);
    if (start && (strcmp(start, "1900-01-01") < 0 || strcmp(start, latest) > 0))
        app_error_field(err, "start_date", "must be between 1900-01-01 and one year from today");
    if (end && (strcmp(end, "1900-01-01") < 0 || strcmp(end, latest) > 0))
        app_error_field(err, "end_date", "must be between 1900-01-01 and one year from today");
    if (start && end && strcmp(end, start) < 0)
        app_error_field(err, "end_date", "must not be before start_date");
    return err->status ? -1 : 0;
}

int record_medication_add(struct db_conn *db, const struct caller *by, const char *case_id,
                          const json_t *entry, json_t **out, struct app_error *err)
{
    struct case_ref ref;
    struct change change;
    json_t *doc = NULL;
    if (check_medication(entry, err) != 0 || begin_record_write(db, by, case_id, &ref, err) != 0 ||
        record_store_medication_insert(db, by->who, case_id, entry, &doc, err) != 0)
        return -1;
    change =
        change_one("medication.add", "medication", json_string_value(json_object_get(doc, "id")),
                   case_id, 201, "medication.added");
    return change_record_result(db, by, &change, doc, out, err);
}

int record_medication_list(struct db_conn *db, const struct caller *by, const struct record_page *q,
                           json_t **items, int *more, struct app_error *err)
{
    return list_records(db, by, q, &medications, items, more, err);
}

int record_medication_read(struct db_conn *db, const struct caller *by, const char *case_id,
                           const char *med_id, json_t **out, struct app_error *err)
{
    struct case_ref ref;
    json_t *doc = NULL;
    if (case_access(db, by->who, case_id, 0, &ref, err) != 0 ||
        record_store_medication_get(db, case_id, med_id, &doc, err) != 0)
        return -1;
    if (change_record_read(db, by, "medication.read", "medication", med_id, case_id, err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

int record_medication_delete(struct db_conn *db, const struct caller *by, const char *case_id,
                             const char *med_id, struct app_error *err)
{
    return remove_record(db, by, case_id, med_id, &medications, err);
}
