/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The thread behind a seccomp notification; see target.h. */
#include "monitor/target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "monitor/kernel_abi.h"

/* The descriptor-table walk gives up (and answers "shared") beyond this
 * many tasks, and retries at most this many times when tasks were created
 * while it ran. */
#define FILES_WALK_MAX_TASKS 262144
#define FILES_WALK_ATTEMPTS  3

static inline void closedirp(DIR **dir)
{
	if (*dir)
		closedir(*dir);
}

void eg_target_close(struct eg_target *target)
{
	if (!target->pidfd_borrowed)
		eg_close_fd(&target->pidfd);
	target->pidfd = -1;
	target->pidfd_borrowed = false;
}

int eg_notification_valid(int listener_fd, uint64_t id)
{
	if (ioctl(listener_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0)
		return -errno;
	return 0;
}

int eg_thread_group_of(pid_t tid, pid_t *ret_pid)
{
	char path[64], text[1024];
	_cleanup_close_ int fd = -1;
	const char *line;
	ssize_t length;
	int pid;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Name, Umask and State come first; Tgid is within the first few
	 * hundred bytes (a name is at most 64 escaped bytes, and a newline in
	 * it is escaped, so "\nTgid:" cannot be faked by the process). */
	length = read(fd, text, sizeof(text) - 1);
	if (length < 0)
		return -errno;
	text[length] = '\0';
	line = strstr(text, "\nTgid:");
	if (!line || sscanf(line + 6, "%d", &pid) != 1 || pid <= 0)
		return -EBADMSG;
	*ret_pid = pid;
	return 0;
}

static int kcmp_files(pid_t a, pid_t b)
{
	long r = syscall(SYS_kcmp, a, b, KCMP_FILES, 0, 0);

	return r < 0 ? -errno : (int)r;
}

int eg_target_open_pidfd(struct eg_target *target)
{
	int fd = (int)syscall(SYS_pidfd_open, target->tid, PIDFD_THREAD);
	int r;

	target->pidfd_is_thread = fd >= 0;
	if (fd < 0 && errno == EINVAL && target->pid > 0) {
		/* Before Linux 6.9: a pidfd of the process.  pidfd_getfd()
		 * then reads the leader's table, which must be the thread's. */
		fd = (int)syscall(SYS_pidfd_open, target->pid, 0);
		if (fd >= 0 && target->pid != target->tid && kcmp_files(target->tid, target->pid)) {
			close(fd);
			return -EOPNOTSUPP;
		}
	}
	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	eg_target_close(target);
	target->pidfd = fd;
	r = eg_target_valid(target);
	if (r < 0)
		eg_target_close(target);
	return r;
}

int eg_target_read(const struct eg_target *target, uint64_t address, void *buffer, size_t length)
{
	struct iovec local = {.iov_base = buffer, .iov_len = length};
	struct iovec remote = {.iov_base = (void *)(uintptr_t)address, .iov_len = length};
	ssize_t got = 0;

	if (length > 0)
		got = process_vm_readv(target->tid, &local, 1, &remote, 1, 0);
	if (got < 0 && errno == ESRCH)
		return -ENOENT;
	if (!target->validation_deferred && eg_target_valid(target) < 0)
		return -ENOENT;
	if (got < 0 || (size_t)got != length)
		return -EFAULT;
	return 0;
}

ssize_t eg_target_gather(const struct eg_target *target, const struct iovec *remote, size_t count,
                         void *buffer, size_t total)
{
	struct iovec local = {.iov_base = buffer, .iov_len = total};
	ssize_t got = 0;

	if (total > 0 && count > 0)
		got = process_vm_readv(target->tid, &local, 1, remote, count, 0);
	if (got < 0 && errno == ESRCH)
		return -ENOENT;
	if (!target->validation_deferred && eg_target_valid(target) < 0)
		return -ENOENT;
	return got < 0 ? 0 : got;
}

int eg_target_write(const struct eg_target *target, uint64_t address, const void *data,
                    size_t length)
{
	_cleanup_close_ int fd = -1;
	char path[64];
	ssize_t written;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)target->tid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
	/* The open file holds the address space it was opened on: valid now
	 * means it is the target's, whatever later happens to the tid. */
	if (eg_target_valid(target) < 0)
		return -ENOENT;
	if (address > (uint64_t)INT64_MAX)
		return -EFAULT;
	written = pwrite(fd, data, length, (off_t)address);
	return written == (ssize_t)length ? 0 : -EFAULT;
}

int eg_target_socket(const struct eg_target *target, int fd, int *ret_socket)
{
	int copy;

	if (fd < 0)
		return -EBADF;
	copy = (int)syscall(SYS_pidfd_getfd, target->pidfd, fd, 0);
	if (copy < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	*ret_socket = copy;
	return 0;
}

int eg_target_signal(const struct eg_target *target, int signal)
{
	if (syscall(SYS_pidfd_send_signal, target->pidfd, signal, NULL, 0) < 0)
		return -errno;
	return 0;
}

/* The pid the kernel handed out last (the last field of /proc/loadavg):
 * unchanged across the walk means no task was created meanwhile. */
static int last_pid(long *ret_pid)
{
	_cleanup_fclose_ FILE *file = fopen("/proc/loadavg", "re");

	if (!file || fscanf(file, "%*s %*s %*s %*s %ld", ret_pid) != 1)
		return -EIO;
	return 0;
}

static bool is_number(const char *name)
{
	if (!name[0])
		return false;
	for (const char *c = name; *c; c++)
		if (*c < '0' || *c > '9')
			return false;
	return true;
}

/* kcmp's answer for one task: 1 shares, 0 does not (or is gone, or is not
 * ours to compare: a task we may not ptrace cannot have been made from a
 * container process we may), -1 cannot tell. */
static int shares(pid_t tid, pid_t other)
{
	int r;

	if (other == tid)
		return 0;
	r = kcmp_files(tid, other);
	if (r == 0)
		return 1;
	if (r > 0 || r == -ESRCH || r == -EPERM || r == -EACCES)
		return 0;
	return -1;
}

/* The threads of a process other than its leader. */
static int walk_threads(pid_t tid, const char *pid_name, size_t *tasks)
{
	_cleanup_(closedirp) DIR *dir = NULL;
	char path[64];
	struct dirent *entry;

	snprintf(path, sizeof(path), "/proc/%.20s/task", pid_name);
	dir = opendir(path);
	if (!dir)
		return 0; /* gone */
	while ((entry = readdir(dir))) {
		int r;

		if (!is_number(entry->d_name) || !strcmp(entry->d_name, pid_name))
			continue;
		if (++*tasks > FILES_WALK_MAX_TASKS)
			return -1;
		r = shares(tid, atoi(entry->d_name));
		if (r != 0)
			return r;
	}
	return 0;
}

static int walk(pid_t tid)
{
	_cleanup_(closedirp) DIR *proc = opendir("/proc");
	struct dirent *entry;
	size_t tasks = 0;

	if (!proc)
		return -1;
	while ((entry = readdir(proc))) {
		char path[64];
		struct stat status;
		int r;

		if (!is_number(entry->d_name))
			continue;
		if (++tasks > FILES_WALK_MAX_TASKS)
			return -1;
		r = shares(tid, atoi(entry->d_name));
		if (r != 0)
			return r;
		/* /proc/PID/task has 2 + (live threads) links: only a process
		 * with more than one thread costs a directory walk. */
		snprintf(path, sizeof(path), "/proc/%.20s/task", entry->d_name);
		if (stat(path, &status) == 0 && status.st_nlink > 3) {
			r = walk_threads(tid, entry->d_name, &tasks);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

/* The given processes and their threads. */
static int walk_among(pid_t tid, const pid_t *pids, size_t count)
{
	size_t tasks = 0;

	for (size_t i = 0; i < count; i++) {
		char name[16], path[64];
		struct stat status;
		int r = shares(tid, pids[i]);

		if (r != 0)
			return r;
		snprintf(name, sizeof(name), "%d", (int)pids[i]);
		snprintf(path, sizeof(path), "/proc/%s/task", name);
		if (stat(path, &status) == 0 && status.st_nlink > 3) {
			r = walk_threads(tid, name, &tasks);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

static int files_shared(const struct eg_target *target, const pid_t *pids, size_t count)
{
	for (int attempt = 0; attempt < FILES_WALK_ATTEMPTS; attempt++) {
		long before, after;
		int r;

		if (last_pid(&before) < 0)
			return 1;
		r = pids ? walk_among(target->tid, pids, count) : walk(target->tid);
		if (r != 0)
			return 1; /* shared, or cannot tell */
		if (last_pid(&after) < 0)
			return 1;
		if (before == after)
			return eg_target_valid(target) < 0 ? 1 : 0;
	}
	return 1;
}

int eg_target_files_shared(const struct eg_target *target)
{
	return files_shared(target, NULL, 0);
}

int eg_target_files_shared_among(const struct eg_target *target, const pid_t *pids, size_t count)
{
	if (count > FILES_WALK_MAX_TASKS)
		return 1;
	return files_shared(target, pids, count);
}
