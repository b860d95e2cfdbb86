/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Running an emulated call to its answer, as the kernel would have run it
 * for the caller (net/socket.c, net/ipv4/tcp.c):
 *  - a send on a non-blocking socket (or with MSG_DONTWAIT) is tried once:
 *    what it sent, or EAGAIN;
 *  - a blocking send waits for room (EPOLLOUT) and, on a stream socket,
 *    goes on until every copied byte is sent; SO_SNDTIMEO ends the wait with
 *    what was sent, or EAGAIN;
 *  - sendmmsg sends the messages in order, stops at the first error and
 *    returns how many were sent (the error only when none was), writing each
 *    sent message's msg_len back into the caller's vector; it waits only for
 *    the first message (a shorter count is a valid answer);
 *  - EPIPE on a stream socket raises SIGPIPE in the calling thread unless
 *    the caller passed MSG_NOSIGNAL (our own send always passes it);
 *  - a blocking connect is answered with SO_ERROR once the socket is
 *    writable, or EINPROGRESS at the SO_SNDTIMEO deadline (the kernel's own
 *    answer for a timed-out connect, which goes on in the background).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include "monitor/notify_internal.h"

static int64_t progress_or(const struct operation *operation, int64_t error)
{
	if (operation->vector)
		return operation->index > 0 ? (int64_t)operation->index : error;
	return operation->offset > 0 ? (int64_t)operation->offset : error;
}

/* sendmmsg: msg_len of each sent message, written where the caller's
 * vector has it; a write that fails ends the count there (as put_user()
 * failing does in __sys_sendmmsg()). */
static int64_t write_lengths(struct operation *operation, int64_t result)
{
	for (size_t i = 0; i < operation->index; i++)
		if (eg_target_write(&operation->target, operation->messages[i].length_address,
		                    &operation->sent_lengths[i], sizeof(uint32_t)) < 0)
			return i > 0 ? (int64_t)i : -EFAULT;
	return result;
}

static int finish(struct monitor_notify *notify, struct operation *operation, int64_t result)
{
	if (result == -EPIPE && operation->stream && !(operation->flags & MSG_NOSIGNAL))
		(void)eg_target_signal(&operation->target, SIGPIPE);
	if (operation->vector && result > 0)
		result = write_lengths(operation, result);
	notify->stats.emulated++;
	operation_release_socket(notify, operation);
	notify_answer(notify, operation->id, result);
	return 0;
}

static int send_step(struct monitor_notify *notify, struct operation *operation)
{
	while (operation->index < operation->count) {
		struct eg_message *message = &operation->messages[operation->index];
		ssize_t sent;

		/* A datagram with an unreadable byte is EFAULT; a stream sends
		 * the readable part. */
		if (message->faulted && (!operation->stream || message->length == 0))
			return finish(notify, operation, progress_or(operation, -EFAULT));
		sent = eg_emulate_send_once(operation->socket, message, operation->offset,
		                            operation->flags);
		if (sent == -EAGAIN && operation->blocking &&
		    (operation->index == 0 || !operation->vector))
			return 1;
		if (sent < 0)
			return finish(notify, operation, progress_or(operation, sent));
		operation->offset += (size_t)sent;
		if (operation->stream && operation->offset < message->length) {
			if (!operation->blocking)
				return finish(notify, operation, (int64_t)operation->offset);
			continue;
		}
		operation->sent_lengths[operation->index++] = (uint32_t)operation->offset;
		if (!operation->vector)
			return finish(notify, operation, (int64_t)operation->offset);
		operation->offset = 0;
	}
	return finish(notify, operation, (int64_t)operation->index);
}

int operation_step(struct monitor_notify *notify, struct operation *operation)
{
	if (operation->kind == OPERATION_CONNECT) {
		struct pollfd poll_fd = {.fd = operation->socket, .events = POLLOUT};

		/* Only a socket that is done connecting is writable (or in
		 * error): anything else was an event meant for an earlier
		 * user of this slot. */
		if (poll(&poll_fd, 1, 0) == 0)
			return 1;
		int64_t result = eg_emulate_connect_finish(operation->socket);

		notify->stats.emulated++;
		operation_release_socket(notify, operation);
		notify_answer(notify, operation->id, result);
		return 0;
	}
	return send_step(notify, operation);
}

void operation_expire(struct monitor_notify *notify, struct operation *operation)
{
	if (operation->kind == OPERATION_CONNECT) {
		notify->stats.emulated++;
		operation_release_socket(notify, operation);
		notify_answer(notify, operation->id, -EINPROGRESS);
		return;
	}
	finish(notify, operation, progress_or(operation, -EAGAIN));
}
