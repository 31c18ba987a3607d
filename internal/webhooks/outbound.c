#include "outbound.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int fail(char *why, size_t whylen, const char *msg)
{
    snprintf(why, whylen, "%s", msg);
    return -1;
}

static int v4_is_private(uint32_t a)
{
    static const struct {
        uint32_t net, mask;
    } ranges[] = {
        {0x00000000u, 0xff000000u}, /* 0.0.0.0/8 "this network" */
        {0x0a000000u, 0xff000000u}, /* 10/8 */
        {0x64400000u, 0xffc00000u}, /* 100.64/10 carrier-grade NAT */
        {0x7f000000u, 0xff000000u}, /* 127/8 loopback */
        {0xa9fe0000u, 0xffff0000u}, /* 169.254/16 link-local, cloud metadata */
        {0xac100000u, 0xfff00000u}, /* 172.16/12 */
        {0xc0000000u, 0xffffff00u}, /* 192.0.0/24 protocol assignments */
        {0xc0000200u, 0xffffff00u}, /* 192.0.2/24 documentation */
        {0xc0a80000u, 0xffff0000u}, /* 192.168/16 */
        {0xc6120000u, 0xfffe0000u}, /* 198.18/15 benchmarking */
        {0xc6336400u, 0xffffff00u}, /* 198.51.100/24 documentation */
        {0xcb007100u, 0xffffff00u}, /* 203.0.113/24 documentation */
        {0xe0000000u, 0xf0000000u}, /* 224/4 multicast */
        {0xf0000000u, 0xf0000000u}, /* 240/4 reserved and broadcast */
    };
    size_t i;
    for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if ((a & ranges[i].mask) == ranges[i].net)
            return 1;
    return 0;
}

static uint32_t v4_at(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int v6_is_private(const unsigned char *b)
{
    static const unsigned char zeros[16] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12))
        return v4_is_private(v4_at(b + 12));
    if (!memcmp(b, zeros, 12))
        return 1; /* ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d */
    if (b[0] == 0x20 && b[1] == 0x02)
        return v4_is_private(v4_at(b + 2)); /* 6to4 embeds an IPv4 address */
    if ((b[0] & 0xfe) == 0xfc)
        return 1; /* fc00::/7 unique local */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return 1; /* fe80::/10 link-local */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return 1; /* fec0::/10 old site-local */
    if (b[0] == 0xff)
        return 1; /* multicast */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return 1; /* 2001:db8::/32 documentation */
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        return 1; /* 2001::/32 Teredo: tunnels to addresses we cannot see */
    if (b[0] == 0x01 && b[1] == 0 && !memcmp(b + 2, zeros, 6))
        return 1; /* 100::/64 discard */
    return 0;
}

int webhook_addr_is_private(const struct sockaddr *sa)
{
    if (!sa)
        return 1;
    if (sa->sa_family == AF_INET)
        return v4_is_private(
            ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return v6_is_private(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    return 1;
}

/* A host as the URL parser returns it: a name, a dotted IPv4 address or a
 * bracketed IPv6 address. */
static int host_is_private(const char *host)
{
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    char buf[256];
    size_t n = strlen(host);

    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof buf) {
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = 0;
        memset(&v6, 0, sizeof v6);
        v6.sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, buf, &v6.sin6_addr) != 1)
            return 1;
        return webhook_addr_is_private((struct sockaddr *)&v6);
    }
    memset(&v4, 0, sizeof v4);
    v4.sin_family = AF_INET;
    if (inet_pton(AF_INET, host, &v4.sin_addr) == 1)
        return webhook_addr_is_private((struct sockaddr *)&v4);
    /* Names that always mean this machine, with or without the root dot. */
    snprintf(buf, sizeof buf, "%s", host);
    n = strlen(buf);
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = 0;
    if (!strcasecmp(buf, "localhost") || (n > 10 && !strcasecmp(buf + n - 10, ".localhost")))
        return 1;
    return 0;
}

int webhook_url_check(const char *url, int allow_private, char *why, size_t whylen)
{
    CURLU *u;
    char *scheme = NULL, *host = NULL, *part = NULL;
    size_t i, n;
    int rc = -1;

    if (!url || !(n = strlen(url)))
        return fail(why, whylen, "is required");
    if (n > WEBHOOK_URL_MAX)
        return fail(why, whylen, "must be at most 2048 characters");
    for (i = 0; i < n; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
            return fail(why, whylen,
                        "must be an absolute URL without spaces or non-ASCII characters");
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
        return fail(why, whylen, "must be an http or https URL");
    /* curl reads "https:///host" as https://host/; other parsers do not.
     * Only accept the form everyone reads the same way. */
    if (url[url[4] == ':' ? 7 : 8] == '/')
        return fail(why, whylen, "must name a host");
    if (!(u = curl_url()))
        return fail(why, whylen, "could not be checked");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        fail(why, whylen, "is not a valid URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        fail(why, whylen, "must be an http or https URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
        fail(why, whylen, "must not contain credentials; the secret authenticates deliveries");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
        fail(why, whylen, "must not contain a fragment");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
        fail(why, whylen, "must name a host");
        goto out;
    }
    if (strchr(host, '%')) {
        fail(why, whylen, "must not use an IPv6 zone id");
        goto out;
    }
    if (!allow_private && host_is_private(host)) {
        fail(why, whylen, "must not point at a loopback, private or link-local address");
        goto out;
    }
    rc = 0;
out:
    curl_free(part);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int webhook_sign(const char *secret, long timestamp, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_MAX])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "%ld.", timestamp), off, ok;
    size_t maclen = 0, i;
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *mc = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                           OSSL_PARAM_construct_end()};

    /* "<t>." then the body, fed separately so the body is not copied. */
    ok = mc && EVP_MAC_init(mc, (const unsigned char *)secret, strlen(secret), params) == 1 &&
         EVP_MAC_update(mc, (const unsigned char *)prefix, (size_t)plen) == 1 &&
         EVP_MAC_update(mc, (const unsigned char *)body, body_len) == 1 &&
         EVP_MAC_final(mc, mac, &maclen, sizeof mac) == 1 && maclen == 32;
    EVP_MAC_CTX_free(mc);
    EVP_MAC_free(m);
    if (!ok)
        return -1;
    off = snprintf(out, WEBHOOK_SIGNATURE_MAX, "t=%ld,v1=", timestamp);
    for (i = 0; i < maclen; i++)
        snprintf(out + off + 2 * i, 3, "%02x", mac[i]);
    return 0;
}

long webhook_backoff_ms(int failures, long base_ms, long cap_ms, double r)
{
    double d = (double)base_ms;
    int i;
    for (i = 1; i < failures && d < (double)cap_ms; i++)
        d *= 2;
    if (d > (double)cap_ms)
        d = (double)cap_ms;
    if (r < 0)
        r = 0;
    if (r >= 1)
        r = 0.999999;
    return (long)(d - d * 0.2 * r);
}
