/* SPDX-License-Identifier: GPL-2.0-or-later */
/* entryguard-runtime on every command but create: the real runtime runs in
 * its place (same pid) with the very same arguments, and its exit status,
 * signals and output are the caller's.  Which runtime: $ENTRYGUARD_RUNTIME,
 * runtime.path, then runc/crun on PATH; never the wrapper itself. */
#include "tests/runtime_helpers.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "oci/runtime/runtime.h"

/* Records its argv (one per line), its pid and its open fds, then does
 * what $FAKE_RUNTIME_DO says. */
static const char fake_runtime[] =
    "#!/bin/sh\n"
    "out=\"${0%/*}/runtime.out\"\n"
    ": >\"$out\"\n"
    "for argument in \"$0\" \"$@\"; do printf 'arg %s\\n' \"$argument\" >>\"$out\"; done\n"
    "printf 'pid %s\\n' $$ >>\"$out\"\n"
    "for fd in /proc/$$/fd/*; do printf 'fd %s\\n' \"$(readlink \"$fd\")\" >>\"$out\"; done\n"
    "echo \"runtime says hello\"\n"
    "echo \"runtime complains\" >&2\n"
    "case \"$FAKE_RUNTIME_DO\" in\n"
    "exit:*) exit \"${FAKE_RUNTIME_DO#exit:}\" ;;\n"
    "signal:*) kill -s \"${FAKE_RUNTIME_DO#signal:}\" $$ ;;\n"
    "esac\n"
    "exit 0\n";

struct setup {
	char *dir, *runtime, *config, *config_variable, *runtime_out;
};

static int setup(void **state)
{
	struct setup *s = calloc(1, sizeof(*s));
	_cleanup_free_ char *config_text = NULL;

	assert_non_null(s);
	s->dir = scratch_new();
	s->runtime = path_join(s->dir, "fake-runtime");
	s->config = path_join(s->dir, "entryguard.json");
	s->runtime_out = path_join(s->dir, "runtime.out");
	write_file(s->runtime, fake_runtime, 0755);
	assert_true(asprintf(&config_text, "{\"runtime\": {\"path\": \"%s\"}}", s->runtime) > 0);
	write_file(s->config, config_text, 0644);
	assert_true(asprintf(&s->config_variable, "ENTRYGUARD_CONFIG=%s", s->config) > 0);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct setup *s = *state;

	remove_tree(s->dir);
	free(s->dir);
	free(s->runtime);
	free(s->config);
	free(s->config_variable);
	free(s->runtime_out);
	free(s);
	return 0;
}

/* The "arg" lines the fake runtime wrote (next to itself). */
static void expect_arguments(const struct setup *s, const char *runtime, const char *const *argv)
{
	_cleanup_free_ char *folder = strndup(runtime, (size_t)(strrchr(runtime, '/') - runtime));
	_cleanup_free_ char *out = path_join(folder, "runtime.out");
	_cleanup_free_ char *recorded = read_text(out);
	char expected[4096] = "";
	size_t used = 0;

	(void)s;
	assert_non_null(recorded);
	used += (size_t)snprintf(expected + used, sizeof(expected) - used, "arg %s\n", runtime);
	for (size_t i = 1; argv[i]; i++)
		used +=
		    (size_t)snprintf(expected + used, sizeof(expected) - used, "arg %s\n", argv[i]);
	if (strncmp(recorded, expected, used) || strncmp(recorded + used, "pid ", 4))
		fail_msg("recorded:\n%s\nexpected:\n%s", recorded, expected);
}

static void every_command_passes_through(void **state)
{
	static const char *const lines[][8] = {
	    {"entryguard-runtime", NULL},
	    {"entryguard-runtime", "--version", NULL},
	    {"entryguard-runtime", "-v", NULL},
	    {"entryguard-runtime", "--help", NULL},
	    {"entryguard-runtime", "--root", "/run/x", "start", "ID", NULL},
	    {"entryguard-runtime", "state", "ID", NULL},
	    {"entryguard-runtime", "kill", "ID", "SIGTERM", NULL},
	    {"entryguard-runtime", "delete", "--force", "ID", NULL},
	    {"entryguard-runtime", "exec", "--process", "/p.json", "--detach", "ID", NULL},
	    {"entryguard-runtime", "features", NULL},
	    {"entryguard-runtime", "ps", "ID", NULL},
	    {"entryguard-runtime", "events", "--stats", "ID", NULL},
	    {"entryguard-runtime", "pause", "ID", NULL},
	    {"entryguard-runtime", "resume", "ID", NULL},
	    {"entryguard-runtime", "update", "--memory", "1M", "ID", NULL},
	    {"entryguard-runtime", "spec", NULL},
	    {"entryguard-runtime", "checkpoint", "ID", NULL},
	    {"entryguard-runtime", "restore", "--bundle", "/nowhere", "ID", NULL},
	    {"entryguard-runtime", "--log-format=json", "list", "with space", "", NULL},
	};
	struct setup *s = *state;

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		const char *const env[] = {s->config_variable, NULL};
		struct run_result result = run_wrapper(lines[i], env, NULL);

		assert_int_equal(exit_code(&result), 0);
		assert_string_equal(result.out, "runtime says hello\n");
		assert_string_equal(result.err, "runtime complains\n");
		expect_arguments(s, s->runtime, lines[i]);
		run_result_free(&result);
	}
}

static void exit_status_and_signals_are_the_runtimes(void **state)
{
	static const struct {
		const char *what;
		int code, signal;
	} cases[] = {
	    {"FAKE_RUNTIME_DO=exit:3", 3, 0},
	    {"FAKE_RUNTIME_DO=exit:255", 255, 0},
	    {"FAKE_RUNTIME_DO=exit:1", 1, 0},
	    {"FAKE_RUNTIME_DO=signal:TERM", 0, SIGTERM},
	    {"FAKE_RUNTIME_DO=signal:KILL", 0, SIGKILL},
	};
	const char *const argv[] = {"entryguard-runtime", "state", "ID", NULL};
	struct setup *s = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const env[] = {s->config_variable, cases[i].what, NULL};
		struct run_result result = run_wrapper(argv, env, NULL);

		if (cases[i].signal) {
			assert_true(WIFSIGNALED(result.status));
			assert_int_equal(WTERMSIG(result.status), cases[i].signal);
		} else {
			assert_int_equal(exit_code(&result), cases[i].code);
		}
		run_result_free(&result);
	}
}

/* The runtime is the wrapper's process (execv, not a child), and it gets
 * no fd of the wrapper's (syslog socket, config file). */
static void the_runtime_replaces_the_wrapper(void **state)
{
	const char *const argv[] = {"entryguard-runtime", "state", "ID", NULL};
	struct setup *s = *state;
	const char *const env[] = {s->config_variable, NULL};
	struct run_result result = run_wrapper(argv, env, NULL);
	_cleanup_free_ char *recorded = read_text(s->runtime_out);

	char pid_line[32];

	assert_int_equal(exit_code(&result), 0);
	assert_non_null(recorded);
	snprintf(pid_line, sizeof(pid_line), "\npid %d\n", (int)result.pid);
	assert_non_null(strstr(recorded, pid_line));
	assert_null(strstr(recorded, "fd socket:"));
	assert_null(strstr(recorded, "entryguard.json"));
	run_result_free(&result);
}

static void finds_the_runtime(void **state)
{
	struct setup *s = *state;
	_cleanup_free_ char *bin = path_join(s->dir, "bin"), *runc = NULL, *crun = NULL;
	_cleanup_free_ char *path = NULL, *broken = path_join(s->dir, "broken.json");
	_cleanup_free_ char *broken_variable = NULL, *explicit_variable = NULL;
	const char *const argv[] = {"entryguard-runtime", "state", "ID", NULL};
	struct run_result result;

	assert_int_equal(mkdir(bin, 0755), 0);
	runc = path_join(bin, "runc");
	crun = path_join(bin, "crun");
	write_file(crun, fake_runtime, 0755);
	/* Only our folder: a machine may have runc in /usr/bin too (Debian
	 * links it there), and runc comes before crun within $PATH. */
	assert_true(asprintf(&path, "PATH=/nonexistent:%s", bin) > 0);
	/* A config that cannot be read does not stop `state`: the default
	 * runtime, from PATH: crun when there is no runc... */
	write_file(broken, "{\"mode\": \"blok\"}", 0644);
	assert_true(asprintf(&broken_variable, "ENTRYGUARD_CONFIG=%s", broken) > 0);
	{
		const char *const env[] = {path, broken_variable, NULL};

		result = run_wrapper(argv, env, NULL);
		assert_int_equal(exit_code(&result), 0);
		expect_arguments(s, crun, argv);
		run_result_free(&result);
		/* ...and runc first when both are there */
		write_file(runc, fake_runtime, 0755);
		result = run_wrapper(argv, env, NULL);
		assert_int_equal(exit_code(&result), 0);
		expect_arguments(s, runc, argv);
		run_result_free(&result);
	}
	/* $ENTRYGUARD_RUNTIME before runtime.path */
	assert_true(asprintf(&explicit_variable, "ENTRYGUARD_RUNTIME=%s", crun) > 0);
	{
		const char *const env[] = {s->config_variable, explicit_variable, NULL};

		result = run_wrapper(argv, env, NULL);
		assert_int_equal(exit_code(&result), 0);
		expect_arguments(s, crun, argv);
		run_result_free(&result);
	}
}

/* runtime.path naming the wrapper (directly or through a link) would loop
 * forever: refused, exit 127. */
static void never_runs_itself(void **state)
{
	struct setup *s = *state;
	_cleanup_free_ char *link = path_join(s->dir, "runc-link");
	const char *const argv[] = {"entryguard-runtime", "state", "ID", NULL};
	const char *const targets[] = {EG_RUNTIME_BINARY, link, "/nonexistent/runc"};

	assert_int_equal(symlink(EG_RUNTIME_BINARY, link), 0);
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *text = NULL;
		struct run_result result;
		const char *const env[] = {s->config_variable, NULL};

		assert_true(asprintf(&text, "{\"runtime\": {\"path\": \"%s\"}}", targets[i]) > 0);
		write_file(s->config, text, 0644);
		result = run_wrapper(argv, env, NULL);
		assert_int_equal(exit_code(&result), 127);
		assert_non_null(strstr(result.err, i < 2 ? "is entryguard-runtime itself"
		                                         : "No such file or directory"));
		assert_non_null(strstr(result.err, "entryguard-runtime: runtime.path: "));
		run_result_free(&result);
	}
}

/* The same rules, called directly. */
static void find_in_process(void **state)
{
	struct setup *s = *state;
	_cleanup_free_ char *found = NULL, *self = NULL;
	struct eg_error err = {0};
	char buffer[4096];
	ssize_t length = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);

	assert_true(length > 0);
	buffer[length] = '\0';
	self = strdup(buffer);
	assert_true(eg_runtime_is_self(self));
	assert_true(eg_runtime_is_self("/proc/self/exe"));
	assert_false(eg_runtime_is_self(s->runtime));
	unsetenv("ENTRYGUARD_RUNTIME");
	assert_int_equal(eg_real_runtime_find(s->runtime, &found, &err), 0);
	assert_string_equal(found, s->runtime);
	assert_int_equal(eg_real_runtime_find(self, &found, &err), -ELOOP);
	assert_int_equal(eg_real_runtime_find("relative/runc", &found, &err), -EINVAL);
	assert_string_equal(err.message, "runtime.path: \"relative/runc\" is not an absolute path");
	assert_int_equal(eg_real_runtime_find(s->dir, &found, &err), -EACCES);
	setenv("ENTRYGUARD_RUNTIME", "runc", 1);
	assert_int_equal(eg_real_runtime_find(NULL, &found, &err), -EINVAL);
	unsetenv("ENTRYGUARD_RUNTIME");
	/* PATH empty: the fallback folders; this machine may have none. */
	setenv("PATH", "", 1);
	free(found);
	found = NULL;
	if (eg_real_runtime_find(NULL, &found, &err) == 0)
		assert_true(strstr(found, "/runc") || strstr(found, "/crun"));
	else
		assert_non_null(strstr(err.message, "no runtime found"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(every_command_passes_through, setup, teardown),
	    cmocka_unit_test_setup_teardown(exit_status_and_signals_are_the_runtimes, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(the_runtime_replaces_the_wrapper, setup, teardown),
	    cmocka_unit_test_setup_teardown(finds_the_runtime, setup, teardown),
	    cmocka_unit_test_setup_teardown(never_runs_itself, setup, teardown),
	    cmocka_unit_test_setup_teardown(find_in_process, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
