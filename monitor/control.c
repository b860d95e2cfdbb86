/* SPDX-License-Identifier: GPL-2.0-or-later */
/* control.sock: the monitor's live state, one message per connection
 * (entryguard/control.h), answered in the event loop without ever blocking. */
#include <sys/socket.h>
#include <unistd.h>

#include "entryguard/control.h"
#include "entryguard/log.h"
#include "monitor/monitor.h"
#include "monitor/notify.h"

#define NS_PER_MS                  1000000ull
/* Connections answered per wakeup: a client that connects in a loop gets
 * its share, never the loop.  Level-triggered epoll brings the rest back. */
#define CONTROL_ACCEPTS_PER_WAKEUP EG_CONTROL_BACKLOG

void monitor_control_open(struct monitor *monitor)
{
	struct eg_error err = {0};

	if (eg_control_bind(monitor->container_dir, &monitor->control_fd, &err) < 0)
		eg_log_warning("%s: %s; going on without a control socket (`entryguard status` "
		               "shows no live state)",
		               monitor->container_dir, err.message);
}

static void fill_status(struct monitor *monitor, struct eg_control_status *status)
{
	struct eg_correlator_stats tree = {0};
	uint64_t now_ns = monitor_now_ns();

	status->pid = getpid();
	status->container_id = monitor->container->id;
	status->mode = monitor->container->mode;
	status->listen_mode = monitor->listen_mode;
	status->watchers = EG_CONTROL_WATCH_PROC_CONNECTOR;
	if (monitor->sockets)
		status->watchers |= EG_CONTROL_WATCH_SOCK_DIAG;
	if (monitor->notify) {
		struct monitor_notify_stats notify;

		monitor_notify_get_stats(monitor->notify, &notify);
		status->watchers |= EG_CONTROL_WATCH_SECCOMP;
		status->seccomp_notifications = notify.received;
	}
	eg_correlator_get_stats(monitor->correlator, &tree);
	status->tracked = tree.tracked;
	status->capacity = tree.capacity;
	status->window_open = monitor_window_open(monitor, now_ns);
	if (status->window_open)
		status->window_remaining_ms = (monitor->window_deadline_ns - now_ns) / NS_PER_MS;
	status->alerts_written = monitor->alerts_written;
	status->alerts_suppressed_unreported = monitor->rate_limit.suppressed;
	status->process_events_lost = monitor->events_lost;
	status->uptime_ms = (now_ns - monitor->started_ns) / NS_PER_MS;
}

void monitor_control_on_event(struct monitor *monitor)
{
	_cleanup_free_ char *text = NULL;
	size_t length = 0;

	for (int i = 0; i < CONTROL_ACCEPTS_PER_WAKEUP; i++) {
		_cleanup_close_ int fd =
		    accept4(monitor->control_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				eg_log_debug("container %s: control socket: accept: %m",
				             monitor->container->id);
			return;
		}
		/* One state for every client of this wakeup. */
		if (!text) {
			struct eg_control_status status = {0};
			struct eg_error err = {0};

			fill_status(monitor, &status);
			if (eg_control_status_to_json(&status, &text, &length, &err) < 0) {
				eg_log_warning("container %s: control socket: %s",
				               monitor->container->id, err.message);
				return;
			}
		}
		/* One message into the client's empty queue: it does not wait
		 * for the client to read.  A client that went away gets nothing,
		 * and every connection is closed here. */
		if (send(fd, text, length, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			eg_log_debug("container %s: control socket: send: %m",
			             monitor->container->id);
	}
}
