/* validate: declarative checks for JSON request bodies. A handler describes
 * the object it accepts as a table of vfield; validate_object refuses
 * unknown members, wrong types, out-of-range values and server-owned fields,
 * and reports every problem as a per-field error (path-prefixed, e.g.
 * "patient.dob") on the app_error, so a client sees all of them at once. */
#ifndef CSO_VALIDATE_H
#define CSO_VALIDATE_H

#include <jansson.h>

#include "../apperr/apperr.h"

enum vtype {
    V_STRING, /* single-line text: no control characters */
    V_TEXT,   /* multi-line text: \n \r \t allowed */
    V_INT,    /* JSON integer in [min, max] */
    V_NUMBER, /* JSON number in [min, max] */
    V_BOOL,
    V_DATE,     /* YYYY-MM-DD */
    V_DATETIME, /* RFC 3339 with zone */
    V_UUID,
    V_ENUM,         /* string, one of values */
    V_STRING_ARRAY, /* array of V_STRING; min/max bound the item count, max_len each item */
    V_ENUM_ARRAY,   /* array of distinct V_ENUM values */
    V_OBJECT,       /* nested object described by fields */
    V_OBJECT_ARRAY, /* array of objects described by fields */
    V_READONLY,     /* set by the server: present at all is an error */
};

#define V_REQUIRED 1u
#define V_NULLABLE 2u

struct vfield {
    const char *name;
    enum vtype type;
    unsigned flags;
    double min;                  /* strings: min length; numbers: min; arrays: min items */
    double max;                  /* strings: max length; numbers: max; arrays: max items */
    const char *const *values;   /* V_ENUM / V_ENUM_ARRAY: NULL-terminated list */
    const struct vfield *fields; /* V_OBJECT / V_OBJECT_ARRAY: NULL-name-terminated list */
    size_t item_max_len;         /* V_STRING_ARRAY: max length of each item (0 = 200) */
};

/* A request-body schema as a handler applies it: the field table, whether it
 * is checked as a partial (merge-patch) document, and the cross-member rules
 * the handler runs after the table (NULL when none; they must cope with a
 * document the table refused, as handlers call them regardless). Each module
 * with JSON bodies exports a NULL-name-terminated list of its schemas, which
 * internal/routes.c collects for the body fuzzer (tests/fuzz/fuzz_body.c). */
struct vschema {
    const char *name; /* "<module>.<operation>[.<role>]" */
    const struct vfield *fields;
    int partial;
    void (*rules)(const json_t *doc, struct app_error *err);
};

/* Validates obj against fields. path prefixes field names in errors ("" at
 * the top). With partial != 0 (PATCH) required members may be absent.
 * Returns 0 when valid, -1 after adding at least one error to err. */
int validate_object(const json_t *obj, const struct vfield *fields, const char *path, int partial,
                    struct app_error *err);

/* Helpers for reading validated members: NULL/default when absent or null. */
const char *vget_str(const json_t *obj, const char *name);
int vget_bool(const json_t *obj, const char *name, int dflt);

/* The If-Match rule of updates (RFC 9110 13.1.1), for domain code: absent or
 * empty -> 428; neither etag nor "*" -> 412 with err->etag set to etag (the
 * client's next If-Match). Returns 0 when the update may go on. */
int validate_if_match(const char *if_match, const char *etag, struct app_error *err);

#endif
