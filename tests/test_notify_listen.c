/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Listen mode through the real binary: `entryguard-monitor --listen PATH
 * --container-dir DIR --ready-fd 3` as entryguard-runtime starts it.  The
 * test plays the runtime (it connects to PATH and sends the listener
 * message with the seccomp fd by SCM_RIGHTS, as runc and crun do, and keeps
 * the connection open) and the container: a forked init in the sinkhole
 * namespace, under a notify filter, that execs an entrypoint.sh whose child
 * tries a public address.  Also: a malformed message (the monitor exits and
 * the container's notified calls fail with ENOSYS), no runtime at all, and
 * SIGTERM while waiting.
 *
 * This binary is also the entrypoint's child: `test_notify_listen client
 * NETNS_INODE` makes the attempts and prints their results.
 */
#include "test_notify_helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/json.h"
#include "entryguard/rundir.h"

#define CONTAINER_ID "egtest-listen"
#define WAIT_MS      10000

struct listen_test {
	char root[64];
	char container_dir[128];
	char socket_path[160];
	char config_path[128];
	char alerts_path[128];
	char bundle[128];
	char script[128];
	char output[128];
	pid_t monitor;
	pid_t init;
	int init_pidfd;
	int go_fd;
	int seccomp_fd;
	int runtime_connection;
	int *init_result; /* shared */
};

/* --- the entrypoint's child ----------------------------------------------- */

static ino_t client_netns;

static int client_socket(int type)
{
	struct stat status;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), netns;

	if (fd < 0)
		exit(98);
	netns = ioctl(fd, SIOCGSKNS);
	if (netns < 0 || fstat(netns, &status) < 0 || status.st_ino != client_netns)
		exit(99); /* SAFETY: not in the test's namespace */
	close(netns);
	return fd;
}

static int client_connect(int type, const char *text, uint16_t port)
{
	struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = client_socket(type);

	address.sin_addr.s_addr = inet_addr(text);
	return connect(fd, (struct sockaddr *)&address, sizeof(address)) < 0 ? -errno : 0;
}

static int client(const char *netns_inode)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	socklen_t length = sizeof(address);
	int listener;

	client_netns = (ino_t)strtoull(netns_inode, NULL, 10);
	listener = client_socket(SOCK_STREAM);
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(listener, (struct sockaddr *)&address, length) < 0 || listen(listener, 4) < 0 ||
	    getsockname(listener, (struct sockaddr *)&address, &length) < 0)
		return 97;
	printf("tcp_public=%d\n", client_connect(SOCK_STREAM, "1.1.1.1", 80));
	printf("udp_public=%d\n", client_connect(SOCK_DGRAM, "8.8.8.8", 53));
	printf("tcp_loopback=%d\n",
	       client_connect(SOCK_STREAM, "127.0.0.1", ntohs(address.sin_port)));
	return 0;
}

/* --- the runtime's side --------------------------------------------------- */

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void write_text_in(const char *dir, const char *name, const char *text)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_text(path, text, 0600);
}

static void prepare(struct listen_test *test)
{
	char text[2048], self[256];
	ssize_t length = readlink("/proc/self/exe", self, sizeof(self) - 1);

	assert_true(length > 0);
	self[length] = '\0';
	memset(test, 0, sizeof(*test));
	test->monitor = test->init = 0;
	test->init_pidfd = test->go_fd = test->seccomp_fd = test->runtime_connection = -1;
	snprintf(test->root, sizeof(test->root), "/tmp/eg-listen-XXXXXX");
	assert_non_null(mkdtemp(test->root));
	snprintf(test->container_dir, sizeof(test->container_dir), "%s/" CONTAINER_ID, test->root);
	snprintf(test->socket_path, sizeof(test->socket_path), "%s/%s", test->container_dir,
	         EG_LISTENER_SOCKET_FILE);
	snprintf(test->config_path, sizeof(test->config_path), "%s/entryguard.json", test->root);
	snprintf(test->alerts_path, sizeof(test->alerts_path), "%s/alerts.ndjson", test->root);
	snprintf(test->bundle, sizeof(test->bundle), "%s/bundle", test->root);
	snprintf(test->script, sizeof(test->script), "%s/entrypoint.sh", test->root);
	snprintf(test->output, sizeof(test->output), "%s/client.out", test->root);
	assert_int_equal(mkdir(test->container_dir, 0700), 0);
	assert_int_equal(mkdir(test->bundle, 0700), 0);
	snprintf(text, sizeof(text),
	         "{\"mode\": \"detect\", \"window_ms\": 60000,"
	         " \"alerts\": {\"path\": \"%s\", \"syslog\": false}}",
	         test->alerts_path);
	write_text(test->config_path, text, 0600);
	snprintf(
	    text, sizeof(text),
	    "{\"ociVersion\": \"1.0.2-dev\", \"process\": {\"args\": [\"%s\"], \"cwd\": \"/\"},"
	    " \"root\": {\"path\": \"rootfs\"}, \"linux\": {\"namespaces\": ["
	    "{\"type\": \"network\", \"path\": \"%s\"}]}}",
	    test->script, sinkhole.path);
	write_text_in(test->bundle, "config.json", text);
	snprintf(text, sizeof(text),
	         "#!/bin/sh\n\"%s\" client %llu > \"%s\"\necho done > /dev/null\n", self,
	         (unsigned long long)netns_inode(sinkhole.path), test->output);
	write_text(test->script, text, 0755);
	test->init_result =
	    mmap(NULL, sizeof(int) * 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(test->init_result != MAP_FAILED);
}

static bool exited_within(pid_t pid, int timeout_ms, int *ret_status)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd poll_fd = {.fd = pidfd, .events = POLLIN};
	bool exited;

	assert_true(pidfd >= 0);
	exited = poll(&poll_fd, 1, timeout_ms) == 1;
	close(pidfd);
	if (exited)
		assert_int_equal(waitpid(pid, ret_status, 0), pid);
	return exited;
}

/* Starts the monitor as entryguard-runtime does and waits for "ready". */
static void start_monitor(struct listen_test *test, const char *timeout_ms)
{
	int ready[2];
	char line[64] = {0};

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	test->monitor = fork();
	assert_true(test->monitor >= 0);
	if (test->monitor == 0) {
		const char *argv[] = {EG_MONITOR_BINARY,
		                      "--listen",
		                      test->socket_path,
		                      "--container-dir",
		                      test->container_dir,
		                      "--ready-fd",
		                      "3",
		                      "--listen-timeout-ms",
		                      timeout_ms,
		                      NULL};
		setenv("ENTRYGUARD_CONFIG", test->config_path, 1);
		if (dup2(ready[1], 3) < 0)
			_exit(127);
		execv(EG_MONITOR_BINARY, (char *const *)argv);
		_exit(127);
	}
	close(ready[1]);
	assert_true(read(ready[0], line, sizeof(line) - 1) > 0);
	close(ready[0]);
	assert_string_equal(line, "ready\n");
}

/* The container's init: joins the sinkhole, installs the filter, hands
 * the listener to "the runtime" (us) through pidfd_getfd(), and execs the
 * entrypoint once told to. */
static void start_init(struct listen_test *test)
{
	int ready[2], go[2], number = -1;

	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	test->init = fork();
	assert_true(test->init >= 0);
	if (test->init == 0) {
		scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
		int netns = open(sinkhole.path, O_RDONLY | O_CLOEXEC), fd;
		char go_byte;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Its own group: clean_up() ends the entrypoint's children too. */
		setpgid(0, 0);
		if (netns < 0 || setns(netns, CLONE_NEWNET) < 0 || !filter ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(90);
		seccomp_rule_add(filter, SCMP_ACT_NOTIFY, SCMP_SYS(connect), 0);
		seccomp_rule_add(filter, SCMP_ACT_NOTIFY, SCMP_SYS(sendto), 0);
		seccomp_rule_add(filter, SCMP_ACT_NOTIFY, SCMP_SYS(sendmsg), 0);
		seccomp_rule_add(filter, SCMP_ACT_NOTIFY, SCMP_SYS(sendmmsg), 0);
		if (seccomp_load(filter) < 0)
			_exit(91);
		fd = seccomp_notify_fd(filter);
		if (write(ready[1], &fd, sizeof(fd)) != sizeof(fd) || read(go[0], &go_byte, 1) != 1)
			_exit(92);
		close(fd);
		if (go_byte == 'x') {
			/* A malformed message: the monitor has gone away. */
			struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(9)};
			int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			test->init_result[0] =
			    connect(s, (struct sockaddr *)&address, sizeof(address)) < 0 ? errno
			                                                                 : 0;
			_exit(0);
		}
		execl(test->script, "entrypoint.sh", (char *)NULL);
		_exit(93);
	}
	setpgid(test->init, test->init);
	close(ready[1]);
	close(go[0]);
	test->go_fd = go[1];
	test->init_pidfd = (int)syscall(SYS_pidfd_open, test->init, 0);
	assert_true(read(ready[0], &number, sizeof(number)) == sizeof(number) && number >= 0);
	close(ready[0]);
	test->seccomp_fd = (int)syscall(SYS_pidfd_getfd, test->init_pidfd, number, 0);
	assert_true(test->seccomp_fd >= 0);
}

/* What runc does: connect, one write with the fd, keep the connection. */
static void send_message(struct listen_test *test, const char *message)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	union {
		char buffer[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	struct iovec vector = {(void *)message, strlen(message)};
	struct msghdr header = {.msg_iov = &vector,
	                        .msg_iovlen = 1,
	                        .msg_control = control.buffer,
	                        .msg_controllen = sizeof(control.buffer)};
	struct cmsghdr *item = CMSG_FIRSTHDR(&header);

	assert_true(strlen(test->socket_path) < sizeof(address.sun_path));
	memcpy(address.sun_path, test->socket_path, strlen(test->socket_path) + 1);
	test->runtime_connection = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(
	    connect(test->runtime_connection, (struct sockaddr *)&address, sizeof(address)), 0);
	item->cmsg_level = SOL_SOCKET;
	item->cmsg_type = SCM_RIGHTS;
	item->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(item), &test->seccomp_fd, sizeof(int));
	assert_int_equal(sendmsg(test->runtime_connection, &header, 0), (ssize_t)strlen(message));
	/* The runtime's copy goes: the monitor's is the only one. */
	eg_close_fd(&test->seccomp_fd);
	test->seccomp_fd = -1;
}

static void wait_for_file(const char *path)
{
	struct stat status;

	for (int i = 0; i < WAIT_MS / 10; i++) {
		if (stat(path, &status) == 0)
			return;
		usleep(10 * 1000);
	}
	fail_msg("%s did not appear", path);
}

static void clean_up(struct listen_test *test)
{
	char command[256];

	if (test->init > 0)
		kill(-test->init, SIGKILL);
	eg_kill_and_reap(&test->init);
	eg_kill_and_reap(&test->monitor);
	eg_close_fd(&test->init_pidfd);
	eg_close_fd(&test->go_fd);
	eg_close_fd(&test->seccomp_fd);
	eg_close_fd(&test->runtime_connection);
	munmap(test->init_result, sizeof(int) * 4);
	snprintf(command, sizeof(command), "rm -rf '%s'", test->root);
	assert_int_equal(system(command), 0);
}

static bool equals(yajl_val tree, const char **path, const char *value)
{
	yajl_val node = yajl_tree_get(tree, path, yajl_t_string);
	const char *text = node ? YAJL_GET_STRING(node) : NULL;

	return text && !strcmp(text, value);
}

/* Alerts with that action and destination, from this container, by the
 * seccomp watcher. */
static size_t alerts(const struct listen_test *test, const char *action, const char *ip)
{
	_cleanup_free_ char *text = NULL;
	size_t length, count = 0;
	char *line, *saved = NULL;

	if (eg_read_file_bounded(test->alerts_path, 1024 * 1024, &text, &length, NULL) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &saved); line; line = strtok_r(NULL, "\n", &saved)) {
		yajl_val tree = NULL;
		const char *path_action[] = {"entryguard", "action", NULL};
		const char *path_source[] = {"entryguard", "source", NULL};
		const char *path_ip[] = {"destination", "ip", NULL};
		const char *path_id[] = {"container", "id", NULL};
		const char *path_runtime[] = {"container", "runtime", NULL};

		assert_int_equal(eg_json_parse("alert", line, strlen(line), &tree, NULL), 0);
		if (equals(tree, path_action, action) && equals(tree, path_source, "seccomp") &&
		    equals(tree, path_ip, ip) && equals(tree, path_id, CONTAINER_ID) &&
		    yajl_tree_get(tree, path_runtime, yajl_t_string))
			count++;
		yajl_tree_free(tree);
	}
	return count;
}

static void message_for(const struct listen_test *test, char *buffer, size_t size)
{
	snprintf(buffer, size,
	         "{\"ociVersion\":\"1.0.2-dev\",\"fds\":[\"seccompFd\"],\"pid\":%d,"
	         "\"metadata\":\"mode=block\",\"state\":{\"ociVersion\":\"1.0.2-dev\","
	         "\"id\":\"" CONTAINER_ID "\",\"status\":\"creating\",\"pid\":%d,"
	         "\"bundle\":\"%s\"}}",
	         (int)test->init, (int)test->init, test->bundle);
}

static void assert_gone(const char *path)
{
	struct stat status;

	assert_int_equal(lstat(path, &status), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_listen_mode_blocks(void **state)
{
	struct listen_test test;
	char message[1024], path[256], output[256] = {0};
	struct stat status;
	pid_t recorded = 0;
	int exit_status, fd;

	(void)state;
	prepare(&test);
	start_monitor(&test, "10000");
	/* Ready means: listening (0600), and a live monitor.pid for the hook
	 * that runc runs before it connects. */
	assert_int_equal(stat(test.socket_path, &status), 0);
	assert_true(S_ISSOCK(status.st_mode));
	assert_int_equal(status.st_mode & 0777, 0600);
	assert_int_equal(eg_monitor_pid_alive(test.container_dir, &recorded), 1);
	assert_int_equal(recorded, test.monitor);
	start_init(&test);
	message_for(&test, message, sizeof(message));
	send_message(&test, message);
	snprintf(path, sizeof(path), "%s/%s", test.container_dir, EG_CONTAINER_FILE);
	wait_for_file(path);
	assert_int_equal(write(test.go_fd, "g", 1), 1);
	assert_true(exited_within(test.init, WAIT_MS, &exit_status));
	test.init = 0;
	assert_true(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0);
	fd = open(test.output, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, output, sizeof(output) - 1) > 0);
	close(fd);
	assert_non_null(strstr(output, "tcp_public=-1\n"));  /* EPERM */
	assert_non_null(strstr(output, "udp_public=-1\n"));  /* EPERM */
	assert_non_null(strstr(output, "tcp_loopback=0\n")); /* emulated */
	assert_int_equal(alerts(&test, "blocked", "1.1.1.1"), 1);
	assert_int_equal(alerts(&test, "blocked", "8.8.8.8"), 1);
	/* The init is gone: so is the monitor, and its folder. */
	assert_true(exited_within(test.monitor, WAIT_MS, &exit_status));
	test.monitor = 0;
	assert_true(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0);
	assert_gone(test.container_dir);
	clean_up(&test);
}

/* The runtime does not wait for the monitor to read its message: the
 * entrypoint may exec and fork before the monitor learns of the container.
 * Here it has, and its child waits in connect() on a listener nobody
 * serves yet, when the message is sent. */
static void test_message_after_the_entrypoint_ran(void **state)
{
	struct listen_test test;
	struct pollfd pending;
	char message[1024], output[256] = {0};
	int exit_status, fd;

	(void)state;
	prepare(&test);
	start_monitor(&test, "10000");
	start_init(&test);
	assert_int_equal(write(test.go_fd, "g", 1), 1);
	pending = (struct pollfd){.fd = test.seccomp_fd, .events = POLLIN};
	assert_int_equal(poll(&pending, 1, WAIT_MS), 1);
	message_for(&test, message, sizeof(message));
	send_message(&test, message);
	assert_true(exited_within(test.init, WAIT_MS, &exit_status));
	test.init = 0;
	fd = open(test.output, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_true(read(fd, output, sizeof(output) - 1) > 0);
	close(fd);
	assert_non_null(strstr(output, "tcp_public=-1\n"));
	assert_non_null(strstr(output, "udp_public=-1\n"));
	assert_int_equal(alerts(&test, "blocked", "1.1.1.1"), 1);
	assert_true(exited_within(test.monitor, WAIT_MS, &exit_status));
	test.monitor = 0;
	clean_up(&test);
}

static void test_malformed_message(void **state)
{
	struct listen_test test;
	int exit_status;

	(void)state;
	prepare(&test);
	start_monitor(&test, "10000");
	start_init(&test);
	send_message(&test, "{\"ociVersion\": \"1.0.2-dev\", \"fds\": [\"seccompFd\"]}");
	assert_true(exited_within(test.monitor, WAIT_MS, &exit_status));
	test.monitor = 0;
	assert_true(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 1);
	assert_gone(test.container_dir);
	/* The container has a notify filter and no supervisor any more. */
	assert_int_equal(write(test.go_fd, "x", 1), 1);
	assert_true(exited_within(test.init, WAIT_MS, &exit_status));
	test.init = 0;
	assert_int_equal(test.init_result[0], ENOSYS);
	clean_up(&test);
}

static void test_no_runtime_connects(void **state)
{
	struct listen_test test;
	int exit_status;

	(void)state;
	prepare(&test);
	start_monitor(&test, "300");
	assert_true(exited_within(test.monitor, WAIT_MS, &exit_status));
	test.monitor = 0;
	assert_true(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 1);
	assert_gone(test.socket_path);
	assert_gone(test.container_dir);
	clean_up(&test);
}

static void test_sigterm_while_waiting(void **state)
{
	struct listen_test test;
	int exit_status;

	(void)state;
	prepare(&test);
	start_monitor(&test, "60000");
	assert_int_equal(kill(test.monitor, SIGTERM), 0);
	assert_true(exited_within(test.monitor, WAIT_MS, &exit_status));
	test.monitor = 0;
	assert_true(WIFEXITED(exit_status));
	assert_gone(test.container_dir);
	clean_up(&test);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listen_mode_blocks),
	    cmocka_unit_test(test_message_after_the_entrypoint_ran),
	    cmocka_unit_test(test_malformed_message),
	    cmocka_unit_test(test_no_runtime_connects),
	    cmocka_unit_test(test_sigterm_while_waiting),
	};

	if (argc == 3 && !strcmp(argv[1], "client"))
		return client(argv[2]);
	return cmocka_run_group_tests(tests, notify_group_setup, notify_group_teardown);
}
