/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard-runtime's parts, shared by its main() and its unit tests:
 *  - arguments.c: reading a runc/crun command line without changing it;
 *  - real_runtime.c: finding the runtime to exec (never this program);
 *  - config_json.c: the hook entry and writing config.json back (the
 *    seccomp part of the edit is oci/seccomp_profile.c);
 *  - create.c: the work done on `create` and `run` before the exec.
 */
#ifndef ENTRYGUARD_OCI_RUNTIME_H
#define ENTRYGUARD_OCI_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "entryguard/config.h"
#include "entryguard/error.h"

/* Tried in this order when neither $ENTRYGUARD_RUNTIME nor runtime.path
 * names the runtime.  runc first: the engines that need the wrapper most
 * (containerd's runc shim, Docker) speak runc's command line and are tested
 * with it; crun speaks the same line, and Podman users who want it set
 * runtime.path. */
#define EG_RUNTIME_DEFAULT_NAMES     \
	{                            \
		"runc", "crun", NULL \
	}
/* Searched after $PATH: engines start a runtime with a small environment
 * (Podman's own does not reach conmon's runtime), whose PATH may lack the
 * sbin folders where Debian installs runc. */
#define EG_RUNTIME_FALLBACK_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What a runtime command line says, pointing into argv.  Global options come
 * before the command, the command's options and the container id after it,
 * both spelled `--opt X`, `--opt=X`, Go's `-opt X` (runc) and, for short
 * options, `-b X`, `-b=X` (runc) or `-bX` (crun). */
struct eg_runtime_arguments {
	const char *command; /* "create", "state", ...; NULL: none (--version, --help) */
	bool creates;        /* create or run: the container is made from a bundle */
	/* The rest is read for create and run only. */
	const char *bundle;      /* --bundle/-b; NULL: the current directory */
	const char *config_file; /* crun's --config/-f; NULL: <bundle>/config.json */
	const char *id;          /* the container id; NULL when absent */
	size_t unknown_options;  /* options not in arguments.c's tables (value guessed) */
	const char *first_unknown;
};

void eg_runtime_arguments_parse(int argc, char *const *argv, struct eg_runtime_arguments *ret);

/* The bundle's config file: config_file (crun resolves a relative one
 * against the current directory), else <bundle or .>/config.json. */
int eg_runtime_config_json_path(const struct eg_runtime_arguments *arguments, char **ret_path,
                                struct eg_error *err);

/* The runtime to exec: $ENTRYGUARD_RUNTIME, else configured (runtime.path,
 * may be NULL), else runc or crun (in that order) in the folders of $PATH,
 * else runc or crun in EG_RUNTIME_FALLBACK_PATH.  An explicit one must exist and be
 * executable (no silent fallback to another runtime).  A candidate that is
 * this program itself (same device and inode as /proc/self/exe, so also
 * through a link) is refused, or skipped in the search. */
int eg_real_runtime_find(const char *configured, char **ret_path, struct eg_error *err);

/* True when path is this executable (same device and inode). */
bool eg_runtime_is_self(const char *path);

/* Execs runtime with argv (argv[0] replaced by runtime).  Returns only on
 * failure: the exit status to use (127: not found, 126: not runnable). */
int eg_runtime_exec(const char *runtime, char **argv);

/* The hook's name: a hook whose path ends in it is entryguard's. */
#define EG_HOOK_NAME "entryguard-hook"

/* Appends {"path": hook_path, "args": ["entryguard-hook", "createRuntime"],
 * "env": env} to hooks.createRuntime of a config.json tree, unless a hook
 * of any stage already runs entryguard-hook (*ret_added false).  env is
 * NULL-terminated "NAME=value" strings; NULL or empty: no "env" key, so the
 * hook inherits the runtime's environment. */
int eg_config_json_add_hook(yajl_val config, const char *hook_path, const char *const *env,
                            bool *ret_added, struct eg_error *err);

/* Replaces the file at path with text atomically: a temporary file in the
 * same folder, given the file's mode (and owner, where permitted), renamed
 * over it.  A reader sees the old file or the new one, never a part. */
int eg_config_json_replace(const char *path, const char *text, size_t length, struct eg_error *err);

/* The config file entryguard reads (eg_config_locate()), or the built-in
 * defaults (*ret_path NULL). */
int eg_runtime_load_config(struct eg_config **ret_config, char **ret_path, struct eg_error *err);

/* `create` and `run`: edits the bundle's config.json, starts the
 * container's monitor listening, then execs runtime with argv.  Returns
 * only when it could not exec: the exit status.  In detect mode a failure
 * of entryguard still execs the runtime with config.json untouched; in
 * block and kill modes the container does not start (exit 1). */
int eg_runtime_create(const struct eg_runtime_arguments *arguments, char **argv);

#endif
