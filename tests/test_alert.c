/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The alert record: every field by value and type, what is left out when
 * unknown, destinations and timestamps, hostile strings, bounds, and the
 * one-line summary.  Writing the alerts file is in test_alert_file.c, ECS
 * conformity in test_alert_ecs.c. */
#include "tests/alert_helpers.h"

#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "entryguard/alert.h"
#include "entryguard/cleanup.h"

static void require_string(yajl_val tree, const char *dotted, const char *expected)
{
	yajl_val value = at(tree, dotted);

	if (!value || !YAJL_IS_STRING(value))
		fail_msg("%s: expected the string \"%s\"", dotted, expected);
	assert_string_equal(string_of(value), expected);
}

static void require_integer(yajl_val tree, const char *dotted, long long expected)
{
	yajl_val value = at(tree, dotted);

	if (!value || !YAJL_IS_INTEGER(value))
		fail_msg("%s: expected the integer %lld", dotted, expected);
	assert_int_equal(YAJL_GET_INTEGER(value), expected);
}

static void require_strings(yajl_val tree, const char *dotted, const char *const *expected)
{
	yajl_val value = at(tree, dotted);
	size_t count = 0;

	if (!value || !YAJL_IS_ARRAY(value))
		fail_msg("%s: expected an array", dotted);
	while (expected[count])
		count++;
	assert_int_equal(value->u.array.len, count);
	for (size_t i = 0; i < count; i++) {
		assert_true(YAJL_IS_STRING(value->u.array.values[i]));
		assert_string_equal(string_of(value->u.array.values[i]), expected[i]);
	}
}

static void require_absent(yajl_val tree, const char *dotted)
{
	if (at(tree, dotted))
		fail_msg("%s: expected to be left out", dotted);
}

struct name_list {
	char *names[128];
	size_t count;
};

static void collect_name(const char *name, yajl_val value, void *data)
{
	struct name_list *list = data;

	(void)value;
	assert_true(list->count < 128);
	list->names[list->count++] = strdup(name);
}

static void name_list_free(struct name_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->names[i]);
}

/* The record has exactly these leaves. */
static void require_keys(yajl_val tree, const char *const *expected)
{
	struct name_list list = {.count = 0};
	size_t count = 0;

	flatten(tree, "", collect_name, &list);
	for (; expected[count]; count++) {
		bool found = false;

		for (size_t i = 0; i < list.count; i++)
			found = found || !strcmp(list.names[i], expected[count]);
		if (!found)
			fail_msg("%s: missing from the record", expected[count]);
	}
	for (size_t i = 0; i < list.count; i++) {
		bool known = false;

		for (size_t j = 0; j < count; j++)
			known = known || !strcmp(list.names[i], expected[j]);
		if (!known)
			fail_msg("%s: not expected in the record", list.names[i]);
	}
	assert_int_equal(list.count, count);
	name_list_free(&list);
}

static void test_full_record(void **state)
{
	static const char *const keys[] = {
	    "@timestamp",
	    "event.kind",
	    "event.category",
	    "event.type",
	    "event.action",
	    "event.outcome",
	    "rule.name",
	    "rule.id",
	    "host.id",
	    "host.name",
	    "container.id",
	    "container.name",
	    "container.image.name",
	    "container.runtime",
	    "process.pid",
	    "process.entity_id",
	    "process.name",
	    "process.executable",
	    "process.args",
	    "process.args_count",
	    "process.parent.pid",
	    "process.parent.entity_id",
	    "process.parent.name",
	    "process.entry_leader.entity_id",
	    "process.entry_leader.entry_meta.type",
	    "destination.ip",
	    "destination.port",
	    "network.transport",
	    "network.type",
	    "entryguard.action",
	    "entryguard.elapsed_ms",
	    "entryguard.source",
	    "entryguard.suppressed",
	    NULL,
	};
	struct eg_alert alert = full_alert();
	yajl_val tree = render_and_parse(&alert, NULL);

	(void)state;
	require_keys(tree, keys);
	require_string(tree, "@timestamp", "2026-11-28T03:27:14.123456Z");
	require_string(tree, "event.kind", "alert");
	require_strings(tree, "event.category", (const char *const[]){"network", NULL});
	require_strings(tree, "event.type", (const char *const[]){"start", NULL});
	require_string(tree, "event.action", "connection_attempted");
	require_string(tree, "event.outcome", "failure");
	require_string(tree, "rule.name", EG_RULE_NAME);
	require_string(tree, "rule.id", EG_RULE_ID);
	require_string(tree, "host.id", alert.host_id);
	require_string(tree, "host.name", "node-1");
	require_string(tree, "container.id", alert.container_id);
	require_string(tree, "container.name", "web");
	require_string(tree, "container.image.name", "docker.io/library/alpine:3.20");
	require_string(tree, "container.runtime", "crun");
	require_integer(tree, "process.pid", 123);
	require_string(tree, "process.entity_id", "entity-child");
	require_string(tree, "process.name", "curl");
	require_string(tree, "process.executable", "/usr/bin/curl");
	require_strings(tree, "process.args", full_args);
	require_integer(tree, "process.args_count", 3);
	require_integer(tree, "process.parent.pid", 120);
	require_string(tree, "process.parent.entity_id", "entity-entrypoint");
	require_string(tree, "process.parent.name", "entrypoint.sh");
	require_string(tree, "process.entry_leader.entity_id", "entity-leader");
	require_string(tree, "process.entry_leader.entry_meta.type", "container");
	require_string(tree, "destination.ip", "1.1.1.1");
	require_integer(tree, "destination.port", 443);
	require_string(tree, "network.transport", "tcp");
	require_string(tree, "network.type", "ipv4");
	require_string(tree, "entryguard.action", "blocked");
	require_integer(tree, "entryguard.elapsed_ms", 12);
	require_string(tree, "entryguard.source", "seccomp");
	require_integer(tree, "entryguard.suppressed", 3);
	yajl_tree_free(tree);
}

/* Nested objects, not dotted keys; one line, nothing after the object. */
static void test_record_shape(void **state)
{
	struct eg_alert alert = full_alert();
	char *line = NULL;
	yajl_val tree = render_and_parse(&alert, &line);

	(void)state;
	assert_int_equal(line[0], '{');
	assert_null(strstr(line, "\"process.pid\""));
	assert_non_null(strstr(line, "\"process\":{"));
	assert_string_equal(line + strlen(line) - 3, "}}\n");
	free(line);
	yajl_tree_free(tree);
}

static void test_outcome_follows_action(void **state)
{
	static const struct {
		enum eg_action action;
		const char *outcome, *name;
	} cases[] = {
	    {EG_ACTION_ALERT, "unknown", "alert"},
	    {EG_ACTION_BLOCKED, "failure", "blocked"},
	    {EG_ACTION_KILLED, "failure", "killed"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eg_alert alert = full_alert();
		yajl_val tree;

		alert.action = cases[i].action;
		alert.transport = EG_TRANSPORT_UDP;
		tree = render_and_parse(&alert, NULL);
		require_string(tree, "event.outcome", cases[i].outcome);
		require_string(tree, "entryguard.action", cases[i].name);
		require_string(tree, "network.transport", "udp");
		yajl_tree_free(tree);
	}
}

static void test_minimal_record_leaves_out_unknowns(void **state)
{
	static const char *const keys[] = {
	    "@timestamp",
	    "event.kind",
	    "event.category",
	    "event.type",
	    "event.action",
	    "event.outcome",
	    "rule.name",
	    "rule.id",
	    "process.entry_leader.entry_meta.type",
	    "destination.ip",
	    "destination.port",
	    "network.transport",
	    "network.type",
	    "entryguard.action",
	    "entryguard.elapsed_ms",
	    NULL,
	};
	struct eg_alert alert = {
	    .timestamp_us = FULL_TIMESTAMP_US,
	    .destination = address_of("8.8.8.8"),
	    .destination_port = 53,
	    .transport = EG_TRANSPORT_UDP,
	    .action = EG_ACTION_ALERT,
	    .elapsed_ms = 0,
	};
	yajl_val tree = render_and_parse(&alert, NULL);

	(void)state;
	require_keys(tree, keys);
	require_absent(tree, "host");
	require_absent(tree, "container");
	require_absent(tree, "process.parent");
	require_absent(tree, "process.args");
	require_absent(tree, "entryguard.suppressed");
	require_absent(tree, "entryguard.truncated");
	require_string(tree, "event.outcome", "unknown");
	require_integer(tree, "entryguard.elapsed_ms", 0);
	yajl_tree_free(tree);

	/* Partly known: the parent object holds what is known, and an image
	 * object appears only with its name. */
	alert.parent_name = "entrypoint.sh";
	alert.container_id = "abc";
	alert.process_args = (const char *const[]){NULL};
	tree = render_and_parse(&alert, NULL);
	require_string(tree, "process.parent.name", "entrypoint.sh");
	require_absent(tree, "process.parent.pid");
	require_absent(tree, "process.parent.entity_id");
	require_string(tree, "container.id", "abc");
	require_absent(tree, "container.image");
	require_strings(tree, "process.args", (const char *const[]){NULL});
	require_integer(tree, "process.args_count", 0);
	yajl_tree_free(tree);

	/* No known family: no ip, and no network.type to go with it. */
	alert.destination.family = AF_UNSPEC;
	tree = render_and_parse(&alert, NULL);
	require_absent(tree, "destination.ip");
	require_absent(tree, "network.type");
	require_integer(tree, "destination.port", 53);
	yajl_tree_free(tree);
}

static void test_ipv6_and_mapped_destinations(void **state)
{
	static const struct {
		const char *given, *ip, *type;
	} cases[] = {
	    {"2606:4700:4700::1111", "2606:4700:4700::1111", "ipv6"},
	    {"::ffff:1.2.3.4", "1.2.3.4", "ipv4"},
	    {"::ffff:8.8.8.8", "8.8.8.8", "ipv4"},
	    {"64:ff9b::1.2.3.4", "64:ff9b::102:304", "ipv6"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eg_alert alert = full_alert();
		yajl_val tree;

		alert.destination = address_of(cases[i].given);
		tree = render_and_parse(&alert, NULL);
		require_string(tree, "destination.ip", cases[i].ip);
		require_string(tree, "network.type", cases[i].type);
		yajl_tree_free(tree);
	}
}

static void test_timestamps(void **state)
{
	static const struct {
		int64_t microseconds;
		const char *text;
	} cases[] = {
	    {FULL_TIMESTAMP_US, "2026-11-28T03:27:14.123456Z"},
	    {1, "1970-01-01T00:00:00.000001Z"},
	    {-1, "1969-12-31T23:59:59.999999Z"},
	    {951782400000000LL, "2000-02-29T00:00:00.000000Z"},
	};
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	char *line = NULL;
	yajl_val tree, value;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		alert.timestamp_us = cases[i].microseconds;
		tree = render_and_parse(&alert, NULL);
		require_string(tree, "@timestamp", cases[i].text);
		yajl_tree_free(tree);
	}

	/* 0 is "now". */
	alert.timestamp_us = 0;
	tree = render_and_parse(&alert, NULL);
	value = at(tree, "@timestamp");
	assert_true(YAJL_IS_STRING(value));
	assert_int_equal(strlen(string_of(value)), strlen("2026-11-28T03:27:14.123456Z"));
	assert_true(strncmp(string_of(value), "1970", 4) > 0);
	yajl_tree_free(tree);

	/* A year with no ISO 8601 form is an error that says so. */
	alert.timestamp_us = INT64_MAX;
	assert_int_equal(eg_alert_render(&alert, &line, NULL, &err), -EOVERFLOW);
	assert_null(line);
	assert_non_null(strstr(err.message, "out of range"));
}

/* The whole line is strictly well-formed UTF-8 (glibc's iconv refuses
 * overlongs, surrogates and code points above U+10FFFF). */
static void require_strict_utf8(const char *text)
{
	iconv_t converter = iconv_open("UTF-32LE", "UTF-8");
	size_t in_left = strlen(text), out_size = 4 * in_left + 4, out_left = out_size;
	char *in = (char *)text, *output = malloc(out_size), *out = output;

	assert_true(converter != (iconv_t)-1);
	assert_non_null(output);
	if (iconv(converter, &in, &in_left, &out, &out_left) == (size_t)-1)
		fail_msg("not UTF-8 at byte %td: %m", in - text);
	iconv_close(converter);
	free(output);
}

static void test_hostile_strings_render_as_valid_json(void **state)
{
	static const char *const args[] = {
	    "\xff\xfe", /* never UTF-8 */
	    "a\x01"
	    "b\n\"\\\t\x1b[31m",                         /* control characters, quotes, escapes */
	    "\xc0\xaf",                                  /* overlong '/' */
	    "\xed\xa0\x80",                              /* a surrogate */
	    "\xe2\x82x",                                 /* a cut sequence */
	    "\xf4\x90\x80\x80",                          /* above U+10FFFF */
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", /* valid: kept */
	    "\x7f",
	    NULL,
	};
	static const char *const expected[] = {
	    "\xef\xbf\xbd\xef\xbf\xbd",
	    "a\x01"
	    "b\n\"\\\t\x1b[31m",
	    "\xef\xbf\xbd\xef\xbf\xbd",
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	    "\xef\xbf\xbdx",
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\x7f",
	    NULL,
	};
	struct eg_alert alert = full_alert();
	char *line = NULL;
	yajl_val tree;

	(void)state;
	alert.process_args = args;
	alert.process_name = "cu\xffrl\n";
	alert.container_name = "\x1b]0;pwned\x07";
	alert.parent_name = "entry\xe2\x80point.sh";
	tree = render_and_parse(&alert, &line);
	require_strict_utf8(line);
	require_strings(tree, "process.args", expected);
	require_string(tree, "process.name", "cu\xef\xbf\xbdrl\n");
	require_string(tree, "container.name", "\x1b]0;pwned\x07");
	require_string(tree, "process.parent.name", "entry\xef\xbf\xbdpoint.sh");
	require_absent(tree, "entryguard.truncated");
	/* Control bytes travel escaped, never raw. */
	for (const char *cursor = line; *cursor != '\n'; cursor++)
		assert_true((unsigned char)*cursor >= 0x20);
	free(line);
	yajl_tree_free(tree);
}

static bool ends_with_ellipsis(const char *text)
{
	size_t length = strlen(text);

	return length >= 3 && !strcmp(text + length - 3, "\xe2\x80\xa6");
}

static void test_huge_args_are_bounded(void **state)
{
	enum { ARGS = 1000 };
	_cleanup_free_ char *long_arg = repeated('A', 100000);
	_cleanup_free_ char *control_arg = repeated('\x01', 100000);
	_cleanup_free_ const char **args = calloc(ARGS + 1, sizeof(*args));
	struct eg_alert alert = full_alert();
	char *line = NULL;
	yajl_val tree, rendered;

	(void)state;
	assert_non_null(args);
	for (size_t i = 0; i < ARGS; i++)
		args[i] = i % 2 ? control_arg : long_arg;
	alert.process_args = args;
	tree = render_and_parse(&alert, &line);
	assert_true(strlen(line) <= EG_ALERT_RECORD_MAX);

	rendered = at(tree, "process.args");
	assert_true(YAJL_IS_ARRAY(rendered));
	assert_true(rendered->u.array.len >= 1);
	assert_true(rendered->u.array.len <= EG_ALERT_ARGS_MAX);
	for (size_t i = 0; i < rendered->u.array.len; i++) {
		const char *arg = string_of(rendered->u.array.values[i]);

		assert_non_null(arg);
		assert_true(strlen(arg) <= EG_ALERT_ARG_MAX);
		assert_true(ends_with_ellipsis(arg));
		/* Cut, but only at the bound: the first arg keeps 4 KiB. */
		if (i == 0)
			assert_int_equal(strlen(arg), EG_ALERT_ARG_MAX);
	}
	require_integer(tree, "process.args_count", ARGS);
	assert_true(YAJL_IS_TRUE(at(tree, "entryguard.truncated")));
	free(line);
	yajl_tree_free(tree);
}

/* Every string at its worst at once still stays under the record bound. */
static void test_every_field_huge_is_bounded(void **state)
{
	_cleanup_free_ char *huge = repeated('\x02', 200000);
	_cleanup_free_ const char **args = calloc(EG_ALERT_ARGS_MAX + 2, sizeof(*args));
	struct eg_alert alert = full_alert();
	char *line = NULL;
	yajl_val tree;

	(void)state;
	assert_non_null(args);
	for (size_t i = 0; i < EG_ALERT_ARGS_MAX + 1; i++)
		args[i] = huge;
	alert.host_id = alert.host_name = alert.container_id = alert.container_name = huge;
	alert.container_image_name = alert.container_runtime = alert.process_entity_id = huge;
	alert.process_name = alert.process_executable = alert.parent_entity_id = huge;
	alert.parent_name = alert.entry_leader_entity_id = alert.source = huge;
	alert.process_args = args;
	tree = render_and_parse(&alert, &line);
	assert_true(strlen(line) <= EG_ALERT_RECORD_MAX);
	assert_true(ends_with_ellipsis(string_of(at(tree, "container.name"))));
	assert_true(YAJL_IS_TRUE(at(tree, "entryguard.truncated")));
	free(line);
	yajl_tree_free(tree);
}

static void test_invalid_enums_are_errors(void **state)
{
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	char *line = NULL;

	(void)state;
	alert.action = (enum eg_action)42;
	assert_int_equal(eg_alert_render(&alert, &line, NULL, &err), -EINVAL);
	assert_null(line);
	assert_non_null(strstr(err.message, "42"));
	assert_int_equal(eg_alert_render(NULL, &line, NULL, &err), -EINVAL);
}

static void test_summary(void **state)
{
	struct eg_alert alert = full_alert();
	char buffer[512], small[16];
	int length;

	(void)state;
	length = eg_alert_summary(&alert, buffer, sizeof(buffer));
	assert_string_equal(buffer, "alert: container web (3f2a4b5c6d7e) process curl[123] (parent "
	                            "entrypoint.sh[120]) tcp 1.1.1.1:443 after 12 ms, action "
	                            "blocked (3 earlier alerts suppressed)");
	assert_int_equal(length, strlen(buffer));

	/* Cut to the buffer, the return says how much it needed. */
	assert_int_equal(eg_alert_summary(&alert, small, sizeof(small)), length);
	assert_string_equal(small, "alert: containe");

	alert.destination = address_of("2606:4700::1");
	alert.destination_port = 53;
	alert.transport = EG_TRANSPORT_UDP;
	alert.suppressed = 0;
	alert.action = EG_ACTION_ALERT;
	alert.container_name = "we\nb\xff";
	alert.process_name = NULL;
	eg_alert_summary(&alert, buffer, sizeof(buffer));
	assert_string_equal(buffer, "alert: container we?b? (3f2a4b5c6d7e) process ?[123] (parent "
	                            "entrypoint.sh[120]) udp [2606:4700::1]:53 after 12 ms, action "
	                            "alert");
	assert_int_equal(eg_alert_summary(&alert, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_record),
	    cmocka_unit_test(test_record_shape),
	    cmocka_unit_test(test_outcome_follows_action),
	    cmocka_unit_test(test_minimal_record_leaves_out_unknowns),
	    cmocka_unit_test(test_ipv6_and_mapped_destinations),
	    cmocka_unit_test(test_timestamps),
	    cmocka_unit_test(test_hostile_strings_render_as_valid_json),
	    cmocka_unit_test(test_huge_args_are_bounded),
	    cmocka_unit_test(test_every_field_huge_is_bounded),
	    cmocka_unit_test(test_invalid_enums_are_errors),
	    cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
