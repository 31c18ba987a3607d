#include "worker.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../log/log.h"
#include "outbound.h"
#include "webhook_store.h"

#define MAX_THREADS 16
/* The lease outlives the longest request by a wide margin, so a lease only
 * expires when its worker died (or lost the database for that long). */
#define LEASE_MARGIN_MS 30000
#define CONNECT_TIMEOUT_MS 5000
#define SKIP_INTERVAL_MS 1000
#define RECORD_TRIES 3

struct thread_state {
    struct webhook_worker *w;
    int index;
    char name[128];
    int db_trouble; /* last look at the database failed: log only the change */
    /* The destination pinned for this thread's last request: a connection
     * curl keeps may be reused only by a request pinned the same way. */
    char last_pin[OUTBOUND_RESOLVE_ENTRY_MAX];
};

struct webhook_worker {
    const struct config *cfg;
    struct db_pool *pool;
    pthread_t threads[MAX_THREADS];
    struct thread_state states[MAX_THREADS];
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_int stopping;
    atomic_llong next_skip_ms;
};

static long long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void make_uuid(char out[37])
{
    static atomic_ullong fallback;
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1) {
        /* Tokens only need to differ between claims. */
        unsigned long long x = (unsigned long long)mono_ms(),
                           y = atomic_fetch_add(&fallback, 1) ^ (unsigned long long)getpid() << 32;
        memcpy(b, &x, 8);
        memcpy(b + 8, &y, 8);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static double random_unit(void)
{
    unsigned int v = 0;
    if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
        v = (unsigned int)mono_ms();
    return (double)v / 4294967296.0;
}

/* ---------- one outbound request ---------- */

struct destination_guard {
    int allow_private;
    const struct outbound_dest *dest; /* the addresses checked for this attempt */
    int blocked;
};

/* Called for every connection curl opens, after name resolution: the one
 * place that sees the address actually used. Only an address checked for
 * this attempt may be connected to - CURLOPT_RESOLVE should have made curl
 * use exactly those, this makes sure of it - and the address rule is
 * applied once more. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *address)
{
    struct destination_guard *g = clientp;
    if (purpose != CURLSOCKTYPE_IPCXN || !outbound_dest_pinned(g->dest, &address->addr) ||
        (!g->allow_private && !outbound_address_allowed(&address->addr))) {
        g->blocked = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

static int abort_when_stopping(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                               curl_off_t ultotal, curl_off_t ulnow)
{
    struct webhook_worker *w = clientp;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return atomic_load(&w->stopping) ? 1 : 0;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

struct post_outcome {
    int delivered;
    int aborted;
    int status_code;
    char error[200];
    long duration_ms;
};

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value)
{
    char line[256];
    struct curl_slist *next;
    snprintf(line, sizeof line, "%s: %s", name, value);
    next = curl_slist_append(list, line);
    if (!next) {
        curl_slist_free_all(list);
        return NULL;
    }
    return next;
}

static void post_event(struct webhook_worker *w, CURL *curl, char *last_pin,
                       const struct webhook_claim *c, struct post_outcome *o)
{
    const struct config *cfg = w->cfg;
    struct outbound_dest dest;
    struct destination_guard guard = {cfg->webhook_allow_private, &dest, 0};
    char signature[WEBHOOK_SIGNATURE_MAX], attempt[16], why[160], pin[OUTBOUND_RESOLVE_ENTRY_MAX];
    struct curl_slist *headers = NULL, *resolve = NULL;
    char *body = json_dumps(c->event, JSON_COMPACT);
    const char *type = json_string_value(json_object_get(c->event, "type"));
    long long t0;
    long code = 0;
    CURLcode rc;

    memset(o, 0, sizeof *o);
    /* Resolve and check now, for this attempt: the answer registration saw
     * may have changed since (DNS rebinding). curl is then held to the
     * addresses checked here. */
    if (outbound_parse_url(c->url, &dest, why, sizeof why) != 0 ||
        outbound_check_destination(&dest, cfg->webhook_allow_private, outbound_resolve_system, NULL,
                                   why, sizeof why) != 0) {
        snprintf(o->error, sizeof o->error, "destination not allowed: the URL %s", why);
        free(body);
        return;
    }
    if (outbound_resolve_entry(&dest, pin, sizeof pin) == 0) {
        if (!(resolve = curl_slist_append(NULL, pin))) {
            snprintf(o->error, sizeof o->error, "out of memory");
            free(body);
            return;
        }
    } else {
        /* A literal: curl connects to it without resolving. */
        snprintf(pin, sizeof pin, "%s:%d", dest.host, dest.port);
    }
    if (!body || webhook_sign(c->secret, (long)time(NULL), body, strlen(body), signature) != 0) {
        snprintf(o->error, sizeof o->error, "could not sign the delivery");
        curl_slist_free_all(resolve);
        free(body);
        return;
    }
    snprintf(attempt, sizeof attempt, "%d", c->attempt);
    headers = add_header(headers, "Content-Type", "application/json");
    if (headers)
        headers = curl_slist_append(headers, "Expect:"); /* no 100-continue round trip */
    if (headers)
        headers = add_header(headers, "X-CSO-Event-Id", c->event_id);
    if (headers)
        headers = add_header(headers, "X-CSO-Event-Type", type ? type : "");
    if (headers)
        headers = add_header(headers, "X-CSO-Subscription-Id", c->subscription_id);
    if (headers)
        headers = add_header(headers, "X-CSO-Delivery-Attempt", attempt);
    if (headers)
        headers = add_header(headers, "X-CSO-Signature", signature);
    if (!headers) {
        snprintf(o->error, sizeof o->error, "out of memory");
        curl_slist_free_all(resolve);
        free(body);
        return;
    }

    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, c->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)cfg->webhook_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(cfg->webhook_timeout_ms < CONNECT_TIMEOUT_MS ? cfg->webhook_timeout_ms
                                                                         : CONNECT_TIMEOUT_MS));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "cso-webhooks/1");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &guard);
    if (resolve)
        curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
    /* A kept connection went to the addresses pinned when it was opened.
     * Keep one only, and reuse it only under the same pin: otherwise a
     * fresh connection, through open_socket. */
    curl_easy_setopt(curl, CURLOPT_MAXCONNECTS, 1L);
    if (strcmp(pin, last_pin) != 0)
        curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
    snprintf(last_pin, OUTBOUND_RESOLVE_ENTRY_MAX, "%s", pin);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, abort_when_stopping);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, w);

    t0 = mono_ms();
    rc = curl_easy_perform(curl);
    o->duration_ms = (long)(mono_ms() - t0);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    o->status_code = (int)code;
    if (rc == CURLE_ABORTED_BY_CALLBACK && atomic_load(&w->stopping)) {
        o->aborted = 1;
    } else if (guard.blocked) {
        snprintf(o->error, sizeof o->error,
                 "destination not allowed: curl was about to connect to an address that was "
                 "not checked for this attempt, or is not allowed");
    } else if (rc != CURLE_OK) {
        snprintf(o->error, sizeof o->error, "%s", curl_easy_strerror(rc));
    } else if (code >= 200 && code <= 299) {
        o->delivered = 1;
    } else if (code >= 300 && code <= 399) {
        snprintf(o->error, sizeof o->error, "HTTP %ld: redirects are not followed", code);
    } else {
        snprintf(o->error, sizeof o->error, "HTTP %ld", code);
    }
    /* The connection cache keeps the socket; nothing may keep pointers to
     * this frame's guard, headers or body past the call. */
    curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, NULL);
    curl_easy_setopt(curl, CURLOPT_RESOLVE, NULL);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
    free(body);
}

/* ---------- the claim / post / record cycle ---------- */

static void db_trouble(struct thread_state *t, struct app_error *err, const char *what)
{
    if (!t->db_trouble)
        log_msg(LOG_WARN, "webhooks: %s: %s (%s)", t->name, what, err->detail);
    t->db_trouble = 1;
    app_error_clear(err);
}

static void give_back(struct webhook_worker *w, const struct webhook_claim *c)
{
    struct app_error err = {0};
    struct db_conn *conn = db_acquire(w->pool, &err);
    if (conn) {
        webhook_store_release(conn, c, &err);
        db_release(conn);
    }
    app_error_clear(&err);
}

/* Returns 1 when it handled an event, 0 when nothing was due, -1 when the
 * database could not be reached. */
static int deliver_one(struct thread_state *t, CURL *curl)
{
    struct webhook_worker *w = t->w;
    const struct config *cfg = w->cfg;
    struct app_error err = {0};
    struct webhook_claim c;
    struct webhook_result r;
    struct post_outcome o;
    struct db_conn *conn;
    char token[37];
    int rc, tries, kept = 0, recorded = 0;

    if (!(conn = db_acquire(w->pool, &err))) {
        db_trouble(t, &err, "cannot reach the database");
        return -1;
    }
    make_uuid(token);
    rc = webhook_store_claim(conn, cfg->webhook_timeout_ms + LEASE_MARGIN_MS, token, &c, &err);
    db_release(conn);
    if (rc < 0) {
        db_trouble(t, &err, "claiming work failed");
        return -1;
    }
    if (t->db_trouble)
        log_msg(LOG_INFO, "webhooks: %s: database reachable again", t->name);
    t->db_trouble = 0;
    if (rc == 0)
        return 0;

    post_event(w, curl, t->last_pin, &c, &o);
    if (o.aborted) {
        give_back(w, &c);
        webhook_claim_free(&c);
        return 1;
    }
    memset(&r, 0, sizeof r);
    r.delivered = o.delivered;
    r.status_code = o.status_code;
    r.error = o.delivered ? NULL : o.error;
    r.duration_ms = o.duration_ms;
    r.worker = t->name;
    r.max_failures = cfg->webhook_max_failures;
    r.next_delay_ms = webhook_backoff_ms(c.failures + 1, cfg->webhook_base_backoff_ms,
                                         cfg->webhook_max_backoff_ms, random_unit());
    /* The request went out: try hard to record it, or the lease runs out and
     * the event is sent again. */
    for (tries = 0; tries < RECORD_TRIES && !recorded; tries++) {
        if (tries > 0)
            usleep(200000);
        conn = db_acquire(w->pool, &err);
        if (conn) {
            recorded = webhook_store_record(conn, &c, &r, &kept, &err) == 0;
            db_release(conn);
        }
        app_error_clear(&err);
    }
    if (!recorded)
        log_msg(LOG_WARN,
                "webhooks: %s: could not record the attempt for event %s to subscription %s; "
                "it will be sent again when the lease expires",
                t->name, c.event_id, c.subscription_id);
    else if (!kept)
        log_msg(LOG_WARN, "webhooks: %s: lease on subscription %s was lost during delivery",
                t->name, c.subscription_id);
    if (o.delivered)
        log_msg(LOG_DEBUG, "webhooks: event %s delivered to subscription %s (%ld ms)", c.event_id,
                c.subscription_id, o.duration_ms);
    else
        log_msg(LOG_WARN,
                "webhooks: event %s to subscription %s failed (attempt %d, %d in a row): %s; "
                "next try in %ld ms",
                c.event_id, c.subscription_id, c.attempt, c.failures + 1, o.error, r.next_delay_ms);
    webhook_claim_free(&c);
    return 1;
}

/* At most once a second per process, whichever thread is idle first. */
static void maybe_skip_unmatched(struct thread_state *t)
{
    struct webhook_worker *w = t->w;
    long long now = mono_ms(), due = atomic_load(&w->next_skip_ms);
    struct app_error err = {0};
    struct db_conn *conn;
    if (now < due ||
        !atomic_compare_exchange_strong(&w->next_skip_ms, &due, now + SKIP_INTERVAL_MS))
        return;
    if ((conn = db_acquire(w->pool, &err))) {
        webhook_store_skip_unmatched(conn, &err);
        db_release(conn);
    }
    app_error_clear(&err);
}

static void idle_wait(struct webhook_worker *w, int ms)
{
    struct timespec until;
    /* w->cv waits on CLOCK_MONOTONIC: a step of the wall clock (NTP, an
     * operator) must not stretch or skip a poll. */
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->mu);
    if (!atomic_load(&w->stopping))
        pthread_cond_timedwait(&w->cv, &w->mu, &until);
    pthread_mutex_unlock(&w->mu);
}

static void *thread_main(void *arg)
{
    struct thread_state *t = arg;
    struct webhook_worker *w = t->w;
    CURL *curl = curl_easy_init();

    if (!curl) {
        log_msg(LOG_ERROR, "webhooks: %s: cannot initialise libcurl; thread exits", t->name);
        return NULL;
    }
    while (!atomic_load(&w->stopping)) {
        int rc = deliver_one(t, curl);
        if (rc > 0)
            continue; /* more may be due right away */
        if (rc == 0)
            maybe_skip_unmatched(t);
        idle_wait(w, w->cfg->webhook_poll_ms);
    }
    curl_easy_cleanup(curl);
    return NULL;
}

struct webhook_worker *webhook_worker_start(const struct config *cfg, struct db_pool *pool)
{
    struct webhook_worker *w;
    char host[64] = "";
    int i, n = cfg->webhook_workers;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;
    if (!(w = calloc(1, sizeof *w))) {
        curl_global_cleanup();
        return NULL;
    }
    w->cfg = cfg;
    w->pool = pool;
    pthread_mutex_init(&w->mu, NULL);
    {
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&w->cv, &attr);
        pthread_condattr_destroy(&attr);
    }
    atomic_init(&w->stopping, 0);
    atomic_init(&w->next_skip_ms, 0);
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    for (i = 0; i < n; i++) {
        struct thread_state *t = &w->states[i];
        t->w = w;
        t->index = i;
        snprintf(t->name, sizeof t->name, "%s:%d/%d", host, (int)getpid(), i);
        if (pthread_create(&w->threads[i], NULL, thread_main, t) != 0) {
            log_msg(LOG_ERROR, "webhooks: cannot start delivery thread %d", i);
            webhook_worker_stop(w);
            return NULL;
        }
        w->started++;
    }
    if (n > 0)
        log_msg(LOG_INFO, "webhooks: %d delivery thread(s) started%s", n,
                cfg->webhook_allow_private ? " (private destinations allowed)" : "");
    return w;
}

void webhook_worker_stop(struct webhook_worker *w)
{
    int i;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stopping, 1);
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (i = 0; i < w->started; i++)
        pthread_join(w->threads[i], NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
    curl_global_cleanup();
}
