/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What entryguard reads from a container runtime:
 *  - the OCI state a hook receives on stdin (oci/state.c);
 *  - the bundle's config.json (oci/spec.c);
 *  - the container process state a runtime sends to a seccomp listener with
 *    the listener fd by SCM_RIGHTS (oci/listener_message.c).
 *
 * Parsed results keep the yajl tree they came from and point into it, so a
 * parse is one allocation of tree and no copying; free with the matching
 * *_free().  Unknown keys are ignored (crun adds `root`, runtimes add
 * more every release); a missing or zero pid is 0; any ociVersion spelling
 * is accepted ("1.0", "1.0.2-dev", "0.2.0", "1.2.0").  What entryguard then
 * uses as a path or a name is validated here: the container id becomes a
 * directory name, the bundle a path to open.
 */
#ifndef ENTRYGUARD_OCI_H
#define ENTRYGUARD_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <yajl/yajl_tree.h>

#include "entryguard/cleanup.h"
#include "entryguard/error.h"

/* Container ids are 64 hex characters for Podman and containerd; runc and
 * crun accept any name.  The id becomes a directory name, so NAME_MAX. */
#define EG_OCI_ID_MAX           255
/* Bounds on what one document may make us hold; far above anything real. */
#define EG_OCI_ARGS_MAX         4096
#define EG_OCI_NAMESPACES_MAX   16
#define EG_OCI_LISTENER_FDS_MAX 16

struct eg_oci_state {
	yajl_val tree; /* owned; NULL when borrowed from a listener message */
	const char *oci_version;
	const char *id;
	const char *status;   /* "creating", "created", "running", "stopped", or other */
	pid_t pid;            /* 0 when absent or zero */
	const char *bundle;   /* absolute path */
	yajl_val annotations; /* object of strings, or NULL */
};

struct eg_oci_namespace {
	const char *type; /* "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" */
	const char *path; /* NULL: a new namespace */
};

struct eg_oci_seccomp {
	bool present;
	const char *default_action;
	size_t architectures_count;
	size_t syscall_rules_count;
	const char *listener_path;     /* NULL when absent */
	const char *listener_metadata; /* NULL when absent */
};

struct eg_oci_spec {
	yajl_val tree; /* owned */
	const char *oci_version;
	const char *const *args; /* NULL-terminated, empty when absent */
	size_t args_count;
	const char *cwd;
	const char *container_env; /* value of `container=` in process.env (runtime name) */
	const char *hostname;
	const char *root_path;
	bool root_readonly;
	yajl_val annotations;
	struct eg_oci_namespace namespaces[EG_OCI_NAMESPACES_MAX];
	size_t namespaces_count;
	struct eg_oci_seccomp seccomp;
	const char **args_storage; /* owned vector behind args */
};

struct eg_oci_listener_message {
	yajl_val tree; /* owned */
	const char *oci_version;
	const char *const *fd_names; /* NULL-terminated */
	size_t fds_count;
	int seccomp_fd_index;      /* index of "seccompFd" in fd_names, -1 when absent */
	pid_t pid;                 /* the container process; 0 when absent */
	const char *metadata;      /* linux.seccomp.listenerMetadata, or NULL */
	struct eg_oci_state state; /* borrows from tree */
	const char **fd_names_storage;
};

/* `what` names the input in errors ("state on stdin"). */
int eg_oci_state_parse(const char *what, const char *buffer, size_t length,
                       struct eg_oci_state **ret_state, struct eg_error *err);
void eg_oci_state_free(struct eg_oci_state *state);
EG_DEFINE_CLEANUP(struct eg_oci_state *, eg_oci_state_free)

/* Fills *ret_state from an already parsed node (borrowed: no tree owned). */
int eg_oci_state_from_node(yajl_val node, const char *where, struct eg_oci_state *ret_state,
                           struct eg_error *err);

int eg_oci_spec_parse(const char *what, const char *buffer, size_t length,
                      struct eg_oci_spec **ret_spec, struct eg_error *err);
/* Reads <bundle>/config.json, size-bounded. */
int eg_oci_spec_load(const char *bundle, struct eg_oci_spec **ret_spec, struct eg_error *err);
void eg_oci_spec_free(struct eg_oci_spec *spec);
EG_DEFINE_CLEANUP(struct eg_oci_spec *, eg_oci_spec_free)
/* The namespace of that type, or NULL. */
const struct eg_oci_namespace *eg_oci_spec_namespace(const struct eg_oci_spec *spec,
                                                     const char *type);

/* fds_received is how many fds came with the message by SCM_RIGHTS: the
 * message must name exactly that many. */
int eg_oci_listener_message_parse(const char *what, const char *buffer, size_t length,
                                  size_t fds_received, struct eg_oci_listener_message **ret_message,
                                  struct eg_error *err);
void eg_oci_listener_message_free(struct eg_oci_listener_message *message);
EG_DEFINE_CLEANUP(struct eg_oci_listener_message *, eg_oci_listener_message_free)

/* Value of a string annotation, or NULL. */
const char *eg_oci_annotation(yajl_val annotations, const char *key);

/* Container ids become directory names: [A-Za-z0-9_.-], 1..EG_OCI_ID_MAX
 * bytes, not "." or "..". */
bool eg_oci_id_is_valid(const char *id);

#endif
