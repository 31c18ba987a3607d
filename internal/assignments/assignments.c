#include "assignments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../cases/case_access.h"
#include "../cases/case_store.h"
#include "../events/events.h"
#include "../matching/store.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "assignment_store.h"

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

/* ---------- checks the tables cannot express ---------- */

/* Checks a validated consultation: an https link without spaces, a time
 * in the future; fills in the default duration. prefix names the fields
 * in errors ("consultation" or ""). */
static int check_consultation(struct http_ctx *ctx, json_t *c, const char *prefix)
{
    const char *url = vget_str(c, "url"), *at = vget_str(c, "scheduled_at");
    char field[64];
    int future;
    if (strncmp(url, "https://", 8) != 0 || strpbrk(url, " \t<>\"")) {
        snprintf(field, sizeof field, "%s%surl", prefix, *prefix ? "." : "");
        app_error_field(&ctx->err, field, "must be an https:// link");
        return -1;
    }
    if (!http_db(ctx) || (future = assignment_store_is_future(ctx->db, at, &ctx->err)) < 0)
        return -1;
    if (!future) {
        snprintf(field, sizeof field, "%s%sscheduled_at", prefix, *prefix ? "." : "");
        app_error_field(&ctx->err, field, "must be in the future");
        return -1;
    }
    if (!json_object_get(c, "duration_minutes"))
        json_object_set_new(c, "duration_minutes", json_integer(30));
    return 0;
}

/* ---------- rendering and recording ---------- */

static void set_etag(struct http_ctx *ctx, const json_t *doc)
{
    char etag[32];
    snprintf(etag, sizeof etag, "\"%lld\"",
             (long long)json_integer_value(json_object_get(doc, "version")));
    http_set_header(ctx, "ETag", etag);
}

/* A specialist's reason for declining is between them and the service
 * team; patients see that the offer was declined, not why. */
static void shape_for(const struct http_ctx *ctx, json_t *doc)
{
    if (ctx->who.role == ROLE_PATIENT && json_object_get(doc, "decline_reason"))
        json_object_set_new(doc, "decline_reason", json_null());
}

/* Writes the audit row and up to two events for a change in the caller's
 * transaction, then commits. */
static int record_change(struct http_ctx *ctx, int status, const char *action,
                         const char *assignment_id, const char *case_id, const char *event,
                         const char *case_event)
{
    struct audit_entry e = {&ctx->who,     ctx->request_id, action,    "assignment",
                            assignment_id, case_id,         "success", status};
    if (audit_record(ctx->db, &e, &ctx->err) != 0 ||
        events_emit(ctx->db, event, case_id, "assignment", assignment_id, &ctx->who, &ctx->err) !=
            0)
        return -1;
    if (case_event &&
        events_emit(ctx->db, case_event, case_id, "case", case_id, &ctx->who, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return db_commit(ctx->db, &ctx->err);
}

/* Loads an assignment the caller may see: its case is visible to them
 * (case_access) and a specialist sees only their own. With lock != 0 the
 * case and then the assignment are locked, in that order (the order every
 * writer of assignments uses). */
static int visible_assignment(struct db_conn *db, const struct principal *who, const char *id,
                              int lock, struct assignment_ref *a, struct case_ref *c,
                              struct app_error *err)
{
    if (assignment_store_ref(db, id, 0, a, err) != 0)
        return -1;
    if (who->role == ROLE_SPECIALIST && strcmp(a->specialist_id, who->specialist_id) != 0)
        return app_error_not_found(err, "assignment");
    if (case_access(db, who, a->case_id, lock, c, err) != 0) {
        if (err->status == 404) {
            app_error_clear(err);
            app_error_not_found(err, "assignment");
        }
        return -1;
    }
    if (lock && assignment_store_ref(db, id, 1, a, err) != 0)
        return -1;
    return 0;
}

int assignment_visible(struct db_conn *db, const struct principal *who, const char *id,
                       struct app_error *err)
{
    struct assignment_ref a;
    struct case_ref c;
    if (!uuid_is_valid(id))
        return app_error_not_found(err, "assignment");
    return visible_assignment(db, who, id, 0, &a, &c, err);
}

/* ---------- handlers ---------- */

static int create_assignment(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    const char *specialist_id;
    json_t *consultation, *out = NULL;
    struct case_ref ref;
    char live[37], loc[80];
    int rc;

    if (!case_id || validate_object(ctx->body, create_fields, "", 0, &ctx->err) != 0)
        return -1;
    specialist_id = vget_str(ctx->body, "specialist_id");
    consultation = json_object_get(ctx->body, "consultation");
    if (json_is_null(consultation))
        consultation = NULL;
    if (consultation && check_consultation(ctx, consultation, "consultation") != 0)
        return -1;
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0 ||
        case_access(ctx->db, &ctx->who, case_id, 1, &ref, &ctx->err) != 0)
        return -1;
    if (strcmp(ref.status, "submitted") != 0)
        return app_error_conflict(
            &ctx->err, "Only a submitted case can be assigned; this case is %s.", ref.status);
    if (assignment_store_live_for_case(ctx->db, case_id, live, &ctx->err) != 0)
        return -1;
    if (live[0]) {
        app_error_set(&ctx->err, 409, "case-already-assigned", "Case already assigned",
                      "The case has an assignment that is offered or accepted; it must be "
                      "declined before another specialist is asked.");
        app_error_extra(&ctx->err, "assignment_id", json_string(live));
        return -1;
    }
    if ((rc = assignment_store_specialist_exists(ctx->db, specialist_id, &ctx->err)) <= 0) {
        if (rc == 0)
            app_error_field(&ctx->err, "specialist_id", "is not a specialist in the directory");
        return -1;
    }
    if (ctx->who.role == ROLE_PATIENT) {
        if ((rc = matching_is_candidate(ctx->db, case_id, specialist_id, &ctx->err)) < 0)
            return -1;
        if (rc == 0) {
            app_error_set(&ctx->err, 409, "not-a-match", "Not one of your matches",
                          "A patient can choose only one of the case's matches (GET "
                          "/v1/cases/{id}/matches): a specialist who reviews this cancer type, "
                          "is accepting cases, has a free slot, and is within the case's "
                          "travel limit or offers telehealth the case accepts.");
            return -1;
        }
    }
    if (assignment_store_create(ctx->db, case_id, specialist_id, &ctx->who, consultation, &out,
                                &ctx->err) != 0)
        return -1;
    if (record_change(ctx, 201, "assignment.create", json_string_value(json_object_get(out, "id")),
                      case_id, "assignment.created", NULL) != 0) {
        json_decref(out);
        return -1;
    }
    snprintf(loc, sizeof loc, "/v1/assignments/%s", json_string_value(json_object_get(out, "id")));
    http_set_header(ctx, "Location", loc);
    set_etag(ctx, out);
    shape_for(ctx, out);
    return http_reply_json(ctx, 201, out);
}

static int list_case_assignments(struct http_ctx *ctx)
{
    const char *case_id = http_path_uuid(ctx, "id", "case");
    struct case_ref ref;
    json_t *items = NULL, *item;
    size_t i;
    if (!case_id || !http_db(ctx) ||
        case_access(ctx->db, &ctx->who, case_id, 0, &ref, &ctx->err) != 0)
        return -1;
    if (assignment_store_list_for_case(
            ctx->db, case_id, ctx->who.role == ROLE_SPECIALIST ? ctx->who.specialist_id : NULL,
            &items, &ctx->err) != 0)
        return -1;
    json_array_foreach(items, i, item)
    {
        const char *aid = json_string_value(json_object_get(item, "id"));
        struct audit_entry e = {&ctx->who, ctx->request_id, "assignment.list", "assignment",
                                aid,       case_id,         "success",         200};
        if (audit_record(ctx->db, &e, &ctx->err) != 0) {
            json_decref(items);
            return -1;
        }
        shape_for(ctx, item);
    }
    if (http_audit_success(ctx, "case.assignments.read", "case", case_id, case_id) != 0) {
        json_decref(items);
        return -1;
    }
    return http_reply_json(ctx, 200, json_pack("{s:o}", "items", items));
}

static int list_assignments(struct http_ctx *ctx)
{
    struct assignment_list_query q;
    const char *cursor = http_query(ctx, "cursor");
    char key[64], aid[64];
    json_t *items = NULL, *item, *out;
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
    if (ctx->err.status || !http_db(ctx))
        return -1;
    if (assignment_store_list(ctx->db, &q, &items, &more, &ctx->err) != 0)
        return -1;
    out = json_object();
    http_set_next_cursor(out, items, more);
    /* One audit row per assignment shown: each names a patient's case. */
    json_array_foreach(items, i, item)
    {
        const char *id = json_string_value(json_object_get(item, "id"));
        const char *cid = json_string_value(json_object_get(item, "case_id"));
        struct audit_entry e = {
            &ctx->who, ctx->request_id, "assignment.list", "assignment", id, cid, "success", 200};
        shape_for(ctx, item);
        if (audit_record(ctx->db, &e, &ctx->err) != 0) {
            json_decref(items);
            json_decref(out);
            return -1;
        }
    }
    ctx->audited = 1;
    json_object_set_new(out, "items", items);
    return http_reply_json(ctx, 200, out);
}

static int get_assignment(struct http_ctx *ctx)
{
    const char *id = http_path_uuid(ctx, "id", "assignment");
    struct assignment_ref a;
    struct case_ref c;
    json_t *out = NULL;
    if (!id || !http_db(ctx) ||
        visible_assignment(ctx->db, &ctx->who, id, 0, &a, &c, &ctx->err) != 0 ||
        assignment_store_get(ctx->db, id, &out, &ctx->err) != 0)
        return -1;
    if (http_audit_success(ctx, "assignment.read", "assignment", id, a.case_id) != 0) {
        json_decref(out);
        return -1;
    }
    set_etag(ctx, out);
    shape_for(ctx, out);
    return http_reply_json(ctx, 200, out);
}

/* accept and decline: only the specialist the assignment names, only while
 * it is offered. */
static int answer_offer(struct http_ctx *ctx, int accept)
{
    const char *id = http_path_uuid(ctx, "id", "assignment");
    struct assignment_ref a;
    struct case_ref c;
    json_t *out = NULL, *moved = NULL;
    const char *reason = NULL;

    if (!id)
        return -1;
    if (!accept) {
        if (validate_object(ctx->body, decline_fields, "", 0, &ctx->err) != 0)
            return -1;
        reason = vget_str(ctx->body, "reason");
    }
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0 ||
        visible_assignment(ctx->db, &ctx->who, id, 1, &a, &c, &ctx->err) != 0)
        return -1;
    if (strcmp(a.status, "offered") != 0)
        return app_error_conflict(&ctx->err, "The assignment is %s; only an offered one can be %s.",
                                  a.status, accept ? "accepted" : "declined");
    if (accept) {
        if (strcmp(c.status, "submitted") != 0)
            return app_error_conflict(
                &ctx->err, "The case is %s; only a submitted case can be accepted.", c.status);
        if (assignment_store_accept(ctx->db, id, &out, &ctx->err) != 0)
            return -1;
        if (case_store_transition(ctx->db, a.case_id, "submitted", "in_review", &ctx->who, NULL,
                                  &moved, &ctx->err) != 0) {
            json_decref(out);
            return -1;
        }
        json_decref(moved);
    } else if (assignment_store_decline(ctx->db, id, reason, &out, &ctx->err) != 0) {
        return -1;
    }
    if (record_change(ctx, 200, accept ? "assignment.accept" : "assignment.decline", id, a.case_id,
                      accept ? "assignment.accepted" : "assignment.declined",
                      accept ? "case.review_started" : NULL) != 0) {
        json_decref(out);
        return -1;
    }
    set_etag(ctx, out);
    return http_reply_json(ctx, 200, out);
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
    struct assignment_ref a;
    struct case_ref c;
    json_t *out = NULL;
    char etag[32];

    if (!id)
        return -1;
    if (set && (validate_object(ctx->body, consultation_fields, "", 0, &ctx->err) != 0 ||
                check_consultation(ctx, ctx->body, "") != 0))
        return -1;
    if (!http_db(ctx) || db_begin(ctx->db, &ctx->err) != 0 ||
        visible_assignment(ctx->db, &ctx->who, id, 1, &a, &c, &ctx->err) != 0)
        return -1;
    snprintf(etag, sizeof etag, "\"%d\"", a.version);
    if (http_require_if_match(ctx, etag) != 0)
        return -1;
    if (strcmp(a.status, "offered") != 0 && strcmp(a.status, "accepted") != 0)
        return app_error_conflict(
            &ctx->err, "The assignment is %s; consultations belong to live assignments.", a.status);
    if (!set && !a.has_consultation)
        return app_error_conflict(&ctx->err, "The assignment has no consultation to cancel.");
    if (assignment_store_set_consultation(ctx->db, id, a.version, set ? ctx->body : NULL, &ctx->who,
                                          &out, &ctx->err) != 0)
        return -1;
    if (record_change(
            ctx, 200, set ? "assignment.consultation.schedule" : "assignment.consultation.cancel",
            id, a.case_id,
            set ? "assignment.consultation_scheduled" : "assignment.consultation_cancelled",
            NULL) != 0) {
        json_decref(out);
        return -1;
    }
    set_etag(ctx, out);
    shape_for(ctx, out);
    return http_reply_json(ctx, 200, out);
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
     "assignment", 0},
    {"POST", "/v1/assignments/:id/decline", ROLE_SPECIALIST, HTTP_BODY_JSON, NULL,
     decline_assignment, "assignment", 0},
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
