#include "log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* The request line is written by hand into a stack buffer with one
 * write(2): it is on every request's path, and building it as a jansson
 * object cost a dozen allocations plus a lock on stderr held across the
 * system call. Values are escaped as JSON; bytes outside printable ASCII
 * (none are expected: methods, route templates, ids, subjects) become '?'. */
struct line_buf {
    char buf[1024];
    size_t n;
};

static void put_raw(struct line_buf *b, const char *s)
{
    size_t len = strlen(s);
    if (len > sizeof b->buf - 8 - b->n)
        len = sizeof b->buf - 8 - b->n;
    memcpy(b->buf + b->n, s, len);
    b->n += len;
}

static void put_str(struct line_buf *b, const char *s)
{
    b->buf[b->n++] = '"';
    for (; *s && b->n < sizeof b->buf - 8; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            b->buf[b->n++] = '\\';
            b->buf[b->n++] = (char)c;
        } else {
            b->buf[b->n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
        }
    }
    b->buf[b->n++] = '"';
}

static void put_field(struct line_buf *b, const char *key, const char *value)
{
    put_raw(b, ",\"");
    put_raw(b, key);
    put_raw(b, "\":");
    put_str(b, value ? value : "-");
}

/* The timestamp up to the second changes once a second: format it then. */
static void request_ts(char out[96])
{
    static __thread time_t last_sec = -1;
    static __thread char prefix[64];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != last_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        last_sec = ts.tv_sec;
    }
    snprintf(out, 96, "%s.%03ldZ", prefix, ts.tv_nsec / 1000000);
}

void log_request(const struct log_request_line *l)
{
    struct line_buf b;
    char ts[96], num[64];
    if (LOG_INFO < current_level)
        return;
    b.n = 0;
    request_ts(ts);
    put_raw(&b, "{\"ts\":");
    put_str(&b, ts);
    put_raw(&b, ",\"level\":\"info\",\"msg\":\"request\"");
    put_field(&b, "method", l->method);
    {
        /* milliseconds with three decimals from integer microseconds: %f
         * goes through the floating-point printer on every request */
        long us =
            l->latency_ms >= 0 && l->latency_ms < 1e9 ? (long)(l->latency_ms * 1000 + 0.5) : 0;
        snprintf(num, sizeof num, ",\"status\":%d,\"latency_ms\":%ld.%03ld", l->status, us / 1000,
                 us % 1000);
    }
    put_raw(&b, num);
    put_field(&b, "request_id", l->request_id);
    put_field(&b, "subject", l->subject);
    put_field(&b, "role", l->role);
    if (l->route)
        put_field(&b, "route", l->route);
    if (l->problem)
        put_field(&b, "problem", l->problem);
    put_raw(&b, "}\n");
    if (b.buf[b.n - 1] != '\n') /* truncated: still one whole line */
        b.buf[b.n - 1] = '\n';
    if (write(STDERR_FILENO, b.buf, b.n) < 0) {
        /* nowhere left to report it */
    }
}
