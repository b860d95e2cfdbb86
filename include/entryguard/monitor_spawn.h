/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting a container's monitor fully detached, and waiting until it is
 * ready: shared by entryguard-hook (a watching monitor) and
 * entryguard-runtime (a monitor listening for the runtime's seccomp fd). */
#ifndef ENTRYGUARD_MONITOR_SPAWN_H
#define ENTRYGUARD_MONITOR_SPAWN_H

#include "entryguard/error.h"

/* How long the caller waits for the monitor's "ready" line.  The monitor is
 * ready in a few ms; this bound only matters when something is broken, and
 * runtimes give hooks far longer (Podman's default hook timeout is none). */
#define EG_MONITOR_READY_TIMEOUT_MS 5000

/* Most extra arguments eg_monitor_spawn() passes on. */
#define EG_MONITOR_EXTRA_ARGUMENTS_MAX 8

/* Starts `monitor_path [EXTRA...] --container-dir DIR --ready-fd 3` as a
 * grandchild in its own session (setsid, double fork), stdio on /dev/null
 * and no other inherited fd (runc waits for a hook's stdout and stderr to
 * close, and containerd's shim leaks fds into hooks and runtimes).
 * extra_arguments is NULL or NULL-terminated (e.g. {"--listen", PATH}).
 * Returns 0 once the monitor said "ready"; an error carrying the monitor's
 * own message when it said "error: ..." or died, -ETIMEDOUT after
 * EG_MONITOR_READY_TIMEOUT_MS. */
int eg_monitor_spawn(const char *monitor_path, const char *container_dir,
                     const char *const *extra_arguments, struct eg_error *err);

/* $ENTRYGUARD_MONITOR when it is an absolute path, else
 * <default_dir>/entryguard-monitor, where a NULL default_dir is the folder
 * of this executable (the hook's monitor sits next to it). */
int eg_monitor_path(const char *default_dir, char **ret_path, struct eg_error *err);

#endif
