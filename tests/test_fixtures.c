/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every fixture captured from a real runtime on this machine kind
 * (tests/fixtures/capture.sh) parses, and says what that runtime really sent:
 * hook states, the bundle's config.json, and the seccomp listener message.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/json.h"
#include "entryguard/oci.h"
#include "tests/unit.h"

static const char *const real_sources[] = {
    "runc", "crun", "podman-crun", "podman-runc", "podman-rootless", "containerd",
};

static char *read_fixture(const char *source, const char *name, size_t *ret_length)
{
	char path[512];
	char *buffer = NULL;
	struct eg_error err = {0};

	snprintf(path, sizeof(path), "%s/%s/%s", EG_FIXTURES_DIR, source, name);
	if (eg_read_file_bounded(path, EG_JSON_MAX_BYTES, &buffer, ret_length, &err) < 0)
		fail_msg("%s", err.message);
	return buffer;
}

static void check_state(const char *source, const char *name)
{
	_cleanup_(eg_oci_state_freep) struct eg_oci_state *state = NULL;
	struct eg_error err = {0};
	size_t length;
	_cleanup_free_ char *buffer = read_fixture(source, name, &length);

	if (eg_oci_state_parse(name, buffer, length, &state, &err) < 0)
		fail_msg("%s/%s: %s", source, name, err.message);
	assert_true(eg_oci_id_is_valid(state->id));
	assert_true(state->bundle[0] == '/');
	/* A hook before the container's process exists may see no pid; the
	 * createRuntime and prestart hooks always run with the init created.
	 * runc (and so containerd's shim) says "creating" there, crun "created". */
	if (strstr(name, "createRuntime") || strstr(name, "prestart")) {
		bool runc_based = !strcmp(source, "runc") || !strcmp(source, "podman-runc") ||
		                  !strcmp(source, "containerd");
		assert_true(state->pid > 0);
		assert_string_equal(state->status, runc_based ? "creating" : "created");
	}
	if (strstr(name, "poststop"))
		assert_string_equal(state->status, "stopped");
}

static void check_spec(const char *source)
{
	_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
	struct eg_error err = {0};
	size_t length;
	_cleanup_free_ char *buffer = read_fixture(source, "config.json", &length);

	if (eg_oci_spec_parse("config.json", buffer, length, &spec, &err) < 0)
		fail_msg("%s/config.json: %s", source, err.message);
	assert_true(spec->args_count > 0);
	assert_non_null(spec->root_path);
	/* Every runtime here gives the container a network namespace of its
	 * own: the monitor must be able to find it in the spec. */
	assert_non_null(eg_oci_spec_namespace(spec, "network"));
	assert_non_null(eg_oci_spec_namespace(spec, "pid"));
	if (!strncmp(source, "podman", 6))
		assert_string_equal(spec->container_env, "podman");
}

static size_t fds_received(const char *source)
{
	size_t length;
	_cleanup_free_ char *text = read_fixture(source, "listener-message.fds.txt", &length);
	const char *line = strstr(text, "fds_received=");

	assert_non_null(line);
	return strtoul(line + strlen("fds_received="), NULL, 10);
}

static void check_listener_message(const char *source)
{
	_cleanup_(eg_oci_listener_message_freep) struct eg_oci_listener_message *message = NULL;
	struct eg_error err = {0};
	size_t length;
	_cleanup_free_ char *buffer = read_fixture(source, "listener-message.json", &length);

	if (eg_oci_listener_message_parse("listener-message.json", buffer, length,
	                                  fds_received(source), &message, &err) < 0)
		fail_msg("%s/listener-message.json: %s", source, err.message);
	assert_true(message->seccomp_fd_index >= 0);
	assert_true(message->pid > 0);
	assert_true(eg_oci_id_is_valid(message->state.id));
}

static bool exists(const char *source, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/%s", EG_FIXTURES_DIR, source, name);
	return access(path, R_OK) == 0;
}

static void each_state(const char *source, size_t *ret_count)
{
	char path[512];
	DIR *directory;
	struct dirent *entry;

	snprintf(path, sizeof(path), "%s/%s", EG_FIXTURES_DIR, source);
	directory = opendir(path);
	if (!directory)
		fail_msg("%s: missing fixture folder", path);
	while ((entry = readdir(directory)))
		if (!fnmatch("state-*.json", entry->d_name, 0)) {
			check_state(source, entry->d_name);
			(*ret_count)++;
		}
	closedir(directory);
}

static void real_runtime_fixtures_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(real_sources) / sizeof(real_sources[0]); i++) {
		size_t states = 0;

		each_state(real_sources[i], &states);
		assert_true(states >= 2); /* createRuntime and prestart at least */
		check_spec(real_sources[i]);
		if (!exists(real_sources[i], "listener-message.json"))
			fail_msg("%s: no listener-message.json captured", real_sources[i]);
		check_listener_message(real_sources[i]);
	}
}

static void synthetic_variants_parse(void **state)
{
	size_t states = 0;

	(void)state;
	each_state("synthetic", &states);
	assert_true(states >= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(real_runtime_fixtures_parse),
	    cmocka_unit_test(synthetic_variants_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
