#include "outbound.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netdb.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

int outbound_address_allowed(const struct sockaddr *sa)
{
    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET)
        return !v4_is_private(
            ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return !v6_is_private(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    return 0;
}

static int same_address(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET)
        return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
               ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
    if (a->sa_family == AF_INET6)
        return !memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                       &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16);
    return 0;
}

/* Every name that means this machine whatever the resolver says. */
static int is_local_name(const char *name)
{
    size_t n = strlen(name);
    return !strcmp(name, "localhost") || (n > 10 && !strcmp(name + n - 10, ".localhost"));
}

int outbound_parse_host(const char *host, struct outbound_dest *d, char *why, size_t whylen)
{
    char buf[OUTBOUND_HOST_MAX];
    size_t n = host ? strlen(host) : 0, i;
    struct in_addr v4;

    d->literal = 0;
    d->naddrs = 0;
    if (!n || n >= sizeof buf)
        return fail(why, whylen, "must name a host of at most 253 characters");
    snprintf(d->host, sizeof d->host, "%s", host);
    if (host[0] == '[') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)&d->addrs[0];
        if (n < 3 || host[n - 1] != ']')
            return fail(why, whylen, "is not a valid IPv6 address");
        memcpy(buf, host + 1, n - 2);
        buf[n - 2] = 0;
        /* A zone id only ever selects a local interface for a link-local
         * address: nothing a public destination needs. */
        if (strchr(buf, '%'))
            return fail(why, whylen, "must not use an IPv6 zone id");
        memset(a, 0, sizeof *a);
        a->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, buf, &a->sin6_addr) != 1)
            return fail(why, whylen, "is not a valid IPv6 address");
        snprintf(d->name, sizeof d->name, "%s", buf);
        d->literal = 1;
        d->naddrs = 1;
        return 0;
    }
    /* The resolver and curl treat "name." as "name", and case never
     * matters: compare the one canonical form. Percent-encoding is decoded
     * by curl's URL parser already; any left means a host curl would not
     * send as it is written, so it is not trusted. */
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)host[i];
        if (!(isalnum(c) || c == '-' || c == '.' || c == '_'))
            return fail(why, whylen, "must be a host name or an IP address");
        buf[i] = (char)tolower(c);
    }
    buf[n] = 0;
    if (buf[n - 1] == '.')
        buf[--n] = 0;
    if (!n || buf[0] == '.' || strstr(buf, ".."))
        return fail(why, whylen, "must be a host name or an IP address");
    snprintf(d->name, sizeof d->name, "%s", buf);
    /* inet_aton reads every form the C library (and so curl's resolver and
     * the kernel's tools) accept as IPv4: 2130706433, 0x7f.1, 017700000001,
     * 127.1. Whatever curl did not normalise, this does. */
    if (inet_aton(buf, &v4) == 1) {
        struct sockaddr_in *a = (struct sockaddr_in *)(void *)&d->addrs[0];
        memset(a, 0, sizeof *a);
        a->sin_family = AF_INET;
        a->sin_addr = v4;
        d->literal = 1;
        d->naddrs = 1;
    }
    return 0;
}

int outbound_parse_url(const char *url, struct outbound_dest *d, char *why, size_t whylen)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, *zone = NULL;
    int rc = -1;

    memset(d, 0, sizeof *d);
    if (!u)
        return fail(why, whylen, "could not be checked");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        fail(why, whylen, "is not a valid URL");
        goto out;
    }
    /* curl takes the zone id out of the host and would still use it. */
    if (curl_url_get(u, CURLUPART_ZONEID, &zone, 0) == CURLUE_OK) {
        fail(why, whylen, "must not use an IPv6 zone id");
        goto out;
    }
    d->port = atoi(port);
    if (d->port <= 0 || d->port > 65535) {
        fail(why, whylen, "has an invalid port");
        goto out;
    }
    rc = outbound_parse_host(host, d, why, whylen);
out:
    curl_free(host);
    curl_free(port);
    curl_free(zone);
    curl_url_cleanup(u);
    return rc;
}

int outbound_resolve_system(const char *name, struct sockaddr_storage *out, size_t max, size_t *n,
                            void *ctx)
{
    struct addrinfo hints, *res = NULL, *ai;
    (void)ctx;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    *n = 0;
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return -1;
    for (ai = res; ai && *n < max; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) || ai->ai_addrlen > sizeof *out)
            continue;
        memset(&out[*n], 0, sizeof *out);
        memcpy(&out[*n], ai->ai_addr, ai->ai_addrlen);
        (*n)++;
    }
    freeaddrinfo(res);
    return *n ? 0 : -1;
}

int outbound_check_destination(struct outbound_dest *d, int allow_private,
                               outbound_resolver resolve, void *ctx, char *why, size_t whylen)
{
    struct sockaddr_storage got[OUTBOUND_RESOLVE_MAX];
    size_t n = 0, i, kept = 0;

    if (!d->literal) {
        if (!allow_private && is_local_name(d->name))
            return fail(why, whylen, "points at this machine (localhost)");
        if (resolve(d->name, got, OUTBOUND_RESOLVE_MAX, &n, ctx) != 0 || n == 0)
            return fail(why, whylen, "names a host that does not resolve");
    } else {
        memcpy(got, d->addrs, sizeof got[0]);
        n = 1;
    }
    /* Every answer, not just the first: curl may try any of them, and a
     * name with one public and one private answer is a rebinding setup. */
    for (i = 0; i < n; i++) {
        if (!allow_private && !outbound_address_allowed((struct sockaddr *)&got[i]))
            return fail(why, whylen,
                        "resolves to an address that is not allowed (loopback, private, "
                        "link-local, multicast, reserved or one embedding such an address)");
    }
    for (i = 0; i < n && kept < OUTBOUND_PIN_MAX; i++) {
        size_t j;
        for (j = 0; j < kept; j++)
            if (same_address((struct sockaddr *)&got[i], (struct sockaddr *)&d->addrs[j]))
                break;
        if (j == kept)
            d->addrs[kept++] = got[i];
    }
    d->naddrs = kept;
    return 0;
}

int outbound_dest_pinned(const struct outbound_dest *d, const struct sockaddr *sa)
{
    size_t i;
    if (!sa)
        return 0;
    for (i = 0; i < d->naddrs; i++)
        if (same_address((const struct sockaddr *)&d->addrs[i], sa))
            return 1;
    return 0;
}

int outbound_resolve_entry(const struct outbound_dest *d, char *out, size_t outlen)
{
    size_t i, off;
    int w;
    if (d->literal || d->naddrs == 0)
        return -1;
    w = snprintf(out, outlen, "%s:%d:", d->host, d->port);
    if (w < 0 || (size_t)w >= outlen)
        return -1;
    off = (size_t)w;
    for (i = 0; i < d->naddrs; i++) {
        char ip[INET6_ADDRSTRLEN];
        const struct sockaddr *sa = (const struct sockaddr *)&d->addrs[i];
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, ip,
                      sizeof ip);
        else
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, ip,
                      sizeof ip);
        /* IPv6 in brackets: curl splits the entry at colons otherwise. */
        w = snprintf(out + off, outlen - off, sa->sa_family == AF_INET6 ? "%s[%s]" : "%s%s",
                     i ? "," : "", ip);
        if (w < 0 || (size_t)w >= outlen - off)
            return -1;
        off += (size_t)w;
    }
    return 0;
}

int webhook_url_check(const char *url, char *why, size_t whylen)
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
