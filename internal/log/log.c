#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_level current_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    current_level = level;
}

static void now_iso(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

/* One fputs per line keeps lines whole when threads log at once. */
static void emit(json_t *obj)
{
    char *s = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
    if (s) {
        fprintf(stderr, "%s\n", s);
        free(s);
    }
    json_decref(obj);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    char ts[64], msg[1024];
    va_list ap;
    if (level < current_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    now_iso(ts, sizeof ts);
    emit(json_pack("{s:s,s:s,s:s}", "ts", ts, "level", level_names[level], "msg", msg));
}

void log_request(const struct log_request_line *l)
{
    char ts[64];
    json_t *o;
    if (LOG_INFO < current_level)
        return;
    now_iso(ts, sizeof ts);
    o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:f,s:s,s:s,s:s}", "ts", ts, "level", "info", "msg",
                  "request", "method", l->method ? l->method : "-", "status", l->status,
                  "latency_ms", l->latency_ms, "request_id", l->request_id ? l->request_id : "-",
                  "subject", l->subject ? l->subject : "-", "role", l->role ? l->role : "-");
    if (o && l->route)
        json_object_set_new(o, "route", json_string(l->route));
    if (o && l->problem)
        json_object_set_new(o, "problem", json_string(l->problem));
    if (o)
        emit(o);
}
