/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The proc connector: the kernel's multicast of process events (fork, exec,
 * exit) over NETLINK_CONNECTOR, group CN_IDX_PROC (drivers/connector/cn_proc.c).
 *
 * What the kernel sends and what this wrapper makes of it:
 *  - Every event carries timestamp_ns = ktime_get_ns(), i.e. CLOCK_MONOTONIC
 *    (the uapi header's "nano seconds since system boot" is loose: suspend
 *    time is not counted).  Checked in cn_proc.c (every proc_*_connector()
 *    uses ktime_get_ns()) and measured by the tests: each event's stamp lies
 *    between clock_gettime(CLOCK_MONOTONIC) readings taken around it.
 *  - A fork event is sent for every new task, threads included.  A thread
 *    (child pid != child tgid, i.e. CLONE_THREAD) is never reported as a
 *    fork: the socket filter drops it in the kernel and the decoder drops it
 *    again (counted in stats.threads_ignored), so callers only see processes.
 *  - An exit event is sent for every task; only the thread-group leader's
 *    (pid == tgid) is reported.  Note that a leader that calls pthread_exit()
 *    while other threads run is reported when IT exits, not when the last
 *    thread does.
 *  - pids are thread-group ids in the initial pid namespace: the kernel
 *    ignores subscriptions from any other user or pid namespace.
 *  - Only the kernel (netlink port 0) is believed: any process can unicast a
 *    datagram to our port, so messages from another sender are counted in
 *    stats.foreign_sender and dropped.
 *
 * Privileges: before Linux 6.6 binding to the group and subscribing need
 * CAP_NET_ADMIN in the initial user namespace; from 6.6 on anyone in the
 * initial user and pid namespaces may listen.  A subscription the kernel
 * ignores is silent (no error, no events), so eg_proc_connector_probe()
 * proves that events arrive before the monitor reports ready.
 */
#ifndef ENTRYGUARD_MONITOR_PROC_CONNECTOR_H
#define ENTRYGUARD_MONITOR_PROC_CONNECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "entryguard/cleanup.h"
#include "entryguard/error.h"

/* Receive buffer asked for by default.  The kernel doubles the value for
 * its bookkeeping, and an event, a 76-byte datagram, costs about 835 bytes
 * of it (skb truesize, measured on 6.18: 157 events filled 128 KiB), so
 * 4 MiB queues ~10,000 events: the fork/exec/exit of ~3,000 processes, some
 * hundred ms of a host-wide exec storm while the monitor is busy. */
#define EG_PROC_CONNECTOR_RECEIVE_BUFFER_DEFAULT (4 * 1024 * 1024)
/* One eg_proc_connector_receive() reads at most this many datagrams and
 * returns, so that a storm cannot starve the monitor's other fds; epoll is
 * level-triggered and calls again. */
#define EG_PROC_CONNECTOR_RECEIVE_MAX_DATAGRAMS  4096
/* Bounds of eg_proc_connector_probe()'s wait. */
#define EG_PROC_CONNECTOR_PROBE_TIMEOUT_MAX_MS   60000

enum eg_proc_event_type {
	EG_PROC_EVENT_FORK,
	EG_PROC_EVENT_EXEC,
	EG_PROC_EVENT_EXIT,
};

struct eg_proc_event {
	enum eg_proc_event_type type;
	/* The process (thread-group id): a fork's child, the process that
	 * exec'd or exited. */
	pid_t pid;
	/* fork: the parent process (its tgid; the real parent, so for
	 * CLONE_PARENT the caller's parent).  exit: the parent at exit, 0 when
	 * the kernel could not say.  exec: 0. */
	pid_t parent_pid;
	/* exit: the wait(2) status (exit code << 8 | terminating signal) and
	 * the signal the parent is sent (SIGCHLD, or 0 ...); else 0. */
	uint32_t exit_status;
	uint32_t exit_signal;
	uint32_t cpu;
	uint64_t timestamp_ns; /* CLOCK_MONOTONIC */
};

struct eg_proc_connector_options {
	/* SO_RCVBUF(FORCE) in bytes; 0: EG_PROC_CONNECTOR_RECEIVE_BUFFER_DEFAULT.
	 * Without CAP_NET_ADMIN the kernel caps it at net.core.rmem_max. */
	int receive_buffer_bytes;
	/* Do not attach the socket filter: every event type and every thread
	 * reaches the socket (for measurements and tests). */
	bool no_socket_filter;
};

struct eg_proc_connector_stats {
	uint64_t datagrams; /* read from the socket */
	uint64_t events;    /* handed to the caller */
	uint64_t threads_ignored;
	uint64_t other_types;    /* uid, gid, sid, ptrace, comm, coredump, acks */
	uint64_t malformed;      /* short, truncated or inconsistent messages */
	uint64_t foreign_sender; /* not from the kernel */
	uint64_t overruns;       /* ENOBUFS: events were lost */
};

/* Called for each event in the order the socket queued them: the events of
 * one process are in order (fork, exec..., exit; the tests check it), those
 * of processes on different CPUs may interleave slightly out of timestamp
 * order.  A negative return stops the receive, which returns it (as a
 * negative errno: do not use -ENOBUFS); what was read and not handled yet
 * is handled first by the next call. */
typedef int (*eg_proc_event_handler)(const struct eg_proc_event *event, void *userdata);

struct eg_proc_connector;

/* Opens the socket (SOCK_CLOEXEC | SOCK_NONBLOCK), attaches the filter,
 * binds to the group and subscribes.  options may be NULL.  -EPERM names the
 * missing privilege; -EPROTONOSUPPORT a kernel without CONFIG_PROC_EVENTS. */
int eg_proc_connector_open(const struct eg_proc_connector_options *options,
                           struct eg_proc_connector **ret_connector, struct eg_error *err);
/* Unsubscribes and closes. */
void eg_proc_connector_free(struct eg_proc_connector *connector);
EG_DEFINE_CLEANUP(struct eg_proc_connector *, eg_proc_connector_free)

/* The socket, for epoll (EPOLLIN).  Owned by the connector. */
int eg_proc_connector_fd(const struct eg_proc_connector *connector);

/* Reads what is pending (at most EG_PROC_CONNECTOR_RECEIVE_MAX_DATAGRAMS)
 * and calls handler for each event.  Returns the number of events handed
 * over, or:
 *  -ENOBUFS  the receive buffer overflowed and events were lost (the events
 *            before the loss were handed over; those after it stay queued).
 *            The socket keeps working: log, resync from /proc, call again.
 *  -EPERM    the kernel refused the subscription (its acknowledgement said
 *            so), with the reason in err;
 *  the handler's negative value, or another negative errno. */
int eg_proc_connector_receive(struct eg_proc_connector *connector, eg_proc_event_handler handler,
                              void *userdata, struct eg_error *err);

/* Proves events arrive: forks a child that exits at once and waits, at most
 * timeout_ms, for its fork and exit events.  Every other event read
 * meanwhile goes to handler (may be NULL to drop them).  Returns 0, or
 * -ETIMEDOUT with an err that says what is missing (privilege, namespace),
 * -EPERM, -ENOBUFS (events arrive but some were lost: resync). */
int eg_proc_connector_probe(struct eg_proc_connector *connector, int timeout_ms,
                            eg_proc_event_handler handler, void *userdata, struct eg_error *err);

void eg_proc_connector_get_stats(const struct eg_proc_connector *connector,
                                 struct eg_proc_connector_stats *ret_stats);

/* Decodes one netlink message that came from the kernel (the sender check
 * is the caller's).  Returns 0 with ret_message->kind saying what it is (an
 * event to report, a thread, another event type, an acknowledgement), or
 * -EBADMSG for a malformed one.  Exposed for tests. */
enum eg_proc_message_kind {
	EG_PROC_MESSAGE_EVENT,
	EG_PROC_MESSAGE_THREAD,
	EG_PROC_MESSAGE_OTHER_TYPE,
	EG_PROC_MESSAGE_ACK,
};
struct eg_proc_message {
	enum eg_proc_message_kind kind;
	struct eg_proc_event event; /* EG_PROC_MESSAGE_EVENT */
	/* EG_PROC_MESSAGE_ACK: cn_msg.ack, the request's ack + 1 (its seq is
	 * not kept: since 5.x send_msg() numbers every message per CPU). */
	uint32_t ack_number;
	uint32_t ack_error; /* EG_PROC_MESSAGE_ACK: positive errno, 0: ok */
};
int eg_proc_message_decode(const void *datagram, size_t length,
                           struct eg_proc_message *ret_message);

#endif
