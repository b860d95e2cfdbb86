/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container process state a runtime sends to a seccomp listener. */
#include <string.h>

#include "entryguard/oci.h"
#include "tests/unit.h"

static int parse(const char *text, size_t fds, struct eg_oci_listener_message **ret,
                 struct eg_error *err)
{
	return eg_oci_listener_message_parse("listener message", text, strlen(text), fds, ret, err);
}

static void parses_runc_message(void **state)
{
	_cleanup_(eg_oci_listener_message_freep) struct eg_oci_listener_message *message = NULL;
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(parse("{\"ociVersion\":\"1.0.2\",\"fds\":[\"seccompFd\"],\"pid\":4422,"
	                       "\"metadata\":\"MKNOD=/dev/null\",\"state\":{\"ociVersion\":"
	                       "\"1.0.2\",\"id\":\"abc\",\"status\":\"creating\",\"pid\":4422,"
	                       "\"bundle\":\"/run/b\",\"annotations\":{\"k\":\"v\"}}}",
	                       1, &message, &err),
	                 0);
	assert_string_equal(message->oci_version, "1.0.2");
	assert_int_equal(message->fds_count, 1);
	assert_string_equal(message->fd_names[0], "seccompFd");
	assert_null(message->fd_names[1]);
	assert_int_equal(message->seccomp_fd_index, 0);
	assert_int_equal(message->pid, 4422);
	assert_string_equal(message->metadata, "MKNOD=/dev/null");
	assert_string_equal(message->state.id, "abc");
	assert_int_equal(message->state.pid, 4422);
	assert_string_equal(eg_oci_annotation(message->state.annotations, "k"), "v");
}

static void finds_seccomp_fd_among_others(void **state)
{
	_cleanup_(eg_oci_listener_message_freep) struct eg_oci_listener_message *message = NULL;
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(parse("{\"ociVersion\":\"1.2.0\",\"fds\":[\"pidFd\",\"seccompFd\"],"
	                       "\"state\":{\"ociVersion\":\"1.2.0\",\"id\":\"c\",\"status\":"
	                       "\"creating\",\"bundle\":\"/b\"}}",
	                       2, &message, &err),
	                 0);
	assert_int_equal(message->seccomp_fd_index, 1);
	assert_int_equal(message->pid, 0);
	assert_null(message->metadata);
}

static void refuses_bad_messages(void **state)
{
	static const struct {
		const char *text;
		size_t fds;
		const char *message;
	} cases[] = {
	    {"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"state\":{\"ociVersion\":\"1\","
	     "\"id\":\"c\",\"status\":\"s\",\"bundle\":\"/b\"}}",
	     2, "listener message: fds: names 1 fds but 2 arrived"},
	    {"{\"ociVersion\":\"1\",\"state\":{}}", 1, "listener message: fds: missing"},
	    {"{\"ociVersion\":\"1\",\"fds\":[3],\"state\":{}}", 1,
	     "listener message: fds[0]: expected a string, got a number"},
	    {"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"]}", 1,
	     "listener message: state: missing"},
	    {"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"state\":{\"ociVersion\":\"1\","
	     "\"id\":\"c/d\",\"status\":\"s\",\"bundle\":\"/b\"}}",
	     1,
	     "listener message: state.id: \"c/d\" is not a valid container id (1-255 "
	     "characters of A-Z a-z 0-9 _ . -)"},
	    {"{\"ociVersion\":\"1\",\"fds\":[\"seccompFd\"],\"pid\":-5,\"state\":{}}", 1,
	     "listener message: pid: -5 is not a valid pid"},
	    {"{\"ociVersion\":\"1\",\"fds\":[\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\","
	     "\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\",\"a\"],\"state\":{}}",
	     17, "listener message: fds: too many entries (17, at most 16)"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eg_oci_listener_message *message = NULL;
		struct eg_error err = {0};

		assert_true(parse(cases[i].text, cases[i].fds, &message, &err) < 0);
		assert_null(message);
		assert_string_equal(err.message, cases[i].message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_runc_message),
	    cmocka_unit_test(finds_seccomp_fd_among_others),
	    cmocka_unit_test(refuses_bad_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
