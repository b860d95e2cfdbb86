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
 *
 * ADDR is an IPv4 or IPv6 literal; an IPv6 one may carry "%IFNAME".
 * Connection attempts always exit 0 once the syscall was made (refused,
 * unreachable and pending all count as attempts) and say what happened on
 * stderr; they exit 2 when the socket could not even be made.
 *
 * Run as "entryguard-monitor --container-dir DIR --ready-fd FD" (the hook's
 * command line, when the hook's ENTRYGUARD_MONITOR points here) it is a fake
 * monitor for the hook's tests: $EGPROBE_FAKE_MONITOR = "MODE:REPORT_FILE",
 * MODE one of ready, ready-stay (says ready, then lives 10 s more), error,
 * silent (never answers, exits after 10 s), exit (exits without a word).  It
 * writes what it inherited to REPORT_FILE: its pid, its session, whether it
 * leads it, its open fds.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_HOLD_MS  1500
#define BURST_HOLD_MS    1000
#define BURST_MAX        4096
/* How long a double-forked process waits to see itself re-parented. */
#define REPARENT_WAIT_MS 2000

static int64_t monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec delay = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&delay, &delay) < 0 && errno == EINTR)
		;
}

static long parse_number(const char *text, long low, long high, const char *what)
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

/* Fills *address from "ADDR" and PORT; returns its length, or 0. */
static socklen_t parse_address(const char *text, const char *port_text,
                               struct sockaddr_storage *address)
{
	uint16_t port = (uint16_t)parse_number(port_text, 0, 65535, "port");
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	char *scope;

	memset(address, 0, sizeof(*address));
	if (strlen(text) >= sizeof(host))
		return 0;
	strcpy(host, text);
	scope = strchr(host, '%');
	if (scope)
		*scope++ = '\0';
	if (!scope) {
		struct sockaddr_in *ipv4 = (struct sockaddr_in *)address;

		if (inet_pton(AF_INET, host, &ipv4->sin_addr) == 1) {
			ipv4->sin_family = AF_INET;
			ipv4->sin_port = htons(port);
			return sizeof(*ipv4);
		}
	}
	struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)address;

	if (inet_pton(AF_INET6, host, &ipv6->sin6_addr) != 1)
		return 0;
	ipv6->sin6_family = AF_INET6;
	ipv6->sin6_port = htons(port);
	if (scope) {
		ipv6->sin6_scope_id = if_nametoindex(scope);
		if (!ipv6->sin6_scope_id)
			return 0;
	}
	return sizeof(*ipv6);
}

enum attempt {
	ATTEMPT_TCP,
	ATTEMPT_UDP_CONNECT,
	ATTEMPT_UDP_SENDTO,
};

static const char *attempt_name(enum attempt attempt)
{
	switch (attempt) {
	case ATTEMPT_TCP:
		return "tcp";
	case ATTEMPT_UDP_CONNECT:
		return "udp";
	case ATTEMPT_UDP_SENDTO:
		return "udp-sendto";
	}
	return "?";
}

/* Polls a pending TCP connect until it resolves or the deadline passes. */
static const char *tcp_outcome(int fd, int64_t deadline)
{
	static char outcome[128];
	struct pollfd poll_fd = {.fd = fd, .events = POLLOUT};
	int64_t left = deadline - monotonic_ms();
	int error = 0;
	socklen_t length = sizeof(error);

	if (left < 0)
		left = 0;
	if (poll(&poll_fd, 1, (int)left) <= 0)
		return "still pending";
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
		error = errno;
	snprintf(outcome, sizeof(outcome), "%s", error ? strerror(error) : "connected");
	return outcome;
}

static int attempt_main(enum attempt attempt, int argc, char **argv)
{
	struct sockaddr_storage address;
	socklen_t length;
	long hold_ms;
	int64_t deadline;
	int fd, r;
	const char *outcome;

	if (argc < 2) {
		fprintf(stderr, "usage: egprobe %s ADDR PORT [HOLD_MS]\n", attempt_name(attempt));
		return 2;
	}
	length = parse_address(argv[0], argv[1], &address);
	if (!length) {
		fprintf(stderr, "egprobe: \"%s\" is not an IP address\n", argv[0]);
		return 2;
	}
	hold_ms = argc > 2 ? parse_number(argv[2], 0, 600000, "hold ms") : DEFAULT_HOLD_MS;
	deadline = monotonic_ms() + hold_ms;
	fd = socket(
	    address.ss_family,
	    (attempt == ATTEMPT_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		fprintf(stderr, "egprobe: socket: %s\n", strerror(errno));
		return 2;
	}
	/* The attempt's wall-clock time, for measuring attempt-to-alert delay
	 * against the alert's @timestamp. */
	{
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		fprintf(stderr, "egprobe[%d]: attempt at %lld us\n", (int)getpid(),
		        (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
	}
	if (attempt == ATTEMPT_UDP_SENDTO) {
		r = (int)sendto(fd, "x", 1, 0, (struct sockaddr *)&address, length);
		outcome = r < 0 ? strerror(errno) : "sent";
	} else {
		r = connect(fd, (struct sockaddr *)&address, length);
		if (r < 0 && errno == EINPROGRESS)
			outcome = tcp_outcome(fd, deadline);
		else if (r < 0)
			outcome = strerror(errno);
		else if (attempt == ATTEMPT_UDP_CONNECT)
			outcome = send(fd, "x", 1, 0) < 0 ? strerror(errno) : "sent";
		else
			outcome = "connected";
	}
	fprintf(stderr, "egprobe[%d]: %s %s port %s: %s\n", (int)getpid(), attempt_name(attempt),
	        argv[0], argv[1], outcome);
	/* Keep the socket for the rest of the hold, whatever happened. */
	if (deadline > monotonic_ms())
		sleep_ms((long)(deadline - monotonic_ms()));
	close(fd);
	return 0;
}

/* Many attempts at once, for the monitor's rate limit and memory bounds:
 * every socket is made and connected before the first one is closed, so a
 * sock_diag dump sees them all at the same time. */
static int burst_main(int argc, char **argv)
{
	struct sockaddr_storage address;
	socklen_t length;
	long count, port, hold_ms, made = 0, pending = 0, connected = 0, failed = 0;
	int64_t deadline;
	int first_error = 0, status = 0;
	int *fds;

	if (argc < 3) {
		fprintf(stderr, "usage: egprobe burst N ADDR PORT [HOLD_MS]\n");
		return 2;
	}
	count = parse_number(argv[0], 1, BURST_MAX, "burst size");
	port = parse_number(argv[2], 1, 65535, "port");
	if (port + count - 1 > 65535) {
		fprintf(stderr, "egprobe: burst: ports %ld..%ld go past 65535\n", port,
		        port + count - 1);
		return 2;
	}
	length = parse_address(argv[1], argv[2], &address);
	if (!length) {
		fprintf(stderr, "egprobe: \"%s\" is not an IP address\n", argv[1]);
		return 2;
	}
	hold_ms = argc > 3 ? parse_number(argv[3], 0, 600000, "hold ms") : BURST_HOLD_MS;
	fds = calloc((size_t)count, sizeof(*fds));
	if (!fds) {
		fprintf(stderr, "egprobe: burst: out of memory\n");
		return 2;
	}
	{
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		fprintf(stderr, "egprobe[%d]: burst starts at %lld us\n", (int)getpid(),
		        (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
	}
	deadline = monotonic_ms() + hold_ms;
	for (made = 0; made < count; made++) {
		uint16_t this_port = htons((uint16_t)(port + made));
		int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

		if (fd < 0) {
			fprintf(stderr, "egprobe: burst: socket %ld of %ld: %s\n", made + 1, count,
			        strerror(errno));
			status = 2;
			break;
		}
		fds[made] = fd;
		if (address.ss_family == AF_INET)
			((struct sockaddr_in *)&address)->sin_port = this_port;
		else
			((struct sockaddr_in6 *)&address)->sin6_port = this_port;
		if (connect(fd, (struct sockaddr *)&address, length) == 0)
			connected++;
		else if (errno == EINPROGRESS)
			pending++;
		else {
			failed++;
			if (!first_error)
				first_error = errno;
		}
	}
	fprintf(stderr,
	        "egprobe[%d]: burst tcp %s ports %ld..%ld: %ld attempts, %ld pending, %ld "
	        "connected, %ld failed%s%s\n",
	        (int)getpid(), argv[1], port, port + count - 1, made, pending, connected, failed,
	        first_error ? ": " : "", first_error ? strerror(first_error) : "");
	/* Keep every socket for the rest of the hold, whatever happened. */
	if (deadline > monotonic_ms())
		sleep_ms((long)(deadline - monotonic_ms()));
	for (long i = 0; i < made; i++)
		close(fds[i]);
	free(fds);
	return status;
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
	fprintf(stderr, "usage: egprobe tcp|udp|udp-sendto ADDR PORT [HOLD_MS]\n"
	                "       egprobe burst N ADDR PORT [HOLD_MS]\n"
	                "       egprobe sleep-then MS CMD...\n"
	                "       egprobe spawn CMD...\n"
	                "       egprobe double-fork CMD...\n"
	                "       egprobe pid\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *command = argc > 1 ? argv[1] : "";

	if (!strcmp(command, "--container-dir"))
		return fake_monitor_main(argc, argv);
	if (!strcmp(command, "tcp"))
		return attempt_main(ATTEMPT_TCP, argc - 2, argv + 2);
	if (!strcmp(command, "udp"))
		return attempt_main(ATTEMPT_UDP_CONNECT, argc - 2, argv + 2);
	if (!strcmp(command, "udp-sendto"))
		return attempt_main(ATTEMPT_UDP_SENDTO, argc - 2, argv + 2);
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
	return usage();
}
