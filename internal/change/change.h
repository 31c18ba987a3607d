/* change: the one recorder of a state change. Every write to patient data
 * leaves three things that must commit together or not at all: the audit
 * row (who did what to which resource, with the request that asked), the
 * events the feed and the webhooks read, and the commit itself. Modules
 * describe their change as data and call change_record; none of them writes
 * audit rows or events for a change by hand.
 *
 * Below the handler layer: it takes a database connection, the caller and
 * an error, never an HTTP context. */
#ifndef CSO_CHANGE_H
#define CSO_CHANGE_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../db/db.h"

/* The caller of a domain function: the authenticated principal and the id
 * of the request it sent, which ties every audit row to one request. Both
 * are borrowed for the call. */
struct caller {
    const struct principal *who;
    const char *request_id;
};

/* One event of a change: its type ("case.submitted") and the resource it is
 * about (subject_type may be NULL for none). The case is the change's. */
struct change_event {
    const char *type;
    const char *subject_type;
    const char *subject_id;
};

#define CHANGE_MAX_EVENTS 4

/* What a change did. Strings are borrowed for the call. */
struct change {
    const char *action;        /* audit action, "<resource>.<verb>": "case.submit" */
    const char *resource_type; /* "case", "document", ... */
    const char *resource_id;   /* uuid text, or NULL */
    const char *case_id;       /* the case it belongs to, or NULL (a subscription) */
    int status;                /* the HTTP status the change is answered with */
    /* Events in the order they are emitted; a NULL type ends the list early. */
    struct change_event events[CHANGE_MAX_EVENTS];
};

/* The common change: one resource and one event about it (event may be
 * NULL for none). */
struct change change_one(const char *action, const char *resource_type, const char *resource_id,
                         const char *case_id, int status, const char *event);

/* Appends an event to c (no-op with type NULL). Returns -1 when c has
 * CHANGE_MAX_EVENTS already (a programming error, reported as a 500). */
int change_add_event(struct change *c, const char *type, const char *subject_type,
                     const char *subject_id, struct app_error *err);

/* Writes c's audit row and events in the transaction open on db, then
 * commits it (db_commit: the outermost commit is the caller's when
 * transactions nest, e.g. under an Idempotency-Key). Returns 0, or -1 with
 * err set and nothing committed. */
int change_record(struct db_conn *db, const struct caller *by, const struct change *c,
                  struct app_error *err);

/* The same without the commit, for a change that is one step of a larger
 * one whose owner commits. */
int change_write(struct db_conn *db, const struct caller *by, const struct change *c,
                 struct app_error *err);

/* change_record of c, then hands doc, the changed resource's document
 * (owned by this call; may be NULL), to *out: the caller gets it only once
 * the change is committed, and it is freed when the change is not. */
int change_record_result(struct db_conn *db, const struct caller *by, const struct change *c,
                         json_t *doc, json_t **out, struct app_error *err);

/* The audit row of a read of patient data: by read resource_id (of
 * resource_type, in case_id, either may be NULL) with action
 * ("opinion.read"), answered 200. Reads change nothing, so no event and no
 * commit: the row joins whatever transaction is open on db, or stands alone.
 * Returns 0, or -1 with err set. */
int change_record_read(struct db_conn *db, const struct caller *by, const char *action,
                       const char *resource_type, const char *resource_id, const char *case_id,
                       struct app_error *err);

/* change_record_read of every item of a list shown to by (one row per
 * resource, since each names a patient's case): items is an array of
 * objects whose "id" is the resource id, in case_id or, when case_id is
 * NULL, in the item's own "case_id". */
int change_record_list_read(struct db_conn *db, const struct caller *by, const char *action,
                            const char *resource_type, const json_t *items, const char *case_id,
                            struct app_error *err);

#endif
