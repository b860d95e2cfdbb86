/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run directory, container.json and the engine's metadata. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "entryguard/container.h"
#include "entryguard/engine.h"
#include "entryguard/json.h"
#include "entryguard/rundir.h"
#include "tests/unit.h"

static char scratch[64];

static int make_scratch(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/eg-test-container-XXXXXX");
	return mkdtemp(scratch) ? 0 : -1;
}

static int remove_scratch(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf '%s'", scratch);
	return system(command) == 0 ? 0 : -1;
}

static void container_json_round_trip(void **state)
{
	_cleanup_(eg_container_freep) struct eg_container *back = NULL;
	_cleanup_free_ char *text = NULL;
	char arg0[] = "/entrypoint.sh", arg1[] = "--port", arg2[] = "80";
	char id[] = "abc", name[] = "web", runtime[] = "podman", bundle[] = "/b";
	char netns[] = "/run/netns/x", alerts[] = "/var/log/a.ndjson";
	char *args[] = {arg0, arg1, arg2, NULL};
	struct eg_container container = {
	    .id = id,
	    .name = name,
	    .runtime = runtime,
	    .bundle = bundle,
	    .init_pid = 4242,
	    .init_start_time = 123456789,
	    .netns_path = netns,
	    .args = args,
	    .mode = EG_MODE_BLOCK,
	    .alerts_path = alerts,
	    .hook_time_us = 1795837534000001,
	};
	struct eg_error err = {0};
	size_t length;

	(void)state;
	assert_int_equal(eg_container_to_json(&container, &text, &length, &err), 0);
	assert_int_equal(text[length - 1], '\n');
	assert_int_equal(eg_container_from_json("container.json", text, length, &back, &err), 0);
	assert_string_equal(back->id, "abc");
	assert_string_equal(back->name, "web");
	assert_null(back->image);
	assert_string_equal(back->runtime, "podman");
	assert_int_equal(back->init_pid, 4242);
	assert_int_equal(back->init_start_time, 123456789);
	assert_string_equal(back->netns_path, "/run/netns/x");
	assert_string_equal(back->args[2], "80");
	assert_null(back->args[3]);
	assert_int_equal(back->mode, EG_MODE_BLOCK);
	assert_null(back->config_path);
	assert_int_equal(back->hook_time_us, 1795837534000001);
}

static void container_json_errors(void **state)
{
	static const char *const cases[][2] = {
	    {"{}", "c.json: id: missing"},
	    {"{\"id\":\"a\",\"init_pid\":0,\"init_start_time\":1,\"mode\":\"detect\"}",
	     "c.json: init_pid: 0 is not a pid"},
	    {"{\"id\":\"a\",\"init_pid\":1,\"init_start_time\":1,\"mode\":\"loud\"}",
	     "c.json: mode: \"loud\" is not a mode"},
	    {"{\"id\":\"a\",\"init_pid\":1,\"init_start_time\":1,\"mode\":\"detect\",\"args\":[1]}",
	     "c.json: args[0]: expected a string, got a number"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eg_container *container = NULL;
		struct eg_error err = {0};

		assert_true(eg_container_from_json("c.json", cases[i][0], strlen(cases[i][0]),
		                                   &container, &err) < 0);
		assert_null(container);
		assert_string_equal(err.message, cases[i][1]);
	}
}

static void container_dir_lifecycle(void **state)
{
	_cleanup_free_ char *dir = NULL, *again = NULL;
	char run[128], path[192];
	struct eg_error err = {0};
	pid_t pid = 0;

	(void)state;
	snprintf(run, sizeof(run), "%s/run", scratch);
	assert_int_equal(eg_container_dir_create(run, "c1", &dir, &err), 0);
	assert_int_equal(eg_container_dir_create(run, "c1", &again, &err), -EEXIST);
	assert_int_equal(eg_write_file_atomic(dir, EG_CONTAINER_FILE, "{}\n", 3, &err), 0);
	/* No monitor.pid yet: not alive.  Our own pid is not a monitor's. */
	assert_int_equal(eg_monitor_pid_alive(dir, &pid), 0);
	assert_int_equal(eg_monitor_pid_write(dir, getpid(), 1, &err), 0);
	assert_int_equal(eg_monitor_pid_alive(dir, &pid), 0);
	assert_int_equal(pid, getpid());
	assert_int_equal(eg_container_dir_remove(dir), 0);
	snprintf(path, sizeof(path), "%s/c1", run);
	assert_int_equal(access(path, F_OK), -1);
}

static void run_dir_refuses_a_symlink(void **state)
{
	_cleanup_free_ char *dir = NULL;
	char link[128];
	struct eg_error err = {0};

	(void)state;
	snprintf(link, sizeof(link), "%s/link", scratch);
	assert_int_equal(symlink("/tmp", link), 0);
	assert_int_equal(eg_container_dir_create(link, "c1", &dir, &err), -EPERM);
	assert_non_null(strstr(err.message, "not a directory owned by"));
}

static void run_dir_follows_the_environment(void **state)
{
	_cleanup_free_ char *path = NULL;
	struct eg_error err = {0};

	(void)state;
	setenv("ENTRYGUARD_RUN_DIR", "/tmp/x/run", 1);
	assert_int_equal(eg_run_dir(&path, &err), 0);
	assert_string_equal(path, "/tmp/x/run");
	free(path);
	path = NULL;
	setenv("ENTRYGUARD_RUN_DIR", "relative", 1);
	assert_int_equal(eg_run_dir(&path, &err), -EINVAL);
	assert_string_equal(err.message,
	                    "ENTRYGUARD_RUN_DIR: \"relative\" is not an absolute path");
	unsetenv("ENTRYGUARD_RUN_DIR");
	if (!eg_is_rootless()) {
		assert_int_equal(eg_run_dir(&path, &err), 0);
		assert_string_equal(path, "/run/entryguard");
	}
}

static struct eg_oci_state *state_from(const char *text)
{
	struct eg_oci_state *state = NULL;
	struct eg_error err = {0};

	if (eg_oci_state_parse("state", text, strlen(text), &state, &err) < 0)
		fail_msg("%s", err.message);
	return state;
}

static void engine_metadata_from_podman_storage(void **state)
{
	_cleanup_(eg_oci_state_freep) struct eg_oci_state *oci_state = NULL;
	struct eg_engine_metadata metadata = {0};
	struct eg_error err = {0};
	char path[256], text[1024];
	FILE *file;

	(void)state;
	snprintf(path, sizeof(path), "%s/overlay-containers/c0ffee/userdata", scratch);
	snprintf(text, sizeof(text), "mkdir -p %s", path);
	assert_int_equal(system(text), 0);
	snprintf(path, sizeof(path), "%s/overlay-containers/containers.json", scratch);
	file = fopen(path, "we");
	assert_non_null(file);
	fputs("[{\"id\":\"other\",\"names\":[\"x\"]},{\"id\":\"c0ffee\",\"names\":[\"web\"],"
	      "\"metadata\":\"{\\\"image-name\\\":\\\"localhost/"
	      "app:1\\\",\\\"name\\\":\\\"web\\\"}\"}]",
	      file);
	fclose(file);
	snprintf(text, sizeof(text),
	         "{\"ociVersion\":\"1.0\",\"id\":\"c0ffee\",\"status\":\"created\",\"pid\":1,"
	         "\"bundle\":\"%s/overlay-containers/c0ffee/userdata\",\"annotations\":"
	         "{\"io.container.manager\":\"libpod\"}}",
	         scratch);
	oci_state = state_from(text);
	assert_int_equal(eg_engine_metadata_find(oci_state, NULL, "crun", &metadata, &err), 0);
	assert_string_equal(metadata.runtime, "podman");
	assert_string_equal(metadata.name, "web");
	assert_string_equal(metadata.image, "localhost/app:1");
	eg_engine_metadata_clear(&metadata);
}

static void engine_metadata_from_annotations_and_paths(void **state)
{
	struct eg_engine_metadata metadata = {0};
	struct eg_error err = {0};
	struct eg_oci_state *cri = state_from(
	    "{\"ociVersion\":\"1.0\",\"id\":\"c\",\"status\":\"created\",\"pid\":1,\"bundle\":"
	    "\"/run/containerd/io.containerd.runtime.v2.task/k8s.io/c\",\"annotations\":{"
	    "\"io.kubernetes.cri.container-name\":\"app\",\"io.kubernetes.cri.image-name\":"
	    "\"docker.io/library/nginx:1\",\"io.kubernetes.cri.container-type\":\"container\"}}");
	struct eg_oci_state *ctr = state_from(
	    "{\"ociVersion\":\"1.0\",\"id\":\"c\",\"status\":\"created\",\"pid\":1,\"bundle\":"
	    "\"/run/containerd/io.containerd.runtime.v2.task/default/c\"}");
	struct eg_oci_state *plain = state_from(
	    "{\"ociVersion\":\"1.0\",\"id\":\"c\",\"status\":\"created\",\"pid\":1,\"bundle\":"
	    "\"/tmp/bundle\"}");

	(void)state;
	assert_int_equal(eg_engine_metadata_find(cri, NULL, "runc", &metadata, &err), 0);
	assert_string_equal(metadata.name, "app");
	assert_string_equal(metadata.image, "docker.io/library/nginx:1");
	assert_string_equal(metadata.runtime, "containerd");
	eg_engine_metadata_clear(&metadata);
	assert_int_equal(eg_engine_metadata_find(ctr, NULL, "runc", &metadata, &err), 0);
	assert_null(metadata.name);
	assert_string_equal(metadata.runtime, "containerd");
	eg_engine_metadata_clear(&metadata);
	assert_int_equal(eg_engine_metadata_find(plain, NULL, "crun", &metadata, &err), 0);
	assert_null(metadata.name);
	assert_null(metadata.image);
	assert_string_equal(metadata.runtime, "crun");
	eg_engine_metadata_clear(&metadata);
	eg_oci_state_free(cri);
	eg_oci_state_free(ctr);
	eg_oci_state_free(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(container_json_round_trip),
	    cmocka_unit_test(container_json_errors),
	    cmocka_unit_test(container_dir_lifecycle),
	    cmocka_unit_test(run_dir_refuses_a_symlink),
	    cmocka_unit_test(run_dir_follows_the_environment),
	    cmocka_unit_test(engine_metadata_from_podman_storage),
	    cmocka_unit_test(engine_metadata_from_annotations_and_paths),
	};
	return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
