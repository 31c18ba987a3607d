#include "runner.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../log/log.h"
#include "../util/util.h"

/* Worker accounting and the stop signal. workers_cv is broadcast when a
 * worker ends and when the service starts stopping. */
static pthread_mutex_t workers_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t workers_cv = PTHREAD_COND_INITIALIZER;
static int workers_live;
static int stopping;

/* One call, shared by the waiting request and the worker; whichever lets
 * go last frees it. */
struct job {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* CLOCK_MONOTONIC */
    int refs;
    int done;
    int rc;
    const struct coverage_adapter *adapter;
    struct coverage_request req;
    struct coverage_context cx;
    struct coverage_result result;
};

void coverage_result_init(struct coverage_result *r)
{
    memset(r, 0, sizeof *r);
    r->outcome = COVERAGE_ERROR;
    r->second_opinion_required = COVERAGE_UNKNOWN;
    r->international_coverage = COVERAGE_UNKNOWN;
}

void coverage_result_clear(struct coverage_result *r)
{
    json_decref(r->messages);
    json_decref(r->raw);
    coverage_result_init(r);
}

void coverage_result_message(struct coverage_result *r, const char *text)
{
    if (!r->messages)
        r->messages = json_array();
    json_array_append_new(r->messages, json_string(text));
}

int coverage_sleep_ms(int ms)
{
    struct timespec until;
    int interrupted = 0, rc = 0;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&workers_mu);
    while (!stopping && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&workers_cv, &workers_mu, &until);
    interrupted = stopping;
    pthread_mutex_unlock(&workers_mu);
    return interrupted ? -1 : 0;
}

static void job_release(struct job *j)
{
    int last;
    pthread_mutex_lock(&j->mu);
    last = --j->refs == 0;
    pthread_mutex_unlock(&j->mu);
    if (!last)
        return;
    coverage_result_clear(&j->result);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

static void *worker_main(void *arg)
{
    struct job *j = arg;
    int rc = j->adapter->check(j->adapter, &j->req, &j->result, &j->cx);
    pthread_mutex_lock(&j->mu);
    j->rc = rc;
    j->done = 1;
    pthread_cond_signal(&j->cv);
    pthread_mutex_unlock(&j->mu);
    job_release(j);

    pthread_mutex_lock(&workers_mu);
    workers_live--;
    pthread_cond_broadcast(&workers_cv);
    pthread_mutex_unlock(&workers_mu);
    return NULL;
}

static void unavailable(struct coverage_result *out, const char *message)
{
    json_t *raw = out->raw, *messages = out->messages;
    out->raw = out->messages = NULL;
    coverage_result_clear(out);
    out->outcome = COVERAGE_PAYER_UNAVAILABLE;
    out->raw = raw;
    if (json_is_array(messages))
        out->messages = messages;
    else
        json_decref(messages);
    coverage_result_message(out, message);
    coverage_result_normalise(out); /* keeps only messages fit to show */
}

/* Takes a worker slot. Returns 0, or -1 with the reason there is none. */
static int claim_worker(const char **why)
{
    int rc = 0;
    pthread_mutex_lock(&workers_mu);
    if (stopping) {
        *why = "The service is restarting; try again shortly.";
        rc = -1;
    } else if (workers_live >= COVERAGE_MAX_WORKERS) {
        *why = "Too many eligibility inquiries are in progress; try again shortly.";
        rc = -1;
    } else {
        workers_live++;
    }
    pthread_mutex_unlock(&workers_mu);
    return rc;
}

static void unclaim_worker(void)
{
    pthread_mutex_lock(&workers_mu);
    workers_live--;
    pthread_cond_broadcast(&workers_cv);
    pthread_mutex_unlock(&workers_mu);
}

static struct job *job_new(const struct coverage_adapter *adapter,
                           const struct coverage_request *req, struct db_pool *pool)
{
    struct job *j = calloc(1, sizeof *j);
    pthread_condattr_t attr;
    if (!j)
        return NULL;
    pthread_mutex_init(&j->mu, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&j->cv, &attr);
    pthread_condattr_destroy(&attr);
    j->refs = 2; /* the waiting request and the worker */
    j->adapter = adapter;
    j->req = *req;
    j->cx.pool = pool;
    j->cx.deadline_ms = now_ms() + adapter->timeout_ms;
    coverage_result_init(&j->result);
    return j;
}

void coverage_run(const struct coverage_adapter *adapter, const struct coverage_request *req,
                  struct db_pool *pool, struct coverage_result *out, int *duration_ms)
{
    double t0 = now_ms();
    struct timespec deadline;
    pthread_attr_t attr;
    pthread_t tid;
    struct job *j;
    int rc = 0, done;
    char msg[160];
    const char *why = NULL;

    *duration_ms = 0;
    coverage_result_clear(out);
    if (claim_worker(&why) != 0) {
        unavailable(out, why);
        return;
    }
    if (!(j = job_new(adapter, req, pool))) {
        unclaim_worker();
        unavailable(out, "The eligibility inquiry could not be started; try again shortly.");
        return;
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&tid, &attr, worker_main, j) != 0) {
        pthread_attr_destroy(&attr);
        j->refs = 1;
        job_release(j);
        unclaim_worker();
        log_msg(LOG_ERROR, "coverage: cannot start a worker thread");
        unavailable(out, "The eligibility inquiry could not be started; try again shortly.");
        return;
    }
    pthread_attr_destroy(&attr);

    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += adapter->timeout_ms / 1000;
    deadline.tv_nsec += (long)(adapter->timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&j->mu);
    while (!j->done && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&j->cv, &j->mu, &deadline);
    done = j->done;
    if (done) {
        /* Take the answer over; the job keeps an empty result to free. */
        *out = j->result;
        coverage_result_init(&j->result);
        rc = j->rc;
    }
    pthread_mutex_unlock(&j->mu);
    job_release(j);
    *duration_ms = (int)(now_ms() - t0);

    if (!done) {
        log_msg(LOG_WARN, "coverage: adapter %s gave no answer within %d ms", adapter->name,
                adapter->timeout_ms);
        snprintf(msg, sizeof msg, "The payer did not answer within %d ms; try again later.",
                 adapter->timeout_ms);
        unavailable(out, msg);
        return;
    }
    if (rc != 0) {
        log_msg(LOG_WARN, "coverage: adapter %s could not get an answer", adapter->name);
        unavailable(out, "The payer's eligibility service is unavailable; try again later.");
        return;
    }
    if (coverage_result_normalise(out) != 0)
        log_msg(LOG_WARN, "coverage: adapter %s gave an unusable answer", adapter->name);
}

void coverage_shutdown(int wait_ms)
{
    struct timespec until;
    int rc = 0;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&workers_mu);
    stopping = 1;
    pthread_cond_broadcast(&workers_cv);
    while (workers_live > 0 && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&workers_cv, &workers_mu, &until);
    if (workers_live > 0)
        log_msg(LOG_WARN, "coverage: %d eligibility inquiries still running at shutdown",
                workers_live);
    pthread_mutex_unlock(&workers_mu);
}

int coverage_workers_live(void)
{
    int n;
    pthread_mutex_lock(&workers_mu);
    n = workers_live;
    pthread_mutex_unlock(&workers_mu);
    return n;
}

/* ---------- the rules an answer must keep ---------- */

static void terminate(char *s, size_t cap)
{
    s[cap - 1] = 0;
    if (!text_is_clean(s) || strpbrk(s, "\r\n"))
        s[0] = 0;
}
#define TERMINATE(field) terminate(field, sizeof field)

static int flag_ok(int f)
{
    return f == COVERAGE_UNKNOWN || f == COVERAGE_NO || f == COVERAGE_YES;
}

static int benefit_ok(struct coverage_benefit *b)
{
    if (!b->present)
        return 1;
    if (!flag_ok(b->covered) || !flag_ok(b->in_network) || !flag_ok(b->prior_auth_required) ||
        !flag_ok(b->referral_required))
        return 0;
    if (b->coinsurance_percent < COVERAGE_NONE || b->coinsurance_percent > 100)
        return 0;
    if (b->copay_cents < COVERAGE_NONE || b->deductible_remaining_cents < COVERAGE_NONE ||
        b->oop_remaining_cents < COVERAGE_NONE)
        return 0;
    return 1;
}

static void unusable(struct coverage_result *out)
{
    json_t *raw = out->raw;
    out->raw = NULL;
    coverage_result_clear(out);
    out->outcome = COVERAGE_ERROR;
    out->raw = raw;
    coverage_result_message(out, "The payer's answer could not be read.");
}

int coverage_result_normalise(struct coverage_result *out)
{
    size_t i;
    json_t *m, *kept;

    if (out->outcome < COVERAGE_ACTIVE || out->outcome > COVERAGE_ERROR)
        goto bad;
    TERMINATE(out->plan_id);
    TERMINATE(out->plan_name);
    TERMINATE(out->group_number);
    TERMINATE(out->group_name);
    TERMINATE(out->insurance_type);
    TERMINATE(out->coverage_start);
    TERMINATE(out->coverage_end);
    if (out->plan_id[0] && !uuid_is_valid(out->plan_id))
        goto bad;
    if ((out->coverage_start[0] && !date_is_valid(out->coverage_start)) ||
        (out->coverage_end[0] && !date_is_valid(out->coverage_end)))
        goto bad;
    /* ISO dates compare as strings. */
    if (out->coverage_start[0] && out->coverage_end[0] &&
        strcmp(out->coverage_end, out->coverage_start) < 0)
        goto bad;
    if (!flag_ok(out->second_opinion_required) || !flag_ok(out->international_coverage))
        goto bad;
    if (!benefit_ok(&out->second_opinion) || !benefit_ok(&out->telehealth))
        goto bad;
    if (out->messages && !json_is_array(out->messages))
        goto bad;
    /* Keep at most 20 short, clean strings: they are shown to patients. */
    kept = json_array();
    json_array_foreach(out->messages, i, m)
    {
        if (json_array_size(kept) < 20 && json_is_string(m) && json_string_length(m) <= 500 &&
            strlen(json_string_value(m)) == json_string_length(m) &&
            text_is_clean(json_string_value(m)))
            json_array_append(kept, m);
    }
    json_decref(out->messages);
    out->messages = kept;
    if (out->raw) {
        /* Stored as jsonb, which refuses NUL; and kept to a sane size. */
        char *dump = json_dumps(out->raw, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!dump || strlen(dump) > COVERAGE_MAX_RAW_BYTES || strstr(dump, "\\u0000")) {
            json_decref(out->raw);
            out->raw = json_pack("{s:s}", "dropped", "the payload was too large or not storable");
        }
        free(dump);
    }

    if (out->outcome != COVERAGE_ACTIVE) {
        /* Benefits describe coverage in force; nothing else has them. */
        memset(&out->second_opinion, 0, sizeof out->second_opinion);
        memset(&out->telehealth, 0, sizeof out->telehealth);
    }
    if (out->outcome != COVERAGE_ACTIVE && out->outcome != COVERAGE_INACTIVE) {
        out->plan_id[0] = out->plan_name[0] = out->group_number[0] = out->group_name[0] = 0;
        out->insurance_type[0] = out->coverage_start[0] = out->coverage_end[0] = 0;
        out->second_opinion_required = out->international_coverage = COVERAGE_UNKNOWN;
    }
    return 0;
bad:
    unusable(out);
    return -1;
}
