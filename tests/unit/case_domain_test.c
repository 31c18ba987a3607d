/* Unit tests for the pure part of the case domain (case_check_rules in
 * internal/cases/case_domain.c): the rules a case document meets beyond
 * its field table, without a server or a database. Dates that must lie in
 * the future are computed from today, so the tests never expire. */
#include <string.h>
#include <time.h>

#include "cases/case_domain.h"
#include "unit.h"

/* A document that meets every rule (the fixture of tests/lib/fixtures.py,
 * cut to the members the rules read). */
static json_t *valid_case(void)
{
    return json_pack("{s:{s:s, s:s, s:s, s:s, s:{s:s}}, s:{s:s, s:{s:b, s:s}},"
                     " s:{s:[s], s:s, s:s}, s:{s:[s, s]}}",
                     "patient", "date_of_birth", "1968-02-03", "state", "TX", "zip", "77030",
                     "preferred_language", "en", "contact", "email", "pat@example.org", "diagnosis",
                     "diagnosis_date", "2020-01-15", "stage", "unknown", 0, "group", "II",
                     "request", "reasons", "confirm_stage", "urgency", "soon", "urgency_reason",
                     "Chemotherapy is scheduled.", "preferences", "languages", "en", "zh-Hant");
}

/* The fields case_check_rules names on doc, as one space-separated string. */
static void fields_of(json_t *doc, char *out, size_t len)
{
    struct app_error err = {0};
    json_t *item;
    size_t i;
    out[0] = '\0';
    case_check_rules(doc, &err);
    json_array_foreach(err.fields, i, item)
    {
        if (i)
            strncat(out, " ", len - strlen(out) - 1);
        strncat(out, json_string_value(json_object_get(item, "field")), len - strlen(out) - 1);
    }
    app_error_clear(&err);
    json_decref(doc);
}

static void tomorrow(char out[11])
{
    time_t t = time(NULL) + 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static void test_valid_case_meets_every_rule(void)
{
    char got[256];
    fields_of(valid_case(), got, sizeof got);
    CHECK(strcmp(got, "") == 0);
}

static void test_each_broken_rule_names_its_field(void)
{
    char got[256], day[11];
    json_t *doc;

    tomorrow(day);
    doc = valid_case();
    json_object_set_new(json_object_get(doc, "patient"), "date_of_birth", json_string(day));
    fields_of(doc, got, sizeof got);
    /* and the diagnosis, which now comes before the birth */
    CHECK(strcmp(got, "patient.date_of_birth diagnosis.diagnosis_date") == 0);

    doc = valid_case();
    json_object_set_new(json_object_get(doc, "diagnosis"), "diagnosis_date",
                        json_string("1960-01-01"));
    fields_of(doc, got, sizeof got);
    CHECK(strcmp(got, "diagnosis.diagnosis_date") == 0);

    doc = valid_case();
    json_object_set_new(json_object_get(doc, "patient"), "state", json_string("tx"));
    json_object_set_new(json_object_get(doc, "patient"), "zip", json_string("7703A"));
    fields_of(doc, got, sizeof got);
    CHECK(strcmp(got, "patient.state patient.zip") == 0);

    doc = valid_case();
    json_object_set_new(json_object_get(json_object_get(doc, "diagnosis"), "stage"), "unknown",
                        json_true());
    fields_of(doc, got, sizeof got);
    CHECK(strcmp(got, "diagnosis.stage") == 0);

    doc = valid_case();
    json_object_set_new(json_object_get(doc, "request"), "reasons", json_pack("[s]", "other"));
    json_object_del(json_object_get(doc, "request"), "urgency_reason");
    fields_of(doc, got, sizeof got);
    CHECK(strcmp(got, "request.reason_other request.urgency_reason") == 0);

    doc = valid_case();
    json_object_set_new(json_object_get(doc, "preferences"), "languages",
                        json_pack("[s, s]", "en", "english!"));
    fields_of(doc, got, sizeof got);
    CHECK(strcmp(got, "preferences.languages[1]") == 0);
}

/* The rules run after the table whatever it found, so they must not trip
 * over members of the wrong type or missing altogether. */
static void test_rules_cope_with_a_refused_document(void)
{
    char got[256];
    fields_of(json_object(), got, sizeof got);
    CHECK(strcmp(got, "") == 0);
    fields_of(json_pack("{s:i, s:[], s:s, s:{s:i}}", "patient", 1, "diagnosis", "request", "x",
                        "preferences", "languages", 3),
              got, sizeof got);
    CHECK(strcmp(got, "") == 0);
}

const struct unit_test case_domain_tests[] = {
    {"case_rules_valid", test_valid_case_meets_every_rule},
    {"case_rules_each_names_its_field", test_each_broken_rule_names_its_field},
    {"case_rules_cope_with_refused_documents", test_rules_cope_with_a_refused_document},
    {NULL, NULL},
};
