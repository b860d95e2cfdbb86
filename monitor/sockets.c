/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Connection attempts seen through sock_diag: while a window is open the
 * container's sockets are dumped every EG_MONITOR_DUMP_INTERVAL_MS; each
 * socket that names a destination is attributed to a tracked process
 * through /proc/PID/fd and judged once by the correlator.  What this path
 * cannot see is listed in monitor/sockdiag.h.
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/log.h"
#include "monitor/monitor.h"
#include "monitor/sockdiag.h"
#include "monitor/socket_owner.h"

/* Sockets judged, by cookie (unique per boot, never 0 for a live socket):
 * each attempt is decided once.  A 4-way set-associative table; a full set
 * forgets its oldest entry, which at worst judges a long-lived socket a
 * second time. */
#define JUDGED_SETS   2048
#define JUDGED_WAYS   4
/* Unjudged sockets and listening ports taken from one dump; more are left,
 * unjudged, to the next dump.  The dump itself walks every socket of the
 * namespace (up to EG_SOCKDIAG_MAX_SOCKETS): sockets judged already cost a
 * lookup each, so a container holding thousands of connections does not hide
 * a new attempt behind them. */
#define DUMP_MAX      1024
#define LISTENERS_MAX 4096
/* A socket whose owner is not (yet) a tracked candidate is looked at again
 * in the next dumps, up to OWNER_RETRIES times (a burst of forks and execs
 * can be judged a dump before the tree has caught up), at most RETRY_SLOTS
 * such sockets at once; beyond, it is judged as it is. */
#define OWNER_RETRIES 20
#define RETRY_SLOTS   256

struct eg_sockets {
	struct eg_sockdiag *diag;
	struct eg_socket_owner *owner;
	uint64_t judged[JUDGED_SETS][JUDGED_WAYS];
	uint8_t judged_next[JUDGED_SETS];
	/* One dump's harvest: */
	struct eg_socket_info found[DUMP_MAX];
	size_t found_count;
	uint16_t listener_ports[LISTENERS_MAX];
	size_t listener_count;
	pid_t candidates[EG_SOCKET_OWNER_DEFAULT_MAX_PIDS];
	struct {
		uint64_t cookie;
		uint64_t first_dump;
		uint32_t inode;
		uint32_t tries;
	} retry[RETRY_SLOTS];
	uint64_t dumps;
	size_t deferred; /* unjudged sockets of this dump left to the next */
	bool dump_error_logged;
	bool truncation_logged;
	bool deferral_logged;
	bool listeners_overflowed;
};

static uint32_t judged_set(uint64_t cookie)
{
	/* Cookies are handed out in sequence: multiply to spread them. */
	return (uint32_t)((cookie * 0x9e3779b97f4a7c15ull) >> 32) % JUDGED_SETS;
}

static bool judged(const struct eg_sockets *sockets, uint64_t cookie)
{
	const uint64_t *set = sockets->judged[judged_set(cookie)];

	for (int way = 0; way < JUDGED_WAYS; way++)
		if (set[way] == cookie)
			return true;
	return false;
}

static void mark_judged(struct eg_sockets *sockets, uint64_t cookie)
{
	uint32_t index = judged_set(cookie);

	sockets->judged[index][sockets->judged_next[index]++ % JUDGED_WAYS] = cookie;
}

int monitor_sockets_open(struct monitor *monitor, struct eg_error *err)
{
	_cleanup_free_ char *netns = NULL;
	struct eg_sockets *sockets;
	const char *path = monitor->container->netns_path;
	int r;

	if (!path) {
		if (asprintf(&netns, "/proc/%d/ns/net", (int)monitor->container->init_pid) < 0)
			return eg_error_set(err, ENOMEM, "out of memory");
		path = netns;
	}
	sockets = calloc(1, sizeof(*sockets));
	if (!sockets)
		return eg_error_set(err, ENOMEM, "out of memory");
	monitor->sockets = sockets;
	r = eg_sockdiag_open(path, &sockets->diag, err);
	if (r < 0)
		return eg_error_prefix(err, r, "sock_diag in %s", path);
	return eg_socket_owner_new(&(struct eg_socket_owner_settings){0}, &sockets->owner, err);
}

void monitor_sockets_mark_judged(struct monitor *monitor, uint64_t cookie)
{
	if (monitor->sockets && cookie)
		mark_judged(monitor->sockets, cookie);
}

void monitor_sockets_free(struct monitor *monitor)
{
	if (!monitor->sockets)
		return;
	eg_sockdiag_free(monitor->sockets->diag);
	eg_socket_owner_free(monitor->sockets->owner);
	free(monitor->sockets);
	monitor->sockets = NULL;
}

static int collect(const struct eg_socket_info *socket, void *userdata)
{
	struct eg_sockets *sockets = userdata;

	if (socket->protocol == IPPROTO_TCP && socket->state == 10 /* TCP_LISTEN */) {
		if (sockets->listener_count < LISTENERS_MAX)
			sockets->listener_ports[sockets->listener_count++] = socket->source_port;
		else
			sockets->listeners_overflowed = true;
		return 0;
	}
	/* No destination (unconnected UDP), no file (TIME-WAIT), or judged
	 * already: nothing to decide. */
	if (!eg_socket_info_has_destination(socket) || socket->inode == 0 ||
	    judged(sockets, socket->cookie))
		return 0;
	if (sockets->found_count < DUMP_MAX)
		sockets->found[sockets->found_count++] = *socket;
	else
		sockets->deferred++;
	return 0;
}

/* Whether a socket judged without result may be looked at again in the next
 * dump: counts its tries, frees its slot when they are used up. */
static bool retry_later(struct eg_sockets *sockets, uint64_t cookie, uint32_t inode)
{
	size_t free_slot = RETRY_SLOTS;

	for (size_t i = 0; i < RETRY_SLOTS; i++) {
		if (sockets->retry[i].cookie == cookie) {
			if (++sockets->retry[i].tries < OWNER_RETRIES)
				return true;
			sockets->retry[i].cookie = 0;
			return false;
		}
		if (!sockets->retry[i].cookie && free_slot == RETRY_SLOTS)
			free_slot = i;
	}
	if (free_slot == RETRY_SLOTS)
		return false;
	sockets->retry[free_slot].cookie = cookie;
	sockets->retry[free_slot].inode = inode;
	sockets->retry[free_slot].first_dump = sockets->dumps;
	sockets->retry[free_slot].tries = 1;
	return true;
}

static void retry_done(struct eg_sockets *sockets, uint64_t cookie)
{
	for (size_t i = 0; i < RETRY_SLOTS; i++)
		if (sockets->retry[i].cookie == cookie)
			sockets->retry[i].cookie = 0;
}

/* A connection a server in the container accepted has a listener's port as
 * its source: it is inbound, not an attempt. */
static bool accepted(const struct eg_sockets *sockets, const struct eg_socket_info *socket)
{
	if (socket->protocol != IPPROTO_TCP)
		return false;
	for (size_t i = 0; i < sockets->listener_count; i++)
		if (sockets->listener_ports[i] == socket->source_port)
			return true;
	return false;
}

static void judge(struct monitor *monitor, const struct eg_socket_info *socket, size_t candidates,
                  uint64_t now_ns)
{
	struct eg_sockets *sockets = monitor->sockets;
	struct eg_decision decision;
	struct eg_attempt attempt = {
	    .time_ns = now_ns,
	    .destination = &socket->destination,
	    .destination_port = socket->destination_port,
	    .transport = socket->protocol == IPPROTO_TCP ? EG_TRANSPORT_TCP : EG_TRANSPORT_UDP,
	};

	if (accepted(sockets, socket)) {
		mark_judged(sockets, socket->cookie);
		return;
	}
	if (eg_socket_owner_find(sockets->owner, socket->inode, sockets->candidates, candidates,
	                         &attempt.pid) <= 0) {
		/* Not held by a process that could match, as far as the tree
		 * knows now: looked at again a few dumps, then judged. */
		if (retry_later(sockets, socket->cookie, socket->inode))
			return;
		mark_judged(sockets, socket->cookie);
		return;
	}
	mark_judged(sockets, socket->cookie);
	retry_done(sockets, socket->cookie);
	/* The procfs tracker's last look may be older than the owner's exec:
	 * the owner lives (it holds the socket), so look at it now.  (The
	 * owner is one of the candidates: the correlator tracks it.) */
	if (monitor->poll)
		monitor_tree_resolve(monitor, attempt.pid);
	if (eg_correlator_attempt(monitor->correlator, &attempt, &decision) < 0 || !decision.match)
		return;
	/* sock_diag sees an attempt after the kernel made it: it can only
	 * alert, whatever the mode (blocking is the seccomp path's). */
	monitor_alert(monitor, &decision, &attempt, EG_ACTION_ALERT, "sock_diag");
}

int monitor_sockets_scan(struct monitor *monitor, uint64_t now_ns)
{
	struct eg_sockdiag_dump_stats stats = {0};
	struct eg_sockets *sockets = monitor->sockets;
	struct eg_error err = {0};
	size_t candidates;
	int r;

	if (!sockets)
		return 0;
	candidates = eg_correlator_candidates(monitor->correlator, now_ns, sockets->candidates,
	                                      EG_SOCKET_OWNER_DEFAULT_MAX_PIDS);
	if (candidates == 0)
		return 0;
	/* Sockets to look at again: their owner is looked up afresh (once
	 * per dump: one scan of the candidates answers them all). */
	for (size_t i = 0; i < RETRY_SLOTS; i++) {
		if (!sockets->retry[i].cookie)
			continue;
		/* A socket gone from the dumps frees its slot in time. */
		if (sockets->dumps - sockets->retry[i].first_dump > 2 * OWNER_RETRIES) {
			sockets->retry[i].cookie = 0;
			continue;
		}
		eg_socket_owner_forget(sockets->owner, sockets->retry[i].inode);
	}
	sockets->found_count = sockets->listener_count = sockets->deferred = 0;
	sockets->listeners_overflowed = false;
	r = eg_sockdiag_dump(sockets->diag, EG_SOCKDIAG_ALL | EG_SOCKDIAG_TCP_LISTENERS,
	                     EG_SOCKDIAG_MAX_SOCKETS, collect, sockets, &stats, &err);
	sockets->dumps++;
	/* Only a namespace with more sockets than EG_SOCKDIAG_MAX_SOCKETS hides
	 * the rest from this watcher: say so once (the seccomp watcher is not
	 * bounded like this). */
	if (r >= 0 && stats.truncated && !sockets->truncation_logged) {
		eg_log_warning("container %s: more than %u sockets in the container's network "
		               "namespace: sock_diag dumps stop there, later tables go unread",
		               monitor->container->id, EG_SOCKDIAG_MAX_SOCKETS);
		sockets->truncation_logged = true;
	}
	if (r >= 0 && sockets->deferred > 0 && !sockets->deferral_logged) {
		eg_log_info("container %s: more than %d new connections in one sock_diag dump: "
		            "%zu left to the next dumps",
		            monitor->container->id, DUMP_MAX, sockets->deferred);
		sockets->deferral_logged = true;
	}
	if (r < 0) {
		if (!sockets->dump_error_logged)
			eg_log_error("container %s: sock_diag dump: %s", monitor->container->id,
			             err.message);
		sockets->dump_error_logged = true;
		return r;
	}
	for (size_t i = 0; i < sockets->found_count; i++)
		judge(monitor, &sockets->found[i], candidates, now_ns);
	return 0;
}
