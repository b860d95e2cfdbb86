/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The monitor's one event loop. */
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/log.h"
#include "monitor/monitor.h"
#include "monitor/notify.h"

#define NS_PER_MS 1000000ull

static int watch_fd(struct monitor *monitor, int fd, enum monitor_source source,
                    struct eg_error *err)
{
	struct epoll_event event = {.events = EPOLLIN, .data.u64 = source};

	if (epoll_ctl(monitor->epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0)
		return eg_error_set_errno(err, errno, "epoll_ctl");
	return 0;
}

int monitor_signals_setup(struct monitor *monitor, struct eg_error *err)
{
	sigset_t signals;

	if (monitor->signal_fd >= 0)
		return 0;
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &signals, NULL) < 0)
		return eg_error_set_errno(err, errno, "sigprocmask");
	/* The monitor sends on sockets it does not own the other end of; an
	 * EPIPE must come back as an error (it is the container's, to be
	 * raised in the container's thread), never kill the monitor. */
	signal(SIGPIPE, SIG_IGN);
	monitor->signal_fd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
	if (monitor->signal_fd < 0)
		return eg_error_set_errno(err, errno, "signalfd");
	return 0;
}

int monitor_loop_setup(struct monitor *monitor, struct eg_error *err)
{
	int r = monitor_signals_setup(monitor, err);

	if (r < 0)
		return r;
	monitor->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (monitor->timer_fd < 0)
		return eg_error_set_errno(err, errno, "timerfd_create");
	monitor->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (monitor->epoll_fd < 0)
		return eg_error_set_errno(err, errno, "epoll_create1");
	if (monitor->connector)
		r = watch_fd(monitor, eg_proc_connector_fd(monitor->connector),
		             MONITOR_SOURCE_PROC_CONNECTOR, err);
	if (r >= 0)
		r = watch_fd(monitor, monitor->signal_fd, MONITOR_SOURCE_SIGNAL, err);
	if (r >= 0)
		r = watch_fd(monitor, monitor->timer_fd, MONITOR_SOURCE_TIMER, err);
	if (r >= 0)
		r = watch_fd(monitor, monitor->init_pidfd, MONITOR_SOURCE_INIT_EXIT, err);
	if (r >= 0 && monitor->control_fd >= 0)
		r = watch_fd(monitor, monitor->control_fd, MONITOR_SOURCE_CONTROL, err);
	return r;
}

/* The timer serves the socket dumps (while a window is open) and the
 * procfs tracker's scans (tracker.c says how often); 0 ms: disarmed. */
static void arm_timer(struct monitor *monitor, bool dump, int tracker_ms)
{
	struct itimerspec spec = {0};
	int interval_ms = dump ? EG_MONITOR_DUMP_INTERVAL_MS : tracker_ms;

	if (dump && tracker_ms > 0 && tracker_ms < interval_ms)
		interval_ms = tracker_ms;
	if (dump == monitor->dumping && interval_ms == monitor->timer_interval_ms)
		return;
	if (interval_ms > 0) {
		spec.it_value.tv_nsec = interval_ms * NS_PER_MS;
		spec.it_interval = spec.it_value;
	}
	timerfd_settime(monitor->timer_fd, 0, &spec, NULL);
	monitor->dumping = dump;
	monitor->timer_interval_ms = interval_ms;
}

/* With monitor.lifetime "window": done once every window that opened has
 * closed, or, when the container's first program was no entrypoint, once a
 * window's length has passed since that exec without one opening.  Never
 * for a monitor that holds the container's seccomp listener: its exit would
 * leave the container's notified syscalls failing with ENOSYS. */
static bool window_lifetime_over(const struct monitor *monitor, uint64_t now_ns, bool window_open)
{
	uint64_t window_ns = (uint64_t)monitor->config->window_ms * NS_PER_MS;

	if (monitor->config->monitor_lifetime != EG_LIFETIME_WINDOW || window_open ||
	    monitor->notify)
		return false;
	if (monitor->any_window_opened)
		return true;
	return monitor->first_exec_ns && now_ns - monitor->first_exec_ns > window_ns;
}

void monitor_update_timer(struct monitor *monitor, uint64_t now_ns)
{
	bool open = monitor_window_open(monitor, now_ns);

	/* Outside every window no attempt can match: no dumps at all, so an
	 * idle monitor costs one sleeping process. */
	arm_timer(monitor, open && monitor->sockets,
	          monitor_tracker_interval_ms(monitor, now_ns, open));
	if (window_lifetime_over(monitor, now_ns, open)) {
		eg_log_info("container %s: no window can open any more (monitor.lifetime window)",
		            monitor->container->id);
		monitor->exiting = true;
	}
}

static void on_signal(struct monitor *monitor)
{
	struct signalfd_siginfo info;

	while (read(monitor->signal_fd, &info, sizeof(info)) == sizeof(info))
		if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
			eg_log_info("container %s: stopping on signal %u", monitor->container->id,
			            info.ssi_signo);
			monitor->exiting = true;
		}
}

static void dispatch(struct monitor *monitor, const struct epoll_event *event)
{
	enum monitor_source source = (enum monitor_source)(event->data.u64 & 0xffffffffu);
	uint64_t expirations;

	switch (source) {
	case MONITOR_SOURCE_PROC_CONNECTOR:
		monitor_tree_receive(monitor);
		break;
	case MONITOR_SOURCE_SIGNAL:
		on_signal(monitor);
		break;
	case MONITOR_SOURCE_TIMER:
		/* Process events first: a socket must be judged against the tree
		 * as it is now (a child's exec may be queued behind it). */
		monitor_tree_receive(monitor);
		monitor_tree_poll(monitor);
		if (read(monitor->timer_fd, &expirations, sizeof(expirations)) > 0 &&
		    monitor->dumping)
			monitor_sockets_scan(monitor, monitor_now_ns());
		break;
	case MONITOR_SOURCE_INIT_EXIT:
		/* A last look: an attempt made just before the end still counts. */
		monitor_tree_poll(monitor);
		if (monitor->dumping)
			monitor_sockets_scan(monitor, monitor_now_ns());
		eg_log_info("container %s: init exited; monitor done", monitor->container->id);
		monitor->exiting = true;
		break;
	case MONITOR_SOURCE_NOTIFY:
		monitor_notify_on_event(monitor->notify, (uint32_t)(event->data.u64 >> 32),
		                        event->events);
		break;
	case MONITOR_SOURCE_CONTROL:
		monitor_control_on_event(monitor);
		break;
	}
}

/* How long epoll may sleep: forever, except when monitor.lifetime "window"
 * waits for the first program's window length to pass with no window
 * opened, where nothing else would wake the loop at that moment. */
static int wait_timeout_ms(const struct monitor *monitor)
{
	uint64_t deadline, now;

	if (monitor->config->monitor_lifetime != EG_LIFETIME_WINDOW || monitor->notify ||
	    monitor->any_window_opened || !monitor->first_exec_ns)
		return -1;
	deadline = monitor->first_exec_ns + (uint64_t)monitor->config->window_ms * NS_PER_MS;
	now = monitor_now_ns();
	return now >= deadline ? 0 : (int)((deadline - now) / NS_PER_MS) + 1;
}

int monitor_loop_run(struct monitor *monitor)
{
	struct epoll_event events[8];

	while (!monitor->exiting) {
		int count = epoll_wait(monitor->epoll_fd, events, 8, wait_timeout_ms(monitor));

		if (count < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < count && !monitor->exiting; i++)
			dispatch(monitor, &events[i]);
		monitor_update_timer(monitor, monitor_now_ns());
	}
	return 0;
}
