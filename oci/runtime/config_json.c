/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rest of entryguard-runtime's config.json edit: the hook entry, and
 * writing the file back atomically.  The seccomp part is
 * oci/seccomp_profile.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "entryguard/json.h"
#include "entryguard/json_write.h"
#include "oci/runtime/runtime.h"

/* A member that may be absent or null (Go's nil): NULL then. */
static yajl_val optional_member(yajl_val object, const char *key)
{
	yajl_val value = eg_json_member(object, key);

	return YAJL_IS_NULL(value) ? NULL : value;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* 1 when some stage already runs entryguard-hook, 0 when none does. */
static int find_our_hook(yajl_val hooks, struct eg_error *err)
{
	for (size_t i = 0; i < hooks->u.object.len; i++) {
		yajl_val stage = hooks->u.object.values[i];
		const char *name = hooks->u.object.keys[i];
		char where[96];

		if (YAJL_IS_NULL(stage))
			continue;
		if (!YAJL_IS_ARRAY(stage))
			return eg_error_set(err, EINVAL, "hooks.%.32s: expected an array, got %s",
			                    name, eg_json_type_name(stage));
		for (size_t j = 0; j < stage->u.array.len; j++) {
			const char *path = NULL;
			int r;

			snprintf(where, sizeof(where), "hooks.%.32s[%zu]", name, j);
			if (!YAJL_IS_OBJECT(stage->u.array.values[j]))
				return eg_error_set(err, EINVAL, "%s: expected an object, got %s",
				                    where,
				                    eg_json_type_name(stage->u.array.values[j]));
			r = eg_json_get_string(stage->u.array.values[j], where, "path", true, &path,
			                       err);
			if (r < 0)
				return r;
			if (!strcmp(base_name(path), EG_HOOK_NAME))
				return 1;
		}
	}
	return 0;
}

static yajl_val new_hook(const char *hook_path, const char *const *env)
{
	yajl_val hook = eg_json_new_object(), args = eg_json_new_array(), list = NULL;
	int r = hook && args ? 0 : -ENOMEM;

	if (r >= 0)
		r = eg_json_array_append(args, eg_json_new_string(EG_HOOK_NAME));
	if (r >= 0)
		r = eg_json_array_append(args, eg_json_new_string("createRuntime"));
	if (r >= 0)
		r = eg_json_object_set(hook, "path", eg_json_new_string(hook_path));
	if (r >= 0)
		r = eg_json_object_set(hook, "args", steal_pointer(&args));
	if (r >= 0 && env && env[0]) {
		list = eg_json_new_array();
		for (size_t i = 0; list && r >= 0 && env[i]; i++)
			r = eg_json_array_append(list, eg_json_new_string(env[i]));
		if (r >= 0)
			r = eg_json_object_set(hook, "env", steal_pointer(&list));
	}
	if (r < 0) {
		yajl_tree_free(hook);
		yajl_tree_free(args);
		yajl_tree_free(list);
		return NULL;
	}
	return hook;
}

int eg_config_json_add_hook(yajl_val config, const char *hook_path, const char *const *env,
                            bool *ret_added, struct eg_error *err)
{
	yajl_val hooks, stage;
	int r;

	if (!YAJL_IS_OBJECT(config))
		return eg_error_set(err, EINVAL, "expected an object, got %s",
		                    eg_json_type_name(config));
	hooks = optional_member(config, "hooks");
	if (!hooks && eg_json_object_set(config, "hooks", eg_json_new_object()) < 0)
		return eg_error_set(err, ENOMEM, "hooks: out of memory");
	hooks = eg_json_member(config, "hooks");
	if (!YAJL_IS_OBJECT(hooks))
		return eg_error_set(err, EINVAL, "hooks: expected an object, got %s",
		                    eg_json_type_name(hooks));
	r = eg_json_object_check_duplicates(hooks, "hooks", err);
	if (r >= 0)
		r = find_our_hook(hooks, err);
	if (r != 0) {
		if (r > 0)
			*ret_added = false;
		return r < 0 ? r : 0;
	}
	if (!optional_member(hooks, "createRuntime") &&
	    eg_json_object_set(hooks, "createRuntime", eg_json_new_array()) < 0)
		return eg_error_set(err, ENOMEM, "hooks: out of memory");
	stage = eg_json_member(hooks, "createRuntime");
	if (eg_json_array_append(stage, new_hook(hook_path, env)) < 0)
		return eg_error_set(err, ENOMEM, "hooks: out of memory");
	*ret_added = true;
	return 0;
}

static int write_all(int fd, const char *text, size_t length)
{
	while (length > 0) {
		ssize_t written = write(fd, text, length);

		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return written < 0 ? -errno : -EIO;
		text += written;
		length -= (size_t)written;
	}
	return 0;
}

int eg_config_json_replace(const char *path, const char *text, size_t length, struct eg_error *err)
{
	_cleanup_free_ char *temporary = NULL;
	_cleanup_close_ int fd = -1;
	const char *name = base_name(path);
	struct stat status;
	int r;

	if (stat(path, &status) < 0)
		return eg_error_set_errno(err, errno, "%s", path);
	if (asprintf(&temporary, "%.*s.%s.entryguard-XXXXXX", (int)(name - path), path, name) < 0) {
		temporary = NULL;
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	fd = mkostemp(temporary, O_CLOEXEC);
	if (fd < 0)
		return eg_error_set_errno(err, errno, "%s: cannot create", temporary);
	/* The runtime reads the file at once and a crash before it does loses
	 * the container anyway, so no fsync: it would cost every start. */
	r = write_all(fd, text, length);
	if (r >= 0 && fchmod(fd, status.st_mode & 07777) < 0)
		r = -errno;
	if (r >= 0 && (status.st_uid != geteuid() || status.st_gid != getegid()))
		(void)!fchown(fd, status.st_uid,
		              status.st_gid); /* best effort: ours is readable too */
	if (r >= 0 && rename(temporary, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(temporary);
		return eg_error_set_errno(err, -r, "%s: cannot replace", path);
	}
	return 0;
}
