/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Container name, image and engine, from where each engine keeps them. */
#include "entryguard/engine.h"

#include <stdlib.h>
#include <string.h>

#include "entryguard/json.h"

void eg_engine_metadata_clear(struct eg_engine_metadata *metadata)
{
	free(metadata->name);
	free(metadata->image);
	free(metadata->runtime);
	metadata->name = metadata->image = metadata->runtime = NULL;
}

/* First of the annotation keys present, in state then spec. */
static const char *annotation(const struct eg_oci_state *state, const struct eg_oci_spec *spec,
                              const char *const *keys)
{
	for (; *keys; keys++) {
		const char *value = eg_oci_annotation(state->annotations, *keys);
		if (!value && spec)
			value = eg_oci_annotation(spec->annotations, *keys);
		if (value && value[0])
			return value;
	}
	return NULL;
}

static int find_in_storage_metadata(yajl_val entry, char **ret_name, char **ret_image)
{
	_cleanup_json_ yajl_val metadata = NULL;
	yajl_val names = eg_json_member(entry, "names");
	yajl_val text = eg_json_member(entry, "metadata");
	const char *name = NULL, *image = NULL;

	if (YAJL_IS_ARRAY(names) && names->u.array.len > 0 &&
	    YAJL_IS_STRING(names->u.array.values[0]))
		name = names->u.array.values[0]->u.string;
	/* "metadata" is JSON inside a string; a bad one only costs the image. */
	if (YAJL_IS_STRING(text) &&
	    eg_json_parse("metadata", text->u.string, strlen(text->u.string), &metadata, NULL) == 0)
		(void)eg_json_get_string(metadata, "", "image-name", false, &image, NULL);
	if (name && !(*ret_name = strdup(name)))
		return -ENOMEM;
	if (image && !(*ret_image = strdup(image)))
		return -ENOMEM;
	return 0;
}

int eg_storage_container_lookup(const char *containers_json_path, const char *id, char **ret_name,
                                char **ret_image, struct eg_error *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ yajl_val tree = NULL;
	size_t length;
	int r;

	r = eg_read_file_bounded(containers_json_path, EG_STORAGE_CONTAINERS_MAX_BYTES, &text,
	                         &length, err);
	if (r < 0)
		return r;
	r = eg_json_parse(containers_json_path, text, length, &tree, err);
	if (r < 0)
		return r;
	if (!YAJL_IS_ARRAY(tree))
		return eg_error_set(err, EINVAL, "%s: expected an array, got %s",
		                    containers_json_path, eg_json_type_name(tree));
	for (size_t i = 0; i < tree->u.array.len; i++) {
		yajl_val entry = tree->u.array.values[i];
		yajl_val entry_id = eg_json_member(entry, "id");

		if (YAJL_IS_STRING(entry_id) && !strcmp(entry_id->u.string, id)) {
			r = find_in_storage_metadata(entry, ret_name, ret_image);
			return r < 0 ? eg_error_set(err, -r, "out of memory") : 1;
		}
	}
	return 0;
}

/* Podman's bundle is .../<driver>-containers/<id>/userdata: containers.json
 * sits two levels up.  Only a bundle of exactly that shape is followed. */
static int podman_storage(const struct eg_oci_state *state, struct eg_engine_metadata *metadata,
                          struct eg_error *err)
{
	_cleanup_free_ char *copy = strdup(state->bundle), *path = NULL;
	char *userdata, *id_dir, *containers_dir;

	if (!copy)
		return eg_error_set(err, ENOMEM, "out of memory");
	userdata = strrchr(copy, '/');
	if (!userdata || strcmp(userdata, "/userdata"))
		return 0;
	*userdata = '\0';
	id_dir = strrchr(copy, '/');
	if (!id_dir || strcmp(id_dir + 1, state->id))
		return 0;
	*id_dir = '\0';
	containers_dir = strrchr(copy, '/');
	if (!containers_dir || !strstr(containers_dir, "-containers"))
		return 0;
	if (asprintf(&path, "%s/containers.json", copy) < 0) {
		path = NULL;
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	/* Missing or unreadable storage metadata is not an error for the hook:
	 * the fields stay unknown. */
	if (eg_storage_container_lookup(path, state->id, &metadata->name, &metadata->image, NULL) ==
	    -ENOMEM)
		return eg_error_set(err, ENOMEM, "out of memory");
	return 0;
}

static const char *runtime_name(const struct eg_oci_state *state, const struct eg_oci_spec *spec,
                                const char *runtime_hint)
{
	static const char *const manager_keys[] = {"io.container.manager", NULL};
	static const char *const cri_keys[] = {"io.kubernetes.cri.container-type", NULL};
	static const char *const crio_keys[] = {"io.kubernetes.cri-o.ContainerType", NULL};
	const char *manager = annotation(state, spec, manager_keys);

	if (manager && !strcmp(manager, "libpod"))
		return "podman";
	if (annotation(state, spec, crio_keys))
		return "cri-o";
	if (annotation(state, spec, cri_keys) ||
	    strstr(state->bundle, "/io.containerd.runtime.v2.task/"))
		return "containerd";
	if (spec && spec->container_env && spec->container_env[0])
		return spec->container_env;
	return runtime_hint;
}

int eg_engine_metadata_find(const struct eg_oci_state *state, const struct eg_oci_spec *spec,
                            const char *runtime_hint, struct eg_engine_metadata *ret_metadata,
                            struct eg_error *err)
{
	static const char *const name_keys[] = {"io.kubernetes.cri.container-name",
	                                        "io.kubernetes.container.name", NULL};
	static const char *const image_keys[] = {"io.kubernetes.cri.image-name",
	                                         "io.kubernetes.cri-o.ImageName", NULL};
	struct eg_engine_metadata metadata = {0};
	const char *name = annotation(state, spec, name_keys);
	const char *image = annotation(state, spec, image_keys);
	const char *runtime = runtime_name(state, spec, runtime_hint);
	int r;

	if ((name && !(metadata.name = strdup(name))) ||
	    (image && !(metadata.image = strdup(image))) ||
	    (runtime && !(metadata.runtime = strdup(runtime)))) {
		eg_engine_metadata_clear(&metadata);
		return eg_error_set(err, ENOMEM, "out of memory");
	}
	if (runtime && !strcmp(runtime, "podman") && !metadata.name) {
		r = podman_storage(state, &metadata, err);
		if (r < 0) {
			eg_engine_metadata_clear(&metadata);
			return r;
		}
	}
	*ret_metadata = metadata;
	return 0;
}
