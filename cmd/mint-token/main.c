/* mint-token: signs a JWT for a role and subject, for operators using curl
 * and for the tests. Key and claims come from the same environment as the
 * server (JWT_ALG, JWT_SECRET or JWT_PRIVATE_KEY_FILE, JWT_ISSUER,
 * JWT_AUDIENCE); flags choose the subject and role.
 *
 *   mint-token --role patient --sub patient-123 [--ttl 3600]
 *   mint-token --role specialist --sub dr-1 --specialist-id <uuid>
 */
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(void)
{
    fprintf(stderr, "usage: mint-token --role patient|navigator|specialist|admin --sub SUBJECT\n"
                    "                  [--specialist-id UUID] [--ttl SECONDS] [--nbf-offset S]\n");
}

static unsigned char *read_file(const char *path, int *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf;
    long n;
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        *len = (int)n;
    }
    return buf;
}

int main(int argc, char **argv)
{
    const char *role = NULL, *sub = NULL, *spec = NULL;
    const char *alg_s = getenv("JWT_ALG") ? getenv("JWT_ALG") : "HS256";
    const char *iss = getenv("JWT_ISSUER"), *aud = getenv("JWT_AUDIENCE");
    long ttl = 3600, nbf_offset = 0;
    jwt_t *jwt = NULL;
    jwt_alg_t alg;
    unsigned char *key = NULL;
    int keylen = 0, i, rc = 1;
    char *out;
    time_t now = time(NULL);

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--role") && i + 1 < argc)
            role = argv[++i];
        else if (!strcmp(argv[i], "--sub") && i + 1 < argc)
            sub = argv[++i];
        else if (!strcmp(argv[i], "--specialist-id") && i + 1 < argc)
            spec = argv[++i];
        else if (!strcmp(argv[i], "--ttl") && i + 1 < argc)
            ttl = strtol(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--nbf-offset") && i + 1 < argc)
            nbf_offset = strtol(argv[++i], NULL, 10);
        else {
            usage();
            return 2;
        }
    }
    if (!role || !sub || !iss || !aud) {
        usage();
        fprintf(stderr, "mint-token: JWT_ISSUER and JWT_AUDIENCE must be set\n");
        return 2;
    }
    alg = jwt_str_alg(alg_s);
    if (alg == JWT_ALG_HS256) {
        const char *secret = getenv("JWT_SECRET");
        if (!secret) {
            fprintf(stderr, "mint-token: JWT_SECRET is not set\n");
            return 2;
        }
        key = (unsigned char *)strdup(secret);
        keylen = (int)strlen(secret);
    } else if (alg == JWT_ALG_RS256 || alg == JWT_ALG_ES256) {
        const char *path = getenv("JWT_PRIVATE_KEY_FILE");
        if (!path || !(key = read_file(path, &keylen))) {
            fprintf(stderr, "mint-token: JWT_PRIVATE_KEY_FILE must name a PEM private key\n");
            return 2;
        }
    } else {
        fprintf(stderr, "mint-token: JWT_ALG must be HS256, RS256 or ES256\n");
        return 2;
    }
    if (jwt_new(&jwt) != 0)
        goto out;
    jwt_add_grant(jwt, "iss", iss);
    jwt_add_grant(jwt, "aud", aud);
    jwt_add_grant(jwt, "sub", sub);
    jwt_add_grant(jwt, "role", role);
    if (spec)
        jwt_add_grant(jwt, "specialist_id", spec);
    jwt_add_grant_int(jwt, "iat", (long)now);
    jwt_add_grant_int(jwt, "exp", (long)now + ttl);
    if (nbf_offset)
        jwt_add_grant_int(jwt, "nbf", (long)now + nbf_offset);
    if (jwt_set_alg(jwt, alg, key, keylen) != 0)
        goto out;
    out = jwt_encode_str(jwt);
    if (!out)
        goto out;
    printf("%s\n", out);
    free(out);
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "mint-token: signing failed\n");
    jwt_free(jwt);
    free(key);
    return rc;
}
