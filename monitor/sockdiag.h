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
 * CLOSING and TIME-WAIT; never LISTEN unless asked, nor a server's request
 * sockets) and UDP (connected, ESTABLISHED, and unconnected, CLOSE) over
 * IPv4 and IPv6.  No extension is asked for.  Replies land in one receive
 * buffer allocated at open: a dump allocates nothing.
 *
 * Cost (bench/bench_sockdiag.c, this machine): a TCP dump walks every
 * bucket of the TCP established hash, which all network namespaces share
 * (262,144 buckets here) unless the namespace was created while
 * net.ipv4.tcp_child_ehash_entries was set in its creator's namespace.
 * So a dump of all four tables costs ~0.95 ms even for an empty namespace
 * (with 400 sockets: ~1.05 ms), against ~25 us (400 sockets: ~80 us) with
 * a hash of its own; UDP tables cost ~10 us.  To walk once instead of
 * twice, TCP over both families is asked with the legacy request
 * TCPDIAG_GETSOCK, which the kernel dumps with family AF_UNSPEC (two v2
 * requests: ~2.2 ms).  Dump only while a window is open.
 *
 * Trust: only the kernel (netlink port 0) is believed.  The dump socket is
 * connect()ed to the kernel, so the kernel refuses unicasts from other
 * sockets (a container root with CAP_NET_ADMIN in its netns could send
 * them); datagrams from any other sender are dropped and counted anyway.
 *
 * Measured on Linux 6.18.  "[t: name]" names the test that proves a line
 * (tests/test_sockdiag.c, tests/test_sockdiag_destroy.c); latencies come
 * from experiments in the same namespaces.
 *  - A dump entry carries protocol, family, state, inode, uid (of the
 *    socket's creator, mapped into the opener's user namespace), source and
 *    destination address and port, and the socket cookie (SO_COOKIE: unique
 *    for the boot, the key to follow one socket across dumps and into its
 *    destroy message).  [t: loopback_tcp4_client]
 *  - Destroy groups: subscribing works inside a network namespace, as root
 *    and without any capability.  [t: destroy_groups_need_no_privilege]
 *    The kernel multicasts a socket when it is freed (sk_free, message
 *    built in a workqueue), so a TCP or connected-UDP connect-then-close
 *    that no dump ever saw IS reported, with destination address, port and
 *    cookie; but with NO pid, NO uid (0) and NO inode (0): the socket has
 *    left its file by then.  State is CLOSE for TCP.
 *    [t: destroy_event_reports_unseen_connect]  A TCP connect refused by a
 *    reset, then closed, is reported with its destination address but
 *    port 0.  [t: destroy_event_sendto_and_refused]
 *  - Latency of a destroy message: 30-70 us after close() when the first
 *    hop's neighbour is resolved; when it is not (a gateway that never
 *    answers ARP/ND, as in TESTBED.md's sinkhole), the SYN queued on the
 *    neighbour holds the socket, and the message comes ~3.05 s later, when
 *    resolution fails.
 *  - Every subscriber makes every socket freed in the namespace build and
 *    queue a message; a storm can overflow the listener (counted, as
 *    ENOBUFS: dump then).  Subscribe only while a window is open
 *    (eg_sockdiag_destroy_listener_subscribe(listener, 0) stops it).
 *    [t: destroy_listener_unsubscribe_and_spoof]
 *
 * What this path CANNOT see (each verified by a test, "[t: name]"):
 *  1. connect() that fails at once: no route (ENETUNREACH, as under
 *     `--network none`) leaves a TCP socket unhashed, in no dump; a UDP
 *     socket is in the dump (connect() bound it) with no destination.  Its
 *     destroy message has no destination either, except TCP over IPv6,
 *     which keeps the address (port 0).  [t: unreachable_connect_leaves_nothing]
 *  2. Unconnected UDP: sendto()/sendmsg()/sendmmsg() with a destination
 *     leave the destination in no socket: the dump shows the socket (state
 *     CLOSE, source port bound) with destination 0, and so does its destroy
 *     message.  [t: udp_sendto_has_no_destination, destroy_event_sendto_and_refused]
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
 *  9. Other protocols: raw and ICMP (ping) sockets, SCTP, UDP-Lite, MPTCP
 *     are not asked for (by construction of the requests; no test).
 * 10. Owners: the dump gives an inode, not a pid; socket_owner.h maps it
 *     through /proc/PID/fd, which fails for a process that exited, or closed
 *     or passed on the fd (SCM_RIGHTS), before the scan.
 *     [t: test_socket_owner.c real_proc_and_vanished_process]
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
/* Receive buffer of a destroy listener: a message costs ~768 bytes of skb
 * truesize, so the default (~208 KiB) holds ~270 and overflowed here under
 * a storm of ~350,000 closes/s; 2 MiB holds ~2,700, about 8 ms of such a
 * storm, while the monitor is busy elsewhere.  SO_RCVBUFFORCE when allowed,
 * else SO_RCVBUF, which the kernel caps at net.core.rmem_max. */
#define EG_SOCKDIAG_DESTROY_RECEIVE_BUFFER     (2 * 1024 * 1024)

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
 * beyond, the dump stops and ret_stats->truncated is set (the rest of the
 * current table's reply is still read, and dropped).  Never blocks: the
 * kernel builds each part of a reply in the call that reads the previous
 * one.  Returns the number delivered, or a negative errno: the kernel's
 * (NLMSG_ERROR), -EBADMSG for a malformed reply, the callback's.
 * ret_stats (may be NULL) is filled in every case.  After -ENOBUFS or
 * -EBUSY (the kernel could not allocate the next part: its dump stays
 * "running" with nothing queued, and refuses new ones), free the object
 * and open a new one. */
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
