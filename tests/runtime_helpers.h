/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the entryguard-runtime tests (test_runtime_*.c): a
 * scratch folder, files, and running the built program with a clean
 * environment, its output and exit status collected. */
#ifndef ENTRYGUARD_TESTS_RUNTIME_HELPERS_H
#define ENTRYGUARD_TESTS_RUNTIME_HELPERS_H

#include <sys/types.h>

#include "tests/unit.h"

/* A new folder under /tmp (malloc'd path); remove_tree() removes it. */
char *scratch_new(void);
void remove_tree(const char *path);

/* dir/name, malloc'd. */
char *path_join(const char *dir, const char *name);
void write_file(const char *path, const char *text, mode_t mode);
/* The file's text, or NULL when it does not exist. */
char *read_text(const char *path);
/* The fixture's text (tests/fixtures/<name>). */
char *fixture_text(const char *name);

struct run_result {
	int status; /* as waitpid() gives it */
	pid_t pid;
	char *out, *err;
};
/* Runs EG_RUNTIME_BINARY with argv (argv[0] included, NULL-terminated) in
 * cwd (NULL: here), with an environment of only env ("NAME=value",
 * NULL-terminated, may be NULL) and a PATH (/usr/sbin:/usr/bin:/sbin:/bin
 * unless env has one). */
struct run_result run_wrapper(const char *const *argv, const char *const *env, const char *cwd);
void run_result_free(struct run_result *result);

/* Exit status 0..255 of a normal exit, or fails the test. */
int exit_code(const struct run_result *result);

#endif
