/* case_store: SQL for cases, their status history and the records
 * checklist. Case bodies travel as one validated JSON document: SQL maps it
 * onto columns on the way in and renders the API representation on the way
 * out, so the shape lives in one place (CASE_JSON in case_store.c). */
#ifndef CSO_CASE_STORE_H
#define CSO_CASE_STORE_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../db/db.h"

void case_store_init(void);

/* A case representation as PostgreSQL rendered it (JSON text), for replies
 * that pass it through without parsing it. json is malloc'd: caller frees. */
struct case_text {
    char *json;
    char id[37];
    int version;
};

/* One page of a case list: items_json is a JSON array text of the cases
 * shown (malloc'd: caller frees); last_key/last_id name the last one for
 * the next cursor; more is set when another page exists. */
struct case_page {
    char *items_json;
    int count;
    int more;
    char last_key[64];
    char last_id[37];
};

/* Inserts a case from a validated create document, given as JSON text
 * (the request body as received: jansson has checked its shape; PostgreSQL
 * reads it as jsonb). patient_sub may be NULL (staff-created case for a
 * patient without an account). Writes the first status-history row, the
 * case.create audit row and the case.created event in the same statement,
 * so it needs no transaction of its own; the same statement checks
 * diagnosis.cancer_type against the vocabulary. Returns 0 with *out holding
 * the new case's representation (caller frees out->json), id and version;
 * 1 when the cancer type is not in the vocabulary (nothing written); -1 on
 * error (err set). */
int case_store_insert(struct db_conn *conn, const struct principal *who, const char *patient_sub,
                      const char *doc_json, const char *request_id, struct case_text *out,
                      struct app_error *err);

/* Reads one case's representation (caller frees *out). Visibility must have
 * been checked with case_access first. 404 if absent. */
int case_store_get(struct db_conn *conn, const char *id, json_t **out, struct app_error *err);

/* Reads a case the principal may see and writes its case.read audit row in
 * the same statement. 404 when not visible. Caller frees out->json. */
int case_store_read_audited(struct db_conn *conn, const struct principal *who, const char *id,
                            const char *request_id, struct case_text *out, struct app_error *err);

/* Replaces the writable fields from a validated, merged document if the
 * version still matches; 412 if it does not. Caller frees *out. */
int case_store_update(struct db_conn *conn, const char *id, int version, const char *patient_sub,
                      const json_t *doc, json_t **out, struct app_error *err);

struct case_list_query {
    const struct principal *who;
    const char *status;        /* or NULL */
    const char *cancer_type;   /* or NULL */
    const char *updated_since; /* RFC 3339 or NULL */
    const char *after_created; /* keyset cursor: created_at text, or NULL */
    const char *after_id;      /* keyset cursor: id, or NULL */
    int limit;
};

/* Lists visible cases, newest first, and writes one case.list audit row
 * per case returned, in the same statement. Caller frees page->items_json. */
int case_store_list_audited(struct db_conn *conn, const struct case_list_query *q,
                            const char *request_id, struct case_page *page, struct app_error *err);

/* Moves a case to to_status (caller has locked it and checked the move is
 * allowed), bumping version, stamping submitted_at/closed_at and writing
 * the history row. Caller frees *out. */
int case_store_transition(struct db_conn *conn, const char *id, const char *from_status,
                          const char *to_status, const struct principal *who, const char *note,
                          json_t **out, struct app_error *err);

/* Cancels live assignments of a withdrawn case and gives their capacity
 * back. Returns 0 or -1. */
int case_store_cancel_assignments(struct db_conn *conn, const char *id, struct app_error *err);

/* Opens the next round of a case (a third opinion): a new case with the
 * parent's writable fields (questions replaced when questions is a JSON
 * array, kept when NULL), parent_case_id and round + 1, status submitted,
 * and copies of the parent's documents and medication entries. Caller has
 * locked the parent and checked its status; 409 when a later round that is
 * not withdrawn exists. Call inside a transaction. Caller frees *out (the
 * new case's representation). */
int case_store_open_round(struct db_conn *conn, const char *parent_id, const struct principal *who,
                          const json_t *questions, const char *note, json_t **out,
                          struct app_error *err);

/* Status history, oldest first (caller frees *items). */
int case_store_history(struct db_conn *conn, const char *id, json_t **items, struct app_error *err);

/* The records checklist for a case (caller frees *out):
 * {"items":[{"item","required","present","count","satisfied_by"}],"missing":[...],"can_submit"} */
int case_store_checklist(struct db_conn *conn, const char *id, json_t **out, struct app_error *err);

/* 1 if code names a cancer type, 0 if not, -1 on database error. */
int case_store_cancer_type_exists(struct db_conn *conn, const char *code, struct app_error *err);

/* Reference vocabularies (caller frees *items). */
int case_store_cancer_types(struct db_conn *conn, json_t **items, struct app_error *err);
int case_store_specialties(struct db_conn *conn, json_t **items, struct app_error *err);

#endif
