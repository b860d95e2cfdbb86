/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket inode -> owning pid through /proc/PID/fd; see socket_owner.h. */
#include "monitor/socket_owner.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SOCKET_LINK_PREFIX "socket:["
/* getdents64 buffer: a /proc fd entry is 24 bytes plus the name (at most
 * 10 digits), so 8 KiB holds a few hundred per call. */
#define DIRENT_BUFFER_SIZE 8192
/* "socket:[4294967295]" and its NUL fit; longer targets are other files. */
#define LINK_TARGET_MAX    32

struct entry {
	uint32_t inode; /* 0: free */
	pid_t pid;      /* 0: no candidate held it */
	uint64_t used;  /* owner->clock at the last touch, for eviction */
};

struct eg_socket_owner {
	int proc_fd; /* the proc root, O_PATH: fd directories open relative to it */
	uint32_t max_fds;
	uint32_t max_pids;
	uint32_t bucket_bits;
	uint64_t clock;
	struct eg_socket_owner_stats stats;
	uint8_t dirents[DIRENT_BUFFER_SIZE] __attribute__((aligned(8)));
	struct entry entries[]; /* (1 << bucket_bits) * EG_SOCKET_OWNER_WAYS */
};

static uint32_t setting_or_default(uint32_t value, uint32_t fallback)
{
	return value ? value : fallback;
}

int eg_socket_owner_new(const struct eg_socket_owner_settings *settings,
                        struct eg_socket_owner **ret_owner, struct eg_error *err)
{
	_cleanup_free_ struct eg_socket_owner *owner = NULL;
	const char *proc_root = settings->proc_root ? settings->proc_root : "/proc";
	uint32_t entries, bits = 0;
	uint32_t cache =
	    setting_or_default(settings->cache_entries, EG_SOCKET_OWNER_DEFAULT_CACHE_ENTRIES);
	uint32_t max_fds =
	    setting_or_default(settings->max_fds_per_process, EG_SOCKET_OWNER_DEFAULT_MAX_FDS);
	uint32_t max_pids =
	    setting_or_default(settings->max_pids_per_scan, EG_SOCKET_OWNER_DEFAULT_MAX_PIDS);

	if (cache > EG_SOCKET_OWNER_MAX_CACHE_ENTRIES || max_fds > EG_SOCKET_OWNER_MAX_FDS_LIMIT ||
	    max_pids > EG_SOCKET_OWNER_MAX_PIDS_LIMIT)
		return eg_error_set(err, EINVAL,
		                    "socket owner: limits %u entries, %u fds, %u pids too large",
		                    cache, max_fds, max_pids);
	while (((uint32_t)EG_SOCKET_OWNER_WAYS << bits) < cache)
		bits++;
	entries = (uint32_t)EG_SOCKET_OWNER_WAYS << bits;

	owner = calloc(1, sizeof(*owner) + entries * sizeof(struct entry));
	if (!owner)
		return eg_error_set(err, ENOMEM, "socket owner: out of memory");
	owner->proc_fd = open(proc_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (owner->proc_fd < 0)
		return eg_error_set_errno(err, errno, "socket owner: cannot open %s", proc_root);
	owner->max_fds = max_fds;
	owner->max_pids = max_pids;
	owner->bucket_bits = bits;
	*ret_owner = steal_pointer(&owner);
	return 0;
}

void eg_socket_owner_free(struct eg_socket_owner *owner)
{
	if (!owner)
		return;
	eg_close_fd(&owner->proc_fd);
	free(owner);
}

/* --- the cache ------------------------------------------------------------ */

static struct entry *bucket_of(struct eg_socket_owner *owner, uint32_t inode)
{
	/* Fibonacci hashing: the top bits of inode * 2^32/phi spread the
	 * kernel's consecutive inode numbers over the buckets. */
	uint32_t bucket =
	    owner->bucket_bits ? (inode * 2654435769u) >> (32 - owner->bucket_bits) : 0;

	return &owner->entries[(size_t)bucket * EG_SOCKET_OWNER_WAYS];
}

static struct entry *find_entry(struct eg_socket_owner *owner, uint32_t inode)
{
	struct entry *bucket = bucket_of(owner, inode);

	for (int way = 0; way < EG_SOCKET_OWNER_WAYS; way++)
		if (bucket[way].inode == inode)
			return &bucket[way];
	return NULL;
}

/* Records inode -> pid.  During a scan (scan_start != 0) an owner already
 * recorded by the same scan is kept: the first candidate holding it wins. */
static void record(struct eg_socket_owner *owner, uint32_t inode, pid_t pid, uint64_t scan_start)
{
	struct entry *bucket = bucket_of(owner, inode), *slot = find_entry(owner, inode);

	if (slot && scan_start && slot->used >= scan_start && slot->pid != 0)
		return;
	for (int way = 0; !slot && way < EG_SOCKET_OWNER_WAYS; way++)
		if (bucket[way].inode == 0)
			slot = &bucket[way];
	if (!slot) {
		slot = &bucket[0];
		for (int way = 1; way < EG_SOCKET_OWNER_WAYS; way++)
			if (bucket[way].used < slot->used)
				slot = &bucket[way];
		owner->stats.evictions++;
	}
	slot->inode = inode;
	slot->pid = pid;
	slot->used = ++owner->clock;
}

int eg_socket_owner_lookup(struct eg_socket_owner *owner, uint32_t inode, pid_t *ret_pid)
{
	struct entry *slot = inode ? find_entry(owner, inode) : NULL;

	if (!slot)
		return 0;
	slot->used = ++owner->clock;
	*ret_pid = slot->pid;
	return 1;
}

void eg_socket_owner_remember(struct eg_socket_owner *owner, uint32_t inode, pid_t pid)
{
	if (inode)
		record(owner, inode, pid, 0);
}

void eg_socket_owner_forget(struct eg_socket_owner *owner, uint32_t inode)
{
	struct entry *slot = inode ? find_entry(owner, inode) : NULL;

	if (slot)
		*slot = (struct entry){0};
}

/* --- scanning /proc --------------------------------------------------------- */

/* "socket:[12345]" -> 12345; 0 for anything else. */
static uint32_t parse_socket_link(const char *target)
{
	const char *digits = target + strlen(SOCKET_LINK_PREFIX);
	uint64_t value = 0;

	if (strncmp(target, SOCKET_LINK_PREFIX, strlen(SOCKET_LINK_PREFIX)) != 0)
		return 0;
	for (; *digits >= '0' && *digits <= '9'; digits++) {
		value = value * 10 + (uint64_t)(*digits - '0');
		if (value > UINT32_MAX)
			return 0;
	}
	if (digits == target + strlen(SOCKET_LINK_PREFIX) || strcmp(digits, "]") != 0)
		return 0;
	return (uint32_t)value;
}

static int open_fd_directory(struct eg_socket_owner *owner, pid_t pid)
{
	char path[sizeof("2147483647/fd")];
	int fd;

	snprintf(path, sizeof(path), "%d/fd", (int)pid);
	fd = openat(owner->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == EACCES || errno == EPERM)
		owner->stats.processes_refused++;
	else
		owner->stats.processes_gone++; /* ENOENT, ESRCH: it exited */
	return -1;
}

/* Reads one link of the fd directory; 1 and the inode for a socket. */
static int read_socket_link(struct eg_socket_owner *owner, int directory, const char *name,
                            uint32_t *ret_inode)
{
	char target[LINK_TARGET_MAX];
	ssize_t length = readlinkat(directory, name, target, sizeof(target) - 1);

	owner->stats.links_read++;
	if (length < 0) /* ENOENT: closed meanwhile; the rest: not ours to read */
		return 0;
	target[length] = '\0';
	*ret_inode = parse_socket_link(target);
	return *ret_inode != 0;
}

/* Records every socket of one process; returns how many it holds. */
static int scan_process(struct eg_socket_owner *owner, pid_t pid, uint64_t scan_start)
{
	_cleanup_close_ int directory = open_fd_directory(owner, pid);
	uint32_t links = 0;
	int sockets = 0;
	long length;

	if (directory < 0)
		return 0;
	owner->stats.processes_scanned++;
	while ((length = getdents64(directory, owner->dirents, sizeof(owner->dirents))) > 0) {
		for (long offset = 0; offset < length;) {
			const struct dirent64 *entry = (const void *)(owner->dirents + offset);
			uint32_t inode;

			offset += entry->d_reclen;
			if (entry->d_name[0] == '.')
				continue;
			if (links++ == owner->max_fds) {
				owner->stats.processes_truncated++;
				return sockets;
			}
			if (read_socket_link(owner, directory, entry->d_name, &inode)) {
				record(owner, inode, pid, scan_start);
				sockets++;
			}
		}
	}
	return sockets;
}

int eg_socket_owner_scan(struct eg_socket_owner *owner, const pid_t *candidates, size_t count)
{
	uint64_t scan_start = owner->clock + 1;
	int sockets = 0;

	owner->stats.scans++;
	if (count > owner->max_pids) {
		owner->stats.pids_skipped += count - owner->max_pids;
		count = owner->max_pids;
	}
	for (size_t i = 0; i < count; i++)
		if (candidates[i] > 0)
			sockets += scan_process(owner, candidates[i], scan_start);
	return sockets;
}

int eg_socket_owner_find(struct eg_socket_owner *owner, uint32_t inode, const pid_t *candidates,
                         size_t count, pid_t *ret_pid)
{
	struct entry *slot;

	if (inode == 0)
		return -EINVAL;
	owner->stats.lookups++;
	slot = find_entry(owner, inode);
	if (slot)
		owner->stats.cache_hits++;
	else {
		eg_socket_owner_scan(owner, candidates, count);
		slot = find_entry(owner, inode);
		if (!slot) {
			record(owner, inode, 0, 0);
			return 0;
		}
	}
	slot->used = ++owner->clock;
	if (slot->pid == 0)
		return 0;
	*ret_pid = slot->pid;
	return 1;
}

void eg_socket_owner_get_stats(const struct eg_socket_owner *owner,
                               struct eg_socket_owner_stats *ret_stats)
{
	*ret_stats = owner->stats;
}
