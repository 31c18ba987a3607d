/* libFuzzer target: query-string parsing as the dispatcher does it
 * (http_query_parse), then the helpers handlers apply to the parsed values
 * (http_query_limit, http_cursor_decode).
 *
 * The input is the query string (what follows '?'). It is parsed once for
 * every distinct list of allowed keys in the server's route table
 * (routes_all), so the keys of routes added later are fuzzed too.
 *
 * Contract checked besides crashes: on success every key is allowed, no
 * value is empty, every value is UTF-8 without NUL or control characters;
 * on failure the error is a 400 (or a 401 for access_token) that names its
 * problem, and nothing is returned. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "routes.h"
#include "util/util.h"

#define MAX_LISTS 64

static const char *lists[MAX_LISTS];
static int nlists;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const struct http_route *const *tables = routes_all();
    (void)argc;
    (void)argv;
    lists[nlists++] = NULL; /* a route that takes no query */
    for (int i = 0; tables[i]; i++)
        for (const struct http_route *r = tables[i]; r->method; r++) {
            int seen = 0;
            if (!r->query)
                continue;
            for (int k = 1; k < nlists; k++)
                if (!strcmp(lists[k], r->query))
                    seen = 1;
            if (!seen && nlists < MAX_LISTS)
                lists[nlists++] = r->query;
        }
    return 0;
}

static int allowed(const char *list, const char *key)
{
    size_t n = strlen(key);
    const char *p = list;
    while (p && *p) {
        size_t len = strcspn(p, ",");
        if (len == n && !strncmp(p, key, n))
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static void check_parsed(const char *list, json_t *q)
{
    const char *key;
    json_t *v;
    json_object_foreach(q, key, v)
    {
        const char *s = json_string_value(v);
        if (!allowed(list, key) || !s || !*s || !utf8_is_valid(s, strlen(s)) || !text_is_clean(s) ||
            strchr(s, '\n'))
            abort();
    }
}

static void use_values(json_t *q)
{
    struct http_ctx ctx;
    int limit = 0;
    char key[256], id[64];
    memset(&ctx, 0, sizeof ctx);
    ctx.query = q;
    if (http_query_limit(&ctx, 50, 200, &limit) == 0) {
        if (limit < 1 || limit > 200)
            abort();
    } else if (ctx.err.status != 400) {
        abort();
    }
    app_error_clear(&ctx.err);
    if (http_query(&ctx, "cursor")) {
        if (http_cursor_decode(&ctx, http_query(&ctx, "cursor"), key, sizeof key, id, sizeof id) ==
            0) {
            if (strlen(key) >= sizeof key || strlen(id) >= sizeof id || strchr(id, '|'))
                abort();
        } else if (ctx.err.status != 400) {
            abort();
        }
        app_error_clear(&ctx.err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url;
    if (size > 2 * HTTP_MAX_QUERY_BYTES)
        return 0;
    url = malloc(size + 4);
    if (!url)
        return 0;
    memcpy(url, "/p?", 3);
    memcpy(url + 3, data, size);
    url[size + 3] = 0;
    for (int i = 0; i < nlists; i++) {
        json_t *q = NULL;
        struct app_error err = {0};
        int rc = http_query_parse(url, lists[i], &q, &err);
        if (rc == 0) {
            if (!q || err.status)
                abort();
            check_parsed(lists[i], q);
            use_values(q);
        } else {
            if (q || (err.status != 400 && err.status != 401))
                abort();
            if (err.fields && json_array_size(err.fields) == 0)
                abort();
        }
        json_decref(q);
        app_error_clear(&err);
    }
    free(url);
    return 0;
}
