/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp listener's fast path: one thread blocks in
 * SECCOMP_IOCTL_NOTIF_RECV itself, so that SYNC_WAKE_UP wakes it on the
 * caller's CPU (epoll's wake-up loses that hint), and answers CONTINUE
 * itself only where the main thread would have answered CONTINUE with no
 * other effect (notify_fast_may_continue()).  Every other notification is
 * handed, in order, to the main thread (a ring and an eventfd in its epoll
 * set), which runs monitor_notify_handle() as before.
 *
 * The thread reads only atomics and the listener and connector fds.  It is
 * detached and ends with the process (NOTIF_RECV is not woken by a close on
 * every kernel); it keeps its own copy of the listener fd, so its number is
 * never another file's.  An error other than ENOENT or EINTR ends it, and
 * the main thread takes the listener back into its epoll set.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/log.h"
#include "monitor/kernel_abi.h"
#include "monitor/monitor.h"
#include "monitor/notify_internal.h"

#define RING_SIZE 64u

struct notify_fast {
	/* Read-only once the thread runs. */
	int listener_fd; /* the thread's own copy */
	int connector_fd;
	int event_fd;
	enum eg_mode mode;
	struct eg_socket_call_table table;
	size_t request_size;
	size_t response_size;
	_Atomic uint64_t *deadline_ns;
	atomic_uint *tree_reading;
	/* Published by the main thread. */
	atomic_uint blockers;
	/* Incremented by the thread before a hand-off, decremented by the
	 * main thread once it answered it and published its state. */
	atomic_uint inflight;
	/* Counters, logged and reported by the main thread. */
	atomic_ullong continued;
	atomic_ullong handed_off;
	atomic_ullong gone;
	/* The errno that ended the thread; 0: running, -1: every task using
	 * the filter is gone. */
	atomic_int error;
	atomic_bool closing; /* the main thread tore down: answer nothing more */
	/* Main thread only. */
	pthread_t thread;
	bool joined;
	bool main_receiving; /* the listener is in the loop's epoll set */
	/* The ring, under lock. */
	pthread_mutex_t lock;
	pthread_cond_t room;
	unsigned head, count;
	unsigned char *ring;
	/* A window is open: the thread handed its last call off and waits
	 * (under lock) until the loop, which receives meanwhile, says the
	 * window is over; every call in a window is the loop's anyway. */
	bool parked;
	pthread_cond_t resume;
};

bool notify_fast_may_continue(const struct notify_fast_snapshot *snapshot)
{
	/* Calls handed off and not yet answered, or state the main thread
	 * keeps for a thread (a waiting call, an interrupted send's residue):
	 * monitor_notify_handle() would forget or take it first. */
	if (snapshot->inflight || snapshot->blockers)
		return false;
	/* An undecoded syscall is the main thread's to deny and log. */
	if (snapshot->kind == EG_SOCKET_CALL_UNKNOWN)
		return false;
	if (snapshot->kind == EG_SOCKET_CALL_OTHER || snapshot->mode == EG_MODE_OFF)
		return true;
	/* An exec that opens a window for the caller was queued before the
	 * call: still queued, being read, or read and not yet published. */
	if (snapshot->connector_queued || snapshot->tree_reading)
		return false;
	if (snapshot->deadline_ns == UINT64_MAX)
		return false;
	return snapshot->now_ns > snapshot->deadline_ns;
}

static bool connector_queued(int fd)
{
	struct pollfd pollfd = {.fd = fd, .events = POLLIN};

	/* Anything but "nothing" (an error, an overrun) is handed off. */
	return poll(&pollfd, 1, 0) != 0 || pollfd.revents;
}

static bool answer_continue(struct notify_fast *fast, struct seccomp_notif_resp *response,
                            uint64_t id)
{
	memset(response, 0, fast->response_size);
	response->id = id;
	response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	/* Counted first, as notify_continue() does: once answered, the
	 * caller may go on and someone may read the counts. */
	atomic_fetch_add(&fast->continued, 1);
	if (ioctl(fast->listener_fd, SECCOMP_IOCTL_NOTIF_SEND, response) < 0) {
		if (errno == ENOENT) {
			atomic_fetch_add(&fast->gone, 1);
			return true;
		}
		atomic_fetch_sub(&fast->continued, 1);
		return false;
	}
	return true;
}

static void hand_off(struct notify_fast *fast, const struct seccomp_notif *request, bool park)
{
	uint64_t one = 1;

	atomic_fetch_add(&fast->inflight, 1);
	atomic_fetch_add(&fast->handed_off, 1);
	pthread_mutex_lock(&fast->lock);
	while (fast->count == RING_SIZE)
		pthread_cond_wait(&fast->room, &fast->lock);
	memcpy(fast->ring + (size_t)((fast->head + fast->count) % RING_SIZE) * fast->request_size,
	       request, fast->request_size);
	fast->count++;
	fast->parked = park;
	pthread_mutex_unlock(&fast->lock);
	(void)!write(fast->event_fd, &one, sizeof(one));
}

/* Parked: until the loop gives the listener back (or tears down). */
static bool wait_resume(struct notify_fast *fast)
{
	pthread_mutex_lock(&fast->lock);
	while (fast->parked)
		pthread_cond_wait(&fast->resume, &fast->lock);
	pthread_mutex_unlock(&fast->lock);
	return !atomic_load(&fast->closing);
}

/* error 0: every task using the filter is gone, nothing more will come. */
static void stop(struct notify_fast *fast, int error)
{
	uint64_t one = 1;

	atomic_store(&fast->error, error ? error : -1);
	(void)!write(fast->event_fd, &one, sizeof(one));
}

static bool all_gone(int listener_fd)
{
	struct pollfd pollfd = {.fd = listener_fd, .events = POLLIN};

	return poll(&pollfd, 1, 0) > 0 && (pollfd.revents & POLLHUP) && !(pollfd.revents & POLLIN);
}

static void *run(void *userdata)
{
	struct notify_fast *fast = userdata;
	struct seccomp_notif *request = calloc(1, fast->request_size);
	struct seccomp_notif_resp *response = calloc(1, fast->response_size);
	int error = 0;

	if (!request || !response) {
		free(request);
		free(response);
		stop(fast, ENOMEM);
		return NULL;
	}
	for (;;) {
		struct notify_fast_snapshot snapshot = {.mode = fast->mode};
		struct eg_socket_call call;

		memset(request, 0, fast->request_size);
		if (ioctl(fast->listener_fd, SECCOMP_IOCTL_NOTIF_RECV, request) < 0) {
			/* ENOENT also when every task using the filter is gone
			 * (then at once, each time): done. */
			if (errno == ENOENT && all_gone(fast->listener_fd))
				break;
			if (errno == ENOENT || errno == EINTR)
				continue;
			error = errno;
			break;
		}
		/* Left unanswered: ENOSYS once the process exits. */
		if (atomic_load(&fast->closing))
			continue;
		/* In this order: a hand-off answered, then the queue, then
		 * whether it is being read, then what was published. */
		snapshot.inflight = atomic_load(&fast->inflight);
		snapshot.blockers = atomic_load(&fast->blockers);
		eg_socket_call_decode(&fast->table, &request->data, &call);
		snapshot.kind = call.kind;
		if (snapshot.mode != EG_MODE_OFF && call.kind != EG_SOCKET_CALL_OTHER) {
			snapshot.connector_queued = connector_queued(fast->connector_fd);
			atomic_thread_fence(memory_order_seq_cst);
			snapshot.tree_reading = atomic_load(fast->tree_reading);
			snapshot.deadline_ns = atomic_load(fast->deadline_ns);
			snapshot.now_ns = monitor_now_ns();
		}
		if (notify_fast_may_continue(&snapshot) &&
		    answer_continue(fast, response, request->id))
			continue;
		/* In a window, the loop receives itself until it is over. */
		bool window = snapshot.deadline_ns != UINT64_MAX && snapshot.deadline_ns &&
		              snapshot.now_ns <= snapshot.deadline_ns && !snapshot.tree_reading &&
		              !snapshot.connector_queued;
		hand_off(fast, request, window);
		if (window && !wait_resume(fast))
			break;
	}
	stop(fast, error);
	free(request);
	free(response);
	return NULL;
}

void notify_fast_publish(struct monitor_notify *notify)
{
	if (notify->fast)
		atomic_store(&notify->fast->blockers,
		             (unsigned)notify->stats.pending + notify->residues_held);
}

bool notify_fast_main_receives(const struct monitor_notify *notify)
{
	return !notify->fast || notify->fast->main_receiving || notify->fast->joined;
}

void notify_fast_after_event(struct monitor_notify *notify)
{
	struct notify_fast *fast = notify->fast;

	notify_fast_publish(notify);
	/* The window is over and nothing is left of it: the thread receives
	 * again. */
	if (!fast || !fast->main_receiving || fast->joined || notify->stats.pending ||
	    notify->residues_held || atomic_load(&fast->inflight) ||
	    monitor_window_open(notify->monitor, monitor_now_ns()))
		return;
	epoll_ctl(notify->epoll_fd, EPOLL_CTL_DEL, notify->listener_fd, NULL);
	fast->main_receiving = false;
	pthread_mutex_lock(&fast->lock);
	fast->parked = false;
	pthread_cond_signal(&fast->resume);
	pthread_mutex_unlock(&fast->lock);
}

void notify_fast_add_stats(const struct monitor_notify *notify, struct monitor_notify_stats *stats)
{
	uint64_t continued, gone;

	if (!notify->fast)
		return;
	continued = atomic_load(&notify->fast->continued);
	gone = atomic_load(&notify->fast->gone);
	stats->received += continued;
	stats->continued += continued;
	stats->gone += gone;
	stats->fast_continued = continued;
	stats->fast_handed_off = atomic_load(&notify->fast->handed_off);
}

static bool pop(struct notify_fast *fast, struct seccomp_notif *request)
{
	bool popped = false;

	pthread_mutex_lock(&fast->lock);
	if (fast->count) {
		memcpy(request, fast->ring + (size_t)fast->head * fast->request_size,
		       fast->request_size);
		fast->head = (fast->head + 1) % RING_SIZE;
		fast->count--;
		popped = true;
		pthread_cond_signal(&fast->room);
	}
	pthread_mutex_unlock(&fast->lock);
	return popped;
}

void notify_fast_on_event(struct monitor_notify *notify)
{
	struct notify_fast *fast = notify->fast;
	uint64_t value;
	int error;

	if (!fast)
		return;
	(void)!read(fast->event_fd, &value, sizeof(value));
	while (pop(fast, notify->request)) {
		notify->stats.received++;
		monitor_notify_handle(notify, notify->request);
		notify_fast_publish(notify);
		atomic_fetch_sub(&fast->inflight, 1);
	}
	pthread_mutex_lock(&fast->lock);
	if (fast->parked && !fast->count && !fast->main_receiving) {
		struct epoll_event event = {.events = EPOLLIN,
		                            .data.u64 =
		                                (uint64_t)SLOT_LISTENER << 32 | notify->epoll_tag};

		if (epoll_ctl(notify->epoll_fd, EPOLL_CTL_ADD, notify->listener_fd, &event) == 0)
			fast->main_receiving = true;
		else
			fast->parked = false, pthread_cond_signal(&fast->resume);
	}
	pthread_mutex_unlock(&fast->lock);
	error = atomic_load(&fast->error);
	if (!error || fast->joined)
		return;
	/* The thread ended (it is on its way out: nothing more of it to wait
	 * for).  Every task gone: nothing more will come; an error: the loop
	 * receives again. */
	pthread_join(fast->thread, NULL);
	fast->joined = true;
	if (error > 0) {
		struct epoll_event event = {.events = EPOLLIN,
		                            .data.u64 =
		                                (uint64_t)SLOT_LISTENER << 32 | notify->epoll_tag};

		eg_log_error("seccomp: the fast path's thread stopped (%s); notifications are "
		             "received in the event loop again",
		             strerror(error));
		if (epoll_ctl(notify->epoll_fd, EPOLL_CTL_ADD, notify->listener_fd, &event) < 0)
			eg_log_error("seccomp: epoll_ctl (seccomp listener): %m");
	}
}

static void destroy(struct notify_fast *fast)
{
	eg_close_fd(&fast->event_fd);
	eg_close_fd(&fast->listener_fd);
	pthread_mutex_destroy(&fast->lock);
	pthread_cond_destroy(&fast->room);
	pthread_cond_destroy(&fast->resume);
	free(fast->ring);
	free(fast);
}

int monitor_notify_start_fast_path(struct monitor_notify *notify, struct eg_error *err)
{
	struct monitor *monitor = notify->monitor;
	struct notify_fast *fast;
	struct epoll_event event = {.events = EPOLLIN,
	                            .data.u64 = (uint64_t)SLOT_HANDOFF << 32 | notify->epoll_tag};
	sigset_t all, old;
	int r;

	/* Without SYNC_WAKE_UP the thread would be woken across CPUs like
	 * the loop; with the procfs tracker every call is handed off. */
	if (notify->fast || !notify->sync_wake_up || !monitor->connector || monitor->poll)
		return 0;
	fast = calloc(1, sizeof(*fast));
	if (!fast)
		return eg_error_set(err, ENOMEM, "out of memory");
	fast->mode = monitor->container->mode;
	fast->table = notify->table;
	fast->request_size = notify->sizes.seccomp_notif;
	fast->response_size = notify->sizes.seccomp_notif_resp;
	fast->connector_fd = eg_proc_connector_fd(monitor->connector);
	fast->deadline_ns = &monitor->published_deadline_ns;
	fast->tree_reading = &monitor->tree_reading;
	fast->ring = calloc(RING_SIZE, fast->request_size);
	fast->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	fast->listener_fd = fcntl(notify->listener_fd, F_DUPFD_CLOEXEC, 3);
	pthread_mutex_init(&fast->lock, NULL);
	pthread_cond_init(&fast->room, NULL);
	pthread_cond_init(&fast->resume, NULL);
	if (!fast->ring || fast->event_fd < 0 || fast->listener_fd < 0) {
		r = eg_error_set_errno(err, fast->ring ? errno : ENOMEM, "seccomp fast path");
		goto fail;
	}
	if (epoll_ctl(notify->epoll_fd, EPOLL_CTL_ADD, fast->event_fd, &event) < 0) {
		r = eg_error_set_errno(err, errno, "epoll_ctl (seccomp fast path)");
		goto fail;
	}
	/* Published before the thread's first look. */
	monitor_window_publish(monitor, monitor_now_ns());
	notify->fast = fast;
	notify_fast_publish(notify);
	if (epoll_ctl(notify->epoll_fd, EPOLL_CTL_DEL, notify->listener_fd, NULL) < 0) {
		r = eg_error_set_errno(err, errno, "epoll_ctl (seccomp listener)");
		goto unwatch;
	}
	/* Signals stay the main thread's (its signalfd). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&fast->thread, NULL, run, fast);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		return 1;
	eg_error_set_errno(err, -r, "pthread_create (seccomp fast path)");
	event.data.u64 = (uint64_t)SLOT_LISTENER << 32 | notify->epoll_tag;
	epoll_ctl(notify->epoll_fd, EPOLL_CTL_ADD, notify->listener_fd, &event);
unwatch:
	notify->fast = NULL;
	epoll_ctl(notify->epoll_fd, EPOLL_CTL_DEL, fast->event_fd, NULL);
fail:
	destroy(fast);
	return r;
}

void notify_fast_free(struct monitor_notify *notify)
{
	struct notify_fast *fast = notify->fast;

	if (!fast)
		return;
	notify->fast = NULL;
	/* Ended: freed.  Otherwise it may be blocked in NOTIF_RECV on its own
	 * copy of the listener (no close wakes it on every kernel): it and
	 * what it uses live until the process exits, answering nothing. */
	eg_log_debug("seccomp: fast path: %llu continued, %llu handed off",
	             (unsigned long long)atomic_load(&fast->continued),
	             (unsigned long long)atomic_load(&fast->handed_off));
	/* A parked thread ends when woken with closing set. */
	atomic_store(&fast->closing, true);
	pthread_mutex_lock(&fast->lock);
	bool parked = fast->parked;
	fast->parked = false;
	pthread_cond_signal(&fast->resume);
	pthread_mutex_unlock(&fast->lock);
	if (!fast->joined &&
	    (parked || atomic_load(&fast->error) || all_gone(notify->listener_fd))) {
		/* Ending or about to (woken by the last task's exit). */
		struct timespec deadline;

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_sec += 1;
		fast->joined = pthread_timedjoin_np(fast->thread, NULL, &deadline) == 0;
	}
	if (fast->joined) {
		destroy(fast);
		return;
	}
	atomic_store(&fast->closing, true);
	pthread_detach(fast->thread);
}
