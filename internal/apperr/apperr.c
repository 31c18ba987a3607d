#include "apperr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy_str(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "");
}

static const struct app_problem_info problems[APP_PROBLEM_COUNT] = {
#define APP_PROBLEM_ROW(name, status, code, title) [PROBLEM_##name] = {status, code, title},
    APP_PROBLEM_MAP(APP_PROBLEM_ROW)
#undef APP_PROBLEM_ROW
};

const struct app_problem_info *app_problem_info(enum app_problem p)
{
    return p >= 0 && p < APP_PROBLEM_COUNT ? &problems[p] : NULL;
}

static void set_problem(struct app_error *e, enum app_problem p, const char *fmt, va_list ap)
{
    const struct app_problem_info *info = app_problem_info(p);
    if (!info)
        info = &problems[PROBLEM_INTERNAL_ERROR];
    e->status = info->status;
    copy_str(e->code, sizeof e->code, info->code);
    copy_str(e->title, sizeof e->title, info->title);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
}

int app_error_problem(struct app_error *e, enum app_problem p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_problem(e, p, fmt, ap);
    va_end(ap);
    return -1;
}

void app_error_field(struct app_error *e, const char *field, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (e->status == 0)
        app_error_problem(e, PROBLEM_VALIDATION_FAILED,
                          "The request body or parameters are not valid; see errors.");
    if (!e->fields)
        e->fields = json_array();
    /* Cap the list so a hostile body cannot make the error itself huge. */
    if (json_array_size(e->fields) < 50) {
        json_t *item = json_pack("{s:s,s:s}", "field", field ? field : "", "message", msg);
        /* A field name taken from the request (an unknown key, a query
         * parameter) that is not valid UTF-8 cannot go into JSON; report the
         * problem under a placeholder rather than lose it. */
        if (!item)
            item = json_pack("{s:s,s:s}", "field", "(not valid UTF-8)", "message", msg);
        json_array_append_new(e->fields, item);
    }
}

void app_error_extra(struct app_error *e, const char *key, json_t *value)
{
    if (!e->extra)
        e->extra = json_object();
    json_object_set_new(e->extra, key, value);
}

void app_error_clear(struct app_error *e)
{
    json_decref(e->fields);
    json_decref(e->extra);
    memset(e, 0, sizeof *e);
}

int app_error_not_found(struct app_error *e, const char *what)
{
    app_error_problem(e, PROBLEM_NOT_FOUND, "No %s with that id is visible to you.", what);
    return -1;
}

int app_error_conflict(struct app_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_problem(e, PROBLEM_CONFLICT, fmt, ap);
    va_end(ap);
    return -1;
}

int app_error_bad_request(struct app_error *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_problem(e, PROBLEM_BAD_REQUEST, fmt, ap);
    va_end(ap);
    return -1;
}

int app_error_unavailable(struct app_error *e, const char *detail)
{
    app_error_problem(e, PROBLEM_SERVICE_UNAVAILABLE, "%s", detail);
    e->retry_after = 2;
    return -1;
}

int app_error_internal(struct app_error *e)
{
    app_error_problem(e, PROBLEM_INTERNAL_ERROR,
                      "The server failed to handle the request; it has been logged.");
    return -1;
}
