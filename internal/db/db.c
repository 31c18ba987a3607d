#include "db.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../log/log.h"

#define DB_MAX_STATEMENT_LISTS 64

static const struct db_statement *registry[DB_MAX_STATEMENT_LISTS];
static int registry_count;

/* Borrowing is lock-free on the hot path: a slot is taken by a
 * compare-and-swap of its in_use flag, starting from the slot this thread
 * used last (so a worker thread tends to keep "its" connection warm and
 * threads do not collide on one cache line). The mutex and condition
 * variable are touched only when every slot is busy (waiters) or while
 * reconnecting. broken and tx_depth belong to whoever holds in_use. */
struct db_conn {
    struct db_pool *pool;
    PGconn *pg;
    int broken; /* the server or link failed; reconnect before reuse */
    int tx_depth;
    atomic_int in_use;
    int index;
};

struct db_pool {
    struct db_pool_options opts;
    char *url;
    char options_kv[256];
    struct db_conn *conns;
    pthread_mutex_t mu;
    /* Threads waiting for a connection, oldest first; guarded by mu. A
     * returned connection goes straight to the oldest waiter instead of
     * back to the free slots, where a newly arrived request could take it:
     * without the hand-off a waiter can lose that race again and again,
     * and the pool's unfairness became the service's p99. */
    struct pool_waiter *queue_head, *queue_tail;
    atomic_int waiters; /* length of the queue; read without mu on the fast paths */
    int size;
    /* While the database is unreachable, fail fast instead of making every
     * request wait for a connect timeout. Guarded by mu. */
    struct timespec down_until;
};

/* One thread blocked in db_acquire; lives on that thread's stack. */
struct pool_waiter {
    pthread_cond_t cv;
    struct db_conn *conn; /* set by give_back: the connection is now this thread's */
    struct pool_waiter *next;
};

static __thread int slot_hint;

int db_register(const struct db_statement *list)
{
    if (registry_count >= DB_MAX_STATEMENT_LISTS)
        return -1;
    registry[registry_count++] = list;
    return 0;
}

void db_registry_each(void (*fn)(const struct db_statement *s, void *arg), void *arg)
{
    int i;
    const struct db_statement *s;
    for (i = 0; i < registry_count; i++)
        for (s = registry[i]; s->name; s++)
            fn(s, arg);
}

static int prepare_all(PGconn *pg)
{
    int i;
    const struct db_statement *s;
    for (i = 0; i < registry_count; i++) {
        for (s = registry[i]; s->name; s++) {
            PGresult *r = PQprepare(pg, s->name, s->sql, 0, NULL);
            int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            if (!ok)
                log_msg(LOG_ERROR, "db: preparing %s failed: %s", s->name,
                        PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                            ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                            : "connection lost");
            PQclear(r);
            if (!ok)
                return -1;
        }
    }
    return 0;
}

static PGconn *connect_one(struct db_pool *pool)
{
    const char *keys[] = {"dbname", "options", "application_name", "connect_timeout", NULL};
    const char *vals[] = {pool->url, pool->options_kv, "cso-api", "3", NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg)
        return NULL;
    if (PQstatus(pg) != CONNECTION_OK) {
        /* The message can name host and user but never carries patient data. */
        log_msg(LOG_WARN, "db: connect failed: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    if (prepare_all(pg) != 0) {
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static void *connect_slot(void *arg)
{
    struct db_conn *c = arg;
    c->pg = connect_one(c->pool);
    c->broken = c->pg == NULL;
    return NULL;
}

struct db_pool *db_pool_open(const struct db_pool_options *opts)
{
    struct db_pool *pool = calloc(1, sizeof *pool);
    int i;
    if (!pool)
        return NULL;
    pool->opts = *opts;
    pool->url = strdup(opts->url);
    pool->size = opts->size;
    snprintf(pool->options_kv, sizeof pool->options_kv,
             "-c statement_timeout=%d -c lock_timeout=%d -c idle_in_transaction_session_timeout=%d"
             " -c TimeZone=UTC",
             opts->statement_timeout_ms, opts->lock_timeout_ms, opts->idle_in_tx_timeout_ms);
    pool->conns = calloc((size_t)opts->size, sizeof *pool->conns);
    if (!pool->url || !pool->conns) {
        free(pool->url);
        free(pool->conns);
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->mu, NULL);
    for (i = 0; i < pool->size; i++) {
        pool->conns[i].index = i;
        atomic_init(&pool->conns[i].in_use, 0);
    }
    for (i = 0; i < pool->size; i++) {
        pool->conns[i].pool = pool;
        pool->conns[i].broken = 1;
    }
    /* The first connection tells whether the database is there at all; the
     * others then connect in parallel (each costs a TCP and SCRAM handshake
     * and one prepare per statement: in series they made start-up grow with
     * the pool). A database that is down leaves every slot to reconnect
     * lazily. */
    pool->conns[0].pg = connect_one(pool);
    pool->conns[0].broken = pool->conns[0].pg == NULL;
    if (pool->conns[0].pg && pool->size > 1) {
        pthread_t *threads = calloc((size_t)pool->size, sizeof *threads);
        int *started = calloc((size_t)pool->size, sizeof *started);
        for (i = 1; threads && started && i < pool->size; i++)
            started[i] = pthread_create(&threads[i], NULL, connect_slot, &pool->conns[i]) == 0;
        for (i = 1; threads && started && i < pool->size; i++)
            if (started[i])
                pthread_join(threads[i], NULL);
        free(threads);
        free(started);
    }
    return pool;
}

void db_pool_close(struct db_pool *pool)
{
    int i;
    if (!pool)
        return;
    for (i = 0; i < pool->size; i++)
        if (pool->conns[i].pg)
            PQfinish(pool->conns[i].pg);
    pthread_mutex_destroy(&pool->mu);
    free(pool->conns);
    free(pool->url);
    free(pool);
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* 1 unless the server has closed this idle connection (a restart or
 * failover terminates every backend): its socket is then readable, and
 * reading it turns the status bad. Checked at hand-out, without a round
 * trip, so that each pooled connection does not cost one request a 503. */
static int idle_connection_alive(PGconn *pg)
{
    struct pollfd p;
    int i;
    /* The server's goodbye (FATAL ... administrator command) is read first
     * and leaves the status OK; the end of stream behind it turns it bad. */
    for (i = 0; i < 4; i++) {
        p.fd = PQsocket(pg);
        p.events = POLLIN;
        p.revents = 0;
        if (p.fd < 0)
            return 0;
        if (poll(&p, 1, 0) <= 0)
            break;
        if (!PQconsumeInput(pg))
            return 0;
    }
    return PQstatus(pg) == CONNECTION_OK;
}

/* Takes a free slot (healthy ones only unless any_state) or returns NULL. */
static struct db_conn *try_take(struct db_pool *pool, int any_state)
{
    int i, n = pool->size, start = slot_hint < n ? slot_hint : 0;
    for (i = 0; i < n; i++) {
        struct db_conn *c = &pool->conns[(start + i) % n];
        int expected = 0;
        if (atomic_load_explicit(&c->in_use, memory_order_relaxed) != 0 ||
            !atomic_compare_exchange_strong(&c->in_use, &expected, 1))
            continue;
        if (c->broken && !any_state) {
            atomic_store(&c->in_use, 0);
            continue;
        }
        slot_hint = c->index;
        return c;
    }
    return NULL;
}

/* Frees c, or hands it to the oldest waiter. The waiter increments waiters
 * and retries try_take while holding mu, then queues itself before
 * releasing mu; give_back frees the slot before reading waiters (both
 * seq_cst). So either the waiter's retry finds the slot free, or give_back
 * sees the waiter and, under mu, finds it queued. */
static void give_back(struct db_conn *c)
{
    struct db_pool *pool = c->pool;
    struct pool_waiter *w;
    int expected = 0;
    atomic_store(&c->in_use, 0);
    if (atomic_load(&pool->waiters) == 0)
        return;
    pthread_mutex_lock(&pool->mu);
    /* Take the slot back for the head of the queue, unless someone took it
     * in between (then that thread has it and the queue waits on). */
    if ((w = pool->queue_head) && atomic_compare_exchange_strong(&c->in_use, &expected, 1)) {
        pool->queue_head = w->next;
        if (!pool->queue_head)
            pool->queue_tail = NULL;
        atomic_fetch_sub(&pool->waiters, 1);
        w->conn = c;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&pool->mu);
}

static void queue_remove(struct db_pool *pool, struct pool_waiter *w)
{
    struct pool_waiter **p = &pool->queue_head, *prev = NULL;
    while (*p && *p != w) {
        prev = *p;
        p = &(*p)->next;
    }
    if (!*p)
        return;
    *p = w->next;
    if (pool->queue_tail == w)
        pool->queue_tail = prev;
    atomic_fetch_sub(&pool->waiters, 1);
}

/* Waits in line for a connection until the acquire timeout; NULL then. */
static struct db_conn *wait_in_line(struct db_pool *pool)
{
    struct pool_waiter w = {.conn = NULL, .next = NULL};
    struct timespec deadline;
    struct db_conn *c = NULL;
    int rc = 0;

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += pool->opts.acquire_timeout_ms / 1000;
    deadline.tv_nsec += (long)(pool->opts.acquire_timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&pool->mu);
    atomic_fetch_add(&pool->waiters, 1);
    /* Only the first in line may take a free slot directly: a later one
     * would overtake the waiters before it. */
    if (pool->queue_head == NULL && ((c = try_take(pool, 0)) || (c = try_take(pool, 1)))) {
        atomic_fetch_sub(&pool->waiters, 1);
        pthread_mutex_unlock(&pool->mu);
        return c;
    }
    {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&w.cv, &attr);
        pthread_condattr_destroy(&attr);
    }
    if (pool->queue_tail)
        pool->queue_tail->next = &w;
    else
        pool->queue_head = &w;
    pool->queue_tail = &w;
    while (!w.conn && rc == 0)
        rc = pthread_cond_timedwait(&w.cv, &pool->mu, &deadline);
    if (!w.conn)
        queue_remove(pool, &w);
    c = w.conn;
    pthread_mutex_unlock(&pool->mu);
    pthread_cond_destroy(&w.cv);
    return c;
}

struct db_conn *db_acquire(struct db_pool *pool, struct app_error *err)
{
    struct timespec now;
    struct db_conn *c = NULL;

    /* The lock-free path only while nobody waits (it would overtake). */
    if (atomic_load(&pool->waiters) == 0 && !(c = try_take(pool, 0)))
        c = try_take(pool, 1);
    if (!c && !(c = wait_in_line(pool))) {
        app_error_unavailable(err, "All database connections are busy; retry shortly.");
        return NULL;
    }

    if (c->broken || PQstatus(c->pg) != CONNECTION_OK || !idle_connection_alive(c->pg)) {
        int down;
        pthread_mutex_lock(&pool->mu);
        clock_gettime(CLOCK_REALTIME, &now);
        down = ts_before(&now, &pool->down_until);
        pthread_mutex_unlock(&pool->mu);
        if (down) {
            give_back(c);
            app_error_unavailable(err, "The database is unavailable; retry shortly.");
            return NULL;
        }
        if (c->pg)
            PQfinish(c->pg);
        c->pg = connect_one(pool);
        c->tx_depth = 0;
        if (!c->pg) {
            pthread_mutex_lock(&pool->mu);
            clock_gettime(CLOCK_REALTIME, &pool->down_until);
            pool->down_until.tv_sec += 1;
            pthread_mutex_unlock(&pool->mu);
            c->broken = 1;
            give_back(c);
            app_error_unavailable(err, "The database is unavailable; retry shortly.");
            return NULL;
        }
        c->broken = 0;
        log_msg(LOG_INFO, "db: connection re-established");
    }
    return c;
}

void db_release(struct db_conn *c)
{
    if (!c)
        return;
    if (c->tx_depth > 0 && !c->broken)
        db_rollback(c);
    give_back(c);
}

void db_map_error(const PGresult *res, struct db_conn *conn, struct app_error *err)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (conn && (!res || PQstatus(conn->pg) != CONNECTION_OK))
        conn->broken = 1;
    if (!state) {
        if (conn)
            conn->broken = 1;
        app_error_unavailable(err, "The database connection was lost; retry shortly.");
        return;
    }
    if (!strncmp(state, "08", 2) || !strcmp(state, "57P01") || !strcmp(state, "57P02") ||
        !strcmp(state, "57P03") || !strcmp(state, "53300")) {
        if (conn)
            conn->broken = 1;
        app_error_unavailable(err, "The database is unavailable; retry shortly.");
    } else if (!strcmp(state, "57014") || !strcmp(state, "55P03") || !strcmp(state, "40001") ||
               !strcmp(state, "40P01") || !strcmp(state, "53000") || !strcmp(state, "53200")) {
        app_error_unavailable(err, "The database is busy; retry shortly.");
        err->retry_after = 1;
    } else if (!strcmp(state, "23505")) {
        app_error_problem(err, PROBLEM_CONFLICT,
                          "A resource with the same unique value already exists.");
    } else if (!strcmp(state, "23503")) {
        app_error_problem(
            err, PROBLEM_CONFLICT,
            "The request refers to a resource that does not exist or is still in use.");
    } else if (!strncmp(state, "23", 2) || !strncmp(state, "22", 2)) {
        app_error_problem(err, PROBLEM_VALIDATION_FAILED,
                          "A value is out of range or not allowed.");
    } else {
        log_msg(LOG_ERROR, "db: unexpected SQLSTATE %s: %s", state,
                PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                    ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
                    : "");
        app_error_internal(err);
    }
}

PGresult *db_exec_binary(struct db_conn *conn, const char *name, int nparams,
                         const char *const *params, const int *lengths, const int *formats,
                         int result_binary, struct app_error *err)
{
    PGresult *res;
    ExecStatusType st;
    if (conn->broken) {
        app_error_unavailable(err, "The database connection was lost; retry shortly.");
        return NULL;
    }
    res = PQexecPrepared(conn->pg, name, nparams, params, lengths, formats, result_binary);
    st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return res;
    db_map_error(res, conn, err);
    PQclear(res);
    return NULL;
}

PGresult *db_exec(struct db_conn *conn, const char *name, int nparams, const char *const *params,
                  struct app_error *err)
{
    return db_exec_binary(conn, name, nparams, params, NULL, NULL, 0, err);
}

static int simple_command(struct db_conn *conn, const char *sql, struct app_error *err)
{
    PGresult *res = PQexec(conn->pg, sql);
    int ok = res && PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok)
        db_map_error(res, conn, err);
    PQclear(res);
    return ok ? 0 : -1;
}

int db_begin(struct db_conn *conn, struct app_error *err)
{
    if (conn->tx_depth++ > 0)
        return 0;
    if (simple_command(conn, "BEGIN", err) != 0) {
        conn->tx_depth = 0;
        return -1;
    }
    return 0;
}

int db_commit(struct db_conn *conn, struct app_error *err)
{
    if (conn->tx_depth <= 0)
        return 0; /* already rolled back by an inner failure */
    if (--conn->tx_depth > 0)
        return 0;
    return simple_command(conn, "COMMIT", err);
}

void db_rollback(struct db_conn *conn)
{
    struct app_error ignored = {0};
    if (conn->tx_depth <= 0)
        return;
    conn->tx_depth = 0;
    if (!conn->broken)
        simple_command(conn, "ROLLBACK", &ignored);
    app_error_clear(&ignored);
}

int db_in_transaction(const struct db_conn *conn)
{
    return conn->tx_depth > 0;
}

int db_ping(struct db_pool *pool)
{
    struct app_error err = {0};
    struct db_conn *c = db_acquire(pool, &err);
    PGresult *res;
    int ok = 0;
    if (!c) {
        app_error_clear(&err);
        return -1;
    }
    res = PQexec(c->pg, "SELECT 1");
    ok = res && PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        db_map_error(res, c, &err);
    PQclear(res);
    db_release(c);
    app_error_clear(&err);
    return ok ? 0 : -1;
}

const char *db_value(const PGresult *res, int row, const char *column)
{
    int col = PQfnumber(res, column);
    if (col < 0 || row >= PQntuples(res) || PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}

int db_one_id(PGresult *res, char id[37])
{
    id[0] = 0;
    if (PQntuples(res) > 0)
        snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

int db_one_doc(PGresult *res, const char *column, json_t **out, struct app_error *err,
               const char *what)
{
    const char *v;
    if (PQntuples(res) != 1 || !(v = db_value(res, 0, column))) {
        PQclear(res);
        return app_error_not_found(err, what);
    }
    *out = json_loads(v, 0, NULL);
    PQclear(res);
    return *out ? 0 : app_error_internal(err);
}

char *db_json_array_text(const PGresult *res, int n)
{
    size_t cap = 3, len = 0;
    char *buf;
    int i;
    for (i = 0; i < n; i++)
        cap += (size_t)PQgetlength(res, i, 0) + 1;
    if (!(buf = malloc(cap)))
        return NULL;
    buf[len++] = '[';
    for (i = 0; i < n; i++) {
        size_t dl = (size_t)PQgetlength(res, i, 0);
        if (i > 0)
            buf[len++] = ',';
        memcpy(buf + len, PQgetvalue(res, i, 0), dl);
        len += dl;
    }
    buf[len++] = ']';
    buf[len] = 0;
    return buf;
}

int db_page_items(PGresult *res, int limit, json_t **items, int *more, struct app_error *err)
{
    int i, n = PQntuples(res);
    *more = n > limit;
    *items = json_array();
    for (i = 0; *items && i < n && i < limit; i++) {
        const char *text = db_value(res, i, "doc");
        json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
        /* json_array_append_new takes doc even when it fails: no decref then. */
        if (!doc || json_object_set_new(doc, "_cursor_key", json_string(db_value(res, i, "k")))) {
            json_decref(doc);
            json_decref(*items);
            *items = NULL;
        } else if (json_array_append_new(*items, doc)) {
            json_decref(*items);
            *items = NULL;
        }
    }
    PQclear(res);
    return *items ? 0 : app_error_internal(err);
}

int db_bool(const PGresult *res, int row, const char *column)
{
    const char *v = db_value(res, row, column);
    return v && v[0] == 't';
}
