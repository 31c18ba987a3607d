/* worker: webhook delivery threads inside the service.
 *
 * Each thread loops: claim one due (subscription, next event) with FOR
 * UPDATE SKIP LOCKED and a lease, committed at once; POST the event,
 * signed, with no transaction open and no pooled connection held; record
 * the attempt and move the subscription on (or schedule the retry with
 * exponential back-off). Any number of threads in any number of replicas
 * can run this loop: a subscription is leased to one of them at a time, so
 * each gets its events once each, in feed order. Delivery is at least once:
 * if a replica dies between the receiver's 2xx and recording it, the lease
 * expires and the event is sent again - receivers de-duplicate on the
 * event id (X-CSO-Event-Id).
 *
 * Settings come from the config (WEBHOOK_*). */
#ifndef CSO_WEBHOOKS_WORKER_H
#define CSO_WEBHOOKS_WORKER_H

#include "../config/config.h"
#include "../db/db.h"

struct webhook_worker;

/* Initialises libcurl (always: the admin API parses URLs with it) and
 * starts cfg->webhook_workers threads. Call once, from the main thread,
 * after the pool is open and before any other thread uses libcurl. cfg and
 * pool are borrowed and must outlive the worker. Returns NULL on failure. */
struct webhook_worker *webhook_worker_start(const struct config *cfg, struct db_pool *pool);

/* Asks the threads to stop, aborts requests in flight (their leases are
 * given back, so another replica delivers them), joins the threads and
 * frees everything. Call before the pool closes. NULL is a no-op. */
void webhook_worker_stop(struct webhook_worker *w);

#endif
