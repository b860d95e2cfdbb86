/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The seccomp listener tests' harness; see test_notify_helpers.h. */
#include "test_notify_helpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/json.h"
#include "monitor/procfs.h"

#define EXIT_TAG         99u
#define RUN_TIMEOUT_MS   60000
#define TEST_WINDOW_MS   60000u
/* Exit codes of a target that could not start (the scenario's own are
 * below 64). */
#define TARGET_NO_NETNS  90
#define TARGET_NO_FILTER 91
#define TARGET_UNSAFE    99

static ino_t target_netns;

int notify_group_setup(void **state)
{
	return setup_namespaces(state);
}

int notify_group_teardown(void **state)
{
	return teardown_namespaces(state);
}

/* --- in the target -------------------------------------------------------- */

int target_socket(int domain, int type)
{
	return target_socket_protocol(domain, type, 0);
}

int target_socket_protocol(int domain, int type, int protocol)
{
	struct stat status;
	int fd = socket(domain, type | SOCK_CLOEXEC, protocol), netns;

	if (fd < 0)
		return -1;
	/* SAFETY: never a socket outside the namespace the test made. */
	netns = ioctl(fd, SIOCGSKNS);
	if (netns < 0 || fstat(netns, &status) < 0 || status.st_ino != target_netns)
		_exit(TARGET_UNSAFE);
	close(netns);
	return fd;
}

socklen_t address_of_text(const char *text, uint16_t port, struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (strchr(text, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, text, &in6->sin6_addr) != 1)
			_exit(63);
		return sizeof(*in6);
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ret;
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	if (inet_pton(AF_INET, text, &in->sin_addr) != 1)
		_exit(63);
	return sizeof(*in);
}

static int bound(int type, uint16_t *ret_port, int backlog)
{
	struct sockaddr_storage address;
	socklen_t length = address_of_text("127.0.0.1", 0, &address);
	int fd = target_socket(AF_INET, type);

	if (fd < 0 || bind(fd, (struct sockaddr *)&address, length) < 0)
		_exit(62);
	if (type == SOCK_STREAM && listen(fd, backlog) < 0)
		_exit(62);
	if (getsockname(fd, (struct sockaddr *)&address, &length) < 0)
		_exit(62);
	*ret_port = ntohs(((struct sockaddr_in *)&address)->sin_port);
	return fd;
}

int target_tcp_listener(uint16_t *ret_port, int backlog)
{
	return bound(SOCK_STREAM, ret_port, backlog);
}

int target_udp_receiver(uint16_t *ret_port)
{
	return bound(SOCK_DGRAM, ret_port, 0);
}

static int install_filter(bool with_i386)
{
	static const char *const names[] = {"connect", "sendto", "sendmsg", "sendmmsg"};
	scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
	int fd;

	if (!filter)
		return -1;
	if (with_i386 && seccomp_arch_add(filter, SCMP_ARCH_X86) < 0)
		return -1;
	for (size_t i = 0; i < 4; i++)
		if (seccomp_rule_add(filter, SCMP_ACT_NOTIFY,
		                     seccomp_syscall_resolve_name(names[i]), 0) < 0)
			return -1;
	if (seccomp_load(filter) < 0)
		return -1;
	fd = seccomp_notify_fd(filter);
	seccomp_release(filter);
	return fd;
}

static void run_target(const char *netns_path, const struct target_options *options, int ready_fd,
                       int go_fd, scenario_function scenario, void *argument, struct shared *shared)
{
	int netns = open(netns_path, O_RDONLY | O_CLOEXEC), listener;
	struct stat status;
	char go = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (netns < 0 || setns(netns, CLONE_NEWNET) < 0 || fstat(netns, &status) < 0)
		_exit(TARGET_NO_NETNS);
	target_netns = status.st_ino;
	close(netns);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(TARGET_NO_FILTER);
	listener = install_filter(options->with_i386);
	if (write(ready_fd, &listener, sizeof(listener)) != sizeof(listener) || listener < 0)
		_exit(TARGET_NO_FILTER);
	if (read(go_fd, &go, 1) != 1)
		_exit(TARGET_NO_FILTER);
	/* The test holds its own copy now: ours would keep the listener alive
	 * when the test closes it. */
	close(listener);
	close(ready_fd);
	close(go_fd);
	_exit(scenario(shared, argument));
}

/* --- in the test ---------------------------------------------------------- */

static void set_up_monitor(struct harness *harness, const struct target_options *options)
{
	struct monitor *monitor = &harness->monitor;
	struct eg_correlator_settings settings = {0};
	struct eg_container *container = calloc(1, sizeof(*container));
	struct eg_error err = {0};
	int fd;

	*monitor = (struct monitor){
	    .epoll_fd = -1, .signal_fd = -1, .timer_fd = -1, .init_pidfd = -1, .alerts_fd = -1};
	assert_non_null(container);
	if (eg_config_new_default(&monitor->config, &err) < 0)
		fail_msg("%s", err.message);
	monitor->config->window_ms = TEST_WINDOW_MS;
	monitor->config->alerts_syslog = false;
	monitor->config->alerts_per_second = 100000;
	if (eg_rule_from_config(monitor->config, &monitor->rule, &err) < 0 ||
	    eg_host_id_read(NULL, &monitor->host_id, &err) < 0)
		fail_msg("%s", err.message);
	snprintf(harness->alerts_path, sizeof(harness->alerts_path),
	         "/tmp/eg-notify-alerts-XXXXXX");
	fd = mkstemp(harness->alerts_path);
	assert_true(fd >= 0);
	close(fd);
	container->id = strdup("notify-test");
	container->name = strdup("notify-test");
	container->runtime = strdup("test");
	container->alerts_path = strdup(harness->alerts_path);
	container->args = calloc(2, sizeof(char *));
	assert_non_null(container->args);
	container->args[0] = strdup("/entrypoint.sh");
	container->mode = options->mode;
	monitor->container = container;
	if (eg_alert_open(harness->alerts_path, &monitor->alerts_fd, &err) < 0)
		fail_msg("%s", err.message);
	settings.rule = monitor->rule;
	settings.host_id = &monitor->host_id;
	settings.container_name = container->name;
	settings.max_processes = 256;
	monitor->rate_limit.per_second = monitor->config->alerts_per_second;
	if (eg_correlator_new(&settings, &monitor->correlator, &err) < 0)
		fail_msg("%s", err.message);
	monitor->windows_changed = true;
}

/* The test process is the entrypoint: its exec opens the window. */
static void open_window(struct harness *harness, bool expired)
{
	struct eg_proc_stat self;
	struct eg_exec_event exec = {
	    .pid = getpid(),
	    .time_ns = monitor_now_ns(),
	    .name = "entrypoint.sh",
	    .executable = "/entrypoint.sh",
	    .in_container = true,
	};

	assert_int_equal(eg_proc_stat_read(NULL, getpid(), &self, NULL), 0);
	exec.start_time = self.start_time;
	if (expired)
		exec.time_ns -= (uint64_t)(TEST_WINDOW_MS + 10000) * 1000000ull;
	assert_int_equal(eg_correlator_exec(harness->monitor.correlator, &exec, NULL), 1);
}

static void register_child(struct harness *harness)
{
	struct eg_proc_stat self, child;
	struct eg_fork_event fork_event = {.parent_pid = getpid(), .child_pid = harness->child};

	assert_int_equal(eg_proc_stat_read(NULL, getpid(), &self, NULL), 0);
	assert_int_equal(eg_proc_stat_read(NULL, harness->child, &child, NULL), 0);
	fork_event.parent_start_time = self.start_time;
	fork_event.child_start_time = child.start_time;
	fork_event.time_ns = monitor_now_ns();
	assert_int_equal(eg_correlator_fork(harness->monitor.correlator, &fork_event, NULL), 0);
	harness->monitor.windows_changed = true;
}

static void serve(struct harness *harness)
{
	struct epoll_event event = {.events = EPOLLIN, .data.u64 = EXIT_TAG};
	struct eg_error err = {0};

	harness->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(harness->epoll_fd >= 0);
	assert_int_equal(epoll_ctl(harness->epoll_fd, EPOLL_CTL_ADD, harness->child_pidfd, &event),
	                 0);
	if (monitor_notify_new(&harness->monitor, harness->listener_fd, harness->epoll_fd,
	                       NOTIFY_TAG, &harness->monitor.notify, &err) < 0)
		fail_msg("%s", err.message);
	harness->listener_fd = -1;
}

void harness_start(struct harness *harness, const struct target_options *options,
                   scenario_function scenario, void *argument)
{
	const struct netns_child *netns = options->sinkhole ? &sinkhole : &lo_only;
	int ready[2], go[2], number = -1;

	memset(harness, 0, sizeof(*harness));
	harness->epoll_fd = harness->child_pidfd = harness->listener_fd = harness->go_fd = -1;
	harness->listener_copy = -1;
	if (!netns->ready)
		fail_msg("the test's network namespace could not be made (is iproute2's `ip` "
		         "installed?)");
	harness->shared = mmap(NULL, sizeof(struct shared), PROT_READ | PROT_WRITE,
	                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(harness->shared != MAP_FAILED);
	set_up_monitor(harness, options);
	if (options->with_connector) {
		struct eg_error err = {0};
		if (eg_proc_connector_open(NULL, &harness->monitor.connector, &err) < 0)
			fail_msg("%s", err.message);
	}
	open_window(harness, options->window_expired);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	harness->child = fork();
	assert_true(harness->child >= 0);
	if (harness->child == 0) {
		close(ready[0]);
		close(go[1]);
		run_target(netns->path, options, ready[1], go[0], scenario, argument,
		           harness->shared);
	}
	close(ready[1]);
	close(go[0]);
	harness->go_fd = go[1];
	harness->child_pidfd = (int)syscall(SYS_pidfd_open, harness->child, 0);
	assert_true(harness->child_pidfd >= 0);
	if (read(ready[0], &number, sizeof(number)) != sizeof(number) || number < 0)
		fail_msg("the target could not install its filter");
	close(ready[0]);
	harness->listener_fd = (int)syscall(SYS_pidfd_getfd, harness->child_pidfd, number, 0);
	assert_true(harness->listener_fd >= 0);
	register_child(harness);
	if (options->keep_copy)
		harness->listener_copy = fcntl(harness->listener_fd, F_DUPFD_CLOEXEC, 3);
	if (!options->no_serving)
		serve(harness);
}

ino_t harness_netns_inode(void)
{
	return target_netns;
}

void harness_release(struct harness *harness)
{
	if (harness->go_fd < 0)
		return;
	assert_int_equal(write(harness->go_fd, "g", 1), 1);
	eg_close_fd(&harness->go_fd);
	harness->go_fd = -1;
}

int harness_run(struct harness *harness)
{
	bool exited = false;
	int status = 0;

	harness_release(harness);
	while (!exited) {
		struct epoll_event events[16];
		int count = epoll_wait(harness->epoll_fd, events, 16, RUN_TIMEOUT_MS);

		if (count == 0)
			fail_msg("the target did not finish in %d ms", RUN_TIMEOUT_MS);
		for (int i = 0; i < count; i++) {
			uint32_t tag = (uint32_t)(events[i].data.u64 & 0xffffffffu);
			if (tag == NOTIFY_TAG)
				monitor_notify_on_event(harness->monitor.notify,
				                        (uint32_t)(events[i].data.u64 >> 32),
				                        events[i].events);
			else if (tag == EXIT_TAG)
				exited = true;
		}
	}
	assert_int_equal(waitpid(harness->child, &status, 0), harness->child);
	harness->child = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == TARGET_UNSAFE)
		fail_msg("SAFETY: a target socket was outside the test's namespace");
	return status;
}

bool harness_serve_until(struct harness *harness, int timeout_ms,
                         bool (*until)(const struct harness *harness))
{
	struct timespec now;
	int64_t deadline;

	harness_release(harness);
	clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + timeout_ms;
	while (!until(harness)) {
		struct epoll_event events[16];
		int64_t left;
		int count;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = deadline - ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000);
		if (left <= 0)
			return false;
		count = epoll_wait(harness->epoll_fd, events, 16, left > 20 ? 20 : (int)left);
		for (int i = 0; i < count; i++) {
			uint32_t tag = (uint32_t)(events[i].data.u64 & 0xffffffffu);
			if (tag == NOTIFY_TAG)
				monitor_notify_on_event(harness->monitor.notify,
				                        (uint32_t)(events[i].data.u64 >> 32),
				                        events[i].events);
			else if (tag == EXIT_TAG)
				return until(harness);
		}
	}
	return true;
}

void harness_stats(const struct harness *harness, struct monitor_notify_stats *ret_stats)
{
	monitor_notify_get_stats(harness->monitor.notify, ret_stats);
}

void harness_stop(struct harness *harness)
{
	struct monitor *monitor = &harness->monitor;

	eg_kill_and_reap(&harness->child);
	monitor_notify_free(monitor->notify);
	monitor->notify = NULL;
	eg_close_fd(&harness->listener_fd);
	eg_close_fd(&harness->listener_copy);
	eg_close_fd(&harness->epoll_fd);
	eg_close_fd(&harness->child_pidfd);
	eg_close_fd(&harness->go_fd);
	eg_close_fd(&monitor->alerts_fd);
	eg_proc_connector_free(monitor->connector);
	eg_correlator_free(monitor->correlator);
	eg_rule_free(monitor->rule);
	eg_config_free(monitor->config);
	eg_container_free(monitor->container);
	unlink(harness->alerts_path);
	munmap(harness->shared, sizeof(struct shared));
}

static bool member_is(yajl_val object, const char *group, const char *key, const char *value)
{
	yajl_val node = eg_json_member(eg_json_member(object, group), key);
	const char *text = node && YAJL_IS_STRING(node) ? YAJL_GET_STRING(node) : NULL;

	if (!value)
		return true;
	return text && !strcmp(text, value);
}

static bool member_integer_is(yajl_val tree, const char *object, const char *key, long long value)
{
	const char *path[] = {object, key, NULL};
	yajl_val member = yajl_tree_get(tree, path, yajl_t_number);

	return member && YAJL_IS_INTEGER(member) && YAJL_GET_INTEGER(member) == value;
}

size_t alerts_count(const struct harness *harness, const char *action, const char *ip)
{
	return alerts_count_port(harness, action, ip, -1);
}

size_t alerts_count_port(const struct harness *harness, const char *action, const char *ip,
                         int port)
{
	_cleanup_free_ char *text = NULL;
	size_t length, count = 0;
	char *line, *saved = NULL;

	if (eg_read_file_bounded(harness->alerts_path, 16 * 1024 * 1024, &text, &length, NULL) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &saved); line; line = strtok_r(NULL, "\n", &saved)) {
		yajl_val tree = NULL;

		if (eg_json_parse("alert", line, strlen(line), &tree, NULL) < 0)
			fail_msg("an alert line is not JSON: %s", line);
		if (member_is(tree, "entryguard", "source", "seccomp") &&
		    member_is(tree, "entryguard", "action", action) &&
		    member_is(tree, "destination", "ip", ip) &&
		    (port < 0 || member_integer_is(tree, "destination", "port", port)))
			count++;
		yajl_tree_free(tree);
	}
	return count;
}
