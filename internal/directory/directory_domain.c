#include "directory_domain.h"

#include <stdio.h>
#include <string.h>

#include "rules.h"

#include "../assignments/assignment_domain.h"
#include "../util/util.h"

static const struct directory_kind_info kinds[] = {
    [DIRECTORY_INSTITUTIONS] = {"provider", "institution", institution_fields},
    [DIRECTORY_SPECIALISTS] = {"specialist", "specialist", specialist_fields},
};

const struct directory_kind_info *directory_kind_info(enum directory_kind kind)
{
    return &kinds[kind];
}

/* The entry as it is now (after a change: as committed). */
static int read_back(struct db_conn *db, enum directory_kind kind, const char *id, json_t **out,
                     int *version, struct app_error *err)
{
    json_t *item = NULL;
    if (directory_get(db, kind, id, &item, version, err) != 0)
        return -1;
    if (!item)
        return app_error_not_found(err, kinds[kind].what);
    *out = item;
    return 0;
}

/* Records an admin write (audit row "specialist.update", event
 * "specialist.updated"; an entry belongs to no case) and commits it. */
static int record_write(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                        const char *verb, const char *past, const char *id, int status,
                        struct app_error *err)
{
    const char *resource = kinds[kind].resource;
    char action[48], event[48];
    struct change change;
    snprintf(action, sizeof action, "%s.%s", resource, verb);
    snprintf(event, sizeof event, "%s.%s", resource, past);
    change = change_one(action, resource, id, NULL, status, event);
    return change_record(db, by, &change, err);
}

/* Field rules and references of a complete body (a new one, or a patch
 * merged into the current entry); fills in defaults. */
static int check_complete(struct db_conn *db, enum directory_kind kind, json_t *body,
                          int open_cases, struct app_error *err)
{
    if (validate_object(body, kinds[kind].fields, "", 0, err) != 0)
        return -1;
    if (kind == DIRECTORY_INSTITUTIONS)
        return directory_rules_institution(body, err);
    if (directory_rules_specialist(body, open_cases, err) != 0)
        return -1;
    return directory_check_specialist_refs(db, body, err);
}

/* An entry locked for a change, with what its rules depend on. */
struct locked_entry {
    json_t *current; /* owned: its writable members, body-shaped */
    int version;
    int retired;
    int active_specialists; /* an institution's */
    int open_cases;         /* a specialist's */
};

/* Locks the entry in the transaction open on db (404 when there is none).
 * On success e->current is the caller's to free. */
static int lock_entry_in(struct db_conn *db, enum directory_kind kind, const char *id,
                         struct locked_entry *e, struct app_error *err)
{
    memset(e, 0, sizeof *e);
    if (directory_lock(db, kind, id, &e->current, &e->version, &e->retired, &e->active_specialists,
                       &e->open_cases, err) != 0)
        return -1;
    if (!e->current)
        return app_error_not_found(err, kinds[kind].what);
    return 0;
}

/* Opens the change's transaction and locks the entry. */
static int lock_entry(struct db_conn *db, enum directory_kind kind, const char *id,
                      struct locked_entry *e, struct app_error *err)
{
    memset(e, 0, sizeof *e);
    if (db_begin(db, err) != 0)
        return -1;
    return lock_entry_in(db, kind, id, e, err);
}

int directory_entry_list(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                         const struct directory_filter *f, const char *after_id, int limit,
                         json_t **items, char last_id[37], struct app_error *err)
{
    if (directory_check_filter_refs(db, f, err) != 0)
        return -1;
    return directory_list(db, kind, f, after_id, limit, items, last_id, err);
}

int directory_entry_read(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                         const char *id, json_t **out, int *version, struct app_error *err)
{
    return read_back(db, kind, id, out, version, err);
}

int directory_entry_create(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                           const json_t *body, json_t **out, int *version, struct app_error *err)
{
    /* The rules fill in defaults: on a copy, so that body stays as sent. */
    json_t *entry = json_deep_copy(body);
    char id[37];
    int rc = -1;

    if (!entry)
        return app_error_internal(err);
    if (db_begin(db, err) == 0 && check_complete(db, kind, entry, 0, err) == 0 &&
        directory_insert(db, kind, entry, id, err) == 0 &&
        record_write(db, by, kind, "create", "created", id, 201, err) == 0)
        rc = read_back(db, kind, id, out, version, err);
    json_decref(entry);
    return rc;
}

/* The entry e would become with patch, checked: e->current is changed in
 * place. */
static int apply_patch(struct db_conn *db, enum directory_kind kind, struct locked_entry *e,
                       const json_t *patch, struct app_error *err)
{
    if (e->retired)
        return app_error_conflict(err, "This %s is retired; retired entries are kept unchanged.",
                                  kinds[kind].resource);
    directory_merge_patch(e->current, patch);
    /* A new designation without patient_care takes that designation's default. */
    if (kind == DIRECTORY_INSTITUTIONS && json_object_get(patch, "nci_designation") &&
        !json_object_get(patch, "patient_care"))
        json_object_del(e->current, "patient_care");
    if (check_complete(db, kind, e->current, e->open_cases, err) != 0)
        return -1;
    if (kind == DIRECTORY_INSTITUTIONS && e->active_specialists > 0 &&
        !json_is_true(json_object_get(e->current, "patient_care")))
        return app_error_conflict(err,
                                  "This institution has %d active specialists; an institution "
                                  "that sees no patients can have none. Retire or move them "
                                  "first.",
                                  e->active_specialists);
    return 0;
}

int directory_entry_update(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                           const char *id, const char *if_match, const json_t *patch, json_t **out,
                           int *version, struct app_error *err)
{
    struct locked_entry e;
    char etag[24];
    int rc = -1;

    if (lock_entry(db, kind, id, &e, err) != 0)
        return -1;
    snprintf(etag, sizeof etag, "\"%d\"", e.version);
    if (validate_if_match(if_match, etag, err) == 0 && apply_patch(db, kind, &e, patch, err) == 0 &&
        directory_update(db, kind, id, e.current, err) == 0 &&
        record_write(db, by, kind, "update", "updated", id, 200, err) == 0)
        rc = read_back(db, kind, id, out, version, err);
    json_decref(e.current);
    return rc;
}

/* Whether the locked entry e may be retired. */
static int check_retire(enum directory_kind kind, const struct locked_entry *e,
                        struct app_error *err)
{
    if (e->retired)
        return app_error_conflict(err, "This %s is already retired.", kinds[kind].resource);
    if (kind == DIRECTORY_INSTITUTIONS && e->active_specialists > 0)
        return app_error_conflict(err,
                                  "This institution has %d active specialists. Retire or move "
                                  "them first.",
                                  e->active_specialists);
    return 0;
}

int directory_entry_retire(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                           const char *id, json_t **out, int *version, struct app_error *err)
{
    struct locked_entry e;
    int rc = -1;

    /* A retired specialist loses their access at once (case_access checks
     * retired_at) and their live assignments go back to the queue, in this
     * transaction. Those are locked first, before the specialist row, in
     * the order every writer of assignments locks. An entry that cannot be
     * retired after all rolls the revocations back with the rest. */
    if (db_begin(db, err) != 0 ||
        (kind == DIRECTORY_SPECIALISTS && uuid_is_valid(id) &&
         assignment_revoke_of_specialist(db, by, id, err) != 0) ||
        lock_entry_in(db, kind, id, &e, err) != 0)
        return -1;
    /* An offer made between the first pass and the specialist's lock has
     * committed by now (it held the specialist row); none can follow, since
     * making one needs the row we hold, and then sees retired_at. A second
     * pass revokes it; usually it finds nothing. Its case lock comes after
     * the specialist's, against the order, only in that race, where
     * PostgreSQL's deadlock check ends one of the two. */
    if (check_retire(kind, &e, err) == 0 && directory_retire(db, kind, id, err) == 0 &&
        (kind != DIRECTORY_SPECIALISTS || assignment_revoke_of_specialist(db, by, id, err) == 0) &&
        record_write(db, by, kind, "retire", "retired", id, 200, err) == 0)
        rc = read_back(db, kind, id, out, version, err);
    json_decref(e.current);
    return rc;
}
