/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp listener in block, kill and detect modes against a real
 * filter (test_notify_helpers.h): public attempts over TCP (IPv4, IPv6,
 * IPv4-mapped) and UDP (connect, sendto, sendmsg, sendmmsg) are denied with
 * EPERM and alerted "blocked"; allowed calls are performed on the socket
 * copy and behave as the kernel's own (data flows both ways, a non-blocking
 * connect says EINPROGRESS, a blocking one waits without stalling anything
 * else, SO_SNDTIMEO ends it with EINPROGRESS, errors are the kernel's);
 * kill mode kills; detect mode allows everything and alerts.
 */
#include "test_notify_helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PUBLIC_V4  "1.1.1.1"
#define PUBLIC_V6  "2606:4700:4700::1111"
#define MAPPED_V4  "::ffff:1.1.1.1"
#define DNS_V4     "8.8.8.8"
/* The sinkhole's gateway: private, and nothing ever answers there. */
#define BLACK_HOLE "10.254.0.1"

static int64_t now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* connect(2) from a fresh socket; the errno, or 0. */
static int connect_text(int domain, int type, const char *text, uint16_t port)
{
	struct sockaddr_storage address;
	socklen_t length = address_of_text(text, port, &address);
	int fd = target_socket(domain, type), r;

	if (fd < 0)
		return -1;
	r = connect(fd, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	close(fd);
	return r;
}

static int sendto_text(int fd, const char *text, uint16_t port, const char *data)
{
	struct sockaddr_storage address;
	socklen_t length = address_of_text(text, port, &address);

	return sendto(fd, data, strlen(data), 0, (struct sockaddr *)&address, length) < 0 ? -errno
	                                                                                  : 0;
}

/* The first alert's @timestamp, in microseconds since the epoch. */
static int64_t first_alert_us(const struct harness *harness)
{
	char line[128] = {0};
	struct tm time = {0};
	long microseconds = 0;
	int fd = open(harness->alerts_path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_true(read(fd, line, sizeof(line) - 1) > 0);
	close(fd);
	assert_int_equal(sscanf(line, "{\"@timestamp\":\"%d-%d-%dT%d:%d:%d.%ldZ", &time.tm_year,
	                        &time.tm_mon, &time.tm_mday, &time.tm_hour, &time.tm_min,
	                        &time.tm_sec, &microseconds),
	                 7);
	time.tm_year -= 1900;
	time.tm_mon -= 1;
	return (int64_t)timegm(&time) * 1000000 + microseconds;
}

static int finish(struct harness *harness)
{
	int status = harness_run(harness);

	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* --- public attempts are denied --------------------------------------------- */

static int64_t realtime_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int tcp_public(struct shared *shared, void *argument)
{
	(void)argument;
	shared->numbers[0] = realtime_us();
	shared->values[0] = connect_text(AF_INET, SOCK_STREAM, PUBLIC_V4, 80);
	shared->numbers[1] = realtime_us();
	shared->values[1] = connect_text(AF_INET6, SOCK_STREAM, PUBLIC_V6, 443);
	shared->values[2] = connect_text(AF_INET6, SOCK_STREAM, MAPPED_V4, 80);
	shared->values[3] = connect_text(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, PUBLIC_V4, 80);
	return 0;
}

static void test_tcp_public_denied(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, tcp_public, NULL);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], EPERM);
	assert_int_equal(harness.shared->values[1], EPERM);
	assert_int_equal(harness.shared->values[2], EPERM);
	assert_int_equal(harness.shared->values[3], EPERM);
	/* The mapped address is judged, and reported, by its IPv4 part. */
	assert_int_equal(alerts_count(&harness, "blocked", PUBLIC_V4), 3);
	assert_int_equal(alerts_count(&harness, "blocked", PUBLIC_V6), 1);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.denied, 4);
	assert_int_equal(stats.emulated, 0);
	print_message("# attempt to alert: %lld us; the denied connect() took %lld us\n",
	              (long long)(first_alert_us(&harness) - harness.shared->numbers[0]),
	              (long long)(harness.shared->numbers[1] - harness.shared->numbers[0]));
	harness_stop(&harness);
}

static int udp_public(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	socklen_t length = address_of_text(DNS_V4, 53, &address);
	char payload[] = "query";
	struct iovec vector = {.iov_base = payload, .iov_len = 5};
	struct mmsghdr messages[2] = {{.msg_hdr = {.msg_name = &address,
	                                           .msg_namelen = length,
	                                           .msg_iov = &vector,
	                                           .msg_iovlen = 1}}};
	int fd = target_socket(AF_INET, SOCK_DGRAM);

	(void)argument;
	messages[1] = messages[0];
	shared->values[0] = sendto_text(fd, DNS_V4, 53, "query");
	shared->values[1] = sendmsg(fd, &messages[0].msg_hdr, 0) < 0 ? -errno : 0;
	shared->values[2] = sendmmsg(fd, messages, 2, 0) < 0 ? -errno : 0;
	shared->values[3] = connect_text(AF_INET, SOCK_DGRAM, DNS_V4, 53);
	/* AF_UNSPEC on an IPv4 socket's send is IPv4 (udp_sendmsg). */
	((struct sockaddr_in *)&address)->sin_family = AF_UNSPEC;
	shared->values[4] =
	    sendto(fd, "x", 1, 0, (struct sockaddr *)&address, length) < 0 ? -errno : 0;
	close(fd);
	fd = target_socket(AF_INET6, SOCK_DGRAM);
	shared->values[5] = sendto_text(fd, PUBLIC_V6, 53, "query");
	close(fd);
	return 0;
}

static void test_udp_public_denied(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, udp_public, NULL);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], -EPERM);
	assert_int_equal(harness.shared->values[1], -EPERM);
	assert_int_equal(harness.shared->values[2], -EPERM);
	assert_int_equal(harness.shared->values[3], EPERM);
	assert_int_equal(harness.shared->values[4], -EPERM);
	assert_int_equal(harness.shared->values[5], -EPERM);
	assert_int_equal(alerts_count(&harness, "blocked", DNS_V4), 5);
	/* Every one names the port, sendmmsg's included. */
	assert_int_equal(alerts_count_port(&harness, "blocked", DNS_V4, 53), 5);
	assert_int_equal(alerts_count(&harness, "blocked", PUBLIC_V6), 1);
	harness_stop(&harness);
}

/* --- allowed calls are performed on the copy -------------------------------- */

static int tcp_loopback(struct shared *shared, void *argument)
{
	struct sockaddr_storage address, peer;
	socklen_t length, peer_length = sizeof(peer);
	uint16_t port;
	int listener = target_tcp_listener(&port, 8), client, server;
	char buffer[16] = {0};

	(void)argument;
	length = address_of_text("127.0.0.1", port, &address);
	client = target_socket(AF_INET, SOCK_STREAM);
	shared->values[0] = connect(client, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (server < 0)
		return 1;
	/* send() is sendto() with no address: continued; write() is not
	 * watched at all. */
	shared->values[1] = (int)send(client, "ping", 4, 0);
	shared->values[2] = (int)recv(server, buffer, sizeof(buffer), 0);
	shared->values[3] = !memcmp(buffer, "ping", 4);
	shared->values[4] = (int)write(server, "pong!", 5);
	shared->values[5] = (int)read(client, buffer, sizeof(buffer));
	shared->values[6] = !memcmp(buffer, "pong!", 5);
	shared->values[7] = getpeername(client, (struct sockaddr *)&peer, &peer_length) == 0 &&
	                    ((struct sockaddr_in *)&peer)->sin_port == htons(port);
	/* The socket is still blocking: the emulation put its flags back. */
	shared->values[8] = !(fcntl(client, F_GETFL) & O_NONBLOCK);
	return 0;
}

static void test_tcp_loopback_allowed(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, tcp_loopback, NULL);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], 0);
	assert_int_equal(harness.shared->values[1], 4);
	assert_int_equal(harness.shared->values[2], 4);
	assert_true(harness.shared->values[3]);
	assert_int_equal(harness.shared->values[4], 5);
	assert_int_equal(harness.shared->values[5], 5);
	assert_true(harness.shared->values[6]);
	assert_true(harness.shared->values[7]);
	assert_true(harness.shared->values[8]);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.emulated, 1);
	assert_int_equal(stats.continued, 1); /* the send() */
	assert_int_equal(alerts_count(&harness, NULL, NULL), 0);
	harness_stop(&harness);
}

static int udp_loopback(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	uint16_t port;
	int receiver = target_udp_receiver(&port), fd = target_socket(AF_INET, SOCK_DGRAM);
	socklen_t length = address_of_text("127.0.0.1", port, &address);
	char one[] = "ab", two[] = "cd", three[] = "ef", buffer[64] = {0};
	struct iovec vectors[3] = {{one, 2}, {two, 2}, {three, 2}};
	struct msghdr header = {
	    .msg_name = &address, .msg_namelen = length, .msg_iov = vectors, .msg_iovlen = 3};
	struct mmsghdr messages[2] = {
	    {.msg_hdr = {.msg_name = &address,
	                 .msg_namelen = length,
	                 .msg_iov = vectors,
	                 .msg_iovlen = 1}},
	    {.msg_hdr = {.msg_name = &address,
	                 .msg_namelen = length,
	                 .msg_iov = vectors + 1,
	                 .msg_iovlen = 2}},
	};

	(void)argument;
	shared->values[0] = (int)sendto(fd, "hello", 5, 0, (struct sockaddr *)&address, length);
	shared->values[1] = (int)recv(receiver, buffer, sizeof(buffer), 0);
	shared->values[2] = !memcmp(buffer, "hello", 5);
	shared->values[3] = (int)sendmsg(fd, &header, 0);
	shared->values[4] = (int)recv(receiver, buffer, sizeof(buffer), 0);
	shared->values[5] = !memcmp(buffer, "abcdef", 6);
	shared->values[6] = sendmmsg(fd, messages, 2, 0);
	shared->values[7] = (int)messages[0].msg_len;
	shared->values[8] = (int)messages[1].msg_len;
	shared->values[9] = (int)recv(receiver, buffer, sizeof(buffer), 0);
	shared->values[10] = (int)recv(receiver, buffer, sizeof(buffer), 0);
	shared->values[11] = !memcmp(buffer, "cdef", 4);
	/* A connected UDP socket: connect emulated, send() continued. */
	shared->values[12] = connect(fd, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	shared->values[13] = (int)send(fd, "xyz", 3, 0);
	shared->values[14] = (int)recv(receiver, buffer, sizeof(buffer), 0);
	return 0;
}

static void test_udp_loopback_allowed(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	const int expected[] = {5, 5, 1, 6, 6, 1, 2, 2, 4, 2, 4, 1, 0, 3, 3};
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, udp_loopback, NULL);
	assert_int_equal(finish(&harness), 0);
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
		if (harness.shared->values[i] != expected[i])
			fail_msg("value %zu: %d, expected %d", i, harness.shared->values[i],
			         expected[i]);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.emulated, 4);
	harness_stop(&harness);
}

/* sendmmsg stops at the first public message: what came before is sent and
 * counted, and the next call starting there is denied. */
static int mixed_vector(struct shared *shared, void *argument)
{
	struct sockaddr_storage private_address, public_address;
	uint16_t port;
	int receiver = target_udp_receiver(&port), fd = target_socket(AF_INET, SOCK_DGRAM);
	socklen_t private_length = address_of_text("127.0.0.1", port, &private_address);
	socklen_t public_length = address_of_text(DNS_V4, 53, &public_address);
	char payload[] = "abc";
	struct iovec vector = {payload, 3};
	struct mmsghdr messages[2] = {
	    {.msg_hdr = {.msg_name = &private_address,
	                 .msg_namelen = private_length,
	                 .msg_iov = &vector,
	                 .msg_iovlen = 1}},
	    {.msg_hdr = {.msg_name = &public_address,
	                 .msg_namelen = public_length,
	                 .msg_iov = &vector,
	                 .msg_iovlen = 1}},
	};
	char buffer[8];

	(void)argument;
	shared->values[0] = sendmmsg(fd, messages, 2, 0);
	shared->values[1] = (int)recv(receiver, buffer, sizeof(buffer), MSG_DONTWAIT);
	shared->values[2] = sendmmsg(fd, messages + 1, 1, 0) < 0 ? -errno : 0;
	return 0;
}

static void test_sendmmsg_stops_at_public(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, mixed_vector, NULL);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], 1);
	assert_int_equal(harness.shared->values[1], 3);
	assert_int_equal(harness.shared->values[2], -EPERM);
	assert_int_equal(alerts_count(&harness, "blocked", DNS_V4), 1);
	harness_stop(&harness);
}

static int nonblocking(struct shared *shared, void *argument)
{
	struct sockaddr_storage address, peer;
	socklen_t length, peer_length = sizeof(peer), error_length = sizeof(int);
	uint16_t port;
	int listener = target_tcp_listener(&port, 8), fd, error = -1;
	struct pollfd poll_fd;

	(void)argument;
	length = address_of_text("127.0.0.1", port, &address);
	fd = target_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
	shared->values[0] = connect(fd, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	poll_fd = (struct pollfd){.fd = fd, .events = POLLOUT};
	shared->values[1] = poll(&poll_fd, 1, 5000);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length);
	shared->values[2] = error;
	shared->values[3] = getpeername(fd, (struct sockaddr *)&peer, &peer_length);
	shared->values[4] = (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
	/* Nothing answers at the black hole: EINPROGRESS, and it stays so. */
	shared->values[5] = connect_text(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, BLACK_HOLE, 9);
	close(listener);
	return 0;
}

static void test_nonblocking_connect(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, nonblocking, NULL);
	assert_int_equal(finish(&harness), 0);
	assert_true(harness.shared->values[0] == EINPROGRESS || harness.shared->values[0] == 0);
	assert_int_equal(harness.shared->values[1], 1);
	assert_int_equal(harness.shared->values[2], 0);
	assert_int_equal(harness.shared->values[3], 0);
	assert_true(harness.shared->values[4]);
	assert_int_equal(harness.shared->values[5], EINPROGRESS);
	harness_stop(&harness);
}

/* A blocking connect to a listener whose accept queue is full waits for
 * SYN retransmission (1 s) and for the listener to accept; meanwhile other
 * threads' calls are served at once. */
struct late {
	struct sockaddr_storage address;
	socklen_t length;
	struct shared *shared;
};

static void *late_connect(void *argument)
{
	struct late *late = argument;
	int fd = target_socket(AF_INET, SOCK_STREAM);
	int64_t start = now_ms();

	late->shared->values[0] =
	    connect(fd, (struct sockaddr *)&late->address, late->length) < 0 ? errno : 0;
	late->shared->numbers[0] = now_ms() - start;
	late->shared->numbers[1] = now_ms();
	return NULL;
}

static int blocking_late(struct shared *shared, void *argument)
{
	uint16_t port, udp_port;
	int listener = target_tcp_listener(&port, 0), receiver = target_udp_receiver(&udp_port);
	int first = target_socket(AF_INET, SOCK_STREAM), udp = target_socket(AF_INET, SOCK_DGRAM);
	struct late late = {.shared = shared};
	struct sockaddr_storage udp_address;
	socklen_t udp_length = address_of_text("127.0.0.1", udp_port, &udp_address);
	pthread_t thread;
	int64_t start;
	char buffer[8];

	(void)argument;
	late.length = address_of_text("127.0.0.1", port, &late.address);
	/* Backlog 0 holds one connection: this one fills it. */
	if (connect(first, (struct sockaddr *)&late.address, late.length) < 0)
		return 1;
	pthread_create(&thread, NULL, late_connect, &late);
	usleep(200 * 1000);
	start = now_ms();
	for (int i = 0; i < 20; i++)
		if (sendto(udp, "x", 1, 0, (struct sockaddr *)&udp_address, udp_length) != 1 ||
		    recv(receiver, buffer, sizeof(buffer), 0) != 1)
			return 2;
	shared->numbers[2] = now_ms() - start;
	shared->numbers[3] = now_ms();
	close(accept4(listener, NULL, NULL, SOCK_CLOEXEC));
	pthread_join(thread, NULL);
	return 0;
}

static void test_blocking_connect_does_not_stall(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, blocking_late, NULL);
	assert_int_equal(finish(&harness), 0);
	print_message("# a blocking connect: %d after %lld ms; 20 sends took %lld ms\n",
	              harness.shared->values[0], (long long)harness.shared->numbers[0],
	              (long long)harness.shared->numbers[2]);
	assert_int_equal(harness.shared->values[0], 0);
	/* 20 round trips through the listener while the connect waited. */
	assert_true(harness.shared->numbers[2] < 500);
	/* The connect completed only after them, after a SYN retransmission. */
	assert_true(harness.shared->numbers[1] > harness.shared->numbers[3]);
	assert_true(harness.shared->numbers[0] >= 500);
	harness_stop(&harness);
}

static int timed_out(struct shared *shared, void *argument)
{
	struct timeval timeout = {.tv_usec = 300 * 1000};
	struct sockaddr_storage address;
	socklen_t length = address_of_text(BLACK_HOLE, 9, &address);
	int fd = target_socket(AF_INET, SOCK_STREAM);
	int64_t start;

	(void)argument;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
	start = now_ms();
	shared->values[0] = connect(fd, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	shared->numbers[0] = now_ms() - start;
	return 0;
}

static void test_blocking_connect_send_timeout(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, timed_out, NULL);
	assert_int_equal(finish(&harness), 0);
	/* The kernel's own answer when SO_SNDTIMEO ends a blocking connect. */
	assert_int_equal(harness.shared->values[0], EINPROGRESS);
	assert_true(harness.shared->numbers[0] >= 250 && harness.shared->numbers[0] < 3000);
	harness_stop(&harness);
}

static int bad_calls(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	socklen_t length = address_of_text("127.0.0.1", 9, &address);
	int pipe_fds[2], fd = target_socket(AF_INET, SOCK_STREAM);

	(void)argument;
	if (pipe(pipe_fds) < 0)
		return 1;
	shared->values[0] = connect(999, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	shared->values[1] =
	    connect(pipe_fds[0], (struct sockaddr *)&address, length) < 0 ? errno : 0;
	shared->values[2] = connect(fd, (struct sockaddr *)&address, (socklen_t)-1) < 0 ? errno : 0;
	shared->values[3] = connect(fd, (struct sockaddr *)8, length) < 0 ? errno : 0;
	shared->values[4] = connect(fd, (struct sockaddr *)&address, 3) < 0 ? errno : 0;
	return 0;
}

static void test_bad_calls_get_the_kernels_errors(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, bad_calls, NULL);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], EBADF);
	assert_int_equal(harness.shared->values[1], ENOTSOCK);
	assert_int_equal(harness.shared->values[2], EINVAL);
	assert_int_equal(harness.shared->values[3], EFAULT);
	assert_int_equal(harness.shared->values[4], EINVAL); /* the kernel's, on the copy */
	harness_stop(&harness);
}

/* --- kill and detect modes, and after the window ------------------------ */

static int killed_attempt(struct shared *shared, void *argument)
{
	(void)argument;
	shared->values[0] = 1;
	shared->values[1] = connect_text(AF_INET, SOCK_STREAM, PUBLIC_V4, 80);
	shared->values[2] = 1; /* never reached */
	return 0;
}

static void test_kill_mode_kills(void **state)
{
	struct target_options options = {.mode = EG_MODE_KILL, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct harness harness;
	int status;

	(void)state;
	harness_start(&harness, &options, killed_attempt, NULL);
	status = harness_run(&harness);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_int_equal(harness.shared->values[0], 1);
	assert_int_equal(harness.shared->values[2], 0);
	assert_int_equal(alerts_count(&harness, "killed", PUBLIC_V4), 1);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.killed, 1);
	harness_stop(&harness);
}

static int detected_attempts(struct shared *shared, void *argument)
{
	int fd = target_socket(AF_INET, SOCK_DGRAM);

	(void)argument;
	shared->values[0] = connect_text(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, PUBLIC_V4, 80);
	shared->values[1] = sendto_text(fd, DNS_V4, 53, "query");
	shared->values[2] = connect_text(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, PUBLIC_V6, 80);
	return 0;
}

static void test_detect_mode_allows_and_alerts(void **state)
{
	struct target_options options = {.mode = EG_MODE_DETECT, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, detected_attempts, NULL);
	assert_int_equal(finish(&harness), 0);
	/* Allowed: the SYN sits in the sinkhole, the datagram dies there. */
	assert_int_equal(harness.shared->values[0], EINPROGRESS);
	assert_int_equal(harness.shared->values[1], 0);
	assert_int_equal(harness.shared->values[2], EINPROGRESS);
	assert_int_equal(alerts_count(&harness, "alert", PUBLIC_V4), 1);
	assert_int_equal(alerts_count(&harness, "alert", DNS_V4), 1);
	assert_int_equal(alerts_count(&harness, "alert", PUBLIC_V6), 1);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.denied, 0);
	assert_int_equal(stats.emulated, 0);
	assert_int_equal(stats.continued, 3);
	harness_stop(&harness);
}

static int late_attempt(struct shared *shared, void *argument)
{
	(void)argument;
	shared->values[0] = connect_text(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, PUBLIC_V4, 80);
	return 0;
}

static void test_after_the_window_continued(void **state)
{
	struct target_options options = {
	    .mode = EG_MODE_BLOCK, .sinkhole = true, .window_expired = true};
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, late_attempt, NULL);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], EINPROGRESS);
	assert_int_equal(alerts_count(&harness, NULL, NULL), 0);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.continued, 1);
	assert_int_equal(stats.emulated, 0);
	harness_stop(&harness);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tcp_public_denied),
	    cmocka_unit_test(test_udp_public_denied),
	    cmocka_unit_test(test_tcp_loopback_allowed),
	    cmocka_unit_test(test_udp_loopback_allowed),
	    cmocka_unit_test(test_sendmmsg_stops_at_public),
	    cmocka_unit_test(test_nonblocking_connect),
	    cmocka_unit_test(test_blocking_connect_does_not_stall),
	    cmocka_unit_test(test_blocking_connect_send_timeout),
	    cmocka_unit_test(test_bad_calls_get_the_kernels_errors),
	    cmocka_unit_test(test_kill_mode_kills),
	    cmocka_unit_test(test_detect_mode_allows_and_alerts),
	    cmocka_unit_test(test_after_the_window_continued),
	};

	return cmocka_run_group_tests(tests, notify_group_setup, notify_group_teardown);
}
