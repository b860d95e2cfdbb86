/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "procfs" tracker: follows one container's process tree by polling
 * /proc where the proc connector cannot be had (a kernel that ignores the
 * subscription from a child user namespace: rootless Podman), and turns
 * what changed since the last look into the proc connector's events (fork,
 * exec, exit), for the same tree code to consume.
 *
 * A scan walks down from the container's init through
 * <proc>/PID/task/TID/children (every thread's children: a process forked
 * by a thread is the process's child).  For each process it reads stat
 * (parent, start time, comm) and the exe link, after its children files:
 * a child listed was then forked by the program the look shows, or by one
 * before it (an exec after the fork), never by a later one; a look older
 * than the list would hand out a child of a quick exec-then-fork as the
 * old program's (the init's first child as the runtime's, windowless):
 *  - a pid not seen before is a fork of the process whose children file
 *    listed it; when its comm or exe differ from that parent's, it also
 *    exec'd after the fork;
 *  - a known pid with the same start time whose comm or exe changed exec'd
 *    (an exec of the same file under the same name is not seen);
 *  - a known pid with another start time is a new process on a reused pid;
 *  - a known pid the walk did not reach has exited.
 * eg_proc_poll_resolve() does the same for one process and its ancestors,
 * when a watcher meets a pid between two scans: the process is alive (a
 * seccomp target is stopped in its syscall), so its lineage can be read
 * right then.
 *
 * What polling cannot know, against the proc connector:
 *  - a process that forks, acts and exits between two scans, unseen by any
 *    watcher, is missed (a seccomp notification or a socket found by
 *    sock_diag resolves its pid while it lives);
 *  - lineage is the parent at the time of the look: a child whose parent
 *    exited first (double fork) is seen as the init's;
 *  - times are those of the look: an exec is stamped with the last time the
 *    process was seen unchanged (at most one interval early), a fork with
 *    the process's start time (clock ticks, 10 ms);
 *  - the order of a fork and an exec within one interval: a parent's exec
 *    is handed out before the children found with it, except for an
 *    entrypoint's (eg_proc_poll_mark_entrypoint()).
 * Every path is under proc_root (NULL: "/proc"), so tests use a fake tree.
 */
#ifndef ENTRYGUARD_MONITOR_TRACKER_PROCFS_H
#define ENTRYGUARD_MONITOR_TRACKER_PROCFS_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "entryguard/cleanup.h"
#include "entryguard/error.h"
#include "monitor/proc_connector.h"

/* Scans while something can happen (a window open, a recent change): a
 * child that lives this long is seen even when no watcher names it. */
#define EG_PROC_POLL_INTERVAL_MS      5
/* Scans when nothing changed for a window's length: an idle container's
 * monitor wakes 20 times a second, not 200. */
#define EG_PROC_POLL_IDLE_INTERVAL_MS 50
/* Threads whose children files one process's look reads; more are left out
 * (their children are still found by the next look, or on demand). */
#define EG_PROC_POLL_THREADS_MAX      256
/* Ancestors eg_proc_poll_resolve() climbs before it gives up. */
#define EG_PROC_POLL_DEPTH_MAX        128
/* Entrypoint execs one look holds back until its forks are out; more are
 * handed out at once. */
#define EG_PROC_POLL_DEFERRED_MAX     64

struct eg_proc_poll_settings {
	const char *proc_root; /* NULL: "/proc" */
	pid_t root_pid;        /* the container's init */
	uint64_t root_start_time;
	uint32_t max_processes; /* records, the root included */
	/* Converts a start time (clock ticks since boot, CLOCK_BOOTTIME) to
	 * the events' clock: ns = ticks * nanoseconds_per_tick - boot_offset_ns
	 * (the time spent suspended).  0 per tick: 10 ms. */
	uint64_t nanoseconds_per_tick;
	uint64_t boot_offset_ns;
	/* Now, on the events' clock: the root is taken as unchanged since
	 * then, so an exec the first look finds is stamped no earlier. */
	uint64_t created_ns;
};

struct eg_proc_poll_stats {
	uint64_t scans;
	uint64_t resolves;
	uint64_t forks, execs, exits; /* events handed out */
	uint64_t dropped;             /* new processes not recorded: table full */
	uint32_t tracked;
};

struct eg_proc_poll;

/* Records the root (it must exist with that start time: -ESRCH otherwise). */
int eg_proc_poll_new(const struct eg_proc_poll_settings *settings, struct eg_proc_poll **ret_poll,
                     struct eg_error *err);
void eg_proc_poll_free(struct eg_proc_poll *poll);
EG_DEFINE_CLEANUP(struct eg_proc_poll *, eg_proc_poll_free)

/* Walks the tree once at now_ns and calls handler for each change, parents
 * before children, an exec before the forks that follow it.  handler NULL:
 * record what is there without events (what existed before the watch).
 * Returns the number of events, or a negative errno (the handler's, or
 * -ESRCH once the root is gone: no exits are handed out then, the records
 * stay for the monitor's last look). */
int eg_proc_poll_scan(struct eg_proc_poll *poll, uint64_t now_ns, eg_proc_event_handler handler,
                      void *userdata, struct eg_error *err);

/* Brings pid and its ancestors up to date (forks, execs) at now_ns.  When
 * that holds back an entrypoint's exec (eg_proc_poll_mark_entrypoint(),
 * eg_proc_poll_defer_exec()), a whole scan follows, so that the
 * entrypoint's other children come before it, as in a scan.
 * Returns 1 when pid descends from the root (and is recorded), 0 when it
 * provably does not (its ancestors lead elsewhere), or a negative errno:
 * -ESRCH pid is gone, -ENOSPC the table is full, -ELOOP too deep, another
 * for /proc that could not be read. */
int eg_proc_poll_resolve(struct eg_proc_poll *poll, pid_t pid, uint64_t now_ns,
                         eg_proc_event_handler handler, void *userdata, struct eg_error *err);

/* pid's exec opened a window: when a look finds that it exec'd again, the
 * children found in the same look are handed out before that exec (they
 * may have been forked before it: `cmd & exec "$@"`), so they keep the
 * entrypoint as their parent.  Recall first: a child the new program forked
 * within the same interval is then taken as the entrypoint's too. */
void eg_proc_poll_mark_entrypoint(struct eg_proc_poll *poll, pid_t pid);
/* During a look: pid's exec (handed out by the caller after the look) ran
 * `before_name` until then; children the look finds after pid are compared
 * with that program, not with the one /proc shows now.  For the init, whose
 * first program is known from process.args[0] while /proc may already show
 * the program it exec'd next. */
void eg_proc_poll_defer_exec(struct eg_proc_poll *poll, pid_t pid, const char *before_name);

/* Whether the root has exec'd since the runtime made it: 1 when its program
 * is a file of the filesystem its root directory is on, and that is not the
 * monitor's root filesystem (a runtime's init runs the runtime's binary, a
 * host file or a memfd, until it execs process.args[0] inside the
 * container); 0 when not, or when the container's root is the host's (it
 * cannot be told then); a negative errno when /proc could not be read.
 * For a monitor that first looks once the init may have exec'd twice
 * (`exec "$@"`): its program then no longer tells. */
int eg_proc_poll_root_execd(const struct eg_proc_poll *poll);

/* The time spent suspended, CLOCK_BOOTTIME minus CLOCK_MONOTONIC read just
 * after it: the boot_offset_ns of the settings.  0 when the difference is
 * negative (no suspend: the later read of CLOCK_MONOTONIC is ahead by the
 * time between the two reads), never a wrapped-around huge offset, which
 * would stamp every start time 0. */
uint64_t eg_proc_poll_suspended_ns(const struct timespec *boottime,
                                   const struct timespec *monotonic);

void eg_proc_poll_get_stats(const struct eg_proc_poll *poll, struct eg_proc_poll_stats *ret_stats);

#endif
