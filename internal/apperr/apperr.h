/* apperr: the small error value that travels from stores and domain code up to
 * the HTTP layer, where http_problem renders it as application/problem+json.
 * Keeping it free of HTTP and SQL types lets every module report errors the
 * same way without knowing how they are shown. */
#ifndef CSO_APPERR_H
#define CSO_APPERR_H

#include <jansson.h>

/* The problem types, one row each: enum name, HTTP status, code (the last
 * segment of the problem's `type` URI) and title (the same for every
 * instance of the code). Every error the service answers with is one of
 * these: the constructors below take the enum, never a string, and the
 * contract lists the same table (components.x-problem-types in
 * api/openapi.yaml, compared by tests/test_contract.py with
 * `cso-server --problems`). Modelled on libuv's UV_ERRNO_MAP. */
#define APP_PROBLEM_MAP(XX)                                                                        \
    XX(BAD_REQUEST, 400, "bad-request", "Bad request")                                             \
    XX(VALIDATION_FAILED, 400, "validation-failed", "Validation failed")                           \
    XX(MALFORMED_JSON, 400, "malformed-json", "Malformed JSON")                                    \
    XX(JSON_TOO_COMPLEX, 400, "json-too-complex", "JSON too complex")                              \
    XX(UNAUTHORIZED, 401, "unauthorized", "Unauthorized")                                          \
    XX(FORBIDDEN, 403, "forbidden", "Forbidden")                                                   \
    XX(NOT_FOUND, 404, "not-found", "Not found")                                                   \
    XX(METHOD_NOT_ALLOWED, 405, "method-not-allowed", "Method not allowed")                        \
    XX(NOT_ACCEPTABLE, 406, "not-acceptable", "Not acceptable")                                    \
    XX(CONFLICT, 409, "conflict", "Conflict")                                                      \
    XX(IDEMPOTENCY_CONFLICT, 409, "idempotency-conflict", "Conflict")                              \
    XX(CASE_ALREADY_ASSIGNED, 409, "case-already-assigned", "Case already assigned")               \
    XX(CASE_NOT_OPEN_FOR_RECORDS, 409, "case-not-open-for-records", "Case closed for records")     \
    XX(CHECKLIST_INCOMPLETE, 409, "checklist-incomplete", "Records missing")                       \
    XX(DOCUMENT_LIMIT_REACHED, 409, "document-limit-reached", "Too many documents")                \
    XX(NOT_A_MATCH, 409, "not-a-match", "Not one of your matches")                                 \
    XX(OPINION_EXISTS, 409, "opinion-exists", "Opinion exists")                                    \
    XX(OPINION_INCOMPLETE, 409, "opinion-incomplete", "Opinion incomplete")                        \
    XX(OPINION_NOT_SIGNED, 409, "opinion-not-signed", "Opinion not signed")                        \
    XX(OPINION_SIGNED, 409, "opinion-signed", "Opinion signed")                                    \
    XX(ROUND_ALREADY_OPEN, 409, "round-already-open", "Conflict")                                  \
    XX(SPECIALIST_UNAVAILABLE, 409, "specialist-unavailable", "Specialist unavailable")            \
    XX(PRECONDITION_FAILED, 412, "precondition-failed", "Precondition failed")                     \
    XX(PAYLOAD_TOO_LARGE, 413, "payload-too-large", "Payload too large")                           \
    XX(UNSUPPORTED_MEDIA_TYPE, 415, "unsupported-media-type", "Unsupported media type")            \
    XX(MEDIA_TYPE_MISMATCH, 415, "media-type-mismatch", "Content does not match its type")         \
    XX(IDEMPOTENCY_KEY_REUSED, 422, "idempotency-key-reused", "Idempotency key reused")            \
    XX(DESTINATION_NOT_ALLOWED, 422, "destination-not-allowed", "Destination not allowed")         \
    XX(PRECONDITION_REQUIRED, 428, "precondition-required", "Precondition required")               \
    XX(TOO_MANY_REQUESTS, 429, "too-many-requests", "Too many requests")                           \
    XX(INTERNAL_ERROR, 500, "internal-error", "Internal error")                                    \
    XX(SERVICE_UNAVAILABLE, 503, "service-unavailable", "Service unavailable")

enum app_problem {
#define APP_PROBLEM_ENUM(name, status, code, title) PROBLEM_##name,
    APP_PROBLEM_MAP(APP_PROBLEM_ENUM)
#undef APP_PROBLEM_ENUM
        APP_PROBLEM_COUNT
};

/* The base of every problem's `type` URI; the code follows it. */
#define APP_PROBLEM_TYPE_BASE "https://problems.second-opinion.example/"

struct app_problem_info {
    int status;
    const char *code;
    const char *title;
};

/* The row of p (static storage), or NULL outside the table. */
const struct app_problem_info *app_problem_info(enum app_problem p);

struct app_error {
    int status;       /* HTTP status this error maps to; 0 means "no error" */
    char code[48];    /* problem slug, e.g. "validation-failed" */
    char title[96];   /* short human summary, same for every instance of code */
    char detail[320]; /* instance-specific explanation; never patient data */
    json_t *fields;   /* owned: array of {"field","message"}, or NULL */
    json_t *extra;    /* owned: extra members merged into the problem, or NULL */
    int retry_after;  /* seconds for Retry-After, 0 for none */
    char etag[48];    /* a 412's current ETag of the resource, sent as a header; "" for none */
};

/* Makes e the problem p (its status, code and title from the table) with a
 * printf-style detail; keeps collected fields. Returns -1, so callers can
 * `return app_error_problem(err, PROBLEM_X, "...")`. */
int app_error_problem(struct app_error *e, enum app_problem p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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
