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
};

#define EG_TARGET_INIT(listener, notification_id, thread)                                      \
	{                                                                                      \
		.listener_fd = (listener), .id = (notification_id), .tid = (thread), .pid = 0, \
		.pidfd = -1, .pidfd_is_thread = false,                                         \
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
 * validates the notification.  -ENOENT: gone. */
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
 * -EBADF: no such descriptor; -ENOTSOCK: not a socket (the copy is
 * closed). */
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

/* Sends a signal to the thread (thread-directed with a thread pidfd). */
int eg_target_signal(const struct eg_target *target, int signal);

#endif
