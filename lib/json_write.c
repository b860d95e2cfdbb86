/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Building yajl trees and writing them back as JSON text, bounded. */
#include "entryguard/json_write.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "entryguard/cleanup.h"

/* The bounded output buffer yajl_gen prints into. */
struct sink {
	char *text;
	size_t length, capacity, max_bytes;
	bool too_big, out_of_memory;
};

static void sink_print(void *context, const char *data, size_t length)
{
	struct sink *sink = context;
	size_t needed;

	if (sink->too_big || sink->out_of_memory)
		return;
	if (length > sink->max_bytes - sink->length) {
		sink->too_big = true;
		return;
	}
	needed = sink->length + length + 1;
	if (needed > sink->capacity) {
		size_t capacity = sink->capacity ? sink->capacity : 4096;
		char *grown;

		while (capacity < needed)
			capacity *= 2;
		grown = realloc(sink->text, capacity);
		if (!grown) {
			sink->out_of_memory = true;
			return;
		}
		sink->text = grown;
		sink->capacity = capacity;
	}
	memcpy(sink->text + sink->length, data, length);
	sink->length += length;
	sink->text[sink->length] = '\0';
}

static yajl_gen_status write_string(yajl_gen generator, const char *text)
{
	return yajl_gen_string(generator, (const unsigned char *)text, strlen(text));
}

/* Depth is bounded by the input (eg_json_parse() refuses more than
 * EG_JSON_MAX_DEPTH levels) and by yajl_gen itself (YAJL_MAX_DEPTH). */
static yajl_gen_status write_value(yajl_gen generator, yajl_val value)
{
	yajl_gen_status status = yajl_gen_status_ok;

	switch (value ? value->type : yajl_t_null) {
	case yajl_t_string:
		return write_string(generator, value->u.string);
	case yajl_t_number:
		/* The text as parsed: a double or long long would round. */
		return yajl_gen_number(generator, value->u.number.r, strlen(value->u.number.r));
	case yajl_t_object:
		status = yajl_gen_map_open(generator);
		for (size_t i = 0; status == yajl_gen_status_ok && i < value->u.object.len; i++) {
			status = write_string(generator, value->u.object.keys[i]);
			if (status == yajl_gen_status_ok)
				status = write_value(generator, value->u.object.values[i]);
		}
		return status == yajl_gen_status_ok ? yajl_gen_map_close(generator) : status;
	case yajl_t_array:
		status = yajl_gen_array_open(generator);
		for (size_t i = 0; status == yajl_gen_status_ok && i < value->u.array.len; i++)
			status = write_value(generator, value->u.array.values[i]);
		return status == yajl_gen_status_ok ? yajl_gen_array_close(generator) : status;
	case yajl_t_true:
		return yajl_gen_bool(generator, 1);
	case yajl_t_false:
		return yajl_gen_bool(generator, 0);
	case yajl_t_null:
	case yajl_t_any:
		break;
	}
	return yajl_gen_null(generator);
}

static const char *status_text(yajl_gen_status status)
{
	switch (status) {
	case yajl_gen_invalid_string:
		return "a string is not valid UTF-8";
	case yajl_max_depth_exceeded:
		return "nested too deep";
	case yajl_gen_invalid_number:
		return "an invalid number";
	default:
		return "cannot generate JSON";
	}
}

int eg_json_write(yajl_val tree, size_t max_bytes, char **ret_text, size_t *ret_length,
                  struct eg_error *err)
{
	struct sink sink = {.max_bytes = max_bytes};
	yajl_gen generator = yajl_gen_alloc(NULL);
	yajl_gen_status status;

	if (!generator)
		return eg_error_set(err, ENOMEM, "out of memory writing JSON");
	yajl_gen_config(generator, yajl_gen_print_callback, sink_print, &sink);
	yajl_gen_config(generator, yajl_gen_validate_utf8, 1);
	status = write_value(generator, tree);
	yajl_gen_free(generator);
	if (status == yajl_gen_status_ok && !sink.too_big && !sink.out_of_memory && !sink.text)
		sink_print(&sink, "", 0); /* an empty buffer still gets its NUL */
	if (sink.too_big || sink.out_of_memory || status != yajl_gen_status_ok) {
		free(sink.text);
		if (sink.too_big)
			return eg_error_set(
			    err, EFBIG, "the JSON text would be larger than %zu bytes", max_bytes);
		if (sink.out_of_memory)
			return eg_error_set(err, ENOMEM, "out of memory writing JSON");
		return eg_error_set(err, EINVAL, "cannot write JSON: %s", status_text(status));
	}
	*ret_text = sink.text;
	*ret_length = sink.length;
	return 0;
}

static yajl_val new_node(yajl_type type)
{
	yajl_val node = calloc(1, sizeof(*node));

	if (node)
		node->type = type;
	return node;
}

yajl_val eg_json_new_string(const char *text)
{
	yajl_val node = new_node(yajl_t_string);

	if (node && !(node->u.string = strdup(text))) {
		free(node);
		return NULL;
	}
	return node;
}

/* JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_json_number(const char *text, bool *ret_integer)
{
	const char *p = text;

	*ret_integer = true;
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p += strspn(p, "0123456789");
	else
		return false;
	if (*p == '.') {
		*ret_integer = false;
		if (!p[1] || !strchr("0123456789", p[1]))
			return false;
		p += 1 + strspn(p + 1, "0123456789");
	}
	if (*p == 'e' || *p == 'E') {
		*ret_integer = false;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!*p || !strchr("0123456789", *p))
			return false;
		p += strspn(p, "0123456789");
	}
	return *p == '\0';
}

yajl_val eg_json_new_number(const char *text)
{
	yajl_val node;
	bool integer;

	if (!is_json_number(text, &integer))
		return NULL;
	node = new_node(yajl_t_number);
	if (!node)
		return NULL;
	node->u.number.r = strdup(text);
	if (!node->u.number.r) {
		free(node);
		return NULL;
	}
	/* As yajl_tree sets them: i only when the text is an integer that fits. */
	errno = 0;
	if (integer) {
		node->u.number.i = strtoll(text, NULL, 10);
		if (errno == 0)
			node->u.number.flags |= YAJL_NUMBER_INT_VALID;
	}
	errno = 0;
	node->u.number.d = strtod(text, NULL);
	if (errno == 0)
		node->u.number.flags |= YAJL_NUMBER_DOUBLE_VALID;
	return node;
}

yajl_val eg_json_new_object(void)
{
	return new_node(yajl_t_object);
}

yajl_val eg_json_new_array(void)
{
	return new_node(yajl_t_array);
}

static yajl_val copy_object(yajl_val value)
{
	yajl_val copy = eg_json_new_object();

	for (size_t i = 0; copy && i < value->u.object.len; i++) {
		yajl_val member = eg_json_copy(value->u.object.values[i]);
		/* Appended one by one, so a duplicated key stays duplicated. */
		const char **keys = realloc(copy->u.object.keys, (i + 1) * sizeof(*keys));
		yajl_val *values;

		if (keys)
			copy->u.object.keys = keys;
		values = keys ? realloc(copy->u.object.values, (i + 1) * sizeof(*values)) : NULL;
		if (values)
			copy->u.object.values = values;
		if (!member || !values || !(keys[i] = strdup(value->u.object.keys[i]))) {
			yajl_tree_free(member);
			yajl_tree_free(copy);
			return NULL;
		}
		values[i] = member;
		copy->u.object.len = i + 1;
	}
	return copy;
}

yajl_val eg_json_copy(yajl_val value)
{
	yajl_val copy = NULL;

	switch (value ? value->type : yajl_t_null) {
	case yajl_t_string:
		return eg_json_new_string(value->u.string);
	case yajl_t_number:
		copy = new_node(yajl_t_number);
		if (copy) {
			copy->u.number = value->u.number;
			copy->u.number.r = strdup(value->u.number.r);
			if (!copy->u.number.r) {
				free(copy);
				copy = NULL;
			}
		}
		return copy;
	case yajl_t_object:
		return copy_object(value);
	case yajl_t_array:
		copy = eg_json_new_array();
		for (size_t i = 0; copy && i < value->u.array.len; i++)
			if (eg_json_array_append(copy, eg_json_copy(value->u.array.values[i])) <
			    0) {
				yajl_tree_free(copy);
				copy = NULL;
			}
		return copy;
	case yajl_t_true:
	case yajl_t_false:
		return new_node(value->type);
	case yajl_t_null:
	case yajl_t_any:
		break;
	}
	return new_node(yajl_t_null);
}

int eg_json_object_set(yajl_val object, const char *key, yajl_val value)
{
	const char **keys;
	yajl_val *values;
	size_t length;

	if (!value)
		return -ENOMEM;
	if (!YAJL_IS_OBJECT(object)) {
		yajl_tree_free(value);
		return -EINVAL;
	}
	for (size_t i = 0; i < object->u.object.len; i++)
		if (!strcmp(object->u.object.keys[i], key)) {
			yajl_tree_free(object->u.object.values[i]);
			object->u.object.values[i] = value;
			return 0;
		}
	length = object->u.object.len;
	keys = realloc(object->u.object.keys, (length + 1) * sizeof(*keys));
	if (keys)
		object->u.object.keys = keys;
	values = keys ? realloc(object->u.object.values, (length + 1) * sizeof(*values)) : NULL;
	if (values)
		object->u.object.values = values;
	if (!values || !(keys[length] = strdup(key))) {
		yajl_tree_free(value);
		return -ENOMEM;
	}
	values[length] = value;
	object->u.object.len = length + 1;
	return 0;
}

size_t eg_json_object_remove(yajl_val object, const char *key)
{
	size_t kept = 0, removed = 0;

	if (!YAJL_IS_OBJECT(object))
		return 0;
	for (size_t i = 0; i < object->u.object.len; i++) {
		if (!strcmp(object->u.object.keys[i], key)) {
			free((char *)object->u.object.keys[i]);
			yajl_tree_free(object->u.object.values[i]);
			removed++;
			continue;
		}
		object->u.object.keys[kept] = object->u.object.keys[i];
		object->u.object.values[kept] = object->u.object.values[i];
		kept++;
	}
	object->u.object.len = kept;
	return removed;
}

int eg_json_array_insert(yajl_val array, size_t index, yajl_val value)
{
	yajl_val *values;

	if (!value)
		return -ENOMEM;
	if (!YAJL_IS_ARRAY(array) || index > array->u.array.len) {
		yajl_tree_free(value);
		return -EINVAL;
	}
	values = realloc(array->u.array.values, (array->u.array.len + 1) * sizeof(*values));
	if (!values) {
		yajl_tree_free(value);
		return -ENOMEM;
	}
	memmove(values + index + 1, values + index, (array->u.array.len - index) * sizeof(*values));
	values[index] = value;
	array->u.array.values = values;
	array->u.array.len++;
	return 0;
}

int eg_json_array_append(yajl_val array, yajl_val value)
{
	return eg_json_array_insert(array, YAJL_IS_ARRAY(array) ? array->u.array.len : 0, value);
}

void eg_json_array_remove(yajl_val array, size_t index)
{
	yajl_val *values = array->u.array.values;

	yajl_tree_free(values[index]);
	memmove(values + index, values + index + 1,
	        (array->u.array.len - index - 1) * sizeof(*values));
	array->u.array.len--;
}

bool eg_json_text_has_nul_escape(const char *text, size_t length)
{
	bool in_string = false;

	for (size_t i = 0; i < length; i++) {
		if (!in_string) {
			in_string = text[i] == '"';
			continue;
		}
		if (text[i] == '"') {
			in_string = false;
		} else if (text[i] == '\\') {
			/* An escape: \u0000 is the one that matters; any other
			 * (\" \\ \n ...) is skipped whole. */
			if (length - i >= 6 && !memcmp(text + i + 1, "u0000", 5))
				return true;
			i++;
		}
	}
	return false;
}

int eg_json_object_check_duplicates(yajl_val object, const char *where, struct eg_error *err)
{
	char shown[4 * 48 + 8];

	for (size_t i = 0; YAJL_IS_OBJECT(object) && i < object->u.object.len; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(object->u.object.keys[i], object->u.object.keys[j]))
				return eg_error_set(
				    err, EINVAL, "%s%sduplicate key %s", where, *where ? ": " : "",
				    eg_quote(object->u.object.keys[i], 48, shown, sizeof(shown)));
	return 0;
}

void eg_gen_key(yajl_gen gen, const char *key)
{
	yajl_gen_string(gen, (const unsigned char *)key, strlen(key));
}

void eg_gen_string_member(yajl_gen gen, const char *key, const char *value)
{
	eg_gen_key(gen, key);
	if (value)
		yajl_gen_string(gen, (const unsigned char *)value, strlen(value));
	else
		yajl_gen_null(gen);
}

void eg_gen_integer_member(yajl_gen gen, const char *key, long long value)
{
	eg_gen_key(gen, key);
	yajl_gen_integer(gen, value);
}

void eg_gen_bool_member(yajl_gen gen, const char *key, bool value)
{
	eg_gen_key(gen, key);
	yajl_gen_bool(gen, value);
}

int eg_gen_finish(yajl_gen gen, const char *what, size_t max_bytes, bool newline, char **ret_text,
                  size_t *ret_length, struct eg_error *err)
{
	const unsigned char *buffer;
	size_t length;
	char *text;

	if (yajl_gen_get_buf(gen, &buffer, &length) != yajl_gen_status_ok)
		return eg_error_set(err, EINVAL, "%s: could not be written (text not UTF-8?)",
		                    what);
	if (length > max_bytes)
		return eg_error_set(err, EMSGSIZE, "%s: %zu bytes, more than %zu", what, length,
		                    max_bytes);
	text = malloc(length + 2);
	if (!text)
		return eg_error_set(err, ENOMEM, "out of memory");
	memcpy(text, buffer, length);
	if (newline)
		text[length++] = '\n';
	text[length] = '\0';
	*ret_text = text;
	*ret_length = length;
	return 0;
}
