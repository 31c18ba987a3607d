#include "ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RL_SLOTS 8192
#define RL_PROBE 8
#define RL_STRIPES 64

struct rl_slot {
    char subject[129];
    double tokens;
    double last; /* seconds, monotonic */
};

struct ratelimit {
    double per_second;
    double burst;
    struct rl_slot *slots;
    pthread_mutex_t stripes[RL_STRIPES];
};

struct ratelimit *ratelimit_new(int per_minute)
{
    struct ratelimit *rl = calloc(1, sizeof *rl);
    int i;
    if (!rl)
        return NULL;
    rl->slots = calloc(RL_SLOTS, sizeof *rl->slots);
    if (!rl->slots) {
        free(rl);
        return NULL;
    }
    rl->per_second = per_minute / 60.0;
    rl->burst = per_minute;
    for (i = 0; i < RL_STRIPES; i++)
        pthread_mutex_init(&rl->stripes[i], NULL);
    return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
    int i;
    if (!rl)
        return;
    for (i = 0; i < RL_STRIPES; i++)
        pthread_mutex_destroy(&rl->stripes[i]);
    free(rl->slots);
    free(rl);
}

static unsigned long hash(const char *s)
{
    unsigned long h = 1469598103934665603UL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211UL;
    return h;
}

int ratelimit_take(struct ratelimit *rl, const char *subject)
{
    struct timespec ts;
    double now;
    /* Probe windows never cross a stripe boundary, so one lock covers them. */
    unsigned long base = (hash(subject) % (RL_SLOTS / RL_PROBE)) * RL_PROBE;
    pthread_mutex_t *mu = &rl->stripes[(base / RL_PROBE) % RL_STRIPES];
    struct rl_slot *slot = NULL, *oldest = NULL;
    int i, allowed;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    pthread_mutex_lock(mu);
    for (i = 0; i < RL_PROBE; i++) {
        struct rl_slot *s = &rl->slots[base + (unsigned long)i];
        if (!strcmp(s->subject, subject)) {
            slot = s;
            break;
        }
        if (!oldest || s->last < oldest->last)
            oldest = s;
    }
    if (!slot) {
        /* Evicting the least recently seen subject can only give it a fresh
         * (full) bucket: the limit errs on the side of serving. */
        slot = oldest;
        snprintf(slot->subject, sizeof slot->subject, "%s", subject);
        slot->tokens = rl->burst;
        slot->last = now;
    }
    slot->tokens += (now - slot->last) * rl->per_second;
    if (slot->tokens > rl->burst)
        slot->tokens = rl->burst;
    slot->last = now;
    allowed = slot->tokens >= 1.0;
    if (allowed)
        slot->tokens -= 1.0;
    pthread_mutex_unlock(mu);
    return allowed ? 0 : -1;
}
