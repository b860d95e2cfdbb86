/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What notify.c (the listener, answers, waiting calls), notify_call.c (the
 * decision for one call) and notify_send.c (running an emulated send)
 * share. */
#ifndef ENTRYGUARD_MONITOR_NOTIFY_INTERNAL_H
#define ENTRYGUARD_MONITOR_NOTIFY_INTERNAL_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/emulate.h"
#include "monitor/message.h"
#include "monitor/notify.h"
#include "monitor/socket_call.h"
#include "monitor/target.h"

/* epoll slots: the listener, the deadline timer, then one per waiting
 * call. */
#define SLOT_LISTENER 0u
#define SLOT_TIMER    1u
#define SLOT_PENDING  2u

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
	uint64_t deadline_ns; /* SO_SNDTIMEO; 0: none */
	uint32_t flags;       /* the caller's send flags */
	/* OPERATION_SEND: the messages, sent in order. */
	struct eg_message *messages; /* owned */
	size_t count;
	size_t index;  /* next message */
	size_t offset; /* bytes of messages[index] sent (stream) */
	bool vector;   /* sendmmsg: the result is a count, msg_len is written back */
	uint32_t *sent_lengths;
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
	struct monitor_notify_stats stats;
	bool unknown_logged;
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
/* Forgets what a thread was waiting for: a new notification from it means
 * its earlier call was interrupted. */
void notify_forget_thread(struct monitor_notify *notify, pid_t tid);

/* notify_send.c */
/* Runs an operation as far as it goes without blocking: 0 when it was
 * answered (and may be freed), 1 when it must wait for its socket. */
int operation_step(struct monitor_notify *notify, struct operation *operation);
/* Its deadline passed: answers with what was done so far. */
void operation_expire(struct monitor_notify *notify, struct operation *operation);

#endif
