/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket calls performed on the monitor's copy; see emulate.h. */
#include "monitor/emulate.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef AF_RDS
#define AF_RDS 21
#endif
#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
/* include/uapi/linux/in6.h (Linux 4.5) */
#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL 36
#endif

static int get_int(int socket, int option, int *ret)
{
	socklen_t length = sizeof(*ret);

	if (getsockopt(socket, SOL_SOCKET, option, ret, &length) < 0)
		return -errno;
	return 0;
}

/* Whether a raw socket sends the caller's IP header: IPPROTO_RAW always
 * does (raw_sendmsg, rawv6_sendmsg), otherwise the socket option says.  A
 * socket we cannot ask counts as one that does. */
static bool header_included(int socket, const struct eg_socket_kind *kind)
{
	int value = 0;
	socklen_t length = sizeof(value);

	if (kind->protocol == IPPROTO_RAW)
		return true;
	if (kind->domain == AF_INET)
		return getsockopt(socket, IPPROTO_IP, IP_HDRINCL, &value, &length) < 0 || value;
	return getsockopt(socket, IPPROTO_IPV6, IPV6_HDRINCL, &value, &length) < 0 || value;
}

int eg_socket_kind_read(int socket, struct eg_socket_kind *ret_kind)
{
	struct eg_socket_kind kind = {0};
	int flags, r;

	r = get_int(socket, SO_DOMAIN, &kind.domain);
	if (r >= 0)
		r = get_int(socket, SO_TYPE, &kind.type);
	if (r >= 0)
		r = get_int(socket, SO_PROTOCOL, &kind.protocol);
	if (r < 0)
		return r;
	flags = fcntl(socket, F_GETFL);
	if (flags < 0)
		return -errno;
	kind.file_flags = flags;
	kind.blocking = !(flags & O_NONBLOCK);
	kind.ip = kind.domain == AF_INET || kind.domain == AF_INET6 || kind.domain == AF_SMC ||
	          kind.domain == AF_RDS;
	kind.stream = kind.type == SOCK_STREAM;
	if (kind.domain == AF_INET || kind.domain == AF_INET6) {
		if (kind.stream && (kind.protocol == IPPROTO_TCP || kind.protocol == IPPROTO_MPTCP))
			kind.judged = true, kind.transport = EG_TRANSPORT_TCP;
		else if (kind.type == SOCK_DGRAM &&
		         (kind.protocol == IPPROTO_UDP || kind.protocol == IPPROTO_UDPLITE))
			kind.judged = true, kind.transport = EG_TRANSPORT_UDP;
		else
			kind.other_ip = true;
		if (kind.type == SOCK_RAW)
			kind.header_included = header_included(socket, &kind);
	} else if (kind.domain == AF_SMC && kind.stream) {
		/* SMC falls back to, and always starts with, a TCP connection
		 * to the sockaddr_in/in6 it is given. */
		kind.judged = true, kind.transport = EG_TRANSPORT_TCP;
	}
	*ret_kind = kind;
	return 0;
}

uint64_t eg_socket_send_timeout_ns(int socket)
{
	struct timeval timeout = {0};
	socklen_t length = sizeof(timeout);

	if (getsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, &length) < 0 ||
	    (timeout.tv_sec <= 0 && timeout.tv_usec <= 0))
		return 0;
	return (uint64_t)timeout.tv_sec * 1000000000ull + (uint64_t)timeout.tv_usec * 1000ull;
}

uint64_t eg_socket_cookie(int socket)
{
	uint64_t cookie = 0;
	socklen_t length = sizeof(cookie);

	if (getsockopt(socket, SOL_SOCKET, SO_COOKIE, &cookie, &length) < 0)
		return 0;
	return cookie;
}

int eg_emulate_connect_start(int socket, const struct eg_socket_kind *kind,
                             const struct eg_message *name, int64_t *ret_result)
{
	const struct sockaddr *address = (const struct sockaddr *)&name->name;
	int flags, r, error;

	/* A datagram connect never waits, and a non-blocking one answers at
	 * once: the caller gets exactly what connect(2) says. */
	if (!kind->blocking || !kind->stream) {
		r = connect(socket, address, name->name_length);
		*ret_result = r < 0 ? -errno : 0;
		return 0;
	}
	/* The flags read with the kind, a moment ago, are put back: another
	 * thread of the container that changes them during these few
	 * microseconds has its change undone (emulate.h). */
	flags = kind->file_flags;
	if (fcntl(socket, F_SETFL, flags | O_NONBLOCK) < 0) {
		*ret_result = -errno;
		return 0;
	}
	r = connect(socket, address, name->name_length);
	error = r < 0 ? errno : 0;
	if (error == EINPROGRESS) {
		r = connect(socket, address, name->name_length);
		error = r < 0 ? errno : 0;
		if (error == EISCONN)
			error = 0;
	}
	(void)fcntl(socket, F_SETFL, flags);
	if (error == EINPROGRESS || error == EALREADY)
		return 1;
	*ret_result = -error;
	return 0;
}

int64_t eg_emulate_connect_finish(int socket)
{
	struct sockaddr_storage peer;
	socklen_t length = sizeof(peer);
	int error = 0;

	if (get_int(socket, SO_ERROR, &error) < 0)
		return -EIO;
	if (error)
		return -error;
	/* __inet_stream_connect(): a socket that closed without an error
	 * reports ECONNABORTED. */
	if (getpeername(socket, (struct sockaddr *)&peer, &length) < 0)
		return -ECONNABORTED;
	return 0;
}

ssize_t eg_emulate_send_once(int socket, const struct eg_message *message, size_t offset,
                             uint32_t flags)
{
	int all_flags = (int)(flags | MSG_DONTWAIT | MSG_NOSIGNAL);
	const void *data = message->payload ? message->payload + offset : NULL;
	size_t length = message->length - offset;
	ssize_t sent;

	if (!message->control_length) {
		sent = sendto(socket, data, length, all_flags,
		              message->has_name ? (const struct sockaddr *)&message->name : NULL,
		              message->has_name ? message->name_length : 0);
	} else {
		struct iovec vector = {.iov_base = (void *)data, .iov_len = length};
		struct msghdr header = {
		    .msg_name = message->has_name ? (void *)&message->name : NULL,
		    .msg_namelen = message->has_name ? message->name_length : 0,
		    .msg_iov = &vector,
		    .msg_iovlen = 1,
		    .msg_control = message->control,
		    .msg_controllen = message->control_length,
		};
		sent = sendmsg(socket, &header, all_flags);
	}
	return sent < 0 ? -errno : sent;
}
