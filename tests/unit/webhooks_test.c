/* Unit tests for the pure parts of webhook delivery (internal/webhooks/
 * outbound: signature, back-off, destination checks) and the event-type
 * patterns subscriptions use (internal/events). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "events/events.h"
#include "webhooks/outbound.h"
#include "unit.h"

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

const struct unit_test webhooks_tests[] = {
    {"webhook_signature", test_webhook_signature},
    {"webhook_backoff", test_webhook_backoff},
    {"webhook_url_check", test_webhook_url_check},
    {"webhook_addresses", test_webhook_addresses},
    {"event_type_patterns", test_event_type_patterns},
    {NULL, NULL},
};
