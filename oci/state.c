/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The OCI state a hook reads on stdin (runtime-spec runtime.md "State"). */
#include <limits.h>
#include <string.h>

#include "entryguard/json.h"
#include "entryguard/oci.h"
#include "oci/internal.h"

bool eg_oci_id_is_valid(const char *id)
{
	size_t length = strlen(id);

	if (length == 0 || length > EG_OCI_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = id[i];
		bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		               (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
		if (!allowed)
			return false;
	}
	return true;
}

const char *eg_oci_annotation(yajl_val annotations, const char *key)
{
	yajl_val value = eg_json_member(annotations, key);

	return YAJL_IS_STRING(value) ? value->u.string : NULL;
}

/* Annotations are a map of strings; anything else is refused so that later
 * lookups never meet a non-string. */
int eg_oci_parse_annotations(yajl_val node, const char *where, yajl_val *ret, struct eg_error *err)
{
	yajl_val annotations = NULL;
	int r = eg_json_get_object(node, where, "annotations", false, &annotations, err);

	if (r < 0 || !annotations)
		return r;
	for (size_t i = 0; i < annotations->u.object.len; i++) {
		char quoted[4 * 64 + 8];

		if (!YAJL_IS_STRING(annotations->u.object.values[i]))
			return eg_error_set(
			    err, EINVAL, "%s%sannotations[%s]: expected a string, got %s", where,
			    where[0] ? "." : "",
			    eg_quote(annotations->u.object.keys[i], 64, quoted, sizeof(quoted)),
			    eg_json_type_name(annotations->u.object.values[i]));
	}
	*ret = annotations;
	return 0;
}

/* A pid is absent or 0 before the runtime has one ("creating"); negative or
 * beyond pid_t is hostile input. */
int eg_oci_parse_pid(yajl_val node, const char *where, pid_t *ret_pid, struct eg_error *err)
{
	int64_t pid = 0;
	int r = eg_json_get_int64(node, where, "pid", false, &pid, err);

	if (r < 0)
		return r;
	if (pid < 0 || pid > INT_MAX)
		return eg_error_set(err, ERANGE, "%s%spid: %lld is not a valid pid", where,
		                    where[0] ? "." : "", (long long)pid);
	*ret_pid = (pid_t)pid;
	return 0;
}

int eg_oci_state_from_node(yajl_val node, const char *where, struct eg_oci_state *ret_state,
                           struct eg_error *err)
{
	struct eg_oci_state state = {0};
	const char *separator = where[0] ? "." : "";
	char quoted[4 * 64 + 8];
	int r;

	if (!YAJL_IS_OBJECT(node))
		return eg_error_set(err, EINVAL, "%s: expected an object, got %s",
		                    where[0] ? where : "state", eg_json_type_name(node));
	r = eg_json_get_string(node, where, "ociVersion", true, &state.oci_version, err);
	if (r >= 0)
		r = eg_json_get_string(node, where, "id", true, &state.id, err);
	if (r >= 0)
		r = eg_json_get_string(node, where, "status", true, &state.status, err);
	if (r >= 0)
		r = eg_json_get_string(node, where, "bundle", true, &state.bundle, err);
	if (r >= 0)
		r = eg_oci_parse_pid(node, where, &state.pid, err);
	if (r >= 0)
		r = eg_oci_parse_annotations(node, where, &state.annotations, err);
	if (r < 0)
		return r;
	/* Both are quoted escaped: they are the runtime's input, and an error
	 * line must stay one line. */
	if (!eg_oci_id_is_valid(state.id))
		return eg_error_set(err, EINVAL,
		                    "%s%sid: %s is not a valid container id "
		                    "(1-%d characters of A-Z a-z 0-9 _ . -)",
		                    where, separator,
		                    eg_quote(state.id, 64, quoted, sizeof(quoted)), EG_OCI_ID_MAX);
	if (state.bundle[0] != '/')
		return eg_error_set(err, EINVAL, "%s%sbundle: %s is not an absolute path", where,
		                    separator, eg_quote(state.bundle, 64, quoted, sizeof(quoted)));
	*ret_state = state;
	return 0;
}

int eg_oci_state_parse(const char *what, const char *buffer, size_t length,
                       struct eg_oci_state **ret_state, struct eg_error *err)
{
	_cleanup_json_ yajl_val tree = NULL;
	_cleanup_free_ struct eg_oci_state *state = NULL;
	int r;

	r = eg_json_parse(what, buffer, length, &tree, err);
	if (r < 0)
		return r;
	state = calloc(1, sizeof(*state));
	if (!state)
		return eg_error_set(err, ENOMEM, "%s: out of memory", what);
	r = eg_oci_state_from_node(tree, "", state, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", what);
	state->tree = steal_pointer(&tree);
	*ret_state = steal_pointer(&state);
	return 0;
}

void eg_oci_state_free(struct eg_oci_state *state)
{
	if (!state)
		return;
	if (state->tree)
		yajl_tree_free(state->tree);
	free(state);
}
