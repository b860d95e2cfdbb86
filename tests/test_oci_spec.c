/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A bundle's config.json: the fields entryguard reads, and bad documents. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "entryguard/oci.h"
#include "tests/unit.h"

static const char full_spec[] =
    "{\"ociVersion\":\"1.0.2-dev\","
    "\"process\":{\"args\":[\"/entrypoint.sh\",\"--flag\"],\"cwd\":\"/\","
    "\"env\":[\"PATH=/bin\",\"SECRET=hunter2\",\"container=podman\"]},"
    "\"root\":{\"path\":\"/var/lib/c/rootfs\",\"readonly\":true},"
    "\"hostname\":\"web\",\"annotations\":{\"io.container.manager\":\"libpod\"},"
    "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":"
    "\"/run/netns/egsink\"},{\"type\":\"mount\",\"path\":\"\"}],"
    "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":["
    "\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],\"listenerPath\":\"/run/eg/l.sock\","
    "\"listenerMetadata\":\"m\",\"syscalls\":[{\"names\":[\"connect\"],\"action\":"
    "\"SCMP_ACT_NOTIFY\"}]}},\"unknown\":{\"deep\":[1,2,3]}}";

static int parse(const char *text, struct eg_oci_spec **ret, struct eg_error *err)
{
	return eg_oci_spec_parse("config.json", text, strlen(text), ret, err);
}

static void parses_every_field(void **state)
{
	_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
	struct eg_error err = {0};
	const struct eg_oci_namespace *network;

	(void)state;
	assert_int_equal(parse(full_spec, &spec, &err), 0);
	assert_string_equal(spec->oci_version, "1.0.2-dev");
	assert_int_equal(spec->args_count, 2);
	assert_string_equal(spec->args[0], "/entrypoint.sh");
	assert_string_equal(spec->args[1], "--flag");
	assert_null(spec->args[2]);
	assert_string_equal(spec->cwd, "/");
	assert_string_equal(spec->container_env, "podman");
	assert_string_equal(spec->hostname, "web");
	assert_string_equal(spec->root_path, "/var/lib/c/rootfs");
	assert_true(spec->root_readonly);
	assert_string_equal(eg_oci_annotation(spec->annotations, "io.container.manager"), "libpod");
	assert_int_equal(spec->namespaces_count, 3);
	network = eg_oci_spec_namespace(spec, "network");
	assert_non_null(network);
	assert_string_equal(network->path, "/run/netns/egsink");
	assert_null(eg_oci_spec_namespace(spec, "pid")->path);
	assert_null(eg_oci_spec_namespace(spec, "mount")->path); /* "" is a new namespace */
	assert_null(eg_oci_spec_namespace(spec, "user"));
	assert_true(spec->seccomp.present);
	assert_string_equal(spec->seccomp.default_action, "SCMP_ACT_ERRNO");
	assert_int_equal(spec->seccomp.architectures_count, 2);
	assert_int_equal(spec->seccomp.syscall_rules_count, 1);
	assert_string_equal(spec->seccomp.listener_path, "/run/eg/l.sock");
	assert_string_equal(spec->seccomp.listener_metadata, "m");
}

static void minimal_spec_has_empty_args(void **state)
{
	_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(parse("{\"ociVersion\":\"0.2.0\"}", &spec, &err), 0);
	assert_int_equal(spec->args_count, 0);
	assert_non_null(spec->args);
	assert_null(spec->args[0]);
	assert_false(spec->seccomp.present);
	assert_int_equal(spec->namespaces_count, 0);
	assert_null(spec->container_env);
}

static void refuses_bad_specs(void **state)
{
	static const char *const cases[][2] = {
	    {"\"text\"", "config.json: expected an object, got a string"},
	    {"{}", "config.json: ociVersion: missing"},
	    {"{\"ociVersion\":\"1\",\"process\":[]}",
	     "config.json: process: expected an object, got an array"},
	    {"{\"ociVersion\":\"1\",\"process\":{\"args\":[\"a\",null]}}",
	     "config.json: process.args[1]: expected a string, got null"},
	    {"{\"ociVersion\":\"1\",\"process\":{\"env\":[7]}}",
	     "config.json: process.env[0]: expected a string, got a number"},
	    {"{\"ociVersion\":\"1\",\"root\":{}}", "config.json: root.path: missing"},
	    {"{\"ociVersion\":\"1\",\"root\":{\"path\":\"/r\",\"readonly\":\"yes\"}}",
	     "config.json: root.readonly: expected a boolean, got a string"},
	    {"{\"ociVersion\":\"1\",\"linux\":{\"namespaces\":[\"pid\"]}}",
	     "config.json: linux.namespaces[0]: expected an object, got a string"},
	    {"{\"ociVersion\":\"1\",\"linux\":{\"namespaces\":[{\"path\":\"/p\"}]}}",
	     "config.json: linux.namespaces[0].type: missing"},
	    {"{\"ociVersion\":\"1\",\"linux\":{\"seccomp\":{}}}",
	     "config.json: linux.seccomp.defaultAction: missing"},
	    {"{\"ociVersion\":\"1\",\"linux\":{\"seccomp\":{\"defaultAction\":\"A\","
	     "\"listenerPath\":5}}}",
	     "config.json: linux.seccomp.listenerPath: expected a string, got a number"},
	    {"{\"ociVersion\":\"1\",\"annotations\":{\"a\":{}}}",
	     "config.json: annotations[\"a\"]: expected a string, got an object"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eg_oci_spec *spec = NULL;
		struct eg_error err = {0};

		assert_true(parse(cases[i][0], &spec, &err) < 0);
		assert_null(spec);
		assert_string_equal(err.message, cases[i][1]);
	}
}

static void too_many_namespaces_and_args(void **state)
{
	_cleanup_free_ char *text = malloc(200000);
	struct eg_oci_spec *spec = NULL;
	struct eg_error err = {0};
	size_t used;

	(void)state;
	used = (size_t)sprintf(text, "{\"ociVersion\":\"1\",\"linux\":{\"namespaces\":[");
	for (int i = 0; i < EG_OCI_NAMESPACES_MAX + 1; i++)
		used += (size_t)sprintf(text + used, "%s{\"type\":\"pid\"}", i ? "," : "");
	strcpy(text + used, "]}}");
	assert_int_equal(parse(text, &spec, &err), -E2BIG);
	assert_string_equal(err.message,
	                    "config.json: linux.namespaces: too many entries (17, at most 16)");
	used = (size_t)sprintf(text, "{\"ociVersion\":\"1\",\"process\":{\"args\":[");
	for (int i = 0; i < EG_OCI_ARGS_MAX + 1; i++)
		used += (size_t)sprintf(text + used, "%s\"a\"", i ? "," : "");
	strcpy(text + used, "]}}");
	assert_int_equal(parse(text, &spec, &err), -E2BIG);
	assert_string_equal(err.message,
	                    "config.json: process.args: too many entries (4097, at most 4096)");
}

static void load_reads_bundle_config(void **state)
{
	char bundle[] = "/tmp/eg-test-bundle-XXXXXX";
	char path[256];
	_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
	struct eg_error err = {0};
	FILE *file;

	(void)state;
	assert_non_null(mkdtemp(bundle));
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	assert_int_equal(eg_oci_spec_load(bundle, &spec, &err), -ENOENT);
	assert_non_null(strstr(err.message, "config.json: cannot open"));
	file = fopen(path, "we");
	assert_non_null(file);
	fputs(full_spec, file);
	fclose(file);
	assert_int_equal(eg_oci_spec_load(bundle, &spec, &err), 0);
	assert_string_equal(spec->hostname, "web");
	unlink(path);
	rmdir(bundle);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_every_field),
	    cmocka_unit_test(minimal_spec_has_empty_args),
	    cmocka_unit_test(refuses_bad_specs),
	    cmocka_unit_test(too_many_namespaces_and_args),
	    cmocka_unit_test(load_reads_bundle_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
