#include "routes.h"

#include "audit/audit.h"
#include "cases/case_access.h"
#include "cases/cases.h"
#include "events/events.h"
#include "health/health.h"
#include "idempotency/idempotency.h"

void routes_store_init(void)
{
    audit_store_init();
    idempotency_store_init();
    events_store_init();
    case_access_store_init();
    cases_store_init();
}

const struct http_route *const *routes_all(void)
{
    static const struct http_route *tables[32];
    int n = 0;
    if (!tables[0]) {
        tables[n++] = health_routes();
        tables[n++] = audit_routes();
        tables[n++] = cases_routes();
        tables[n] = NULL;
    }
    return tables;
}

const struct vschema *const *routes_schemas(void)
{
    static const struct vschema *lists[32];
    int n = 0;
    if (!lists[0]) {
        lists[n++] = cases_schemas();
        lists[n] = NULL;
    }
    return lists;
}
