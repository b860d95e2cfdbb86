/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's process tree: proc connector events into the correlator.
 * Every host process's events arrive; only those of tracked processes (the
 * container's init and what it forks) cost more than one table lookup. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entryguard/log.h"
#include "monitor/monitor.h"
#include "monitor/procfs.h"
#include "monitor/tracker_procfs.h"

static bool tracked(const struct monitor *monitor, pid_t pid)
{
	struct eg_entity_id ignored;

	return eg_correlator_entity_id(monitor->correlator, pid, &ignored) == 0;
}

static void table_full(struct monitor *monitor, pid_t pid)
{
	struct eg_correlator_stats stats;

	eg_correlator_get_stats(monitor->correlator, &stats);
	/* Once per power of two, so a fork bomb cannot flood the log. */
	if ((stats.dropped & (stats.dropped - 1)) == 0)
		eg_log_warning("container %s: process table full (%u): pid %d untracked "
		               "(%llu so far); raise limits.max_processes",
		               monitor->container->id, stats.capacity, (int)pid,
		               (unsigned long long)stats.dropped);
}

static void on_fork(struct monitor *monitor, const struct eg_proc_event *event)
{
	struct eg_fork_event fork_event = {
	    .parent_pid = event->parent_pid,
	    .parent_start_time = EG_START_TIME_UNKNOWN,
	    .child_pid = event->pid,
	    .time_ns = event->timestamp_ns,
	};
	struct eg_proc_stat child;

	if (!tracked(monitor, event->parent_pid))
		return;
	/* A child that is already gone (a double fork's middle process, say)
	 * must still be tracked until its exit event: its own children's fork
	 * events come first, and they inherit their lineage through it.  Its
	 * start time is then taken from the event's stamp: the kernel stamps
	 * both with the fork's clock, at clock-tick resolution. */
	if (eg_proc_stat_read(NULL, event->pid, &child, NULL) == 0)
		fork_event.child_start_time = child.start_time;
	else
		fork_event.child_start_time = event->timestamp_ns / monitor->nanoseconds_per_tick;
	if (eg_correlator_fork(monitor->correlator, &fork_event, NULL) == -ENOSPC)
		table_full(monitor, event->pid);
	monitor->windows_changed = true;
}

static void on_exec(struct monitor *monitor, const struct eg_proc_event *event)
{
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;
	struct eg_exec_event exec_event = {.pid = event->pid, .time_ns = event->timestamp_ns};
	int r;

	if (!tracked(monitor, event->pid))
		return;
	if (!monitor->first_exec_ns)
		monitor->first_exec_ns = event->timestamp_ns;
	/* Gone already: the exec still makes a new entity (of unknown name), so
	 * children it forked before its exit do not inherit the old one. */
	if (eg_proc_exec_read(NULL, event->pid, &info, NULL) < 0) {
		exec_event.start_time = EG_START_TIME_UNKNOWN;
	} else {
		exec_event.start_time = info->stat.start_time;
		exec_event.name = info->name.name;
		exec_event.executable = info->executable_error ? NULL : info->executable;
	}
	/* The init's first exec runs the container's process.args[0]: its name
	 * is known from the engine's config.json, whatever /proc shows by the
	 * time we read it (an entrypoint that execs "$@" at once may already
	 * be the next program). */
	if (event->pid == monitor->container->init_pid && !monitor->init_exec_seen) {
		monitor->init_exec_seen = true;
		if (monitor->init_exec_name[0]) {
			/* The procfs tracker sees the last of several quick
			 * execs: a program other than process.args[0] in /proc
			 * means the init exec'd again since ("$@"), which
			 * monitor_tree_poll() hands out after this look. */
			monitor->init_exec_pending =
			    monitor->poll && info &&
			    strcmp(info->name.name, monitor->init_exec_name);
			exec_event.name = monitor->init_exec_name;
			/* The children this look finds next were forked by
			 * process.args[0]'s program, not by what /proc shows. */
			if (monitor->init_exec_pending)
				eg_proc_poll_defer_exec(monitor->poll, event->pid,
				                        monitor->init_exec_name);
		}
	}
	/* Tracked processes descend from the container's init. */
	exec_event.in_container = true;
	r = eg_correlator_exec(monitor->correlator, &exec_event, NULL);
	monitor->windows_changed = true;
	if (r == -ENOSPC)
		table_full(monitor, event->pid);
	else if (r == 1) {
		monitor->any_window_opened = true;
		if (monitor->poll)
			eg_proc_poll_mark_entrypoint(monitor->poll, event->pid);
		/* info is NULL when the process was gone before it could be read
		 * (the init's first exec is still named from process.args[0]). */
		eg_log_debug("container %s: %s[%d] opened a window", monitor->container->id,
		             exec_event.name ? exec_event.name : "?", (int)event->pid);
	}
}

/* Whether a thread group whose leader exited still has live threads: its
 * /proc/PID/task then lists another task than the leader.  Only asked for
 * tracked processes. */
static bool threads_remain(pid_t pid)
{
	char path[64];
	DIR *tasks;
	struct dirent *entry;
	bool other = false;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	tasks = opendir(path);
	if (!tasks)
		return false;
	while (!other && (entry = readdir(tasks)))
		if (entry->d_name[0] != '.' && atoi(entry->d_name) != (int)pid)
			other = true;
	closedir(tasks);
	return other;
}

/* An event from before the init existed is about an earlier process that
 * had its pid (pids are reused).  In listen mode such events are still
 * queued when the init is seeded; one about the init's pid would forget
 * the init, or give it a stranger as a child. */
static bool before_init(const struct monitor *monitor, const struct eg_proc_event *event)
{
	pid_t pid = event->type == EG_PROC_EVENT_FORK ? event->parent_pid : event->pid;

	return pid == monitor->container->init_pid &&
	       event->timestamp_ns < monitor->init_started_ns;
}

int monitor_tree_on_event(const struct eg_proc_event *event, void *userdata)
{
	struct monitor *monitor = userdata;
	struct eg_exit_event exit_event = {.start_time = EG_START_TIME_UNKNOWN};

	if (!monitor->correlator || before_init(monitor, event))
		return 0;
	switch (event->type) {
	case EG_PROC_EVENT_FORK:
		on_fork(monitor, event);
		break;
	case EG_PROC_EVENT_EXEC:
		on_exec(monitor, event);
		break;
	case EG_PROC_EVENT_EXIT:
		/* The kernel reports the group leader's exit when the leader
		 * alone exits (pthread_exit() in main): while other threads of
		 * the group live, the process does, and must stay tracked. */
		if (tracked(monitor, event->pid) && threads_remain(event->pid))
			break;
		exit_event.pid = event->pid;
		if (eg_correlator_exit(monitor->correlator, &exit_event) > 0)
			monitor->windows_changed = true;
		break;
	}
	return 0;
}

static int seed(struct monitor *monitor, size_t max_processes, struct eg_error *err)
{
	_cleanup_(eg_proc_tree_freep) struct eg_proc_tree *tree = NULL;
	const struct eg_container *container = monitor->container;
	int r;

	r = eg_proc_tree_scan(NULL, container->init_pid, container->init_start_time, max_processes,
	                      &tree, err);
	if (r < 0)
		return eg_error_prefix(err, r, "scanning the container's processes");
	for (size_t i = 0; i < tree->count; i++) {
		_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;
		struct eg_seed_process seed = {
		    .pid = tree->entries[i].pid,
		    .start_time = tree->entries[i].start_time,
		    .parent_pid = i == 0 ? 0 : tree->entries[i].parent_pid,
		};

		if (eg_proc_exec_read(NULL, seed.pid, &info, NULL) == 0) {
			seed.name = info->name.name;
			seed.executable = info->executable_error ? NULL : info->executable;
		}
		r = eg_correlator_seed(monitor->correlator, &seed, err);
		if (r < 0)
			return eg_error_prefix(err, r, "tracking pid %d", (int)seed.pid);
	}
	monitor->windows_changed = true;
	return 0;
}

/* The init and anything it already forked, parents first: the hook's
 * monitor subscribes after the container's processes exist, and before the
 * runtime (which waits for the hook) lets the entrypoint run. */
int monitor_tree_seed(struct monitor *monitor, struct eg_error *err)
{
	return seed(monitor, monitor->config->max_processes, err);
}

/* Listen mode: the monitor subscribed before the runtime made the
 * container, so every fork and exec of its processes is queued, in order.
 * Only the init comes from /proc; its descendants come from the queue with
 * their lineage as it was at each fork.  (A /proc scan would be wrong here:
 * the container may already run when the runtime's message is read, and a
 * child forked by the entrypoint would be recorded as the child of the
 * init's entity before the entrypoint's exec, the queued exec then opening
 * a window that child no longer carries.) */
int monitor_tree_seed_init(struct monitor *monitor, struct eg_error *err)
{
	return seed(monitor, 1, err);
}

void monitor_tree_set_init_start(struct monitor *monitor)
{
	struct timespec boot, monotonic;
	uint64_t started, suspended;

	/* /proc's start time counts ticks of CLOCK_BOOTTIME; events are
	 * stamped with CLOCK_MONOTONIC, which stops while suspended. */
	clock_gettime(CLOCK_BOOTTIME, &boot);
	clock_gettime(CLOCK_MONOTONIC, &monotonic);
	suspended = eg_proc_poll_suspended_ns(&boot, &monotonic);
	monitor->boot_offset_ns = suspended;
	started = monitor->container->init_start_time * monitor->nanoseconds_per_tick;
	monitor->init_started_ns = started > suspended ? started - suspended : 0;
}

uint64_t monitor_now_ns(void)
{
	struct timespec now;

	/* The proc connector stamps events with ktime_get_ns(): the same clock. */
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
}

/* Rounds of eg_proc_connector_receive() (each at most
 * EG_PROC_CONNECTOR_RECEIVE_MAX_DATAGRAMS) one drain may take: the queue
 * holds ~10,000 events (proc_connector.h), so this empties it. */
#define DRAIN_ROUNDS_MAX 16

static void receive_events(struct monitor *monitor)
{
	for (int round = 0; round < DRAIN_ROUNDS_MAX; round++) {
		struct eg_error err = {0};
		int r = eg_proc_connector_receive(monitor->connector, monitor_tree_on_event,
		                                  monitor, &err);

		if (r == -ENOBUFS) {
			monitor->events_lost++;
			eg_log_warning("container %s: process events were lost (receive buffer "
			               "overrun); the tree is taken from /proc again, and a "
			               "process still unknown is looked up when it acts",
			               monitor->container->id);
			/* Processes forked meanwhile get their parent of now;
			 * the rest is monitor_tree_resolve()'s, per attempt. */
			if (seed(monitor, monitor->config->max_processes, &err) < 0)
				eg_log_warning("container %s: %s", monitor->container->id,
				               err.message);
			continue;
		}
		if (r < 0 && r != -EAGAIN)
			eg_log_error("container %s: proc connector: %s", monitor->container->id,
			             err.message[0] ? err.message : strerror(-r));
		if (r <= 0)
			return;
	}
}

void monitor_tree_receive(struct monitor *monitor)
{
	if (!monitor->connector)
		return;
	/* Before the socket is read: the fast path hands off while events
	 * are taken out of the queue and their window is not yet published. */
	atomic_store(&monitor->tree_reading, 1);
	receive_events(monitor);
	monitor_window_publish(monitor, monitor_now_ns());
	atomic_store(&monitor->tree_reading, 0);
}

void monitor_window_publish(struct monitor *monitor, uint64_t now_ns)
{
	monitor_window_open(monitor, now_ns);
	atomic_store(&monitor->published_deadline_ns, monitor->poll || monitor->events_lost
	                                                  ? UINT64_MAX
	                                                  : monitor->window_deadline_ns);
}

/* Windows open only at an exec and move only with tree events, so the
 * table is scanned again only after one. */
bool monitor_window_open(struct monitor *monitor, uint64_t now_ns)
{
	if (monitor->windows_changed) {
		uint64_t deadline = 0;

		if (eg_correlator_window_deadline(monitor->correlator, now_ns, &deadline) <= 0)
			deadline = 0;
		monitor->window_deadline_ns = deadline;
		monitor->windows_changed = false;
		atomic_store(&monitor->published_deadline_ns,
		             monitor->poll || monitor->events_lost ? UINT64_MAX : deadline);
	}
	return monitor->window_deadline_ns && now_ns <= monitor->window_deadline_ns;
}
