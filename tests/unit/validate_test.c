/* Unit tests for internal/validate: every vtype accepted and refused, unknown
 * and server-owned fields, required vs partial, nested error paths, array
 * bounds and NUL inside strings. */
#include <stdlib.h>
#include <string.h>

#include "apperr/apperr.h"
#include "jsonpatch/jsonpatch.h"
#include "validate/validate.h"
#include "unit.h"

static const char *const colors[] = {"red", "green", NULL};

static const struct vfield address_fields[] = {
    {"city", V_STRING, V_REQUIRED, 1, 20, NULL, NULL, 0},
    {"zip", V_STRING, 0, 5, 5, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

static const struct vfield medication_fields[] = {
    {"name", V_STRING, V_REQUIRED, 1, 50, NULL, NULL, 0},
    {"dose_mg", V_NUMBER, 0, 0, 10000, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

static const struct vfield body_fields[] = {
    {"name", V_STRING, V_REQUIRED, 1, 10, NULL, NULL, 0},
    {"notes", V_TEXT, 0, 0, 100, NULL, NULL, 0},
    {"age", V_INT, 0, 0, 150, NULL, NULL, 0},
    {"weight_kg", V_NUMBER, 0, 0.5, 500, NULL, NULL, 0},
    {"consent", V_BOOL, 0, 0, 0, NULL, NULL, 0},
    {"dob", V_DATE, 0, 0, 0, NULL, NULL, 0},
    {"seen_at", V_DATETIME, 0, 0, 0, NULL, NULL, 0},
    {"payer_id", V_UUID, V_NULLABLE, 0, 0, NULL, NULL, 0},
    {"color", V_ENUM, 0, 0, 0, colors, NULL, 0},
    {"tags", V_STRING_ARRAY, 0, 0, 3, NULL, NULL, 5},
    {"colors", V_ENUM_ARRAY, 0, 1, 2, colors, NULL, 0},
    {"address", V_OBJECT, 0, 0, 0, NULL, address_fields, 0},
    {"medications", V_OBJECT_ARRAY, 0, 0, 2, NULL, medication_fields, 0},
    {"min_only", V_STRING_ARRAY, 0, 1, 0, NULL, NULL, 0},
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* The message recorded for field, or NULL. */
static const char *error_for(const struct app_error *e, const char *field)
{
    size_t i;
    json_t *item;
    json_array_foreach(e->fields, i, item)
    {
        if (!strcmp(json_string_value(json_object_get(item, "field")), field))
            return json_string_value(json_object_get(item, "message"));
    }
    return NULL;
}

static int has_error(const struct app_error *e, const char *field, const char *needle)
{
    const char *m = error_for(e, field);
    if (!m)
        fprintf(stderr, "  no error for %s\n", field);
    else if (!strstr(m, needle))
        fprintf(stderr, "  error for %s is '%s', expected '%s'\n", field, m, needle);
    return m && strstr(m, needle);
}

/* Validates `{"name":"Ann", <members>}` (members may be empty). Returns the
 * result; *e holds the errors (caller clears). */
static int run_members(const char *members, int partial, struct app_error *e)
{
    char text[2048];
    json_error_t jerr;
    json_t *obj;
    int rc;
    snprintf(text, sizeof text, "{\"name\":\"Ann\"%s%s}", *members ? "," : "", members);
    obj = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj) {
        fprintf(stderr, "  bad test JSON %s: %s\n", text, jerr.text);
        unit_failures++;
        return -2;
    }
    memset(e, 0, sizeof *e);
    rc = validate_object(obj, body_fields, "", partial, e);
    json_decref(obj);
    return rc;
}

/* Expects the members to be accepted with no error recorded. */
static int accepted(const char *members)
{
    struct app_error e;
    int rc = run_members(members, 0, &e);
    int ok = rc == 0 && e.status == 0 && json_array_size(e.fields) == 0;
    if (!ok)
        fprintf(stderr, "  refused: %s\n", members);
    app_error_clear(&e);
    return ok;
}

/* Expects the members to be refused with a 400 naming field. */
static int refused(const char *members, const char *field, const char *needle)
{
    struct app_error e;
    int rc = run_members(members, 0, &e);
    int ok = rc == -1 && e.status == 400 && !strcmp(e.code, "validation-failed") &&
             has_error(&e, field, needle);
    if (!ok)
        fprintf(stderr, "  not refused as expected: %s\n", members);
    app_error_clear(&e);
    return ok;
}

static void test_validate_accepts_a_complete_body(void)
{
    CHECK(accepted(""));
    CHECK(accepted("\"notes\":\"line one\\nline two\\ttab\",\"age\":42,\"weight_kg\":70.5,"
                   "\"consent\":true,\"dob\":\"1970-01-31\",\"seen_at\":\"2026-01-02T03:04:05Z\","
                   "\"payer_id\":\"123e4567-e89b-12d3-a456-426614174000\",\"color\":\"green\","
                   "\"tags\":[\"a\",\"bb\"],\"colors\":[\"red\",\"green\"],"
                   "\"address\":{\"city\":\"Boston\",\"zip\":\"02115\"},"
                   "\"medications\":[{\"name\":\"tamoxifen\",\"dose_mg\":20}],"
                   "\"min_only\":[\"x\",\"y\",\"z\",\"w\",\"v\",\"u\"]"));
}

static void test_validate_strings(void)
{
    CHECK(refused("\"notes\":5", "notes", "must be a string"));
    CHECK(refused("\"notes\":\"bell\\u0007\"", "notes", "control characters"));
    CHECK(refused("\"notes\":\"del\\u007f\"", "notes", "control characters"));
    CHECK(refused("\"address\":{\"city\":\"two\\nlines\"}", "address.city", "control characters"));
    CHECK(refused("\"address\":{\"city\":\"cr\\rhere\"}", "address.city", "control characters"));
    CHECK(accepted("\"address\":{\"city\":\"tab\\tok\"}"));
    CHECK(accepted("\"notes\":\"multi\\r\\nline\""));
    CHECK(refused("\"address\":{\"city\":\"\"}", "address.city", "at least 1 characters"));
    CHECK(accepted("\"address\":{\"city\":\"12345678901234567890\"}"));
    CHECK(refused("\"address\":{\"city\":\"123456789012345678901\"}", "address.city",
                  "at most 20 characters"));
    CHECK(refused("\"address\":{\"city\":\"x\",\"zip\":\"1234\"}", "address.zip", "at least 5"));
    CHECK(refused("\"address\":{\"city\":\"x\",\"zip\":\"123456\"}", "address.zip", "at most 5"));
    /* lengths count characters, as JSON Schema's maxLength does: ten é are
     * 20 bytes but 10 characters */
    {
        struct app_error e = {0};
        json_t *obj = json_pack("{s:s}", "name",
                                "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
        CHECK(validate_object(obj, body_fields, "", 0, &e) == 0);
        json_object_set_new(obj, "name",
                            json_string("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
                                        "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"));
        CHECK(validate_object(obj, body_fields, "", 0, &e) == -1 &&
              has_error(&e, "name", "at most 10 characters"));
        app_error_clear(&e);
        json_decref(obj);
    }
}

static void test_validate_refuses_nul_inside_strings(void)
{
    struct app_error e = {0};
    json_t *obj = json_object();
    json_object_set_new(obj, "name", json_stringn("An\0n", 4));
    CHECK(validate_object(obj, body_fields, "", 0, &e) == -1);
    CHECK(has_error(&e, "name", "NUL"));
    app_error_clear(&e);

    json_object_set_new(obj, "name", json_string("Ann"));
    json_object_set_new(obj, "tags", json_pack("[o]", json_stringn("a\0b", 3)));
    json_object_set_new(obj, "address", json_pack("{s:o}", "city", json_stringn("\0", 1)));
    CHECK(validate_object(obj, body_fields, "", 0, &e) == -1);
    CHECK(has_error(&e, "tags[0]", "NUL"));
    CHECK(has_error(&e, "address.city", "NUL"));
    app_error_clear(&e);
    json_decref(obj);
}

static void test_validate_integers_and_numbers(void)
{
    CHECK(accepted("\"age\":0"));
    CHECK(accepted("\"age\":150"));
    CHECK(refused("\"age\":-1", "age", "between 0 and 150"));
    CHECK(refused("\"age\":151", "age", "between 0 and 150"));
    CHECK(refused("\"age\":\"42\"", "age", "must be an integer"));
    CHECK(refused("\"age\":4.5", "age", "must be an integer"));
    CHECK(refused("\"age\":true", "age", "must be an integer"));
    CHECK(refused("\"age\":9223372036854775807", "age", "between"));
    CHECK(accepted("\"weight_kg\":0.5"));
    CHECK(accepted("\"weight_kg\":500"));
    CHECK(accepted("\"weight_kg\":1e2"));
    CHECK(refused("\"weight_kg\":0.49", "weight_kg", "between 0.5 and 500"));
    CHECK(refused("\"weight_kg\":500.01", "weight_kg", "between"));
    CHECK(refused("\"weight_kg\":\"70\"", "weight_kg", "must be a number"));
    CHECK(refused("\"weight_kg\":[70]", "weight_kg", "must be a number"));
}

static void test_validate_bool_date_datetime_uuid_enum(void)
{
    CHECK(accepted("\"consent\":false"));
    CHECK(refused("\"consent\":\"true\"", "consent", "true or false"));
    CHECK(refused("\"consent\":1", "consent", "true or false"));

    CHECK(accepted("\"dob\":\"2024-02-29\""));
    CHECK(refused("\"dob\":\"2023-02-29\"", "dob", "must be a date"));
    CHECK(refused("\"dob\":\"2023-1-01\"", "dob", "must be a date"));
    CHECK(refused("\"dob\":\"2023-01-01T00:00:00Z\"", "dob", "must be a date"));
    CHECK(refused("\"dob\":19700101", "dob", "must be a date"));

    CHECK(accepted("\"seen_at\":\"2026-01-02T03:04:05.123+02:00\""));
    CHECK(refused("\"seen_at\":\"2026-01-02T03:04:05\"", "seen_at", "time zone"));
    CHECK(refused("\"seen_at\":\"2026-01-02 03:04:05Z\"", "seen_at", "time zone"));
    CHECK(refused("\"seen_at\":\"2026-01-02T24:00:00Z\"", "seen_at", "time zone"));
    CHECK(refused("\"seen_at\":1700000000", "seen_at", "time zone"));

    CHECK(accepted("\"payer_id\":\"123E4567-E89B-12D3-A456-426614174000\""));
    CHECK(refused("\"payer_id\":\"123e4567-e89b-12d3-a456-42661417400\"", "payer_id", "UUID"));
    CHECK(refused("\"payer_id\":\"123e4567e89b12d3a456426614174000\"", "payer_id", "UUID"));
    CHECK(refused("\"payer_id\":42", "payer_id", "UUID"));

    CHECK(accepted("\"color\":\"red\""));
    CHECK(refused("\"color\":\"Red\"", "color", "documented values"));
    CHECK(refused("\"color\":\"\"", "color", "documented values"));
    CHECK(refused("\"color\":[\"red\"]", "color", "documented values"));
}

static void test_validate_null_handling(void)
{
    CHECK(accepted("\"payer_id\":null"));
    CHECK(refused("\"age\":null", "age", "must not be null"));
    CHECK(refused("\"address\":null", "address", "must not be null"));
    CHECK(refused("\"address\":{\"city\":null}", "address.city", "must not be null"));
    CHECK(refused("\"medications\":[{\"name\":null}]", "medications[0].name", "must not be null"));
}

static void test_validate_unknown_and_server_owned_fields(void)
{
    CHECK(refused("\"nmae\":\"typo\"", "nmae", "is not a known field"));
    CHECK(refused("\"address\":{\"city\":\"x\",\"country\":\"US\"}", "address.country",
                  "is not a known field"));
    CHECK(refused("\"medications\":[{\"name\":\"x\",\"route\":\"oral\"}]", "medications[0].route",
                  "is not a known field"));
    CHECK(refused("\"id\":\"123e4567-e89b-12d3-a456-426614174000\"", "id", "set by the server"));
    CHECK(refused("\"id\":null", "id", "set by the server"));
    CHECK(refused("\"id\":{}", "id", "set by the server"));
    {
        /* also in a partial update */
        struct app_error e;
        CHECK(run_members("\"id\":\"x\"", 1, &e) == -1 && has_error(&e, "id", "set by the server"));
        app_error_clear(&e);
    }
}

static void test_validate_required_versus_partial(void)
{
    struct app_error e = {0};
    json_t *obj = json_pack("{s:i}", "age", 30);
    CHECK(validate_object(obj, body_fields, "", 0, &e) == -1 &&
          has_error(&e, "name", "is required"));
    app_error_clear(&e);
    CHECK(validate_object(obj, body_fields, "", 1, &e) == 0 && e.status == 0);
    app_error_clear(&e);

    /* nested objects follow partial (merge-patch merges them) */
    json_object_set_new(obj, "address", json_object());
    CHECK(validate_object(obj, body_fields, "", 1, &e) == 0);
    app_error_clear(&e);
    CHECK(validate_object(obj, body_fields, "", 0, &e) == -1 &&
          has_error(&e, "address.city", "is required"));
    app_error_clear(&e);

    /* array items are whole objects even in a partial update (merge-patch
     * replaces arrays) */
    json_object_del(obj, "address");
    json_object_set_new(obj, "medications", json_pack("[{s:i}]", "dose_mg", 5));
    CHECK(validate_object(obj, body_fields, "", 1, &e) == -1 &&
          has_error(&e, "medications[0].name", "is required"));
    app_error_clear(&e);

    /* a path prefix names the fields of a body validated as a member */
    json_object_del(obj, "medications");
    CHECK(validate_object(obj, body_fields, "patient", 0, &e) == -1 &&
          has_error(&e, "patient.name", "is required") && !error_for(&e, "name"));
    app_error_clear(&e);
    json_decref(obj);
}

static void test_validate_arrays(void)
{
    /* string arrays: count bounds, item length (item_max_len), item type */
    CHECK(accepted("\"tags\":[]"));
    CHECK(accepted("\"tags\":[\"a\",\"b\",\"ccccc\"]"));
    CHECK(refused("\"tags\":[\"a\",\"b\",\"c\",\"d\"]", "tags", "between 0 and 3 items"));
    CHECK(refused("\"tags\":[\"a\",\"cccccc\"]", "tags[1]", "at most 5 characters"));
    CHECK(refused("\"tags\":[\"\"]", "tags[0]", "at least 1 characters"));
    CHECK(refused("\"tags\":[\"a\",7]", "tags[1]", "must be a string"));
    CHECK(refused("\"tags\":[\"a\\nb\"]", "tags[0]", "control characters"));
    CHECK(refused("\"tags\":\"a\"", "tags", "must be an array"));
    /* default item length is 200 */
    {
        char members[400];
        char item[202];
        memset(item, 'x', 201);
        item[201] = 0;
        snprintf(members, sizeof members, "\"min_only\":[\"%.200s\"]", item);
        CHECK(accepted(members));
        snprintf(members, sizeof members, "\"min_only\":[\"%s\"]", item);
        CHECK(refused(members, "min_only[0]", "at most 200 characters"));
    }
    /* max 0 means no upper bound, and the message says so */
    CHECK(refused("\"min_only\":[]", "min_only", "at least 1 items"));

    /* enum arrays: bounds, unknown values, repeats */
    CHECK(refused("\"colors\":[]", "colors", "between 1 and 2 items"));
    CHECK(refused("\"colors\":[\"red\",\"green\",\"red\"]", "colors", "between 1 and 2 items"));
    CHECK(refused("\"colors\":[\"red\",\"blue\"]", "colors[1]", "documented values"));
    CHECK(refused("\"colors\":[\"red\",\"red\"]", "colors[1]", "is repeated"));
    CHECK(refused("\"colors\":[1]", "colors[0]", "documented values"));

    /* object arrays: bounds, item type, nested errors with index paths */
    CHECK(accepted("\"medications\":[]"));
    CHECK(refused("\"medications\":[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\"}]",
                  "medications", "between 0 and 2 items"));
    CHECK(
        refused("\"medications\":[{\"name\":\"a\"},\"b\"]", "medications[1]", "must be an object"));
    CHECK(refused("\"medications\":[{\"name\":\"a\"},{\"name\":\"b\",\"dose_mg\":-1}]",
                  "medications[1].dose_mg", "between 0 and 10000"));
    CHECK(refused("\"medications\":{\"name\":\"a\"}", "medications", "must be an array"));
}

static void test_validate_nested_objects(void)
{
    CHECK(refused("\"address\":\"Boston\"", "address", "must be an object"));
    CHECK(refused("\"address\":[]", "address", "must be an object"));
    CHECK(refused("\"address\":{}", "address.city", "is required"));
    CHECK(refused("\"address\":{\"city\":7}", "address.city", "must be a string"));
}

static void test_validate_reports_every_problem_at_once(void)
{
    struct app_error e;
    CHECK(run_members("\"age\":-5,\"color\":\"blue\",\"bogus\":1,\"id\":\"x\","
                      "\"address\":{\"zip\":\"1\"},\"medications\":[{}]",
                      0, &e) == -1);
    CHECK(json_array_size(e.fields) == 7);
    CHECK(has_error(&e, "age", "between"));
    CHECK(has_error(&e, "color", "documented values"));
    CHECK(has_error(&e, "bogus", "not a known field"));
    CHECK(has_error(&e, "id", "set by the server"));
    CHECK(has_error(&e, "address.zip", "at least 5"));
    CHECK(has_error(&e, "address.city", "is required"));
    CHECK(has_error(&e, "medications[0].name", "is required"));
    app_error_clear(&e);
}

static void test_validate_getters(void)
{
    json_t *obj = json_pack("{s:s,s:b,s:n,s:i}", "s", "text", "b", 0, "n", "i", 3);
    CHECK(!strcmp(vget_str(obj, "s"), "text"));
    CHECK(vget_str(obj, "n") == NULL && vget_str(obj, "missing") == NULL &&
          vget_str(obj, "i") == NULL);
    CHECK(vget_bool(obj, "b", 1) == 0);
    CHECK(vget_bool(obj, "n", 1) == 1 && vget_bool(obj, "missing", 0) == 0);
    json_decref(obj);
}

static void test_json_merge_patch(void)
{
    json_t *doc =
        json_loads("{\"a\":{\"b\":1,\"c\":2},\"d\":[1,2],\"e\":null,\"f\":{\"g\":null}}", 0, NULL);
    json_t *patch = json_loads("{\"a\":{\"b\":null,\"x\":3},\"d\":[9],\"h\":\"new\"}", 0, NULL);
    json_t *want =
        json_loads("{\"a\":{\"c\":2,\"x\":3},\"d\":[9],\"f\":{},\"h\":\"new\"}", 0, NULL);
    json_strip_nulls(doc);
    json_merge_patch(doc, patch);
    CHECK(json_equal(doc, want));
    CHECK(json_object_size(patch) == 3); /* the patch itself is untouched */
    json_decref(doc);
    json_decref(patch);
    json_decref(want);
}

const struct unit_test validate_tests[] = {
    {"json_merge_patch", test_json_merge_patch},
    {"validate_accepts_a_complete_body", test_validate_accepts_a_complete_body},
    {"validate_strings", test_validate_strings},
    {"validate_refuses_nul_inside_strings", test_validate_refuses_nul_inside_strings},
    {"validate_integers_and_numbers", test_validate_integers_and_numbers},
    {"validate_bool_date_datetime_uuid_enum", test_validate_bool_date_datetime_uuid_enum},
    {"validate_null_handling", test_validate_null_handling},
    {"validate_unknown_and_server_owned_fields", test_validate_unknown_and_server_owned_fields},
    {"validate_required_versus_partial", test_validate_required_versus_partial},
    {"validate_arrays", test_validate_arrays},
    {"validate_nested_objects", test_validate_nested_objects},
    {"validate_reports_every_problem_at_once", test_validate_reports_every_problem_at_once},
    {"validate_getters", test_validate_getters},
    {NULL, NULL},
};
