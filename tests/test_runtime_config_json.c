/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hook entry entryguard-runtime adds to config.json (once, whatever
 * stage already holds one), and writing config.json back atomically with
 * its mode and owner. */
#include "tests/runtime_helpers.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entryguard/json.h"
#include "entryguard/json_write.h"
#include "entryguard/oci.h"
#include "oci/runtime/runtime.h"

#define HOOK_PATH "/usr/libexec/entryguard/entryguard-hook"

static const char *const fixtures[] = {
    "runc/config.json",
    "crun/config.json",
    "podman-crun/config.json",
    "podman-runc/config.json",
    "podman-rootless/config.json",
    "containerd/config.json",
    "containerd/config-pre-injection.json",
};

static yajl_val parse(const char *text)
{
	struct eg_error err = {0};
	yajl_val tree = NULL;

	if (eg_json_parse("test", text, strlen(text), &tree, &err) < 0)
		fail_msg("%s", err.message);
	return tree;
}

static char *write_text(yajl_val tree)
{
	char *text = NULL;
	size_t length;

	assert_int_equal(eg_json_write(tree, EG_JSON_MAX_BYTES, &text, &length, NULL), 0);
	return text;
}

static size_t stage_length(yajl_val config, const char *stage)
{
	yajl_val list = eg_json_member(eg_json_member(config, "hooks"), stage);

	return list ? list->u.array.len : 0;
}

static void adds_the_hook_once_to_every_fixture(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		_cleanup_free_ char *text = fixture_text(fixtures[i]), *edited = NULL,
		                    *again = NULL;
		_cleanup_json_ yajl_val config = parse(text);
		_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
		size_t before = stage_length(config, "createRuntime");
		bool added = false;
		yajl_val hook;

		assert_int_equal(eg_config_json_add_hook(config, HOOK_PATH, NULL, &added, NULL), 0);
		assert_true(added);
		assert_int_equal(stage_length(config, "createRuntime"), before + 1);
		hook = eg_json_member(eg_json_member(config, "hooks"), "createRuntime")
		           ->u.array.values[before];
		edited = write_text(hook);
		assert_string_equal(edited,
		                    "{\"path\":\"" HOOK_PATH "\",\"args\":[\"entryguard-hook\","
		                    "\"createRuntime\"]}");
		free(edited);
		edited = write_text(config);
		assert_int_equal(eg_oci_spec_parse("edited", edited, strlen(edited), &spec, NULL),
		                 0);
		/* A second run finds it: nothing added. */
		assert_int_equal(eg_config_json_add_hook(config, HOOK_PATH, NULL, &added, NULL), 0);
		assert_false(added);
		again = write_text(config);
		assert_string_equal(edited, again);
	}
}

static void an_existing_hook_counts_in_any_stage(void **state)
{
	static const char *const configs[] = {
	    "{\"hooks\":{\"prestart\":[{\"path\":\"/opt/eg/entryguard-hook\"}]}}",
	    "{\"hooks\":{\"createRuntime\":[{\"path\":\"/x\"},{\"path\":\"entryguard-hook\"}]}}",
	    "{\"hooks\":{\"poststop\":[{\"path\":\"/usr/libexec/entryguard-hook\"}]}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		_cleanup_json_ yajl_val config = parse(configs[i]);
		_cleanup_free_ char *text = NULL;
		bool added = true;

		assert_int_equal(eg_config_json_add_hook(config, HOOK_PATH, NULL, &added, NULL), 0);
		assert_false(added);
		text = write_text(config);
		assert_string_equal(text, configs[i]);
	}
}

static void makes_hooks_and_passes_env(void **state)
{
	static const char *const configs[] = {"{}", "{\"hooks\":null}", "{\"hooks\":{}}",
	                                      "{\"hooks\":{\"createRuntime\":null}}"};
	const char *const env[] = {"ENTRYGUARD_RUN_DIR=/run/eg", "HOME=/root", NULL};

	(void)state;
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		_cleanup_json_ yajl_val config = parse(configs[i]);
		_cleanup_free_ char *text = NULL;
		bool added = false;

		assert_int_equal(eg_config_json_add_hook(config, "/h", env, &added, NULL), 0);
		assert_true(added);
		text = write_text(config);
		assert_string_equal(text,
		                    "{\"hooks\":{\"createRuntime\":[{\"path\":\"/h\",\"args\":["
		                    "\"entryguard-hook\",\"createRuntime\"],\"env\":["
		                    "\"ENTRYGUARD_RUN_DIR=/run/eg\",\"HOME=/root\"]}]}}");
	}
}

static void refuses_malformed_hooks(void **state)
{
	static const char *const cases[][2] = {
	    {"[]", "expected an object, got an array"},
	    {"{\"hooks\":[]}", "hooks: expected an object, got an array"},
	    {"{\"hooks\":{\"prestart\":{}}}", "hooks.prestart: expected an array, got an object"},
	    {"{\"hooks\":{\"prestart\":[1]}}",
	     "hooks.prestart[0]: expected an object, got a number"},
	    {"{\"hooks\":{\"prestart\":[{\"args\":[]}]}}", "hooks.prestart[0].path: missing"},
	    {"{\"hooks\":{\"prestart\":[{\"path\":3}]}}",
	     "hooks.prestart[0].path: expected a string, got a number"},
	    {"{\"hooks\":{\"prestart\":[],\"prestart\":[]}}", "hooks: duplicate key \"prestart\""},
	    {"{\"hooks\":{\"createRuntime\":\"x\"}}",
	     "hooks.createRuntime: expected an array, got a string"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_json_ yajl_val config = parse(cases[i][0]);
		struct eg_error err = {0};
		bool added = false;

		assert_true(eg_config_json_add_hook(config, HOOK_PATH, NULL, &added, &err) < 0);
		assert_false(added);
		if (strcmp(err.message, cases[i][1]))
			fail_msg("case %zu: \"%s\", expected \"%s\"", i, err.message, cases[i][1]);
	}
}

static size_t count_entries(const char *dir)
{
	DIR *stream = opendir(dir);
	struct dirent *entry;
	size_t count = 0;

	assert_non_null(stream);
	while ((entry = readdir(stream)))
		count += entry->d_name[0] != '.' || strlen(entry->d_name) > 2;
	closedir(stream);
	return count;
}

static void replaces_atomically_keeping_mode_and_owner(void **state)
{
	_cleanup_free_ char *dir = scratch_new();
	_cleanup_free_ char *path = path_join(dir, "config.json"), *text = NULL;
	_cleanup_free_ char *missing = path_join(dir, "nothing/config.json");
	struct eg_error err = {0};
	struct stat status;

	(void)state;
	write_file(path, "{\"old\":true}", 0640);
	if (geteuid() == 0)
		assert_int_equal(chown(path, 4321, 4322), 0);
	assert_int_equal(eg_config_json_replace(path, "{\"new\":1}", 9, &err), 0);
	text = read_text(path);
	assert_string_equal(text, "{\"new\":1}");
	assert_int_equal(stat(path, &status), 0);
	assert_int_equal(status.st_mode & 07777, 0640);
	if (geteuid() == 0) {
		assert_int_equal(status.st_uid, 4321);
		assert_int_equal(status.st_gid, 4322);
	}
	assert_int_equal(count_entries(dir), 1); /* no temporary file left */
	assert_int_equal(eg_config_json_replace(missing, "{}", 2, &err), -ENOENT);
	assert_non_null(strstr(err.message, "nothing/config.json"));
	remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(adds_the_hook_once_to_every_fixture),
	    cmocka_unit_test(an_existing_hook_counts_in_any_stage),
	    cmocka_unit_test(makes_hooks_and_passes_env),
	    cmocka_unit_test(refuses_malformed_hooks),
	    cmocka_unit_test(replaces_atomically_keeping_mode_and_owner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
