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

/* What the server knows of one connection it handed to MHD, in
 * srv->conns indexed by socket number; guarded by srv->conns_lock. Filled
 * by the accept thread and MHD's callbacks (http_server.c), read by the
 * sweeper thread, which enforces the request deadlines and, while the
 * server drains, closes the connections that wait for nothing. */
enum conn_phase {
    CONN_FREE = 0,  /* no connection of ours on this socket number */
    CONN_RECEIVING, /* a request (or the first, from accept) is on its way in */
    CONN_HANDLING,  /* the dispatcher has the whole request: a response is due */
    CONN_IDLE,      /* the last response was sent, no new byte since */
    CONN_CUT,       /* the sweeper shut the socket down; MHD will close it */
};

struct conn_slot {
    enum conn_phase phase;
    struct sockaddr_in peer;
    double since;               /* monotonic seconds: when this phase began */
    unsigned long long base_rx; /* bytes the socket had received when it did */
    size_t body_limit;          /* the largest body the request's path takes */
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
    size_t body_cap; /* the largest body any route takes (ulfius' buffer cap) */
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
    /* Set by http_server_stop_and_free: every request that begins after it
     * is answered 503 + Connection: close unrun. */
    atomic_int draining;
    double drain_started; /* monotonic seconds; written before draining is set */
    /* Per-connection state (struct conn_slot) and the sweeper thread. */
    pthread_mutex_t conns_lock;
    struct conn_slot *conns;
    int nconns;
    int *conn_by_port; /* peer port -> socket number of its latest connection */
    pthread_t sweeper;
    atomic_int sweeper_running;
};

/* --- http_server.c --- */

/* Called by the dispatcher once the whole request is in: the connection of
 * req moves to CONN_HANDLING (no request deadline while a handler runs).
 * Returns 1 when the request must not run: the server drains and the
 * request began to arrive after the drain did (a request begun before is
 * in flight and is finished). */
int http_server_request_arrived(struct http_server *srv, const struct _u_request *req);

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

/* The largest body a request for uri (path and query) may carry: the
 * document limit when some route of that path takes uploads, else the JSON
 * limit. Known from the request line, before any header is in. */
size_t http_body_limit_for(const struct http_server *srv, const char *uri);

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
