/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp fast path (monitor/notify_fast.c): its decision (CONTINUE in
 * the thread only where the main thread would have answered CONTINUE with
 * no other effect; everything else is handed off), and the thread serving a
 * real target, in a window (every call the loop's: loopback emulated, the
 * public address denied, the loop receiving itself once the thread handed
 * off the first call) and after it (continued by the thread).
 */
#include "test_notify_helpers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/notify_internal.h"

#define PUBLIC_V4         "1.1.1.1"
#define LOOPBACK_CONNECTS 50

/* After every window, nothing pending: the one case the thread answers. */
static struct notify_fast_snapshot after_window(void)
{
	return (struct notify_fast_snapshot){
	    .mode = EG_MODE_BLOCK,
	    .kind = EG_SOCKET_CALL_CONNECT,
	    .deadline_ns = 1000,
	    .now_ns = 2000,
	};
}

static void test_after_window_continues(void **state)
{
	struct notify_fast_snapshot snapshot = after_window();

	(void)state;
	assert_true(notify_fast_may_continue(&snapshot));
	snapshot.deadline_ns = 0; /* no window ever opened */
	assert_true(notify_fast_may_continue(&snapshot));
	snapshot.mode = EG_MODE_KILL;
	assert_true(notify_fast_may_continue(&snapshot));
	snapshot.mode = EG_MODE_DETECT;
	assert_true(notify_fast_may_continue(&snapshot));
}

static void test_window_hands_off(void **state)
{
	struct notify_fast_snapshot snapshot = after_window();

	(void)state;
	snapshot.now_ns = snapshot.deadline_ns; /* the window's last instant */
	assert_false(notify_fast_may_continue(&snapshot));
	snapshot.now_ns = 500;
	assert_false(notify_fast_may_continue(&snapshot));
	/* Unknown: the procfs tracker, events lost. */
	snapshot = after_window();
	snapshot.deadline_ns = UINT64_MAX;
	assert_false(notify_fast_may_continue(&snapshot));
}

static void test_tree_state_hands_off(void **state)
{
	struct notify_fast_snapshot snapshot = after_window();

	(void)state;
	snapshot.connector_queued = true;
	assert_false(notify_fast_may_continue(&snapshot));
	snapshot = after_window();
	snapshot.tree_reading = 1;
	assert_false(notify_fast_may_continue(&snapshot));
}

static void test_main_thread_state_hands_off(void **state)
{
	struct notify_fast_snapshot snapshot = after_window();

	(void)state;
	snapshot.inflight = 1;
	assert_false(notify_fast_may_continue(&snapshot));
	snapshot = after_window();
	snapshot.blockers = 1;
	assert_false(notify_fast_may_continue(&snapshot));
	/* Even where the call itself would be continued at once. */
	snapshot.kind = EG_SOCKET_CALL_OTHER;
	assert_false(notify_fast_may_continue(&snapshot));
	snapshot = after_window();
	snapshot.mode = EG_MODE_OFF;
	snapshot.inflight = 2;
	assert_false(notify_fast_may_continue(&snapshot));
}

static void test_kinds(void **state)
{
	struct notify_fast_snapshot snapshot = after_window();

	(void)state;
	/* Undecoded: the main thread denies and logs it. */
	snapshot.kind = EG_SOCKET_CALL_UNKNOWN;
	assert_false(notify_fast_may_continue(&snapshot));
	snapshot.mode = EG_MODE_OFF;
	assert_false(notify_fast_may_continue(&snapshot));
	/* OTHER and mode off continue whatever the window says. */
	snapshot = after_window();
	snapshot.kind = EG_SOCKET_CALL_OTHER;
	snapshot.now_ns = 0;
	snapshot.connector_queued = true;
	assert_true(notify_fast_may_continue(&snapshot));
	snapshot = after_window();
	snapshot.mode = EG_MODE_OFF;
	snapshot.deadline_ns = UINT64_MAX;
	snapshot.tree_reading = 1;
	assert_true(notify_fast_may_continue(&snapshot));
	/* Every decoded socket call is judged by the window. */
	const enum eg_socket_call_kind kinds[] = {EG_SOCKET_CALL_CONNECT, EG_SOCKET_CALL_SENDTO,
	                                          EG_SOCKET_CALL_SENDMSG, EG_SOCKET_CALL_SENDMMSG,
	                                          EG_SOCKET_CALL_SOCKETCALL};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		snapshot = after_window();
		snapshot.kind = kinds[i];
		assert_true(notify_fast_may_continue(&snapshot));
		snapshot.now_ns = snapshot.deadline_ns;
		assert_false(notify_fast_may_continue(&snapshot));
	}
}

/* values[0]: loopback connects that went through; values[1]: the public
 * connect's errno (0: under way, EINPROGRESS). */
static int connects(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	socklen_t length;
	uint16_t port = 0;
	int listener = target_tcp_listener(&port, 1024);

	(void)argument;
	length = address_of_text("127.0.0.1", port, &address);
	for (int i = 0; i < LOOPBACK_CONNECTS; i++) {
		int fd = target_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);

		if (connect(fd, (struct sockaddr *)&address, length) == 0 || errno == EINPROGRESS)
			shared->values[0]++;
		close(fd);
	}
	length = address_of_text(PUBLIC_V4, 443, &address);
	int fd = target_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
	int r = connect(fd, (struct sockaddr *)&address, length);

	shared->values[1] = r == 0 || errno == EINPROGRESS ? 0 : errno;
	close(fd);
	close(listener);
	return 0;
}

static void serve_with_fast_path(bool window_open, struct monitor_notify_stats *ret_stats,
                                 struct shared *ret_shared)
{
	struct target_options options = {.mode = EG_MODE_BLOCK,
	                                 .sinkhole = true,
	                                 .window_expired = !window_open,
	                                 .with_connector = true};
	struct eg_error err = {0};
	struct harness harness;
	int status, r;

	harness_start(&harness, &options, connects, NULL);
	r = monitor_notify_start_fast_path(harness.monitor.notify, &err);
	if (r < 0)
		fail_msg("%s", err.message);
	if (r == 0)
		fail_msg(
		    "Bail out! no fast path here (it needs SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, "
		    "Linux 6.6+)");
	status = harness_run(&harness);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	harness_stats(&harness, ret_stats);
	print_message("# window %s: %llu received, %llu continued by the thread, %llu handed off\n",
	              window_open ? "open" : "over", (unsigned long long)ret_stats->received,
	              (unsigned long long)ret_stats->fast_continued,
	              (unsigned long long)ret_stats->fast_handed_off);
	*ret_shared = *harness.shared;
	harness_stop(&harness);
}

static void test_thread_in_window_hands_off(void **state)
{
	struct monitor_notify_stats stats;
	struct shared shared;

	(void)state;
	serve_with_fast_path(true, &stats, &shared);
	assert_int_equal(shared.values[0], LOOPBACK_CONNECTS);
	assert_int_equal(shared.values[1], EPERM);
	assert_int_equal(stats.denied, 1);
	assert_int_equal(stats.emulated, LOOPBACK_CONNECTS);
	assert_int_equal(stats.received, LOOPBACK_CONNECTS + 1);
	/* The first call is handed off; the loop receives the rest itself
	 * while the window is open. */
	assert_int_equal(stats.fast_continued, 0);
	assert_true(stats.fast_handed_off >= 1);
}

static void test_thread_after_window_continues(void **state)
{
	struct monitor_notify_stats stats;
	struct shared shared;

	(void)state;
	serve_with_fast_path(false, &stats, &shared);
	assert_int_equal(shared.values[0], LOOPBACK_CONNECTS);
	assert_int_equal(shared.values[1], 0);
	assert_int_equal(stats.denied, 0);
	assert_int_equal(stats.emulated, 0);
	assert_int_equal(stats.continued, LOOPBACK_CONNECTS + 1);
	/* The first calls may be handed off while the target's own fork
	 * and exec events are still queued on the proc connector. */
	assert_true(stats.fast_continued > 0);
	assert_int_equal(stats.fast_continued + stats.fast_handed_off, stats.received);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_after_window_continues),
	    cmocka_unit_test(test_window_hands_off),
	    cmocka_unit_test(test_tree_state_hands_off),
	    cmocka_unit_test(test_main_thread_state_hands_off),
	    cmocka_unit_test(test_kinds),
	    cmocka_unit_test(test_thread_in_window_hands_off),
	    cmocka_unit_test(test_thread_after_window_continues),
	};

	return cmocka_run_group_tests(tests, notify_group_setup, notify_group_teardown);
}
