/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bounded JSON input.  Everything entryguard parses (the OCI state on a
 * hook's stdin, a bundle's config.json, the runtime's seccomp listener
 * message, our own config) comes from someone else, so it is read with a
 * size limit, checked for nesting depth and embedded NUL bytes before yajl
 * sees it (yajl_tree recurses, so depth is a stack-safety limit), and UTF-8
 * is validated by yajl itself.
 *
 * Typed getters name the offending key in their error:
 *   "process.args[2]: expected a string, got a number".
 */
#ifndef ENTRYGUARD_JSON_H
#define ENTRYGUARD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "entryguard/cleanup.h"
#include "entryguard/error.h"

/* A config.json with a large seccomp profile is ~40 KiB; 4 MiB leaves room
 * for any real bundle while keeping a hostile one from costing memory. */
#define EG_JSON_MAX_BYTES (4u * 1024u * 1024u)
/* Real OCI documents nest about 6 deep; 64 is generous and keeps yajl_tree's
 * recursion far from the stack's end. */
#define EG_JSON_MAX_DEPTH 64u

/* Reads at most max_bytes from fd (until EOF).  More than that is an error
 * (EFBIG), never a silent truncation.  The buffer is NUL-terminated. */
int eg_read_fd_bounded(int fd, size_t max_bytes, char **ret_buffer, size_t *ret_length,
                       struct eg_error *err);
int eg_read_file_bounded(const char *path, size_t max_bytes, char **ret_buffer, size_t *ret_length,
                         struct eg_error *err);

/* The structure of a JSON text without parsing it: strings (and escapes in
 * them) skipped, brackets counted.  For the bounds checks before yajl, and
 * for a reader of a stream that must know when one document is complete. */
struct eg_json_shape {
	size_t nul_offset;          /* SIZE_MAX: no NUL byte (scanning stops at one) */
	size_t too_deep_offset;     /* SIZE_MAX: never deeper than EG_JSON_MAX_DEPTH */
	size_t end_offset;          /* where the first top-level [ or { closes; SIZE_MAX: not yet */
	bool started;               /* a byte other than white space was seen */
	bool starts_with_container; /* ... and it was [ or { */
};
void eg_json_shape_scan(const char *buffer, size_t length, struct eg_json_shape *ret_shape);

/* Parses buffer[0..length) into a yajl tree.  `what` names the input in
 * errors ("state on stdin", "/run/x/config.json"). */
int eg_json_parse(const char *what, const char *buffer, size_t length, yajl_val *ret_tree,
                  struct eg_error *err);

static inline void eg_json_freep(yajl_val *tree)
{
	if (*tree)
		yajl_tree_free(*tree);
}
#define _cleanup_json_ _cleanup_(eg_json_freep)

/* Member of an object, or NULL when absent (or when object is not an
 * object).  A JSON null member is returned as a yajl_t_null node. */
yajl_val eg_json_member(yajl_val object, const char *key);

/* Typed access to object[key].  `where` is the object's path for errors
 * ("" for the top level, "process", "linux.seccomp").  When the key is
 * absent: required -> error "where.key: missing", otherwise return 0 and
 * leave *ret untouched.  Wrong type -> error naming the path and both types. */
int eg_json_get_string(yajl_val object, const char *where, const char *key, bool required,
                       const char **ret, struct eg_error *err);
int eg_json_get_bool(yajl_val object, const char *where, const char *key, bool required, bool *ret,
                     struct eg_error *err);
int eg_json_get_int64(yajl_val object, const char *where, const char *key, bool required,
                      int64_t *ret, struct eg_error *err);
/* Object or array members: returns the node (or NULL when absent and not
 * required). */
int eg_json_get_object(yajl_val object, const char *where, const char *key, bool required,
                       yajl_val *ret, struct eg_error *err);
int eg_json_get_array(yajl_val object, const char *where, const char *key, bool required,
                      yajl_val *ret, struct eg_error *err);

/* An array node's strings as a NULL-terminated vector of pointers into the
 * tree (only the vector is allocated; array NULL gives an empty vector).
 * `path` names the array in errors. */
int eg_json_borrow_strings(yajl_val array, const char *path, size_t max_items,
                           const char ***ret_vector, size_t *ret_count, struct eg_error *err);

/* An array of strings as a NULL-terminated vector of copies. */
int eg_json_get_string_array(yajl_val object, const char *where, const char *key, bool required,
                             size_t max_items, char ***ret_vector, size_t *ret_count,
                             struct eg_error *err);

/* "a string", "a number", "an object", ... for error messages. */
const char *eg_json_type_name(yajl_val value);

/* Frees a NULL-terminated vector of strings. */
void eg_strv_free(char **vector);
static inline void eg_strv_freep(char ***vector)
{
	eg_strv_free(*vector);
}
#define _cleanup_strv_ _cleanup_(eg_strv_freep)

#endif
