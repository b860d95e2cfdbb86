/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting a container's monitor fully detached, and waiting until it is
 * ready. */
#ifndef ENTRYGUARD_HOOK_SPAWN_H
#define ENTRYGUARD_HOOK_SPAWN_H

#include "entryguard/error.h"

/* How long the hook waits for the monitor's "ready" line.  The monitor is
 * ready in a few ms; this bound only matters when something is broken, and
 * runtimes give hooks far longer (Podman's default hook timeout is none). */
#define EG_MONITOR_READY_TIMEOUT_MS 5000

/* Starts `monitor_path --container-dir DIR --ready-fd 3` as a grandchild in
 * its own session (setsid, double fork), stdio on /dev/null and no other
 * inherited fd (runc waits for a hook's stdout and stderr to close, and
 * containerd's shim leaks fds into hooks).  Returns 0 once the monitor said
 * "ready"; an error carrying the monitor's own message when it said
 * "error: ..." or died, -ETIMEDOUT after EG_MONITOR_READY_TIMEOUT_MS. */
int eg_monitor_spawn(const char *monitor_path, const char *container_dir, struct eg_error *err);

/* <directory of this executable>/entryguard-monitor, or $ENTRYGUARD_MONITOR. */
int eg_monitor_path(char **ret_path, struct eg_error *err);

#endif
