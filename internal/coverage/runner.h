/* runner: runs one adapter call on a worker thread and waits for it no
 * longer than the adapter's time-out, so that a payer that hangs costs the
 * request its time-out and nothing more: no hung request, no 500, and no
 * pooled connection held by the request while it waits. An abandoned call
 * finishes in the background and its answer is discarded. */
#ifndef CSO_COVERAGE_RUNNER_H
#define CSO_COVERAGE_RUNNER_H

#include "adapter.h"

/* Most inquiries that may be in flight (including abandoned ones) at once;
 * past this, new inquiries get payer_unavailable without starting. */
#define COVERAGE_MAX_WORKERS 64
/* Largest raw adapter payload kept (serialised bytes). */
#define COVERAGE_MAX_RAW_BYTES 65536

/* Runs adapter->check for req. Always leaves a usable, validated answer in
 * *out (which the caller initialised and later clears): the adapter's
 * answer, payer_unavailable (time-out, failure, no worker), or error (an
 * answer that breaks the result's rules). *duration_ms gets the time
 * waited. pool is handed to the adapter; the caller must not hold a
 * transaction while this runs. */
void coverage_run(const struct coverage_adapter *adapter, const struct coverage_request *req,
                  struct db_pool *pool, struct coverage_result *out, int *duration_ms);

/* Brings an adapter's answer within the rules (known outcome, terminated
 * strings, valid dates, ranges; benefits only for active coverage). Returns
 * 0, or -1 when the answer is unusable (then out is an error result). */
int coverage_result_normalise(struct coverage_result *out);

/* Wakes adapters sleeping in coverage_sleep_ms and waits up to wait_ms for
 * every worker to finish, so that the pool can be closed safely. Later
 * calls of coverage_run answer payer_unavailable at once. */
void coverage_shutdown(int wait_ms);

/* Workers currently running (for tests). */
int coverage_workers_live(void);

#endif
