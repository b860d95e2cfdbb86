/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the seccomp listener costs: connect() calls per second to a loopback
 * listener (in a loopback-only namespace the benchmark makes) with no
 * filter, and through the monitor's notify code in block mode, with and
 * without SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, in the same run:
 *  - "continue": no window open (the common case: the container's life
 *    after its first seconds): answered CONTINUE at once;
 *  - "emulated": inside a window, the entrypoint's child: every connect is
 *    judged and performed on the socket copy.
 * The monitor's part runs as in the program: one epoll loop, a real proc
 * connector drained before each decision, alerts to a file.
 * Prints the rates and their ratio to the unfiltered rate; asserts nothing.
 * Run with `meson test --benchmark` or directly; CONNECTS=N sets the count.
 */
#include "test_notify_helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONNECTS 20000

static int connects = DEFAULT_CONNECTS;

static int64_t now_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

static void *accept_all(void *argument)
{
	int listener = *(int *)argument;

	for (;;) {
		int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return NULL;
		close(fd);
	}
}

/* In the target: connects in a loop; numbers[0] = connects per second. */
static int storm(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	uint16_t port;
	int listener = target_tcp_listener(&port, 4096), failures = 0;
	socklen_t length = address_of_text("127.0.0.1", port, &address);
	pthread_t acceptor;
	int64_t start;

	(void)argument;
	pthread_create(&acceptor, NULL, accept_all, &listener);
	start = now_ns();
	for (int i = 0; i < connects; i++) {
		int fd = target_socket(AF_INET, SOCK_STREAM);
		if (connect(fd, (struct sockaddr *)&address, length) < 0)
			failures++;
		close(fd);
	}
	shared->numbers[0] = (int64_t)connects * 1000000000 / (now_ns() - start);
	shared->values[0] = failures;
	return 0;
}

/* The same storm with no filter at all. */
static int64_t unfiltered(void)
{
	struct shared *shared =
	    mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t child;
	int status, netns;
	int64_t rate;

	assert_true(shared != MAP_FAILED);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		netns = open(lo_only.path, O_RDONLY | O_CLOEXEC);
		if (netns < 0 || setns(netns, CLONE_NEWNET) < 0)
			_exit(90);
		close(netns);
		/* target_socket() compares with the namespace the harness
		 * records; run the loop without it here. */
		{
			struct sockaddr_in address = {.sin_family = AF_INET};
			socklen_t length = sizeof(address);
			int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			pthread_t acceptor;
			int64_t start;

			address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (bind(listener, (struct sockaddr *)&address, length) < 0 ||
			    listen(listener, 4096) < 0 ||
			    getsockname(listener, (struct sockaddr *)&address, &length) < 0)
				_exit(91);
			pthread_create(&acceptor, NULL, accept_all, &listener);
			start = now_ns();
			for (int i = 0; i < connects; i++) {
				int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
				if (connect(fd, (struct sockaddr *)&address, length) < 0)
					shared->values[0]++;
				close(fd);
			}
			shared->numbers[0] = (int64_t)connects * 1000000000 / (now_ns() - start);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rate = shared->numbers[0];
	munmap(shared, sizeof(*shared));
	return rate;
}

static int64_t filtered(bool window_open, bool sync_wake_up, bool *ret_sync_available)
{
	struct target_options options = {
	    .mode = EG_MODE_BLOCK, .window_expired = !window_open, .with_connector = true};
	struct monitor_notify_stats stats;
	struct harness harness;
	int64_t rate;
	int status;

	harness_start(&harness, &options, storm, NULL);
	*ret_sync_available =
	    monitor_notify_set_sync_wake_up(harness.monitor.notify, sync_wake_up) == 0;
	status = harness_run(&harness);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(harness.shared->values[0], 0);
	harness_stats(&harness, &stats);
	if (window_open)
		assert_int_equal(stats.emulated, (uint64_t)connects);
	else
		assert_int_equal(stats.continued, (uint64_t)connects);
	rate = harness.shared->numbers[0];
	harness_stop(&harness);
	return rate;
}

static int compare(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t median(int64_t *values, int count)
{
	qsort(values, (size_t)count, sizeof(values[0]), compare);
	return values[count / 2];
}

static void test_connect_rates(void **state)
{
	const char *count = getenv("CONNECTS"), *rounds_text = getenv("ROUNDS");
	int rounds = rounds_text && atoi(rounds_text) > 0 ? atoi(rounds_text) : 5;
	int64_t base[16], rates[2][2][16], base_median;
	bool available = false;

	(void)state;
	if (count && atoi(count) > 0)
		connects = atoi(count);
	if (rounds > 16)
		rounds = 16;
	/* Interleaved rounds, medians: drift on a shared VM hits all alike. */
	for (int round = 0; round < rounds; round++) {
		base[round] = unfiltered();
		for (int window = 0; window < 2; window++)
			for (int sync = 0; sync < 2; sync++)
				rates[window][sync][round] = filtered(window, sync, &available);
	}
	base_median = median(base, rounds);
	print_message("# connect() per second to a loopback listener, block mode, %d connects, "
	              "median of %d rounds\n",
	              connects, rounds);
	print_message("#   no filter                          %8lld\n", (long long)base_median);
	for (int window = 0; window < 2; window++)
		for (int sync = 1; sync >= 0; sync--) {
			int64_t rate = median(rates[window][sync], rounds);
			print_message("#   %-9s %-24s %8lld  (%.2f of no filter)\n",
			              window ? "emulated" : "continue",
			              sync ? (available ? "with SYNC_WAKE_UP" : "(no SYNC_WAKE_UP)")
			                   : "without SYNC_WAKE_UP",
			              (long long)rate, (double)rate / (double)base_median);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connect_rates),
	};

	return cmocka_run_group_tests(tests, notify_group_setup, notify_group_teardown);
}
