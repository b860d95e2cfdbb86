/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The procfs tracker: /proc looks turned into process events (see the header). */
#include "monitor/tracker_procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entryguard/entity.h"
#include "monitor/procfs.h"

/* One process as the last look saw it: hashes of its comm and its exe link,
 * what an exec changes (exe 0: unknown). */
struct record {
	pid_t pid; /* 0: a free slot */
	pid_t parent_pid;
	uint64_t start_time;
	uint64_t comm_hash;
	uint64_t exe_hash;
	uint64_t seen_ns; /* the last look that found it unchanged */
	uint32_t generation;
	bool entrypoint; /* eg_proc_poll_mark_entrypoint() */
	/* Its exec is deferred to the end of this look: the children found
	 * meanwhile were forked by the program it ran before. */
	bool exec_deferred;
	uint64_t before_comm_hash;
	uint64_t before_exe_hash;
};

/* A look at one process, before it is compared with its record. */
struct look {
	struct eg_proc_stat stat;
	uint64_t comm_hash;
	uint64_t exe_hash; /* 0: unreadable (a zombie, an exiting process) */
};

/* The walk's work list: a process to look at and who listed it. */
struct pending {
	pid_t pid;
	pid_t parent_pid;
};

struct eg_proc_poll {
	char proc_root[PATH_MAX];
	pid_t root_pid;
	uint64_t root_start_time;
	uint64_t nanoseconds_per_tick;
	uint64_t boot_offset_ns;
	uint32_t max_processes;
	uint32_t generation;
	uint64_t previous_scan_ns; /* when the last full scan began; 0: none yet */
	bool root_gone;
	/* Records by pid: open addressing, linear probing, capacity a power of
	 * two at least twice max_processes, so probes stay short. */
	struct record *records;
	size_t capacity;
	struct pending *work; /* max_processes entries, also the exit list */
	/* Execs of entrypoints handed out at the end of a look, after the
	 * forks it found (pid and stamp). */
	struct eg_proc_event deferred[EG_PROC_POLL_DEFERRED_MAX];
	size_t deferred_count;
	pid_t caller_deferred; /* eg_proc_poll_defer_exec()'s, until the look ends */
	struct eg_proc_poll_stats stats;
};

static uint64_t hash_text(uint64_t hash, const char *text)
{
	/* FNV-1a: a change detector, not a defence (the process cannot gain
	 * anything by hiding an exec it could just as well not make). */
	for (; *text; text++)
		hash = (hash ^ (unsigned char)*text) * 0x100000001b3ull;
	return hash;
}

static size_t slot_of(const struct eg_proc_poll *poll, pid_t pid)
{
	return ((uint32_t)pid * 0x9e3779b9u) & (poll->capacity - 1);
}

static struct record *find(const struct eg_proc_poll *poll, pid_t pid)
{
	for (size_t i = slot_of(poll, pid);; i = (i + 1) & (poll->capacity - 1)) {
		if (poll->records[i].pid == pid)
			return &poll->records[i];
		if (poll->records[i].pid == 0)
			return NULL;
	}
}

static struct record *insert(struct eg_proc_poll *poll, pid_t pid)
{
	size_t i = slot_of(poll, pid);

	if (poll->stats.tracked >= poll->max_processes)
		return NULL;
	while (poll->records[i].pid != 0)
		i = (i + 1) & (poll->capacity - 1);
	poll->records[i] = (struct record){.pid = pid};
	poll->stats.tracked++;
	return &poll->records[i];
}

/* Backward-shift deletion: no tombstones, probes stay exact. */
static void remove_record(struct eg_proc_poll *poll, struct record *record)
{
	size_t mask = poll->capacity - 1, hole = (size_t)(record - poll->records);

	for (size_t i = (hole + 1) & mask; poll->records[i].pid != 0; i = (i + 1) & mask) {
		size_t home = slot_of(poll, poll->records[i].pid);

		/* Move the entry into the hole unless its home lies cyclically
		 * in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			poll->records[hole] = poll->records[i];
			hole = i;
		}
	}
	poll->records[hole].pid = 0;
	poll->stats.tracked--;
}

static int look_at(const struct eg_proc_poll *poll, pid_t pid, struct look *ret_look,
                   struct eg_error *err)
{
	char executable[EG_PROC_EXECUTABLE_MAX];
	int r = eg_proc_stat_read(poll->proc_root, pid, &ret_look->stat, err);

	if (r < 0)
		return r;
	ret_look->comm_hash = hash_text(0xcbf29ce484222325ull, ret_look->stat.comm);
	/* A zombie, a process on its way out or a kernel thread has no exe:
	 * its comm alone tells then. */
	ret_look->exe_hash =
	    eg_proc_executable_read(poll->proc_root, pid, executable, sizeof(executable), NULL) < 0
	        ? 0
	        : hash_text(0x84222325cbf29ce4ull, executable) | 1;
	return 0;
}

/* Whether look runs another program than the record's (an exec, or for a
 * new child, not its parent's program). */
static bool other_program(const struct record *record, const struct look *look)
{
	return record->comm_hash != look->comm_hash ||
	       (record->exe_hash && look->exe_hash && record->exe_hash != look->exe_hash);
}

/* Whether a new child runs another program than its parent did when it
 * forked: the parent's program before a deferred exec. */
static bool child_execd(const struct record *parent, const struct look *look)
{
	struct record before;

	if (!parent->exec_deferred)
		return other_program(parent, look);
	before = *parent;
	before.comm_hash = parent->before_comm_hash;
	before.exe_hash = parent->before_exe_hash;
	return other_program(&before, look);
}

static void take_program(struct record *record, const struct look *look)
{
	record->comm_hash = look->comm_hash;
	if (look->exe_hash)
		record->exe_hash = look->exe_hash;
}

static uint64_t start_ns(const struct eg_proc_poll *poll, uint64_t start_time)
{
	uint64_t ns = start_time * poll->nanoseconds_per_tick;

	return ns > poll->boot_offset_ns ? ns - poll->boot_offset_ns : 0;
}

static int emit(struct eg_proc_poll *poll, eg_proc_event_handler handler, void *userdata,
                enum eg_proc_event_type type, pid_t pid, pid_t parent_pid, uint64_t time_ns)
{
	struct eg_proc_event event = {
	    .type = type, .pid = pid, .parent_pid = parent_pid, .timestamp_ns = time_ns};

	if (!handler)
		return 0;
	if (type == EG_PROC_EVENT_FORK)
		poll->stats.forks++;
	else if (type == EG_PROC_EVENT_EXEC)
		poll->stats.execs++;
	else
		poll->stats.exits++;
	return handler(&event, userdata);
}

/* Compares one look with its record and hands out what changed.  Returns 1
 * when the process is recorded (its children may be looked at), 0 when it
 * is not (table full), or the handler's negative value. */
static int visit(struct eg_proc_poll *poll, const struct look *look, pid_t parent_pid,
                 uint64_t now_ns, eg_proc_event_handler handler, void *userdata)
{
	struct record *record = find(poll, look->stat.pid);
	const struct record *parent;
	uint64_t started, exec_ns;
	int r;

	if (record && record->start_time != look->stat.start_time) {
		/* The pid was reused: the one we knew exited unseen. */
		pid_t pid = record->pid;

		remove_record(poll, record);
		record = NULL;
		if ((r = emit(poll, handler, userdata, EG_PROC_EVENT_EXIT, pid, 0, now_ns)) < 0)
			return r;
	}
	if (record) {
		bool exec = other_program(record, look);

		if (exec && record->entrypoint &&
		    poll->deferred_count < EG_PROC_POLL_DEFERRED_MAX) {
			/* An entrypoint replaced itself (exec "$@"): the
			 * children this look finds may be its own, forked
			 * before; they come first, the exec after them. */
			poll->deferred[poll->deferred_count++] = (struct eg_proc_event){
			    .type = EG_PROC_EVENT_EXEC,
			    .pid = record->pid,
			    .timestamp_ns = record->seen_ns,
			};
			record->entrypoint = false;
			record->exec_deferred = true;
			record->before_comm_hash = record->comm_hash;
			record->before_exe_hash = record->exe_hash;
		} else if (exec) {
			record->entrypoint = false;
			r = emit(poll, handler, userdata, EG_PROC_EVENT_EXEC, record->pid, 0,
			         record->seen_ns);
			if (r < 0)
				return r;
		}
		take_program(record, look);
		record->seen_ns = now_ns;
		record->generation = poll->generation;
		return 1;
	}
	parent = find(poll, parent_pid);
	if (!parent || !(record = insert(poll, look->stat.pid))) {
		poll->stats.dropped += parent != NULL;
		return 0;
	}
	record->parent_pid = parent_pid;
	record->start_time = look->stat.start_time;
	take_program(record, look);
	record->seen_ns = now_ns;
	record->generation = poll->generation;
	/* Not there at the last scan's start: it exec'd after it, and after
	 * its own start. */
	started = start_ns(poll, look->stat.start_time);
	if (started > now_ns)
		started = now_ns;
	exec_ns = started > poll->previous_scan_ns ? started : poll->previous_scan_ns;
	if (exec_ns > now_ns)
		exec_ns = now_ns;
	r = emit(poll, handler, userdata, EG_PROC_EVENT_FORK, look->stat.pid, parent_pid, started);
	/* A child that runs what its parent runs under the same name is taken
	 * as a plain fork (a subshell); anything else exec'd. */
	if (r >= 0 && child_execd(parent, look))
		r = emit(poll, handler, userdata, EG_PROC_EVENT_EXEC, look->stat.pid, 0, exec_ns);
	return r < 0 ? r : 1;
}

/* Parses one children file (space-separated pids) into the work list. */
static void read_children_file(struct eg_proc_poll *poll, int directory_fd, const char *tid,
                               pid_t parent_pid, size_t *work_count)
{
	char path[NAME_MAX + 16], buffer[1024];
	_cleanup_close_ int fd = -1;
	long value = 0;
	bool digits = false;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/children", tid);
	fd = openat(directory_fd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* A number may be cut between two reads: it is carried over. */
	while ((n = read(fd, buffer, sizeof(buffer))) > 0)
		for (ssize_t i = 0; i < n; i++) {
			if (buffer[i] >= '0' && buffer[i] <= '9' && value < INT32_MAX / 10) {
				value = value * 10 + (buffer[i] - '0');
				digits = true;
				continue;
			}
			if (digits && value > 0 && *work_count < poll->max_processes)
				poll->work[(*work_count)++] =
				    (struct pending){.pid = (pid_t)value, .parent_pid = parent_pid};
			value = 0;
			digits = false;
		}
	if (digits && value > 0 && *work_count < poll->max_processes)
		poll->work[(*work_count)++] =
		    (struct pending){.pid = (pid_t)value, .parent_pid = parent_pid};
}

/* Adds the children of every thread of pid to the work list. */
static void push_children(struct eg_proc_poll *poll, pid_t pid, size_t *work_count)
{
	char path[PATH_MAX + 32];
	struct dirent *entry;
	DIR *tasks;
	int threads = 0;

	snprintf(path, sizeof(path), "%s/%d/task", poll->proc_root, (int)pid);
	tasks = opendir(path);
	if (!tasks)
		return; /* gone: its children are the init's now, found there */
	while ((entry = readdir(tasks)) && threads < EG_PROC_POLL_THREADS_MAX) {
		if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
			continue;
		read_children_file(poll, dirfd(tasks), entry->d_name, pid, work_count);
		threads++;
	}
	closedir(tasks);
}

/* Whether a record the walk did not reach is still there: the kernel's
 * children files can skip an entry while a sibling exits during the read,
 * and a process is not forgotten (nor its lineage) for that. */
static bool still_there(const struct eg_proc_poll *poll, const struct record *record)
{
	struct eg_proc_stat stat;

	return eg_proc_stat_read(poll->proc_root, record->pid, &stat, NULL) == 0 &&
	       stat.start_time == record->start_time && stat.state != 'Z' && stat.state != 'X';
}

/* Every record the scan did not reach, and that is gone, has exited. */
static int hand_out_exits(struct eg_proc_poll *poll, uint64_t now_ns, eg_proc_event_handler handler,
                          void *userdata)
{
	size_t count = 0;
	int r = 0;

	for (size_t i = 0; i < poll->capacity; i++) {
		struct record *record = &poll->records[i];

		if (!record->pid || record->generation == poll->generation)
			continue;
		if (still_there(poll, record))
			record->generation = poll->generation;
		else if (count < poll->max_processes)
			poll->work[count++] = (struct pending){.pid = record->pid};
	}
	for (size_t i = 0; i < count; i++) {
		remove_record(poll, find(poll, poll->work[i].pid));
		if (r >= 0)
			r = emit(poll, handler, userdata, EG_PROC_EVENT_EXIT, poll->work[i].pid, 0,
			         now_ns);
	}
	return r;
}

/* No exits are handed out: the monitor ends with the init, and its last
 * socket dump still wants to know whose sockets it finds. */
static int root_lost(struct eg_proc_poll *poll, struct eg_error *err)
{
	poll->root_gone = true;
	return eg_error_set(err, ESRCH, "%s/%d: the container's init is gone", poll->proc_root,
	                    (int)poll->root_pid);
}

static int hand_out_deferred(struct eg_proc_poll *poll, eg_proc_event_handler handler,
                             void *userdata)
{
	size_t count = poll->deferred_count;
	int r = 0;

	poll->deferred_count = 0;
	if (poll->caller_deferred) {
		struct record *record = find(poll, poll->caller_deferred);

		if (record)
			record->exec_deferred = false;
		poll->caller_deferred = 0;
	}
	for (size_t i = 0; i < count; i++) {
		struct record *record = find(poll, poll->deferred[i].pid);

		if (record)
			record->exec_deferred = false;
	}
	for (size_t i = 0; i < count && r >= 0; i++)
		r = emit(poll, handler, userdata, EG_PROC_EVENT_EXEC, poll->deferred[i].pid, 0,
		         poll->deferred[i].timestamp_ns);
	return r;
}

void eg_proc_poll_defer_exec(struct eg_proc_poll *poll, pid_t pid, const char *before_name)
{
	struct record *record = find(poll, pid);
	char comm[16]; /* TASK_COMM_LEN: /proc/PID/stat's comm is cut there */

	if (!record || !before_name)
		return;
	snprintf(comm, sizeof(comm), "%s", before_name);
	record->exec_deferred = true;
	record->before_comm_hash = hash_text(0xcbf29ce484222325ull, comm);
	record->before_exe_hash = 0; /* unknown: the name alone decides */
	poll->caller_deferred = pid;
}

void eg_proc_poll_mark_entrypoint(struct eg_proc_poll *poll, pid_t pid)
{
	struct record *record = find(poll, pid);

	if (record)
		record->entrypoint = true;
}

int eg_proc_poll_scan(struct eg_proc_poll *poll, uint64_t now_ns, eg_proc_event_handler handler,
                      void *userdata, struct eg_error *err)
{
	uint64_t events_before = poll->stats.forks + poll->stats.execs + poll->stats.exits;
	size_t work_count = 0;
	struct look look;
	int r;

	if (poll->root_gone)
		return root_lost(poll, err);
	/* A process's children are listed before it is looked at, so the
	 * look is no older than its children: one taken before an exec and a
	 * fork that follows it would hand that child out as the old
	 * program's (the init's child as crun's, not entrypoint.sh's). */
	push_children(poll, poll->root_pid, &work_count);
	r = look_at(poll, poll->root_pid, &look, err);
	/* Only a root that is gone is given up; another failure is this
	 * look's. */
	if (r == -ENOENT || r == -ESRCH ||
	    (r >= 0 && look.stat.start_time != poll->root_start_time))
		return root_lost(poll, err);
	if (r < 0)
		return r;
	poll->generation++;
	poll->stats.scans++;
	r = visit(poll, &look, 0, now_ns, handler, userdata);
	if (r < 0)
		return r;
	/* Depth first from a stack: a parent is always visited (and its exec
	 * handed out) before its children. */
	while (work_count > 0) {
		struct pending next = poll->work[--work_count];
		const struct record *known = find(poll, next.pid);
		size_t listed = work_count;

		if (known && known->generation == poll->generation)
			continue; /* listed twice (a fake tree's loop, a race) */
		push_children(poll, next.pid, &work_count);
		/* Exited since it was listed, or not recorded (table full):
		 * its children are not followed. */
		if (look_at(poll, next.pid, &look, NULL) < 0) {
			work_count = listed;
			continue;
		}
		r = visit(poll, &look, next.parent_pid, now_ns, handler, userdata);
		if (r < 0)
			return r;
		if (r == 0)
			work_count = listed;
	}
	r = hand_out_deferred(poll, handler, userdata);
	if (r >= 0)
		r = hand_out_exits(poll, now_ns, handler, userdata);
	if (r < 0)
		return r;
	poll->previous_scan_ns = now_ns;
	return (int)(poll->stats.forks + poll->stats.execs + poll->stats.exits - events_before);
}

int eg_proc_poll_resolve(struct eg_proc_poll *poll, pid_t pid, uint64_t now_ns,
                         eg_proc_event_handler handler, void *userdata, struct eg_error *err)
{
	struct look chain[EG_PROC_POLL_DEPTH_MAX];
	size_t depth = 0;
	int r;

	if (poll->root_gone)
		return eg_error_set(err, ESRCH, "%s/%d: the container's init is gone",
		                    poll->proc_root, (int)poll->root_pid);
	poll->stats.resolves++;
	/* Up from pid to the root; a parent younger than its child is a reused
	 * pid, so the chain leads elsewhere. */
	for (pid_t at = pid;;) {
		if (depth == EG_PROC_POLL_DEPTH_MAX)
			return eg_error_set(err, ELOOP, "pid %d: more than %d ancestors", (int)pid,
			                    EG_PROC_POLL_DEPTH_MAX);
		r = look_at(poll, at, &chain[depth], err);
		if (r < 0)
			return r;
		if (depth > 0 && chain[depth].stat.start_time > chain[depth - 1].stat.start_time)
			return 0;
		if (at == poll->root_pid) {
			if (chain[depth].stat.start_time != poll->root_start_time)
				return 0;
			break;
		}
		at = chain[depth++].stat.parent_pid;
		if (at <= 0)
			return 0;
	}
	/* Down from the root: each look compared with its record. */
	for (size_t i = depth + 1; i-- > 0;) {
		r = visit(poll, &chain[i], i == depth ? 0 : chain[i + 1].stat.pid, now_ns, handler,
		          userdata);
		if (r == 0)
			r = eg_error_set(err, ENOSPC, "pid %d: the process table is full (%u)",
			                 (int)chain[i].stat.pid, poll->max_processes);
		if (r < 0) {
			hand_out_deferred(poll, handler, userdata);
			return r;
		}
	}
	/* An entrypoint's exec held back (exec "$@"): its other children,
	 * which the climb did not meet, may have been forked before it, so a
	 * whole look hands them out first, then the exec; handed out now, it
	 * would leave them (a marker forked before `exec "$@"`) the new
	 * program's. */
	if (poll->deferred_count > 0 || poll->caller_deferred) {
		struct eg_error ignored = {0};

		/* Its failure is the next scan's to report; pid is resolved. */
		(void)eg_proc_poll_scan(poll, now_ns, handler, userdata, &ignored);
	}
	/* Whatever is still held back (no look, or one that failed): out now. */
	r = hand_out_deferred(poll, handler, userdata);
	return r < 0 ? r : 1;
}

int eg_proc_poll_new(const struct eg_proc_poll_settings *settings, struct eg_proc_poll **ret_poll,
                     struct eg_error *err)
{
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	const char *root = settings->proc_root ? settings->proc_root : "/proc";
	struct look look;
	struct record *record;
	int r;

	if (settings->root_pid <= 0 || settings->max_processes == 0 ||
	    settings->max_processes > (1u << 24) || strlen(root) >= sizeof(poll->proc_root))
		return eg_error_set(err, EINVAL, "procfs tracker: root pid %d, %u processes, %s",
		                    (int)settings->root_pid, settings->max_processes, root);
	poll = calloc(1, sizeof(*poll));
	if (!poll)
		return eg_error_set(err, ENOMEM, "procfs tracker: out of memory");
	snprintf(poll->proc_root, sizeof(poll->proc_root), "%s", root);
	poll->root_pid = settings->root_pid;
	poll->root_start_time = settings->root_start_time;
	poll->nanoseconds_per_tick =
	    settings->nanoseconds_per_tick ? settings->nanoseconds_per_tick : 10000000ull;
	poll->boot_offset_ns = settings->boot_offset_ns;
	poll->max_processes = settings->max_processes;
	for (poll->capacity = 16; poll->capacity < 2 * (size_t)settings->max_processes;)
		poll->capacity *= 2;
	poll->records = calloc(poll->capacity, sizeof(*poll->records));
	poll->work = calloc(settings->max_processes, sizeof(*poll->work));
	if (!poll->records || !poll->work)
		return eg_error_set(err, ENOMEM, "procfs tracker: out of memory");
	r = look_at(poll, poll->root_pid, &look, err);
	if (r < 0)
		return r;
	if (look.stat.start_time != poll->root_start_time)
		return eg_error_set(
		    err, ESRCH, "%s/%d: started at %llu, not %llu: the pid was reused",
		    poll->proc_root, (int)poll->root_pid, (unsigned long long)look.stat.start_time,
		    (unsigned long long)poll->root_start_time);
	record = insert(poll, poll->root_pid);
	record->start_time = look.stat.start_time;
	take_program(record, &look);
	record->seen_ns = settings->created_ns;
	*ret_poll = steal_pointer(&poll);
	return 0;
}

void eg_proc_poll_free(struct eg_proc_poll *poll)
{
	if (!poll)
		return;
	free(poll->records);
	free(poll->work);
	free(poll);
}

int eg_proc_poll_root_execd(const struct eg_proc_poll *poll)
{
	char path[PATH_MAX + 32];
	struct stat program, root, monitor_root;

	/* Each stat follows the magic link to the file itself, whatever
	 * mount namespace it lives in, where readlink could only name it. */
	snprintf(path, sizeof(path), "%s/%d/exe", poll->proc_root, (int)poll->root_pid);
	if (stat(path, &program) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/%d/root/", poll->proc_root, (int)poll->root_pid);
	if (stat(path, &root) < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/self/root/", poll->proc_root);
	if (stat(path, &monitor_root) < 0)
		return -errno;
	return program.st_dev == root.st_dev && root.st_dev != monitor_root.st_dev;
}

uint64_t eg_proc_poll_suspended_ns(const struct timespec *boottime,
                                   const struct timespec *monotonic)
{
	int64_t difference =
	    ((int64_t)boottime->tv_sec - (int64_t)monotonic->tv_sec) * 1000000000ll +
	    ((int64_t)boottime->tv_nsec - (int64_t)monotonic->tv_nsec);

	return difference > 0 ? (uint64_t)difference : 0;
}

void eg_proc_poll_get_stats(const struct eg_proc_poll *poll, struct eg_proc_poll_stats *ret_stats)
{
	*ret_stats = poll->stats;
}
