/* Unit tests of the coverage module (coverage_test.c). */
#ifndef CSO_COVERAGE_TEST_H
#define CSO_COVERAGE_TEST_H

#include "unit.h"

/* NULL-name-terminated; the last entry shuts the runner down. */
extern const struct unit_test coverage_unit_tests[];

#endif
