/* audit: an insert-only trail of every access to patient data and every
 * refused attempt. Rows carry who, role, action, resource, case, outcome,
 * request id and time; never the data itself.
 *
 * This is the store, below the HTTP layer: it takes a database connection
 * and an app_error, never a request. The dispatcher and the handlers write
 * through it (internal/http: the refusal audit, http_audit_success); GET
 * /v1/audit-events reads through it (audit_routes.h). */
#ifndef CSO_AUDIT_H
#define CSO_AUDIT_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../db/db.h"

struct audit_entry {
    const struct principal *who; /* NULL when the caller was not authenticated */
    const char *request_id;
    const char *action;        /* e.g. "case.read", "case.update", "request.denied" */
    const char *resource_type; /* e.g. "case", "document"; NULL for none */
    const char *resource_id;   /* uuid text or NULL */
    const char *case_id;       /* uuid text or NULL */
    const char *outcome;       /* "success", "denied", "not_found", "invalid", "error" */
    int status;                /* HTTP status returned */
};

/* Registers the audit statements with the db module. */
void audit_store_init(void);

/* Inserts one audit row on conn (inside the caller's transaction if one is
 * open). Returns 0, or -1 with err set. */
int audit_record(struct db_conn *conn, const struct audit_entry *e, struct app_error *err);

/* The outcomes an audit row may have (the CHECK of audit_events.outcome in
 * sql/migrations/001_foundation.sql, and AuditEvent.outcome in the spec),
 * as a list of string literals. */
#define AUDIT_OUTCOMES "success", "denied", "not_found", "invalid", "error"

/* The longest actor (a token subject, as struct principal holds it) and
 * action an audit row carries, in characters: the bounds of the filters. */
#define AUDIT_ACTOR_MAX 128
#define AUDIT_ACTION_MAX 64

/* Which rows audit_list returns; every member may be NULL (no filter).
 * The strings are borrowed for the call. */
struct audit_filter {
    const char *before_id; /* decimal row id: only rows older than it (paging) */
    const char *case_id;   /* uuid text */
    const char *actor;     /* token subject */
    const char *action;
    const char *outcome;
};

/* Reads up to limit rows matching f, newest first. *items is a new array of
 * the rows' API representation (caller frees with json_decref); when more
 * rows follow, *more is 1 and last_id holds the decimal id of the last item
 * (the before_id of the next page), else *more is 0 and last_id is "".
 * Returns 0, or -1 with err set and *items NULL. */
int audit_list(struct db_conn *conn, const struct audit_filter *f, int limit, json_t **items,
               int *more, char last_id[24], struct app_error *err);

#endif
