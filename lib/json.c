/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded JSON input: size, depth and NUL checks before yajl, typed getters
 * whose errors name the key. */
#include "entryguard/json.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int eg_read_fd_bounded(int fd, size_t max_bytes, char **ret_buffer, size_t *ret_length,
                       struct eg_error *err)
{
	_cleanup_free_ char *buffer = NULL;
	size_t capacity = 0, length = 0;

	for (;;) {
		ssize_t got;

		if (length == capacity) {
			/* Grow geometrically, but never past max_bytes + 1: the one
			 * extra byte is how "too big" is told from "exactly max". */
			size_t next = capacity ? capacity * 2 : 4096;
			char *grown;

			if (next > max_bytes + 1)
				next = max_bytes + 1;
			if (next <= capacity)
				return eg_error_set(err, EFBIG, "input is larger than %zu bytes",
				                    max_bytes);
			grown = realloc(buffer, next + 1);
			if (!grown)
				return eg_error_set(err, ENOMEM, "out of memory reading input");
			buffer = grown;
			capacity = next;
		}
		got = read(fd, buffer + length, capacity - length);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return eg_error_set_errno(err, errno, "read failed");
		}
		if (got == 0)
			break;
		length += (size_t)got;
		if (length > max_bytes)
			return eg_error_set(err, EFBIG, "input is larger than %zu bytes",
			                    max_bytes);
	}
	if (!buffer) {
		buffer = malloc(1);
		if (!buffer)
			return eg_error_set(err, ENOMEM, "out of memory reading input");
	}
	buffer[length] = '\0';
	*ret_buffer = steal_pointer(&buffer);
	*ret_length = length;
	return 0;
}

int eg_read_file_bounded(const char *path, size_t max_bytes, char **ret_buffer, size_t *ret_length,
                         struct eg_error *err)
{
	_cleanup_close_ int fd = -1;
	int r;

	/* O_NONBLOCK: a FIFO planted where a file is expected must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return eg_error_set_errno(err, errno, "%s: cannot open", path);
	r = eg_read_fd_bounded(fd, max_bytes, ret_buffer, ret_length, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", path);
	return 0;
}

void eg_json_shape_scan(const char *buffer, size_t length, struct eg_json_shape *ret_shape)
{
	struct eg_json_shape shape = {
	    .nul_offset = SIZE_MAX,
	    .too_deep_offset = SIZE_MAX,
	    .end_offset = SIZE_MAX,
	};
	unsigned depth = 0;
	bool in_string = false, escaped = false;

	for (size_t i = 0; i < length; i++) {
		char c = buffer[i];

		if (c == '\0') {
			shape.nul_offset = i;
			break;
		}
		if (in_string) {
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (!shape.started && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			shape.started = true;
			shape.starts_with_container = c == '{' || c == '[';
		}
		if (c == '"') {
			in_string = true;
		} else if (c == '[' || c == '{') {
			if (++depth > EG_JSON_MAX_DEPTH) {
				shape.too_deep_offset = i;
				break;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			if (--depth == 0 && shape.end_offset == SIZE_MAX)
				shape.end_offset = i;
		}
	}
	*ret_shape = shape;
}

/* Refuses NUL bytes (yajl_tree_parse takes a C string and would silently stop
 * there) and nesting deeper than EG_JSON_MAX_DEPTH (yajl_tree builds and frees
 * recursively). */
static int check_shape(const char *what, const char *buffer, size_t length, struct eg_error *err)
{
	struct eg_json_shape shape;

	eg_json_shape_scan(buffer, length, &shape);
	if (shape.nul_offset != SIZE_MAX)
		return eg_error_set(err, EINVAL, "%s: NUL byte at offset %zu", what,
		                    shape.nul_offset);
	if (shape.too_deep_offset != SIZE_MAX)
		return eg_error_set(err, E2BIG, "%s: nested deeper than %u levels at offset %zu",
		                    what, EG_JSON_MAX_DEPTH, shape.too_deep_offset);
	return 0;
}

/* yajl's message spans several lines with a context excerpt; keep the first,
 * so that the error stays one line. */
static void first_line(char *text)
{
	text[strcspn(text, "\r\n")] = '\0';
}

int eg_json_parse(const char *what, const char *buffer, size_t length, yajl_val *ret_tree,
                  struct eg_error *err)
{
	char message[256] = "";
	yajl_val tree;
	int r;

	if (length > EG_JSON_MAX_BYTES)
		return eg_error_set(err, EFBIG, "%s: larger than %u bytes", what,
		                    EG_JSON_MAX_BYTES);
	r = check_shape(what, buffer, length, err);
	if (r < 0)
		return r;
	if (buffer[length] != '\0')
		return eg_error_set(err, EINVAL, "%s: buffer is not NUL-terminated", what);
	if (strspn(buffer, " \t\r\n") == length)
		return eg_error_set(err, EINVAL, "%s: empty input", what);
	tree = yajl_tree_parse(buffer, message, sizeof(message));
	if (!tree) {
		first_line(message);
		return eg_error_set(err, EINVAL, "%s: invalid JSON: %s", what, message);
	}
	*ret_tree = tree;
	return 0;
}

yajl_val eg_json_member(yajl_val object, const char *key)
{
	if (!YAJL_IS_OBJECT(object))
		return NULL;
	for (size_t i = 0; i < object->u.object.len; i++)
		if (!strcmp(object->u.object.keys[i], key))
			return object->u.object.values[i];
	return NULL;
}

const char *eg_json_type_name(yajl_val value)
{
	if (!value)
		return "nothing";
	switch (value->type) {
	case yajl_t_string:
		return "a string";
	case yajl_t_number:
		return "a number";
	case yajl_t_object:
		return "an object";
	case yajl_t_array:
		return "an array";
	case yajl_t_true:
	case yajl_t_false:
		return "a boolean";
	case yajl_t_null:
		return "null";
	case yajl_t_any:
		break;
	}
	return "an unknown value";
}

/* "where.key", or "key" at the top level. */
static const char *join_path(char *buffer, size_t size, const char *where, const char *key)
{
	if (!where || !where[0])
		snprintf(buffer, size, "%s", key);
	else
		snprintf(buffer, size, "%s.%s", where, key);
	return buffer;
}

/* Looks key up; returns 1 when present (*ret_value set), 0 when absent and
 * optional, or the "missing" error. */
static int lookup(yajl_val object, const char *where, const char *key, bool required,
                  yajl_val *ret_value, struct eg_error *err)
{
	char path[256];
	yajl_val value = eg_json_member(object, key);

	if (!value) {
		if (!required)
			return 0;
		return eg_error_set(err, ENOENT, "%s: missing",
		                    join_path(path, sizeof(path), where, key));
	}
	*ret_value = value;
	return 1;
}

static int wrong_type(const char *where, const char *key, const char *expected, yajl_val value,
                      struct eg_error *err)
{
	char path[256];

	return eg_error_set(err, EINVAL, "%s: expected %s, got %s",
	                    join_path(path, sizeof(path), where, key), expected,
	                    eg_json_type_name(value));
}

int eg_json_get_string(yajl_val object, const char *where, const char *key, bool required,
                       const char **ret, struct eg_error *err)
{
	yajl_val value = NULL;
	int r = lookup(object, where, key, required, &value, err);

	if (r <= 0)
		return r;
	if (!YAJL_IS_STRING(value))
		return wrong_type(where, key, "a string", value, err);
	*ret = value->u.string;
	return 0;
}

int eg_json_get_bool(yajl_val object, const char *where, const char *key, bool required, bool *ret,
                     struct eg_error *err)
{
	yajl_val value = NULL;
	int r = lookup(object, where, key, required, &value, err);

	if (r <= 0)
		return r;
	if (!YAJL_IS_TRUE(value) && !YAJL_IS_FALSE(value))
		return wrong_type(where, key, "a boolean", value, err);
	*ret = YAJL_IS_TRUE(value);
	return 0;
}

int eg_json_get_int64(yajl_val object, const char *where, const char *key, bool required,
                      int64_t *ret, struct eg_error *err)
{
	yajl_val value = NULL;
	int r = lookup(object, where, key, required, &value, err);

	if (r <= 0)
		return r;
	/* YAJL_IS_INTEGER is false for 1.5, 1e3 and for integers that overflow
	 * long long: all of them are refused rather than rounded. */
	if (!YAJL_IS_INTEGER(value))
		return wrong_type(where, key, "an integer", value, err);
	*ret = YAJL_GET_INTEGER(value);
	return 0;
}

int eg_json_get_object(yajl_val object, const char *where, const char *key, bool required,
                       yajl_val *ret, struct eg_error *err)
{
	yajl_val value = NULL;
	int r = lookup(object, where, key, required, &value, err);

	if (r <= 0)
		return r;
	if (!YAJL_IS_OBJECT(value))
		return wrong_type(where, key, "an object", value, err);
	*ret = value;
	return 0;
}

int eg_json_get_array(yajl_val object, const char *where, const char *key, bool required,
                      yajl_val *ret, struct eg_error *err)
{
	yajl_val value = NULL;
	int r = lookup(object, where, key, required, &value, err);

	if (r <= 0)
		return r;
	if (!YAJL_IS_ARRAY(value))
		return wrong_type(where, key, "an array", value, err);
	*ret = value;
	return 0;
}

void eg_strv_free(char **vector)
{
	if (!vector)
		return;
	for (char **item = vector; *item; item++)
		free(*item);
	free(vector);
}

int eg_json_borrow_strings(yajl_val array, const char *path, size_t max_items,
                           const char ***ret_vector, size_t *ret_count, struct eg_error *err)
{
	size_t count = array ? array->u.array.len : 0;
	const char **vector;

	if (count > max_items)
		return eg_error_set(err, E2BIG, "%s: too many entries (%zu, at most %zu)", path,
		                    count, max_items);
	vector = calloc(count + 1, sizeof(*vector));
	if (!vector)
		return eg_error_set(err, ENOMEM, "%s: out of memory", path);
	for (size_t i = 0; i < count; i++) {
		yajl_val item = array->u.array.values[i];

		if (!YAJL_IS_STRING(item)) {
			free(vector);
			return eg_error_set(err, EINVAL, "%s[%zu]: expected a string, got %s", path,
			                    i, eg_json_type_name(item));
		}
		vector[i] = item->u.string;
	}
	*ret_vector = vector;
	*ret_count = count;
	return 0;
}

int eg_json_get_string_array(yajl_val object, const char *where, const char *key, bool required,
                             size_t max_items, char ***ret_vector, size_t *ret_count,
                             struct eg_error *err)
{
	_cleanup_free_ const char **borrowed = NULL;
	_cleanup_strv_ char **vector = NULL;
	yajl_val array = NULL;
	char path[256];
	size_t count;
	int r;

	r = eg_json_get_array(object, where, key, required, &array, err);
	if (r < 0 || !array)
		return r;
	r = eg_json_borrow_strings(array, join_path(path, sizeof(path), where, key), max_items,
	                           &borrowed, &count, err);
	if (r < 0)
		return r;
	vector = calloc(count + 1, sizeof(*vector));
	if (!vector)
		return eg_error_set(err, ENOMEM, "%s: out of memory", path);
	for (size_t i = 0; i < count; i++)
		if (!(vector[i] = strdup(borrowed[i])))
			return eg_error_set(err, ENOMEM, "%s: out of memory", path);
	*ret_vector = steal_pointer(&vector);
	if (ret_count)
		*ret_count = count;
	return 0;
}
