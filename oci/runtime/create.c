/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard-runtime on `create` and `run`, before it execs the real
 * runtime with the same arguments:
 *  1. the config (mode, runtime.path) and the bundle's config.json, whose
 *     io.entryguard.mode annotation may change the mode;
 *  2. the edit (hook, seccomp notify rules, listener path), written to text
 *     before anything is started, so a failure leaves nothing behind;
 *  3. <run>/<id>/ and the container's monitor listening on
 *     <run>/<id>/seccomp.sock, ready before the runtime starts (crun connects
 *     to the listener before any hook runs);
 *  4. config.json replaced atomically, then the exec.
 * Failure policy (DESIGN.md): in detect mode a failure of entryguard never
 * stops the container: it is logged and the runtime runs with config.json
 * untouched.  In block and kill modes the container does not start
 * unprotected: exit 1, and the runtime never runs.  A config file that
 * cannot be read leaves the mode unknown: like the hook, the container
 * starts unwatched, loudly.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "eg-build.h"
#include "entryguard/json.h"
#include "entryguard/json_write.h"
#include "entryguard/log.h"
#include "entryguard/monitor_spawn.h"
#include "entryguard/oci.h"
#include "entryguard/rundir.h"
#include "entryguard/seccomp_profile.h"
#include "oci/runtime/runtime.h"

#define LIBEXEC_ENTRYGUARD EG_LIBEXECDIR "/entryguard"

/* The hook entry's env.  When entryguard runs with settings of its own, the
 * hook must see the same ones (and what it needs to find the same run
 * directory, config and alerts file: PATH, HOME, XDG_*): an entry with
 * "env" gets exactly that list.  With none of them set the entry has no
 * "env" and the hook inherits the runtime's environment, which is ours. */
static const char *const entryguard_variables[] = {
    "ENTRYGUARD_CONFIG",    "ENTRYGUARD_RUN_DIR", "ENTRYGUARD_LOG_FILE",
    "ENTRYGUARD_LOG_LEVEL", "ENTRYGUARD_MONITOR", NULL,
};
static const char *const context_variables[] = {
    "PATH", "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME", NULL,
};

struct create {
	const struct eg_runtime_arguments *arguments;
	struct eg_config *config;
	char *config_path; /* NULL: built-in defaults */
	char *runtime;
	char *config_json; /* the bundle's config file */
	yajl_val tree;
	char *text; /* the edited config.json */
	size_t length;
	enum eg_mode mode;
	char *container_dir;
	char *listener_path;
	bool dir_claimed, monitor_started;
	struct eg_seccomp_profile_report report;
	bool hook_added;
};

static void create_clear(struct create *c)
{
	eg_config_free(c->config);
	free(c->config_path);
	free(c->runtime);
	free(c->config_json);
	if (c->tree)
		yajl_tree_free(c->tree);
	free(c->text);
	free(c->container_dir);
	free(c->listener_path);
}

int eg_runtime_load_config(struct eg_config **ret_config, char **ret_path, struct eg_error *err)
{
	_cleanup_free_ char *path = NULL;
	int r = eg_config_locate(NULL, eg_is_rootless(), &path, err);

	if (r < 0)
		return r;
	r = path ? eg_config_load_file(path, ret_config, err)
	         : eg_config_new_default(ret_config, err);
	if (r >= 0)
		*ret_path = steal_pointer(&path);
	return r;
}

/* Reads config.json once: checked by the OCI parser (the hook reads it the
 * same way later), its mode annotation copied, and kept as a tree to edit. */
static int read_config_json(struct create *c, char **ret_annotation, struct eg_error *err)
{
	_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
	_cleanup_free_ char *buffer = NULL;
	const char *annotation;
	size_t length;
	int r;

	r = eg_runtime_config_json_path(c->arguments, &c->config_json, err);
	if (r >= 0)
		r = eg_read_file_bounded(c->config_json, EG_JSON_MAX_BYTES, &buffer, &length, err);
	if (r < 0)
		return r;
	if (eg_json_text_has_nul_escape(buffer, length))
		return eg_error_set(
		    err, EINVAL,
		    "%s: a string holds \\u0000, which cannot be written back as it is",
		    c->config_json);
	r = eg_oci_spec_parse(c->config_json, buffer, length, &spec, err);
	if (r >= 0)
		r = eg_json_parse(c->config_json, buffer, length, &c->tree, err);
	if (r < 0)
		return r;
	annotation = eg_oci_annotation(spec->annotations, EG_ANNOTATION_MODE);
	*ret_annotation = annotation ? strdup(annotation) : NULL;
	if (annotation && !*ret_annotation)
		return eg_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static int decide_mode(struct create *c, const char *annotation, struct eg_error *err)
{
	bool ignored = false;
	int r = eg_config_effective_mode(c->config, annotation, &c->mode, &ignored, err);

	if (r < 0)
		return eg_error_prefix(err, r, "%s", c->config_json);
	if (ignored)
		eg_log_warning(
		    "container %s: annotation %s=%s ignored (allow_annotation_mode is %s)",
		    c->arguments->id, EG_ANNOTATION_MODE, annotation,
		    eg_annotation_policy_name(c->config->allow_annotation_mode));
	return 0;
}

static int prepare_paths(struct create *c, struct eg_error *err)
{
	_cleanup_free_ char *run_dir = NULL;
	const char *id = c->arguments->id;
	int r;

	if (!id)
		return eg_error_set(err, EINVAL, "no container id on the command line");
	if (!eg_oci_id_is_valid(id))
		return eg_error_set(err, EINVAL,
		                    "container id \"%.64s\" is not a valid folder name "
		                    "([A-Za-z0-9_.-], at most %d bytes)",
		                    id, EG_OCI_ID_MAX);
	r = eg_run_dir(&run_dir, err);
	if (r < 0)
		return r;
	if (asprintf(&c->container_dir, "%s/%s", run_dir, id) < 0 ||
	    asprintf(&c->listener_path, "%s/%s", c->container_dir, EG_LISTENER_SOCKET_FILE) < 0)
		return eg_error_set(err, ENOMEM, "out of memory");
	/* The runtime connects to it by name: a unix socket path has room for
	 * 107 bytes. */
	if (strlen(c->listener_path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return eg_error_set(err, ENAMETOOLONG,
		                    "listener path %s is longer than a unix socket's %zu bytes: "
		                    "use a shorter run directory (ENTRYGUARD_RUN_DIR)",
		                    c->listener_path,
		                    sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
	return 0;
}

/* "NAME=value" for the hook entry (see entryguard_variables), or NULL. */
static int hook_environment(char ***ret_environment, struct eg_error *err)
{
	const char *const *lists[] = {entryguard_variables, context_variables};
	_cleanup_strv_ char **environment = NULL;
	size_t count = 0;
	bool ours = false;

	for (size_t i = 0; entryguard_variables[i]; i++)
		ours |= getenv(entryguard_variables[i]) != NULL;
	*ret_environment = NULL;
	if (!ours)
		return 0;
	environment = calloc(16, sizeof(*environment));
	if (!environment)
		return eg_error_set(err, ENOMEM, "out of memory");
	for (size_t list = 0; list < 2; list++)
		for (size_t i = 0; lists[list][i]; i++) {
			const char *value = getenv(lists[list][i]);

			if (value &&
			    asprintf(&environment[count++], "%s=%s", lists[list][i], value) < 0)
				return eg_error_set(err, ENOMEM, "out of memory");
		}
	*ret_environment = steal_pointer(&environment);
	return 0;
}

static int edit(struct create *c, struct eg_error *err)
{
	_cleanup_strv_ char **environment = NULL;
	struct eg_seccomp_profile_options options = {
	    .mode = c->mode,
	    .listener_path = c->listener_path,
	};
	char metadata[64];
	int r;

	r = eg_listener_metadata_format(c->mode, metadata, sizeof(metadata));
	if (r < 0)
		return eg_error_set(err, -r, "listener metadata");
	options.listener_metadata = metadata;
	r = hook_environment(&environment, err);
	if (r >= 0)
		r = eg_config_json_add_hook(c->tree, LIBEXEC_ENTRYGUARD "/" EG_HOOK_NAME,
		                            (const char *const *)environment, &c->hook_added, err);
	if (r >= 0)
		r = eg_seccomp_profile_edit(c->tree, &options, &c->report, err);
	if (r >= 0)
		r = eg_json_write(c->tree, EG_JSON_MAX_BYTES, &c->text, &c->length, err);
	return r < 0 ? eg_error_prefix(err, r, "%s", c->config_json) : 0;
}

/* <run>/<id>/ and `entryguard-monitor --listen <run>/<id>/seccomp.sock
 * --container-dir <run>/<id> --ready-fd 3`, ready before we go on. */
static int start_monitor(struct create *c, struct eg_error *err)
{
	_cleanup_free_ char *monitor = NULL, *run_dir = NULL, *dir = NULL;
	const char *const extra[] = {"--listen", c->listener_path, NULL};
	bool watched = false;
	int r;

	if (!c->report.listener_set)
		return 0; /* the profile refuses all four: nothing to listen for */
	r = eg_monitor_path(LIBEXEC_ENTRYGUARD, &monitor, err);
	if (r >= 0)
		r = eg_run_dir(&run_dir, err);
	if (r >= 0)
		r = eg_container_dir_claim(run_dir, c->arguments->id, &dir, &watched, err);
	if (r < 0)
		return r;
	if (watched)
		return eg_error_set(err, EBUSY,
		                    "%s: a live monitor already watches a container with this id",
		                    c->container_dir);
	c->dir_claimed = true;
	r = eg_monitor_spawn(monitor, c->container_dir, extra, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", monitor);
	c->monitor_started = true;
	return 0;
}

/* Undoes start_monitor() after a later failure. */
static void stop_monitor(struct create *c)
{
	pid_t pid;

	if (c->monitor_started && eg_monitor_pid_alive(c->container_dir, &pid) > 0)
		kill(pid, SIGTERM);
	if (c->dir_claimed)
		eg_container_dir_remove(c->container_dir);
	c->monitor_started = c->dir_claimed = false;
}

static void log_success(const struct create *c)
{
	const struct eg_seccomp_profile_report *report = &c->report;

	if (report->listener_replaced)
		eg_log_warning("container %s: the profile's own listenerPath was replaced",
		               c->arguments->id);
	if (report->other_notify_rules)
		eg_log_warning("container %s: %zu notify rule(s) for other syscalls now reach the "
		               "entryguard monitor",
		               c->arguments->id, report->other_notify_rules);
	eg_log_info("container %s: %s mode; seccomp: %s profile, %zu name(s) and %zu "
	            "conditional rule(s) notified, %zu refused by the profile%s%s; hook %s; "
	            "listener %s",
	            c->arguments->id, eg_mode_name(c->mode),
	            report->profile_added ? "minimal" : "existing", report->notified,
	            report->notified_rules, report->refused,
	            report->io_uring_denied ? ", io_uring_setup denied" : "",
	            report->socketcall_split ? ", socketcall split" : "",
	            c->hook_added ? "added" : "already there",
	            report->listener_set ? c->listener_path : "none");
}

/* Everything before the exec.  c->mode is the configured mode until the
 * annotation is read, so an early failure already knows whether to fail
 * closed. */
static int prepare(struct create *c, struct eg_error *err)
{
	_cleanup_free_ char *annotation = NULL;
	int r;

	r = read_config_json(c, &annotation, err);
	if (r >= 0)
		r = decide_mode(c, annotation, err);
	if (r < 0 || c->mode == EG_MODE_OFF)
		return r;
	r = prepare_paths(c, err);
	if (r >= 0)
		r = edit(c, err);
	if (r >= 0)
		r = start_monitor(c, err);
	if (r >= 0)
		r = eg_config_json_replace(c->config_json, c->text, c->length, err);
	if (r < 0) {
		stop_monitor(c);
		return r;
	}
	log_success(c);
	return 0;
}

static int run_runtime(struct create *c, char **argv)
{
	int status = eg_runtime_exec(c->runtime, argv);
	int error = errno;

	eg_log_stderr(true);
	eg_log_error("cannot run %s: %s", c->runtime, strerror(error));
	stop_monitor(c);
	return status;
}

int eg_runtime_create(const struct eg_runtime_arguments *arguments, char **argv)
{
	struct create c = {.arguments = arguments, .mode = EG_MODE_DETECT};
	struct eg_error err = {0};
	const char *id = arguments->id ? arguments->id : "(no id)";
	int status, r;

	eg_log_open("entryguard-runtime", false);
	r = eg_runtime_load_config(&c.config, &c.config_path, &err);
	if (r < 0) {
		eg_log_stderr(true);
		eg_log_error("container %s: %s (mode unknown: the container starts unwatched)", id,
		             err.message);
	} else {
		c.mode = c.config->mode;
	}
	if (eg_real_runtime_find(c.config ? c.config->runtime_path : NULL, &c.runtime, &err) < 0) {
		eg_log_stderr(true);
		eg_log_error("%s", err.message);
		create_clear(&c);
		return 127;
	}
	if (r >= 0 && prepare(&c, &err) < 0) {
		bool fail_closed = c.mode >= EG_MODE_BLOCK;

		eg_log_stderr(true);
		eg_log_error("container %s: %s (%s mode: %s)", id, err.message,
		             eg_mode_name(c.mode),
		             fail_closed ? "the container is not started"
		                         : "the runtime runs with config.json untouched");
		if (fail_closed) {
			create_clear(&c);
			return 1;
		}
	}
	status = run_runtime(&c, argv);
	create_clear(&c);
	return status;
}
