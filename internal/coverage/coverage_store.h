/* coverage_store: the SQL of the coverage module, the payer catalog
 * (coverage_store_payer_*) and the stored coverage checks
 * (coverage_store_check_*), plus the few facts an inquiry needs from other
 * modules' tables. The stub adapter keeps its own statements in
 * stub_adapter.c: it plays a payer, not the service.
 *
 * Like every other store, it hands out no PGresult: representations leave
 * as jansson documents in the shape the API serves (rendered here, in C,
 * because the documented member order and the timestamp format are fixed
 * and jsonb would reorder members), and the facts handlers decide on leave
 * as structs. Every function returns 0 on success or -1 with err set (503
 * and friends from the database) unless it says otherwise. Every json_t
 * handed out is a new reference the caller owns (json_decref); structs are
 * the caller's and hold copies, never pointers into a result. */
#ifndef CSO_COVERAGE_STORE_H
#define CSO_COVERAGE_STORE_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../auth/auth.h"
#include "../db/db.h"
#include "adapter.h"

/* Registers the module's statements (and the stub adapter's). */
void coverage_store_init(void);

/* ---- payers ---- */

/* What handlers decide on about a payer: its identity, its state, the
 * adapter that answers for it and the version behind its ETag. Sized for
 * the longest value the API accepts (120 and 40 characters of UTF-8). */
struct coverage_payer {
    char id[37];
    char name[481];
    char kind[16];
    char adapter[161];
    int version;
    int retired; /* retired_at is set */
};

/* The payer's representation: {id, name, kind, adapter, version,
 * retired_at, created_at, updated_at}, timestamps as RFC 3339 text. */

/* Reads a payer. lock != 0 locks it FOR UPDATE (inside a transaction).
 * Fills *out, and *doc with its representation when doc is not NULL
 * (caller frees). 404 naming "payer" when there is none. */
int coverage_store_payer_get(struct db_conn *conn, const char *id, int lock,
                             struct coverage_payer *out, json_t **doc, struct app_error *err);

/* As coverage_store_payer_get without lock or representation, for callers
 * to whom an unknown payer is not a 404 (an inquiry naming one is a field
 * error). Returns 1 and fills *out when the catalog has the payer (retired
 * or not), 0 when not, -1 with err set. */
int coverage_store_payer_find(struct db_conn *conn, const char *id, struct coverage_payer *out,
                              struct app_error *err);

struct coverage_payer_query {
    const char *kind;       /* or NULL */
    int include_retired;    /* 0: retired payers are left out */
    const char *after_name; /* keyset cursor: the last name shown, or NULL */
    const char *after_id;   /* keyset cursor: the last id shown, or NULL */
    int limit;
};

/* A page of the catalog ordered by (name, id) after the cursor position.
 * *items gets an array of at most q->limit representations (caller frees);
 * *more is set when another page follows (the next cursor is built from
 * the last item's id and name). */
int coverage_store_payer_list(struct db_conn *conn, const struct coverage_payer_query *q,
                              json_t **items, int *more, struct app_error *err);

/* Inserts a payer from validated values. Fills *out and *doc (caller
 * frees). A name already in the catalog is a 409 (err, refinable). */
int coverage_store_payer_insert(struct db_conn *conn, const char *name, const char *kind,
                                const char *adapter, struct coverage_payer *out, json_t **doc,
                                struct app_error *err);

/* Changes the non-NULL values and bumps the version; the caller has locked
 * the payer. Fills *out and *doc (caller frees); 409 as insert. */
int coverage_store_payer_update(struct db_conn *conn, const char *id, const char *name,
                                const char *kind, const char *adapter, struct coverage_payer *out,
                                json_t **doc, struct app_error *err);

/* Retires the payer and bumps the version; the caller has locked it. Fills
 * *out and *doc (caller frees). */
int coverage_store_payer_retire(struct db_conn *conn, const char *id, struct coverage_payer *out,
                                json_t **doc, struct app_error *err);

/* ---- what an inquiry needs besides the payer ---- */

/* The case's patient name and date of birth, for the inquiry (a 270 names
 * the subscriber). 404 naming "case" when there is no such case. */
int coverage_store_case_patient(struct db_conn *conn, const char *case_id, char name[201],
                                char dob[11], struct app_error *err);
/* The institution of a specialist who is not retired. Returns 1 and fills
 * institution_id, 0 when there is no such specialist, -1 with err set. */
int coverage_store_specialist_institution(struct db_conn *conn, const char *specialist_id,
                                          char institution_id[37], struct app_error *err);
/* 1 when the institution exists and is not retired, 0 when not, -1 on error. */
int coverage_store_institution_exists(struct db_conn *conn, const char *institution_id,
                                      struct app_error *err);

/* ---- coverage checks ---- */

/* A check to store. Every pointer is borrowed for the call only. */
struct coverage_check_new {
    const char *case_id;
    const char *payer_id;
    const char *member_id;
    const char *specialist_id;  /* NULL when not asked */
    const char *institution_id; /* NULL when not asked */
    const char *adapter;
    const struct coverage_result *result;
    int duration_ms;
    const struct principal *who;
};

/* Inserts a check; writes its id. */
int coverage_store_check_insert(struct db_conn *conn, const struct coverage_check_new *c,
                                char id[37], struct app_error *err);

/* A check's representation: {id, case_id, payer {id, name, kind},
 * member_id, provider, outcome, plan_name, group_number, group_name,
 * insurance_type, coverage_period, benefits,
 * second_opinion_required_before_treatment, international_coverage,
 * messages, adapter, duration_ms, checked_by_role, checked_at} and, when
 * with_raw, raw (the adapter's payload: admins only, the caller decides). */

/* Reads one check of the case into *doc (caller frees). 404 naming
 * "coverage check" when the case has no such check. Visibility of the case
 * is the caller's (case_access). */
int coverage_store_check_get(struct db_conn *conn, const char *case_id, const char *check_id,
                             int with_raw, json_t **doc, struct app_error *err);

struct coverage_check_query {
    const char *case_id;
    const char *before_at; /* keyset cursor: the last checked_at shown, or NULL */
    const char *before_id; /* keyset cursor: the last id shown, or NULL */
    int limit;
    int with_raw;
};

/* A page of the case's checks, newest first. *items gets an array of at
 * most q->limit representations (caller frees), each with "_cursor_key"
 * (its checked_at) for http_set_next_cursor; *more is set when another page
 * follows. */
int coverage_store_check_list(struct db_conn *conn, const struct coverage_check_query *q,
                              json_t **items, int *more, struct app_error *err);

#endif
