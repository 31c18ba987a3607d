/* log: one JSON object per line on stderr. Callers must never pass patient
 * data: messages name ids, routes and error classes only. */
#ifndef CSO_LOG_H
#define CSO_LOG_H

#include "../config/config.h"

void log_set_level(enum log_level level);

/* Writes {"ts","level","msg"} where msg is printf-formatted. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct log_request_line {
    const char *method;
    const char *route; /* template, e.g. /v1/cases/:id, never the raw URL */
    int status;
    double latency_ms;
    const char *request_id;
    const char *subject; /* JWT sub or "-" */
    const char *role;
    const char *problem; /* problem code on errors, else NULL */
};

void log_request(const struct log_request_line *line);

#endif
