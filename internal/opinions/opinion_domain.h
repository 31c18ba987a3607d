/* opinion_domain: what an opinion is allowed to do, below the handlers.
 * The specialist of a case's accepted assignment drafts the opinion while
 * the case is in_review and signs it: the assignment is completed and the
 * case moves to opinion_ready (internal/workflow). A signed opinion never
 * changes; corrections are amendments. The patient acknowledges the signed
 * opinion; a third opinion opens the case's next round.
 *
 * Every function takes a database connection, the caller and an error,
 * never an HTTP context; it checks who may see what (a draft only its
 * author and staff; a signed opinion whoever may see its case or a later
 * round of it), the content rules the request tables cannot state, the
 * case workflow's rules, writes the audit trail of every read and change
 * (internal/change) and commits its own changes. Documents and bytes it
 * returns are owned by the caller of the function. */
#ifndef CSO_OPINION_DOMAIN_H
#define CSO_OPINION_DOMAIN_H

#include <jansson.h>
#include <stddef.h>

#include "../apperr/apperr.h"
#include "../change/change.h"
#include "../db/db.h"
#include "../validate/validate.h"

/* Room for an opinion's ETag with its quotes and terminator. */
#define OPINION_ETAG_LEN 48

/* The strong ETag of an opinion representation doc into etag: its version
 * and the number of its amendments (a signed row never changes, its
 * representation still grows). */
void opinion_etag(const json_t *doc, char etag[OPINION_ETAG_LEN]);

/* Whether who may read opinion id (the rule of GET /v1/opinions/{id}): 0, or
 * -1 with err set (404 "opinion" when not). An http_visible_fn for
 * /v1/opinions/:id. */
int opinion_visible(struct db_conn *db, const struct principal *who, const char *id,
                    struct app_error *err);

/* Drafts the opinion of case_id by the specialist of its accepted
 * assignment, while the case is in_review; one per assignment. doc has the
 * shape of an opinion (the handler's table passed); its content rules are
 * checked here. *out: the new draft. */
int opinion_create(struct db_conn *db, const struct caller *by, const char *case_id,
                   const json_t *doc, json_t **out, struct app_error *err);

/* The opinions of a case and its earlier rounds that by may see (drafts
 * only to staff and their author); each shown one is audited, and the read
 * of the case. *items: an array. */
int opinion_list_for_case(struct db_conn *db, const struct caller *by, const char *case_id,
                          json_t **items, struct app_error *err);

/* One opinion with its amendments, audited. */
int opinion_read(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                 struct app_error *err);

/* A signed opinion's PDF report: bytes is malloc'd (the caller frees it),
 * case_id names the opinion's case (the report's file name), etag is the
 * opinion's (opinion_etag) as of the row the report was rendered from: the
 * report is a representation of the opinion, and GET promises an ETag on
 * every 200. */
struct opinion_report {
    unsigned char *bytes;
    size_t len;
    char case_id[37];
    char etag[OPINION_ETAG_LEN];
};

/* Renders the report of signed opinion id (409 for a draft), audited.
 * Fills *out; nothing to free on failure. */
int opinion_read_report(struct db_conn *db, const struct caller *by, const char *id,
                        struct opinion_report *out, struct app_error *err);

/* Applies the merge patch to the draft id of by, under If-Match (if_match:
 * the header as sent, or NULL), while the case is in_review. shape is the
 * opinion's field table (the handler's, as for opinion_create): the patch
 * is checked against it as a partial document only after the draft's state
 * and If-Match, so that a signed or stale draft is reported before a bad
 * patch, and the merged draft as a whole. *out: the draft after it. */
int opinion_update_draft(struct db_conn *db, const struct caller *by, const char *id,
                         const char *if_match, const json_t *patch, const struct vfield *shape,
                         json_t **out, struct app_error *err);

/* Signs draft id of by under If-Match: it must have what a signed opinion
 * needs (409 opinion-incomplete listing the fields) and its assignment must
 * still be accepted. Completes the assignment and moves the case to
 * opinion_ready. *out: the signed opinion. */
int opinion_sign(struct db_conn *db, const struct caller *by, const char *id, const char *if_match,
                 json_t **out, struct app_error *err);

/* Appends an amendment by its author to signed opinion id: reason, and
 * changes (content of the amendment's shape, its rules checked here) or
 * narrative or both (either may be NULL, not both). *out: the amendment. */
int opinion_amend(struct db_conn *db, const struct caller *by, const char *id, const char *reason,
                  const json_t *changes, const char *narrative, json_t **out,
                  struct app_error *err);

/* The patient acknowledges the case's signed opinion, once: *created is 1
 * when this call recorded it, 0 when it was recorded before (then *out is
 * that record and nothing is written but the audit row). */
int opinion_acknowledge(struct db_conn *db, const struct caller *by, const char *case_id,
                        json_t **out, int *created, struct app_error *err);

/* The case's acknowledgement (404 when there is none yet), audited. */
int opinion_read_acknowledgement(struct db_conn *db, const struct caller *by, const char *case_id,
                                 json_t **out, struct app_error *err);

/* Asks for another opinion on case_id once its opinion is ready: opens the
 * case's next round (a new submitted case with the same records; questions,
 * a JSON array, replaces the patient's questions when not NULL; note may be
 * NULL). *out: the new case's representation. */
int opinion_request_third(struct db_conn *db, const struct caller *by, const char *case_id,
                          const json_t *questions, const char *note, json_t **out,
                          struct app_error *err);

#endif
