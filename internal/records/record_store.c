#include "record_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The API representation of a document, from the row aliased d.
 * content_url is null for physical slides, which have no bytes. */
#define DOCUMENT_JSON                                                                              \
    "jsonb_build_object("                                                                          \
    " 'id', d.id, 'case_id', d.case_id, 'kind', d.kind, 'title', d.title,"                         \
    " 'media_type', d.media_type, 'size_bytes', d.size_bytes, 'sha256', d.sha256,"                 \
    " 'shipment_status', d.shipment_status, 'carrier', d.carrier,"                                 \
    " 'tracking_number', d.tracking_number,"                                                       \
    " 'uploaded_by', jsonb_build_object('subject', d.uploaded_by_sub, 'role', "                    \
    "d.uploaded_by_role),"                                                                         \
    " 'created_at', d.created_at, 'updated_at', d.updated_at,"                                     \
    " 'content_url', CASE WHEN d.media_type IS NULL THEN NULL"                                     \
    "   ELSE '/v1/cases/' || d.case_id || '/documents/' || d.id || '/content' END)"

/* updated_at moves forward by at least a microsecond on every change (see
 * document_update), so it identifies the version. */
#define DOCUMENT_ETAG "'\"' || (extract(epoch FROM d.updated_at) * 1000000)::bigint || '\"'"

#define MEDICATION_JSON                                                                            \
    "jsonb_build_object("                                                                          \
    " 'id', m.id, 'case_id', m.case_id, 'drug', m.drug, 'dose', m.dose, 'unit', m.unit,"           \
    " 'route', m.route, 'frequency', m.frequency, 'start_date', m.start_date,"                     \
    " 'end_date', m.end_date, 'created_by', jsonb_build_object('subject', m.created_by_sub),"      \
    " 'created_at', m.created_at)"

#define CURSOR_KEY(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const struct db_statement statements[] = {
    {"document_count", "SELECT count(*) AS n FROM documents WHERE case_id = $1::uuid"},
    {"document_insert",
     "INSERT INTO documents AS d (case_id, kind, title, media_type, size_bytes, sha256,"
     " shipment_status, carrier, tracking_number, uploaded_by_sub, uploaded_by_role)"
     " VALUES ($1::uuid, $2, $3, $4, $5::bigint, $6, $7, $8, $9, $10, $11)"
     " RETURNING d.id, " DOCUMENT_JSON " AS doc, " DOCUMENT_ETAG " AS etag"},
    {"document_content_insert",
     "INSERT INTO document_contents (document_id, content) VALUES ($1::uuid, $2::bytea)"},
    {"document_get", "SELECT " DOCUMENT_JSON " AS doc, " DOCUMENT_ETAG " AS etag FROM documents d"
                     " WHERE d.case_id = $1::uuid AND d.id = $2::uuid"},
    {"document_update",
     "UPDATE documents d SET title = $3, shipment_status = $4, carrier = $5,"
     " tracking_number = $6, updated_at = GREATEST(now(), d.updated_at + interval '1 microsecond')"
     " WHERE d.case_id = $1::uuid AND d.id = $2::uuid"
     " RETURNING " DOCUMENT_JSON " AS doc, " DOCUMENT_ETAG " AS etag"},
    /* Two statements (contents, then the row) so the foreign key is checked
     * against a state where the bytes are already gone. */
    {"document_content_delete",
     "DELETE FROM document_contents c USING documents d WHERE c.document_id = d.id"
     " AND d.case_id = $1::uuid AND d.id = $2::uuid"},
    {"document_delete",
     "DELETE FROM documents WHERE case_id = $1::uuid AND id = $2::uuid RETURNING id"},
    {"document_list",
     "SELECT " DOCUMENT_JSON " AS doc, " CURSOR_KEY(
         "d.created_at") " AS k FROM documents d"
                         " WHERE d.case_id = $1::uuid AND ($2::text IS NULL OR d.kind = $2)"
                         " AND ($3::timestamptz IS NULL OR (d.created_at, d.id) > "
                         "($3::timestamptz, $4::uuid))"
                         " ORDER BY d.created_at, d.id LIMIT $5::int"},
    /* Read with binary results: every column comes back raw. */
    {"document_content", "SELECT c.content, d.media_type, d.sha256 FROM documents d"
                         " LEFT JOIN document_contents c ON c.document_id = d.id"
                         " WHERE d.case_id = $1::uuid AND d.id = $2::uuid"},
    {"medication_insert",
     "INSERT INTO medications AS m (case_id, drug, dose, unit, route, frequency, start_date,"
     " end_date, created_by_sub)"
     " SELECT $1::uuid, x.d->>'drug', (x.d->>'dose')::numeric, x.d->>'unit', x.d->>'route',"
     " x.d->>'frequency', (x.d->>'start_date')::date, (x.d->>'end_date')::date, $3"
     " FROM (SELECT $2::jsonb AS d) x RETURNING " MEDICATION_JSON " AS doc"},
    {"medication_get", "SELECT " MEDICATION_JSON " AS doc FROM medications m"
                       " WHERE m.case_id = $1::uuid AND m.id = $2::uuid"},
    {"medication_list", "SELECT " MEDICATION_JSON " AS doc, " CURSOR_KEY(
                            "m.created_at") " AS k FROM medications m"
                                            " WHERE m.case_id = $1::uuid"
                                            " AND ($2::timestamptz IS NULL OR (m.created_at, m.id) "
                                            "> ($2::timestamptz, $3::uuid))"
                                            " ORDER BY m.created_at, m.id LIMIT $4::int"},
    {"medication_delete",
     "DELETE FROM medications WHERE case_id = $1::uuid AND id = $2::uuid RETURNING id"},
    {NULL, NULL},
};

void record_store_init(void)
{
    db_register(statements);
}

/* db_one_doc of the "doc" column, and the "etag" column copied when asked. */
static int one_doc(PGresult *res, json_t **out, char *etag, const char *what, struct app_error *err)
{
    if (etag && PQntuples(res) == 1)
        snprintf(etag, RECORD_ETAG_LEN, "%s", db_value(res, 0, "etag"));
    return db_one_doc(res, "doc", out, err, what);
}

int record_store_document_count(struct db_conn *conn, const char *case_id, long *n,
                                struct app_error *err)
{
    const char *params[1] = {case_id};
    PGresult *res = db_exec(conn, "document_count", 1, params, err);
    if (!res)
        return -1;
    *n = strtol(db_value(res, 0, "n"), NULL, 10);
    PQclear(res);
    return 0;
}

int record_store_document_insert(struct db_conn *conn, const struct principal *who,
                                 const char *case_id, const struct document_new *d, json_t **out,
                                 char etag[RECORD_ETAG_LEN], struct app_error *err)
{
    char size[32], id[37];
    const char *params[11];
    PGresult *res;

    snprintf(size, sizeof size, "%zu", d->size);
    params[0] = case_id;
    params[1] = d->kind;
    params[2] = d->title;
    params[3] = d->media_type;
    params[4] = d->media_type ? size : NULL;
    params[5] = d->media_type ? d->sha256 : NULL;
    params[6] = d->media_type ? NULL : d->shipment_status;
    params[7] = d->media_type ? NULL : d->carrier;
    params[8] = d->media_type ? NULL : d->tracking_number;
    params[9] = who->sub;
    params[10] = role_name(who->role);
    res = db_exec(conn, "document_insert", 11, params, err);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_internal(err);
    }
    snprintf(id, sizeof id, "%s", db_value(res, 0, "id"));
    if (one_doc(res, out, etag, "document", err) != 0)
        return -1;
    if (d->media_type) {
        const char *cparams[2] = {id, (const char *)d->bytes};
        const int lengths[2] = {0, (int)d->size};
        const int formats[2] = {0, 1};
        PGresult *cres =
            db_exec_binary(conn, "document_content_insert", 2, cparams, lengths, formats, 0, err);
        if (!cres) {
            json_decref(*out);
            *out = NULL;
            return -1;
        }
        PQclear(cres);
    }
    return 0;
}

int record_store_document_get(struct db_conn *conn, const char *case_id, const char *doc_id,
                              json_t **out, char etag[RECORD_ETAG_LEN], struct app_error *err)
{
    const char *params[2] = {case_id, doc_id};
    PGresult *res = db_exec(conn, "document_get", 2, params, err);
    if (!res)
        return -1;
    return one_doc(res, out, etag, "document", err);
}

int record_store_document_update(struct db_conn *conn, const char *case_id, const char *doc_id,
                                 const char *title, const char *shipment_status,
                                 const char *carrier, const char *tracking_number, json_t **out,
                                 char etag[RECORD_ETAG_LEN], struct app_error *err)
{
    const char *params[6] = {case_id, doc_id, title, shipment_status, carrier, tracking_number};
    PGresult *res = db_exec(conn, "document_update", 6, params, err);
    if (!res)
        return -1;
    return one_doc(res, out, etag, "document", err);
}

static int delete_one(struct db_conn *conn, const char *stmt, const char *case_id, const char *id,
                      const char *what, struct app_error *err)
{
    const char *params[2] = {case_id, id};
    PGresult *res = db_exec(conn, stmt, 2, params, err);
    int n;
    if (!res)
        return -1;
    n = PQntuples(res);
    PQclear(res);
    return n == 1 ? 0 : app_error_not_found(err, what);
}

int record_store_document_delete(struct db_conn *conn, const char *case_id, const char *doc_id,
                                 struct app_error *err)
{
    const char *params[2] = {case_id, doc_id};
    PGresult *res = db_exec(conn, "document_content_delete", 2, params, err);
    if (!res)
        return -1;
    PQclear(res);
    return delete_one(conn, "document_delete", case_id, doc_id, "document", err);
}

int record_store_document_list(struct db_conn *conn, const struct record_page *q, json_t **items,
                               int *more, struct app_error *err)
{
    char limit[16];
    const char *params[5] = {q->case_id, q->kind, q->after_created, q->after_id, limit};
    PGresult *res;
    snprintf(limit, sizeof limit, "%d", q->limit + 1);
    res = db_exec(conn, "document_list", 5, params, err);
    if (!res)
        return -1;
    return db_page_items(res, q->limit, items, more, err);
}

int record_store_content_open(struct db_conn *conn, const char *case_id, const char *doc_id,
                              struct document_content *out, struct app_error *err)
{
    const char *params[2] = {case_id, doc_id};
    PGresult *res = db_exec_binary(conn, "document_content", 2, params, NULL, NULL, 1, err);
    int col;
    memset(out, 0, sizeof *out);
    if (!res)
        return -1;
    if (PQntuples(res) != 1) {
        PQclear(res);
        return app_error_not_found(err, "document");
    }
    out->res = res;
    col = PQfnumber(res, "content");
    if (!PQgetisnull(res, 0, col)) {
        out->bytes = (const unsigned char *)PQgetvalue(res, 0, col);
        out->size = (size_t)PQgetlength(res, 0, col);
    }
    /* Binary text columns are their raw bytes; libpq NUL-terminates them. */
    out->media_type = db_value(res, 0, "media_type");
    out->sha256 = db_value(res, 0, "sha256");
    return 0;
}

void record_store_content_close(struct document_content *c)
{
    if (c->res)
        PQclear(c->res);
    memset(c, 0, sizeof *c);
}

int record_store_medication_insert(struct db_conn *conn, const struct principal *who,
                                   const char *case_id, const json_t *doc, json_t **out,
                                   struct app_error *err)
{
    /* Doses keep the digits the caller sent: 15 significant digits is more
     * than any dose has and avoids binary artefacts such as 0.1000000000000001. */
    char *body = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
    const char *params[3] = {case_id, body, who->sub};
    PGresult *res;
    if (!body)
        return app_error_internal(err);
    res = db_exec(conn, "medication_insert", 3, params, err);
    free(body);
    if (!res)
        return -1;
    return one_doc(res, out, NULL, "medication", err);
}

int record_store_medication_get(struct db_conn *conn, const char *case_id, const char *med_id,
                                json_t **out, struct app_error *err)
{
    const char *params[2] = {case_id, med_id};
    PGresult *res = db_exec(conn, "medication_get", 2, params, err);
    if (!res)
        return -1;
    return one_doc(res, out, NULL, "medication", err);
}

int record_store_medication_list(struct db_conn *conn, const struct record_page *q, json_t **items,
                                 int *more, struct app_error *err)
{
    char limit[16];
    const char *params[4] = {q->case_id, q->after_created, q->after_id, limit};
    PGresult *res;
    snprintf(limit, sizeof limit, "%d", q->limit + 1);
    res = db_exec(conn, "medication_list", 4, params, err);
    if (!res)
        return -1;
    return db_page_items(res, q->limit, items, more, err);
}

int record_store_medication_delete(struct db_conn *conn, const char *case_id, const char *med_id,
                                   struct app_error *err)
{
    return delete_one(conn, "medication_delete", case_id, med_id, "medication", err);
}
