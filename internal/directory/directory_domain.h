/* directory_domain: the provider directory's rules, below the handlers
 * (directory.c). Institutions and specialists have one life cycle, so one
 * set of functions serves both, told apart by enum directory_kind: anyone
 * signed in lists and reads entries (no patient data, so reads are not
 * audited); admins create, update (under If-Match) and retire them, each
 * change audited and emitted as "<resource>.<past>" ("institution.created").
 * Retired entries stay readable by id and never change again.
 *
 * Invariants kept here (and by the database where it can):
 *   - a basic-laboratory center never sees patients;
 *   - an active specialist works at an active institution that sees
 *     patients, so an institution with active specialists can be neither
 *     retired nor turned into one that sees no patients;
 *   - a specialist's capacity is never below their open cases.
 *
 * Every function takes a database connection, the caller and an error,
 * never an HTTP context, and commits its own changes. The entry it hands
 * out (*out) is a new reference owned by the caller of the function
 * (json_decref), with *version its version (the ETag's value). Every
 * function returns 0, or -1 with err set and nothing committed. */
#ifndef CSO_DIRECTORY_DOMAIN_H
#define CSO_DIRECTORY_DOMAIN_H

#include <jansson.h>

#include "../apperr/apperr.h"
#include "../change/change.h"
#include "../db/db.h"
#include "../validate/validate.h"
#include "directory_store.h"
#include "filter.h"

/* What tells the kinds apart outside the SQL (static storage). */
struct directory_kind_info {
    const char *what;            /* the resource a 404 names: "provider", "specialist" */
    const char *resource;        /* audit resource_type, event subject: "institution" */
    const struct vfield *fields; /* the body of a create or a patch (rules.h) */
};

const struct directory_kind_info *directory_kind_info(enum directory_kind kind);

/* One page of the entries of kind matching f (whose names must exist: a
 * field error each when not), after after_id (NULL: from the start).
 * *items: an array of at most limit entries; last_id: the id of the last
 * one when another page follows, else "". */
int directory_entry_list(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                         const struct directory_filter *f, const char *after_id, int limit,
                         json_t **items, char last_id[37], struct app_error *err);

/* One entry, retired or not (404 naming the kind's what). */
int directory_entry_read(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                         const char *id, json_t **out, int *version, struct app_error *err);

/* Adds an entry from a body whose shape is valid: the rules between its
 * fields (rules.h) and the entries it names are checked, defaults filled
 * in (body itself is left as sent). *out: the new entry. */
int directory_entry_create(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                           const json_t *body, json_t **out, int *version, struct app_error *err);

/* Merges patch (shape valid, not empty; RFC 7396 one level deep) into an
 * entry that is not retired, under If-Match (if_match: the header as sent,
 * or NULL), and checks the result as create does. A new nci_designation
 * without patient_care takes that designation's default. */
int directory_entry_update(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                           const char *id, const char *if_match, const json_t *patch, json_t **out,
                           int *version, struct app_error *err);

/* Retires an entry (one-way, so no If-Match: a second retire is a 409);
 * an institution only once it has no active specialists. */
int directory_entry_retire(struct db_conn *db, const struct caller *by, enum directory_kind kind,
                           const char *id, json_t **out, int *version, struct app_error *err);

#endif
