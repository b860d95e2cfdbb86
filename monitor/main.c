/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard-monitor --container-dir DIR --ready-fd N
 * entryguard-monitor --listen PATH --container-dir DIR --ready-fd N
 *
 * Started detached by entryguard-hook (the first form: the container is in
 * DIR/container.json) or by entryguard-runtime before the real runtime runs
 * (listen mode: the container is learnt from the runtime's seccomp listener
 * message on PATH, and the monitor serves the container's seccomp
 * notifications).  Sets up in an order that loses no event (subscribe to
 * process events, prove they arrive, then seed the tree from /proc; or,
 * where the kernel refuses that, poll /proc: tracker.c), says
 * "ready" on the ready fd, and watches until the container's init exits.
 * It never outlives the container: the init's pidfd ends the loop, and its
 * run folder is removed on the way out.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "entryguard/log.h"
#include "entryguard/rundir.h"
#include "monitor/listener.h"
#include "monitor/monitor.h"
#include "monitor/notify.h"
#include "monitor/tracker_procfs.h"

/* How long a listening monitor waits for the runtime to connect and send
 * its message: crun connects at once, runc after the createRuntime hooks
 * (whose time is theirs).  A runtime that fails before it connects leaves
 * the monitor waiting this long at most (entryguard-runtime stops it
 * sooner with SIGTERM when it notices). */
#define LISTEN_TIMEOUT_MS 120000

struct options {
	const char *listen_path;
	int ready_fd;
	int listen_timeout_ms;
};

static int open_init_pidfd(struct monitor *monitor, struct eg_error *err)
{
	const struct eg_container *container = monitor->container;
	struct eg_proc_stat init;
	int r;

	monitor->init_pidfd = (int)syscall(SYS_pidfd_open, container->init_pid, 0);
	if (monitor->init_pidfd < 0)
		return eg_error_set_errno(err, errno, "the container's init (pid %d)",
		                          (int)container->init_pid);
	/* Checked after the pidfd is held: the pid cannot be recycled under us
	 * any more, so a matching start time proves it is the same process. */
	r = eg_proc_stat_read(NULL, container->init_pid, &init, err);
	if (r < 0)
		return r;
	if (init.start_time != container->init_start_time)
		return eg_error_set(err, ESRCH, "the container's init (pid %d) is gone",
		                    (int)container->init_pid);
	monitor_tree_set_init_start(monitor);
	return 0;
}

/* Everything that follows from the container and its config. */
static int prepare(struct monitor *monitor, struct eg_error *err)
{
	struct eg_correlator_settings settings = {0};
	int r = 0;

	/* Listen mode located and loaded the config already. */
	if (!monitor->config && monitor->container->config_path)
		r = eg_config_load_file(monitor->container->config_path, &monitor->config, err);
	else if (!monitor->config)
		r = eg_config_new_default(&monitor->config, err);
	if (r >= 0)
		r = eg_rule_from_config(monitor->config, &monitor->rule, err);
	if (r >= 0)
		r = eg_host_id_read(NULL, &monitor->host_id, err);
	if (r < 0)
		return r;
	gethostname(monitor->host_name, sizeof(monitor->host_name) - 1);
	monitor->nanoseconds_per_tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	if (monitor->container->args && monitor->container->args[0]) {
		const char *slash = strrchr(monitor->container->args[0], '/');
		snprintf(monitor->init_exec_name, sizeof(monitor->init_exec_name), "%s",
		         slash ? slash + 1 : monitor->container->args[0]);
	}
	settings.rule = monitor->rule;
	settings.host_id = &monitor->host_id;
	settings.container_name = monitor->container->name;
	settings.container_image_name = monitor->container->image;
	settings.max_processes = monitor->config->max_processes;
	monitor->rate_limit.per_second = monitor->config->alerts_per_second;
	monitor->windows_changed = true;
	return eg_correlator_new(&settings, &monitor->correlator, err);
}

static int write_pid(struct monitor *monitor, struct eg_error *err)
{
	struct eg_proc_stat self;
	int r = eg_proc_stat_read(NULL, getpid(), &self, err);

	if (r < 0)
		return r;
	return eg_monitor_pid_write(monitor->container_dir, getpid(), self.start_time, err);
}

static int set_up(struct monitor *monitor, struct eg_error *err)
{
	int r = eg_container_load(monitor->container_dir, &monitor->container, err);

	if (r >= 0)
		r = prepare(monitor, err);
	if (r >= 0)
		r = open_init_pidfd(monitor, err);
	/* The proc connector (or the procfs tracker), then the seed. */
	if (r >= 0)
		r = monitor_tracker_open(monitor, err);
	if (r >= 0)
		r = eg_alert_open(monitor->container->alerts_path, &monitor->alerts_fd, err);
	if (r >= 0)
		r = monitor_sockets_open(monitor, err);
	if (r >= 0)
		monitor_control_open(monitor);
	if (r >= 0)
		r = monitor_loop_setup(monitor, err);
	if (r >= 0)
		r = write_pid(monitor, err);
	return r;
}

/* Listen mode, before "ready": the socket, the process events (subscribed
 * and proven, but not read until the container is known: they queue in the
 * connector's buffer), the control socket (answered once the loop runs:
 * until then `status` connects and hears nothing), and monitor.pid, so that
 * a hook that runs for the same container before the runtime connects (runc
 * runs its createRuntime hooks first) finds a live monitor and leaves it
 * alone. */
static int listen_set_up(struct monitor *monitor, const struct options *options,
                         int *ret_listener_fd, struct eg_error *err)
{
	int r = monitor_signals_setup(monitor, err);

	if (r >= 0)
		r = eg_listener_bind(options->listen_path, ret_listener_fd, err);
	if (r >= 0)
		r = monitor_tracker_listen_open(monitor, err);
	if (r >= 0)
		monitor_control_open(monitor);
	if (r >= 0)
		r = write_pid(monitor, err);
	return r;
}

/* The sock_diag watcher is a second pair of eyes when the monitor holds
 * the seccomp listener (it sees io_uring's TCP attempts in detect mode):
 * without it the monitor goes on, where exiting would leave the container's
 * network calls failing with ENOSYS. */
static void open_sockets_optional(struct monitor *monitor)
{
	struct eg_error err = {0};

	if (monitor_sockets_open(monitor, &err) < 0) {
		eg_log_warning("container %s: %s; going on with the seccomp listener alone",
		               monitor->container->id, err.message);
		monitor_sockets_free(monitor);
	}
}

/* Listen mode, after "ready": the runtime's message, then the watch as in
 * hook mode, and the seccomp listener last, once the tree is seeded. */
static int listen_receive(struct monitor *monitor, const struct options *options, int listener_fd,
                          bool *ret_handed_over, struct eg_error *err)
{
	_cleanup_close_ int seccomp_fd = -1;
	int r = monitor_listen_receive(monitor, listener_fd, options->listen_timeout_ms,
	                               &seccomp_fd, ret_handed_over, err);

	if (r < 0)
		return r;
	r = prepare(monitor, err);
	if (r >= 0)
		r = open_init_pidfd(monitor, err);
	if (r >= 0)
		r = monitor_tracker_listen_seed(monitor, err);
	if (r >= 0)
		r = eg_alert_open(monitor->container->alerts_path, &monitor->alerts_fd, err);
	if (r >= 0 && monitor->container->mode != EG_MODE_OFF &&
	    !monitor->seccomp_sees_every_attempt)
		open_sockets_optional(monitor);
	if (r >= 0)
		r = monitor_loop_setup(monitor, err);
	if (r >= 0)
		r = monitor_notify_new(monitor, steal_fd(&seccomp_fd), monitor->epoll_fd,
		                       MONITOR_SOURCE_NOTIFY, &monitor->notify, err);
	if (r >= 0 && getenv("ENTRYGUARD_NOTIFY_FAST_PATH") &&
	    strcmp(getenv("ENTRYGUARD_NOTIFY_FAST_PATH"), "0") == 0)
		return r;
	if (r >= 0) {
		struct eg_error fast_err = {0};

		/* Not fatal: the event loop receives as before. */
		if (monitor_notify_start_fast_path(monitor->notify, &fast_err) < 0)
			eg_log_warning("container %s: %s", monitor->container->id,
			               fast_err.message);
	}
	return r;
}

static void say(int ready_fd, const char *line)
{
	if (ready_fd < 0)
		return;
	if (write(ready_fd, line, strlen(line)) < 0)
		eg_log_warning("could not tell the hook: %m");
	close(ready_fd);
}

static void tear_down(struct monitor *monitor)
{
	if (monitor->rate_limit.suppressed)
		eg_log_warning("container %s: %llu alert(s) suppressed by the rate limit",
		               monitor->container->id,
		               (unsigned long long)monitor->rate_limit.suppressed);
	/* Closing the seccomp listener makes the container's notified calls
	 * fail with ENOSYS from now on: docs/BLOCKING.md. */
	monitor_notify_free(monitor->notify);
	monitor_sockets_free(monitor);
	eg_proc_connector_free(monitor->connector);
	eg_proc_poll_free(monitor->poll);
	eg_correlator_free(monitor->correlator);
	eg_rule_free(monitor->rule);
	eg_config_free(monitor->config);
	eg_container_free(monitor->container);
	eg_close_fd(&monitor->epoll_fd);
	eg_close_fd(&monitor->signal_fd);
	eg_close_fd(&monitor->timer_fd);
	eg_close_fd(&monitor->init_pidfd);
	eg_close_fd(&monitor->alerts_fd);
	eg_close_fd(&monitor->control_fd);
}

static int parse_arguments(int argc, char **argv, struct monitor *monitor, struct options *options)
{
	static const struct option known[] = {
	    {"container-dir", required_argument, NULL, 'd'},
	    {"ready-fd", required_argument, NULL, 'r'},
	    {"listen", required_argument, NULL, 'l'},
	    {"listen-timeout-ms", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	int option;

	while ((option = getopt_long(argc, argv, "", known, NULL)) != -1) {
		if (option == 'd')
			monitor->container_dir = optarg;
		else if (option == 'r')
			options->ready_fd = atoi(optarg);
		else if (option == 'l')
			options->listen_path = optarg;
		else if (option == 't')
			options->listen_timeout_ms = atoi(optarg);
		else
			return -EINVAL;
	}
	if (options->listen_path && options->listen_path[0] != '/')
		return -EINVAL;
	if (options->listen_timeout_ms <= 0)
		return -EINVAL;
	return monitor->container_dir && monitor->container_dir[0] == '/' ? 0 : -EINVAL;
}

static void report_failure(const struct monitor *monitor, const struct eg_error *err, int ready_fd)
{
	char line[EG_ERROR_MESSAGE_MAX + 16];

	eg_log_error("%s: %s", monitor->container_dir, err->message);
	snprintf(line, sizeof(line), "error: %s\n", err->message);
	say(ready_fd, line);
}

/* Listen mode: everything up to the loop.  Past "ready", a failure can only
 * be logged: the runtime's connect then fails (no listener), or, once the
 * seccomp fd was received, the container's notified calls fail with ENOSYS
 * when we exit (docs/BLOCKING.md). */
static int listen_start(struct monitor *monitor, const struct options *options,
                        struct eg_error *err)
{
	_cleanup_close_ int listener_fd = -1;
	bool handed_over = false;
	int r = listen_set_up(monitor, options, &listener_fd, err);

	if (r < 0) {
		report_failure(monitor, err, options->ready_fd);
		return r;
	}
	say(options->ready_fd, "ready\n");
	r = listen_receive(monitor, options, listener_fd, &handed_over, err);
	if (r < 0)
		eg_log_error("%s: %s; the monitor exits%s", monitor->container_dir, err->message,
		             handed_over ? ": the container has a notify filter and no supervisor, "
		                           "so its connect, sendto, sendmsg and sendmmsg fail with "
		                           "ENOSYS"
		                         : "");
	return r;
}

int main(int argc, char **argv)
{
	struct monitor monitor = {
	    .epoll_fd = -1,
	    .signal_fd = -1,
	    .timer_fd = -1,
	    .init_pidfd = -1,
	    .alerts_fd = -1,
	    .control_fd = -1,
	    .started_ns = monitor_now_ns(),
	};
	struct options options = {.ready_fd = -1, .listen_timeout_ms = LISTEN_TIMEOUT_MS};
	struct eg_error err = {0};
	int r;

	eg_log_open("entryguard-monitor", isatty(STDERR_FILENO));
	if (parse_arguments(argc, argv, &monitor, &options) < 0) {
		eg_log_error("usage: entryguard-monitor [--listen /ABSOLUTE/SOCKET] "
		             "--container-dir /ABSOLUTE/DIR [--ready-fd N]");
		return 2;
	}
	monitor.listen_mode = options.listen_path != NULL;
	if (options.listen_path) {
		r = listen_start(&monitor, &options, &err);
	} else {
		r = set_up(&monitor, &err);
		if (r < 0)
			report_failure(&monitor, &err, options.ready_fd);
		else
			say(options.ready_fd, "ready\n");
	}
	if (r < 0) {
		if (options.listen_path)
			unlink(options.listen_path);
		eg_container_dir_remove(monitor.container_dir);
		tear_down(&monitor);
		return 1;
	}
	monitor_update_timer(&monitor, monitor_now_ns());
	r = monitor_loop_run(&monitor);
	if (r < 0)
		eg_log_error("container %s: event loop: %s", monitor.container->id, strerror(-r));
	if (options.listen_path)
		unlink(options.listen_path);
	eg_container_dir_remove(monitor.container_dir);
	tear_down(&monitor);
	return r < 0 ? 1 : 0;
}
