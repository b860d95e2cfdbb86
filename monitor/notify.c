/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp listener fd: its sizes and flags, receiving notifications,
 * answering them, and the calls that wait for their socket (a blocking
 * connect under way, a send waiting for room) in the monitor's epoll.
 * What each notification gets is decided in notify_call.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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

void monitor_notify_set_files_walk_tree(struct monitor_notify *notify, bool enabled)
{
	notify->files_walk_tree = enabled;
}

/* Whether pid lives in a pid namespace of its own (not the monitor's). */
static bool own_pid_namespace(pid_t pid)
{
	struct stat theirs, ours;
	char path[64];

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
	return stat(path, &theirs) == 0 && stat("/proc/self/ns/pid", &ours) == 0 &&
	       (theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev);
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
	notify->files_walk_tree =
	    monitor->container && own_pid_namespace(monitor->container->init_pid);
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
	/* Kernels before 6.6 answer EINVAL and simply wake across CPUs:
	 * slower, not wrong.  Said once per monitor. */
	r = monitor_notify_set_sync_wake_up(notify, true);
	if (r < 0)
		eg_log_info("container %s: seccomp listener without SYNC_WAKE_UP (%s; Linux 6.6+): "
		            "each notification wakes across CPUs",
		            monitor->container ? monitor->container->id : "?", strerror(-r));
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

void residue_clear(struct residue *residue)
{
	free(residue->sent_bytes);
	*residue = (struct residue){0};
}

/* An interrupted call that had sent part of a stream send: what went out
 * is remembered for the restarted call. */
static void keep_residue(struct monitor_notify *notify, const struct operation *operation)
{
	struct residue *slot;
	const struct eg_message *message;

	if (operation->kind != OPERATION_SEND || !operation->stream || operation->vector ||
	    operation->offset == 0 || operation->count != 1)
		return;
	message = &operation->messages[0];
	slot = &notify->residues[notify->residue_next++ % RESIDUES_MAX];
	if (slot->tid)
		notify->residues_held--;
	residue_clear(slot);
	slot->sent_bytes = malloc(operation->offset);
	if (!slot->sent_bytes)
		return;
	memcpy(slot->sent_bytes, message->payload, operation->offset);
	slot->tid = operation->target.tid;
	slot->cookie = eg_socket_cookie(operation->socket);
	slot->buffer_address = operation->buffer_address;
	slot->buffer_length = operation->buffer_length;
	slot->flags = operation->flags;
	slot->sent = operation->offset;
	notify->residues_held++;
	notify->stats.residues_kept++;
}

bool notify_residue_take(struct monitor_notify *notify, pid_t tid, struct residue *ret_residue)
{
	if (!notify->residues_held)
		return false;
	for (size_t i = 0; i < RESIDUES_MAX; i++)
		if (notify->residues[i].tid == tid) {
			*ret_residue = notify->residues[i];
			notify->residues[i] = (struct residue){0};
			notify->residues_held--;
			return true;
		}
	return false;
}

bool residue_matches(const struct residue *residue, uint64_t cookie, uint64_t buffer_address,
                     uint64_t buffer_length, uint32_t flags, const struct eg_message *message)
{
	return residue->tid && cookie && residue->cookie == cookie &&
	       residue->buffer_address == buffer_address &&
	       residue->buffer_length == buffer_length && residue->flags == flags &&
	       message->payload && message->length >= residue->sent &&
	       memcmp(message->payload, residue->sent_bytes, residue->sent) == 0;
}

/* Drops a waiting call.  interrupted: its thread lives on and may restart
 * the call, so what a stream send had sent is kept for it. */
static void forget_interrupted(struct monitor_notify *notify, size_t index, bool interrupted)
{
	struct operation *operation = notify->waiting[index];

	if (!operation)
		return;
	if (interrupted)
		keep_residue(notify, operation);
	operation_release_socket(notify, operation);
	if (operation->thread_watched)
		epoll_ctl(notify->epoll_fd, EPOLL_CTL_DEL, operation->target.pidfd, NULL);
	operation_free(operation);
	notify->waiting[index] = NULL;
	notify->stats.pending--;
}

void operation_release_socket(struct monitor_notify *notify, struct operation *operation)
{
	/* Closing the copy would not take it out of the epoll set: epoll
	 * keys on the open file, which the container's descriptor keeps
	 * open, and would go on reporting it under this slot. */
	if (operation->socket_watched)
		epoll_ctl(notify->epoll_fd, EPOLL_CTL_DEL, operation->socket, NULL);
	operation->socket_watched = false;
	eg_close_fd(&operation->socket);
	operation->socket = -1;
}

static void forget(struct monitor_notify *notify, size_t index)
{
	forget_interrupted(notify, index, false);
}

int notify_pidfd(struct monitor_notify *notify, struct eg_target *target, bool fresh)
{
	struct pidfd_entry *entry = NULL;
	int r;

	for (size_t i = 0; i < PIDFD_CACHE_SIZE; i++)
		if (notify->pidfds[i].tid == target->tid)
			entry = &notify->pidfds[i];
	if (entry && !fresh) {
		eg_target_close(target);
		target->pidfd = entry->pidfd;
		target->pidfd_borrowed = true;
		target->pidfd_is_thread = true;
		notify->stats.pidfds_reused++;
		return 0;
	}
	if (entry) {
		/* Its thread is gone: the number names another task now. */
		if (target->pidfd == entry->pidfd)
			eg_target_close(target);
		eg_close_fd(&entry->pidfd);
		entry->tid = 0;
	}
	r = eg_target_open_pidfd(target);
	/* Only a thread pidfd is kept: a process pidfd (before Linux 6.9)
	 * reads the leader's descriptor table, which the thread was proven to
	 * share only now. */
	if (r < 0 || !target->pidfd_is_thread)
		return r;
	entry = &notify->pidfds[notify->pidfd_next++ % PIDFD_CACHE_SIZE];
	if (entry->tid)
		eg_close_fd(&entry->pidfd);
	entry->tid = target->tid;
	entry->pidfd = target->pidfd;
	target->pidfd_borrowed = true;
	return 0;
}

void monitor_notify_free(struct monitor_notify *notify)
{
	if (!notify)
		return;
	notify_fast_free(notify);
	for (size_t i = 0; i < MONITOR_NOTIFY_PENDING_MAX; i++)
		forget(notify, i);
	for (size_t i = 0; i < RESIDUES_MAX; i++)
		residue_clear(&notify->residues[i]);
	for (size_t i = 0; i < PIDFD_CACHE_SIZE; i++)
		if (notify->pidfds[i].tid)
			eg_close_fd(&notify->pidfds[i].pidfd);
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
	notify_fast_add_stats(notify, ret_stats);
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

/* While calls wait, their validity is looked at this often: a signal that
 * interrupts a call whose thread then goes on (EINTR) leaves no other trace
 * (the thread's pidfd stays quiet, and its socket may never drain). */
#define SWEEP_INTERVAL_NS 1000000000ull

/* The timer follows the earliest deadline of the waiting calls, and the
 * next sweep while any waits. */
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
	if (notify->stats.pending) {
		uint64_t now = monitor_now_ns();

		if (notify->sweep_ns <= now)
			notify->sweep_ns = now + SWEEP_INTERVAL_NS;
		if (!earliest || notify->sweep_ns < earliest)
			earliest = notify->sweep_ns;
	} else {
		notify->sweep_ns = 0;
	}
	if (earliest) {
		spec.it_value.tv_sec = (time_t)(earliest / 1000000000ull);
		spec.it_value.tv_nsec = (long)(earliest % 1000000000ull);
	}
	timerfd_settime(notify->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

/* A waiting call keeps its own pidfd (a kept one may be closed meanwhile)
 * and watches it: a thread pidfd is readable once the thread is gone, so
 * the call is dropped then, not when its socket happens to be writable. */
static int own_and_watch_thread(struct monitor_notify *notify, struct operation *operation,
                                uint32_t slot)
{
	uint64_t timeout_ns;

	/* SO_SNDTIMEO bounds a blocking call's wait, from its start. */
	if (operation->blocking && (timeout_ns = eg_socket_send_timeout_ns(operation->socket)))
		operation->deadline_ns = operation->started_ns + timeout_ns;
	if (operation->target.pidfd_borrowed) {
		int copy = fcntl(operation->target.pidfd, F_DUPFD_CLOEXEC, 3);

		if (copy < 0)
			return -errno;
		operation->target.pidfd = copy;
		operation->target.pidfd_borrowed = false;
	}
	if (operation->target.pidfd >= 0 &&
	    watch(notify, operation->target.pidfd, EPOLLIN, slot) == 0)
		operation->thread_watched = true;
	return 0;
}

void notify_wait(struct monitor_notify *notify, struct operation *operation)
{
	for (size_t i = 0; i < MONITOR_NOTIFY_PENDING_MAX; i++) {
		if (notify->waiting[i])
			continue;
		if (own_and_watch_thread(notify, operation, SLOT_THREAD + (uint32_t)i) < 0)
			break;
		if (watch(notify, operation->socket, EPOLLOUT, SLOT_PENDING + (uint32_t)i) < 0) {
			if (operation->thread_watched)
				epoll_ctl(notify->epoll_fd, EPOLL_CTL_DEL, operation->target.pidfd,
				          NULL);
			operation->thread_watched = false;
			break;
		}
		operation->socket_watched = true;
		notify->waiting[i] = operation;
		notify->stats.pending++;
		if (operation->deadline_ns || !notify->sweep_ns)
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
			forget_interrupted(notify, i, true);
}

static void on_writable(struct monitor_notify *notify, size_t index)
{
	struct operation *operation = notify->waiting[index];

	if (!operation)
		return;
	/* A signal may have interrupted the call (its handler ran, or the
	 * call returned EINTR): then nothing more may be sent for it. */
	if (eg_target_valid(&operation->target) < 0) {
		notify->stats.threads_gone++;
		forget_interrupted(notify, index, true);
		arm_timer(notify);
		return;
	}
	if (operation_step(notify, operation) == 1)
		return;
	forget(notify, index);
	arm_timer(notify);
}

/* The waiting call's thread is gone (its pidfd became readable): nothing
 * is owed to anyone, and no later call can be its restart. */
static void on_thread_gone(struct monitor_notify *notify, size_t index)
{
	struct operation *operation = notify->waiting[index];

	if (!operation)
		return;
	if (eg_target_valid(&operation->target) == 0) {
		/* Readable with the call still valid (a process pidfd before
		 * Linux 6.9 is readable when the leader is a zombie): stop
		 * listening to it rather than spin. */
		epoll_ctl(notify->epoll_fd, EPOLL_CTL_DEL, operation->target.pidfd, NULL);
		operation->thread_watched = false;
		return;
	}
	notify->stats.threads_gone++;
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
	if (notify->sweep_ns && notify->sweep_ns <= now)
		for (size_t i = 0; i < MONITOR_NOTIFY_PENDING_MAX; i++)
			if (notify->waiting[i] &&
			    eg_target_valid(&notify->waiting[i]->target) < 0) {
				notify->stats.threads_gone++;
				forget_interrupted(notify, i, true);
			}
	arm_timer(notify);
}

void monitor_notify_on_event(struct monitor_notify *notify, uint32_t slot, uint32_t events)
{
	if (slot == SLOT_LISTENER) {
		const struct seccomp_notif *request;
		int r;

		/* An event from before the fast path's thread took the
		 * listener back: its RECV would block the loop. */
		if (!notify_fast_main_receives(notify))
			return;
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
	} else if (slot - SLOT_THREAD < MONITOR_NOTIFY_PENDING_MAX) {
		on_thread_gone(notify, slot - SLOT_THREAD);
	} else if (slot == SLOT_HANDOFF) {
		notify_fast_on_event(notify);
	}
	notify_fast_after_event(notify);
}
