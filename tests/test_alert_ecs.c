/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ECS conformity of the alert record: every field it writes (but
 * entryguard.*) is checked by name, type and normalization against the ECS
 * field list, read with a CSV parser of its own; and the check itself
 * refuses what it must. */
#include "tests/alert_helpers.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "entryguard/alert.h"
#include "entryguard/cleanup.h"

#ifndef EG_ECS_FIELDS_CSV
#error "tests/meson.build defines EG_ECS_FIELDS_CSV"
#endif

/* ECS conformity: the field list, parsed as the CSV it is (quoted fields
 * hold commas, doubled quotes and newlines). */
struct ecs_field {
	char *name, *type, *normalization;
};

struct ecs_fields {
	struct ecs_field *fields;
	size_t count;
};

/* One CSV record from *cursor into columns[]; returns the column count, 0 at
 * the end of the text. */
static size_t csv_record(char **cursor, char **columns, size_t max_columns)
{
	char *in = *cursor, *out = *cursor, *next;
	size_t count = 0;

	if (!*in)
		return 0;
	for (;;) {
		bool quoted = *in == '"';

		assert_true(count < max_columns);
		columns[count++] = out;
		if (quoted)
			in++;
		for (;; in++) {
			if (quoted && in[0] == '"' && in[1] == '"') {
				*out++ = '"';
				in++;
			} else if (quoted && in[0] == '"') {
				quoted = false;
			} else if (!*in ||
			           (!quoted && (*in == ',' || *in == '\n' || *in == '\r'))) {
				break;
			} else {
				*out++ = *in;
			}
		}
		if (*in != ',')
			break;
		*out++ = '\0';
		in++;
	}
	/* Find the next record before terminating this one: out may stand on
	 * the newline itself. */
	next = in;
	while (*next == '\r' || *next == '\n')
		next++;
	*out = '\0';
	*cursor = next;
	return count;
}

static size_t column_index(char **header, size_t count, const char *name)
{
	for (size_t i = 0; i < count; i++)
		if (!strcmp(header[i], name))
			return i;
	fail_msg("%s: no column %s", EG_ECS_FIELDS_CSV, name);
	return 0;
}

static char *ecs_csv_text;

static void load_ecs_fields(struct ecs_fields *ret_fields)
{
	char *header[16], *columns[16], *cursor;
	size_t header_count, name_column, type_column, normalization_column, count;
	struct ecs_fields list = {0};

	if (access(EG_ECS_FIELDS_CSV, R_OK) < 0)
		fail_msg("the ECS field list %s cannot be read: %m; the conformity test needs it",
		         EG_ECS_FIELDS_CSV);
	ecs_csv_text = read_whole_file(EG_ECS_FIELDS_CSV);
	cursor = ecs_csv_text;
	header_count = csv_record(&cursor, header, 16);
	name_column = column_index(header, header_count, "Field");
	type_column = column_index(header, header_count, "Type");
	normalization_column = column_index(header, header_count, "Normalization");
	while ((count = csv_record(&cursor, columns, 16)) > 0) {
		if (count != header_count)
			fail_msg("%s: a record with %zu columns, not %zu, after field %s",
			         EG_ECS_FIELDS_CSV, count, header_count,
			         list.count ? list.fields[list.count - 1].name : "(none)");
		list.fields = realloc(list.fields, (list.count + 1) * sizeof(*list.fields));
		assert_non_null(list.fields);
		list.fields[list.count++] = (struct ecs_field){
		    .name = columns[name_column],
		    .type = columns[type_column],
		    .normalization = columns[normalization_column],
		};
	}
	/* ECS has well over a thousand fields; a handful means a bad parse. */
	assert_true(list.count > 1000);
	*ret_fields = list;
}

static const struct ecs_field *find_ecs_field(const struct ecs_fields *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++)
		if (!strcmp(list->fields[i].name, name))
			return &list->fields[i];
	return NULL;
}

/* "2026-11-28T03:27:14.123456Z" or with an offset: ISO 8601 as ECS dates
 * take it. */
static bool is_iso8601(const char *text)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
	size_t i = 0;

	for (; pattern[i]; i++)
		if (pattern[i] == 'd' ? (text[i] < '0' || text[i] > '9') : text[i] != pattern[i])
			return false;
	if (text[i] == '.') {
		size_t digits = 0;

		for (i++; text[i] >= '0' && text[i] <= '9'; i++)
			digits++;
		if (digits == 0)
			return false;
	}
	return !strcmp(text + i, "Z");
}

static bool fits_ecs_type(const char *type, yajl_val value)
{
	if (!strcmp(type, "keyword") || !strcmp(type, "constant_keyword") ||
	    !strcmp(type, "wildcard") || !strcmp(type, "match_only_text"))
		return YAJL_IS_STRING(value);
	if (!strcmp(type, "ip")) {
		unsigned char bytes[16];

		return YAJL_IS_STRING(value) && (inet_pton(AF_INET, string_of(value), bytes) == 1 ||
		                                 inet_pton(AF_INET6, string_of(value), bytes) == 1);
	}
	if (!strcmp(type, "date"))
		return YAJL_IS_STRING(value) && is_iso8601(string_of(value));
	if (!strcmp(type, "long") || !strcmp(type, "integer"))
		return YAJL_IS_INTEGER(value);
	if (!strcmp(type, "boolean"))
		return YAJL_IS_TRUE(value) || YAJL_IS_FALSE(value);
	if (!strcmp(type, "float") || !strcmp(type, "double") || !strcmp(type, "scaled_float"))
		return YAJL_IS_NUMBER(value);
	return false; /* object, nested, flattened, geo_point: never a leaf we write */
}

struct conformity {
	const struct ecs_fields *fields;
	size_t checked;
};

static void check_ecs_leaf(const char *name, yajl_val value, void *data)
{
	struct conformity *conformity = data;
	const struct ecs_field *field;

	if (!strncmp(name, "entryguard.", strlen("entryguard.")))
		return;
	field = find_ecs_field(conformity->fields, name);
	if (!field)
		fail_msg("%s: not an ECS field", name);
	if (!strcmp(field->normalization, "array")) {
		if (!YAJL_IS_ARRAY(value))
			fail_msg("%s: ECS says array of %s, the record has no array", name,
			         field->type);
		for (size_t i = 0; i < value->u.array.len; i++)
			if (!fits_ecs_type(field->type, value->u.array.values[i]))
				fail_msg("%s[%zu]: not an ECS %s", name, i, field->type);
	} else if (!fits_ecs_type(field->type, value)) {
		fail_msg("%s: not an ECS %s", name, field->type);
	}
	conformity->checked++;
}

static void test_ecs_conformity(void **state)
{
	struct ecs_fields fields = {0};
	struct conformity conformity = {.fields = &fields};
	struct eg_alert alerts[3] = {full_alert(), full_alert(), full_alert()};
	_cleanup_free_ char *huge = repeated('x', 100000);

	(void)state;
	load_ecs_fields(&fields);
	alerts[1].destination = address_of("2001:db8::1");
	alerts[1].action = EG_ACTION_ALERT;
	alerts[2].destination = address_of("::ffff:9.9.9.9");
	alerts[2].process_name = huge; /* adds entryguard.truncated */
	for (size_t i = 0; i < 3; i++) {
		yajl_val tree = render_and_parse(&alerts[i], NULL);

		flatten(tree, "", check_ecs_leaf, &conformity);
		yajl_tree_free(tree);
	}
	/* Everything but the four entryguard.* fields, three times. */
	assert_int_equal(conformity.checked, 3 * (33 - 4));
	free(fields.fields);
	free(ecs_csv_text);
	ecs_csv_text = NULL;
}

/* The conformity check itself refuses what it must. */
static void test_ecs_check_refuses_misfits(void **state)
{
	struct ecs_fields fields = {0};

	(void)state;
	load_ecs_fields(&fields);
	assert_non_null(find_ecs_field(&fields, "process.entry_leader.entry_meta.type"));
	assert_null(find_ecs_field(&fields, "process.entry_leader.entry_meta"));
	assert_null(find_ecs_field(&fields, "destination.address.ip"));
	assert_string_equal(find_ecs_field(&fields, "process.args")->normalization, "array");
	assert_string_equal(find_ecs_field(&fields, "destination.port")->type, "long");
	assert_true(is_iso8601("2026-11-28T03:27:14.123456Z"));
	assert_false(is_iso8601("2026-11-28 03:27:14Z"));
	free(fields.fields);
	free(ecs_csv_text);
	ecs_csv_text = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ecs_conformity),
	    cmocka_unit_test(test_ecs_check_refuses_misfits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
