/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rootless places as a hook inside rootless Podman's user namespace
 * finds them: uid 0 mapped from the user, with no HOME or XDG_* in its
 * environment (a hooks.d entry's "env" replaces the whole environment).
 * Needs root (to write the child's uid_map and make /run/user/UID). */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "entryguard/config.h"
#include "entryguard/rundir.h"
#include "tests/unit.h"

/* An id no account has: the user database knows no home for it. */
#define OUTSIDE_UID 3900000u

/* Runs check() in a child of uid OUTSIDE_UID that entered a new user
 * namespace mapping 0 to it (written by the parent, as newuidmap does for
 * Podman). */
static void in_user_namespace(int (*check)(void))
{
	int ready[2], mapped[2], status;
	char path[64], map[64], byte = 0;
	pid_t child;
	int fd;

	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(mapped), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* Podman's processes are the user's: the map does not change
		 * who we are, only how we look inside. */
		if (setresgid(OUTSIDE_UID, OUTSIDE_UID, OUTSIDE_UID) < 0 ||
		    setresuid(OUTSIDE_UID, OUTSIDE_UID, OUTSIDE_UID) < 0 ||
		    unshare(CLONE_NEWUSER) < 0)
			_exit(90);
		if (write(ready[1], "r", 1) != 1 || read(mapped[0], &byte, 1) != 1)
			_exit(91);
		_exit(check());
	}
	assert_int_equal(read(ready[0], &byte, 1), 1);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)child);
	snprintf(map, sizeof(map), "0 %u 1\n", OUTSIDE_UID);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, map, strlen(map)), (ssize_t)strlen(map));
	close(fd);
	assert_int_equal(write(mapped[1], "m", 1), 1);
	assert_int_equal(waitpid(child, &status, 0), child);
	close(ready[0]), close(ready[1]), close(mapped[0]), close(mapped[1]);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("the check in the user namespace failed at step %d", WEXITSTATUS(status));
}

static void clear_environment(void)
{
	unsetenv("HOME");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("ENTRYGUARD_RUN_DIR");
	unsetenv("ENTRYGUARD_CONFIG");
}

static int places_without_environment(void)
{
	_cleanup_free_ char *run = NULL, *alerts = NULL, *home = NULL;
	char wanted[64];
	struct eg_error err = {0};

	clear_environment();
	if (geteuid() != 0 || !eg_is_rootless())
		return 1;
	if (eg_host_uid() != OUTSIDE_UID)
		return 2;
	/* /run/user/UID belongs to the user: uid 0 here. */
	snprintf(wanted, sizeof(wanted), "/run/user/%u/entryguard", OUTSIDE_UID);
	if (eg_run_dir(&run, &err) < 0 || strcmp(run, wanted) != 0)
		return 3;
	/* No HOME, no XDG_STATE_HOME, no account: one line that says so. */
	if (eg_user_home(&home) != -ENOENT)
		return 4;
	if (eg_alerts_default_path(&alerts, &err) != -ENOENT || !strstr(err.message, "3900000") ||
	    strchr(err.message, '\n'))
		return 5;
	/* HOME when it is given; XDG_STATE_HOME before it. */
	setenv("HOME", "/home/someone", 1);
	if (eg_alerts_default_path(&alerts, &err) < 0 ||
	    strcmp(alerts, "/home/someone/.local/state/entryguard/alerts.ndjson") != 0)
		return 6;
	free(alerts);
	alerts = NULL;
	setenv("XDG_STATE_HOME", "/state", 1);
	if (eg_alerts_default_path(&alerts, &err) < 0 ||
	    strcmp(alerts, "/state/entryguard/alerts.ndjson") != 0)
		return 7;
	/* XDG_RUNTIME_DIR, when absolute, wins. */
	free(run);
	run = NULL;
	setenv("XDG_RUNTIME_DIR", "/somewhere", 1);
	if (eg_run_dir(&run, &err) < 0 || strcmp(run, "/somewhere/entryguard") != 0)
		return 8;
	return 0;
}

static int no_runtime_directory(void)
{
	_cleanup_free_ char *run = NULL;
	struct eg_error err = {0};

	clear_environment();
	if (eg_run_dir(&run, &err) != -ENOENT || !strstr(err.message, "XDG_RUNTIME_DIR") ||
	    !strstr(err.message, "3900000"))
		return 1;
	return 0;
}

static void rootless_places(void **state)
{
	char run_user[64];

	(void)state;
	snprintf(run_user, sizeof(run_user), "/run/user/%u", OUTSIDE_UID);
	in_user_namespace(no_runtime_directory);
	mkdir("/run/user", 0755);
	assert_int_equal(mkdir(run_user, 0700), 0);
	assert_int_equal(chown(run_user, OUTSIDE_UID, OUTSIDE_UID), 0);
	in_user_namespace(places_without_environment);
	rmdir(run_user);
}

/* Outside any user namespace, root is not rootless and its uid is its own. */
static void host_root(void **state)
{
	(void)state;
	assert_int_equal(eg_host_uid(), geteuid());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rootless_places),
	    cmocka_unit_test(host_root),
	};

	if (geteuid() != 0) {
		printf("Bail out! test_rundir_userns needs root (uid_map, /run/user)\n");
		return 1;
	}
	rmdir("/run/user/3900000");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
