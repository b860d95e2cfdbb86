/* SPDX-License-Identifier: GPL-2.0-or-later */
/* /proc readers against fake /proc trees in a temp dir, and against live
 * processes of this test. */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "monitor/procfs.h"
#include "tests/unit.h"

/* Fields 5 to 21 of a stat line, then field 22 (start time) is printed. */
#define STAT_MIDDLE "100 100 0 -1 4194560 80 0 0 0 1 2 0 0 20 0 1 0"

struct fake {
	char root[64];
};

static int fake_setup(void **state)
{
	struct fake *fake = calloc(1, sizeof(*fake));

	assert_non_null(fake);
	snprintf(fake->root, sizeof(fake->root), "/tmp/eg-procfs-XXXXXX");
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

static void write_file(const char *path, const char *content, size_t length)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, length), (ssize_t)length);
	close(fd);
}

/* <root>/<pid>/{stat,cmdline,exe}; cmdline NULL or exe NULL: absent. */
static void fake_process(const struct fake *fake, pid_t pid, pid_t parent, uint64_t start_time,
                         const char *comm, const char *cmdline, size_t cmdline_length,
                         const char *exe)
{
	char path[PATH_MAX], line[256];

	snprintf(path, sizeof(path), "%s/%d", fake->root, (int)pid);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%d/stat", fake->root, (int)pid);
	snprintf(line, sizeof(line), "%d (%s) S %d " STAT_MIDDLE " %llu 1000 100\n", (int)pid, comm,
	         (int)parent, (unsigned long long)start_time);
	write_file(path, line, strlen(line));
	if (cmdline) {
		snprintf(path, sizeof(path), "%s/%d/cmdline", fake->root, (int)pid);
		write_file(path, cmdline, cmdline_length);
	}
	if (exe) {
		snprintf(path, sizeof(path), "%s/%d/exe", fake->root, (int)pid);
		assert_int_equal(symlink(exe, path), 0);
	}
}

#define CMDLINE(text) text, sizeof(text) - 1

static struct eg_proc_exec_info *read_fake(const struct fake *fake, pid_t pid)
{
	struct eg_proc_exec_info *info = NULL;
	struct eg_error err = {0};

	if (eg_proc_exec_read(fake->root, pid, &info, &err) < 0)
		fail_msg("exec read %d: %s", (int)pid, err.message);
	return info;
}

static void script_name_longer_than_comm(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;

	fake_process(fake, 10, 1, 500, "my-long-entrypo",
	             CMDLINE("/bin/sh\0/entry/my-long-entrypoint.sh\0--flag\0"), "/usr/bin/dash");
	info = read_fake(fake, 10);
	assert_string_equal(info->name.name, "my-long-entrypoint.sh");
	assert_int_equal(info->name.argv_index, 1);
	assert_false(info->name.unconfirmed);
	assert_string_equal(info->stat.comm, "my-long-entrypo");
	assert_int_equal(info->stat.start_time, 500);
	assert_string_equal(info->executable, "/usr/bin/dash");
	assert_int_equal(info->executable_error, 0);
	assert_int_equal(info->args.count, 3);
	assert_string_equal(info->args.argv[2], "--flag");
	assert_false(info->args.truncated);
	assert_false(info->changed);
}

static void binary_names(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *long_info = NULL;

	fake_process(fake, 11, 1, 500, "nginx", CMDLINE("nginx\0-g\0daemon off;\0"),
	             "/usr/sbin/nginx");
	info = read_fake(fake, 11);
	assert_string_equal(info->name.name, "nginx");
	assert_int_equal(info->name.argv_index, 0);
	assert_false(info->name.unconfirmed);

	/* A binary whose name comm cut: argv[0] completes it. */
	fake_process(fake, 12, 1, 500, "containerd-shim",
	             CMDLINE("/usr/bin/containerd-shim-runc-v2\0-namespace\0moby\0"),
	             "/usr/bin/containerd-shim-runc-v2");
	long_info = read_fake(fake, 12);
	assert_string_equal(long_info->name.name, "containerd-shim-runc-v2");
	assert_int_equal(long_info->name.argv_index, 0);
}

static void interpreter_with_argument(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;

	/* #!/usr/bin/env bash: argv = [env, bash, script, args...]. */
	fake_process(fake, 13, 1, 500, "my-long-entrypo",
	             CMDLINE("/usr/bin/env\0bash\0/app/my-long-entrypoint.sh\0start\0"),
	             "/usr/bin/env");
	info = read_fake(fake, 13);
	assert_string_equal(info->name.name, "my-long-entrypoint.sh");
	assert_int_equal(info->name.argv_index, 2);
	assert_false(info->name.unconfirmed);
}

static void lying_cmdline_falls_back_to_comm(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *claims = NULL;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *longer = NULL;

	fake_process(fake, 14, 1, 500, "my-long-entrypo", CMDLINE("nginx: worker process\0"),
	             "/usr/bin/dash");
	info = read_fake(fake, 14);
	assert_string_equal(info->name.name, "my-long-entrypo");
	assert_int_equal(info->name.argv_index, -1);
	assert_true(info->name.unconfirmed);

	/* cmdline cannot promote a process to an entrypoint comm denies. */
	fake_process(fake, 15, 1, 500, "sh", CMDLINE("/entrypoint.sh\0"), "/usr/bin/dash");
	claims = read_fake(fake, 15);
	assert_string_equal(claims->name.name, "sh");
	assert_true(claims->name.unconfirmed);

	/* A comm shorter than 15 bytes was not cut: equality, not prefix. */
	fake_process(fake, 16, 1, 500, "entrypoint.sh", CMDLINE("/x/entrypoint.sh.evil\0"),
	             "/usr/bin/dash");
	longer = read_fake(fake, 16);
	assert_string_equal(longer->name.name, "entrypoint.sh");
	assert_true(longer->name.unconfirmed);
}

static void empty_cmdline_and_missing_exe(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;

	/* A kernel thread or a zombie: empty cmdline, exe unreadable. */
	fake_process(fake, 17, 2, 5, "kworker/0:1", CMDLINE(""), NULL);
	info = read_fake(fake, 17);
	assert_int_equal(info->args.count, 0);
	assert_int_equal(info->args_error, 0);
	assert_string_equal(info->name.name, "kworker/0:1");
	assert_true(info->name.unconfirmed);
	assert_int_equal(info->executable_error, -ENOENT);
	assert_string_equal(info->executable, "");
}

static void cmdline_without_final_nul(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;

	fake_process(fake, 18, 1, 500, "my-long-entrypo",
	             CMDLINE("/bin/sh\0/x/my-long-entrypoint.sh\0\0last"), "/usr/bin/dash");
	info = read_fake(fake, 18);
	assert_int_equal(info->args.count, 4);
	assert_string_equal(info->args.argv[2], "");
	assert_string_equal(info->args.argv[3], "last");
	assert_false(info->args.truncated);
	assert_string_equal(info->name.name, "my-long-entrypoint.sh");
}

static void oversized_cmdline_is_bounded(void **state)
{
	struct fake *fake = *state;
	struct eg_proc_args *args = malloc(sizeof(*args));
	char *cmdline = malloc(EG_PROC_CMDLINE_MAX * 2);
	struct eg_error err = {0};
	size_t length = 0, total = 0;

	assert_non_null(args);
	assert_non_null(cmdline);
	/* 100 short arguments: 64 kept. */
	for (int i = 0; i < 100; i++)
		length += (size_t)sprintf(cmdline + length, "a%d", i) + 1;
	fake_process(fake, 19, 1, 500, "many", cmdline, length, NULL);
	assert_int_equal(eg_proc_args_read(fake->root, 19, args, &err), 0);
	assert_int_equal(args->count, EG_PROC_ARGS_MAX);
	assert_string_equal(args->argv[63], "a63");
	assert_true(args->truncated);

	/* One argument of 10,000 bytes: cut to 4 KiB with its NUL. */
	memset(cmdline, 'x', 10000);
	memcpy(cmdline + 10000, "\0next\0", 6);
	fake_process(fake, 20, 1, 500, "long", cmdline, 10006, NULL);
	assert_int_equal(eg_proc_args_read(fake->root, 20, args, &err), 0);
	assert_int_equal(args->count, 2);
	assert_int_equal(strlen(args->argv[0]), EG_PROC_ARG_MAX - 1);
	assert_string_equal(args->argv[1], "next");
	assert_true(args->truncated);

	/* 40 arguments of 1,000 bytes: only the first 32 KiB are read. */
	for (int i = 0; i < 40; i++) {
		memset(cmdline + i * 1001, 'a' + i % 26, 1000);
		cmdline[i * 1001 + 1000] = '\0';
	}
	fake_process(fake, 21, 1, 500, "big", cmdline, 40 * 1001, NULL);
	assert_int_equal(eg_proc_args_read(fake->root, 21, args, &err), 0);
	assert_true(args->truncated);
	for (size_t i = 0; i < args->count; i++)
		total += strlen(args->argv[i]) + 1;
	assert_true(total <= EG_PROC_CMDLINE_MAX + 1);
	assert_int_equal(args->count, EG_PROC_CMDLINE_MAX / 1001 + 1);
	free(cmdline);
	free(args);
}

static void missing_files_of_a_gone_process(void **state)
{
	struct fake *fake = *state;
	struct eg_proc_exec_info *info = NULL;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *partial = NULL;
	struct eg_error err = {0};
	char path[PATH_MAX], buffer[64];

	assert_int_equal(eg_proc_exec_read(fake->root, 77, &info, &err), -ENOENT);
	assert_null(info);
	assert_non_null(strstr(err.message, "/77"));
	assert_int_equal(eg_proc_executable_read(fake->root, 77, buffer, sizeof(buffer), &err),
	                 -ENOENT);

	/* The directory without stat: nothing to stand on. */
	snprintf(path, sizeof(path), "%s/78", fake->root);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(eg_proc_exec_read(fake->root, 78, &info, &err), -ENOENT);
	assert_non_null(strstr(err.message, "78/stat"));

	/* stat alone: the rest fails on its own. */
	fake_process(fake, 79, 1, 500, "gone", NULL, 0, NULL);
	assert_int_equal(eg_proc_exec_read(fake->root, 79, &partial, &err), 0);
	assert_int_equal(partial->args_error, -ENOENT);
	assert_int_equal(partial->args.count, 0);
	assert_int_equal(partial->executable_error, -ENOENT);
	assert_string_equal(partial->name.name, "gone");
	assert_int_equal(eg_proc_exec_read(fake->root, 0, &info, &err), -EINVAL);
}

static void executable_read_is_bounded(void **state)
{
	struct fake *fake = *state;
	char small[8], exact[16];
	struct eg_error err = {0};

	fake_process(fake, 22, 1, 500, "x", NULL, 0, "/usr/bin/a-long-name");
	assert_int_equal(eg_proc_executable_read(fake->root, 22, small, sizeof(small), &err),
	                 -ENAMETOOLONG);
	fake_process(fake, 23, 1, 500, "x", NULL, 0, "/bin/true");
	assert_int_equal(eg_proc_executable_read(fake->root, 23, exact, sizeof(exact), &err), 9);
	assert_string_equal(exact, "/bin/true");
}

static void malformed_file(const struct fake *fake, const char *name, const char *content)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake->root, name);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/%s/stat", fake->root, name);
	write_file(path, content, strlen(content));
}

static void tree_scan_follows_lineage(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_tree_freep) struct eg_proc_tree *tree = NULL;
	_cleanup_(eg_proc_tree_freep) struct eg_proc_tree *cut = NULL;
	struct eg_proc_tree *none = NULL;
	struct eg_error err = {0};

	fake_process(fake, 1, 0, 1, "init", NULL, 0, NULL);
	fake_process(fake, 100, 1, 1000, "conmon", NULL, 0, NULL);
	fake_process(fake, 101, 100, 1001, "entrypoint.sh", NULL, 0, NULL);
	fake_process(fake, 102, 101, 1002, "curl", NULL, 0, NULL);
	fake_process(fake, 99, 101, 1003, "sleep", NULL, 0, NULL); /* lower pid, deeper */
	fake_process(fake, 103, 1, 1003, "other", NULL, 0, NULL);
	/* Its parent pid 101 started after it: 101 is a reused pid. */
	fake_process(fake, 104, 101, 900, "stranger", NULL, 0, NULL);
	fake_process(fake, 105, 999, 1004, "orphan", NULL, 0, NULL);
	fake_process(fake, 106, 107, 1005, "loop-a", NULL, 0, NULL);
	fake_process(fake, 107, 106, 1005, "loop-b", NULL, 0, NULL);
	fake_process(fake, 108, 108, 1005, "self", NULL, 0, NULL);
	malformed_file(fake, "109", "109 (broken");
	malformed_file(fake, "self", "not a process");
	malformed_file(fake, "12abc", "not a process");

	if (eg_proc_tree_scan(fake->root, 100, 1000, 16, &tree, &err) < 0)
		fail_msg("scan: %s", err.message);
	assert_int_equal(tree->count, 4);
	assert_false(tree->truncated);
	assert_int_equal(tree->skipped, 1);
	assert_int_equal(tree->entries[0].pid, 100);
	assert_int_equal(tree->entries[0].depth, 0);
	assert_int_equal(tree->entries[1].pid, 101);
	assert_int_equal(tree->entries[1].parent_pid, 100);
	assert_int_equal(tree->entries[1].depth, 1);
	assert_int_equal(tree->entries[2].pid, 99); /* depth first, then pid */
	assert_int_equal(tree->entries[2].depth, 2);
	assert_int_equal(tree->entries[3].pid, 102);
	assert_int_equal(tree->entries[3].start_time, 1002);

	assert_int_equal(eg_proc_tree_scan(fake->root, 100, EG_START_TIME_UNKNOWN, 2, &cut, &err),
	                 0);
	assert_int_equal(cut->count, 2);
	assert_true(cut->truncated);
	assert_int_equal(cut->entries[1].pid, 101);

	assert_int_equal(eg_proc_tree_scan(fake->root, 100, 999, 16, &none, &err), -ESRCH);
	assert_non_null(strstr(err.message, "reused"));
	assert_int_equal(eg_proc_tree_scan(fake->root, 555, 1, 16, &none, &err), -ESRCH);
	assert_int_equal(eg_proc_tree_scan(fake->root, 100, 1000, 0, &none, &err), -EINVAL);
	assert_null(none);
}

/* Starts the long-named script; it says "ready" on its stdout and waits on
 * its stdin (a builtin read, no child), so its /proc entry holds still. */
static pid_t start_script(const char *script, int *ret_stdin)
{
	int to_script[2], from_script[2];
	struct pollfd ready;
	char line[16];
	pid_t pid;

	assert_int_equal(pipe2(to_script, O_CLOEXEC), 0);
	assert_int_equal(pipe2(from_script, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (dup2(to_script[0], 0) < 0 || dup2(from_script[1], 1) < 0)
			_exit(126);
		execl(script, script, "first-argument", (char *)NULL);
		_exit(127);
	}
	close(to_script[0]);
	close(from_script[1]);
	ready = (struct pollfd){.fd = from_script[0], .events = POLLIN};
	assert_int_equal(poll(&ready, 1, 5000), 1);
	assert_true(read(from_script[0], line, sizeof(line)) > 0);
	close(from_script[0]);
	*ret_stdin = to_script[1];
	return pid;
}

static void live_script_process(void **state)
{
	struct fake *fake = *state;
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;
	_cleanup_(eg_proc_tree_freep) struct eg_proc_tree *tree = NULL;
	char script[PATH_MAX], shell[PATH_MAX];
	struct eg_error err = {0};
	int script_stdin, status;
	bool found = false;
	pid_t pid;

	snprintf(script, sizeof(script), "%s/my-long-entrypoint.sh", fake->root);
	write_file(script, "#!/bin/sh\necho ready\nread line\n", 31);
	pid = start_script(script, &script_stdin);

	if (eg_proc_exec_read(NULL, pid, &info, &err) < 0)
		fail_msg("exec read: %s", err.message);
	assert_string_equal(info->stat.comm, "my-long-entrypo");
	assert_string_equal(info->name.name, "my-long-entrypoint.sh");
	assert_int_equal(info->name.argv_index, 1);
	assert_false(info->name.unconfirmed);
	assert_int_equal(info->args.count, 3);
	assert_string_equal(info->args.argv[1], script);
	assert_string_equal(info->args.argv[2], "first-argument");
	assert_non_null(realpath("/bin/sh", shell));
	assert_string_equal(info->executable, shell);
	assert_int_equal(info->stat.parent_pid, getpid());
	assert_false(info->changed);

	assert_int_equal(eg_proc_tree_scan(NULL, getpid(), EG_START_TIME_UNKNOWN, 64, &tree, &err),
	                 0);
	assert_int_equal(tree->entries[0].pid, getpid());
	for (size_t i = 0; i < tree->count; i++)
		if (tree->entries[i].pid == pid) {
			found = true;
			assert_int_equal(tree->entries[i].depth, 1);
			assert_int_equal(tree->entries[i].start_time, info->stat.start_time);
		}
	assert_true(found);

	close(script_stdin); /* read gets EOF: the script ends */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(eg_proc_exec_read(NULL, pid, &info, &err), -ENOENT);
}

static void live_zombie(void **state)
{
	_cleanup_(eg_proc_exec_info_freep) struct eg_proc_exec_info *info = NULL;
	struct eg_error err = {0};
	siginfo_t exited;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	/* Wait until it is a zombie, without reaping it. */
	assert_int_equal(waitid(P_PID, (id_t)pid, &exited, WEXITED | WNOWAIT), 0);
	assert_int_equal(eg_proc_exec_read(NULL, pid, &info, &err), 0);
	assert_int_equal(info->stat.state, 'Z');
	assert_int_equal(info->args.count, 0);
	assert_true(info->executable_error == -ENOENT || info->executable_error == -ESRCH);
	assert_true(info->name.unconfirmed);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

#define FAKE_TEST(name) cmocka_unit_test_setup_teardown(name, fake_setup, fake_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    FAKE_TEST(script_name_longer_than_comm),  FAKE_TEST(binary_names),
	    FAKE_TEST(interpreter_with_argument),     FAKE_TEST(lying_cmdline_falls_back_to_comm),
	    FAKE_TEST(empty_cmdline_and_missing_exe), FAKE_TEST(cmdline_without_final_nul),
	    FAKE_TEST(oversized_cmdline_is_bounded),  FAKE_TEST(missing_files_of_a_gone_process),
	    FAKE_TEST(executable_read_is_bounded),    FAKE_TEST(tree_scan_follows_lineage),
	    FAKE_TEST(live_script_process),           cmocka_unit_test(live_zombie),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
