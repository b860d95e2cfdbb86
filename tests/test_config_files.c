/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config on disk: loading a file (errors begin with its path, the size
 * limit) and the lookup order (explicit path, ENTRYGUARD_CONFIG, the
 * rootless file under XDG_CONFIG_HOME or HOME, the system file), in a
 * temporary directory of the test's own. */
#include "tests/config_helpers.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eg-build.h"
#include "entryguard/config.h"

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
	    cmocka_unit_test(test_load_file),
	    cmocka_unit_test(test_locate_order),
	};

	return cmocka_run_group_tests(tests, setup_temporary_root, remove_temporary_root);
}
