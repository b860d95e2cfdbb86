/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The yajl tree writer and builders: round trips on every captured
 * config.json, numbers kept as their text, escapes, order, bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/json.h"
#include "entryguard/json_write.h"
#include "tests/unit.h"

static const char *const fixtures[] = {
    "runc/config.json",
    "crun/config.json",
    "podman-crun/config.json",
    "podman-runc/config.json",
    "podman-rootless/config.json",
    "containerd/config.json",
    "containerd/config-pre-injection.json",
    "containerd/listener-message.json",
    "crun/listener-message.json",
    "podman-crun/state-createRuntime.json",
};

static yajl_val parse(const char *text)
{
	struct eg_error err = {0};
	yajl_val tree = NULL;

	if (eg_json_parse("test", text, strlen(text), &tree, &err) < 0)
		fail_msg("%s", err.message);
	return tree;
}

static char *write_text(yajl_val tree)
{
	struct eg_error err = {0};
	char *text = NULL;
	size_t length = 0;

	if (eg_json_write(tree, EG_JSON_MAX_BYTES, &text, &length, &err) < 0)
		fail_msg("%s", err.message);
	assert_int_equal(strlen(text), length);
	return text;
}

/* Same types, same strings, same number text, same members in the same
 * order. */
static bool tree_equal(yajl_val a, yajl_val b)
{
	if (!a || !b || a->type != b->type)
		return a == b;
	switch (a->type) {
	case yajl_t_string:
		return !strcmp(a->u.string, b->u.string);
	case yajl_t_number:
		return !strcmp(a->u.number.r, b->u.number.r);
	case yajl_t_object:
		if (a->u.object.len != b->u.object.len)
			return false;
		for (size_t i = 0; i < a->u.object.len; i++)
			if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) ||
			    !tree_equal(a->u.object.values[i], b->u.object.values[i]))
				return false;
		return true;
	case yajl_t_array:
		if (a->u.array.len != b->u.array.len)
			return false;
		for (size_t i = 0; i < a->u.array.len; i++)
			if (!tree_equal(a->u.array.values[i], b->u.array.values[i]))
				return false;
		return true;
	default:
		return true;
	}
}

static void round_trips_every_fixture(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		_cleanup_free_ char *path = NULL, *buffer = NULL, *text = NULL, *again = NULL;
		_cleanup_json_ yajl_val tree = NULL, reparsed = NULL;
		size_t length;

		assert_true(asprintf(&path, "%s/%s", EG_FIXTURES_DIR, fixtures[i]) > 0);
		assert_int_equal(
		    eg_read_file_bounded(path, EG_JSON_MAX_BYTES, &buffer, &length, NULL), 0);
		tree = parse(buffer);
		text = write_text(tree);
		reparsed = parse(text);
		if (!tree_equal(tree, reparsed))
			fail_msg("%s: the written tree differs", fixtures[i]);
		/* Writing is a fixed point: the compact text writes as itself. */
		again = write_text(reparsed);
		assert_string_equal(text, again);
	}
}

static void keeps_numbers_as_text(void **state)
{
	static const char input[] = "{\"a\":1e3,\"b\":-0,\"c\":18446744073709551615,\"d\":1.50,"
	                            "\"e\":-12.5E-3,\"f\":0,\"g\":[9223372036854775808,-1e+2]}";
	_cleanup_json_ yajl_val tree = parse(input);
	_cleanup_free_ char *text = write_text(tree);

	(void)state;
	assert_string_equal(text, input);
}

static void keeps_order_duplicates_and_literals(void **state)
{
	static const char input[] =
	    "{\"b\":1,\"a\":{},\"b\":[],\"t\":true,\"f\":false,\"n\":null,\"x\":[[],{\"\":\"\"}]}";
	_cleanup_json_ yajl_val tree = parse(input);
	_cleanup_free_ char *text = write_text(tree);

	(void)state;
	assert_string_equal(text, input);
}

static void escapes_strings(void **state)
{
	/* \u escapes come back as UTF-8 (é, a snowman, an emoji from a
	 * surrogate pair); quotes, backslashes and control bytes are escaped. */
	_cleanup_json_ yajl_val tree =
	    parse("{\"s\":\"\\u00e9\\u2603\\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\n\\t\\u0001\"}");
	_cleanup_free_ char *text = write_text(tree);
	_cleanup_json_ yajl_val again = parse(text);

	(void)state;
	assert_string_equal(eg_json_member(tree, "s")->u.string,
	                    "\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80 \"q\" \\ / \n\t\x01");
	assert_string_equal(text, "{\"s\":\"\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80 \\\"q\\\" \\\\ / "
	                          "\\n\\t\\u0001\"}");
	assert_true(tree_equal(tree, again));
}

static void bounded(void **state)
{
	static const char input[] = "{\"key\":\"value\",\"list\":[1,2,3]}";
	_cleanup_json_ yajl_val tree = parse(input);
	struct eg_error err = {0};
	char *text = NULL;
	size_t length = 0;

	(void)state;
	assert_int_equal(eg_json_write(tree, strlen(input), &text, &length, &err), 0);
	assert_string_equal(text, input);
	free(text);
	text = NULL;
	assert_int_equal(eg_json_write(tree, strlen(input) - 1, &text, &length, &err), -EFBIG);
	assert_null(text);
	assert_non_null(strstr(err.message, "larger than"));
}

static void refuses_invalid_utf8(void **state)
{
	_cleanup_json_ yajl_val tree = eg_json_new_object();
	struct eg_error err = {0};
	char *text = NULL;
	size_t length;

	(void)state;
	assert_int_equal(eg_json_object_set(tree, "bad", eg_json_new_string("\xff\xfe")), 0);
	assert_int_equal(eg_json_write(tree, 1024, &text, &length, &err), -EINVAL);
	assert_null(text);
	assert_non_null(strstr(err.message, "UTF-8"));
}

static void builds_numbers(void **state)
{
	static const char *const good[] = {
	    "0", "-0", "1", "-12", "1.5", "1e3", "2E-7", "1.0e+10", "18446744073709551615"};
	static const char *const bad[] = {"",   "-",   "01",  "1.", ".5",   "+1",
	                                  "1e", "1e+", "abc", "1 ", "0x10", "NaN"};
	yajl_val number;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		number = eg_json_new_number(good[i]);
		assert_non_null(number);
		assert_string_equal(number->u.number.r, good[i]);
		yajl_tree_free(number);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(eg_json_new_number(bad[i]));
	number = eg_json_new_number("42");
	assert_true(YAJL_IS_INTEGER(number));
	assert_int_equal(YAJL_GET_INTEGER(number), 42);
	yajl_tree_free(number);
	number = eg_json_new_number("18446744073709551615");
	assert_false(YAJL_IS_INTEGER(number)); /* as yajl_tree: too big for a long long */
	yajl_tree_free(number);
}

static void edits_objects_and_arrays(void **state)
{
	_cleanup_json_ yajl_val tree = parse("{\"a\":1,\"b\":[1,2,3],\"a\":2}");
	_cleanup_json_ yajl_val copy = NULL;
	_cleanup_free_ char *text = NULL, *copied = NULL;

	(void)state;
	copy = eg_json_copy(tree);
	assert_true(tree_equal(tree, copy));
	/* set replaces the first member of that name, or appends */
	assert_int_equal(eg_json_object_set(tree, "a", eg_json_new_string("x")), 0);
	assert_int_equal(eg_json_object_set(tree, "c", eg_json_new_array()), 0);
	assert_int_equal(eg_json_array_append(eg_json_member(tree, "c"), eg_json_new_number("7")),
	                 0);
	eg_json_array_remove(eg_json_member(tree, "b"), 1);
	text = write_text(tree);
	assert_string_equal(text, "{\"a\":\"x\",\"b\":[1,3],\"a\":2,\"c\":[7]}");
	assert_int_equal(eg_json_object_remove(tree, "a"), 2);
	assert_int_equal(eg_json_object_remove(tree, "nothing"), 0);
	free(text);
	text = write_text(tree);
	assert_string_equal(text, "{\"b\":[1,3],\"c\":[7]}");
	/* the copy was deep: untouched */
	copied = write_text(copy);
	assert_string_equal(copied, "{\"a\":1,\"b\":[1,2,3],\"a\":2}");
	/* wrong containers and NULL values are refused, values freed */
	assert_int_equal(eg_json_object_set(eg_json_member(tree, "b"), "k", eg_json_new_object()),
	                 -EINVAL);
	assert_int_equal(eg_json_array_append(tree, eg_json_new_object()), -EINVAL);
	assert_int_equal(eg_json_array_append(eg_json_member(tree, "b"), NULL), -ENOMEM);
	assert_int_equal(eg_json_object_set(tree, "k", NULL), -ENOMEM);
}

static void finds_nul_escapes(void **state)
{
	static const struct {
		const char *text;
		bool expected;
	} cases[] = {
	    {"{\"a\":\"x\\u0000y\"}", true},
	    {"[\"\\u0000\"]", true},
	    {"{\"a\\u0000\":1}", true},
	    {"{\"a\":\"\\\\u0000\"}", false}, /* a backslash, then the text u0000 */
	    {"{\"a\":\"\\\\\\u0000\"}", true},
	    {"{\"a\":\"\\u00001\"}", true},
	    {"{\"a\":\"\\u0001\"}", false},
	    {"{\"u0000\":\"\\\"u0000\"}", false},
	    {"{\"a\":1} \\u0000", false}, /* not in a string (and not JSON) */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (eg_json_text_has_nul_escape(cases[i].text, strlen(cases[i].text)) !=
		    cases[i].expected)
			fail_msg("case %zu: %s", i, cases[i].text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(round_trips_every_fixture),
	    cmocka_unit_test(keeps_numbers_as_text),
	    cmocka_unit_test(keeps_order_duplicates_and_literals),
	    cmocka_unit_test(escapes_strings),
	    cmocka_unit_test(bounded),
	    cmocka_unit_test(refuses_invalid_utf8),
	    cmocka_unit_test(builds_numbers),
	    cmocka_unit_test(edits_objects_and_arrays),
	    cmocka_unit_test(finds_nul_escapes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
