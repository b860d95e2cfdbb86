/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Listen mode: the container is learnt from the runtime's listener message
 * instead of the hook's container.json.  The state comes from the message,
 * the spec from <state.bundle>/config.json, the config is located as the
 * hook locates it, the mode is the one entryguard-runtime decided (the
 * listener metadata's "mode=") or, when no metadata says (crun's
 * run.oci.seccomp.receiver route), decided here as the hook decides it.
 * The runtime is the process that connected (runc, crun) unless the
 * metadata names one ("runtime=").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entryguard/log.h"
#include "entryguard/rundir.h"
#include "entryguard/seccomp_profile.h"
#include "monitor/listener.h"
#include "monitor/monitor.h"

#define RUNTIME_NAME_MAX 32

static int load_config(struct monitor *monitor, char **ret_path, struct eg_error *err)
{
	int r = eg_config_locate(NULL, eg_is_rootless(), ret_path, err);

	if (r < 0)
		return r;
	if (!*ret_path)
		return eg_config_new_default(&monitor->config, err);
	return eg_config_load_file(*ret_path, &monitor->config, err);
}

/* The metadata's mode is entryguard-runtime's: its profile denies
 * io_uring_setup in block and kill modes (RUNTIME.md), so every attempt of
 * the container is one of the notified syscalls and the seccomp listener
 * sees it before the kernel acts; the sock_diag dumps (every 5 ms in a
 * window, each walking the host's TCP hash and every socket of the
 * namespace) then only cost.  On crun's receiver route the profile is the
 * user's, and io_uring may be allowed: sock_diag stays. */
static int decide_mode(struct monitor *monitor, const struct eg_oci_listener_message *message,
                       const struct eg_oci_spec *spec, enum eg_mode *ret_mode, struct eg_error *err)
{
	const char *annotation;
	bool ignored = false;
	int r;

	if (message->metadata && eg_listener_metadata_mode(message->metadata, ret_mode) == 0) {
		monitor->seccomp_sees_every_attempt = *ret_mode >= EG_MODE_BLOCK;
		return 0;
	}
	annotation = eg_oci_annotation(spec->annotations, EG_ANNOTATION_MODE);
	if (!annotation)
		annotation = eg_oci_annotation(message->state.annotations, EG_ANNOTATION_MODE);
	r = eg_config_effective_mode(monitor->config, annotation, ret_mode, &ignored, err);
	if (r >= 0 && ignored)
		eg_log_warning("container %s: annotation %s ignored (allow_annotation_mode is %s)",
		               message->state.id, EG_ANNOTATION_MODE,
		               eg_annotation_policy_name(monitor->config->allow_annotation_mode));
	return r;
}

/* "runtime=NAME" in the metadata, else the comm of the process that
 * connected: runc and crun connect themselves (under Podman too). */
static void runtime_hint(const struct eg_oci_listener_message *message, pid_t peer, char *buffer,
                         size_t size)
{
	const char *token = message->metadata ? strstr(message->metadata, "runtime=") : NULL;
	struct eg_proc_stat stat;

	buffer[0] = '\0';
	if (token) {
		size_t length = strcspn(token + 8, " ");
		if (length > 0 && length < size && length <= RUNTIME_NAME_MAX)
			snprintf(buffer, size, "%.*s", (int)length, token + 8);
	} else if (peer > 0 && eg_proc_stat_read(NULL, peer, &stat, NULL) == 0) {
		snprintf(buffer, size, "%.*s", (int)(size - 1), stat.comm);
	}
}

static int describe(struct monitor *monitor, const struct eg_oci_listener_message *message,
                    pid_t peer, struct eg_error *err)
{
	_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
	_cleanup_free_ char *config_path = NULL, *json = NULL;
	struct eg_oci_state state = message->state;
	char runtime[RUNTIME_NAME_MAX + 1];
	enum eg_mode mode;
	size_t length;
	int r;

	if (state.pid <= 0)
		state.pid = message->pid;
	r = load_config(monitor, &config_path, err);
	if (r >= 0)
		r = eg_oci_spec_load(state.bundle, &spec, err);
	if (r >= 0)
		r = decide_mode(monitor, message, spec, &mode, err);
	if (r < 0)
		return r;
	runtime_hint(message, peer, runtime, sizeof(runtime));
	r = eg_container_describe(&state, spec, monitor->config, config_path, mode,
	                          runtime[0] ? runtime : NULL, &monitor->container, err);
	if (r >= 0)
		r = eg_container_to_json(monitor->container, &json, &length, err);
	if (r >= 0)
		r = eg_write_file_atomic(monitor->container_dir, EG_CONTAINER_FILE, json, length,
		                         err);
	return r;
}

int monitor_listen_receive(struct monitor *monitor, int listener_fd, int timeout_ms,
                           int *ret_seccomp_fd, bool *ret_handed_over, struct eg_error *err)
{
	_cleanup_(eg_oci_listener_message_freep) struct eg_oci_listener_message *message = NULL;
	struct eg_listener_message received = {0};
	int r, index;

	*ret_handed_over = false;
	r = eg_listener_receive(listener_fd, monitor->signal_fd, timeout_ms, &received, err);
	if (r < 0)
		return r;
	*ret_handed_over = received.fds_count > 0;
	r = eg_oci_listener_message_parse("the runtime's listener message", received.text,
	                                  received.length, received.fds_count, &message, err);
	if (r >= 0 && message->seccomp_fd_index < 0)
		r = eg_error_set(err, EPROTO, "the runtime's listener message names no seccompFd");
	if (r < 0) {
		eg_listener_message_clear(&received);
		return r;
	}
	index = message->seccomp_fd_index;
	r = describe(monitor, message, received.peer_pid, err);
	if (r >= 0) {
		/* The one fd we use; eg_listener_message_clear() closes the rest. */
		*ret_seccomp_fd = received.fds[index];
		received.fds[index] = -1;
		eg_log_info("container %s: seccomp listener from %s[%d], %s mode",
		            monitor->container->id,
		            monitor->container->runtime ? monitor->container->runtime : "runtime",
		            (int)received.peer_pid, eg_mode_name(monitor->container->mode));
	}
	eg_listener_message_clear(&received);
	return r;
}
