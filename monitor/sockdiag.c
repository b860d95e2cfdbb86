/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sock_diag dumps and destroy groups; see sockdiag.h for what they show. */
#include "monitor/sockdiag.h"

#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entryguard/rundir.h"

/* The thread's own namespace, not the process's: setns() acts per thread. */
#define OWN_NETNS_PATH "/proc/thread-self/ns/net"

#define STATE_BIT(state) (1u << (state))
/* Every state a connect()ing TCP socket can be dumped in.  Not CLOSE (an
 * unhashed socket is in no table the kernel walks), not SYN-RECV (asking
 * for it also brings the request sockets of inbound connections, and a
 * simultaneous open is vanishingly rare), not LISTEN unless asked for. */
#define TCP_OUTGOING_STATES                                                                \
	(STATE_BIT(TCP_ESTABLISHED) | STATE_BIT(TCP_SYN_SENT) | STATE_BIT(TCP_FIN_WAIT1) | \
	 STATE_BIT(TCP_FIN_WAIT2) | STATE_BIT(TCP_TIME_WAIT) | STATE_BIT(TCP_CLOSE_WAIT) | \
	 STATE_BIT(TCP_LAST_ACK) | STATE_BIT(TCP_CLOSING))
/* UDP uses two TCP state numbers: ESTABLISHED once connect()ed, CLOSE for
 * a bound, unconnected socket (the one sendto() autobinds). */
#define UDP_STATES (STATE_BIT(TCP_ESTABLISHED) | STATE_BIT(TCP_CLOSE))

struct eg_sockdiag {
	int fd;
	uint32_t sequence;
	uint8_t buffer[EG_SOCKDIAG_BUFFER_SIZE];
};

struct eg_sockdiag_destroy_listener {
	int fd;
	unsigned subscribed;
	uint8_t buffer[EG_SOCKDIAG_BUFFER_SIZE];
};

/* The four tables, in dump order, with their destroy group. */
static const struct table {
	unsigned bit;
	int family;
	int protocol;
	unsigned group;
} tables[] = {
    {EG_SOCKDIAG_TCP4, AF_INET, IPPROTO_TCP, SKNLGRP_INET_TCP_DESTROY},
    {EG_SOCKDIAG_TCP6, AF_INET6, IPPROTO_TCP, SKNLGRP_INET6_TCP_DESTROY},
    {EG_SOCKDIAG_UDP4, AF_INET, IPPROTO_UDP, SKNLGRP_INET_UDP_DESTROY},
    {EG_SOCKDIAG_UDP6, AF_INET6, IPPROTO_UDP, SKNLGRP_INET6_UDP_DESTROY},
};
#define TABLE_COUNT (sizeof(tables) / sizeof(tables[0]))
#define TCP_BOTH    (EG_SOCKDIAG_TCP4 | EG_SOCKDIAG_TCP6)

/* A TCP dump walks every bucket of the established hash, which network
 * namespaces share unless net.ipv4.tcp_child_ehash_entries gave theirs
 * one of its own (262,144 buckets here: ~1.1 ms per walk, the sockets
 * hardly count).  The legacy request TCPDIAG_GETSOCK (inet_diag_req, still
 * served by inet_diag for old tools) dumps with family AF_UNSPEC, so one
 * walk returns both families: used whenever both are asked for. */
static const struct table tcp_both_families = {TCP_BOTH, AF_UNSPEC, IPPROTO_TCP, 0};

bool eg_socket_info_has_destination(const struct eg_socket_info *socket)
{
	static const uint8_t zero[16];

	return socket->destination_port != 0 ||
	       memcmp(socket->destination.bytes, zero, sizeof(zero)) != 0;
}

const char *eg_sockdiag_state_name(int state)
{
	static const char *const names[] = {
	    [TCP_ESTABLISHED] = "ESTABLISHED",
	    [TCP_SYN_SENT] = "SYN-SENT",
	    [TCP_SYN_RECV] = "SYN-RECV",
	    [TCP_FIN_WAIT1] = "FIN-WAIT-1",
	    [TCP_FIN_WAIT2] = "FIN-WAIT-2",
	    [TCP_TIME_WAIT] = "TIME-WAIT",
	    [TCP_CLOSE] = "CLOSE",
	    [TCP_CLOSE_WAIT] = "CLOSE-WAIT",
	    [TCP_LAST_ACK] = "LAST-ACK",
	    [TCP_LISTEN] = "LISTEN",
	    [TCP_CLOSING] = "CLOSING",
	};

	if (state <= 0 || (size_t)state >= sizeof(names) / sizeof(names[0]) || !names[state])
		return "UNKNOWN";
	return names[state];
}

/* --- network namespaces --------------------------------------------------- */

/* Root in a user namespace (rootless Podman's hooks) may enter the
 * container's network namespace, which its user namespace owns, but not
 * return to the host's, which it does not: a child enters, makes the
 * socket and hands it back over a socket pair (SCM_RIGHTS), and exits. */
static int socket_from_child(int netns_fd, int domain, int type, int protocol, int *ret_fd,
                             struct eg_error *err)
{
	_cleanup_close_ int parent_end = -1, child_end = -1;
	char control[CMSG_SPACE(sizeof(int))] = {0};
	int pair[2], code = 0, fd = -1;
	struct iovec vector = {.iov_base = &code, .iov_len = sizeof(code)};
	struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1};
	struct cmsghdr *header;
	ssize_t n;
	pid_t child;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return eg_error_set_errno(err, errno, "socketpair");
	parent_end = pair[0];
	child_end = pair[1];
	child = fork();
	if (child < 0)
		return eg_error_set_errno(err, errno, "fork");
	if (child == 0) {
		if (setns(netns_fd, CLONE_NEWNET) < 0 ||
		    (fd = socket(domain, type | SOCK_CLOEXEC, protocol)) < 0)
			code = errno;
		if (fd >= 0) {
			message.msg_control = control;
			message.msg_controllen = sizeof(control);
			header = CMSG_FIRSTHDR(&message);
			header->cmsg_level = SOL_SOCKET;
			header->cmsg_type = SCM_RIGHTS;
			header->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(header), &fd, sizeof(int));
		}
		_exit(sendmsg(child_end, &message, MSG_NOSIGNAL) < 0);
	}
	close(steal_fd(&child_end)); /* a dead child then reads as end of file */
	message.msg_control = control;
	message.msg_controllen = sizeof(control);
	while ((n = recvmsg(parent_end, &message, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(code))
		return eg_error_set(err, EPROTO, "the namespace helper said nothing");
	header = CMSG_FIRSTHDR(&message);
	if (header && header->cmsg_type == SCM_RIGHTS && header->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(header), sizeof(int));
	if (fd < 0)
		return eg_error_set_errno(err, code ? code : EPROTO,
		                          "cannot create a socket in the network namespace");
	*ret_fd = fd;
	return 0;
}

int eg_socket_in_netns_fd(int netns_fd, int domain, int type, int protocol, int *ret_fd,
                          struct eg_error *err)
{
	_cleanup_close_ int original = -1;
	int fd, socket_errno;

	if (eg_is_rootless())
		return socket_from_child(netns_fd, domain, type, protocol, ret_fd, err);
	original = open(OWN_NETNS_PATH, O_RDONLY | O_CLOEXEC);
	if (original < 0)
		return eg_error_set_errno(err, errno, "cannot open %s", OWN_NETNS_PATH);
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return eg_error_set_errno(err, errno, "cannot enter the network namespace");

	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	socket_errno = errno;

	if (setns(original, CLONE_NEWNET) < 0) {
		int setns_errno = errno;
		if (fd >= 0)
			close(fd);
		return eg_error_set(err, ENOTRECOVERABLE,
		                    "cannot return to the original network namespace: %s",
		                    strerror(setns_errno));
	}
	if (fd < 0)
		return eg_error_set_errno(err, socket_errno,
		                          "cannot create a socket in the network namespace");
	*ret_fd = fd;
	return 0;
}

int eg_socket_in_netns(const char *netns_path, int domain, int type, int protocol, int *ret_fd,
                       struct eg_error *err)
{
	_cleanup_close_ int netns_fd = -1;
	int r;

	netns_fd = open(netns_path, O_RDONLY | O_CLOEXEC);
	if (netns_fd < 0)
		return eg_error_set_errno(err, errno, "cannot open %s", netns_path);
	r = eg_socket_in_netns_fd(netns_fd, domain, type, protocol, ret_fd, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", netns_path);
	return 0;
}

static int open_diag_socket(const char *netns_path, int *ret_fd, struct eg_error *err)
{
	int type = SOCK_RAW | SOCK_NONBLOCK, fd;

	if (netns_path)
		return eg_socket_in_netns(netns_path, AF_NETLINK, type, NETLINK_SOCK_DIAG, ret_fd,
		                          err);
	fd = socket(AF_NETLINK, type | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return eg_error_set_errno(err, errno, "cannot create a NETLINK_SOCK_DIAG socket");
	*ret_fd = fd;
	return 0;
}

/* --- decoding ------------------------------------------------------------- */

static void copy_address(struct eg_address *address, int family, const __be32 words[4])
{
	memset(address, 0, sizeof(*address));
	address->family = family;
	memcpy(address->bytes, words, family == AF_INET ? 4 : 16);
}

/* Finds INET_DIAG_PROTOCOL among the attributes after the message: 1 and
 * the protocol, 0 when absent, -EBADMSG for a broken attribute list. */
static int find_protocol_attribute(const uint8_t *attributes, size_t length, int *ret_protocol)
{
	int found = 0;

	while (length >= NLA_HDRLEN) {
		const struct nlattr *attribute = (const void *)attributes;
		size_t aligned;

		if (attribute->nla_len < NLA_HDRLEN || attribute->nla_len > length)
			return -EBADMSG;
		if ((attribute->nla_type & NLA_TYPE_MASK) == INET_DIAG_PROTOCOL) {
			if (attribute->nla_len < NLA_HDRLEN + 1)
				return -EBADMSG;
			*ret_protocol = attributes[NLA_HDRLEN];
			found = 1;
		}
		aligned = NLA_ALIGN(attribute->nla_len);
		if (aligned >= length)
			break;
		attributes += aligned;
		length -= aligned;
	}
	return found;
}

static int parse_socket(const struct eg_sockdiag_decoder *decoder, const struct nlmsghdr *header,
                        struct eg_socket_info *ret_socket, struct eg_error *err)
{
	const struct inet_diag_msg *message = NLMSG_DATA(header);
	size_t attributes_length;
	int protocol = decoder->protocol, attribute_protocol = 0, r;

	if (header->nlmsg_len < NLMSG_LENGTH(sizeof(*message)))
		return eg_error_set(err, EBADMSG, "sock_diag: socket message of %u bytes, need %zu",
		                    header->nlmsg_len, (size_t)NLMSG_LENGTH(sizeof(*message)));
	if (message->idiag_family != AF_INET && message->idiag_family != AF_INET6)
		return eg_error_set(err, EBADMSG, "sock_diag: socket of family %u",
		                    message->idiag_family);

	attributes_length = header->nlmsg_len - NLMSG_SPACE(sizeof(*message));
	if (header->nlmsg_len < NLMSG_SPACE(sizeof(*message)))
		attributes_length = 0;
	r = find_protocol_attribute((const uint8_t *)header + NLMSG_SPACE(sizeof(*message)),
	                            attributes_length, &attribute_protocol);
	if (r < 0)
		return eg_error_set(err, EBADMSG, "sock_diag: malformed attribute");
	if (r > 0) {
		if (protocol != 0 && attribute_protocol != protocol)
			return eg_error_set(err, EBADMSG, "sock_diag: protocol %d in a dump of %d",
			                    attribute_protocol, protocol);
		protocol = attribute_protocol;
	}
	if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP)
		return eg_error_set(err, EBADMSG, "sock_diag: socket of protocol %d", protocol);

	memset(ret_socket, 0, sizeof(*ret_socket));
	ret_socket->protocol = protocol;
	ret_socket->family = message->idiag_family;
	ret_socket->state = message->idiag_state;
	ret_socket->inode = message->idiag_inode;
	ret_socket->uid = message->idiag_uid;
	ret_socket->cookie =
	    (uint64_t)message->id.idiag_cookie[1] << 32 | message->id.idiag_cookie[0];
	copy_address(&ret_socket->source, message->idiag_family, message->id.idiag_src);
	copy_address(&ret_socket->destination, message->idiag_family, message->id.idiag_dst);
	ret_socket->source_port = ntohs(message->id.idiag_sport);
	ret_socket->destination_port = ntohs(message->id.idiag_dport);
	return 0;
}

static int deliver_socket(struct eg_sockdiag_decoder *decoder, const struct nlmsghdr *header,
                          struct eg_error *err)
{
	struct eg_socket_info socket;
	int r;

	r = parse_socket(decoder, header, &socket, err);
	if (r < 0)
		return r;
	decoder->stats.received++;
	if (decoder->callback_result < 0)
		return 0;
	if (decoder->stats.delivered >= decoder->max_sockets) {
		decoder->stats.truncated = true;
		return 0;
	}
	decoder->stats.delivered++;
	r = decoder->callback(&socket, decoder->userdata);
	if (r < 0)
		decoder->callback_result = r;
	return 0;
}

/* NLMSG_ERROR ends a dump: the kernel's error (an ack, 0, should not come
 * since we never ask for one, and ends it as well). */
static int decode_error(struct eg_sockdiag_decoder *decoder, const struct nlmsghdr *header,
                        struct eg_error *err)
{
	const struct nlmsgerr *error = NLMSG_DATA(header);

	decoder->done = true;
	if (header->nlmsg_len < NLMSG_LENGTH(sizeof(error->error)))
		return eg_error_set(err, EBADMSG, "sock_diag: truncated NLMSG_ERROR");
	if (error->error > 0)
		return eg_error_set(err, EBADMSG, "sock_diag: NLMSG_ERROR with positive code %d",
		                    error->error);
	if (error->error < 0)
		return eg_error_set_errno(err, -error->error, "sock_diag: the kernel refused");
	return 1;
}

/* NLMSG_DONE may carry the dump's final error as an int. */
static int decode_done(struct eg_sockdiag_decoder *decoder, const struct nlmsghdr *header,
                       struct eg_error *err)
{
	int code = 0;

	decoder->done = true;
	if (header->nlmsg_len >= NLMSG_LENGTH(sizeof(code)))
		memcpy(&code, NLMSG_DATA(header), sizeof(code));
	if (code < 0)
		return eg_error_set_errno(err, -code, "sock_diag: the dump failed");
	return 1;
}

static int decode_message(struct eg_sockdiag_decoder *decoder, const struct nlmsghdr *header,
                          struct eg_error *err)
{
	if (!decoder->multicast && header->nlmsg_seq != decoder->sequence) {
		decoder->stats.stale_messages++;
		return 0;
	}
	switch (header->nlmsg_type) {
	case NLMSG_NOOP:
		return 0;
	case NLMSG_ERROR:
		return decode_error(decoder, header, err);
	case NLMSG_DONE:
		return decoder->multicast ? 0 : decode_done(decoder, header, err);
	case TCPDIAG_GETSOCK: /* the legacy request's replies */
		if (decoder->multicast || decoder->protocol != IPPROTO_TCP)
			break;
		return deliver_socket(decoder, header, err);
	case SOCK_DIAG_BY_FAMILY:
		return deliver_socket(decoder, header, err);
	default:
		break;
	}
	return eg_error_set(err, EBADMSG, "sock_diag: unexpected message type %u",
	                    header->nlmsg_type);
}

int eg_sockdiag_decode(struct eg_sockdiag_decoder *decoder, const void *datagram, size_t length,
                       struct eg_error *err)
{
	const uint8_t *cursor = datagram;

	if (!decoder->callback || decoder->max_sockets == 0)
		return eg_error_set(err, EINVAL, "sock_diag: decoder without callback or limit");
	while (length > 0) {
		const struct nlmsghdr *header = (const void *)cursor;
		size_t aligned;
		int r;

		if (length < sizeof(*header) || header->nlmsg_len < sizeof(*header) ||
		    header->nlmsg_len > length)
			return eg_error_set(
			    err, EBADMSG, "sock_diag: message length %u in %zu bytes left",
			    length < sizeof(*header) ? 0 : header->nlmsg_len, length);
		r = decode_message(decoder, header, err);
		if (r != 0)
			return r;
		aligned = NLMSG_ALIGN(header->nlmsg_len);
		if (aligned >= length)
			break;
		cursor += aligned;
		length -= aligned;
	}
	return decoder->multicast ? 1 : 0;
}

/* --- receiving ------------------------------------------------------------ */

/* Reads one datagram without blocking: its length, -EAGAIN when none is
 * queued, 0 when it came from another sender than the kernel (dropped and
 * counted), or a negative errno.  A datagram larger than the buffer is
 * -EMSGSIZE: its tail is lost. */
static ssize_t receive_datagram(int fd, uint8_t *buffer, uint32_t *foreign_datagrams)
{
	struct sockaddr_nl sender;
	struct iovec vector = {.iov_base = buffer, .iov_len = EG_SOCKDIAG_BUFFER_SIZE};
	struct msghdr message = {
	    .msg_name = &sender,
	    .msg_namelen = sizeof(sender),
	    .msg_iov = &vector,
	    .msg_iovlen = 1,
	};
	ssize_t length;

	do {
		length = recvmsg(fd, &message, MSG_DONTWAIT | MSG_TRUNC);
	} while (length < 0 && errno == EINTR);
	if (length < 0)
		return -errno;
	if (message.msg_flags & MSG_TRUNC || length > EG_SOCKDIAG_BUFFER_SIZE)
		return -EMSGSIZE;
	if (message.msg_namelen < sizeof(sender) || sender.nl_pid != 0) {
		(*foreign_datagrams)++;
		return 0;
	}
	return length;
}

static int send_request(struct eg_sockdiag *diag, const struct table *table, unsigned states,
                        struct eg_error *err)
{
	struct {
		struct nlmsghdr header;
		union {
			struct inet_diag_req_v2 request;
			struct inet_diag_req legacy;
		};
	} message = {
	    .header =
	        {
	            .nlmsg_len = NLMSG_LENGTH(sizeof(struct inet_diag_req_v2)),
	            .nlmsg_type = SOCK_DIAG_BY_FAMILY,
	            .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
	            .nlmsg_seq = ++diag->sequence,
	        },
	};
	ssize_t sent;

	if (table->family == AF_UNSPEC) {
		message.header.nlmsg_len = NLMSG_LENGTH(sizeof(message.legacy));
		message.header.nlmsg_type = TCPDIAG_GETSOCK;
		message.legacy.idiag_family = AF_INET; /* the kernel dumps AF_UNSPEC */
		message.legacy.idiag_states = states;
	} else {
		message.request.sdiag_family = (uint8_t)table->family;
		message.request.sdiag_protocol = (uint8_t)table->protocol;
		message.request.idiag_states = states;
	}
	do {
		sent = send(diag->fd, &message, message.header.nlmsg_len, 0);
	} while (sent < 0 && errno == EINTR);
	if (sent < 0)
		return eg_error_set_errno(err, errno, "sock_diag: cannot send a dump request");
	if ((size_t)sent != message.header.nlmsg_len)
		return eg_error_set(err, EIO, "sock_diag: short send of a dump request");
	return 0;
}

/* Reads one table's reply to its end.  While a dump runs the kernel always
 * has its next part queued (netlink_dump() runs in the request's send()
 * and again in every recvmsg() before it returns), so reads never block,
 * and nothing queued before NLMSG_DONE means the reply is broken.  After an
 * error the rest is read and dropped, so the socket is ready for the next
 * dump (the kernel refuses a new dump while one is running: EBUSY). */
static int read_reply(struct eg_sockdiag *diag, struct eg_sockdiag_decoder *decoder,
                      struct eg_error *err)
{
	int first_error = 0;

	decoder->done = false;
	for (;;) {
		ssize_t length =
		    receive_datagram(diag->fd, diag->buffer, &decoder->stats.foreign_datagrams);
		int r;

		if (length == 0)
			continue;
		if (length == -EAGAIN) {
			if (first_error == 0)
				first_error = eg_error_set(
				    err, EBADMSG, "sock_diag: the reply ended without NLMSG_DONE");
			return first_error;
		}
		if (length < 0) {
			if (first_error == 0)
				first_error = eg_error_set_errno(
				    err, (int)-length, "sock_diag: cannot read the reply");
			if (length == -EMSGSIZE)
				continue;
			return first_error;
		}
		if (first_error < 0)
			continue;
		r = eg_sockdiag_decode(decoder, diag->buffer, (size_t)length, err);
		if (r > 0 || (r < 0 && decoder->done))
			return r < 0 ? r : 0;
		if (r < 0)
			first_error = r;
	}
}

/* --- dumps ---------------------------------------------------------------- */

int eg_sockdiag_open_fd(int fd, struct eg_sockdiag **ret_diag, struct eg_error *err)
{
	_cleanup_close_ int owned_fd = fd;
	_cleanup_free_ struct eg_sockdiag *diag = NULL;
	/* The kernel (port 0): it then refuses unicasts from other sockets. */
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	if (connect(owned_fd, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return eg_error_set_errno(err, errno, "sock_diag: cannot connect to the kernel");
	diag = malloc(sizeof(*diag));
	if (!diag)
		return eg_error_set(err, ENOMEM, "sock_diag: out of memory");
	diag->fd = steal_fd(&owned_fd);
	diag->sequence = 0;
	*ret_diag = steal_pointer(&diag);
	return 0;
}

int eg_sockdiag_open(const char *netns_path, struct eg_sockdiag **ret_diag, struct eg_error *err)
{
	int fd, r;

	r = open_diag_socket(netns_path, &fd, err);
	if (r < 0)
		return r;
	return eg_sockdiag_open_fd(fd, ret_diag, err);
}

void eg_sockdiag_free(struct eg_sockdiag *diag)
{
	if (!diag)
		return;
	eg_close_fd(&diag->fd);
	free(diag);
}

static unsigned table_states(const struct table *table, unsigned requested)
{
	if (table->protocol == IPPROTO_UDP)
		return UDP_STATES;
	if (requested & EG_SOCKDIAG_TCP_LISTENERS)
		return TCP_OUTGOING_STATES | STATE_BIT(TCP_LISTEN);
	return TCP_OUTGOING_STATES;
}

static int dump_table(struct eg_sockdiag *diag, const struct table *table, unsigned requested,
                      struct eg_sockdiag_decoder *decoder, struct eg_error *err)
{
	int r = send_request(diag, table, table_states(table, requested), err);

	if (r < 0)
		return r;
	decoder->sequence = diag->sequence;
	decoder->protocol = table->protocol;
	return read_reply(diag, decoder, err);
}

int eg_sockdiag_dump(struct eg_sockdiag *diag, unsigned requested, uint32_t max_sockets,
                     eg_sockdiag_socket_callback callback, void *userdata,
                     struct eg_sockdiag_dump_stats *ret_stats, struct eg_error *err)
{
	struct eg_sockdiag_decoder decoder = {
	    .max_sockets = max_sockets,
	    .callback = callback,
	    .userdata = userdata,
	};
	unsigned remaining = requested & EG_SOCKDIAG_ALL;
	int r = 0;

	if (!callback || max_sockets == 0 || max_sockets > EG_SOCKDIAG_MAX_SOCKETS || !remaining)
		r = eg_error_set(err, EINVAL, "sock_diag: dump of tables %#x, at most %u sockets",
		                 requested, max_sockets);
	if (r == 0 && (remaining & TCP_BOTH) == TCP_BOTH) {
		r = dump_table(diag, &tcp_both_families, requested, &decoder, err);
		remaining &= ~TCP_BOTH;
	}
	for (size_t i = 0; r == 0 && i < TABLE_COUNT; i++) {
		if (!(remaining & tables[i].bit))
			continue;
		if (decoder.stats.truncated || decoder.callback_result < 0)
			break;
		r = dump_table(diag, &tables[i], requested, &decoder, err);
	}
	if (ret_stats)
		*ret_stats = decoder.stats;
	if (r < 0)
		return r;
	if (decoder.callback_result < 0)
		return decoder.callback_result;
	return (int)decoder.stats.delivered;
}

/* --- destroy groups -------------------------------------------------------- */

#define _cleanup_listener_ _cleanup_(eg_sockdiag_destroy_listener_freep)

int eg_sockdiag_destroy_listener_open(const char *netns_path, unsigned requested,
                                      struct eg_sockdiag_destroy_listener **ret_listener,
                                      struct eg_error *err)
{
	_cleanup_listener_ struct eg_sockdiag_destroy_listener *listener = NULL;
	struct sockaddr_nl local = {.nl_family = AF_NETLINK};
	int r;

	listener = malloc(sizeof(*listener));
	if (!listener)
		return eg_error_set(err, ENOMEM, "sock_diag: out of memory");
	listener->subscribed = 0;
	listener->fd = -1;
	r = open_diag_socket(netns_path, &listener->fd, err);
	if (r < 0)
		return r;
	if (setsockopt(listener->fd, SOL_SOCKET, SO_RCVBUFFORCE,
	               &(int){EG_SOCKDIAG_DESTROY_RECEIVE_BUFFER}, sizeof(int)) < 0 &&
	    setsockopt(listener->fd, SOL_SOCKET, SO_RCVBUF,
	               &(int){EG_SOCKDIAG_DESTROY_RECEIVE_BUFFER}, sizeof(int)) < 0)
		return eg_error_set_errno(err, errno, "sock_diag: cannot size the receive buffer");
	/* Port id chosen by the kernel; groups are joined one by one below. */
	if (bind(listener->fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		return eg_error_set_errno(err, errno, "sock_diag: cannot bind");
	r = eg_sockdiag_destroy_listener_subscribe(listener, requested, err);
	if (r < 0)
		return r;
	*ret_listener = steal_pointer(&listener);
	return 0;
}

void eg_sockdiag_destroy_listener_free(struct eg_sockdiag_destroy_listener *listener)
{
	if (!listener)
		return;
	eg_close_fd(&listener->fd);
	free(listener);
}

int eg_sockdiag_destroy_listener_fd(const struct eg_sockdiag_destroy_listener *listener)
{
	return listener->fd;
}

int eg_sockdiag_destroy_listener_subscribe(struct eg_sockdiag_destroy_listener *listener,
                                           unsigned requested, struct eg_error *err)
{
	for (size_t i = 0; i < TABLE_COUNT; i++) {
		bool want = requested & tables[i].bit, have = listener->subscribed & tables[i].bit;
		int option = want ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;

		if (want == have)
			continue;
		if (setsockopt(listener->fd, SOL_NETLINK, option, &tables[i].group,
		               sizeof(tables[i].group)) < 0)
			return eg_error_set_errno(err, errno,
			                          "sock_diag: cannot %s destroy group %u",
			                          want ? "join" : "leave", tables[i].group);
		listener->subscribed ^= tables[i].bit;
	}
	return 0;
}

int eg_sockdiag_destroy_listener_read(struct eg_sockdiag_destroy_listener *listener,
                                      eg_sockdiag_socket_callback callback, void *userdata,
                                      struct eg_sockdiag_destroy_stats *ret_stats,
                                      struct eg_error *err)
{
	struct eg_sockdiag_decoder decoder = {
	    .multicast = true,
	    .max_sockets = UINT32_MAX,
	    .callback = callback,
	    .userdata = userdata,
	};
	struct eg_sockdiag_destroy_stats stats = {0};
	int r = 0;

	for (int datagrams = 0; r == 0; datagrams++) {
		ssize_t length;

		if (datagrams == EG_SOCKDIAG_DESTROY_READ_MAX_DATAGRAMS) {
			stats.more = true;
			break;
		}
		length = receive_datagram(listener->fd, listener->buffer, &stats.foreign_datagrams);
		if (length == -EAGAIN)
			break;
		if (length == -ENOBUFS) {
			stats.overflows++;
			continue;
		}
		if (length < 0)
			r = eg_error_set_errno(err, (int)-length, "sock_diag: cannot read");
		else if (length > 0)
			r = eg_sockdiag_decode(&decoder, listener->buffer, (size_t)length, err);
		if (r > 0)
			r = 0;
		if (decoder.callback_result < 0)
			r = decoder.callback_result;
	}
	stats.delivered = decoder.stats.delivered;
	if (ret_stats)
		*ret_stats = stats;
	return r < 0 ? r : (int)stats.delivered;
}
