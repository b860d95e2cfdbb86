/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hook_timer: stands where the runtime execs entryguard-hook (bench/run puts
 * it in a hooks.d entry) and measures the hook's wall time from the moment
 * it is exec'd to its exit: CLOCK_MONOTONIC just before vfork + execv of
 * the real hook, again once waitpid() returns.  stdin (the OCI state),
 * stdout and stderr are inherited unchanged, so the hook sees exactly what
 * the runtime gave it.  Appends "<ms>\n" to $EG_HOOK_TIMER_OUT with one
 * write(2) on an O_APPEND fd (concurrent hooks never interleave), and exits
 * with the hook's status.
 *
 *   hook_timer /path/to/entryguard-hook ARGS...
 *
 * Linked statically so its own start costs as little as possible; what it
 * adds (one vfork) is outside the interval it measures.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	const char *out = getenv("EG_HOOK_TIMER_OUT");
	char line[64];
	double started;
	int status, fd, length;
	pid_t child;

	if (argc < 2) {
		fprintf(stderr, "usage: hook_timer HOOK [ARGS...]\n");
		return 2;
	}
	started = now_ms();
	child = vfork();
	if (child < 0) {
		fprintf(stderr, "hook_timer: vfork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0) {
		execv(argv[1], argv + 1);
		_exit(127);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	length = snprintf(line, sizeof(line), "%.3f\n", now_ms() - started);
	if (out && *out) {
		fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
		if (fd >= 0) {
			if (write(fd, line, (size_t)length) != length)
				fprintf(stderr, "hook_timer: cannot write %s\n", out);
			close(fd);
		}
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
