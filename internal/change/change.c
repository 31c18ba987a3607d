#include "change.h"

#include "../audit/audit.h"
#include "../events/events.h"

struct change change_one(const char *action, const char *resource_type, const char *resource_id,
                         const char *case_id, int status, const char *event)
{
    struct change c = {action, resource_type, resource_id, case_id, status, {{NULL, NULL, NULL}}};
    c.events[0] = (struct change_event){event, resource_type, resource_id};
    return c;
}

int change_add_event(struct change *c, const char *type, const char *subject_type,
                     const char *subject_id, struct app_error *err)
{
    int i;
    if (!type)
        return 0;
    for (i = 0; i < CHANGE_MAX_EVENTS; i++) {
        if (!c->events[i].type) {
            c->events[i] = (struct change_event){type, subject_type, subject_id};
            return 0;
        }
    }
    return app_error_internal(err);
}

int change_write(struct db_conn *db, const struct caller *by, const struct change *c,
                 struct app_error *err)
{
    struct audit_entry e = {by->who,        by->request_id, c->action, c->resource_type,
                            c->resource_id, c->case_id,     "success", c->status};
    int i;
    if (audit_record(db, &e, err) != 0)
        return -1;
    for (i = 0; i < CHANGE_MAX_EVENTS && c->events[i].type; i++)
        if (events_emit(db, c->events[i].type, c->case_id, c->events[i].subject_type,
                        c->events[i].subject_id, by->who, err) != 0)
            return -1;
    return 0;
}

int change_record(struct db_conn *db, const struct caller *by, const struct change *c,
                  struct app_error *err)
{
    if (change_write(db, by, c, err) != 0)
        return -1;
    return db_commit(db, err);
}

int change_record_result(struct db_conn *db, const struct caller *by, const struct change *c,
                         json_t *doc, json_t **out, struct app_error *err)
{
    if (change_record(db, by, c, err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

int change_record_read(struct db_conn *db, const struct caller *by, const char *action,
                       const char *resource_type, const char *resource_id, const char *case_id,
                       struct app_error *err)
{
    struct audit_entry e = {by->who,     by->request_id, action,    resource_type,
                            resource_id, case_id,        "success", 200};
    return audit_record(db, &e, err);
}

int change_record_list_read(struct db_conn *db, const struct caller *by, const char *action,
                            const char *resource_type, const json_t *items, const char *case_id,
                            struct app_error *err)
{
    const json_t *item;
    size_t i;
    json_array_foreach(items, i, item)
    {
        const char *in_case =
            case_id ? case_id : json_string_value(json_object_get(item, "case_id"));
        if (change_record_read(db, by, action, resource_type,
                               json_string_value(json_object_get(item, "id")), in_case, err) != 0)
            return -1;
    }
    return 0;
}
