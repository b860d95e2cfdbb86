/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Calls that wait for their socket, and what happens to them when their
 * thread is interrupted or dies; raw sockets; thread pidfds kept from one
 * notification to the next (docs/BLOCKING.md):
 *  - a blocking stream send that a signal interrupts after some bytes went
 *    out, restarted (SA_RESTART): the restarted call gets the count already
 *    sent, as the kernel's own send returns it, and no byte goes twice;
 *  - a thread that dies (EINTR, then pthread_exit) while its send waits for
 *    a socket that never drains: the waiting call is dropped at once;
 *  - raw IPv4 sockets: a public destination is refused (connect, sendto),
 *    a loopback one is sent, and a raw socket that writes its own IP
 *    header is refused whatever its name says;
 *  - many calls of one thread are served with one pidfd.
 */
#include "test_notify_helpers.h"

#include "monitor/notify_internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PUBLIC_V4     "1.1.1.1"
#define PAYLOAD_BYTES 65536
/* Small buffers on both ends: a 64 KiB send goes out in pieces. */
#define BUFFER_BYTES  4096

static int finish(struct harness *harness)
{
	int status = harness_run(harness);

	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void sleep_ms(long ms)
{
	struct timespec pause = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
		;
}

static void on_signal(int signal)
{
	(void)signal;
}

/* A loopback TCP pair with small buffers: *ret_sender (connected through
 * the listener, emulated) and *ret_receiver (accepted). */
static int small_pair(int *ret_sender, int *ret_receiver)
{
	struct sockaddr_storage address;
	int size = BUFFER_BYTES, listener, sender;
	uint16_t port;
	socklen_t length;

	listener = target_tcp_listener(&port, 4);
	length = address_of_text("127.0.0.1", port, &address);
	setsockopt(listener, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	sender = target_socket(AF_INET, SOCK_STREAM);
	setsockopt(sender, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (listener < 0 || sender < 0 || connect(sender, (struct sockaddr *)&address, length) < 0)
		return -1;
	*ret_receiver = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	close(listener);
	*ret_sender = sender;
	return *ret_receiver < 0 ? -1 : 0;
}

struct sender {
	int fd;
	bool linger; /* after its send returns, the thread lives on */
	struct shared *shared;
	uint8_t payload[PAYLOAD_BYTES];
};

/* One blocking sendmsg() of the whole payload (sendmsg: a send() is
 * sendto() with no address, which is continued). */
static void *send_all(void *argument)
{
	struct sender *sender = argument;
	struct iovec vector = {.iov_base = sender->payload, .iov_len = sizeof(sender->payload)};
	struct msghdr header = {.msg_iov = &vector, .msg_iovlen = 1};
	ssize_t sent = sendmsg(sender->fd, &header, 0);

	sender->shared->values[0] = sent < 0 ? -errno : (int)sent;
	sender->shared->values[5] = 1;
	for (int i = 0; sender->linger && i < 500 && !sender->shared->values[6]; i++)
		sleep_ms(10);
	return NULL;
}

/* values[0]: what the interrupted (and restarted) send returned; [1]: the
 * bytes the receiver got; [2]: 1 when they are the payload's first bytes,
 * in order. */
static int interrupted_send(struct shared *shared, void *argument)
{
	static struct sender sender;
	struct sigaction action = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
	int receiver, total = 0, good = 1;
	uint8_t buffer[4096];
	pthread_t thread;

	(void)argument;
	sigaction(SIGUSR1, &action, NULL);
	for (size_t i = 0; i < sizeof(sender.payload); i++)
		sender.payload[i] = (uint8_t)(i % 251);
	sender.shared = shared;
	if (small_pair(&sender.fd, &receiver) < 0)
		return 2;
	pthread_create(&thread, NULL, send_all, &sender);
	/* The send goes out in pieces until the receiver's window is full,
	 * then waits in the monitor; the signal interrupts it there. */
	sleep_ms(300);
	pthread_kill(thread, SIGUSR1);
	sleep_ms(300);
	/* Reads until the send has returned and nothing more comes for
	 * 200 ms (at most 10 s: a send that never returns fails the test). */
	for (int idle = 0, rounds = 0; rounds < 1000 && idle < 20; rounds++) {
		struct pollfd poll_fd = {.fd = receiver, .events = POLLIN};
		ssize_t got;

		if (poll(&poll_fd, 1, 10) == 0) {
			idle = shared->values[5] ? idle + 1 : 0;
			continue;
		}
		got = recv(receiver, buffer, sizeof(buffer), MSG_DONTWAIT);
		if (got <= 0)
			break;
		idle = 0;
		for (ssize_t i = 0; i < got; i++)
			if (buffer[i] != (uint8_t)((total + i) % 251))
				good = 0;
		total += (int)got;
	}
	if (!shared->values[5])
		return 3;
	pthread_join(thread, NULL);
	shared->values[1] = total;
	shared->values[2] = good;
	return 0;
}

static void test_interrupted_stream_send_is_not_sent_twice(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK};
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, interrupted_send, NULL);
	assert_int_equal(finish(&harness), 0);
	harness_stats(&harness, &stats);
	print_message("# interrupted send returned %d, receiver got %d bytes (%s); residues kept "
	              "%llu, answered %llu\n",
	              harness.shared->values[0], harness.shared->values[1],
	              harness.shared->values[2] ? "in order" : "OUT OF ORDER",
	              (unsigned long long)stats.residues_kept,
	              (unsigned long long)stats.residues_answered);
	/* The scenario did what it is about: some bytes went out, then the
	 * signal came while the rest waited. */
	assert_true(stats.residues_kept >= 1);
	assert_true(harness.shared->values[0] > 0);
	assert_true(harness.shared->values[0] < PAYLOAD_BYTES);
	/* Exactly what the call said it sent, once, in order. */
	assert_int_equal(harness.shared->values[1], harness.shared->values[0]);
	assert_int_equal(harness.shared->values[2], 1);
	harness_stop(&harness);
}

/* values[5]: the sending thread's call returned (EINTR); it then exits, or
 * (argument) lives on; the target holds its receiver, unread, until the
 * test sets values[6]. */
static int thread_dies_while_waiting(struct shared *shared, void *argument)
{
	static struct sender sender;
	struct sigaction action = {.sa_handler = on_signal}; /* no SA_RESTART: EINTR */
	int receiver;
	pthread_t thread;

	sigaction(SIGUSR2, &action, NULL);
	sender.shared = shared;
	sender.linger = argument != NULL;
	if (small_pair(&sender.fd, &receiver) < 0)
		return 2;
	pthread_create(&thread, NULL, send_all, &sender);
	sleep_ms(300);
	pthread_kill(thread, SIGUSR2);
	for (int i = 0; i < 500 && !shared->values[6]; i++)
		sleep_ms(10);
	pthread_join(thread, NULL);
	close(receiver);
	return 0;
}

static bool nothing_pending(const struct harness *harness)
{
	struct monitor_notify_stats stats;

	monitor_notify_get_stats(harness->monitor.notify, &stats);
	return harness->shared->values[5] && stats.pending == 0;
}

static void test_dead_threads_waiting_call_is_dropped(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK};
	struct monitor_notify_stats stats;
	struct harness harness;
	bool dropped;

	(void)state;
	harness_start(&harness, &options, thread_dies_while_waiting, NULL);
	/* While the target lives and its receiver never drains. */
	dropped = harness_serve_until(&harness, 3000, nothing_pending);
	harness_stats(&harness, &stats);
	harness.shared->values[6] = 1;
	assert_int_equal(finish(&harness), 0);
	print_message("# the thread's send returned %d; pending %llu, dropped as gone %llu\n",
	              harness.shared->values[0], (unsigned long long)stats.pending,
	              (unsigned long long)stats.threads_gone);
	assert_int_equal(harness.shared->values[0], -EINTR);
	assert_true(dropped);
	assert_true(stats.threads_gone >= 1);
	harness_stop(&harness);

	/* The thread lives on after EINTR: its pidfd says nothing, and the
	 * call is dropped at the next look at the waiting calls (1 s). */
	harness_start(&harness, &options, thread_dies_while_waiting, (void *)1);
	dropped = harness_serve_until(&harness, 3000, nothing_pending);
	harness_stats(&harness, &stats);
	harness.shared->values[6] = 1;
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], -EINTR);
	assert_true(dropped);
	assert_true(stats.threads_gone >= 1);
	harness_stop(&harness);
}

/* values[0..3]: errno (0: success) of a raw ICMP sendto() to the public
 * address, connect() to it, sendto() to 127.0.0.1, and an IPPROTO_RAW
 * sendto() to 127.0.0.1. */
static int raw_sockets(struct shared *shared, void *argument)
{
	struct icmphdr echo = {.type = ICMP_ECHO, .un.echo.id = 1};
	struct sockaddr_storage public, loopback;
	socklen_t public_length = address_of_text(PUBLIC_V4, 0, &public);
	socklen_t loopback_length = address_of_text("127.0.0.1", 0, &loopback);
	int icmp = target_socket_protocol(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	int raw = target_socket_protocol(AF_INET, SOCK_RAW, IPPROTO_RAW);
	uint8_t header[28] = {0x45, 0, 0, 28, 0, 0, 0, 0, 64, IPPROTO_ICMP};

	(void)argument;
	if (icmp < 0 || raw < 0)
		return 2;
	shared->values[0] =
	    sendto(icmp, &echo, sizeof(echo), 0, (struct sockaddr *)&public, public_length) < 0
	        ? errno
	        : 0;
	shared->values[1] =
	    connect(icmp, (struct sockaddr *)&public, public_length) < 0 ? errno : 0;
	shared->values[2] =
	    sendto(icmp, &echo, sizeof(echo), 0, (struct sockaddr *)&loopback, loopback_length) < 0
	        ? errno
	        : 0;
	/* 127.0.0.1 in the name, and the header says 127.0.0.1 too: refused
	 * all the same (the header could say anything). */
	memcpy(header + 12, &((struct sockaddr_in *)&loopback)->sin_addr, 4);
	memcpy(header + 16, &((struct sockaddr_in *)&loopback)->sin_addr, 4);
	shared->values[3] = sendto(raw, header, sizeof(header), 0, (struct sockaddr *)&loopback,
	                           loopback_length) < 0
	                        ? errno
	                        : 0;
	return 0;
}

static void test_raw_sockets_are_judged(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, raw_sockets, NULL);
	assert_int_equal(finish(&harness), 0);
	print_message("# raw ICMP: sendto %s: %s, connect: %s; sendto 127.0.0.1: %s; "
	              "IPPROTO_RAW: %s\n",
	              PUBLIC_V4, strerror(harness.shared->values[0]),
	              strerror(harness.shared->values[1]), strerror(harness.shared->values[2]),
	              strerror(harness.shared->values[3]));
	assert_int_equal(harness.shared->values[0], EPERM);
	assert_int_equal(harness.shared->values[1], EPERM);
	assert_int_equal(harness.shared->values[2], 0);
	assert_int_equal(harness.shared->values[3], EPERM);
	/* Not TCP or UDP: refused and logged, no alert record. */
	assert_int_equal(alerts_count(&harness, NULL, NULL), 0);
	harness_stop(&harness);
}

#define CONNECTS 50

static int many_connects(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	uint16_t port;
	int listener = target_tcp_listener(&port, CONNECTS + 1);
	socklen_t length = address_of_text("127.0.0.1", port, &address);

	(void)argument;
	for (int i = 0; i < CONNECTS; i++) {
		int fd = target_socket(AF_INET, SOCK_STREAM);
		if (connect(fd, (struct sockaddr *)&address, length) < 0)
			shared->values[0]++;
		close(accept4(listener, NULL, NULL, SOCK_CLOEXEC));
		close(fd);
	}
	return 0;
}

static void test_one_pidfd_per_thread(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK};
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, many_connects, NULL);
	assert_int_equal(finish(&harness), 0);
	harness_stats(&harness, &stats);
	assert_int_equal(harness.shared->values[0], 0);
	assert_int_equal(stats.emulated, CONNECTS);
	assert_int_equal(stats.pidfds_reused, CONNECTS - 1);
	harness_stop(&harness);
}

/* A pidfd of a process that is gone: what a kept pidfd is once its thread
 * died and its number went to another task. */
static int dead_pidfd(void)
{
	pid_t child = fork();
	int pidfd;

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	assert_true(pidfd >= 0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	return pidfd;
}

static int one_connect(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	uint16_t port;
	int listener = target_tcp_listener(&port, 2);
	socklen_t length = address_of_text(argument ? PUBLIC_V4 : "127.0.0.1", port, &address);
	int fd = target_socket(AF_INET, SOCK_STREAM);

	shared->values[0] = connect(fd, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	close(listener);
	return 0;
}

/* The kept pidfd for the target's thread id is stale (its task is gone):
 * pidfd_getfd() and the kill-mode signal answer ESRCH, and a fresh pidfd
 * is opened, not the call dropped. */
static void test_stale_kept_pidfd_is_replaced(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct harness harness;
	int status;

	(void)state;
	harness_start(&harness, &options, one_connect, NULL);
	harness.monitor.notify->pidfds[0] = (struct pidfd_entry){harness.child, dead_pidfd()};
	assert_int_equal(finish(&harness), 0);
	harness_stats(&harness, &stats);
	assert_int_equal(harness.shared->values[0], 0);
	assert_int_equal(stats.emulated, 1);
	assert_int_equal(stats.pidfds_reused, 1);
	harness_stop(&harness);

	options.mode = EG_MODE_KILL;
	harness_start(&harness, &options, one_connect, (void *)1);
	harness.monitor.notify->pidfds[0] = (struct pidfd_entry){harness.child, dead_pidfd()};
	status = harness_run(&harness);
	harness_stats(&harness, &stats);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(stats.killed, 1);
	harness_stop(&harness);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_interrupted_stream_send_is_not_sent_twice),
	    cmocka_unit_test(test_dead_threads_waiting_call_is_dropped),
	    cmocka_unit_test(test_raw_sockets_are_judged),
	    cmocka_unit_test(test_one_pidfd_per_thread),
	    cmocka_unit_test(test_stale_kept_pidfd_is_replaced),
	};

	return cmocka_run_group_tests(tests, notify_group_setup, notify_group_teardown);
}
