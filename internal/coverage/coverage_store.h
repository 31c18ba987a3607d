/* coverage_store: the SQL of the coverage module (payers catalog and
 * stored coverage checks). The stub adapter keeps its own statements in
 * stub_adapter.c. Every PGresult returned is the caller's to PQclear. */
#ifndef CSO_COVERAGE_STORE_H
#define CSO_COVERAGE_STORE_H

#include "../auth/auth.h"
#include "../db/db.h"
#include "adapter.h"

/* Registers the module's statements (and the stub adapter's). */
void coverage_store_init(void);

/* ---- payers. Rows: id, name, kind, adapter, version, retired_at,
 * created_at, updated_at (timestamps as RFC 3339 text). ---- */

/* A page ordered by (name, id) after the given position (both NULL for the
 * first page); kind may be NULL; limit rows at most. */
PGresult *payer_store_list(struct db_conn *conn, const char *after_name, const char *after_id,
                           const char *kind, int include_retired, int limit, struct app_error *err);
/* Zero or one row; lock != 0 locks it FOR UPDATE (inside a transaction). */
PGresult *payer_store_get(struct db_conn *conn, const char *id, int lock, struct app_error *err);
PGresult *payer_store_insert(struct db_conn *conn, const char *name, const char *kind,
                             const char *adapter, struct app_error *err);
/* NULL members keep their value; bumps version. */
PGresult *payer_store_update(struct db_conn *conn, const char *id, const char *name,
                             const char *kind, const char *adapter, struct app_error *err);
PGresult *payer_store_retire(struct db_conn *conn, const char *id, struct app_error *err);

/* ---- what an inquiry needs besides the payer ---- */

/* The case's patient name and date of birth, for the inquiry (a 270 names
 * the subscriber). Returns 0, or -1 with err set. */
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

/* Inserts a check; writes its id. Returns 0, or -1 with err set. */
int coverage_store_check_insert(struct db_conn *conn, const struct coverage_check_new *c,
                                char id[37], struct app_error *err);

/* Rows: id, case_id, payer_id, payer_name, payer_kind, member_id,
 * specialist_id, institution_id, adapter, outcome, plan_name, group_number,
 * group_name, insurance_type, coverage_start, coverage_end, in_network,
 * second_opinion, telehealth (JSON text), second_opinion_required,
 * international_coverage, messages (JSON text), raw (JSON text, only when
 * with_raw), duration_ms, checked_by_role, checked_at. Newest first. */
PGresult *coverage_store_check_list(struct db_conn *conn, const char *case_id,
                                    const char *before_at, const char *before_id, int limit,
                                    int with_raw, struct app_error *err);
/* Zero or one row of the same shape. */
PGresult *coverage_store_check_get(struct db_conn *conn, const char *case_id, const char *check_id,
                                   int with_raw, struct app_error *err);

#endif
