/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the sock_diag tests: collecting dumps, sockets on
 * loopback, and network namespaces the tests make themselves.
 *
 * Network safety: traffic goes to loopback, or to a public address only
 * from a socket made inside a network namespace a test unshares in a child
 * (a "sinkhole": a veth pair with both ends inside, nothing routed out; the
 * namespace dies with the child, nothing to clean up).  public_socket()
 * proves with SIOCGSKNS that a socket lives there before anyone may connect
 * it, and fails the test otherwise.
 */
#ifndef ENTRYGUARD_TESTS_SOCKDIAG_HELPERS_H
#define ENTRYGUARD_TESTS_SOCKDIAG_HELPERS_H

#include "unit.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "entryguard/cleanup.h"
#include "monitor/sockdiag.h"

#define MAX_COLLECTED 4096

#define _cleanup_listener_ _cleanup_(eg_sockdiag_destroy_listener_freep)

struct collected {
	struct eg_socket_info sockets[MAX_COLLECTED];
	size_t count;
};

/* An eg_sockdiag_socket_callback appending to a struct collected. */
int collect(const struct eg_socket_info *socket, void *userdata);
/* A whole dump of `tables` (fails the test on error or truncation), into a
 * static buffer that the next call reuses. */
struct collected *dump(struct eg_sockdiag *diag, unsigned tables);
const struct eg_socket_info *by_cookie(const struct collected *collected, uint64_t cookie);
struct eg_sockdiag *open_diag(const char *netns_path);

uint32_t inode_of(int fd);
uint64_t cookie_of(int fd);
struct eg_address address_of(const char *text);
void assert_address(const struct eg_address *address, const char *text);
socklen_t sockaddr_of(const char *text, uint16_t port, struct sockaddr_storage *ret);
int connect_to(int fd, const char *text, uint16_t port);
/* A TCP listener on text:0 in the caller's namespace; returns fd and port. */
int listener_on(const char *text, uint16_t *ret_port);

struct netns_child {
	pid_t pid;
	char path[64]; /* /proc/PID/ns/net */
	bool ready;    /* false: `ip` failed; tests needing it skip */
};

/* Two children, each in a network namespace of its own with lo up: the
 * sinkhole (TESTBED.md's veth pair, default routes into it) and lo_only
 * (no route but loopback, as `--network none`). */
extern struct netns_child sinkhole, lo_only;
int setup_namespaces(void **state);
int teardown_namespaces(void **state);
void netns_child_start(struct netns_child *child, bool with_sinkhole);
void netns_child_stop(struct netns_child *child);
ino_t netns_inode(const char *path);
/* A socket made in child's namespace, proven to live there. */
int public_socket(const struct netns_child *child, int domain, int type);

#endif
