/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A watched container's entry metadata: what the hook learns (from the OCI
 * state, the bundle's config.json and the engine's own records) and hands to
 * the container's monitor as <run>/<id>/container.json, which `entryguard
 * status` also reads.
 */
#ifndef ENTRYGUARD_CONTAINER_H
#define ENTRYGUARD_CONTAINER_H

#include <stdint.h>
#include <sys/types.h>

#include "entryguard/cleanup.h"
#include "entryguard/config.h"
#include "entryguard/error.h"
#include "entryguard/oci.h"

struct eg_container {
	char *id;
	char *name;    /* NULL: unknown */
	char *image;   /* NULL: unknown */
	char *runtime; /* "podman", "runc", "crun", "containerd", ... */
	char *bundle;
	pid_t init_pid;
	uint64_t init_start_time; /* /proc/PID/stat field 22, against pid reuse */
	char *netns_path;         /* NULL: the init's /proc/PID/ns/net */
	char **args;              /* process.args, NULL-terminated */
	enum eg_mode mode;
	char *config_path; /* NULL: built-in defaults */
	char *alerts_path;
	int64_t hook_time_us; /* CLOCK_REALTIME when the hook ran */
};

void eg_container_free(struct eg_container *container);
EG_DEFINE_CLEANUP(struct eg_container *, eg_container_free)

int eg_container_to_json(const struct eg_container *container, char **ret_text, size_t *ret_length,
                         struct eg_error *err);
int eg_container_from_json(const char *what, const char *text, size_t length,
                           struct eg_container **ret_container, struct eg_error *err);
/* Describes the container whose init is state->pid (must be > 0): id,
 * bundle, args and network namespace from the spec, name, image and engine
 * from eg_engine_metadata_find(), the init's start time, the alerts file
 * (the config's, or the default for this caller), the config file that
 * applies (NULL: defaults) and the mode decided for it.  runtime_hint names
 * the runtime when the engine does not (NULL: the caller's parent process,
 * which for a hook is the runtime). */
int eg_container_describe(const struct eg_oci_state *state, const struct eg_oci_spec *spec,
                          const struct eg_config *config, const char *config_path,
                          enum eg_mode mode, const char *runtime_hint,
                          struct eg_container **ret_container, struct eg_error *err);

/* Reads <container_dir>/container.json. */
int eg_container_load(const char *container_dir, struct eg_container **ret_container,
                      struct eg_error *err);

#endif
