/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard-monitor: one per container.  One event loop (epoll) over the
 * proc connector, the sock_diag socket's dump timer, a signalfd, the
 * container init's pidfd and, in listen mode, the container's seccomp
 * listener; no sleeping to wait.  One more thread receives the seccomp
 * notifications where it can be woken on the caller's CPU, and hands what
 * it cannot answer itself to the loop (notify_fast.c).
 *
 * The parts, one file each:
 *   main.c         arguments, set-up in the right order, the ready handshake
 *   listen.c       listen mode: the runtime's message -> the container
 *   loop.c         the epoll loop, timers, lifetime
 *   tree.c         process events -> the correlator (process tree)
 *   tracker.c      where the events come from: the proc connector, or the
 *                  procfs tracker (tracker_procfs.c) where it cannot be had
 *   sockets.c      sock_diag dumps -> connection attempts -> decisions
 *   notify*.c      seccomp notifications -> decisions -> answers (notify.h)
 *   alerting.c     decisions -> rate-limited alert records
 *   control.c      control.sock: the live state for `entryguard status`
 * and the helpers they use: listener.c (the runtime's socket), socket_call.c,
 * target.c, message.c, emulate.c, proc_connector.c, procfs.c, sockdiag.c,
 * socket_owner.c.
 */
#ifndef ENTRYGUARD_MONITOR_H
#define ENTRYGUARD_MONITOR_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "entryguard/alert.h"
#include "entryguard/config.h"
#include "entryguard/container.h"
#include "entryguard/correlate.h"
#include "entryguard/entity.h"
#include "entryguard/rule.h"
#include "monitor/proc_connector.h"

/* While a window is open, sockets are dumped this often: a connect that
 * lives at least this long is seen (see docs: what sock_diag cannot see). */
#define EG_MONITOR_DUMP_INTERVAL_MS 5

struct eg_sockets;     /* sockets.c */
struct eg_proc_poll;   /* tracker_procfs.h */
struct monitor_notify; /* notify.h */

/* What the monitor's epoll events carry in data.u64: the source in the low
 * 32 bits, a source's own slot in the high 32 (the seccomp listener's
 * waiting calls). */
enum monitor_source {
	MONITOR_SOURCE_PROC_CONNECTOR = 1,
	MONITOR_SOURCE_SIGNAL,
	MONITOR_SOURCE_TIMER,
	MONITOR_SOURCE_INIT_EXIT,
	MONITOR_SOURCE_NOTIFY,
	MONITOR_SOURCE_CONTROL,
};

struct eg_rate_limit {
	uint32_t per_second;
	uint64_t second_start_ns;
	uint32_t used;
	uint64_t suppressed; /* since the last alert written */
};

struct monitor {
	const char *container_dir;
	struct eg_container *container;
	struct eg_config *config;
	struct eg_rule *rule;
	struct eg_correlator *correlator;
	struct eg_proc_connector *connector; /* NULL with the procfs tracker */
	struct eg_proc_poll *poll;           /* the procfs tracker, or NULL */
	/* Listen mode: why the proc connector failed its probe before the
	 * config was known ("" when it did not). */
	char connector_failure[EG_ERROR_MESSAGE_MAX];
	struct eg_sockets *sockets;
	struct monitor_notify *notify; /* listen mode */
	struct eg_host_id host_id;
	char host_name[HOST_NAME_MAX + 1];

	int epoll_fd;
	int signal_fd;
	int timer_fd;
	int init_pidfd;
	int alerts_fd;
	int control_fd; /* -1: no control socket (it is optional) */

	bool dumping;          /* the dump timer is armed */
	int timer_interval_ms; /* 0: disarmed */
	bool any_window_opened;
	/* The end of the last open window as of the last look (0: none), and
	 * whether a tree event happened since (monitor_window_open()). */
	uint64_t window_deadline_ns;
	bool windows_changed;
	/* For the seccomp fast path's thread (notify_fast.c), published by
	 * this thread: the window deadline (UINT64_MAX: none may be assumed,
	 * the procfs tracker or lost events), and whether process events are
	 * being read (set before the proc connector is read, cleared once the
	 * deadline they lead to is published). */
	_Atomic uint64_t published_deadline_ns;
	atomic_uint tree_reading;
	uint64_t first_exec_ns; /* 0: no exec seen yet */
	bool exiting;
	bool listen_mode; /* started by entryguard-runtime (--listen) */
	/* Listen mode, block or kill, entryguard-runtime's profile (io_uring
	 * denied): every attempt is a notified syscall, so sock_diag dumps
	 * would add nothing but their cost (listen.c). */
	bool seccomp_sees_every_attempt;
	uint64_t started_ns; /* CLOCK_MONOTONIC, for the uptime */
	struct eg_rate_limit rate_limit;
	uint64_t alerts_written;
	uint64_t nanoseconds_per_tick; /* of /proc/PID/stat's start time */
	uint64_t init_started_ns;      /* CLOCK_MONOTONIC; monitor_tree_set_init_start() */
	uint64_t boot_offset_ns;       /* CLOCK_BOOTTIME - CLOCK_MONOTONIC, same place */
	uint64_t tree_changed_ns;      /* the procfs tracker's last event */
	uint64_t events_lost;          /* proc connector overruns */
	bool init_exec_seen;
	bool init_exec_pending;                   /* the procfs tracker saw the init exec twice */
	char init_exec_name[EG_PROCESS_NAME_MAX]; /* basename of process.args[0] */
};

/* tree.c */
int monitor_tree_seed(struct monitor *monitor, struct eg_error *err);
/* Listen mode: the init only; the rest comes from the queued events. */
int monitor_tree_seed_init(struct monitor *monitor, struct eg_error *err);
/* After the init's pidfd is held: the init's start on the events' clock. */
void monitor_tree_set_init_start(struct monitor *monitor);
int monitor_tree_on_event(const struct eg_proc_event *event, void *userdata);
/* Reads every queued process event into the correlator. */
void monitor_tree_receive(struct monitor *monitor);
/* Whether an attempt at now_ns could match at all. */
bool monitor_window_open(struct monitor *monitor, uint64_t now_ns);
/* Recomputes the window deadline and publishes it (published_deadline_ns). */
void monitor_window_publish(struct monitor *monitor, uint64_t now_ns);
/* CLOCK_MONOTONIC, the proc connector's clock. */
uint64_t monitor_now_ns(void);

/* tracker.c */
/* Hook mode: opens the tracker monitor.tracker (or $ENTRYGUARD_TRACKER)
 * asks for, with "auto"'s fallback, and seeds the tree from /proc. */
int monitor_tracker_open(struct monitor *monitor, struct eg_error *err);
/* Listen mode, before the container is known: the proc connector, unless
 * $ENTRYGUARD_TRACKER says procfs.  A failed probe is kept for later unless
 * the variable says proc_connector. */
int monitor_tracker_listen_open(struct monitor *monitor, struct eg_error *err);
/* Listen mode, once the container and its config are known: the tracker
 * decided, the tree seeded (the init, then the queued events or /proc). */
int monitor_tracker_listen_seed(struct monitor *monitor, struct eg_error *err);
/* The procfs tracker's scan (the timer's); nothing with the connector. */
void monitor_tree_poll(struct monitor *monitor);
/* How often the timer must fire for the tracker alone: 0 with the proc
 * connector. */
int monitor_tracker_interval_ms(const struct monitor *monitor, uint64_t now_ns, bool window_open);
/* Before judging an attempt of thread tid: its process and ancestors
 * brought up to date from /proc (the procfs tracker: always; the proc
 * connector: when the process is untracked, events having been lost).
 * Returns 1 tracked, 0 not the container's (lineage leads elsewhere), or a
 * negative errno when its lineage could not be known. */
int monitor_tree_resolve(struct monitor *monitor, pid_t tid);

/* sockets.c */
int monitor_sockets_open(struct monitor *monitor, struct eg_error *err);
void monitor_sockets_free(struct monitor *monitor);
/* Dumps the container's sockets and decides each new attempt. */
int monitor_sockets_scan(struct monitor *monitor, uint64_t now_ns);
/* A socket the seccomp listener judged already (by SO_COOKIE): sock_diag
 * does not judge it, nor alert, again. */
void monitor_sockets_mark_judged(struct monitor *monitor, uint64_t cookie);

/* alerting.c */
void monitor_alert(struct monitor *monitor, const struct eg_decision *decision,
                   const struct eg_attempt *attempt, enum eg_action action, const char *source);
bool eg_rate_limit_allow(struct eg_rate_limit *limit, uint64_t now_ns);

/* control.c */
/* Binds <container dir>/control.sock; on failure the monitor goes on without
 * it (a warning is logged): the watch matters more than its status. */
void monitor_control_open(struct monitor *monitor);
/* Answers the connections waiting (a few per wakeup), one message each. */
void monitor_control_on_event(struct monitor *monitor);

/* loop.c */
/* Blocks the signals the monitor handles and makes the signalfd (listen
 * mode does it first: it waits for the runtime before the loop exists). */
int monitor_signals_setup(struct monitor *monitor, struct eg_error *err);
int monitor_loop_setup(struct monitor *monitor, struct eg_error *err);
int monitor_loop_run(struct monitor *monitor);
/* A window opened or a timer must be (re)considered. */
void monitor_update_timer(struct monitor *monitor, uint64_t now_ns);

/* listen.c */
/* Listen mode, after "ready": waits for the runtime, learns the container
 * from its message and keeps the seccomp listener fd in *ret_seccomp_fd.
 * *ret_handed_over says whether the runtime sent fds (also on failure: the
 * container's notified calls then fail with ENOSYS once we exit). */
int monitor_listen_receive(struct monitor *monitor, int listener_fd, int timeout_ms,
                           int *ret_seccomp_fd, bool *ret_handed_over, struct eg_error *err);

#endif
