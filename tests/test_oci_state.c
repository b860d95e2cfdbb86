/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The OCI state on a hook's stdin: every ociVersion spelling, missing or zero
 * pids, unknown keys, and hostile values. */
#include <stdio.h>
#include <string.h>

#include "entryguard/oci.h"
#include "tests/unit.h"

static int parse(const char *text, struct eg_oci_state **ret, struct eg_error *err)
{
	return eg_oci_state_parse("state on stdin", text, strlen(text), ret, err);
}

static void parses_runc_state(void **state)
{
	_cleanup_(eg_oci_state_freep) struct eg_oci_state *oci_state = NULL;
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(parse("{\"ociVersion\":\"1.0.2-dev\",\"id\":\"web-1\",\"status\":"
	                       "\"created\",\"pid\":4242,\"bundle\":\"/run/b\",\"annotations\":"
	                       "{\"io.entryguard.mode\":\"block\"}}",
	                       &oci_state, &err),
	                 0);
	assert_string_equal(oci_state->oci_version, "1.0.2-dev");
	assert_string_equal(oci_state->id, "web-1");
	assert_string_equal(oci_state->status, "created");
	assert_int_equal(oci_state->pid, 4242);
	assert_string_equal(oci_state->bundle, "/run/b");
	assert_string_equal(eg_oci_annotation(oci_state->annotations, "io.entryguard.mode"),
	                    "block");
	assert_null(eg_oci_annotation(oci_state->annotations, "absent"));
}

static void accepts_every_version_and_unknown_keys(void **state)
{
	static const char *const versions[] = {"1.0", "1.0.2-dev", "0.2.0", "1.2.0", "1.1.0+dev"};
	(void)state;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		_cleanup_(eg_oci_state_freep) struct eg_oci_state *oci_state = NULL;
		struct eg_error err = {0};
		char text[512];

		snprintf(text, sizeof(text),
		         "{\"ociVersion\":\"%s\",\"id\":\"c\",\"status\":\"creating\","
		         "\"bundle\":\"/b\",\"root\":\"/run/crun\",\"future\":{\"x\":[1]}}",
		         versions[i]);
		assert_int_equal(parse(text, &oci_state, &err), 0);
		assert_string_equal(oci_state->oci_version, versions[i]);
		assert_int_equal(oci_state->pid, 0); /* missing pid */
		assert_null(oci_state->annotations);
	}
}

static void zero_pid_is_accepted(void **state)
{
	_cleanup_(eg_oci_state_freep) struct eg_oci_state *oci_state = NULL;
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(parse("{\"ociVersion\":\"1.0\",\"id\":\"c\",\"status\":\"creating\","
	                       "\"pid\":0,\"bundle\":\"/b\"}",
	                       &oci_state, &err),
	                 0);
	assert_int_equal(oci_state->pid, 0);
}

struct bad_case {
	const char *text;
	const char *message;
};

static void refuses_bad_states_with_one_clear_line(void **state)
{
	static const struct bad_case cases[] = {
	    {"[]", "state on stdin: state: expected an object, got an array"},
	    {"{\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\"}",
	     "state on stdin: ociVersion: missing"},
	    {"{\"ociVersion\":1,\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\"}",
	     "state on stdin: ociVersion: expected a string, got a number"},
	    {"{\"ociVersion\":\"1\",\"status\":\"s\",\"bundle\":\"/b\"}",
	     "state on stdin: id: missing"},
	    {"{\"ociVersion\":\"1\",\"id\":\"../../etc\",\"status\":\"s\",\"bundle\":\"/b\"}",
	     "state on stdin: id: \"../../etc\" is not a valid container id (1-255 characters "
	     "of A-Z a-z 0-9 _ . -)"},
	    {"{\"ociVersion\":\"1\",\"id\":\"..\",\"status\":\"s\",\"bundle\":\"/b\"}",
	     "state on stdin: id: \"..\" is not a valid container id (1-255 characters of A-Z "
	     "a-z 0-9 _ . -)"},
	    {"{\"ociVersion\":\"1\",\"id\":\"\",\"status\":\"s\",\"bundle\":\"/b\"}",
	     "state on stdin: id: \"\" is not a valid container id (1-255 characters of A-Z "
	     "a-z 0-9 _ . -)"},
	    {"{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"rel\"}",
	     "state on stdin: bundle: \"rel\" is not an absolute path"},
	    {"{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\",\"pid\":-1}",
	     "state on stdin: pid: -1 is not a valid pid"},
	    {"{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\",\"pid\":"
	     "4294967296}",
	     "state on stdin: pid: 4294967296 is not a valid pid"},
	    {"{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\",\"pid\":1.5}",
	     "state on stdin: pid: expected an integer, got a number"},
	    {"{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\","
	     "\"annotations\":{\"k\":1}}",
	     "state on stdin: annotations[\"k\"]: expected a string, got a number"},
	    {"{\"ociVersion\":\"1\",\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\","
	     "\"annotations\":[]}",
	     "state on stdin: annotations: expected an object, got an array"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eg_oci_state *oci_state = NULL;
		struct eg_error err = {0};

		assert_true(parse(cases[i].text, &oci_state, &err) < 0);
		assert_null(oci_state);
		assert_string_equal(err.message, cases[i].message);
	}
}

static void container_id_rules(void **state)
{
	char long_id[EG_OCI_ID_MAX + 2];

	(void)state;
	assert_true(eg_oci_id_is_valid("3f2a9c1e0b7d"));
	assert_true(eg_oci_id_is_valid("web_1.test-2"));
	assert_false(eg_oci_id_is_valid("a/b"));
	assert_false(eg_oci_id_is_valid("a b"));
	assert_false(eg_oci_id_is_valid("."));
	assert_false(eg_oci_id_is_valid("\xc3\xa9"));
	memset(long_id, 'a', sizeof(long_id));
	long_id[EG_OCI_ID_MAX] = '\0';
	assert_true(eg_oci_id_is_valid(long_id));
	long_id[EG_OCI_ID_MAX] = 'a';
	long_id[EG_OCI_ID_MAX + 1] = '\0';
	assert_false(eg_oci_id_is_valid(long_id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_runc_state),
	    cmocka_unit_test(accepts_every_version_and_unknown_keys),
	    cmocka_unit_test(zero_pid_is_accepted),
	    cmocka_unit_test(refuses_bad_states_with_one_clear_line),
	    cmocka_unit_test(container_id_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
