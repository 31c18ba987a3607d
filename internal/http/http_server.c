/* The server's life cycle: http_server_new binds the route tables to a
 * ulfius instance, http_server_start opens our own listening socket and the
 * accept thread that hands connections to libmicrohttpd's workers, and
 * http_server_stop_and_free drains and tears it all down. What a request
 * does once it arrives is http_dispatch's. */
#include "http_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    for (i = 0; tables[i]; i++)
        for (r = tables[i]; r->method; r++)
            n++;
    srv->bindings = calloc((size_t)n, sizeof *srv->bindings);
    if (!srv->bindings) {
        free(srv);
        return NULL;
    }
    srv->bind_addr.sin_family = AF_INET;
    srv->bind_addr.sin_port = htons((uint16_t)app->cfg->port);
    if (inet_pton(AF_INET, app->cfg->bind_address, &srv->bind_addr.sin_addr) != 1) {
        log_msg(LOG_ERROR, "config: BIND_ADDRESS must be an IPv4 address");
        free(srv->bindings);
        free(srv);
        return NULL;
    }
    if (ulfius_init_instance(&srv->instance, (unsigned)app->cfg->port, &srv->bind_addr, "cso") !=
        U_OK) {
        free(srv->bindings);
        free(srv);
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

static void notify_connection(void *cls, struct MHD_Connection *connection, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    (void)connection;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub(&srv->open_connections, 1);
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
        /* MHD owns (and on failure closes) the socket from here on. */
        atomic_fetch_add(&srv->open_connections, 1);
        if (MHD_add_connection(srv->instance.mhd_daemon, fd, (struct sockaddr *)&peer, len) !=
            MHD_YES) {
            atomic_fetch_sub(&srv->open_connections, 1);
            log_msg(LOG_WARN, "http: MHD could not take a connection: %s", strerror(errno));
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
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)mhd_request_completed, NULL},
        /* ulfius_uri_logger, and the connection kept for raw header checks. */
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)http_uri_logger, NULL},
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
    int waited = 0;
    if (!srv)
        return;
    if (srv->instance.mhd_daemon) {
        /* Stop accepting first, then give requests in flight time to finish
         * and their responses time to leave before the workers are torn down. */
        stop_accepting(srv);
        while (atomic_load(&srv->in_flight) > 0 && waited < 25000) {
            usleep(10000);
            waited += 10;
        }
        usleep(200000);
        ulfius_stop_framework(&srv->instance);
    }
    ulfius_clean_instance(&srv->instance);
    ratelimit_free(srv->limiter);
    free(srv->bindings);
    free(srv);
}
