/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The procfs tracker against fake /proc trees in a temp dir: which events a
 * change between two looks gives, in which order, and what resolving one
 * pid on demand hands out. */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/tracker_procfs.h"
#include "tests/unit.h"

/* Fields 5 to 21 of a stat line; field 22 (start time) is printed after. */
#define STAT_MIDDLE "100 100 0 -1 4194560 80 0 0 0 1 2 0 0 20 0 1 0"
#define ROOT        100
#define CREATED_NS  5000000000ull
#define EVENTS_MAX  64

struct fake {
	char root[64];
	struct eg_proc_event events[EVENTS_MAX];
	size_t count;
};

static int fake_setup(void **state)
{
	struct fake *fake = calloc(1, sizeof(*fake));

	assert_non_null(fake);
	snprintf(fake->root, sizeof(fake->root), "/tmp/eg-tracker-XXXXXX");
	assert_non_null(mkdtemp(fake->root));
	*state = fake;
	return 0;
}

static int remove_entry(const char *path, const struct stat *stat, int type, struct FTW *walk)
{
	(void)stat, (void)type, (void)walk;
	return remove(path);
}

static int fake_teardown(void **state)
{
	struct fake *fake = *state;

	nftw(fake->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(fake);
	return 0;
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* <root>/<pid>/{stat,exe,task/<pid>/children}: a process whose main
 * thread has no children yet.  state 'Z' leaves exe out (a zombie). */
static void process_at(const struct fake *fake, pid_t pid, pid_t parent, uint64_t start,
                       const char *comm, const char *exe, char state)
{
	char path[PATH_MAX], line[256];

	snprintf(path, sizeof(path), "%s/%d", fake->root, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/task", fake->root, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/task/%d", fake->root, (int)pid, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/task/%d/children", fake->root, (int)pid, (int)pid);
	if (access(path, F_OK) != 0)
		write_text(path, "");
	snprintf(path, sizeof(path), "%s/%d/stat", fake->root, (int)pid);
	snprintf(line, sizeof(line), "%d (%s) %c %d " STAT_MIDDLE " %llu 1000 100\n", (int)pid,
	         comm, state, (int)parent, (unsigned long long)start);
	write_text(path, line);
	snprintf(path, sizeof(path), "%s/%d/exe", fake->root, (int)pid);
	unlink(path);
	if (state != 'Z')
		assert_int_equal(symlink(exe, path), 0);
}

static void process(const struct fake *fake, pid_t pid, pid_t parent, uint64_t start,
                    const char *comm, const char *exe)
{
	process_at(fake, pid, parent, start, comm, exe, 'S');
}

/* What thread tid of pid lists as its children ("" none). */
static void children(const struct fake *fake, pid_t pid, pid_t tid, const char *list)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%d/task/%d", fake->root, (int)pid, (int)tid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/task/%d/children", fake->root, (int)pid, (int)tid);
	write_text(path, list);
}

static void gone(const struct fake *fake, pid_t pid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%d", fake->root, (int)pid);
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int record_event(const struct eg_proc_event *event, void *userdata)
{
	struct fake *fake = userdata;

	assert_true(fake->count < EVENTS_MAX);
	fake->events[fake->count++] = *event;
	return 0;
}

static struct eg_proc_poll *tracker(struct fake *fake, uint32_t max_processes)
{
	struct eg_proc_poll_settings settings = {
	    .proc_root = fake->root,
	    .root_pid = ROOT,
	    .root_start_time = 500,
	    .max_processes = max_processes,
	    .nanoseconds_per_tick = 10000000ull,
	    .created_ns = CREATED_NS,
	};
	struct eg_proc_poll *poll = NULL;
	struct eg_error err = {0};

	if (eg_proc_poll_new(&settings, &poll, &err) < 0)
		fail_msg("new: %s", err.message);
	return poll;
}

static int scan(struct fake *fake, struct eg_proc_poll *poll, uint64_t now_ns)
{
	struct eg_error err = {0};

	fake->count = 0;
	return eg_proc_poll_scan(poll, now_ns, record_event, fake, &err);
}

static void expect(const struct fake *fake, size_t index, enum eg_proc_event_type type, pid_t pid,
                   pid_t parent_pid)
{
	assert_true(index < fake->count);
	assert_int_equal(fake->events[index].type, type);
	assert_int_equal(fake->events[index].pid, pid);
	if (type == EG_PROC_EVENT_FORK)
		assert_int_equal(fake->events[index].parent_pid, parent_pid);
}

/* The runtime's init execs the entrypoint, which forks a child that execs
 * another program: exec, then fork and exec, parents first. */
static void exec_then_child(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	struct eg_error err = {0};

	process(fake, ROOT, 1, 500, "crun", "/usr/bin/crun");
	poll = tracker(fake, 64);
	assert_int_equal(eg_proc_poll_scan(poll, 6000000000ull, NULL, NULL, &err), 0);
	assert_int_equal(scan(fake, poll, 6000000000ull), 0);

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	process(fake, 101, ROOT, 650, "egprobe", "/bin/egprobe");
	children(fake, ROOT, ROOT, "101\n");
	assert_int_equal(scan(fake, poll, 7000000000ull), 3);
	expect(fake, 0, EG_PROC_EVENT_EXEC, ROOT, 0);
	/* Stamped with the last look that found it unchanged. */
	assert_int_equal(fake->events[0].timestamp_ns, 6000000000ull);
	expect(fake, 1, EG_PROC_EVENT_FORK, 101, ROOT);
	/* A fork is stamped with the start time (ticks of 10 ms). */
	assert_int_equal(fake->events[1].timestamp_ns, 6500000000ull);
	expect(fake, 2, EG_PROC_EVENT_EXEC, 101, 0);
	/* Nothing changed: nothing handed out. */
	assert_int_equal(scan(fake, poll, 7005000000ull), 0);
}

/* `cmd & exec "$@"` within one interval: an entrypoint's exec comes after
 * the children found with it, another process's before them. */
static void entrypoint_exec_after_its_children(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	poll = tracker(fake, 64);
	eg_proc_poll_mark_entrypoint(poll, ROOT);
	process(fake, ROOT, 1, 500, "server", "/bin/server");
	process(fake, 101, ROOT, 600, "curl", "/bin/curl");
	children(fake, ROOT, ROOT, "101");
	assert_int_equal(scan(fake, poll, 6000000000ull), 3);
	expect(fake, 0, EG_PROC_EVENT_FORK, 101, ROOT);
	expect(fake, 1, EG_PROC_EVENT_EXEC, 101, 0);
	expect(fake, 2, EG_PROC_EVENT_EXEC, ROOT, 0);
	assert_int_equal(fake->events[2].timestamp_ns, CREATED_NS);
	/* The mark went with the exec: the server's own exec and child come
	 * in the usual order. */
	process(fake, ROOT, 1, 500, "worker", "/bin/worker");
	process(fake, 102, ROOT, 700, "curl", "/bin/curl");
	children(fake, ROOT, ROOT, "101 102");
	assert_int_equal(scan(fake, poll, 7000000000ull), 3);
	expect(fake, 0, EG_PROC_EVENT_EXEC, ROOT, 0);
	expect(fake, 1, EG_PROC_EVENT_FORK, 102, ROOT);
}

/* `exec "$@"` into a program whose child runs that same program, found in
 * one look: the child is taken as forked before the exec (the exec is
 * handed out after it), so it is compared with the entrypoint's program of
 * then, not of now: it exec'd, and is named after its own program, never
 * after entrypoint.sh. */
static void child_of_exec_runs_the_new_program(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	poll = tracker(fake, 64);
	eg_proc_poll_mark_entrypoint(poll, ROOT);
	process(fake, ROOT, 1, 500, "egprobe", "/bin/egprobe");
	process(fake, 101, ROOT, 600, "egprobe", "/bin/egprobe");
	children(fake, ROOT, ROOT, "101");
	assert_int_equal(scan(fake, poll, 6000000000ull), 3);
	expect(fake, 0, EG_PROC_EVENT_FORK, 101, ROOT);
	expect(fake, 1, EG_PROC_EVENT_EXEC, 101, 0);
	expect(fake, 2, EG_PROC_EVENT_EXEC, ROOT, 0);
	/* The next look: a child of the program, same program, is a plain
	 * fork (no deferred exec any more). */
	process(fake, 102, ROOT, 700, "egprobe", "/bin/egprobe");
	children(fake, ROOT, ROOT, "101 102");
	assert_int_equal(scan(fake, poll, 7000000000ull), 1);
	expect(fake, 0, EG_PROC_EVENT_FORK, 102, ROOT);
}

/* The first look after creation stamps an exec no earlier than creation. */
static void exec_before_first_scan(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;

	process(fake, ROOT, 1, 500, "runc:[2:INIT]", "/usr/bin/runc");
	poll = tracker(fake, 64);
	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	assert_int_equal(scan(fake, poll, 6000000000ull), 1);
	expect(fake, 0, EG_PROC_EVENT_EXEC, ROOT, 0);
	assert_int_equal(fake->events[0].timestamp_ns, CREATED_NS);
}

/* The root's children file as a FIFO: the scan's open of it blocks until a
 * helper process, which first makes the root exec entrypoint.sh and fork
 * 101 (an egprobe), writes "101".  Whatever the tracker looked at before
 * that open predates the exec and the fork, all it looks at after follows
 * them: what a loaded machine does between a look at the init and the read
 * of its children file. */
static pid_t exec_and_fork_during_the_read(const struct fake *fake)
{
	char path[PATH_MAX];
	pid_t helper;

	snprintf(path, sizeof(path), "%s/%d/task/%d/children", fake->root, ROOT, ROOT);
	unlink(path);
	assert_int_equal(mkfifo(path, 0644), 0);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		int fd = open(path, O_WRONLY | O_CLOEXEC); /* until the scan reads */

		process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
		process(fake, 101, ROOT, 650, "egprobe", "/bin/egprobe");
		_exit(fd >= 0 && write(fd, "101\n", 4) == 4 ? 0 : 1);
	}
	return helper;
}

static void reaped(const struct fake *fake, pid_t helper)
{
	char path[PATH_MAX];
	int status = -1;

	assert_int_equal(waitpid(helper, &status, 0), helper);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	snprintf(path, sizeof(path), "%s/%d/task/%d/children", fake->root, ROOT, ROOT);
	unlink(path);
	children(fake, ROOT, ROOT, "101");
}

/* The init execs entrypoint.sh and forks its first child while a look is
 * under way: the look must hand out the exec before that child's fork, or
 * the child gets the runtime's lineage and no window (the marker of the
 * scenario 'grandchild' missed). */
static void exec_and_fork_during_a_look(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	pid_t helper;
	int r;

	process(fake, ROOT, 1, 500, "crun", "/usr/bin/crun");
	poll = tracker(fake, 64);
	assert_int_equal(scan(fake, poll, 6000000000ull), 0);
	helper = exec_and_fork_during_the_read(fake);
	r = scan(fake, poll, 7000000000ull);
	reaped(fake, helper);
	assert_int_equal(r, 3);
	expect(fake, 0, EG_PROC_EVENT_EXEC, ROOT, 0);
	expect(fake, 1, EG_PROC_EVENT_FORK, 101, ROOT);
	expect(fake, 2, EG_PROC_EVENT_EXEC, 101, 0);
	/* Nothing is left to find. */
	assert_int_equal(scan(fake, poll, 7005000000ull), 0);
}

/* The same for a process below the root: a child that execs and forks
 * while the look at it is under way. */
static void exec_and_fork_below_the_root_during_a_look(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	char path[PATH_MAX];
	pid_t helper;
	int status = -1, r;

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	process(fake, 101, ROOT, 600, "entrypoint.sh", "/bin/busybox");
	children(fake, ROOT, ROOT, "101");
	poll = tracker(fake, 64);
	assert_int_equal(scan(fake, poll, 6000000000ull), 1);
	expect(fake, 0, EG_PROC_EVENT_FORK, 101, ROOT);
	snprintf(path, sizeof(path), "%s/101/task/101/children", fake->root);
	unlink(path);
	assert_int_equal(mkfifo(path, 0644), 0);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		int fd = open(path, O_WRONLY | O_CLOEXEC);

		process(fake, 101, ROOT, 600, "egprobe", "/bin/egprobe");
		process(fake, 102, 101, 650, "egprobe", "/bin/egprobe");
		_exit(fd >= 0 && write(fd, "102", 3) == 3 ? 0 : 1);
	}
	r = scan(fake, poll, 7000000000ull);
	assert_int_equal(waitpid(helper, &status, 0), helper);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	unlink(path);
	children(fake, 101, 101, "102");
	assert_int_equal(r, 2);
	expect(fake, 0, EG_PROC_EVENT_EXEC, 101, 0);
	/* The same program as its parent's now: a plain fork. */
	expect(fake, 1, EG_PROC_EVENT_FORK, 102, 101);
}

static void link_at(const struct fake *fake, const char *name, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake->root, name);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

/* Whether the init exec'd: its program is a file of its root directory's
 * filesystem, which is not the monitor's.  The fake's filesystems: the
 * temp dir (the container's root and its files) and procfs (the runtime's
 * binary before the exec, or the monitor's root). */
static void root_execd(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	char path[PATH_MAX];

	process(fake, ROOT, 1, 500, "egprobe", "/proc/version");
	poll = tracker(fake, 8);
	snprintf(path, sizeof(path), "%s/rootfs", fake->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/rootfs/egprobe", fake->root);
	write_text(path, "");
	snprintf(path, sizeof(path), "%s/self", fake->root);
	assert_int_equal(mkdir(path, 0755), 0);
	link_at(fake, "self/root", "/proc");
	snprintf(path, sizeof(path), "%s/rootfs", fake->root);
	link_at(fake, "100/root", path);
	/* Still the runtime's binary, from another filesystem. */
	assert_int_equal(eg_proc_poll_root_execd(poll), 0);
	/* A file of the container's. */
	snprintf(path, sizeof(path), "%s/rootfs/egprobe", fake->root);
	link_at(fake, "100/exe", path);
	assert_int_equal(eg_proc_poll_root_execd(poll), 1);
	/* The container's root is the monitor's: nothing can be told. */
	snprintf(path, sizeof(path), "%s/rootfs", fake->root);
	link_at(fake, "self/root", path);
	assert_int_equal(eg_proc_poll_root_execd(poll), 0);
	/* Gone (a zombie has no exe). */
	snprintf(path, sizeof(path), "%s/100/exe", fake->root);
	unlink(path);
	assert_int_equal(eg_proc_poll_root_execd(poll), -ENOENT);
}

/* CLOCK_BOOTTIME read just before CLOCK_MONOTONIC, on a machine that never
 * slept: the later read is ahead, and the offset is 0, not a wrapped-around
 * one that stamps every start time 0 (the windows of entrypoints found as
 * new children then closed at once: their execs are stamped with the later
 * of their start and the last scan). */
static void suspended_time(void **state)
{
	struct timespec boot = {.tv_sec = 12000, .tv_nsec = 500000000};
	struct timespec monotonic = {.tv_sec = 12000, .tv_nsec = 500000300};
	struct fake *fake = *state;
	struct eg_proc_poll_settings settings = {
	    .proc_root = fake->root,
	    .root_pid = ROOT,
	    .root_start_time = 500,
	    .max_processes = 8,
	    .nanoseconds_per_tick = 10000000ull,
	};
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	struct eg_error err = {0};

	assert_int_equal(eg_proc_poll_suspended_ns(&boot, &monotonic), 0);
	/* Across a second's boundary. */
	boot = (struct timespec){.tv_sec = 12000, .tv_nsec = 999999900};
	monotonic = (struct timespec){.tv_sec = 12001, .tv_nsec = 100};
	assert_int_equal(eg_proc_poll_suspended_ns(&boot, &monotonic), 0);
	/* Slept 2.5 s. */
	boot = (struct timespec){.tv_sec = 12003, .tv_nsec = 100};
	monotonic = (struct timespec){.tv_sec = 12000, .tv_nsec = 500000100};
	assert_int_equal(eg_proc_poll_suspended_ns(&boot, &monotonic), 2500000000ull);

	/* An entrypoint started as a child, resolved before the first scan:
	 * its fork and exec are stamped at its start, not 0. */
	boot = (struct timespec){.tv_sec = 12000, .tv_nsec = 500000000};
	monotonic = (struct timespec){.tv_sec = 12000, .tv_nsec = 500000300};
	settings.boot_offset_ns = eg_proc_poll_suspended_ns(&boot, &monotonic);
	settings.created_ns = CREATED_NS;
	process(fake, ROOT, 1, 500, "init.sh", "/bin/busybox");
	process(fake, 101, ROOT, 600, "entrypoint.sh", "/bin/busybox");
	assert_int_equal(eg_proc_poll_new(&settings, &poll, &err), 0);
	fake->count = 0;
	assert_int_equal(eg_proc_poll_resolve(poll, 101, 6100000000ull, record_event, fake, &err),
	                 1);
	assert_int_equal(fake->count, 2);
	expect(fake, 0, EG_PROC_EVENT_FORK, 101, ROOT);
	assert_int_equal(fake->events[0].timestamp_ns, 6000000000ull);
	expect(fake, 1, EG_PROC_EVENT_EXEC, 101, 0);
	assert_int_equal(fake->events[1].timestamp_ns, 6000000000ull);
}

/* A subshell runs what its parent runs: a fork, no exec.  Its own child,
 * found in the same look, comes after it. */
static void subshell_and_grandchild(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	poll = tracker(fake, 64);
	process(fake, 101, ROOT, 600, "entrypoint.sh", "/bin/busybox");
	process(fake, 102, 101, 601, "nc", "/bin/busybox");
	children(fake, ROOT, ROOT, "101");
	children(fake, 101, 101, "102");
	assert_int_equal(scan(fake, poll, 7000000000ull), 3);
	expect(fake, 0, EG_PROC_EVENT_FORK, 101, ROOT);
	expect(fake, 1, EG_PROC_EVENT_FORK, 102, 101);
	expect(fake, 2, EG_PROC_EVENT_EXEC, 102, 0);
}

/* A child forked by another thread than the main one is the process's. */
static void child_of_a_thread(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	poll = tracker(fake, 64);
	process(fake, 103, ROOT, 600, "curl", "/usr/bin/curl");
	children(fake, ROOT, 105, "103 ");
	assert_int_equal(scan(fake, poll, 7000000000ull), 2);
	expect(fake, 0, EG_PROC_EVENT_FORK, 103, ROOT);
}

/* Gone from the tree: an exit.  A known pid with another start time: the
 * one we knew exited, and a new process has its pid. */
static void exit_and_reused_pid(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	struct eg_proc_poll_stats stats;

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	process(fake, 101, ROOT, 600, "sleep", "/bin/busybox");
	process(fake, 102, ROOT, 601, "sleep", "/bin/busybox");
	children(fake, ROOT, ROOT, "101 102");
	poll = tracker(fake, 64);
	assert_int_equal(scan(fake, poll, 6000000000ull), 4);

	gone(fake, 101);
	process(fake, 102, ROOT, 900, "nc", "/bin/busybox");
	children(fake, ROOT, ROOT, "102");
	assert_int_equal(scan(fake, poll, 9500000000ull), 4);
	expect(fake, 0, EG_PROC_EVENT_EXIT, 102, 0);
	expect(fake, 1, EG_PROC_EVENT_FORK, 102, ROOT);
	expect(fake, 2, EG_PROC_EVENT_EXEC, 102, 0);
	expect(fake, 3, EG_PROC_EVENT_EXIT, 101, 0);
	eg_proc_poll_get_stats(poll, &stats);
	assert_int_equal(stats.tracked, 2);
}

/* A children file can skip an entry while a sibling exits: a process the
 * walk missed but that is still there has not exited. */
static void missed_by_the_walk_is_no_exit(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	process(fake, 101, ROOT, 600, "sleep", "/bin/busybox");
	children(fake, ROOT, ROOT, "101");
	poll = tracker(fake, 64);
	assert_int_equal(scan(fake, poll, 6000000000ull), 2);
	children(fake, ROOT, ROOT, "");
	assert_int_equal(scan(fake, poll, 6005000000ull), 0);
	gone(fake, 101);
	assert_int_equal(scan(fake, poll, 6010000000ull), 1);
	expect(fake, 0, EG_PROC_EVENT_EXIT, 101, 0);
}

/* A zombie has lost its exe: that is no exec. */
static void zombie_is_no_exec(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	process(fake, 101, ROOT, 600, "nc", "/bin/busybox");
	children(fake, ROOT, ROOT, "101");
	poll = tracker(fake, 64);
	assert_int_equal(scan(fake, poll, 6000000000ull), 2);
	process_at(fake, 101, ROOT, 600, "nc", NULL, 'Z');
	process_at(fake, ROOT, 1, 500, "entrypoint.sh", NULL, 'Z');
	assert_int_equal(scan(fake, poll, 7000000000ull), 0);
}

/* The root gone (or its pid reused): -ESRCH from then on, and no exits
 * (the monitor ends with the root; its last look still needs them). */
static void root_gone(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	struct eg_error err = {0};

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	process(fake, 101, ROOT, 600, "sleep", "/bin/busybox");
	children(fake, ROOT, ROOT, "101");
	poll = tracker(fake, 64);
	assert_int_equal(scan(fake, poll, 6000000000ull), 2);
	process(fake, ROOT, 1, 999, "bash", "/bin/bash");
	assert_int_equal(scan(fake, poll, 7000000000ull), -ESRCH);
	assert_int_equal(fake->count, 0);
	assert_int_equal(scan(fake, poll, 8000000000ull), -ESRCH);
	assert_int_equal(fake->count, 0);
	fake->count = 0;
	assert_int_equal(eg_proc_poll_resolve(poll, 101, 1, record_event, fake, &err), -ESRCH);
	/* A root that is not there at all cannot be tracked. */
	{
		struct eg_proc_poll_settings settings = {.proc_root = fake->root,
		                                         .root_pid = 4242,
		                                         .root_start_time = 1,
		                                         .max_processes = 8};
		struct eg_proc_poll *none = NULL;

		assert_true(eg_proc_poll_new(&settings, &none, &err) < 0);
		assert_null(none);
		assert_non_null(strstr(err.message, "4242"));
	}
}

/* Between two looks a process forked and acts: resolving it hands out its
 * ancestors' changes top down, then its own fork and exec. */
static void resolve_on_demand(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	struct eg_error err = {0};

	process(fake, ROOT, 1, 500, "crun", "/usr/bin/crun");
	poll = tracker(fake, 64);
	assert_int_equal(scan(fake, poll, 6000000000ull), 0);
	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	process(fake, 101, ROOT, 610, "sh", "/bin/busybox");
	process(fake, 102, 101, 620, "wget", "/bin/busybox");
	fake->count = 0;
	assert_int_equal(eg_proc_poll_resolve(poll, 102, 6300000000ull, record_event, fake, &err),
	                 1);
	assert_int_equal(fake->count, 5);
	expect(fake, 0, EG_PROC_EVENT_EXEC, ROOT, 0);
	expect(fake, 1, EG_PROC_EVENT_FORK, 101, ROOT);
	expect(fake, 2, EG_PROC_EVENT_EXEC, 101, 0);
	expect(fake, 3, EG_PROC_EVENT_FORK, 102, 101);
	expect(fake, 4, EG_PROC_EVENT_EXEC, 102, 0);
	/* Known now: resolving again or scanning adds nothing. */
	fake->count = 0;
	assert_int_equal(eg_proc_poll_resolve(poll, 102, 6310000000ull, record_event, fake, &err),
	                 1);
	assert_int_equal(fake->count, 0);
	children(fake, ROOT, ROOT, "101");
	children(fake, 101, 101, "102");
	assert_int_equal(scan(fake, poll, 6320000000ull), 0);

	/* Not the root's: its ancestors lead to pid 1 elsewhere. */
	process(fake, 1, 0, 1, "init", "/sbin/init");
	process(fake, 300, 1, 700, "conmon", "/usr/bin/conmon");
	process(fake, 301, 300, 710, "sh", "/bin/sh");
	fake->count = 0;
	assert_int_equal(eg_proc_poll_resolve(poll, 301, 6400000000ull, record_event, fake, &err),
	                 0);
	assert_int_equal(fake->count, 0);
	/* A parent younger than its child: a reused pid, not the lineage. */
	process(fake, 302, ROOT, 400, "sh", "/bin/sh");
	assert_int_equal(eg_proc_poll_resolve(poll, 302, 6400000000ull, record_event, fake, &err),
	                 0);
	/* Gone. */
	assert_true(eg_proc_poll_resolve(poll, 999, 6400000000ull, record_event, fake, &err) < 0);
}

/* `cmd & exec "$@"`, and the program that replaced the entrypoint acts
 * before any look: resolving it (the root) holds its exec back, and its
 * child forked before the exec (the marker), which the climb does not
 * meet, comes first, with the entrypoint as its parent. */
static void resolve_entrypoint_exec_after_its_children(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	struct eg_error err = {0};

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	poll = tracker(fake, 64);
	eg_proc_poll_mark_entrypoint(poll, ROOT);
	process(fake, ROOT, 1, 500, "egprobe", "/bin/egprobe");
	process(fake, 101, ROOT, 600, "egprobe", "/bin/egprobe");
	children(fake, ROOT, ROOT, "101");
	fake->count = 0;
	assert_int_equal(eg_proc_poll_resolve(poll, ROOT, 6000000000ull, record_event, fake, &err),
	                 1);
	assert_int_equal(fake->count, 3);
	expect(fake, 0, EG_PROC_EVENT_FORK, 101, ROOT);
	expect(fake, 1, EG_PROC_EVENT_EXEC, 101, 0);
	expect(fake, 2, EG_PROC_EVENT_EXEC, ROOT, 0);
	/* Nothing held back any more. */
	assert_int_equal(scan(fake, poll, 6005000000ull), 0);
}

/* The table holds max_processes; the rest is counted, not tracked. */
static void table_full(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	struct eg_proc_poll_stats stats;
	struct eg_error err = {0};

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	process(fake, 101, ROOT, 600, "a", "/bin/a");
	process(fake, 102, ROOT, 601, "b", "/bin/b");
	children(fake, ROOT, ROOT, "101 102");
	poll = tracker(fake, 2);
	assert_int_equal(scan(fake, poll, 6000000000ull), 2);
	eg_proc_poll_get_stats(poll, &stats);
	assert_int_equal(stats.tracked, 2);
	assert_int_equal(stats.dropped, 1);
	/* Siblings are looked at last-listed first: 101 is the one left out. */
	assert_int_equal(eg_proc_poll_resolve(poll, 102, 6000000000ull, record_event, fake, &err),
	                 1);
	assert_int_equal(eg_proc_poll_resolve(poll, 101, 6000000000ull, record_event, fake, &err),
	                 -ENOSPC);
	assert_non_null(strstr(err.message, "full"));
}

/* A children file longer than one read: no pid is cut in two. */
static void long_children_file(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_poll_freep) struct eg_proc_poll *poll = NULL;
	char list[4096] = "";
	size_t length = 0;

	process(fake, ROOT, 1, 500, "entrypoint.sh", "/bin/busybox");
	for (int pid = 10000; pid < 10400; pid++) {
		length += (size_t)snprintf(list + length, sizeof(list) - length, "%d ", pid);
		if (pid % 7 == 0)
			process(fake, pid, ROOT, 600, "entrypoint.sh", "/bin/busybox");
	}
	assert_true(length > 1024);
	children(fake, ROOT, ROOT, list);
	poll = tracker(fake, 1024);
	/* 57 of the 400 listed exist (multiples of 7), each a plain fork. */
	assert_int_equal(scan(fake, poll, 6000000000ull), 57);
	for (size_t i = 0; i < fake->count; i++) {
		assert_int_equal(fake->events[i].type, EG_PROC_EVENT_FORK);
		assert_int_equal(fake->events[i].pid % 7, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(exec_then_child, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(exec_before_first_scan, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(child_of_exec_runs_the_new_program, fake_setup,
	                                    fake_teardown),
	    cmocka_unit_test_setup_teardown(entrypoint_exec_after_its_children, fake_setup,
	                                    fake_teardown),
	    cmocka_unit_test_setup_teardown(subshell_and_grandchild, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(child_of_a_thread, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(exit_and_reused_pid, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(missed_by_the_walk_is_no_exit, fake_setup,
	                                    fake_teardown),
	    cmocka_unit_test_setup_teardown(zombie_is_no_exec, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(root_gone, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(resolve_on_demand, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(table_full, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(long_children_file, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(exec_and_fork_during_a_look, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(exec_and_fork_below_the_root_during_a_look, fake_setup,
	                                    fake_teardown),
	    cmocka_unit_test_setup_teardown(suspended_time, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(root_execd, fake_setup, fake_teardown),
	    cmocka_unit_test_setup_teardown(resolve_entrypoint_exec_after_its_children, fake_setup,
	                                    fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
