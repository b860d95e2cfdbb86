/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The run directory shared by the hook, the monitor and `entryguard status`. */
#include "entryguard/rundir.h"

#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "entryguard/entity.h"
#include "entryguard/json.h"

bool eg_is_rootless(void)
{
	_cleanup_fclose_ FILE *file = NULL;
	unsigned long inside, outside, count;

	if (geteuid() != 0)
		return true;
	/* The initial user namespace maps all 2^32-1 ids onto themselves; any
	 * other map means we are root only inside a user namespace. */
	file = fopen("/proc/self/uid_map", "re");
	if (!file)
		return false;
	if (fscanf(file, "%lu %lu %lu", &inside, &outside, &count) != 3)
		return false;
	return !(inside == 0 && outside == 0 && count == 4294967295UL);
}

uid_t eg_host_uid(void)
{
	_cleanup_fclose_ FILE *file = NULL;
	unsigned long inside, outside, count;
	uid_t uid = geteuid();

	/* Root in a user namespace is the user who owns it (rootless Podman
	 * maps that user to 0): the line whose inside range holds our uid. */
	file = fopen("/proc/self/uid_map", "re");
	if (!file)
		return uid;
	while (fscanf(file, "%lu %lu %lu", &inside, &outside, &count) == 3)
		if (uid >= inside && uid - inside < count)
			return (uid_t)(outside + (uid - inside));
	return uid;
}

/* A directory that exists and belongs to us (as seen from here: in Podman's
 * user namespace the user's own files belong to uid 0). */
static bool own_directory(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

/* Where the user's runtime files live when XDG_RUNTIME_DIR is not passed
 * (a hooks.d entry with an "env" gets nothing else; `su -` sets none): as
 * Podman chooses it, /run/user/UID, else its own /tmp/podman-run-UID. */
static int runtime_dir_default(char **ret_path, struct eg_error *err)
{
	static const char *const prefixes[] = {"/run/user/", "/tmp/podman-run-"};
	uid_t uid = eg_host_uid();

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		char *path;

		if (asprintf(&path, "%s%u", prefixes[i], (unsigned)uid) < 0)
			return eg_error_set(err, ENOMEM, "out of memory");
		if (own_directory(path)) {
			*ret_path = path;
			return 0;
		}
		free(path);
	}
	return eg_error_set(err, ENOENT,
	                    "rootless, XDG_RUNTIME_DIR is not set, and neither /run/user/%u nor "
	                    "/tmp/podman-run-%u is a directory of ours: set XDG_RUNTIME_DIR or "
	                    "ENTRYGUARD_RUN_DIR",
	                    (unsigned)uid, (unsigned)uid);
}

int eg_user_home(char **ret_path)
{
	const char *home = getenv("HOME");
	struct passwd *entry;

	if (home && home[0] == '/')
		return (*ret_path = strdup(home)) ? 0 : -ENOMEM;
	entry = getpwuid(eg_host_uid());
	if (!entry || !entry->pw_dir || entry->pw_dir[0] != '/')
		return -ENOENT;
	return (*ret_path = strdup(entry->pw_dir)) ? 0 : -ENOMEM;
}

int eg_run_dir(char **ret_path, struct eg_error *err)
{
	const char *explicit_dir = getenv("ENTRYGUARD_RUN_DIR");
	const char *runtime_dir = getenv("XDG_RUNTIME_DIR");
	char *path;

	if (explicit_dir && explicit_dir[0]) {
		if (explicit_dir[0] != '/')
			return eg_error_set(err, EINVAL,
			                    "ENTRYGUARD_RUN_DIR: \"%s\" is not an absolute path",
			                    explicit_dir);
		path = strdup(explicit_dir);
	} else if (eg_is_rootless()) {
		_cleanup_free_ char *fallback = NULL;

		/* XDG: a relative $XDG_RUNTIME_DIR is to be ignored. */
		if (!runtime_dir || runtime_dir[0] != '/') {
			int r = runtime_dir_default(&fallback, err);
			if (r < 0)
				return r;
			runtime_dir = fallback;
		}
		if (asprintf(&path, "%s/entryguard", runtime_dir) < 0)
			path = NULL;
	} else {
		path = strdup(EG_RUN_DIR_SYSTEM);
	}
	if (!path)
		return eg_error_set(err, ENOMEM, "out of memory");
	*ret_path = path;
	return 0;
}

int eg_alerts_default_path(char **ret_path, struct eg_error *err)
{
	const char *state_home = getenv("XDG_STATE_HOME");
	_cleanup_free_ char *home = NULL;
	char *path = NULL;
	int r;

	if (!eg_is_rootless())
		r = asprintf(&path, "/var/log/entryguard/alerts.ndjson");
	else if (state_home && state_home[0] == '/') /* XDG: relative ones are ignored */
		r = asprintf(&path, "%s/entryguard/alerts.ndjson", state_home);
	else if (eg_user_home(&home) == 0)
		r = asprintf(&path, "%s/.local/state/entryguard/alerts.ndjson", home);
	else
		return eg_error_set(err, ENOENT,
		                    "rootless, XDG_STATE_HOME and HOME are not set, and uid %u has "
		                    "no home in the user database: set alerts.path in the config",
		                    (unsigned)eg_host_uid());
	if (r < 0)
		return eg_error_set(err, ENOMEM, "out of memory");
	*ret_path = path;
	return 0;
}

int eg_container_dir_create(const char *run_dir, const char *id, char **ret_path,
                            struct eg_error *err)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
		return eg_error_set_errno(err, errno, "%s: cannot create", run_dir);
	/* Refuse a run directory that is a symlink or not ours: a planted link
	 * would make us write where someone else chose. */
	if (lstat(run_dir, &st) < 0)
		return eg_error_set_errno(err, errno, "%s", run_dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return eg_error_set(err, EPERM, "%s: not a directory owned by uid %u", run_dir,
		                    (unsigned)geteuid());
	if (asprintf(&path, "%s/%s", run_dir, id) < 0) {
		path = NULL;
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	if (mkdir(path, 0700) < 0) {
		if (errno == EEXIST)
			return eg_error_set(err, EEXIST, "%s: already exists", path);
		return eg_error_set_errno(err, errno, "%s: cannot create", path);
	}
	*ret_path = steal_pointer(&path);
	return 0;
}

int eg_container_dir_claim(const char *run_dir, const char *id, char **ret_path, bool *ret_watched,
                           struct eg_error *err)
{
	_cleanup_free_ char *stale = NULL;
	int r;

	*ret_watched = false;
	r = eg_container_dir_create(run_dir, id, ret_path, err);
	if (r != -EEXIST)
		return r;
	if (asprintf(&stale, "%s/%s", run_dir, id) < 0) {
		stale = NULL;
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	if (eg_monitor_pid_alive(stale, NULL) > 0) {
		*ret_watched = true;
		return 0;
	}
	eg_container_dir_remove(stale);
	return eg_container_dir_create(run_dir, id, ret_path, err);
}

int eg_container_dir_remove(const char *container_dir)
{
	_cleanup_close_ int fd = open(container_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	unlinkat(fd, EG_CONTAINER_FILE, 0);
	unlinkat(fd, EG_MONITOR_PID_FILE, 0);
	unlinkat(fd, EG_LISTENER_SOCKET_FILE, 0);
	unlinkat(fd, EG_CONTROL_SOCKET_FILE, 0);
	if (rmdir(container_dir) < 0)
		return -errno;
	return 0;
}

int eg_write_file_atomic(const char *dir, const char *name, const char *data, size_t length,
                         struct eg_error *err)
{
	_cleanup_free_ char *path = NULL, *temporary = NULL;
	_cleanup_close_ int fd = -1;
	ssize_t written;

	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		path = NULL;
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	if (asprintf(&temporary, "%s/.%s.tmp", dir, name) < 0) {
		temporary = NULL;
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return eg_error_set_errno(err, errno, "%s: cannot create", temporary);
	written = write(fd, data, length);
	if (written < 0 || (size_t)written != length) {
		int code = written < 0 ? errno : EIO;
		unlink(temporary);
		return eg_error_set_errno(err, code, "%s: cannot write", temporary);
	}
	if (rename(temporary, path) < 0) {
		int code = errno;
		unlink(temporary);
		return eg_error_set_errno(err, code, "%s: cannot rename into place", path);
	}
	return 0;
}

int eg_monitor_pid_write(const char *container_dir, pid_t pid, uint64_t start_time,
                         struct eg_error *err)
{
	char line[64];
	int length = snprintf(line, sizeof(line), "%d %" PRIu64 "\n", (int)pid, start_time);

	return eg_write_file_atomic(container_dir, EG_MONITOR_PID_FILE, line, (size_t)length, err);
}

int eg_monitor_pid_alive(const char *container_dir, pid_t *ret_pid)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct eg_proc_stat stat_now;
	unsigned long long start_time;
	size_t length;
	int pid, r;

	if (asprintf(&path, "%s/%s", container_dir, EG_MONITOR_PID_FILE) < 0) {
		path = NULL;
		return -ENOMEM;
	}
	r = eg_read_file_bounded(path, 64, &text, &length, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (sscanf(text, "%d %llu", &pid, &start_time) != 2 || pid <= 0)
		return -EINVAL;
	if (ret_pid)
		*ret_pid = pid;
	/* Same pid, same start time, a monitor's name: a recycled pid is not
	 * mistaken for a live monitor. */
	r = eg_proc_stat_read(NULL, pid, &stat_now, NULL);
	if (r == -ENOENT || r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	return stat_now.start_time == start_time && stat_now.state != 'Z' &&
	       !strcmp(stat_now.comm, EG_MONITOR_COMM);
}
