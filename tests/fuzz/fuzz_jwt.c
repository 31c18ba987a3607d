/* libFuzzer target: JWT verification (auth_verify) with a fixed HS256
 * configuration, as the dispatcher calls it for every Authorization header.
 *
 * Input, first byte even ("0..."): the rest is the token as sent.
 * Input, first byte odd ("1..."): the rest is "<header JSON>\n<claims JSON>";
 * the harness signs it with the configured secret, so the fuzzer reaches the
 * header and claims checks that a forged signature would never pass.
 *
 * Besides crashes and sanitizer reports, it aborts when a result breaks the
 * contract in auth.h: an accepted token yields a known role, a subject of
 * 1-128 visible ASCII characters and (for specialists) a UUID; a refused one
 * yields a reason and a zeroed principal. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "util/util.h"

#define FUZZ_SECRET "fuzz-secret-0123456789abcdefghijklmnop"
#define FUZZ_ISSUER "https://auth.fuzz.second-opinion.local"
#define FUZZ_AUDIENCE "cso-api-fuzz"
#define FUZZ_NOW 1767225600L /* 2026-01-01T00:00:00Z; seeds expire an hour later */

static struct config cfg;
static struct auth_verifier *verifier;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    cfg.jwt_alg = "HS256";
    cfg.jwt_key = (unsigned char *)FUZZ_SECRET;
    cfg.jwt_key_len = strlen(FUZZ_SECRET);
    cfg.jwt_issuer = FUZZ_ISSUER;
    cfg.jwt_audience = FUZZ_AUDIENCE;
    verifier = auth_verifier_new(&cfg);
    return verifier ? 0 : 1;
}

static char *b64(const void *data, size_t len)
{
    return b64url_encode((const unsigned char *)data, len);
}

/* "<b64 header>.<b64 claims>.<b64 HMAC-SHA256>" of the two JSON texts. */
static char *sign(const char *header, size_t hlen, const char *claims, size_t clen)
{
    char *h = b64(header, hlen), *c = b64(claims, clen), *sig, *out = NULL;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    size_t n;
    if (!h || !c)
        goto done;
    n = strlen(h) + strlen(c) + 2;
    out = malloc(n + 64);
    if (!out)
        goto done;
    snprintf(out, n, "%s.%s", h, c);
    HMAC(EVP_sha256(), FUZZ_SECRET, (int)strlen(FUZZ_SECRET), (unsigned char *)out, strlen(out),
         mac, &maclen);
    sig = b64(mac, maclen);
    if (sig) {
        snprintf(out + strlen(out), 64, ".%s", sig);
        free(sig);
    }
done:
    free(h);
    free(c);
    return out;
}

static void check_result(int rc, const struct principal *p, const char *reason)
{
    size_t i, n;
    if (rc == 0) {
        if (p->role != ROLE_PATIENT && p->role != ROLE_NAVIGATOR && p->role != ROLE_SPECIALIST &&
            p->role != ROLE_ADMIN)
            abort();
        n = strlen(p->sub);
        if (n == 0 || n > 128)
            abort();
        for (i = 0; i < n; i++)
            if ((unsigned char)p->sub[i] < 0x21 || (unsigned char)p->sub[i] > 0x7e)
                abort();
        if ((p->role == ROLE_SPECIALIST) != (p->specialist_id[0] != 0))
            abort();
        if (p->specialist_id[0] && !uuid_is_valid(p->specialist_id))
            abort();
    } else {
        static const struct principal zero;
        if (rc != -1 || !reason[0] || memcmp(p, &zero, sizeof zero) != 0)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct principal p;
    char reason[64];
    char *token;
    int rc;
    if (size < 1 || size > 2 * AUTH_MAX_TOKEN_BYTES)
        return 0;
    if (data[0] & 1) {
        const char *rest = (const char *)data + 1;
        const char *nl = memchr(rest, '\n', size - 1);
        if (!nl)
            return 0;
        token = sign(rest, (size_t)(nl - rest), nl + 1, size - 1 - (size_t)(nl - rest) - 1);
    } else {
        token = strndup((const char *)data + 1, size - 1);
    }
    if (!token)
        return 0;
    reason[0] = 0;
    rc = auth_verify(verifier, token, FUZZ_NOW, &p, reason, sizeof reason);
    check_result(rc, &p, reason);
    /* a second call may be answered from the cache: same answer */
    {
        struct principal again;
        char reason2[64] = "";
        int rc2 = auth_verify(verifier, token, FUZZ_NOW, &again, reason2, sizeof reason2);
        if (rc2 != rc || (rc == 0 && memcmp(&again, &p, sizeof p) != 0))
            abort();
    }
    free(token);
    return 0;
}
