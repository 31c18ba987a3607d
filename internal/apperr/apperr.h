/* apperr: the small error value that travels from stores and domain code up to
 * the HTTP layer, where http_problem renders it as application/problem+json.
 * Keeping it free of HTTP and SQL types lets every module report errors the
 * same way without knowing how they are shown. */
#ifndef CSO_APPERR_H
#define CSO_APPERR_H

#include <jansson.h>

struct app_error {
    int status;       /* HTTP status this error maps to; 0 means "no error" */
    char code[48];    /* problem slug, e.g. "validation-failed" */
    char title[96];   /* short human summary, same for every instance of code */
    char detail[320]; /* instance-specific explanation; never patient data */
    json_t *fields;   /* owned: array of {"field","message"}, or NULL */
    json_t *extra;    /* owned: extra members merged into the problem, or NULL */
    int retry_after;  /* seconds for Retry-After, 0 for none */
};

/* Sets status, code, title and a printf-style detail; keeps collected fields. */
void app_error_set(struct app_error *e, int status, const char *code, const char *title,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Appends a per-field validation message; makes e a 400 validation-failed
 * error if it is not an error yet. */
void app_error_field(struct app_error *e, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds a member to the problem body (takes ownership of value). */
void app_error_extra(struct app_error *e, const char *key, json_t *value);

/* Releases owned JSON and resets e to "no error". */
void app_error_clear(struct app_error *e);

/* Shorthands for the common problems. All return -1 so callers can
 * `return app_error_not_found(err, "case");`. */
int app_error_not_found(struct app_error *e, const char *what);
int app_error_conflict(struct app_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int app_error_bad_request(struct app_error *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int app_error_unavailable(struct app_error *e, const char *detail);
int app_error_internal(struct app_error *e);

#endif
