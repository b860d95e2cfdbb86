/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The alerts file: opening it (modes, missing directories, symlinks),
 * appending one line per record in one write, short and failed writes, and
 * concurrent writers that never interleave.  The record itself is in
 * test_alert.c. */
#include "tests/alert_helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entryguard/alert.h"
#include "entryguard/cleanup.h"

#define WRITERS            4
#define RECORDS_PER_WRITER 200

/* A fresh directory under $TMPDIR for one test (its *state), removed by
 * the teardown even when the test fails. */
static int make_temporary_directory(void **state)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (asprintf(&path, "%s/test_alert.XXXXXX", base && *base ? base : "/tmp") < 0)
		return -1;
	if (!mkdtemp(path)) {
		free(path);
		return -1;
	}
	*state = path;
	return 0;
}

static void remove_tree(const char *path)
{
	DIR *directory = opendir(path);
	struct dirent *entry;

	if (!directory) {
		unlink(path);
		return;
	}
	while ((entry = readdir(directory))) {
		char child[4096];

		if (!strcmp(entry->d_name, ".") || !strcmp(entry->d_name, ".."))
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
		if (entry->d_type == DT_DIR)
			remove_tree(child);
		else
			unlink(child);
	}
	closedir(directory);
	rmdir(path);
}

static int remove_temporary_directory(void **state)
{
	remove_tree(*state);
	free(*state);
	*state = NULL;
	return 0;
}

/* Parses every line of text with check(tree, data); returns the count. */
static size_t for_each_line(char *text, void (*check)(yajl_val tree, void *data), void *data)
{
	size_t count = 0;

	for (char *line = text; *line;) {
		char *newline = strchr(line, '\n');
		char saved;
		yajl_val tree;

		assert_non_null(newline); /* every record ends its line */
		saved = newline[1];
		newline[1] = '\0';
		tree = parse_line(line, (size_t)(newline + 1 - line));
		newline[1] = saved;
		if (check)
			check(tree, data);
		yajl_tree_free(tree);
		count++;
		line = newline + 1;
	}
	return count;
}

static void test_write_appends_lines(void **state)
{
	const char *directory = *state;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	struct stat status;

	assert_true(asprintf(&path, "%s/alerts.ndjson", directory) > 0);
	if (eg_alert_open(path, &fd, &err) < 0)
		fail_msg("eg_alert_open: %s", err.message);
	assert_int_equal(eg_alert_write(fd, &alert, false, &err), 0);
	alert.process_pid = 124;
	assert_int_equal(eg_alert_write(fd, &alert, false, &err), 0);
	assert_int_equal(fstat(fd, &status), 0);
	assert_int_equal(status.st_mode & 07777, 0640);
	assert_true(fcntl(fd, F_GETFL) & O_APPEND);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);

	/* A second open appends too. */
	close(steal_fd(&fd));
	assert_int_equal(eg_alert_open(path, &fd, &err), 0);
	assert_int_equal(eg_alert_write(fd, &alert, false, &err), 0);

	text = read_whole_file(path);
	assert_int_equal(for_each_line(text, NULL, NULL), 3);
}

struct writer_tally {
	size_t records[WRITERS][RECORDS_PER_WRITER];
};

static void tally_record(yajl_val tree, void *data)
{
	struct writer_tally *tally = data;
	yajl_val args = at(tree, "process.args");
	long long writer, record;

	assert_true(YAJL_IS_ARRAY(args) && args->u.array.len == 3);
	writer = strtoll(string_of(args->u.array.values[0]), NULL, 10);
	record = strtoll(string_of(args->u.array.values[1]), NULL, 10);
	assert_in_range(writer, 0, WRITERS - 1);
	assert_in_range(record, 0, RECORDS_PER_WRITER - 1);
	tally->records[writer][record]++;
}

/* Runs in a forked child: only _exit() leaves it.  It starts writing when
 * the parent closes the start pipe, so that all writers overlap. */
static void write_records(const char *path, size_t writer, const char *padding, int start_fd)
{
	struct eg_error err = {0};
	struct eg_alert alert = full_alert();
	int fd = -1;
	char byte;

	if (eg_alert_open(path, &fd, &err) < 0)
		_exit(2);
	while (read(start_fd, &byte, 1) < 0 && errno == EINTR)
		;
	for (size_t record = 0; record < RECORDS_PER_WRITER; record++) {
		char writer_text[32], record_text[32];
		const char *args[] = {writer_text, record_text, padding, NULL};

		snprintf(writer_text, sizeof(writer_text), "%zu", writer);
		snprintf(record_text, sizeof(record_text), "%zu", record);
		alert.process_args = args;
		if (eg_alert_write(fd, &alert, false, &err) < 0)
			_exit(3);
	}
	close(fd);
	_exit(0);
}

static void test_concurrent_writers_never_interleave(void **state)
{
	const char *directory = *state;
	/* Records of ~4 KiB make a torn write likely if there were one. */
	_cleanup_free_ char *padding = repeated('p', 3500);
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ struct writer_tally *tally = calloc(1, sizeof(*tally));
	pid_t children[WRITERS];
	int start[2];

	assert_non_null(tally);
	assert_true(asprintf(&path, "%s/alerts.ndjson", directory) > 0);
	assert_int_equal(pipe2(start, O_CLOEXEC), 0);
	for (size_t writer = 0; writer < WRITERS; writer++) {
		children[writer] = fork();
		assert_true(children[writer] >= 0);
		if (children[writer] == 0) {
			close(start[1]);
			write_records(path, writer, padding, start[0]);
		}
	}
	close(start[0]);
	close(start[1]); /* every writer's read() returns 0: go */
	for (size_t writer = 0; writer < WRITERS; writer++) {
		int status = 0;

		assert_int_equal(waitpid(children[writer], &status, 0), children[writer]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	text = read_whole_file(path);
	assert_int_equal(for_each_line(text, tally_record, tally), WRITERS * RECORDS_PER_WRITER);
	for (size_t writer = 0; writer < WRITERS; writer++)
		for (size_t record = 0; record < RECORDS_PER_WRITER; record++)
			assert_int_equal(tally->records[writer][record], 1);
}

/* A SOCK_SEQPACKET socket keeps the boundary of every write(2): one record
 * must arrive as one message holding the whole line. */
static void test_one_write_per_record(void **state)
{
	_cleanup_free_ char *padding = repeated('p', 3000);
	_cleanup_free_ char *expected = NULL;
	_cleanup_free_ char *received = malloc(EG_ALERT_RECORD_MAX + 1);
	const char *args[] = {"a", padding, padding, padding, padding, NULL};
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	size_t expected_length = 0;
	ssize_t length;
	int sockets[2];

	(void)state;
	assert_non_null(received);
	alert.process_args = args;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets), 0);
	assert_int_equal(eg_alert_render(&alert, &expected, &expected_length, &err), 0);
	assert_int_equal(eg_alert_write(sockets[0], &alert, false, &err), 0);
	assert_int_equal(eg_alert_write(sockets[0], &alert, false, &err), 0);
	for (int i = 0; i < 2; i++) {
		length = recv(sockets[1], received, EG_ALERT_RECORD_MAX + 1, MSG_DONTWAIT);
		assert_int_equal(length, expected_length);
		assert_memory_equal(received, expected, expected_length);
	}
	assert_int_equal(recv(sockets[1], received, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(sockets[0]);
	close(sockets[1]);
}

/* A short write is an error, not a second write that could land after
 * another monitor's record. */
static void test_short_write_is_reported(void **state)
{
	_cleanup_free_ char *padding = repeated('p', 3000);
	const char *args[] = {padding, padding, padding, NULL};
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	char page[4096];
	int fds[2];

	(void)state;
	alert.process_args = args;
	assert_int_equal(pipe2(fds, O_CLOEXEC | O_NONBLOCK), 0);
	/* Fill the pipe, then free one page: a ~9 KiB record half fits. */
	memset(page, 'x', sizeof(page));
	while (write(fds[1], page, sizeof(page)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(read(fds[0], page, sizeof(page)), sizeof(page));
	assert_int_equal(eg_alert_write(fds[1], &alert, false, &err), -EIO);
	assert_non_null(strstr(err.message, "short write"));
	close(fds[0]);
	close(fds[1]);
}

static void test_open_creates_missing_directories(void **state)
{
	const char *directory = *state;
	_cleanup_free_ char *parent = NULL, *path = NULL;
	_cleanup_close_ int fd = -1;
	struct eg_error err = {0};
	struct stat status;

	assert_true(asprintf(&parent, "%s/state/entryguard", directory) > 0);
	assert_true(asprintf(&path, "%s/alerts.ndjson", parent) > 0);
	if (eg_alert_open(path, &fd, &err) < 0)
		fail_msg("eg_alert_open: %s", err.message);
	assert_int_equal(stat(parent, &status), 0);
	assert_true(S_ISDIR(status.st_mode));
	assert_int_equal(status.st_mode & 07777, 0750);
	assert_int_equal(stat(path, &status), 0);
	assert_true(S_ISREG(status.st_mode));
	assert_int_equal(status.st_mode & 07777, 0640);
}

static void test_open_refuses_symlink_and_non_files(void **state)
{
	const char *directory = *state;
	_cleanup_free_ char *link = NULL, *target = NULL;
	struct eg_error err = {0};
	int fd = -1;

	assert_true(asprintf(&link, "%s/alerts.ndjson", directory) > 0);
	assert_true(asprintf(&target, "%s/elsewhere", directory) > 0);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(eg_alert_open(link, &fd, &err), -ELOOP);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(err.message, "symlink"));
	assert_int_equal(access(target, F_OK), -1); /* nothing created there */

	assert_int_equal(eg_alert_open(directory, &fd, &err), -EISDIR);
	assert_int_equal(eg_alert_open("", &fd, &err), -EINVAL);
	assert_int_equal(fd, -1);
}

static void test_write_to_bad_fd_is_reported(void **state)
{
	struct eg_alert alert = full_alert();
	struct eg_error err = {0};
	int fds[2];

	(void)state;
	assert_int_equal(eg_alert_write(-1, &alert, false, &err), -EBADF);
	assert_non_null(strstr(err.message, "Bad file descriptor"));

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	eg_error_clear(&err);
	assert_int_equal(eg_alert_write(fds[1], &alert, false, &err), -EBADF);
	assert_non_null(strstr(err.message, "writing alert"));

	/* Read-only: write(2) fails with EBADF as well, and says so. */
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fds[0] >= 0);
	eg_error_clear(&err);
	assert_int_equal(eg_alert_write(fds[0], &alert, false, &err), -EBADF);
	assert_true(err.message[0] != '\0');
	close(fds[0]);
}

static int set_umask(void **state)
{
	(void)state;
	/* The modes asserted below are the ones asked for, under the usual
	 * umask. */
	umask(022);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_write_appends_lines, make_temporary_directory,
	                                    remove_temporary_directory),
	    cmocka_unit_test_setup_teardown(test_concurrent_writers_never_interleave,
	                                    make_temporary_directory, remove_temporary_directory),
	    cmocka_unit_test(test_one_write_per_record),
	    cmocka_unit_test(test_short_write_is_reported),
	    cmocka_unit_test_setup_teardown(test_open_creates_missing_directories,
	                                    make_temporary_directory, remove_temporary_directory),
	    cmocka_unit_test_setup_teardown(test_open_refuses_symlink_and_non_files,
	                                    make_temporary_directory, remove_temporary_directory),
	    cmocka_unit_test(test_write_to_bad_fd_is_reported),
	};

	return cmocka_run_group_tests(tests, set_umask, NULL);
}
