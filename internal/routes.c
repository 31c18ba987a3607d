#include "routes.h"

#include "assignments/assignment_domain.h"
#include "assignments/assignments.h"
#include "audit/audit.h"
#include "audit/audit_routes.h"
#include "cases/case_access.h"
#include "cases/cases.h"
#include "coverage/coverage.h"
#include "directory/directory.h"
#include "events/events.h"
#include "events/events_routes.h"
#include "health/health.h"
#include "idempotency/idempotency.h"
#include "matching/matching.h"
#include "records/records.h"
#include "opinions/opinion_domain.h"
#include "opinions/opinions.h"
#include "webhooks/webhooks.h"

void routes_store_init(void)
{
    audit_store_init();
    idempotency_store_init();
    events_store_init();
    case_access_store_init();
    cases_store_init();
    records_store_init();
    assignments_store_init();
    opinions_store_init();
    coverage_store_init();
    webhooks_store_init();
    directory_init();
    matching_init();
}

void routes_stop(void)
{
    coverage_stop(5000);
}

const struct http_route *const *routes_all(void)
{
    static const struct http_route *tables[32];
    int n = 0;
    if (!tables[0]) {
        tables[n++] = health_routes();
        tables[n++] = audit_routes();
        tables[n++] = cases_routes();
        tables[n++] = records_routes();
        tables[n++] = assignments_routes();
        tables[n++] = opinions_routes();
        tables[n++] = coverage_routes();
        tables[n++] = events_routes();
        tables[n++] = webhooks_routes();
        tables[n++] = directory_routes();
        tables[n++] = matching_routes();
        tables[n] = NULL;
    }
    return tables;
}

const struct http_scope *routes_scopes(void)
{
    static const struct http_scope scopes[] = {
        {"/v1/cases/:id", case_visible},
        {"/v1/assignments/:id", assignment_visible},
        {"/v1/opinions/:id", opinion_visible},
        {NULL, NULL},
    };
    return scopes;
}

const struct vschema *const *routes_schemas(void)
{
    static const struct vschema *lists[32];
    int n = 0;
    if (!lists[0]) {
        lists[n++] = cases_schemas();
        lists[n++] = records_schemas();
        lists[n++] = assignments_schemas();
        lists[n++] = opinions_schemas();
        lists[n++] = coverage_payer_schemas();
        lists[n++] = coverage_check_schemas();
        lists[n++] = webhooks_schemas();
        lists[n++] = directory_schemas();
        lists[n] = NULL;
    }
    return lists;
}
