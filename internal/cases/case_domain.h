/* case_domain: what may be done with a case, below the handlers. A case is
 * one patient's request for a second opinion: who they are, the diagnosis,
 * the proposed treatment and what they ask. Its moves (submit, withdraw,
 * close, and those of assignments and opinions) are internal/workflow's;
 * this module opens, reads, lists and edits cases, and serves what belongs
 * to a case as a whole (its status history, its records checklist).
 *
 * Every function takes a database connection, the caller and an error,
 * never an HTTP context; it checks who may see the case (case_access, or
 * the same rule inside the statement), writes the audit trail of every
 * read and change, and commits its own changes. Everything it returns
 * (documents, JSON text, items) is owned by the caller of the function.
 *
 * The two hot paths stay one SQL round trip each: case_create and
 * case_read hand back the JSON text PostgreSQL rendered (struct case_text),
 * with the audit row written by the same statement, for the handler to
 * pass through without parsing. */
#ifndef CSO_CASE_DOMAIN_H
#define CSO_CASE_DOMAIN_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../change/change.h"
#include "../db/db.h"
#include "../validate/validate.h"
#include "case_store.h"

/* The rules a complete case document must meet beyond its field table:
 * dates not in the future (today by the server's UTC clock) nor a
 * diagnosis before birth, USPS state and zip, language tags, a stage that
 * is unknown or has values, the reasons' and urgency's explanations. Pure;
 * adds a field error to err for each broken rule and copes with a document
 * its table refused (it is also the create schemas' rules, for the body
 * fuzzer). */
void case_check_rules(const json_t *doc, struct app_error *err);

/* fields, below: the table a whole case document of by's role must meet,
 * one of the request shapes in cases.c (a patient may not name the case's
 * patient_subject). The domain applies it itself because an edit is
 * checked only after its If-Match and the case's status, and what must
 * meet the table is the merged document, which only the domain sees. */

/* Opens a draft case from doc, the request body as parsed, and doc_json,
 * the same body as text (PostgreSQL reads it as it came: no re-rendering).
 * doc is checked against fields and case_check_rules together, so a client
 * sees every problem at once; the insert itself checks the cancer type and
 * writes the history row, the case.create audit row and the case.created
 * event (one round trip). A patient's case is always theirs; staff may name
 * the patient's account (patient_subject). *out: the new case's text, id
 * and version (out->json malloc'd: the caller frees it). */
int case_create(struct db_conn *db, const struct caller *by, const struct vfield *fields,
                const json_t *doc, const char *doc_json, struct case_text *out,
                struct app_error *err);

/* One case by may see, with its case.read audit row, in one statement (404
 * when not visible). out->json malloc'd: the caller frees it. */
int case_read(struct db_conn *db, const struct caller *by, const char *id, struct case_text *out,
              struct app_error *err);

/* A page of the cases by may see (q's filters and cursor checked for shape
 * by the handler; q->who is ignored, the list is always by's), newest
 * first; a cancer_type filter must name a known type. One case.list audit
 * row per case shown, by the listing statement. page->items_json
 * malloc'd: the caller frees it. */
int case_list(struct db_conn *db, const struct caller *by, const struct case_list_query *q,
              struct case_page *page, struct app_error *err);

/* Applies a JSON merge patch (RFC 7396) to the writable members of case id
 * under If-Match (if_match: the header as sent, or NULL), while the case
 * takes edits (workflow_takes_edits). The patch is checked against fields
 * as a partial document, then the merged document as a whole, with
 * case_check_rules and the cancer type. *out: the case after the edit. */
int case_update(struct db_conn *db, const struct caller *by, const char *id, const char *if_match,
                const struct vfield *fields, const json_t *patch, json_t **out,
                struct app_error *err);

/* The status history of a case by may see, oldest first, audited as
 * case.history.read. *items: an array. */
int case_history(struct db_conn *db, const struct caller *by, const char *id, json_t **items,
                 struct app_error *err);

/* The records checklist of a case by may see, with the case's id and
 * status, audited as case.checklist.read. *out: the checklist object. */
int case_checklist(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                   struct app_error *err);

/* The reference vocabularies: the same for every caller and no patient's
 * data, so neither takes a caller nor writes an audit row. *items: an
 * array. */
int case_cancer_types(struct db_conn *db, json_t **items, struct app_error *err);
int case_specialties(struct db_conn *db, json_t **items, struct app_error *err);

#endif
