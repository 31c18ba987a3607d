/* The server's life cycle: http_server_new binds the route tables to a
 * ulfius instance, http_server_start opens our own listening socket and the
 * accept thread that hands connections to libmicrohttpd's workers, and
 * http_server_stop_and_free drains and tears it all down. What a request
 * does once it arrives is http_dispatch's. */
#include "http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
/* linux/tcp.h, not netinet/tcp.h: glibc's struct tcp_info stops before
 * tcpi_bytes_received, which the sweeper reads. */
#include <linux/tcp.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../log/log.h"
#include "../ratelimit/ratelimit.h"

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    vsnprintf(buf, sizeof buf, fmt, ap);
    buf[strcspn(buf, "\n")] = 0;
    log_msg(LOG_WARN, "http: %s", buf);
}

/* Frees what http_server_new allocated besides the ulfius instance. */
static void free_memory(struct http_server *srv)
{
    ratelimit_free(srv->limiter);
    free(srv->bindings);
    free(srv->conns);
    free(srv->conn_by_port);
    pthread_mutex_destroy(&srv->conns_lock);
    free(srv);
}

struct http_server *http_server_new(const struct app *app, const struct http_route *const *tables,
                                    const struct http_scope *scopes)
{
    struct http_server *srv = calloc(1, sizeof *srv);
    int i, n = 0, k = 0;
    const struct http_route *r;
    size_t body_cap;

    if (!srv)
        return NULL;
    srv->listen_fd = -1;
    srv->app = app;
    /* One slot per possible socket number (the descriptor limit, at most
     * 65536): the accept thread files a connection by its socket number. */
    {
        struct rlimit rl;
        srv->nconns =
            getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
    }
    srv->conns = calloc((size_t)srv->nconns, sizeof *srv->conns);
    srv->conn_by_port = calloc(65536, sizeof *srv->conn_by_port);
    pthread_mutex_init(&srv->conns_lock, NULL);
    if (!srv->conns || !srv->conn_by_port) {
        free_memory(srv);
        return NULL;
    }
    for (i = 0; tables[i]; i++)
        for (r = tables[i]; r->method; r++)
            n++;
    srv->bindings = calloc((size_t)n, sizeof *srv->bindings);
    if (!srv->bindings) {
        free_memory(srv);
        return NULL;
    }
    srv->bind_addr.sin_family = AF_INET;
    srv->bind_addr.sin_port = htons((uint16_t)app->cfg->port);
    if (inet_pton(AF_INET, app->cfg->bind_address, &srv->bind_addr.sin_addr) != 1) {
        log_msg(LOG_ERROR, "config: BIND_ADDRESS must be an IPv4 address");
        free_memory(srv);
        return NULL;
    }
    if (ulfius_init_instance(&srv->instance, (unsigned)app->cfg->port, &srv->bind_addr, "cso") !=
        U_OK) {
        free_memory(srv);
        return NULL;
    }
    /* ulfius truncates silently at max_post_body_size: allow one byte more
     * than the largest body any route takes, so an over-size body is seen as
     * over-size (and refused with 413) while memory stays bounded. The cap is
     * per server, not per route, and ulfius buffers a whole body before any
     * handler runs: so the document limit applies only when some route takes
     * documents, else every connection could hold 25 MiB. */
    body_cap = app->cfg->max_body_bytes;
    for (i = 0; tables[i]; i++)
        for (r = tables[i]; r->method; r++)
            if (r->body == HTTP_BODY_BINARY && app->cfg->max_document_bytes > body_cap)
                body_cap = app->cfg->max_document_bytes;
    srv->body_cap = body_cap;
    srv->instance.max_post_body_size = body_cap + 1;
    srv->instance.allowed_post_processor = U_POST_PROCESS_NONE;
    srv->instance.timeout = (unsigned)app->cfg->connection_timeout_s;

    for (i = 0; tables[i]; i++) {
        for (r = tables[i]; r->method; r++) {
            struct route_binding *bd = &srv->bindings[k++];
            bd->app = app;
            bd->route = r;
            bd->srv = srv;
            bd->scope = http_scope_for(scopes, r->path, &bd->scope_param);
        }
    }
    /* ulfius gets no endpoints of ours, only the default one: its matcher
     * splits the URL and walks every endpoint with allocations on each
     * request (about 9% of the server's CPU on GET /v1/cases/{id} in a perf
     * profile); route_find does the same job over the static tables. */
    srv->nbindings = k;
    srv->fallback.app = app;
    srv->fallback.route = NULL;
    srv->fallback.srv = srv;
    ulfius_set_default_endpoint(&srv->instance, http_dispatch, &srv->fallback);
    if (app->cfg->rate_limit_per_minute > 0)
        srv->limiter = ratelimit_new(app->cfg->rate_limit_per_minute);
    return srv;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Bytes the kernel has received on the socket so far (0 when it cannot
 * tell). The sweeper's measure of a request's progress: MHD reads every byte
 * at once and says nothing until a whole request line is in, and its own
 * timeout restarts on any byte, so a client dripping one byte a second is
 * never idle in its eyes. */
static unsigned long long socket_rx(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
        return 0;
    return ti.tcpi_bytes_received;
}

/* The slot of an MHD connection, or NULL; call with conns_lock held. */
static struct conn_slot *slot_of(struct http_server *srv, struct MHD_Connection *connection,
                                 int *fd_out)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd;
    if (!ci)
        return NULL;
    fd = (int)ci->connect_fd;
    if (fd < 0 || fd >= srv->nconns || srv->conns[fd].phase == CONN_FREE)
        return NULL;
    if (fd_out)
        *fd_out = fd;
    return &srv->conns[fd];
}

static void notify_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    (void)socket_context;
    if (toe != MHD_CONNECTION_NOTIFY_CLOSED)
        return;
    /* MHD closes the socket after this returns: clearing the slot here means
     * the sweeper never shuts down a socket number already reused. */
    pthread_mutex_lock(&srv->conns_lock);
    {
        struct conn_slot *slot = slot_of(srv, connection, NULL);
        if (slot)
            slot->phase = CONN_FREE;
    }
    pthread_mutex_unlock(&srv->conns_lock);
    atomic_fetch_sub(&srv->open_connections, 1);
}

/* MHD calls this when a request line is in; ulfius' own logger (which
 * allocates its per-request state) must run, through http_uri_logger, which
 * also keeps the connection for the raw header checks; then the
 * connection's next request is on its way in. */
static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *connection)
{
    struct http_server *srv = cls;
    void *ulfius_state = http_uri_logger(NULL, uri, connection);
    size_t limit = http_body_limit_for(srv, uri);
    pthread_mutex_lock(&srv->conns_lock);
    {
        struct conn_slot *slot = slot_of(srv, connection, NULL);
        if (slot && slot->phase == CONN_IDLE) {
            slot->phase = CONN_RECEIVING;
            slot->since = mono_now();
        }
        if (slot)
            slot->body_limit = limit;
    }
    pthread_mutex_unlock(&srv->conns_lock);
    return ulfius_state;
}

/* MHD calls this once a response has been written to the socket in full
 * (or the request was given up); ulfius frees its request state here. */
static void request_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    int fd = -1;
    mhd_request_completed(NULL, connection, con_cls, toe);
    pthread_mutex_lock(&srv->conns_lock);
    {
        struct conn_slot *slot = slot_of(srv, connection, &fd);
        if (slot && slot->phase != CONN_CUT) {
            slot->phase = CONN_IDLE;
            slot->since = mono_now();
            slot->base_rx = socket_rx(fd);
        }
    }
    pthread_mutex_unlock(&srv->conns_lock);
}

static int same_peer(const struct conn_slot *slot, const struct sockaddr_in *peer)
{
    return slot->phase != CONN_FREE && slot->peer.sin_port == peer->sin_port &&
           slot->peer.sin_addr.s_addr == peer->sin_addr.s_addr;
}

int http_server_request_arrived(struct http_server *srv, const struct _u_request *req)
{
    const struct sockaddr_in *peer = (const struct sockaddr_in *)req->client_address;
    int draining = atomic_load(&srv->draining), refuse = draining, fd;
    struct conn_slot *slot = NULL;
    if (!peer || peer->sin_family != AF_INET)
        return refuse;
    pthread_mutex_lock(&srv->conns_lock);
    /* The peer's port finds the socket, the whole address confirms it; two
     * peers that share a port (clients on several hosts) need the scan. */
    fd = srv->conn_by_port[ntohs(peer->sin_port)];
    if (fd >= 0 && fd < srv->nconns && same_peer(&srv->conns[fd], peer))
        slot = &srv->conns[fd];
    for (fd = 0; !slot && fd < srv->nconns; fd++)
        if (same_peer(&srv->conns[fd], peer))
            slot = &srv->conns[fd];
    if (slot && slot->phase == CONN_CUT) {
        /* The sweeper cut it just before the body's last byte came in: no
         * answer can leave, so nothing may be committed. */
        refuse = 1;
    } else if (slot) {
        slot->phase = CONN_HANDLING;
        if (draining && slot->since <= srv->drain_started)
            refuse = 0;
    }
    pthread_mutex_unlock(&srv->conns_lock);
    return refuse;
}

/* Shuts a connection's socket down under MHD, which then sees the end of
 * the stream and closes the connection itself (and frees its slot). With a
 * response, that first: the sweeper only cuts connections with no response
 * under way, so the bytes cannot mix with one of MHD's. */
static void cut(struct conn_slot *slot, int fd, const char *response)
{
    if (response)
        (void)!send(fd, response, strlen(response), MSG_DONTWAIT | MSG_NOSIGNAL);
    shutdown(fd, SHUT_RDWR);
    slot->phase = CONN_CUT;
}

/* The head of a request is bounded by MHD's per-connection memory (32 KiB
 * by default); past its body limit plus this, a request is too large
 * whatever it declared. */
#define HEAD_ALLOWANCE (64 * 1024)

/* Every 200 ms: a request must be in within REQUEST_HEAD_TIMEOUT_S plus its
 * bytes so far at REQUEST_MIN_RATE (so the head in about the first bound,
 * the body at the minimum rate), or its connection is cut with a 408. While
 * the server drains, connections that wait for nothing (idle keep-alive,
 * or accepted with no byte sent) are closed so that the drain ends. */
static void *sweep_loop(void *arg)
{
    static const char timeout_response[] = "HTTP/1.1 408 Request Timeout\r\n"
                                           "Connection: close\r\n"
                                           "Content-Length: 0\r\n\r\n";
    struct http_server *srv = arg;
    const struct config *cfg = srv->app->cfg;
    const struct app_problem_info *p = app_problem_info(PROBLEM_PAYLOAD_TOO_LARGE);
    char too_large[512], body[256];
    /* Decided from the size alone, before the token or the object is looked
     * at: it tells a stranger nothing about what the path names. */
    snprintf(body, sizeof body,
             "{\"type\":\"%s%s\",\"title\":\"%s\",\"status\":413,"
             "\"detail\":\"The request body is larger than this operation accepts.\"}",
             APP_PROBLEM_TYPE_BASE, p->code, p->title);
    snprintf(too_large, sizeof too_large,
             "HTTP/1.1 413 Content Too Large\r\nContent-Type: application/problem+json\r\n"
             "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    while (atomic_load(&srv->sweeper_running)) {
        double now = mono_now();
        int draining = atomic_load(&srv->draining), cuts = 0, fd;
        pthread_mutex_lock(&srv->conns_lock);
        for (fd = 0; fd < srv->nconns; fd++) {
            struct conn_slot *slot = &srv->conns[fd];
            unsigned long long got;
            if (slot->phase != CONN_IDLE && slot->phase != CONN_RECEIVING)
                continue;
            got = socket_rx(fd);
            got = got > slot->base_rx ? got - slot->base_rx : 0;
            if (slot->phase == CONN_IDLE && got > 0) {
                slot->phase = CONN_RECEIVING; /* the next request has begun */
                slot->since = now;
            }
            if (draining && got == 0) {
                cut(slot, fd, NULL);
            } else if (slot->phase == CONN_RECEIVING && slot->body_limit &&
                       got > slot->body_limit + HEAD_ALLOWANCE) {
                /* Stops reading an over-size body: ulfius would buffer up
                 * to the largest limit of any route before the dispatcher
                 * could refuse it (slow: 20 MiB took 17 s under ASan). */
                cut(slot, fd, too_large);
                cuts++;
            } else if (slot->phase == CONN_RECEIVING &&
                       now - slot->since >
                           cfg->request_head_timeout_s + (double)got / cfg->request_min_rate) {
                cut(slot, fd, timeout_response);
                cuts++;
            }
        }
        pthread_mutex_unlock(&srv->conns_lock);
        if (cuts)
            log_msg(LOG_WARN,
                    "http: closed %d connection(s) whose request was too slow or too large", cuts);
        usleep(200000);
    }
    return NULL;
}

/* Accepts connections and hands each to MHD, which files it with the worker
 * thread whose index is the socket number modulo the pool size (the next one
 * with room when that one is full). Consecutive sockets therefore spread
 * evenly over the workers. When the workers accept for themselves, the first
 * to wake takes a whole burst: 16 keep-alive clients landed on 11 of 64
 * workers, 512 on 30, and since a worker runs one request at a time
 * (handlers block on PostgreSQL), clients that share a worker wait for each
 * other; that was most of the service's p99 at 16 and 64 connections. */
static void *accept_loop(void *arg)
{
    struct http_server *srv = arg;
    time_t last_warning = 0;
    while (!atomic_load(&srv->stopping)) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        int fd;
        /* MAX_CONNECTIONS is enforced here, not by MHD: libmicrohttpd 0.9.75
         * deadlocks a worker (it locks a mutex it already holds) when a
         * connection handed to it finds the worker at its share of MHD's
         * limit, so MHD gets a limit no worker can reach (http_server_start).
         * At the limit new clients wait in the listen backlog, as they did
         * when MHD accepted for itself. */
        if (atomic_load(&srv->open_connections) >= srv->app->cfg->max_connections) {
            time_t now = time(NULL);
            if (now != last_warning) /* at most one line a second */
                log_msg(LOG_WARN, "http: MAX_CONNECTIONS open; new clients wait in the backlog");
            last_warning = now;
            usleep(2000);
            continue;
        }
        fd = accept4(srv->listen_fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (atomic_load(&srv->stopping))
                break;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_msg(LOG_WARN, "http: accept: out of descriptors or memory; pausing");
                usleep(50000);
            }
            continue; /* EINTR, ECONNABORTED and the like: the next one */
        }
        /* The first request's deadline runs from here (sweep_loop). */
        if (fd < srv->nconns) {
            pthread_mutex_lock(&srv->conns_lock);
            srv->conns[fd].phase = CONN_RECEIVING;
            srv->conns[fd].peer = peer;
            srv->conns[fd].since = mono_now();
            srv->conns[fd].base_rx = 0;
            srv->conns[fd].body_limit = 0;
            srv->conn_by_port[ntohs(peer.sin_port)] = fd;
            pthread_mutex_unlock(&srv->conns_lock);
        }
        /* MHD owns (and on failure closes) the socket from here on. */
        atomic_fetch_add(&srv->open_connections, 1);
        if (MHD_add_connection(srv->instance.mhd_daemon, fd, (struct sockaddr *)&peer, len) !=
            MHD_YES) {
            int saved = errno;
            atomic_fetch_sub(&srv->open_connections, 1);
            if (fd < srv->nconns) {
                pthread_mutex_lock(&srv->conns_lock);
                srv->conns[fd].phase = CONN_FREE;
                pthread_mutex_unlock(&srv->conns_lock);
            }
            log_msg(LOG_WARN, "http: MHD could not take a connection: %s", strerror(saved));
        }
    }
    return NULL;
}

static int listen_socket(const struct sockaddr_in *addr, int backlog)
{
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, backlog) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int http_server_start(struct http_server *srv)
{
    const struct config *cfg = srv->app->cfg;
    struct MHD_OptionItem ops[] = {
        /* The logger first, so that MHD reports problems with the rest through it. */
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
        /* ulfius requires its two callbacks; ours call them first. */
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)request_completed, srv},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)uri_logged, srv},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify_connection, srv},
        {MHD_OPTION_THREAD_POOL_SIZE, cfg->threads, NULL},
        /* MHD splits this evenly over its workers; each share is at least
         * MAX_CONNECTIONS, so no worker ever meets its limit (accept_loop). */
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections * cfg->threads, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    /* ITC: a worker learns of a connection added from our thread at once. */
    unsigned flags =
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;

    srv->listen_fd = listen_socket(&srv->bind_addr, 1024);
    if (srv->listen_fd < 0) {
        log_msg(LOG_ERROR, "http: cannot listen on %s:%d: %s", cfg->bind_address, cfg->port,
                strerror(errno));
        return -1;
    }
    if (ulfius_start_framework_with_mhd_options(&srv->instance, flags, ops) != U_OK) {
        close(srv->listen_fd);
        srv->listen_fd = -1;
        return -1;
    }
    if (pthread_create(&srv->acceptor, NULL, accept_loop, srv) != 0) {
        log_msg(LOG_ERROR, "http: cannot start the accept thread");
        return -1;
    }
    srv->acceptor_running = 1;
    atomic_store(&srv->sweeper_running, 1);
    if (pthread_create(&srv->sweeper, NULL, sweep_loop, srv) != 0) {
        atomic_store(&srv->sweeper_running, 0);
        log_msg(LOG_ERROR, "http: cannot start the connection sweeper");
        return -1;
    }
    return 0;
}

/* Stops accepting: later connection attempts are refused by the kernel. */
static void stop_accepting(struct http_server *srv)
{
    atomic_store(&srv->stopping, 1);
    if (srv->listen_fd >= 0)
        shutdown(srv->listen_fd, SHUT_RDWR); /* wakes accept4 */
    if (srv->acceptor_running) {
        pthread_join(srv->acceptor, NULL);
        srv->acceptor_running = 0;
    }
    if (srv->listen_fd >= 0) {
        close(srv->listen_fd);
        srv->listen_fd = -1;
    }
}

void http_server_stop_and_free(struct http_server *srv)
{
    if (!srv)
        return;
    if (srv->instance.mhd_daemon) {
        /* The drain: no new connection; a request begun before now is
         * finished and answered with Connection: close, one that begins
         * later (on a connection kept alive) is answered 503 +
         * Connection: close without running, and the sweeper closes the
         * connections that wait for nothing. MHD closes each connection once
         * its last response is written, so when none is left open every
         * request begun was answered; the deadline bounds the wait for slow
         * handlers and slow clients. Only then are the workers torn down
         * (which drops whatever they still hold). */
        double deadline = mono_now() + srv->app->cfg->drain_timeout_s;
        stop_accepting(srv);
        srv->drain_started = mono_now();
        atomic_store(&srv->draining, 1);
        while (atomic_load(&srv->open_connections) > 0 && mono_now() < deadline)
            usleep(10000);
        if (atomic_load(&srv->open_connections) > 0)
            log_msg(LOG_WARN, "http: drain deadline passed with %d connection(s) open",
                    atomic_load(&srv->open_connections));
        if (atomic_load(&srv->sweeper_running)) {
            atomic_store(&srv->sweeper_running, 0);
            pthread_join(srv->sweeper, NULL);
        }
        ulfius_stop_framework(&srv->instance);
    }
    ulfius_clean_instance(&srv->instance);
    free_memory(srv);
}
