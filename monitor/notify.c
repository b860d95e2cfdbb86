/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp listener fd: its sizes and flags, receiving notifications,
 * answering them, and the calls that wait for their socket (a blocking
 * connect under way, a send waiting for room) in the monitor's epoll.
 * What each notification gets is decided in notify_call.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "entryguard/log.h"
#include "monitor/kernel_abi.h"
#include "monitor/monitor.h"
#include "monitor/notify_internal.h"

static uint64_t epoll_data(const struct monitor_notify *notify, uint32_t slot)
{
	return (uint64_t)slot << 32 | notify->epoll_tag;
}

static int watch(struct monitor_notify *notify, int fd, uint32_t events, uint32_t slot)
{
	struct epoll_event event = {.events = events, .data.u64 = epoll_data(notify, slot)};

	if (epoll_ctl(notify->epoll_fd, EPOLL_CTL_ADD, fd, &event) < 0)
		return -errno;
	return 0;
}

int monitor_notify_set_sync_wake_up(struct monitor_notify *notify, bool enabled)
{
	uint64_t flags = enabled ? SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP : 0;

	if (ioctl(notify->listener_fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, flags) < 0)
		return errno == EINVAL || errno == ENOTTY ? -EOPNOTSUPP : -errno;
	notify->sync_wake_up = enabled;
	return 0;
}

bool monitor_notify_sync_wake_up(const struct monitor_notify *notify)
{
	return notify->sync_wake_up;
}

/* The kernel's structs grow with new kernels: ask their sizes and
 * allocate at least what this build knows. */
static int allocate(struct monitor_notify *notify, struct eg_error *err)
{
	size_t request_size, response_size;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &notify->sizes) < 0)
		return eg_error_set_errno(err, errno, "SECCOMP_GET_NOTIF_SIZES");
	request_size = notify->sizes.seccomp_notif;
	if (request_size < sizeof(struct seccomp_notif))
		request_size = sizeof(struct seccomp_notif);
	response_size = notify->sizes.seccomp_notif_resp;
	if (response_size < sizeof(struct seccomp_notif_resp))
		response_size = sizeof(struct seccomp_notif_resp);
	notify->sizes.seccomp_notif = (uint16_t)request_size;
	notify->sizes.seccomp_notif_resp = (uint16_t)response_size;
	notify->request = calloc(1, request_size);
	notify->response = calloc(1, response_size);
	if (!notify->request || !notify->response)
		return eg_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int monitor_notify_new(struct monitor *monitor, int listener_fd, int epoll_fd, uint32_t epoll_tag,
                       struct monitor_notify **ret_notify, struct eg_error *err)
{
	struct monitor_notify *notify = calloc(1, sizeof(*notify));
	int r;

	if (!notify) {
		close(listener_fd);
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	notify->monitor = monitor;
	notify->listener_fd = listener_fd;
	notify->epoll_fd = epoll_fd;
	notify->epoll_tag = epoll_tag;
	notify->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (notify->timer_fd < 0)
		r = eg_error_set_errno(err, errno, "timerfd_create");
	else
		r = allocate(notify, err);
	if (r >= 0)
		r = eg_socket_call_table_init(&notify->table, err);
	if (r >= 0 && (r = watch(notify, listener_fd, EPOLLIN, SLOT_LISTENER)) < 0)
		eg_error_set_errno(err, -r, "epoll_ctl (seccomp listener)");
	if (r >= 0 && (r = watch(notify, notify->timer_fd, EPOLLIN, SLOT_TIMER)) < 0)
		eg_error_set_errno(err, -r, "epoll_ctl (timer)");
	if (r < 0) {
		monitor_notify_free(notify);
		return r;
	}
	/* Best effort: kernels before 6.6 answer EINVAL and simply wake
	 * across CPUs. */
	(void)monitor_notify_set_sync_wake_up(notify, true);
	*ret_notify = notify;
	return 0;
}

void operation_free(struct operation *operation)
{
	if (!operation)
		return;
	eg_target_close(&operation->target);
	eg_close_fd(&operation->socket);
	for (size_t i = 0; i < operation->count; i++)
		eg_message_clear(&operation->messages[i]);
	free(operation->messages);
	free(operation->sent_lengths);
	free(operation);
}

static void forget(struct monitor_notify *notify, size_t index)
{
	struct operation *operation = notify->waiting[index];

	if (!operation)
		return;
	/* Closing the copy would not take it out of the epoll set: epoll
	 * keys on the open file, which the container's descriptor keeps
	 * open, and would go on reporting it under this slot. */
	epoll_ctl(notify->epoll_fd, EPOLL_CTL_DEL, operation->socket, NULL);
	operation_free(operation);
	notify->waiting[index] = NULL;
	notify->stats.pending--;
}

void monitor_notify_free(struct monitor_notify *notify)
{
	if (!notify)
		return;
	for (size_t i = 0; i < MONITOR_NOTIFY_PENDING_MAX; i++)
		forget(notify, i);
	/* Closing the listener answers every notification still waiting with
	 * ENOSYS, and every later one too: see docs/BLOCKING.md. */
	eg_close_fd(&notify->listener_fd);
	eg_close_fd(&notify->timer_fd);
	free(notify->request);
	free(notify->response);
	free(notify);
}

void monitor_notify_get_stats(const struct monitor_notify *notify,
                              struct monitor_notify_stats *ret_stats)
{
	*ret_stats = notify->stats;
}

int notify_answer(struct monitor_notify *notify, uint64_t id, int64_t result)
{
	struct seccomp_notif_resp *response = notify->response;

	memset(response, 0, notify->sizes.seccomp_notif_resp);
	response->id = id;
	if (result < 0)
		response->error = (int32_t)result;
	else
		response->val = result;
	if (ioctl(notify->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, response) < 0) {
		if (errno == ENOENT) {
			notify->stats.gone++;
			return -ENOENT;
		}
		eg_log_error("seccomp: answering notification %llu: %m", (unsigned long long)id);
		return -errno;
	}
	return 0;
}

int notify_continue(struct monitor_notify *notify, uint64_t id)
{
	struct seccomp_notif_resp *response = notify->response;

	memset(response, 0, notify->sizes.seccomp_notif_resp);
	response->id = id;
	response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	notify->stats.continued++;
	if (ioctl(notify->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, response) < 0) {
		if (errno == ENOENT) {
			notify->stats.gone++;
			return -ENOENT;
		}
		eg_log_error("seccomp: continuing notification %llu: %m", (unsigned long long)id);
		return -errno;
	}
	return 0;
}

int monitor_notify_receive(struct monitor_notify *notify, const struct seccomp_notif **ret_request)
{
	/* The kernel refuses a request buffer that is not zeroed. */
	memset(notify->request, 0, notify->sizes.seccomp_notif);
	if (ioctl(notify->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, notify->request) < 0) {
		/* ENOENT: the target was killed or interrupted between the
		 * wake-up and our read; nothing is owed to anyone. */
		if (errno == ENOENT) {
			notify->stats.gone++;
			return -ENOENT;
		}
		return -errno;
	}
	notify->stats.received++;
	*ret_request = notify->request;
	return 0;
}

/* The timer follows the earliest deadline of the waiting calls. */
static void arm_timer(struct monitor_notify *notify)
{
	struct itimerspec spec = {0};
	uint64_t earliest = 0;

	for (size_t i = 0; i < MONITOR_NOTIFY_PENDING_MAX; i++) {
		const struct operation *operation = notify->waiting[i];
		if (operation && operation->deadline_ns &&
		    (!earliest || operation->deadline_ns < earliest))
			earliest = operation->deadline_ns;
	}
	if (earliest) {
		spec.it_value.tv_sec = (time_t)(earliest / 1000000000ull);
		spec.it_value.tv_nsec = (long)(earliest % 1000000000ull);
	}
	timerfd_settime(notify->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

void notify_wait(struct monitor_notify *notify, struct operation *operation)
{
	for (size_t i = 0; i < MONITOR_NOTIFY_PENDING_MAX; i++) {
		if (notify->waiting[i])
			continue;
		if (watch(notify, operation->socket, EPOLLOUT, SLOT_PENDING + (uint32_t)i) < 0)
			break;
		notify->waiting[i] = operation;
		notify->stats.pending++;
		if (operation->deadline_ns)
			arm_timer(notify);
		return;
	}
	/* Full: the kernel's own answer when it has no room left. */
	notify_answer(notify, operation->id, -EAGAIN);
	operation_free(operation);
}

void notify_forget_thread(struct monitor_notify *notify, pid_t tid)
{
	if (!notify->stats.pending)
		return;
	for (size_t i = 0; i < MONITOR_NOTIFY_PENDING_MAX; i++)
		if (notify->waiting[i] && notify->waiting[i]->target.tid == tid)
			forget(notify, i);
}

static void on_writable(struct monitor_notify *notify, size_t index)
{
	struct operation *operation = notify->waiting[index];

	if (!operation || operation_step(notify, operation) == 1)
		return;
	forget(notify, index);
	arm_timer(notify);
}

static void on_timer(struct monitor_notify *notify)
{
	uint64_t expirations, now = monitor_now_ns();

	(void)!read(notify->timer_fd, &expirations, sizeof(expirations));
	for (size_t i = 0; i < MONITOR_NOTIFY_PENDING_MAX; i++) {
		struct operation *operation = notify->waiting[i];
		if (operation && operation->deadline_ns && operation->deadline_ns <= now) {
			operation_expire(notify, operation);
			forget(notify, i);
		}
	}
	arm_timer(notify);
}

void monitor_notify_on_event(struct monitor_notify *notify, uint32_t slot, uint32_t events)
{
	if (slot == SLOT_LISTENER) {
		const struct seccomp_notif *request;
		int r;

		/* Every task using the filter is gone: nothing will come. */
		if ((events & EPOLLHUP) && !(events & EPOLLIN)) {
			epoll_ctl(notify->epoll_fd, EPOLL_CTL_DEL, notify->listener_fd, NULL);
			return;
		}
		r = monitor_notify_receive(notify, &request);
		if (r == 0)
			monitor_notify_handle(notify, request);
		else if (r != -ENOENT && r != -EINTR)
			eg_log_error("seccomp: receiving a notification: %s", strerror(-r));
	} else if (slot == SLOT_TIMER) {
		on_timer(notify);
	} else if (slot - SLOT_PENDING < MONITOR_NOTIFY_PENDING_MAX) {
		on_writable(notify, slot - SLOT_PENDING);
	}
}
