/* libFuzzer target: a JSON request body as the dispatcher parses it
 * (http_json_body_parse), then validated against every request-body schema
 * of every module (routes_schemas: the field tables and cross-member rules
 * the handlers use), then rendered as the problem+json the client would get.
 *
 * The input is the body. Contract checked besides crashes: parsing fails
 * only with a 400; a schema that refuses a body reports at least one field
 * error (each with a field and a message), and the rendered problem is JSON
 * with the same status. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "routes.h"
#include "validate/validate.h"

static void check_problem(const struct app_error *err)
{
    struct _u_response res;
    json_t *doc;
    json_error_t jerr;
    size_t i;
    json_t *item;
    if (err->status != 400 || !err->fields || json_array_size(err->fields) == 0)
        abort();
    json_array_foreach(err->fields, i, item)
    {
        if (!json_is_string(json_object_get(item, "field")) ||
            !json_is_string(json_object_get(item, "message")))
            abort();
    }
    ulfius_init_response(&res);
    http_render_problem(&res, err, "fuzz-request");
    doc = json_loadb(res.binary_body, res.binary_body_length, 0, &jerr);
    if (!doc || json_integer_value(json_object_get(doc, "status")) != 400 ||
        json_array_size(json_object_get(doc, "errors")) != json_array_size(err->fields))
        abort();
    json_decref(doc);
    ulfius_clean_response(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct vschema *const *lists = routes_schemas();
    struct app_error err = {0};
    json_t *body;
    if (size > 1024 * 1024)
        return 0;
    body = http_json_body_parse(data, size, &err);
    if (!body) {
        if (err.status != 400)
            abort();
        app_error_clear(&err);
        return 0;
    }
    for (int i = 0; lists[i]; i++)
        for (const struct vschema *s = lists[i]; s->name; s++) {
            struct app_error verr = {0};
            int rc = validate_object(body, s->fields, "", s->partial, &verr);
            if ((rc == -1) != (verr.status != 0))
                abort();
            if (rc == -1)
                check_problem(&verr);
            if (s->rules)
                s->rules(body, &verr);
            if (verr.status)
                check_problem(&verr);
            app_error_clear(&verr);
        }
    json_decref(body);
    return 0;
}
