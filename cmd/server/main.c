/* cso-server: the second-opinion API. Reads its settings from the
 * environment, opens the database pool, serves until SIGTERM or SIGINT,
 * then drains requests in flight and exits 0. */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ulfius.h>

#include "../../internal/auth/auth.h"
#include "../../internal/config/config.h"
#include "../../internal/db/db.h"
#include "../../internal/health/health.h"
#include "../../internal/http/http.h"
#include "../../internal/log/log.h"
#include "../../internal/routes.h"
#include "../../internal/webhooks/worker.h"

static const char *body_kind_name(enum http_body body)
{
    switch (body) {
    case HTTP_BODY_NONE:
        return "none";
    case HTTP_BODY_JSON:
        return "json";
    case HTTP_BODY_JSON_OPTIONAL:
        return "json_optional";
    case HTTP_BODY_BINARY:
        return "binary";
    }
    return "unknown";
}

/* `cso-server --routes` prints the route table as JSON (method, path, roles,
 * idempotent, body kind, allowed query keys) so that the contract tests
 * (tests/test_contract.py) can compare the code with api/openapi.yaml. */
static int print_routes(void)
{
    const struct http_route *const *tables = routes_all();
    json_t *out = json_array();
    char *s;
    for (int i = 0; tables[i]; i++)
        for (const struct http_route *r = tables[i]; r->method; r++) {
            json_t *roles = json_array();
            for (unsigned bit = ROLE_PATIENT; bit <= ROLE_ADMIN; bit <<= 1)
                if (r->roles & bit)
                    json_array_append_new(roles, json_string(role_name((enum role)bit)));
            json_t *query = json_array();
            const char *q = r->query;
            while (q && *q) {
                size_t len = strcspn(q, ",");
                if (len > 0)
                    json_array_append_new(query, json_stringn(q, len));
                q += len;
                if (*q == ',')
                    q++;
            }
            int param;
            /* visibility_first: a refusal of the request's shape is the
             * object's 404 when the caller may not see it (struct http_scope). */
            json_array_append_new(
                out, json_pack("{s:s,s:s,s:o,s:b,s:s,s:o,s:b}", "method", r->method, "path",
                               r->path, "roles", roles, "idempotent", r->idempotent, "body",
                               body_kind_name(r->body), "query", query, "visibility_first",
                               http_scope_for(routes_scopes(), r->path, &param) != NULL));
        }
    s = json_dumps(out, JSON_INDENT(1));
    printf("%s\n", s);
    free(s);
    json_decref(out);
    return 0;
}

static void add_statement(const struct db_statement *s, void *arg)
{
    json_object_set_new((json_t *)arg, s->name, json_string(s->sql));
}

/* `cso-server --problems` prints the problem-type table (internal/apperr)
 * as JSON, for the contract test that holds it against api/openapi.yaml. */
static int print_problems(void)
{
    json_t *out = json_array();
    char *s;
    int i;
    for (i = 0; i < APP_PROBLEM_COUNT; i++) {
        const struct app_problem_info *p = app_problem_info((enum app_problem)i);
        json_array_append_new(out,
                              json_pack("{s:s,s:i,s:s,s:s+}", "code", p->code, "status", p->status,
                                        "title", p->title, "type", APP_PROBLEM_TYPE_BASE, p->code));
    }
    s = json_dumps(out, JSON_INDENT(2));
    json_decref(out);
    if (!s)
        return 1;
    puts(s);
    free(s);
    return 0;
}

/* `cso-server --statements` prints every prepared statement as a JSON object
 * of name -> SQL; bench/ builds its pgbench limit scripts from it. */
static int print_statements(void)
{
    json_t *out = json_object();
    char *s;
    routes_store_init();
    db_registry_each(add_statement, out);
    s = json_dumps(out, JSON_INDENT(1) | JSON_SORT_KEYS);
    printf("%s\n", s);
    free(s);
    json_decref(out);
    return 0;
}

int main(int argc, char **argv)
{
    struct config cfg;
    char err[256];
    struct app app;
    struct http_server *srv;
    struct webhook_worker *worker;
    sigset_t set;
    int sig = 0;
    struct db_pool_options dbo;

    if (argc > 1 && !strcmp(argv[1], "--routes"))
        return print_routes();
    if (argc > 1 && !strcmp(argv[1], "--statements"))
        return print_statements();
    if (argc > 1 && !strcmp(argv[1], "--problems"))
        return print_problems();
    if (config_load(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        config_free(&cfg);
        return 2;
    }
    log_set_level(cfg.log_level);
    /* Request bodies (up to MAX_DOCUMENT_BYTES) are buffered whole. Give
     * every allocation of 128 KiB or more its own mapping, returned to the
     * system when freed: by default glibc raises this threshold after the
     * first large free and serves later bodies from its heaps, where the
     * resident set creeps up with fragmentation instead of staying flat
     * (tests/security/test_resource_limits.py measures it). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);

    /* Block the stop signals in every thread; main waits for them below. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    routes_store_init();
    dbo.url = cfg.database_url;
    dbo.size = cfg.db_pool_size;
    dbo.statement_timeout_ms = cfg.db_statement_timeout_ms;
    dbo.lock_timeout_ms = cfg.db_lock_timeout_ms;
    dbo.idle_in_tx_timeout_ms = 15000;
    dbo.acquire_timeout_ms = 5000;
    app.cfg = &cfg;
    app.pool = db_pool_open(&dbo);
    app.auth = auth_verifier_new(&cfg);
    if (!app.pool || !app.auth) {
        fprintf(stderr, "start-up: out of memory\n");
        return 1;
    }
    /* Before the HTTP threads exist: it initialises libcurl process-wide. */
    worker = webhook_worker_start(&cfg, app.pool);
    if (!worker) {
        log_msg(LOG_ERROR, "start-up: cannot start webhook delivery");
        db_pool_close(app.pool);
        auth_verifier_free(app.auth);
        config_free(&cfg);
        return 1;
    }
    srv = http_server_new(&app, routes_all(), routes_scopes());
    if (!srv || http_server_start(srv) != 0) {
        log_msg(LOG_ERROR, "start-up: cannot listen on %s:%d", cfg.bind_address, cfg.port);
        http_server_stop_and_free(srv);
        webhook_worker_stop(worker);
        db_pool_close(app.pool);
        auth_verifier_free(app.auth);
        config_free(&cfg);
        return 1;
    }
    log_msg(LOG_INFO,
            "listening on %s:%d (jwt %s, issuer %s, audience %s, db pool %d, http threads %d)",
            cfg.bind_address, cfg.port, cfg.jwt_alg, cfg.jwt_issuer, cfg.jwt_audience,
            cfg.db_pool_size, cfg.threads);

    sigwait(&set, &sig);
    log_msg(LOG_INFO, "signal %d: draining requests and stopping", sig);
    http_server_stop_and_free(srv);
    routes_stop();
    /* Deliveries use the pool: stop them before it closes. */
    webhook_worker_stop(worker);
    db_pool_close(app.pool);
    auth_verifier_free(app.auth);
    config_free(&cfg);
    log_msg(LOG_INFO, "stopped");
    return 0;
}
