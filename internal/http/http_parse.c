/* Pure request parsing: the query string, JSON bodies (shape limits first),
 * percent-decoding and the opaque keyset cursors. No request, connection or
 * database is touched, so the fuzz targets (tests/fuzz) drive this file as
 * the dispatcher does; keep it free of I/O. */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

char *http_cursor_encode(const char *key, const char *id)
{
    char buf[256];
    int n = snprintf(buf, sizeof buf, "%s|%s", key, id);
    if (n < 0 || (size_t)n >= sizeof buf)
        return NULL;
    return b64url_encode((const unsigned char *)buf, (size_t)n);
}

int http_cursor_decode(struct http_ctx *ctx, const char *cursor, char *key, size_t keylen, char *id,
                       size_t idlen)
{
    size_t n = 0;
    unsigned char *raw;
    char *bar;
    if (strlen(cursor) > 300 || !(raw = b64url_decode(cursor, strlen(cursor), &n)))
        goto bad;
    /* The id (last) never contains '|'; a sort key (a name, a date) might. */
    bar = strrchr((char *)raw, '|');
    if (!bar || memchr(raw, 0, n) || (size_t)(bar - (char *)raw) >= keylen ||
        strlen(bar + 1) >= idlen) {
        free(raw);
        goto bad;
    }
    *bar = 0;
    snprintf(key, keylen, "%s", (char *)raw);
    snprintf(id, idlen, "%s", bar + 1);
    free(raw);
    return 0;
bad:
    app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
    return -1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes into a new string; NULL on malformed escapes or NUL. */
static char *url_decode(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    size_t i, o = 0;
    if (!out)
        return NULL;
    for (i = 0; i < len; i++) {
        if (s[i] == '%') {
            int h, l;
            if (i + 2 >= len)
                goto bad;
            h = hexval((unsigned char)s[i + 1]);
            l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0))
                goto bad;
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (s[i] == '+') {
            out[o++] = ' ';
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = 0;
    return out;
bad:
    free(out);
    return NULL;
}

static int key_allowed(const char *allowed, const char *key)
{
    size_t klen = strlen(key);
    const char *p = allowed;
    if (!allowed)
        return 0;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == klen && !strncmp(p, key, len))
            return 1;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

/* Parses the raw query string ourselves: ulfius merges route and query
 * parameters into one map, which hides repeats and lets ?id= shadow a path
 * id. Unknown and repeated keys are refused. */
int http_query_parse(const char *url, const char *allowed, json_t **out, struct app_error *err)
{
    const char *q = url ? strchr(url, '?') : NULL, *p;
    json_t *query = json_object();
    *out = NULL;
    if (!query)
        return app_error_internal(err);
    if (!q || !q[1]) {
        *out = query;
        return 0;
    }
    if (strlen(q) > HTTP_MAX_QUERY_BYTES) {
        json_decref(query);
        return app_error_bad_request(err, "The query string is too long.");
    }
    p = q + 1;
    while (*p) {
        const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p), *eq;
        char *key, *val;
        if (end == p) {
            p = amp ? amp + 1 : end;
            continue;
        }
        eq = memchr(p, '=', (size_t)(end - p));
        key = url_decode(p, (size_t)((eq ? eq : end) - p));
        val = eq ? url_decode(eq + 1, (size_t)(end - eq - 1)) : strdup("");
        /* Decoded bytes did not pass through the JSON parser: check UTF-8
         * here, or json_string() would refuse the value and the parameter
         * would silently vanish (an ignored filter). */
        if (!key || !utf8_is_valid(key, strlen(key)) || !text_is_clean(key)) {
            free(key);
            free(val);
            json_decref(query);
            return app_error_bad_request(err, "The query string is not well formed.");
        }
        if (!val || !utf8_is_valid(val, strlen(val)) || !text_is_clean(val) || strchr(val, '\n')) {
            app_error_field(err, key,
                            "is not well formed (bad percent-encoding, not UTF-8, or control "
                            "characters)");
            free(key);
            free(val);
            json_decref(query);
            return -1;
        }
        if (!strcmp(key, "access_token")) {
            free(key);
            free(val);
            json_decref(query);
            app_error_problem(err, PROBLEM_UNAUTHORIZED,
                              "Tokens are accepted only in the Authorization header.");
            return -1;
        }
        if (!key_allowed(allowed, key))
            app_error_field(err, key, "is not a query parameter of this operation");
        else if (json_object_get(query, key))
            app_error_field(err, key, "must not be repeated");
        else if (!*val)
            app_error_field(err, key, "must not be empty");
        else if (json_object_set_new(query, key, json_string(val)) != 0)
            app_error_internal(err);
        free(key);
        free(val);
        if (err->status) {
            json_decref(query);
            return -1;
        }
        p = amp ? amp + 1 : end;
    }
    *out = query;
    return 0;
}

/* One pass over the raw bytes before jansson sees them: a 1 MiB body of
 * "[[[[..." or "1,1,1,..." is small on the wire but jansson would build a
 * value per element (some 40 bytes each, so 20 MB for one request) or
 * recurse 2048 deep before failing. Counting brackets and commas outside
 * strings bounds both; malformed JSON is left for jansson to report. */
static int json_shape_ok(const char *buf, size_t len, struct app_error *err)
{
    size_t i, depth = 0, values = 1;
    int in_string = 0;
    for (i = 0; i < len; i++) {
        char c = buf[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
            continue;
        }
        switch (c) {
        case '"':
            in_string = 1;
            break;
        case '[':
        case '{':
            if (++depth > HTTP_JSON_MAX_DEPTH) {
                app_error_problem(err, PROBLEM_JSON_TOO_COMPLEX,
                                  "The body nests deeper than %d levels.", HTTP_JSON_MAX_DEPTH);
                return -1;
            }
            values++;
            break;
        case ']':
        case '}':
            if (depth > 0)
                depth--;
            break;
        case ',':
            values++;
            break;
        default:
            break;
        }
        if (values > HTTP_JSON_MAX_VALUES) {
            app_error_problem(err, PROBLEM_JSON_TOO_COMPLEX, "The body has more than %d values.",
                              HTTP_JSON_MAX_VALUES);
            return -1;
        }
    }
    return 0;
}

json_t *http_json_body_parse(const void *buf, size_t len, struct app_error *err)
{
    json_error_t jerr;
    json_t *body;
    if (json_shape_ok(buf, len, err) != 0)
        return NULL;
    body = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!body) {
        app_error_problem(err, PROBLEM_MALFORMED_JSON,
                          "The body is not valid JSON (or repeats a key) near line %d, column %d.",
                          jerr.line, jerr.column);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        app_error_bad_request(err, "The body must be a JSON object.");
        return NULL;
    }
    return body;
}
