/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The runtime's connection to the seccomp listener socket; see listener.h. */
#include "monitor/listener.h"

#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "entryguard/json.h"

void eg_listener_message_clear(struct eg_listener_message *message)
{
	for (size_t i = 0; i < message->fds_count; i++)
		eg_close_fd(&message->fds[i]);
	free(message->text);
	memset(message, 0, sizeof(*message));
}

int eg_listener_bind(const char *path, int *ret_fd, struct eg_error *err)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	struct stat status;
	mode_t mask;
	int r;

	if (strlen(path) >= sizeof(address.sun_path))
		return eg_error_set(err, ENAMETOOLONG, "%s: longer than a unix socket path (%zu)",
		                    path, sizeof(address.sun_path) - 1);
	memcpy(address.sun_path, path, strlen(path) + 1);
	if (lstat(path, &status) == 0) {
		if (!S_ISSOCK(status.st_mode))
			return eg_error_set(err, EEXIST, "%s: exists and is not a socket", path);
		if (unlink(path) < 0)
			return eg_error_set_errno(err, errno, "%s: removing the stale socket",
			                          path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return eg_error_set_errno(err, errno, "socket");
	/* 0600 from the first moment: the fd it hands out controls the
	 * container's network calls. */
	mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&address, sizeof(address));
	umask(mask);
	if (r < 0)
		return eg_error_set_errno(err, errno, "%s: bind", path);
	if (listen(fd, 4) < 0)
		return eg_error_set_errno(err, errno, "%s: listen", path);
	*ret_fd = steal_fd(&fd);
	return 0;
}

static int64_t monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Waits for fd to be readable: 0, -EINTR when stop_fd is, -ETIMEDOUT. */
static int wait_readable(int fd, int stop_fd, int64_t deadline_ms)
{
	for (;;) {
		struct pollfd fds[2] = {{.fd = fd, .events = POLLIN},
		                        {.fd = stop_fd, .events = POLLIN}};
		int64_t left = deadline_ms - monotonic_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(fds, stop_fd >= 0 ? 2 : 1, (int)left);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && (fds[1].revents & POLLIN))
			return -EINTR;
		if (r > 0)
			return 0;
	}
}

/* One complete JSON value: its outermost brackets closed (strings and
 * escapes skipped).  Text that does not start like an object or array is
 * "complete" at once: the parser will say what is wrong with it. */
static bool json_complete(const char *text, size_t length)
{
	struct eg_json_shape shape;

	eg_json_shape_scan(text, length, &shape);
	if (shape.started && !shape.starts_with_container)
		return true;
	return shape.end_offset != SIZE_MAX || shape.nul_offset != SIZE_MAX ||
	       shape.too_deep_offset != SIZE_MAX;
}

static int take_fds(struct msghdr *header, struct eg_listener_message *message,
                    struct eg_error *err)
{
	for (struct cmsghdr *item = CMSG_FIRSTHDR(header); item; item = CMSG_NXTHDR(header, item)) {
		size_t count;

		if (item->cmsg_level != SOL_SOCKET || item->cmsg_type != SCM_RIGHTS)
			continue;
		count = (item->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < count; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(item) + i * sizeof(int), sizeof(fd));
			if (message->fds_count < EG_LISTENER_FDS_MAX)
				message->fds[message->fds_count++] = fd;
			else
				close(fd);
		}
	}
	if (header->msg_flags & MSG_CTRUNC)
		return eg_error_set(err, EPROTO, "more than %d fds came with the message",
		                    EG_LISTENER_FDS_MAX);
	return 0;
}

static int read_message(int connection, int stop_fd, int64_t deadline_ms,
                        struct eg_listener_message *message, struct eg_error *err)
{
	message->text = malloc(EG_LISTENER_MESSAGE_MAX + 1);
	if (!message->text)
		return eg_error_set(err, ENOMEM, "out of memory");
	while (!json_complete(message->text, message->length)) {
		union {
			char buffer[CMSG_SPACE(EG_LISTENER_FDS_MAX * sizeof(int))];
			struct cmsghdr align;
		} control;
		struct iovec vector = {.iov_base = message->text + message->length,
		                       .iov_len = EG_LISTENER_MESSAGE_MAX + 1 - message->length};
		struct msghdr header = {.msg_iov = &vector,
		                        .msg_iovlen = 1,
		                        .msg_control = control.buffer,
		                        .msg_controllen = sizeof(control.buffer)};
		ssize_t got;
		int r = wait_readable(connection, stop_fd, deadline_ms);

		if (r == -ETIMEDOUT)
			return eg_error_set(err, ETIMEDOUT,
			                    "the runtime connected but sent no "
			                    "complete message in time");
		if (r < 0)
			return eg_error_set_errno(err, -r, "waiting for the runtime's message");
		got = recvmsg(connection, &header, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got < 0)
			return eg_error_set_errno(err, errno, "reading the runtime's message");
		r = take_fds(&header, message, err);
		if (r < 0)
			return r;
		if (got == 0)
			break; /* EOF: what came is all there is */
		message->length += (size_t)got;
		if (message->length > EG_LISTENER_MESSAGE_MAX)
			return eg_error_set(err, EMSGSIZE,
			                    "the runtime's message is longer than %u "
			                    "bytes",
			                    EG_LISTENER_MESSAGE_MAX);
	}
	message->text[message->length] = '\0';
	return 0;
}

int eg_listener_receive(int listener_fd, int stop_fd, int timeout_ms,
                        struct eg_listener_message *ret_message, struct eg_error *err)
{
	struct eg_listener_message message = {0};
	int64_t deadline_ms = monotonic_ms() + timeout_ms;
	_cleanup_close_ int connection = -1;
	struct ucred peer = {0};
	socklen_t length = sizeof(peer);
	int r;

	for (;;) {
		r = wait_readable(listener_fd, stop_fd, deadline_ms);
		if (r == -ETIMEDOUT)
			return eg_error_set(err, ETIMEDOUT, "no runtime connected within %d ms",
			                    timeout_ms);
		if (r < 0)
			return eg_error_set_errno(err, -r, "waiting for the runtime");
		connection = accept4(listener_fd, NULL, NULL, SOCK_CLOEXEC);
		if (connection >= 0)
			break;
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			return eg_error_set_errno(err, errno, "accept");
	}
	if (getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &peer, &length) == 0)
		message.peer_pid = peer.pid;
	r = read_message(connection, stop_fd, deadline_ms, &message, err);
	if (r < 0) {
		eg_listener_message_clear(&message);
		return r;
	}
	*ret_message = message;
	return 0;
}
