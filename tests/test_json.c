/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounded JSON input: limits, shape checks, typed getters and their errors. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "entryguard/json.h"
#include "tests/unit.h"

static int parse_text(const char *text, yajl_val *ret_tree, struct eg_error *err)
{
	return eg_json_parse("input", text, strlen(text), ret_tree, err);
}

static void parses_valid_document(void **state)
{
	_cleanup_json_ yajl_val tree = NULL;
	struct eg_error err = {0};
	const char *text = NULL;
	int64_t number = 0;
	bool flag = false;

	(void)state;
	assert_int_equal(
	    parse_text("{\"a\":\"x\",\"n\":42,\"b\":true,\"o\":{\"k\":\"v\"}}", &tree, &err), 0);
	assert_int_equal(eg_json_get_string(tree, "", "a", true, &text, &err), 0);
	assert_string_equal(text, "x");
	assert_int_equal(eg_json_get_int64(tree, "", "n", true, &number, &err), 0);
	assert_int_equal(number, 42);
	assert_int_equal(eg_json_get_bool(tree, "", "b", true, &flag, &err), 0);
	assert_true(flag);
	assert_non_null(eg_json_member(tree, "o"));
	assert_null(eg_json_member(tree, "missing"));
	assert_null(eg_json_member(NULL, "a"));
}

static void getter_errors_name_the_key(void **state)
{
	_cleanup_json_ yajl_val tree = NULL;
	struct eg_error err = {0};
	const char *text = "unchanged";
	int64_t number = 7;
	yajl_val node = NULL;

	(void)state;
	assert_int_equal(
	    parse_text("{\"process\":{\"args\":[\"a\",1],\"n\":1.5,\"s\":3}}", &tree, &err), 0);
	assert_int_equal(eg_json_get_object(tree, "", "process", true, &node, &err), 0);
	assert_int_equal(eg_json_get_string(node, "process", "s", true, &text, &err), -EINVAL);
	assert_string_equal(err.message, "process.s: expected a string, got a number");
	assert_string_equal(text, "unchanged"); /* ret_* untouched on failure */
	assert_int_equal(eg_json_get_int64(node, "process", "n", true, &number, &err), -EINVAL);
	assert_string_equal(err.message, "process.n: expected an integer, got a number");
	assert_int_equal(number, 7);
	assert_int_equal(eg_json_get_string(node, "process", "cwd", true, &text, &err), -ENOENT);
	assert_string_equal(err.message, "process.cwd: missing");
	assert_int_equal(eg_json_get_string(node, "process", "cwd", false, &text, &err), 0);
	assert_string_equal(text, "unchanged");
	assert_int_equal(eg_json_get_object(tree, "", "process", true, &node, &err), 0);
	{
		char **vector = NULL;
		size_t count = 0;
		assert_int_equal(eg_json_get_string_array(node, "process", "args", true, 16,
		                                          &vector, &count, &err),
		                 -EINVAL);
		assert_string_equal(err.message,
		                    "process.args[1]: expected a string, got a number");
		assert_null(vector);
	}
}

static void string_array_is_bounded(void **state)
{
	_cleanup_json_ yajl_val tree = NULL;
	_cleanup_strv_ char **vector = NULL;
	struct eg_error err = {0};
	size_t count = 0;

	(void)state;
	assert_int_equal(parse_text("{\"v\":[\"a\",\"b\",\"c\"]}", &tree, &err), 0);
	assert_int_equal(eg_json_get_string_array(tree, "", "v", true, 2, &vector, &count, &err),
	                 -E2BIG);
	assert_string_equal(err.message, "v: too many entries (3, at most 2)");
	assert_int_equal(eg_json_get_string_array(tree, "", "v", true, 3, &vector, &count, &err),
	                 0);
	assert_int_equal(count, 3);
	assert_string_equal(vector[2], "c");
	assert_null(vector[3]);
}

static void refuses_malformed_input(void **state)
{
	static const char *const inputs[] = {
	    "{", "{\"a\":}", "[1,2", "{\"a\":1} trailing", "nul", "{'a':1}", "\"\\x\"",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		yajl_val tree = NULL;
		struct eg_error err = {0};

		assert_int_equal(parse_text(inputs[i], &tree, &err), -EINVAL);
		assert_null(tree);
		assert_non_null(strstr(err.message, "input: invalid JSON"));
		assert_null(strchr(err.message, '\n')); /* one line */
	}
}

static void refuses_nul_and_invalid_utf8(void **state)
{
	static const char with_nul[] = "{\"a\":\"x\0y\"}";
	yajl_val tree = NULL;
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(eg_json_parse("input", with_nul, sizeof(with_nul) - 1, &tree, &err),
	                 -EINVAL);
	assert_string_equal(err.message, "input: NUL byte at offset 7");
	assert_int_equal(parse_text("{\"a\":\"\xff\xfe\"}", &tree, &err), -EINVAL);
	assert_non_null(strstr(err.message, "invalid JSON"));
	assert_null(tree);
}

static char *nested(unsigned depth)
{
	char *text = malloc(2 * depth + 1);

	for (unsigned i = 0; i < depth; i++) {
		text[i] = '[';
		text[depth + i] = ']';
	}
	text[2 * depth] = '\0';
	return text;
}

static void nesting_is_bounded(void **state)
{
	_cleanup_free_ char *ok = nested(EG_JSON_MAX_DEPTH);
	_cleanup_free_ char *deep = nested(EG_JSON_MAX_DEPTH + 1);
	_cleanup_free_ char *hostile = nested(1000000);
	yajl_val tree = NULL;
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(parse_text(ok, &tree, &err), 0);
	yajl_tree_free(tree);
	tree = NULL;
	assert_int_equal(parse_text(deep, &tree, &err), -E2BIG);
	assert_non_null(strstr(err.message, "nested deeper than 64 levels"));
	assert_int_equal(parse_text(hostile, &tree, &err), -E2BIG);
	/* Brackets inside strings are not nesting. */
	assert_int_equal(parse_text("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	                            "[[[[[[[[[[[[[[[[[[[[[\\\"\"]",
	                            &tree, &err),
	                 0);
	yajl_tree_free(tree);
}

static void read_fd_is_bounded(void **state)
{
	char path[] = "/tmp/eg-test-json-XXXXXX";
	_cleanup_close_ int fd = mkstemp(path);
	_cleanup_free_ char *buffer = NULL;
	struct eg_error err = {0};
	char block[1000];
	size_t length = 0;

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	memset(block, 'x', sizeof(block));
	for (int i = 0; i < 10; i++)
		assert_int_equal(write(fd, block, sizeof(block)), sizeof(block));
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(eg_read_fd_bounded(fd, 10000, &buffer, &length, &err), 0);
	assert_int_equal(length, 10000);
	assert_int_equal(buffer[length], '\0');
	free(buffer);
	buffer = NULL;
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(eg_read_fd_bounded(fd, 9999, &buffer, &length, &err), -EFBIG);
	assert_string_equal(err.message, "input is larger than 9999 bytes");
	assert_null(buffer);
}

static void read_file_errors_name_the_path(void **state)
{
	_cleanup_free_ char *buffer = NULL;
	struct eg_error err = {0};
	size_t length = 0;

	(void)state;
	assert_int_equal(eg_read_file_bounded("/nonexistent/x.json", 100, &buffer, &length, &err),
	                 -ENOENT);
	assert_string_equal(err.message,
	                    "/nonexistent/x.json: cannot open: No such file or directory");
	/* A FIFO must not block the reader forever. */
	{
		char fifo[] = "/tmp/eg-test-fifo-XXXXXX";
		_cleanup_close_ int fd = mkstemp(fifo);
		unlink(fifo);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_int_equal(eg_read_file_bounded(fifo, 100, &buffer, &length, &err), 0);
		assert_int_equal(length, 0);
		unlink(fifo);
	}
	/* An empty file reads as an empty buffer; parsing it is the error. */
	{
		yajl_val tree = NULL;
		free(buffer);
		buffer = NULL;
		assert_int_equal(eg_read_file_bounded("/dev/null", 100, &buffer, &length, &err), 0);
		assert_int_equal(length, 0);
		assert_int_equal(eg_json_parse("/dev/null", buffer, length, &tree, &err), -EINVAL);
		assert_string_equal(err.message, "/dev/null: empty input");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parses_valid_document),
	    cmocka_unit_test(getter_errors_name_the_key),
	    cmocka_unit_test(string_array_is_bounded),
	    cmocka_unit_test(refuses_malformed_input),
	    cmocka_unit_test(refuses_nul_and_invalid_utf8),
	    cmocka_unit_test(nesting_is_bounded),
	    cmocka_unit_test(read_fd_is_bounded),
	    cmocka_unit_test(read_file_errors_name_the_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
