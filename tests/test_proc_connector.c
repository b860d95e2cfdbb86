/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The proc connector wrapper against the real kernel (run as root), and its
 * decoder against hand-made datagrams. */
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/proc_connector.h"
#include "tests/unit.h"

#define WAIT_MS    5000
#define EVENTS_MAX 8192

struct recorder {
	size_t count;
	struct eg_proc_event events[EVENTS_MAX];
};

static int record(const struct eg_proc_event *event, void *userdata)
{
	struct recorder *recorder = userdata;

	if (recorder->count < EVENTS_MAX)
		recorder->events[recorder->count++] = *event;
	return 0;
}

static const struct eg_proc_event *find_event(const struct recorder *recorder,
                                              enum eg_proc_event_type type, pid_t pid)
{
	for (size_t i = 0; i < recorder->count; i++)
		if (recorder->events[i].type == type && recorder->events[i].pid == pid)
			return &recorder->events[i];
	return NULL;
}

static uint64_t monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

/* Receives until pid's exit event was recorded (poll, bounded wait). */
static void receive_until_exit(struct eg_proc_connector *connector, struct recorder *recorder,
                               pid_t pid)
{
	struct pollfd poll_fd = {.fd = eg_proc_connector_fd(connector), .events = POLLIN};
	uint64_t deadline = monotonic_ns() + (uint64_t)WAIT_MS * 1000000u;
	struct eg_error err = {0};

	while (!find_event(recorder, EG_PROC_EVENT_EXIT, pid)) {
		int r = eg_proc_connector_receive(connector, record, recorder, &err);
		if (r < 0 && r != -ENOBUFS)
			fail_msg("receive: %s", err.message);
		if (monotonic_ns() > deadline)
			fail_msg("no exit event for %d within %d ms", (int)pid, WAIT_MS);
		poll(&poll_fd, 1, 100);
	}
}

static pid_t fork_and_exit(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(7);
	return pid;
}

static void reap(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
}

/* A datagram as the kernel builds it: nlmsghdr, cn_msg, proc_event. */
struct datagram {
	struct nlmsghdr header;
	struct cn_msg message;
	struct proc_event event;
} __attribute__((packed));

static struct datagram make_datagram(uint32_t what)
{
	struct datagram datagram;

	memset(&datagram, 0, sizeof(datagram));
	datagram.header.nlmsg_len = sizeof(datagram);
	datagram.header.nlmsg_type = NLMSG_DONE;
	datagram.message.id.idx = CN_IDX_PROC;
	datagram.message.id.val = CN_VAL_PROC;
	datagram.message.len = sizeof(struct proc_event);
	datagram.event.what = what;
	datagram.event.timestamp_ns = 123456789;
	return datagram;
}

static void decode_events_threads_and_acks(void **state)
{
	struct datagram datagram = make_datagram(PROC_EVENT_FORK);
	struct eg_proc_message message;

	(void)state;
	datagram.event.event_data.fork.parent_pid = 11;
	datagram.event.event_data.fork.parent_tgid = 10;
	datagram.event.event_data.fork.child_pid = 20;
	datagram.event.event_data.fork.child_tgid = 20;
	assert_int_equal(eg_proc_message_decode(&datagram, sizeof(datagram), &message), 0);
	assert_int_equal(message.kind, EG_PROC_MESSAGE_EVENT);
	assert_int_equal(message.event.type, EG_PROC_EVENT_FORK);
	assert_int_equal(message.event.pid, 20);
	assert_int_equal(message.event.parent_pid, 10);
	assert_int_equal(message.event.timestamp_ns, 123456789);

	/* A thread: child pid != child tgid. */
	datagram.event.event_data.fork.child_pid = 21;
	assert_int_equal(eg_proc_message_decode(&datagram, sizeof(datagram), &message), 0);
	assert_int_equal(message.kind, EG_PROC_MESSAGE_THREAD);

	datagram = make_datagram(PROC_EVENT_EXIT);
	datagram.event.event_data.exit.process_pid = 30;
	datagram.event.event_data.exit.process_tgid = 30;
	datagram.event.event_data.exit.exit_code = 7 << 8;
	datagram.event.event_data.exit.parent_tgid = 1;
	assert_int_equal(eg_proc_message_decode(&datagram, sizeof(datagram), &message), 0);
	assert_int_equal(message.kind, EG_PROC_MESSAGE_EVENT);
	assert_int_equal(message.event.exit_status, 7 << 8);
	assert_int_equal(message.event.parent_pid, 1);
	datagram.event.event_data.exit.process_pid = 31;
	assert_int_equal(eg_proc_message_decode(&datagram, sizeof(datagram), &message), 0);
	assert_int_equal(message.kind, EG_PROC_MESSAGE_THREAD);

	datagram = make_datagram(PROC_EVENT_COMM);
	assert_int_equal(eg_proc_message_decode(&datagram, sizeof(datagram), &message), 0);
	assert_int_equal(message.kind, EG_PROC_MESSAGE_OTHER_TYPE);

	datagram = make_datagram(PROC_EVENT_NONE);
	datagram.message.ack = 4243;
	datagram.event.event_data.ack.err = EPERM;
	assert_int_equal(eg_proc_message_decode(&datagram, sizeof(datagram), &message), 0);
	assert_int_equal(message.kind, EG_PROC_MESSAGE_ACK);
	assert_int_equal(message.ack_number, 4243);
	assert_int_equal(message.ack_error, EPERM);
}

static void decode_rejects_malformed(void **state)
{
	struct datagram good = make_datagram(PROC_EVENT_EXEC), bad;
	struct eg_proc_message message = {.ack_number = 99};
	const size_t event_data = offsetof(struct proc_event, event_data);

	(void)state;
	good.event.event_data.exec.process_pid = 5;
	good.event.event_data.exec.process_tgid = 5;
	assert_int_equal(eg_proc_message_decode(&good, sizeof(good), &message), 0);
	/* Shorter than a netlink header, or than the header says. */
	assert_int_equal(eg_proc_message_decode(&good, 10, &message), -EBADMSG);
	assert_int_equal(eg_proc_message_decode(&good, sizeof(good) - 1, &message), -EBADMSG);
	bad = good, bad.header.nlmsg_len = 8;
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), -EBADMSG);
	bad = good, bad.header.nlmsg_type = NLMSG_ERROR;
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), -EBADMSG);
	bad = good, bad.message.id.idx = CN_IDX_PROC + 1;
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), -EBADMSG);
	/* cn_msg.len past the datagram, or too short for its event. */
	bad = good, bad.message.len = sizeof(struct proc_event) + 1;
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), -EBADMSG);
	bad = good, bad.message.len = (uint16_t)(event_data - 1);
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), -EBADMSG);
	bad = good, bad.message.len = (uint16_t)(event_data + 4);
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), -EBADMSG);
	bad = make_datagram(PROC_EVENT_FORK), bad.message.len = (uint16_t)(event_data + 12);
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), -EBADMSG);
	bad = make_datagram(PROC_EVENT_NONE), bad.message.len = (uint16_t)event_data;
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), -EBADMSG);
	/* A pid of 0 is no process. */
	bad = good, bad.event.event_data.exec.process_tgid = 0;
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), -EBADMSG);
	/* An exit event of a kernel before 4.18 (no parent) is fine. */
	bad = make_datagram(PROC_EVENT_EXIT);
	bad.message.len = (uint16_t)(event_data + 16);
	bad.event.event_data.exit.process_pid = bad.event.event_data.exit.process_tgid = 9;
	assert_int_equal(eg_proc_message_decode(&bad, sizeof(bad), &message), 0);
	assert_int_equal(message.event.parent_pid, 0);
	/* Failures leave the output alone. */
	message.ack_number = 99;
	assert_int_equal(eg_proc_message_decode(&good, 3, &message), -EBADMSG);
	assert_int_equal(message.ack_number, 99);
}

static void write_script(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void assert_between(uint64_t low, uint64_t value, uint64_t high)
{
	if (value < low || value > high)
		fail_msg("timestamp %llu outside [%llu, %llu]", (unsigned long long)value,
		         (unsigned long long)low, (unsigned long long)high);
}

/* fork, exec of a script whose name is longer than comm, the script's own
 * child, and the exits: all seen, in order, stamped with CLOCK_MONOTONIC. */
static void script_events_in_order(void **state)
{
	_cleanup_(eg_proc_connector_freep) struct eg_proc_connector *connector = NULL;
	static struct recorder recorder;
	char directory[] = "/tmp/eg-connector-XXXXXX", script[128];
	const struct eg_proc_event *fork_event, *exec_event, *exit_event, *child_fork;
	struct eg_error err = {0};
	uint64_t before, after;
	pid_t pid;

	(void)state;
	recorder.count = 0;
	assert_non_null(mkdtemp(directory));
	snprintf(script, sizeof(script), "%s/my-long-entrypoint.sh", directory);
	write_script(script, "#!/bin/sh\n/bin/true\nexit 3\n");
	assert_int_equal(eg_proc_connector_open(NULL, &connector, &err), 0);

	before = monotonic_ns();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(script, script, (char *)NULL);
		_exit(127);
	}
	reap(pid);
	after = monotonic_ns();
	receive_until_exit(connector, &recorder, pid);

	fork_event = find_event(&recorder, EG_PROC_EVENT_FORK, pid);
	exec_event = find_event(&recorder, EG_PROC_EVENT_EXEC, pid);
	exit_event = find_event(&recorder, EG_PROC_EVENT_EXIT, pid);
	assert_non_null(fork_event);
	assert_non_null(exec_event);
	assert_int_equal(fork_event->parent_pid, getpid());
	assert_true(fork_event < exec_event && exec_event < exit_event);
	assert_int_equal(exit_event->exit_status, 3 << 8);
	assert_int_equal(exit_event->parent_pid, getpid());
	/* The kernel stamps with ktime_get_ns(): CLOCK_MONOTONIC. */
	assert_between(before, fork_event->timestamp_ns, exec_event->timestamp_ns);
	assert_between(exec_event->timestamp_ns, exit_event->timestamp_ns, after);

	/* The script forked /bin/true, which exec'd and exited, in between. */
	child_fork = NULL;
	for (size_t i = 0; i < recorder.count; i++)
		if (recorder.events[i].type == EG_PROC_EVENT_FORK &&
		    recorder.events[i].parent_pid == pid)
			child_fork = &recorder.events[i];
	assert_non_null(child_fork);
	assert_true(exec_event < child_fork && child_fork < exit_event);
	assert_non_null(find_event(&recorder, EG_PROC_EVENT_EXEC, child_fork->pid));
	assert_non_null(find_event(&recorder, EG_PROC_EVENT_EXIT, child_fork->pid));
	assert_between(exec_event->timestamp_ns, child_fork->timestamp_ns,
	               exit_event->timestamp_ns);
	unlink(script);
	rmdir(directory);
}

/* A thread that renames itself: a comm event, which the filter drops too. */
static void *thread_body(void *argument)
{
	prctl(PR_SET_NAME, "eg-test-thread");
	return argument;
}

/* pthread_create makes a task whose pid is not its tgid: never a fork. */
static void check_threads(bool no_socket_filter)
{
	struct eg_proc_connector_options options = {.no_socket_filter = no_socket_filter};
	_cleanup_(eg_proc_connector_freep) struct eg_proc_connector *connector = NULL;
	static struct recorder recorder;
	struct eg_proc_connector_stats stats;
	struct eg_error err = {0};
	pthread_t threads[4];
	pid_t sentinel;

	recorder.count = 0;
	assert_int_equal(eg_proc_connector_open(&options, &connector, &err), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, thread_body, NULL), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	sentinel = fork_and_exit();
	reap(sentinel);
	receive_until_exit(connector, &recorder, sentinel);

	for (size_t i = 0; i < recorder.count; i++)
		if (recorder.events[i].pid == getpid())
			fail_msg("event %d for this process: a thread taken for a process",
			         (int)recorder.events[i].type);
	assert_non_null(find_event(&recorder, EG_PROC_EVENT_FORK, sentinel));
	eg_proc_connector_get_stats(connector, &stats);
	if (no_socket_filter) {
		assert_true(stats.threads_ignored >= 8); /* 4 creations, 4 exits */
		assert_true(stats.other_types >= 4);     /* 4 renames */
	} else {
		assert_int_equal(stats.threads_ignored, 0); /* dropped in the kernel */
	}
}

static void threads_are_not_forks(void **state)
{
	(void)state;
	check_threads(false);
	check_threads(true);
}

static void probe_proves_events_arrive(void **state)
{
	_cleanup_(eg_proc_connector_freep) struct eg_proc_connector *connector = NULL;
	static struct recorder recorder;
	struct eg_error err = {0};
	pid_t earlier;

	(void)state;
	recorder.count = 0;
	assert_int_equal(eg_proc_connector_open(NULL, &connector, &err), 0);
	/* Events queued before the probe reach the handler, not the void. */
	earlier = fork_and_exit();
	reap(earlier);
	if (eg_proc_connector_probe(connector, 2000, record, &recorder, &err) < 0)
		fail_msg("probe: %s", err.message);
	assert_non_null(find_event(&recorder, EG_PROC_EVENT_FORK, earlier));
	assert_non_null(find_event(&recorder, EG_PROC_EVENT_EXIT, earlier));
	assert_int_equal(eg_proc_connector_probe(connector, 0, NULL, NULL, &err), -EINVAL);
}

/* Receives for at most timeout_ms, until pid's exit was recorded; returns
 * whether it was.  Overruns are counted, not failures. */
static bool receive_exit_within(struct eg_proc_connector *connector, struct recorder *recorder,
                                pid_t pid, int timeout_ms, int *overruns)
{
	struct pollfd poll_fd = {.fd = eg_proc_connector_fd(connector), .events = POLLIN};
	uint64_t deadline = monotonic_ns() + (uint64_t)timeout_ms * 1000000u;
	struct eg_error err = {0};

	while (!find_event(recorder, EG_PROC_EVENT_EXIT, pid) && monotonic_ns() < deadline) {
		int r = eg_proc_connector_receive(connector, record, recorder, &err);
		if (r == -ENOBUFS)
			(*overruns)++;
		else if (r < 0)
			fail_msg("receive: %s", err.message);
		poll(&poll_fd, 1, 50);
	}
	return find_event(recorder, EG_PROC_EVENT_EXIT, pid) != NULL;
}

/* A tiny receive buffer and a burst of forks: the receive reports the
 * overrun, distinctly, and the socket keeps delivering.  (With a buffer
 * this small, a busy host may overrun it again: so the recovery is
 * proven with a few sentinels, and every overrun must be counted.) */
static void overrun_is_reported_and_recovers(void **state)
{
	struct eg_proc_connector_options options = {.receive_buffer_bytes = 1};
	_cleanup_(eg_proc_connector_freep) struct eg_proc_connector *connector = NULL;
	static struct recorder recorder;
	struct eg_proc_connector_stats stats;
	struct eg_error err = {0};
	int r, overruns = 0, first_overrun_at = -1, calls = 0;
	bool recovered = false;

	(void)state;
	recorder.count = 0;
	assert_int_equal(eg_proc_connector_open(&options, &connector, &err), 0);
	for (int i = 0; i < 200; i++)
		reap(fork_and_exit());
	do {
		r = eg_proc_connector_receive(connector, record, &recorder, &err);
		if (r == -ENOBUFS) {
			if (first_overrun_at < 0)
				first_overrun_at = calls;
			overruns++;
			assert_non_null(strstr(err.message, "overrun"));
		}
		calls++;
	} while (r != 0 && calls < 10000);
	/* The kernel reports the error before the datagrams still queued. */
	assert_int_equal(first_overrun_at, 0);
	assert_true(recorder.count > 0);

	for (int attempt = 0; attempt < 5 && !recovered; attempt++) {
		pid_t sentinel = fork_and_exit();

		reap(sentinel);
		recorder.count = 0;
		recovered = receive_exit_within(connector, &recorder, sentinel, 1000, &overruns) &&
		            find_event(&recorder, EG_PROC_EVENT_FORK, sentinel);
	}
	assert_true(recovered);
	eg_proc_connector_get_stats(connector, &stats);
	assert_int_equal(stats.overruns, (uint64_t)overruns);
}

/* Any process may unicast to our port: only the kernel is believed. */
static void forged_sender_is_dropped(void **state)
{
	_cleanup_(eg_proc_connector_freep) struct eg_proc_connector *connector = NULL;
	static struct recorder recorder;
	struct datagram forged = make_datagram(PROC_EVENT_FORK);
	struct sockaddr_nl target = {.nl_family = AF_NETLINK}, self = {.nl_family = AF_NETLINK};
	socklen_t length = sizeof(target);
	struct eg_proc_connector_stats stats;
	struct eg_error err = {0};
	_cleanup_close_ int forger = -1;
	pid_t sentinel;

	(void)state;
	recorder.count = 0;
	assert_int_equal(eg_proc_connector_open(NULL, &connector, &err), 0);
	assert_int_equal(
	    getsockname(eg_proc_connector_fd(connector), (struct sockaddr *)&target, &length), 0);
	forger = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
	assert_true(forger >= 0);
	assert_int_equal(bind(forger, (struct sockaddr *)&self, sizeof(self)), 0);
	forged.event.event_data.fork.child_pid = forged.event.event_data.fork.child_tgid = 424242;
	target.nl_groups = 0;
	assert_int_equal(
	    sendto(forger, &forged, sizeof(forged), 0, (struct sockaddr *)&target, sizeof(target)),
	    (ssize_t)sizeof(forged));
	sentinel = fork_and_exit();
	reap(sentinel);
	receive_until_exit(connector, &recorder, sentinel);
	assert_null(find_event(&recorder, EG_PROC_EVENT_FORK, 424242));
	eg_proc_connector_get_stats(connector, &stats);
	assert_int_equal(stats.foreign_sender, 1);
}

/* In a child user namespace the kernel ignores the subscription; events
 * that another listener's subscription makes flow must not fool the probe. */
static void probe_fails_in_child_user_namespace(void **state)
{
	_cleanup_(eg_proc_connector_freep) struct eg_proc_connector *listener = NULL;
	struct eg_error err = {0};
	int pipe_fds[2], status;
	char message[EG_ERROR_MESSAGE_MAX] = "";
	pid_t pid;

	(void)state;
	assert_int_equal(eg_proc_connector_open(NULL, &listener, &err), 0);
	assert_int_equal(pipe2(pipe_fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct eg_proc_connector *connector = NULL;
		int r = unshare(CLONE_NEWUSER);

		if (r == 0)
			r = eg_proc_connector_open(NULL, &connector, &err);
		if (r == 0)
			r = eg_proc_connector_probe(connector, 300, NULL, NULL, &err);
		if (write(pipe_fds[1], err.message, strlen(err.message)) < 0)
			_exit(99);
		_exit(r == -ETIMEDOUT ? 0 : 1);
	}
	close(pipe_fds[1]);
	assert_true(read(pipe_fds[0], message, sizeof(message) - 1) >= 0);
	close(pipe_fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("probe in a child user namespace did not time out: \"%s\"", message);
	assert_non_null(strstr(message, "child user namespace"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(decode_events_threads_and_acks),
	    cmocka_unit_test(decode_rejects_malformed),
	    cmocka_unit_test(script_events_in_order),
	    cmocka_unit_test(threads_are_not_forks),
	    cmocka_unit_test(probe_proves_events_arrive),
	    cmocka_unit_test(overrun_is_reported_and_recovers),
	    cmocka_unit_test(forged_sender_is_dropped),
	    cmocka_unit_test(probe_fails_in_child_user_namespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
