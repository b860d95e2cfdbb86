/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Entity ids, machine-id parsing and /proc/PID/stat parsing. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entryguard/entity.h"
#include "tests/unit.h"

#define HOST_TEXT  "0123456789abcdef0123456789abcdef"
#define OTHER_HOST "fedcba9876543210fedcba9876543210"

static struct eg_host_id host_from(const char *text)
{
	struct eg_host_id host;

	assert_int_equal(eg_host_id_parse(text, strlen(text), &host, NULL), 0);
	return host;
}

static void hex(const uint8_t *bytes, size_t length, char *buffer)
{
	for (size_t i = 0; i < length; i++)
		sprintf(buffer + 2 * i, "%02x", bytes[i]);
}

/* The reference vectors of SipHash-2-4-128 (key 00..0f, message 00..len-1):
 * lengths 0, 8 and 15 reach the empty, full-block and tail paths. */
static void siphash128_matches_reference_vectors(void **state)
{
	static const struct {
		size_t length;
		const char *digest;
	} vectors[] = {
	    {0, "a3817f04ba25a8e66df67214c7550293"},
	    {8, "3b62a9ba6258f5610f83e264f31497b4"},
	    {15, "5493e99933b0a8117e08ec0f97cfc3d9"},
	    {63, "5150d1772f50834a503e069a973fbd7c"},
	};
	uint8_t key[16], message[64], digest[16];
	char text[33];

	(void)state;
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		message[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		eg_siphash128(key, message, vectors[i].length, digest);
		hex(digest, 16, text);
		assert_string_equal(text, vectors[i].digest);
	}
}

static void host_id_parses_machine_id(void **state)
{
	struct eg_host_id host;

	(void)state;
	assert_int_equal(eg_host_id_parse(HOST_TEXT "\n", 33, &host, NULL), 0);
	assert_string_equal(host.text, HOST_TEXT);
	assert_int_equal(host.bytes[0], 0x01);
	assert_int_equal(host.bytes[15], 0xef);
	assert_int_equal(eg_host_id_parse(HOST_TEXT, 32, &host, NULL), 0);
}

static void host_id_rejects_malformed(void **state)
{
	static const char *const bad[] = {
	    "",
	    "uninitialized\n",
	    "0123456789ABCDEF0123456789ABCDEF\n", /* machine-id(5) is lowercase */
	    "0123456789abcdef0123456789abcde\n",  /* 31 */
	    "0123456789abcdef0123456789abcdef0\n",
	    "0123456789abcdef0123456789abcdef\n\n",
	    "00000000000000000000000000000000\n",
	    "0123456789abcdef 123456789abcdef\n",
	};
	struct eg_host_id host = {.text = "untouched"};
	struct eg_error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(eg_host_id_parse(bad[i], strlen(bad[i]), &host, &err), -EINVAL);
		assert_string_equal(host.text, "untouched");
		assert_non_null(strstr(err.message, "machine-id"));
	}
	/* An embedded NUL is not hex, and the quote stays printable. */
	assert_int_equal(eg_host_id_parse("0123456789abcdef\0"
	                                  "123456789abcdef",
	                                  32, &host, &err),
	                 -EINVAL);
	assert_non_null(strstr(err.message, "0123456789abcdef?123"));
}

static void write_file(const char *path, const char *content, size_t length)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, length), (ssize_t)length);
	close(fd);
}

static void host_id_read_is_bounded(void **state)
{
	char directory[] = "/tmp/eg-entity-XXXXXX", path[64], big[200];
	struct eg_host_id host;
	struct eg_error err = {0};

	(void)state;
	assert_non_null(mkdtemp(directory));
	snprintf(path, sizeof(path), "%s/machine-id", directory);
	write_file(path, HOST_TEXT "\n", 33);
	assert_int_equal(eg_host_id_read(path, &host, &err), 0);
	assert_string_equal(host.text, HOST_TEXT);

	memset(big, 'a', sizeof(big));
	write_file(path, big, sizeof(big));
	assert_int_equal(eg_host_id_read(path, &host, &err), -EINVAL);
	assert_non_null(strstr(err.message, "longer than a machine-id"));
	unlink(path);
	assert_int_equal(eg_host_id_read(path, &host, &err), -ENOENT);
	assert_non_null(strstr(err.message, path));
	rmdir(directory);
}

static void entity_id_is_deterministic_and_distinct(void **state)
{
	struct eg_host_id host = host_from(HOST_TEXT), other = host_from(OTHER_HOST);
	struct eg_entity_id a, b, recycled, next_exec, other_pid, other_host;

	(void)state;
	assert_int_equal(eg_entity_id_make(&host, 4242, 987654, 0, &a), 0);
	assert_int_equal(eg_entity_id_make(&host, 4242, 987654, 0, &b), 0);
	assert_string_equal(a.text, b.text);
	assert_int_equal(strlen(a.text), EG_ENTITY_ID_LENGTH);
	assert_int_equal(strspn(a.text, "0123456789abcdef"), EG_ENTITY_ID_LENGTH);

	/* A recycled pid has another start time; an exec another sequence. */
	assert_int_equal(eg_entity_id_make(&host, 4242, 987655, 0, &recycled), 0);
	assert_int_equal(eg_entity_id_make(&host, 4242, 987654, 1, &next_exec), 0);
	assert_int_equal(eg_entity_id_make(&host, 4243, 987654, 0, &other_pid), 0);
	assert_int_equal(eg_entity_id_make(&other, 4242, 987654, 0, &other_host), 0);
	assert_string_not_equal(a.text, recycled.text);
	assert_string_not_equal(a.text, next_exec.text);
	assert_string_not_equal(a.text, other_pid.text);
	assert_string_not_equal(a.text, other_host.text);

	b.text[0] = 'X';
	assert_int_equal(eg_entity_id_make(&host, 0, 1, 0, &b), -EINVAL);
	assert_int_equal(eg_entity_id_make(&host, -5, 1, 0, &b), -EINVAL);
	assert_int_equal(b.text[0], 'X');
}

#define STAT_TAIL \
	" 1 100 100 0 -1 4194560 80 0 0 0 1 2 0 0 20 0 1 0 123456 1000 100 18446744073709551615"

static void stat_parses_plain_line(void **state)
{
	static const char line[] = "4242 (entrypoint.sh) S" STAT_TAIL " 0 0\n";
	struct eg_proc_stat stat;

	(void)state;
	assert_int_equal(eg_proc_stat_parse(line, strlen(line), &stat, NULL), 0);
	assert_int_equal(stat.pid, 4242);
	assert_string_equal(stat.comm, "entrypoint.sh");
	assert_int_equal(stat.state, 'S');
	assert_int_equal(stat.parent_pid, 1);
	assert_int_equal(stat.start_time, 123456);
}

static void stat_comm_with_parentheses_and_spaces(void **state)
{
	/* The process picks its comm: fields start after the LAST ')'. */
	static const char tricky[] = "77 (a) b (c) R" STAT_TAIL "\n";
	static const char forged[] = "78 (x) S 1 2 3 4 5) S" STAT_TAIL "\n";
	static const char at_end[] = "79 ()) Z" STAT_TAIL;
	struct eg_proc_stat stat;

	(void)state;
	assert_int_equal(eg_proc_stat_parse(tricky, strlen(tricky), &stat, NULL), 0);
	assert_string_equal(stat.comm, "a) b (c");
	assert_int_equal(stat.state, 'R');
	assert_int_equal(stat.start_time, 123456);
	assert_int_equal(eg_proc_stat_parse(forged, strlen(forged), &stat, NULL), 0);
	assert_string_equal(stat.comm, "x) S 1 2 3 4 5");
	assert_int_equal(stat.parent_pid, 1);
	assert_int_equal(eg_proc_stat_parse(at_end, strlen(at_end), &stat, NULL), 0);
	assert_string_equal(stat.comm, ")");
	assert_int_equal(stat.start_time, 123456);
}

static void stat_rejects_malformed(void **state)
{
	static const struct {
		const char *line;
		const char *reason;
	} bad[] = {
	    {"", "empty"},
	    {"abc (x) S" STAT_TAIL, "field 1"},
	    {"0 (x) S" STAT_TAIL, "field 1"},
	    {"12 x) S" STAT_TAIL, "\" (\""},
	    {"12 (x S" STAT_TAIL, "closing ')'"},
	    {"12 (x)", "field 3"},
	    {"12 (x) 5" STAT_TAIL, "field 3"},
	    {"12 (x) SS" STAT_TAIL, "field 3"},
	    {"12 (x) S 1 2 3", "ends before field 7"},
	    {"12 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18", "ends before field 22"},
	    {"12 (x) S 1 2 z 4", "field 6 is not a number"},
	    {"12 (x) S 1  2", "field 5 is not a number"},
	    {"12 (x) S -1 2", "field 4 (ppid)"},
	    {"12 (x) S 99999999999 2", "field 4 (ppid)"},
	    {"12 (x) S 1 100 100 0 -1 4194560 80 0 0 0 1 2 0 0 20 0 1 0 -5", "field 22"},
	    {"12 (x) S 1 100 100 0 -1 4194560 80 0 0 0 1 2 0 0 20 0 1 0 99999999999999999999",
	     "field 22"},
	    {"12 (x) S 1 100 100 0 -1 4194560 80 0 0 0 1 2 0 0 20 0 1 0 12x", "field 22"},
	};
	struct eg_proc_stat stat = {.pid = 999};
	struct eg_error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eg_error_clear(&err);
		assert_int_equal(eg_proc_stat_parse(bad[i].line, strlen(bad[i].line), &stat, &err),
		                 -EINVAL);
		if (!strstr(err.message, bad[i].reason))
			fail_msg("line %zu: \"%s\" does not name \"%s\"", i, err.message,
			         bad[i].reason);
		assert_int_equal(stat.pid, 999);
	}
}

static void stat_rejects_nul_and_oversize(void **state)
{
	static const char with_nul[] = "12 (a\0b) S" STAT_TAIL;
	char *huge = malloc(EG_PROC_STAT_MAX + 1);
	struct eg_proc_stat stat;
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(eg_proc_stat_parse(with_nul, sizeof(with_nul) - 1, &stat, &err), -EINVAL);
	assert_non_null(strstr(err.message, "NUL"));
	assert_non_null(huge);
	memset(huge, '1', EG_PROC_STAT_MAX + 1);
	assert_int_equal(eg_proc_stat_parse(huge, EG_PROC_STAT_MAX + 1, &stat, &err), -E2BIG);
	/* Not NUL-terminated: the parser must stay inside length. */
	memcpy(huge, "12 (x) S", 8);
	assert_int_equal(eg_proc_stat_parse(huge, 8, &stat, &err), -EINVAL);
	free(huge);
}

static void stat_read_self_is_stable(void **state)
{
	struct eg_host_id host = host_from(HOST_TEXT);
	struct eg_proc_stat first, second;
	struct eg_entity_id a, b;

	(void)state;
	assert_int_equal(eg_proc_stat_read(NULL, getpid(), &first, NULL), 0);
	assert_int_equal(first.pid, getpid());
	assert_int_equal(first.parent_pid, getppid());
	assert_int_equal(eg_proc_stat_read(NULL, getpid(), &second, NULL), 0);
	assert_int_equal(first.start_time, second.start_time);
	assert_int_equal(eg_entity_id_make(&host, first.pid, first.start_time, 0, &a), 0);
	assert_int_equal(eg_entity_id_make(&host, second.pid, second.start_time, 0, &b), 0);
	assert_string_equal(a.text, b.text);
}

static void stat_read_checks_pid_and_errors(void **state)
{
	static const char line[] = "55 (a) b (c) S" STAT_TAIL "\n";
	char root[] = "/tmp/eg-proc-XXXXXX", directory[64], path[80];
	struct eg_proc_stat stat = {.pid = 999};
	struct eg_error err = {0};

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(directory, sizeof(directory), "%s/55", root);
	assert_int_equal(mkdir(directory, 0700), 0);
	snprintf(path, sizeof(path), "%s/stat", directory);
	write_file(path, line, strlen(line));
	assert_int_equal(eg_proc_stat_read(root, 55, &stat, &err), 0);
	assert_string_equal(stat.comm, "a) b (c");

	/* A stat file that names another pid is not this process's. */
	snprintf(directory, sizeof(directory), "%s/56", root);
	assert_int_equal(symlink("55", directory), 0);
	stat.pid = 999;
	assert_int_equal(eg_proc_stat_read(root, 56, &stat, &err), -EINVAL);
	assert_int_equal(stat.pid, 999);
	assert_int_equal(eg_proc_stat_read(root, 57, &stat, &err), -ENOENT);
	assert_int_equal(eg_proc_stat_read(root, 0, &stat, &err), -EINVAL);
	unlink(directory);
	unlink(path);
	snprintf(directory, sizeof(directory), "%s/55", root);
	rmdir(directory);
	rmdir(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(siphash128_matches_reference_vectors),
	    cmocka_unit_test(host_id_parses_machine_id),
	    cmocka_unit_test(host_id_rejects_malformed),
	    cmocka_unit_test(host_id_read_is_bounded),
	    cmocka_unit_test(entity_id_is_deterministic_and_distinct),
	    cmocka_unit_test(stat_parses_plain_line),
	    cmocka_unit_test(stat_comm_with_parentheses_and_spaces),
	    cmocka_unit_test(stat_rejects_malformed),
	    cmocka_unit_test(stat_rejects_nul_and_oversize),
	    cmocka_unit_test(stat_read_self_is_stable),
	    cmocka_unit_test(stat_read_checks_pid_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
