#include "assignments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../http/http_change.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "assignment_domain.h"

/* ---------- request shapes ---------- */

static const char *const assignment_statuses[] = {"offered",   "accepted",  "declined",
                                                  "completed", "cancelled", NULL};

/* A video consultation: the caller books it elsewhere and gives us the
 * time and the link patients and specialists join. */
static const struct vfield consultation_fields[] = {
    {"scheduled_at", V_DATETIME, V_REQUIRED, 0, 0, NULL, NULL, 0},
    {"duration_minutes", V_INT, 0, 10, 240, NULL, NULL, 0},
    {"url", V_STRING, V_REQUIRED, 12, 500, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

#define ASSIGNMENT_READONLY_FIELDS                                                                 \
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0}, {"case_id", V_READONLY, 0, 0, 0, NULL, NULL, 0},   \
        {"status", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                            \
        {"version", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                           \
        {"specialist", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"due_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                            \
        {"decline_reason", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                    \
        {"created_by", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
    {                                                                                              \
        "updated_at", V_READONLY, 0, 0, 0, NULL, NULL, 0                                           \
    }

static const struct vfield create_fields[] = {
    {"specialist_id", V_UUID, V_REQUIRED, 0, 0, NULL, NULL, 0},
    {"consultation", V_OBJECT, V_NULLABLE, 0, 0, NULL, consultation_fields, 0},
    ASSIGNMENT_READONLY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

static const struct vfield decline_fields[] = {
    {"reason", V_TEXT, V_REQUIRED, 3, 1000, NULL, NULL, 0},
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* ---------- handlers: parse, call the domain (assignment_domain.h), render ---------- */

/* The caller's request, once it has been answered by the domain. */
static int reply(struct http_ctx *ctx, int status, json_t *out)
{
    ctx->audited = 1;
    http_set_etag_of(ctx, out);
    return http_reply_json(ctx, status, out);
}

static int create_assignment(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *consultation, *out = NULL;
    char loc[80];

    if (!case_id || validate_object(ctx->body, create_fields, "", 0, &ctx->err) != 0)
        return -1;
    consultation = json_object_get(ctx->body, "consultation");
    if (json_is_null(consultation))
        consultation = NULL;
    if (!http_db(ctx) ||
        assignment_create(ctx->db, &by, case_id, vget_str(ctx->body, "specialist_id"), consultation,
                          &out, &ctx->err) != 0)
        return -1;
    snprintf(loc, sizeof loc, "/v1/assignments/%s", json_string_value(json_object_get(out, "id")));
    http_set_header(ctx, "Location", loc);
    return reply(ctx, 201, out);
}

static int list_case_assignments(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const struct caller by = http_caller(ctx);
    json_t *items = NULL;
    if (!case_id || !http_db(ctx) ||
        assignment_list_for_case(ctx->db, &by, case_id, &items, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return http_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static int list_assignments(struct http_ctx *ctx)
{
    const struct caller by = http_caller(ctx);
    struct assignment_list_query q;
    const char *cursor = http_query(ctx, "cursor");
    char key[64], aid[64];
    json_t *items = NULL, *out;
    int more = 0;
    size_t i;

    memset(&q, 0, sizeof q);
    q.who = &ctx->who;
    q.status = http_query(ctx, "status");
    if (http_query_limit(ctx, 50, 200, &q.limit) != 0)
        return -1;
    if (q.status) {
        for (i = 0; assignment_statuses[i] && strcmp(assignment_statuses[i], q.status); i++)
            ;
        if (!assignment_statuses[i])
            app_error_field(&ctx->err, "status", "must be one of the assignment statuses");
    }
    if (cursor && http_cursor_decode(ctx, cursor, key, sizeof key, aid, sizeof aid) == 0) {
        if (!datetime_is_valid(key) || !uuid_is_valid(aid))
            app_error_field(&ctx->err, "cursor", "is not a cursor this service issued");
        q.after_created = key;
        q.after_id = aid;
    }
    if (ctx->err.status || !http_db(ctx) ||
        assignment_list(ctx->db, &by, &q, &items, &more, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    out = json_object();
    http_set_next_cursor(out, items, more);
    json_object_set_new(out, "items", items);
    return http_reply_json(ctx, 200, out);
}

static int get_assignment(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "assignment");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    if (!id || !http_db(ctx) || assignment_read(ctx->db, &by, id, &out, &ctx->err) != 0)
        return -1;
    return reply(ctx, 200, out);
}

/* accept and decline: only the specialist the assignment names, only while
 * it is offered. */
static int answer_offer(struct http_ctx *ctx, int accept)
{
    const char *id = http_path_uuid(ctx, "id", "assignment");
    const struct caller by = http_caller(ctx);
    const char *reason = NULL;
    json_t *out = NULL;

    if (!id)
        return -1;
    if (!accept) {
        if (validate_object(ctx->body, decline_fields, "", 0, &ctx->err) != 0)
            return -1;
        reason = vget_str(ctx->body, "reason");
    }
    if (!http_db(ctx) || assignment_answer(ctx->db, &by, id, accept, reason, &out, &ctx->err) != 0)
        return -1;
    return reply(ctx, 200, out);
}

static int accept_assignment(struct http_ctx *ctx)
{
    return answer_offer(ctx, 1);
}

static int decline_assignment(struct http_ctx *ctx)
{
    return answer_offer(ctx, 0);
}

/* PUT sets the consultation, DELETE clears it; staff or the assigned
 * specialist, while the assignment is offered or accepted. */
static int change_consultation(struct http_ctx *ctx, int set)
{
    const char *id = http_path_uuid(ctx, "id", "assignment");
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;

    if (!id || (set && validate_object(ctx->body, consultation_fields, "", 0, &ctx->err) != 0))
        return -1;
    if (!http_db(ctx) ||
        assignment_change_consultation(ctx->db, &by, id, http_header(ctx, "If-Match"),
                                       set ? ctx->body : NULL, &out, &ctx->err) != 0)
        return -1;
    return reply(ctx, 200, out);
}

static int put_consultation(struct http_ctx *ctx)
{
    return change_consultation(ctx, 1);
}

static int delete_consultation(struct http_ctx *ctx)
{
    return change_consultation(ctx, 0);
}

#define ASSIGNERS (ROLE_PATIENT | ROLE_NAVIGATOR | ROLE_ADMIN)
#define SCHEDULERS (ROLE_NAVIGATOR | ROLE_ADMIN | ROLE_SPECIALIST)

static const struct http_route routes[] = {
    {"POST", "/v1/cases/:id/assignments", ASSIGNERS, HTTP_BODY_JSON, NULL, create_assignment,
     "assignment", 1},
    {"GET", "/v1/cases/:id/assignments", ROLES_ALL, HTTP_BODY_NONE, NULL, list_case_assignments,
     "assignment", 0},
    {"GET", "/v1/assignments", ROLES_ALL, HTTP_BODY_NONE, "limit,cursor,status", list_assignments,
     "assignment", 0},
    {"GET", "/v1/assignments/:id", ROLES_ALL, HTTP_BODY_NONE, NULL, get_assignment, "assignment",
     0},
    {"POST", "/v1/assignments/:id/accept", ROLE_SPECIALIST, HTTP_BODY_NONE, NULL, accept_assignment,
     "assignment", 1},
    {"POST", "/v1/assignments/:id/decline", ROLE_SPECIALIST, HTTP_BODY_JSON, NULL,
     decline_assignment, "assignment", 1},
    {"PUT", "/v1/assignments/:id/consultation", SCHEDULERS, HTTP_BODY_JSON, NULL, put_consultation,
     "assignment", 0},
    {"DELETE", "/v1/assignments/:id/consultation", SCHEDULERS, HTTP_BODY_NONE, NULL,
     delete_consultation, "assignment", 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

/* Request-body schemas, for the body fuzzer (internal/routes.c). */
static const struct vschema schemas[] = {
    {"assignments.create", create_fields, 0, NULL},
    {"assignments.decline", decline_fields, 0, NULL},
    {"assignments.consultation", consultation_fields, 0, NULL},
    {NULL, NULL, 0, NULL},
};

const struct vschema *assignments_schemas(void)
{
    return schemas;
}

void assignments_store_init(void)
{
    assignment_store_init();
}

const struct http_route *assignments_routes(void)
{
    return routes;
}
