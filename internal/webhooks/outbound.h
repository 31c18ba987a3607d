/* outbound: the rules every webhook request follows, kept free of I/O so
 * they can be unit-tested: which destinations the service will POST to,
 * how a delivery is signed, and how long to wait before retrying.
 *
 * SSRF: the service POSTs to URLs that admins type in, from inside the
 * network it runs in. A URL pointing at loopback, a private range, link-local
 * (cloud metadata at 169.254.169.254) or the like would let a stolen admin
 * token probe or poke internal services. So only http and https are accepted,
 * credentials in the URL and fragments are refused, and the host - in
 * whatever textual form, literal or name - is resolved at registration and
 * every answer must be a public address (a name that does not resolve is
 * refused). A name can change what it resolves to later (DNS rebinding), so
 * every delivery resolves and checks again, pins curl to exactly the
 * addresses it checked (CURLOPT_RESOLVE) and refuses any socket to another
 * address. Redirects are never followed and proxies from the environment
 * are not used. WEBHOOK_ALLOW_PRIVATE=1 turns the address rule (and the
 * resolution at registration) off: tests and private labs only. */
#ifndef CSO_WEBHOOKS_OUTBOUND_H
#define CSO_WEBHOOKS_OUTBOUND_H

#include <stddef.h>
#include <sys/socket.h>
#include <netinet/in.h>

#define WEBHOOK_URL_MAX 2048

/* Checks the syntax of a webhook URL as described above (scheme, host
 * present, no credentials or fragment). Where it points is the business of
 * outbound_check_destination. Returns 0 if acceptable, else -1 with a short
 * reason (no URL text) in why. */
int webhook_url_check(const char *url, char *why, size_t whylen);

/* The one address rule, used at registration and for every connection
 * the worker opens: 1 if sa is a public unicast address, 0 if it is
 * loopback, private, link-local, CGNAT, multicast, broadcast, benchmark,
 * documentation, unspecified or reserved, or an IPv6 form embedding one of
 * those (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo). Unknown
 * families and NULL are not allowed. */
int outbound_address_allowed(const struct sockaddr *sa);

#define OUTBOUND_HOST_MAX 256
#define OUTBOUND_PIN_MAX 8      /* checked addresses kept for one attempt */
#define OUTBOUND_RESOLVE_MAX 32 /* answers looked at (all must pass) */

/* Where a URL points, for one check: the host as curl reads it from the
 * URL (what curl looks up, so what a CURLOPT_RESOLVE entry must name), its
 * canonical form (lowercase, no root dot, no brackets), the port, and the
 * addresses checked. A plain value: no pointers, nothing to free. */
struct outbound_dest {
    char host[OUTBOUND_HOST_MAX];
    char name[OUTBOUND_HOST_MAX];
    int port;
    int literal; /* the host is an IP address (every textual IPv4 form counts) */
    size_t naddrs;
    struct sockaddr_storage addrs[OUTBOUND_PIN_MAX];
};

/* Parses a host as curl's URL parser returns it (a name, an IPv4 address
 * in any inet_aton form, or a bracketed IPv6 address) into d's host, name
 * and, for literals, addrs[0]. Zone ids and characters no host name has are
 * refused. Returns 0, or -1 with the reason in why. */
int outbound_parse_host(const char *host, struct outbound_dest *d, char *why, size_t whylen);

/* The same from a whole URL (which webhook_url_check accepted), with its
 * port (the scheme's default when none is given). */
int outbound_parse_url(const char *url, struct outbound_dest *d, char *why, size_t whylen);

/* Name resolution, injectable so the rules can be tested without DNS:
 * up to max addresses of name into out (*n of them); 0, or -1 when the name
 * does not resolve. outbound_resolve_system is getaddrinfo (blocking). */
typedef int (*outbound_resolver)(const char *name, struct sockaddr_storage *out, size_t max,
                                 size_t *n, void *ctx);
int outbound_resolve_system(const char *name, struct sockaddr_storage *out, size_t max, size_t *n,
                            void *ctx);

/* Resolves d (a literal resolves to itself) and checks every answer with
 * outbound_address_allowed; "localhost" and *.localhost are refused
 * without asking. On success d->addrs holds the checked addresses (at most
 * OUTBOUND_PIN_MAX, de-duplicated): the only ones a delivery may connect to.
 * allow_private skips the address rule (WEBHOOK_ALLOW_PRIVATE), never the
 * resolution. Returns 0, or -1 with the reason in why (a name that does not
 * resolve is refused too). */
int outbound_check_destination(struct outbound_dest *d, int allow_private,
                               outbound_resolver resolve, void *ctx, char *why, size_t whylen);

/* 1 if sa's address is one of d's checked addresses (the port is curl's
 * business), else 0. */
int outbound_dest_pinned(const struct outbound_dest *d, const struct sockaddr *sa);

/* The CURLOPT_RESOLVE entry that pins d's host to its checked addresses:
 * "host:port:addr[,addr...]", IPv6 addresses in brackets. Returns 0, or -1
 * when there is nothing to pin (a literal host, no addresses) or out is too
 * small. */
#define OUTBOUND_RESOLVE_ENTRY_MAX (OUTBOUND_HOST_MAX + 16 + OUTBOUND_PIN_MAX * 48)
int outbound_resolve_entry(const struct outbound_dest *d, char *out, size_t outlen);

/* The signature header value for a delivery:
 *   t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * Receivers recompute v1 over the raw body with their copy of the secret,
 * compare in constant time, and reject t more than a few minutes from their
 * clock to stop replays. out must hold WEBHOOK_SIGNATURE_MAX bytes.
 * Returns 0, or -1 on a crypto failure. */
#define WEBHOOK_SIGNATURE_MAX 96
int webhook_sign(const char *secret, long timestamp, const char *body, size_t body_len,
                 char out[WEBHOOK_SIGNATURE_MAX]);

/* Delay before the next attempt after `failures` consecutive failures
 * (>= 1): base * 2^(failures-1), capped at cap, then reduced by up to 20%
 * at random (r in [0,1)) so that many subscriptions failing together do not
 * retry in lock step. Never more than cap, and each step's range lies above
 * the previous one's until the cap. */
long webhook_backoff_ms(int failures, long base_ms, long cap_ms, double r);

#endif
