/* events: the transactional outbox and the feed that reads it.
 *
 * Every state change calls events_emit on the same connection, inside the
 * same transaction, as the change itself, so an event exists if and only if
 * its change committed. Events carry ids and a type, never patient data.
 * GET /v1/events (the feed, for navigators and admins: events_routes.h) and
 * webhook delivery (internal/webhooks) read this table in the order
 * described below.
 *
 * This is the store, below the HTTP layer: it takes a database connection
 * and an app_error, never a request. */
#ifndef CSO_EVENTS_H
#define CSO_EVENTS_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../db/db.h"

void events_store_init(void);

/* Appends one event. type is dotted "<resource>.<past-tense verb>", e.g.
 * "case.created", "document.added"; lowercase letters and underscores only
 * (webhook subscriptions match on it, see events_type_pattern_is_valid).
 * case_id, subject_type and subject_id may be NULL. Returns 0 or -1 with err. */
int events_emit(struct db_conn *conn, const char *type, const char *case_id,
                const char *subject_type, const char *subject_id, const struct principal *who,
                struct app_error *err);

/* Feed order.
 *
 * Ids come from a sequence at insert time, but transactions commit in any
 * order: a reader that pages by "id > last id" can pass an id whose
 * transaction commits a moment later and never see it. So the feed is
 * ordered by (txid, id), where txid is the writing transaction's id, and it
 * only shows rows whose txid is below pg_snapshot_xmin(pg_current_snapshot())
 * - the oldest transaction id still running. Every transaction that could
 * still commit has a txid >= that xmin, and every transaction that starts
 * later gets a larger txid still, so once a reader has passed position
 * (txid, id) no row can later appear at or before it. Rows below xmin are
 * final (committed or gone), so a reader that resumes from its last
 * position misses nothing and sees nothing twice, however many replicas
 * write. The price: a long-running writing transaction anywhere in the
 * cluster holds the feed back until it ends (idle_in_transaction and
 * statement timeouts bound that). */

/* A feed position. The start of the feed is {"0", "0"}. */
struct events_position {
    char txid[24]; /* decimal xid8 */
    char id[24];   /* decimal bigint */
};

/* Reads up to limit events after pos in feed order. *items_json is the JSON
 * text of an array of event objects, rendered by PostgreSQL (caller frees
 * with free); *last is the position of the last item (pos itself when there
 * are none); *more is 1 when further events were already readable. */
int events_feed_read(struct db_conn *conn, const struct events_position *pos, int limit,
                     char **items_json, struct events_position *last, int *more,
                     struct app_error *err);

/* The API representation of one event row (columns id, type, case_id,
 * subject_type, subject_id, actor_role, occurred_at). Caller frees. */
json_t *events_row_json(const PGresult *res, int row);

/* 1 if s is a valid webhook event-type pattern: "*", "<resource>.*" or
 * "<resource>.<action>" with each part 1-40 of [a-z_]. */
int events_type_pattern_is_valid(const char *s);

#endif
