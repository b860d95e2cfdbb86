/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Performing an allowed socket call for the container, on the monitor's
 * pidfd_getfd() copy of its socket, with the monitor's own copy of
 * everything the call names and carries (message.h).  The kernel then never
 * reads the container's memory again for that call: a thread that rewrites
 * the sockaddr after the check rewrites bytes nobody reads.
 *
 * The copy is the same open file description as the container's descriptor,
 * so the socket's state, its namespace, its cgroup (and the BPF programs
 * attached there), its opener's credentials (which netfilter's owner match
 * and file-based capability checks use) are the container's.  What differs:
 * the caller is the monitor, so audit records and LSM hooks that look at the
 * calling task (not the socket) see the monitor.
 *
 * Nothing here blocks: a blocking connect is started non-blocking (O_NONBLOCK
 * is set on the shared open file description for the length of the
 * connect(2) call and put back at once: another thread of the container
 * that looks at the descriptor's flags, or does I/O on it, during those
 * microseconds sees it non-blocking) and finished when the socket becomes
 * writable; sends use MSG_DONTWAIT and are retried when writable.
 */
#ifndef ENTRYGUARD_MONITOR_EMULATE_H
#define ENTRYGUARD_MONITOR_EMULATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "entryguard/alert.h"
#include "monitor/message.h"

#ifndef AF_SMC
#define AF_SMC 43 /* include/linux/socket.h */
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

struct eg_socket_kind {
	int domain;
	int type;
	int protocol;
	/* Reaches IP addresses (AF_INET, AF_INET6; AF_SMC and AF_RDS take
	 * sockaddr_in/in6 and carry their traffic over IP too). */
	bool ip;
	bool stream; /* SOCK_STREAM */
	/* TCP (or MPTCP, SMC) or UDP (or UDP-Lite): the rule's attempts. */
	bool judged;
	enum eg_transport transport;
	/* An AF_INET or AF_INET6 socket that is neither of those (raw, ICMP
	 * "ping", SCTP...): its packets still go to the address it names. */
	bool other_ip;
	/* A raw socket whose packets carry the caller's own IP header
	 * (IPPROTO_RAW, IP_HDRINCL, IPV6_HDRINCL): the destination is in the
	 * payload, not (only) in the name. */
	bool header_included;
	bool blocking;  /* O_NONBLOCK clear on the open file */
	int file_flags; /* F_GETFL of the open file, as read */
};

/* -ENOTSOCK for a descriptor that is not a socket. */
int eg_socket_kind_read(int socket, struct eg_socket_kind *ret_kind);

/* SO_SNDTIMEO in nanoseconds, 0: none (read only for a call that must
 * wait: it bounds the wait). */
uint64_t eg_socket_send_timeout_ns(int socket);

/* SO_COOKIE, 0 when the kernel has none. */
uint64_t eg_socket_cookie(int socket);

/* connect(2) with the copied name.  Returns 0 and the syscall's result in
 * *ret_result (0 or a negative errno) when done, 1 when a blocking connect
 * is under way: wait for EPOLLOUT, then eg_emulate_connect_finish().  A
 * blocking stream connect that answers EINPROGRESS is asked once more at
 * once, still non-blocking, as the kernel's own blocking connect ends
 * (__inet_stream_connect(): 0 once the handshake is done, the socket's
 * error once it closed, EALREADY while it goes on): a loopback handshake
 * is usually done by then. */
int eg_emulate_connect_start(int socket, const struct eg_socket_kind *kind,
                             const struct eg_message *name, int64_t *ret_result);
/* The result a blocking connect would have returned (SO_ERROR, consumed as
 * the kernel's own wait consumes it). */
int64_t eg_emulate_connect_finish(int socket);

/* One non-blocking try at sending message->payload[offset..length) with the
 * copied name and ancillary data, and flags (MSG_DONTWAIT and MSG_NOSIGNAL
 * are added).  sendto() when there is no ancillary data, so that a name of
 * length 0 means what it meant to the caller; sendmsg() otherwise.  Returns
 * the bytes sent or a negative errno (-EAGAIN: would block). */
ssize_t eg_emulate_send_once(int socket, const struct eg_message *message, size_t offset,
                             uint32_t flags);

#endif
