/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard-hook: the OCI hook (createRuntime; prestart for engines that
 * offer only that).  Reads the OCI state on stdin and the bundle's
 * config.json, decides whether to watch, records the container's entry
 * metadata in the run directory, starts the container's one monitor and
 * waits until it is ready, so nothing the entrypoint does comes before the
 * watch.
 *
 * Failure policy (DESIGN.md): in detect mode a failure of entryguard never
 * stops the container: it is logged loudly and the hook exits 0.  In block
 * and kill modes it exits 1 so the runtime does not start the container
 * unprotected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/config.h"
#include "entryguard/container.h"
#include "entryguard/engine.h"
#include "entryguard/entity.h"
#include "entryguard/json.h"
#include "entryguard/log.h"
#include "entryguard/monitor_spawn.h"
#include "entryguard/oci.h"
#include "entryguard/rundir.h"

struct hook {
	const char *stage;
	struct timespec started; /* CLOCK_MONOTONIC at main() */
	struct eg_config *config;
	char *config_path;
	struct eg_oci_state *state;
	struct eg_oci_spec *spec;
	enum eg_mode mode;
};

static void hook_clear(struct hook *hook)
{
	eg_config_free(hook->config);
	free(hook->config_path);
	eg_oci_state_free(hook->state);
	eg_oci_spec_free(hook->spec);
}

static int load_config(struct hook *hook, struct eg_error *err)
{
	int r = eg_config_locate(NULL, eg_is_rootless(), &hook->config_path, err);

	if (r < 0)
		return r;
	if (!hook->config_path)
		return eg_config_new_default(&hook->config, err);
	return eg_config_load_file(hook->config_path, &hook->config, err);
}

static int read_state(struct hook *hook, struct eg_error *err)
{
	_cleanup_free_ char *buffer = NULL;
	size_t length;
	int r = eg_read_fd_bounded(STDIN_FILENO, EG_JSON_MAX_BYTES, &buffer, &length, err);

	if (r < 0)
		return eg_error_prefix(err, r, "state on stdin");
	return eg_oci_state_parse("state on stdin", buffer, length, &hook->state, err);
}

static double elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static int watch(struct hook *hook, struct eg_error *err)
{
	_cleanup_(eg_container_freep) struct eg_container *container = NULL;
	_cleanup_free_ char *run_dir = NULL, *dir = NULL, *json = NULL, *monitor = NULL;
	size_t length;
	bool watched;
	int r;

	if (hook->state->pid <= 0)
		return eg_error_set(err, EINVAL, "state on stdin: no pid (stage %s is too early)",
		                    hook->stage);
	r = eg_container_describe(hook->state, hook->spec, hook->config, hook->config_path,
	                          hook->mode, NULL, &container, err);
	if (r >= 0)
		r = eg_container_to_json(container, &json, &length, err);
	if (r >= 0)
		r = eg_monitor_path(NULL, &monitor, err);
	if (r >= 0)
		r = eg_run_dir(&run_dir, err);
	if (r >= 0)
		r = eg_container_dir_claim(run_dir, container->id, &dir, &watched, err);
	if (r < 0)
		return r;
	if (watched) {
		eg_log_info("container %s: already watched", container->id);
		return 0;
	}
	r = eg_write_file_atomic(dir, EG_CONTAINER_FILE, json, length, err);
	if (r >= 0)
		r = eg_monitor_spawn(monitor, dir, NULL, err);
	if (r < 0) {
		eg_container_dir_remove(dir);
		return r;
	}
	eg_log_info("container %s (%s): watched in %s mode (hook took %.2f ms)", container->id,
	            container->name ? container->name : "unnamed", eg_mode_name(container->mode),
	            elapsed_ms(&hook->started));
	return 0;
}

static int run(struct hook *hook, struct eg_error *err)
{
	const char *annotation;
	bool ignored = false;
	int r;

	/* The state first: a runtime writing it to a hook that exited without
	 * reading it gets EPIPE, and crun then fails the container. */
	r = read_state(hook, err);
	if (r < 0) {
		struct eg_error config_err = {0};

		/* Still learn the mode, for the failure policy. */
		if (load_config(hook, &config_err) >= 0)
			hook->mode = hook->config->mode;
		return r;
	}
	r = load_config(hook, err);
	if (r < 0)
		return r;
	hook->mode = hook->config->mode;
	r = eg_oci_spec_load(hook->state->bundle, &hook->spec, err);
	if (r < 0)
		return r;
	annotation = eg_oci_annotation(hook->spec->annotations, EG_ANNOTATION_MODE);
	if (!annotation)
		annotation = eg_oci_annotation(hook->state->annotations, EG_ANNOTATION_MODE);
	r = eg_config_effective_mode(hook->config, annotation, &hook->mode, &ignored, err);
	if (r < 0)
		return r;
	if (ignored)
		eg_log_warning(
		    "container %s: annotation %s=%s ignored (allow_annotation_mode is %s)",
		    hook->state->id, EG_ANNOTATION_MODE, annotation,
		    eg_annotation_policy_name(hook->config->allow_annotation_mode));
	if (hook->mode == EG_MODE_OFF)
		return 0;
	return watch(hook, err);
}

int main(int argc, char **argv)
{
	struct hook hook = {.stage = argc > 1 ? argv[1] : "createRuntime"};
	struct eg_error err = {0};
	int r;

	clock_gettime(CLOCK_MONOTONIC, &hook.started);
	eg_log_open("entryguard-hook", true);
	r = run(&hook, &err);
	if (r < 0) {
		bool fail_closed = hook.config && hook.mode >= EG_MODE_BLOCK;

		eg_log_error("%s%s%s (%s mode: %s)", hook.state ? hook.state->id : "",
		             hook.state ? ": " : "", err.message,
		             hook.config ? eg_mode_name(hook.mode) : "unknown",
		             fail_closed ? "the container is stopped"
		                         : "the container starts unwatched");
		hook_clear(&hook);
		return fail_closed ? 1 : 0;
	}
	hook_clear(&hook);
	return 0;
}
