/* Unit tests for the pieces hardened by the security work (issue 8): UTF-8
 * checks, the pure query and JSON-body parsers the dispatcher uses, error
 * reporting of hostile field names, token time claims, and the schema
 * registry the body fuzzer walks. Every case that was a bug has a comment
 * saying what the old behaviour was. */
#include <jwt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apperr/apperr.h"
#include "auth/auth.h"
#include "http/http.h"
#include "routes.h"
#include "util/util.h"
#include "validate/validate.h"
#include "unit.h"

static void test_utf8_is_valid(void)
{
    CHECK(utf8_is_valid("", 0));
    CHECK(utf8_is_valid("plain ascii", 11));
    CHECK(utf8_is_valid("\xc3\xa9", 2));             /* é */
    CHECK(utf8_is_valid("\xe2\x80\xae", 3));         /* U+202E RIGHT-TO-LEFT OVERRIDE */
    CHECK(utf8_is_valid("\xef\xbf\xbf", 3));         /* U+FFFF */
    CHECK(utf8_is_valid("\xf0\x9f\xa7\xac", 4));     /* U+1F9EC DNA */
    CHECK(utf8_is_valid("\xf4\x8f\xbf\xbf", 4));     /* U+10FFFF */
    CHECK(!utf8_is_valid("\xff", 1));                /* never valid */
    CHECK(!utf8_is_valid("\xc3", 1));                /* cut short */
    CHECK(!utf8_is_valid("\xc3\x28", 2));            /* bad continuation */
    CHECK(!utf8_is_valid("\x80", 1));                /* lone continuation */
    CHECK(!utf8_is_valid("\xc0\xaf", 2));            /* overlong '/' */
    CHECK(!utf8_is_valid("\xe0\x80\xaf", 3));        /* overlong '/' */
    CHECK(!utf8_is_valid("\xf0\x80\x80\xaf", 4));    /* overlong '/' */
    CHECK(!utf8_is_valid("\xed\xa0\x80", 3));        /* surrogate U+D800 */
    CHECK(!utf8_is_valid("\xf4\x90\x80\x80", 4));    /* above U+10FFFF */
    CHECK(!utf8_is_valid("\xf0\x9f\xa7", 3));        /* 4-byte sequence cut at 3 */
    CHECK(utf8_is_valid("\xf0\x9f\xa7\xac\xff", 4)); /* only len bytes are read */
}

static void test_utf8_trim_partial(void)
{
    char s[16];
    strcpy(s, "ab\xc3");
    utf8_trim_partial(s);
    CHECK(!strcmp(s, "ab"));
    strcpy(s, "ab\xf0\x9f\xa7");
    utf8_trim_partial(s);
    CHECK(!strcmp(s, "ab"));
    strcpy(s, "ab\xf0\x9f\xa7\xac");
    utf8_trim_partial(s);
    CHECK(!strcmp(s, "ab\xf0\x9f\xa7\xac"));
    strcpy(s, "ab\xc3\xa9");
    utf8_trim_partial(s);
    CHECK(!strcmp(s, "ab\xc3\xa9"));
    strcpy(s, "abc");
    utf8_trim_partial(s);
    CHECK(!strcmp(s, "abc"));
    s[0] = 0;
    utf8_trim_partial(s);
    CHECK(s[0] == 0);
}

/* Parses url with the allowed keys; returns the HTTP status (0 = ok) and
 * the value of `key` in *value (copied into buf). */
static int parse(const char *url, const char *allowed, const char *key, char *buf, size_t len)
{
    json_t *q = NULL;
    struct app_error err = {0};
    int rc = http_query_parse(url, allowed, &q, &err), status = err.status;
    CHECK((rc == 0) == (status == 0));
    CHECK((rc == 0) == (q != NULL));
    if (buf) {
        const char *v = key && q ? json_string_value(json_object_get(q, key)) : NULL;
        snprintf(buf, len, "%s", v ? v : "(absent)");
    }
    /* Every refusal names its problem: a 400 carries a detail or errors. */
    if (status == 400)
        CHECK(err.detail[0] && (!err.fields || json_array_size(err.fields) > 0));
    json_decref(q);
    app_error_clear(&err);
    return status;
}

static void test_http_query_parse(void)
{
    char v[64];
    const char *allowed = "limit,status,cursor";
    CHECK(parse("/v1/cases", allowed, "status", v, sizeof v) == 0 && !strcmp(v, "(absent)"));
    CHECK(parse("/v1/cases?", allowed, "status", v, sizeof v) == 0);
    CHECK(parse("/v1/cases?status=draft&limit=5", allowed, "status", v, sizeof v) == 0 &&
          !strcmp(v, "draft"));
    CHECK(parse("/v1/cases?status=a%20b+c", allowed, "status", v, sizeof v) == 0 &&
          !strcmp(v, "a b c"));
    CHECK(parse("/v1/cases?status=%C3%A9", allowed, "status", v, sizeof v) == 0 &&
          !strcmp(v, "\xc3\xa9"));
    CHECK(parse("/v1/cases?&&status=x&", allowed, "status", v, sizeof v) == 0 && !strcmp(v, "x"));
    CHECK(parse("/v1/cases?bogus=1", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=a&status=b", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?st%61tus=a&status=b", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=%00", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=%0a", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=%07", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=%", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=%4", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=%zz", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?access_token=x", allowed, NULL, NULL, 0) == 401);
    CHECK(parse("/v1/cases?limit=1", NULL, NULL, NULL, 0) == 400);
    /* Was: a value that is not UTF-8 made json_string() fail, the parameter
     * was dropped and the filter silently ignored (200, unfiltered). */
    CHECK(parse("/v1/cases?status=%ff", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=%c3", allowed, NULL, NULL, 0) == 400);
    CHECK(parse("/v1/cases?status=%ed%a0%80", allowed, NULL, NULL, 0) == 400);
    /* Was: an unknown key that is not UTF-8 gave a 400 with `errors: []`. */
    CHECK(parse("/v1/cases?%ff=1", allowed, NULL, NULL, 0) == 400);
    {
        char url[HTTP_MAX_QUERY_BYTES + 64];
        snprintf(url, sizeof url, "/v1/cases?status=");
        memset(url + strlen(url), 'a', HTTP_MAX_QUERY_BYTES);
        url[sizeof url - 1] = 0;
        CHECK(parse(url, allowed, NULL, NULL, 0) == 400);
    }
}

static int body_status(const char *text, size_t len)
{
    struct app_error err = {0};
    json_t *b = http_json_body_parse(text, len, &err);
    int status = err.status;
    CHECK((b == NULL) == (status != 0));
    json_decref(b);
    app_error_clear(&err);
    return status;
}

#define BODY_STATUS(text) body_status((text), strlen(text))

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
    char *s = malloc(hl + ul * n + tl + 1), *p = s;
    memcpy(p, head, hl);
    p += hl;
    for (i = 0; i < n; i++, p += ul)
        memcpy(p, unit, ul);
    memcpy(p, tail, tl + 1);
    return s;
}

static void test_http_json_body_parse(void)
{
    char *s;
    CHECK(BODY_STATUS("{}") == 0);
    CHECK(BODY_STATUS("{\"a\":[1,2,{\"b\":\"[[[\"}]}") == 0);
    CHECK(BODY_STATUS("[]") == 400);
    CHECK(BODY_STATUS("{\"a\":1,\"a\":2}") == 400);
    CHECK(BODY_STATUS("{\"a\":1") == 400);
    CHECK(BODY_STATUS("") == 400);
    /* brackets inside strings and escaped quotes are not structure */
    s = repeat("{\"a\":\"", "[\\\"", 20000, "\"}");
    CHECK(body_status(s, strlen(s)) == 0);
    free(s);
    /* depth: {"a":[[...]]} with the object counted; 32 levels are fine, 33
     * are not (jansson alone allows 2048) */
    for (int n = HTTP_JSON_MAX_DEPTH - 1; n <= HTTP_JSON_MAX_DEPTH; n++) {
        char *open = repeat("{\"a\":", "[", (size_t)n, "");
        char *close = repeat("", "]", (size_t)n, "}");
        char *doc = malloc(strlen(open) + strlen(close) + 1);
        strcpy(doc, open);
        strcat(doc, close);
        CHECK(body_status(doc, strlen(doc)) == (n + 1 <= HTTP_JSON_MAX_DEPTH ? 0 : 400));
        free(open);
        free(close);
        free(doc);
    }
    /* 100,000 nested arrays: refused before jansson recurses */
    s = repeat("", "[", 100000, "");
    CHECK(body_status(s, strlen(s)) == 400);
    free(s);
    /* values: an array of 20,000 numbers is refused, 5,000 are fine */
    s = repeat("{\"a\":[1", ",1", 20000, "]}");
    CHECK(body_status(s, strlen(s)) == 400);
    free(s);
    s = repeat("{\"a\":[1", ",1", 5000, "]}");
    CHECK(body_status(s, strlen(s)) == 0);
    free(s);
}

static void test_app_error_field_keeps_names_that_are_not_utf8(void)
{
    struct app_error e = {0};
    app_error_field(&e, "ok", "first");
    app_error_field(&e, "bad\xff", "second");
    /* Was: json_pack refused the name and the second error vanished. */
    CHECK(json_array_size(e.fields) == 2);
    CHECK(!strcmp(json_string_value(json_object_get(json_array_get(e.fields, 1), "message")),
                  "second"));
    app_error_clear(&e);
}

static void test_validate_reports_long_unicode_member_names(void)
{
    static const struct vfield fields[] = {
        {"name", V_STRING, 0, 1, 10, NULL, NULL, 0},
        {NULL, 0, 0, 0, 0, NULL, NULL, 0},
    };
    struct app_error e = {0};
    char key[400];
    json_t *doc = json_object();
    size_t i;
    /* 150 x "é" (2 bytes each): the 160-byte field path cuts a character */
    for (i = 0; i < 150; i++)
        memcpy(key + 2 * i, "\xc3\xa9", 2);
    key[300] = 0;
    json_object_set_new(doc, key, json_integer(1));
    CHECK(validate_object(doc, fields, "", 0, &e) == -1);
    /* Was: 400 with `errors: []` (the cut name was not valid UTF-8). */
    CHECK(json_array_size(e.fields) == 1);
    {
        const char *f = json_string_value(json_object_get(json_array_get(e.fields, 0), "field"));
        CHECK(f && utf8_is_valid(f, strlen(f)) && strlen(f) >= 150);
    }
    json_decref(doc);
    app_error_clear(&e);
}

static char *mint_exp(const char *secret, double exp)
{
    jwt_t *jwt = NULL;
    char *out, claims[256];
    jwt_new(&jwt);
    snprintf(
        claims, sizeof claims,
        "{\"iss\":\"iss-1\",\"aud\":\"aud-1\",\"sub\":\"u-1\",\"role\":\"admin\",\"exp\":%.17g}",
        exp);
    jwt_add_grants_json(jwt, claims);
    jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret));
    out = jwt_encode_str(jwt);
    jwt_free(jwt);
    return out;
}

static void test_auth_refuses_time_claims_out_of_range(void)
{
    const char *secret = "unit-test-secret-0123456789abcdefghij";
    struct config cfg;
    struct auth_verifier *v;
    struct principal p;
    char reason[64], *t;
    long now = (long)time(NULL);
    memset(&cfg, 0, sizeof cfg);
    cfg.jwt_alg = "HS256";
    cfg.jwt_key = (unsigned char *)secret;
    cfg.jwt_key_len = strlen(secret);
    cfg.jwt_issuer = "iss-1";
    cfg.jwt_audience = "aud-1";
    v = auth_verifier_new(&cfg);
    t = mint_exp(secret, (double)now + 600);
    CHECK(auth_verify(v, t, now, &p, reason, sizeof reason) == 0);
    free(t);
    /* Was: accepted, and (long)1e300 is undefined behaviour (UBSan under
     * clang flags it as float-cast-overflow). */
    t = mint_exp(secret, 1e300);
    CHECK(auth_verify(v, t, now, &p, reason, sizeof reason) == -1);
    CHECK(!strcmp(reason, "exp out of range"));
    free(t);
    t = mint_exp(secret, -1);
    CHECK(auth_verify(v, t, now, &p, reason, sizeof reason) == -1);
    free(t);
    auth_verifier_free(v);
}

static void test_every_module_schema_is_well_formed(void)
{
    const struct vschema *const *lists = routes_schemas();
    int n = 0;
    for (int i = 0; lists[i]; i++)
        for (const struct vschema *s = lists[i]; s->name; s++) {
            json_t *empty = json_object();
            struct app_error e = {0};
            n++;
            CHECK(s->fields != NULL && strchr(s->name, '.') != NULL);
            /* validating {} never crashes; a partial schema accepts it */
            validate_object(empty, s->fields, "", s->partial, &e);
            if (s->rules)
                s->rules(empty, &e);
            if (s->partial)
                CHECK(e.status == 0);
            app_error_clear(&e);
            json_decref(empty);
        }
    CHECK(n >= 5);
}

const struct unit_test hardening_tests[] = {
    {"utf8_is_valid", test_utf8_is_valid},
    {"utf8_trim_partial", test_utf8_trim_partial},
    {"http_query_parse", test_http_query_parse},
    {"http_json_body_parse", test_http_json_body_parse},
    {"app_error_field_keeps_names_that_are_not_utf8",
     test_app_error_field_keeps_names_that_are_not_utf8},
    {"validate_reports_long_unicode_member_names", test_validate_reports_long_unicode_member_names},
    {"auth_refuses_time_claims_out_of_range", test_auth_refuses_time_claims_out_of_range},
    {"every_module_schema_is_well_formed", test_every_module_schema_is_well_formed},
    {NULL, NULL},
};
