/* The adapters this service can use, by the name a payer row gives. A new
 * clearing-house adapter (X12 270/271 or FHIR) is one more line here. */
#include <string.h>

#include "adapter.h"

static const struct coverage_adapter *const adapters[] = {
    &coverage_stub_adapter,
    &coverage_slow_adapter,
    &coverage_failing_adapter,
    &coverage_none_adapter,
    NULL,
};

const struct coverage_adapter *coverage_adapter_find(const char *name)
{
    int i;
    if (!name)
        return NULL;
    for (i = 0; adapters[i]; i++)
        if (!strcmp(adapters[i]->name, name))
            return adapters[i];
    return NULL;
}

const char *coverage_adapter_names(void)
{
    return "stub, slow, failing, none";
}
