/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard-monitor --container-dir DIR --ready-fd N
 *
 * Started by entryguard-hook, detached.  Sets up in an order that loses no
 * event (subscribe to process events, prove they arrive, then seed the tree
 * from /proc), says "ready" on the ready fd, and watches until the
 * container's init exits.  It never outlives the container: the init's
 * pidfd ends the loop, and its run folder is removed on the way out.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "entryguard/log.h"
#include "entryguard/rundir.h"
#include "monitor/monitor.h"

/* The probe forks one child and waits for its events: a few ms normally. */
#define PROBE_TIMEOUT_MS 2000

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
	return 0;
}

static int load(struct monitor *monitor, struct eg_error *err)
{
	struct eg_correlator_settings settings = {0};
	int r;

	r = eg_container_load(monitor->container_dir, &monitor->container, err);
	if (r < 0)
		return r;
	if (monitor->container->config_path)
		r = eg_config_load_file(monitor->container->config_path, &monitor->config, err);
	else
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
	return eg_correlator_new(&settings, &monitor->correlator, err);
}

static int set_up(struct monitor *monitor, struct eg_error *err)
{
	struct eg_proc_stat self;
	int r = load(monitor, err);

	if (r >= 0)
		r = open_init_pidfd(monitor, err);
	/* Subscribe before seeding: a fork between the /proc scan and the
	 * subscription would otherwise be lost. */
	if (r >= 0)
		r = eg_proc_connector_open(NULL, &monitor->connector, err);
	if (r >= 0)
		r = eg_proc_connector_probe(monitor->connector, PROBE_TIMEOUT_MS,
		                            monitor_tree_on_event, monitor, err);
	if (r >= 0)
		r = monitor_tree_seed(monitor, err);
	if (r >= 0)
		r = eg_alert_open(monitor->container->alerts_path, &monitor->alerts_fd, err);
	if (r >= 0)
		r = monitor_sockets_open(monitor, err);
	if (r >= 0)
		r = monitor_loop_setup(monitor, err);
	if (r >= 0)
		r = eg_proc_stat_read(NULL, getpid(), &self, err);
	if (r >= 0)
		r = eg_monitor_pid_write(monitor->container_dir, getpid(), self.start_time, err);
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
	monitor_sockets_free(monitor);
	eg_proc_connector_free(monitor->connector);
	eg_correlator_free(monitor->correlator);
	eg_rule_free(monitor->rule);
	eg_config_free(monitor->config);
	eg_container_free(monitor->container);
	eg_close_fd(&monitor->epoll_fd);
	eg_close_fd(&monitor->signal_fd);
	eg_close_fd(&monitor->timer_fd);
	eg_close_fd(&monitor->init_pidfd);
	eg_close_fd(&monitor->alerts_fd);
}

static int parse_arguments(int argc, char **argv, struct monitor *monitor, int *ret_ready_fd)
{
	static const struct option options[] = {
	    {"container-dir", required_argument, NULL, 'd'},
	    {"ready-fd", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	int option;

	while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
		if (option == 'd')
			monitor->container_dir = optarg;
		else if (option == 'r')
			*ret_ready_fd = atoi(optarg);
		else
			return -EINVAL;
	}
	return monitor->container_dir && monitor->container_dir[0] == '/' ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	struct monitor monitor = {
	    .epoll_fd = -1,
	    .signal_fd = -1,
	    .timer_fd = -1,
	    .init_pidfd = -1,
	    .alerts_fd = -1,
	};
	struct eg_error err = {0};
	int ready_fd = -1, r;

	eg_log_open("entryguard-monitor", isatty(STDERR_FILENO));
	if (parse_arguments(argc, argv, &monitor, &ready_fd) < 0) {
		eg_log_error("usage: entryguard-monitor --container-dir /ABSOLUTE/DIR "
		             "[--ready-fd N]");
		return 2;
	}
	r = set_up(&monitor, &err);
	if (r < 0) {
		char line[EG_ERROR_MESSAGE_MAX + 16];

		eg_log_error("%s: %s", monitor.container_dir, err.message);
		snprintf(line, sizeof(line), "error: %s\n", err.message);
		say(ready_fd, line);
		eg_container_dir_remove(monitor.container_dir);
		tear_down(&monitor);
		return 1;
	}
	say(ready_fd, "ready\n");
	monitor_update_timer(&monitor, monitor_now_ns());
	r = monitor_loop_run(&monitor);
	if (r < 0)
		eg_log_error("container %s: event loop: %s", monitor.container->id, strerror(-r));
	eg_container_dir_remove(monitor.container_dir);
	tear_down(&monitor);
	return r < 0 ? 1 : 0;
}
