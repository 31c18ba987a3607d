/* Unit tests for the pure parts of webhook delivery (internal/webhooks/
 * outbound: signature, back-off, destination checks) and the event-type
 * patterns subscriptions use (internal/events). */
#include <arpa/inet.h>
#include <stdio.h>
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

static int url_ok(const char *url)
{
    char why[128];
    return webhook_url_check(url, why, sizeof why) == 0;
}

static void test_webhook_url_check(void)
{
    CHECK(url_ok("https://crm.example.org/hooks/cso"));
    CHECK(url_ok("http://crm.example.org:8443/hooks?team=7"));
    CHECK(url_ok("HTTPS://CRM.EXAMPLE.ORG/x"));
    CHECK(url_ok("https://93.184.216.34/x"));
    CHECK(url_ok("https://[2606:2800:220:1:248:1893:25c8:1946]/x"));
    CHECK(!url_ok("ftp://crm.example.org/x"));
    CHECK(!url_ok("file:///etc/passwd"));
    CHECK(!url_ok("gopher://crm.example.org/"));
    CHECK(!url_ok("crm.example.org/hooks"));
    CHECK(!url_ok("https://user:pw@crm.example.org/"));
    CHECK(!url_ok("https://user@crm.example.org/"));
    CHECK(!url_ok("https://crm.example.org/#frag"));
    CHECK(!url_ok("https://crm.example.org/a b"));
    CHECK(!url_ok("https:///nohost"));
    CHECK(!url_ok(""));
}

static int v4_allowed(const char *ip)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    CHECK(inet_pton(AF_INET, ip, &a.sin_addr) == 1);
    return outbound_address_allowed((struct sockaddr *)&a);
}

static int v6_allowed(const char *ip)
{
    struct sockaddr_in6 a;
    memset(&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    CHECK(inet_pton(AF_INET6, ip, &a.sin6_addr) == 1);
    return outbound_address_allowed((struct sockaddr *)&a);
}

/* The address rule, one row per range (and its edges). */
static void test_outbound_address_allowed(void)
{
    static const struct {
        const char *ip;
        int allowed;
    } rows[] = {
        {"127.0.0.1", 0},
        {"127.255.0.9", 0},
        {"10.0.0.1", 0},
        {"172.16.5.4", 0},
        {"172.31.255.255", 0},
        {"172.32.0.1", 1},
        {"192.168.0.1", 0},
        {"169.254.169.254", 0},
        {"0.0.0.0", 0},
        {"0.1.2.3", 0},
        {"100.64.0.1", 0},
        {"100.127.255.255", 0},
        {"100.128.0.1", 1},
        {"100.63.255.255", 1},
        {"224.0.0.1", 0},
        {"239.255.255.250", 0},
        {"255.255.255.255", 0},
        {"240.0.0.1", 0},
        {"198.18.0.1", 0},
        {"198.19.255.255", 0},
        {"198.20.0.1", 1},
        {"192.0.2.1", 0},
        {"198.51.100.7", 0},
        {"203.0.113.9", 0},
        {"192.0.0.8", 0},
        {"8.8.8.8", 1},
        {"93.184.216.34", 1},
        {"11.0.0.1", 1},
        {"1.1.1.1", 1},
        {"::1", 0},
        {"::", 0},
        {"fe80::1", 0},
        {"febf::1", 0},
        {"fec0::1", 0},
        {"fc00::1", 0},
        {"fd12:3456::1", 0},
        {"ff02::1", 0},
        {"ff0e::1", 0},
        {"2001:db8::1", 0},
        {"2001::1", 0},
        {"100::1", 0},
        {"::ffff:127.0.0.1", 0},
        {"::ffff:7f00:1", 0},
        {"::ffff:10.0.0.1", 0},
        {"::ffff:169.254.169.254", 0},
        {"::ffff:8.8.8.8", 1},
        {"::127.0.0.1", 0},
        {"::8.8.8.8", 0},
        {"64:ff9b::7f00:1", 0},
        {"64:ff9b::a9fe:a9fe", 0},
        {"64:ff9b::808:808", 1},
        {"2002:7f00:1::", 0},
        {"2002:c0a8:1::1", 0},
        {"2002:808:808::", 1},
        {"2606:4700:4700::1111", 1},
        {"2a00:1450:4001::200e", 1},
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = strchr(rows[i].ip, ':') ? v6_allowed(rows[i].ip) : v4_allowed(rows[i].ip);
        if (got != rows[i].allowed)
            fprintf(stderr, "  %s: allowed=%d, want %d\n", rows[i].ip, got, rows[i].allowed);
        CHECK(got == rows[i].allowed);
    }
    {
        struct sockaddr other;
        memset(&other, 0, sizeof other);
        other.sa_family = AF_UNIX;
        CHECK(!outbound_address_allowed(&other));
        CHECK(!outbound_address_allowed(NULL));
    }
}

/* A resolver for tests: names from a table, no DNS. "rebind.example" has
 * one public and one private answer. */
static int fake_resolve(const char *name, struct sockaddr_storage *out, size_t max, size_t *n,
                        void *ctx)
{
    static const struct {
        const char *name, *addr;
    } table[] = {
        {"crm.example.org", "93.184.216.34"}, {"crm.example.org", "2606:2800:220:1::1"},
        {"crm.example.org", "93.184.216.34"}, {"loop.example", "127.0.0.1"},
        {"meta.example", "169.254.169.254"},  {"mapped.example", "::ffff:127.0.0.1"},
        {"rebind.example", "93.184.216.34"},  {"rebind.example", "10.0.0.7"},
        {"cgnat.example", "100.64.1.1"},      {"nat64.example", "64:ff9b::a00:1"},
    };
    size_t i;
    int *calls = ctx;
    if (calls)
        (*calls)++;
    *n = 0;
    for (i = 0; i < sizeof table / sizeof table[0] && *n < max; i++) {
        if (strcmp(table[i].name, name) != 0)
            continue;
        memset(&out[*n], 0, sizeof out[*n]);
        if (strchr(table[i].addr, ':')) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)&out[*n];
            a->sin6_family = AF_INET6;
            inet_pton(AF_INET6, table[i].addr, &a->sin6_addr);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)(void *)&out[*n];
            a->sin_family = AF_INET;
            inet_pton(AF_INET, table[i].addr, &a->sin_addr);
        }
        (*n)++;
    }
    return *n ? 0 : -1;
}

/* 1 if a URL (valid syntax) may be registered with the address rule on. */
static int dest_ok(const char *url, struct outbound_dest *d, int *calls)
{
    char why[160];
    CHECK(url_ok(url));
    if (outbound_parse_url(url, d, why, sizeof why) != 0)
        return 0;
    return outbound_check_destination(d, 0, fake_resolve, calls, why, sizeof why) == 0;
}

/* Every textual form of a host, literal or name, comes to the same rule. */
static void test_outbound_host_forms(void)
{
    static const char *const refused[] = {
        "http://127.0.0.1:8080/",
        "http://127.0.0.1./x",
        "http://127.0.0.1%2e/x",
        "http://2130706433/",
        "http://2130706433./",
        "http://0x7f000001/",
        "http://0x7f000001./",
        "http://0x7f.1/",
        "http://017700000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://127.1./",
        "http://0/",
        "http://0.0.0.0/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://198.18.0.1/",
        "http://192.0.2.1/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://%31%32%37.0.0.1/",
        "http://[::1]/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[0:0:0:0:0:ffff:127.0.0.1]/",
        "http://[::FFFF:7F00:1]/",
        "http://[64:ff9b::127.0.0.1]/",
        "http://[2002:7f00:1::1]/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[fe80::1%25eth0]/",
        "http://[::1%25lo]/",
        "http://[2606:4700:4700::1111%25eth0]/",
        "http://localhost/",
        "http://localhost./",
        "http://LOCALHOST/",
        "http://LocalHost./",
        "http://api.localhost/",
        "http://%6c%6f%63%61%6c%68%6f%73%74/",
        "http://loop.example/",
        "http://LOOP.EXAMPLE./",
        "http://meta.example/",
        "http://mapped.example/",
        "http://rebind.example/",
        "http://cgnat.example/",
        "http://nat64.example/",
        "http://nowhere.example/",
        "http://crm.example.org../",
        "http://.crm.example.org/",
    };
    static const char *const allowed[] = {
        "https://crm.example.org/hooks", "https://CRM.Example.ORG./hooks",
        "https://93.184.216.34/x",       "https://1572395042/x",
        "https://0x5d.0xb8.0xd8.0x22/x", "https://[2606:4700:4700::1111]/x",
        "https://[::ffff:8.8.8.8]/x",    "http://172.32.0.1/",
    };
    struct outbound_dest d;
    size_t i;
    int calls = 0;

    for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int ok = dest_ok(refused[i], &d, NULL);
        if (ok)
            fprintf(stderr, "  %s: allowed, should be refused\n", refused[i]);
        CHECK(!ok);
    }
    for (i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        int ok = dest_ok(allowed[i], &d, NULL);
        if (!ok)
            fprintf(stderr, "  %s: refused, should be allowed\n", allowed[i]);
        CHECK(ok);
    }
    /* Literals are never sent to the resolver; names are, in canonical form. */
    CHECK(dest_ok("http://0x7f.1/", &d, &calls) == 0 && calls == 0 && d.literal);
    CHECK(dest_ok("https://CRM.Example.ORG./x", &d, &calls) && calls == 1 && !d.literal);
    CHECK(!strcmp(d.name, "crm.example.org") && !strcmp(d.host, "CRM.Example.ORG.") &&
          d.port == 443);
    /* the duplicate answer is kept once */
    CHECK(d.naddrs == 2);
    /* the escape hatch lifts the rule, not the resolution */
    {
        char why[160];
        CHECK(outbound_parse_url("http://loop.example:81/", &d, why, sizeof why) == 0);
        CHECK(outbound_check_destination(&d, 1, fake_resolve, NULL, why, sizeof why) == 0);
        CHECK(d.naddrs == 1 && d.port == 81);
        CHECK(outbound_parse_url("http://nowhere.example/", &d, why, sizeof why) == 0);
        CHECK(outbound_check_destination(&d, 1, fake_resolve, NULL, why, sizeof why) != 0);
        CHECK(strstr(why, "does not resolve") != NULL);
    }
}

/* Delivery connects only where it checked: the CURLOPT_RESOLVE entry names
 * curl's host and port and exactly the checked addresses, and the socket
 * guard's test accepts those and nothing else. */
static void test_outbound_pin(void)
{
    struct outbound_dest d;
    struct sockaddr_in other, checked;
    struct sockaddr_in6 checked6;
    char entry[OUTBOUND_RESOLVE_ENTRY_MAX], why[160], tiny[12];

    CHECK(dest_ok("https://CRM.Example.ORG./hooks", &d, NULL));
    CHECK(outbound_resolve_entry(&d, entry, sizeof entry) == 0);
    CHECK(!strcmp(entry, "CRM.Example.ORG.:443:93.184.216.34,[2606:2800:220:1::1]"));
    CHECK(outbound_resolve_entry(&d, tiny, sizeof tiny) != 0);
    CHECK(dest_ok("http://crm.example.org:8080/x", &d, NULL));
    CHECK(outbound_resolve_entry(&d, entry, sizeof entry) == 0);
    CHECK(!strcmp(entry, "crm.example.org:8080:93.184.216.34,[2606:2800:220:1::1]"));

    memset(&checked, 0, sizeof checked);
    checked.sin_family = AF_INET;
    checked.sin_port = htons(8080);
    inet_pton(AF_INET, "93.184.216.34", &checked.sin_addr);
    memset(&checked6, 0, sizeof checked6);
    checked6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "2606:2800:220:1::1", &checked6.sin6_addr);
    other = checked;
    inet_pton(AF_INET, "93.184.216.35", &other.sin_addr);
    CHECK(outbound_dest_pinned(&d, (struct sockaddr *)&checked));
    CHECK(outbound_dest_pinned(&d, (struct sockaddr *)&checked6));
    CHECK(!outbound_dest_pinned(&d, (struct sockaddr *)&other));
    /* a rebinding answer curl might have got on its own */
    inet_pton(AF_INET, "127.0.0.1", &other.sin_addr);
    CHECK(!outbound_dest_pinned(&d, (struct sockaddr *)&other));
    CHECK(!outbound_dest_pinned(&d, NULL));

    /* a literal needs no entry; its one address is the pin */
    CHECK(dest_ok("https://93.184.216.34:8443/x", &d, NULL));
    CHECK(outbound_resolve_entry(&d, entry, sizeof entry) != 0);
    CHECK(outbound_dest_pinned(&d, (struct sockaddr *)&checked));
    /* nothing checked, nothing to pin */
    CHECK(outbound_parse_url("http://crm.example.org/", &d, why, sizeof why) == 0);
    CHECK(outbound_resolve_entry(&d, entry, sizeof entry) != 0);
    CHECK(!outbound_dest_pinned(&d, (struct sockaddr *)&checked));
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
    {"outbound_address_allowed", test_outbound_address_allowed},
    {"outbound_host_forms", test_outbound_host_forms},
    {"outbound_pin", test_outbound_pin},
    {"event_type_patterns", test_event_type_patterns},
    {NULL, NULL},
};
