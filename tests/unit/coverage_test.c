/* Unit tests of the coverage runner (time-outs, failures, the worker cap,
 * shutdown), the rules an adapter's answer must keep, and the registry.
 * Fake adapters need no database. */
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "coverage/adapter.h"
#include "coverage/runner.h"
#include "log/log.h"
#include "unit.h"
#include "util/util.h"

static int answer_active(const struct coverage_adapter *self, const struct coverage_request *req,
                         struct coverage_result *out, const struct coverage_context *cx)
{
    (void)self;
    (void)cx;
    out->outcome = COVERAGE_ACTIVE;
    snprintf(out->plan_name, sizeof out->plan_name, "Plan for %s", req->member_id);
    snprintf(out->coverage_start, sizeof out->coverage_start, "2026-01-01");
    out->second_opinion.present = 1;
    out->second_opinion.covered = COVERAGE_YES;
    out->second_opinion.in_network = COVERAGE_UNKNOWN;
    out->second_opinion.prior_auth_required = COVERAGE_NO;
    out->second_opinion.referral_required = COVERAGE_NO;
    out->second_opinion.copay_cents = 4000;
    out->second_opinion.coinsurance_percent = 0;
    out->second_opinion.deductible_remaining_cents = COVERAGE_NONE;
    out->second_opinion.oop_remaining_cents = COVERAGE_NONE;
    out->raw = json_pack("{s:s}", "payload", "x");
    return 0;
}

/* Ignores its deadline entirely, as a hung transport would. */
static int hang(const struct coverage_adapter *self, const struct coverage_request *req,
                struct coverage_result *out, const struct coverage_context *cx)
{
    (void)self;
    (void)req;
    (void)cx;
    usleep(600 * 1000);
    out->outcome = COVERAGE_ACTIVE;
    out->raw = json_pack("{s:s}", "late", "answer");
    return 0;
}

static int fail(const struct coverage_adapter *self, const struct coverage_request *req,
                struct coverage_result *out, const struct coverage_context *cx)
{
    (void)self;
    (void)req;
    (void)cx;
    out->raw = json_pack("{s:s}", "error", "503 from clearing house");
    coverage_result_message(out, "Clearing house busy.");
    return -1;
}

static const struct coverage_adapter fast_adapter = {"fast", 500, answer_active};
static const struct coverage_adapter hang_adapter = {"hang", 100, hang};
static const struct coverage_adapter fail_adapter = {"fail", 500, fail};

static const char *first_message(const struct coverage_result *r)
{
    return json_string_value(json_array_get(r->messages, 0));
}

static void test_runner_returns_the_answer(void)
{
    struct coverage_request req;
    struct coverage_result r;
    int ms = -1;
    /* The runner warns about every time-out these tests cause on purpose. */
    log_set_level(LOG_ERROR);
    memset(&req, 0, sizeof req);
    snprintf(req.member_id, sizeof req.member_id, "M1");
    coverage_result_init(&r);
    coverage_run(&fast_adapter, &req, NULL, &r, &ms);
    CHECK(r.outcome == COVERAGE_ACTIVE);
    CHECK(!strcmp(r.plan_name, "Plan for M1"));
    CHECK(r.second_opinion.present && r.second_opinion.copay_cents == 4000);
    CHECK(json_is_object(r.raw));
    CHECK(ms >= 0 && ms < 500);
    coverage_result_clear(&r);
}

static void test_runner_times_out(void)
{
    struct coverage_request req;
    struct coverage_result r;
    double t0 = now_ms();
    int ms = 0;
    memset(&req, 0, sizeof req);
    coverage_result_init(&r);
    coverage_run(&hang_adapter, &req, NULL, &r, &ms);
    CHECK(r.outcome == COVERAGE_PAYER_UNAVAILABLE);
    CHECK(now_ms() - t0 < 400);
    CHECK(ms >= 90 && ms < 400);
    CHECK(r.raw == NULL); /* the late answer is never used */
    CHECK(first_message(&r) && strstr(first_message(&r), "100 ms"));
    coverage_result_clear(&r);
    /* the abandoned worker finishes on its own and frees its job */
    for (int i = 0; i < 200 && coverage_workers_live() > 0; i++)
        usleep(10 * 1000);
    CHECK(coverage_workers_live() == 0);
}

static void test_runner_failure_is_payer_unavailable(void)
{
    struct coverage_request req;
    struct coverage_result r;
    int ms = 0;
    memset(&req, 0, sizeof req);
    coverage_result_init(&r);
    coverage_run(&fail_adapter, &req, NULL, &r, &ms);
    CHECK(r.outcome == COVERAGE_PAYER_UNAVAILABLE);
    CHECK(json_is_object(r.raw)); /* kept for support staff */
    CHECK(json_array_size(r.messages) == 2);
    CHECK(!strcmp(first_message(&r), "Clearing house busy."));
    coverage_result_clear(&r);
}

static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;

static int wait_for_gate(const struct coverage_adapter *self, const struct coverage_request *req,
                         struct coverage_result *out, const struct coverage_context *cx)
{
    (void)self;
    (void)req;
    (void)out;
    (void)cx;
    pthread_mutex_lock(&gate_mu);
    while (!gate_open)
        pthread_cond_wait(&gate_cv, &gate_mu);
    pthread_mutex_unlock(&gate_mu);
    return -1;
}

static void test_runner_caps_workers(void)
{
    static const struct coverage_adapter gated = {"gated", 1, wait_for_gate};
    struct coverage_request req;
    struct coverage_result r;
    int i, ms;
    memset(&req, 0, sizeof req);
    coverage_result_init(&r);
    for (i = 0; i < COVERAGE_MAX_WORKERS; i++) {
        coverage_run(&gated, &req, NULL, &r, &ms);
        CHECK(r.outcome == COVERAGE_PAYER_UNAVAILABLE);
    }
    CHECK(coverage_workers_live() == COVERAGE_MAX_WORKERS);
    coverage_run(&fast_adapter, &req, NULL, &r, &ms);
    CHECK(r.outcome == COVERAGE_PAYER_UNAVAILABLE);
    CHECK(first_message(&r) && strstr(first_message(&r), "Too many"));
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
    for (i = 0; i < 300 && coverage_workers_live() > 0; i++)
        usleep(10 * 1000);
    CHECK(coverage_workers_live() == 0);
    coverage_run(&fast_adapter, &req, NULL, &r, &ms);
    CHECK(r.outcome == COVERAGE_ACTIVE);
    coverage_result_clear(&r);
}

static void active_answer(struct coverage_result *r)
{
    coverage_result_init(r);
    answer_active(&fast_adapter, &(struct coverage_request){0}, r, NULL);
}

static void test_result_rules(void)
{
    struct coverage_result r;

    active_answer(&r);
    CHECK(coverage_result_normalise(&r) == 0 && r.outcome == COVERAGE_ACTIVE);
    coverage_result_clear(&r);

    active_answer(&r);
    r.second_opinion.coinsurance_percent = 150;
    CHECK(coverage_result_normalise(&r) == -1);
    CHECK(r.outcome == COVERAGE_ERROR && !r.second_opinion.present && !r.plan_name[0]);
    CHECK(json_is_object(r.raw) && json_array_size(r.messages) == 1);
    coverage_result_clear(&r);

    active_answer(&r);
    snprintf(r.coverage_start, sizeof r.coverage_start, "2026-02-30");
    CHECK(coverage_result_normalise(&r) == -1);
    coverage_result_clear(&r);

    active_answer(&r);
    snprintf(r.coverage_end, sizeof r.coverage_end, "2025-12-31");
    CHECK(coverage_result_normalise(&r) == -1); /* ends before it starts */
    coverage_result_clear(&r);

    active_answer(&r);
    r.outcome = (enum coverage_outcome)42;
    CHECK(coverage_result_normalise(&r) == -1 && r.outcome == COVERAGE_ERROR);
    coverage_result_clear(&r);

    active_answer(&r);
    memset(r.plan_name, 'A', sizeof r.plan_name); /* unterminated */
    CHECK(coverage_result_normalise(&r) == 0 && strlen(r.plan_name) == sizeof r.plan_name - 1);
    coverage_result_clear(&r);

    /* benefits belong to active coverage only; plan data to known members */
    active_answer(&r);
    r.outcome = COVERAGE_INACTIVE;
    CHECK(coverage_result_normalise(&r) == 0);
    CHECK(!r.second_opinion.present && r.plan_name[0]);
    coverage_result_clear(&r);
    active_answer(&r);
    r.outcome = COVERAGE_MEMBER_NOT_FOUND;
    CHECK(coverage_result_normalise(&r) == 0);
    CHECK(!r.second_opinion.present && !r.plan_name[0] && !r.coverage_start[0]);
    coverage_result_clear(&r);

    /* messages: strings only, clean, at most 20 */
    active_answer(&r);
    r.messages = json_array();
    json_array_append_new(r.messages, json_integer(7));
    json_array_append_new(r.messages, json_string("bell\a"));
    for (int i = 0; i < 30; i++)
        json_array_append_new(r.messages, json_string("ok"));
    CHECK(coverage_result_normalise(&r) == 0 && json_array_size(r.messages) == 20);
    coverage_result_clear(&r);

    /* a raw payload jsonb cannot store is replaced, not stored */
    active_answer(&r);
    json_decref(r.raw);
    r.raw = json_stringn("a\0b", 3);
    CHECK(coverage_result_normalise(&r) == 0 && json_is_object(r.raw) &&
          json_object_get(r.raw, "dropped"));
    coverage_result_clear(&r);
}

static void test_registry(void)
{
    CHECK(coverage_adapter_find("stub") == &coverage_stub_adapter);
    CHECK(coverage_adapter_find("slow") == &coverage_slow_adapter);
    CHECK(coverage_adapter_find("failing") == &coverage_failing_adapter);
    CHECK(coverage_adapter_find("none") == &coverage_none_adapter);
    CHECK(coverage_adapter_find("Stub") == NULL);
    CHECK(coverage_adapter_find(NULL) == NULL);
    CHECK(coverage_slow_adapter.timeout_ms <= 2000);
    CHECK(!strcmp(coverage_adapter_names(), "stub, slow, failing, none"));
}

/* Must run last: after shutdown the runner starts nothing. */
static void test_shutdown_wakes_sleepers_and_stops_new_work(void)
{
    struct coverage_request req;
    struct coverage_result r;
    double t0;
    int ms;
    memset(&req, 0, sizeof req);
    coverage_result_init(&r);
    coverage_run(&coverage_slow_adapter, &req, NULL, &r, &ms); /* sleeps 3 s, abandoned at 1 s */
    CHECK(r.outcome == COVERAGE_PAYER_UNAVAILABLE);
    CHECK(coverage_workers_live() == 1);
    t0 = now_ms();
    coverage_shutdown(5000);
    CHECK(now_ms() - t0 < 1000);
    CHECK(coverage_workers_live() == 0);
    coverage_run(&fast_adapter, &req, NULL, &r, &ms);
    CHECK(r.outcome == COVERAGE_PAYER_UNAVAILABLE);
    CHECK(first_message(&r) && strstr(first_message(&r), "restarting"));
    coverage_result_clear(&r);
}

const struct unit_test coverage_unit_tests[] = {
    {"coverage_runner_returns_the_answer", test_runner_returns_the_answer},
    {"coverage_runner_times_out", test_runner_times_out},
    {"coverage_runner_failure_is_payer_unavailable", test_runner_failure_is_payer_unavailable},
    {"coverage_runner_caps_workers", test_runner_caps_workers},
    {"coverage_result_rules", test_result_rules},
    {"coverage_registry", test_registry},
    {"coverage_shutdown", test_shutdown_wakes_sleepers_and_stops_new_work},
    {NULL, NULL},
};
