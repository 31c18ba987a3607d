#include "util.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *b64url_encode(const unsigned char *data, size_t len)
{
    size_t out_len = (len + 2) / 3 * 4 + 1, i, o = 0;
    char *out = malloc(out_len);
    if (!out)
        return NULL;
    for (i = 0; i + 2 < len; i += 3) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8 | data[i + 2];
        out[o++] = b64url_chars[(v >> 18) & 63];
        out[o++] = b64url_chars[(v >> 12) & 63];
        out[o++] = b64url_chars[(v >> 6) & 63];
        out[o++] = b64url_chars[v & 63];
    }
    if (len - i == 1) {
        unsigned v = (unsigned)data[i] << 16;
        out[o++] = b64url_chars[(v >> 18) & 63];
        out[o++] = b64url_chars[(v >> 12) & 63];
    } else if (len - i == 2) {
        unsigned v = (unsigned)data[i] << 16 | (unsigned)data[i + 1] << 8;
        out[o++] = b64url_chars[(v >> 18) & 63];
        out[o++] = b64url_chars[(v >> 12) & 63];
        out[o++] = b64url_chars[(v >> 6) & 63];
    }
    out[o] = 0;
    return out;
}

static int b64url_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

unsigned char *b64url_decode(const char *in, size_t inlen, size_t *outlen)
{
    unsigned char *out;
    size_t i, o = 0, n = 0;
    unsigned acc = 0;
    while (inlen > 0 && in[inlen - 1] == '=')
        inlen--;
    if (inlen % 4 == 1)
        return NULL;
    out = malloc(inlen * 3 / 4 + 2);
    if (!out)
        return NULL;
    for (i = 0; i < inlen; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (unsigned)v;
        if (++n == 4) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            acc = 0;
            n = 0;
        }
    }
    if (n == 2) {
        out[o++] = (unsigned char)(acc >> 4);
    } else if (n == 3) {
        out[o++] = (unsigned char)(acc >> 10);
        out[o++] = (unsigned char)(acc >> 2);
    }
    out[o] = 0;
    *outlen = o;
    return out;
}

int uuid_is_valid(const char *s)
{
    int i;
    if (!s)
        return 0;
    for (i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
        } else if (!isxdigit((unsigned char)s[i])) {
            return 0;
        }
    }
    return s[36] == 0;
}

void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0, i;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (i = 0; i < 32; i++)
        snprintf(out + i * 2, 3, "%02x", md[i]);
    out[64] = 0;
}

static int digits(const char *s, int n)
{
    int i;
    for (i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int valid_ymd(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int max;
    if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1)
        return 0;
    max = mdays[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        max = 29;
    return d <= max;
}

int date_is_valid(const char *s)
{
    if (!s || strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2))
        return 0;
    return valid_ymd(atoi(s), atoi(s + 5), atoi(s + 8));
}

int datetime_is_valid(const char *s)
{
    size_t len, i = 19;
    char date[11];
    if (!s || (len = strlen(s)) < 20 || len > 35)
        return 0;
    memcpy(date, s, 10);
    date[10] = 0;
    if (!date_is_valid(date) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) ||
        s[13] != ':' || !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
        return 0;
    if (atoi(s + 11) > 23 || atoi(s + 14) > 59 || atoi(s + 17) > 60)
        return 0;
    if (s[i] == '.') {
        i++;
        if (!isdigit((unsigned char)s[i]))
            return 0;
        while (isdigit((unsigned char)s[i]))
            i++;
    }
    if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == 0)
        return 1;
    if ((s[i] == '+' || s[i] == '-') && digits(s + i + 1, 2) && s[i + 3] == ':' &&
        digits(s + i + 4, 2) && s[i + 6] == 0)
        return atoi(s + i + 1) <= 23 && atoi(s + i + 4) <= 59;
    return 0;
}

int text_is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return 0;
    return 1;
}

int text_is_clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x80) {
            if (*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t')
                return 0;
            if (*p == 0x7f)
                return 0;
            p++;
        } else {
            /* jansson already guarantees valid UTF-8 for decoded strings;
             * skip the continuation bytes of the sequence. */
            p++;
            while ((*p & 0xC0) == 0x80)
                p++;
        }
    }
    return 1;
}

int utf8_is_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned c = *p;
        size_t n, i;
        unsigned cp;
        if (c < 0x80) {
            p++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0; /* continuation byte, C0/C1 overlong lead, or F5..FF */
        }
        if ((size_t)(end - p) <= n)
            return 0;
        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += n + 1;
    }
    return 1;
}

void utf8_trim_partial(char *s)
{
    size_t n = strlen(s), i = n, tail = 0, need;
    unsigned char lead;
    while (i > 0 && tail < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        tail++;
    }
    if (i == 0)
        return;
    lead = (unsigned char)s[i - 1];
    if (lead < 0xC0)
        return; /* ASCII (or a stray continuation byte): nothing was cut here */
    need = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : 1;
    if (tail < need)
        s[i - 1] = 0;
}

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void utc_date_from_today(int days, char out[11])
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
