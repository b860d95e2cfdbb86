/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Readers of /proc/PID and the start-up tree scan: see procfs.h. */
#include "monitor/procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "<proc_root>/<pid>": proc roots are short; longer is refused, not cut. */
#define PROCESS_PATH_MAX 256

struct process_dir {
	int fd;
	char path[PROCESS_PATH_MAX];
};

static void process_dir_close(struct process_dir *dir)
{
	eg_close_fd(&dir->fd);
}

static int process_dir_open(const char *proc_root, pid_t pid, struct process_dir *ret_dir,
                            struct eg_error *err)
{
	int length;

	if (pid <= 0)
		return eg_error_set(err, EINVAL, "pid %d is not positive", (int)pid);
	length = snprintf(ret_dir->path, sizeof(ret_dir->path), "%s/%d",
	                  proc_root ? proc_root : "/proc", (int)pid);
	if (length < 0 || (size_t)length >= sizeof(ret_dir->path))
		return eg_error_set(err, ENAMETOOLONG, "%s: proc root too long", proc_root);
	ret_dir->fd = open(ret_dir->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ret_dir->fd < 0)
		return eg_error_set_errno(err, errno, "%s", ret_dir->path);
	return 0;
}

/* Reads up to size bytes of dir/name (several reads: proc files may come in
 * pieces); *ret_length < size means the whole file was read. */
static int read_at(const struct process_dir *dir, const char *name, char *buffer, size_t size,
                   size_t *ret_length, struct eg_error *err)
{
	_cleanup_close_ int fd = openat(dir->fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t length = 0;

	if (fd < 0)
		return eg_error_set_errno(err, errno, "%s/%s", dir->path, name);
	while (length < size) {
		ssize_t n = read(fd, buffer + length, size - length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return eg_error_set_errno(err, errno, "%s/%s", dir->path, name);
		if (n == 0)
			break;
		length += (size_t)n;
	}
	*ret_length = length;
	return 0;
}

static int stat_read_at(const struct process_dir *dir, pid_t pid, struct eg_proc_stat *ret_stat,
                        struct eg_error *err)
{
	char buffer[EG_PROC_STAT_MAX + 1];
	struct eg_proc_stat stat;
	size_t length;
	int r;

	r = read_at(dir, "stat", buffer, sizeof(buffer), &length, err);
	if (r < 0)
		return r;
	if (length > EG_PROC_STAT_MAX)
		return eg_error_set(err, E2BIG, "%s/stat: more than %d bytes", dir->path,
		                    EG_PROC_STAT_MAX);
	r = eg_proc_stat_parse(buffer, length, &stat, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s/stat", dir->path);
	if (stat.pid != pid)
		return eg_error_set(err, EINVAL, "%s/stat: names pid %d", dir->path, (int)stat.pid);
	*ret_stat = stat;
	return 0;
}

/* Splits storage[0..length) on NUL in place, within the bounds. */
static void args_split(struct eg_proc_args *args, size_t length, bool more)
{
	size_t position = 0;

	args->count = 0;
	args->truncated = more;
	while (position < length) {
		char *start = args->storage + position;
		size_t arg_length = strnlen(start, length - position);

		if (args->count == EG_PROC_ARGS_MAX) {
			args->truncated = true;
			break;
		}
		args->argv[args->count++] = start;
		if (arg_length >= EG_PROC_ARG_MAX) {
			start[EG_PROC_ARG_MAX - 1] = '\0';
			args->truncated = true;
		} else if (position + arg_length == length) {
			start[arg_length] = '\0'; /* no final NUL: storage has room */
		}
		position += arg_length + 1;
	}
}

static int args_read_at(const struct process_dir *dir, struct eg_proc_args *args,
                        struct eg_error *err)
{
	size_t length;
	int r;

	/* One byte more than kept tells a longer cmdline apart. */
	r = read_at(dir, "cmdline", args->storage, EG_PROC_CMDLINE_MAX + 1, &length, err);
	if (r < 0) {
		args->count = 0;
		args->truncated = false;
		return r;
	}
	args_split(args, length > EG_PROC_CMDLINE_MAX ? EG_PROC_CMDLINE_MAX : length,
	           length > EG_PROC_CMDLINE_MAX);
	return 0;
}

int eg_proc_args_read(const char *proc_root, pid_t pid, struct eg_proc_args *ret_args,
                      struct eg_error *err)
{
	_cleanup_(process_dir_close) struct process_dir dir = {.fd = -1};
	int r;

	r = process_dir_open(proc_root, pid, &dir, err);
	if (r < 0)
		return r;
	return args_read_at(&dir, ret_args, err);
}

static int executable_read_at(const struct process_dir *dir, char *buffer, size_t size,
                              struct eg_error *err)
{
	ssize_t n;

	if (size == 0)
		return eg_error_set(err, EINVAL, "%s/exe: no room", dir->path);
	n = readlinkat(dir->fd, "exe", buffer, size);
	if (n < 0)
		return eg_error_set_errno(err, errno, "%s/exe", dir->path);
	if ((size_t)n >= size)
		return eg_error_set(err, ENAMETOOLONG, "%s/exe: longer than %zu bytes", dir->path,
		                    size - 1);
	buffer[n] = '\0';
	return (int)n;
}

int eg_proc_executable_read(const char *proc_root, pid_t pid, char *buffer, size_t size,
                            struct eg_error *err)
{
	_cleanup_(process_dir_close) struct process_dir dir = {.fd = -1};
	int r;

	r = process_dir_open(proc_root, pid, &dir, err);
	if (r < 0)
		return r;
	return executable_read_at(&dir, buffer, size, err);
}

static const char *basename_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Whether an argv element's basename can be the file comm was made from. */
static bool agrees_with_comm(const char *base, const char *comm, size_t comm_length)
{
	if (strlen(base) >= EG_PROCESS_NAME_MAX) /* no file name is that long */
		return false;
	if (comm_length == EG_PROC_COMM_VISIBLE)
		return strncmp(base, comm, comm_length) == 0;
	return strcmp(base, comm) == 0;
}

void eg_proc_name_resolve(const char *comm, const struct eg_proc_args *args,
                          struct eg_proc_name *ret_name)
{
	/* argv[0] (a binary), argv[1] (a script), argv[2] (a script whose #!
	 * line has an argument): where the kernel puts the executed file. */
	size_t candidates = args ? (args->count < 3 ? args->count : 3) : 0;
	size_t comm_length = strlen(comm);
	struct eg_proc_name name = {.argv_index = -1, .unconfirmed = true};

	for (size_t i = 0; i < candidates; i++) {
		const char *base = basename_of(args->argv[i]);

		if (agrees_with_comm(base, comm, comm_length)) {
			snprintf(name.name, sizeof(name.name), "%s", base);
			name.argv_index = (int)i;
			name.unconfirmed = false;
			*ret_name = name;
			return;
		}
	}
	snprintf(name.name, sizeof(name.name), "%s", comm);
	*ret_name = name;
}

int eg_proc_exec_read(const char *proc_root, pid_t pid, struct eg_proc_exec_info **ret_info,
                      struct eg_error *err)
{
	_cleanup_(process_dir_close) struct process_dir dir = {.fd = -1};
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;
	struct eg_proc_stat after;
	int r;

	r = process_dir_open(proc_root, pid, &dir, err);
	if (r < 0)
		return r;
	info = calloc(1, sizeof(*info));
	if (!info)
		return eg_error_set(err, ENOMEM, "%s: out of memory", dir.path);
	r = stat_read_at(&dir, pid, &info->stat, err);
	if (r < 0)
		return r;
	/* Neither may fail the whole read: a zombie has a stat and no exe. */
	info->args_error = args_read_at(&dir, &info->args, NULL);
	r = executable_read_at(&dir, info->executable, sizeof(info->executable), NULL);
	info->executable_error = r < 0 ? r : 0;
	if (r < 0)
		info->executable[0] = '\0';
	if (stat_read_at(&dir, pid, &after, NULL) == 0)
		info->changed = after.start_time != info->stat.start_time ||
		                strcmp(after.comm, info->stat.comm) != 0;
	eg_proc_name_resolve(info->stat.comm, &info->args, &info->name);
	*ret_info = steal_pointer(&info);
	return 0;
}

void eg_proc_exec_info_free(struct eg_proc_exec_info *info)
{
	free(info);
}

/* The scan's view of one process. */
struct scanned {
	pid_t pid;
	pid_t parent_pid;
	uint64_t start_time;
	uint32_t depth;
	enum { UNKNOWN, VISITING, INSIDE, OUTSIDE } state;
};

struct scan {
	struct scanned *processes;
	size_t count;
	size_t capacity;
	size_t skipped;
};

static void scan_done(struct scan *scan)
{
	free(scan->processes);
}

static int scan_add(struct scan *scan, const struct eg_proc_stat *stat)
{
	if (scan->count == scan->capacity) {
		size_t capacity = scan->capacity ? scan->capacity * 2 : 1024;
		struct scanned *grown;

		if (capacity > EG_PROC_SCAN_MAX)
			capacity = EG_PROC_SCAN_MAX;
		if (capacity == scan->count)
			return -E2BIG;
		grown = realloc(scan->processes, capacity * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		scan->processes = grown;
		scan->capacity = capacity;
	}
	scan->processes[scan->count++] = (struct scanned){
	    .pid = stat->pid,
	    .parent_pid = stat->parent_pid,
	    .start_time = stat->start_time,
	};
	return 0;
}

/* A directory entry named like a pid: digits only, positive, no overflow. */
static pid_t parse_pid_name(const char *name)
{
	long value = 0;

	if (!*name)
		return 0;
	for (const char *c = name; *c; c++) {
		if (*c < '0' || *c > '9' || value > (INT32_MAX - 9) / 10)
			return 0;
		value = value * 10 + (*c - '0');
	}
	return (pid_t)value;
}

/* Reads the stat of every process under proc_root (only thread-group
 * leaders have directories there, threads do not). */
static int scan_read(const char *proc_root, struct scan *scan, struct eg_error *err)
{
	DIR *directory = opendir(proc_root);
	struct dirent *entry;
	int r = 0;

	if (!directory)
		return eg_error_set_errno(err, errno, "%s", proc_root);
	while (r == 0 && (errno = 0, entry = readdir(directory))) {
		pid_t pid = parse_pid_name(entry->d_name);
		struct eg_proc_stat stat;

		if (pid <= 0)
			continue;
		int result = eg_proc_stat_read(proc_root, pid, &stat, NULL);
		if (result == -ENOENT || result == -ESRCH)
			continue; /* exited since readdir */
		if (result < 0) {
			scan->skipped++;
			continue;
		}
		r = scan_add(scan, &stat);
	}
	if (r == 0 && errno != 0)
		r = eg_error_set_errno(err, errno, "%s: readdir", proc_root);
	else if (r < 0)
		r = eg_error_set_errno(err, -r, "%s: scanning processes", proc_root);
	closedir(directory);
	return r;
}

static int compare_pid(const void *a, const void *b)
{
	const struct scanned *left = a, *right = b;

	return (left->pid > right->pid) - (left->pid < right->pid);
}

static struct scanned *scan_find(const struct scan *scan, pid_t pid)
{
	struct scanned key = {.pid = pid};

	return bsearch(&key, scan->processes, scan->count, sizeof(key), compare_pid);
}

/* Follows process's parent chain until a process whose state is known,
 * then gives every process on the way its state (and depth).  The chain is
 * threaded through VISITING entries' depth field (the index of the child),
 * so no extra memory; a loop (only a fake tree can have one) is OUTSIDE. */
static void scan_classify(struct scan *scan, struct scanned *process)
{
	struct scanned *current = process, *last = NULL;
	bool inside = false;
	uint32_t depth = 0;

	while (current->state == UNKNOWN) {
		struct scanned *parent = scan_find(scan, current->parent_pid);

		current->state = VISITING;
		current->depth = last ? (uint32_t)(last - scan->processes) : UINT32_MAX;
		last = current;
		if (!parent || parent->start_time > current->start_time)
			break; /* parent gone, outside the scan, or a reused pid */
		current = parent;
	}
	if (current != last && current->state == INSIDE) {
		inside = true;
		depth = current->depth;
	}
	/* Unwind from the top of the chain down to process. */
	for (struct scanned *at = last; at;) {
		uint32_t child = at->depth;

		at->state = inside ? INSIDE : OUTSIDE;
		at->depth = inside ? ++depth : 0;
		at = child == UINT32_MAX ? NULL : &scan->processes[child];
	}
}

static int compare_depth(const void *a, const void *b)
{
	const struct eg_proc_tree_entry *left = a, *right = b;

	if (left->depth != right->depth)
		return left->depth < right->depth ? -1 : 1;
	return (left->pid > right->pid) - (left->pid < right->pid);
}

static int tree_collect(struct scan *scan, size_t max_entries, struct eg_proc_tree **ret_tree)
{
	_cleanup_free_ struct eg_proc_tree *tree = NULL;
	size_t inside = 0;

	for (size_t i = 0; i < scan->count; i++) {
		if (scan->processes[i].state == UNKNOWN)
			scan_classify(scan, &scan->processes[i]);
		inside += scan->processes[i].state == INSIDE;
	}
	tree = malloc(sizeof(*tree) + inside * sizeof(tree->entries[0]));
	if (!tree)
		return -ENOMEM;
	tree->count = 0;
	for (size_t i = 0; i < scan->count; i++) {
		const struct scanned *process = &scan->processes[i];

		if (process->state == INSIDE)
			tree->entries[tree->count++] = (struct eg_proc_tree_entry){
			    .pid = process->pid,
			    .parent_pid = process->parent_pid,
			    .start_time = process->start_time,
			    .depth = process->depth,
			};
	}
	qsort(tree->entries, tree->count, sizeof(tree->entries[0]), compare_depth);
	tree->truncated = tree->count > max_entries;
	if (tree->truncated)
		tree->count = max_entries;
	tree->skipped = scan->skipped;
	*ret_tree = steal_pointer(&tree);
	return 0;
}

int eg_proc_tree_scan(const char *proc_root, pid_t root_pid, uint64_t root_start_time,
                      size_t max_entries, struct eg_proc_tree **ret_tree, struct eg_error *err)
{
	_cleanup_(scan_done) struct scan scan = {0};
	struct scanned *root;
	int r;

	if (!proc_root)
		proc_root = "/proc";
	if (root_pid <= 0 || max_entries == 0)
		return eg_error_set(err, EINVAL, "process tree: root pid %d, at most %zu entries",
		                    (int)root_pid, max_entries);
	r = scan_read(proc_root, &scan, err);
	if (r < 0)
		return r;
	qsort(scan.processes, scan.count, sizeof(scan.processes[0]), compare_pid);
	root = scan_find(&scan, root_pid);
	if (!root)
		return eg_error_set(err, ESRCH, "%s/%d: the root process is gone", proc_root,
		                    (int)root_pid);
	if (root_start_time != EG_START_TIME_UNKNOWN && root->start_time != root_start_time)
		return eg_error_set(err, ESRCH,
		                    "%s/%d: started at %llu, not %llu: the root exited and its pid "
		                    "was reused",
		                    proc_root, (int)root_pid, (unsigned long long)root->start_time,
		                    (unsigned long long)root_start_time);
	root->state = INSIDE;
	root->depth = 0;
	r = tree_collect(&scan, max_entries, ret_tree);
	if (r < 0)
		return eg_error_set_errno(err, -r, "%s: process tree", proc_root);
	return 0;
}

void eg_proc_tree_free(struct eg_proc_tree *tree)
{
	free(tree);
}
