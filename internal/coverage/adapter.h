/* coverage adapter: the one interface between the service and whatever
 * answers an eligibility inquiry for a payer. Each payer row names its
 * adapter; the registry maps the name to a struct coverage_adapter. The
 * shapes follow an X12 270/271 exchange (and FHIR CoverageEligibilityRequest
 * / Response), so that a clearing-house adapter can be added as one more
 * registry entry without touching the handlers or the store.
 *
 * Adapters run on a worker thread (coverage_run, runner.h) and the caller
 * stops waiting at the adapter's timeout_ms: an adapter may be abandoned
 * mid-call, so it must be thread-safe and must own nothing outside req, out
 * and its own locals. */
#ifndef CSO_COVERAGE_ADAPTER_H
#define CSO_COVERAGE_ADAPTER_H

#include <jansson.h>

#include "../db/db.h"

enum coverage_outcome {
    COVERAGE_ACTIVE = 0,        /* the member has coverage on the as-of date */
    COVERAGE_INACTIVE,          /* the payer knows the member; no coverage on that date */
    COVERAGE_MEMBER_NOT_FOUND,  /* the payer does not know the member id */
    COVERAGE_PAYER_UNAVAILABLE, /* no answer: time-out, outage, too busy */
    COVERAGE_ERROR,             /* the payer refused the inquiry or its answer is unusable */
};

/* Answers a payer may or may not give. */
enum coverage_flag { COVERAGE_UNKNOWN = -1, COVERAGE_NO = 0, COVERAGE_YES = 1 };

/* Amounts and percentages use -1 for "the payer did not say". */
#define COVERAGE_NONE (-1)

/* One benefit (an X12 EB loop for a service type; a FHIR insurance.item). */
struct coverage_benefit {
    int present;    /* 0: the payer said nothing about this service */
    int covered;    /* enum coverage_flag */
    int in_network; /* of the asked provider; UNKNOWN when none was asked */
    int prior_auth_required;
    int referral_required;
    long long copay_cents;
    int coinsurance_percent; /* 0..100 */
    long long deductible_remaining_cents;
    long long oop_remaining_cents;
};

/* The inquiry. All strings are NUL-terminated; "" means absent. */
struct coverage_request {
    char payer_id[37];
    char payer_name[121];
    char member_id[81];      /* upper-cased [A-Z0-9-] */
    char patient_name[201];  /* as on the case: a 270's subscriber name */
    char patient_dob[11];    /* YYYY-MM-DD: a 270's subscriber DMG */
    char institution_id[37]; /* provider whose network status is asked, or "" */
    char specialist_id[37];  /* set when the provider was named as a specialist */
    char as_of[11];          /* date of service asked about, YYYY-MM-DD (UTC) */
};

/* The answer. Strings are "" when the payer did not say. */
struct coverage_result {
    enum coverage_outcome outcome;
    char plan_id[37]; /* coverage_plans.id when answered from our catalog (stub) */
    char plan_name[121];
    char group_number[51];
    char group_name[121];
    char insurance_type[32]; /* ppo, hmo, epo, pos, indemnity, medicare_part_b, ... */
    char coverage_start[11];
    char coverage_end[11];
    struct coverage_benefit second_opinion;
    struct coverage_benefit telehealth;
    int second_opinion_required; /* enum coverage_flag: before treatment is paid */
    int international_coverage;  /* enum coverage_flag */
    json_t *messages;            /* owned: array of payer free-text strings, or NULL */
    json_t *raw;                 /* owned: the adapter's payload for support staff, or NULL */
};

struct coverage_context {
    /* Adapters that read the database borrow from the pool and give the
     * connection back before returning; never the caller's connection. */
    struct db_pool *pool;
    /* now_ms() value after which nobody waits for the answer; adapters that
     * can (an HTTP client) should use it as their own transport deadline. */
    double deadline_ms;
};

struct coverage_adapter {
    const char *name;
    int timeout_ms;
    /* Fills *out (already initialised by coverage_result_init) and returns 0
     * when the payer answered, with any outcome; returns -1 when no answer
     * could be had (the service then records payer_unavailable, keeping any
     * messages and raw payload set in out). */
    int (*check)(const struct coverage_adapter *self, const struct coverage_request *req,
                 struct coverage_result *out, const struct coverage_context *cx);
};

/* The adapter registered under name, or NULL. */
const struct coverage_adapter *coverage_adapter_find(const char *name);
/* Comma-separated names of the registered adapters (static string). */
const char *coverage_adapter_names(void);

/* Result life cycle: init sets every field to "not said"; clear releases
 * the owned JSON and re-initialises. */
void coverage_result_init(struct coverage_result *r);
void coverage_result_clear(struct coverage_result *r);
/* Appends a message (copied) to r->messages. */
void coverage_result_message(struct coverage_result *r, const char *text);

/* Sleeps up to ms, returning early (with -1) when the service is stopping.
 * For adapters that wait on something slow. */
int coverage_sleep_ms(int ms);

/* The adapters this service ships (registry.c lists them). */
extern const struct coverage_adapter coverage_stub_adapter;    /* tables in PostgreSQL */
extern const struct coverage_adapter coverage_slow_adapter;    /* answers after its time-out */
extern const struct coverage_adapter coverage_failing_adapter; /* fails at once: an outage */
extern const struct coverage_adapter coverage_none_adapter;    /* no eligibility service */

/* Registers the stub adapter's prepared statements. */
void coverage_stub_store_init(void);

#endif
