/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Building and writing yajl trees.  entryguard-runtime edits a bundle's
 * config.json as the tree eg_json_parse() returned and writes it back, so
 * what it does not touch must come out as it went in:
 *  - object members keep their order (duplicates included);
 *  - numbers keep their original text (1e3, -0, 18446744073709551615 are not
 *    rounded through a double or a long long);
 *  - strings are escaped as JSON requires and must be valid UTF-8.
 * Comments (which yajl_tree accepts) and whitespace are not kept: the output
 * is compact.
 *
 * The nodes made here are allocated the way yajl_tree_free() frees them
 * (malloc), so they can be spliced into a parsed tree and freed with it.
 * Functions that take a node take it over, also when they fail.
 */
#ifndef ENTRYGUARD_JSON_WRITE_H
#define ENTRYGUARD_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "entryguard/error.h"

/* Writes tree as compact JSON text into a NUL-terminated malloc'd buffer of
 * at most max_bytes (not counting the NUL): more is EFBIG, never a silent
 * truncation. */
int eg_json_write(yajl_val tree, size_t max_bytes, char **ret_text, size_t *ret_length,
                  struct eg_error *err);

/* New nodes, or NULL when out of memory.  eg_json_new_number() takes the
 * number's text as it is to be written ("1", "-0", "1e3"); it must be a JSON
 * number (checked: NULL otherwise). */
yajl_val eg_json_new_string(const char *text);
yajl_val eg_json_new_number(const char *text);
yajl_val eg_json_new_object(void);
yajl_val eg_json_new_array(void);
/* A deep copy, or NULL when out of memory. */
yajl_val eg_json_copy(yajl_val value);

/* Sets object[key] to value: replaces the value of the first member named
 * key, or appends a member.  -ENOMEM (value freed) when out of memory,
 * -EINVAL when object is not an object. */
int eg_json_object_set(yajl_val object, const char *key, yajl_val value);
/* Removes every member named key; returns how many. */
size_t eg_json_object_remove(yajl_val object, const char *key);
/* Appends value to array; -ENOMEM (value freed), -EINVAL as above. */
int eg_json_array_append(yajl_val array, yajl_val value);
/* Inserts value at array[index] (index <= len); as eg_json_array_append(). */
int eg_json_array_insert(yajl_val array, size_t index, yajl_val value);
/* Removes and frees array[index] (index < len). */
void eg_json_array_remove(yajl_val array, size_t index);

/* An error naming the first key object holds twice ("<where>: duplicate
 * key \"k\""), else 0.  yajl_tree keeps both members and a lookup finds
 * the first, while runc's Go decoder takes the last: an edit of one and a
 * runtime reading the other would disagree. */
int eg_json_object_check_duplicates(yajl_val object, const char *where, struct eg_error *err);

/* True when text (JSON) holds the escape \u0000 inside a string: yajl hands
 * such a string over cut at the NUL, so a tree that held one could not be
 * written back faithfully. */
bool eg_json_text_has_nul_escape(const char *text, size_t length);

/* Building a flat document with yajl_gen, for our own files and messages:
 * members by key (a NULL string is written as null), and the finished text
 * copied out NUL-terminated (with '\n' when newline), refused above max_bytes.
 * Callers check the status of the closing yajl_gen_map_close(): a document
 * left unbalanced by an earlier failure fails there. */
void eg_gen_key(yajl_gen gen, const char *key);
void eg_gen_string_member(yajl_gen gen, const char *key, const char *value);
void eg_gen_integer_member(yajl_gen gen, const char *key, long long value);
void eg_gen_bool_member(yajl_gen gen, const char *key, bool value);
int eg_gen_finish(yajl_gen gen, const char *what, size_t max_bytes, bool newline, char **ret_text,
                  size_t *ret_length, struct eg_error *err);
static inline void eg_gen_freep(yajl_gen *gen)
{
	if (*gen)
		yajl_gen_free(*gen);
}
#define _cleanup_gen_ _cleanup_(eg_gen_freep)

#endif
