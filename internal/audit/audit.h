/* audit: an insert-only trail of every access to patient data and every
 * refused attempt. Rows carry who, role, action, resource, case, outcome,
 * request id and time; never the data itself. */
#ifndef CSO_AUDIT_H
#define CSO_AUDIT_H

#include "../auth/auth.h"
#include "../db/db.h"
#include "../http/http.h"

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

/* Convenience for handlers: records a successful access by ctx's principal
 * and marks the request as audited. */
int audit_success(struct http_ctx *ctx, const char *action, const char *resource_type,
                  const char *resource_id, const char *case_id);

/* Routes: GET /v1/audit-events (admins). */
const struct http_route *audit_routes(void);

#endif
