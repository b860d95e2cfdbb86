/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sock_diag: the kernel's table of TCP and UDP sockets of one network
 * namespace (NETLINK_SOCK_DIAG, inet_diag_req_v2), and its multicast of
 * destroyed sockets (the SKNLGRP_*_DESTROY groups).
 *
 * A sock_diag socket answers for the network namespace it was CREATED in,
 * for its whole life, whatever namespace its user moves to later.  So the
 * monitor creates it inside the container's namespace with
 * eg_socket_in_netns() (or eg_sockdiag_open() with a netns path) and may
 * then go back to its own.
 *
 * Dumps: TCP (every state an outgoing connection can be in: SYN-SENT to
 * CLOSING and TIME-WAIT; never LISTEN, nor a server's request sockets) and
 * UDP (connected, ESTABLISHED, and unconnected, CLOSE) over IPv4 and IPv6.
 * No extension is asked for.  One request per (protocol, family), answered
 * into one receive buffer allocated at open: a dump allocates nothing.
 *
 * Trust: only the kernel (netlink port 0) is believed.  The dump socket is
 * connect()ed to the kernel, so the kernel refuses unicasts from other
 * sockets (a container root with CAP_NET_ADMIN in its netns could send
 * them); datagrams from any other sender are dropped and counted anyway.
 *
 * Measured on Linux 6.18 (tests/test_sockdiag.c proves each line):
 *  - A dump entry carries protocol, family, state, inode, uid (of the
 *    socket's creator, mapped into the opener's user namespace), source and
 *    destination address and port, and the socket cookie (unique for the
 *    boot, never reused: the key to follow one socket across dumps).
 *  - Destroy groups: subscribing works inside a network namespace, as root
 *    and also without any capability.  The kernel multicasts a socket when
 *    it is freed (sk_free, from a workqueue), so a TCP connect-then-close
 *    that no dump ever saw IS reported, with its destination address and
 *    port and its cookie; so is a connected UDP socket.  But the message has
 *    NO pid, NO uid (always 0) and NO inode (always 0): the socket has left
 *    its file by then.  State is CLOSE for TCP.  Latency: 30-70 us after
 *    close() when the first hop's neighbour is resolved; when it is not (a
 *    gateway that never answers ARP/ND), the SYN waiting on the neighbour
 *    holds the socket and the event comes ~3 s later, when resolution
 *    fails.  A TCP connect refused by a reset and then closed is reported
 *    with its destination address but port 0 (the kernel's disconnect after
 *    the error clears it).  Every subscriber makes every socket freed in
 *    that namespace build and queue a message: subscribe only while a
 *    window is open (eg_sockdiag_destroy_listener_subscribe(.., 0) stops).
 *
 * What this path CANNOT see (each verified by a test, "[t: name]"):
 *  1. connect() that fails at once with no socket state left: no route
 *     (ENETUNREACH, e.g. `--network none`) leaves the socket unhashed with
 *     no destination; no dump lists it and its destroy message has no
 *     destination.  [t: unreachable_connect_leaves_nothing]
 *  2. Unconnected UDP: sendto()/sendmsg()/sendmmsg() with a destination
 *     leave the destination in no socket: the dump shows the socket (state
 *     CLOSE, source port bound) with destination 0, and so does its destroy
 *     message.  [t: udp_sendto_has_no_destination]
 *  3. A socket created and closed between two dumps, without the destroy
 *     groups: no trace.  With them: destination, but no owner (pid), so the
 *     rule's parent join cannot be made from sock_diag alone.
 *     [t: destroy_event_reports_unseen_connect]
 *  4. A TCP connect refused (RST) is unhashed at once: it is absent from
 *     dumps even while its fd is still open.  [t: refused_connect_not_dumped]
 *  5. A completed TCP connection closed by the client first stays in the
 *     dump as TIME-WAIT with its destination, but inode 0 and uid 0: no
 *     owner.  [t: time_wait_has_no_owner]
 *  6. A UDP socket connected to A and then to B (or disconnected with
 *     AF_UNSPEC) between two dumps shows only its last destination.
 *     [t: udp_reconnect_shows_last_destination]
 *  7. Sockets of any other network namespace: a process that moves to
 *     another netns (setns/unshare, needs CAP_SYS_ADMIN there) is invisible
 *     to a socket opened in the container's.  [t: netns_opener_lands_in_target]
 *  8. Direction: a connection a server in the container ACCEPTED looks like
 *     an outgoing one (ESTABLISHED, destination = the remote client).  Ask
 *     for EG_SOCKDIAG_TCP_LISTENERS and treat a socket whose source port is
 *     a listener's as inbound.  [t: accepted_connection_looks_outgoing]
 *  9. Other protocols: raw and ICMP (ping) sockets, SCTP, UDP-Lite, are not
 *     asked for (by construction of the requests).
 * 10. Owners: the dump gives an inode, not a pid; socket_owner.h maps it
 *     through /proc/PID/fd, which fails for a process that exited or passed
 *     the fd on (SCM_RIGHTS) before the scan.
 */
#ifndef ENTRYGUARD_MONITOR_SOCKDIAG_H
#define ENTRYGUARD_MONITOR_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entryguard/classify.h"
#include "entryguard/cleanup.h"
#include "entryguard/error.h"

/* Which tables a dump reads and which destroy groups a listener joins. */
enum {
	EG_SOCKDIAG_TCP4 = 1u << 0,
	EG_SOCKDIAG_TCP6 = 1u << 1,
	EG_SOCKDIAG_UDP4 = 1u << 2,
	EG_SOCKDIAG_UDP6 = 1u << 3,
	EG_SOCKDIAG_ALL = 0xfu,
	/* Dumps only: TCP LISTEN sockets too (for limit 8 above). */
	EG_SOCKDIAG_TCP_LISTENERS = 1u << 4,
};

/* The kernel sends dump replies in datagrams of at most 32 KiB
 * (netlink_recvmsg caps its size hint at SKB_WITH_OVERHEAD(32768)), so one
 * buffer of this size receives any of them whole; destroy messages are
 * single messages of a few hundred bytes. */
#define EG_SOCKDIAG_BUFFER_SIZE                32768
/* Upper bound on max_sockets of one dump: a caller cannot make us deliver
 * more than this; a container with more sockets is reported truncated. */
#define EG_SOCKDIAG_MAX_SOCKETS                1000000u
/* One eg_sockdiag_destroy_listener_read() reads at most this many
 * datagrams, so a storm of closes cannot starve the monitor's other fds
 * (epoll is level-triggered and calls again). */
#define EG_SOCKDIAG_DESTROY_READ_MAX_DATAGRAMS 256

struct eg_socket_info {
	int protocol;   /* IPPROTO_TCP or IPPROTO_UDP */
	int family;     /* AF_INET or AF_INET6 (an AF_INET6 socket may hold
	                 * ::ffff:a.b.c.d addresses) */
	int state;      /* TCP_ESTABLISHED ... (netinet/tcp.h numbering); UDP:
	                 * TCP_ESTABLISHED when connected, else TCP_CLOSE */
	uint32_t inode; /* 0: no file (TIME-WAIT, destroy messages).  The kernel
	                 * sends 32 bits; sockfs numbers are unsigned int. */
	uint32_t uid;   /* 0 in destroy messages */
	uint64_t cookie;
	struct eg_address source;
	uint16_t source_port;
	struct eg_address destination; /* all zero: none */
	uint16_t destination_port;
};

/* Whether the socket names a peer: a destination address other than
 * 0.0.0.0 / ::, or a destination port. */
bool eg_socket_info_has_destination(const struct eg_socket_info *socket);
/* "SYN-SENT", "ESTABLISHED", ...; "UNKNOWN" otherwise. */
const char *eg_sockdiag_state_name(int state);

/* A return < 0 stops the delivery; the dump still reads the kernel's reply
 * to its end and returns that value. */
typedef int (*eg_sockdiag_socket_callback)(const struct eg_socket_info *socket, void *userdata);

/* --- network namespaces --------------------------------------------------- */

/* socket(domain, type | SOCK_CLOEXEC, protocol) created inside the network
 * namespace netns_fd refers to (an nsfs fd such as /proc/PID/ns/net, or a
 * pidfd): setns() of the CALLING THREAD there, socket(), setns() back to the
 * thread's original namespace.  Every path restores the original namespace;
 * if restoring itself fails (it cannot, short of a kernel bug, since we
 * hold its fd), the socket is closed and -ENOTRECOVERABLE tells the caller
 * that this thread is stranded.  Needs CAP_SYS_ADMIN over both
 * namespaces.  The socket belongs to the target namespace for life. */
int eg_socket_in_netns_fd(int netns_fd, int domain, int type, int protocol, int *ret_fd,
                          struct eg_error *err);
/* As above with a path: "/proc/PID/ns/net", "/run/netns/NAME". */
int eg_socket_in_netns(const char *netns_path, int domain, int type, int protocol, int *ret_fd,
                       struct eg_error *err);

/* --- dumps ---------------------------------------------------------------- */

struct eg_sockdiag;

struct eg_sockdiag_dump_stats {
	uint32_t delivered;         /* sockets passed to the callback */
	uint32_t received;          /* socket messages read (>= delivered) */
	bool truncated;             /* max_sockets was reached: tables unread */
	uint32_t foreign_datagrams; /* not from the kernel: dropped */
	uint32_t stale_messages;    /* another request's sequence: dropped */
};

/* Opens a dump socket in the network namespace at netns_path (NULL: the
 * calling thread's own). */
int eg_sockdiag_open(const char *netns_path, struct eg_sockdiag **ret_diag, struct eg_error *err);
/* Takes ownership of fd, a NETLINK_SOCK_DIAG socket (closed on failure). */
int eg_sockdiag_open_fd(int fd, struct eg_sockdiag **ret_diag, struct eg_error *err);
void eg_sockdiag_free(struct eg_sockdiag *diag);
EG_DEFINE_CLEANUP(struct eg_sockdiag *, eg_sockdiag_free)

/* Dumps the tables in `tables` (EG_SOCKDIAG_* bits), calling callback for
 * each socket, at most max_sockets (1..EG_SOCKDIAG_MAX_SOCKETS) in all;
 * beyond, the dump stops and ret_stats->truncated is set.  Blocking (the
 * kernel answers at once).  Returns the number delivered, or a negative
 * errno: the kernel's (NLMSG_ERROR), -EBADMSG for a malformed reply, the
 * callback's.  ret_stats (may be NULL) is filled in every case. */
int eg_sockdiag_dump(struct eg_sockdiag *diag, unsigned tables, uint32_t max_sockets,
                     eg_sockdiag_socket_callback callback, void *userdata,
                     struct eg_sockdiag_dump_stats *ret_stats, struct eg_error *err);

/* --- decoding (unit-testable without a kernel) ----------------------------- */

struct eg_sockdiag_decoder {
	/* Set by the caller: */
	bool multicast;    /* destroy messages: any sequence, no DONE */
	uint32_t sequence; /* dumps: the request's nlmsg_seq */
	int protocol;      /* dumps: the request's; destroy messages carry it */
	uint32_t max_sockets;
	eg_sockdiag_socket_callback callback;
	void *userdata;
	/* Kept by the decoder: */
	bool done;           /* NLMSG_DONE or NLMSG_ERROR seen */
	int callback_result; /* the first negative callback return, else 0 */
	struct eg_sockdiag_dump_stats stats;
};

/* Decodes one datagram.  Returns 1 when the reply ended (NLMSG_DONE; for
 * multicast, always after the datagram), 0 when more is to come, and a
 * negative errno: the kernel's error (NLMSG_ERROR, or NLMSG_DONE with an
 * error), -EBADMSG for anything malformed (lengths, a short message, an
 * unknown family or protocol, a broken attribute), with err naming it. */
int eg_sockdiag_decode(struct eg_sockdiag_decoder *decoder, const void *datagram, size_t length,
                       struct eg_error *err);

/* --- destroy groups -------------------------------------------------------- */

struct eg_sockdiag_destroy_listener;

struct eg_sockdiag_destroy_stats {
	uint32_t delivered;
	uint32_t overflows;         /* ENOBUFS: the kernel dropped messages */
	uint32_t foreign_datagrams; /* not from the kernel: dropped */
	bool more;                  /* stopped at the datagram limit */
};

/* A non-blocking socket in the namespace at netns_path (NULL: own),
 * subscribed to the destroy groups of `tables`. */
int eg_sockdiag_destroy_listener_open(const char *netns_path, unsigned tables,
                                      struct eg_sockdiag_destroy_listener **ret_listener,
                                      struct eg_error *err);
void eg_sockdiag_destroy_listener_free(struct eg_sockdiag_destroy_listener *listener);
EG_DEFINE_CLEANUP(struct eg_sockdiag_destroy_listener *, eg_sockdiag_destroy_listener_free)
/* For epoll (EPOLLIN). */
int eg_sockdiag_destroy_listener_fd(const struct eg_sockdiag_destroy_listener *listener);
/* Makes the subscription exactly `tables` (0: none, the socket stays open
 * and costs the namespace nothing). */
int eg_sockdiag_destroy_listener_subscribe(struct eg_sockdiag_destroy_listener *listener,
                                           unsigned tables, struct eg_error *err);
/* Reads what is queued without blocking and calls callback per destroyed
 * socket (inode, uid: 0).  An overflow (-ENOBUFS from the kernel: messages
 * were lost) is counted, not returned: the caller should dump.  Returns the
 * number delivered or a negative errno. */
int eg_sockdiag_destroy_listener_read(struct eg_sockdiag_destroy_listener *listener,
                                      eg_sockdiag_socket_callback callback, void *userdata,
                                      struct eg_sockdiag_destroy_stats *ret_stats,
                                      struct eg_error *err);

#endif
