#include "winansi.h"

#include <stdlib.h>
#include <string.h>

/* Windows-1252 0x80..0x9F: the code points it puts where Latin-1 has
 * control characters (0 = unassigned). */
static const unsigned short cp1252_high[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

/* Base letters of Latin Extended-A (U+0100..U+017F); the few that
 * Windows-1252 has are found in cp1252_high first. */
static const char latin_ext_a[] = "AaAaAaCcCcCcCcDd"
                                  "DdEeEeEeEeEeGgGg"
                                  "GgGgHhHhIiIiIiIi"
                                  "IiIiJjKkkLlLlLlL"
                                  "lLlNnNnNnnNnOoOo"
                                  "OoOoRrRrRrSsSsSs"
                                  "SsTtTtTtUuUuUuUu"
                                  "UuUuWwYyYZzZzZzs";

/* Base letters of the Vietnamese block of Latin Extended Additional
 * (U+1EA0..U+1EF9). */
static const char latin_ext_vietnamese[] = "AaAaAaAaAaAaAaAa"
                                           "AaAaAaAaEeEeEeEe"
                                           "EeEeEeEeIiIiOoOo"
                                           "OoOoOoOoOoOoOoOo"
                                           "OoOoUuUuUuUuUuUu"
                                           "UuYyYyYyYy";

static const struct {
    unsigned cp;
    const char *ascii;
} spelled[] = {
    {0x01A0, "O"},
    {0x01A1, "o"},
    {0x01AF, "U"},
    {0x01B0, "u"},
    {0x0218, "S"},
    {0x0219, "s"},
    {0x021A, "T"},
    {0x021B, "t"},
    {0x0391, "Alpha"},
    {0x0392, "Beta"},
    {0x0393, "Gamma"},
    {0x0394, "Delta"},
    {0x03B1, "alpha"},
    {0x03B2, "beta"},
    {0x03B3, "gamma"},
    {0x03B4, "delta"},
    {0x03B5, "epsilon"},
    {0x03BA, "kappa"},
    {0x03BB, "lambda"},
    {0x03BC, "\xB5"},
    {0x03C3, "sigma"},
    {0x03C9, "omega"},
    {0x2010, "-"},
    {0x2011, "-"},
    {0x2012, "-"},
    {0x2015, "\x97"},
    {0x2212, "-"},
    {0x2032, "'"},
    {0x2033, "\""},
    {0x2264, "<="},
    {0x2265, ">="},
    {0x2260, "!="},
    {0x2248, "~"},
    {0x2190, "<-"},
    {0x2192, "->"},
    {0x2194, "<->"},
    {0x2191, "^"},
    {0x2103, "\xB0"
             "C"},
    {0x2116, "No."},
    {0xFB01, "fi"},
    {0xFB02, "fl"},
    {0x2070, "0"},
    {0x2074, "4"},
    {0x2075, "5"},
    {0x2076, "6"},
    {0x2077, "7"},
    {0x2078, "8"},
    {0x2079, "9"},
    {0x2080, "0"},
    {0x2081, "1"},
    {0x2082, "2"},
    {0x2083, "3"},
    {0x2084, "4"},
    {0x2085, "5"},
    {0x2086, "6"},
    {0x2087, "7"},
    {0x2088, "8"},
    {0x2089, "9"},
    {0x2002, " "},
    {0x2003, " "},
    {0x2007, " "},
    {0x2009, " "},
    {0x200A, " "},
    {0x202F, " "},
    {0x200B, ""},
    {0x200C, ""},
    {0x200D, ""},
    {0xFEFF, ""},
};

/* Decodes one UTF-8 sequence at s; returns its length (>= 1) and the code
 * point, or length 1 and cp = -1 when malformed (overlong, surrogate,
 * beyond U+10FFFF, truncated). */
static size_t decode(const unsigned char *s, long *cp)
{
    unsigned c = s[0];
    size_t n, i;
    long v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        *cp = -1;
        return 1;
    }
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = -1;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = -1;
        return 1;
    }
    *cp = v;
    return n;
}

/* Appends the Windows-1252 form of cp to out; returns bytes written (at
 * most 7, the longest spelled-out form). */
static size_t encode(long cp, char *out)
{
    size_t i;
    if (cp == '\t') {
        out[0] = ' ';
        return 1;
    }
    if (cp == '\n' || (cp >= 0x20 && cp < 0x7F) || (cp >= 0xA0 && cp <= 0xFF)) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0xA0) /* other C0 controls, DEL, C1 controls */
        return 0;
    for (i = 0; i < 32; i++)
        if (cp1252_high[i] == cp) {
            out[0] = (char)(0x80 + i);
            return 1;
        }
    if (cp >= 0x100 && cp <= 0x17F) {
        out[0] = latin_ext_a[cp - 0x100];
        return 1;
    }
    if (cp >= 0x1EA0 && cp <= 0x1EF9) {
        out[0] = latin_ext_vietnamese[cp - 0x1EA0];
        return 1;
    }
    if (cp >= 0x300 && cp <= 0x36F) /* combining marks (decomposed input): keep the letter */
        return 0;
    for (i = 0; i < sizeof spelled / sizeof spelled[0]; i++)
        if (spelled[i].cp == (unsigned long)cp) {
            size_t n = strlen(spelled[i].ascii);
            memcpy(out, spelled[i].ascii, n);
            return n;
        }
    out[0] = '?';
    return 1;
}

char *winansi_from_utf8(const char *in)
{
    const unsigned char *s = (const unsigned char *)(in ? in : "");
    size_t len = strlen((const char *)s), o = 0;
    /* Every input byte yields at most 7 output bytes (a spelled-out form
     * replaces a sequence of at least two bytes, so this is generous). */
    char *out = malloc(len * 4 + 8);
    if (!out)
        return NULL;
    while (*s) {
        long cp;
        size_t n = decode(s, &cp);
        o += cp < 0 ? (out[o] = '?', 1) : encode(cp, out + o);
        s += n;
    }
    out[o] = 0;
    return out;
}
