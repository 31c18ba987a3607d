#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *errbuf, size_t errlen, const char *fmt, const char *name)
{
    snprintf(errbuf, errlen, fmt, name);
    return -1;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return (v && *v) ? v : dflt;
}

/* Parses a decimal integer in [lo, hi]; the whole string must be the number. */
static int env_int(const char *name, long dflt, long lo, long hi, long *out, char *errbuf,
                   size_t errlen)
{
    const char *v = getenv(name);
    char *end = NULL;
    long n;
    if (!v || !*v) {
        *out = dflt;
        return 0;
    }
    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || !end || *end || n < lo || n > hi) {
        snprintf(errbuf, errlen, "config: %s must be an integer between %ld and %ld", name, lo, hi);
        return -1;
    }
    *out = n;
    return 0;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long sz;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && sz < 65536 &&
        fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)sz + 1);
        if (buf && fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
            buf[sz] = 0;
            *len = (size_t)sz;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

int config_load(struct config *cfg, char *errbuf, size_t errlen)
{
    long n;
    const char *v;
    memset(cfg, 0, sizeof *cfg);

    if (env_int("PORT", 8080, 1, 65535, &n, errbuf, errlen))
        return -1;
    cfg->port = (int)n;
    cfg->bind_address = strdup(env_or("BIND_ADDRESS", "0.0.0.0"));

    v = getenv("DATABASE_URL");
    if (!v || !*v)
        return fail(errbuf, errlen, "config: %s is required (a libpq connection URI)",
                    "DATABASE_URL");
    cfg->database_url = strdup(v);

    /* Measured on 2 cores with PostgreSQL on the same machine (bench/README.md):
     * a request holds its HTTP thread while PostgreSQL flushes the audit
     * row's commit, so throughput comes from commits in flight (group
     * commit). 16 connections beat 8 (idle disk between flushes) and 32
     * (context switches). */
    if (env_int("DB_POOL_SIZE", 16, 1, 256, &n, errbuf, errlen))
        return -1;
    cfg->db_pool_size = (int)n;

    v = env_or("JWT_ALG", "HS256");
    if (strcmp(v, "HS256") && strcmp(v, "RS256") && strcmp(v, "ES256"))
        return fail(errbuf, errlen, "config: %s must be HS256, RS256 or ES256", "JWT_ALG");
    cfg->jwt_alg = strdup(v);

    if (!strcmp(v, "HS256")) {
        v = getenv("JWT_SECRET");
        if (!v || !*v)
            return fail(errbuf, errlen, "config: %s is required when JWT_ALG=HS256", "JWT_SECRET");
        if (strlen(v) < 32)
            return fail(errbuf, errlen,
                        "config: %s is too weak: use at least 32 bytes of random data",
                        "JWT_SECRET");
        /* A secret of one repeated character passes a length check but not a
         * guess; refuse the obvious ones. */
        {
            size_t i, distinct = 0;
            int seen[256] = {0};
            for (i = 0; v[i]; i++)
                if (!seen[(unsigned char)v[i]]++)
                    distinct++;
            if (distinct < 8)
                return fail(errbuf, errlen,
                            "config: %s is too weak: it has fewer than 8 distinct characters",
                            "JWT_SECRET");
        }
        cfg->jwt_key = (unsigned char *)strdup(v);
        cfg->jwt_key_len = strlen(v);
    } else {
        v = getenv("JWT_PUBLIC_KEY_FILE");
        if (!v || !*v)
            return fail(errbuf, errlen, "config: %s is required when JWT_ALG is RS256 or ES256",
                        "JWT_PUBLIC_KEY_FILE");
        cfg->jwt_key = read_file(v, &cfg->jwt_key_len);
        if (!cfg->jwt_key || !strstr((char *)cfg->jwt_key, "-----BEGIN PUBLIC KEY-----"))
            return fail(errbuf, errlen, "config: %s must name a readable PEM public key file",
                        "JWT_PUBLIC_KEY_FILE");
    }

    v = getenv("JWT_ISSUER");
    if (!v || !*v)
        return fail(errbuf, errlen, "config: %s is required", "JWT_ISSUER");
    cfg->jwt_issuer = strdup(v);
    v = getenv("JWT_AUDIENCE");
    if (!v || !*v)
        return fail(errbuf, errlen, "config: %s is required", "JWT_AUDIENCE");
    cfg->jwt_audience = strdup(v);

    if (env_int("MAX_BODY_BYTES", 1048576, 1024, 64L * 1024 * 1024, &n, errbuf, errlen))
        return -1;
    cfg->max_body_bytes = (size_t)n;
    if (env_int("MAX_DOCUMENT_BYTES", 25L * 1024 * 1024, 1024, 512L * 1024 * 1024, &n, errbuf,
                errlen))
        return -1;
    cfg->max_document_bytes = (size_t)n;
    if (env_int("MAX_DOCUMENTS_PER_CASE", 100, 1, 10000, &n, errbuf, errlen))
        return -1;
    cfg->max_documents_per_case = (int)n;
    /* One HTTP thread per pool connection by default, so no thread ever
     * sleeps waiting for a connection: with 64 threads on a pool of 16, that
     * wait was a third sleep and wake-up per request (server CPU 101 vs 75
     * us per GET at 64 clients, 4,740 vs 5,179 req/s; bench/README.md). The
     * price: a slow request holds up the other keep-alive connections of
     * its thread (mixed scenario p99 at 64 clients 54 vs 50 ms). */
    if (env_int("HTTP_THREADS", cfg->db_pool_size, 1, 256, &n, errbuf, errlen))
        return -1;
    cfg->threads = (int)n;
    if (env_int("MAX_CONNECTIONS", 1024, 16, 65536, &n, errbuf, errlen))
        return -1;
    cfg->max_connections = (int)n;
    if (env_int("CONNECTION_TIMEOUT_S", 30, 1, 3600, &n, errbuf, errlen))
        return -1;
    cfg->connection_timeout_s = (int)n;
    if (env_int("DB_STATEMENT_TIMEOUT_MS", 5000, 100, 600000, &n, errbuf, errlen))
        return -1;
    cfg->db_statement_timeout_ms = (int)n;
    /* How long a statement waits for a row lock another transaction holds
     * before the request gives up with 503 + Retry-After. A wait longer than
     * the statement timeout would never be reached (the statement would be
     * cancelled first, with a different answer), so it is refused. */
    if (env_int("DB_LOCK_TIMEOUT_MS", 2000, 10, 600000, &n, errbuf, errlen))
        return -1;
    if (n > cfg->db_statement_timeout_ms) {
        snprintf(errbuf, errlen,
                 "config: DB_LOCK_TIMEOUT_MS must not exceed DB_STATEMENT_TIMEOUT_MS (%d)",
                 cfg->db_statement_timeout_ms);
        return -1;
    }
    cfg->db_lock_timeout_ms = (int)n;
    if (env_int("RATE_LIMIT_PER_MINUTE", 600, 0, 1000000, &n, errbuf, errlen))
        return -1;
    cfg->rate_limit_per_minute = (int)n;

    if (env_int("WEBHOOK_WORKERS", 2, 0, 16, &n, errbuf, errlen))
        return -1;
    cfg->webhook_workers = (int)n;
    if (env_int("WEBHOOK_POLL_MS", 1000, 10, 60000, &n, errbuf, errlen))
        return -1;
    cfg->webhook_poll_ms = (int)n;
    if (env_int("WEBHOOK_BASE_BACKOFF_MS", 1000, 10, 3600000, &n, errbuf, errlen))
        return -1;
    cfg->webhook_base_backoff_ms = (int)n;
    if (env_int("WEBHOOK_MAX_BACKOFF_MS", 900000, 10, 86400000, &n, errbuf, errlen))
        return -1;
    cfg->webhook_max_backoff_ms = (int)n;
    if (cfg->webhook_max_backoff_ms < cfg->webhook_base_backoff_ms)
        return fail(errbuf, errlen, "config: %s must not be less than WEBHOOK_BASE_BACKOFF_MS",
                    "WEBHOOK_MAX_BACKOFF_MS");
    if (env_int("WEBHOOK_MAX_FAILURES", 5, 1, 1000, &n, errbuf, errlen))
        return -1;
    cfg->webhook_max_failures = (int)n;
    if (env_int("WEBHOOK_TIMEOUT_MS", 10000, 100, 60000, &n, errbuf, errlen))
        return -1;
    cfg->webhook_timeout_ms = (int)n;
    if (env_int("WEBHOOK_ALLOW_PRIVATE", 0, 0, 1, &n, errbuf, errlen))
        return -1;
    cfg->webhook_allow_private = (int)n;

    v = env_or("LOG_LEVEL", "info");
    if (!strcmp(v, "debug"))
        cfg->log_level = LOG_DEBUG;
    else if (!strcmp(v, "info"))
        cfg->log_level = LOG_INFO;
    else if (!strcmp(v, "warn"))
        cfg->log_level = LOG_WARN;
    else if (!strcmp(v, "error"))
        cfg->log_level = LOG_ERROR;
    else
        return fail(errbuf, errlen, "config: %s must be debug, info, warn or error", "LOG_LEVEL");
    return 0;
}

void config_free(struct config *cfg)
{
    free(cfg->bind_address);
    free(cfg->database_url);
    free(cfg->jwt_alg);
    free(cfg->jwt_key);
    free(cfg->jwt_issuer);
    free(cfg->jwt_audience);
    memset(cfg, 0, sizeof *cfg);
}
