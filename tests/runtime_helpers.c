/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tests/runtime_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "entryguard/json.h"

char *scratch_new(void)
{
	char *path = strdup("/tmp/eg-runtime-test-XXXXXX");

	assert_non_null(path);
	assert_non_null(mkdtemp(path));
	return path;
}

static int remove_entry(const char *path, const struct stat *status, int flag, struct FTW *ftw)
{
	(void)status;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *path_join(const char *dir, const char *name)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	return path;
}

void write_file(const char *path, const char *text, mode_t mode)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t length = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, length), (ssize_t)length);
	assert_int_equal(fchmod(fd, mode), 0);
}

char *read_text(const char *path)
{
	char *text = NULL;
	size_t length;

	if (eg_read_file_bounded(path, 16u * 1024u * 1024u, &text, &length, NULL) < 0)
		return NULL;
	return text;
}

char *fixture_text(const char *name)
{
	_cleanup_free_ char *path = path_join(EG_FIXTURES_DIR, name);
	char *text = read_text(path);

	assert_non_null(text);
	return text;
}

static char *read_all(int fd)
{
	char *text = NULL;
	size_t length;

	assert_int_equal(eg_read_fd_bounded(fd, 1024u * 1024u, &text, &length, NULL), 0);
	return text;
}

struct run_result run_wrapper(const char *const *argv, const char *const *env, const char *cwd)
{
	struct run_result result = {0};
	_cleanup_close_ int out_fd = -1, err_fd = -1;
	pid_t child;

	out_fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	err_fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	assert_true(out_fd >= 0 && err_fd >= 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		const char *environment[32] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
		size_t count = 1;

		for (size_t i = 0; env && env[i] && count < 31; i++) {
			if (!strncmp(env[i], "PATH=", 5))
				environment[0] = env[i]; /* getenv() finds the first */
			else
				environment[count++] = env[i];
		}
		environment[count] = NULL;
		if ((cwd && chdir(cwd) < 0) || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
			_exit(125);
		execve(EG_RUNTIME_BINARY, (char *const *)argv, (char *const *)environment);
		_exit(124);
	}
	result.pid = child;
	while (waitpid(child, &result.status, 0) < 0)
		assert_int_equal(errno, EINTR);
	lseek(out_fd, 0, SEEK_SET);
	lseek(err_fd, 0, SEEK_SET);
	result.out = read_all(out_fd);
	result.err = read_all(err_fd);
	return result;
}

void run_result_free(struct run_result *result)
{
	free(result->out);
	free(result->err);
}

int exit_code(const struct run_result *result)
{
	if (!WIFEXITED(result->status))
		fail_msg("the wrapper did not exit (status %#x); stderr: %s", result->status,
		         result->err);
	return WEXITSTATUS(result->status);
}
