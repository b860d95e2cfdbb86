/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Cleanup attributes: every fd, allocation and child process is owned by a
 * variable whose scope ends it, so no error path can leak.  Ownership is
 * handed over explicitly with steal_pointer() / steal_fd():
 *
 *     _cleanup_free_ char *buffer = malloc(n);
 *     ...
 *     *ret_buffer = steal_pointer(&buffer);
 *
 * Every destructor accepts "nothing to free" (NULL, -1, 0).
 */
#ifndef ENTRYGUARD_CLEANUP_H
#define ENTRYGUARD_CLEANUP_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define _cleanup_(function) __attribute__((cleanup(function)))

static inline void eg_free_pointer(void *pointer)
{
	free(*(void **)pointer);
}

/* Closes an fd, keeping errno: cleanup must never change what a failed call
 * reported. */
static inline void eg_close_fd(int *fd)
{
	if (*fd >= 0) {
		int saved_errno = errno;
		close(*fd);
		errno = saved_errno;
	}
}

static inline void eg_close_file(FILE **file)
{
	if (*file) {
		int saved_errno = errno;
		fclose(*file);
		errno = saved_errno;
	}
}

/* A helper child that must not outlive its owner: killed and reaped. */
static inline void eg_kill_and_reap(pid_t *pid)
{
	if (*pid > 0) {
		int saved_errno = errno;
		kill(*pid, SIGKILL);
		while (waitpid(*pid, NULL, 0) < 0 && errno == EINTR)
			;
		errno = saved_errno;
	}
}

#define _cleanup_free_   _cleanup_(eg_free_pointer)
#define _cleanup_close_  _cleanup_(eg_close_fd)
#define _cleanup_fclose_ _cleanup_(eg_close_file)
#define _cleanup_pid_    _cleanup_(eg_kill_and_reap)

/* Declares a typed destructor wrapper for _cleanup_(), e.g.
 * EG_DEFINE_CLEANUP(struct eg_config *, eg_config_free) gives
 * eg_config_freep(). */
#define EG_DEFINE_CLEANUP(type, function)             \
	static inline void function##p(type *pointer) \
	{                                             \
		if (*pointer)                         \
			function(*pointer);           \
	}

static inline void *eg_steal_pointer(void *pointer)
{
	void **slot = pointer;
	void *value = *slot;
	*slot = NULL;
	return value;
}
#define steal_pointer(pointer) ((__typeof__(*(pointer)))eg_steal_pointer(pointer))

static inline int steal_fd(int *fd)
{
	int value = *fd;
	*fd = -1;
	return value;
}

#endif
