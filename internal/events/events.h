/* events: the transactional outbox. Every state change calls events_emit on
 * the same connection, inside the same transaction, as the change itself.
 * Events carry ids and a type, never patient data. The feed
 * (GET /v1/events) and webhook delivery read this table. */
#ifndef CSO_EVENTS_H
#define CSO_EVENTS_H

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../db/db.h"

void events_store_init(void);

/* Appends one event. type is dotted, e.g. "case.created", "document.added".
 * case_id, subject_type and subject_id may be NULL. Returns 0 or -1 with err. */
int events_emit(struct db_conn *conn, const char *type, const char *case_id,
                const char *subject_type, const char *subject_id, const struct principal *who,
                struct app_error *err);

#endif
