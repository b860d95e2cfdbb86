/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The socket a runtime sends the container's seccomp listener fd to
 * (linux.seccomp.listenerPath, or crun's run.oci.seccomp.receiver
 * annotation): a unix stream socket, one connection, one JSON message
 * ({"ociVersion", "fds": ["seccompFd"], "pid", "metadata", "state"}) with
 * the fds by SCM_RIGHTS.
 *
 * What runtimes do (tests/fixtures/README.md): crun connects before any
 * hook runs, runc after the createRuntime hooks; both send the whole message
 * in one write with the fd, and keep the connection open for as long as the
 * runtime process lives (until the container exits, for `run`).  So the
 * message is taken as soon as it is one complete JSON value, never at EOF.
 */
#ifndef ENTRYGUARD_MONITOR_LISTENER_H
#define ENTRYGUARD_MONITOR_LISTENER_H

#include <stddef.h>
#include <sys/types.h>

#include "entryguard/error.h"
#include "entryguard/oci.h"

/* A real message is a few hundred bytes (a Podman state with annotations,
 * about 1 KiB); 64 KiB bounds a hostile or broken one. */
#define EG_LISTENER_MESSAGE_MAX (64u * 1024u)
#define EG_LISTENER_FDS_MAX     EG_OCI_LISTENER_FDS_MAX

struct eg_listener_message {
	char *text; /* NUL-terminated */
	size_t length;
	int fds[EG_LISTENER_FDS_MAX]; /* close-on-exec */
	size_t fds_count;
	pid_t peer_pid; /* SO_PEERCRED: the runtime process that connected */
};

/* Closes the fds still held and frees the text. */
void eg_listener_message_clear(struct eg_listener_message *message);

/* A SOCK_STREAM | SOCK_CLOEXEC unix socket bound at path with mode 0600,
 * listening.  A stale socket at path is removed; anything else there (a
 * file, a symlink) is refused. */
int eg_listener_bind(const char *path, int *ret_fd, struct eg_error *err);

/* Waits at most timeout_ms for one connection and its complete message.
 * stop_fd (a signalfd, or -1) readable ends the wait with -EINTR.  More
 * than EG_LISTENER_MESSAGE_MAX bytes is -EMSGSIZE, more than
 * EG_LISTENER_FDS_MAX fds -EPROTO (the kernel closed the ones that did not
 * fit), no message before the timeout -ETIMEDOUT. */
int eg_listener_receive(int listener_fd, int stop_fd, int timeout_ms,
                        struct eg_listener_message *ret_message, struct eg_error *err);

#endif
