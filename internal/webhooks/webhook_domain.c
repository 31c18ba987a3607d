#include "webhook_domain.h"

#include <stdio.h>

#include "../events/events.h"
#include "outbound.h"
#include "webhook_store.h"

#define RECENT_ATTEMPTS 20

static const char *const settable_statuses[] = {"active", "disabled", NULL};

/* Members the server owns: present in a request body at all is an error. */
#define READONLY_FIELDS                                                                            \
    {"id", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                                    \
        {"consecutive_failures", V_READONLY, 0, 0, 0, NULL, NULL, 0},                              \
        {"secret_fingerprint", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                \
        {"next_attempt_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                   \
        {"last_success_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                   \
        {"last_failure_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                   \
        {"last_error", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"version", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                           \
        {"created_by", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"created_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
        {"updated_at", V_READONLY, 0, 0, 0, NULL, NULL, 0},                                        \
    {                                                                                              \
        "recent_attempts", V_READONLY, 0, 0, 0, NULL, NULL, 0                                      \
    }

const struct vfield webhook_create_fields[] = {
    {"url", V_STRING, V_REQUIRED, 1, WEBHOOK_URL_MAX, NULL, NULL, 0},
    {"secret", V_STRING, V_REQUIRED, 16, 256, NULL, NULL, 0},
    {"event_types", V_STRING_ARRAY, V_REQUIRED, 1, 50, NULL, NULL, 82},
    {"description", V_STRING, V_NULLABLE, 1, 500, NULL, NULL, 0},
    {"status", V_READONLY, 0, 0, 0, NULL, NULL, 0},
    READONLY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

const struct vfield webhook_patch_fields[] = {
    {"url", V_STRING, 0, 1, WEBHOOK_URL_MAX, NULL, NULL, 0},
    {"secret", V_STRING, 0, 16, 256, NULL, NULL, 0},
    {"event_types", V_STRING_ARRAY, 0, 1, 50, NULL, NULL, 82},
    {"description", V_STRING, V_NULLABLE, 1, 500, NULL, NULL, 0},
    {"status", V_ENUM, 0, 0, 0, settable_statuses, NULL, 0},
    READONLY_FIELDS,
    {NULL, 0, 0, 0, 0, NULL, NULL, 0},
};

/* The checks a field table cannot express, on a body whose shape is
 * valid. Adds per-field errors, all of them at once; returns -1 if any. */
static int check_values(const json_t *doc, struct app_error *err)
{
    const char *url = vget_str(doc, "url"), *secret = vget_str(doc, "secret");
    const json_t *types = json_object_get(doc, "event_types"), *t;
    char why[128];
    size_t i, j;

    if (url && webhook_url_check(url, why, sizeof why) != 0)
        app_error_field(err, "url", "%s", why);
    if (secret) {
        int seen[256] = {0}, distinct = 0, printable = 1;
        for (i = 0; secret[i]; i++) {
            unsigned char c = (unsigned char)secret[i];
            if (c < 0x21 || c > 0x7e)
                printable = 0;
            if (!seen[c]++)
                distinct++;
        }
        /* A secret anyone can guess signs nothing; refuse the obvious ones. */
        if (!printable)
            app_error_field(err, "secret", "must be printable ASCII without spaces");
        else if (distinct < 8)
            app_error_field(err, "secret", "is too weak: it has fewer than 8 distinct characters");
    }
    if (json_is_array(types))
        json_array_foreach(types, i, t)
        {
            char fp[40];
            snprintf(fp, sizeof fp, "event_types[%zu]", i);
            if (!events_type_pattern_is_valid(json_string_value(t))) {
                app_error_field(err, fp,
                                "must be \"*\", \"<resource>.*\" or \"<resource>.<action>\" "
                                "in lowercase, e.g. \"case.created\"");
                continue;
            }
            for (j = 0; j < i; j++)
                if (json_equal(json_array_get(types, j), t))
                    app_error_field(err, fp, "is repeated");
        }
    return err->status ? -1 : 0;
}

/* Where a URL points, looked at before any transaction opens: resolving
 * a name can take seconds, which no row lock should wait for. *verdict is
 * 0 when the destination may be used (or there is no valid URL to look
 * at: check_values reports that), else -1 with the reason in why.
 * WEBHOOK_ALLOW_PRIVATE skips it, and with it the resolution: the tests'
 * names (crm.example.org) resolve nowhere. */
static void check_destination(const json_t *doc, int allow_private, int *verdict, char *why,
                              size_t whylen)
{
    const char *url = vget_str(doc, "url");
    struct outbound_dest d;
    char ignored[128];

    *verdict = 0;
    if (allow_private || !url || webhook_url_check(url, ignored, sizeof ignored) != 0)
        return;
    if (outbound_parse_url(url, &d, why, whylen) != 0 ||
        outbound_check_destination(&d, 0, outbound_resolve_system, NULL, why, whylen) != 0)
        *verdict = -1;
}

/* A refused destination: 422 of its own type (the URL is well formed; the
 * service will not send there), the reason in detail and under "url". */
static int destination_refused(const char *why, struct app_error *err)
{
    app_error_problem(err, PROBLEM_DESTINATION_NOT_ALLOWED,
                      "The webhook URL points where the service does not send: it %s.", why);
    app_error_field(err, "url", "%s", why);
    return -1;
}

/* A change to a subscription: audited, no event, no case. */
static int record_change(struct db_conn *db, const struct caller *by, const char *action,
                         const char *id, int status, struct app_error *err)
{
    struct change change = change_one(action, "webhook", id, NULL, status, NULL);
    return change_record(db, by, &change, err);
}

int webhook_create(struct db_conn *db, const struct caller *by, const json_t *body,
                   int allow_private, json_t **out, struct app_error *err)
{
    json_t *doc = NULL;
    char why[200];
    int verdict;
    if (check_values(body, err) != 0)
        return -1;
    check_destination(body, allow_private, &verdict, why, sizeof why);
    if (verdict != 0)
        return destination_refused(why, err);
    if (db_begin(db, err) != 0 || webhook_store_create(db, body, by->who->sub, &doc, err) != 0)
        return -1;
    if (record_change(db, by, "webhook.create", json_string_value(json_object_get(doc, "id")), 201,
                      err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

int webhook_list(struct db_conn *db, const struct caller *by, const char *after_created,
                 const char *after_id, int limit, json_t **items, int *more, struct app_error *err)
{
    return webhook_store_list(db, after_created, after_id, limit, items, more, err);
}

int webhook_read(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                 struct app_error *err)
{
    json_t *doc = NULL, *attempts = NULL;
    if (webhook_store_get(db, id, 0, &doc, err) != 0)
        return -1;
    if (webhook_store_attempts(db, id, RECENT_ATTEMPTS, &attempts, err) != 0) {
        json_decref(doc);
        return -1;
    }
    json_object_set_new(doc, "recent_attempts", attempts);
    *out = doc;
    return 0;
}

/* The shape and the rules of a patch. */
static int check_patch(const json_t *patch, struct app_error *err)
{
    if (validate_object(patch, webhook_patch_fields, "", 1, err) != 0)
        return -1;
    if (json_object_size(patch) == 0)
        return app_error_bad_request(err, "The patch is empty.");
    return check_values(patch, err);
}

int webhook_update(struct db_conn *db, const struct caller *by, const char *id,
                   const char *if_match, const json_t *patch, int allow_private, json_t **out,
                   struct app_error *err)
{
    json_t *current = NULL, *doc = NULL;
    char etag[32], why[200];
    int version, verdict = 0;

    /* Resolved now, outside the lock; answered after the precondition and
     * the shape of the patch, as before. */
    if (json_is_object(patch))
        check_destination(patch, allow_private, &verdict, why, sizeof why);
    if (db_begin(db, err) != 0 || webhook_store_get(db, id, 1, &current, err) != 0)
        return -1;
    version = (int)json_integer_value(json_object_get(current, "version"));
    json_decref(current);
    snprintf(etag, sizeof etag, "\"%d\"", version);
    /* The precondition before the patch: this route has always answered a
     * stale or missing If-Match before looking at the body. */
    if (validate_if_match(if_match, etag, err) != 0 || check_patch(patch, err) != 0 ||
        (verdict != 0 && destination_refused(why, err) != 0) ||
        webhook_store_update(db, id, version, patch, &doc, err) != 0)
        return -1;
    if (record_change(db, by, "webhook.update", id, 200, err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

int webhook_delete(struct db_conn *db, const struct caller *by, const char *id,
                   struct app_error *err)
{
    if (db_begin(db, err) != 0 || webhook_store_delete(db, id, err) != 0)
        return -1;
    return record_change(db, by, "webhook.delete", id, 204, err);
}
