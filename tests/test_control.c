/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket: its status message, both ends (a server forked here),
 * and the monitor's side answering a few connections per wakeup. */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "entryguard/control.h"
#include "entryguard/rundir.h"
#include "monitor/monitor.h"
#include "tests/unit.h"

static char scratch[64];
/* A container folder whose path is longer than sun_path (108 bytes). */
static char folder[256];

static int make_scratch(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/eg-test-control-XXXXXX");
	if (!mkdtemp(scratch))
		return -1;
	snprintf(folder, sizeof(folder), "%s/%0120d", scratch, 7);
	return mkdir(folder, 0700);
}

static int remove_scratch(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf '%s'", scratch);
	return system(command) == 0 ? 0 : -1;
}

static struct eg_control_status sample(void)
{
	static char id[] = "c0ffee";

	return (struct eg_control_status){
	    .pid = 4242,
	    .container_id = id,
	    .mode = EG_MODE_BLOCK,
	    .listen_mode = true,
	    .watchers = EG_CONTROL_WATCH_PROC_CONNECTOR | EG_CONTROL_WATCH_SOCK_DIAG |
	                EG_CONTROL_WATCH_SECCOMP,
	    .tracked = 3,
	    .capacity = 4096,
	    .window_open = true,
	    .window_remaining_ms = 1840,
	    .alerts_written = 2,
	    .alerts_suppressed_unreported = 5,
	    .process_events_lost = 1,
	    .seccomp_notifications = 17,
	    .uptime_ms = 1302,
	};
}

static void message_exact_and_round_trip(void **state)
{
	struct eg_control_status status = sample(), back = {0};
	_cleanup_free_ char *text = NULL;
	struct eg_error err = {0};
	size_t length;

	(void)state;
	assert_int_equal(eg_control_status_to_json(&status, &text, &length, &err), 0);
	assert_string_equal(text, "{\"version\":1,\"pid\":4242,\"container_id\":\"c0ffee\","
	                          "\"mode\":\"block\",\"monitor_mode\":\"listen\",\"watchers\":["
	                          "\"proc_connector\",\"sock_diag\",\"seccomp\"],\"tracked\":3,"
	                          "\"capacity\":4096,\"window_open\":true,\"window_remaining_ms\":"
	                          "1840,\"alerts_written\":2,\"alerts_suppressed_unreported\":5,"
	                          "\"process_events_lost\":1,\"seccomp_notifications\":17,"
	                          "\"uptime_ms\":1302}");
	assert_int_equal(length, strlen(text));
	assert_int_equal(eg_control_status_from_json("m", text, length, &back, &err), 0);
	assert_int_equal(back.pid, status.pid);
	assert_string_equal(back.container_id, status.container_id);
	assert_int_equal(back.mode, status.mode);
	assert_int_equal(back.listen_mode, status.listen_mode);
	assert_int_equal(back.watchers, status.watchers);
	assert_int_equal(back.tracked, status.tracked);
	assert_int_equal(back.capacity, status.capacity);
	assert_int_equal(back.window_open, status.window_open);
	assert_int_equal(back.window_remaining_ms, status.window_remaining_ms);
	assert_int_equal(back.alerts_written, status.alerts_written);
	assert_int_equal(back.alerts_suppressed_unreported, status.alerts_suppressed_unreported);
	assert_int_equal(back.process_events_lost, status.process_events_lost);
	assert_int_equal(back.seccomp_notifications, status.seccomp_notifications);
	assert_int_equal(back.uptime_ms, status.uptime_ms);
	eg_control_status_clear(&back);
}

static void message_without_seccomp(void **state)
{
	struct eg_control_status status = sample(), back = {0};
	_cleanup_free_ char *text = NULL;
	struct eg_error err = {0};
	size_t length;

	(void)state;
	status.listen_mode = false;
	status.watchers = EG_CONTROL_WATCH_PROC_CONNECTOR;
	assert_int_equal(eg_control_status_to_json(&status, &text, &length, &err), 0);
	assert_null(strstr(text, "seccomp"));
	assert_non_null(
	    strstr(text, "\"monitor_mode\":\"hook\",\"watchers\":[\"proc_connector\"]"));
	assert_int_equal(eg_control_status_from_json("m", text, length, &back, &err), 0);
	assert_false(back.listen_mode);
	assert_int_equal(back.watchers, EG_CONTROL_WATCH_PROC_CONNECTOR);
	assert_int_equal(back.seccomp_notifications, 0);
	eg_control_status_clear(&back);
}

#define REST                                                                                 \
	"\"tracked\":1,\"capacity\":2,\"window_open\":false,\"window_remaining_ms\":0,"      \
	"\"alerts_written\":0,\"alerts_suppressed_unreported\":0,\"process_events_lost\":0," \
	"\"uptime_ms\":9}"
#define HEAD "{\"version\":1,\"pid\":7,\"container_id\":\"c\",\"mode\":\"detect\","

static void message_newer_members_are_ignored(void **state)
{
	static const char text[] = HEAD "\"monitor_mode\":\"hook\",\"watchers\":[\"ebpf\","
	                                "\"sock_diag\"],\"future\":{\"x\":[1]}," REST;
	struct eg_control_status back = {0};
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(eg_control_status_from_json("m", text, strlen(text), &back, &err), 0);
	assert_int_equal(back.watchers, EG_CONTROL_WATCH_SOCK_DIAG);
	assert_int_equal(back.uptime_ms, 9);
	eg_control_status_clear(&back);
}

static void message_errors(void **state)
{
	static const char *const cases[][2] = {
	    {"[1]", "m: expected an object, got an array"},
	    {"{\"version\":2}", "m: version 2 (this entryguard reads 1)"},
	    {"{\"version\":1}", "m: pid: missing"},
	    {"{\"version\":1,\"pid\":0}", "m: pid: 0 is not a pid"},
	    {HEAD "\"monitor_mode\":\"x\",\"watchers\":[]," REST,
	     "m: monitor_mode: \"x\" is neither hook nor listen"},
	    {HEAD "\"monitor_mode\":\"hook\",\"watchers\":[1]," REST,
	     "m: watchers[0]: expected a string, got a number"},
	    {HEAD "\"monitor_mode\":\"hook\",\"watchers\":[],\"tracked\":-1}",
	     "m: tracked: -1 is out of range"},
	    {HEAD "\"monitor_mode\":\"listen\",\"watchers\":[\"seccomp\"]," REST,
	     "m: seccomp_notifications: missing"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eg_control_status back = {.pid = 99};
		struct eg_error err = {0};

		assert_true(eg_control_status_from_json("m", cases[i][0], strlen(cases[i][0]),
		                                        &back, &err) < 0);
		assert_string_equal(err.message, cases[i][1]);
		assert_int_equal(back.pid, 99); /* untouched */
		assert_null(back.container_id);
	}
}

/* A server that answers one connection with reply (or nothing, with
 * reply NULL and size 0), then exits. */
static pid_t serve_once(int listener, const char *reply, size_t size)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		struct pollfd item = {.fd = listener, .events = POLLIN};
		int fd;

		if (poll(&item, 1, 5000) != 1)
			_exit(1);
		fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0 || (size && send(fd, reply, size, MSG_NOSIGNAL) != (ssize_t)size))
			_exit(2);
		_exit(0);
	}
	return child;
}

static void reap(pid_t child)
{
	int status;

	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void query_a_long_folder(void **state)
{
	struct eg_control_status status = sample(), back = {0};
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int listener = -1;
	struct eg_error err = {0};
	char path[400];
	struct stat st;
	size_t length;
	pid_t child;

	(void)state;
	assert_true(strlen(folder) > sizeof(((struct sockaddr_un *)NULL)->sun_path));
	assert_int_equal(eg_control_bind(folder, &listener, &err), 0);
	snprintf(path, sizeof(path), "%s/%s", folder, EG_CONTROL_SOCKET_FILE);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(fcntl(listener, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(listener, F_GETFL) & O_NONBLOCK);
	assert_int_equal(eg_control_status_to_json(&status, &text, &length, &err), 0);
	child = serve_once(listener, text, length);
	assert_int_equal(eg_control_query(folder, 2000, &back, &err), 0);
	reap(child);
	assert_int_equal(back.pid, 4242);
	assert_int_equal(back.seccomp_notifications, 17);
	eg_control_status_clear(&back);
}

static void query_errors(void **state)
{
	struct eg_control_status back = {0};
	_cleanup_close_ int listener = -1;
	char big[EG_CONTROL_MESSAGE_MAX + 10];
	struct eg_error err = {0};
	pid_t child;

	(void)state;
	assert_int_equal(eg_control_query(scratch, 100, &back, &err), -ENOENT);
	/* A stale socket (its monitor was killed): nobody listens. */
	assert_int_equal(eg_control_bind(scratch, &listener, &err), 0);
	eg_close_fd(&listener);
	assert_int_equal(eg_control_query(scratch, 100, &back, &err), -ECONNREFUSED);
	/* bind replaces it.  Then: listening, never answering. */
	assert_int_equal(eg_control_bind(scratch, &listener, &err), 0);
	assert_int_equal(eg_control_query(scratch, 50, &back, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.message, "control.sock: no answer within 50 ms"));
	eg_close_fd(&listener);
	assert_int_equal(eg_control_bind(scratch, &listener, &err), 0);
	child = serve_once(listener, NULL, 0);
	assert_int_equal(eg_control_query(scratch, 2000, &back, &err), -ECONNRESET);
	reap(child);
	memset(big, ' ', sizeof(big));
	child = serve_once(listener, big, sizeof(big));
	assert_int_equal(eg_control_query(scratch, 2000, &back, &err), -EMSGSIZE);
	reap(child);
	child = serve_once(listener, "{\"version\":1", 12);
	assert_int_equal(eg_control_query(scratch, 2000, &back, &err), -EINVAL);
	assert_non_null(strstr(err.message, "control.sock: invalid JSON"));
	reap(child);
	assert_null(back.container_id);
}

static void bind_refuses_a_file_and_remove_takes_the_socket(void **state)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int listener = -1;
	char run[128], path[256];
	struct eg_error err = {0};
	int fd;

	(void)state;
	snprintf(run, sizeof(run), "%s/run", scratch);
	assert_int_equal(eg_container_dir_create(run, "c1", &dir, &err), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, EG_CONTROL_SOCKET_FILE);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(eg_control_bind(dir, &listener, &err), -EEXIST);
	assert_non_null(strstr(err.message, "control.sock: exists and is not a socket"));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(eg_control_bind(dir, &listener, &err), 0);
	assert_int_equal(eg_container_dir_remove(dir), 0);
	assert_int_equal(access(dir, F_OK), -1);
}

/* The monitor's side: a real correlator with this process as the
 * entrypoint, its window open. */
static void monitor_answers_a_few_per_wakeup(void **state)
{
	struct eg_correlator_settings settings = {0};
	char id[] = "mon";
	struct eg_container container = {.id = id, .mode = EG_MODE_DETECT};
	struct monitor monitor = {.control_fd = -1, .container = &container};
	struct eg_exec_event exec = {.pid = getpid(),
	                             .name = "entrypoint.sh",
	                             .executable = "/entrypoint.sh",
	                             .in_container = true};
	struct eg_proc_stat self;
	struct eg_error err = {0};
	int clients[EG_CONTROL_BACKLOG + 1];
	char dir[80], buffer[EG_CONTROL_MESSAGE_MAX + 1];

	(void)state;
	snprintf(dir, sizeof(dir), "%s/monitor", scratch);
	assert_int_equal(mkdir(dir, 0700), 0);
	monitor.container_dir = dir;
	assert_int_equal(eg_config_new_default(&monitor.config, &err), 0);
	assert_int_equal(eg_rule_from_config(monitor.config, &monitor.rule, &err), 0);
	settings.rule = monitor.rule;
	settings.host_id = &monitor.host_id;
	settings.max_processes = 64;
	assert_int_equal(eg_correlator_new(&settings, &monitor.correlator, &err), 0);
	assert_int_equal(eg_proc_stat_read(NULL, getpid(), &self, NULL), 0);
	exec.start_time = self.start_time;
	exec.time_ns = monitor_now_ns();
	assert_int_equal(eg_correlator_exec(monitor.correlator, &exec, NULL), 1);
	monitor.windows_changed = true;
	monitor.started_ns = monitor_now_ns() - 1500 * 1000000ull;
	monitor.alerts_written = 3;
	monitor.rate_limit.suppressed = 2;
	monitor.events_lost = 1;

	monitor_control_open(&monitor);
	assert_true(monitor.control_fd >= 0);
	/* One more than a wakeup answers; none of them reads before. */
	for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		struct sockaddr_un address = {.sun_family = AF_UNIX};

		snprintf(address.sun_path, sizeof(address.sun_path), "%s/%s", dir,
		         EG_CONTROL_SOCKET_FILE);
		clients[i] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		assert_int_equal(connect(clients[i], (struct sockaddr *)&address, sizeof(address)),
		                 0);
	}
	monitor_control_on_event(&monitor);
	for (size_t i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		struct eg_control_status back = {0};
		ssize_t got = recv(clients[i], buffer, EG_CONTROL_MESSAGE_MAX, MSG_DONTWAIT);

		if (i == EG_CONTROL_BACKLOG) { /* the next wakeup's */
			assert_int_equal(got, -1);
			assert_int_equal(errno, EAGAIN);
			monitor_control_on_event(&monitor);
			got = recv(clients[i], buffer, EG_CONTROL_MESSAGE_MAX, MSG_DONTWAIT);
		}
		assert_true(got > 0);
		buffer[got] = '\0';
		assert_int_equal(eg_control_status_from_json("m", buffer, (size_t)got, &back, &err),
		                 0);
		assert_int_equal(back.pid, getpid());
		assert_string_equal(back.container_id, "mon");
		assert_int_equal(back.mode, EG_MODE_DETECT);
		assert_int_equal(back.watchers, EG_CONTROL_WATCH_PROC_CONNECTOR);
		assert_int_equal(back.tracked, 1);
		assert_int_equal(back.capacity, 64);
		assert_true(back.window_open);
		assert_true(back.window_remaining_ms > 0 && back.window_remaining_ms <= 3000);
		assert_int_equal(back.alerts_written, 3);
		assert_int_equal(back.alerts_suppressed_unreported, 2);
		assert_int_equal(back.process_events_lost, 1);
		assert_true(back.uptime_ms >= 1500 && back.uptime_ms < 60000);
		/* Then the monitor closed it. */
		assert_int_equal(recv(clients[i], buffer, sizeof(buffer), MSG_DONTWAIT), 0);
		eg_control_status_clear(&back);
		close(clients[i]);
	}
	eg_close_fd(&monitor.control_fd);
	eg_correlator_free(monitor.correlator);
	eg_rule_free(monitor.rule);
	eg_config_free(monitor.config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(message_exact_and_round_trip),
	    cmocka_unit_test(message_without_seccomp),
	    cmocka_unit_test(message_newer_members_are_ignored),
	    cmocka_unit_test(message_errors),
	    cmocka_unit_test(query_a_long_folder),
	    cmocka_unit_test(query_errors),
	    cmocka_unit_test(bind_refuses_a_file_and_remove_takes_the_socket),
	    cmocka_unit_test(monitor_answers_a_few_per_wakeup),
	};
	return cmocka_run_group_tests(tests, make_scratch, remove_scratch);
}
