/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Socket inode -> owner over a fake proc tree (PID/fd/N symlinks whose
 * targets are any text we like) and over the real /proc: one scan per new
 * inode, cache hits without a scan, remembered unowned inodes, the limits,
 * first-candidate-wins for shared sockets, junk links, eviction, processes
 * that vanished.
 */
#include "unit.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "monitor/socket_owner.h"

static char proc_root[] = "/tmp/eg-socket-owner-XXXXXX";

static void add_link(pid_t pid, int fd, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%d", proc_root, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fd", proc_root, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fd/%d", proc_root, (int)pid, fd);
	assert_int_equal(symlink(target, path), 0);
}

static int setup_tree(void **state)
{
	(void)state;
	if (!mkdtemp(proc_root))
		return -1;
	add_link(100, 0, "/dev/null");
	add_link(100, 3, "socket:[1001]");
	add_link(100, 4, "socket:[1002]");
	add_link(100, 5, "socket:[5555]");
	add_link(200, 3, "socket:[2001]");
	add_link(200, 4, "pipe:[7]");
	add_link(200, 5, "socket:[5555]");
	add_link(400, 3, "socket:[abc]");
	add_link(400, 4, "socket:[]");
	add_link(400, 5, "socket:[12]x");
	add_link(400, 6, "socket:[4294967296]");
	add_link(400, 7, "socket:[0]");
	add_link(400, 8, "anon_inode:[eventpoll]");
	add_link(400, 9, "socket:[4294967295]");
	return 0;
}

static int remove_entry(const char *path, const struct stat *status, int type, struct FTW *ftw)
{
	(void)status;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int teardown_tree(void **state)
{
	(void)state;
	return nftw(proc_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct eg_socket_owner *owner_with(uint32_t cache, uint32_t max_fds, uint32_t max_pids)
{
	struct eg_socket_owner_settings settings = {proc_root, cache, max_fds, max_pids};
	struct eg_socket_owner *owner = NULL;
	struct eg_error err = {0};

	if (eg_socket_owner_new(&settings, &owner, &err) < 0)
		fail_msg("%s", err.message);
	return owner;
}

static void one_scan_answers_for_all(void **state)
{
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *owner = owner_with(0, 0, 0);
	const pid_t candidates[] = {300, 100, 200}; /* 300 has no directory: gone */
	struct eg_socket_owner_stats stats;
	pid_t pid = 0;

	(void)state;
	assert_int_equal(eg_socket_owner_find(owner, 1002, candidates, 3, &pid), 1);
	assert_int_equal(pid, 100);
	assert_int_equal(eg_socket_owner_find(owner, 2001, candidates, 3, &pid), 1);
	assert_int_equal(pid, 200);
	eg_socket_owner_get_stats(owner, &stats);
	assert_int_equal(stats.scans, 1);
	assert_int_equal(stats.lookups, 2);
	assert_int_equal(stats.cache_hits, 1);
	assert_int_equal(stats.processes_scanned, 2);
	assert_int_equal(stats.processes_gone, 1);
	assert_int_equal(stats.links_read, 7);
}

static void unowned_inode_remembered(void **state)
{
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *owner = owner_with(0, 0, 0);
	const pid_t candidates[] = {100, 200};
	struct eg_socket_owner_stats stats;
	pid_t pid = -1;

	(void)state;
	assert_int_equal(eg_socket_owner_find(owner, 4242, candidates, 2, &pid), 0);
	assert_int_equal(eg_socket_owner_find(owner, 4242, candidates, 2, &pid), 0);
	assert_int_equal(pid, -1);
	eg_socket_owner_get_stats(owner, &stats);
	assert_int_equal(stats.scans, 1);
	assert_int_equal(eg_socket_owner_lookup(owner, 4242, &pid), 1);
	assert_int_equal(pid, 0);

	eg_socket_owner_forget(owner, 4242);
	assert_int_equal(eg_socket_owner_lookup(owner, 4242, &pid), 0);
	assert_int_equal(eg_socket_owner_find(owner, 4242, candidates, 2, &pid), 0);
	eg_socket_owner_get_stats(owner, &stats);
	assert_int_equal(stats.scans, 2);

	eg_socket_owner_remember(owner, 4242, 555);
	assert_int_equal(eg_socket_owner_find(owner, 4242, candidates, 2, &pid), 1);
	assert_int_equal(pid, 555);
	assert_int_equal(eg_socket_owner_find(owner, 0, candidates, 2, &pid), -EINVAL);
}

static void limits_bound_the_scan(void **state)
{
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *few_fds = owner_with(0, 1, 0);
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *one_pid = owner_with(0, 0, 1);
	const pid_t candidates[] = {100, 200};
	struct eg_socket_owner_stats stats;
	pid_t pid = 0;

	(void)state;
	eg_socket_owner_find(few_fds, 1001, candidates, 1, &pid);
	eg_socket_owner_get_stats(few_fds, &stats);
	assert_int_equal(stats.processes_truncated, 1);
	assert_int_equal(stats.links_read, 1);

	assert_int_equal(eg_socket_owner_find(one_pid, 2001, candidates, 2, &pid), 0);
	eg_socket_owner_get_stats(one_pid, &stats);
	assert_int_equal(stats.pids_skipped, 1);
	assert_int_equal(stats.processes_scanned, 1);
}

static void shared_socket_goes_to_first_candidate(void **state)
{
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *first = owner_with(0, 0, 0);
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *second = owner_with(0, 0, 0);
	pid_t pid = 0;

	(void)state;
	assert_int_equal(eg_socket_owner_find(first, 5555, (pid_t[]){200, 100}, 2, &pid), 1);
	assert_int_equal(pid, 200);
	assert_int_equal(eg_socket_owner_find(second, 5555, (pid_t[]){100, 200}, 2, &pid), 1);
	assert_int_equal(pid, 100);
}

static void junk_links_ignored(void **state)
{
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *owner = owner_with(0, 0, 0);
	pid_t pid = 0;

	(void)state;
	/* Only socket:[4294967295] of pid 400's seven links is a socket. */
	assert_int_equal(eg_socket_owner_scan(owner, (pid_t[]){400}, 1), 1);
	assert_int_equal(eg_socket_owner_lookup(owner, 4294967295u, &pid), 1);
	assert_int_equal(pid, 400);
	assert_int_equal(eg_socket_owner_lookup(owner, 12, &pid), 0);
}

static void least_recently_used_evicted(void **state)
{
	/* 8 entries: one bucket, every inode competes for it. */
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *owner = owner_with(8, 0, 0);
	struct eg_socket_owner_stats stats;
	pid_t pid = 0;

	(void)state;
	for (uint32_t inode = 1; inode <= 8; inode++)
		eg_socket_owner_remember(owner, inode, (pid_t)inode);
	assert_int_equal(eg_socket_owner_lookup(owner, 1, &pid), 1); /* 2 is now the oldest */
	eg_socket_owner_remember(owner, 9, 9);
	eg_socket_owner_get_stats(owner, &stats);
	assert_int_equal(stats.evictions, 1);
	assert_int_equal(eg_socket_owner_lookup(owner, 2, &pid), 0);
	assert_int_equal(eg_socket_owner_lookup(owner, 1, &pid), 1);
	assert_int_equal(eg_socket_owner_lookup(owner, 9, &pid), 1);
	assert_int_equal(pid, 9);
}

static void bad_settings_refused(void **state)
{
	struct eg_socket_owner_settings settings = {0};
	struct eg_socket_owner *owner = NULL;

	(void)state;
	settings.cache_entries = EG_SOCKET_OWNER_MAX_CACHE_ENTRIES + 1;
	assert_int_equal(eg_socket_owner_new(&settings, &owner, NULL), -EINVAL);
	settings = (struct eg_socket_owner_settings){.proc_root = "/nonexistent-proc"};
	assert_int_equal(eg_socket_owner_new(&settings, &owner, NULL), -ENOENT);
	assert_null(owner);
}

/* The real /proc: our own socket, and a child that has exited. */
static void real_proc_and_vanished_process(void **state)
{
	struct eg_socket_owner_settings settings = {0};
	_cleanup_(eg_socket_owner_freep) struct eg_socket_owner *owner = NULL;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct eg_socket_owner_stats stats;
	struct stat status;
	pid_t child = fork(), pid = 0;

	(void)state;
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	assert_int_equal(eg_socket_owner_new(&settings, &owner, NULL), 0);
	assert_int_equal(fstat(fd, &status), 0);
	assert_int_equal(eg_socket_owner_find(owner, (uint32_t)status.st_ino,
	                                      (pid_t[]){child, getpid()}, 2, &pid),
	                 1);
	assert_int_equal(pid, getpid());
	eg_socket_owner_get_stats(owner, &stats);
	assert_int_equal(stats.processes_gone, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_scan_answers_for_all),
	    cmocka_unit_test(unowned_inode_remembered),
	    cmocka_unit_test(limits_bound_the_scan),
	    cmocka_unit_test(shared_socket_goes_to_first_candidate),
	    cmocka_unit_test(junk_links_ignored),
	    cmocka_unit_test(least_recently_used_evicted),
	    cmocka_unit_test(bad_settings_refused),
	    cmocka_unit_test(real_proc_and_vanished_process),
	};

	return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
