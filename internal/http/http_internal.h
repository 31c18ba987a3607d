/* http_internal: what the files of internal/http share and nobody else
 * sees (only the .c files of internal/http include it): the server's state,
 * a route's binding to it, and the calls between the dispatcher, the
 * server's life cycle and the idempotency glue. Handlers use http.h. */
#ifndef CSO_HTTP_INTERNAL_H
#define CSO_HTTP_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../ratelimit/ratelimit.h"
#include "http.h"

/* One route of the table as the server serves it; owned by the server
 * (srv->bindings), the route and scope borrowed from the tables given to
 * http_server_new. */
struct route_binding {
    const struct app *app;
    const struct http_route *route;
    struct http_server *srv;
    const struct http_scope *scope; /* the owner-scoped object the path names, or NULL */
    int scope_param;                /* index of that object's id among the path parameters */
};

/* Made by http_server_new and owned by its caller until
 * http_server_stop_and_free; app, the route tables and the scopes are
 * borrowed, everything else (bindings, limiter, socket, thread) is the
 * server's own. */
struct http_server {
    const struct app *app;
    struct _u_instance instance;
    struct sockaddr_in bind_addr;
    struct route_binding *bindings;
    int nbindings;
    struct route_binding fallback;
    struct ratelimit *limiter;
    atomic_int in_flight;
    /* Our own listening socket and the thread that accepts on it (see
     * http_server_start); -1 / 0 until started. */
    int listen_fd;
    pthread_t acceptor;
    int acceptor_running;
    atomic_int stopping;
    /* Connections handed to MHD and not yet closed: counted up by the
     * accept thread, down by MHD's close notification. */
    atomic_int open_connections;
};

/* --- http_dispatch.c --- */

/* The ulfius default endpoint every request goes through; user_data is the
 * server's fallback binding (the route is found by the dispatcher itself). */
int http_dispatch(const struct _u_request *req, struct _u_response *res, void *user_data);

/* ulfius hands a handler the parsed request but not the MHD connection, and
 * its header map is lossy: repeated headers are joined with ',' and a value
 * is a C string, so a NUL byte truncates it. Checks that must see the
 * headers as sent (http_idempotency_begin) read them from MHD. This is the
 * MHD URI log callback the server installs in place of ulfius_uri_logger:
 * it calls ulfius_uri_logger and records con on the request it makes, for
 * http_connection. */
void *http_uri_logger(void *cls, const char *uri, struct MHD_Connection *con);

/* The MHD connection req arrived on, as http_uri_logger recorded it (valid
 * while the request is being handled), or NULL. */
struct MHD_Connection *http_connection(const struct _u_request *req);

/* --- http_idempotency.c: Idempotency-Key around an idempotent route --- */

/* Called before the handler. Returns 0 to run the handler (with a
 * transaction open on ctx->db when a key was claimed, and ctx->idem_key
 * set), 1 when a stored response was replayed onto ctx->res, -1 with
 * ctx->err set. */
int http_idempotency_begin(struct http_ctx *ctx);

/* Called after a successful handler when a key was claimed: stores the
 * response and commits. Returns 0, or -1 with ctx->err set. */
int http_idempotency_finish(struct http_ctx *ctx);

#endif
