#include "coverage_domain.h"

#include <stdio.h>
#include <string.h>

#include "../cases/case_access.h"
#include "../util/util.h"
#include "../validate/validate.h"
#include "adapter.h"
#include "runner.h"

/* Records change (audit row, events, commit) and hands doc, the changed
 * resource, to the caller; doc is freed when the change cannot be
 * recorded, so that nothing is shown of a change that did not happen. */
static int record(struct db_conn *db, const struct caller *by, const struct change *change,
                  json_t *doc, json_t **out, struct app_error *err)
{
    if (change_record(db, by, change, err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}

/* ---------------------------------------------------------------- payers */

/* Checks what the field table cannot: a registered adapter and a name
 * without surrounding blanks. Adds field errors; returns -1 if any. */
static int check_payer_values(const struct coverage_payer_values *v, struct app_error *err)
{
    int bad = 0;
    if (v->name && (v->name[0] == ' ' || v->name[strlen(v->name) - 1] == ' ')) {
        app_error_field(err, "name", "must not start or end with a space");
        bad = 1;
    }
    if (v->adapter && !coverage_adapter_find(v->adapter)) {
        app_error_field(err, "adapter", "must be an installed adapter: %s",
                        coverage_adapter_names());
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* The store's 409 is the unique name; say so in the caller's terms. */
static int name_taken(struct app_error *err)
{
    if (err->status == 409)
        app_error_conflict(err, "A payer with this name already exists.");
    return -1;
}

/* Payer names and kinds are not patient data, but who changes the catalog
 * is audited all the same and the feed hears of it; a payer belongs to no
 * case. */
static struct change payer_change(const char *action, const char *event, const char *id, int status)
{
    return change_one(action, "payer", id, NULL, status, event);
}

/* Locks the payer and checks If-Match and that it may still change (inside
 * the transaction the caller opened). */
static int lock_for_change(struct db_conn *db, const char *id, const char *if_match,
                           struct app_error *err)
{
    struct coverage_payer cur;
    char etag[32];
    if (coverage_store_payer_get(db, id, 1, &cur, NULL, err) != 0)
        return -1;
    snprintf(etag, sizeof etag, "\"%d\"", cur.version);
    if (validate_if_match(if_match, etag, err) != 0)
        return -1;
    if (cur.retired)
        return app_error_conflict(err, "The payer is retired; a retired payer cannot change.");
    return 0;
}

int coverage_payer_list(struct db_conn *db, const struct caller *by,
                        const struct coverage_payer_query *q, json_t **items, int *more,
                        struct app_error *err)
{
    return coverage_store_payer_list(db, q, items, more, err);
}

int coverage_payer_read(struct db_conn *db, const struct caller *by, const char *id, json_t **out,
                        struct app_error *err)
{
    struct coverage_payer payer;
    return coverage_store_payer_get(db, id, 0, &payer, out, err);
}

int coverage_payer_create(struct db_conn *db, const struct caller *by,
                          const struct coverage_payer_values *v, json_t **out,
                          struct app_error *err)
{
    struct coverage_payer payer;
    struct change change;
    json_t *doc = NULL;
    if (check_payer_values(v, err) != 0 || db_begin(db, err) != 0)
        return -1;
    if (coverage_store_payer_insert(db, v->name, v->kind, v->adapter, &payer, &doc, err) != 0)
        return name_taken(err);
    change = payer_change("payer.create", "payer.created", payer.id, 201);
    return record(db, by, &change, doc, out, err);
}

int coverage_payer_update(struct db_conn *db, const struct caller *by, const char *id,
                          const char *if_match, const struct coverage_payer_values *v, json_t **out,
                          struct app_error *err)
{
    struct coverage_payer payer;
    struct change change;
    json_t *doc = NULL;
    if (check_payer_values(v, err) != 0 || db_begin(db, err) != 0 ||
        lock_for_change(db, id, if_match, err) != 0)
        return -1;
    if (coverage_store_payer_update(db, id, v->name, v->kind, v->adapter, &payer, &doc, err) != 0)
        return name_taken(err);
    change = payer_change("payer.update", "payer.updated", id, 200);
    return record(db, by, &change, doc, out, err);
}

int coverage_payer_retire(struct db_conn *db, const struct caller *by, const char *id,
                          const char *if_match, json_t **out, struct app_error *err)
{
    struct coverage_payer payer;
    struct change change;
    json_t *doc = NULL;
    if (db_begin(db, err) != 0 || lock_for_change(db, id, if_match, err) != 0 ||
        coverage_store_payer_retire(db, id, &payer, &doc, err) != 0)
        return -1;
    change = payer_change("payer.retire", "payer.retired", id, 200);
    return record(db, by, &change, doc, out, err);
}

/* ------------------------------------------------------- coverage checks */

/* Raw adapter payloads may hold anything the payer sent: admins only. */
static int with_raw(const struct caller *by)
{
    return by->who->role == ROLE_ADMIN;
}

/* Member ids as payers print them on cards: letters, digits and dashes,
 * compared without regard to case (stored upper-cased). */
static int normalise_member_id(const char *in, char out[81])
{
    size_t i, n = strlen(in);
    if (n == 0 || n > 80 || in[0] == '-')
        return -1;
    for (i = 0; i < n; i++) {
        char c = in[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return -1;
        out[i] = c;
    }
    out[n] = 0;
    return 0;
}

static void lower_uuid(char *dst, const char *src)
{
    size_t i;
    for (i = 0; i < 36; i++)
        dst[i] = (char)(src[i] >= 'A' && src[i] <= 'F' ? src[i] - 'A' + 'a' : src[i]);
    dst[36] = 0;
}

/* Copies src into dst (n bytes), cut to fit: the inquiry's fields are sized
 * by struct coverage_request (adapter.h), the catalog's values are not. */
static void copy_cut(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = 0;
}

/* What an inquiry says that needs no database: a member id as on a card,
 * and one provider at most. Fills req->member_id. */
static int check_inquiry(const struct coverage_inquiry *in, struct coverage_request *req,
                         struct app_error *err)
{
    if (normalise_member_id(in->member_id, req->member_id) != 0) {
        app_error_field(err, "member_id",
                        "must be 1 to 80 letters, digits or dashes, as on the member card");
        return -1;
    }
    if (in->specialist_id && in->institution_id) {
        app_error_field(err, "institution_id",
                        "must not be sent with specialist_id; name one provider");
        return -1;
    }
    return 0;
}

/* The case an inquiry is on: visible to who and still open to one. With
 * lock != 0 it is locked (inside a transaction). */
static int open_case(struct db_conn *db, const struct principal *who, const char *case_id, int lock,
                     struct app_error *err)
{
    struct case_ref ref;
    if (case_access(db, who, case_id, lock, &ref, err) != 0)
        return -1;
    if (!strcmp(ref.status, "closed") || !strcmp(ref.status, "withdrawn"))
        return app_error_conflict(err, "The case is %s; coverage can no longer be checked.",
                                  ref.status);
    return 0;
}

/* What the inquiry is about, checked against the catalog before the payer
 * is asked. Fills req (and adapter_name); field errors are 400, all of them
 * at once. */
static int prepare_inquiry(struct db_conn *db, const struct coverage_inquiry *in,
                           struct coverage_request *req, char adapter_name[41],
                           struct app_error *err)
{
    struct coverage_payer payer;
    int found;

    lower_uuid(req->payer_id, in->payer_id);
    found = coverage_store_payer_find(db, req->payer_id, &payer, err);
    if (found < 0)
        return -1;
    if (!found) {
        app_error_field(err, "payer_id", "is not a payer in the catalog");
    } else if (payer.retired) {
        app_error_field(err, "payer_id", "is a retired payer");
    } else if (!strcmp(payer.kind, "self_pay")) {
        app_error_field(err, "payer_id", "is self-pay: there is no coverage to check");
    } else {
        copy_cut(req->payer_name, sizeof req->payer_name, payer.name);
        copy_cut(adapter_name, 41, payer.adapter);
    }

    if (in->specialist_id) {
        lower_uuid(req->specialist_id, in->specialist_id);
        found =
            coverage_store_specialist_institution(db, req->specialist_id, req->institution_id, err);
        if (found < 0)
            return -1;
        if (!found)
            app_error_field(err, "specialist_id", "is not an active specialist");
    } else if (in->institution_id) {
        lower_uuid(req->institution_id, in->institution_id);
        found = coverage_store_institution_exists(db, req->institution_id, err);
        if (found < 0)
            return -1;
        if (!found)
            app_error_field(err, "institution_id", "is not an active institution");
    }
    return err->status ? -1 : 0;
}

/* Asks the payer through its adapter, on the runner's thread and within
 * the adapter's time-out; always leaves an answer in *result. */
static void ask_payer(const char *adapter_name, const struct coverage_request *req,
                      struct db_pool *pool, struct coverage_result *result, int *duration_ms)
{
    const struct coverage_adapter *adapter = coverage_adapter_find(adapter_name);
    if (adapter) {
        coverage_run(adapter, req, pool, result, duration_ms);
        return;
    }
    result->outcome = COVERAGE_ERROR;
    coverage_result_message(result, "No eligibility service is configured for this payer.");
}

/* Stores the payer's answer, its audit row and the coverage.checked event
 * in one short transaction. */
static int store_answer(struct db_conn *db, const struct caller *by, const char *case_id,
                        const struct coverage_request *req, const char *adapter_name,
                        const struct coverage_result *result, int duration_ms, json_t **out,
                        struct app_error *err)
{
    struct coverage_check_new row;
    struct change change;
    char check_id[37];
    json_t *doc = NULL;

    memset(&row, 0, sizeof row);
    row.case_id = case_id;
    row.payer_id = req->payer_id;
    row.member_id = req->member_id;
    row.specialist_id = req->specialist_id[0] ? req->specialist_id : NULL;
    row.institution_id = req->institution_id[0] ? req->institution_id : NULL;
    row.adapter = adapter_name;
    row.result = result;
    row.duration_ms = duration_ms;
    row.who = by->who;

    /* The case is looked at again: it may have been closed while the payer
     * answered. */
    if (db_begin(db, err) != 0 || open_case(db, by->who, case_id, 1, err) != 0 ||
        coverage_store_check_insert(db, &row, check_id, err) != 0 ||
        coverage_store_check_get(db, case_id, check_id, with_raw(by), &doc, err) != 0)
        return -1;
    change = change_one("coverage_check.create", "coverage_check", check_id, case_id, 201,
                        "coverage.checked");
    return record(db, by, &change, doc, out, err);
}

int coverage_check_create(struct db_conn **db, struct db_pool *pool, const struct caller *by,
                          const char *case_id, const struct coverage_inquiry *in, json_t **out,
                          struct app_error *err)
{
    struct coverage_request req;
    struct coverage_result result;
    char adapter_name[41] = "";
    int duration_ms = 0, rc = -1;

    memset(&req, 0, sizeof req);
    if (check_inquiry(in, &req, err) != 0 || (!*db && !(*db = db_acquire(pool, err))) ||
        open_case(*db, by->who, case_id, 0, err) != 0 ||
        prepare_inquiry(*db, in, &req, adapter_name, err) != 0 ||
        coverage_store_case_patient(*db, case_id, req.patient_name, req.patient_dob, err) != 0)
        return -1;
    utc_date_from_today(0, req.as_of);

    /* Give the connection back while the payer is asked: a slow payer must
     * not pin a pooled connection. */
    db_release(*db);
    *db = NULL;

    coverage_result_init(&result);
    ask_payer(adapter_name, &req, pool, &result, &duration_ms);
    if ((*db = db_acquire(pool, err)) != NULL)
        rc = store_answer(*db, by, case_id, &req, adapter_name, &result, duration_ms, out, err);
    coverage_result_clear(&result);
    return rc;
}

int coverage_check_list(struct db_conn *db, const struct caller *by,
                        const struct coverage_check_query *q, json_t **items, int *more,
                        struct app_error *err)
{
    struct coverage_check_query shown = *q;
    struct case_ref ref;
    json_t *list = NULL;

    shown.with_raw = with_raw(by);
    if (case_access(db, by->who, q->case_id, 0, &ref, err) != 0 ||
        coverage_store_check_list(db, &shown, &list, more, err) != 0)
        return -1;
    if (change_record_read(db, by, "coverage_check.list", "coverage_check", NULL, q->case_id,
                           err) != 0) {
        json_decref(list);
        return -1;
    }
    *items = list;
    return 0;
}

int coverage_check_read(struct db_conn *db, const struct caller *by, const char *case_id,
                        const char *check_id, json_t **out, struct app_error *err)
{
    struct case_ref ref;
    json_t *doc = NULL;
    if (case_access(db, by->who, case_id, 0, &ref, err) != 0 ||
        coverage_store_check_get(db, case_id, check_id, with_raw(by), &doc, err) != 0)
        return -1;
    if (change_record_read(db, by, "coverage_check.read", "coverage_check", check_id, case_id,
                           err) != 0) {
        json_decref(doc);
        return -1;
    }
    *out = doc;
    return 0;
}
