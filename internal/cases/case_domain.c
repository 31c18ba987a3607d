#include "case_domain.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../jsonpatch/jsonpatch.h"
#include "../util/util.h"
#include "../workflow/workflow.h"
#include "case_access.h"

/* ---------- the rules a case document meets beyond its table ---------- */

static int all_match(const char *s, int (*pred)(int))
{
    for (; *s; s++)
        if (!pred((unsigned char)*s))
            return 0;
    return 1;
}

static int language_tag_ok(const char *s)
{
    /* BCP 47 primary tag with an optional subtag: en, es, zh-Hant, pt-BR. */
    size_t i = 0;
    while (s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i < 2 || i > 3)
        return 0;
    if (!s[i])
        return 1;
    if (s[i] != '-' || !s[i + 1])
        return 0;
    for (i++; s[i]; i++)
        if (!isalnum((unsigned char)s[i]))
            return 0;
    return 1;
}

void case_check_rules(const json_t *doc, struct app_error *err)
{
    const json_t *patient = json_object_get(doc, "patient"),
                 *diagnosis = json_object_get(doc, "diagnosis"),
                 *request = json_object_get(doc, "request"),
                 *prefs = json_object_get(doc, "preferences"),
                 *stage = json_object_get(diagnosis, "stage"), *item;
    const char *s;
    char today[11];
    size_t i;

    utc_date_from_today(0, today);
    if ((s = vget_str(patient, "state")) && !all_match(s, isupper))
        app_error_field(err, "patient.state", "must be a two-letter USPS code");
    if ((s = vget_str(patient, "zip")) && !all_match(s, isdigit))
        app_error_field(err, "patient.zip", "must be five digits");
    if ((s = vget_str(patient, "date_of_birth")) && strcmp(s, today) > 0)
        app_error_field(err, "patient.date_of_birth", "must not be in the future");
    if ((s = vget_str(patient, "preferred_language")) && !language_tag_ok(s))
        app_error_field(err, "patient.preferred_language",
                        "must be a language tag such as en or es");
    if ((s = vget_str(json_object_get(patient, "contact"), "email")) &&
        (!strchr(s, '@') || strchr(s, ' ')))
        app_error_field(err, "patient.contact.email", "must be an email address");
    if ((s = vget_str(diagnosis, "diagnosis_date")) && strcmp(s, today) > 0)
        app_error_field(err, "diagnosis.diagnosis_date", "must not be in the future");
    if ((s = vget_str(diagnosis, "diagnosis_date")) && vget_str(patient, "date_of_birth") &&
        strcmp(s, vget_str(patient, "date_of_birth")) < 0)
        app_error_field(err, "diagnosis.diagnosis_date", "must not be before the date of birth");
    if (stage) {
        int unknown = vget_bool(stage, "unknown", 0);
        int any = vget_str(stage, "t") || vget_str(stage, "n") || vget_str(stage, "m") ||
                  vget_str(stage, "group");
        if (unknown && any)
            app_error_field(err, "diagnosis.stage", "is either unknown or has values, not both");
        if (!unknown && !any)
            app_error_field(err, "diagnosis.stage",
                            "needs a group or T/N/M values, or unknown: true");
    }
    if (request) {
        int other = 0;
        json_array_foreach(json_object_get(request, "reasons"), i,
                           item) if (json_is_string(item) &&
                                     !strcmp(json_string_value(item), "other")) other = 1;
        if (other && !vget_str(request, "reason_other"))
            app_error_field(err, "request.reason_other", "is required when reasons include other");
        if ((s = vget_str(request, "urgency")) && strcmp(s, "routine") != 0 &&
            !vget_str(request, "urgency_reason"))
            app_error_field(err, "request.urgency_reason", "is required unless urgency is routine");
    }
    json_array_foreach(json_object_get(prefs, "languages"), i, item)
    {
        if (json_is_string(item) && !language_tag_ok(json_string_value(item))) {
            char f[64];
            snprintf(f, sizeof f, "preferences.languages[%zu]", i);
            app_error_field(err, f, "must be a language tag such as en or es");
        }
    }
}

/* A whole case document: the table and the rules together, so that a
 * client sees every problem at once. No database. */
static int check_document(const json_t *doc, const struct vfield *fields, struct app_error *err)
{
    validate_object(doc, fields, "", 0, err);
    case_check_rules(doc, err);
    return err->status ? -1 : 0;
}

static int unknown_cancer_type(const char *field, struct app_error *err)
{
    app_error_field(err, field, "is not a code from GET /v1/cancer-types");
    return -1;
}

/* 0 when code (may be NULL: nothing to check) names a cancer type; else -1
 * with a field error naming field, or the database's error. */
static int check_cancer_type(struct db_conn *db, const char *code, const char *field,
                             struct app_error *err)
{
    int rc;
    if (!code)
        return 0;
    if ((rc = case_store_cancer_type_exists(db, code, err)) < 0)
        return -1;
    return rc ? 0 : unknown_cancer_type(field, err);
}

/* ---------- opening, reading and listing cases ---------- */

int case_create(struct db_conn *db, const struct caller *by, const struct vfield *fields,
                const json_t *doc, const char *doc_json, struct case_text *out,
                struct app_error *err)
{
    const char *patient_sub;
    int rc;
    if (check_document(doc, fields, err) != 0)
        return -1;
    patient_sub = by->who->role == ROLE_PATIENT ? by->who->sub : vget_str(doc, "patient_subject");
    /* The insert checks the cancer type itself: one round trip. */
    rc = case_store_insert(db, by->who, patient_sub, doc_json, by->request_id, out, err);
    if (rc == 1)
        return unknown_cancer_type("diagnosis.cancer_type", err);
    return rc;
}

int case_read(struct db_conn *db, const struct caller *by, const char *id, struct case_text *out,
              struct app_error *err)
{
    return case_store_read_audited(db, by->who, id, by->request_id, out, err);
}

int case_list(struct db_conn *db, const struct caller *by, const struct case_list_query *q,
              struct case_page *page, struct app_error *err)
{
    struct case_list_query mine = *q;
    mine.who = by->who;
    if (check_cancer_type(db, q->cancer_type, "cancer_type", err) != 0)
        return -1;
    /* One audit row per case shown (a list discloses each of them), written
     * by the listing statement itself. */
    return case_store_list_audited(db, &mine, by->request_id, page, err);
}

/* ---------- editing a case ---------- */

/* The members a patch may change; the rest are the server's. */
static const char *const writable[] = {
    "patient", "diagnosis", "treatment_plan", "request", "preferences", "patient_subject", NULL};

/* current's writable members with patch merged in (RFC 7396): the whole
 * document the edit would leave. A patient cannot set patient_subject. */
static json_t *merged_document(const struct caller *by, const json_t *current, const json_t *patch)
{
    json_t *doc = json_merge_members(current, writable, patch);
    if (by->who->role == ROLE_PATIENT)
        json_object_del(doc, "patient_subject");
    return doc;
}

/* The checks before anything is read for the edit, in the order a client
 * fixes them: the case is visible (and locked), the ETag is current, the
 * case takes edits, then the patch itself is valid and not empty. */
static int check_edit(struct db_conn *db, const struct caller *by, const char *id,
                      const char *if_match, const struct vfield *fields, const json_t *patch,
                      struct case_ref *ref, struct app_error *err)
{
    char etag[32];
    if (db_begin(db, err) != 0 || case_access(db, by->who, id, 1, ref, err) != 0)
        return -1;
    snprintf(etag, sizeof etag, "\"%d\"", ref->version);
    if (validate_if_match(if_match, etag, err) != 0)
        return -1;
    if (!workflow_takes_edits(ref->status))
        return app_error_conflict(
            err, "A case can be edited only while draft or submitted; it is %s.", ref->status);
    /* The patch itself first, so that errors name what the caller sent. */
    if (validate_object(patch, fields, "", 1, err) != 0)
        return -1;
    if (json_object_size(patch) == 0)
        return app_error_bad_request(err, "The patch is empty.");
    return 0;
}

int case_update(struct db_conn *db, const struct caller *by, const char *id, const char *if_match,
                const struct vfield *fields, const json_t *patch, json_t **out,
                struct app_error *err)
{
    struct case_ref ref;
    struct change change;
    json_t *current = NULL, *doc = NULL, *updated = NULL;
    const char *patient_sub;
    int rc = -1;

    if (check_edit(db, by, id, if_match, fields, patch, &ref, err) != 0 ||
        case_store_get(db, id, &current, err) != 0)
        return -1;
    doc = merged_document(by, current, patch);
    if (check_document(doc, fields, err) != 0 ||
        check_cancer_type(db, vget_str(json_object_get(doc, "diagnosis"), "cancer_type"),
                          "diagnosis.cancer_type", err) != 0)
        goto out;
    /* A patient's edit keeps the account the case belongs to. */
    patient_sub = by->who->role == ROLE_PATIENT
                      ? json_string_value(json_object_get(current, "patient_subject"))
                      : vget_str(doc, "patient_subject");
    if (case_store_update(db, id, ref.version, patient_sub, doc, &updated, err) != 0)
        goto out;
    change = change_one("case.update", "case", id, id, 200, "case.updated");
    rc = change_record_result(db, by, &change, updated, out, err);
out:
    json_decref(doc);
    json_decref(current);
    return rc;
}

/* ---------- what belongs to a case as a whole ---------- */

/* Reads what belongs to case id as a whole with read, once by may see the
 * case (*ref), and audits the read as action. *out: what read returned. */
static int read_of_case(struct db_conn *db, const struct caller *by, const char *id,
                        int (*read)(struct db_conn *, const char *, json_t **, struct app_error *),
                        const char *action, struct case_ref *ref, json_t **out,
                        struct app_error *err)
{
    json_t *doc = NULL;
    if (case_access(db, by->who, id, 0, ref, err) != 0 || read(db, id, &doc, err) != 0)
        return -1;
    if (change_record_read(db, by, action, "case", id, id, err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

int case_history(struct db_conn *db, const struct caller *by, const char *id, json_t **items,
                 struct app_error *err)
{
    struct case_ref ref;
    return read_of_case(db, by, id, case_store_history, "case.history.read", &ref, items, err);
}

int case_checklist(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                   struct app_error *err)
{
    struct case_ref ref;
    if (read_of_case(db, by, id, case_store_checklist, "case.checklist.read", &ref, out, err) != 0)
        return -1;
    json_object_set_new(*out, "case_id", json_string(id));
    json_object_set_new(*out, "status", json_string(ref.status));
    return 0;
}

int case_cancer_types(struct db_conn *db, json_t **items, struct app_error *err)
{
    return case_store_cancer_types(db, items, err);
}

int case_specialties(struct db_conn *db, json_t **items, struct app_error *err)
{
    return case_store_specialties(db, items, err);
}
