/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The proc connector behind a small wrapper: see proc_connector.h. */
#include "monitor/proc_connector.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* recvmmsg() batch: 64 datagrams of 76 bytes per system call. */
#define RECEIVE_BATCH 64
/* Room for one datagram: a proc event is 16 (nlmsghdr) + 20 (cn_msg) + 40
 * (proc_event) = 76 bytes; a later kernel may grow the union, and anything
 * that does not fit is reported as truncated (MSG_TRUNC), never overflowed. */
#define DATAGRAM_MAX  512

/* Where the proc_event starts in a datagram, as the socket filter sees it. */
#define EVENT_OFFSET      (NLMSG_HDRLEN + sizeof(struct cn_msg))
#define EVENT_FIELD(name) ((uint32_t)(EVENT_OFFSET + offsetof(struct proc_event, name)))
/* The fixed part of a proc_event in front of event_data: what, cpu,
 * timestamp_ns. */
#define EVENT_HEADER_SIZE offsetof(struct proc_event, event_data)

struct eg_proc_connector {
	int fd;
	/* Our netlink port id, also the ack number of our requests: the
	 * kernel's acknowledgements are multicast to every listener, and it
	 * answers ack + 1, which tells ours apart. */
	uint32_t port_id;
	bool subscription_acknowledged;
	struct eg_proc_connector_stats stats;
	/* Datagrams of the last batch not handled yet (a handler stopped the
	 * receive): handled first by the next call. */
	unsigned int batch_next;
	unsigned int batch_count;
	struct mmsghdr headers[RECEIVE_BATCH];
	struct iovec vectors[RECEIVE_BATCH];
	struct sockaddr_nl senders[RECEIVE_BATCH];
	uint8_t buffers[RECEIVE_BATCH][DATAGRAM_MAX] __attribute__((aligned(8)));
};

/* Classic BPF run by the kernel on each datagram before it is queued: keeps
 * exec events, acknowledgements, and the fork and exit events of processes
 * (pid == tgid); drops threads and the event types the monitor does not use
 * (uid, gid, sid, ptrace, comm, coredump), so a host busy with threads wakes
 * the monitor less.  A datagram shorter than a load aborts the program,
 * which drops it.  Loads read big-endian, hence htonl() on the constants;
 * pid comparisons load both sides the same way and need none. */
static int attach_filter(int fd)
{
	/* Instruction indexes that are jumped to; a jump's offset counts from
	 * the instruction after it. */
	enum { TEST_EXIT = 8, COMPARE = 12, ACCEPT = 13, DROP = 14 };
#define JUMP_FROM(at, target) ((target) - (at)-1)
	struct sock_filter code[] = {
	    /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EVENT_FIELD(what)),
	    /* 1 */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXEC), JUMP_FROM(1, ACCEPT), 0),
	    /* 2 */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_NONE), JUMP_FROM(2, ACCEPT), 0),
	    /* 3 */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_FORK), 0, JUMP_FROM(3, TEST_EXIT)),
	    /* 4 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EVENT_FIELD(event_data.fork.child_pid)),
	    /* 5 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
	    /* 6 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EVENT_FIELD(event_data.fork.child_tgid)),
	    /* 7 */ BPF_STMT(BPF_JMP | BPF_JA, JUMP_FROM(7, COMPARE)),
	    /* 8 TEST_EXIT */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXIT), 0, JUMP_FROM(8, DROP)),
	    /* 9 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EVENT_FIELD(event_data.exit.process_pid)),
	    /* 10 */ BPF_STMT(BPF_MISC | BPF_TAX, 0),
	    /* 11 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, EVENT_FIELD(event_data.exit.process_tgid)),
	    /* 12 COMPARE: pid (X) == tgid (A)? */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, JUMP_FROM(12, ACCEPT), JUMP_FROM(12, DROP)),
	    /* 13 ACCEPT: the return value is how many bytes to keep: all */
	    BPF_STMT(BPF_RET | BPF_K, UINT32_MAX),
	    /* 14 DROP */
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
#undef JUMP_FROM
	struct sock_fprog program = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) < 0)
		return -errno;
	return 0;
}

/* SO_RCVBUFFORCE goes past net.core.rmem_max but needs CAP_NET_ADMIN;
 * without it, SO_RCVBUF is capped there, which is still a working socket. */
static int set_receive_buffer(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		return -errno;
	return 0;
}

/* Sends PROC_CN_MCAST_LISTEN or _IGNORE to the kernel (port 0).  The 4-byte
 * form works on every kernel; 6.6's 8-byte form with an event mask is not
 * used because older kernels silently ignore it and the socket filter is
 * finer anyway (it also drops threads). */
static int send_request(struct eg_proc_connector *connector, enum proc_cn_mcast_op operation)
{
	uint8_t buffer[NLMSG_SPACE(sizeof(struct cn_msg) + sizeof(uint32_t))]
	    __attribute__((aligned(NLMSG_ALIGNTO))) = {0};
	struct nlmsghdr *header = (struct nlmsghdr *)buffer;
	struct cn_msg message = {
	    .id = {.idx = CN_IDX_PROC, .val = CN_VAL_PROC},
	    .seq = 0,
	    .ack = connector->port_id,
	    .len = sizeof(uint32_t),
	};
	uint32_t op = operation;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	header->nlmsg_len = NLMSG_LENGTH(sizeof(message) + sizeof(op));
	header->nlmsg_type = NLMSG_DONE; /* the connector's convention */
	header->nlmsg_pid = connector->port_id;
	memcpy(NLMSG_DATA(header), &message, sizeof(message));
	memcpy((uint8_t *)NLMSG_DATA(header) + sizeof(message), &op, sizeof(op));
	if (sendto(connector->fd, buffer, header->nlmsg_len, 0, (struct sockaddr *)&kernel,
	           sizeof(kernel)) < 0)
		return -errno;
	return 0;
}

static int refused(struct eg_error *err, int code, const char *what)
{
	return eg_error_set_errno(
	    err, code,
	    "proc connector: %s refused; kernels before 6.6 need CAP_NET_ADMIN "
	    "in the initial user namespace to receive process events",
	    what);
}

static int bind_and_subscribe(struct eg_proc_connector *connector, struct eg_error *err)
{
	struct sockaddr_nl address = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	socklen_t length = sizeof(address);
	int r;

	if (bind(connector->fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		if (errno == EPERM || errno == EACCES)
			return refused(err, errno, "joining multicast group CN_IDX_PROC");
		return eg_error_set_errno(err, errno, "proc connector: bind");
	}
	if (getsockname(connector->fd, (struct sockaddr *)&address, &length) < 0)
		return eg_error_set_errno(err, errno, "proc connector: getsockname");
	connector->port_id = address.nl_pid;
	r = send_request(connector, PROC_CN_MCAST_LISTEN);
	if (r == -EPERM || r == -EACCES)
		return refused(err, -r, "PROC_CN_MCAST_LISTEN");
	if (r < 0)
		return eg_error_set_errno(err, -r, "proc connector: sending PROC_CN_MCAST_LISTEN");
	return 0;
}

int eg_proc_connector_open(const struct eg_proc_connector_options *options,
                           struct eg_proc_connector **ret_connector, struct eg_error *err)
{
	static const struct eg_proc_connector_options defaults = {0};
	_cleanup_(eg_proc_connector_freep) struct eg_proc_connector *connector = NULL;
	int r;

	if (!options)
		options = &defaults;
	connector = calloc(1, sizeof(*connector));
	if (!connector)
		return eg_error_set(err, ENOMEM, "proc connector: out of memory");
	connector->fd =
	    socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	if (connector->fd < 0) {
		if (errno == EPROTONOSUPPORT)
			return eg_error_set_errno(err, errno,
			                          "proc connector: kernel without CONFIG_CONNECTOR "
			                          "and CONFIG_PROC_EVENTS");
		return eg_error_set_errno(err, errno, "proc connector: socket(NETLINK_CONNECTOR)");
	}
	r = set_receive_buffer(connector->fd, options->receive_buffer_bytes > 0
	                                          ? options->receive_buffer_bytes
	                                          : EG_PROC_CONNECTOR_RECEIVE_BUFFER_DEFAULT);
	if (r < 0)
		return eg_error_set_errno(err, -r, "proc connector: SO_RCVBUF");
	if (!options->no_socket_filter) {
		r = attach_filter(connector->fd);
		if (r < 0)
			return eg_error_set_errno(err, -r, "proc connector: SO_ATTACH_FILTER");
	}
	r = bind_and_subscribe(connector, err);
	if (r < 0)
		return r;
	*ret_connector = steal_pointer(&connector);
	return 0;
}

void eg_proc_connector_free(struct eg_proc_connector *connector)
{
	if (!connector)
		return;
	if (connector->fd >= 0) {
		/* Kernels before 6.6 count listeners globally and keep sending
		 * events while the count is positive: say goodbye. */
		if (connector->port_id != 0)
			(void)send_request(connector, PROC_CN_MCAST_IGNORE);
		eg_close_fd(&connector->fd);
	}
	free(connector);
}

int eg_proc_connector_fd(const struct eg_proc_connector *connector)
{
	return connector->fd;
}

void eg_proc_connector_get_stats(const struct eg_proc_connector *connector,
                                 struct eg_proc_connector_stats *ret_stats)
{
	*ret_stats = connector->stats;
}

/* Fills message from a proc_event of `length` bytes (at least the header). */
static int decode_event(const struct proc_event *event, size_t length,
                        struct eg_proc_message *message)
{
	size_t data = length - EVENT_HEADER_SIZE;

	message->event.timestamp_ns = event->timestamp_ns;
	message->event.cpu = event->cpu;
	switch (event->what) {
	case PROC_EVENT_FORK:
		/* parent_pid/tgid, child_pid/tgid: 16 bytes. */
		if (data < sizeof(event->event_data.fork))
			return -EBADMSG;
		message->event.type = EG_PROC_EVENT_FORK;
		message->event.pid = event->event_data.fork.child_tgid;
		message->event.parent_pid = event->event_data.fork.parent_tgid;
		if (event->event_data.fork.child_pid != event->event_data.fork.child_tgid)
			message->kind = EG_PROC_MESSAGE_THREAD;
		break;
	case PROC_EVENT_EXEC:
		if (data < sizeof(event->event_data.exec))
			return -EBADMSG;
		message->event.type = EG_PROC_EVENT_EXEC;
		message->event.pid = event->event_data.exec.process_tgid;
		break;
	case PROC_EVENT_EXIT:
		/* process_pid/tgid, exit_code, exit_signal: 16 bytes; the
		 * parent (8 more) came in Linux 4.18. */
		if (data < offsetof(struct exit_proc_event, parent_pid))
			return -EBADMSG;
		message->event.type = EG_PROC_EVENT_EXIT;
		message->event.pid = event->event_data.exit.process_tgid;
		message->event.exit_status = event->event_data.exit.exit_code;
		message->event.exit_signal = event->event_data.exit.exit_signal;
		if (data >= sizeof(event->event_data.exit))
			message->event.parent_pid = event->event_data.exit.parent_tgid;
		if (event->event_data.exit.process_pid != event->event_data.exit.process_tgid)
			message->kind = EG_PROC_MESSAGE_THREAD;
		break;
	default:
		message->kind = EG_PROC_MESSAGE_OTHER_TYPE;
		return 0;
	}
	if (message->event.pid <= 0)
		return -EBADMSG;
	return 0;
}

int eg_proc_message_decode(const void *datagram, size_t length, struct eg_proc_message *ret_message)
{
	struct eg_proc_message message = {.kind = EG_PROC_MESSAGE_EVENT};
	const struct nlmsghdr *header = datagram;
	struct proc_event event = {0};
	struct cn_msg cn;
	size_t payload;
	int r;

	if (length < NLMSG_HDRLEN || header->nlmsg_len < NLMSG_HDRLEN ||
	    header->nlmsg_len > length || header->nlmsg_type != NLMSG_DONE)
		return -EBADMSG;
	payload = header->nlmsg_len - NLMSG_HDRLEN;
	if (payload < sizeof(cn))
		return -EBADMSG;
	memcpy(&cn, NLMSG_DATA(header), sizeof(cn));
	if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC)
		return -EBADMSG;
	if (cn.len > payload - sizeof(cn) || cn.len < EVENT_HEADER_SIZE)
		return -EBADMSG;
	/* Copied out: the event sits at offset 36, not 8-aligned.  A longer
	 * event from a later kernel is cut to the fields we know. */
	memcpy(&event, (const uint8_t *)NLMSG_DATA(header) + sizeof(cn),
	       cn.len < sizeof(event) ? cn.len : sizeof(event));
	if (event.what == PROC_EVENT_NONE) {
		if (cn.len < EVENT_HEADER_SIZE + sizeof(event.event_data.ack))
			return -EBADMSG;
		message.kind = EG_PROC_MESSAGE_ACK;
		message.ack_number = cn.ack;
		message.ack_error = event.event_data.ack.err;
	} else {
		r = decode_event(&event, cn.len < sizeof(event) ? cn.len : sizeof(event), &message);
		if (r < 0)
			return r;
	}
	*ret_message = message;
	return 0;
}

/* Returns 1 when an event was handed over, 0 when the message was not one,
 * or a negative errno. */
static int handle_message(struct eg_proc_connector *connector, const void *data, size_t length,
                          eg_proc_event_handler handler, void *userdata, struct eg_error *err)
{
	struct eg_proc_message message;
	int r;

	if (eg_proc_message_decode(data, length, &message) < 0) {
		connector->stats.malformed++;
		return 0;
	}
	switch (message.kind) {
	case EG_PROC_MESSAGE_ACK:
		/* Another listener's subscription is acknowledged to all. */
		if (message.ack_number != connector->port_id + 1) {
			connector->stats.other_types++;
			return 0;
		}
		connector->subscription_acknowledged = true;
		if (message.ack_error == 0)
			return 0;
		return refused(err, (int)message.ack_error, "PROC_CN_MCAST_LISTEN");
	case EG_PROC_MESSAGE_THREAD:
		connector->stats.threads_ignored++;
		return 0;
	case EG_PROC_MESSAGE_OTHER_TYPE:
		connector->stats.other_types++;
		return 0;
	case EG_PROC_MESSAGE_EVENT:
		break;
	}
	connector->stats.events++;
	r = handler(&message.event, userdata);
	if (r < 0)
		return eg_error_set_errno(err, r, "proc connector: event handler");
	return 1;
}

/* Walks the netlink messages of one datagram (the kernel sends one). */
static int handle_datagram(struct eg_proc_connector *connector, unsigned int index,
                           eg_proc_event_handler handler, void *userdata, struct eg_error *err)
{
	const struct msghdr *header = &connector->headers[index].msg_hdr;
	const uint8_t *buffer = connector->buffers[index];
	size_t length = connector->headers[index].msg_len, offset = 0;
	int count = 0, r;

	connector->stats.datagrams++;
	if (header->msg_namelen != sizeof(struct sockaddr_nl) ||
	    connector->senders[index].nl_pid != 0) {
		connector->stats.foreign_sender++;
		return 0;
	}
	if (header->msg_flags & MSG_TRUNC) {
		connector->stats.malformed++;
		return 0;
	}
	while (length - offset >= NLMSG_HDRLEN) {
		struct nlmsghdr message;

		memcpy(&message, buffer + offset, sizeof(message));
		if (message.nlmsg_len < NLMSG_HDRLEN || message.nlmsg_len > length - offset)
			break;
		r = handle_message(connector, buffer + offset, message.nlmsg_len, handler, userdata,
		                   err);
		if (r < 0)
			return r;
		count += r;
		if (NLMSG_ALIGN(message.nlmsg_len) >= length - offset)
			return count;
		offset += NLMSG_ALIGN(message.nlmsg_len);
	}
	connector->stats.malformed++;
	return count;
}

static int read_batch(struct eg_proc_connector *connector, struct eg_error *err)
{
	int n;

	for (unsigned int i = 0; i < RECEIVE_BATCH; i++) {
		connector->vectors[i] = (struct iovec){connector->buffers[i], DATAGRAM_MAX};
		connector->headers[i].msg_hdr = (struct msghdr){
		    .msg_name = &connector->senders[i],
		    .msg_namelen = sizeof(connector->senders[i]),
		    .msg_iov = &connector->vectors[i],
		    .msg_iovlen = 1,
		};
	}
	do
		n = recvmmsg(connector->fd, connector->headers, RECEIVE_BATCH, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	if (errno == ENOBUFS) {
		connector->stats.overruns++;
		return eg_error_set(err, ENOBUFS,
		                    "proc connector: receive buffer overrun, process events were "
		                    "lost");
	}
	return eg_error_set_errno(err, errno, "proc connector: recvmmsg");
}

int eg_proc_connector_receive(struct eg_proc_connector *connector, eg_proc_event_handler handler,
                              void *userdata, struct eg_error *err)
{
	unsigned int datagrams = 0;
	int delivered = 0, r;

	while (datagrams < EG_PROC_CONNECTOR_RECEIVE_MAX_DATAGRAMS) {
		if (connector->batch_next == connector->batch_count) {
			r = read_batch(connector, err);
			if (r <= 0)
				return r < 0 ? r : delivered;
			connector->batch_next = 0;
			connector->batch_count = (unsigned int)r;
		}
		while (connector->batch_next < connector->batch_count) {
			r = handle_datagram(connector, connector->batch_next++, handler, userdata,
			                    err);
			if (r < 0)
				return r;
			delivered += r;
			datagrams++;
		}
		/* A short batch means the queue was empty: no need to ask. */
		if (connector->batch_count < RECEIVE_BATCH)
			break;
	}
	return delivered;
}

/* The initial user namespace maps every id to itself, "0 0 4294967295";
 * a child namespace has another map, or none yet (an empty file). */
static bool in_initial_user_namespace(void)
{
	_cleanup_fclose_ FILE *file = fopen("/proc/self/uid_map", "re");
	unsigned long inside, outside, count;

	if (!file)
		return true; /* no /proc: cannot tell, so do not blame the namespace */
	if (fscanf(file, "%lu %lu %lu", &inside, &outside, &count) != 3)
		return false;
	return inside == 0 && outside == 0 && count == UINT32_MAX;
}

static int probe_timeout(const struct eg_proc_connector *connector, int timeout_ms, bool saw_events,
                         struct eg_error *err)
{
	if (connector->subscription_acknowledged)
		return eg_error_set(
		    err, ETIMEDOUT,
		    "proc connector: subscribed, but the probe child's fork and exit "
		    "events did not arrive within %d ms",
		    timeout_ms);
	if (!in_initial_user_namespace())
		return eg_error_set(
		    err, ETIMEDOUT,
		    "proc connector: the kernel ignored the subscription: this process "
		    "runs in a child user namespace (rootless Podman, podman unshare), "
		    "and the kernel accepts proc connector subscriptions only from the "
		    "initial user and PID namespaces%s",
		    saw_events ? " (the events that did arrive flow only because of another "
		                 "subscription, and stop when it ends)"
		               : "");
	return eg_error_set(
	    err, ETIMEDOUT,
	    "proc connector: no acknowledgement of the subscription within %d ms: "
	    "the kernel ignores subscriptions from outside the initial PID "
	    "namespace, and kernels before 6.6 require CAP_NET_ADMIN in the initial "
	    "user namespace",
	    timeout_ms);
}

struct probe_state {
	pid_t child;
	bool saw_fork;
	bool saw_exit;
	eg_proc_event_handler handler;
	void *userdata;
};

static int probe_handler(const struct eg_proc_event *event, void *userdata)
{
	struct probe_state *probe = userdata;

	if (event->pid != probe->child)
		return probe->handler ? probe->handler(event, probe->userdata) : 0;
	if (event->type == EG_PROC_EVENT_FORK)
		probe->saw_fork = true;
	else if (event->type == EG_PROC_EVENT_EXIT)
		probe->saw_exit = true;
	return 0;
}

/* The acknowledgement is queued before send() returns (see probe_wait()):
 * one not there after this long will not come, whatever the probe's own
 * timeout (a quiet host with no other subscriber sends no events either). */
#define PROBE_ACK_WAIT_MS 250

static int64_t monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Waits until the probe has seen everything or the deadline passes. */
static int probe_wait(struct eg_proc_connector *connector, struct probe_state *probe,
                      int64_t deadline_ms, struct eg_error *err)
{
	struct pollfd poll_fd = {.fd = connector->fd, .events = POLLIN};
	int64_t ack_deadline_ms = monotonic_ms() + PROBE_ACK_WAIT_MS;
	int r;

	for (;;) {
		r = eg_proc_connector_receive(connector, probe_handler, probe, err);
		if (r < 0)
			return r;
		if (probe->saw_fork && probe->saw_exit && connector->subscription_acknowledged)
			return 0;
		/* The kernel answers a subscription in the sender's context,
		 * before send() returns, so its acknowledgement is queued ahead
		 * of the probe child's events: events without it mean the
		 * subscription was ignored (a child user namespace) and what
		 * arrives flows for someone else.  No use waiting longer. */
		if (probe->saw_fork && probe->saw_exit)
			return -ETIMEDOUT;
		if (!connector->subscription_acknowledged && monotonic_ms() >= ack_deadline_ms)
			return -ETIMEDOUT;
		int64_t remaining = deadline_ms - monotonic_ms();
		if (remaining <= 0)
			return -ETIMEDOUT;
		if (!connector->subscription_acknowledged &&
		    ack_deadline_ms - monotonic_ms() < remaining)
			remaining = ack_deadline_ms - monotonic_ms() + 1;
		if (poll(&poll_fd, 1, (int)remaining) < 0 && errno != EINTR)
			return eg_error_set_errno(err, errno, "proc connector: poll");
	}
}

int eg_proc_connector_probe(struct eg_proc_connector *connector, int timeout_ms,
                            eg_proc_event_handler handler, void *userdata, struct eg_error *err)
{
	struct probe_state probe = {.handler = handler, .userdata = userdata};
	_cleanup_pid_ pid_t child = 0;
	int64_t deadline_ms;
	int r;

	if (timeout_ms <= 0 || timeout_ms > EG_PROC_CONNECTOR_PROBE_TIMEOUT_MAX_MS)
		return eg_error_set(err, EINVAL, "proc connector: probe timeout %d ms out of range",
		                    timeout_ms);
	deadline_ms = monotonic_ms() + timeout_ms;
	child = fork();
	if (child < 0)
		return eg_error_set_errno(err, errno, "proc connector: probe: fork");
	if (child == 0)
		_exit(0);
	probe.child = child;
	r = probe_wait(connector, &probe, deadline_ms, err);
	if (r == -ETIMEDOUT)
		return probe_timeout(connector, timeout_ms, probe.saw_fork || probe.saw_exit, err);
	if (r < 0)
		return r;
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	child = 0;
	return 0;
}
