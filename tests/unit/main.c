/* Unit tests for the pure modules. Each test is a function; a test passes
 * when it records no failed CHECK. Last line: `N passed, N failed`. */
#include <jwt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apperr/apperr.h"
#include "auth/auth.h"
#include "config/config.h"
#include "ratelimit/ratelimit.h"
#include "util/util.h"
#include "unit.h"

int unit_failures;

static void test_b64url_round_trip(void)
{
    const unsigned char data[] = {0, 1, 2, 250, 251, 252, 253, 254, 255};
    size_t n, len;
    for (n = 0; n <= sizeof data; n++) {
        char *enc = b64url_encode(data, n);
        unsigned char *dec = b64url_decode(enc, strlen(enc), &len);
        CHECK(dec != NULL && len == n && memcmp(dec, data, n) == 0);
        CHECK(strchr(enc, '=') == NULL && strchr(enc, '+') == NULL && strchr(enc, '/') == NULL);
        free(enc);
        free(dec);
    }
    CHECK(b64url_decode("a", 1, &len) == NULL);
    CHECK(b64url_decode("ab+c", 4, &len) == NULL);
}

static void test_uuid_and_dates(void)
{
    CHECK(uuid_is_valid("123e4567-e89b-12d3-a456-426614174000"));
    CHECK(!uuid_is_valid("123e4567-e89b-12d3-a456-42661417400"));
    CHECK(!uuid_is_valid("123e4567-e89b-12d3-a456-4266141740000"));
    CHECK(!uuid_is_valid("123e4567xe89b-12d3-a456-426614174000"));
    CHECK(!uuid_is_valid("5,123e4567-e89b-12d3-a456-426614174000"));
    CHECK(date_is_valid("2024-02-29"));
    CHECK(!date_is_valid("2023-02-29"));
    CHECK(!date_is_valid("2023-13-01"));
    CHECK(!date_is_valid("2023-1-01"));
    CHECK(datetime_is_valid("2026-11-22T10:00:00Z"));
    CHECK(datetime_is_valid("2026-11-22T10:00:00.123+02:00"));
    CHECK(!datetime_is_valid("2026-11-22 10:00:00"));
    CHECK(!datetime_is_valid("2026-11-22T25:00:00Z"));
    CHECK(text_is_clean("line\nnext\tok é"));
    CHECK(!text_is_clean("bell\a"));
    CHECK(text_is_blank("") && text_is_blank(" \t "));
    CHECK(!text_is_blank(" a ") && !text_is_blank("\n"));
}

static void test_sha256(void)
{
    char hex[65];
    sha256_hex("abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

static void test_apperr(void)
{
    struct app_error e = {0};
    app_error_field(&e, "name", "is required");
    app_error_field(&e, "dob", "must be a date");
    CHECK(e.status == 400 && json_array_size(e.fields) == 2);
    app_error_clear(&e);
    CHECK(e.status == 0 && e.fields == NULL);
}

static void test_ratelimit(void)
{
    struct ratelimit *rl = ratelimit_new(3);
    CHECK(ratelimit_take(rl, "a") == 0);
    CHECK(ratelimit_take(rl, "a") == 0);
    CHECK(ratelimit_take(rl, "a") == 0);
    CHECK(ratelimit_take(rl, "a") == -1);
    CHECK(ratelimit_take(rl, "b") == 0);
    ratelimit_free(rl);
}

static char *mint(const char *secret, const char *role, const char *iss, long exp_offset)
{
    jwt_t *jwt = NULL;
    char *out;
    jwt_new(&jwt);
    jwt_add_grant(jwt, "iss", iss);
    jwt_add_grant(jwt, "aud", "aud-1");
    jwt_add_grant(jwt, "sub", "user-1");
    jwt_add_grant(jwt, "role", role);
    jwt_add_grant_int(jwt, "exp", (long)time(NULL) + exp_offset);
    jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret, (int)strlen(secret));
    out = jwt_encode_str(jwt);
    jwt_free(jwt);
    return out;
}

static void test_auth_verify(void)
{
    struct config cfg;
    struct auth_verifier *v;
    struct principal p;
    char reason[64];
    char *t;
    const char *secret = "unit-test-secret-0123456789abcdefghij";
    memset(&cfg, 0, sizeof cfg);
    cfg.jwt_alg = "HS256";
    cfg.jwt_key = (unsigned char *)secret;
    cfg.jwt_key_len = strlen(secret);
    cfg.jwt_issuer = "iss-1";
    cfg.jwt_audience = "aud-1";
    v = auth_verifier_new(&cfg);

    t = mint(secret, "navigator", "iss-1", 600);
    CHECK(auth_verify(v, t, (long)time(NULL), &p, reason, sizeof reason) == 0);
    CHECK(p.role == ROLE_NAVIGATOR && !strcmp(p.sub, "user-1"));
    /* the same token an hour and two minutes later is expired */
    CHECK(auth_verify(v, t, (long)time(NULL) + 720, &p, reason, sizeof reason) == -1);
    free(t);

    t = mint(secret, "navigator", "other", 600);
    CHECK(auth_verify(v, t, (long)time(NULL), &p, reason, sizeof reason) == -1);
    CHECK(!strcmp(reason, "issuer mismatch"));
    free(t);

    t = mint("another-secret-0123456789abcdefghijkl", "admin", "iss-1", 600);
    CHECK(auth_verify(v, t, (long)time(NULL), &p, reason, sizeof reason) == -1);
    CHECK(!strcmp(reason, "bad signature"));
    free(t);

    t = mint(secret, "root", "iss-1", 600);
    CHECK(auth_verify(v, t, (long)time(NULL), &p, reason, sizeof reason) == -1);
    free(t);
    CHECK(auth_verify(v, "", (long)time(NULL), &p, reason, sizeof reason) == -1);
    auth_verifier_free(v);
}

int main(void)
{
    static const struct unit_test tests[] = {
        {"b64url_round_trip", test_b64url_round_trip},
        {"uuid_and_dates", test_uuid_and_dates},
        {"sha256", test_sha256},
        {"apperr", test_apperr},
        {"ratelimit", test_ratelimit},
        {"auth_verify", test_auth_verify},
        {NULL, NULL},
    };
    static const struct unit_test *const groups[] = {
        tests,
        validate_tests,
        http_tests,
        media_type_tests,
        opinion_report_tests,
        webhooks_tests,
        directory_tests,
        workflow_tests,
        case_domain_tests,
        hardening_tests,
        coverage_unit_tests,
        NULL,
    };
    int passed = 0, failed = 0;
    for (size_t g = 0; groups[g]; g++) {
        for (const struct unit_test *t = groups[g]; t->name; t++) {
            int before = unit_failures;
            t->fn();
            if (unit_failures == before) {
                passed++;
                printf("ok unit.%s\n", t->name);
            } else {
                failed++;
                printf("FAIL unit.%s\n", t->name);
            }
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
