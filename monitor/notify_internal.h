/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What notify.c (the listener, answers, waiting calls), notify_call.c (the
 * decision for one call) and notify_send.c (running an emulated send)
 * share. */
#ifndef ENTRYGUARD_MONITOR_NOTIFY_INTERNAL_H
#define ENTRYGUARD_MONITOR_NOTIFY_INTERNAL_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "entryguard/config.h"
#include "monitor/emulate.h"
#include "monitor/message.h"
#include "monitor/notify.h"
#include "monitor/socket_call.h"
#include "monitor/target.h"

/* epoll slots: the listener, the deadline timer, then one per waiting
 * call for its socket, then one per waiting call for its thread's pidfd
 * (readable when the thread is gone). */
#define SLOT_LISTENER 0u
#define SLOT_TIMER    1u
#define SLOT_PENDING  2u
#define SLOT_THREAD   (SLOT_PENDING + MONITOR_NOTIFY_PENDING_MAX)
/* The fast path's hand-off eventfd (notify_fast.c). */
#define SLOT_HANDOFF  (SLOT_THREAD + MONITOR_NOTIFY_PENDING_MAX)

/* Thread pidfds kept from one notification to the next (a thread that makes
 * one call in a window usually makes many): see notify_pidfd(). */
#define PIDFD_CACHE_SIZE 16
/* Stream sends interrupted after some bytes went out, remembered for the
 * restarted call (notify_residue_take()). */
#define RESIDUES_MAX     16

/* A call whose answer waits for its socket. */
enum operation_kind {
	OPERATION_CONNECT,
	OPERATION_SEND,
};

struct operation {
	enum operation_kind kind;
	uint64_t id;
	struct eg_target target; /* its pidfd is owned */
	int socket;              /* the copy, owned */
	bool stream;
	bool blocking;
	uint64_t started_ns;  /* when the call was received */
	uint64_t deadline_ns; /* started_ns + SO_SNDTIMEO once it waits; 0: none */
	uint32_t flags;       /* the caller's send flags */
	/* OPERATION_SEND: the messages, sent in order. */
	struct eg_message *messages; /* owned */
	size_t count;
	size_t index;  /* next message */
	size_t offset; /* bytes of messages[index] sent (stream) */
	bool vector;   /* sendmmsg: the result is a count, msg_len is written back */
	uint32_t *sent_lengths;
	uint64_t buffer_address; /* the call's registers, for a residue */
	uint64_t buffer_length;
	bool thread_watched; /* its pidfd is in the epoll set */
	bool socket_watched; /* its socket is in the epoll set */
};

/* What an interrupted stream send had sent: the kernel's own blocking send
 * returns that count when a signal interrupts it after progress; the
 * seccomp notification cannot be answered once interrupted, so the count is
 * given to the restarted call (the same thread, socket, buffer, length and
 * flags, and the same bytes at the start of the buffer). */
struct residue {
	pid_t tid; /* 0: free */
	uint64_t cookie;
	uint64_t buffer_address;
	uint64_t buffer_length;
	uint32_t flags;
	size_t sent;
	uint8_t *sent_bytes; /* the first `sent` bytes of the payload, owned */
};

struct pidfd_entry {
	pid_t tid; /* 0: free */
	int pidfd;
};

struct monitor_notify {
	struct monitor *monitor;
	int listener_fd;
	int epoll_fd; /* borrowed */
	uint32_t epoll_tag;
	int timer_fd;
	struct seccomp_notif_sizes sizes;
	struct seccomp_notif *request;
	struct seccomp_notif_resp *response;
	struct eg_socket_call_table table;
	bool sync_wake_up;
	struct operation *waiting[MONITOR_NOTIFY_PENDING_MAX];
	struct residue residues[RESIDUES_MAX];
	unsigned residue_next;
	unsigned residues_held;
	uint64_t sweep_ns; /* next look at the waiting calls' validity; 0: none */
	struct pidfd_entry pidfds[PIDFD_CACHE_SIZE];
	unsigned pidfd_next;
	struct monitor_notify_stats stats;
	bool unknown_logged;
	/* The container has its own pid namespace: its init cannot
	 * clone(CLONE_PARENT), so every task that can share a tracked
	 * process's descriptor table descends from the init in the tree. */
	bool files_walk_tree;
	/* The fast path's thread, when it runs (notify_fast.c). */
	struct notify_fast *fast;
};

/* notify.c */
/* Answers a notification: result >= 0 is the syscall's return value, < 0 a
 * negative errno.  -ENOENT when the target is gone (counted). */
int notify_answer(struct monitor_notify *notify, uint64_t id, int64_t result);
int notify_continue(struct monitor_notify *notify, uint64_t id);
/* Parks an operation until its socket is writable or its deadline; takes
 * it (freed here on failure, after answering EAGAIN). */
void notify_wait(struct monitor_notify *notify, struct operation *operation);
void operation_free(struct operation *operation);
/* Closes the operation's socket copy (out of the epoll set first) before
 * its answer: once answered, the container may close its own descriptor,
 * and the last close (a TCP teardown) is then the container's to pay. */
void operation_release_socket(struct monitor_notify *notify, struct operation *operation);
/* Forgets what a thread was waiting for: a new notification from it means
 * its earlier call was interrupted (a stream send's progress is kept as a
 * residue for the restarted call). */
void notify_forget_thread(struct monitor_notify *notify, pid_t tid);
/* Takes out the residue an interrupted send of this thread left (at most
 * one): the caller compares it with the new call (residue_matches()) and
 * frees it.  A thread's residue lives until its next notification. */
bool notify_residue_take(struct monitor_notify *notify, pid_t tid, struct residue *ret_residue);
void residue_clear(struct residue *residue);
/* Whether a call is the restart of the interrupted send: the same socket,
 * buffer registers and flags, and a payload that starts with the bytes
 * that were sent. */
bool residue_matches(const struct residue *residue, uint64_t cookie, uint64_t buffer_address,
                     uint64_t buffer_length, uint32_t flags, const struct eg_message *message);
/* A pidfd of the notifying thread: from the cache (borrowed: the target
 * does not close it), or opened and validated (and cached when it is a
 * thread pidfd).  fresh skips the cache (a cached pidfd whose thread is
 * gone answers ESRCH: its number now names another task). */
int notify_pidfd(struct monitor_notify *notify, struct eg_target *target, bool fresh);

/* notify_fast.c */
/* What the fast path's thread knows when it has received a notification:
 * only atomics the main thread publishes, the connector's queue, the call's
 * registers. */
struct notify_fast_snapshot {
	enum eg_mode mode;
	enum eg_socket_call_kind kind; /* eg_socket_call_decode()'s */
	unsigned inflight;             /* handed-off calls not yet answered */
	unsigned blockers;             /* waiting calls + residues kept */
	unsigned tree_reading;         /* the main thread is reading events */
	bool connector_queued;         /* the proc connector has anything queued (or an error) */
	uint64_t deadline_ns;          /* published; UINT64_MAX: unknown */
	uint64_t now_ns;
};
/* Whether the thread may answer CONTINUE itself: only where the main
 * thread's monitor_notify_handle() would have answered CONTINUE with no
 * other effect; otherwise the call is handed off. */
bool notify_fast_may_continue(const struct notify_fast_snapshot *snapshot);
/* The main thread, after each change of its waiting calls or residues. */
void notify_fast_publish(struct monitor_notify *notify);
void notify_fast_on_event(struct monitor_notify *notify);
/* Whether the loop receives from the listener itself now: no fast path,
 * or it is parked in a window, or it ended. */
bool notify_fast_main_receives(const struct monitor_notify *notify);
/* After each event: publishes, and gives the listener back to the thread
 * once the window is over. */
void notify_fast_after_event(struct monitor_notify *notify);
void notify_fast_add_stats(const struct monitor_notify *notify, struct monitor_notify_stats *stats);
/* At monitor_notify_free(): the thread answers nothing more (it and its
 * fds live until the process exits). */
void notify_fast_free(struct monitor_notify *notify);

/* notify_send.c */
/* Runs an operation as far as it goes without blocking: 0 when it was
 * answered (and may be freed), 1 when it must wait for its socket. */
int operation_step(struct monitor_notify *notify, struct operation *operation);
/* Its deadline passed: answers with what was done so far. */
void operation_expire(struct monitor_notify *notify, struct operation *operation);

#endif
