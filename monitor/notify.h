/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container's seccomp listener: the runtime installed a filter that
 * turns connect, sendto, sendmsg and sendmmsg (and i386 socketcall) into
 * notifications, and sent us the listener fd.  Each notification is
 * answered in the monitor's one event loop, never blocking it (where the
 * fast path runs, its thread receives them and answers CONTINUE itself
 * only where the loop's answer could be nothing else: notify_fast.c):
 *
 *  - CONTINUE when the answer cannot depend on what the call names: no
 *    window is open, the process is not one whose attempts could match
 *    (untracked, wrong lineage, window over), a sendto() without an address
 *    (the kernel reads none: the register is NULL), a socketcall that names
 *    no destination, or a non-IP socket whose descriptor table no other task
 *    shares (so the descriptor cannot become an IP socket before the kernel
 *    looks it up again);
 *  - EPERM for an attempt that matches the rule in block and kill modes
 *    (kill mode also kills the process with SIGKILL through a pidfd), and,
 *    in those modes, for a raw, ICMP or other non-TCP/UDP IP socket naming a
 *    public destination, or a raw socket that writes its own IP header
 *    (refused and logged: no alert record, whose transport is tcp or udp);
 *  - otherwise, in block and kill modes, the allowed call is EMULATED on a
 *    pidfd_getfd() copy of the socket with the monitor's copy of its name,
 *    payload and ancillary data (emulate.h), and the syscall's result is
 *    the emulation's: the kernel never reads the container's memory again.
 *    What cannot be emulated exactly (ancillary data beyond the simple
 *    kinds, TCP Fast Open on a blocking socket, a non-IP call from a task
 *    whose descriptor table is shared) is refused with EPERM and logged.
 *  - detect mode judges, alerts and CONTINUEs everything: it never changes
 *    what the container sees (so a thread that races the check can change
 *    what the kernel uses after the alert was written; detect mode only
 *    reports).
 *
 * Before each decision the proc connector is drained, so the fork and exec
 * events of the calling process (queued by the kernel before the process
 * could make the call) are in the correlator.
 *
 * Calls that wait for their socket watch their thread's pidfd (dropped when
 * it dies) and are validated before each step (nothing more is sent once a
 * signal interrupted them); what an interrupted stream send had sent is
 * given to its restart.  Thread pidfds are kept across notifications.  See
 * docs/BLOCKING.md.
 */
#ifndef ENTRYGUARD_MONITOR_NOTIFY_H
#define ENTRYGUARD_MONITOR_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "entryguard/error.h"

struct monitor;
struct monitor_notify;

/* Calls waiting for their socket (a blocking connect under way, a send
 * waiting for room) at once; more are answered EAGAIN.  Each holds a
 * socket copy, a pidfd and at most a few payload copies of 64 KiB. */
#define MONITOR_NOTIFY_PENDING_MAX 256
/* Messages of one sendmmsg() emulated at once (a shorter count is a valid
 * answer: the caller sends the rest with another call), and the payload
 * copied for them in all. */
#define MONITOR_NOTIFY_MMSG_MAX    64
#define MONITOR_NOTIFY_MMSG_BYTES  (256u * 1024u)

struct monitor_notify_stats {
	uint64_t received;          /* notifications read */
	uint64_t continued;         /* answered CONTINUE */
	uint64_t emulated;          /* performed on the socket copy */
	uint64_t denied;            /* EPERM for a match (block, kill) */
	uint64_t killed;            /* processes killed (kill) */
	uint64_t refused;           /* allowed, but not race-free: EPERM, logged */
	uint64_t failed;            /* answered the errno the kernel would give (EBADF...) */
	uint64_t gone;              /* the target died or was interrupted (ENOENT) */
	uint64_t pending;           /* waiting now */
	uint64_t files_walks;       /* descriptor-table checks over every task on the host */
	uint64_t files_walks_tree;  /* ... over the container's process tree only */
	uint64_t pidfds_reused;     /* notifications served with a kept thread pidfd */
	uint64_t threads_gone;      /* waiting calls dropped: thread gone or interrupted */
	uint64_t residues_kept;     /* interrupted stream sends that had sent bytes */
	uint64_t residues_answered; /* restarted sends answered with that count */
	uint64_t fast_continued;    /* CONTINUE by the fast path's thread (in continued) */
	uint64_t fast_handed_off;   /* received by that thread, answered by the loop */
};

/* Takes listener_fd (closed by monitor_notify_free(), or here on failure).
 * Asks the kernel for its notification sizes, allocates once, and sets
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP where the kernel has it (6.6+).  Its
 * fds are added to epoll_fd with data.u64 = (slot << 32) | epoll_tag: pass
 * events whose low 32 bits are epoll_tag to monitor_notify_on_event(). */
int monitor_notify_new(struct monitor *monitor, int listener_fd, int epoll_fd, uint32_t epoll_tag,
                       struct monitor_notify **ret_notify, struct eg_error *err);
void monitor_notify_free(struct monitor_notify *notify);

/* Starts the fast path's thread (notify_fast.c) where SYNC_WAKE_UP is set
 * and the proc connector is the tracker: it receives every notification,
 * answers CONTINUE itself where nothing else could be the answer, and hands
 * the rest to the event loop.  1 started, 0 not applicable, or a negative
 * errno (the loop then receives as before). */
int monitor_notify_start_fast_path(struct monitor_notify *notify, struct eg_error *err);

void monitor_notify_on_event(struct monitor_notify *notify, uint32_t slot, uint32_t events);

/* For measurements: -EOPNOTSUPP on kernels before 6.6. */
int monitor_notify_set_sync_wake_up(struct monitor_notify *notify, bool enabled);
bool monitor_notify_sync_wake_up(const struct monitor_notify *notify);

/* For tests: whether the descriptor-table check may walk the container's
 * process tree alone (set at start when the container has its own pid
 * namespace). */
void monitor_notify_set_files_walk_tree(struct monitor_notify *notify, bool enabled);

void monitor_notify_get_stats(const struct monitor_notify *notify,
                              struct monitor_notify_stats *ret_stats);

/* The two halves of one listener event, exposed for tests: receive one
 * notification into the buffer allocated at start-up (0; -ENOENT when its
 * target died before we read it, which is normal), and answer one. */
struct seccomp_notif;
int monitor_notify_receive(struct monitor_notify *notify, const struct seccomp_notif **ret_request);
void monitor_notify_handle(struct monitor_notify *notify, const struct seccomp_notif *request);

#endif
