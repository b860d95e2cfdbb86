/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The thread behind a seccomp notification, reached safely.
 *
 * A notification names a thread id, and a thread id is only a number: the
 * thread may die and the number go to a newcomer at any moment.  What makes
 * it safe is SECCOMP_IOCTL_NOTIF_ID_VALID: while the notification is valid,
 * its thread is alive and blocked in the syscall, so its id cannot have been
 * reused.  Hence the order used everywhere here:
 *   - a pidfd is opened and then the id is validated: from then on the
 *     pidfd is the thread's, whatever happens to the number;
 *   - every read of the thread's memory (process_vm_readv, by number) is
 *     followed by a validation before anything read is used: valid after the
 *     read means alive during it, so the memory was the thread's;
 *   - writes go through /proc/TID/mem opened and then validated: the open
 *     file holds that address space, not a number.
 * Nothing read from the target is trusted: lengths are checked against the
 * kernel's own bounds before anything is allocated.
 */
#ifndef ENTRYGUARD_MONITOR_TARGET_H
#define ENTRYGUARD_MONITOR_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct eg_target {
	int listener_fd; /* borrowed */
	uint64_t id;     /* the notification */
	pid_t tid;       /* the notifying thread, in the monitor's pid namespace */
	pid_t pid;       /* its process (thread group); 0 until known */
	int pidfd;       /* -1 until eg_target_open_pidfd() */
	bool pidfd_is_thread;
	bool pidfd_borrowed; /* someone else's (a cache): not closed here */
	/* Reads skip their validation: the caller validates once after the
	 * last of them, before it uses anything they returned (valid after
	 * the last read means alive during all of them). */
	bool validation_deferred;
};

#define EG_TARGET_INIT(listener, notification_id, thread)                                      \
	{                                                                                      \
		.listener_fd = (listener), .id = (notification_id), .tid = (thread), .pid = 0, \
		.pidfd = -1, .pidfd_is_thread = false, .pidfd_borrowed = false,                \
		.validation_deferred = false,                                                  \
	}

void eg_target_close(struct eg_target *target);

/* SECCOMP_IOCTL_NOTIF_ID_VALID: 0 while the notification waits for its
 * answer, -ENOENT once the thread died or was interrupted by a signal. */
int eg_notification_valid(int listener_fd, uint64_t id);
static inline int eg_target_valid(const struct eg_target *target)
{
	return eg_notification_valid(target->listener_fd, target->id);
}

/* The thread group of a thread: the Tgid line of /proc/TID/status.  Not
 * validated: the caller validates the notification before using it. */
int eg_thread_group_of(pid_t tid, pid_t *ret_pid);

/* Opens a pidfd of the thread (PIDFD_THREAD; before Linux 6.9 one of its
 * process, checked with kcmp to share the thread's descriptor table), and
 * validates the notification.  -ENOENT: gone.
 *
 * A thread pidfd may be kept and used for a later notification of the same
 * thread id without opening and validating again: a pidfd holds the
 * kernel's struct pid of that number, which names at most one task in its
 * life (a reused number gets a new struct pid), and a live task is the only
 * one with its number.  So a kept pidfd either is the notifying thread's or
 * answers ESRCH (its task is gone), and every use of it is followed by a
 * validation of the notification, as every read is. */
int eg_target_open_pidfd(struct eg_target *target);

/* Reads exactly length bytes at address in the target, then validates.
 * -EFAULT when any byte cannot be read (as copy_from_user), -ENOENT when
 * the notification is gone. */
int eg_target_read(const struct eg_target *target, uint64_t address, void *buffer, size_t length);
/* Gathers the remote ranges into buffer (total bytes), then validates.
 * Returns the bytes read from the start (a prefix: reading stops at the
 * first byte that cannot be read), -ENOENT when gone. */
ssize_t eg_target_gather(const struct eg_target *target, const struct iovec *remote, size_t count,
                         void *buffer, size_t total);
/* Writes length bytes at address: -EFAULT when they cannot be written. */
int eg_target_write(const struct eg_target *target, uint64_t address, const void *data,
                    size_t length);

/* A copy of the target's descriptor fd (pidfd_getfd), close-on-exec.
 * -EBADF: no such descriptor; -ENOENT: the pidfd's task is gone.  Whether
 * it is a socket is for the caller to find out (getsockopt answers
 * ENOTSOCK). */
int eg_target_socket(const struct eg_target *target, int fd, int *ret_socket);

/* Whether another task could change the thread's descriptor table while it
 * waits for our answer: 1 when some task shares the table (threads, or a
 * process made with clone(CLONE_FILES)), 0 when none does, which stays true
 * until we answer: a new sharer can only be made by a sharer, and the only
 * one, the target, is blocked.  Found with kcmp(KCMP_FILES) against every
 * task on the host, repeated when a task was created during the walk (the
 * kernel's fork counter moved), since one made then could have taken a pid
 * the walk had passed.  Anything that cannot be proven is 1. */
int eg_target_files_shared(const struct eg_target *target);
/* The same, walking only pids[0..count) and their threads: enough when they
 * are every task that could share the table, i.e. the container's whole
 * process tree (a sharer is made by clone(CLONE_FILES) from a sharer: a
 * thread of a tracked process, or a process forked from one), which the
 * caller must know to be complete. */
int eg_target_files_shared_among(const struct eg_target *target, const pid_t *pids, size_t count);

/* Sends a signal to the thread (thread-directed with a thread pidfd). */
int eg_target_signal(const struct eg_target *target, int signal);

#endif
