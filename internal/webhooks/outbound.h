/* outbound: the rules every webhook request follows, kept free of I/O so
 * they can be unit-tested: which destinations the service will POST to,
 * how a delivery is signed, and how long to wait before retrying.
 *
 * SSRF: the service POSTs to URLs that admins type in, from inside the
 * network it runs in. A URL pointing at loopback, a private range, link-local
 * (cloud metadata at 169.254.169.254) or the like would let a stolen admin
 * token probe or poke internal services. So only http and https are accepted,
 * credentials in the URL and fragments are refused, IP literals and
 * "localhost" in non-public ranges are refused at registration, and - since
 * a public name can resolve to a private address, or change what it
 * resolves to later (DNS rebinding) - every address the worker is about to
 * connect to is checked again at connect time. Redirects are never followed
 * and proxies from the environment are not used. WEBHOOK_ALLOW_PRIVATE=1
 * turns the address checks off (tests and private labs only). */
#ifndef CSO_WEBHOOKS_OUTBOUND_H
#define CSO_WEBHOOKS_OUTBOUND_H

#include <stddef.h>
#include <sys/socket.h>

#define WEBHOOK_URL_MAX 2048

/* Checks a webhook URL as described above. Returns 0 if acceptable, else -1
 * with a short reason (no URL text) in why. */
int webhook_url_check(const char *url, int allow_private, char *why, size_t whylen);

/* 1 if the address is not a public unicast address (loopback, private,
 * link-local, CGNAT, multicast, documentation, unspecified, IPv4-mapped or
 * NAT64 forms of those, ...), 0 if public. Unknown families count as not
 * public. */
int webhook_addr_is_private(const struct sockaddr *sa);

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
