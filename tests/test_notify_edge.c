/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp listener's edges: a target that dies before its notification
 * is read (ENOENT), a notification that is no longer valid when the monitor
 * acts on it (SECCOMP_IOCTL_NOTIF_ID_VALID), what the container sees once
 * the listener is closed (ENOSYS), non-IP sockets (continued when nothing
 * can swap the descriptor, refused when threads share the table),
 * ancillary data (simple kinds emulated, capability-checked kinds refused),
 * TCP Fast Open, and a 32-bit program using socketcall().
 */
#include "test_notify_helpers.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/target.h"

#define PUBLIC_V4 "1.1.1.1"

static int finish(struct harness *harness)
{
	int status = harness_run(harness);

	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* Waits until the listener holds a notification. */
static void wait_notification(int listener)
{
	struct pollfd poll_fd = {.fd = listener, .events = POLLIN};

	assert_int_equal(poll(&poll_fd, 1, 10000), 1);
}

static int connect_public(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	socklen_t length = address_of_text(PUBLIC_V4, 80, &address);
	int fd = target_socket(AF_INET, SOCK_STREAM);

	(void)argument;
	shared->values[0] = connect(fd, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	shared->values[1] = connect(fd, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	return 0;
}

static void test_target_died_before_receive(void **state)
{
	struct target_options options = {
	    .mode = EG_MODE_BLOCK, .sinkhole = true, .keep_copy = true};
	const struct seccomp_notif *request;
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, connect_public, NULL);
	harness_release(&harness);
	wait_notification(harness.listener_copy);
	eg_kill_and_reap(&harness.child);
	harness.child = 0;
	/* The notification left with its thread: the read says so. */
	assert_int_equal(monitor_notify_receive(harness.monitor.notify, &request), -ENOENT);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.gone, 1);
	assert_int_equal(stats.received, 0);
	harness_stop(&harness);
}

/* The notification is answered behind the monitor's back (it stands for
 * any way a notification stops being valid while its thread lives on):
 * what the monitor then reads from the thread is not used, nothing is
 * answered and nothing alerted. */
static void test_stale_notification_is_not_acted_on(void **state)
{
	struct target_options options = {
	    .mode = EG_MODE_BLOCK, .sinkhole = true, .keep_copy = true};
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *request;
	struct seccomp_notif_resp *response;
	struct monitor_notify_stats stats;
	struct harness harness;
	struct eg_target target;
	uint8_t name[16];

	(void)state;
	assert_int_equal(syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes), 0);
	request = calloc(1, sizes.seccomp_notif);
	response = calloc(1, sizes.seccomp_notif_resp);
	harness_start(&harness, &options, connect_public, NULL);
	harness_release(&harness);
	wait_notification(harness.listener_copy);
	assert_int_equal(ioctl(harness.listener_copy, SECCOMP_IOCTL_NOTIF_RECV, request), 0);
	response->id = request->id;
	response->error = -ECONNRESET;
	assert_int_equal(ioctl(harness.listener_copy, SECCOMP_IOCTL_NOTIF_SEND, response), 0);
	/* The thread lives on (its second connect waits), its memory is
	 * readable, and the read is still refused: the id is not valid. */
	wait_notification(harness.listener_copy);
	target = (struct eg_target)EG_TARGET_INIT(harness.listener_copy, request->id,
	                                          (pid_t)request->pid);
	assert_int_equal(eg_target_read(&target, request->data.args[1], name, sizeof(name)),
	                 -ENOENT);
	monitor_notify_handle(harness.monitor.notify, request);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.gone, 1);
	assert_int_equal(stats.denied, 0);
	assert_int_equal(alerts_count(&harness, NULL, NULL), 0);
	/* The second connect is served as usual. */
	eg_close_fd(&harness.listener_copy);
	harness.listener_copy = -1;
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], ECONNRESET);
	assert_int_equal(harness.shared->values[1], EPERM);
	assert_int_equal(alerts_count(&harness, "blocked", PUBLIC_V4), 1);
	harness_stop(&harness);
	free(request);
	free(response);
}

static int after_close(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	socklen_t length = address_of_text("127.0.0.1", 9, &address);
	int fd = target_socket(AF_INET, SOCK_STREAM), udp = target_socket(AF_INET, SOCK_DGRAM);

	(void)argument;
	shared->values[0] = connect(fd, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	shared->values[1] = connect(fd, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	shared->values[2] =
	    sendto(udp, "x", 1, 0, (struct sockaddr *)&address, length) < 0 ? errno : 0;
	/* Not watched: unaffected. */
	shared->values[3] = (int)write(udp, "x", 1) < 0 ? errno : 0;
	return 0;
}

/* The monitor died: the kernel answers ENOSYS for the call that was
 * waiting and for every notified call after it (seccomp_notify_detach()
 * and seccomp_do_user_notification()), and the listener can never be
 * reattached. */
static void test_closed_listener_gives_enosys(void **state)
{
	struct target_options options = {
	    .mode = EG_MODE_BLOCK, .sinkhole = true, .no_serving = true};
	struct harness harness;
	int status;

	(void)state;
	harness_start(&harness, &options, after_close, NULL);
	harness_release(&harness);
	wait_notification(harness.listener_fd);
	eg_close_fd(&harness.listener_fd);
	harness.listener_fd = -1;
	assert_int_equal(waitpid(harness.child, &status, 0), harness.child);
	harness.child = 0;
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(harness.shared->values[0], ENOSYS);
	assert_int_equal(harness.shared->values[1], ENOSYS);
	assert_int_equal(harness.shared->values[2], ENOSYS);
	assert_int_equal(harness.shared->values[3], EDESTADDRREQ);
	harness_stop(&harness);
}

static void *idle_thread(void *argument)
{
	(void)argument;
	pause();
	return NULL;
}

static int64_t now_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int non_ip(struct shared *shared, void *argument)
{
	struct sockaddr_un server = {.sun_family = AF_UNIX};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct {
		struct nlmsghdr header;
		struct rtgenmsg body;
	} request = {{.nlmsg_len = sizeof(request),
	              .nlmsg_type = RTM_GETLINK,
	              .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
	              .nlmsg_seq = 1},
	             {.rtgen_family = AF_UNSPEC}};
	socklen_t length = offsetof(struct sockaddr_un, sun_path) + 1 +
	                   (socklen_t)snprintf(server.sun_path + 1, sizeof(server.sun_path) - 1,
	                                       "eg-notify-%d", (int)getpid());
	int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int netlink = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	pthread_t thread;
	int64_t start;

	if (*(bool *)argument)
		pthread_create(&thread, NULL, idle_thread, NULL);
	if (bind(listener, (struct sockaddr *)&server, length) < 0 || listen(listener, 4) < 0)
		return 1;
	start = now_us();
	shared->values[0] = connect(client, (struct sockaddr *)&server, length) < 0 ? errno : 0;
	shared->numbers[0] = now_us() - start;
	shared->values[1] = sendto(netlink, &request, sizeof(request), 0,
	                           (struct sockaddr *)&kernel, sizeof(kernel)) < 0
	                        ? errno
	                        : 0;
	return 0;
}

static void test_non_ip_continued_when_table_unshared(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct harness harness;
	bool threads = false;

	(void)state;
	harness_start(&harness, &options, non_ip, &threads);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], 0);
	assert_int_equal(harness.shared->values[1], 0);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.continued, 2);
	assert_int_equal(stats.files_walks, 2);
	assert_int_equal(stats.refused, 0);
	print_message("# a unix connect, proven unshared by walking every task: %lld us\n",
	              (long long)harness.shared->numbers[0]);
	harness_stop(&harness);
}

static void test_non_ip_refused_when_threads_share_the_table(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct harness harness;
	bool threads = true;

	(void)state;
	harness_start(&harness, &options, non_ip, &threads);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], EPERM);
	assert_int_equal(harness.shared->values[1], EPERM);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.refused, 2);
	assert_int_equal(alerts_count(&harness, NULL, NULL), 0);
	harness_stop(&harness);
}

/* The same checks walking the container's process tree alone (what a
 * container with its own pid namespace gets): threads of a tracked process
 * and a process made with clone(CLONE_FILES) are found there. */
static void test_non_ip_tree_walk(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct harness harness;
	bool threads = false;

	(void)state;
	harness_start(&harness, &options, non_ip, &threads);
	monitor_notify_set_files_walk_tree(harness.monitor.notify, true);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], 0);
	assert_int_equal(harness.shared->values[1], 0);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.continued, 2);
	assert_int_equal(stats.files_walks_tree, 2);
	assert_int_equal(stats.files_walks, 0);
	print_message("# a unix connect, proven unshared by walking the tree: %lld us\n",
	              (long long)harness.shared->numbers[0]);
	harness_stop(&harness);

	threads = true;
	harness_start(&harness, &options, non_ip, &threads);
	monitor_notify_set_files_walk_tree(harness.monitor.notify, true);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], EPERM);
	assert_int_equal(harness.shared->values[1], EPERM);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.refused, 2);
	assert_int_equal(stats.files_walks_tree, 2);
	harness_stop(&harness);
}

static int share_and_wait(void *argument)
{
	(void)argument;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	pause();
	return 0;
}

/* values[0]: errno of a unix connect made after clone(CLONE_FILES) made a
 * process that shares the table (not a thread). */
static int non_ip_files_shared(struct shared *shared, void *argument)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct sockaddr_un server = {.sun_family = AF_UNIX};
	socklen_t length = offsetof(struct sockaddr_un, sun_path) + 1 +
	                   (socklen_t)snprintf(server.sun_path + 1, sizeof(server.sun_path) - 1,
	                                       "eg-notify-files-%d", (int)getpid());
	int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t sharer;

	(void)argument;
	if (bind(listener, (struct sockaddr *)&server, length) < 0 || listen(listener, 4) < 0)
		return 1;
	sharer = clone(share_and_wait, stack + sizeof(stack), CLONE_FILES | SIGCHLD, NULL);
	if (sharer < 0)
		return 2;
	shared->values[0] = connect(client, (struct sockaddr *)&server, length) < 0 ? errno : 0;
	kill(sharer, SIGKILL);
	waitpid(sharer, NULL, 0);
	return 0;
}

static void test_non_ip_tree_walk_finds_clone_files(void **state)
{
	struct target_options options = {
	    .mode = EG_MODE_BLOCK, .sinkhole = true, .with_connector = true};
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, non_ip_files_shared, NULL);
	monitor_notify_set_files_walk_tree(harness.monitor.notify, true);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], EPERM);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.refused, 1);
	assert_int_equal(stats.files_walks_tree, 1);
	harness_stop(&harness);
}

static ssize_t send_with(int fd, const struct sockaddr_storage *address, socklen_t length,
                         int level, int type, int value)
{
	union {
		char buffer[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	char data[] = "data";
	struct iovec vector = {data, 4};
	struct msghdr header = {.msg_name = (void *)address,
	                        .msg_namelen = length,
	                        .msg_iov = &vector,
	                        .msg_iovlen = 1,
	                        .msg_control = control.buffer,
	                        .msg_controllen = sizeof(control.buffer)};
	struct cmsghdr *item = CMSG_FIRSTHDR(&header);

	item->cmsg_level = level;
	item->cmsg_type = type;
	item->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(item), &value, sizeof(value));
	return sendmsg(fd, &header, 0) < 0 ? -errno : 4;
}

static int ancillary(struct shared *shared, void *argument)
{
	struct sockaddr_storage address, public_address;
	uint16_t port;
	int receiver = target_udp_receiver(&port), fd = target_socket(AF_INET, SOCK_DGRAM), on = 1;
	socklen_t length = address_of_text("127.0.0.1", port, &address);
	socklen_t public_length = address_of_text(PUBLIC_V4, 53, &public_address);
	union {
		char buffer[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = {0};
	char data[8];
	struct iovec vector = {data, sizeof(data)};
	struct msghdr received = {.msg_iov = &vector,
	                          .msg_iovlen = 1,
	                          .msg_control = control.buffer,
	                          .msg_controllen = sizeof(control.buffer)};
	struct cmsghdr *item;

	(void)argument;
	setsockopt(receiver, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on));
	shared->values[0] = (int)send_with(fd, &address, length, IPPROTO_IP, IP_TTL, 9);
	shared->values[1] = -1;
	if (recvmsg(receiver, &received, 0) == 4 && (item = CMSG_FIRSTHDR(&received)))
		memcpy(&shared->values[1], CMSG_DATA(item), sizeof(int));
	/* SO_MARK checks the sender's CAP_NET_ADMIN: never on its behalf. */
	shared->values[2] = (int)send_with(fd, &address, length, SOL_SOCKET, SO_MARK, 1);
	/* ...but a public destination is judged first, whatever it carries. */
	shared->values[3] =
	    (int)send_with(fd, &public_address, public_length, SOL_SOCKET, SO_MARK, 1);
	return 0;
}

static void test_ancillary_data(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct monitor_notify_stats stats;
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, ancillary, NULL);
	assert_int_equal(finish(&harness), 0);
	assert_int_equal(harness.shared->values[0], 4);
	assert_int_equal(harness.shared->values[1], 9);
	assert_int_equal(harness.shared->values[2], -EPERM);
	assert_int_equal(harness.shared->values[3], -EPERM);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.refused, 1);
	assert_int_equal(stats.denied, 1);
	assert_int_equal(alerts_count(&harness, "blocked", PUBLIC_V4), 1);
	harness_stop(&harness);
}

static int fast_open(struct shared *shared, void *argument)
{
	struct sockaddr_storage address;
	uint16_t port;
	int listener = target_tcp_listener(&port, 8), queue = 8;
	int blocking = target_socket(AF_INET, SOCK_STREAM);
	int nonblocking = target_socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
	socklen_t length = address_of_text("127.0.0.1", port, &address);
	struct pollfd poll_fd = {.fd = nonblocking, .events = POLLOUT};

	(void)argument;
	setsockopt(listener, IPPROTO_TCP, TCP_FASTOPEN, &queue, sizeof(queue));
	shared->values[0] =
	    sendto(blocking, "hi", 2, MSG_FASTOPEN, (struct sockaddr *)&address, length) < 0 ? errno
	                                                                                     : 0;
	shared->values[1] =
	    (int)sendto(nonblocking, "hi", 2, MSG_FASTOPEN, (struct sockaddr *)&address, length);
	shared->values[2] = shared->values[1] < 0 ? errno : 0;
	shared->values[3] = poll(&poll_fd, 1, 5000);
	return 0;
}

static void test_fast_open(void **state)
{
	struct target_options options = {.mode = EG_MODE_BLOCK, .sinkhole = true};
	struct harness harness;

	(void)state;
	harness_start(&harness, &options, fast_open, NULL);
	assert_int_equal(finish(&harness), 0);
	/* A blocking Fast Open connects and sends in one call: refused. */
	assert_int_equal(harness.shared->values[0], EPERM);
	/* A non-blocking one answers at once, as the kernel's would. */
	assert_true(harness.shared->values[1] >= 0 || harness.shared->values[2] == EINPROGRESS);
	assert_int_equal(harness.shared->values[3], 1);
	harness_stop(&harness);
}

#ifdef EG_I386_PROGRAM
static int run_i386(struct shared *shared, void *argument)
{
	char inode[32], *const argv[] = {(char *)EG_I386_PROGRAM, inode, NULL};
	int output = *(int *)argument;

	(void)shared;
	snprintf(inode, sizeof(inode), "%llu", (unsigned long long)harness_netns_inode());
	if (dup2(output, STDOUT_FILENO) < 0)
		return 1;
	execv(EG_I386_PROGRAM, argv);
	return 2;
}

#ifndef EG_I386_PROGRAM
static void test_i386_missing(void **state)
{
	(void)state;
	fail_msg("gcc -m32 -static does not work here (Debian: gcc-multilib): the 32-bit "
	         "socketcall() program could not be built");
}
#endif

static long field(const char *text, const char *name)
{
	char wanted[64];
	const char *at;

	snprintf(wanted, sizeof(wanted), "\n%s=", name);
	at = strstr(text, wanted);
	if (!at)
		fail_msg("the 32-bit program printed no %s:\n%s", name, text + 1);
	return strtol(at + strlen(wanted), NULL, 10);
}

static void test_i386_socketcall(void **state)
{
	struct target_options options = {
	    .mode = EG_MODE_BLOCK, .sinkhole = true, .with_i386 = true};
	char path[] = "/tmp/eg-notify-i386-XXXXXX", text[4096] = "\n";
	struct monitor_notify_stats stats;
	struct harness harness;
	int output = mkstemp(path);
	ssize_t length;

	(void)state;
	assert_true(output >= 0);
	unlink(path);
	harness_start(&harness, &options, run_i386, &output);
	assert_int_equal(finish(&harness), 0);
	length = pread(output, text + 1, sizeof(text) - 2, 0);
	assert_true(length > 0);
	text[length + 1] = '\0';
	close(output);
	assert_int_equal(field(text, "socketcall_connect_public"), -EPERM);
	assert_int_equal(field(text, "direct_connect_public"), -EPERM);
	assert_int_equal(field(text, "socketcall_sendto_public"), -EPERM);
	assert_int_equal(field(text, "socketcall_sendmsg_public"), -EPERM);
	assert_int_equal(field(text, "socketcall_sendmmsg_public"), -EPERM);
	assert_int_equal(field(text, "direct_sendto_public"), -EPERM);
	assert_int_equal(field(text, "socketcall_connect_loopback"), 0);
	assert_int_equal(field(text, "accepted"), 1);
	assert_int_equal(field(text, "socketcall_sendmsg_loopback"), 4);
	assert_int_equal(field(text, "sendmsg_payload_ok"), 1);
	assert_int_equal(field(text, "socketcall_sendmmsg_loopback"), 2);
	assert_int_equal(field(text, "sendmmsg_length_0"), 4);
	assert_int_equal(field(text, "sendmmsg_length_1"), 2);
	assert_int_equal(field(text, "socketcall_sendmsg_ttl"), 2);
	assert_int_equal(field(text, "received_ttl"), 7);
	assert_int_equal(alerts_count(&harness, "blocked", NULL), 6);
	harness_stats(&harness, &stats);
	assert_int_equal(stats.denied, 6);
	harness_stop(&harness);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_target_died_before_receive),
	    cmocka_unit_test(test_stale_notification_is_not_acted_on),
	    cmocka_unit_test(test_closed_listener_gives_enosys),
	    cmocka_unit_test(test_non_ip_continued_when_table_unshared),
	    cmocka_unit_test(test_non_ip_refused_when_threads_share_the_table),
	    cmocka_unit_test(test_non_ip_tree_walk),
	    cmocka_unit_test(test_non_ip_tree_walk_finds_clone_files),
	    cmocka_unit_test(test_ancillary_data),
	    cmocka_unit_test(test_fast_open),
#ifdef EG_I386_PROGRAM
	    cmocka_unit_test(test_i386_socketcall),
#else
	    /* Never left out silently: CI must notice a missing toolchain. */
	    cmocka_unit_test(test_i386_missing),
#endif
	};

	return cmocka_run_group_tests(tests, notify_group_setup, notify_group_teardown);
}
