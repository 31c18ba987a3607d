/* Unit tests for the directory's query filters and entry rules and for the
 * matching reasons: every filter accepted and refused, body rules and
 * defaults, merge patch, and reasons that explain the score. */
#include <stdarg.h>
#include <string.h>

#include "apperr/apperr.h"
#include "directory/filter.h"
#include "directory/rules.h"
#include "matching/score.h"
#include "unit.h"

/* Parses a query given as key, value pairs (NULL-terminated). */
static int parse(struct directory_filter *f, struct app_error *err, ...)
{
    json_t *q = json_object();
    va_list ap;
    const char *k;
    int rc;
    va_start(ap, err);
    while ((k = va_arg(ap, const char *)))
        json_object_set_new(q, k, json_string(va_arg(ap, const char *)));
    va_end(ap);
    rc = directory_filter_parse(q, f, err);
    json_decref(q);
    return rc;
}

static int error_names(const struct app_error *err, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(
        err->fields, i,
        e) if (!strcmp(json_string_value(json_object_get(e, "field")), field)) return 1;
    return 0;
}

static void test_filter_accepts_every_parameter(void)
{
    struct directory_filter f;
    struct app_error err = {0};
    CHECK(parse(&f, &err, "cancer_type", "soft_tissue_sarcoma", "nci_designation",
                "none,comprehensive", "state", "TX", "telehealth", "true", "accepting", "false",
                "payer", "3F1C2A9E-8D4B-4C6E-9F0A-1B2C3D4E5F60", "language", "es", "specialty",
                "hematopathology", "near", "29.76,-95.37", "within_km", "12.5", "include_retired",
                "true", "institution_id", "3f1c2a9e-8d4b-4c6e-9f0a-1b2c3d4e5f61", NULL) == 0);
    CHECK(err.status == 0);
    CHECK(!strcmp(f.cancer_type, "soft_tissue_sarcoma"));
    CHECK(!strcmp(f.designations, "{none,comprehensive}"));
    CHECK(!strcmp(f.state, "TX") && !strcmp(f.language, "es"));
    CHECK(f.telehealth == 1 && f.accepting == 0 && f.include_retired == 1);
    CHECK(!strcmp(f.payer_id, "3f1c2a9e-8d4b-4c6e-9f0a-1b2c3d4e5f60")); /* lowercased */
    CHECK(f.has_near && f.near_lat == 29.76 && f.near_lon == -95.37);
    CHECK(f.has_within && f.within_km == 12.5);
    CHECK(directory_filter_has_specialist_terms(&f));
    app_error_clear(&err);

    CHECK(parse(&f, &err, NULL) == 0);
    CHECK(f.telehealth == -1 && f.accepting == -1 && !f.has_near && !f.designations[0]);
    CHECK(!directory_filter_has_specialist_terms(&f));
    app_error_clear(&err);
}

static void test_filter_refuses_each_bad_value(void)
{
    static const char *const bad[][2] = {
        {"cancer_type", "Breast"},
        {"cancer_type", "a-b"},
        {"nci_designation", ""},
        {"nci_designation", "comprehensive,"},
        {"nci_designation", "clinic"},
        {"nci_designation", "clinical,clinical"},
        {"state", "tx"},
        {"state", "ZZ"},
        {"state", "TEX"},
        {"telehealth", "TRUE"},
        {"accepting", "1"},
        {"include_retired", "yes"},
        {"payer", "x"},
        {"institution_id", "123"},
        {"language", "EN"},
        {"language", "e"},
        {"language", "engl"},
        {"specialty", "Medical Oncology"},
        {"near", "29.7"},
        {"near", "29.7,"},
        {"near", ",1"},
        {"near", "1,2,3"},
        {"near", "91,0"},
        {"near", "0,181"},
        {"near", "1e1,2"},
        {"near", "nan,1"},
        {"near", "0x10,1"},
        {"near", " 1,2"},
        {"near", "1.,2"},
        {"near", "+1,2"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct directory_filter f;
        struct app_error err = {0};
        int rc = parse(&f, &err, bad[i][0], bad[i][1], NULL);
        CHECK(rc == -1 && err.status == 400);
        if (rc != -1 || !error_names(&err, bad[i][0]))
            fprintf(stderr, "  accepted %s=%s\n", bad[i][0], bad[i][1]);
        CHECK(error_names(&err, bad[i][0]));
        app_error_clear(&err);
    }
}

static void test_filter_within_km(void)
{
    struct directory_filter f;
    struct app_error err = {0};
    static const char *const bad[] = {"0", "-1", "abc", "20039", "1e3", NULL};
    CHECK(parse(&f, &err, "within_km", "10", NULL) == -1 && error_names(&err, "within_km"));
    app_error_clear(&err);
    for (int i = 0; bad[i]; i++) {
        CHECK(parse(&f, &err, "near", "1,1", "within_km", bad[i], NULL) == -1);
        CHECK(error_names(&err, "within_km"));
        app_error_clear(&err);
    }
    CHECK(parse(&f, &err, "near", "1,1", "within_km", "20038", NULL) == 0);
    app_error_clear(&err);
}

static void test_filter_reports_every_problem_at_once(void)
{
    struct directory_filter f;
    struct app_error err = {0};
    CHECK(parse(&f, &err, "state", "zz", "telehealth", "maybe", "language", "EN", NULL) == -1);
    CHECK(json_array_size(err.fields) == 3);
    app_error_clear(&err);
}

static void test_codes_states_and_languages(void)
{
    CHECK(directory_state_is_valid("DC") && directory_state_is_valid("PR"));
    CHECK(!directory_state_is_valid("XX") && !directory_state_is_valid(""));
    CHECK(directory_language_is_valid("en") && directory_language_is_valid("fil"));
    CHECK(!directory_language_is_valid("pt-BR") && !directory_language_is_valid("E"));
    CHECK(directory_code_is_valid("ewing_sarcoma") && !directory_code_is_valid(""));
    CHECK(!directory_code_is_valid("a b"));
}

static json_t *institution(const char *designation, json_t *patient_care)
{
    json_t *o = json_pack("{s:s,s:s,s:s,s:f,s:f}", "name", "X", "city", "Y", "state", "NV",
                          "latitude", 1.0, "longitude", 2.0);
    json_object_set_new(o, "nci_designation", designation ? json_string(designation) : json_null());
    if (patient_care)
        json_object_set_new(o, "patient_care", patient_care);
    return o;
}

static void test_institution_rules(void)
{
    struct app_error err = {0};
    json_t *o = institution("basic_laboratory", NULL);
    CHECK(directory_rules_institution(o, &err) == 0);
    CHECK(json_is_false(json_object_get(o, "patient_care"))); /* default */
    json_decref(o);
    o = institution(NULL, NULL);
    CHECK(directory_rules_institution(o, &err) == 0);
    CHECK(json_is_true(json_object_get(o, "patient_care")));
    json_decref(o);
    o = institution(NULL, json_false()); /* a research site that is not NCI-designated */
    CHECK(directory_rules_institution(o, &err) == 0);
    json_decref(o);
    CHECK(err.status == 0);

    o = institution("basic_laboratory", json_true());
    CHECK(directory_rules_institution(o, &err) == -1 && error_names(&err, "patient_care"));
    json_decref(o);
    app_error_clear(&err);
    o = institution("clinical", json_false());
    CHECK(directory_rules_institution(o, &err) == -1 && error_names(&err, "patient_care"));
    json_decref(o);
    app_error_clear(&err);
    o = institution("comprehensive", NULL);
    json_object_set_new(o, "state", json_string("ZZ"));
    CHECK(directory_rules_institution(o, &err) == -1 && error_names(&err, "state"));
    json_decref(o);
    app_error_clear(&err);
}

static json_t *specialist(void)
{
    return json_pack("{s:s,s:s,s:s,s:[s,s],s:i,s:i}", "name", "Dr. Example", "specialty",
                     "medical_oncology", "institution_id", "3f1c2a9e-8d4b-4c6e-9f0a-1b2c3d4e5f60",
                     "cancer_types", "breast", "ovarian", "turnaround_days", 7, "capacity", 4);
}

static void test_specialist_rules_and_defaults(void)
{
    struct app_error err = {0};
    json_t *o = specialist();
    CHECK(validate_object(o, specialist_fields, "", 0, &err) == 0);
    CHECK(directory_rules_specialist(o, 0, &err) == 0 && err.status == 0);
    CHECK(json_array_size(json_object_get(o, "languages")) == 1);
    CHECK(!strcmp(json_string_value(json_array_get(json_object_get(o, "languages"), 0)), "en"));
    CHECK(json_is_true(json_object_get(o, "telehealth")));
    CHECK(json_is_true(json_object_get(o, "accepting")));
    CHECK(json_array_size(json_object_get(o, "payer_ids")) == 0);
    json_decref(o);

    static const char *const bad[][2] = {
        {"languages", "[\"en\",\"en\"]"},
        {"languages", "[\"EN\"]"},
        {"cancer_types", "[\"breast\",\"breast\"]"},
        {"cancer_types", "[\"Breast\"]"},
        {"payer_ids", "[\"not-a-uuid\"]"},
        {"specialty", "\"Medical Oncology\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *v = json_loads(bad[i][1], JSON_DECODE_ANY, NULL);
        o = specialist();
        json_object_set_new(o, bad[i][0], v);
        CHECK(directory_rules_specialist(o, 0, &err) == -1);
        CHECK(error_names(&err, bad[i][0]));
        json_decref(o);
        app_error_clear(&err);
    }
}

static void test_capacity_covers_open_cases(void)
{
    struct app_error err = {0};
    json_t *o = specialist(); /* capacity 4 */
    CHECK(directory_rules_specialist(o, 4, &err) == 0 && err.status == 0);
    CHECK(directory_rules_specialist(o, 5, &err) == -1 && error_names(&err, "capacity"));
    json_decref(o);
    app_error_clear(&err);
}

static void test_bodies_refuse_server_owned_members(void)
{
    struct app_error err = {0};
    json_t *o = specialist();
    json_object_set_new(o, "retired_at", json_null());
    json_object_set_new(o, "payers", json_array());
    json_object_set_new(o, "open_cases", json_integer(0));
    CHECK(validate_object(o, specialist_fields, "", 0, &err) == -1);
    CHECK(error_names(&err, "retired_at") && error_names(&err, "payers"));
    CHECK(error_names(&err, "open_cases"));
    json_decref(o);
    app_error_clear(&err);
    o = institution("clinical", NULL);
    json_object_set_new(o, "id", json_string("3f1c2a9e-8d4b-4c6e-9f0a-1b2c3d4e5f60"));
    CHECK(validate_object(o, institution_fields, "", 0, &err) == -1 && error_names(&err, "id"));
    json_decref(o);
    app_error_clear(&err);
}

static void test_merge_patch(void)
{
    json_t *cur =
        json_pack("{s:s,s:s,s:b}", "name", "A", "nci_designation", "clinical", "patient_care", 1);
    json_t *patch = json_pack("{s:s,s:n}", "name", "B", "nci_designation");
    directory_merge_patch(cur, patch);
    CHECK(!strcmp(json_string_value(json_object_get(cur, "name")), "B"));
    CHECK(json_is_null(json_object_get(cur, "nci_designation")));
    CHECK(json_is_true(json_object_get(cur, "patient_care")));
    json_decref(cur);
    json_decref(patch);
}

static void test_match_reasons_explain_the_score(void)
{
    struct match_row r;
    json_t *reasons, *e;
    size_t i;
    int sum = 0;
    memset(&r, 0, sizeof r);
    strcpy(r.designation, "comprehensive");
    strcpy(r.network, "in_network");
    strcpy(r.language, "es");
    r.rare_at_comprehensive = 1;
    r.distance_known = 1;
    r.distance_km = 12.34;
    r.telehealth = 1;
    r.turnaround_days = 6;
    r.open_cases = 3;
    r.capacity = 12;
    r.points[MATCH_NCI_DESIGNATION] = MATCH_POINTS_NCI_COMPREHENSIVE;
    r.points[MATCH_RARE_CANCER_CENTER] = MATCH_POINTS_RARE_AT_COMPREHENSIVE;
    r.points[MATCH_IN_NETWORK] = MATCH_POINTS_IN_NETWORK;
    r.points[MATCH_DISTANCE] = MATCH_POINTS_KM_TIER1;
    r.points[MATCH_TELEHEALTH] = MATCH_POINTS_TELEHEALTH;
    r.points[MATCH_LANGUAGE] = MATCH_POINTS_LANGUAGE_PREFERRED;
    r.points[MATCH_TURNAROUND] = MATCH_POINTS_DAYS_TIER2;
    r.points[MATCH_LOAD] = MATCH_POINTS_LOAD_TIER1;
    reasons = match_reasons(&r);
    CHECK(json_array_size(reasons) == MATCH_FACTOR_COUNT);
    json_array_foreach(reasons, i, e)
    {
        CHECK(!strcmp(json_string_value(json_object_get(e, "factor")),
                      match_factor_name((enum match_factor)i)));
        sum += (int)json_integer_value(json_object_get(e, "points"));
    }
    CHECK(sum == match_score(&r) && sum == 30 + 20 + 15 + 10 + 5 + 10 + 6 + 5);
    e = json_array_get(reasons, MATCH_NCI_DESIGNATION);
    CHECK(!strcmp(json_string_value(json_object_get(e, "value")), "comprehensive"));
    e = json_array_get(reasons, MATCH_DISTANCE);
    CHECK(json_real_value(json_object_get(e, "value")) == 12.3);
    e = json_array_get(reasons, MATCH_LOAD);
    CHECK(json_real_value(json_object_get(e, "value")) == 0.25);
    e = json_array_get(reasons, MATCH_RARE_CANCER_CENTER);
    CHECK(json_is_true(json_object_get(e, "value")));
    json_decref(reasons);

    /* unknown distance and no shared language are null values */
    r.distance_known = 0;
    r.language[0] = 0;
    reasons = match_reasons(&r);
    CHECK(json_is_null(json_object_get(json_array_get(reasons, MATCH_DISTANCE), "value")));
    CHECK(json_is_null(json_object_get(json_array_get(reasons, MATCH_LANGUAGE), "value")));
    json_decref(reasons);
    CHECK(match_distance_shown(0.04) == 0.0 && match_distance_shown(1871.46) == 1871.5);
    CHECK(!strcmp(match_factor_name(MATCH_FACTOR_COUNT), "unknown"));
}

const struct unit_test directory_tests[] = {
    {"directory_filter_accepts_every_parameter", test_filter_accepts_every_parameter},
    {"directory_filter_refuses_each_bad_value", test_filter_refuses_each_bad_value},
    {"directory_filter_within_km", test_filter_within_km},
    {"directory_filter_reports_every_problem_at_once", test_filter_reports_every_problem_at_once},
    {"directory_codes_states_and_languages", test_codes_states_and_languages},
    {"directory_institution_rules", test_institution_rules},
    {"directory_specialist_rules_and_defaults", test_specialist_rules_and_defaults},
    {"directory_capacity_covers_open_cases", test_capacity_covers_open_cases},
    {"directory_bodies_refuse_server_owned_members", test_bodies_refuse_server_owned_members},
    {"directory_merge_patch", test_merge_patch},
    {"matching_reasons_explain_the_score", test_match_reasons_explain_the_score},
    {NULL, NULL},
};
