/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A container's entry metadata, from its OCI state, its config.json and the
 * engine: shared by the hook and by the monitor's seccomp listener, which
 * learns of a container from the runtime's listener message instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entryguard/container.h"
#include "entryguard/engine.h"
#include "entryguard/entity.h"
#include "entryguard/rundir.h"

/* The runtime that ran us: our parent (runc, crun) is the best hint when
 * the engine says nothing and the caller gave none. */
static void parent_comm(char *buffer, size_t size)
{
	struct eg_proc_stat parent;

	buffer[0] = '\0';
	if (eg_proc_stat_read(NULL, getppid(), &parent, NULL) == 0)
		snprintf(buffer, size, "%s", parent.comm);
}

static int64_t realtime_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

int eg_container_describe(const struct eg_oci_state *state, const struct eg_oci_spec *spec,
                          const struct eg_config *config, const char *config_path,
                          enum eg_mode mode, const char *runtime_hint,
                          struct eg_container **ret_container, struct eg_error *err)
{
	_cleanup_(eg_container_freep) struct eg_container *container =
	    calloc(1, sizeof(*container));
	struct eg_engine_metadata metadata = {0};
	const struct eg_oci_namespace *network = eg_oci_spec_namespace(spec, "network");
	struct eg_proc_stat init;
	char parent[EG_PROC_COMM_MAX];
	int r;

	if (!container)
		return eg_error_set(err, ENOMEM, "out of memory");
	if (state->pid <= 0)
		return eg_error_set(err, EINVAL, "the state names no pid");
	r = eg_proc_stat_read(NULL, state->pid, &init, err);
	if (r < 0)
		return eg_error_prefix(err, r, "the container's init");
	if (!runtime_hint) {
		parent_comm(parent, sizeof(parent));
		runtime_hint = parent[0] ? parent : NULL;
	}
	r = eg_engine_metadata_find(state, spec, runtime_hint, &metadata, err);
	if (r < 0)
		return r;
	container->name = metadata.name;
	container->image = metadata.image;
	container->runtime = metadata.runtime;
	container->id = strdup(state->id);
	container->bundle = strdup(state->bundle);
	container->netns_path = network && network->path ? strdup(network->path) : NULL;
	container->init_pid = state->pid;
	container->init_start_time = init.start_time;
	container->mode = mode;
	container->config_path = config_path ? strdup(config_path) : NULL;
	container->hook_time_us = realtime_us();
	container->args = calloc(spec->args_count + 1, sizeof(char *));
	for (size_t i = 0; container->args && i < spec->args_count; i++)
		if (!(container->args[i] = strdup(spec->args[i])))
			return eg_error_set(err, ENOMEM, "out of memory");
	if (!container->id || !container->bundle || !container->args ||
	    (network && network->path && !container->netns_path) ||
	    (config_path && !container->config_path))
		return eg_error_set(err, ENOMEM, "out of memory");
	if (config->alerts_path)
		container->alerts_path = strdup(config->alerts_path);
	else if ((r = eg_alerts_default_path(&container->alerts_path, err)) < 0)
		return r;
	if (!container->alerts_path)
		return eg_error_set(err, ENOMEM, "out of memory");
	*ret_container = steal_pointer(&container);
	return 0;
}
