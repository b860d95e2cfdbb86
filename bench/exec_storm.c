/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * exec_storm: the host's exec storm for bench/run (a monitor's CPU per 1,000
 * host execs): posix_spawn()s PROGRAM COUNT times, one after the other,
 * waiting for each, and prints "<count> execs in <ms> ms".
 *
 *   exec_storm COUNT [PROGRAM]     (default /bin/true)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv)
{
	const char *program = argc > 2 ? argv[2] : "/bin/true";
	char *child_argv[] = {(char *)program, NULL};
	struct timespec start, end;
	long count, done = 0;
	int status;
	pid_t pid;

	if (argc < 2 || (count = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: exec_storm COUNT [PROGRAM]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; i < count; i++) {
		int r = posix_spawn(&pid, program, NULL, NULL, child_argv, environ);

		if (r != 0) {
			fprintf(stderr, "exec_storm: %s: %s\n", program, strerror(r));
			return 1;
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				return 1;
		done++;
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	printf("%ld execs in %.1f ms\n", done,
	       (double)(end.tv_sec - start.tv_sec) * 1e3 +
	           (double)(end.tv_nsec - start.tv_nsec) / 1e6);
	return 0;
}
