/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The correlation core: one engine per container, fed with the container's
 * process events (fork, exec, exit) and its connection attempts, deciding
 * for each attempt whether the rule (rule.h) matches, and why not.
 *
 * Semantics (DESIGN.md, "The rule, exactly"):
 *  - An exec whose event satisfies the rule's entry predicate (in a
 *    container, name = basename of the executed file, e.g. "entrypoint.sh",
 *    never the 15-byte comm) makes that new entity an entrypoint and opens
 *    its window at the exec's time.
 *  - The window is INCLUSIVE: an attempt matches when
 *        attempt.time_ns - exec.time_ns <= maxspan_ms * 1000000
 *    so with maxspan 3000 ms an attempt at 2999 ms or exactly 3000 ms
 *    matches, and one at 3000.000001 ms or 3001 ms does not.  elapsed_ms is
 *    rounded down.  An attempt stamped slightly before the exec (two clocks,
 *    events read out of order) counts as elapsed 0: a process forked by the
 *    entrypoint cannot really act before the entrypoint exists.
 *  - Lineage is taken at fork time: a child records its parent's entity as
 *    it was when it forked, so a re-parented process (double fork, setsid,
 *    parent exited) keeps its real parent; the current ppid is never read.
 *  - An exec starts a new entity: after `exec "$@"` the replacing program is
 *    not the entrypoint, and children it forks later do not match.  Children
 *    forked by the entrypoint BEFORE that exec keep the entrypoint as their
 *    parent and still match.
 *  - Join "children" (the seed): the attempt's parent entity at fork time is
 *    an entrypoint whose window is open.  The entrypoint's own attempt does
 *    not match (its parent is not an entrypoint).  Join "descendants": the
 *    nearest entrypoint among the ancestors at fork time, see correlate.c.
 *  - A window survives its entrypoint's exit: each child carries a copy of
 *    what it needs (entity, pid, exec time), so storage stays bounded by the
 *    process table.
 *  - An exit forgets the process.  A new process with the same pid is a new
 *    entity with no inherited lineage.
 *  - A process first seen at an attempt is untracked (no match).  A process
 *    first seen at an exec is tracked from there, without a parent.  Use
 *    eg_correlator_seed() for processes that exist before the engine does
 *    (the container's init, a /proc scan at start-up).
 *
 * Time is always passed in, in nanoseconds of one monotonic clock (the proc
 * connector's timestamps, CLOCK_MONOTONIC); the engine never reads a clock.
 * pids are thread-group ids in the monitor's pid namespace; thread creation
 * is not a fork and must not be fed in.
 *
 * Memory is fixed at creation: max_processes records and a pid index, no
 * allocation per event.  When the table is full, fork/exec/seed return
 * -ENOSPC (the process stays untracked, its attempts are reported as such)
 * and stats.dropped counts it; the monitor logs it.
 */
#ifndef ENTRYGUARD_CORRELATE_H
#define ENTRYGUARD_CORRELATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "entryguard/alert.h"
#include "entryguard/classify.h"
#include "entryguard/cleanup.h"
#include "entryguard/entity.h"
#include "entryguard/error.h"
#include "entryguard/rule.h"

/* A basename is at most NAME_MAX (255) bytes. */
#define EG_PROCESS_NAME_MAX         256
/* Longer executable paths are kept cut to this (with the NUL). */
#define EG_EXECUTABLE_MAX           1024
/* Upper bound of max_processes: every resource a caller can make us
 * allocate has a limit (~1.7 KiB per record). */
#define EG_CORRELATOR_MAX_PROCESSES 65536
/* For start times a watcher could not read (exit, a fork's parent). */
#define EG_START_TIME_UNKNOWN       UINT64_MAX

struct eg_correlator;

struct eg_correlator_settings {
	const struct eg_rule *rule;       /* borrowed: must outlive the engine */
	const struct eg_host_id *host_id; /* copied; keys the entity ids */
	const char *container_name;       /* copied; NULL: unknown (for exceptions) */
	const char *container_image_name; /* copied; NULL: unknown */
	uint32_t max_processes;           /* 1..EG_CORRELATOR_MAX_PROCESSES */
};

struct eg_exec_event {
	pid_t pid;
	/* /proc/PID/stat field 22; EG_START_TIME_UNKNOWN when the process was
	 * gone before it could be read: the exec then applies to the tracked
	 * record of that pid (a new entity with an unknown name). */
	uint64_t start_time;
	uint64_t time_ns;
	const char *name;       /* basename of the executed file; NULL: from executable */
	const char *executable; /* absolute path, NULL or "": unknown */
	bool in_container;      /* process.entry_leader.entry_meta.type == "container" */
};

struct eg_fork_event {
	pid_t parent_pid;
	uint64_t parent_start_time; /* EG_START_TIME_UNKNOWN: not checked */
	pid_t child_pid;
	uint64_t child_start_time;
	uint64_t time_ns; /* informational: lineage needs no time */
};

struct eg_exit_event {
	pid_t pid;
	uint64_t start_time; /* EG_START_TIME_UNKNOWN: not checked */
};

/* A process that existed before the engine: tracked with a known parent
 * (0 or an untracked pid: none), never an entrypoint itself (its exec time
 * is unknown, so no window can be timed from it).  Seeding a process that
 * is already tracked with the same start time changes nothing. */
struct eg_seed_process {
	pid_t pid;
	uint64_t start_time;
	pid_t parent_pid;
	const char *name;
	const char *executable;
};

struct eg_attempt {
	pid_t pid;
	uint64_t time_ns;
	const struct eg_address *destination; /* NULL: null (unknown) */
	uint16_t destination_port;
	enum eg_transport transport;
};

enum eg_decision_reason {
	EG_DECISION_MATCH,
	EG_DECISION_UNTRACKED,               /* no tracked process with that pid */
	EG_DECISION_PARENT_NOT_ENTRYPOINT,   /* children: the parent is not an entrypoint */
	EG_DECISION_NO_ENTRYPOINT_ANCESTOR,  /* descendants: no ancestor is */
	EG_DECISION_WINDOW_EXPIRED,          /* elapsed_ms > maxspan */
	EG_DECISION_DESTINATION_UNSPECIFIED, /* null, 0.0.0.0, :: */
	EG_DECISION_DESTINATION_EXCLUDED,    /* see excluded_range */
	EG_DECISION_ATTEMPT_MISMATCH,        /* another attempt condition, see condition_index */
	EG_DECISION_EXCEPTION,               /* see exception_index */
};

/* Everything the alert needs, copied: it stays valid after later events.
 * Empty strings are unknown values. */
struct eg_decision {
	bool match;
	enum eg_decision_reason reason;
	const struct eg_cidr *excluded_range; /* owned by the rule */
	int condition_index;                  /* in rule->attempt, or -1 */
	int exception_index;                  /* in rule->exceptions, or -1 */
	int64_t elapsed_ms;                   /* from the entrypoint's exec; -1: none */

	pid_t pid;
	struct eg_entity_id entity_id;
	char name[EG_PROCESS_NAME_MAX];
	char executable[EG_EXECUTABLE_MAX];

	pid_t parent_pid; /* 0: unknown */
	struct eg_entity_id parent_entity_id;
	char parent_name[EG_PROCESS_NAME_MAX];

	pid_t entry_leader_pid; /* the entrypoint; 0: none */
	struct eg_entity_id entry_leader_entity_id;
};

struct eg_correlator_stats {
	uint32_t tracked;
	uint32_t capacity;
	uint64_t dropped;        /* processes not tracked: table full */
	uint64_t windows_opened; /* entrypoint execs */
};

int eg_correlator_new(const struct eg_correlator_settings *settings,
                      struct eg_correlator **ret_correlator, struct eg_error *err);
void eg_correlator_free(struct eg_correlator *correlator);
EG_DEFINE_CLEANUP(struct eg_correlator *, eg_correlator_free)

/* Returns 1 when the exec opened a window, 0 when not, -ENOSPC when the
 * process is new and the table is full. */
int eg_correlator_exec(struct eg_correlator *correlator, const struct eg_exec_event *event,
                       struct eg_error *err);
/* Returns 0, or -ENOSPC when the table is full.  A known child (same pid and
 * start time) is left as it is; a stale one (same pid, other start time:
 * its exit was missed) is replaced. */
int eg_correlator_fork(struct eg_correlator *correlator, const struct eg_fork_event *event,
                       struct eg_error *err);
/* Returns 1 when the process was forgotten, 0 when it was not tracked. */
int eg_correlator_exit(struct eg_correlator *correlator, const struct eg_exit_event *event);
int eg_correlator_seed(struct eg_correlator *correlator, const struct eg_seed_process *process,
                       struct eg_error *err);

/* Decides one attempt; -EINVAL only for a pid <= 0. */
int eg_correlator_attempt(const struct eg_correlator *correlator, const struct eg_attempt *attempt,
                          struct eg_decision *ret_decision);

/* The entity id of a tracked pid, -ESRCH when untracked. */
int eg_correlator_entity_id(const struct eg_correlator *correlator, pid_t pid,
                            struct eg_entity_id *ret_entity_id);

/* Whether an attempt at or after now_ns could still match: 1 and the time
 * the last open window closes (for a timerfd), or 0 when none is open. */
int eg_correlator_window_deadline(const struct eg_correlator *correlator, uint64_t now_ns,
                                  uint64_t *ret_deadline_ns);

/* The tracked processes whose attempts could still match at now_ns (they
 * carry a window that is open): the only ones a watcher needs to attribute
 * sockets to.  Fills at most max pids; returns how many. */
size_t eg_correlator_candidates(const struct eg_correlator *correlator, uint64_t now_ns,
                                pid_t *ret_pids, size_t max);

/* Every tracked process (at most max pids); returns how many.  With no
 * event lost and nothing dropped, these are the init and all it forked. */
size_t eg_correlator_tracked(const struct eg_correlator *correlator, pid_t *ret_pids, size_t max);

void eg_correlator_get_stats(const struct eg_correlator *correlator,
                             struct eg_correlator_stats *ret_stats);

const char *eg_decision_reason_name(enum eg_decision_reason reason);

#endif
