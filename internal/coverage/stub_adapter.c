/* The stub adapter: answers from the coverage_* tables (plans, members,
 * benefit rules, plan networks) seeded in sql/, deterministically, the way
 * a payer answers a 270: member lookup, coverage in force on the date,
 * benefits for the service types asked, network status of the provider.
 * It borrows its own pooled connection and reads through its own prepared
 * statements, outside any transaction. */
#include <stdlib.h>
#include <string.h>

#include "adapter.h"

static const struct db_statement statements[] = {
    {"coverage_stub_member",
     "SELECT m.member_id, m.status, m.coverage_start::text AS coverage_start,"
     " m.coverage_end::text AS coverage_end, m.group_number, m.group_name,"
     " m.deductible_remaining_in_cents, m.deductible_remaining_out_cents,"
     " m.oop_remaining_in_cents, m.oop_remaining_out_cents,"
     " p.id AS plan_id, p.code AS plan_code, p.name AS plan_name, p.insurance_type,"
     " p.second_opinion_required, p.international_coverage, p.payer_messages::text AS "
     "payer_messages,"
     " (m.status = 'active' AND m.coverage_start <= $3::date"
     "  AND (m.coverage_end IS NULL OR m.coverage_end >= $3::date)) AS in_force"
     " FROM coverage_members m JOIN coverage_plans p ON p.id = m.plan_id"
     " WHERE m.payer_id = $1::uuid AND m.member_id = $2"},
    {"coverage_stub_rules",
     "SELECT service, network, covered, prior_auth_required, referral_required, copay_cents,"
     " coinsurance_percent FROM coverage_benefit_rules WHERE plan_id = $1::uuid"
     " ORDER BY service, network"},
    {"coverage_stub_network",
     "SELECT EXISTS (SELECT 1 FROM coverage_plan_networks"
     " WHERE plan_id = $1::uuid AND institution_id = $2::uuid) AS in_network"},
    {NULL, NULL},
};

void coverage_stub_store_init(void)
{
    db_register(statements);
}

/* A row as a JSON object of strings (NULL for SQL NULL): the raw payload. */
static json_t *row_json(const PGresult *res, int row)
{
    json_t *o = json_object();
    int c;
    for (c = 0; c < PQnfields(res); c++)
        json_object_set_new(o, PQfname(res, c),
                            PQgetisnull(res, row, c) ? json_null()
                                                     : json_string(PQgetvalue(res, row, c)));
    return o;
}

static void copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strlen(src) : 0;
    if (n >= cap)
        n = cap - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = 0;
}
#define COPY(dst, src) copy(dst, sizeof dst, src)

static long long amount(const PGresult *res, int row, const char *column)
{
    const char *v = db_value(res, row, column);
    return v ? strtoll(v, NULL, 10) : COVERAGE_NONE;
}

static int yes_no(const PGresult *res, int row, const char *column)
{
    return db_bool(res, row, column) ? COVERAGE_YES : COVERAGE_NO;
}

static int stub_check(const struct coverage_adapter *self, const struct coverage_request *req,
                      struct coverage_result *out, const struct coverage_context *cx)
{
    struct app_error err = {0};
    struct db_conn *conn = db_acquire(cx->pool, &err);
    PGresult *member = NULL, *rules = NULL, *net = NULL;
    const char *params[3];
    const char *tier = "in";
    int in_network = COVERAGE_UNKNOWN, i, rc = -1;
    json_t *messages, *raw;

    out->raw = raw = json_pack("{s:s,s:s}", "adapter", self->name, "as_of", req->as_of);
    if (!conn)
        goto done;
    params[0] = req->payer_id;
    params[1] = req->member_id;
    params[2] = req->as_of;
    if (!(member = db_exec(conn, "coverage_stub_member", 3, params, &err)))
        goto done;
    if (PQntuples(member) != 1) {
        out->outcome = COVERAGE_MEMBER_NOT_FOUND;
        coverage_result_message(out, "Subscriber/insured not found.");
        json_object_set_new(raw, "member", json_null());
        rc = 0;
        goto done;
    }
    json_object_set_new(raw, "member", row_json(member, 0));
    COPY(out->plan_id, db_value(member, 0, "plan_id"));
    COPY(out->plan_name, db_value(member, 0, "plan_name"));
    COPY(out->group_number, db_value(member, 0, "group_number"));
    COPY(out->group_name, db_value(member, 0, "group_name"));
    COPY(out->insurance_type, db_value(member, 0, "insurance_type"));
    COPY(out->coverage_start, db_value(member, 0, "coverage_start"));
    COPY(out->coverage_end, db_value(member, 0, "coverage_end"));
    out->second_opinion_required = yes_no(member, 0, "second_opinion_required");
    out->international_coverage = yes_no(member, 0, "international_coverage");
    messages = json_loads(db_value(member, 0, "payer_messages"), 0, NULL);
    if (json_is_array(messages)) {
        json_decref(out->messages);
        out->messages = messages;
    } else {
        json_decref(messages);
    }
    if (!db_bool(member, 0, "in_force")) {
        out->outcome = COVERAGE_INACTIVE;
        rc = 0;
        goto done;
    }
    out->outcome = COVERAGE_ACTIVE;

    if (req->institution_id[0]) {
        params[0] = out->plan_id;
        params[1] = req->institution_id;
        if (!(net = db_exec(conn, "coverage_stub_network", 2, params, &err)))
            goto done;
        in_network = db_bool(net, 0, "in_network") ? COVERAGE_YES : COVERAGE_NO;
        tier = in_network == COVERAGE_YES ? "in" : "out";
        json_object_set_new(raw, "network",
                            json_pack("{s:s,s:b}", "institution_id", req->institution_id,
                                      "in_network", in_network == COVERAGE_YES));
    }

    params[0] = out->plan_id;
    if (!(rules = db_exec(conn, "coverage_stub_rules", 1, params, &err)))
        goto done;
    json_object_set_new(raw, "benefit_rules", json_array());
    for (i = 0; i < PQntuples(rules); i++) {
        const char *service = db_value(rules, i, "service");
        struct coverage_benefit *b;
        json_array_append_new(json_object_get(raw, "benefit_rules"), row_json(rules, i));
        if (strcmp(db_value(rules, i, "network"), tier) != 0)
            continue;
        if (!strcmp(service, "second_opinion"))
            b = &out->second_opinion;
        else if (!strcmp(service, "telehealth"))
            b = &out->telehealth;
        else
            continue;
        b->present = 1;
        b->covered = yes_no(rules, i, "covered");
        b->in_network = in_network;
        b->prior_auth_required = yes_no(rules, i, "prior_auth_required");
        b->referral_required = yes_no(rules, i, "referral_required");
        b->copay_cents = COVERAGE_NONE;
        b->coinsurance_percent = COVERAGE_NONE;
        b->deductible_remaining_cents = COVERAGE_NONE;
        b->oop_remaining_cents = COVERAGE_NONE;
        if (b->covered != COVERAGE_YES)
            continue; /* cost sharing means nothing for a service not paid for */
        b->copay_cents = amount(rules, i, "copay_cents");
        b->coinsurance_percent = (int)amount(rules, i, "coinsurance_percent");
        b->deductible_remaining_cents = amount(member, 0,
                                               *tier == 'i' ? "deductible_remaining_in_cents"
                                                            : "deductible_remaining_out_cents");
        b->oop_remaining_cents =
            amount(member, 0, *tier == 'i' ? "oop_remaining_in_cents" : "oop_remaining_out_cents");
    }
    rc = 0;

done:
    PQclear(member);
    PQclear(rules);
    PQclear(net);
    if (conn)
        db_release(conn);
    if (rc != 0)
        json_object_set_new(raw, "error", json_string(err.detail[0] ? err.detail : "failed"));
    app_error_clear(&err);
    return rc;
}

const struct coverage_adapter coverage_stub_adapter = {"stub", 2000, stub_check};
