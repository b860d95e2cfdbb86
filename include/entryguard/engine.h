/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the engine knows about a container that the OCI state does not say:
 * its name, its image and which engine runs it.
 *  - CRI (containerd, CRI-O) puts name and image in annotations.
 *  - Podman 4 puts neither in the state nor in config.json; its bundle is
 *    <graphroot>/<driver>-containers/<id>/userdata, and containers/storage's
 *    <graphroot>/<driver>-containers/containers.json holds, per container,
 *    "names" and a "metadata" string with "image-name" (written before the
 *    runtime is called).
 *  - containerd's bundle sits under io.containerd.runtime.v2.task/.
 * All of this comes from the engine, not from the container.  Anything not
 * found stays NULL and the alert leaves the field out.
 */
#ifndef ENTRYGUARD_ENGINE_H
#define ENTRYGUARD_ENGINE_H

#include "entryguard/error.h"
#include "entryguard/oci.h"

/* containers.json of a host with many containers; one entry is ~600 bytes. */
#define EG_STORAGE_CONTAINERS_MAX_BYTES (32u * 1024u * 1024u)

struct eg_engine_metadata {
	char *name;
	char *image;
	char *runtime;
};

/* runtime_hint names the runtime when nothing else does (the hook's parent:
 * "runc", "crun"); may be NULL.  Never fails for lack of metadata; fails
 * only for out-of-memory. */
int eg_engine_metadata_find(const struct eg_oci_state *state, const struct eg_oci_spec *spec,
                            const char *runtime_hint, struct eg_engine_metadata *ret_metadata,
                            struct eg_error *err);
/* From one containers/storage containers.json (exposed for tests). */
int eg_storage_container_lookup(const char *containers_json_path, const char *id, char **ret_name,
                                char **ret_image, struct eg_error *err);
void eg_engine_metadata_clear(struct eg_engine_metadata *metadata);

#endif
