/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The container's process tree: proc connector events into the correlator.
 * Every host process's events arrive; only those of tracked processes (the
 * container's init and what it forks) cost more than one table lookup. */
#include <string.h>

#include "entryguard/log.h"
#include "monitor/monitor.h"
#include "monitor/procfs.h"

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
		if (monitor->init_exec_name[0])
			exec_event.name = monitor->init_exec_name;
	}
	/* Tracked processes descend from the container's init. */
	exec_event.in_container = true;
	r = eg_correlator_exec(monitor->correlator, &exec_event, NULL);
	if (r == -ENOSPC)
		table_full(monitor, event->pid);
	else if (r == 1) {
		monitor->any_window_opened = true;
		eg_log_debug("container %s: %s[%d] opened a window", monitor->container->id,
		             info->name.name, (int)event->pid);
	}
}

int monitor_tree_on_event(const struct eg_proc_event *event, void *userdata)
{
	struct monitor *monitor = userdata;
	struct eg_exit_event exit_event = {.start_time = EG_START_TIME_UNKNOWN};

	if (!monitor->correlator)
		return 0;
	switch (event->type) {
	case EG_PROC_EVENT_FORK:
		on_fork(monitor, event);
		break;
	case EG_PROC_EVENT_EXEC:
		on_exec(monitor, event);
		break;
	case EG_PROC_EVENT_EXIT:
		exit_event.pid = event->pid;
		eg_correlator_exit(monitor->correlator, &exit_event);
		break;
	}
	return 0;
}

/* The init and anything it already forked, parents first. */
int monitor_tree_seed(struct monitor *monitor, struct eg_error *err)
{
	_cleanup_(eg_proc_tree_freep) struct eg_proc_tree *tree = NULL;
	const struct eg_container *container = monitor->container;
	int r;

	r = eg_proc_tree_scan(NULL, container->init_pid, container->init_start_time,
	                      monitor->config->max_processes, &tree, err);
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
	return 0;
}
