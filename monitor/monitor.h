/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard-monitor: one per container.  One event loop (epoll) over the
 * proc connector, the sock_diag socket's dump timer, a signalfd and the
 * container init's pidfd; no threads, no sleeping to wait.
 *
 * The parts, one file each:
 *   main.c      arguments, set-up in the right order, the ready handshake
 *   loop.c      the epoll loop, timers, lifetime
 *   tree.c      proc connector events -> the correlator (process tree)
 *   sockets.c   sock_diag dumps -> connection attempts -> decisions
 *   alerting.c  decisions -> rate-limited alert records
 */
#ifndef ENTRYGUARD_MONITOR_H
#define ENTRYGUARD_MONITOR_H

#include <limits.h>
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

struct eg_sockets; /* sockets.c */

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
	struct eg_proc_connector *connector;
	struct eg_sockets *sockets;
	struct eg_host_id host_id;
	char host_name[HOST_NAME_MAX + 1];

	int epoll_fd;
	int signal_fd;
	int timer_fd;
	int init_pidfd;
	int alerts_fd;

	bool dumping; /* the dump timer is armed */
	bool any_window_opened;
	uint64_t first_exec_ns; /* 0: no exec seen yet */
	bool exiting;
	struct eg_rate_limit rate_limit;
	uint64_t alerts_written;
	uint64_t nanoseconds_per_tick; /* of /proc/PID/stat's start time */
	bool init_exec_seen;
	char init_exec_name[EG_PROCESS_NAME_MAX]; /* basename of process.args[0] */
};

/* tree.c */
int monitor_tree_seed(struct monitor *monitor, struct eg_error *err);
int monitor_tree_on_event(const struct eg_proc_event *event, void *userdata);

/* sockets.c */
int monitor_sockets_open(struct monitor *monitor, struct eg_error *err);
void monitor_sockets_free(struct monitor *monitor);
/* Dumps the container's sockets and decides each new attempt. */
int monitor_sockets_scan(struct monitor *monitor, uint64_t now_ns);

/* alerting.c */
void monitor_alert(struct monitor *monitor, const struct eg_decision *decision,
                   const struct eg_attempt *attempt, enum eg_action action, const char *source);
bool eg_rate_limit_allow(struct eg_rate_limit *limit, uint64_t now_ns);

/* loop.c */
int monitor_loop_setup(struct monitor *monitor, struct eg_error *err);
int monitor_loop_run(struct monitor *monitor);
/* A window opened or a timer must be (re)considered. */
void monitor_update_timer(struct monitor *monitor, uint64_t now_ns);
uint64_t monitor_now_ns(void);

#endif
