/* winansi: text for the PDF standard fonts. libharu's built-in fonts
 * (Helvetica and friends) draw single-byte WinAnsi (Windows-1252) text,
 * while everything we store is UTF-8. Pure function, no global state. */
#ifndef CSO_WINANSI_H
#define CSO_WINANSI_H

/* Converts UTF-8 to Windows-1252 bytes. Characters Windows-1252 lacks are
 * transliterated where a faithful ASCII form exists (dashes, >=, Greek
 * letters used in pathology; Latin letters with accents it lacks lose the
 * accent, and combining accents are dropped) and become '?' otherwise;
 * malformed UTF-8 becomes '?'. A tab becomes a space; '\n' is kept; other
 * control characters are dropped. Never returns bytes 0x00
 * inside the string. Returns a malloc'd NUL-terminated string (caller
 * frees), or NULL on allocation failure. in may be NULL (treated as ""). */
char *winansi_from_utf8(const char *in);

#endif
