/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * process.entity_id: a stable id for one program run by one process.
 *
 * The id is a keyed 128-bit hash (SipHash-2-4-128, keyed with the host's
 * machine-id) of (pid, process start time, exec sequence), written as 32
 * lowercase hex characters:
 *  - the same inputs always give the same id, so every watcher in a monitor
 *    (proc connector, sock_diag, seccomp) names a process the same way;
 *  - a recycled pid has a different start time and so a different id: it
 *    never inherits the identity, or the lineage, of the process before it;
 *  - an exec starts a new entity (the monitor counts the execs it sees), so
 *    after `exec "$@"` the replacing program is not the entrypoint;
 *  - keying with the machine-id keeps ids of different hosts apart and does
 *    not reveal the machine-id itself (systemd asks applications not to).
 *
 * /proc/PID/stat is read with a bound and parsed without trusting comm: the
 * process names itself, and "a) b (c" is a valid comm, so the fields are
 * found after the LAST ')'.
 */
#ifndef ENTRYGUARD_ENTITY_H
#define ENTRYGUARD_ENTITY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "entryguard/error.h"

/* machine-id(5): 128 bits written as 32 lowercase hex characters. */
#define EG_HOST_ID_TEXT_LENGTH 32
#define EG_ENTITY_ID_LENGTH    32

/* comm as /proc/PID/stat shows it: 15 bytes for tasks (TASK_COMM_LEN 16),
 * up to 63 for kernel workers; longer ones are cut. */
#define EG_PROC_COMM_MAX 64

/* A stat line is about 300 bytes; 52 numeric fields of at most 20 digits
 * plus a 64-byte comm stay well below this, so more means it is not stat. */
#define EG_PROC_STAT_MAX 4096

struct eg_host_id {
	uint8_t bytes[16];
	char text[EG_HOST_ID_TEXT_LENGTH + 1];
};

struct eg_entity_id {
	char text[EG_ENTITY_ID_LENGTH + 1];
};

struct eg_proc_stat {
	pid_t pid;                   /* field 1 */
	char comm[EG_PROC_COMM_MAX]; /* field 2, without the parentheses */
	char state;                  /* field 3 */
	pid_t parent_pid;            /* field 4 */
	uint64_t start_time;         /* field 22: clock ticks after boot */
};

/* Parses a machine-id: exactly 32 hex characters, optionally followed by one
 * newline.  "uninitialized" (systemd's first boot), an all-zero id, other
 * lengths and other characters are errors that quote the input. */
int eg_host_id_parse(const char *text, size_t length, struct eg_host_id *ret_host_id,
                     struct eg_error *err);

/* Reads and parses path (NULL: /etc/machine-id), at most 64 bytes. */
int eg_host_id_read(const char *path, struct eg_host_id *ret_host_id, struct eg_error *err);

/* The id of the entity (pid, start_time, exec_sequence) on host.  pid must be
 * positive (-EINVAL otherwise).  exec_sequence counts the execs the monitor
 * saw in this process: 0 from fork (or from start-up), +1 at each exec. */
int eg_entity_id_make(const struct eg_host_id *host, pid_t pid, uint64_t start_time,
                      uint32_t exec_sequence, struct eg_entity_id *ret_entity_id);

/* Parses one /proc/PID/stat line of `length` bytes (no NUL needed).  Needs
 * fields up to 22; returns -EINVAL with the reason (and the field) for any
 * malformed input, -E2BIG above EG_PROC_STAT_MAX. */
int eg_proc_stat_parse(const char *buffer, size_t length, struct eg_proc_stat *ret_stat,
                       struct eg_error *err);

/* Reads <proc_root>/<pid>/stat (proc_root NULL: "/proc") with one bounded
 * read and parses it; the pid in the line must be pid.  A process that is
 * gone is -ENOENT or -ESRCH, which callers treat as normal. */
int eg_proc_stat_read(const char *proc_root, pid_t pid, struct eg_proc_stat *ret_stat,
                      struct eg_error *err);

/* SipHash-2-4 with a 128-bit output (Aumasson and Bernstein), the mixing
 * behind entity ids; exposed so that tests check it against the reference
 * vectors. */
void eg_siphash128(const uint8_t key[16], const void *data, size_t length, uint8_t ret_digest[16]);

#endif
