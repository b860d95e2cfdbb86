/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a send names and carries, read ONCE from the target into the
 * monitor's memory: the destination, the payload and the ancillary data of
 * sendto(), sendmsg() and each message of sendmmsg(), in the 64-bit or the
 * 32-bit (compat) layout.  An emulated send uses this copy and nothing else,
 * so a thread that rewrites its msghdr, its sockaddr or its iovecs after
 * the check changes nothing.
 *
 * The reads follow the kernel's own order and bounds (net/socket.c
 * __copy_msghdr, import_iovec, ____sys_sendmsg) and return the errno the
 * kernel would: a name length below 0 is -EINVAL, above 128 is cut to 128,
 * more than UIO_MAXIOV iovecs is -EMSGSIZE, an unreadable byte -EFAULT.
 *
 * Bounds of the copy: EG_MESSAGE_PAYLOAD_MAX bytes of payload per message
 * (an IP datagram cannot be larger; a stream send copies that much and
 * sends a shorter count, as a stream socket may), EG_MESSAGE_CONTROL_MAX
 * bytes of ancillary data.  Ancillary data is emulated only for the types
 * whose meaning does not depend on who sends them (no capability check of
 * the sender in the kernel): IP_TTL, IP_TOS, IP_PKTINFO, IPV6_PKTINFO,
 * IPV6_HOPLIMIT, IPV6_TCLASS, IPV6_DONTFRAG and UDP_SEGMENT.  Any other
 * type (SO_MARK and SO_PRIORITY check CAP_NET_ADMIN of the caller, which
 * the monitor has and the container may not; IP options and IPv6 extension
 * headers check CAP_NET_RAW; SCM_RIGHTS would need the target's fds), or
 * more than EG_MESSAGE_CONTROL_MAX bytes of it, sets `unsupported`: the
 * message is still read whole (its name is judged like any other), and the
 * caller refuses to emulate it.
 */
#ifndef ENTRYGUARD_MONITOR_MESSAGE_H
#define ENTRYGUARD_MONITOR_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "entryguard/classify.h"
#include "monitor/target.h"

#define EG_MESSAGE_PAYLOAD_MAX  65536u
/* Largest payload an IPv4 or IPv6 datagram can carry (the 16-bit length of
 * IP and UDP); the kernel refuses longer ones with EMSGSIZE. */
#define EG_MESSAGE_DATAGRAM_MAX 65535u
#define EG_MESSAGE_CONTROL_MAX  1024u
/* UIO_MAXIOV: the kernel's bound on iovecs per message. */
#define EG_MESSAGE_IOV_MAX      1024u
/* sizeof(struct sockaddr_storage): longer names are cut by the kernel. */
#define EG_MESSAGE_NAME_MAX     128u

struct eg_message {
	bool has_name; /* a name pointer was given (its length may be 0) */
	socklen_t name_length;
	struct sockaddr_storage name;
	uint8_t *payload; /* malloc'd; NULL when not read */
	size_t length;    /* bytes in payload */
	size_t requested; /* bytes the caller asked to send */
	bool faulted;     /* the payload stopped at an unreadable byte */
	uint8_t *control; /* native cmsgs, malloc'd; NULL: none */
	size_t control_length;
	bool unsupported;        /* ancillary data that cannot be emulated exactly */
	uint64_t length_address; /* sendmmsg: where the kernel writes msg_len */
};

void eg_message_clear(struct eg_message *message);

/* A name given by pointer and length (connect, sendto).  address 0 is no
 * name. */
int eg_message_read_name(const struct eg_target *target, uint64_t address, int64_t length,
                         struct eg_message *message);

/* The payload of sendto(): at most EG_MESSAGE_PAYLOAD_MAX bytes. */
int eg_message_read_buffer(const struct eg_target *target, uint64_t address, uint64_t length,
                           struct eg_message *message);

/* The msghdr at address: its name always, its payload and ancillary data
 * when with_payload. */
int eg_message_read_msghdr(const struct eg_target *target, uint64_t address, bool compat,
                           bool with_payload, struct eg_message *message);

/* Size of one entry of a sendmmsg vector, and where its msg_len lives. */
size_t eg_mmsghdr_size(bool compat);
size_t eg_mmsghdr_length_offset(bool compat);

/* The IP destination the kernel would send to or connect to with this name
 * on a socket of this domain (connecting: connect(); else a send), judged
 * conservatively: where the kernel would read an address, so do we
 * (AF_UNSPEC on an IPv4 socket's send is IPv4: udp_sendmsg and raw_sendmsg
 * read sin_addr).  Returns 1 with the address and port, 0 when the name
 * names no IP destination (none, AF_UNSPEC on IPv6 or in a connect, a
 * family the kernel will refuse, a length it will refuse). */
int eg_message_destination(const struct eg_message *message, int domain, bool connecting,
                           struct eg_address *ret_address, uint16_t *ret_port);

#endif
