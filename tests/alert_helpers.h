/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the alert tests (test_alert*.c): a fully known alert,
 * rendering and parsing a record, walking its fields, and reading files
 * back. */
#ifndef ENTRYGUARD_TESTS_ALERT_HELPERS_H
#define ENTRYGUARD_TESTS_ALERT_HELPERS_H

#include "tests/unit.h"

#include <yajl/yajl_tree.h>

#include "entryguard/alert.h"

/* 2026-11-28T03:27:14.123456Z */
#define FULL_TIMESTAMP_US 1795836434123456LL

/* The process.args of full_alert(), NULL-terminated. */
extern const char *const full_args[];

/* An alert with every field known. */
struct eg_alert full_alert(void);
/* A literal IPv4 or IPv6 address (fails the test when it is neither). */
struct eg_address address_of(const char *text);

/* A line is one JSON object and one '\n', nothing else. */
yajl_val parse_line(const char *line, size_t length);
/* Renders alert, fails the test unless it is such a line; the line is
 * handed over in *ret_line when that is not NULL. */
yajl_val render_and_parse(const struct eg_alert *alert, char **ret_line);
/* The text of a string node; anything else fails the test. */
const char *string_of(yajl_val value);
/* The node at a dotted path ("process.parent.pid"), or NULL. */
yajl_val at(yajl_val tree, const char *dotted);

/* Calls visit(name, value) for every leaf (arrays are leaves; an empty
 * object is one too, so that a check can refuse it). */
typedef void (*leaf_visitor)(const char *name, yajl_val value, void *data);
void flatten(yajl_val node, const char *prefix, leaf_visitor visit, void *data);

/* count copies of c, NUL-terminated, to free(). */
char *repeated(char c, size_t count);
/* The whole file, NUL-terminated, to free(). */
char *read_whole_file(const char *path);

#endif
