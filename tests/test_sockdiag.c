/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sock_diag dumps against the real kernel (root): clients on loopback in the
 * test's own namespace, SYN-SENT to public addresses inside a sinkhole
 * namespace the test makes, the netns opener, truncation, spoofing, and
 * the limits of sockdiag.h that a dump shows (each test names its limit).
 * Network safety: see sockdiag_helpers.h.
 */
#include "sockdiag_helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "monitor/sockdiag.h"
#include "monitor/socket_owner.h"

/* --- loopback, in the test's own namespace -------------------------------- */

static void check_tcp_client(const char *loopback, unsigned table)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(NULL);
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *owner = NULL;
	struct eg_socket_owner_settings settings = {0};
	uint16_t port;
	_cleanup_close_ int listener = listener_on(loopback, &port);
	_cleanup_close_ int client =
	    socket(strchr(loopback, ':') ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	const struct eg_socket_info *found;
	struct eg_socket_info copy;
	pid_t self = getpid(), candidates[] = {1, self}, owner_pid = 0;

	assert_int_equal(connect_to(client, loopback, port), 0);
	found = by_cookie(dump(diag, table), cookie_of(client));
	assert_non_null(found);
	assert_int_equal(found->protocol, IPPROTO_TCP);
	assert_int_equal(found->state, TCP_ESTABLISHED);
	assert_int_equal(found->inode, inode_of(client));
	assert_int_equal(found->uid, getuid());
	assert_address(&found->destination, loopback);
	assert_int_equal(found->destination_port, port);
	assert_address(&found->source, loopback);
	assert_true(eg_socket_info_has_destination(found));
	assert_string_equal(eg_sockdiag_state_name(found->state), "ESTABLISHED");
	/* Both TCP families in one (legacy) request: the same entry. */
	copy = *found;
	found = by_cookie(dump(diag, EG_SOCKDIAG_TCP4 | EG_SOCKDIAG_TCP6), copy.cookie);
	assert_non_null(found);
	assert_memory_equal(found, &copy, sizeof(copy));

	assert_int_equal(eg_socket_owner_new(&settings, &owner, NULL), 0);
	assert_int_equal(eg_socket_owner_find(owner, found->inode, candidates, 2, &owner_pid), 1);
	assert_int_equal(owner_pid, self);
}

static void loopback_tcp4_client(void **state)
{
	(void)state;
	check_tcp_client("127.0.0.1", EG_SOCKDIAG_TCP4);
}

static void loopback_tcp6_client(void **state)
{
	(void)state;
	check_tcp_client("::1", EG_SOCKDIAG_TCP6);
}

/* Limit 8: the server side of a connection looks like an outgoing one. */
static void accepted_connection_looks_outgoing(void **state)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(NULL);
	uint16_t port;
	_cleanup_close_ int listener = listener_on("127.0.0.1", &port);
	_cleanup_close_ int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int accepted = -1;
	const struct eg_socket_info *found;

	(void)state;
	assert_int_equal(connect_to(client, "127.0.0.1", port), 0);
	accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	assert_true(accepted >= 0);
	found = by_cookie(dump(diag, EG_SOCKDIAG_TCP4), cookie_of(accepted));
	assert_non_null(found);
	assert_int_equal(found->state, TCP_ESTABLISHED);
	assert_int_equal(found->source_port, port);
	assert_true(eg_socket_info_has_destination(found));
	assert_null(by_cookie(dump(diag, EG_SOCKDIAG_TCP4), cookie_of(listener)));
	found = by_cookie(dump(diag, EG_SOCKDIAG_TCP4 | EG_SOCKDIAG_TCP_LISTENERS),
	                  cookie_of(listener));
	assert_non_null(found);
	assert_int_equal(found->state, TCP_LISTEN);
	assert_int_equal(found->source_port, port);
}

static void udp_connected_shows_destination(void **state)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(NULL);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	const struct eg_socket_info *found;

	(void)state;
	assert_int_equal(connect_to(fd, "127.0.0.2", 9), 0);
	found = by_cookie(dump(diag, EG_SOCKDIAG_UDP4), cookie_of(fd));
	assert_non_null(found);
	assert_int_equal(found->protocol, IPPROTO_UDP);
	assert_int_equal(found->state, TCP_ESTABLISHED);
	assert_int_equal(found->inode, inode_of(fd));
	assert_address(&found->destination, "127.0.0.2");
	assert_int_equal(found->destination_port, 9);
}

/* Limit 2: sendto() leaves its destination in no socket. */
static void udp_sendto_has_no_destination(void **state)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(NULL);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_storage address;
	socklen_t length = sockaddr_of("127.0.0.2", 9, &address);
	const struct eg_socket_info *found;

	(void)state;
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&address, length), 1);
	found = by_cookie(dump(diag, EG_SOCKDIAG_UDP4), cookie_of(fd));
	assert_non_null(found);
	assert_int_equal(found->state, TCP_CLOSE);
	assert_int_not_equal(found->source_port, 0);
	assert_false(eg_socket_info_has_destination(found));
}

/* Limit 6. */
static void udp_reconnect_shows_last_destination(void **state)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(NULL);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	const struct eg_socket_info *found;

	(void)state;
	assert_int_equal(connect_to(fd, "127.0.0.2", 9), 0);
	assert_int_equal(connect_to(fd, "127.0.0.3", 9), 0);
	found = by_cookie(dump(diag, EG_SOCKDIAG_UDP4), cookie_of(fd));
	assert_non_null(found);
	assert_address(&found->destination, "127.0.0.3");
}

/* Limit 4: after a reset the socket is unhashed while its fd lives on. */
static void refused_connect_not_dumped(void **state)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(NULL);
	_cleanup_close_ int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_storage address;
	socklen_t length = sockaddr_of("127.0.0.1", 0, &address);

	(void)state;
	/* A bound port with no listener: the kernel answers a SYN with RST. */
	assert_int_equal(bind(holder, (struct sockaddr *)&address, length), 0);
	assert_int_equal(getsockname(holder, (struct sockaddr *)&address, &length), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&address, length), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_null(by_cookie(dump(diag, EG_SOCKDIAG_ALL), cookie_of(fd)));
}

/* Limit 5: TIME-WAIT keeps the destination, but no inode, no uid. */
static void time_wait_has_no_owner(void **state)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(NULL);
	uint16_t port;
	_cleanup_close_ int listener = listener_on("127.0.0.1", &port);
	int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), accepted;
	const struct eg_socket_info *found = NULL;
	uint64_t cookie = cookie_of(client);
	char byte;

	(void)state;
	assert_int_equal(connect_to(client, "127.0.0.1", port), 0);
	accepted = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	assert_true(accepted >= 0);
	close(client); /* the client closes first: it ends in TIME-WAIT */
	assert_int_equal(read(accepted, &byte, 1), 0);
	close(accepted);
	/* The last ACK crosses loopback in softirq; give it up to 1 s. */
	for (int tries = 0; tries < 1000; tries++) {
		found = by_cookie(dump(diag, EG_SOCKDIAG_TCP4), cookie);
		if (found && found->state == TCP_TIME_WAIT)
			break;
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
	assert_non_null(found);
	assert_int_equal(found->state, TCP_TIME_WAIT);
	assert_int_equal(found->destination_port, port);
	assert_int_equal(found->inode, 0);
	assert_int_equal(found->uid, 0);
}

/* --- namespaces made by the test ------------------------------------------ */

static void check_syn_sent(const char *destination, int domain)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = NULL;
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *host = open_diag(NULL);
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *owner = NULL;
	struct eg_socket_owner_settings settings = {0};
	_cleanup_close_ int fd = public_socket(&sinkhole, domain, SOCK_STREAM | SOCK_NONBLOCK);
	const struct eg_socket_info *found;
	pid_t self = getpid(), owner_pid = 0;

	diag = open_diag(sinkhole.path);
	assert_int_equal(connect_to(fd, destination, 80), -1);
	assert_int_equal(errno, EINPROGRESS);
	found = by_cookie(dump(diag, EG_SOCKDIAG_ALL), cookie_of(fd));
	assert_non_null(found);
	assert_int_equal(found->state, TCP_SYN_SENT);
	assert_string_equal(eg_sockdiag_state_name(found->state), "SYN-SENT");
	assert_int_equal(found->inode, inode_of(fd));
	assert_address(&found->destination, destination);
	assert_int_equal(found->destination_port, 80);
	assert_int_equal(eg_socket_owner_new(&settings, &owner, NULL), 0);
	assert_int_equal(eg_socket_owner_find(owner, found->inode, &self, 1, &owner_pid), 1);
	assert_int_equal(owner_pid, self);
	/* The host's table does not hold it. */
	assert_null(by_cookie(dump(host, EG_SOCKDIAG_ALL), cookie_of(fd)));
}

static void syn_sent_ipv4_public(void **state)
{
	(void)state;
	check_syn_sent("1.1.1.1", AF_INET);
}

static void syn_sent_ipv6_public(void **state)
{
	(void)state;
	check_syn_sent("2606:4700::1111", AF_INET6);
}

/* An IPv6 socket to an IPv4-mapped address: family AF_INET6, the mapped
 * address as the destination (the classifier judges it as IPv4). */
static void syn_sent_mapped_ipv4_public(void **state)
{
	(void)state;
	check_syn_sent("::ffff:1.1.1.1", AF_INET6);
}

/* Limit 7, and the opener: a socket opened in the child's namespace sees its
 * sockets and not the host's; failures leave the thread where it was. */
static void netns_opener_lands_in_target(void **state)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(lo_only.path);
	uint16_t port;
	_cleanup_close_ int host_listener = listener_on("127.0.0.1", &port);
	_cleanup_close_ int host_client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int inside = -1;
	ino_t own = netns_inode("/proc/thread-self/ns/net");
	struct eg_error err = {0};
	int fd = -1;

	(void)state;
	assert_int_equal(connect_to(host_client, "127.0.0.1", port), 0);
	assert_int_equal(eg_socket_in_netns(lo_only.path, AF_INET, SOCK_DGRAM, 0, &inside, &err),
	                 0);
	assert_int_equal(connect_to(inside, "127.0.0.1", 9), 0);
	assert_non_null(by_cookie(dump(diag, EG_SOCKDIAG_ALL), cookie_of(inside)));
	assert_null(by_cookie(dump(diag, EG_SOCKDIAG_ALL), cookie_of(host_client)));
	assert_int_equal(netns_inode("/proc/thread-self/ns/net"), own);

	assert_int_equal(eg_socket_in_netns("/nonexistent", AF_INET, SOCK_DGRAM, 0, &fd, &err),
	                 -ENOENT);
	assert_int_equal(eg_socket_in_netns("/proc/self/ns/uts", AF_INET, SOCK_DGRAM, 0, &fd, &err),
	                 -EINVAL);
	assert_int_equal(
	    eg_socket_in_netns(lo_only.path, AF_INET, SOCK_DGRAM, IPPROTO_TCP, &fd, &err),
	    -EPROTONOSUPPORT);
	assert_int_equal(fd, -1);
	assert_int_equal(netns_inode("/proc/thread-self/ns/net"), own);
}

/* The dump socket is connected to the kernel: unicasts from others fail. */
static void dump_socket_refuses_spoofing(void **state)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = NULL;
	_cleanup_close_ int spoofer =
	    socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct sockaddr_nl target;
	socklen_t length = sizeof(target);
	struct nlmsghdr fake = {.nlmsg_len = sizeof(fake), .nlmsg_type = NLMSG_DONE};

	(void)state;
	assert_int_equal(eg_sockdiag_open_fd(fd, &diag, NULL), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&target, &length), 0);
	assert_int_not_equal(target.nl_pid, 0);
	assert_int_equal(
	    sendto(spoofer, &fake, sizeof(fake), 0, (struct sockaddr *)&target, sizeof(target)),
	    -1);
	assert_int_equal(errno, ECONNREFUSED);
	dump(diag, EG_SOCKDIAG_ALL);
}

static int stop_at_first(const struct eg_socket_info *socket, void *userdata)
{
	(void)socket;
	(void)userdata;
	return -ECANCELED;
}

static void dump_truncates_and_recovers(void **state)
{
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(lo_only.path);
	struct collected *collected = calloc(1, sizeof(*collected));
	struct eg_sockdiag_dump_stats stats;
	struct sockaddr_storage address;
	socklen_t length = sockaddr_of("127.0.0.1", 0, &address);
	int fds[5];

	(void)state;
	for (size_t i = 0; i < 5; i++) {
		fds[i] = public_socket(&lo_only, AF_INET, SOCK_DGRAM);
		assert_int_equal(bind(fds[i], (struct sockaddr *)&address, length), 0);
	}
	assert_int_equal(
	    eg_sockdiag_dump(diag, EG_SOCKDIAG_ALL, 2, collect, collected, &stats, NULL), 2);
	assert_true(stats.truncated);
	assert_int_equal(stats.delivered, 2);
	assert_int_equal(stats.received, 5);
	assert_int_equal(
	    eg_sockdiag_dump(diag, EG_SOCKDIAG_ALL, 5, stop_at_first, NULL, &stats, NULL),
	    -ECANCELED);
	assert_int_equal(stats.delivered, 1);
	assert_int_equal(stats.received, 5);
	assert_int_equal(eg_sockdiag_dump(diag, EG_SOCKDIAG_ALL, 0, collect, collected, NULL, NULL),
	                 -EINVAL);
	assert_int_equal(dump(diag, EG_SOCKDIAG_ALL)->count, 5);
	for (size_t i = 0; i < 5; i++)
		close(fds[i]);
	free(collected);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(loopback_tcp4_client),
	    cmocka_unit_test(loopback_tcp6_client),
	    cmocka_unit_test(accepted_connection_looks_outgoing),
	    cmocka_unit_test(udp_connected_shows_destination),
	    cmocka_unit_test(udp_sendto_has_no_destination),
	    cmocka_unit_test(udp_reconnect_shows_last_destination),
	    cmocka_unit_test(refused_connect_not_dumped),
	    cmocka_unit_test(time_wait_has_no_owner),
	    cmocka_unit_test(syn_sent_ipv4_public),
	    cmocka_unit_test(syn_sent_ipv6_public),
	    cmocka_unit_test(syn_sent_mapped_ipv4_public),
	    cmocka_unit_test(netns_opener_lands_in_target),
	    cmocka_unit_test(dump_socket_refuses_spoofing),
	    cmocka_unit_test(dump_truncates_and_recovers),
	};

	return cmocka_run_group_tests(tests, setup_namespaces, teardown_namespaces);
}
