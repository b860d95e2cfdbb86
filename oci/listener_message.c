/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The container process state a runtime sends to a seccomp listener
 * (runtime-spec config-linux.md, "listenerPath"):
 *   {"ociVersion": "...", "fds": ["seccompFd"], "pid": N,
 *    "metadata": "...", "state": { <OCI state> }}
 * with the fds named in "fds" passed by SCM_RIGHTS, in that order.
 */
#include <string.h>

#include "entryguard/json.h"
#include "entryguard/oci.h"
#include "oci/internal.h"

static int parse_message(yajl_val tree, size_t fds_received,
                         struct eg_oci_listener_message *message, struct eg_error *err)
{
	yajl_val fds = NULL, state = NULL;
	int r;

	if (!YAJL_IS_OBJECT(tree))
		return eg_error_set(err, EINVAL, "expected an object, got %s",
		                    eg_json_type_name(tree));
	r = eg_json_get_string(tree, "", "ociVersion", true, &message->oci_version, err);
	if (r >= 0)
		r = eg_json_get_array(tree, "", "fds", true, &fds, err);
	if (r >= 0)
		r = eg_json_borrow_strings(fds, "fds", EG_OCI_LISTENER_FDS_MAX,
		                           &message->fd_names_storage, &message->fds_count, err);
	if (r >= 0)
		r = eg_oci_parse_pid(tree, "", &message->pid, err);
	if (r >= 0)
		r = eg_json_get_string(tree, "", "metadata", false, &message->metadata, err);
	if (r >= 0)
		r = eg_json_get_object(tree, "", "state", true, &state, err);
	if (r >= 0)
		r = eg_oci_state_from_node(state, "state", &message->state, err);
	if (r < 0)
		return r;
	message->fd_names = message->fd_names_storage;
	/* The names are how we know which received fd is which: a count that
	 * differs means we cannot trust the mapping. */
	if (message->fds_count != fds_received)
		return eg_error_set(err, EPROTO, "fds: names %zu fds but %zu arrived",
		                    message->fds_count, fds_received);
	message->seccomp_fd_index = -1;
	for (size_t i = 0; i < message->fds_count; i++)
		if (!strcmp(message->fd_names[i], "seccompFd")) {
			message->seccomp_fd_index = (int)i;
			break;
		}
	return 0;
}

int eg_oci_listener_message_parse(const char *what, const char *buffer, size_t length,
                                  size_t fds_received, struct eg_oci_listener_message **ret_message,
                                  struct eg_error *err)
{
	_cleanup_(eg_oci_listener_message_freep) struct eg_oci_listener_message *message = NULL;
	int r;

	message = calloc(1, sizeof(*message));
	if (!message)
		return eg_error_set(err, ENOMEM, "%s: out of memory", what);
	r = eg_json_parse(what, buffer, length, &message->tree, err);
	if (r < 0)
		return r;
	r = parse_message(message->tree, fds_received, message, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", what);
	*ret_message = steal_pointer(&message);
	return 0;
}

void eg_oci_listener_message_free(struct eg_oci_listener_message *message)
{
	if (!message)
		return;
	if (message->tree)
		yajl_tree_free(message->tree);
	free(message->fd_names_storage);
	free(message);
}
