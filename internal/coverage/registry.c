/* The adapters this service can use, by the name a payer row gives. A new
 * clearing-house adapter (X12 270/271 or FHIR) is one more line here. */
#include <pthread.h>
#include <stdio.h>
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

static char names[256];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void build_names(void)
{
    size_t used = 0;
    int i;
    for (i = 0; adapters[i] && used < sizeof names; i++) {
        int n =
            snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", adapters[i]->name);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

const char *coverage_adapter_names(void)
{
    pthread_once(&names_once, build_names);
    return names;
}
