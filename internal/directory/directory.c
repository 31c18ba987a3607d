#include "directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../events/events.h"
#include "../util/util.h"
#include "directory_store.h"
#include "filter.h"
#include "rules.h"

#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 200

/* Cursor keys name the order a page was cut from, so a cursor cannot be
 * replayed against the other order. */
#define CURSOR_BY_NAME "name"
#define CURSOR_BY_DISTANCE "distance"

struct kind_info {
    enum directory_kind kind;
    const char *what;       /* for 404s: "provider", "specialist" */
    const char *resource;   /* audit resource_type and event subject_type */
    const char *collection; /* path of the collection */
    const struct vfield *fields;
};

static const struct kind_info institutions = {DIRECTORY_INSTITUTIONS, "provider", "institution",
                                              "/v1/providers", institution_fields};
static const struct kind_info specialists = {DIRECTORY_SPECIALISTS, "specialist", "specialist",
                                             "/v1/specialists", specialist_fields};

void directory_init(void)
{
    directory_store_init();
}

static void set_etag(struct http_ctx *ctx, int version)
{
    char etag[24];
    snprintf(etag, sizeof etag, "\"%d\"", version);
    http_set_header(ctx, "ETag", etag);
}

/* ---------------------------------------------------------------- reads */

static int list_entries(struct http_ctx *ctx, const struct kind_info *k)
{
    struct directory_filter f;
    const char *cursor = http_query(ctx, "cursor");
    char key[16] = "", after[40] = "", last[37];
    struct db_conn *conn;
    json_t *items, *out;
    int limit, bad = 0;

    bad |= http_query_limit(ctx, LIST_DEFAULT_LIMIT, LIST_MAX_LIMIT, &limit) != 0;
    bad |= directory_filter_parse(ctx->query, &f, &ctx->err) != 0;
    if (cursor) {
        if (http_cursor_decode(ctx, cursor, key, sizeof key, after, sizeof after) != 0)
            bad = 1;
        else if (!uuid_is_valid(after) ||
                 strcmp(key, f.has_near ? CURSOR_BY_DISTANCE : CURSOR_BY_NAME) != 0) {
            app_error_field(&ctx->err, "cursor", "does not belong to this query");
            bad = 1;
        }
    }
    if (bad)
        return -1;
    if (!(conn = http_db(ctx)) || directory_check_filter_refs(conn, &f, &ctx->err) != 0)
        return -1;
    if (directory_list(conn, k->kind, &f, cursor ? after : NULL, limit, &items, last, &ctx->err) !=
        0)
        return -1;
    out = json_pack("{s:o}", "items", items);
    if (last[0]) {
        char *next = http_cursor_encode(f.has_near ? CURSOR_BY_DISTANCE : CURSOR_BY_NAME, last);
        json_object_set_new(out, "next_cursor", next ? json_string(next) : json_null());
        free(next);
    } else {
        json_object_set_new(out, "next_cursor", json_null());
    }
    return http_reply_json(ctx, 200, out);
}

/* Replies with the current representation of id and its ETag. */
static int reply_entry(struct http_ctx *ctx, struct db_conn *conn, const struct kind_info *k,
                       const char *id, int status)
{
    json_t *item;
    int version = 0;
    if (directory_get(conn, k->kind, id, &item, &version, &ctx->err) != 0)
        return -1;
    if (!item)
        return app_error_not_found(&ctx->err, k->what);
    set_etag(ctx, version);
    if (status == 201) {
        char location[96];
        snprintf(location, sizeof location, "%s/%s", k->collection, id);
        http_set_header(ctx, "Location", location);
    }
    return http_reply_json(ctx, status, item);
}

static int get_entry(struct http_ctx *ctx, const struct kind_info *k)
{
    const char *id = http_path_uuid(ctx, "id", k->what);
    struct db_conn *conn;
    if (!id || !(conn = http_db(ctx)))
        return -1;
    return reply_entry(ctx, conn, k, id, 200);
}

/* ---------------------------------------------------------------- writes */

/* Audit row ("specialist.update") and outbox event ("specialist.updated")
 * of an admin write, in the write's transaction. */
static int record_write(struct http_ctx *ctx, struct db_conn *conn, const struct kind_info *k,
                        const char *verb, const char *past, const char *id, int status)
{
    char action[48], event[48];
    struct audit_entry e;
    snprintf(action, sizeof action, "%s.%s", k->resource, verb);
    snprintf(event, sizeof event, "%s.%s", k->resource, past);
    memset(&e, 0, sizeof e);
    e.who = &ctx->who;
    e.request_id = ctx->request_id;
    e.action = action;
    e.resource_type = k->resource;
    e.resource_id = id;
    e.outcome = "success";
    e.status = status;
    if (audit_record(conn, &e, &ctx->err) != 0)
        return -1;
    return events_emit(conn, event, NULL, k->resource, id, &ctx->who, &ctx->err);
}

/* Field rules and references of a complete body. */
static int check_complete(struct http_ctx *ctx, struct db_conn *conn, const struct kind_info *k,
                          json_t *body, int open_cases)
{
    if (validate_object(body, k->fields, "", 0, &ctx->err) != 0)
        return -1;
    if (k->kind == DIRECTORY_INSTITUTIONS)
        return directory_rules_institution(body, &ctx->err);
    if (directory_rules_specialist(body, open_cases, &ctx->err) != 0)
        return -1;
    return directory_check_specialist_refs(conn, body, &ctx->err);
}

static int create_entry(struct http_ctx *ctx, const struct kind_info *k)
{
    json_t *body = json_deep_copy(ctx->body);
    struct db_conn *conn;
    char id[37];
    int rc = -1;

    if (!body)
        return app_error_internal(&ctx->err);
    /* Shape first, without the database, so a bad body costs nothing. */
    if (validate_object(body, k->fields, "", 0, &ctx->err) != 0)
        goto done;
    if (!(conn = http_db(ctx)) || db_begin(conn, &ctx->err) != 0)
        goto done;
    if (check_complete(ctx, conn, k, body, 0) != 0 ||
        directory_insert(conn, k->kind, body, id, &ctx->err) != 0 ||
        record_write(ctx, conn, k, "create", "created", id, 201) != 0 ||
        db_commit(conn, &ctx->err) != 0)
        goto done;
    ctx->audited = 1;
    rc = reply_entry(ctx, conn, k, id, 201);
done:
    json_decref(body);
    return rc;
}

static int patch_entry(struct http_ctx *ctx, const struct kind_info *k)
{
    const char *id = http_path_uuid(ctx, "id", k->what);
    struct db_conn *conn;
    json_t *current = NULL;
    int version = 0, retired = 0, active = 0, open_cases = 0, rc = -1;
    char etag[24];

    if (!id || validate_object(ctx->body, k->fields, "", 1, &ctx->err) != 0)
        return -1;
    if (json_object_size(ctx->body) == 0)
        return app_error_bad_request(&ctx->err,
                                     "The patch changes nothing; send the members to change.");
    if (!(conn = http_db(ctx)) || db_begin(conn, &ctx->err) != 0)
        return -1;
    if (directory_lock(conn, k->kind, id, &current, &version, &retired, &active, &open_cases,
                       &ctx->err) != 0)
        return -1;
    if (!current)
        return app_error_not_found(&ctx->err, k->what);
    snprintf(etag, sizeof etag, "\"%d\"", version);
    if (http_require_if_match(ctx, etag) != 0)
        goto done;
    if (retired) {
        app_error_conflict(&ctx->err, "This %s is retired; retired entries are kept unchanged.",
                           k->resource);
        goto done;
    }
    directory_merge_patch(current, ctx->body);
    /* A new designation without patient_care takes that designation's default. */
    if (k->kind == DIRECTORY_INSTITUTIONS && json_object_get(ctx->body, "nci_designation") &&
        !json_object_get(ctx->body, "patient_care"))
        json_object_del(current, "patient_care");
    if (check_complete(ctx, conn, k, current, open_cases) != 0)
        goto done;
    if (k->kind == DIRECTORY_INSTITUTIONS && active > 0 &&
        !json_is_true(json_object_get(current, "patient_care"))) {
        app_error_conflict(&ctx->err,
                           "This institution has %d active specialists; an institution that "
                           "sees no patients can have none. Retire or move them first.",
                           active);
        goto done;
    }
    if (directory_update(conn, k->kind, id, current, &ctx->err) != 0 ||
        record_write(ctx, conn, k, "update", "updated", id, 200) != 0 ||
        db_commit(conn, &ctx->err) != 0)
        goto done;
    ctx->audited = 1;
    rc = reply_entry(ctx, conn, k, id, 200);
done:
    json_decref(current);
    return rc;
}

static int retire_entry(struct http_ctx *ctx, const struct kind_info *k)
{
    const char *id = http_path_uuid(ctx, "id", k->what);
    struct db_conn *conn;
    json_t *current = NULL;
    int version = 0, retired = 0, active = 0, open_cases = 0, rc = -1;
    if (!id || !(conn = http_db(ctx)) || db_begin(conn, &ctx->err) != 0)
        return -1;
    if (directory_lock(conn, k->kind, id, &current, &version, &retired, &active, &open_cases,
                       &ctx->err) != 0)
        return -1;
    if (!current)
        return app_error_not_found(&ctx->err, k->what);
    /* No If-Match: retiring is one-way and a second retire is refused. */
    if (retired) {
        app_error_conflict(&ctx->err, "This %s is already retired.", k->resource);
        goto done;
    }
    if (k->kind == DIRECTORY_INSTITUTIONS && active > 0) {
        app_error_conflict(&ctx->err,
                           "This institution has %d active specialists. Retire or move them "
                           "first.",
                           active);
        goto done;
    }
    if (directory_retire(conn, k->kind, id, &ctx->err) != 0 ||
        record_write(ctx, conn, k, "retire", "retired", id, 200) != 0 ||
        db_commit(conn, &ctx->err) != 0)
        goto done;
    ctx->audited = 1;
    rc = reply_entry(ctx, conn, k, id, 200);
done:
    json_decref(current);
    return rc;
}

/* ---------------------------------------------------------------- routes */

static int list_providers(struct http_ctx *ctx)
{
    return list_entries(ctx, &institutions);
}
static int get_provider(struct http_ctx *ctx)
{
    return get_entry(ctx, &institutions);
}
static int create_provider(struct http_ctx *ctx)
{
    return create_entry(ctx, &institutions);
}
static int patch_provider(struct http_ctx *ctx)
{
    return patch_entry(ctx, &institutions);
}
static int retire_provider(struct http_ctx *ctx)
{
    return retire_entry(ctx, &institutions);
}
static int list_specialists(struct http_ctx *ctx)
{
    return list_entries(ctx, &specialists);
}
static int get_specialist(struct http_ctx *ctx)
{
    return get_entry(ctx, &specialists);
}
static int create_specialist(struct http_ctx *ctx)
{
    return create_entry(ctx, &specialists);
}
static int patch_specialist(struct http_ctx *ctx)
{
    return patch_entry(ctx, &specialists);
}
static int retire_specialist(struct http_ctx *ctx)
{
    return retire_entry(ctx, &specialists);
}

#define COMMON_FILTERS                                                                             \
    "limit,cursor,cancer_type,nci_designation,state,telehealth,accepting,payer,language,near,"     \
    "within_km,include_retired"

static const struct http_route routes[] = {
    {"GET", "/v1/providers", ROLES_ALL, HTTP_BODY_NONE, COMMON_FILTERS, list_providers, NULL, 0},
    {"POST", "/v1/providers", ROLE_ADMIN, HTTP_BODY_JSON, NULL, create_provider, NULL, 1},
    {"GET", "/v1/providers/:id", ROLES_ALL, HTTP_BODY_NONE, NULL, get_provider, NULL, 0},
    {"PATCH", "/v1/providers/:id", ROLE_ADMIN, HTTP_BODY_JSON, NULL, patch_provider, NULL, 0},
    {"POST", "/v1/providers/:id/retire", ROLE_ADMIN, HTTP_BODY_NONE, NULL, retire_provider, NULL,
     0},
    {"GET", "/v1/specialists", ROLES_ALL, HTTP_BODY_NONE,
     COMMON_FILTERS ",specialty,institution_id", list_specialists, NULL, 0},
    {"POST", "/v1/specialists", ROLE_ADMIN, HTTP_BODY_JSON, NULL, create_specialist, NULL, 1},
    {"GET", "/v1/specialists/:id", ROLES_ALL, HTTP_BODY_NONE, NULL, get_specialist, NULL, 0},
    {"PATCH", "/v1/specialists/:id", ROLE_ADMIN, HTTP_BODY_JSON, NULL, patch_specialist, NULL, 0},
    {"POST", "/v1/specialists/:id/retire", ROLE_ADMIN, HTTP_BODY_NONE, NULL, retire_specialist,
     NULL, 0},
    {NULL, NULL, 0, 0, NULL, NULL, NULL, 0},
};

/* Request-body schemas, for the body fuzzer (internal/routes.c). */
static const struct vschema schemas[] = {
    {"directory.institution.create", institution_fields, 0, NULL},
    {"directory.institution.patch", institution_fields, 1, NULL},
    {"directory.specialist.create", specialist_fields, 0, NULL},
    {"directory.specialist.patch", specialist_fields, 1, NULL},
    {NULL, NULL, 0, NULL},
};

const struct vschema *directory_schemas(void)
{
    return schemas;
}

const struct http_route *directory_routes(void)
{
    return routes;
}
