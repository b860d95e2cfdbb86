/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Decisions into alert records: rate-limited, one write(2) each. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "entryguard/log.h"
#include "monitor/monitor.h"
#include "monitor/procfs.h"

#define NS_PER_SECOND 1000000000ull

/* A fixed one-second window: at most per_second alerts in each, the rest
 * counted and reported with the next alert that gets through (and in the
 * log when the monitor exits), so a burst costs bounded output and memory. */
bool eg_rate_limit_allow(struct eg_rate_limit *limit, uint64_t now_ns)
{
	if (now_ns - limit->second_start_ns >= NS_PER_SECOND) {
		limit->second_start_ns = now_ns;
		limit->used = 0;
	}
	if (limit->used >= limit->per_second) {
		limit->suppressed++;
		return false;
	}
	limit->used++;
	return true;
}

static int64_t realtime_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static const char *or_null(const char *text)
{
	return text && text[0] ? text : NULL;
}

void monitor_alert(struct monitor *monitor, const struct eg_decision *decision,
                   const struct eg_attempt *attempt, enum eg_action action, const char *source)
{
	const struct eg_container *container = monitor->container;
	_cleanup_free_ struct eg_proc_args *args = malloc(sizeof(*args));
	const char *argv[EG_PROC_ARGS_MAX + 1] = {NULL};
	struct eg_alert alert = {0};
	struct eg_error err = {0};

	if (!eg_rate_limit_allow(&monitor->rate_limit, attempt->time_ns))
		return;
	/* The arguments are read now: the process may already be gone, and the
	 * alert is still written without them. */
	if (args && eg_proc_args_read(NULL, decision->pid, args, NULL) == 0) {
		memcpy(argv, args->argv, args->count * sizeof(argv[0]));
		alert.process_args = argv;
	}
	alert.timestamp_us = realtime_us();
	alert.host_id = monitor->host_id.text;
	alert.host_name = or_null(monitor->host_name);
	alert.container_id = container->id;
	alert.container_name = container->name;
	alert.container_image_name = container->image;
	alert.container_runtime = container->runtime;
	alert.process_pid = decision->pid;
	alert.process_entity_id = decision->entity_id.text;
	alert.process_name = or_null(decision->name);
	alert.process_executable = or_null(decision->executable);
	alert.parent_pid = decision->parent_pid;
	alert.parent_entity_id = or_null(decision->parent_entity_id.text);
	alert.parent_name = or_null(decision->parent_name);
	alert.entry_leader_entity_id = or_null(decision->entry_leader_entity_id.text);
	if (attempt->destination)
		alert.destination = *attempt->destination;
	alert.destination_port = attempt->destination_port;
	alert.transport = attempt->transport;
	alert.action = action;
	alert.elapsed_ms = decision->elapsed_ms;
	alert.source = source;
	alert.suppressed = monitor->rate_limit.suppressed;
	if (eg_alert_write(monitor->alerts_fd, &alert, monitor->config->alerts_syslog, &err) < 0)
		eg_log_error("container %s: alert not written to %s: %s", container->id,
		             container->alerts_path, err.message);
	else
		monitor->alerts_written++;
	monitor->rate_limit.suppressed = 0;
}
