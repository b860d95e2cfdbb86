/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config contract: defaults equal the seed, the packaged file equals the
 * defaults, every key and choice reads back, the mode names, and the
 * annotation policy table.  Errors are in test_config_errors.c, loading
 * files and the lookup order in test_config_files.c. */
#include "tests/config_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/config.h"

#define PACKAGED_CONFIG EG_FIXTURES_DIR "/../../packaging/entryguard.json"

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
	assert_same_string(a->runtime_path, b->runtime_path);
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
	assert_null(config->runtime_path);
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
	    "\"runtime\"",
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
	    " \"limits\": {\"max_processes\": 16, \"alerts_per_second\": 100000},"
	    " \"runtime\": {\"path\": \"/usr/bin/crun\"}}");
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
	assert_string_equal(config->runtime_path, "/usr/bin/crun");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_are_the_seed),
	    cmocka_unit_test(test_empty_object_is_the_defaults),
	    cmocka_unit_test(test_packaged_file_is_the_defaults),
	    cmocka_unit_test(test_every_key_reads_back),
	    cmocka_unit_test(test_each_choice_reads_back),
	    cmocka_unit_test(test_bounds_accepted),
	    cmocka_unit_test(test_mode_names),
	    cmocka_unit_test(test_effective_mode_table),
	    cmocka_unit_test(test_effective_mode_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
