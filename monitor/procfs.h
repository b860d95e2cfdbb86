/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded, race-tolerant readers of /proc/PID for a process the proc
 * connector just reported, and the scan that seeds the correlator at
 * start-up.  Every function takes the proc root (NULL: "/proc") so that
 * tests can point it at a fake tree.
 *
 * Nothing read here is trusted: the process controls its cmdline, can rename
 * itself (comm), and can exit or exec again while we read.  So:
 *  - one O_DIRECTORY fd on /proc/PID pins the process: if it dies and the
 *    pid is reused, reads through the fd fail (ESRCH) instead of reading the
 *    newcomer;
 *  - every read is bounded, and a process that is gone (ENOENT, ESRCH) is
 *    an ordinary result, not an error worth logging;
 *  - stat is read again at the end: a changed comm or start time means the
 *    process exec'd again (or renamed itself) meanwhile (info->changed).
 *
 * The name (DESIGN.md: "the basename of the executed file; for a script
 * that is the script's name, also when the kernel's 15-byte comm would
 * truncate a longer configured name"): the kernel sets comm to the basename
 * of the path given to execve (for a #! script, the script, not the
 * interpreter), cut to 15 bytes; for a script it rewrites argv to
 * [interpreter, optional interpreter argument, script path, original
 * arguments...].  So the name is the basename of the first of argv[0..2]
 * that agrees with comm: equal to it when comm is shorter than 15 bytes,
 * starting with it when comm has 15 (and may be cut).  When none agrees
 * (the process rewrote its cmdline, a zombie, a kernel thread) the name is
 * comm and name.unconfirmed says so.  cmdline alone is never believed.
 */
#ifndef ENTRYGUARD_MONITOR_PROCFS_H
#define ENTRYGUARD_MONITOR_PROCFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "entryguard/cleanup.h"
#include "entryguard/correlate.h"
#include "entryguard/entity.h"
#include "entryguard/error.h"

/* Bounds of what is kept of a cmdline: arguments, bytes of one argument
 * (with its NUL), and bytes in all.  Beyond them args.truncated is set. */
#define EG_PROC_ARGS_MAX       64
#define EG_PROC_ARG_MAX        4096
#define EG_PROC_CMDLINE_MAX    32768
/* readlink(/proc/PID/exe): the kernel's own path bound. */
#define EG_PROC_EXECUTABLE_MAX PATH_MAX
/* TASK_COMM_LEN (16) minus the NUL: a comm this long may have been cut. */
#define EG_PROC_COMM_VISIBLE   15
/* The scan keeps one record per process on the host; the kernel cannot have
 * more than PID_MAX_LIMIT (4M) processes, and neither can the scan. */
#define EG_PROC_SCAN_MAX       (4 * 1024 * 1024)

struct eg_proc_args {
	size_t count;
	bool truncated; /* an argument, the count or the total was cut */
	const char *argv[EG_PROC_ARGS_MAX];
	/* The cmdline as read, split in place; one more byte for a missing
	 * final NUL, one to detect a longer cmdline. */
	char storage[EG_PROC_CMDLINE_MAX + 2];
};

struct eg_proc_name {
	char name[EG_PROCESS_NAME_MAX];
	int argv_index;   /* the argv element that agreed with comm; -1: none */
	bool unconfirmed; /* no argv element agreed: name is comm, maybe cut */
};

struct eg_proc_exec_info {
	struct eg_proc_stat stat; /* pid, comm, ppid, start time */
	struct eg_proc_name name;
	bool changed;         /* comm or start time changed while reading */
	int executable_error; /* 0 or a negative errno (ENOENT: gone, kernel thread) */
	char executable[EG_PROC_EXECUTABLE_MAX];
	int args_error; /* 0 or a negative errno; args then empty */
	struct eg_proc_args args;
};

/* Reads <proc_root>/<pid>/cmdline: split on NUL, bounded as above.  An
 * empty cmdline (kernel thread, zombie) is 0 arguments, not an error; a
 * final argument without its NUL is kept.  On failure *ret_args is left
 * empty (count 0). */
int eg_proc_args_read(const char *proc_root, pid_t pid, struct eg_proc_args *ret_args,
                      struct eg_error *err);

/* readlink <proc_root>/<pid>/exe into buffer (NUL-terminated); returns its
 * length, -ENAMETOOLONG when it does not fit, -ENOENT/-ESRCH for a process
 * that is gone (or a kernel thread).  A deleted file ends in " (deleted)". */
int eg_proc_executable_read(const char *proc_root, pid_t pid, char *buffer, size_t size,
                            struct eg_error *err);

/* The name rule above, on comm and (possibly NULL) args. */
void eg_proc_name_resolve(const char *comm, const struct eg_proc_args *args,
                          struct eg_proc_name *ret_name);

/* Everything the monitor wants of a just-exec'd process, read through one
 * directory fd.  Fails only when stat cannot be read (-ENOENT/-ESRCH: gone);
 * the executable and the args may fail on their own (their *_error). */
int eg_proc_exec_read(const char *proc_root, pid_t pid, struct eg_proc_exec_info **ret_info,
                      struct eg_error *err);
void eg_proc_exec_info_free(struct eg_proc_exec_info *info);
EG_DEFINE_CLEANUP(struct eg_proc_exec_info *, eg_proc_exec_info_free)

struct eg_proc_tree_entry {
	pid_t pid;
	pid_t parent_pid;
	uint64_t start_time;
	uint32_t depth; /* 0: the root */
};

struct eg_proc_tree {
	size_t count;
	bool truncated; /* more than max_entries: the deepest were left out */
	size_t skipped; /* stat unreadable or malformed (besides gone) */
	struct eg_proc_tree_entry entries[];
};

/* Lists the root and the processes (thread groups) whose parent chain leads
 * to it, parents before children (by depth, then pid): the order that
 * eg_correlator_seed() needs.  A link counts only when the parent started no
 * later than the child: a parent pid reused while we scan breaks the chain
 * instead of adopting strangers.  root_start_time EG_START_TIME_UNKNOWN:
 * not checked; otherwise a root with another start time is -ESRCH. */
int eg_proc_tree_scan(const char *proc_root, pid_t root_pid, uint64_t root_start_time,
                      size_t max_entries, struct eg_proc_tree **ret_tree, struct eg_error *err);
void eg_proc_tree_free(struct eg_proc_tree *tree);
EG_DEFINE_CLEANUP(struct eg_proc_tree *, eg_proc_tree_free)

#endif
