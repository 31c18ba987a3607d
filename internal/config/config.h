/* config: the service's settings, read once from the environment at start-up.
 * A missing or invalid setting stops start-up with one line naming it. */
#ifndef CSO_CONFIG_H
#define CSO_CONFIG_H

#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO = 1, LOG_WARN = 2, LOG_ERROR = 3 };

struct config {
    int port;
    char *bind_address; /* owned; default 0.0.0.0 */
    char *database_url; /* owned */
    int db_pool_size;
    char *jwt_alg;          /* owned: "HS256", "RS256" or "ES256" */
    unsigned char *jwt_key; /* owned: HMAC secret or PEM public key bytes */
    size_t jwt_key_len;
    char *jwt_issuer;          /* owned */
    char *jwt_audience;        /* owned */
    size_t max_body_bytes;     /* JSON bodies */
    size_t max_document_bytes; /* one uploaded record */
    int max_documents_per_case;
    int threads; /* HTTP worker threads */
    int max_connections;
    int connection_timeout_s;
    int db_statement_timeout_ms;
    int db_lock_timeout_ms;    /* row-lock wait per statement; <= db_statement_timeout_ms */
    int rate_limit_per_minute; /* per subject per replica; 0 disables */
    /* Webhook delivery (internal/webhooks/worker.c). */
    int webhook_workers;         /* delivery threads in this process; 0 = none */
    int webhook_poll_ms;         /* idle wait between looks for due work */
    int webhook_base_backoff_ms; /* first retry delay; doubles per failure */
    int webhook_max_backoff_ms;  /* cap on the retry delay */
    int webhook_max_failures;    /* consecutive failures that mark a subscription failing */
    int webhook_timeout_ms;      /* whole outbound request, connect included */
    int webhook_allow_private;   /* 1: loopback/private destinations allowed (tests, labs) */
    enum log_level log_level;
};

/* Fills cfg from the environment. On failure writes one line naming the
 * setting to errbuf and returns -1. Free with config_free. */
int config_load(struct config *cfg, char *errbuf, size_t errlen);
void config_free(struct config *cfg);

#endif
