#include "auth.h"

#include <jansson.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/util.h"

/* Verified-token cache. libjwt 1.10 parses the PEM key on every RS256/ES256
 * verification (about 0.7 ms), which would make authentication the ceiling.
 * A token that verified once verifies again until it expires, because the
 * key, issuer and audience are fixed for the life of the process; so the
 * principal is cached under the token's SHA-256 until min(exp + leeway,
 * now + AUTH_CACHE_TTL). Failures are never cached. */
#define AUTH_CACHE_SETS 2048
#define AUTH_CACHE_WAYS 4 /* 8192 tokens; a set is one stripe's unit */
#define AUTH_CACHE_STRIPES 64
#define AUTH_CACHE_TTL 300
/* 9999-12-31T23:59:59Z: the latest exp or nbf taken seriously. */
#define AUTH_MAX_TIMESTAMP 253402300799.0

/* Set-associative: a token competes only with the three others of its set
 * and the least recently used one leaves. (A direct-mapped table of the
 * same size made about one token in six collide with another active token
 * at a thousand callers, and the two then re-verified each other out.) */
struct cache_entry {
    unsigned char digest[32];
    long expires; /* 0 = empty */
    long used;    /* last hit or store, for eviction */
    struct principal who;
};

struct auth_verifier {
    const struct config *cfg;
    jwt_alg_t alg;
    EVP_MD *sha256; /* fetched once: an implicit fetch per digest costs a lookup */
    struct cache_entry *cache;
    pthread_mutex_t stripes[AUTH_CACHE_STRIPES];
};

struct auth_verifier *auth_verifier_new(const struct config *cfg)
{
    struct auth_verifier *v = calloc(1, sizeof *v);
    int i;
    if (!v)
        return NULL;
    v->cfg = cfg;
    v->alg = jwt_str_alg(cfg->jwt_alg);
    v->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    v->cache = calloc((size_t)AUTH_CACHE_SETS * AUTH_CACHE_WAYS, sizeof *v->cache);
    if (!v->cache || !v->sha256) {
        EVP_MD_free(v->sha256);
        free(v->cache);
        free(v);
        return NULL;
    }
    for (i = 0; i < AUTH_CACHE_STRIPES; i++)
        pthread_mutex_init(&v->stripes[i], NULL);
    return v;
}

void auth_verifier_free(struct auth_verifier *v)
{
    int i;
    if (!v)
        return;
    for (i = 0; i < AUTH_CACHE_STRIPES; i++)
        pthread_mutex_destroy(&v->stripes[i]);
    EVP_MD_free(v->sha256);
    free(v->cache);
    free(v);
}

static size_t cache_set(const unsigned char digest[32])
{
    size_t h;
    memcpy(&h, digest, sizeof h);
    return h % AUTH_CACHE_SETS;
}

static int cache_lookup(struct auth_verifier *v, const unsigned char digest[32], long now,
                        struct principal *out)
{
    size_t set = cache_set(digest);
    struct cache_entry *e = &v->cache[set * AUTH_CACHE_WAYS];
    pthread_mutex_t *mu = &v->stripes[set % AUTH_CACHE_STRIPES];
    int i, hit = 0;
    pthread_mutex_lock(mu);
    for (i = 0; i < AUTH_CACHE_WAYS; i++) {
        if (e[i].expires > now && !memcmp(e[i].digest, digest, 32)) {
            *out = e[i].who;
            e[i].used = now;
            hit = 1;
            break;
        }
    }
    pthread_mutex_unlock(mu);
    return hit;
}

static void cache_store(struct auth_verifier *v, const unsigned char digest[32], long now,
                        const struct principal *who)
{
    size_t set = cache_set(digest);
    struct cache_entry *e = &v->cache[set * AUTH_CACHE_WAYS], *victim = e;
    pthread_mutex_t *mu = &v->stripes[set % AUTH_CACHE_STRIPES];
    long expires = who->exp + AUTH_LEEWAY_SECONDS;
    int i;
    if (expires > now + AUTH_CACHE_TTL)
        expires = now + AUTH_CACHE_TTL;
    pthread_mutex_lock(mu);
    for (i = 0; i < AUTH_CACHE_WAYS; i++) {
        if (e[i].expires <= now || !memcmp(e[i].digest, digest, 32)) {
            victim = &e[i];
            break;
        }
        if (e[i].used < victim->used)
            victim = &e[i];
    }
    memcpy(victim->digest, digest, 32);
    victim->expires = expires;
    victim->used = now;
    victim->who = *who;
    pthread_mutex_unlock(mu);
}

/* SHA-256 of the token with a per-thread digest context, reused: the cache
 * lookup runs on every request and EVP_Digest allocates and frees one. The
 * key's destructor frees a thread's context when the thread ends. */
static pthread_key_t digest_key;
static pthread_once_t digest_once = PTHREAD_ONCE_INIT;

static void free_digest_ctx(void *ctx)
{
    EVP_MD_CTX_free(ctx);
}

static void make_digest_key(void)
{
    pthread_key_create(&digest_key, free_digest_ctx);
}

static int token_digest(struct auth_verifier *v, const char *token, unsigned char out[32])
{
    EVP_MD_CTX *ctx;
    unsigned int len = 0;
    pthread_once(&digest_once, make_digest_key);
    ctx = pthread_getspecific(digest_key);
    if (!ctx) {
        if (!(ctx = EVP_MD_CTX_new()))
            return -1;
        pthread_setspecific(digest_key, ctx);
    }
    if (EVP_DigestInit_ex2(ctx, v->sha256, NULL) != 1 ||
        EVP_DigestUpdate(ctx, token, strlen(token)) != 1 || EVP_DigestFinal_ex(ctx, out, &len) != 1)
        return -1;
    return len == 32 ? 0 : -1;
}

const char *role_name(enum role r)
{
    switch (r) {
    case ROLE_PATIENT:
        return "patient";
    case ROLE_NAVIGATOR:
        return "navigator";
    case ROLE_SPECIALIST:
        return "specialist";
    case ROLE_ADMIN:
        return "admin";
    default:
        return "none";
    }
}

enum role role_parse(const char *s)
{
    if (!s)
        return ROLE_NONE;
    if (!strcmp(s, "patient"))
        return ROLE_PATIENT;
    if (!strcmp(s, "navigator"))
        return ROLE_NAVIGATOR;
    if (!strcmp(s, "specialist"))
        return ROLE_SPECIALIST;
    if (!strcmp(s, "admin"))
        return ROLE_ADMIN;
    return ROLE_NONE;
}

static int fail(char *reason, size_t len, const char *msg)
{
    snprintf(reason, len, "%s", msg);
    return -1;
}

/* Decodes one base64url segment as a JSON object, refusing duplicate keys. */
static json_t *decode_segment(const char *seg, size_t len)
{
    size_t outlen = 0;
    unsigned char *raw = b64url_decode(seg, len, &outlen);
    json_t *obj;
    json_error_t jerr;
    if (!raw)
        return NULL;
    obj = json_loadb((const char *)raw, outlen, JSON_REJECT_DUPLICATES, &jerr);
    free(raw);
    if (obj && !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static int header_ok(const struct auth_verifier *v, json_t *hdr, char *reason, size_t rlen)
{
    static const char *const forbidden[] = {"jku", "jwk",      "x5u",  "x5c",
                                            "x5t", "x5t#S256", "crit", NULL};
    json_t *alg = json_object_get(hdr, "alg"), *typ = json_object_get(hdr, "typ"),
           *kid = json_object_get(hdr, "kid");
    int i;
    /* Exact, case-sensitive match: "none", "None", "HS256" on an RS256
     * service and the like all stop here, before any key is touched. */
    if (!json_is_string(alg) || strcmp(json_string_value(alg), v->cfg->jwt_alg) != 0)
        return fail(reason, rlen, "algorithm not allowed");
    for (i = 0; forbidden[i]; i++)
        if (json_object_get(hdr, forbidden[i]))
            return fail(reason, rlen, "header carries a key reference");
    if (typ && (!json_is_string(typ) || (strcasecmp(json_string_value(typ), "JWT") != 0 &&
                                         strcasecmp(json_string_value(typ), "at+jwt") != 0)))
        return fail(reason, rlen, "unexpected typ");
    /* kid is never used to find a key (there is one configured key); it is
     * only bounded so that it cannot carry anything large. */
    if (kid && (!json_is_string(kid) || strlen(json_string_value(kid)) > 128))
        return fail(reason, rlen, "bad kid");
    return 0;
}

static int claims_ok(const struct auth_verifier *v, json_t *claims, long now, struct principal *out,
                     char *reason, size_t rlen)
{
    json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf"),
           *iss = json_object_get(claims, "iss"), *aud = json_object_get(claims, "aud"),
           *sub = json_object_get(claims, "sub"), *role = json_object_get(claims, "role"),
           *spec = json_object_get(claims, "specialist_id");
    const char *s;
    size_t i, n;
    int aud_match = 0;

    if (!json_is_number(exp))
        return fail(reason, rlen, "exp missing");
    /* exp becomes a long below; a value past year 9999 (1e300, say) would
     * overflow that conversion, which is undefined behaviour. */
    if (json_number_value(exp) < 0 || json_number_value(exp) > AUTH_MAX_TIMESTAMP)
        return fail(reason, rlen, "exp out of range");
    if ((double)now > json_number_value(exp) + AUTH_LEEWAY_SECONDS)
        return fail(reason, rlen, "token expired");
    if (nbf && (!json_is_number(nbf) || json_number_value(nbf) < 0 ||
                json_number_value(nbf) > AUTH_MAX_TIMESTAMP))
        return fail(reason, rlen, "nbf malformed");
    if (nbf && (double)now + AUTH_LEEWAY_SECONDS < json_number_value(nbf))
        return fail(reason, rlen, "token not yet valid");
    if (!json_is_string(iss) || strcmp(json_string_value(iss), v->cfg->jwt_issuer) != 0)
        return fail(reason, rlen, "issuer mismatch");
    if (json_is_string(aud)) {
        aud_match = !strcmp(json_string_value(aud), v->cfg->jwt_audience);
    } else if (json_is_array(aud)) {
        json_t *a;
        json_array_foreach(aud, i, a) if (json_is_string(a) &&
                                          !strcmp(json_string_value(a), v->cfg->jwt_audience))
            aud_match = 1;
    }
    if (!aud_match)
        return fail(reason, rlen, "audience mismatch");
    if (!json_is_string(sub))
        return fail(reason, rlen, "sub missing");
    s = json_string_value(sub);
    n = strlen(s);
    if (n == 0 || n > 128)
        return fail(reason, rlen, "sub length");
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return fail(reason, rlen, "sub characters");
    if (!json_is_string(role))
        return fail(reason, rlen, "role missing");
    out->role = role_parse(json_string_value(role));
    if (out->role == ROLE_NONE)
        return fail(reason, rlen, "unknown role");
    out->specialist_id[0] = 0;
    if (out->role == ROLE_SPECIALIST) {
        if (!json_is_string(spec) || !uuid_is_valid(json_string_value(spec)))
            return fail(reason, rlen, "specialist_id missing");
        snprintf(out->specialist_id, sizeof out->specialist_id, "%s", json_string_value(spec));
        for (i = 0; out->specialist_id[i]; i++)
            if (out->specialist_id[i] >= 'A' && out->specialist_id[i] <= 'F')
                out->specialist_id[i] = (char)(out->specialist_id[i] - 'A' + 'a');
    }
    snprintf(out->sub, sizeof out->sub, "%s", s);
    out->exp = (long)json_number_value(exp);
    return 0;
}

int auth_verify(struct auth_verifier *v, const char *token, long now, struct principal *out,
                char *reason, size_t rlen)
{
    const char *dot1, *dot2, *p;
    json_t *hdr = NULL, *claims = NULL;
    jwt_t *jwt = NULL;
    unsigned char digest[32];
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (!token || !*token)
        return fail(reason, rlen, "token missing");
    if (strlen(token) > AUTH_MAX_TOKEN_BYTES)
        return fail(reason, rlen, "token too long");
    if (token_digest(v, token, digest) != 0)
        return fail(reason, rlen, "internal error");
    if (cache_lookup(v, digest, now, out))
        return 0;
    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot2[1] == 0)
        return fail(reason, rlen, "malformed token");
    for (p = token; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return fail(reason, rlen, "malformed token");
    }
    hdr = decode_segment(token, (size_t)(dot1 - token));
    if (!hdr)
        return fail(reason, rlen, "malformed header");
    if (header_ok(v, hdr, reason, rlen) != 0)
        goto out;
    claims = decode_segment(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!claims) {
        fail(reason, rlen, "malformed claims");
        goto out;
    }
    if (jwt_decode(&jwt, token, v->cfg->jwt_key, (int)v->cfg->jwt_key_len) != 0 || !jwt) {
        fail(reason, rlen, "bad signature");
        goto out;
    }
    if (jwt_get_alg(jwt) != v->alg) {
        fail(reason, rlen, "algorithm not allowed");
        goto out;
    }
    rc = claims_ok(v, claims, now, out, reason, rlen);
    if (rc == 0)
        cache_store(v, digest, now, out);
out:
    if (jwt)
        jwt_free(jwt);
    json_decref(hdr);
    json_decref(claims);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}
