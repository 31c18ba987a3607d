#include "filter.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

/* USPS codes of the states, DC and the territories (where NCI-designated
 * centers and patients may be). */
static const char *const usps_codes[] = {
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ",
    "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
    "VA", "WA", "WV", "WI", "WY", "DC", "PR", "GU", "VI", "AS", "MP", NULL,
};

static const char *const designation_values[] = {"comprehensive", "clinical", "basic_laboratory",
                                                 "none", NULL};

int directory_state_is_valid(const char *code)
{
    for (int i = 0; usps_codes[i]; i++)
        if (!strcmp(usps_codes[i], code))
            return 1;
    return 0;
}

int directory_language_is_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 3)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 'a' || s[i] > 'z')
            return 0;
    return 1;
}

int directory_code_is_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* A plain decimal: optional minus, digits, optional fraction. No exponent,
 * hex, inf, nan or spaces, which strtod would otherwise accept. */
static int parse_decimal(const char *s, size_t len, double *out)
{
    char buf[40];
    size_t i = 0, digits = 0;
    char *end;
    if (len == 0 || len >= sizeof buf)
        return -1;
    if (s[0] == '-')
        i++;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < len && s[i] == '.') {
        size_t frac = 0;
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            frac++;
        if (!frac)
            return -1;
    }
    if (i != len || !digits)
        return -1;
    memcpy(buf, s, len);
    buf[len] = 0;
    *out = strtod(buf, &end);
    return *end == 0 && isfinite(*out) ? 0 : -1;
}

static int parse_bool(const char *v, const char *name, int *out, struct app_error *err)
{
    if (!strcmp(v, "true"))
        *out = 1;
    else if (!strcmp(v, "false"))
        *out = 0;
    else {
        app_error_field(err, name, "must be true or false");
        return -1;
    }
    return 0;
}

/* nci_designation=comprehensive,clinical,none -> "{comprehensive,clinical,none}" */
static int parse_designations(const char *v, char *out, size_t outlen, struct app_error *err)
{
    const char *p = v;
    int seen[4] = {0, 0, 0, 0};
    size_t used;
    snprintf(out, outlen, "{");
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        int k;
        for (k = 0; designation_values[k]; k++)
            if (strlen(designation_values[k]) == len && !strncmp(designation_values[k], p, len))
                break;
        if (!designation_values[k]) {
            app_error_field(err, "nci_designation",
                            "must be a comma-separated list of comprehensive, clinical, "
                            "basic_laboratory and none");
            return -1;
        }
        if (seen[k]++) {
            app_error_field(err, "nci_designation", "repeats %s", designation_values[k]);
            return -1;
        }
        used = strlen(out);
        snprintf(out + used, outlen - used, "%s%s", used > 1 ? "," : "", designation_values[k]);
        if (!comma)
            break;
        p = comma + 1;
    }
    used = strlen(out);
    snprintf(out + used, outlen - used, "}");
    return 0;
}

static int parse_near(const char *v, double *lat, double *lon, struct app_error *err)
{
    const char *comma = strchr(v, ',');
    if (!comma || strchr(comma + 1, ',') || parse_decimal(v, (size_t)(comma - v), lat) != 0 ||
        parse_decimal(comma + 1, strlen(comma + 1), lon) != 0) {
        app_error_field(err, "near", "must be latitude,longitude in decimal degrees");
        return -1;
    }
    if (*lat < -90 || *lat > 90 || *lon < -180 || *lon > 180) {
        app_error_field(err, "near",
                        "latitude must be between -90 and 90, longitude between -180 and 180");
        return -1;
    }
    return 0;
}

static void copy_checked(char *dst, size_t dstlen, const char *v)
{
    snprintf(dst, dstlen, "%s", v);
}

int directory_filter_parse(const json_t *query, struct directory_filter *out, struct app_error *err)
{
    const char *v;
    int bad = 0;

    memset(out, 0, sizeof *out);
    out->telehealth = -1;
    out->accepting = -1;

    if ((v = json_string_value(json_object_get(query, "cancer_type")))) {
        if (!directory_code_is_valid(v)) {
            app_error_field(err, "cancer_type", "must be a cancer type code, e.g. breast");
            bad = 1;
        } else
            copy_checked(out->cancer_type, sizeof out->cancer_type, v);
    }
    if ((v = json_string_value(json_object_get(query, "specialty")))) {
        if (!directory_code_is_valid(v)) {
            app_error_field(err, "specialty", "must be a specialty code, e.g. medical_oncology");
            bad = 1;
        } else
            copy_checked(out->specialty, sizeof out->specialty, v);
    }
    if ((v = json_string_value(json_object_get(query, "nci_designation"))) &&
        parse_designations(v, out->designations, sizeof out->designations, err) != 0)
        bad = 1;
    if ((v = json_string_value(json_object_get(query, "state")))) {
        if (!directory_state_is_valid(v)) {
            app_error_field(err, "state", "must be a two-letter USPS code, e.g. TX");
            bad = 1;
        } else
            copy_checked(out->state, sizeof out->state, v);
    }
    if ((v = json_string_value(json_object_get(query, "payer")))) {
        if (!uuid_is_valid(v)) {
            app_error_field(err, "payer", "must be a payer id (UUID)");
            bad = 1;
        } else {
            copy_checked(out->payer_id, sizeof out->payer_id, v);
            for (char *p = out->payer_id; *p; p++)
                if (*p >= 'A' && *p <= 'F')
                    *p = (char)(*p - 'A' + 'a');
        }
    }
    if ((v = json_string_value(json_object_get(query, "institution_id")))) {
        if (!uuid_is_valid(v)) {
            app_error_field(err, "institution_id", "must be an institution id (UUID)");
            bad = 1;
        } else {
            copy_checked(out->institution_id, sizeof out->institution_id, v);
            for (char *p = out->institution_id; *p; p++)
                if (*p >= 'A' && *p <= 'F')
                    *p = (char)(*p - 'A' + 'a');
        }
    }
    if ((v = json_string_value(json_object_get(query, "language")))) {
        if (!directory_language_is_valid(v)) {
            app_error_field(err, "language", "must be a lowercase ISO 639 code, e.g. es");
            bad = 1;
        } else
            copy_checked(out->language, sizeof out->language, v);
    }
    if ((v = json_string_value(json_object_get(query, "telehealth"))) &&
        parse_bool(v, "telehealth", &out->telehealth, err) != 0)
        bad = 1;
    if ((v = json_string_value(json_object_get(query, "accepting"))) &&
        parse_bool(v, "accepting", &out->accepting, err) != 0)
        bad = 1;
    if ((v = json_string_value(json_object_get(query, "include_retired"))) &&
        parse_bool(v, "include_retired", &out->include_retired, err) != 0)
        bad = 1;
    if ((v = json_string_value(json_object_get(query, "near")))) {
        if (parse_near(v, &out->near_lat, &out->near_lon, err) != 0)
            bad = 1;
        else
            out->has_near = 1;
    }
    if ((v = json_string_value(json_object_get(query, "within_km")))) {
        if (parse_decimal(v, strlen(v), &out->within_km) != 0 || out->within_km <= 0 ||
            out->within_km > DIRECTORY_MAX_WITHIN_KM) {
            app_error_field(err, "within_km",
                            "must be a number of kilometres above 0 and at most %.0f",
                            DIRECTORY_MAX_WITHIN_KM);
            bad = 1;
        } else if (!json_object_get(query, "near")) {
            app_error_field(err, "within_km", "needs near=latitude,longitude");
            bad = 1;
        } else
            out->has_within = 1;
    }
    return bad ? -1 : 0;
}

int directory_filter_has_specialist_terms(const struct directory_filter *f)
{
    return f->cancer_type[0] || f->payer_id[0] || f->language[0] || f->specialty[0] ||
           f->telehealth >= 0 || f->accepting >= 0;
}
