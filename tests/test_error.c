/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The error convention and cleanup helpers. */
#include <fcntl.h>
#include <string.h>

#include "entryguard/cleanup.h"
#include "entryguard/error.h"
#include "tests/unit.h"

static void set_returns_negative_code(void **state)
{
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(eg_error_set(&err, EINVAL, "window_ms: %s", "bad"), -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_string_equal(err.message, "window_ms: bad");
	/* A negative code is the same error, and 0 must never read as success. */
	assert_int_equal(eg_error_set(&err, -ENOENT, "x"), -ENOENT);
	assert_int_equal(eg_error_set(&err, 0, "x"), -EIO);
	assert_int_equal(eg_error_set(NULL, EPERM, "no error object"), -EPERM);
}

static void set_errno_appends_reason(void **state)
{
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(eg_error_set_errno(&err, ENOENT, "open %s", "/x"), -ENOENT);
	assert_string_equal(err.message, "open /x: No such file or directory");
}

static void prefix_adds_context(void **state)
{
	struct eg_error err = {0};
	int r;

	(void)state;
	r = eg_error_set(&err, EINVAL, "window_ms: expected a positive integer");
	r = eg_error_prefix(&err, r, "%s", "/etc/entryguard/entryguard.json");
	assert_int_equal(r, -EINVAL);
	assert_string_equal(
	    err.message, "/etc/entryguard/entryguard.json: window_ms: expected a positive integer");
	assert_int_equal(eg_error_prefix(NULL, -E2BIG, "ignored"), -E2BIG);
}

static void long_messages_are_cut_not_overflowed(void **state)
{
	struct eg_error err = {0};
	char long_text[2 * EG_ERROR_MESSAGE_MAX];

	(void)state;
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	eg_error_set(&err, EINVAL, "%s", long_text);
	assert_int_equal(strlen(err.message), EG_ERROR_MESSAGE_MAX - 1);
	eg_error_prefix(&err, -EINVAL, "%s", long_text);
	assert_int_equal(strlen(err.message), EG_ERROR_MESSAGE_MAX - 1);
	eg_error_set(&err, EINVAL, "short");
	eg_error_prefix(&err, -EINVAL, "%s", long_text);
	assert_int_equal(strlen(err.message), EG_ERROR_MESSAGE_MAX - 1);
}

static int closed_fd = -1;

static void cleanup_closes_and_steals(void **state)
{
	int kept;

	(void)state;
	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		closed_fd = fd;
	}
	assert_int_equal(fcntl(closed_fd, F_GETFD), -1);
	{
		_cleanup_close_ int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		kept = steal_fd(&fd);
		assert_int_equal(fd, -1);
	}
	assert_true(fcntl(kept, F_GETFD) >= 0);
	close(kept);
	{
		_cleanup_free_ char *text = strdup("owned");
		char *taken = steal_pointer(&text);
		assert_null(text);
		free(taken);
	}
}

static void cleanup_pid_kills_and_reaps(void **state)
{
	pid_t child_pid;

	(void)state;
	{
		_cleanup_pid_ pid_t child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			pause();
			_exit(0);
		}
		child_pid = child;
	}
	/* Reaped: no such child any more. */
	assert_int_equal(waitpid(child_pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(set_returns_negative_code),
	    cmocka_unit_test(set_errno_appends_reason),
	    cmocka_unit_test(prefix_adds_context),
	    cmocka_unit_test(long_messages_are_cut_not_overflowed),
	    cmocka_unit_test(cleanup_closes_and_steals),
	    cmocka_unit_test(cleanup_pid_kills_and_reaps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
