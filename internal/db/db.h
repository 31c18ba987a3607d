/* db: a fixed pool of PostgreSQL connections, prepared statements and one
 * transaction helper. All SQL runs as prepared statements registered by the
 * store code of each module before the pool opens; every connection prepares
 * all of them when it connects (and again after a reconnect).
 *
 * Errors are mapped once, here: lost connections, timeouts and serialisation
 * failures become 503 with Retry-After; unique violations 409; constraint and
 * data errors 400; anything else 500. No SQL text reaches the caller. */
#ifndef CSO_DB_H
#define CSO_DB_H

#include <jansson.h>
#include <libpq-fe.h>

#include "../apperr/apperr.h"

struct db_pool;
struct db_conn;

struct db_statement {
    const char *name;
    const char *sql;
};

/* Registers a NULL-name-terminated list of statements. The list must stay
 * alive for the life of the process (use a static array). Call before
 * db_pool_open. Returns -1 if the registry is full. */
int db_register(const struct db_statement *list);

/* Calls fn for every registered statement, in registration order (used by
 * `cso-server --statements`, which the benchmark reads so that its
 * PostgreSQL-only limit runs exactly the SQL the endpoints run). */
void db_registry_each(void (*fn)(const struct db_statement *s, void *arg), void *arg);

struct db_pool_options {
    const char *url;
    int size;
    int statement_timeout_ms;
    int lock_timeout_ms;
    int idle_in_tx_timeout_ms;
    int acquire_timeout_ms;
};

/* Creates the pool and tries to connect every slot. A database that is down
 * at start-up is not fatal: slots reconnect on demand. Returns NULL only on
 * allocation failure. Free with db_pool_close. */
struct db_pool *db_pool_open(const struct db_pool_options *opts);
void db_pool_close(struct db_pool *pool);

/* Borrows a connection, reconnecting it if it was lost. On failure returns
 * NULL with err set to 503. Give it back with db_release. */
struct db_conn *db_acquire(struct db_pool *pool, struct app_error *err);
/* Returns the connection; an open transaction is rolled back first. */
void db_release(struct db_conn *conn);

/* Runs a registered statement with text parameters (NULL = SQL NULL).
 * Returns the result (caller frees with PQclear) or NULL with err set. */
PGresult *db_exec(struct db_conn *conn, const char *name, int nparams, const char *const *params,
                  struct app_error *err);

/* As db_exec, with per-parameter lengths and formats (1 = binary) and the
 * result format; used for bytea uploads and downloads. */
PGresult *db_exec_binary(struct db_conn *conn, const char *name, int nparams,
                         const char *const *params, const int *lengths, const int *formats,
                         int result_binary, struct app_error *err);

/* Transactions nest by depth: only the outermost begin/commit reach the
 * server. db_rollback aborts the whole transaction at any depth. */
int db_begin(struct db_conn *conn, struct app_error *err);
int db_commit(struct db_conn *conn, struct app_error *err);
void db_rollback(struct db_conn *conn);
int db_in_transaction(const struct db_conn *conn);

/* Returns 0 when the database answers a trivial query. */
int db_ping(struct db_pool *pool);

/* Column value by name for row (NULL for SQL NULL or unknown column). */
const char *db_value(const PGresult *res, int row, const char *column);
/* 1 if the column is true ("t"), 0 otherwise. */
int db_bool(const PGresult *res, int row, const char *column);

/* Copies the first column of a zero-or-one-row result into id ("" when
 * there is no row) and clears res. Returns 0. */
int db_one_id(PGresult *res, char id[37]);

/* The JSON document in `column` of a one-row result: *out is it parsed
 * (caller frees with json_decref). No row, or a NULL value, is a 404 naming
 * `what`; text that does not parse is a 500. Clears res in every case.
 * Returns 0 or -1 with err. */
int db_one_doc(PGresult *res, const char *column, json_t **out, struct app_error *err,
               const char *what);

/* The JSON texts in column 0 of the first n rows of res joined into one JSON
 * array, "[a,b,...]", without parsing them (PostgreSQL rendered them).
 * Returns a malloc'd string (caller frees with free), or NULL when out of
 * memory. */
char *db_json_array_text(const PGresult *res, int n);

/* The rows of a keyset-paged list query (columns "doc", the item's JSON
 * text, and "k", its sort key as text), fetched with LIMIT limit + 1: *items
 * gets the first `limit` documents parsed, each with a "_cursor_key" member
 * for http_set_next_cursor; *more is 1 when the extra row came back. Clears
 * res in every case. Returns 0, or -1 with err 500 (and *items NULL) when a
 * document does not parse. Caller frees *items with json_decref. */
int db_page_items(PGresult *res, int limit, json_t **items, int *more, struct app_error *err);

/* Maps a failed result's SQLSTATE to err (exposed for tests and stores that
 * want to refine a 409 message). */
void db_map_error(const PGresult *res, struct db_conn *conn, struct app_error *err);

#endif
