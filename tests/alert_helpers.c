/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the alert tests; see alert_helpers.h. */
#include "tests/alert_helpers.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/cleanup.h"

const char *const full_args[] = {"curl", "-sS", "https://example.com/", NULL};

struct eg_address address_of(const char *text)
{
	struct eg_address address = {0};

	address.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(address.family, text, address.bytes), 1);
	return address;
}

struct eg_alert full_alert(void)
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
yajl_val parse_line(const char *line, size_t length)
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

yajl_val render_and_parse(const struct eg_alert *alert, char **ret_line)
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
const char *string_of(yajl_val value)
{
	if (!value || !YAJL_IS_STRING(value) || !value->u.string)
		fail_msg("expected a string node");
	return value->u.string;
}

/* The node at a dotted path ("process.parent.pid"), or NULL. */
yajl_val at(yajl_val tree, const char *dotted)
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

void flatten(yajl_val node, const char *prefix, leaf_visitor visit, void *data)
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

char *repeated(char c, size_t count)
{
	char *text = malloc(count + 1);

	assert_non_null(text);
	memset(text, c, count);
	text[count] = '\0';
	return text;
}

char *read_whole_file(const char *path)
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
