/* ratelimit: a token bucket per authenticated subject, kept in this process.
 * With N replicas behind a balancer a subject gets at most N times the rate;
 * that bound is accepted to keep the hot path free of database writes. */
#ifndef CSO_RATELIMIT_H
#define CSO_RATELIMIT_H

struct ratelimit;

/* per_minute requests per subject, with a burst of the same size. Returns
 * NULL on allocation failure. Free with ratelimit_free. */
struct ratelimit *ratelimit_new(int per_minute);
void ratelimit_free(struct ratelimit *rl);

/* Takes one token for subject; returns 0 if allowed, -1 if over the limit. */
int ratelimit_take(struct ratelimit *rl, const char *subject);

#endif
