/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which process owns a socket: sock_diag gives an inode, /proc/PID/fd/N
 * links read "socket:[INODE]".  Only the caller's candidates are scanned
 * (the container's tracked processes), within fixed limits.
 *
 * Cost: a scan reads every fd link of every candidate, so it runs only for
 * an inode never seen before.  Every socket inode a scan meets is
 * remembered with its pid (so one scan answers for all the sockets a
 * process opened), and so is an inode that no candidate holds (owner 0), in
 * a fixed-size cache: buckets of EG_SOCKET_OWNER_WAYS entries, the least
 * recently used one evicted when a bucket is full.  A socket seen in the
 * previous dump costs one cache probe and no system call.
 *
 * What it cannot tell:
 *  - A socket held by several processes (inherited over fork, passed with
 *    SCM_RIGHTS) is attributed to the first candidate found holding it, in
 *    the caller's order.
 *  - A process that exited, or closed or passed on the fd, before the scan:
 *    the inode is remembered as unowned (0).  eg_socket_owner_forget()
 *    lets a caller ask again later.
 *  - A pid is only a pid: the caller checks it is still the same process
 *    (start time) if that matters.
 * Processes and fds vanish during a scan all the time; ENOENT and ESRCH
 * are normal and counted, never errors.
 */
#ifndef ENTRYGUARD_MONITOR_SOCKET_OWNER_H
#define ENTRYGUARD_MONITOR_SOCKET_OWNER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "entryguard/cleanup.h"
#include "entryguard/error.h"

/* Entries per bucket: a probe reads one 64-byte-aligned run of them. */
#define EG_SOCKET_OWNER_WAYS                  8
/* Bounds on the settings: every resource a caller can make us allocate
 * (16 bytes per cache entry) or spend (readlink calls) has a limit. */
#define EG_SOCKET_OWNER_MAX_CACHE_ENTRIES     (1u << 20)
#define EG_SOCKET_OWNER_MAX_FDS_LIMIT         (1u << 20)
#define EG_SOCKET_OWNER_MAX_PIDS_LIMIT        65536u
/* Defaults (0 in the settings): a container's first seconds hold a few
 * processes with a few fds each; these leave ample room. */
#define EG_SOCKET_OWNER_DEFAULT_CACHE_ENTRIES 4096u
#define EG_SOCKET_OWNER_DEFAULT_MAX_FDS       4096u
#define EG_SOCKET_OWNER_DEFAULT_MAX_PIDS      4096u

struct eg_socket_owner;

struct eg_socket_owner_settings {
	const char *proc_root;  /* NULL: "/proc" (tests pass a fake tree) */
	uint32_t cache_entries; /* rounded up to a power of two >= WAYS */
	uint32_t max_fds_per_process;
	uint32_t max_pids_per_scan; /* candidates beyond are not scanned */
};

struct eg_socket_owner_stats {
	uint64_t lookups;
	uint64_t cache_hits;
	uint64_t scans;
	uint64_t processes_scanned;
	uint64_t processes_gone;      /* ENOENT/ESRCH on its fd directory */
	uint64_t processes_refused;   /* EACCES/EPERM on its fd directory */
	uint64_t processes_truncated; /* more fds than max_fds_per_process */
	uint64_t pids_skipped;        /* candidates beyond max_pids_per_scan */
	uint64_t links_read;
	uint64_t evictions;
};

int eg_socket_owner_new(const struct eg_socket_owner_settings *settings,
                        struct eg_socket_owner **ret_owner, struct eg_error *err);
void eg_socket_owner_free(struct eg_socket_owner *owner);
EG_DEFINE_CLEANUP(struct eg_socket_owner *, eg_socket_owner_free)

/* The process holding socket `inode` among candidates[0..count): from the
 * cache, or by one scan of the candidates when the inode is new.  Returns
 * 1 and *ret_pid, or 0 when no candidate holds it (remembered: the next
 * call answers 0 from the cache).  -EINVAL for inode 0 (TIME-WAIT and
 * destroyed sockets have no file: nothing can own them); a failure to read
 * one process is counted, not returned. */
int eg_socket_owner_find(struct eg_socket_owner *owner, uint32_t inode, const pid_t *candidates,
                         size_t count, pid_t *ret_pid);

/* Cache only, no scan: 1 and *ret_pid (0: known unowned), or 0 when
 * unknown. */
int eg_socket_owner_lookup(struct eg_socket_owner *owner, uint32_t inode, pid_t *ret_pid);

/* Records an owner the caller learned another way (0: unowned). */
void eg_socket_owner_remember(struct eg_socket_owner *owner, uint32_t inode, pid_t pid);

/* Drops what is known of inode, so that the next find scans again. */
void eg_socket_owner_forget(struct eg_socket_owner *owner, uint32_t inode);

/* Reads every socket link of candidates into the cache; returns the number
 * of socket fds found. */
int eg_socket_owner_scan(struct eg_socket_owner *owner, const pid_t *candidates, size_t count);

void eg_socket_owner_get_stats(const struct eg_socket_owner *owner,
                               struct eg_socket_owner_stats *ret_stats);

#endif
