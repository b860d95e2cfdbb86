/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One notification: continue it, deny it, or perform it on a copy (see
 * notify.h for the rules and docs/BLOCKING.md for why each is race-free).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "entryguard/log.h"
#include "monitor/kernel_abi.h"
#include "monitor/monitor.h"
#include "monitor/notify_internal.h"

/* Refusals are logged this many times per monitor, then counted only. */
#define REFUSALS_LOGGED 16

struct call {
	struct monitor_notify *notify;
	struct monitor *monitor;
	uint64_t id;
	struct eg_socket_call call;
	struct eg_target target;
	int socket;
	struct eg_socket_kind kind;
	enum eg_mode mode;
	uint64_t now_ns;
	pid_t pid;
	struct eg_decision process; /* the process as the correlator knows it */
	struct residue residue;     /* an interrupted send of this thread, if any */
};

/* A call the monitor will not perform (a bad descriptor, length or
 * pointer; no memory): the errno the kernel would give.  Detect mode lets
 * the kernel say it itself. */
static void answer(struct call *call, int64_t result)
{
	if (call->mode < EG_MODE_BLOCK) {
		notify_continue(call->notify, call->id);
		return;
	}
	call->notify->stats.failed++;
	notify_answer(call->notify, call->id, result);
}

/* The target died or was interrupted (its notification is no longer
 * valid): nothing is owed to anyone. */
static void gone(struct call *call)
{
	call->notify->stats.gone++;
}

static void refuse(struct call *call, const char *why)
{
	struct monitor_notify *notify = call->notify;

	if (notify->stats.refused++ < REFUSALS_LOGGED)
		eg_log_warning("container %s: %s[%d]: %s refused (EPERM) in %s mode: %s",
		               call->monitor->container->id, call->process.name, (int)call->pid,
		               eg_socket_call_name(call->call.kind), eg_mode_name(call->mode), why);
	notify_answer(notify, call->id, -EPERM);
}

/* The reasons that do not look at the attempt itself: whatever the call
 * names, the answer is no match. */
static bool independent_of_call(enum eg_decision_reason reason)
{
	return reason == EG_DECISION_UNTRACKED || reason == EG_DECISION_PARENT_NOT_ENTRYPOINT ||
	       reason == EG_DECISION_NO_ENTRYPOINT_ANCESTOR || reason == EG_DECISION_WINDOW_EXPIRED;
}

static int find_process(struct call *call)
{
	struct eg_entity_id ignored;

	/* A main thread's id is its process id: no /proc read. */
	if (eg_correlator_entity_id(call->monitor->correlator, call->target.tid, &ignored) == 0)
		call->pid = call->target.tid;
	else if (eg_thread_group_of(call->target.tid, &call->pid) < 0)
		return -ESRCH;
	call->target.pid = call->pid;
	return 0;
}

static bool judge(struct call *call, const struct eg_address *destination, uint16_t port,
                  struct eg_decision *ret_decision, struct eg_attempt *ret_attempt)
{
	*ret_attempt = (struct eg_attempt){
	    .pid = call->pid,
	    .time_ns = call->now_ns,
	    .destination = destination,
	    .destination_port = port,
	    .transport = call->kind.transport,
	};
	/* Raw, ICMP and other IP sockets are no connection attempts in the
	 * rule's sense, but their packets go where the name says: in block
	 * and kill modes a public destination is refused all the same. */
	if ((!call->kind.judged && !(call->kind.other_ip && call->mode >= EG_MODE_BLOCK)) ||
	    !destination)
		return false;
	if (eg_correlator_attempt(call->monitor->correlator, ret_attempt, ret_decision) < 0)
		return false;
	return ret_decision->match;
}

/* A signal through the thread's pidfd; a kept pidfd whose thread is gone
 * (ESRCH) is replaced by a fresh one once. */
static int signal_target(struct call *call, int signal)
{
	int r = eg_target_signal(&call->target, signal);

	if (r == -ESRCH && call->target.pidfd_borrowed &&
	    notify_pidfd(call->notify, &call->target, true) == 0)
		r = eg_target_signal(&call->target, signal);
	return r;
}

/* A match: alert, and in block and kill modes deny (kill first: the process
 * never returns to user space). */
static void act_on_match(struct call *call, const struct eg_decision *decision,
                         const struct eg_attempt *attempt)
{
	enum eg_action action = EG_ACTION_ALERT;

	/* Not TCP or UDP (judged only in block and kill modes): the alert
	 * record's transport is tcp or udp, so it is refused and logged. */
	if (!call->kind.judged) {
		char text[INET6_ADDRSTRLEN];

		call->notify->stats.denied++;
		if (call->notify->stats.refused++ < REFUSALS_LOGGED)
			eg_log_warning("container %s: %s[%d]: %s on a %s socket (protocol %d) to "
			               "the public address %s refused (EPERM) in %s mode",
			               call->monitor->container->id, call->process.name,
			               (int)call->pid, eg_socket_call_name(call->call.kind),
			               call->kind.type == SOCK_RAW ? "raw" : "non-TCP/UDP IP",
			               call->kind.protocol,
			               eg_address_format(attempt->destination, text, sizeof(text)),
			               eg_mode_name(call->mode));
		notify_answer(call->notify, call->id, -EPERM);
		return;
	}
	if (call->mode == EG_MODE_KILL && signal_target(call, SIGKILL) == 0) {
		action = EG_ACTION_KILLED;
		call->notify->stats.killed++;
	} else if (call->mode >= EG_MODE_BLOCK) {
		action = EG_ACTION_BLOCKED;
	}
	monitor_alert(call->monitor, decision, attempt, action, "seccomp");
	if (call->mode >= EG_MODE_BLOCK) {
		call->notify->stats.denied++;
		notify_answer(call->notify, call->id, -EPERM);
	}
}

static struct operation *operation_new(struct call *call, enum operation_kind kind)
{
	struct operation *operation = calloc(1, sizeof(*operation));

	if (!operation)
		return NULL;
	operation->kind = kind;
	operation->id = call->id;
	operation->target = call->target;
	call->target.pidfd = -1;
	operation->socket = call->socket;
	call->socket = -1;
	operation->stream = call->kind.stream;
	operation->blocking = call->kind.blocking && !(call->call.flags & MSG_DONTWAIT);
	operation->started_ns = call->now_ns;
	operation->flags = call->call.flags;
	operation->buffer_address =
	    call->call.kind == EG_SOCKET_CALL_SENDTO ? call->call.buffer : call->call.address;
	operation->buffer_length =
	    call->call.kind == EG_SOCKET_CALL_SENDTO ? call->call.buffer_length : 0;
	return operation;
}

static void run(struct call *call, struct operation *operation)
{
	if (operation_step(call->notify, operation) == 1)
		notify_wait(call->notify, operation);
	else
		operation_free(operation);
}

static void connect_call(struct call *call)
{
	struct eg_message name = {.has_name = true};
	struct eg_decision decision;
	struct eg_attempt attempt;
	struct eg_address destination;
	struct operation *operation;
	uint16_t port = 0;
	int64_t result;
	int r;

	/* move_addr_to_kernel(): the length is checked before the pointer. */
	if (call->call.address_length < 0 || call->call.address_length > EG_MESSAGE_NAME_MAX)
		return answer(call, -EINVAL);
	name.name_length = (socklen_t)call->call.address_length;
	r = eg_target_read(&call->target, call->call.address, &name.name, name.name_length);
	if (r == -ENOENT)
		return gone(call);
	if (r < 0)
		return answer(call, r);
	r = eg_message_destination(&name, call->kind.domain, true, &destination, &port);
	if (r > 0 && call->kind.judged && call->monitor->sockets)
		monitor_sockets_mark_judged(call->monitor, eg_socket_cookie(call->socket));
	if (judge(call, r > 0 ? &destination : NULL, port, &decision, &attempt)) {
		act_on_match(call, &decision, &attempt);
		if (call->mode >= EG_MODE_BLOCK)
			return;
	}
	if (call->mode < EG_MODE_BLOCK) {
		notify_continue(call->notify, call->id);
		return;
	}
	r = eg_emulate_connect_start(call->socket, &call->kind, &name, &result);
	if (r == 0) {
		call->notify->stats.emulated++;
		/* Before the answer: the container may close its descriptor at
		 * once, and the last close is then its own. */
		eg_close_fd(&call->socket);
		call->socket = -1;
		notify_answer(call->notify, call->id, result);
		return;
	}
	operation = operation_new(call, OPERATION_CONNECT);
	if (!operation)
		return answer(call, -ENOMEM);
	/* A loopback handshake is often done already: no wait then. */
	run(call, operation);
}

/* The destination a send's name gives: none for a stream socket unless
 * MSG_FASTOPEN (tcp_sendmsg_locked() reads msg_name only for Fast Open). */
static bool send_destination(const struct call *call, const struct eg_message *message,
                             struct eg_address *ret_address, uint16_t *ret_port)
{
	if (call->kind.stream && !(call->call.flags & MSG_FASTOPEN))
		return false;
	/* rawv6_sendmsg() takes family 0 as AF_INET6 and uses sin6_addr. */
	if (call->kind.type == SOCK_RAW && call->kind.domain == AF_INET6 && message->has_name &&
	    message->name.ss_family == AF_UNSPEC) {
		struct eg_message copy = {.has_name = true, .name_length = message->name_length};

		copy.name = message->name;
		copy.name.ss_family = AF_INET6;
		return eg_message_destination(&copy, AF_INET6, false, ret_address, ret_port) > 0;
	}
	return eg_message_destination(message, call->kind.domain, false, ret_address, ret_port) > 0;
}

/* What may not be sent from the copy; NULL when it may. */
static const char *not_emulable(const struct call *call, const struct eg_message *message)
{
	if (message->unsupported)
		return "ancillary data that cannot be sent on its behalf";
	/* Zero-copy pins the sender's pages until the packets are gone, and
	 * reports completions the caller counts: ours would be freed. */
	if (call->call.flags & MSG_ZEROCOPY)
		return "MSG_ZEROCOPY";
	/* A Fast Open send on a blocking socket would connect and then send
	 * in one call: emulated only where it answers at once. */
	if (call->kind.stream && (call->call.flags & MSG_FASTOPEN) && call->kind.blocking &&
	    !(call->call.flags & MSG_DONTWAIT))
		return "TCP Fast Open on a blocking socket";
	return NULL;
}

/* Sends the first count messages (taken) on the copy. */
static void emulate_send(struct call *call, struct eg_message *messages, size_t count, bool vector)
{
	struct operation *operation = operation_new(call, OPERATION_SEND);

	if (operation)
		operation->sent_lengths = calloc(count ? count : 1, sizeof(uint32_t));
	if (!operation || !operation->sent_lengths) {
		operation_free(operation);
		return answer(call, -ENOMEM);
	}
	operation->messages = messages;
	operation->count = count;
	operation->vector = vector;
	run(call, operation);
}

/* Whether this send restarts the stream send that a signal interrupted
 * after it had sent some bytes (the residue the thread left). */
static bool is_restart(const struct call *call, const struct eg_message *message)
{
	bool sendto = call->call.kind == EG_SOCKET_CALL_SENDTO;

	if (!call->residue.tid || !call->kind.stream)
		return false;
	return residue_matches(&call->residue, eg_socket_cookie(call->socket),
	                       sendto ? call->call.buffer : call->call.address,
	                       sendto ? call->call.buffer_length : 0, call->call.flags, message);
}

/* sendto and sendmsg: one message. */
static void send_call(struct call *call)
{
	bool with_payload = call->mode >= EG_MODE_BLOCK;
	struct eg_message *message = calloc(1, sizeof(*message));
	struct eg_decision decision;
	struct eg_attempt attempt;
	struct eg_address destination;
	const char *why;
	uint16_t port = 0;
	bool has_destination;
	int r;

	if (!message)
		return answer(call, -ENOMEM);
	/* One validation for all the reads of this call (target.h). */
	call->target.validation_deferred = true;
	if (call->call.kind == EG_SOCKET_CALL_SENDTO) {
		r = eg_message_read_name(&call->target, call->call.address,
		                         call->call.address_length, message);
		if (r >= 0 && with_payload)
			r = eg_message_read_buffer(&call->target, call->call.buffer,
			                           call->call.buffer_length, message);
	} else {
		r = eg_message_read_msghdr(&call->target, call->call.address, call->call.compat,
		                           with_payload, message);
	}
	call->target.validation_deferred = false;
	if (r != -ENOENT && eg_target_valid(&call->target) < 0)
		r = -ENOENT;
	if (r < 0) {
		eg_message_clear(message);
		free(message);
		if (r != -ENOENT)
			answer(call, r);
		else
			gone(call);
		return;
	}
	has_destination = send_destination(call, message, &destination, &port);
	if (judge(call, has_destination ? &destination : NULL, port, &decision, &attempt)) {
		act_on_match(call, &decision, &attempt);
		if (call->mode >= EG_MODE_BLOCK)
			goto done;
	}
	if (call->mode < EG_MODE_BLOCK) {
		notify_continue(call->notify, call->id);
	} else if ((why = not_emulable(call, message))) {
		refuse(call, why);
	} else if (!call->kind.stream && message->requested > EG_MESSAGE_DATAGRAM_MAX) {
		answer(call, -EMSGSIZE);
	} else if (is_restart(call, message)) {
		/* What the kernel's blocking send returns when a signal
		 * interrupts it after progress: the bytes sent. */
		call->notify->stats.emulated++;
		call->notify->stats.residues_answered++;
		notify_answer(call->notify, call->id, (int64_t)call->residue.sent);
	} else {
		emulate_send(call, message, 1, false);
		return;
	}
done:
	eg_message_clear(message);
	free(message);
}

static void free_messages(struct eg_message *messages, size_t count)
{
	for (size_t i = 0; i < count; i++)
		eg_message_clear(&messages[i]);
	free(messages);
}

/* sendmmsg: judged message by message.  In block mode the messages before
 * the first match are sent and counted, as the kernel stops at the first
 * message that fails; the match is denied when it comes first (the caller
 * sends the rest with another call).  Kill mode kills on any match. */
static void send_vector_call(struct call *call)
{
	size_t wanted =
	    call->call.count < MONITOR_NOTIFY_MMSG_MAX ? call->call.count : MONITOR_NOTIFY_MMSG_MAX;
	size_t count = 0, bytes = 0, stride = eg_mmsghdr_size(call->call.compat);
	bool with_payload = call->mode >= EG_MODE_BLOCK;
	struct eg_message *messages = calloc(wanted, sizeof(*messages));
	const char *why = NULL;
	int error = 0;

	if (!messages)
		return answer(call, -ENOMEM);
	while (count < wanted && bytes <= MONITOR_NOTIFY_MMSG_BYTES) {
		uint64_t entry = call->call.address + count * stride;
		struct eg_message *message = &messages[count];
		struct eg_decision decision;
		struct eg_attempt attempt;
		struct eg_address destination;
		uint16_t port = 0;
		bool has_destination, match;

		error = eg_message_read_msghdr(&call->target, entry, call->call.compat,
		                               with_payload, message);
		if (error < 0) {
			eg_message_clear(message);
			break;
		}
		message->length_address = entry + eg_mmsghdr_length_offset(call->call.compat);
		/* Two statements: the order in which a call's arguments are
		 * evaluated is unspecified, and port must be read after
		 * send_destination() has filled it in. */
		has_destination = send_destination(call, message, &destination, &port);
		match =
		    judge(call, has_destination ? &destination : NULL, port, &decision, &attempt);
		if (match && call->mode >= EG_MODE_BLOCK && count > 0 &&
		    call->mode != EG_MODE_KILL) {
			eg_message_clear(message);
			break;
		}
		if (match) {
			act_on_match(call, &decision, &attempt);
			if (call->mode >= EG_MODE_BLOCK) {
				count++;
				goto done;
			}
		}
		if (with_payload && (why = not_emulable(call, message))) {
			eg_message_clear(message);
			break;
		}
		bytes += message->length;
		count++;
	}
	if (error == -ENOENT) {
		gone(call);
	} else if (call->mode < EG_MODE_BLOCK) {
		notify_continue(call->notify, call->id);
	} else if (count == 0 && why) {
		refuse(call, why);
	} else if (count == 0) {
		answer(call, error);
	} else {
		emulate_send(call, messages, count, true);
		return;
	}
done:
	free_messages(messages, count);
}

/* Whether another task shares the caller's descriptor table: checked
 * against the container's process tree when that tree is known to be whole
 * (the proc connector lost nothing, no process was left untracked, the
 * container has its own pid namespace), else against every task on the
 * host. */
static int files_shared(struct call *call)
{
	struct monitor *monitor = call->monitor;
	struct eg_correlator_stats stats;
	_cleanup_free_ pid_t *pids = NULL;
	size_t count;

	eg_correlator_get_stats(monitor->correlator, &stats);
	if (call->notify->files_walk_tree && !monitor->poll && !monitor->events_lost &&
	    !stats.dropped && (pids = calloc(stats.tracked ? stats.tracked : 1, sizeof(*pids)))) {
		count = eg_correlator_tracked(monitor->correlator, pids, stats.tracked);
		call->notify->stats.files_walks_tree++;
		return eg_target_files_shared_among(&call->target, pids, count);
	}
	call->notify->stats.files_walks++;
	return eg_target_files_shared(&call->target);
}

/* A non-IP socket cannot reach an IP address, whatever it is given, as long
 * as the descriptor is still that socket when the kernel looks it up again:
 * true when no other task shares the caller's descriptor table. */
static void non_ip_call(struct call *call)
{
	if (call->mode < EG_MODE_BLOCK) {
		notify_continue(call->notify, call->id);
		return;
	}
	if (!files_shared(call))
		notify_continue(call->notify, call->id);
	else
		refuse(call, "a non-IP socket, and the descriptor table is shared with another "
		             "task (threads), so the descriptor could change before the kernel "
		             "looks it up again");
}

static int read_socketcall(struct call *call)
{
	uint32_t args[EG_SOCKETCALL_ARGS_MAX];
	int r = eg_target_read(&call->target, call->call.address, args,
	                       call->call.count * sizeof(uint32_t));

	if (r < 0)
		return r;
	eg_socket_call_apply_socketcall(&call->call, args);
	return 0;
}

/* A process whose attempts could match: everything it names is read. */
static void candidate_call(struct call *call)
{
	int r = notify_pidfd(call->notify, &call->target, false);

	if (r == -ENOENT)
		return gone(call);
	if (r < 0)
		return call->mode >= EG_MODE_BLOCK ? refuse(call, "no pidfd for the thread")
		                                   : (void)notify_continue(call->notify, call->id);
	/* socketcall()'s arguments live in the caller's memory, which the
	 * kernel reads again after a CONTINUE: another thread could change
	 * them in between.  So in block and kill modes an indirect call is
	 * never continued on the strength of what those arguments said. */
	bool indirect = call->call.kind == EG_SOCKET_CALL_SOCKETCALL;
	bool may_continue;

	if (indirect && (r = read_socketcall(call)) < 0)
		return r == -ENOENT ? gone(call) : answer(call, r);
	may_continue = !indirect || call->mode < EG_MODE_BLOCK;
	if (indirect && !may_continue && call->call.kind == EG_SOCKET_CALL_SENDMMSG &&
	    call->call.count == 0)
		return answer(call, 0); /* what the kernel answers for vlen 0 */
	/* sendto() with no address: the kernel reads none (the register is
	 * NULL), so the call goes to no destination or to the socket's
	 * connected peer, whichever socket the descriptor is by then. */
	if (call->call.kind == EG_SOCKET_CALL_OTHER ||
	    (may_continue &&
	     ((call->call.kind == EG_SOCKET_CALL_SENDTO && call->call.address == 0) ||
	      (call->call.kind == EG_SOCKET_CALL_SENDMMSG && call->call.count == 0)))) {
		notify_continue(call->notify, call->id);
		return;
	}
	r = eg_target_socket(&call->target, call->call.fd, &call->socket);
	/* A kept pidfd whose thread is gone: the number was reused. */
	if (r == -ENOENT && call->target.pidfd_borrowed &&
	    (r = notify_pidfd(call->notify, &call->target, true)) == 0)
		r = eg_target_socket(&call->target, call->call.fd, &call->socket);
	if (r == -ENOENT)
		return gone(call);
	if (r >= 0)
		r = eg_socket_kind_read(call->socket, &call->kind);
	if (r < 0)
		return answer(call, r);
	if (!call->kind.ip && !may_continue)
		return refuse(call, "a socketcall() on a non-IP socket: its descriptor number "
		                    "was read from memory another thread could change");
	if (!call->kind.ip)
		return non_ip_call(call);
	if (call->kind.header_included && call->mode >= EG_MODE_BLOCK)
		return refuse(call, "a raw socket that sends its own IP header: the destination "
		                    "is in the payload");
	if (call->call.compat && (call->call.flags & MSG_CMSG_COMPAT))
		call->call.flags &= ~(uint32_t)MSG_CMSG_COMPAT;
	switch (call->call.kind) {
	case EG_SOCKET_CALL_CONNECT:
		return connect_call(call);
	case EG_SOCKET_CALL_SENDTO:
	case EG_SOCKET_CALL_SENDMSG:
		return send_call(call);
	case EG_SOCKET_CALL_SENDMMSG:
		return send_vector_call(call);
	default:
		notify_continue(call->notify, call->id);
	}
}

static void unknown_call(struct call *call, const struct seccomp_data *data)
{
	if (!call->notify->unknown_logged)
		eg_log_warning("container %s: seccomp notification for syscall %d on arch 0x%x, "
		               "which the monitor does not decode: %s",
		               call->monitor->container->id, data->nr, data->arch,
		               call->mode >= EG_MODE_BLOCK ? "denied (EPERM)" : "continued");
	call->notify->unknown_logged = true;
	if (call->mode >= EG_MODE_BLOCK)
		notify_answer(call->notify, call->id, -EPERM);
	else
		notify_continue(call->notify, call->id);
}

static void handle(struct call *call, const struct seccomp_notif *request)
{
	struct eg_attempt probe;
	int lineage;

	eg_socket_call_decode(&call->notify->table, &request->data, &call->call);
	if (call->call.kind == EG_SOCKET_CALL_UNKNOWN)
		return unknown_call(call, &request->data);
	if (call->call.kind == EG_SOCKET_CALL_OTHER || call->mode == EG_MODE_OFF)
		return (void)notify_continue(call->notify, call->id);
	/* The kernel queued the caller's fork and exec events before it could
	 * make this call: read them first. */
	monitor_tree_receive(call->monitor);
	/* Events lost, or the procfs tracker between two looks: the caller is
	 * stopped in its syscall, so its lineage can be read now.  With a
	 * proc connector that lost nothing the tree is whole (an untracked
	 * caller is no descendant of the init), and /proc is not read on every
	 * call (threads and processes outside the tree would cost a read each,
	 * also long after every window). */
	lineage = call->monitor->poll || call->monitor->events_lost
	              ? monitor_tree_resolve(call->monitor, call->target.tid)
	              : 0;
	call->now_ns = monitor_now_ns();
	if (!monitor_window_open(call->monitor, call->now_ns))
		return (void)notify_continue(call->notify, call->id);
	if (find_process(call) < 0) {
		/* The thread is gone (its notification with it), or /proc said
		 * nothing we can use. */
		if (eg_target_valid(&call->target) < 0)
			return gone(call);
		return call->mode >= EG_MODE_BLOCK ? refuse(call, "its process is unknown")
		                                   : (void)notify_continue(call->notify, call->id);
	}
	if (lineage < 0 && call->mode >= EG_MODE_BLOCK)
		return refuse(call, "its lineage could not be read from /proc");
	probe = (struct eg_attempt){.pid = call->pid, .time_ns = call->now_ns};
	if (eg_correlator_attempt(call->monitor->correlator, &probe, &call->process) < 0 ||
	    independent_of_call(call->process.reason))
		return (void)notify_continue(call->notify, call->id);
	candidate_call(call);
}

void monitor_notify_handle(struct monitor_notify *notify, const struct seccomp_notif *request)
{
	struct call call = {
	    .notify = notify,
	    .monitor = notify->monitor,
	    .id = request->id,
	    .target = EG_TARGET_INIT(notify->listener_fd, request->id, (pid_t)request->pid),
	    .socket = -1,
	    .mode = notify->monitor->container->mode,
	};

	notify_forget_thread(notify, call.target.tid);
	notify_residue_take(notify, call.target.tid, &call.residue);
	handle(&call, request);
	residue_clear(&call.residue);
	eg_target_close(&call.target);
	eg_close_fd(&call.socket);
}
