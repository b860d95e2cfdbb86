/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The run directory: one folder per watched container, shared by the hook
 * (which makes it), the monitor (which owns it while it lives and removes it
 * when it exits) and `entryguard status` (which reads it).
 *
 *   <run>/<container id>/container.json   the entry metadata (container.h)
 *   <run>/<container id>/monitor.pid      "PID START_TIME\n" of the monitor
 *   <run>/<container id>/seccomp.sock     the monitor's seccomp listener
 *                                         (only when entryguard-runtime started it)
 *   <run>/<container id>/control.sock     the monitor's live state (control.h)
 *
 * <run> is $ENTRYGUARD_RUN_DIR when set (tests, private installs), else
 * $XDG_RUNTIME_DIR/entryguard for a rootless caller (eg_run_dir() says what
 * stands in for an unset XDG_RUNTIME_DIR), else /run/entryguard.
 */
#ifndef ENTRYGUARD_RUNDIR_H
#define ENTRYGUARD_RUNDIR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "entryguard/error.h"

#define EG_RUN_DIR_SYSTEM       "/run/entryguard"
#define EG_CONTAINER_FILE       "container.json"
#define EG_MONITOR_PID_FILE     "monitor.pid"
/* The socket a monitor started by entryguard-runtime listens on for the
 * runtime's seccomp fd (linux.seccomp.listenerPath). */
#define EG_LISTENER_SOCKET_FILE "seccomp.sock"
/* The monitor's control socket: `entryguard status` reads its live state. */
#define EG_CONTROL_SOCKET_FILE  "control.sock"
/* A monitor's comm as the kernel keeps it: the first 15 bytes (TASK_COMM_LEN
 * is 16 with the NUL) of "entryguard-monitor". */
#define EG_MONITOR_COMM         "entryguard-moni"

/* True when this process has no privilege on the host: not root, or root
 * only inside a user namespace (rootless Podman runs hooks as uid 0 in its
 * user namespace). */
bool eg_is_rootless(void);

/* The user this process acts for on the host: its euid, or, for root in a
 * user namespace, the host uid that uid_map maps it from (rootless Podman's
 * hooks run as 0 mapped from the user). */
uid_t eg_host_uid(void);

/* The caller's home: $HOME when absolute, else the user database's entry
 * for eg_host_uid() (a hooks.d entry with its own "env" passes no HOME).
 * 0, -ENOENT or -ENOMEM; *ret_path malloc'd. */
int eg_user_home(char **ret_path);

/* The run directory for this caller (malloc'd).  Rootless without
 * XDG_RUNTIME_DIR: /run/user/UID, else /tmp/podman-run-UID (Podman's own
 * choice), whichever is a directory of ours. */
int eg_run_dir(char **ret_path, struct eg_error *err);

/* The default alerts file when the config names none: for a rootless
 * caller $XDG_STATE_HOME/entryguard/alerts.ndjson (default
 * ~/.local/state), else /var/log/entryguard/alerts.ndjson. */
int eg_alerts_default_path(char **ret_path, struct eg_error *err);

/* Creates <run> (0755: other users' `entryguard status` may list it; the
 * folders inside are 0700) and <run>/<id>.  Returns -EEXIST when the
 * container folder already exists (a monitor may already watch it). */
int eg_container_dir_create(const char *run_dir, const char *id, char **ret_path,
                            struct eg_error *err);

/* Makes <run>/<id> for a monitor to be started.  An existing one whose
 * monitor is alive means the container is already watched: *ret_watched is
 * set and *ret_path left alone (the hook runs at both prestart and
 * createRuntime; under entryguard-runtime the wrapper's monitor is there
 * first).  One whose monitor is gone is stale (a reused runc id) and is
 * replaced. */
int eg_container_dir_claim(const char *run_dir, const char *id, char **ret_path, bool *ret_watched,
                           struct eg_error *err);

/* Removes <dir>/container.json, monitor.pid, seccomp.sock, control.sock and
 * <dir> itself. */
int eg_container_dir_remove(const char *container_dir);

/* Writes data to <dir>/<name> atomically (temporary file, fsync-less rename:
 * the run directory is tmpfs). */
int eg_write_file_atomic(const char *dir, const char *name, const char *data, size_t length,
                         struct eg_error *err);

/* monitor.pid: written by the monitor, read by the hook and `status`. */
int eg_monitor_pid_write(const char *container_dir, pid_t pid, uint64_t start_time,
                         struct eg_error *err);
/* 1 when the recorded monitor is alive (same pid and start time, and its comm
 * is a monitor's), 0 when it is gone, negative on error. */
int eg_monitor_pid_alive(const char *container_dir, pid_t *ret_pid);

#endif
