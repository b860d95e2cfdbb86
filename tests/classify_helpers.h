/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the address classifier tests (test_classify*.c): the
 * classifier of the seed list, which each test group builds once, and
 * addresses that must parse. */
#ifndef ENTRYGUARD_TESTS_CLASSIFY_HELPERS_H
#define ENTRYGUARD_TESTS_CLASSIFY_HELPERS_H

#include "tests/unit.h"

#include "entryguard/classify.h"

/* Built from eg_seed_excluded_cidrs by setup_seed(), the group setup, and
 * freed by teardown_seed(), the group teardown. */
extern struct eg_classifier *seed_classifier;
int setup_seed(void **state);
int teardown_seed(void **state);

/* The parsed address; fails the test when text does not parse. */
struct eg_address address_of(const char *text);

#endif
