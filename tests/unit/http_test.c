/* Unit tests for the pure helpers of internal/http: opaque cursors, path and
 * query parameters, If-Match, and the problem+json renderer. The dispatcher
 * itself is covered by the integration tests. */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "util/util.h"
#include "validate/validate.h"
#include "unit.h"

static int cursor_is_refused(const char *cursor)
{
    struct http_ctx ctx;
    char key[32], id[40];
    int rc;
    memset(&ctx, 0, sizeof ctx);
    rc = http_cursor_decode(&ctx, cursor, key, sizeof key, id, sizeof id);
    rc = rc == -1 && ctx.err.status == 400 &&
         !strcmp(json_string_value(json_object_get(json_array_get(ctx.err.fields, 0), "field")),
                 "cursor");
    app_error_clear(&ctx.err);
    return rc;
}

static char *b64(const char *raw, size_t n)
{
    return b64url_encode((const unsigned char *)raw, n);
}

static void test_http_cursor_round_trip(void)
{
    struct http_ctx ctx;
    char key[64], id[40];
    char *c;
    memset(&ctx, 0, sizeof ctx);

    c = http_cursor_encode("2026-11-22T10:00:00.000000Z", "3f1c2a9e-8d4b-4c6e-9f0a-1b2c3d4e5f60");
    CHECK(c != NULL &&
          strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
              strlen(c));
    CHECK(http_cursor_decode(&ctx, c, key, sizeof key, id, sizeof id) == 0);
    CHECK(!strcmp(key, "2026-11-22T10:00:00.000000Z") &&
          !strcmp(id, "3f1c2a9e-8d4b-4c6e-9f0a-1b2c3d4e5f60"));
    CHECK(ctx.err.status == 0);
    free(c);

    /* a sort key may itself contain '|' (a name); the id never does */
    c = http_cursor_encode("Smith|John", "42");
    CHECK(c && http_cursor_decode(&ctx, c, key, sizeof key, id, sizeof id) == 0);
    CHECK(!strcmp(key, "Smith|John") && !strcmp(id, "42"));
    free(c);

    /* empty key is a valid cursor (first page of an unsorted key) */
    c = http_cursor_encode("", "7");
    CHECK(c && http_cursor_decode(&ctx, c, key, sizeof key, id, sizeof id) == 0);
    CHECK(key[0] == 0 && !strcmp(id, "7"));
    free(c);

    /* too long to encode */
    {
        char big[300];
        memset(big, 'k', sizeof big - 1);
        big[sizeof big - 1] = 0;
        CHECK(http_cursor_encode(big, "1") == NULL);
    }
}

static void test_http_cursor_refuses_what_it_did_not_issue(void)
{
    char *c;
    char longc[400];
    CHECK(cursor_is_refused(""));
    CHECK(cursor_is_refused("%%%"));
    CHECK(cursor_is_refused("bm90LWEtY3Vyc29y")); /* "not-a-cursor": no '|' */
    c = b64("a\0|1", 4);                          /* NUL inside */
    CHECK(cursor_is_refused(c));
    free(c);
    c = b64("0123456789012345678901234567890123456789|1", 42); /* key longer than the buffer */
    CHECK(cursor_is_refused(c));
    free(c);
    c = b64("k|0123456789012345678901234567890123456789", 42); /* id longer than the buffer */
    CHECK(cursor_is_refused(c));
    free(c);
    memset(longc, 'A', sizeof longc - 1); /* over 300 characters */
    longc[sizeof longc - 1] = 0;
    CHECK(cursor_is_refused(longc));
}

static void test_http_path_parameters(void)
{
    struct http_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.path_names[0] = "id";
    ctx.path_names[1] = "document_id";
    snprintf(ctx.path_values[0], sizeof ctx.path_values[0], "3F1C2A9E-8D4B-4C6E-9F0A-1B2C3D4E5F60");
    snprintf(ctx.path_values[1], sizeof ctx.path_values[1], "not-a-uuid");
    ctx.path_count = 2;

    CHECK(!strcmp(http_path(&ctx, "document_id"), "not-a-uuid"));
    CHECK(http_path(&ctx, "other") == NULL);
    /* lowercased in place, so SQL and audit see one spelling */
    CHECK(http_path_uuid(&ctx, "id", "case") != NULL &&
          !strcmp(http_path(&ctx, "id"), "3f1c2a9e-8d4b-4c6e-9f0a-1b2c3d4e5f60"));
    CHECK(ctx.err.status == 0);
    /* a malformed id names no resource: 404, not 400 */
    CHECK(http_path_uuid(&ctx, "document_id", "document") == NULL && ctx.err.status == 404);
    CHECK(strstr(ctx.err.detail, "document") != NULL);
    app_error_clear(&ctx.err);
    CHECK(http_path_uuid(&ctx, "missing", "case") == NULL && ctx.err.status == 404);
    app_error_clear(&ctx.err);
}

static int limit_of(const char *value, int *out)
{
    struct http_ctx ctx;
    int rc;
    memset(&ctx, 0, sizeof ctx);
    ctx.query = json_object();
    if (value)
        json_object_set_new(ctx.query, "limit", json_string(value));
    rc = http_query_limit(&ctx, 50, 200, out);
    if (rc != 0)
        rc = ctx.err.status == 400 && json_array_size(ctx.err.fields) == 1 ? -1 : -2;
    app_error_clear(&ctx.err);
    json_decref(ctx.query);
    return rc;
}

static void test_http_query_limit(void)
{
    int n = 0;
    CHECK(limit_of(NULL, &n) == 0 && n == 50);
    CHECK(limit_of("1", &n) == 0 && n == 1);
    CHECK(limit_of("200", &n) == 0 && n == 200);
    CHECK(limit_of("0", &n) == -1);
    CHECK(limit_of("201", &n) == -1);
    CHECK(limit_of("-1", &n) == -1);
    CHECK(limit_of("abc", &n) == -1);
    CHECK(limit_of("10x", &n) == -1);
    CHECK(limit_of("+10", &n) == -1);
    CHECK(limit_of(" 10", &n) == -1);
    CHECK(limit_of("", &n) == -1);
    CHECK(limit_of("99999999999999999999", &n) == -1);
}

static void test_http_query_reads_the_parsed_map(void)
{
    struct http_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    CHECK(http_query(&ctx, "x") == NULL); /* no query parsed yet */
    ctx.query = json_pack("{s:s}", "actor", "patient-7");
    CHECK(!strcmp(http_query(&ctx, "actor"), "patient-7") && http_query(&ctx, "x") == NULL);
    json_decref(ctx.query);
}

/* validate_if_match, and the 412's problem+json carrying the current tag
 * as its ETag header (http_render_problem). */
static int if_match(const char *header, const char *etag, int *status)
{
    struct app_error err = {0};
    int rc = validate_if_match(header, etag, &err);
    *status = err.status;
    if (err.status == 412) {
        struct _u_response res;
        const char *sent;
        ulfius_init_response(&res);
        http_render_problem(&res, &err, "rid");
        sent = u_map_get(res.map_header, "ETag");
        if (!sent || strcmp(sent, etag) != 0)
            rc = -2;
        ulfius_clean_response(&res);
    }
    app_error_clear(&err);
    return rc;
}

static void test_if_match(void)
{
    int status;
    CHECK(if_match("\"v3\"", "\"v3\"", &status) == 0 && status == 0);
    CHECK(if_match("*", "\"v3\"", &status) == 0 && status == 0);
    CHECK(if_match(NULL, "\"v3\"", &status) == -1 && status == 428);
    CHECK(if_match("", "\"v3\"", &status) == -1 && status == 428);
    CHECK(if_match("\"v2\"", "\"v3\"", &status) == -1 && status == 412);
    CHECK(if_match("v3", "\"v3\"", &status) == -1 && status == 412);
}

static json_t *render(struct app_error *e, const char *request_id, struct _u_response *res)
{
    json_error_t jerr;
    ulfius_init_response(res);
    http_render_problem(res, e, request_id);
    return json_loadb(res->binary_body, res->binary_body_length, 0, &jerr);
}

static void test_http_render_problem(void)
{
    struct _u_response res;
    struct app_error e = {0};
    json_t *p;

    app_error_field(&e, "patient.dob", "must be a date (YYYY-MM-DD)");
    app_error_extra(&e, "status", json_integer(999)); /* must not override */
    app_error_extra(&e, "case_status", json_string("submitted"));
    p = render(&e, "req-1", &res);
    CHECK(p != NULL && res.status == 400);
    CHECK(!strcmp(u_map_get_case(res.map_header, "Content-Type"), "application/problem+json"));
    CHECK(!strcmp(json_string_value(json_object_get(p, "type")),
                  "https://problems.second-opinion.example/validation-failed"));
    CHECK(json_integer_value(json_object_get(p, "status")) == 400);
    CHECK(json_is_string(json_object_get(p, "title")) &&
          json_is_string(json_object_get(p, "detail")));
    CHECK(!strcmp(json_string_value(json_object_get(p, "request_id")), "req-1"));
    CHECK(!strcmp(json_string_value(
                      json_object_get(json_array_get(json_object_get(p, "errors"), 0), "field")),
                  "patient.dob"));
    CHECK(!strcmp(json_string_value(json_object_get(p, "case_status")), "submitted"));
    CHECK(u_map_get_case(res.map_header, "WWW-Authenticate") == NULL);
    CHECK(u_map_get_case(res.map_header, "Retry-After") == NULL);
    json_decref(p);
    ulfius_clean_response(&res);
    app_error_clear(&e);

    app_error_problem(&e, PROBLEM_UNAUTHORIZED, "Send a bearer token.");
    p = render(&e, "", &res);
    CHECK(p != NULL && res.status == 401 && json_object_get(p, "request_id") == NULL);
    CHECK(json_object_get(p, "errors") == NULL);
    CHECK(u_map_get_case(res.map_header, "WWW-Authenticate") != NULL &&
          !strncmp(u_map_get_case(res.map_header, "WWW-Authenticate"), "Bearer ", 7));
    json_decref(p);
    ulfius_clean_response(&res);
    app_error_clear(&e);

    app_error_unavailable(&e, "The database is not answering.");
    p = render(&e, "req-2", &res);
    CHECK(p != NULL && res.status == 503);
    CHECK(e.retry_after > 0 && u_map_get_case(res.map_header, "Retry-After") != NULL &&
          atoi(u_map_get_case(res.map_header, "Retry-After")) == e.retry_after);
    json_decref(p);
    ulfius_clean_response(&res);
    app_error_clear(&e);

    /* an unset error still renders as a 500 problem, never an empty 200 */
    p = render(&e, NULL, &res);
    CHECK(p != NULL && res.status == 500 &&
          json_integer_value(json_object_get(p, "status")) == 500);
    CHECK(!strcmp(json_string_value(json_object_get(p, "type")),
                  "https://problems.second-opinion.example/internal-error"));
    json_decref(p);
    ulfius_clean_response(&res);
}

const struct unit_test http_tests[] = {
    {"http_cursor_round_trip", test_http_cursor_round_trip},
    {"http_cursor_refuses_what_it_did_not_issue", test_http_cursor_refuses_what_it_did_not_issue},
    {"http_path_parameters", test_http_path_parameters},
    {"http_query_limit", test_http_query_limit},
    {"http_query_reads_the_parsed_map", test_http_query_reads_the_parsed_map},
    {"if_match", test_if_match},
    {"http_render_problem", test_http_render_problem},
    {NULL, NULL},
};
