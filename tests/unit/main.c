/* Unit tests for the pure modules. Each test is a function; a test passes
 * when it records no failed CHECK. Last line: `N passed, N failed`. */
#include <jwt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apperr/apperr.h"
#include "auth/auth.h"
#include "config/config.h"
#include "events/events.h"
#include "ratelimit/ratelimit.h"
#include "util/util.h"
#include "webhooks/outbound.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>

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

static void test_webhook_signature(void)
{
    char sig[WEBHOOK_SIGNATURE_MAX];
    const char *body = "{\"id\":1,\"type\":\"case.created\"}";
    /* Python: hmac.new(secret, b"1700000000." + body, sha256).hexdigest() */
    CHECK(webhook_sign("whsec_test_0123456789abcdef", 1700000000L, body, strlen(body), sig) == 0);
    CHECK(!strcmp(sig, "t=1700000000,v1="
                       "4f3e0cf34f37d12c3ac1ba675e145cee6a3e1a893e0233e35d4611234c4d0cda"));
    /* another timestamp, body or secret gives another signature */
    CHECK(webhook_sign("whsec_test_0123456789abcdef", 1700000001L, body, strlen(body), sig) == 0);
    CHECK(strstr(sig, "4f3e0cf34f37d12c") == NULL);
    CHECK(webhook_sign("whsec_test_0123456789abcdeX", 1700000000L, body, strlen(body), sig) == 0);
    CHECK(strstr(sig, "4f3e0cf34f37d12c") == NULL);
    CHECK(webhook_sign("whsec_test_0123456789abcdef", 1700000000L, body, strlen(body) - 1, sig) ==
          0);
    CHECK(strstr(sig, "4f3e0cf34f37d12c") == NULL);
}

static void test_webhook_backoff(void)
{
    int n;
    long prev_max = 0;
    CHECK(webhook_backoff_ms(1, 200, 1000, 0.0) == 200);
    CHECK(webhook_backoff_ms(2, 200, 1000, 0.0) == 400);
    CHECK(webhook_backoff_ms(3, 200, 1000, 0.0) == 800);
    CHECK(webhook_backoff_ms(4, 200, 1000, 0.0) == 1000);
    CHECK(webhook_backoff_ms(1000, 200, 1000, 0.0) == 1000);
    CHECK(webhook_backoff_ms(1, 1000, 900000, 0.9999) >= 800);
    /* jitter only ever shortens, and each step's range lies above the last */
    for (n = 1; n <= 12; n++) {
        long lo = webhook_backoff_ms(n, 1000, 900000, 0.99999);
        long hi = webhook_backoff_ms(n, 1000, 900000, 0.0);
        CHECK(lo <= hi && hi <= 900000 && lo >= hi * 8 / 10 - 1);
        if (hi < 900000)
            CHECK(lo > prev_max);
        prev_max = hi;
    }
}

static int url_ok(const char *url, int allow_private)
{
    char why[128];
    return webhook_url_check(url, allow_private, why, sizeof why) == 0;
}

static void test_webhook_url_check(void)
{
    CHECK(url_ok("https://crm.example.org/hooks/cso", 0));
    CHECK(url_ok("http://crm.example.org:8443/hooks?team=7", 0));
    CHECK(url_ok("HTTPS://CRM.EXAMPLE.ORG/x", 0));
    CHECK(url_ok("https://93.184.216.34/x", 0));
    CHECK(url_ok("https://[2606:2800:220:1:248:1893:25c8:1946]/x", 0));
    CHECK(!url_ok("ftp://crm.example.org/x", 1));
    CHECK(!url_ok("file:///etc/passwd", 1));
    CHECK(!url_ok("gopher://crm.example.org/", 1));
    CHECK(!url_ok("crm.example.org/hooks", 1));
    CHECK(!url_ok("https://user:pw@crm.example.org/", 1));
    CHECK(!url_ok("https://user@crm.example.org/", 1));
    CHECK(!url_ok("https://crm.example.org/#frag", 1));
    CHECK(!url_ok("https://crm.example.org/a b", 1));
    CHECK(!url_ok("https:///nohost", 1));
    CHECK(!url_ok("", 1));
    /* private destinations: refused unless allowed */
    CHECK(!url_ok("http://127.0.0.1:8080/", 0) && url_ok("http://127.0.0.1:8080/", 1));
    CHECK(!url_ok("http://localhost/", 0) && url_ok("http://localhost/", 1));
    CHECK(!url_ok("http://LOCALHOST./", 0));
    CHECK(!url_ok("http://api.localhost/", 0));
    CHECK(!url_ok("http://10.1.2.3/", 0));
    CHECK(!url_ok("http://172.16.0.1/", 0) && url_ok("http://172.32.0.1/", 0));
    CHECK(!url_ok("http://192.168.1.1/", 0));
    CHECK(!url_ok("http://169.254.169.254/latest/meta-data/", 0));
    CHECK(!url_ok("http://100.64.0.1/", 0));
    CHECK(!url_ok("http://0.0.0.0/", 0));
    CHECK(!url_ok("http://[::1]/", 0) && url_ok("http://[::1]/", 1));
    CHECK(!url_ok("http://[::ffff:127.0.0.1]/", 0));
    CHECK(!url_ok("http://[fd00::1]/", 0));
    CHECK(!url_ok("http://[fe80::1]/", 0));
    /* other spellings of loopback are normalised by the parser first */
    CHECK(!url_ok("http://127.1/", 0));
    CHECK(!url_ok("http://2130706433/", 0));
    CHECK(!url_ok("http://0x7f000001/", 0));
}

static int v4_private(const char *ip)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    inet_pton(AF_INET, ip, &a.sin_addr);
    return webhook_addr_is_private((struct sockaddr *)&a);
}

static int v6_private(const char *ip)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return webhook_addr_is_private((struct sockaddr *)&a);
}

static void test_webhook_addresses(void)
{
    CHECK(v4_private("127.0.0.1") && v4_private("127.255.0.9") && v4_private("10.0.0.1"));
    CHECK(v4_private("172.16.5.4") && v4_private("172.31.255.255") && !v4_private("172.32.0.1"));
    CHECK(v4_private("192.168.0.1") && v4_private("169.254.169.254") && v4_private("0.0.0.0"));
    CHECK(v4_private("100.64.0.1") && !v4_private("100.128.0.1"));
    CHECK(v4_private("224.0.0.1") && v4_private("255.255.255.255") && v4_private("198.18.0.1"));
    CHECK(!v4_private("8.8.8.8") && !v4_private("93.184.216.34") && !v4_private("11.0.0.1"));
    CHECK(v6_private("::1") && v6_private("::") && v6_private("fe80::1") && v6_private("fc00::1"));
    CHECK(v6_private("fd12:3456::1") && v6_private("ff02::1") && v6_private("2001:db8::1"));
    CHECK(v6_private("::ffff:10.0.0.1") && !v6_private("::ffff:8.8.8.8"));
    CHECK(v6_private("64:ff9b::7f00:1") && !v6_private("64:ff9b::808:808"));
    CHECK(v6_private("2002:7f00:1::") && !v6_private("2002:808:808::"));
    CHECK(!v6_private("2606:4700:4700::1111"));
    {
        struct sockaddr other;
        memset(&other, 0, sizeof other);
        other.sa_family = AF_UNIX;
        CHECK(webhook_addr_is_private(&other));
        CHECK(webhook_addr_is_private(NULL));
    }
}

static void test_event_type_patterns(void)
{
    CHECK(events_type_pattern_is_valid("*"));
    CHECK(events_type_pattern_is_valid("case.*"));
    CHECK(events_type_pattern_is_valid("case.created"));
    CHECK(events_type_pattern_is_valid("coverage_check.completed"));
    CHECK(!events_type_pattern_is_valid("case"));
    CHECK(!events_type_pattern_is_valid("Case.created"));
    CHECK(!events_type_pattern_is_valid("case.created.x"));
    CHECK(!events_type_pattern_is_valid("*.created"));
    CHECK(!events_type_pattern_is_valid("case."));
    CHECK(!events_type_pattern_is_valid(".created"));
    CHECK(!events_type_pattern_is_valid("case.cre ated"));
    CHECK(!events_type_pattern_is_valid(""));
    CHECK(!events_type_pattern_is_valid(NULL));
}

struct unit_test {
    const char *name;
    void (*fn)(void);
};

int main(void)
{
    static const struct unit_test tests[] = {
        {"b64url_round_trip", test_b64url_round_trip},
        {"uuid_and_dates", test_uuid_and_dates},
        {"sha256", test_sha256},
        {"apperr", test_apperr},
        {"ratelimit", test_ratelimit},
        {"auth_verify", test_auth_verify},
        {"webhook_signature", test_webhook_signature},
        {"webhook_backoff", test_webhook_backoff},
        {"webhook_url_check", test_webhook_url_check},
        {"webhook_addresses", test_webhook_addresses},
        {"event_type_patterns", test_event_type_patterns},
    };
    int passed = 0, failed = 0;
    size_t i;
    for (i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        int before = unit_failures;
        tests[i].fn();
        if (unit_failures == before) {
            passed++;
            printf("ok unit.%s\n", tests[i].name);
        } else {
            failed++;
            printf("FAIL unit.%s\n", tests[i].name);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
