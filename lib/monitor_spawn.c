/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting a container's monitor detached and waiting for its "ready". */
#include "entryguard/monitor_spawn.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/cleanup.h"

/* The fd number the monitor reads from --ready-fd. */
#define READY_FD 3

int eg_monitor_path(const char *default_dir, char **ret_path, struct eg_error *err)
{
	const char *explicit_path = getenv("ENTRYGUARD_MONITOR");
	char self[PATH_MAX];
	ssize_t length;
	char *slash, *path;

	if (explicit_path && explicit_path[0] == '/') {
		path = strdup(explicit_path);
		if (!path)
			return eg_error_set(err, ENOMEM, "out of memory");
		*ret_path = path;
		return 0;
	}
	if (!default_dir) {
		length = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (length < 0)
			return eg_error_set_errno(err, errno, "/proc/self/exe");
		self[length] = '\0';
		slash = strrchr(self, '/');
		if (!slash)
			return eg_error_set(err, EINVAL, "/proc/self/exe: \"%s\" has no folder",
			                    self);
		*slash = '\0';
		default_dir = self;
	}
	if (asprintf(&path, "%s/entryguard-monitor", default_dir) < 0)
		return eg_error_set(err, ENOMEM, "out of memory");
	*ret_path = path;
	return 0;
}

/* In the grandchild: the monitor's fds are exactly stdio on /dev/null and
 * the ready pipe as fd 3. */
static void become_monitor(const char *monitor_path, const char *container_dir,
                           const char *const *extra_arguments, int ready_fd)
{
	const char *argv[EG_MONITOR_EXTRA_ARGUMENTS_MAX + 6] = {"entryguard-monitor"};
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	size_t count = 1;

	if (null_fd < 0 || dup2(ready_fd, READY_FD) < 0)
		_exit(127);
	/* dup2() onto itself keeps O_CLOEXEC: the pipe may already be fd 3. */
	if (ready_fd == READY_FD && fcntl(READY_FD, F_SETFD, 0) < 0)
		_exit(127);
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(null_fd, fd) < 0)
			_exit(127);
	/* close_range(2) closes everything above the ready fd at once, whatever
	 * the runtime or the shim left open. */
	if (syscall(SYS_close_range, READY_FD + 1, ~0U, 0) < 0)
		for (int fd = READY_FD + 1; fd < 65536; fd++)
			close(fd);
	for (size_t i = 0; extra_arguments && extra_arguments[i]; i++)
		argv[count++] = extra_arguments[i];
	argv[count++] = "--container-dir";
	argv[count++] = container_dir;
	argv[count++] = "--ready-fd";
	argv[count++] = "3";
	argv[count] = NULL;
	execv(monitor_path, (char *const *)argv);
	_exit(127);
}

static int64_t monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Reads the monitor's one line: "ready" or "error: <why>". */
static int wait_ready(int fd, struct eg_error *err)
{
	char line[512];
	size_t used = 0;
	int64_t deadline = monotonic_ms() + EG_MONITOR_READY_TIMEOUT_MS;

	for (;;) {
		struct pollfd poll_fd = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - monotonic_ms();
		ssize_t got;
		int r;

		if (left <= 0)
			return eg_error_set(err, ETIMEDOUT, "the monitor was not ready after %d ms",
			                    EG_MONITOR_READY_TIMEOUT_MS);
		r = poll(&poll_fd, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return eg_error_set_errno(err, errno, "waiting for the monitor");
		if (r <= 0)
			continue;
		got = read(fd, line + used, sizeof(line) - 1 - used);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return eg_error_set_errno(err, errno, "reading the monitor's ready line");
		used += (size_t)got;
		line[used] = '\0';
		if (got == 0 || strchr(line, '\n') || used == sizeof(line) - 1)
			break;
	}
	line[strcspn(line, "\n")] = '\0';
	if (!strcmp(line, "ready"))
		return 0;
	if (!strncmp(line, "error: ", 7))
		return eg_error_set(err, EIO, "the monitor failed: %s", line + 7);
	return eg_error_set(err, EIO, "the monitor exited before it was ready");
}

/* In the middle process: tells the caller the grandchild's pid, then waits
 * until the caller has a pidfd for it (closes go_fd).  While we live, the
 * grandchild is our child: even dead it stays a zombie and its pid cannot be
 * reused, so the caller's pidfd_open() names the monitor and nothing else. */
static void report_grandchild(pid_t grandchild, int pid_fd, int go_fd)
{
	char byte;

	if (write(pid_fd, &grandchild, sizeof(grandchild)) != (ssize_t)sizeof(grandchild))
		_exit(1);
	while (read(go_fd, &byte, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Reads the grandchild's pid from the middle process and pins it. */
static int pin_monitor(int pid_fd, int *ret_pidfd, struct eg_error *err)
{
	pid_t monitor;
	ssize_t n;

	do
		n = read(pid_fd, &monitor, sizeof(monitor));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(monitor) || monitor <= 0)
		return eg_error_set(err, ECHILD,
		                    "could not start the monitor (fork or setsid failed)");
	*ret_pidfd = (int)syscall(SYS_pidfd_open, monitor, 0);
	if (*ret_pidfd < 0)
		return eg_error_set_errno(err, errno, "pidfd_open of the monitor (pid %d)",
		                          (int)monitor);
	return 0;
}

int eg_monitor_spawn(const char *monitor_path, const char *container_dir,
                     const char *const *extra_arguments, struct eg_error *err)
{
	_cleanup_close_ int read_end = -1, write_end = -1, pid_read = -1, pid_write = -1,
	                    go_read = -1, go_write = -1, monitor_pidfd = -1;
	int pipe_fds[2], status, r, pin;
	size_t extra = 0;
	pid_t child;

	while (extra_arguments && extra_arguments[extra])
		extra++;
	if (extra > EG_MONITOR_EXTRA_ARGUMENTS_MAX)
		return eg_error_set(err, E2BIG, "more than %d extra monitor arguments",
		                    EG_MONITOR_EXTRA_ARGUMENTS_MAX);
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return eg_error_set_errno(err, errno, "pipe");
	read_end = pipe_fds[0];
	write_end = pipe_fds[1];
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return eg_error_set_errno(err, errno, "pipe");
	pid_read = pipe_fds[0];
	pid_write = pipe_fds[1];
	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return eg_error_set_errno(err, errno, "pipe");
	go_read = pipe_fds[0];
	go_write = pipe_fds[1];
	child = fork();
	if (child < 0)
		return eg_error_set_errno(err, errno, "fork");
	if (child == 0) {
		/* The middle process: a new session, then a grandchild that is
		 * re-parented away from the runtime when we exit. */
		pid_t grandchild;

		close(go_write);
		if (setsid() < 0)
			_exit(1);
		grandchild = fork();
		if (grandchild < 0)
			_exit(1);
		if (grandchild == 0)
			become_monitor(monitor_path, container_dir, extra_arguments, write_end);
		report_grandchild(grandchild, pid_write, go_read);
	}
	close(steal_fd(&write_end));
	close(steal_fd(&pid_write));
	close(steal_fd(&go_read));
	pin = pin_monitor(pid_read, &monitor_pidfd, err);
	close(steal_fd(&go_write)); /* the middle process may exit now */
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return eg_error_set_errno(err, errno, "waitpid");
	if (pin < 0)
		return pin;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return eg_error_set(err, ECHILD,
		                    "could not start the monitor (fork or setsid failed)");
	r = wait_ready(read_end, err);
	/* A monitor that missed its deadline or said it failed must not stay
	 * behind, half set up, watching nothing: the runtime is told the
	 * error, and the monitor goes. */
	if (r < 0)
		(void)syscall(SYS_pidfd_send_signal, monitor_pidfd, SIGKILL, NULL, 0);
	return r;
}
