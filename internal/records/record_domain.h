/* record_domain: what may be done with a case's records, below the
 * handlers. Records are what a reviewer reads: uploaded files (PDF, JPEG,
 * PNG, DICOM), physical slides on their way by courier, and the patient's
 * medication entries.
 *
 * Every function takes a database connection, the caller and an error,
 * never an HTTP context. Who may see a case's records is case_access;
 * records are added, changed and removed only while the case takes them
 * (workflow_takes_records), each write locking the case row so that all
 * record writes of one case, and the count limit, are serialised on it;
 * a removal may not take away the last record of a required checklist
 * item from a submitted case. Every read is audited and every change is
 * recorded (change_record) and committed here. Documents, items and
 * content returned are owned by the caller of the function. */
#ifndef CSO_RECORD_DOMAIN_H
#define CSO_RECORD_DOMAIN_H

#include <jansson.h>
#include <stddef.h>

#include "../apperr/apperr.h"
#include "../change/change.h"
#include "../db/db.h"
#include "record_store.h"

/* The shipment statuses of physical slides, in the one order they move:
 * requested, shipped, received (never back). Static, NULL-terminated. */
extern const char *const record_shipment_statuses[];

/* An uploaded file as it arrived: the bytes (borrowed for the call), the
 * media type its sender declared (the Content-Type header as sent, or
 * NULL), and the kind and title the sender gave (shape checked; title may
 * be NULL). */
struct record_upload {
    const unsigned char *bytes;
    size_t size;
    const char *declared_type;
    const char *kind;
    const char *title;
};

/* Stores an uploaded file on case_id: the declared type must be one of the
 * four accepted (415), the bytes not empty and really of that type (their
 * signature, not the declaration, decides); the case may hold at most
 * max_documents. *out: the document; etag: its ETag. */
int record_document_upload(struct db_conn *db, const struct caller *by, const char *case_id,
                           const struct record_upload *u, int max_documents, json_t **out,
                           char etag[RECORD_ETAG_LEN], struct app_error *err);

/* Records physical slides on case_id from body (shape checked: title,
 * shipment_status, default requested, carrier, tracking_number): only
 * staff may say slides were received. Counted with the documents against
 * max_documents. *out: the document; etag: its ETag. */
int record_slides_create(struct db_conn *db, const struct caller *by, const char *case_id,
                         const json_t *body, int max_documents, json_t **out,
                         char etag[RECORD_ETAG_LEN], struct app_error *err);

/* A page of the documents of case q->case_id (shape checked; kind may
 * filter), oldest first. Audited: one document.list row per document
 * shown, or one for the case when the page is empty. *items: an array with
 * "_cursor_key" members for http_set_next_cursor; *more: 1 when another
 * page follows. */
int record_document_list(struct db_conn *db, const struct caller *by, const struct record_page *q,
                         json_t **items, int *more, struct app_error *err);

/* One document of case_id, audited. *out: the document; etag: its ETag. */
int record_document_read(struct db_conn *db, const struct caller *by, const char *case_id,
                         const char *doc_id, json_t **out, char etag[RECORD_ETAG_LEN],
                         struct app_error *err);

/* The stored bytes of a file, audited as a download, only when they still
 * match the SHA-256 taken at upload (a reviewer must never read an altered
 * record; a mismatch is a 500 and logged). Physical slides have no content
 * (404). On success *c is open, c->sha256 the verified digest: the caller
 * closes it with record_store_content_close. */
int record_document_content(struct db_conn *db, const struct caller *by, const char *case_id,
                            const char *doc_id, struct document_content *c, struct app_error *err);

/* Applies patch (shape checked, not empty: title and, for slides only,
 * shipment_status, carrier, tracking_number; null clears) under If-Match
 * (if_match: the header as sent, or NULL). Slides move only forward
 * (requested, shipped, received) and only staff may say they were received.
 * *out: the document; etag: its new ETag. */
int record_document_update(struct db_conn *db, const struct caller *by, const char *case_id,
                           const char *doc_id, const char *if_match, const json_t *patch,
                           json_t **out, char etag[RECORD_ETAG_LEN], struct app_error *err);

/* Deletes a document and its bytes: what is uploaded by mistake must be
 * gone, not hidden; the audit row and the document.removed event keep the
 * fact of the removal. */
int record_document_delete(struct db_conn *db, const struct caller *by, const char *case_id,
                           const char *doc_id, struct app_error *err);

/* Adds a medication entry to case_id from entry (shape checked): a dose
 * and its unit go together, dates lie between 1900-01-01 and a year from
 * today, the end not before the start. *out: the entry. */
int record_medication_add(struct db_conn *db, const struct caller *by, const char *case_id,
                          const json_t *entry, json_t **out, struct app_error *err);

/* A page of the medication entries of case q->case_id; as
 * record_document_list, audited as medication.list. */
int record_medication_list(struct db_conn *db, const struct caller *by, const struct record_page *q,
                           json_t **items, int *more, struct app_error *err);

/* One medication entry of case_id, audited. *out: the entry. */
int record_medication_read(struct db_conn *db, const struct caller *by, const char *case_id,
                           const char *med_id, json_t **out, struct app_error *err);

/* Deletes a medication entry (a wrong entry is corrected by removing it;
 * the audit row and the medication.removed event keep the fact). */
int record_medication_delete(struct db_conn *db, const struct caller *by, const char *case_id,
                             const char *med_id, struct app_error *err);

#endif
