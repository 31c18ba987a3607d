/* problem+json: the one place an app_error becomes a response. Every
 * refusal and failure, the dispatcher's and the handlers', is rendered here,
 * so the shape of an error cannot drift between routes. */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>

void http_render_problem(struct _u_response *res, const struct app_error *err,
                         const char *request_id)
{
    json_t *p;
    char type[160], *body;
    const char *key;
    json_t *val;
    int status = err->status ? err->status : 500;

    /* Every error is made from the problem table; one that somehow has no
     * code is shown as the table's internal error. */
    const struct app_problem_info *fallback = app_problem_info(PROBLEM_INTERNAL_ERROR);

    snprintf(type, sizeof type, APP_PROBLEM_TYPE_BASE "%s",
             err->code[0] ? err->code : fallback->code);
    p = json_pack("{s:s,s:s,s:i,s:s}", "type", type, "title",
                  err->title[0] ? err->title : fallback->title, "status", status, "detail",
                  err->detail);
    if (request_id && *request_id)
        json_object_set_new(p, "request_id", json_string(request_id));
    if (err->fields)
        json_object_set(p, "errors", err->fields);
    if (err->extra)
        json_object_foreach(err->extra, key, val) if (!json_object_get(p, key))
            json_object_set(p, key, val);
    body = json_dumps(p, JSON_COMPACT);
    ulfius_set_string_body_response(res, (unsigned)status, body ? body : "{}");
    u_map_put(res->map_header, "Content-Type", "application/problem+json");
    if (err->retry_after > 0) {
        char ra[16];
        snprintf(ra, sizeof ra, "%d", err->retry_after);
        u_map_put(res->map_header, "Retry-After", ra);
    }
    if (status == 401)
        u_map_put(res->map_header, "WWW-Authenticate",
                  "Bearer realm=\"cso\", error=\"invalid_token\"");
    /* A 412 tells the client the ETag to send next (validate_if_match). */
    if (err->etag[0])
        u_map_put(res->map_header, "ETag", err->etag);
    free(body);
    json_decref(p);
}
