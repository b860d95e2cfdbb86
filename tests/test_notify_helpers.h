/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp listener tests' harness: a real kernel, a real filter.
 *
 * The test process plays the container's entrypoint (the correlator is told
 * it exec'd "entrypoint.sh") and forks the target, its child, so that the
 * target's attempts match inside the window.  The target joins the test's
 * sinkhole network namespace (sockdiag_helpers.h: a veth pair with both ends
 * inside, nothing routed out), installs a libseccomp filter that notifies
 * connect, sendto, sendmsg and sendmmsg, and the test takes the listener fd
 * with pidfd_getfd() (the target cannot send it: sendmsg is notified) and
 * serves it with the monitor's own code in a small epoll loop.
 *
 * Network safety: the target makes every socket that may reach a public
 * address with target_socket(), which proves with SIOCGSKNS that the socket
 * lives in the sinkhole namespace and exits the target otherwise.  Public
 * addresses appear only as destinations there.
 */
#ifndef ENTRYGUARD_TESTS_NOTIFY_HELPERS_H
#define ENTRYGUARD_TESTS_NOTIFY_HELPERS_H

#include "unit.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "monitor/monitor.h"
#include "monitor/notify.h"
#include "sockdiag_helpers.h"

#define NOTIFY_TAG 7u

/* Where the target leaves its results (shared memory). */
struct shared {
	int values[64];
	int64_t numbers[32];
	char text[1024];
};

typedef int (*scenario_function)(struct shared *shared, void *argument);

struct target_options {
	enum eg_mode mode;
	bool sinkhole;       /* join the sinkhole namespace (else: a loopback-only one) */
	bool window_expired; /* the entrypoint's exec was longer ago than the window */
	bool with_i386;      /* the filter covers i386 too (and socketcall) */
	bool no_serving;     /* the test drives the listener itself */
	bool keep_copy;      /* the test keeps a copy of the listener fd */
	bool with_connector; /* a real proc connector, drained before each decision */
};

struct harness {
	struct monitor monitor;
	char alerts_path[64];
	int epoll_fd;
	struct shared *shared;
	pid_t child;
	int child_pidfd;
	int listener_fd;   /* until the notify code takes it */
	int listener_copy; /* keep_copy */
	int go_fd;
	ino_t netns_inode;
};

/* Fixtures: the two namespaces (sockdiag_helpers.h). */
int notify_group_setup(void **state);
int notify_group_teardown(void **state);

void harness_start(struct harness *harness, const struct target_options *options,
                   scenario_function scenario, void *argument);
/* Serves notifications until the target exits; returns its wait status. */
int harness_run(struct harness *harness);
/* Serves notifications until until() says so (true), the target exits or
 * timeout_ms passes (false: until() never said so); harness_run() can
 * follow. */
bool harness_serve_until(struct harness *harness, int timeout_ms,
                         bool (*until)(const struct harness *harness));
/* Lets the target go without serving (no_serving). */
void harness_release(struct harness *harness);
void harness_stop(struct harness *harness);
void harness_stats(const struct harness *harness, struct monitor_notify_stats *ret_stats);

/* Alerts in the file with that entryguard.action (NULL: any) and
 * destination.ip (NULL: any), and source "seccomp". */
size_t alerts_count(const struct harness *harness, const char *action, const char *ip);
/* The same, counting only alerts whose destination.port is port. */
size_t alerts_count_port(const struct harness *harness, const char *action, const char *ip,
                         int port);

/* In the target: a socket proven to be in the namespace it joined, and
 * sockaddr helpers. */
int target_socket(int domain, int type);
int target_socket_protocol(int domain, int type, int protocol);
socklen_t address_of_text(const char *text, uint16_t port, struct sockaddr_storage *ret);
/* The inode of the namespace the target joined (in the target). */
ino_t harness_netns_inode(void);
/* A TCP listener on 127.0.0.1 (port 0: any) in the target's namespace. */
int target_tcp_listener(uint16_t *ret_port, int backlog);
int target_udp_receiver(uint16_t *ret_port);

#endif
