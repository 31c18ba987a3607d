/* Adapters for outages and payers without an eligibility service. The slow
 * and failing ones let tests and demos show what a patient sees when a
 * payer hangs or is down; nothing in them pretends to be an answer. */
#include "adapter.h"

/* Sleeps three times its time-out: a payer whose clearing house hangs.
 * It deliberately ignores the deadline, so the runner's time-out is what
 * protects the request. */
static int slow_check(const struct coverage_adapter *self, const struct coverage_request *req,
                      struct coverage_result *out, const struct coverage_context *cx)
{
    (void)req;
    (void)cx;
    coverage_sleep_ms(self->timeout_ms * 3);
    out->raw = json_pack("{s:s,s:s}", "adapter", self->name, "simulated", "late answer");
    return -1;
}

const struct coverage_adapter coverage_slow_adapter = {"slow", 1000, slow_check};

/* Fails at once, as a payer whose service is down does. */
static int failing_check(const struct coverage_adapter *self, const struct coverage_request *req,
                         struct coverage_result *out, const struct coverage_context *cx)
{
    (void)req;
    (void)cx;
    out->raw = json_pack("{s:s,s:s}", "adapter", self->name, "simulated",
                         "connection refused by the payer's eligibility service");
    return -1;
}

const struct coverage_adapter coverage_failing_adapter = {"failing", 1000, failing_check};

/* For payers that take no electronic eligibility inquiries: an answer that
 * says so, recorded as an error outcome. */
static int none_check(const struct coverage_adapter *self, const struct coverage_request *req,
                      struct coverage_result *out, const struct coverage_context *cx)
{
    (void)req;
    (void)cx;
    out->outcome = COVERAGE_ERROR;
    coverage_result_message(out, "This payer takes no electronic eligibility inquiries; "
                                 "call the number on the member card.");
    out->raw = json_pack("{s:s}", "adapter", self->name);
    return 0;
}

const struct coverage_adapter coverage_none_adapter = {"none", 1000, none_check};
