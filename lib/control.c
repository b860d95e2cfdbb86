/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A monitor's control socket: the status message and both ends; see control.h. */
#include "entryguard/control.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "entryguard/cleanup.h"
#include "entryguard/json.h"
#include "entryguard/json_write.h"
#include "entryguard/rundir.h"

static const struct {
	unsigned bit;
	const char *name;
} watcher_names[] = {
    {EG_CONTROL_WATCH_PROC_CONNECTOR, "proc_connector"},
    {EG_CONTROL_WATCH_SOCK_DIAG, "sock_diag"},
    {EG_CONTROL_WATCH_SECCOMP, "seccomp"},
};

void eg_control_status_clear(struct eg_control_status *status)
{
	if (!status)
		return;
	free(status->container_id);
	memset(status, 0, sizeof(*status));
}

/* Counters as yajl reads them back: they never get near INT64_MAX. */
static void gen_count(yajl_gen gen, const char *key, uint64_t value)
{
	eg_gen_integer_member(gen, key, value > INT64_MAX ? INT64_MAX : (long long)value);
}

int eg_control_status_to_json(const struct eg_control_status *status, char **ret_text,
                              size_t *ret_length, struct eg_error *err)
{
	_cleanup_gen_ yajl_gen gen = yajl_gen_alloc(NULL);

	if (!gen)
		return eg_error_set(err, ENOMEM, "out of memory");
	yajl_gen_config(gen, yajl_gen_validate_utf8, 1);
	yajl_gen_map_open(gen);
	gen_count(gen, "version", EG_CONTROL_VERSION);
	gen_count(gen, "pid", (uint64_t)status->pid);
	eg_gen_string_member(gen, "container_id", status->container_id ? status->container_id : "");
	eg_gen_string_member(gen, "mode", eg_mode_name(status->mode));
	eg_gen_string_member(gen, "monitor_mode", status->listen_mode ? "listen" : "hook");
	eg_gen_key(gen, "watchers");
	yajl_gen_array_open(gen);
	for (size_t i = 0; i < sizeof(watcher_names) / sizeof(watcher_names[0]); i++)
		if (status->watchers & watcher_names[i].bit)
			yajl_gen_string(gen, (const unsigned char *)watcher_names[i].name,
			                strlen(watcher_names[i].name));
	yajl_gen_array_close(gen);
	gen_count(gen, "tracked", status->tracked);
	gen_count(gen, "capacity", status->capacity);
	eg_gen_bool_member(gen, "window_open", status->window_open);
	gen_count(gen, "window_remaining_ms", status->window_remaining_ms);
	gen_count(gen, "alerts_written", status->alerts_written);
	gen_count(gen, "alerts_suppressed_unreported", status->alerts_suppressed_unreported);
	gen_count(gen, "process_events_lost", status->process_events_lost);
	if (status->watchers & EG_CONTROL_WATCH_SECCOMP)
		gen_count(gen, "seccomp_notifications", status->seccomp_notifications);
	gen_count(gen, "uptime_ms", status->uptime_ms);
	if (yajl_gen_map_close(gen) != yajl_gen_status_ok)
		return eg_error_set(err, EINVAL, "status message: the container id is not UTF-8");
	return eg_gen_finish(gen, "status message", EG_CONTROL_MESSAGE_MAX, false, ret_text,
	                     ret_length, err);
}

/* A required non-negative integer of at most max. */
static int get_count(yajl_val tree, const char *key, uint64_t max, uint64_t *ret,
                     struct eg_error *err)
{
	int64_t number = 0;
	int r = eg_json_get_int64(tree, "", key, true, &number, err);

	if (r < 0)
		return r;
	if (number < 0 || (uint64_t)number > max)
		return eg_error_set(err, ERANGE, "%s: %lld is out of range", key,
		                    (long long)number);
	*ret = (uint64_t)number;
	return 0;
}

static int read_watchers(yajl_val tree, unsigned *ret_watchers, struct eg_error *err)
{
	yajl_val array = NULL;
	unsigned watchers = 0;
	int r = eg_json_get_array(tree, "", "watchers", true, &array, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < array->u.array.len; i++) {
		yajl_val item = array->u.array.values[i];

		if (!YAJL_IS_STRING(item))
			return eg_error_set(err, EINVAL, "watchers[%zu]: expected a string, got %s",
			                    i, eg_json_type_name(item));
		for (size_t w = 0; w < sizeof(watcher_names) / sizeof(watcher_names[0]); w++)
			if (!strcmp(item->u.string, watcher_names[w].name))
				watchers |= watcher_names[w].bit;
	}
	*ret_watchers = watchers;
	return 0;
}

static int read_fields(yajl_val tree, struct eg_control_status *status, struct eg_error *err)
{
	const char *id = NULL, *mode = NULL, *monitor_mode = NULL;
	uint64_t version = 0, pid = 0, tracked = 0, capacity = 0;
	int r;

	r = get_count(tree, "version", INT64_MAX, &version, err);
	if (r >= 0 && version != EG_CONTROL_VERSION)
		return eg_error_set(err, EPROTO, "version %llu (this entryguard reads %d)",
		                    (unsigned long long)version, EG_CONTROL_VERSION);
	if (r >= 0)
		r = get_count(tree, "pid", INT32_MAX, &pid, err);
	if (r >= 0 && pid == 0)
		return eg_error_set(err, EINVAL, "pid: 0 is not a pid");
	if (r >= 0)
		r = eg_json_get_string(tree, "", "container_id", true, &id, err);
	if (r >= 0)
		r = eg_json_get_string(tree, "", "mode", true, &mode, err);
	if (r >= 0 && eg_mode_parse(mode, &status->mode) < 0)
		return eg_error_set(err, EINVAL, "mode: \"%s\" is not a mode", mode);
	if (r >= 0)
		r = eg_json_get_string(tree, "", "monitor_mode", true, &monitor_mode, err);
	if (r >= 0 && strcmp(monitor_mode, "hook") && strcmp(monitor_mode, "listen"))
		return eg_error_set(err, EINVAL, "monitor_mode: \"%s\" is neither hook nor listen",
		                    monitor_mode);
	if (r >= 0)
		r = read_watchers(tree, &status->watchers, err);
	if (r >= 0)
		r = get_count(tree, "tracked", UINT32_MAX, &tracked, err);
	if (r >= 0)
		r = get_count(tree, "capacity", UINT32_MAX, &capacity, err);
	if (r >= 0)
		r = eg_json_get_bool(tree, "", "window_open", true, &status->window_open, err);
	if (r >= 0)
		r = get_count(tree, "window_remaining_ms", INT64_MAX, &status->window_remaining_ms,
		              err);
	if (r >= 0)
		r = get_count(tree, "alerts_written", INT64_MAX, &status->alerts_written, err);
	if (r >= 0)
		r = get_count(tree, "alerts_suppressed_unreported", INT64_MAX,
		              &status->alerts_suppressed_unreported, err);
	if (r >= 0)
		r = get_count(tree, "process_events_lost", INT64_MAX, &status->process_events_lost,
		              err);
	if (r >= 0 && (status->watchers & EG_CONTROL_WATCH_SECCOMP))
		r = get_count(tree, "seccomp_notifications", INT64_MAX,
		              &status->seccomp_notifications, err);
	if (r >= 0)
		r = get_count(tree, "uptime_ms", INT64_MAX, &status->uptime_ms, err);
	if (r < 0)
		return r;
	status->pid = (pid_t)pid;
	status->listen_mode = !strcmp(monitor_mode, "listen");
	status->tracked = (uint32_t)tracked;
	status->capacity = (uint32_t)capacity;
	status->container_id = strdup(id);
	return status->container_id ? 0 : eg_error_set(err, ENOMEM, "out of memory");
}

int eg_control_status_from_json(const char *what, const char *text, size_t length,
                                struct eg_control_status *ret_status, struct eg_error *err)
{
	_cleanup_json_ yajl_val tree = NULL;
	struct eg_control_status status = {0};
	int r;

	r = eg_json_parse(what, text, length, &tree, err);
	if (r < 0)
		return r;
	if (!YAJL_IS_OBJECT(tree))
		return eg_error_set(err, EPROTO, "%s: expected an object, got %s", what,
		                    eg_json_type_name(tree));
	r = read_fields(tree, &status, err);
	if (r < 0) {
		eg_control_status_clear(&status);
		return eg_error_prefix(err, r, "%s", what);
	}
	*ret_status = status;
	return 0;
}

/* The socket's address through the folder's fd: always short, whatever the
 * folder's path. */
static socklen_t control_address(int dir_fd, struct sockaddr_un *address)
{
	int length = snprintf(address->sun_path, sizeof(address->sun_path), "/proc/self/fd/%d/%s",
	                      dir_fd, EG_CONTROL_SOCKET_FILE);

	address->sun_family = AF_UNIX;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + (size_t)length + 1);
}

int eg_control_bind(const char *container_dir, int *ret_fd, struct eg_error *err)
{
	_cleanup_close_ int dir_fd = -1, fd = -1;
	struct sockaddr_un address;
	socklen_t address_length;
	struct stat st;
	mode_t mask;
	int r;

	dir_fd = open(container_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return eg_error_set_errno(err, errno, "%s", container_dir);
	if (fstatat(dir_fd, EG_CONTROL_SOCKET_FILE, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return eg_error_set(err, EEXIST, "%s/%s: exists and is not a socket",
			                    container_dir, EG_CONTROL_SOCKET_FILE);
		if (unlinkat(dir_fd, EG_CONTROL_SOCKET_FILE, 0) < 0)
			return eg_error_set_errno(err, errno, "%s/%s: removing the stale socket",
			                          container_dir, EG_CONTROL_SOCKET_FILE);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return eg_error_set_errno(err, errno, "control socket");
	address_length = control_address(dir_fd, &address);
	/* 0600 from the first moment (the folder is 0700 anyway).  The
	 * monitor has one thread: the umask changes for nobody else. */
	mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&address, address_length);
	umask(mask);
	if (r < 0)
		return eg_error_set_errno(err, errno, "%s/%s: bind", container_dir,
		                          EG_CONTROL_SOCKET_FILE);
	if (listen(fd, EG_CONTROL_BACKLOG) < 0)
		return eg_error_set_errno(err, errno, "%s/%s: listen", container_dir,
		                          EG_CONTROL_SOCKET_FILE);
	*ret_fd = steal_fd(&fd);
	return 0;
}

static int64_t monotonic_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* 0 when fd is readable (or hung up), -ETIMEDOUT at the deadline. */
static int wait_readable(int fd, int timeout_ms)
{
	int64_t deadline = monotonic_ms() + timeout_ms;

	for (;;) {
		struct pollfd item = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - monotonic_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&item, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static int receive(int fd, int timeout_ms, char *buffer, size_t size, size_t *ret_length)
{
	struct iovec part = {.iov_base = buffer, .iov_len = size};
	struct msghdr header = {.msg_iov = &part, .msg_iovlen = 1};
	ssize_t got;
	int r = wait_readable(fd, timeout_ms);

	if (r < 0)
		return r;
	got = recvmsg(fd, &header, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (got < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	if (got == 0)
		return -ECONNRESET;
	if (header.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	*ret_length = (size_t)got;
	return 0;
}

int eg_control_query(const char *container_dir, int timeout_ms,
                     struct eg_control_status *ret_status, struct eg_error *err)
{
	_cleanup_close_ int dir_fd = -1, fd = -1;
	_cleanup_free_ char *what = NULL;
	char buffer[EG_CONTROL_MESSAGE_MAX + 1]; /* and the parser's NUL */
	struct sockaddr_un address;
	socklen_t address_length;
	size_t length = 0;
	int r;

	if (asprintf(&what, "%s/%s", container_dir, EG_CONTROL_SOCKET_FILE) < 0) {
		what = NULL;
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	dir_fd = open(container_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0)
		return eg_error_set_errno(err, errno, "%s", container_dir);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return eg_error_set_errno(err, errno, "socket");
	address_length = control_address(dir_fd, &address);
	/* A unix connect never waits: it is queued at once, or the backlog is
	 * full (EAGAIN), or nobody listens. */
	if (connect(fd, (struct sockaddr *)&address, address_length) < 0) {
		if (errno == EAGAIN)
			return eg_error_set(err, ETIMEDOUT, "%s: the monitor's backlog is full",
			                    what);
		return eg_error_set_errno(err, errno, "%s: connect", what);
	}
	r = receive(fd, timeout_ms, buffer, EG_CONTROL_MESSAGE_MAX, &length);
	if (r == -ETIMEDOUT)
		return eg_error_set(err, ETIMEDOUT, "%s: no answer within %d ms", what, timeout_ms);
	if (r == -ECONNRESET)
		return eg_error_set(err, ECONNRESET, "%s: closed without an answer", what);
	if (r == -EMSGSIZE)
		return eg_error_set(err, EMSGSIZE, "%s: answer longer than %d bytes", what,
		                    EG_CONTROL_MESSAGE_MAX);
	if (r < 0)
		return eg_error_set_errno(err, -r, "%s: receive", what);
	buffer[length] = '\0';
	return eg_control_status_from_json(what, buffer, length, ret_status, err);
}
