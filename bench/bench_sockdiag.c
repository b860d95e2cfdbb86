/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What watching sockets costs: one sock_diag dump (four tables) of an empty
 * network namespace and of one holding 100 and 400 sockets, against
 * baselines measured in the same run (a getpid() call, one netlink
 * request-and-reply of an empty table); the same in a namespace with a TCP
 * established hash of its own (net.ipv4.tcp_child_ehash_entries, set in
 * the bench's own namespace only); a socket-owner cache hit and a /proc
 * scan; and what a destroy-group subscriber costs per closed socket (the
 * close() plus the monitor's read of the message; the message is built in
 * a kworker, not counted).
 *
 * Runs as root in network namespaces of its own (unshare), loopback only.
 * Each figure is the median of ROUNDS rounds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor/sockdiag.h"
#include "monitor/socket_owner.h"

#define ROUNDS            9
/* Most sockets the bench makes (pairs of a TCP connection on loopback). */
#define MAX_SOCKETS       400
/* Buckets of the per-namespace TCP hash in the second part: a container's
 * few sockets fit many times over. */
#define OWN_EHASH_ENTRIES "1024"
/* Sockets closed per call of the churn, between two reads of the events:
 * 100 messages stay well under the listener's receive buffer. */
#define CHURN_BATCH       100

static int sockets[MAX_SOCKETS + 1];
static int socket_count;
static int destroyed;      /* destroy messages read */
static uint32_t overflows; /* times the kernel dropped some (ENOBUFS) */

static uint64_t now_ns(void)
{
	struct timespec time;

	clock_gettime(CLOCK_MONOTONIC, &time);
	return (uint64_t)time.tv_sec * 1000000000u + (uint64_t)time.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

typedef void (*operation)(void *context);

/* Median nanoseconds per call of op over ROUNDS rounds of `calls` calls. */
static double measure(operation op, void *context, int calls)
{
	double rounds[ROUNDS];

	for (int round = 0; round < ROUNDS; round++) {
		uint64_t start = now_ns();
		for (int i = 0; i < calls; i++)
			op(context);
		rounds[round] = (double)(now_ns() - start) / calls;
	}
	qsort(rounds, ROUNDS, sizeof(rounds[0]), compare);
	return rounds[ROUNDS / 2];
}

static void call_getpid(void *context)
{
	(void)context;
	getpid();
}

static int count_socket(const struct eg_socket_info *socket, void *userdata)
{
	(void)socket;
	(*(int *)userdata)++;
	return 0;
}

struct dump_context {
	struct eg_sockdiag *diag;
	unsigned tables;
	int seen;
};

static void call_dump(void *context)
{
	struct dump_context *dump = context;
	struct eg_error err = {0};

	dump->seen = 0;
	if (eg_sockdiag_dump(dump->diag, dump->tables, EG_SOCKDIAG_MAX_SOCKETS, count_socket,
	                     &dump->seen, NULL, &err) < 0) {
		fprintf(stderr, "dump: %s\n", err.message);
		exit(1);
	}
}

/* Adds TCP connections on loopback until socket_count reaches target. */
static void add_sockets(int target)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	socklen_t length = sizeof(address);
	int listener = sockets[MAX_SOCKETS];

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	getsockname(listener, (struct sockaddr *)&address, &length);
	while (socket_count < target) {
		int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (client < 0 || connect(client, (struct sockaddr *)&address, length) < 0) {
			perror("connect");
			exit(1);
		}
		sockets[socket_count++] = client;
		sockets[socket_count++] = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	}
}

static void read_destroyed(struct eg_sockdiag_destroy_listener *listener)
{
	struct eg_sockdiag_destroy_stats stats;

	eg_sockdiag_destroy_listener_read(listener, count_socket, &destroyed, &stats, NULL);
	overflows += stats.overflows;
}

static void call_churn(void *context)
{
	struct eg_sockdiag_destroy_listener *listener = context;
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(9)};

	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < CHURN_BATCH; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		connect(fd, (struct sockaddr *)&address, sizeof(address));
		close(fd);
	}
	if (listener)
		read_destroyed(listener);
}

struct owner_context {
	struct eg_socket_owner *owner;
	uint32_t inode;
	pid_t pid;
	bool forget;
};

static void call_owner_find(void *context)
{
	struct owner_context *find = context;
	pid_t pid;

	if (find->forget)
		eg_socket_owner_forget(find->owner, find->inode);
	eg_socket_owner_find(find->owner, find->inode, &find->pid, 1, &pid);
}

static void row(const char *name, double ns, double getpid_ns, double roundtrip_ns)
{
	printf("%-46s %10.3f %12.1f %10.3f\n", name, ns / 1000.0, ns / getpid_ns,
	       ns / roundtrip_ns);
}

static void setup_namespace(void)
{
	struct ifreq request = {0};
	struct sockaddr_in address = {.sin_family = AF_INET};
	struct rlimit limit = {MAX_SOCKETS + 64, MAX_SOCKETS + 64};
	int fd;

	for (int i = 0; i < socket_count; i++)
		close(sockets[i]);
	if (socket_count)
		close(sockets[MAX_SOCKETS]);
	socket_count = 0;
	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET) (run as root)");
		exit(1);
	}
	setrlimit(RLIMIT_NOFILE, &limit);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	strcpy(request.ifr_name, "lo");
	ioctl(fd, SIOCGIFFLAGS, &request);
	request.ifr_flags |= IFF_UP;
	ioctl(fd, SIOCSIFFLAGS, &request);
	close(fd);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sockets[MAX_SOCKETS] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bind(sockets[MAX_SOCKETS], (struct sockaddr *)&address, sizeof(address));
	listen(sockets[MAX_SOCKETS], MAX_SOCKETS);
}

/* Dumps of the current namespace: empty, then with 100 and 400 sockets. */
static void dump_rows(const char *label, double getpid_ns, double roundtrip_ns)
{
	struct dump_context dump = {.tables = EG_SOCKDIAG_ALL};
	char name[80];

	if (eg_sockdiag_open(NULL, &dump.diag, NULL) < 0)
		exit(1);
	snprintf(name, sizeof(name), "dump, 4 tables, empty (%s)", label);
	row(name, measure(call_dump, &dump, 500), getpid_ns, roundtrip_ns);
	for (int target = 100; target <= MAX_SOCKETS; target *= 4) {
		add_sockets(target);
		double ns = measure(call_dump, &dump, 200);
		snprintf(name, sizeof(name), "dump, 4 tables, %d sockets (%s)", dump.seen, label);
		row(name, ns, getpid_ns, roundtrip_ns);
	}
	eg_sockdiag_free(dump.diag);
}

/* From now on, namespaces this process creates get a TCP hash of their own
 * (the setting belongs to the bench's namespace, not the host's). */
static void give_new_namespaces_own_hash(void)
{
	FILE *file = fopen("/proc/sys/net/ipv4/tcp_child_ehash_entries", "we");

	if (!file || fputs(OWN_EHASH_ENTRIES, file) < 0 || fclose(file) != 0) {
		perror("tcp_child_ehash_entries");
		exit(1);
	}
}

static void owner_rows(double getpid_ns, double roundtrip_ns)
{
	struct eg_socket_owner_settings settings = {0};
	struct owner_context find = {.pid = getpid()};
	struct stat status;
	char name[80];

	if (eg_socket_owner_new(&settings, &find.owner, NULL) < 0)
		exit(1);
	fstat(sockets[0], &status);
	find.inode = (uint32_t)status.st_ino;
	row("socket owner: cache hit", measure(call_owner_find, &find, 100000), getpid_ns,
	    roundtrip_ns);
	find.forget = true;
	snprintf(name, sizeof(name), "socket owner: scan of /proc/self (%d fds)", socket_count + 4);
	row(name, measure(call_owner_find, &find, 200), getpid_ns, roundtrip_ns);
	eg_socket_owner_free(find.owner);
}

static void destroy_rows(double getpid_ns, double roundtrip_ns)
{
	struct eg_sockdiag_destroy_listener *listener = NULL;
	double ns;

	ns = measure(call_churn, NULL, 50) / CHURN_BATCH;
	row("UDP socket+connect+close, nobody subscribed", ns, getpid_ns, roundtrip_ns);
	if (eg_sockdiag_destroy_listener_open(NULL, EG_SOCKDIAG_UDP4, &listener, NULL) < 0)
		exit(1);
	ns = measure(call_churn, listener, 50) / CHURN_BATCH;
	row("  the same + reading its destroy message", ns, getpid_ns, roundtrip_ns);
	/* Messages still being built by the kworker arrive a little later. */
	while (poll(&(struct pollfd){.fd = eg_sockdiag_destroy_listener_fd(listener),
	                             .events = POLLIN},
	            1, 200) == 1)
		read_destroyed(listener);
	printf("  (%d destroy messages read for %d closes, %u overflows)\n", destroyed,
	       ROUNDS * 50 * CHURN_BATCH, overflows);
	eg_sockdiag_destroy_listener_subscribe(listener, 0, NULL);
	ns = measure(call_churn, NULL, 50) / CHURN_BATCH;
	row("  the same, listener unsubscribed", ns, getpid_ns, roundtrip_ns);
	eg_sockdiag_destroy_listener_free(listener);
}

int main(void)
{
	struct dump_context one_table = {.tables = EG_SOCKDIAG_UDP6};
	double getpid_ns, roundtrip_ns;

	setup_namespace();
	if (eg_sockdiag_open(NULL, &one_table.diag, NULL) < 0)
		return 1;
	getpid_ns = measure(call_getpid, NULL, 100000);
	roundtrip_ns = measure(call_dump, &one_table, 2000);
	eg_sockdiag_free(one_table.diag);
	printf("%-46s %10s %12s %10s\n", "operation", "us/call", "x getpid()", "x 1 table");
	row("getpid() (baseline)", getpid_ns, getpid_ns, roundtrip_ns);
	row("dump of one empty UDP table (baseline)", roundtrip_ns, getpid_ns, roundtrip_ns);
	dump_rows("shared TCP hash", getpid_ns, roundtrip_ns);
	owner_rows(getpid_ns, roundtrip_ns);
	destroy_rows(getpid_ns, roundtrip_ns);

	give_new_namespaces_own_hash();
	setup_namespace();
	dump_rows("own TCP hash of " OWN_EHASH_ENTRIES, getpid_ns, roundtrip_ns);
	return 0;
}
