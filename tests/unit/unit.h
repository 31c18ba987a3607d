/* A very small unit-test harness: CHECK records a failure and carries on. */
#ifndef CSO_UNIT_H
#define CSO_UNIT_H

#include <stdio.h>

extern int unit_failures;

/* A test passes when it records no failed CHECK. Groups in other files are
 * NULL-name-terminated arrays that main.c runs after its own tests. */
struct unit_test {
    const char *name;
    void (*fn)(void);
};

extern const struct unit_test validate_tests[];
extern const struct unit_test http_tests[];
extern const struct unit_test hardening_tests[];
extern const struct unit_test media_type_tests[];
extern const struct unit_test opinion_report_tests[];
extern const struct unit_test webhooks_tests[];
extern const struct unit_test directory_tests[];
extern const struct unit_test workflow_tests[];
extern const struct unit_test case_domain_tests[];
/* Last: its final test shuts the coverage runner down. */
extern const struct unit_test coverage_unit_tests[];

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "  check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);           \
            unit_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#endif
