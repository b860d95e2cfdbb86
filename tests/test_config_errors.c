/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config's errors: every rule of the contract names its key and why
 * (one table row per rule), list and length limits, malformed documents,
 * and unknown keys at every level.  Every error leaves the output alone and
 * fits on one line. */
#include "tests/config_helpers.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/config.h"

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
    /* runtime */
    {"{\"runtime\": \"/usr/bin/crun\"}", "runtime: expected an object, got a string"},
    {"{\"runtime\": {\"pat\": \"/x\"}}", "runtime: unknown key \"pat\""},
    {"{\"runtime\": {\"path\": \"/a\", \"path\": \"/b\"}}", "runtime: duplicate key \"path\""},
    {"{\"runtime\": {\"path\": \"crun\"}}",
     "runtime.path: expected an absolute path, got \"crun\""},
    {"{\"runtime\": {\"path\": 1}}", "runtime.path: expected a string, got a number"},
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
	snprintf(json, sizeof(json), "{\"runtime\": {\"path\": \"/%0*d\"}}", PATH_MAX - 1, 0);
	expect_error(json, "runtime.path: longer than 4095 bytes");

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_messages),
	    cmocka_unit_test(test_list_limits),
	    cmocka_unit_test(test_length_limits),
	    cmocka_unit_test(test_malformed_documents),
	    cmocka_unit_test(test_unknown_keys_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
