/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cmocka needs these before it, in this order; one include keeps clang-format's
 * include sorting from breaking that. */
#ifndef ENTRYGUARD_TESTS_UNIT_H
#define ENTRYGUARD_TESTS_UNIT_H

// clang-format off
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
// clang-format on

#endif
