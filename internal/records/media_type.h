/* media_type: the four kinds of file a record may be, and the check that an
 * upload's bytes really are the type its Content-Type declares. A mislabelled
 * file would be served back with the wrong type to a reviewer's viewer, so
 * the declaration is verified against the file's signature, not trusted.
 * Pure functions: no I/O, no allocation. */
#ifndef CSO_MEDIA_TYPE_H
#define CSO_MEDIA_TYPE_H

#include <stddef.h>

/* Maps a Content-Type header value ("application/pdf; x=y", any case) to
 * the canonical media type string (static storage), or NULL when it is not
 * one of application/pdf, image/jpeg, image/png, application/dicom. */
const char *media_type_accepted(const char *content_type);

/* 1 when bytes start with the signature of media_type (a canonical value
 * from media_type_accepted): PDF "%PDF-", JPEG FF D8 FF, PNG's eight-byte
 * signature, DICOM Part 10 "DICM" after the 128-byte preamble. Else 0. */
int media_type_matches(const char *media_type, const unsigned char *bytes, size_t len);

/* File-name extension for a canonical media type ("pdf", "jpg", "png",
 * "dcm"), or "bin". */
const char *media_type_extension(const char *media_type);

#endif
