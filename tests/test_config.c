/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config contract: defaults equal the seed, the packaged file equals the
 * defaults, every key reads back, every error names its key and why, the
 * lookup order, and the annotation policy table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eg-build.h"
#include "entryguard/config.h"

#define PACKAGED_CONFIG EG_FIXTURES_DIR "/../../packaging/entryguard.json"

static struct eg_config *load_ok(const char *json)
{
	struct eg_config *config = NULL;
	struct eg_error err = {0};
	int r = eg_config_load_buffer("t", json, strlen(json), &config, &err);

	if (r < 0)
		fail_msg("unexpected error %d for %s: %s", r, json, err.message);
	assert_non_null(config);
	return config;
}

/* Loads json, which must fail; returns the message after "t: ". */
static const char *load_error(const char *json, size_t length, struct eg_error *err)
{
	struct eg_config *config = (struct eg_config *)&config; /* must stay untouched */
	int r = eg_config_load_buffer("t", json, length, &config, err);

	if (r >= 0)
		fail_msg("no error for %s", json);
	assert_ptr_equal(config, (struct eg_config *)&config);
	assert_int_equal(-r, err->code);
	assert_null(strchr(err->message, '\n'));
	assert_memory_equal(err->message, "t: ", 3);
	return err->message + 3;
}

static void expect_error(const char *json, const char *message)
{
	struct eg_error err = {0};

	assert_string_equal(load_error(json, strlen(json), &err), message);
}

static void expect_error_prefix(const char *json, size_t length, const char *prefix)
{
	struct eg_error err = {0};
	const char *message = load_error(json, length, &err);

	if (strncmp(message, prefix, strlen(prefix)))
		fail_msg("\"%s\" does not start with \"%s\"", message, prefix);
}

static void expect_invalid(const char *json)
{
	expect_error_prefix(json, strlen(json), "");
}

static void assert_same_string(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

static void assert_config_equal(const struct eg_config *a, const struct eg_config *b)
{
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->window_ms, b->window_ms);
	assert_int_equal(a->entrypoint_names_count, b->entrypoint_names_count);
	for (size_t i = 0; i <= a->entrypoint_names_count; i++)
		assert_same_string(a->entrypoint_names[i], b->entrypoint_names[i]);
	assert_int_equal(a->lineage, b->lineage);
	assert_int_equal(a->excluded_cidrs_count, b->excluded_cidrs_count);
	for (size_t i = 0; i <= a->excluded_cidrs_count; i++)
		assert_same_string(a->excluded_cidrs[i], b->excluded_cidrs[i]);
	assert_int_equal(a->exceptions_count, b->exceptions_count);
	for (size_t i = 0; i < a->exceptions_count; i++) {
		const struct eg_exception *x = &a->exceptions[i], *y = &b->exceptions[i];
		assert_same_string(x->process_name, y->process_name);
		assert_same_string(x->process_executable, y->process_executable);
		assert_int_equal(x->executable_null, y->executable_null);
		assert_int_equal(x->has_destination_cidr, y->has_destination_cidr);
		if (x->has_destination_cidr)
			assert_string_equal(x->destination_cidr.text, y->destination_cidr.text);
		assert_int_equal(x->destination_port, y->destination_port);
		assert_same_string(x->image, y->image);
		assert_same_string(x->container_name, y->container_name);
	}
	assert_same_string(a->alerts_path, b->alerts_path);
	assert_int_equal(a->alerts_syslog, b->alerts_syslog);
	assert_int_equal(a->allow_annotation_mode, b->allow_annotation_mode);
	assert_int_equal(a->monitor_lifetime, b->monitor_lifetime);
	assert_int_equal(a->max_processes, b->max_processes);
	assert_int_equal(a->alerts_per_second, b->alerts_per_second);
}

static enum eg_address_class classify_text(const struct eg_config *config, const char *text)
{
	struct eg_address address;

	assert_int_equal(eg_address_parse(text, &address, NULL), 0);
	return eg_classify(config->excluded, &address, NULL);
}

static void test_defaults_are_the_seed(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(eg_config_new_default(&config, &err), 0);
	assert_int_equal(config->mode, EG_MODE_DETECT);
	assert_int_equal(config->window_ms, 3000);
	assert_int_equal(config->entrypoint_names_count, 1);
	assert_string_equal(config->entrypoint_names[0], "entrypoint.sh");
	assert_null(config->entrypoint_names[1]);
	assert_int_equal(config->lineage, EG_LINEAGE_CHILDREN);
	assert_int_equal(config->excluded_cidrs_count, 27);
	assert_int_equal(config->excluded_cidrs_count, eg_seed_excluded_cidrs_count);
	for (size_t i = 0; i < eg_seed_excluded_cidrs_count; i++)
		assert_string_equal(config->excluded_cidrs[i], eg_seed_excluded_cidrs[i]);
	assert_null(config->excluded_cidrs[27]);
	assert_string_equal(config->excluded_cidrs[0], "10.0.0.0/8");
	assert_string_equal(config->excluded_cidrs[26], "172.31.0.0/16");
	assert_int_equal(config->exceptions_count, 0);
	assert_null(config->alerts_path);
	assert_true(config->alerts_syslog);
	assert_int_equal(config->allow_annotation_mode, EG_ANNOTATION_NEVER);
	assert_int_equal(config->monitor_lifetime, EG_LIFETIME_CONTAINER);
	assert_int_equal(config->max_processes, 4096);
	assert_int_equal(config->alerts_per_second, 10);
	assert_non_null(config->excluded);
	assert_int_equal(classify_text(config, "10.1.2.3"), EG_ADDRESS_EXCLUDED);
	assert_int_equal(classify_text(config, "8.8.8.8"), EG_ADDRESS_PUBLIC);
}

static void test_empty_object_is_the_defaults(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *defaults = NULL;
	_cleanup_(eg_config_freep) struct eg_config *config = load_ok("{}");

	(void)state;
	assert_int_equal(eg_config_new_default(&defaults, NULL), 0);
	assert_config_equal(config, defaults);
}

static void test_packaged_file_is_the_defaults(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *defaults = NULL;
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;
	struct eg_error err = {0};
	FILE *file;
	char line[256];
	static const char *const keys[] = {
	    "\"mode\"",
	    "\"window_ms\"",
	    "\"entrypoint_names\"",
	    "\"lineage\"",
	    "\"excluded_cidrs\"",
	    "\"exceptions\"",
	    "\"alerts\"",
	    "\"path\"",
	    "\"syslog\"",
	    "\"allow_annotation_mode\"",
	    "\"monitor\"",
	    "\"lifetime\"",
	    "\"limits\"",
	    "\"max_processes\"",
	    "\"alerts_per_second\"",
	};
	bool spelled[sizeof(keys) / sizeof(keys[0])] = {false};

	(void)state;
	if (eg_config_load_file(PACKAGED_CONFIG, &config, &err) < 0)
		fail_msg("%s", err.message);
	assert_int_equal(eg_config_new_default(&defaults, NULL), 0);
	assert_config_equal(config, defaults);
	/* Every key spelled out, not left to the defaults. */
	file = fopen(PACKAGED_CONFIG, "re");
	assert_non_null(file);
	while (fgets(line, sizeof(line), file))
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			spelled[i] |= strstr(line, keys[i]) != NULL;
	fclose(file);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!spelled[i])
			fail_msg("%s is not spelled out in the packaged config", keys[i]);
}

static void test_every_key_reads_back(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *config = load_ok(
	    "{\"mode\": \"kill\", \"window_ms\": 3600000,"
	    " \"entrypoint_names\": [\"entrypoint.sh\", \"docker-entrypoint.sh\", \"start*.sh\"],"
	    " \"lineage\": \"descendants\","
	    " \"excluded_cidrs\": [\"8.8.8.0/24\", \"2001:db8::/32\", \"1.1.1.1\"],"
	    " \"exceptions\": [{\"process_name\": \"python*\", \"destination_port\": 443},"
	    "   {\"process_executable\": null},"
	    "   {\"process_executable\": \"/usr/bin/curl\", \"destination_cidr\": "
	    "\"2001:db8::/48\","
	    "    \"destination_port\": 0, \"image\": \"docker.io/library/*\","
	    "    \"container_name\": \"web-*\"},"
	    "   {\"destination_port\": 65535}],"
	    " \"alerts\": {\"path\": \"/tmp/eg alerts.ndjson\", \"syslog\": false},"
	    " \"allow_annotation_mode\": \"lower\", \"monitor\": {\"lifetime\": \"window\"},"
	    " \"limits\": {\"max_processes\": 16, \"alerts_per_second\": 100000}}");
	const struct eg_exception *exception = config->exceptions;

	(void)state;
	assert_int_equal(config->mode, EG_MODE_KILL);
	assert_int_equal(config->window_ms, 3600000);
	assert_int_equal(config->entrypoint_names_count, 3);
	assert_string_equal(config->entrypoint_names[1], "docker-entrypoint.sh");
	assert_string_equal(config->entrypoint_names[2], "start*.sh");
	assert_null(config->entrypoint_names[3]);
	assert_int_equal(config->lineage, EG_LINEAGE_DESCENDANTS);
	assert_int_equal(config->excluded_cidrs_count, 3);
	assert_string_equal(config->excluded_cidrs[1], "2001:db8::/32");
	assert_null(config->excluded_cidrs[3]);
	assert_int_equal(classify_text(config, "8.8.8.8"), EG_ADDRESS_EXCLUDED);
	assert_int_equal(classify_text(config, "1.1.1.1"), EG_ADDRESS_EXCLUDED);
	assert_int_equal(classify_text(config, "10.1.2.3"), EG_ADDRESS_PUBLIC);
	assert_int_equal(config->exceptions_count, 4);
	assert_string_equal(exception[0].process_name, "python*");
	assert_int_equal(exception[0].destination_port, 443);
	assert_false(exception[0].has_destination_cidr);
	assert_false(exception[0].executable_null);
	assert_null(exception[0].process_executable);
	assert_null(exception[1].process_name);
	assert_true(exception[1].executable_null);
	assert_null(exception[1].process_executable);
	assert_int_equal(exception[1].destination_port, -1);
	assert_string_equal(exception[2].process_executable, "/usr/bin/curl");
	assert_false(exception[2].executable_null);
	assert_true(exception[2].has_destination_cidr);
	assert_string_equal(exception[2].destination_cidr.text, "2001:db8::/48");
	assert_int_equal(exception[2].destination_cidr.prefix_length, 48);
	assert_int_equal(exception[2].destination_port, 0);
	assert_string_equal(exception[2].image, "docker.io/library/*");
	assert_string_equal(exception[2].container_name, "web-*");
	assert_int_equal(exception[3].destination_port, 65535);
	assert_null(exception[3].image);
	assert_string_equal(config->alerts_path, "/tmp/eg alerts.ndjson");
	assert_false(config->alerts_syslog);
	assert_int_equal(config->allow_annotation_mode, EG_ANNOTATION_LOWER);
	assert_int_equal(config->monitor_lifetime, EG_LIFETIME_WINDOW);
	assert_int_equal(config->max_processes, 16);
	assert_int_equal(config->alerts_per_second, 100000);
}

static void test_each_choice_reads_back(void **state)
{
	static const struct {
		const char *json;
		size_t offset;
		int value;
	} cases[] = {
#define CHOICE(json, field, value) {json, offsetof(struct eg_config, field), value}
	    CHOICE("{\"mode\": \"off\"}", mode, EG_MODE_OFF),
	    CHOICE("{\"mode\": \"detect\"}", mode, EG_MODE_DETECT),
	    CHOICE("{\"mode\": \"block\"}", mode, EG_MODE_BLOCK),
	    CHOICE("{\"mode\": \"kill\"}", mode, EG_MODE_KILL),
	    CHOICE("{\"lineage\": \"children\"}", lineage, EG_LINEAGE_CHILDREN),
	    CHOICE("{\"lineage\": \"descendants\"}", lineage, EG_LINEAGE_DESCENDANTS),
	    CHOICE("{\"allow_annotation_mode\": \"never\"}", allow_annotation_mode,
	           EG_ANNOTATION_NEVER),
	    CHOICE("{\"allow_annotation_mode\": \"lower\"}", allow_annotation_mode,
	           EG_ANNOTATION_LOWER),
	    CHOICE("{\"allow_annotation_mode\": \"raise\"}", allow_annotation_mode,
	           EG_ANNOTATION_RAISE),
	    CHOICE("{\"allow_annotation_mode\": \"any\"}", allow_annotation_mode,
	           EG_ANNOTATION_ANY),
	    CHOICE("{\"monitor\": {\"lifetime\": \"container\"}}", monitor_lifetime,
	           EG_LIFETIME_CONTAINER),
	    CHOICE("{\"monitor\": {\"lifetime\": \"window\"}}", monitor_lifetime,
	           EG_LIFETIME_WINDOW),
	    CHOICE("{\"monitor\": {}}", monitor_lifetime, EG_LIFETIME_CONTAINER),
#undef CHOICE
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_(eg_config_freep) struct eg_config *config = load_ok(cases[i].json);
		int value;

		memcpy(&value, (const char *)config + cases[i].offset, sizeof(value));
		assert_int_equal(value, cases[i].value);
	}
}

static void test_bounds_accepted(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *low = load_ok(
	    "{\"window_ms\": 1, \"limits\": {\"max_processes\": 4194304, \"alerts_per_second\": 1},"
	    " \"excluded_cidrs\": [], \"alerts\": {\"path\": null}}");
	_cleanup_(eg_config_freep) struct eg_config *nothing = load_ok("{\"exceptions\": []}");

	(void)state;
	assert_int_equal(low->window_ms, 1);
	assert_int_equal(low->max_processes, 4194304);
	assert_int_equal(low->alerts_per_second, 1);
	assert_null(low->alerts_path);
	/* No excluded ranges: every specified address is public. */
	assert_int_equal(low->excluded_cidrs_count, 0);
	assert_null(low->excluded_cidrs[0]);
	assert_int_equal(classify_text(low, "10.1.2.3"), EG_ADDRESS_PUBLIC);
	assert_int_equal(nothing->exceptions_count, 0);
}

/* Message after "t: " for a document; one row per rule of the contract. */
static const struct {
	const char *json;
	const char *message;
} error_cases[] = {
    /* top level */
    {"[]", "expected an object at the top level, got an array"},
    {"\"x\"", "expected an object at the top level, got a string"},
    {"3", "expected an object at the top level, got a number"},
    {"null", "expected an object at the top level, got null"},
    {"{\"modee\": \"detect\"}", "unknown key \"modee\""},
    {"{\"Mode\": \"detect\"}", "unknown key \"Mode\""},
    {"{\"mode\": \"detect\", \"mode\": \"block\"}", "duplicate key \"mode\""},
    {"{\"mo\\nde\": 1}", "unknown key \"mo\\x0ade\""},
    /* mode */
    {"{\"mode\": \"blok\"}", "mode: expected one of off, detect, block, kill, got \"blok\""},
    {"{\"mode\": \"Detect\"}", "mode: expected one of off, detect, block, kill, got \"Detect\""},
    {"{\"mode\": \"\"}", "mode: expected one of off, detect, block, kill, got \"\""},
    {"{\"mode\": \"block\\n\"}",
     "mode: expected one of off, detect, block, kill, got \"block\\x0a\""},
    {"{\"mode\": 1}", "mode: expected a string, got a number"},
    {"{\"mode\": null}", "mode: expected a string, got null"},
    {"{\"mode\": [\"block\"]}", "mode: expected a string, got an array"},
    /* window_ms */
    {"{\"window_ms\": \"abc\"}", "window_ms: expected a positive integer, got \"abc\""},
    {"{\"window_ms\": \"3000\"}", "window_ms: expected a positive integer, got \"3000\""},
    {"{\"window_ms\": 0}", "window_ms: 0 is out of range (1..3600000)"},
    {"{\"window_ms\": -1}", "window_ms: -1 is out of range (1..3600000)"},
    {"{\"window_ms\": 3600001}", "window_ms: 3600001 is out of range (1..3600000)"},
    {"{\"window_ms\": 4294967296}", "window_ms: 4294967296 is out of range (1..3600000)"},
    {"{\"window_ms\": 1.5}", "window_ms: expected a positive integer, got 1.5"},
    {"{\"window_ms\": 3000.0}", "window_ms: expected a positive integer, got 3000.0"},
    {"{\"window_ms\": 3e3}", "window_ms: expected a positive integer, got 3e3"},
    {"{\"window_ms\": 99999999999999999999}",
     "window_ms: expected a positive integer, got 99999999999999999999"},
    {"{\"window_ms\": true}", "window_ms: expected a positive integer, got true"},
    {"{\"window_ms\": null}", "window_ms: expected a positive integer, got null"},
    {"{\"window_ms\": []}", "window_ms: expected a positive integer, got an array"},
    {"{\"window_ms\": {}}", "window_ms: expected a positive integer, got an object"},
    /* entrypoint_names */
    {"{\"entrypoint_names\": \"entrypoint.sh\"}",
     "entrypoint_names: expected an array, got a string"},
    {"{\"entrypoint_names\": []}",
     "entrypoint_names: must not be empty (no window would ever open)"},
    {"{\"entrypoint_names\": [\"a\", 1]}", "entrypoint_names[1]: expected a string, got a number"},
    {"{\"entrypoint_names\": [null]}", "entrypoint_names[0]: expected a string, got null"},
    {"{\"entrypoint_names\": [\"\"]}", "entrypoint_names[0]: must not be empty"},
    {"{\"entrypoint_names\": [\"a\", \"/entrypoint.sh\"]}",
     "entrypoint_names[1]: \"/entrypoint.sh\": a process name has no '/' (it is a basename)"},
    /* lineage */
    {"{\"lineage\": \"child\"}", "lineage: expected one of children, descendants, got \"child\""},
    {"{\"lineage\": true}", "lineage: expected a string, got a boolean"},
    /* excluded_cidrs */
    {"{\"excluded_cidrs\": \"10.0.0.0/8\"}", "excluded_cidrs: expected an array, got a string"},
    {"{\"excluded_cidrs\": [\"10.0.0.0/8\", 8]}",
     "excluded_cidrs[1]: expected a string, got a number"},
    {"{\"excluded_cidrs\": [\"10.0.0.0/8\", \"10.0.0.0/33\"]}",
     "excluded_cidrs[1]: \"10.0.0.0/33\": prefix length 33 is out of range for IPv4"},
    {"{\"excluded_cidrs\": [\"fe80::/129\"]}",
     "excluded_cidrs[0]: \"fe80::/129\": prefix length 129 is out of range for IPv6"},
    /* exceptions */
    {"{\"exceptions\": {}}", "exceptions: expected an array, got an object"},
    {"{\"exceptions\": [{}]}", "exceptions[0]: an exception needs at least one field (an "
                               "empty one would silence every alert)"},
    {"{\"exceptions\": [{\"image\": \"x\"}, {}]}",
     "exceptions[1]: an exception needs at least one field (an empty one would silence every "
     "alert)"},
    {"{\"exceptions\": [\"python*\"]}", "exceptions[0]: expected an object, got a string"},
    {"{\"exceptions\": [null]}", "exceptions[0]: expected an object, got null"},
    {"{\"exceptions\": [{\"image\": \"x\"}, {\"proces_name\": \"y\"}]}",
     "exceptions[1]: unknown key \"proces_name\""},
    {"{\"exceptions\": [{\"image\": \"a\", \"image\": \"b\"}]}",
     "exceptions[0]: duplicate key \"image\""},
    {"{\"exceptions\": [{\"destination_cidr\": \"10.0.0.0/33\"}]}",
     "exceptions[0].destination_cidr: \"10.0.0.0/33\": prefix length 33 is out of range for "
     "IPv4"},
    {"{\"exceptions\": [{\"destination_cidr\": 10}]}",
     "exceptions[0].destination_cidr: expected a string, got a number"},
    {"{\"exceptions\": [{\"destination_cidr\": null}]}",
     "exceptions[0].destination_cidr: expected a string, got null"},
    {"{\"exceptions\": [{\"destination_port\": 65536}]}",
     "exceptions[0].destination_port: 65536 is out of range (0..65535)"},
    {"{\"exceptions\": [{\"destination_port\": -1}]}",
     "exceptions[0].destination_port: -1 is out of range (0..65535)"},
    {"{\"exceptions\": [{\"destination_port\": \"443\"}]}",
     "exceptions[0].destination_port: expected a port number (0..65535), got \"443\""},
    {"{\"exceptions\": [{\"destination_port\": 443.0}]}",
     "exceptions[0].destination_port: expected a port number (0..65535), got 443.0"},
    {"{\"exceptions\": [{\"destination_port\": null}]}",
     "exceptions[0].destination_port: expected a port number (0..65535), got null"},
    {"{\"exceptions\": [{\"process_name\": \"\"}]}",
     "exceptions[0].process_name: must not be empty"},
    {"{\"exceptions\": [{\"process_name\": \"/usr/bin/python3\"}]}",
     "exceptions[0].process_name: \"/usr/bin/python3\": a process name has no '/' (it is a "
     "basename)"},
    {"{\"exceptions\": [{\"process_name\": 5}]}",
     "exceptions[0].process_name: expected a string, got a number"},
    {"{\"exceptions\": [{\"process_name\": null}]}",
     "exceptions[0].process_name: expected a string, got null"},
    {"{\"exceptions\": [{\"process_executable\": 5}]}",
     "exceptions[0].process_executable: expected a string, got a number"},
    {"{\"exceptions\": [{\"process_executable\": \"\"}]}",
     "exceptions[0].process_executable: must not be empty"},
    {"{\"exceptions\": [{\"image\": true}]}",
     "exceptions[0].image: expected a string, got a boolean"},
    {"{\"exceptions\": [{\"image\": \"\"}]}", "exceptions[0].image: must not be empty"},
    {"{\"exceptions\": [{\"container_name\": []}]}",
     "exceptions[0].container_name: expected a string, got an array"},
    /* alerts */
    {"{\"alerts\": \"/var/log/x\"}", "alerts: expected an object, got a string"},
    {"{\"alerts\": null}", "alerts: expected an object, got null"},
    {"{\"alerts\": {\"pth\": \"/x\"}}", "alerts: unknown key \"pth\""},
    {"{\"alerts\": {\"path\": \"/a\", \"path\": \"/b\"}}", "alerts: duplicate key \"path\""},
    {"{\"alerts\": {\"path\": \"alerts.ndjson\"}}",
     "alerts.path: expected an absolute path, got \"alerts.ndjson\""},
    {"{\"alerts\": {\"path\": \"\"}}", "alerts.path: expected an absolute path, got \"\""},
    {"{\"alerts\": {\"path\": 5}}", "alerts.path: expected a string, got a number"},
    {"{\"alerts\": {\"path\": {\"a\": [1]}}}", "alerts.path: expected a string, got an object"},
    {"{\"alerts\": {\"syslog\": \"yes\"}}", "alerts.syslog: expected a boolean, got a string"},
    {"{\"alerts\": {\"syslog\": 1}}", "alerts.syslog: expected a boolean, got a number"},
    {"{\"alerts\": {\"syslog\": null}}", "alerts.syslog: expected a boolean, got null"},
    /* allow_annotation_mode */
    {"{\"allow_annotation_mode\": \"sometimes\"}",
     "allow_annotation_mode: expected one of never, lower, raise, any, got \"sometimes\""},
    {"{\"allow_annotation_mode\": false}",
     "allow_annotation_mode: expected a string, got a boolean"},
    /* monitor */
    {"{\"monitor\": []}", "monitor: expected an object, got an array"},
    {"{\"monitor\": {\"life\": \"window\"}}", "monitor: unknown key \"life\""},
    {"{\"monitor\": {\"lifetime\": \"forever\"}}",
     "monitor.lifetime: expected one of container, window, got \"forever\""},
    {"{\"monitor\": {\"lifetime\": 3}}", "monitor.lifetime: expected a string, got a number"},
    /* limits */
    {"{\"limits\": 5}", "limits: expected an object, got a number"},
    {"{\"limits\": {\"max_procs\": 100}}", "limits: unknown key \"max_procs\""},
    {"{\"limits\": {\"max_processes\": 0}}",
     "limits.max_processes: 0 is out of range (16..4194304)"},
    {"{\"limits\": {\"max_processes\": 15}}",
     "limits.max_processes: 15 is out of range (16..4194304)"},
    {"{\"limits\": {\"max_processes\": 4194305}}",
     "limits.max_processes: 4194305 is out of range (16..4194304)"},
    {"{\"limits\": {\"max_processes\": \"many\"}}",
     "limits.max_processes: expected a positive integer, got \"many\""},
    {"{\"limits\": {\"alerts_per_second\": 0}}",
     "limits.alerts_per_second: 0 is out of range (1..100000)"},
    {"{\"limits\": {\"alerts_per_second\": 100001}}",
     "limits.alerts_per_second: 100001 is out of range (1..100000)"},
    {"{\"limits\": {\"alerts_per_second\": false}}",
     "limits.alerts_per_second: expected a positive integer, got false"},
};

static void test_error_messages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		expect_error(error_cases[i].json, error_cases[i].message);
}

/* "{\"key\": [item, item, ...]}" with count copies of item. */
static char *repeated_array(const char *key, const char *item, size_t count)
{
	size_t size = strlen(key) + 16 + count * (strlen(item) + 2);
	char *json = malloc(size);
	size_t used;

	assert_non_null(json);
	used = (size_t)snprintf(json, size, "{\"%s\": [", key);
	for (size_t i = 0; i < count; i++)
		used += (size_t)snprintf(json + used, size - used, "%s%s", i ? "," : "", item);
	snprintf(json + used, size - used, "]}");
	return json;
}

static void test_list_limits(void **state)
{
	_cleanup_free_ char *names_ok = repeated_array("entrypoint_names", "\"e.sh\"", 64);
	_cleanup_free_ char *names = repeated_array("entrypoint_names", "\"e.sh\"", 65);
	_cleanup_free_ char *cidrs_ok = repeated_array("excluded_cidrs", "\"10.0.0.0/8\"", 1024);
	_cleanup_free_ char *cidrs = repeated_array("excluded_cidrs", "\"10.0.0.0/8\"", 1025);
	_cleanup_free_ char *exceptions_ok =
	    repeated_array("exceptions", "{\"destination_port\": 53}", 256);
	_cleanup_free_ char *exceptions = repeated_array("exceptions", "{\"image\": \"x\"}", 257);
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;

	(void)state;
	config = load_ok(names_ok);
	assert_int_equal(config->entrypoint_names_count, 64);
	eg_config_free(steal_pointer(&config));
	config = load_ok(cidrs_ok);
	assert_int_equal(config->excluded_cidrs_count, 1024);
	eg_config_free(steal_pointer(&config));
	config = load_ok(exceptions_ok);
	assert_int_equal(config->exceptions_count, 256);
	assert_int_equal(config->exceptions[255].destination_port, 53);
	expect_error(names, "entrypoint_names: too many entries (max 64)");
	expect_error(cidrs, "excluded_cidrs: too many entries (max 1024)");
	expect_error(exceptions, "exceptions: too many entries (max 256)");
}

static void test_length_limits(void **state)
{
	char name[300], json[5000 + PATH_MAX];

	(void)state;
	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(json, sizeof(json), "{\"entrypoint_names\": [\"%s\"]}", name);
	eg_config_free(load_ok(json));
	strcpy(name + 255, "n");
	snprintf(json, sizeof(json), "{\"entrypoint_names\": [\"%s\"]}", name);
	expect_error(json, "entrypoint_names[0]: longer than a file name (255 bytes)");

	snprintf(json, sizeof(json), "{\"exceptions\": [{\"image\": \"%04096d\"}]}", 0);
	expect_error(json, "exceptions[0].image: longer than 4095 bytes");
	snprintf(json, sizeof(json), "{\"alerts\": {\"path\": \"/%0*d\"}}", PATH_MAX - 1, 0);
	expect_error(json, "alerts.path: longer than 4095 bytes");

	/* A long value is shown cut, still on one line. */
	snprintf(json, sizeof(json), "{\"mode\": \"%060d\"}", 0);
	expect_error(json, "mode: expected one of off, detect, block, kill, got "
	                   "\"000000000000000000000000000000000000000000000000...\"");
}

static void test_malformed_documents(void **state)
{
	static const char not_utf8[] = "{\"mode\": \"\xff\xfe\"}";
	static const char nul_byte[] = "{\"mode\": \"detect\"}\0{}";
	char *deep;

	(void)state;
	expect_error("", "empty file (write {} for the built-in defaults)");
	expect_error(" \n\t\r\n", "empty file (write {} for the built-in defaults)");
	expect_invalid("{");
	expect_invalid("{\"mode\": \"detect\"");
	expect_invalid("{\"mode\": \"det");
	expect_invalid("{\"mode\": detect}");
	expect_invalid("{\"mode\": \"detect\",}");
	expect_invalid("{} {}");
	expect_invalid("{} x");
	expect_error_prefix(not_utf8, sizeof(not_utf8) - 1, "");
	expect_error_prefix(nul_byte, sizeof(nul_byte) - 1, "");
	expect_error_prefix(" \0 ", 3, "");

	/* Far deeper than any reader's limit: refused, not a stack overflow. */
	deep = malloc(200001);
	assert_non_null(deep);
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	deep[200000] = '\0';
	expect_error_prefix(deep, 200000, "");
	memcpy(deep, "{\"mode\":", 8);
	expect_error_prefix(deep, 200000, "");
	free(deep);
}

static void test_unknown_keys_everywhere(void **state)
{
	(void)state;
	expect_error("{\"mode\": \"block\", \"extra\": true}", "unknown key \"extra\"");
	expect_error("{\"monitor\": {\"lifetime\": \"window\", \"x\": 1}}",
	             "monitor: unknown key \"x\"");
	expect_error("{\"limits\": {\"alerts_per_second\": 5, \"burst\": 1}}",
	             "limits: unknown key \"burst\"");
	expect_error("{\"alerts\": {\"syslog\": true, \"\": 1}}", "alerts: unknown key \"\"");
	expect_error("{\"exceptions\": [{\"image\": \"a\", \"port\": 443}]}",
	             "exceptions[0]: unknown key \"port\"");
}

static char temporary_root[] = "/tmp/eg-test-config-XXXXXX";

static void write_file(const char *path, const char *text, size_t length)
{
	FILE *file = fopen(path, "we");

	assert_non_null(file);
	assert_int_equal(fwrite(text, 1, length, file), length);
	assert_int_equal(fclose(file), 0);
}

static void write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text));
}

static const char *temporary_path(char *buffer, size_t size, const char *name)
{
	snprintf(buffer, size, "%s/%s", temporary_root, name);
	return buffer;
}

static void test_load_file(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;
	struct eg_error err = {0};
	char path[PATH_MAX], expected[PATH_MAX + 64];
	_cleanup_free_ char *big = malloc(EG_CONFIG_MAX_BYTES + 1);

	(void)state;
	assert_non_null(big);
	temporary_path(path, sizeof(path), "file.json");
	write_text(path, "{\"mode\": \"block\"}\n");
	assert_int_equal(eg_config_load_file(path, &config, &err), 0);
	assert_int_equal(config->mode, EG_MODE_BLOCK);
	eg_config_free(steal_pointer(&config));

	/* Errors of every layer begin with the path, once. */
	write_text(path, "{\"window_ms\": \"abc\"}");
	assert_int_equal(eg_config_load_file(path, &config, &err), -EINVAL);
	snprintf(expected, sizeof(expected),
	         "%s: window_ms: expected a positive integer, got \"abc\"", path);
	assert_string_equal(err.message, expected);
	write_text(path, "{\"mode\"");
	assert_true(eg_config_load_file(path, &config, &err) < 0);
	snprintf(expected, sizeof(expected), "%s: ", path);
	assert_memory_equal(err.message, expected, strlen(expected));
	assert_null(strstr(err.message + strlen(expected), path));
	assert_null(config);

	/* Exactly the limit is read; one byte more is refused. */
	memset(big, ' ', EG_CONFIG_MAX_BYTES + 1);
	memcpy(big, "{}", 2);
	write_file(path, big, EG_CONFIG_MAX_BYTES);
	assert_int_equal(eg_config_load_file(path, &config, &err), 0);
	eg_config_free(steal_pointer(&config));
	write_file(path, big, EG_CONFIG_MAX_BYTES + 1);
	assert_int_equal(eg_config_load_file(path, &config, &err), -EFBIG);
	assert_memory_equal(err.message, expected, strlen(expected));
	assert_null(config);
	assert_int_equal(eg_config_load_buffer("t", big, EG_CONFIG_MAX_BYTES + 1, &config, &err),
	                 -EFBIG);
	assert_string_equal(err.message, "t: 1048577 bytes, more than the limit of 1048576");
	assert_int_equal(unlink(path), 0);

	assert_int_equal(eg_config_load_file(path, &config, &err), -ENOENT);
	assert_memory_equal(err.message, expected, strlen(expected));
	assert_null(config);
}

static void clear_environment(void)
{
	unsetenv("ENTRYGUARD_CONFIG");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("HOME");
}

static void expect_located(const char *explicit_path, bool rootless, const char *expected)
{
	_cleanup_free_ char *path = NULL;
	struct eg_error err = {0};

	if (eg_config_locate(explicit_path, rootless, &path, &err) < 0)
		fail_msg("%s", err.message);
	assert_same_string(path, expected);
}

static void expect_locate_error(const char *explicit_path, const char *message)
{
	char *path = (char *)&path;
	struct eg_error err = {0};

	assert_int_equal(eg_config_locate(explicit_path, true, &path, &err), -ENOENT);
	assert_ptr_equal(path, (char *)&path);
	assert_string_equal(err.message, message);
}

static void test_locate_order(void **state)
{
	char explicit_file[PATH_MAX], environment_file[PATH_MAX], xdg[PATH_MAX], xdg_file[PATH_MAX];
	char home_file[PATH_MAX], directory[PATH_MAX], message[PATH_MAX + 64];
	const char *system_file = EG_SYSCONFDIR "/entryguard/entryguard.json";
	/* The host's own file, when there is one, is the last resort. */
	const char *fallback = access(system_file, F_OK) == 0 ? system_file : NULL;

	(void)state;
	clear_environment();
	temporary_path(explicit_file, sizeof(explicit_file), "explicit.json");
	temporary_path(environment_file, sizeof(environment_file), "environment.json");
	temporary_path(xdg, sizeof(xdg), "xdg");
	temporary_path(xdg_file, sizeof(xdg_file), "xdg/entryguard/entryguard.json");
	temporary_path(home_file, sizeof(home_file), ".config/entryguard/entryguard.json");
	write_text(explicit_file, "{}");
	write_text(environment_file, "{}");
	assert_int_equal(mkdir(xdg, 0700), 0);
	assert_int_equal(
	    mkdir(temporary_path(directory, sizeof(directory), "xdg/entryguard"), 0700), 0);
	write_text(xdg_file, "{}");
	assert_int_equal(mkdir(temporary_path(directory, sizeof(directory), ".config"), 0700), 0);
	assert_int_equal(
	    mkdir(temporary_path(directory, sizeof(directory), ".config/entryguard"), 0700), 0);
	write_text(home_file, "{}");

	/* Nothing set: only the system file can be found. */
	expect_located(NULL, true, fallback);
	expect_located(NULL, false, fallback);
	/* HOME gives ~/.config when XDG_CONFIG_HOME is unset or relative. */
	setenv("HOME", temporary_root, 1);
	expect_located(NULL, true, home_file);
	expect_located(NULL, false, fallback);
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	expect_located(NULL, true, home_file);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	expect_located(NULL, true, xdg_file);
	expect_located(NULL, false, fallback);
	/* A missing rootless file falls through to the next candidate. */
	setenv("XDG_CONFIG_HOME", "/nonexistent-eg-dir", 1);
	expect_located(NULL, true, fallback);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	/* ENTRYGUARD_CONFIG beats the rootless file; empty means unset. */
	setenv("ENTRYGUARD_CONFIG", "", 1);
	expect_located(NULL, true, xdg_file);
	setenv("ENTRYGUARD_CONFIG", environment_file, 1);
	expect_located(NULL, true, environment_file);
	expect_located(NULL, false, environment_file);
	/* The explicit path beats everything. */
	expect_located(explicit_file, true, explicit_file);

	/* Explicit and environment paths must exist: no silent fallback. */
	expect_locate_error("/nonexistent-eg.json",
	                    "/nonexistent-eg.json: No such file or directory");
	setenv("ENTRYGUARD_CONFIG", "/nonexistent-eg-env.json", 1);
	expect_locate_error(NULL, "/nonexistent-eg-env.json (from ENTRYGUARD_CONFIG): No such file "
	                          "or directory");
	snprintf(message, sizeof(message), "%s/explicit.json/x: No such file or directory",
	         temporary_root);
	strcat(explicit_file, "/x");
	expect_locate_error(explicit_file, message);

	clear_environment();
	assert_int_equal(unlink(home_file), 0);
	assert_int_equal(unlink(xdg_file), 0);
	assert_int_equal(unlink(environment_file), 0);
	assert_int_equal(rmdir(temporary_path(directory, sizeof(directory), ".config/entryguard")),
	                 0);
	assert_int_equal(rmdir(temporary_path(directory, sizeof(directory), ".config")), 0);
	assert_int_equal(rmdir(temporary_path(directory, sizeof(directory), "xdg/entryguard")), 0);
	assert_int_equal(rmdir(xdg), 0);
	explicit_file[strlen(explicit_file) - 2] = '\0';
	assert_int_equal(unlink(explicit_file), 0);
}

static void test_mode_names(void **state)
{
	static const char *const names[] = {"off", "detect", "block", "kill"};
	enum eg_mode mode = EG_MODE_KILL;

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(eg_mode_parse(names[i], &mode), 0);
		assert_int_equal(mode, i);
		assert_string_equal(eg_mode_name(mode), names[i]);
	}
	assert_int_equal(eg_mode_parse("Block", &mode), -EINVAL);
	assert_int_equal(eg_mode_parse("", &mode), -EINVAL);
	assert_int_equal(eg_mode_parse("block ", &mode), -EINVAL);
	assert_int_equal(mode, EG_MODE_KILL);
	assert_true(EG_MODE_OFF < EG_MODE_DETECT && EG_MODE_DETECT < EG_MODE_BLOCK &&
	            EG_MODE_BLOCK < EG_MODE_KILL);
	assert_string_equal(eg_lineage_name(EG_LINEAGE_CHILDREN), "children");
	assert_string_equal(eg_lineage_name(EG_LINEAGE_DESCENDANTS), "descendants");
	assert_string_equal(eg_annotation_policy_name(EG_ANNOTATION_RAISE), "raise");
	assert_string_equal(eg_monitor_lifetime_name(EG_LIFETIME_WINDOW), "window");
}

/* Written out, not computed: configured mode "block" and "detect", every
 * policy, every annotation.  'i' marks an annotation that was ignored. */
static const struct {
	enum eg_annotation_policy policy;
	enum eg_mode configured;
	const char *annotation;
	enum eg_mode expected;
	char ignored;
} mode_table[] = {
#define ROW(policy, configured, annotation, expected, ignored)                                \
	{                                                                                     \
		EG_ANNOTATION_##policy, EG_MODE_##configured, annotation, EG_MODE_##expected, \
		    ignored                                                                   \
	}
    ROW(NEVER, BLOCK, NULL, BLOCK, '-'),      ROW(NEVER, BLOCK, "off", BLOCK, 'i'),
    ROW(NEVER, BLOCK, "detect", BLOCK, 'i'),  ROW(NEVER, BLOCK, "block", BLOCK, 'i'),
    ROW(NEVER, BLOCK, "kill", BLOCK, 'i'),    ROW(NEVER, BLOCK, "bogus", BLOCK, 'i'),
    ROW(LOWER, BLOCK, NULL, BLOCK, '-'),      ROW(LOWER, BLOCK, "off", OFF, '-'),
    ROW(LOWER, BLOCK, "detect", DETECT, '-'), ROW(LOWER, BLOCK, "block", BLOCK, '-'),
    ROW(LOWER, BLOCK, "kill", BLOCK, 'i'),    ROW(RAISE, BLOCK, NULL, BLOCK, '-'),
    ROW(RAISE, BLOCK, "off", BLOCK, 'i'),     ROW(RAISE, BLOCK, "detect", BLOCK, 'i'),
    ROW(RAISE, BLOCK, "block", BLOCK, '-'),   ROW(RAISE, BLOCK, "kill", KILL, '-'),
    ROW(ANY, BLOCK, NULL, BLOCK, '-'),        ROW(ANY, BLOCK, "off", OFF, '-'),
    ROW(ANY, BLOCK, "detect", DETECT, '-'),   ROW(ANY, BLOCK, "block", BLOCK, '-'),
    ROW(ANY, BLOCK, "kill", KILL, '-'),       ROW(NEVER, DETECT, NULL, DETECT, '-'),
    ROW(NEVER, DETECT, "off", DETECT, 'i'),   ROW(NEVER, DETECT, "kill", DETECT, 'i'),
    ROW(LOWER, DETECT, "off", OFF, '-'),      ROW(LOWER, DETECT, "detect", DETECT, '-'),
    ROW(LOWER, DETECT, "block", DETECT, 'i'), ROW(LOWER, DETECT, "kill", DETECT, 'i'),
    ROW(RAISE, DETECT, "off", DETECT, 'i'),   ROW(RAISE, DETECT, "detect", DETECT, '-'),
    ROW(RAISE, DETECT, "block", BLOCK, '-'),  ROW(RAISE, DETECT, "kill", KILL, '-'),
    ROW(ANY, DETECT, "off", OFF, '-'),        ROW(ANY, DETECT, "kill", KILL, '-'),
    ROW(LOWER, OFF, "detect", OFF, 'i'),      ROW(LOWER, OFF, "off", OFF, '-'),
    ROW(RAISE, OFF, "detect", DETECT, '-'),   ROW(RAISE, KILL, "block", KILL, 'i'),
    ROW(LOWER, KILL, "off", OFF, '-'),        ROW(ANY, OFF, "kill", KILL, '-'),
#undef ROW
};

static void test_effective_mode_table(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;

	(void)state;
	assert_int_equal(eg_config_new_default(&config, NULL), 0);
	for (size_t i = 0; i < sizeof(mode_table) / sizeof(mode_table[0]); i++) {
		enum eg_mode mode = (enum eg_mode)99;
		bool ignored = true;
		struct eg_error err = {0};

		config->allow_annotation_mode = mode_table[i].policy;
		config->mode = mode_table[i].configured;
		if (eg_config_effective_mode(config, mode_table[i].annotation, &mode, &ignored,
		                             &err) < 0)
			fail_msg("row %zu: %s", i, err.message);
		if (mode != mode_table[i].expected || ignored != (mode_table[i].ignored == 'i'))
			fail_msg("row %zu: got %s%s", i, eg_mode_name(mode),
			         ignored ? " (ignored)" : "");
	}
}

static void test_effective_mode_malformed(void **state)
{
	static const char *const malformed[] = {"", "Block", "blocking", "none", " kill", "1"};
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;

	(void)state;
	assert_int_equal(eg_config_new_default(&config, NULL), 0);
	for (int policy = EG_ANNOTATION_LOWER; policy <= EG_ANNOTATION_ANY; policy++) {
		config->allow_annotation_mode = (enum eg_annotation_policy)policy;
		for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
			enum eg_mode mode = (enum eg_mode)99;
			bool ignored = false;
			struct eg_error err = {0};
			char expected[128];

			assert_int_equal(
			    eg_config_effective_mode(config, malformed[i], &mode, &ignored, &err),
			    -EINVAL);
			assert_int_equal(mode, 99);
			snprintf(
			    expected, sizeof(expected),
			    "annotation io.entryguard.mode: expected one of off, detect, block, "
			    "kill, got \"%s\"",
			    malformed[i]);
			assert_string_equal(err.message, expected);
		}
	}
	/* The annotation's text is the container's: kept on one line. */
	assert_int_equal(eg_config_effective_mode(config, "kill\nroot", &(enum eg_mode){0},
	                                          &(bool){false}, NULL),
	                 -EINVAL);
}

static int setup_temporary_root(void **state)
{
	(void)state;
	return mkdtemp(temporary_root) ? 0 : -1;
}

static int remove_temporary_root(void **state)
{
	(void)state;
	return rmdir(temporary_root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_are_the_seed),
	    cmocka_unit_test(test_empty_object_is_the_defaults),
	    cmocka_unit_test(test_packaged_file_is_the_defaults),
	    cmocka_unit_test(test_every_key_reads_back),
	    cmocka_unit_test(test_each_choice_reads_back),
	    cmocka_unit_test(test_bounds_accepted),
	    cmocka_unit_test(test_error_messages),
	    cmocka_unit_test(test_list_limits),
	    cmocka_unit_test(test_length_limits),
	    cmocka_unit_test(test_malformed_documents),
	    cmocka_unit_test(test_unknown_keys_everywhere),
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_locate_order),
	    cmocka_unit_test(test_mode_names),
	    cmocka_unit_test(test_effective_mode_table),
	    cmocka_unit_test(test_effective_mode_malformed),
	};

	return cmocka_run_group_tests(tests, setup_temporary_root, remove_temporary_root);
}
