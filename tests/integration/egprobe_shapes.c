/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * egprobe's extra attempt shapes for the scenario corpus (tests/scenarios/):
 *
 *   tcp-blocking ADDR PORT [HOLD_MS]   a blocking TCP connect() whose wait is
 *                                      bounded by SO_SNDTIMEO (HOLD_MS, default
 *                                      1500): the calling thread sleeps in the
 *                                      kernel in SYN-SENT, and the call returns
 *                                      EINPROGRESS when the time is up
 *   thread ATTEMPT ADDR PORT [HOLD_MS] ATTEMPT (tcp, udp, udp-sendto,
 *                                      udp-sendmsg, udp-sendmmsg) made by a
 *                                      second thread while the main thread
 *                                      waits for it: the kernel reports the
 *                                      thread's id, not the process's
 *
 * Output as the other attempts: "attempt at <us>", then
 * "egprobe[PID]: KIND ADDR port PORT: OUTCOME".
 */
#include "egprobe.h"

static int tcp_blocking_main(int argc, char **argv)
{
	struct sockaddr_storage address;
	struct timespec now;
	struct timeval timeout;
	socklen_t length;
	long hold_ms;
	const char *outcome;
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: egprobe tcp-blocking ADDR PORT [HOLD_MS]\n");
		return 2;
	}
	length = parse_address(argv[0], argv[1], &address);
	if (!length) {
		fprintf(stderr, "egprobe: \"%s\" is not an IP address\n", argv[0]);
		return 2;
	}
	/* SO_SNDTIMEO 0 would mean "wait forever": at least 1 ms. */
	hold_ms = argc > 2 ? parse_number(argv[2], 1, 600000, "hold ms") : DEFAULT_HOLD_MS;
	fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "egprobe: socket: %s\n", describe_errno(errno));
		return 2;
	}
	timeout.tv_sec = hold_ms / 1000;
	timeout.tv_usec = (hold_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) < 0) {
		fprintf(stderr, "egprobe: SO_SNDTIMEO: %s\n", describe_errno(errno));
		close(fd);
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	fprintf(stderr, "egprobe[%d]: attempt at %lld us\n", (int)getpid(),
	        (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000);
	if (connect(fd, (struct sockaddr *)&address, length) == 0)
		outcome = "connected";
	else if (errno == EINPROGRESS)
		outcome = "timed out pending [EINPROGRESS]";
	else
		outcome = describe_errno(errno);
	fprintf(stderr, "egprobe[%d]: tcp-blocking %s port %s: %s\n", (int)getpid(), argv[0],
	        argv[1], outcome);
	close(fd);
	return 0;
}

struct thread_attempt {
	enum attempt attempt;
	int argc;
	char **argv;
	int status;
};

static void *attempt_thread(void *data)
{
	struct thread_attempt *work = data;

	fprintf(stderr, "egprobe[%d]: thread %ld makes the attempt\n", (int)getpid(),
	        (long)syscall(SYS_gettid));
	work->status = attempt_main(work->attempt, ROUTE_LIBC, work->argc, work->argv);
	return NULL;
}

static int thread_main(int argc, char **argv)
{
	struct thread_attempt work = {.argc = argc - 1, .argv = argv + 1, .status = 2};
	pthread_t thread;
	bool known = false;

	if (argc < 1) {
		fprintf(stderr, "usage: egprobe thread ATTEMPT ADDR PORT [HOLD_MS]\n");
		return 2;
	}
	for (enum attempt attempt = ATTEMPT_TCP; attempt <= ATTEMPT_UDP_SENDMMSG; attempt++)
		if (!strcmp(argv[0], attempt_name(attempt))) {
			work.attempt = attempt;
			known = true;
		}
	if (!known) {
		fprintf(stderr, "egprobe: thread: \"%s\" is not an attempt\n", argv[0]);
		return 2;
	}
	if (pthread_create(&thread, NULL, attempt_thread, &work) != 0) {
		fprintf(stderr, "egprobe: thread: pthread_create failed\n");
		return 2;
	}
	pthread_join(thread, NULL);
	return work.status;
}

int shapes_main(const char *command, int argc, char **argv)
{
	if (!strcmp(command, "tcp-blocking"))
		return tcp_blocking_main(argc, argv);
	if (!strcmp(command, "thread"))
		return thread_main(argc, argv);
	return -1;
}
