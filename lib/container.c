/* SPDX-License-Identifier: GPL-2.0-or-later */
/* container.json: the hook writes it, the monitor and `status` read it. */
#include "entryguard/container.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "entryguard/json.h"
#include "entryguard/json_write.h"
#include "entryguard/rundir.h"

void eg_container_free(struct eg_container *container)
{
	if (!container)
		return;
	free(container->id);
	free(container->name);
	free(container->image);
	free(container->runtime);
	free(container->bundle);
	free(container->netns_path);
	eg_strv_free(container->args);
	free(container->config_path);
	free(container->alerts_path);
	free(container);
}

int eg_container_to_json(const struct eg_container *container, char **ret_text, size_t *ret_length,
                         struct eg_error *err)
{
	_cleanup_gen_ yajl_gen gen = yajl_gen_alloc(NULL);

	if (!gen)
		return eg_error_set(err, ENOMEM, "out of memory");
	yajl_gen_config(gen, yajl_gen_validate_utf8, 1);
	yajl_gen_map_open(gen);
	eg_gen_string_member(gen, "id", container->id);
	eg_gen_string_member(gen, "name", container->name);
	eg_gen_string_member(gen, "image", container->image);
	eg_gen_string_member(gen, "runtime", container->runtime);
	eg_gen_string_member(gen, "bundle", container->bundle);
	eg_gen_integer_member(gen, "init_pid", container->init_pid);
	eg_gen_integer_member(gen, "init_start_time", (long long)container->init_start_time);
	eg_gen_string_member(gen, "netns_path", container->netns_path);
	eg_gen_key(gen, "args");
	yajl_gen_array_open(gen);
	for (char **arg = container->args; arg && *arg; arg++)
		yajl_gen_string(gen, (const unsigned char *)*arg, strlen(*arg));
	yajl_gen_array_close(gen);
	eg_gen_string_member(gen, "mode", eg_mode_name(container->mode));
	eg_gen_string_member(gen, "config_path", container->config_path);
	eg_gen_string_member(gen, "alerts_path", container->alerts_path);
	eg_gen_integer_member(gen, "hook_time_us", container->hook_time_us);
	if (yajl_gen_map_close(gen) != yajl_gen_status_ok)
		return eg_error_set(err, EINVAL, "container metadata: not valid UTF-8");
	return eg_gen_finish(gen, "container metadata", EG_JSON_MAX_BYTES, true, ret_text,
	                     ret_length, err);
}

/* Copies an optional string member; a JSON null is NULL. */
static int copy_string(yajl_val tree, const char *key, bool required, char **ret,
                       struct eg_error *err)
{
	const char *value = NULL;
	yajl_val node = eg_json_member(tree, key);
	int r;

	if (node && YAJL_IS_NULL(node) && !required)
		return 0;
	r = eg_json_get_string(tree, "", key, required, &value, err);
	if (r < 0 || !value)
		return r;
	*ret = strdup(value);
	return *ret ? 0 : eg_error_set(err, ENOMEM, "out of memory");
}

static int read_fields(yajl_val tree, struct eg_container *container, struct eg_error *err)
{
	const char *mode = NULL;
	int64_t number = 0;
	int r;

	r = copy_string(tree, "id", true, &container->id, err);
	if (r >= 0)
		r = copy_string(tree, "name", false, &container->name, err);
	if (r >= 0)
		r = copy_string(tree, "image", false, &container->image, err);
	if (r >= 0)
		r = copy_string(tree, "runtime", false, &container->runtime, err);
	if (r >= 0)
		r = copy_string(tree, "bundle", false, &container->bundle, err);
	if (r >= 0)
		r = copy_string(tree, "netns_path", false, &container->netns_path, err);
	if (r >= 0)
		r = copy_string(tree, "config_path", false, &container->config_path, err);
	if (r >= 0)
		r = copy_string(tree, "alerts_path", false, &container->alerts_path, err);
	if (r >= 0)
		r = eg_json_get_string_array(tree, "", "args", false, 4096, &container->args, NULL,
		                             err);
	if (r >= 0)
		r = eg_json_get_int64(tree, "", "init_pid", true, &number, err);
	if (r < 0)
		return r;
	if (number <= 0 || number > INT32_MAX)
		return eg_error_set(err, EINVAL, "init_pid: %lld is not a pid", (long long)number);
	container->init_pid = (pid_t)number;
	r = eg_json_get_int64(tree, "", "init_start_time", true, &number, err);
	if (r < 0)
		return r;
	container->init_start_time = (uint64_t)number;
	r = eg_json_get_int64(tree, "", "hook_time_us", false, &container->hook_time_us, err);
	if (r >= 0)
		r = eg_json_get_string(tree, "", "mode", true, &mode, err);
	if (r < 0)
		return r;
	if (eg_mode_parse(mode, &container->mode) < 0)
		return eg_error_set(err, EINVAL, "mode: \"%s\" is not a mode", mode);
	return 0;
}

int eg_container_from_json(const char *what, const char *text, size_t length,
                           struct eg_container **ret_container, struct eg_error *err)
{
	_cleanup_json_ yajl_val tree = NULL;
	_cleanup_(eg_container_freep) struct eg_container *container = NULL;
	int r;

	r = eg_json_parse(what, text, length, &tree, err);
	if (r < 0)
		return r;
	container = calloc(1, sizeof(*container));
	if (!container)
		return eg_error_set(err, ENOMEM, "out of memory");
	r = read_fields(tree, container, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", what);
	*ret_container = steal_pointer(&container);
	return 0;
}

int eg_container_load(const char *container_dir, struct eg_container **ret_container,
                      struct eg_error *err)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	size_t length;
	int r;

	if (asprintf(&path, "%s/%s", container_dir, EG_CONTAINER_FILE) < 0) {
		path = NULL;
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	r = eg_read_file_bounded(path, EG_JSON_MAX_BYTES, &text, &length, err);
	if (r < 0)
		return r;
	return eg_container_from_json(path, text, length, ret_container, err);
}
