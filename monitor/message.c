/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages read once from the target; see message.h. */
#include "monitor/message.h"

#include <errno.h>
#include <limits.h>
#include <linux/udp.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "entryguard/cleanup.h"
#include "monitor/kernel_abi.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* include/uapi/linux/udp.h, Linux 4.18 */
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif
/* include/linux/fs.h: the most one read or write moves (INT_MAX rounded
 * down to a page). */
#define MAX_RW_COUNT 0x7ffff000ull

void eg_message_clear(struct eg_message *message)
{
	free(message->payload);
	free(message->control);
	memset(message, 0, sizeof(*message));
}

int eg_message_read_name(const struct eg_target *target, uint64_t address, int64_t length,
                         struct eg_message *message)
{
	/* move_addr_to_kernel(): a negative or too long length is EINVAL, a
	 * zero length reads nothing. */
	if (address == 0)
		return 0;
	if (length < 0 || length > (int64_t)EG_MESSAGE_NAME_MAX)
		return -EINVAL;
	message->has_name = true;
	message->name_length = (socklen_t)length;
	memset(&message->name, 0, sizeof(message->name));
	return eg_target_read(target, address, &message->name, (size_t)length);
}

int eg_message_read_buffer(const struct eg_target *target, uint64_t address, uint64_t length,
                           struct eg_message *message)
{
	struct iovec remote = {.iov_base = (void *)(uintptr_t)address};
	ssize_t got;

	message->requested = length;
	message->length = length < EG_MESSAGE_PAYLOAD_MAX ? length : EG_MESSAGE_PAYLOAD_MAX;
	remote.iov_len = message->length;
	message->payload = malloc(message->length ? message->length : 1);
	if (!message->payload)
		return -ENOMEM;
	got = eg_target_gather(target, &remote, 1, message->payload, message->length);
	if (got < 0)
		return (int)got;
	message->faulted = (size_t)got != message->length;
	message->length = (size_t)got;
	return 0;
}

/* The three fields of a msghdr in either layout. */
struct header {
	uint64_t name, iov, control;
	int64_t name_length;
	uint64_t iov_count, control_length;
};

static int read_header(const struct eg_target *target, uint64_t address, bool compat,
                       struct header *ret)
{
	int r;

	if (compat) {
		struct eg_compat_msghdr header;
		r = eg_target_read(target, address, &header, sizeof(header));
		if (r < 0)
			return r;
		*ret =
		    (struct header){header.msg_name,    header.msg_iov,    header.msg_control,
		                    header.msg_namelen, header.msg_iovlen, header.msg_controllen};
	} else {
		struct msghdr header;
		r = eg_target_read(target, address, &header, sizeof(header));
		if (r < 0)
			return r;
		/* user_msghdr's msg_namelen is an int. */
		*ret = (struct header){(uintptr_t)header.msg_name,
		                       (uintptr_t)header.msg_iov,
		                       (uintptr_t)header.msg_control,
		                       (int32_t)header.msg_namelen,
		                       header.msg_iovlen,
		                       header.msg_controllen};
	}
	return 0;
}

/* The iovec array, widened to the monitor's layout, and checked as
 * import_iovec() does: a negative length is EINVAL. */
static int read_iovecs(const struct eg_target *target, uint64_t address, uint64_t count,
                       bool compat, struct iovec *ret_iovecs, uint64_t *ret_total)
{
	size_t entry = compat ? sizeof(struct eg_compat_iovec) : sizeof(struct iovec);
	_cleanup_free_ uint8_t *raw = malloc(count * entry + 1);
	uint64_t total = 0;
	int r;

	if (!raw)
		return -ENOMEM;
	r = eg_target_read(target, address, raw, count * entry);
	if (r < 0)
		return r;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t base, length;
		if (compat) {
			struct eg_compat_iovec vector;
			memcpy(&vector, raw + i * entry, sizeof(vector));
			base = vector.iov_base;
			length = vector.iov_len;
			if ((int32_t)vector.iov_len < 0)
				return -EINVAL;
		} else {
			struct iovec vector;
			memcpy(&vector, raw + i * entry, sizeof(vector));
			base = (uintptr_t)vector.iov_base;
			length = vector.iov_len;
			if ((int64_t)length < 0)
				return -EINVAL;
		}
		ret_iovecs[i] = (struct iovec){(void *)(uintptr_t)base, length};
		/* import_iovec() cuts the total at MAX_RW_COUNT. */
		total = length > MAX_RW_COUNT - total ? MAX_RW_COUNT : total + length;
	}
	*ret_total = total;
	return 0;
}

/* Gathers the first EG_MESSAGE_PAYLOAD_MAX bytes the iovecs describe. */
static int read_payload(const struct eg_target *target, struct iovec *iovecs, uint64_t count,
                        uint64_t total, struct eg_message *message)
{
	size_t wanted = total < EG_MESSAGE_PAYLOAD_MAX ? total : EG_MESSAGE_PAYLOAD_MAX;
	size_t used = 0, left = wanted;
	ssize_t got;

	/* Cut the list where the copy ends (the tail is not sent). */
	while (used < count && left > 0) {
		if (iovecs[used].iov_len > left)
			iovecs[used].iov_len = left;
		left -= iovecs[used].iov_len;
		used++;
	}
	message->requested = total;
	message->payload = malloc(wanted ? wanted : 1);
	if (!message->payload)
		return -ENOMEM;
	got = eg_target_gather(target, iovecs, used, message->payload, wanted);
	if (got < 0)
		return (int)got;
	message->faulted = (size_t)got != wanted;
	message->length = (size_t)got;
	return 0;
}

static bool control_allowed(int level, int type)
{
	switch (level) {
	case IPPROTO_IP:
		return type == IP_TTL || type == IP_TOS || type == IP_PKTINFO;
	case IPPROTO_IPV6:
		return type == IPV6_PKTINFO || type == IPV6_HOPLIMIT || type == IPV6_TCLASS ||
		       type == IPV6_DONTFRAG;
	case SOL_UDP:
		return type == UDP_SEGMENT;
	}
	return false;
}

/* Appends one cmsg in the monitor's layout. */
static int append_control(struct eg_message *message, size_t capacity, int level, int type,
                          const uint8_t *data, size_t length)
{
	struct cmsghdr header = {
	    .cmsg_len = CMSG_LEN(length), .cmsg_level = level, .cmsg_type = type};

	if (!control_allowed(level, type))
		return -EOPNOTSUPP;
	if (message->control_length + CMSG_SPACE(length) > capacity)
		return -EOPNOTSUPP;
	memcpy(message->control + message->control_length, &header, sizeof(header));
	memcpy(message->control + message->control_length + CMSG_LEN(0), data, length);
	message->control_length += CMSG_SPACE(length);
	return 0;
}

/* Walks the cmsgs as for_each_cmsghdr() does (CMSG_OK on each: a header
 * that does not fit is EINVAL; fewer bytes than a header end the list) and
 * rebuilds them natively; the compat layout is widened as
 * cmsghdr_from_user_compat_to_kern() does. */
static int convert_control(const uint8_t *raw, size_t length, bool compat,
                           struct eg_message *message)
{
	size_t header_size = compat ? sizeof(struct eg_compat_cmsghdr) : sizeof(struct cmsghdr);
	size_t capacity = 2 * EG_MESSAGE_CONTROL_MAX, offset = 0;

	message->control = calloc(1, capacity);
	if (!message->control)
		return -ENOMEM;
	while (length - offset >= header_size) {
		uint64_t item_length;
		int level, type, r;

		if (compat) {
			struct eg_compat_cmsghdr header;
			memcpy(&header, raw + offset, sizeof(header));
			item_length = header.cmsg_len;
			level = header.cmsg_level;
			type = header.cmsg_type;
		} else {
			struct cmsghdr header;
			memcpy(&header, raw + offset, sizeof(header));
			item_length = header.cmsg_len;
			level = header.cmsg_level;
			type = header.cmsg_type;
		}
		if (item_length < header_size || item_length > length - offset)
			return -EINVAL;
		r = append_control(message, capacity, level, type, raw + offset + header_size,
		                   item_length - header_size);
		if (r < 0)
			return r;
		offset += compat ? EG_COMPAT_CMSG_ALIGN(item_length) : CMSG_ALIGN(item_length);
		if (offset >= length)
			break;
	}
	return 0;
}

static int read_control(const struct eg_target *target, uint64_t address, uint64_t length,
                        bool compat, struct eg_message *message)
{
	uint8_t raw[EG_MESSAGE_CONTROL_MAX];
	int r;

	if (length == 0)
		return 0;
	if (length > INT_MAX)
		return -ENOBUFS; /* ____sys_sendmsg() */
	if (length > EG_MESSAGE_CONTROL_MAX) {
		message->unsupported = true;
		return 0;
	}
	r = eg_target_read(target, address, raw, length);
	if (r < 0)
		return r;
	r = convert_control(raw, length, compat, message);
	if (r == -EOPNOTSUPP) {
		/* Judged like any message; never sent. */
		message->unsupported = true;
		free(message->control);
		message->control = NULL;
		message->control_length = 0;
		return 0;
	}
	return r;
}

int eg_message_read_msghdr(const struct eg_target *target, uint64_t address, bool compat,
                           bool with_payload, struct eg_message *message)
{
	_cleanup_free_ struct iovec *iovecs = NULL;
	struct header header;
	uint64_t total = 0;
	int r;

	r = read_header(target, address, compat, &header);
	if (r < 0)
		return r;
	/* __copy_msghdr(): no pointer or no length is no name; a negative
	 * length is EINVAL; a longer one is cut. */
	if (header.name && header.name_length) {
		if (header.name_length < 0)
			return -EINVAL;
		r = eg_message_read_name(target, header.name,
		                         header.name_length > (int64_t)EG_MESSAGE_NAME_MAX
		                             ? (int64_t)EG_MESSAGE_NAME_MAX
		                             : header.name_length,
		                         message);
		if (r < 0)
			return r;
	}
	if (header.iov_count > EG_MESSAGE_IOV_MAX)
		return -EMSGSIZE;
	if (!with_payload)
		return 0;
	iovecs = calloc(header.iov_count + 1, sizeof(*iovecs));
	if (!iovecs)
		return -ENOMEM;
	if (header.iov_count > 0) {
		r = read_iovecs(target, header.iov, header.iov_count, compat, iovecs, &total);
		if (r < 0)
			return r;
	}
	/* ____sys_sendmsg() copies the ancillary data before the protocol
	 * copies the payload. */
	r = read_control(target, header.control, header.control_length, compat, message);
	if (r < 0)
		return r;
	return read_payload(target, iovecs, header.iov_count, total, message);
}

size_t eg_mmsghdr_size(bool compat)
{
	return compat ? sizeof(struct eg_compat_mmsghdr) : sizeof(struct mmsghdr);
}

size_t eg_mmsghdr_length_offset(bool compat)
{
	return compat ? offsetof(struct eg_compat_mmsghdr, msg_len)
	              : offsetof(struct mmsghdr, msg_len);
}

int eg_message_destination(const struct eg_message *message, int domain, bool connecting,
                           struct eg_address *ret_address, uint16_t *ret_port)
{
	struct sockaddr_storage name;
	sa_family_t family;

	if (!message->has_name || message->name_length < sizeof(family))
		return 0;
	memcpy(&name, &message->name, sizeof(name));
	memcpy(&family, &name, sizeof(family));
	/* udp_sendmsg() and raw_sendmsg() accept AF_UNSPEC as AF_INET and use
	 * sin_addr; only for an IPv6 socket (udpv6_sendmsg) and in a connect
	 * (a disconnect) does AF_UNSPEC name nothing. */
	if (family == AF_UNSPEC) {
		if (connecting || domain == AF_INET6)
			return 0;
		family = AF_INET;
		memcpy(&name, &family, sizeof(family));
	}
	if (family != AF_INET && family != AF_INET6)
		return 0;
	return eg_address_from_sockaddr((const struct sockaddr *)&name, message->name_length,
	                                ret_address, ret_port) == 0
	           ? 1
	           : 0;
}
