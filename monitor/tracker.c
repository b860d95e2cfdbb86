/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Where the process events come from.  monitor.tracker (overridden by
 * $ENTRYGUARD_TRACKER):
 *   proc_connector  the kernel's events; the monitor refuses to start when
 *                   the probe fails;
 *   procfs          the procfs tracker (tracker_procfs.h) polls /proc;
 *   auto            the proc connector when its probe passes, else one
 *                   warning line and procfs.  A rootless monitor runs in
 *                   Podman's user namespace, where the kernel ignores the
 *                   subscription (cn_proc answers only the initial user and
 *                   PID namespaces): the probe sees no acknowledgement, and
 *                   any events that arrive are someone else's subscription's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/log.h"
#include "monitor/monitor.h"
#include "monitor/procfs.h"
#include "monitor/target.h"
#include "monitor/tracker_procfs.h"

/* The probe forks one child and waits for its events: a few ms normally. */
#define PROBE_TIMEOUT_MS 2000
#define NS_PER_MS        1000000ull

static int tracker_from_environment(struct monitor *monitor, enum eg_tracker *ret_tracker,
                                    struct eg_error *err)
{
	struct eg_config *config = monitor->config;
	enum eg_tracker configured;
	int r;

	/* Listen mode asks before the config is known: a default one. */
	if (!config) {
		_cleanup_(eg_config_freep) struct eg_config *defaults = NULL;

		r = eg_config_new_default(&defaults, err);
		if (r >= 0)
			r = eg_config_tracker_override(defaults, getenv(EG_TRACKER_ENVIRONMENT),
			                               err);
		if (r >= 0)
			*ret_tracker = defaults->monitor_tracker;
		return r;
	}
	configured = config->monitor_tracker;
	r = eg_config_tracker_override(config, getenv(EG_TRACKER_ENVIRONMENT), err);
	if (r >= 0)
		*ret_tracker = config->monitor_tracker;
	config->monitor_tracker = configured;
	return r;
}

static int connector_open(struct monitor *monitor, eg_proc_event_handler handler,
                          struct eg_error *err)
{
	int r = eg_proc_connector_open(NULL, &monitor->connector, err);

	if (r >= 0)
		r = eg_proc_connector_probe(monitor->connector, PROBE_TIMEOUT_MS, handler,
		                            handler ? monitor : NULL, err);
	/* Events arrive, some were lost: the seed that follows reads /proc. */
	if (r == -ENOBUFS) {
		monitor->events_lost++;
		r = 0;
	}
	if (r < 0) {
		eg_proc_connector_free(monitor->connector);
		monitor->connector = NULL;
	}
	return r;
}

/* Opens the procfs tracker.  prime: what exists now is recorded without
 * events (hook mode seeds it from /proc itself); otherwise the first scan
 * hands out every descendant of the init as forks, parents first. */
static int poll_open(struct monitor *monitor, bool prime, struct eg_error *err)
{
	const struct eg_container *container = monitor->container;
	struct eg_proc_poll_settings settings = {
	    .root_pid = container->init_pid,
	    .root_start_time = container->init_start_time,
	    .max_processes = monitor->config->max_processes,
	    .nanoseconds_per_tick = monitor->nanoseconds_per_tick,
	    .boot_offset_ns = monitor->boot_offset_ns,
	    .created_ns = monitor_now_ns(),
	};
	int r = eg_proc_poll_new(&settings, &monitor->poll, err);

	if (r >= 0 && prime)
		r = eg_proc_poll_scan(monitor->poll, monitor_now_ns(), NULL, NULL, err);
	if (r < 0)
		return eg_error_prefix(err, r, "procfs tracker");
	monitor->tree_changed_ns = monitor_now_ns();
	return 0;
}

static void say_fallback(const struct monitor *monitor, const char *why)
{
	eg_log_warning("container %s: %s; following the container's processes by polling /proc "
	               "instead (monitor.tracker auto: docs/CONFIG.md)",
	               monitor->container->id, why);
}

static void say_forced(const struct monitor *monitor)
{
	eg_log_info("container %s: following the container's processes by polling /proc "
	            "(monitor.tracker procfs)",
	            monitor->container->id);
}

int monitor_tracker_open(struct monitor *monitor, struct eg_error *err)
{
	struct eg_error probe_err = {0};
	enum eg_tracker tracker;
	int r = tracker_from_environment(monitor, &tracker, err);

	if (r < 0)
		return r;
	/* Subscribe before seeding: a fork between the /proc scan and the
	 * subscription would otherwise be lost.  The same for the procfs
	 * tracker's first look. */
	if (tracker != EG_TRACKER_PROCFS) {
		r = connector_open(monitor, monitor_tree_on_event,
		                   tracker == EG_TRACKER_AUTO ? &probe_err : err);
		if (r < 0 && tracker == EG_TRACKER_PROC_CONNECTOR)
			return r;
		if (r < 0)
			say_fallback(monitor, probe_err.message);
	}
	if (tracker == EG_TRACKER_PROCFS)
		say_forced(monitor);
	if (!monitor->connector) {
		r = poll_open(monitor, true, err);
		if (r < 0)
			return r;
	}
	return monitor_tree_seed(monitor, err);
}

int monitor_tracker_listen_open(struct monitor *monitor, struct eg_error *err)
{
	struct eg_error probe_err = {0};
	enum eg_tracker tracker;
	int r = tracker_from_environment(monitor, &tracker, err);

	if (r < 0 || tracker == EG_TRACKER_PROCFS)
		return r;
	r = connector_open(monitor, NULL, tracker == EG_TRACKER_AUTO ? &probe_err : err);
	if (r < 0 && tracker == EG_TRACKER_PROC_CONNECTOR)
		return r;
	if (r < 0)
		snprintf(monitor->connector_failure, sizeof(monitor->connector_failure), "%s",
		         probe_err.message);
	return 0;
}

/* The init exec'd before the procfs tracker first looked (listen mode: the
 * runtime's message is read when the monitor gets the CPU, the container
 * may run by then): its comm already agrees with process.args[0], or it
 * runs a file of the container's (it exec'd process.args[0], then another
 * program: exec "$@"), so the exec is handed out now, stamped now.  In the
 * second case on_exec() names it after process.args[0] and has the first
 * look compare the children it finds with that program (they were forked
 * before the exec, or by the program after it: recall first). */
static int init_exec_missed(struct monitor *monitor)
{
	struct eg_proc_stat init;
	struct eg_proc_event exec = {
	    .type = EG_PROC_EVENT_EXEC,
	    .pid = monitor->container->init_pid,
	    .timestamp_ns = monitor_now_ns(),
	};
	size_t length;

	if (monitor->init_exec_seen || !monitor->init_exec_name[0] ||
	    eg_proc_stat_read(NULL, exec.pid, &init, NULL) < 0)
		return 0;
	length = strlen(init.comm);
	if (length < EG_PROC_COMM_VISIBLE
	        ? strcmp(init.comm, monitor->init_exec_name) != 0
	        : strncmp(init.comm, monitor->init_exec_name, length) != 0) {
		if (eg_proc_poll_root_execd(monitor->poll) <= 0)
			return 0;
		eg_log_debug("container %s: the init runs %s already: process.args[0] (%s) "
		             "exec'd it before the first look",
		             monitor->container->id, init.comm, monitor->init_exec_name);
	}
	return monitor_tree_on_event(&exec, monitor);
}

int monitor_tracker_listen_seed(struct monitor *monitor, struct eg_error *err)
{
	enum eg_tracker tracker;
	int r = tracker_from_environment(monitor, &tracker, err);

	if (r < 0)
		return r;
	if (tracker == EG_TRACKER_PROC_CONNECTOR && !monitor->connector)
		return eg_error_set(err, ENOTCONN, "%s",
		                    monitor->connector_failure[0] ? monitor->connector_failure
		                                                  : "proc connector: not open");
	if (tracker == EG_TRACKER_PROCFS) {
		/* The config asks for procfs: the queued events are dropped. */
		eg_proc_connector_free(monitor->connector);
		monitor->connector = NULL;
		say_forced(monitor);
	} else if (!monitor->connector && monitor->connector_failure[0]) {
		say_fallback(monitor, monitor->connector_failure);
	}
	r = monitor_tree_seed_init(monitor, err);
	if (r < 0)
		return r;
	if (!monitor->connector) {
		r = poll_open(monitor, false, err);
		if (r >= 0)
			r = init_exec_missed(monitor);
		if (r >= 0)
			monitor_tree_poll(monitor);
		return r;
	}
	/* The queue holds the container's whole history, unless it overflowed
	 * while we waited: then /proc is the best there is. */
	monitor_tree_receive(monitor);
	if (monitor->events_lost) {
		eg_log_warning("container %s: process events were lost while waiting for the "
		               "runtime; the tree is taken from /proc instead",
		               monitor->container->id);
		r = monitor_tree_seed(monitor, err);
	}
	return r;
}

/* The init's exec after its first one, when one look found both: the
 * children that look found stay the entrypoint's (recall first: they may
 * have been forked before it), later ones are the new program's. */
static void hand_out_pending_exec(struct monitor *monitor)
{
	struct eg_proc_event exec = {
	    .type = EG_PROC_EVENT_EXEC,
	    .pid = monitor->container->init_pid,
	    .timestamp_ns = monitor_now_ns(),
	};

	if (!monitor->init_exec_pending)
		return;
	monitor->init_exec_pending = false;
	monitor_tree_on_event(&exec, monitor);
}

void monitor_tree_poll(struct monitor *monitor)
{
	struct eg_error err = {0};
	uint64_t now_ns = monitor_now_ns();
	int r;

	if (!monitor->poll)
		return;
	r = eg_proc_poll_scan(monitor->poll, now_ns, monitor_tree_on_event, monitor, &err);
	hand_out_pending_exec(monitor);
	if (r > 0)
		monitor->tree_changed_ns = now_ns;
	/* -ESRCH: the init is gone; its pidfd ends the loop. */
	else if (r < 0 && r != -ESRCH)
		eg_log_warning("container %s: %s", monitor->container->id, err.message);
}

int monitor_tracker_interval_ms(const struct monitor *monitor, uint64_t now_ns, bool window_open)
{
	uint64_t quiet_ns = (uint64_t)monitor->config->window_ms * NS_PER_MS;

	if (!monitor->poll)
		return 0;
	/* A window open, or a change within a window's length: an entrypoint
	 * may be about to fork.  Otherwise a slower look still sees a late
	 * entrypoint's exec, and goes fast from there. */
	if (window_open || !monitor->init_exec_seen || now_ns - monitor->tree_changed_ns < quiet_ns)
		return EG_PROC_POLL_INTERVAL_MS;
	return EG_PROC_POLL_IDLE_INTERVAL_MS;
}

static bool tracked(const struct monitor *monitor, pid_t pid)
{
	struct eg_entity_id ignored;

	return eg_correlator_entity_id(monitor->correlator, pid, &ignored) == 0;
}

/* The proc connector lost events: pid's ancestors are climbed up to one the
 * correlator knows, and the unknown ones seeded, top down, with their
 * parents of now. */
static int seed_lineage(struct monitor *monitor, pid_t pid)
{
	pid_t chain[EG_PROC_POLL_DEPTH_MAX];
	struct eg_proc_stat stat;
	uint64_t child_start = UINT64_MAX;
	size_t depth = 0;

	for (pid_t at = pid; !tracked(monitor, at); at = stat.parent_pid) {
		if (at <= 0 || depth == EG_PROC_POLL_DEPTH_MAX ||
		    eg_proc_stat_read(NULL, at, &stat, NULL) < 0)
			return at <= 0 ? 0 : -ESRCH;
		if (stat.start_time > child_start)
			return 0; /* a reused pid: the lineage leads elsewhere */
		child_start = stat.start_time;
		chain[depth++] = at;
	}
	for (size_t i = depth; i-- > 0;) {
		_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;
		struct eg_seed_process seed = {.pid = chain[i]};

		if (eg_proc_exec_read(NULL, chain[i], &info, NULL) < 0)
			return -ESRCH;
		seed.start_time = info->stat.start_time;
		seed.parent_pid = info->stat.parent_pid;
		seed.name = info->name.name;
		seed.executable = info->executable_error ? NULL : info->executable;
		if (eg_correlator_seed(monitor->correlator, &seed, NULL) < 0)
			return -ENOSPC;
	}
	if (depth)
		eg_log_debug("container %s: pid %d's lineage (%zu processes) taken from /proc",
		             monitor->container->id, (int)pid, depth);
	return 1;
}

int monitor_tree_resolve(struct monitor *monitor, pid_t tid)
{
	struct eg_error err = {0};
	pid_t pid = tid;
	int r;

	if (!monitor->correlator)
		return -ESRCH;
	if (!monitor->poll && tracked(monitor, tid))
		return 1;
	/* A main thread's id is its process id: no /proc read then. */
	if (!tracked(monitor, tid) && eg_thread_group_of(tid, &pid) < 0)
		return -ESRCH;
	if (!monitor->poll)
		return tracked(monitor, pid) ? 1 : seed_lineage(monitor, pid);
	r = eg_proc_poll_resolve(monitor->poll, pid, monitor_now_ns(), monitor_tree_on_event,
	                         monitor, &err);
	hand_out_pending_exec(monitor);
	if (r == -ENOSPC)
		eg_log_debug("container %s: %s", monitor->container->id, err.message);
	return r;
}
