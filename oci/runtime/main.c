/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard-runtime: an OCI runtime wrapper, in the pattern of
 * nvidia-container-runtime.  Engines run it where they would run runc
 * (Podman --runtime, containerd's runc shim BinaryName, Docker's runtimes
 * in daemon.json) with runc's command line.  On `create` and `run` it edits
 * the bundle's config.json and starts the container's monitor listening
 * (create.c); every other command (start, state, kill, delete, exec,
 * features, --version, ...) goes straight to the real runtime by execv, so
 * its exit status, signals and stdio are the runtime's own.
 */
#include <errno.h>
#include <string.h>

#include "entryguard/cleanup.h"
#include "entryguard/log.h"
#include "oci/runtime/runtime.h"

#define IDENT "entryguard-runtime"

/* Not create: find the runtime and become it.  A config that cannot be read
 * must not keep `delete` or `kill` from working: the default runtime is
 * looked for, and the problem goes to syslog (stderr is the runtime's). */
static int pass_through(char **argv)
{
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;
	_cleanup_free_ char *config_path = NULL, *runtime = NULL;
	struct eg_error err = {0};
	int status, error;

	if (eg_runtime_load_config(&config, &config_path, &err) < 0) {
		eg_log_open(IDENT, false);
		eg_log_warning("%s (looking for the default runtime)", err.message);
	}
	if (eg_real_runtime_find(config ? config->runtime_path : NULL, &runtime, &err) < 0) {
		eg_log_open(IDENT, true);
		eg_log_error("%s", err.message);
		return 127;
	}
	status = eg_runtime_exec(runtime, argv);
	error = errno; /* before openlog() may change it */
	eg_log_open(IDENT, true);
	eg_log_error("cannot run %s: %s", runtime, strerror(error));
	return status;
}

int main(int argc, char **argv)
{
	struct eg_runtime_arguments arguments;

	eg_runtime_arguments_parse(argc, argv, &arguments);
	if (arguments.creates)
		return eg_runtime_create(&arguments, argv);
	return pass_through(argv);
}
