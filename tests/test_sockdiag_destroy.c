/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sock_diag destroy groups against the real kernel (root), inside network
 * namespaces the test makes: what a destroyed socket's message carries
 * (destination, cookie; no inode, no uid, so no owner), what it cannot
 * carry (limits 1 to 3 of sockdiag.h), unsubscribing, spoofed datagrams.
 * Network safety: see sockdiag_helpers.h.
 */
#include "sockdiag_helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "monitor/sockdiag.h"
#include "monitor/socket_owner.h"

#define EVENT_WAIT_MS 2000 /* destroy messages come in ~100 us; ample */

/* Waits for the destroy message of cookie and returns it. */
static struct eg_socket_info destroyed(struct eg_sockdiag_destroy_listener *listener,
                                       uint64_t cookie)
{
	struct collected *events = calloc(1, sizeof(*events));
	struct pollfd poll_fd = {.fd = eg_sockdiag_destroy_listener_fd(listener), .events = POLLIN};
	struct eg_sockdiag_destroy_stats stats;
	struct eg_socket_info found = {0};

	while (!found.cookie && poll(&poll_fd, 1, EVENT_WAIT_MS) == 1) {
		events->count = 0;
		assert_true(eg_sockdiag_destroy_listener_read(listener, collect, events, &stats,
		                                              NULL) >= 0);
		assert_int_equal(stats.overflows, 0);
		for (size_t i = 0; i < events->count; i++)
			if (events->sockets[i].cookie == cookie)
				found = events->sockets[i];
	}
	free(events);
	if (!found.cookie)
		fail_msg("no destroy message for cookie %llu", (unsigned long long)cookie);
	return found;
}

/* Limit 1: no route.  TCP: not in the dump; UDP: in the dump (connect()
 * bound it) with no destination.  The destroy message has no destination,
 * except TCP over IPv6, which keeps the address (port 0). */
static void unreachable_connect_leaves_nothing(void **state)
{
	static const struct {
		const char *address;
		int domain, type;
		bool address_kept;
	} cases[] = {
	    {"1.1.1.1", AF_INET, SOCK_STREAM, false},
	    {"2606:4700::1111", AF_INET6, SOCK_STREAM, true},
	    {"1.1.1.1", AF_INET, SOCK_DGRAM, false},
	    {"2606:4700::1111", AF_INET6, SOCK_DGRAM, false},
	};
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(lo_only.path);
	_cleanup_listener_ struct eg_sockdiag_destroy_listener *listener = NULL;

	(void)state;
	assert_int_equal(
	    eg_sockdiag_destroy_listener_open(lo_only.path, EG_SOCKDIAG_ALL, &listener, NULL), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = public_socket(&lo_only, cases[i].domain, cases[i].type);
		uint64_t cookie = cookie_of(fd);
		const struct eg_socket_info *found;
		struct eg_socket_info event;

		assert_int_equal(connect_to(fd, cases[i].address, 80), -1);
		assert_int_equal(errno, ENETUNREACH);
		found = by_cookie(dump(diag, EG_SOCKDIAG_ALL), cookie);
		if (cases[i].type == SOCK_STREAM)
			assert_null(found);
		else
			assert_false(found == NULL || eg_socket_info_has_destination(found));
		close(fd);
		event = destroyed(listener, cookie);
		assert_int_equal(event.destination_port, 0);
		if (cases[i].address_kept)
			assert_address(&event.destination, cases[i].address);
		else
			assert_false(eg_socket_info_has_destination(&event));
	}
}

/* Limit 3: a connect-then-close no dump saw: destination, but no owner. */
static void destroy_event_reports_unseen_connect(void **state)
{
	static const struct {
		const char *address;
		int domain, type, protocol;
	} cases[] = {
	    {"1.1.1.1", AF_INET, SOCK_STREAM, IPPROTO_TCP},
	    {"2606:4700::1111", AF_INET6, SOCK_STREAM, IPPROTO_TCP},
	    {"1.1.1.1", AF_INET, SOCK_DGRAM, IPPROTO_UDP},
	    {"2606:4700::1111", AF_INET6, SOCK_DGRAM, IPPROTO_UDP},
	};
	_cleanup_listener_ struct eg_sockdiag_destroy_listener *listener = NULL;
	_cleanup_(eg_sockdiag_freep) struct eg_sockdiag *diag = open_diag(sinkhole.path);

	(void)state;
	assert_int_equal(
	    eg_sockdiag_destroy_listener_open(sinkhole.path, EG_SOCKDIAG_ALL, &listener, NULL), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = public_socket(&sinkhole, cases[i].domain, cases[i].type | SOCK_NONBLOCK);
		uint64_t cookie = cookie_of(fd);
		struct eg_socket_info event;

		assert_true(connect_to(fd, cases[i].address, 80) == 0 || errno == EINPROGRESS);
		close(fd);
		event = destroyed(listener, cookie);
		assert_null(by_cookie(dump(diag, EG_SOCKDIAG_ALL), cookie)); /* no trace left */
		assert_int_equal(event.protocol, cases[i].protocol);
		assert_int_equal(event.family, cases[i].domain);
		assert_address(&event.destination, cases[i].address);
		assert_int_equal(event.destination_port, 80);
		assert_int_equal(event.inode, 0);
		assert_int_equal(event.uid, 0);
	}
}

/* The destroy messages of limit 2 (sendto) and of a refused connect. */
static void destroy_event_sendto_and_refused(void **state)
{
	_cleanup_listener_ struct eg_sockdiag_destroy_listener *listener = NULL;
	struct sockaddr_storage address;
	socklen_t length = sockaddr_of("127.0.0.1", 0, &address);
	_cleanup_close_ int holder = public_socket(&lo_only, AF_INET, SOCK_STREAM);
	int fd = public_socket(&lo_only, AF_INET, SOCK_DGRAM);
	uint64_t cookie = cookie_of(fd);
	struct eg_socket_info event;

	(void)state;
	assert_int_equal(
	    eg_sockdiag_destroy_listener_open(lo_only.path, EG_SOCKDIAG_ALL, &listener, NULL), 0);
	assert_int_equal(bind(holder, (struct sockaddr *)&address, length), 0);
	assert_int_equal(getsockname(holder, (struct sockaddr *)&address, &length), 0);
	assert_int_equal(sendto(fd, "x", 1, 0, (struct sockaddr *)&address, length), 1);
	close(fd);
	event = destroyed(listener, cookie);
	assert_false(eg_socket_info_has_destination(&event));

	fd = public_socket(&lo_only, AF_INET, SOCK_STREAM);
	cookie = cookie_of(fd);
	assert_int_equal(connect(fd, (struct sockaddr *)&address, length), -1);
	assert_int_equal(errno, ECONNREFUSED);
	close(fd);
	event = destroyed(listener, cookie);
	assert_address(&event.destination, "127.0.0.1");
	assert_int_equal(event.destination_port, 0);
}

/* Unsubscribed: no message; a datagram from a user socket: dropped. */
static void destroy_listener_unsubscribe_and_spoof(void **state)
{
	_cleanup_listener_ struct eg_sockdiag_destroy_listener *listener = NULL;
	_cleanup_close_ int spoofer = -1;
	struct eg_sockdiag_destroy_stats stats;
	struct sockaddr_nl group = {.nl_family = AF_NETLINK, .nl_groups = 1u << 0};
	struct {
		struct nlmsghdr header;
		struct inet_diag_msg message;
	} fake = {.header = {.nlmsg_len = sizeof(fake), .nlmsg_type = SOCK_DIAG_BY_FAMILY},
	          .message = {.idiag_family = AF_INET, .idiag_state = TCP_CLOSE}};
	int fd;

	(void)state;
	assert_int_equal(
	    eg_sockdiag_destroy_listener_open(lo_only.path, EG_SOCKDIAG_ALL, &listener, NULL), 0);
	assert_int_equal(eg_sockdiag_destroy_listener_subscribe(listener, 0, NULL), 0);
	fd = public_socket(&lo_only, AF_INET, SOCK_DGRAM);
	assert_int_equal(connect_to(fd, "127.0.0.1", 9), 0);
	close(fd);
	assert_int_equal(poll(&(struct pollfd){.fd = eg_sockdiag_destroy_listener_fd(listener),
	                                       .events = POLLIN},
	                      1, 200),
	                 0);

	assert_int_equal(eg_sockdiag_destroy_listener_subscribe(listener, EG_SOCKDIAG_TCP4, NULL),
	                 0);
	assert_int_equal(eg_socket_in_netns(lo_only.path, AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG,
	                                    &spoofer, NULL),
	                 0);
	fake.message.id.idiag_dst[0] = htonl(0x01010101);
	assert_int_equal(
	    sendto(spoofer, &fake, sizeof(fake), 0, (struct sockaddr *)&group, sizeof(group)),
	    sizeof(fake));
	assert_int_equal(eg_sockdiag_destroy_listener_read(listener, collect, NULL, &stats, NULL),
	                 0);
	assert_int_equal(stats.foreign_datagrams, 1);
}

/* Subscribing needs no capability: a process in the namespace that dropped
 * them all (uid 65534; proven: it may not unshare, nor send to a group)
 * still gets the destroy message, with its destination. */
static int unprivileged_listener(void)
{
	_cleanup_listener_ struct eg_sockdiag_destroy_listener *listener = NULL;
	_cleanup_close_ int netns = open(lo_only.path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int sender = -1;
	struct sockaddr_nl group = {.nl_family = AF_NETLINK, .nl_groups = 1u << 0};
	struct nlmsghdr header = {.nlmsg_len = sizeof(header)};
	struct collected *events = calloc(1, sizeof(*events));
	int fd;

	if (!events || netns < 0 || setns(netns, CLONE_NEWNET) < 0 || setgroups(0, NULL) < 0 ||
	    setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		return 10;
	sender = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (unshare(CLONE_NEWNET) == 0 || errno != EPERM ||
	    sendto(sender, &header, sizeof(header), 0, (struct sockaddr *)&group, sizeof(group)) >=
	        0 ||
	    errno != EPERM)
		return 11; /* still privileged */
	if (eg_sockdiag_destroy_listener_open(NULL, EG_SOCKDIAG_UDP4, &listener, NULL) < 0)
		return 12;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect_to(fd, "127.0.0.1", 9) < 0)
		return 13;
	close(fd);
	if (poll(
	        &(struct pollfd){.fd = eg_sockdiag_destroy_listener_fd(listener), .events = POLLIN},
	        1, EVENT_WAIT_MS) != 1 ||
	    eg_sockdiag_destroy_listener_read(listener, collect, events, NULL, NULL) != 1)
		return 14;
	if (events->sockets[0].destination_port != 9)
		return 15;
	free(events);
	return 0;
}

static void destroy_groups_need_no_privilege(void **state)
{
	int status;
	pid_t child = fork();

	(void)state;
	assert_true(child >= 0);
	if (child == 0)
		_exit(unprivileged_listener());
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(unreachable_connect_leaves_nothing),
	    cmocka_unit_test(destroy_event_reports_unseen_connect),
	    cmocka_unit_test(destroy_event_sendto_and_refused),
	    cmocka_unit_test(destroy_listener_unsubscribe_and_spoof),
	    cmocka_unit_test(destroy_groups_need_no_privilege),
	};

	return cmocka_run_group_tests(tests, setup_namespaces, teardown_namespaces);
}
