#include "directory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../http/http_change.h"
#include "../util/util.h"
#include "directory_domain.h"
#include "rules.h"

#define LIST_DEFAULT_LIMIT 50
#define LIST_MAX_LIMIT 200

/* Cursor keys name the order a page was cut from, so a cursor cannot be
 * replayed against the other order. */
#define CURSOR_BY_NAME "name"
#define CURSOR_BY_DISTANCE "distance"

void directory_init(void)
{
    directory_store_init();
}

/* The entry's ETag is its version. */
static int reply(struct http_ctx *ctx, int status, json_t *out, int version)
{
    char etag[24];
    snprintf(etag, sizeof etag, "\"%d\"", version);
    http_set_header(ctx, "ETag", etag);
    return http_reply_json(ctx, status, out);
}

/* ------------------------------------------------------- one shape, both kinds */

static int list_entries(struct http_ctx *ctx, enum directory_kind kind)
{
    const struct caller by = http_caller(ctx);
    struct directory_filter f;
    const char *cursor = http_query(ctx, "cursor");
    char key[16] = "", after[40] = "", last[37];
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
    if (bad || !http_db(ctx) ||
        directory_entry_list(ctx->db, &by, kind, &f, cursor ? after : NULL, limit, &items, last,
                             &ctx->err) != 0)
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

/* What GET and retire do to the entry the path names: read it, or retire
 * it (directory_entry_read or directory_entry_retire). */
typedef int (*entry_fn)(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                        const char *id, json_t **out, int *version, struct app_error *err);

/* audited: fn records a change (a read of the directory is not audited). */
static int on_entry(struct http_ctx *ctx, enum directory_kind kind, entry_fn fn, int audited)
{
    const char *id = http_path_uuid(ctx, "id", directory_kind_info(kind)->what);
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    int version = 0;
    if (!id || !http_db(ctx) || fn(ctx->db, &by, kind, id, &out, &version, &ctx->err) != 0)
        return -1;
    ctx->audited |= audited;
    return reply(ctx, 200, out, version);
}

/* collection: the path the new entry's Location is under. */
static int create_entry(struct http_ctx *ctx, enum directory_kind kind, const char *collection)
{
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    int version = 0;
    char location[96];

    /* Shape first, without the database, so a bad body costs nothing. */
    if (validate_object(ctx->body, directory_kind_info(kind)->fields, "", 0, &ctx->err) != 0 ||
        !http_db(ctx) ||
        directory_entry_create(ctx->db, &by, kind, ctx->body, &out, &version, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    snprintf(location, sizeof location, "%s/%s", collection,
             json_string_value(json_object_get(out, "id")));
    http_set_header(ctx, "Location", location);
    return reply(ctx, 201, out, version);
}

static int patch_entry(struct http_ctx *ctx, enum directory_kind kind)
{
    const struct directory_kind_info *k = directory_kind_info(kind);
    const char *id = http_path_uuid(ctx, "id", k->what);
    const struct caller by = http_caller(ctx);
    json_t *out = NULL;
    int version = 0;

    if (!id || validate_object(ctx->body, k->fields, "", 1, &ctx->err) != 0)
        return -1;
    if (json_object_size(ctx->body) == 0)
        return app_error_bad_request(&ctx->err,
                                     "The patch changes nothing; send the members to change.");
    if (!http_db(ctx) ||
        directory_entry_update(ctx->db, &by, kind, id, http_header(ctx, "If-Match"), ctx->body,
                               &out, &version, &ctx->err) != 0)
        return -1;
    ctx->audited = 1;
    return reply(ctx, 200, out, version);
}

/* ---------------------------------------------------------------- routes */

static int list_providers(struct http_ctx *ctx)
{
    return list_entries(ctx, DIRECTORY_INSTITUTIONS);
}
static int get_provider(struct http_ctx *ctx)
{
    return on_entry(ctx, DIRECTORY_INSTITUTIONS, directory_entry_read, 0);
}
static int create_provider(struct http_ctx *ctx)
{
    return create_entry(ctx, DIRECTORY_INSTITUTIONS, "/v1/providers");
}
static int patch_provider(struct http_ctx *ctx)
{
    return patch_entry(ctx, DIRECTORY_INSTITUTIONS);
}
static int retire_provider(struct http_ctx *ctx)
{
    return on_entry(ctx, DIRECTORY_INSTITUTIONS, directory_entry_retire, 1);
}
static int list_specialists(struct http_ctx *ctx)
{
    return list_entries(ctx, DIRECTORY_SPECIALISTS);
}
static int get_specialist(struct http_ctx *ctx)
{
    return on_entry(ctx, DIRECTORY_SPECIALISTS, directory_entry_read, 0);
}
static int create_specialist(struct http_ctx *ctx)
{
    return create_entry(ctx, DIRECTORY_SPECIALISTS, "/v1/specialists");
}
static int patch_specialist(struct http_ctx *ctx)
{
    return patch_entry(ctx, DIRECTORY_SPECIALISTS);
}
static int retire_specialist(struct http_ctx *ctx)
{
    return on_entry(ctx, DIRECTORY_SPECIALISTS, directory_entry_retire, 1);
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
