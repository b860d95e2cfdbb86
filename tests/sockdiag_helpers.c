/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the sock_diag tests; see sockdiag_helpers.h. */
#include "sockdiag_helpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entryguard/cleanup.h"

/* --- helpers -------------------------------------------------------------- */

int collect(const struct eg_socket_info *socket, void *userdata)
{
	struct collected *collected = userdata;

	if (collected->count < MAX_COLLECTED)
		collected->sockets[collected->count++] = *socket;
	return 0;
}

struct collected *dump(struct eg_sockdiag *diag, unsigned tables)
{
	static struct collected collected;
	struct eg_sockdiag_dump_stats stats;
	struct eg_error err = {0};
	int r;

	collected.count = 0;
	r = eg_sockdiag_dump(diag, tables, MAX_COLLECTED, collect, &collected, &stats, &err);
	if (r < 0)
		fail_msg("dump: %s", err.message);
	assert_false(stats.truncated);
	assert_int_equal((size_t)r, collected.count);
	return &collected;
}

const struct eg_socket_info *by_cookie(const struct collected *collected, uint64_t cookie)
{
	for (size_t i = 0; i < collected->count; i++)
		if (collected->sockets[i].cookie == cookie)
			return &collected->sockets[i];
	return NULL;
}

uint32_t inode_of(int fd)
{
	struct stat status;

	assert_int_equal(fstat(fd, &status), 0);
	return (uint32_t)status.st_ino;
}

uint64_t cookie_of(int fd)
{
	uint64_t cookie = 0;
	socklen_t length = sizeof(cookie);

	assert_int_equal(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &length), 0);
	return cookie;
}

struct eg_address address_of(const char *text)
{
	struct eg_address address = {0};

	address.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(address.family, text, address.bytes), 1);
	return address;
}

void assert_address(const struct eg_address *address, const char *text)
{
	struct eg_address expected = address_of(text);

	assert_int_equal(address->family, expected.family);
	assert_memory_equal(address->bytes, expected.bytes, sizeof(expected.bytes));
}

socklen_t sockaddr_of(const char *text, uint16_t port, struct sockaddr_storage *ret)
{
	struct eg_address address = address_of(text);

	memset(ret, 0, sizeof(*ret));
	if (address.family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ret;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, address.bytes, 4);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	memcpy(&in6->sin6_addr, address.bytes, 16);
	return sizeof(*in6);
}

int connect_to(int fd, const char *text, uint16_t port)
{
	struct sockaddr_storage address;
	socklen_t length = sockaddr_of(text, port, &address);

	return connect(fd, (struct sockaddr *)&address, length);
}

/* A TCP listener on address:0; returns its fd and port. */
int listener_on(const char *text, uint16_t *ret_port)
{
	struct sockaddr_storage address;
	socklen_t length = sockaddr_of(text, 0, &address);
	int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&address, length), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &length), 0);
	*ret_port = ntohs(((struct sockaddr_in *)&address)->sin_port); /* same offset in6 */
	return fd;
}

struct eg_sockdiag *open_diag(const char *netns_path)
{
	struct eg_sockdiag *diag = NULL;
	struct eg_error err = {0};

	if (eg_sockdiag_open(netns_path, &diag, &err) < 0)
		fail_msg("open: %s", err.message);
	return diag;
}

/* --- network namespaces made by the test ---------------------------------- */

struct netns_child sinkhole, lo_only;

static int run_ip(const char *const *arguments)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execvp("ip", (char *const *)arguments);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int interface_up(const char *name)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq request = {0};

	snprintf(request.ifr_name, sizeof(request.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &request) < 0)
		return -1;
	request.ifr_flags |= IFF_UP;
	return ioctl(fd, SIOCSIFFLAGS, &request);
}

/* TESTBED.md's sinkhole, with the gateways' neighbour entries made
 * permanent (the peer's MAC): packets reach sink1 and die there, and a
 * closed socket is freed at once instead of after ~3 s of failed ARP. */
static int make_sinkhole(void)
{
	struct ifreq request = {0};
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	char mac[18];
	const unsigned char *bytes = (const unsigned char *)request.ifr_hwaddr.sa_data;
	const char *const commands[][16] = {
	    {"ip", "link", "add", "sink0", "type", "veth", "peer", "name", "sink1", NULL},
	    {"ip", "addr", "add", "10.254.0.2/24", "dev", "sink0", NULL},
	    {"ip", "link", "set", "sink0", "up", NULL},
	    {"ip", "link", "set", "sink1", "up", NULL},
	    {"ip", "route", "add", "default", "via", "10.254.0.1", "dev", "sink0", NULL},
	    {"ip", "-6", "addr", "add", "fd00:254::2/64", "dev", "sink0", "nodad", NULL},
	    {"ip", "-6", "route", "add", "default", "via", "fd00:254::1", "dev", "sink0", NULL},
	    {"ip", "neigh", "add", "10.254.0.1", "lladdr", mac, "dev", "sink0", "nud", "permanent",
	     NULL},
	    {"ip", "-6", "neigh", "add", "fd00:254::1", "lladdr", mac, "dev", "sink0", "nud",
	     "permanent", NULL},
	};

	if (run_ip(commands[0]) != 0)
		return -1;
	snprintf(request.ifr_name, sizeof(request.ifr_name), "sink1");
	if (ioctl(fd, SIOCGIFHWADDR, &request) < 0)
		return -1;
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2],
	         bytes[3], bytes[4], bytes[5]);
	for (size_t i = 1; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (run_ip(commands[i]) != 0)
			return -1;
	return 0;
}

void netns_child_start(struct netns_child *child, bool with_sinkhole)
{
	int ready[2];
	char status = 0;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	child->pid = fork();
	assert_true(child->pid >= 0);
	if (child->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		status = unshare(CLONE_NEWNET) == 0 && interface_up("lo") == 0 ? 'y' : 'n';
		if (status == 'y' && with_sinkhole && make_sinkhole() < 0)
			status = 's';
		(void)!write(ready[1], &status, 1);
		for (;;)
			pause(); /* holds the namespace until killed */
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &status, 1), 1);
	close(ready[0]);
	snprintf(child->path, sizeof(child->path), "/proc/%d/ns/net", (int)child->pid);
	child->ready = status == 'y';
	if (status == 'n')
		fail_msg("cannot make a network namespace (root needed)");
}

void netns_child_stop(struct netns_child *child)
{
	eg_kill_and_reap(&child->pid);
	child->pid = 0;
}

int setup_namespaces(void **state)
{
	(void)state;
	netns_child_start(&sinkhole, true);
	netns_child_start(&lo_only, false);
	return 0;
}

int teardown_namespaces(void **state)
{
	(void)state;
	netns_child_stop(&sinkhole);
	netns_child_stop(&lo_only);
	return 0;
}

ino_t netns_inode(const char *path)
{
	struct stat status;

	assert_int_equal(stat(path, &status), 0);
	return status.st_ino;
}

/* A socket made in child's namespace, proven to live there (SIOCGSKNS
 * gives the socket's own namespace) before anyone may connect it. */
int public_socket(const struct netns_child *child, int domain, int type)
{
	struct eg_error err = {0};
	struct stat status;
	int fd = -1, netns_fd;

	/* A missing `ip` must fail loudly, never skip: CI would not notice. */
	if (!child->ready)
		fail_msg(
		    "the sinkhole namespace could not be made (is iproute2's `ip` installed?)");
	if (eg_socket_in_netns(child->path, domain, type, 0, &fd, &err) < 0)
		fail_msg("socket in %s: %s", child->path, err.message);
	netns_fd = ioctl(fd, SIOCGSKNS);
	assert_true(netns_fd >= 0);
	assert_int_equal(fstat(netns_fd, &status), 0);
	close(netns_fd);
	if (status.st_ino != netns_inode(child->path)) {
		close(fd);
		fail_msg("SAFETY: the socket is not in the test's namespace; not connecting");
	}
	return fd;
}
