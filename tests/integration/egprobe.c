/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * egprobe: the integration tests' helper inside the test image, linked
 * statically so the image needs nothing but busybox and this file.  It
 * makes exactly the connection attempts and process shapes the scenarios
 * need, which busybox's applets cannot (IPv6 with a scope, UDP sendto
 * without connect, holding a socket open for a known time, re-parenting).
 *
 *   egprobe tcp ADDR PORT [HOLD_MS]         non-blocking connect(); keeps the
 *                                           socket HOLD_MS (default 1500) so a
 *                                           sock_diag dump can see it
 *   egprobe udp ADDR PORT [HOLD_MS]         connect() + send() of one byte
 *   egprobe udp-sendto ADDR PORT [HOLD_MS]  sendto() on an unconnected socket
 *   egprobe udp-sendmsg ADDR PORT [HOLD_MS] sendmsg() with msg_name, unconnected
 *   egprobe udp-sendmmsg ADDR PORT [HOLD_MS] sendmmsg() of one message with
 *                                           msg_name, unconnected
 *   egprobe sc-tcp|sc-udp|sc-udp-sendto|sc-udp-sendmsg|sc-udp-sendmmsg ...
 *                                           the same through socketcall(2)
 *                                           (the 32-bit build only)
 *   egprobe sys-tcp|sys-udp-sendto ...      the same through the direct
 *                                           syscall (connect(2), sendto(2))
 *   egprobe loopback [libc|sc]              allowed calls work: a listener and
 *                                           a receiver on 127.0.0.1 in this
 *                                           process; a blocking and a
 *                                           non-blocking connect() with data
 *                                           both ways, UDP sendto(), sendmsg()
 *                                           (two iovecs), sendmmsg() (two
 *                                           messages) with their payloads
 *                                           received; exit 1 when any failed
 *   egprobe race COUNT MAX_MS [ADDR]        the time-of-check/time-of-use race:
 *                                           a thread flips a sockaddr_in between
 *                                           127.0.0.1 and ADDR (default 1.1.1.1)
 *                                           at a listener's port while this
 *                                           thread connect()s with it, COUNT
 *                                           times or for MAX_MS; every call let
 *                                           through must complete to 127.0.0.1
 *                                           within 300 ms; exit 3 when one went
 *                                           elsewhere (in the sinkhole a connect
 *                                           to ADDR never completes)
 *   egprobe storm MS                        blocking connect()s to a loopback
 *                                           listener for MS ms: connects/s
 *   egprobe burst N ADDR PORT [HOLD_MS]     N non-blocking TCP connect()s at
 *                                           once, to PORT, PORT+1, ...,
 *                                           PORT+N-1; keeps them all HOLD_MS
 *                                           (default 1000), then closes them
 *   egprobe sleep-then MS CMD...            sleeps, then execs CMD (same pid)
 *   egprobe spawn CMD...                    fork + exec CMD as a child, waits
 *   egprobe double-fork CMD...              forks a child that forks CMD's
 *                                           process and exits at once, so CMD
 *                                           is re-parented (to the container's
 *                                           init); CMD runs once that happened
 *   egprobe pid                             prints its pid and its parent's
 *   egprobe tcp-blocking ADDR PORT [HOLD_MS] a BLOCKING connect() (the others
 *                                           are non-blocking), SO_SNDTIMEO
 *                                           HOLD_MS: in the sinkhole it returns
 *                                           EINPROGRESS after HOLD_MS
 *   egprobe thread ATTEMPT ADDR PORT [HOLD_MS] the attempt (tcp, udp, ...) made
 *                                           by a second thread, not the main one
 *   (these two are in egprobe_shapes.c)
 *
 * ADDR is an IPv4 or IPv6 literal; an IPv6 one may carry "%IFNAME".
 * Connection attempts always exit 0 once the syscall was made (refused,
 * unreachable, denied and pending all count as attempts) and say what
 * happened on stderr, an error with its errno name ("Operation not permitted
 * [EPERM]"); they exit 2 when the socket could not even be made.  Each
 * prints "attempt at <us>" (CLOCK_REALTIME) just before the syscall.
 *
 * The same source builds as a 32-bit (i386) static program (gcc -m32
 * -static), whose sc-* commands use socketcall(2) as old 32-bit programs do.
 *
 * Run as "entryguard-monitor --container-dir DIR --ready-fd FD" (the hook's
 * command line, when the hook's ENTRYGUARD_MONITOR points here) it is a fake
 * monitor for the hook's tests: $EGPROBE_FAKE_MONITOR = "MODE:REPORT_FILE",
 * MODE one of ready, ready-stay (says ready, then lives 10 s more), error,
 * silent (never answers, exits after 10 s), exit (exits without a word).  It
 * writes what it inherited to REPORT_FILE: its pid, its session, whether it
 * leads it, its open fds.
 */
#include "egprobe.h"

int64_t monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
	struct timespec delay = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&delay, &delay) < 0 && errno == EINTR)
		;
}

long parse_number(const char *text, long low, long high, const char *what)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno || end == text || *end || value < low || value > high) {
		fprintf(stderr, "egprobe: %s: \"%s\" is not a number in %ld..%ld\n", what, text,
		        low, high);
		exit(2);
	}
	return value;
}

static int exec_command(char **argv)
{
	execv(argv[0], argv);
	fprintf(stderr, "egprobe: exec %s: %s\n", argv[0], strerror(errno));
	return 127;
}

static int sleep_then_main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: egprobe sleep-then MS CMD...\n");
		return 2;
	}
	sleep_ms(parse_number(argv[0], 0, 600000, "sleep ms"));
	return exec_command(argv + 1);
}

static int wait_child(pid_t child)
{
	int status;

	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int spawn_main(int argc, char **argv)
{
	pid_t child;

	if (argc < 1) {
		fprintf(stderr, "usage: egprobe spawn CMD...\n");
		return 2;
	}
	child = fork();
	if (child < 0) {
		fprintf(stderr, "egprobe: fork: %s\n", strerror(errno));
		return 1;
	}
	if (child == 0)
		_exit(exec_command(argv));
	return wait_child(child);
}

static int double_fork_main(int argc, char **argv)
{
	pid_t middle;

	if (argc < 1) {
		fprintf(stderr, "usage: egprobe double-fork CMD...\n");
		return 2;
	}
	middle = fork();
	if (middle < 0) {
		fprintf(stderr, "egprobe: fork: %s\n", strerror(errno));
		return 1;
	}
	if (middle == 0) {
		pid_t middle_pid = getpid(), last;
		int64_t deadline;

		last = fork();
		if (last < 0)
			_exit(1);
		if (last > 0)
			_exit(0);
		/* The last process: wait until the middle one is gone and we
		 * belong to whoever adopts orphans here. */
		deadline = monotonic_ms() + REPARENT_WAIT_MS;
		while (getppid() == middle_pid && monotonic_ms() < deadline)
			sleep_ms(5);
		fprintf(stderr, "egprobe[%d]: double-fork: parent was %d, now %d\n", (int)getpid(),
		        (int)middle_pid, (int)getppid());
		_exit(exec_command(argv));
	}
	return wait_child(middle);
}

/* The fake monitor: see the top of the file. */
static int fake_monitor_main(int argc, char **argv)
{
	const char *setting = getenv("EGPROBE_FAKE_MONITOR");
	char mode[32], report_path[PATH_MAX];
	const char *colon;
	FILE *report;
	DIR *fds;
	struct dirent *entry;
	int ready_fd = -1;

	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], "--ready-fd"))
			ready_fd = (int)parse_number(argv[i + 1], 0, 65535, "--ready-fd");
	if (!setting || !(colon = strchr(setting, ':')) ||
	    (size_t)(colon - setting) >= sizeof(mode))
		return 2;
	snprintf(mode, sizeof(mode), "%.*s", (int)(colon - setting), setting);
	snprintf(report_path, sizeof(report_path), "%s", colon + 1);
	report = fopen(report_path, "we");
	if (report) {
		fprintf(report, "argv:");
		for (int i = 0; i < argc; i++)
			fprintf(report, " %s", argv[i]);
		fprintf(report, "\npid=%d\nsid=%d\nsession_leader=%s\nready_fd=%d\n", (int)getpid(),
		        (int)getsid(0), getsid(0) == getpid() ? "yes" : "no", ready_fd);
		fds = opendir("/proc/self/fd");
		while (fds && (entry = readdir(fds))) {
			char target[PATH_MAX];
			ssize_t got;

			if (entry->d_name[0] == '.' || atoi(entry->d_name) == dirfd(fds) ||
			    atoi(entry->d_name) == fileno(report))
				continue;
			got = readlinkat(dirfd(fds), entry->d_name, target, sizeof(target) - 1);
			target[got < 0 ? 0 : got] = '\0';
			fprintf(report, "fd %s -> %s\n", entry->d_name, target);
		}
		if (fds)
			closedir(fds);
		fclose(report);
	}
	if (!strcmp(mode, "ready"))
		return dprintf(ready_fd, "ready\n") < 0;
	if (!strcmp(mode, "ready-stay")) {
		if (dprintf(ready_fd, "ready\n") < 0)
			return 1;
		close(ready_fd);
		sleep_ms(10000);
		return 0;
	}
	if (!strcmp(mode, "error"))
		return dprintf(ready_fd, "error: simulated failure from the fake monitor\n") < 0;
	if (!strcmp(mode, "silent")) {
		sleep_ms(10000);
		return 0;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: egprobe [sc-|sys-]tcp|udp|udp-sendto|udp-sendmsg|udp-sendmmsg "
	                "ADDR PORT [HOLD_MS]\n"
	                "       egprobe loopback [libc|sc|sys]\n"
	                "       egprobe race COUNT MAX_MS [ADDR]\n"
	                "       egprobe storm MS\n"
	                "       egprobe burst N ADDR PORT [HOLD_MS]\n"
	                "       egprobe sleep-then MS CMD...\n"
	                "       egprobe spawn CMD...\n"
	                "       egprobe double-fork CMD...\n"
	                "       egprobe pid\n"
	                "       egprobe tcp-blocking ADDR PORT [HOLD_MS]\n"
	                "       egprobe thread tcp|udp|udp-sendto|udp-sendmsg|udp-sendmmsg "
	                "ADDR PORT [HOLD_MS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *command = argc > 1 ? argv[1] : "";

	if (!strcmp(command, "--container-dir"))
		return fake_monitor_main(argc, argv);
	{
		enum route route = ROUTE_LIBC;
		const char *name = command;

		if (!strncmp(name, "sc-", 3)) {
			route = ROUTE_SOCKETCALL;
			name += 3;
		} else if (!strncmp(name, "sys-", 4)) {
			route = ROUTE_DIRECT;
			name += 4;
		}
		for (enum attempt attempt = ATTEMPT_TCP; attempt <= ATTEMPT_UDP_SENDMMSG; attempt++)
			if (!strcmp(name, attempt_name(attempt))) {
#if !defined(__i386__)
				if (route == ROUTE_SOCKETCALL) {
					fprintf(stderr,
					        "egprobe: %s: socketcall(2) is for the 32-bit "
					        "build only\n",
					        command);
					return 2;
				}
#endif
				return attempt_main(attempt, route, argc - 2, argv + 2);
			}
	}
	if (!strcmp(command, "loopback"))
		return loopback_main(argc - 2, argv + 2);
	if (!strcmp(command, "race"))
		return race_main(argc - 2, argv + 2);
	if (!strcmp(command, "storm"))
		return storm_main(argc - 2, argv + 2);
	if (!strcmp(command, "burst"))
		return burst_main(argc - 2, argv + 2);
	if (!strcmp(command, "sleep-then"))
		return sleep_then_main(argc - 2, argv + 2);
	if (!strcmp(command, "spawn"))
		return spawn_main(argc - 2, argv + 2);
	if (!strcmp(command, "double-fork"))
		return double_fork_main(argc - 2, argv + 2);
	if (!strcmp(command, "pid")) {
		printf("%d %d\n", (int)getpid(), (int)getppid());
		return 0;
	}
	if (shapes_main) {
		int status = shapes_main(command, argc - 2, argv + 2);

		if (status >= 0)
			return status;
	}
	return usage();
}
