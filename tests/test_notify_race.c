/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The race DESIGN.md forbids: one thread flips a sockaddr between
 * 127.0.0.1 and a public address while another calls connect() with it,
 * thousands of times.  Allowed calls are performed on the monitor's copy,
 * so the kernel never reads the flipped bytes again: not once may a
 * connection to the public address be made.
 *
 * The observable, in the target's sinkhole namespace: every connect() that
 * the monitor let through (0 or EINPROGRESS) must complete to 127.0.0.1
 * within a moment.  One that went to the public address can never complete
 * (the sinkhole answers nothing) and is found still in SYN-SENT; its
 * destination is then read from /proc/net/tcp to be sure.  The same target
 * served by a naive supervisor (check the sockaddr, then CONTINUE) shows the
 * race is real and that the observable sees it.
 */
#include "test_notify_helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PUBLIC_V4        "1.1.1.1"
#define ITERATIONS       4000
#define NAIVE_ITERATIONS 4000
/* A loopback connect completes in microseconds; one still connecting after
 * this went somewhere else. */
#define SETTLE_MS        300

enum result {
	RESULT_ITERATIONS,
	RESULT_DENIED,
	RESULT_LOOPBACK,
	RESULT_PUBLIC, /* a connection attempt reached the public address */
	RESULT_OTHER,
	RESULT_LAST_ERRNO,
	RESULT_FLIPS,
};

struct race_settings {
	int iterations;
	bool stop_at_first; /* the naive run only needs to show the race once */
};

struct race {
	struct sockaddr_in address; /* flipped in place */
	_Atomic bool stop;
	uint16_t port;
	int listener;
};

static void *flip(void *argument)
{
	struct race *race = argument;
	volatile uint32_t *word = (volatile uint32_t *)&race->address.sin_addr.s_addr;
	uint32_t loopback = htonl(INADDR_LOOPBACK), public_address = inet_addr(PUBLIC_V4);
	long flips = 0;

	/* Each value stays for a few hundred cycles, so that the reads of
	 * both the monitor and the kernel find either one often. */
	while (!atomic_load_explicit(&race->stop, memory_order_relaxed)) {
		*word = public_address;
		for (volatile int spin = 0; spin < 64; spin++)
			;
		*word = loopback;
		for (volatile int spin = 0; spin < 64; spin++)
			;
		flips++;
	}
	return (void *)flips;
}

static void *accept_all(void *argument)
{
	struct race *race = argument;

	for (;;) {
		int fd = accept4(race->listener, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return NULL;
		close(fd);
	}
}

/* /proc/net/tcp of the target's namespace: a socket in SYN-SENT (02) to
 * the public address on the race's port. */
static bool syn_sent_to_public(uint16_t port)
{
	char line[512], wanted[32];
	FILE *file = fopen("/proc/self/net/tcp", "re");
	bool found = false;

	if (!file)
		return false;
	snprintf(wanted, sizeof(wanted), "%08X:%04X 02", inet_addr(PUBLIC_V4), port);
	while (fgets(line, sizeof(line), file))
		if (strstr(line, wanted))
			found = true;
	fclose(file);
	return found;
}

static void one_attempt(struct race *race, struct shared *shared)
{
	int fd = target_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
	struct pollfd poll_fd = {.fd = fd, .events = POLLOUT};
	struct sockaddr_in peer;
	socklen_t length = sizeof(peer);
	int r;

	r = connect(fd, (struct sockaddr *)&race->address, sizeof(race->address));
	if (r < 0 && errno == EPERM) {
		shared->values[RESULT_DENIED]++;
	} else if (r < 0 && errno != EINPROGRESS) {
		shared->values[RESULT_OTHER]++;
		shared->values[RESULT_LAST_ERRNO] = errno;
	} else if (poll(&poll_fd, 1, SETTLE_MS) == 1 &&
	           getpeername(fd, (struct sockaddr *)&peer, &length) == 0 &&
	           peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
		shared->values[RESULT_LOOPBACK]++;
	} else if (syn_sent_to_public(race->port)) {
		shared->values[RESULT_PUBLIC]++;
	} else {
		shared->values[RESULT_OTHER]++;
		shared->values[RESULT_LAST_ERRNO] = -1;
	}
	close(fd);
}

static int race_scenario(struct shared *shared, void *argument)
{
	const struct race_settings *settings = argument;
	struct race race = {0};
	pthread_t flipper, acceptor;
	void *flips = NULL;

	race.listener = target_tcp_listener(&race.port, 1024);
	race.address.sin_family = AF_INET;
	race.address.sin_port = htons(race.port);
	race.address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	pthread_create(&acceptor, NULL, accept_all, &race);
	pthread_create(&flipper, NULL, flip, &race);
	for (int i = 0; i < settings->iterations; i++) {
		shared->values[RESULT_ITERATIONS]++;
		one_attempt(&race, shared);
		if (shared->values[RESULT_PUBLIC] && settings->stop_at_first)
			break;
	}
	atomic_store(&race.stop, true);
	pthread_join(flipper, &flips);
	shared->numbers[RESULT_FLIPS] = (int64_t)(long)flips;
	return 0;
}

static void report(const char *what, const struct shared *shared)
{
	print_message("# %s: %d connects: %d denied, %d to 127.0.0.1, %d reached %s, %d other "
	              "(last errno %d); %lld flips\n",
	              what, shared->values[RESULT_ITERATIONS], shared->values[RESULT_DENIED],
	              shared->values[RESULT_LOOPBACK], shared->values[RESULT_PUBLIC], PUBLIC_V4,
	              shared->values[RESULT_OTHER], shared->values[RESULT_LAST_ERRNO],
	              (long long)shared->numbers[RESULT_FLIPS]);
}

static void test_flipped_sockaddr_never_reaches_public(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct race_settings settings = {.iterations = ITERATIONS};
	struct harness harness;
	int status;

	(void)state;
	harness_start(&harness, &options, race_scenario, &settings);
	status = harness_run(&harness);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	report("emulated", harness.shared);
	harness_stats(&harness, &stats);
	assert_int_equal(harness.shared->values[RESULT_ITERATIONS], ITERATIONS);
	assert_int_equal(harness.shared->values[RESULT_PUBLIC], 0);
	assert_int_equal(harness.shared->values[RESULT_OTHER], 0);
	/* Both sides of the race were exercised. */
	assert_true(harness.shared->values[RESULT_DENIED] > 0);
	assert_true(harness.shared->values[RESULT_LOOPBACK] > 0);
	assert_int_equal(stats.denied, (uint64_t)harness.shared->values[RESULT_DENIED]);
	assert_int_equal(stats.emulated, (uint64_t)harness.shared->values[RESULT_LOOPBACK]);
	assert_int_equal(alerts_count(&harness, "blocked", PUBLIC_V4),
	                 (size_t)harness.shared->values[RESULT_DENIED]);
	harness_stop(&harness);
}

/* The supervisor the design forbids: read the sockaddr, judge it, answer
 * CONTINUE, and let the kernel read it again. */
static void naive_serve(struct harness *harness)
{
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *request;
	struct seccomp_notif_resp *response;

	assert_int_equal(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes), 0);
	request = calloc(1, sizes.seccomp_notif);
	response = calloc(1, sizes.seccomp_notif_resp);
	assert_non_null(request);
	assert_non_null(response);
	harness_release(harness);
	for (;;) {
		struct pollfd fds[2] = {{.fd = harness->listener_fd, .events = POLLIN},
		                        {.fd = harness->child_pidfd, .events = POLLIN}};
		struct sockaddr_in address = {0};
		struct iovec local = {&address, sizeof(address)}, remote;

		assert_true(poll(fds, 2, 60000) > 0);
		if (fds[1].revents & POLLIN)
			break;
		memset(request, 0, sizes.seccomp_notif);
		if (ioctl(harness->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, request) < 0)
			continue;
		memset(response, 0, sizes.seccomp_notif_resp);
		response->id = request->id;
		response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		if (request->data.nr == SYS_connect) {
			remote = (struct iovec){(void *)(uintptr_t)request->data.args[1],
			                        sizeof(address)};
			process_vm_readv((pid_t)request->pid, &local, 1, &remote, 1, 0);
			if (address.sin_addr.s_addr == inet_addr(PUBLIC_V4)) {
				response->flags = 0;
				response->error = -EPERM;
			}
		}
		ioctl(harness->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, response);
	}
	free(request);
	free(response);
}

static void test_naive_continue_is_raceable(void **state)
{
	struct target_options options = {
	    .mode = EG_MODE_BLOCK, .sinkhole = true, .no_serving = true};
	struct race_settings settings = {.iterations = NAIVE_ITERATIONS, .stop_at_first = true};
	struct harness harness;
	int status;

	(void)state;
	harness_start(&harness, &options, race_scenario, &settings);
	naive_serve(&harness);
	assert_int_equal(waitpid(harness.child, &status, 0), harness.child);
	harness.child = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	report("naive CONTINUE", harness.shared);
	/* The observable sees what the emulation prevents. */
	assert_true(harness.shared->values[RESULT_PUBLIC] > 0);
	harness_stop(&harness);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flipped_sockaddr_never_reaches_public),
	    cmocka_unit_test(test_naive_continue_is_raceable),
	};

	return cmocka_run_group_tests(tests, notify_group_setup, notify_group_teardown);
}
