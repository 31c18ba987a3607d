/* A very small unit-test harness: CHECK records a failure and carries on. */
#ifndef CSO_UNIT_H
#define CSO_UNIT_H

#include <stdio.h>

extern int unit_failures;

struct unit_test {
    const char *name;
    void (*fn)(void);
};

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
            unit_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#endif
