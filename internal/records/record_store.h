/* record_store: SQL for a case's records: documents (metadata in documents,
 * bytes in document_contents so listing never reads them), physical slides
 * (a documents row with a shipment status and no bytes) and medication
 * entries. Representations are rendered by PostgreSQL (DOCUMENT_JSON and
 * MEDICATION_JSON in record_store.c), so their shape lives in one place.
 *
 * Every function takes the case id as well as the record id and matches
 * both: a record id from another case is "not found". Visibility of the case
 * itself is checked by the caller with case_access first; writers lock the
 * case row (case_access with lock) so that all record writes of one case,
 * and the count limit, are serialised on it. */
#ifndef CSO_RECORD_STORE_H
#define CSO_RECORD_STORE_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../db/db.h"

void record_store_init(void);

/* Strong ETag of a document ("\"<microseconds of updated_at>\""). */
#define RECORD_ETAG_LEN 40

struct document_new {
    const char *kind;
    const char *title; /* or NULL */
    /* an uploaded file: */
    const char *media_type; /* canonical; NULL for physical slides */
    const unsigned char *bytes;
    size_t size;
    const char *sha256; /* lowercase hex of bytes */
    /* physical slides (media_type == NULL): */
    const char *shipment_status;
    const char *carrier;         /* or NULL */
    const char *tracking_number; /* or NULL */
};

/* Number of documents (files and slides) the case holds. */
int record_store_document_count(struct db_conn *conn, const char *case_id, long *n,
                                struct app_error *err);

/* Inserts the metadata and, for a file, its bytes (sent as a binary
 * parameter). Call inside a transaction. On success *out is the document
 * representation (caller frees) and etag is filled. */
int record_store_document_insert(struct db_conn *conn, const struct principal *who,
                                 const char *case_id, const struct document_new *d, json_t **out,
                                 char etag[RECORD_ETAG_LEN], struct app_error *err);

/* One document's representation (caller frees *out) and its ETag; 404 when
 * the case has no such document. */
int record_store_document_get(struct db_conn *conn, const char *case_id, const char *doc_id,
                              json_t **out, char etag[RECORD_ETAG_LEN], struct app_error *err);

/* Replaces the editable fields (title and, for slides, the shipment fields;
 * NULL clears) and bumps updated_at. Caller frees *out. */
int record_store_document_update(struct db_conn *conn, const char *case_id, const char *doc_id,
                                 const char *title, const char *shipment_status,
                                 const char *carrier, const char *tracking_number, json_t **out,
                                 char etag[RECORD_ETAG_LEN], struct app_error *err);

/* Deletes the document and its bytes; 404 when the case has no such
 * document. Call inside a transaction. */
int record_store_document_delete(struct db_conn *conn, const char *case_id, const char *doc_id,
                                 struct app_error *err);

struct record_page {
    const char *case_id;
    const char *kind;          /* documents only: filter, or NULL */
    const char *after_created; /* keyset cursor: created_at text, or NULL */
    const char *after_id;      /* keyset cursor: id, or NULL */
    int limit;
};

/* A page of a case's documents, oldest first. *items is an array (caller
 * frees); each item carries "_cursor_key" for building the next cursor.
 * *more is set when another page exists. */
int record_store_document_list(struct db_conn *conn, const struct record_page *q, json_t **items,
                               int *more, struct app_error *err);

/* A document's stored bytes. Valid until record_store_content_close. */
struct document_content {
    PGresult *res;              /* owned */
    const unsigned char *bytes; /* NULL for physical slides */
    size_t size;
    const char *media_type; /* NULL for physical slides */
    const char *sha256;     /* as stored at upload; NULL for slides */
};

/* Reads the bytes in binary (no text escaping of up to 25 MiB). 404 when
 * the case has no such document. On success call record_store_content_close. */
int record_store_content_open(struct db_conn *conn, const char *case_id, const char *doc_id,
                              struct document_content *out, struct app_error *err);
void record_store_content_close(struct document_content *c);

/* Inserts a validated medication entry (see records.c for its shape).
 * Caller frees *out. */
int record_store_medication_insert(struct db_conn *conn, const struct principal *who,
                                   const char *case_id, const json_t *doc, json_t **out,
                                   struct app_error *err);

/* One medication entry (caller frees *out); 404 when the case has none
 * with that id. */
int record_store_medication_get(struct db_conn *conn, const char *case_id, const char *med_id,
                                json_t **out, struct app_error *err);

/* A page of a case's medication entries, oldest first; as document_list. */
int record_store_medication_list(struct db_conn *conn, const struct record_page *q, json_t **items,
                                 int *more, struct app_error *err);

/* Deletes one medication entry; 404 when the case has none with that id. */
int record_store_medication_delete(struct db_conn *conn, const char *case_id, const char *med_id,
                                   struct app_error *err);

#endif
