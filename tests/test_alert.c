/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The alert record: every field by value and type, ECS conformity against
 * the ECS field list, hostile strings, bounds, and the alerts file under
 * concurrent writers. */
#include "unit.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "entryguard/alert.h"
#include "entryguard/cleanup.h"

#ifndef EG_ECS_FIELDS_CSV
#error "tests/meson.build defines EG_ECS_FIELDS_CSV"
#endif

#define WRITERS            4
#define RECORDS_PER_WRITER 200

/* 2026-11-28T03:27:14.123456Z */
#define FULL_TIMESTAMP_US 1795836434123456LL

static const char *const full_args[] = {"curl", "-sS", "https://example.com/", NULL};

static struct eg_address address_of(const char *text)
{
	struct eg_address address = {0};

	address.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(address.family, text, address.bytes), 1);
	return address;
}

static struct eg_alert full_alert(void)
{
	struct eg_alert alert = {
	    .timestamp_us = FULL_TIMESTAMP_US,
	    .host_id = "0123456789abcdef0123456789abcdef",
	    .host_name = "node-1",
	    .container_id = "3f2a4b5c6d7e8f90112233445566778899aabbccddeeff00112233445566778",
	    .container_name = "web",
	    .container_image_name = "docker.io/library/alpine:3.20",
	    .container_runtime = "crun",
	    .process_pid = 123,
	    .process_entity_id = "entity-child",
	    .process_name = "curl",
	    .process_executable = "/usr/bin/curl",
	    .process_args = full_args,
	    .parent_pid = 120,
	    .parent_entity_id = "entity-entrypoint",
	    .parent_name = "entrypoint.sh",
	    .entry_leader_entity_id = "entity-leader",
	    .destination = address_of("1.1.1.1"),
	    .destination_port = 443,
	    .transport = EG_TRANSPORT_TCP,
	    .action = EG_ACTION_BLOCKED,
	    .elapsed_ms = 12,
	    .source = "seccomp",
	    .suppressed = 3,
	};
	return alert;
}

/* A line is one JSON object and one '\n', nothing else. */
static yajl_val parse_line(const char *line, size_t length)
{
	char message[256] = "";
	yajl_val tree;

	assert_true(length > 1);
	assert_int_equal(strlen(line), length);
	assert_int_equal(line[length - 1], '\n');
	assert_null(memchr(line, '\n', length - 1));
	tree = yajl_tree_parse(line, message, sizeof(message));
	if (!tree)
		fail_msg("record does not parse (%s): %s", message, line);
	assert_true(YAJL_IS_OBJECT(tree));
	return tree;
}

static yajl_val render_and_parse(const struct eg_alert *alert, char **ret_line)
{
	struct eg_error err = {0};
	char *line = NULL;
	size_t length = 0;
	yajl_val tree;

	if (eg_alert_render(alert, &line, &length, &err) < 0)
		fail_msg("eg_alert_render: %s", err.message);
	tree = parse_line(line, length);
	if (ret_line)
		*ret_line = line;
	else
		free(line);
	return tree;
}

/* The text of a string node; anything else fails the test. */
static const char *string_of(yajl_val value)
{
	if (!value || !YAJL_IS_STRING(value) || !value->u.string)
		fail_msg("expected a string node");
	return value->u.string;
}

/* The node at a dotted path ("process.parent.pid"), or NULL. */
static yajl_val at(yajl_val tree, const char *dotted)
{
	char copy[256];
	const char *path[16];
	size_t depth = 0;

	assert_true(strlen(dotted) < sizeof(copy));
	strcpy(copy, dotted);
	for (char *save = NULL, *part = strtok_r(copy, ".", &save); part;
	     part = strtok_r(NULL, ".", &save)) {
		assert_true(depth < 15);
		path[depth++] = part;
	}
	path[depth] = NULL;
	return yajl_tree_get(tree, path, yajl_t_any);
}

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

/* Calls visit(name, value) for every leaf (arrays are leaves; an empty
 * object is one too, so that a check can refuse it). */
typedef void (*leaf_visitor)(const char *name, yajl_val value, void *data);

static void flatten(yajl_val node, const char *prefix, leaf_visitor visit, void *data)
{
	if (!YAJL_IS_OBJECT(node) || node->u.object.len == 0) {
		visit(prefix, node, data);
		return;
	}
	for (size_t i = 0; i < node->u.object.len; i++) {
		char name[512];

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "",
		         node->u.object.keys[i]);
		flatten(node->u.object.values[i], name, visit, data);
	}
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

static char *repeated(char c, size_t count)
{
	char *text = malloc(count + 1);

	assert_non_null(text);
	memset(text, c, count);
	text[count] = '\0';
	return text;
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

/* A fresh directory under $TMPDIR for one test (its *state), removed by
 * the teardown even when the test fails. */
static int make_temporary_directory(void **state)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (asprintf(&path, "%s/test_alert.XXXXXX", base && *base ? base : "/tmp") < 0)
		return -1;
	if (!mkdtemp(path)) {
		free(path);
		return -1;
	}
	*state = path;
	return 0;
}

static void remove_tree(const char *path)
{
	DIR *directory = opendir(path);
	struct dirent *entry;

	if (!directory) {
		unlink(path);
		return;
	}
	while ((entry = readdir(directory))) {
		char child[4096];

		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
		if (entry->d_type == DT_DIR)
			remove_tree(child);
		else
			unlink(child);
	}
	closedir(directory);
	rmdir(path);
}

static int remove_temporary_directory(void **state)
{
	remove_tree(*state);
	free(*state);
	*state = NULL;
	return 0;
}

static char *read_whole_file(const char *path)
{
	_cleanup_fclose_ FILE *file = fopen(path, "re");
	char *text = NULL;
	size_t size = 0;
	FILE *memory = open_memstream(&text, &size);
	char chunk[65536];
	size_t count;

	assert_non_null(file);
	assert_non_null(memory);
	while ((count = fread(chunk, 1, sizeof(chunk), file)) > 0)
		assert_int_equal(fwrite(chunk, 1, count, memory), count);
	fclose(memory);
	return text;
}

/* Parses every line of text with check(tree, data); returns the count. */
static size_t for_each_line(char *text, void (*check)(yajl_val tree, void *data), void *data)
{
	size_t count = 0;

	for (char *line = text; *line;) {
		char *newline = strchr(line, '\n');
		char saved;
		yajl_val tree;

		assert_non_null(newline); /* every record ends its line */
		saved = newline[1];
		newline[1] = '\0';
		tree = parse_line(line, (size_t)(newline + 1 - line));
		newline[1] = saved;
		if (check)
			check(tree, data);
		yajl_tree_free(tree);
		count++;
		line = newline + 1;
	}
	return count;
}

static void test_write_appends_lines(void **state)
{
	const char *directory = *state;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	struct stat status;

	assert_true(asprintf(&path, "%s/alerts.ndjson", directory) > 0);
	if (eg_alert_open(path, &fd, &err) < 0)
		fail_msg("eg_alert_open: %s", err.message);
	assert_int_equal(eg_alert_write(fd, &alert, false, &err), 0);
	alert.process_pid = 124;
	assert_int_equal(eg_alert_write(fd, &alert, false, &err), 0);
	assert_int_equal(fstat(fd, &status), 0);
	assert_int_equal(status.st_mode & 07777, 0640);
	assert_true(fcntl(fd, F_GETFL) & O_APPEND);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	/* A second open appends too. */
	close(steal_fd(&fd));
	assert_int_equal(eg_alert_open(path, &fd, &err), 0);
	assert_int_equal(eg_alert_write(fd, &alert, false, &err), 0);

	text = read_whole_file(path);
	assert_int_equal(for_each_line(text, NULL, NULL), 3);
}

struct writer_tally {
	size_t records[WRITERS][RECORDS_PER_WRITER];
};

static void tally_record(yajl_val tree, void *data)
{
	struct writer_tally *tally = data;
	yajl_val args = at(tree, "process.args");
	long long writer, record;

	assert_true(YAJL_IS_ARRAY(args) && args->u.array.len == 3);
	writer = strtoll(string_of(args->u.array.values[0]), NULL, 10);
	record = strtoll(string_of(args->u.array.values[1]), NULL, 10);
	assert_in_range(writer, 0, WRITERS - 1);
	assert_in_range(record, 0, RECORDS_PER_WRITER - 1);
	tally->records[writer][record]++;
}

/* Runs in a forked child: only _exit() leaves it.  It starts writing when
 * the parent closes the start pipe, so that all writers overlap. */
static void write_records(const char *path, size_t writer, const char *padding, int start_fd)
{
	struct eg_error err = {0};
	struct eg_alert alert = full_alert();
	int fd = -1;
	char byte;

	if (eg_alert_open(path, &fd, &err) < 0)
		_exit(2);
	while (read(start_fd, &byte, 1) < 0 && errno == EINTR)
		;
	for (size_t record = 0; record < RECORDS_PER_WRITER; record++) {
		char writer_text[32], record_text[32];
		const char *args[] = {writer_text, record_text, padding, NULL};

		snprintf(writer_text, sizeof(writer_text), "%zu", writer);
		snprintf(record_text, sizeof(record_text), "%zu", record);
		alert.process_args = args;
		if (eg_alert_write(fd, &alert, false, &err) < 0)
			_exit(3);
	}
	close(fd);
	_exit(0);
}

static void test_concurrent_writers_never_interleave(void **state)
{
	const char *directory = *state;
	/* Records of ~4 KiB make a torn write likely if there were one. */
	_cleanup_free_ char *padding = repeated('p', 3500);
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ struct writer_tally *tally = calloc(1, sizeof(*tally));
	pid_t children[WRITERS];
	int start[2];

	assert_non_null(tally);
	assert_true(asprintf(&path, "%s/alerts.ndjson", directory) > 0);
	assert_int_equal(pipe2(start, O_CLOEXEC), 0);
	for (size_t writer = 0; writer < WRITERS; writer++) {
		children[writer] = fork();
		assert_true(children[writer] >= 0);
		if (children[writer] == 0) {
			close(start[1]);
			write_records(path, writer, padding, start[0]);
		}
	}
	close(start[0]);
	close(start[1]); /* every writer's read() returns 0: go */
	for (size_t writer = 0; writer < WRITERS; writer++) {
		int status = 0;

		assert_int_equal(waitpid(children[writer], &status, 0), children[writer]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	text = read_whole_file(path);
	assert_int_equal(for_each_line(text, tally_record, tally), WRITERS * RECORDS_PER_WRITER);
	for (size_t writer = 0; writer < WRITERS; writer++)
		for (size_t record = 0; record < RECORDS_PER_WRITER; record++)
			assert_int_equal(tally->records[writer][record], 1);
}

/* A SOCK_SEQPACKET socket keeps the boundary of every write(2): one record
 * must arrive as one message holding the whole line. */
static void test_one_write_per_record(void **state)
{
	_cleanup_free_ char *padding = repeated('p', 3000);
	_cleanup_free_ char *expected = NULL;
	_cleanup_free_ char *received = malloc(EG_ALERT_RECORD_MAX + 1);
	const char *args[] = {"a", padding, padding, padding, padding, NULL};
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	size_t expected_length = 0;
	ssize_t length;
	int sockets[2];

	(void)state;
	assert_non_null(received);
	alert.process_args = args;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets), 0);
	assert_int_equal(eg_alert_render(&alert, &expected, &expected_length, &err), 0);
	assert_int_equal(eg_alert_write(sockets[0], &alert, false, &err), 0);
	assert_int_equal(eg_alert_write(sockets[0], &alert, false, &err), 0);
	for (int i = 0; i < 2; i++) {
		length = recv(sockets[1], received, EG_ALERT_RECORD_MAX + 1, MSG_DONTWAIT);
		assert_int_equal(length, expected_length);
		assert_memory_equal(received, expected, expected_length);
	}
	assert_int_equal(recv(sockets[1], received, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(sockets[0]);
	close(sockets[1]);
}

/* A short write is an error, not a second write that could land after
 * another monitor's record. */
static void test_short_write_is_reported(void **state)
{
	_cleanup_free_ char *padding = repeated('p', 3000);
	const char *args[] = {padding, padding, padding, NULL};
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	char page[4096];
	int fds[2];

	(void)state;
	alert.process_args = args;
	assert_int_equal(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	/* Fill the pipe, then free one page: a ~9 KiB record half fits. */
	memset(page, 'x', sizeof(page));
	while (write(fds[1], page, sizeof(page)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(read(fds[0], page, sizeof(page)), sizeof(page));
	assert_int_equal(eg_alert_write(fds[1], &alert, false, &err), -EIO);
	assert_non_null(strstr(err.message, "short write"));
	close(fds[0]);
	close(fds[1]);
}

static void test_open_creates_missing_directories(void **state)
{
	const char *directory = *state;
	_cleanup_free_ char *parent = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	struct eg_error err = {0};
	struct stat status;

	assert_true(asprintf(&parent, "%s/state/entryguard", directory) > 0);
	assert_true(asprintf(&path, "%s/alerts.ndjson", parent) > 0);
	if (eg_alert_open(path, &fd, &err) < 0)
		fail_msg("eg_alert_open: %s", err.message);
	assert_int_equal(stat(parent, &status), 0);
	assert_true(S_ISDIR(status.st_mode));
	assert_int_equal(status.st_mode & 07777, 0750);
	assert_int_equal(stat(path, &status), 0);
	assert_true(S_ISREG(status.st_mode));
	assert_int_equal(status.st_mode & 07777, 0640);
}

static void test_open_refuses_symlink_and_non_files(void **state)
{
	const char *directory = *state;
	_cleanup_free_ char *link = NULL, *target = NULL;
	struct eg_error err = {0};
	int fd = -1;

	assert_true(asprintf(&link, "%s/alerts.ndjson", directory) > 0);
	assert_true(asprintf(&target, "%s/elsewhere", directory) > 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(eg_alert_open(link, &fd, &err), -ELOOP);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err.message, "symlink"));
	assert_int_equal(access(target, F_OK), -1); /* nothing created there */

	assert_int_equal(eg_alert_open(directory, &fd, &err), -EISDIR);
	assert_int_equal(eg_alert_open("", &fd, &err), -EINVAL);
	assert_int_equal(fd, -1);
}

static void test_write_to_bad_fd_is_reported(void **state)
{
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	int fds[2];

	(void)state;
	assert_int_equal(eg_alert_write(-1, &alert, false, &err), -EBADF);
	assert_non_null(strstr(err.message, "Bad file descriptor"));

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	eg_error_clear(&err);
	assert_int_equal(eg_alert_write(fds[1], &alert, false, &err), -EBADF);
	assert_non_null(strstr(err.message, "writing alert"));

	/* Read-only: write(2) fails with EBADF as well, and says so. */
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fds[0] >= 0);
	eg_error_clear(&err);
	assert_int_equal(eg_alert_write(fds[0], &alert, false, &err), -EBADF);
	assert_true(err.message[0] != '\0');
	close(fds[0]);
}

/* ECS conformity: the field list, parsed as the CSV it is (quoted fields
 * hold commas, doubled quotes and newlines). */
struct ecs_field {
	char *name, *type, *normalization;
};

struct ecs_fields {
	struct ecs_field *fields;
	size_t count;
};

/* One CSV record from *cursor into columns[]; returns the column count, 0 at
 * the end of the text. */
static size_t csv_record(char **cursor, char **columns, size_t max_columns)
{
	char *in = *cursor, *out = *cursor, *next;
	size_t count = 0;

	if (!*in)
		return 0;
	for (;;) {
		bool quoted = *in == '"';

		assert_true(count < max_columns);
		columns[count++] = out;
		if (quoted)
			in++;
		for (;; in++) {
			if (quoted && in[0] == '"' && in[1] == '"') {
				*out++ = '"';
				in++;
			} else if (quoted && in[0] == '"') {
				quoted = false;
			} else if (!*in ||
			           (!quoted && (*in == ',' || *in == '\n' || *in == '\r'))) {
				break;
			} else {
				*out++ = *in;
			}
		}
		if (*in != ',')
			break;
		*out++ = '\0';
		in++;
	}
	/* Find the next record before terminating this one: out may stand on
	 * the newline itself. */
	next = in;
	while (*next == '\r' || *next == '\n')
		next++;
	*out = '\0';
	*cursor = next;
	return count;
}

static size_t column_index(char **header, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (!strcmp(header[i], name))
			return i;
	fail_msg("%s: no column %s", EG_ECS_FIELDS_CSV, name);
	return 0;
}

static char *ecs_csv_text;

static void load_ecs_fields(struct ecs_fields *ret_fields)
{
	char *header[16], *columns[16], *cursor;
	size_t header_count, name_column, type_column, normalization_column, count;
	struct ecs_fields list = {0};

	if (access(EG_ECS_FIELDS_CSV, R_OK) < 0)
		fail_msg("the ECS field list %s cannot be read: %m; the conformity test needs it",
		         EG_ECS_FIELDS_CSV);
	ecs_csv_text = read_whole_file(EG_ECS_FIELDS_CSV);
	cursor = ecs_csv_text;
	header_count = csv_record(&cursor, header, 16);
	name_column = column_index(header, header_count, "Field");
	type_column = column_index(header, header_count, "Type");
	normalization_column = column_index(header, header_count, "Normalization");
	while ((count = csv_record(&cursor, columns, 16)) > 0) {
		if (count != header_count)
			fail_msg("%s: a record with %zu columns, not %zu, after field %s",
			         EG_ECS_FIELDS_CSV, count, header_count,
			         list.count ? list.fields[list.count - 1].name : "(none)");
		list.fields = realloc(list.fields, (list.count + 1) * sizeof(*list.fields));
		assert_non_null(list.fields);
		list.fields[list.count++] = (struct ecs_field){
		    .name = columns[name_column],
		    .type = columns[type_column],
		    .normalization = columns[normalization_column],
		};
	}
	/* ECS has well over a thousand fields; a handful means a bad parse. */
	assert_true(list.count > 1000);
	*ret_fields = list;
}

static const struct ecs_field *find_ecs_field(const struct ecs_fields *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++)
		if (!strcmp(list->fields[i].name, name))
			return &list->fields[i];
	return NULL;
}

/* "2026-11-28T03:27:14.123456Z" or with an offset: ISO 8601 as ECS dates
 * take it. */
static bool is_iso8601(const char *text)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
	size_t i = 0;

	for (; pattern[i]; i++)
		if (pattern[i] == 'd' ? (text[i] < '0' || text[i] > '9') : text[i] != pattern[i])
			return false;
	if (text[i] == '.') {
		size_t digits = 0;

		for (i++; text[i] >= '0' && text[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return false;
	}
	return !strcmp(text + i, "Z");
}

static bool fits_ecs_type(const char *type, yajl_val value)
{
	if (!strcmp(type, "keyword") || !strcmp(type, "constant_keyword") ||
	    !strcmp(type, "wildcard") || !strcmp(type, "match_only_text"))
		return YAJL_IS_STRING(value);
	if (!strcmp(type, "ip")) {
		unsigned char bytes[16];

		return YAJL_IS_STRING(value) && (inet_pton(AF_INET, string_of(value), bytes) == 1 ||
		                                 inet_pton(AF_INET6, string_of(value), bytes) == 1);
	}
	if (!strcmp(type, "date"))
		return YAJL_IS_STRING(value) && is_iso8601(string_of(value));
	if (!strcmp(type, "long") || !strcmp(type, "integer"))
		return YAJL_IS_INTEGER(value);
	if (!strcmp(type, "boolean"))
		return YAJL_IS_TRUE(value) || YAJL_IS_FALSE(value);
	if (!strcmp(type, "float") || !strcmp(type, "double") || !strcmp(type, "scaled_float"))
		return YAJL_IS_NUMBER(value);
	return false; /* object, nested, flattened, geo_point: never a leaf we write */
}

struct conformity {
	const struct ecs_fields *fields;
	size_t checked;
};

static void check_ecs_leaf(const char *name, yajl_val value, void *data)
{
	struct conformity *conformity = data;
	const struct ecs_field *field;

	if (!strncmp(name, "entryguard.", strlen("entryguard.")))
		return;
	field = find_ecs_field(conformity->fields, name);
	if (!field)
		fail_msg("%s: not an ECS field", name);
	if (!strcmp(field->normalization, "array")) {
		if (!YAJL_IS_ARRAY(value))
			fail_msg("%s: ECS says array of %s, the record has no array", name,
			         field->type);
		for (size_t i = 0; i < value->u.array.len; i++)
			if (!fits_ecs_type(field->type, value->u.array.values[i]))
				fail_msg("%s[%zu]: not an ECS %s", name, i, field->type);
	} else if (!fits_ecs_type(field->type, value)) {
		fail_msg("%s: not an ECS %s", name, field->type);
	}
	conformity->checked++;
}

static void test_ecs_conformity(void **state)
{
	struct ecs_fields fields = {0};
	struct conformity conformity = {.fields = &fields};
	struct eg_alert alerts[3] = {full_alert(), full_alert(), full_alert()};
	_cleanup_free_ char *huge = repeated('x', 100000);

	(void)state;
	load_ecs_fields(&fields);
	alerts[1].destination = address_of("2001:db8::1");
	alerts[1].action = EG_ACTION_ALERT;
	alerts[2].destination = address_of("::ffff:9.9.9.9");
	alerts[2].process_name = huge; /* adds entryguard.truncated */
	for (size_t i = 0; i < 3; i++) {
		yajl_val tree = render_and_parse(&alerts[i], NULL);

		flatten(tree, "", check_ecs_leaf, &conformity);
		yajl_tree_free(tree);
	}
	/* Everything but the four entryguard.* fields, three times. */
	assert_int_equal(conformity.checked, 3 * (33 - 4));
	free(fields.fields);
	free(ecs_csv_text);
	ecs_csv_text = NULL;
}

/* The conformity check itself refuses what it must. */
static void test_ecs_check_refuses_misfits(void **state)
{
	struct ecs_fields fields = {0};

	(void)state;
	load_ecs_fields(&fields);
	assert_non_null(find_ecs_field(&fields, "process.entry_leader.entry_meta.type"));
	assert_null(find_ecs_field(&fields, "process.entry_leader.entry_meta"));
	assert_null(find_ecs_field(&fields, "destination.address.ip"));
	assert_string_equal(find_ecs_field(&fields, "process.args")->normalization, "array");
	assert_string_equal(find_ecs_field(&fields, "destination.port")->type, "long");
	assert_true(is_iso8601("2026-11-28T03:27:14.123456Z"));
	assert_false(is_iso8601("2026-11-28 03:27:14Z"));
	free(fields.fields);
	free(ecs_csv_text);
	ecs_csv_text = NULL;
}

static int set_umask(void **state)
{
	(void)state;
	/* The modes asserted below are the ones asked for, under the usual
	 * umask. */
	umask(022);
	return 0;
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
	    cmocka_unit_test_setup_teardown(test_write_appends_lines, make_temporary_directory,
	                                    remove_temporary_directory),
	    cmocka_unit_test_setup_teardown(test_concurrent_writers_never_interleave,
	                                    make_temporary_directory, remove_temporary_directory),
	    cmocka_unit_test(test_one_write_per_record),
	    cmocka_unit_test(test_short_write_is_reported),
	    cmocka_unit_test_setup_teardown(test_open_creates_missing_directories,
	                                    make_temporary_directory, remove_temporary_directory),
	    cmocka_unit_test_setup_teardown(test_open_refuses_symlink_and_non_files,
	                                    make_temporary_directory, remove_temporary_directory),
	    cmocka_unit_test(test_write_to_bad_fd_is_reported),
	    cmocka_unit_test(test_ecs_conformity),
	    cmocka_unit_test(test_ecs_check_refuses_misfits),
	};

	return cmocka_run_group_tests(tests, set_umask, NULL);
}
