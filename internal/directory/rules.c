#include "rules.h"

#include <string.h>

#include "../util/util.h"
#include "filter.h"

static const char *const designations[] = {"comprehensive", "clinical", "basic_laboratory", NULL};

const struct vfield institution_fields[] = {
    {"name", V_STRING, V_REQUIRED, 1, 200, NULL, NULL, 0},
    {"city", V_STRING, V_REQUIRED, 1, 100, NULL, NULL, 0},
    {"state", V_STRING, V_REQUIRED, 2, 2, NULL, NULL, 0},
    {"nci_designation", V_ENUM, V_REQUIRED | V_NULLABLE, 0, 0, designations, NULL, 0},
    {"latitude", V_NUMBER, V_REQUIRED, -90, 90, NULL, NULL, 0},
    {"longitude", V_NUMBER, V_REQUIRED, -180, 180, NULL, NULL, 0},
    {"patient_care", V_BOOL, 0, 0, 0, NULL, NULL, 0},
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"retired_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"updated_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"distance_km", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

const struct vfield specialist_fields[] = {
    {"name", V_STRING, V_REQUIRED, 1, 200, NULL, NULL, 0},
    {"specialty", V_STRING, V_REQUIRED, 1, 64, NULL, NULL, 0},
    {"institution_id", V_UUID, V_REQUIRED, 0, 0, NULL, NULL, 0},
    {"cancer_types", V_STRING_ARRAY, V_REQUIRED, 1, 60, NULL, NULL, 64},
    {"languages", V_STRING_ARRAY, 0, 1, 20, NULL, NULL, 3},
    {"telehealth", V_BOOL, 0, 0, 0, NULL, NULL, 0},
    {"accepting", V_BOOL, 0, 0, 0, NULL, NULL, 0},
    {"turnaround_days", V_INT, V_REQUIRED, 1, 90, NULL, NULL, 0},
    {"capacity", V_INT, V_REQUIRED, 0, 1000, NULL, NULL, 0},
    {"payer_ids", V_STRING_ARRAY, 0, 0, 50, NULL, NULL, 36},
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"open_cases", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"institution", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"payers", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"retired_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"updated_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {"distance_km", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

int directory_rules_institution(json_t *obj, struct app_error *err)
{
    const char *state = json_string_value(json_object_get(obj, "state"));
    const char *designation = json_string_value(json_object_get(obj, "nci_designation"));
    json_t *care = json_object_get(obj, "patient_care");
    int bad = 0;

    if (state && !directory_state_is_valid(state)) {
        app_error_field(err, "state", "must be a two-letter USPS code, e.g. TX");
        bad = 1;
    }
    if (!json_is_boolean(care)) {
        /* Basic-laboratory centers do research only; everything else sees patients. */
        json_object_set_new(obj, "patient_care",
                            json_boolean(!designation || strcmp(designation, "basic_laboratory")));
    } else if (designation && !strcmp(designation, "basic_laboratory") && json_is_true(care)) {
        app_error_field(err, "patient_care",
                        "must be false: basic-laboratory centers do not see patients");
        bad = 1;
    } else if (designation && strcmp(designation, "basic_laboratory") && json_is_false(care)) {
        app_error_field(err, "patient_care", "must be true: %s centers see patients", designation);
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* Each item must satisfy ok() and appear once. */
static int check_items(const json_t *arr, const char *name, int (*ok)(const char *),
                       const char *what, struct app_error *err)
{
    size_t i, j;
    const json_t *item;
    int bad = 0;
    json_array_foreach(arr, i, item)
    {
        const char *s = json_string_value(item);
        if (!s || !ok(s)) {
            app_error_field(err, name, "item %zu must be %s", i, what);
            bad = 1;
            continue;
        }
        for (j = 0; j < i; j++)
            if (json_equal(json_array_get(arr, j), item)) {
                app_error_field(err, name, "repeats %s", s);
                bad = 1;
                break;
            }
    }
    return bad;
}

static int uuid_ok(const char *s)
{
    return uuid_is_valid(s);
}

int directory_rules_specialist(json_t *obj, int open_cases, struct app_error *err)
{
    json_t *v;
    int bad = 0;

    if (!json_is_array(json_object_get(obj, "languages")))
        json_object_set_new(obj, "languages", json_pack("[s]", "en"));
    if (!json_is_boolean(json_object_get(obj, "telehealth")))
        json_object_set_new(obj, "telehealth", json_true());
    if (!json_is_boolean(json_object_get(obj, "accepting")))
        json_object_set_new(obj, "accepting", json_true());
    if (!json_is_array(json_object_get(obj, "payer_ids")))
        json_object_set_new(obj, "payer_ids", json_array());

    bad |= check_items(json_object_get(obj, "languages"), "languages", directory_language_is_valid,
                       "a lowercase ISO 639 code, e.g. es", err);
    bad |= check_items(json_object_get(obj, "cancer_types"), "cancer_types",
                       directory_code_is_valid, "a cancer type code, e.g. breast", err);
    bad |= check_items(json_object_get(obj, "payer_ids"), "payer_ids", uuid_ok, "a payer id (UUID)",
                       err);
    if ((v = json_object_get(obj, "specialty")) && json_is_string(v) &&
        !directory_code_is_valid(json_string_value(v))) {
        app_error_field(err, "specialty", "must be a specialty code, e.g. medical_oncology");
        bad = 1;
    }
    if (json_integer_value(json_object_get(obj, "capacity")) < open_cases) {
        app_error_field(err, "capacity", "must be at least the %d cases the specialist has open",
                        open_cases);
        bad = 1;
    }
    return bad ? -1 : 0;
}

void directory_merge_patch(json_t *target, const json_t *patch)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)patch, key, value) json_object_set(target, key, value);
}
