/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the config tests (test_config*.c). */
#ifndef ENTRYGUARD_TESTS_CONFIG_HELPERS_H
#define ENTRYGUARD_TESTS_CONFIG_HELPERS_H

#include "tests/unit.h"

#include "entryguard/config.h"

/* Loads json (named "t"), which must load; the config is the caller's. */
struct eg_config *load_ok(const char *json);
/* Equal strings, or both NULL. */
void assert_same_string(const char *a, const char *b);

#endif
