/* opinion_store: SQL for opinions, their amendments and the patient's
 * acknowledgement. Opinion bodies travel as one validated JSON document
 * mapped onto columns on the way in; PostgreSQL renders the API
 * representation on the way out (OPINION_JSON in opinion_store.c), with
 * the amendments in order. */
#ifndef CSO_OPINION_STORE_H
#define CSO_OPINION_STORE_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../db/db.h"

struct opinion_ref {
    char id[37];
    char case_id[37];
    char assignment_id[37];
    char specialist_id[37];
    char status[8]; /* draft or signed */
    int version;
    int amendments;
    /* A draft whose assignment was cancelled: its author was retired (or the
     * case withdrawn). Nobody can change it any more; the next reviewer of
     * the case may read it for context. */
    int left_behind;
};

void opinion_store_init(void);

/* Finds an opinion's case, author and state. With lock != 0 the row is
 * locked FOR UPDATE (inside a transaction, after its case). 404 if absent. */
int opinion_store_ref(struct db_conn *conn, const char *id, int lock, struct opinion_ref *out,
                      struct app_error *err);

/* The id of the opinion written for an assignment into id, "" if none. */
int opinion_store_for_assignment(struct db_conn *conn, const char *assignment_id, char id[37],
                                 struct app_error *err);

/* Inserts a draft from a validated document. Caller frees *out. */
int opinion_store_insert(struct db_conn *conn, const char *case_id, const char *assignment_id,
                         const char *specialist_id, const char *author_sub, const json_t *doc,
                         json_t **out, struct app_error *err);

/* Reads one opinion with its amendments (caller frees *out). */
int opinion_store_get(struct db_conn *conn, const char *id, json_t **out, struct app_error *err);

/* Replaces a draft's content if version still matches (412 otherwise, 409
 * if it was signed meanwhile). Caller frees *out. */
int opinion_store_update(struct db_conn *conn, const char *id, int version, const json_t *doc,
                         json_t **out, struct app_error *err);

/* draft -> signed by signer_sub. 409 if already signed. Caller frees *out. */
int opinion_store_sign(struct db_conn *conn, const char *id, const char *signer_sub, json_t **out,
                       struct app_error *err);

/* Appends a signed amendment (next sequence number) to a signed opinion;
 * changes and narrative may each be NULL but not both. Caller has locked the
 * opinion. Caller frees *out (the amendment). */
int opinion_store_amend(struct db_conn *conn, const char *opinion_id, const char *reason,
                        const json_t *changes, const char *narrative, const char *specialist_id,
                        const char *signer_sub, json_t **out, struct app_error *err);

/* Opinions of the case and of its earlier rounds, oldest round first, each
 * with case_id and round. Earlier rounds contribute signed opinions only;
 * drafts of this case are listed for staff (role navigator/admin) and for
 * their author (specialist_id). Caller frees *items. */
int opinion_store_list_for_case(struct db_conn *conn, const char *case_id, const char *role,
                                const char *specialist_id, json_t **items, struct app_error *err);

/* Ids of the later rounds opened from case_id (children, grandchildren...)
 * as a JSON array of strings. Caller frees *ids. */
int opinion_store_later_rounds(struct db_conn *conn, const char *case_id, json_t **ids,
                               struct app_error *err);

/* Everything the PDF report shows (see opinion_pdf.h for the shape).
 * Caller frees *out. */
int opinion_store_report(struct db_conn *conn, const char *id, json_t **out, struct app_error *err);

/* The id of the case's most recently signed opinion into id, "" if none. */
int opinion_store_signed_for_case(struct db_conn *conn, const char *case_id, char id[37],
                                  struct app_error *err);

/* Records the patient's acknowledgement once per case. *created is 1 when
 * this call inserted it, 0 when it already existed (then *out is the
 * existing one). Caller frees *out. */
int opinion_store_acknowledge(struct db_conn *conn, const char *case_id, const char *opinion_id,
                              const char *patient_sub, json_t **out, int *created,
                              struct app_error *err);

/* The case's acknowledgement; 404 when the patient has not acknowledged. */
int opinion_store_acknowledgement(struct db_conn *conn, const char *case_id, json_t **out,
                                  struct app_error *err);

#endif
