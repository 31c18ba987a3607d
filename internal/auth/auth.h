/* auth: JWT bearer verification. libjwt 1.10 checks only format and
 * signature, so everything else (pinned algorithm, forbidden header fields,
 * exp/nbf with leeway, iss, aud, sub, role) is checked here. */
#ifndef CSO_AUTH_H
#define CSO_AUTH_H

#include <stddef.h>

#include "../config/config.h"

enum role {
    ROLE_NONE = 0,
    ROLE_PATIENT = 1,
    ROLE_NAVIGATOR = 2,
    ROLE_SPECIALIST = 4,
    ROLE_ADMIN = 8,
};
#define ROLES_ALL (ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_SPECIALIST | ROLE_ADMIN)
#define ROLES_STAFF (ROLE_NAVIGATOR | ROLE_ADMIN)

#define AUTH_MAX_TOKEN_BYTES 4096
#define AUTH_LEEWAY_SECONDS 60

struct principal {
    char sub[129];
    enum role role;
    char specialist_id[37]; /* set for ROLE_SPECIALIST, else "" */
    long exp;
};

struct auth_verifier;

/* Builds a verifier from the configured algorithm, key, issuer and audience.
 * The config must outlive the verifier. Returns NULL on allocation failure.
 * Free with auth_verifier_free. */
struct auth_verifier *auth_verifier_new(const struct config *cfg);
void auth_verifier_free(struct auth_verifier *v);

/* Verifies a compact JWS. On success fills *out and returns 0. On failure
 * returns -1 and writes a short reason (safe to log, no claim values) into
 * reason. now is the current UNIX time, passed in so tests can pin it. */
int auth_verify(struct auth_verifier *v, const char *token, long now, struct principal *out,
                char *reason, size_t reason_len);

const char *role_name(enum role r);
/* Returns ROLE_NONE for anything but the four role names. */
enum role role_parse(const char *s);

#endif
