/* util: small pure helpers shared by several modules (encodings, ids,
 * digests). No I/O and no global state. */
#ifndef CSO_UTIL_H
#define CSO_UTIL_H

#include <stddef.h>

/* Base64url without padding. Returns a NUL-terminated string the caller frees
 * with free, or NULL on allocation failure. */
char *b64url_encode(const unsigned char *data, size_t len);

/* Decodes base64url (padding optional). Returns a buffer the caller frees
 * with free (NUL-terminated for convenience) and its length in *outlen, or
 * NULL if the input is not valid base64url. */
unsigned char *b64url_decode(const char *in, size_t inlen, size_t *outlen);

/* 1 if s is a canonical lowercase or uppercase 8-4-4-4-12 UUID, else 0. */
int uuid_is_valid(const char *s);

/* Writes the lowercase hex SHA-256 of data into out (65 bytes). */
void sha256_hex(const void *data, size_t len, char out[65]);

/* The UTC calendar date days from today (negative: before), as YYYY-MM-DD
 * into out. The one place the date rules read the clock. */
void utc_date_from_today(int days, char out[11]);

/* 1 if s is a valid calendar date YYYY-MM-DD, else 0. */
int date_is_valid(const char *s);

/* 1 if s is an RFC 3339 date-time with a zone (Z or +hh:mm), else 0. */
int datetime_is_valid(const char *s);

/* 1 if s is valid UTF-8 with no control characters other than \n, \r, \t. */
int text_is_clean(const char *s);

/* 1 if s holds nothing but spaces and tabs (or nothing at all): a value a
 * table accepts for its length that still says nothing. */
int text_is_blank(const char *s);
/* 1 if the len bytes at s are well-formed UTF-8 as jansson accepts it (no
 * overlong forms, no surrogates, nothing above U+10FFFF), else 0. For text
 * that did not come through the JSON parser: URL-decoded query values. */
int utf8_is_valid(const char *s, size_t len);

/* Cuts an incomplete multi-byte sequence off the end of s, as left behind
 * when snprintf truncates UTF-8 text into a fixed buffer. */
void utf8_trim_partial(char *s);

/* Monotonic milliseconds, for latency measurement. */
double now_ms(void);

#endif
