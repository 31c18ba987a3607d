#include "validate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../util/util.h"

/* Joins path and name with a dot into buf (len > 1). Built for every member
 * of every validated body, so plain copies rather than snprintf. */
static void field_path(char *buf, size_t len, const char *path, const char *name)
{
    size_t n = 0, plen = path ? strlen(path) : 0, nlen = strlen(name);
    int cut = 0;
    if (plen) {
        if (plen > len - 1)
            plen = len - 1, cut = 1;
        memcpy(buf, path, plen);
        n = plen;
        if (n < len - 1)
            buf[n++] = '.';
    }
    if (nlen > len - 1 - n)
        nlen = len - 1 - n, cut = 1;
    memcpy(buf + n, name, nlen);
    buf[n + nlen] = '\0';
    /* An unknown member's name comes from the caller and may be long: a cut
     * must not split a character, or the error could not be rendered. */
    if (cut)
        utf8_trim_partial(buf);
}

static int in_values(const char *const *values, const char *s)
{
    for (; values && *values; values++)
        if (!strcmp(*values, s))
            return 1;
    return 0;
}

/* Length in characters (code points), as JSON Schema's minLength/maxLength
 * and PostgreSQL's char_length count them; jansson guarantees valid UTF-8. */
static size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static int check_string(const json_t *v, const struct vfield *f, const char *fp, int multiline,
                        struct app_error *err)
{
    const char *s;
    size_t len;
    if (!json_is_string(v)) {
        app_error_field(err, fp, "must be a string");
        return -1;
    }
    s = json_string_value(v);
    len = json_string_length(v);
    if (strlen(s) != len) {
        app_error_field(err, fp, "must not contain NUL characters");
        return -1;
    }
    if (!text_is_clean(s) || (!multiline && strpbrk(s, "\r\n"))) {
        app_error_field(err, fp, "must not contain control characters");
        return -1;
    }
    len = utf8_length(s);
    if (f->min > 0 && (double)len < f->min) {
        app_error_field(err, fp, "must be at least %.0f characters", f->min);
        return -1;
    }
    if (f->max > 0 && (double)len > f->max) {
        app_error_field(err, fp, "must be at most %.0f characters", f->max);
        return -1;
    }
    return 0;
}

static int check_value(const json_t *v, const struct vfield *f, const char *fp, int partial,
                       struct app_error *err)
{
    size_t i;
    const json_t *item;
    char ip[200];

    switch (f->type) {
    case V_READONLY:
        app_error_field(err, fp, "is set by the server and cannot be written");
        return -1;
    case V_STRING:
        return check_string(v, f, fp, 0, err);
    case V_TEXT:
        return check_string(v, f, fp, 1, err);
    case V_INT:
        if (!json_is_integer(v)) {
            app_error_field(err, fp, "must be an integer");
            return -1;
        }
        if ((double)json_integer_value(v) < f->min || (double)json_integer_value(v) > f->max) {
            app_error_field(err, fp, "must be between %.0f and %.0f", f->min, f->max);
            return -1;
        }
        return 0;
    case V_NUMBER:
        if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            app_error_field(err, fp, "must be a number");
            return -1;
        }
        if (json_number_value(v) < f->min || json_number_value(v) > f->max) {
            app_error_field(err, fp, "must be between %g and %g", f->min, f->max);
            return -1;
        }
        return 0;
    case V_BOOL:
        if (!json_is_boolean(v)) {
            app_error_field(err, fp, "must be true or false");
            return -1;
        }
        return 0;
    case V_DATE:
        if (!json_is_string(v) || !date_is_valid(json_string_value(v))) {
            app_error_field(err, fp, "must be a date (YYYY-MM-DD)");
            return -1;
        }
        return 0;
    case V_DATETIME:
        if (!json_is_string(v) || !datetime_is_valid(json_string_value(v))) {
            app_error_field(err, fp, "must be an RFC 3339 date-time with a time zone");
            return -1;
        }
        return 0;
    case V_UUID:
        if (!json_is_string(v) || !uuid_is_valid(json_string_value(v))) {
            app_error_field(err, fp, "must be a UUID");
            return -1;
        }
        return 0;
    case V_ENUM:
        if (!json_is_string(v) || !in_values(f->values, json_string_value(v))) {
            app_error_field(err, fp, "must be one of the documented values");
            return -1;
        }
        return 0;
    case V_STRING_ARRAY:
    case V_ENUM_ARRAY:
    case V_OBJECT_ARRAY: {
        int bad = 0;
        if (!json_is_array(v)) {
            app_error_field(err, fp, "must be an array");
            return -1;
        }
        if ((double)json_array_size(v) < f->min ||
            (f->max > 0 && (double)json_array_size(v) > f->max)) {
            if (f->max > 0)
                app_error_field(err, fp, "must have between %.0f and %.0f items", f->min, f->max);
            else
                app_error_field(err, fp, "must have at least %.0f items", f->min);
            return -1;
        }
        json_array_foreach(v, i, item)
        {
            snprintf(ip, sizeof ip, "%s[%zu]", fp, i);
            if (f->type == V_OBJECT_ARRAY) {
                if (!json_is_object(item)) {
                    app_error_field(err, ip, "must be an object");
                    bad = 1;
                } else if (validate_object(item, f->fields, ip, 0, err) != 0) {
                    bad = 1;
                }
            } else if (f->type == V_ENUM_ARRAY) {
                size_t j;
                if (!json_is_string(item) || !in_values(f->values, json_string_value(item))) {
                    app_error_field(err, ip, "must be one of the documented values");
                    bad = 1;
                    continue;
                }
                for (j = 0; j < i; j++)
                    if (json_equal(json_array_get(v, j), item)) {
                        app_error_field(err, ip, "is repeated");
                        bad = 1;
                    }
            } else {
                struct vfield each = {
                    f->name, V_STRING, 0, 1, (double)(f->item_max_len ? f->item_max_len : 200),
                    NULL,    NULL,     0};
                if (check_string(item, &each, ip, 0, err) != 0)
                    bad = 1;
            }
        }
        return bad ? -1 : 0;
    }
    case V_OBJECT:
        if (!json_is_object(v)) {
            app_error_field(err, fp, "must be an object");
            return -1;
        }
        return validate_object(v, f->fields, fp, partial, err);
    }
    return 0;
}

int validate_object(const json_t *obj, const struct vfield *fields, const char *path, int partial,
                    struct app_error *err)
{
    const char *key;
    const json_t *v;
    const struct vfield *f;
    char fp[160];
    int bad = 0;

    json_object_foreach((json_t *)obj, key, v)
    {
        for (f = fields; f->name; f++)
            if (!strcmp(f->name, key))
                break;
        field_path(fp, sizeof fp, path, key);
        if (!f->name) {
            app_error_field(err, fp, "is not a known field");
            bad = 1;
            continue;
        }
        if (json_is_null(v)) {
            if (f->type == V_READONLY) {
                app_error_field(err, fp, "is set by the server and cannot be written");
                bad = 1;
            } else if (!(f->flags & V_NULLABLE)) {
                app_error_field(err, fp, "must not be null");
                bad = 1;
            }
            continue;
        }
        if (check_value(v, f, fp, partial, err) != 0)
            bad = 1;
    }
    if (!partial)
        for (f = fields; f->name; f++)
            if ((f->flags & V_REQUIRED) && !json_object_get(obj, f->name)) {
                field_path(fp, sizeof fp, path, f->name);
                app_error_field(err, fp, "is required");
                bad = 1;
            }
    return bad ? -1 : 0;
}

const char *vget_str(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}

int vget_bool(const json_t *obj, const char *name, int dflt)
{
    const json_t *v = json_object_get(obj, name);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

int validate_if_match(const char *if_match, const char *etag, struct app_error *err)
{
    if (!if_match || !*if_match)
        return app_error_problem(err, PROBLEM_PRECONDITION_REQUIRED,
                                 "Send If-Match with the ETag from your last read of this "
                                 "resource.");
    if (strcmp(if_match, etag) != 0 && strcmp(if_match, "*") != 0) {
        app_error_problem(err, PROBLEM_PRECONDITION_FAILED,
                          "The resource changed since you read it; read it again and retry.");
        snprintf(err->etag, sizeof err->etag, "%s", etag);
        return -1;
    }
    return 0;
}
