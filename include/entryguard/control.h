/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A monitor's control socket, <run>/<id>/control.sock: a unix SOCK_SEQPACKET
 * socket on which connecting is the request.  The monitor accepts, sends ONE
 * message (its live state as a JSON object, below) and closes; `entryguard
 * status` reads it.  The monitor never blocks on a client: the one message
 * is sent with MSG_DONTWAIT, whatever happens then the connection is closed.
 *
 *   {"version": 1, "pid": 4242, "container_id": "...", "mode": "detect",
 *    "monitor_mode": "hook", "watchers": ["proc_connector", "sock_diag"],
 *    "tracked": 3, "capacity": 4096, "window_open": true,
 *    "window_remaining_ms": 1840, "alerts_written": 1,
 *    "alerts_suppressed_unreported": 0, "process_events_lost": 0,
 *    "uptime_ms": 1302}
 *
 * "monitor_mode" is "hook" (started by entryguard-hook) or "listen" (started
 * by entryguard-runtime, serving the container's seccomp listener); the
 * watchers are among "proc_connector", "sock_diag" and "seccomp";
 * "seccomp_notifications" (notifications read) is there only when
 * "seccomp" is.  "alerts_suppressed_unreported" counts what the rate limit
 * suppressed since the last alert written (the next alert reports it).
 *
 * Both ends address the socket through the container folder's fd
 * (/proc/self/fd/N/control.sock), so a long run directory never meets
 * sun_path's 108 bytes.
 */
#ifndef ENTRYGUARD_CONTROL_H
#define ENTRYGUARD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "entryguard/config.h"
#include "entryguard/error.h"

#define EG_CONTROL_VERSION     1
/* The message is a few hundred bytes; the bound is for a container id of
 * up to a few KiB (OCI sets no limit) and for a broken peer. */
#define EG_CONTROL_MESSAGE_MAX 4096
/* Connections waiting to be accepted: `status` is one client at a time. */
#define EG_CONTROL_BACKLOG     4

enum {
	EG_CONTROL_WATCH_PROC_CONNECTOR = 1u << 0,
	EG_CONTROL_WATCH_SOCK_DIAG = 1u << 1,
	EG_CONTROL_WATCH_SECCOMP = 1u << 2,
};

struct eg_control_status {
	pid_t pid;
	char *container_id;
	enum eg_mode mode;
	bool listen_mode;
	unsigned watchers; /* EG_CONTROL_WATCH_* */
	uint32_t tracked;
	uint32_t capacity;
	bool window_open;
	uint64_t window_remaining_ms;
	uint64_t alerts_written;
	uint64_t alerts_suppressed_unreported;
	uint64_t process_events_lost;
	uint64_t seccomp_notifications; /* with EG_CONTROL_WATCH_SECCOMP */
	uint64_t uptime_ms;
};

/* Frees what eg_control_status_from_json() allocated (container_id). */
void eg_control_status_clear(struct eg_control_status *status);

/* The message, without a trailing newline (malloc'd, NUL-terminated). */
int eg_control_status_to_json(const struct eg_control_status *status, char **ret_text,
                              size_t *ret_length, struct eg_error *err);
/* Unknown members are ignored (a newer monitor may add some), and so are
 * unknown watcher names. */
int eg_control_status_from_json(const char *what, const char *text, size_t length,
                                struct eg_control_status *ret_status, struct eg_error *err);

/* The monitor's end: binds <container_dir>/control.sock (mode 0600, a stale
 * socket there replaced, anything else refused) and listens, non-blocking. */
int eg_control_bind(const char *container_dir, int *ret_fd, struct eg_error *err);

/* The client's end: connects and reads the one message within timeout_ms.
 * -ENOENT: no socket (yet); -ECONNREFUSED: nobody listens (the monitor is
 * gone); -ECONNRESET: closed without a message; -ETIMEDOUT: no message in
 * time (or the backlog was full); -EMSGSIZE, -EPROTO and the parser's
 * errors for a bad message.  err says which, with the path. */
int eg_control_query(const char *container_dir, int timeout_ms,
                     struct eg_control_status *ret_status, struct eg_error *err);

#endif
