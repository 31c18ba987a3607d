/* directory_store: SQL for institutions (GET/POST/PATCH /v1/providers) and
 * specialists (/v1/specialists). Entries are rendered to JSON by the
 * database (json_build_object), so every type is exact and the C side only
 * adds paging. Retired entries stay readable; lists hide them unless asked.
 *
 * Every function returns 0 on success or -1 with err set (503 and friends
 * from the database). JSON values handed out are new references the caller
 * owns. */
#ifndef CSO_DIRECTORY_STORE_H
#define CSO_DIRECTORY_STORE_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../db/db.h"
#include "filter.h"

enum directory_kind { DIRECTORY_INSTITUTIONS, DIRECTORY_SPECIALISTS };

void directory_store_init(void);

/* Checks that the cancer type, specialty, payer and institution named by f
 * exist; adds a field error (400) for each that does not. */
int directory_check_filter_refs(struct db_conn *conn, const struct directory_filter *f,
                                struct app_error *err);

/* One page of entries matching f, after the entry after_id (NULL: from the
 * start), ordered by (name, id), or by (distance, id) when f->has_near.
 * *items gets an array of at most limit entries; *last_id (37 bytes) the id
 * of the last one when another page follows, else "". */
int directory_list(struct db_conn *conn, enum directory_kind kind, const struct directory_filter *f,
                   const char *after_id, int limit, json_t **items, char *last_id,
                   struct app_error *err);

/* One entry by id: *item (NULL when there is none) and its version. */
int directory_get(struct db_conn *conn, enum directory_kind kind, const char *id, json_t **item,
                  int *version, struct app_error *err);

/* For an update: locks the entry (call inside a transaction) and returns
 * its writable members as a body-shaped object (*current, NULL when there
 * is none), its version and whether it is retired. For an institution,
 * *active_specialists counts its specialists that are not retired; for a
 * specialist, *open_cases is their count of open assignments. */
int directory_lock(struct db_conn *conn, enum directory_kind kind, const char *id, json_t **current,
                   int *version, int *retired, int *active_specialists, int *open_cases,
                   struct app_error *err);

/* Checks the references of a complete specialist body: cancer types,
 * specialty and payers exist, and the institution exists, is not retired and
 * sees patients (locked FOR SHARE so that it cannot change under the write).
 * Adds a field error (400) for each problem. */
int directory_check_specialist_refs(struct db_conn *conn, const json_t *body,
                                    struct app_error *err);

/* Inserts a validated, complete body; writes the new id (37 bytes). */
int directory_insert(struct db_conn *conn, enum directory_kind kind, const json_t *body,
                     char *id_out, struct app_error *err);

/* Overwrites the writable members of id with a validated, complete body and
 * bumps its version. */
int directory_update(struct db_conn *conn, enum directory_kind kind, const char *id,
                     const json_t *body, struct app_error *err);

/* Marks id retired (now) and bumps its version. */
int directory_retire(struct db_conn *conn, enum directory_kind kind, const char *id,
                     struct app_error *err);

#endif
