/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A bundle's config.json (runtime-spec config.md): only what entryguard uses. */
#include <string.h>

#include "entryguard/json.h"
#include "entryguard/oci.h"
#include "oci/internal.h"

/* process.env may hold secrets: only `container=` (the engine's name, set by
 * Podman and others) is kept, as a pointer into the tree. */
static int parse_process(yajl_val process, struct eg_oci_spec *spec, struct eg_error *err)
{
	yajl_val args = NULL, env = NULL;
	int r;

	r = eg_json_get_array(process, "process", "args", false, &args, err);
	if (r >= 0)
		r = eg_json_borrow_strings(args, "process.args", EG_OCI_ARGS_MAX,
		                           &spec->args_storage, &spec->args_count, err);
	if (r >= 0)
		r = eg_json_get_string(process, "process", "cwd", false, &spec->cwd, err);
	if (r >= 0)
		r = eg_json_get_array(process, "process", "env", false, &env, err);
	if (r < 0)
		return r;
	spec->args = spec->args_storage;
	for (size_t i = 0; env && i < env->u.array.len; i++) {
		yajl_val item = env->u.array.values[i];

		if (!YAJL_IS_STRING(item))
			return eg_error_set(err, EINVAL,
			                    "process.env[%zu]: expected a string, got %s", i,
			                    eg_json_type_name(item));
		if (!strncmp(item->u.string, "container=", strlen("container=")))
			spec->container_env = item->u.string + strlen("container=");
	}
	return 0;
}

static int parse_namespaces(yajl_val linux_node, struct eg_oci_spec *spec, struct eg_error *err)
{
	yajl_val namespaces = NULL;
	int r = eg_json_get_array(linux_node, "linux", "namespaces", false, &namespaces, err);

	if (r < 0 || !namespaces)
		return r;
	if (namespaces->u.array.len > EG_OCI_NAMESPACES_MAX)
		return eg_error_set(err, E2BIG,
		                    "linux.namespaces: too many entries (%zu, at most %d)",
		                    namespaces->u.array.len, EG_OCI_NAMESPACES_MAX);
	for (size_t i = 0; i < namespaces->u.array.len; i++) {
		struct eg_oci_namespace *namespace = &spec->namespaces[i];
		yajl_val item = namespaces->u.array.values[i];
		char where[64];

		snprintf(where, sizeof(where), "linux.namespaces[%zu]", i);
		if (!YAJL_IS_OBJECT(item))
			return eg_error_set(err, EINVAL, "%s: expected an object, got %s", where,
			                    eg_json_type_name(item));
		r = eg_json_get_string(item, where, "type", true, &namespace->type, err);
		if (r >= 0)
			r = eg_json_get_string(item, where, "path", false, &namespace->path, err);
		if (r < 0)
			return r;
		if (namespace->path && namespace->path[0] == '\0')
		namespace->path = NULL; /* the spec: empty path means a new namespace */
		spec->namespaces_count = i + 1;
	}
	return 0;
}

static int parse_seccomp(yajl_val linux_node, struct eg_oci_seccomp *seccomp, struct eg_error *err)
{
	yajl_val node = NULL, architectures = NULL, syscalls = NULL;
	int r = eg_json_get_object(linux_node, "linux", "seccomp", false, &node, err);

	if (r < 0 || !node)
		return r;
	seccomp->present = true;
	r = eg_json_get_string(node, "linux.seccomp", "defaultAction", true,
	                       &seccomp->default_action, err);
	if (r >= 0)
		r = eg_json_get_array(node, "linux.seccomp", "architectures", false, &architectures,
		                      err);
	if (r >= 0)
		r = eg_json_get_array(node, "linux.seccomp", "syscalls", false, &syscalls, err);
	if (r >= 0)
		r = eg_json_get_string(node, "linux.seccomp", "listenerPath", false,
		                       &seccomp->listener_path, err);
	if (r >= 0)
		r = eg_json_get_string(node, "linux.seccomp", "listenerMetadata", false,
		                       &seccomp->listener_metadata, err);
	if (r < 0)
		return r;
	seccomp->architectures_count = architectures ? architectures->u.array.len : 0;
	seccomp->syscall_rules_count = syscalls ? syscalls->u.array.len : 0;
	return 0;
}

static int parse_spec(yajl_val tree, struct eg_oci_spec *spec, struct eg_error *err)
{
	yajl_val process = NULL, root = NULL, linux_node = NULL;
	int r;

	if (!YAJL_IS_OBJECT(tree))
		return eg_error_set(err, EINVAL, "expected an object, got %s",
		                    eg_json_type_name(tree));
	r = eg_json_get_string(tree, "", "ociVersion", true, &spec->oci_version, err);
	if (r >= 0)
		r = eg_json_get_string(tree, "", "hostname", false, &spec->hostname, err);
	if (r >= 0)
		r = eg_oci_parse_annotations(tree, "", &spec->annotations, err);
	if (r >= 0)
		r = eg_json_get_object(tree, "", "process", false, &process, err);
	if (r >= 0 && process)
		r = parse_process(process, spec, err);
	if (r >= 0)
		r = eg_json_get_object(tree, "", "root", false, &root, err);
	if (r >= 0 && root)
		r = eg_json_get_string(root, "root", "path", true, &spec->root_path, err);
	if (r >= 0 && root)
		r = eg_json_get_bool(root, "root", "readonly", false, &spec->root_readonly, err);
	if (r >= 0)
		r = eg_json_get_object(tree, "", "linux", false, &linux_node, err);
	if (r >= 0 && linux_node)
		r = parse_namespaces(linux_node, spec, err);
	if (r >= 0 && linux_node)
		r = parse_seccomp(linux_node, &spec->seccomp, err);
	if (r >= 0 && !spec->args_storage)
		r = eg_json_borrow_strings(NULL, "process.args", 0, &spec->args_storage,
		                           &spec->args_count, err);
	if (r < 0)
		return r;
	spec->args = spec->args_storage;
	return 0;
}

int eg_oci_spec_parse(const char *what, const char *buffer, size_t length,
                      struct eg_oci_spec **ret_spec, struct eg_error *err)
{
	_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
	int r;

	spec = calloc(1, sizeof(*spec));
	if (!spec)
		return eg_error_set(err, ENOMEM, "%s: out of memory", what);
	r = eg_json_parse(what, buffer, length, &spec->tree, err);
	if (r < 0)
		return r;
	r = parse_spec(spec->tree, spec, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", what);
	*ret_spec = steal_pointer(&spec);
	return 0;
}

int eg_oci_spec_load(const char *bundle, struct eg_oci_spec **ret_spec, struct eg_error *err)
{
	_cleanup_free_ char *path = NULL, *buffer = NULL;
	size_t length;
	int r;

	if (asprintf(&path, "%s/config.json", bundle) < 0) {
		path = NULL;
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	r = eg_read_file_bounded(path, EG_JSON_MAX_BYTES, &buffer, &length, err);
	if (r < 0)
		return r;
	return eg_oci_spec_parse(path, buffer, length, ret_spec, err);
}

void eg_oci_spec_free(struct eg_oci_spec *spec)
{
	if (!spec)
		return;
	if (spec->tree)
		yajl_tree_free(spec->tree);
	free(spec->args_storage);
	free(spec);
}

const struct eg_oci_namespace *eg_oci_spec_namespace(const struct eg_oci_spec *spec,
                                                     const char *type)
{
	for (size_t i = 0; i < spec->namespaces_count; i++)
		if (!strcmp(spec->namespaces[i].type, type))
			return &spec->namespaces[i];
	return NULL;
}
