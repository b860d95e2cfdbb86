/* SPDX-License-Identifier: GPL-2.0-or-later */
/* entryguard-runtime on create and run, with a fake runtime (it records
 * its argv and the config.json it is given) and a fake monitor (it records
 * its arguments and says "ready", "error: ..." or nothing): the edit, the
 * monitor ready before the runtime runs, every bundle spelling, the modes,
 * and the failure policy (block: not started; detect: started untouched). */
#include "tests/runtime_helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "entryguard/cleanup.h"
#include "entryguard/entity.h"
#include "entryguard/json.h"
#include "entryguard/oci.h"

static const char fake_runtime[] =
    "#!/bin/sh\n"
    "dir=\"${0%/*}\"\n"
    "for argument in \"$0\" \"$@\"; do printf '%s\\n' \"$argument\"; done >\"$dir/runtime.out\"\n"
    "if [ -e \"$dir/listening\" ]; then echo yes; else echo no; fi >\"$dir/listening.seen\"\n"
    "cp \"$FAKE_CONFIG_JSON\" \"$dir/seen.json\" 2>/dev/null\n"
    "exit 0\n";

static const char fake_monitor[] =
    "#!/bin/sh\n"
    "dir=\"${0%/*}\"\n"
    "for argument in \"$@\"; do printf '%s\\n' \"$argument\"; done >\"$dir/monitor.args\"\n"
    "case \"$FAKE_MONITOR_DO\" in\n"
    "error) printf 'error: no listen mode here\\n' >&3; exit 1 ;;\n"
    "die) exit 3 ;;\n"
    "esac\n"
    "touch \"$dir/listening\"\n"
    "printf 'ready\\n' >&3\n";

struct setup {
	char *dir, *bundle, *run, *config, *config_json;
	char *variables[5]; /* ENTRYGUARD_CONFIG, _RUN_DIR, _MONITOR, FAKE_CONFIG_JSON */
};

static char *variable(const char *name, const char *value)
{
	char *text;

	assert_true(asprintf(&text, "%s=%s", name, value) > 0);
	return text;
}

static void set_config(struct setup *s, const char *settings)
{
	_cleanup_free_ char *runtime = path_join(s->dir, "fake-runtime"), *text = NULL;

	assert_true(asprintf(&text, "{%s%s\"runtime\": {\"path\": \"%s\"}}", settings,
	                     *settings ? ", " : "", runtime) > 0);
	write_file(s->config, text, 0644);
}

static int setup(void **state)
{
	struct setup *s = calloc(1, sizeof(*s));
	_cleanup_free_ char *runtime = NULL, *monitor = NULL;

	assert_non_null(s);
	s->dir = scratch_new();
	s->bundle = path_join(s->dir, "bundle");
	s->run = path_join(s->dir, "run");
	s->config = path_join(s->dir, "entryguard.json");
	s->config_json = path_join(s->bundle, "config.json");
	runtime = path_join(s->dir, "fake-runtime");
	monitor = path_join(s->dir, "entryguard-monitor");
	assert_int_equal(mkdir(s->bundle, 0755), 0);
	write_file(runtime, fake_runtime, 0755);
	write_file(monitor, fake_monitor, 0755);
	set_config(s, "\"mode\": \"block\"");
	s->variables[0] = variable("ENTRYGUARD_CONFIG", s->config);
	s->variables[1] = variable("ENTRYGUARD_RUN_DIR", s->run);
	s->variables[2] = variable("ENTRYGUARD_MONITOR", monitor);
	s->variables[3] = variable("FAKE_CONFIG_JSON", s->config_json);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct setup *s = *state;

	remove_tree(s->dir);
	free(s->dir);
	free(s->bundle);
	free(s->run);
	free(s->config);
	free(s->config_json);
	for (size_t i = 0; i < 4; i++)
		free(s->variables[i]);
	free(s);
	return 0;
}

/* Forgets what the fakes recorded in an earlier run. */
static void reset(struct setup *s)
{
	static const char *const names[] = {"runtime.out", "listening", "listening.seen",
	                                    "seen.json", "monitor.args"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		_cleanup_free_ char *path = path_join(s->dir, names[i]);
		unlink(path);
	}
	remove_tree(s->run);
}

/* Runs the wrapper with the setup's variables and extra ones. */
static struct run_result run(struct setup *s, const char *const *argv, const char *extra,
                             const char *cwd)
{
	const char *env[] = {s->variables[0], s->variables[1], s->variables[2],
	                     s->variables[3], extra,           NULL};

	reset(s);
	return run_wrapper(argv, env, cwd);
}

static char *recorded(const struct setup *s, const char *name)
{
	_cleanup_free_ char *path = path_join(s->dir, name);

	return read_text(path);
}

/* The edit as the runtime saw it: parses, names our listener and mode, and
 * carries the hook with our environment. */
static void check_seen(struct setup *s, const char *id, const char *mode)
{
	_cleanup_free_ char *seen = recorded(s, "seen.json"), *listener = NULL, *metadata = NULL;
	_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
	_cleanup_free_ char *listening = recorded(s, "listening.seen");
	struct eg_error err = {0};

	assert_non_null(seen);
	if (eg_oci_spec_parse("seen.json", seen, strlen(seen), &spec, &err) < 0)
		fail_msg("%s", err.message);
	assert_true(asprintf(&listener, "%s/%s/seccomp.sock", s->run, id) > 0);
	assert_true(asprintf(&metadata, "mode=%s", mode) > 0);
	assert_string_equal(spec->seccomp.listener_path, listener);
	assert_string_equal(spec->seccomp.listener_metadata, metadata);
	assert_non_null(strstr(seen, "\"entryguard-hook\",\"createRuntime\"],\"env\":["));
	assert_non_null(strstr(seen, s->variables[0]));
	assert_non_null(strstr(seen, s->variables[1]));
	/* the monitor was listening before the runtime started */
	assert_string_equal(listening, "yes\n");
}

static void check_monitor_arguments(struct setup *s, const char *id)
{
	_cleanup_free_ char *arguments = recorded(s, "monitor.args"), *expected = NULL;

	assert_true(
	    asprintf(&expected,
	             "--listen\n%s/%s/seccomp.sock\n--container-dir\n%s/%s\n--ready-fd\n3\n",
	             s->run, id, s->run, id) > 0);
	assert_non_null(arguments);
	assert_string_equal(arguments, expected);
}

/* The runtime got the very same arguments. */
static void check_runtime_arguments(struct setup *s, const char *const *argv)
{
	_cleanup_free_ char *arguments = recorded(s, "runtime.out");
	_cleanup_free_ char *runtime = path_join(s->dir, "fake-runtime");
	char expected[4096];
	size_t used = (size_t)snprintf(expected, sizeof(expected), "%s\n", runtime);

	for (size_t i = 1; argv[i]; i++)
		used += (size_t)snprintf(expected + used, sizeof(expected) - used, "%s\n", argv[i]);
	assert_non_null(arguments);
	assert_string_equal(arguments, expected);
}

static void creates_on_every_fixture(void **state)
{
	static const char *const fixtures[] = {
	    "runc/config.json",
	    "crun/config.json",
	    "podman-crun/config.json",
	    "podman-runc/config.json",
	    "podman-rootless/config.json",
	    "containerd/config.json",
	    "containerd/config-pre-injection.json",
	};
	struct setup *s = *state;

	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		_cleanup_free_ char *text = fixture_text(fixtures[i]), *pid_file = NULL;
		char id[32];
		struct stat status;
		struct run_result result;

		snprintf(id, sizeof(id), "egtest-%zu", i);
		pid_file = path_join(s->dir, "pid");
		write_file(s->config_json, text, 0640);
		{
			const char *const argv[] = {"entryguard-runtime",
			                            "--root",
			                            "/run/r",
			                            "--log-format=json",
			                            "create",
			                            "--bundle",
			                            s->bundle,
			                            "--pid-file",
			                            pid_file,
			                            id,
			                            NULL};

			result = run(s, argv, NULL, NULL);
			if (exit_code(&result) != 0)
				fail_msg("%s: exit %d: %s", fixtures[i], exit_code(&result),
				         result.err);
			assert_string_equal(result.err,
			                    ""); /* nothing on stderr when all is well */
			check_runtime_arguments(s, argv);
		}
		check_monitor_arguments(s, id);
		check_seen(s, id, "block");
		assert_int_equal(stat(s->config_json, &status), 0);
		assert_int_equal(status.st_mode & 07777, 0640);
		run_result_free(&result);
	}
}

static void finds_the_bundle_in_every_spelling(void **state)
{
	struct setup *s = *state;
	_cleanup_free_ char *text = fixture_text("runc/config.json");
	_cleanup_free_ char *equals = NULL, *attached = NULL, *other = NULL, *other_variable = NULL;
	const char *lines[6][7] = {
	    {"entryguard-runtime", "create", "--bundle", s->bundle, "c1", NULL},
	    {"entryguard-runtime", "create", NULL, "c2", NULL},
	    {"entryguard-runtime", "create", "-b", s->bundle, "c3", NULL},
	    {"entryguard-runtime", "create", NULL, "c4", NULL},
	    {"entryguard-runtime", "create", "c5", "--bundle", s->bundle, NULL},
	    {"entryguard-runtime", "run", "--detach", "--bundle", s->bundle, "c6", NULL},
	};

	assert_true(asprintf(&equals, "--bundle=%s", s->bundle) > 0);
	assert_true(asprintf(&attached, "-b%s", s->bundle) > 0); /* crun's spelling */
	lines[1][2] = equals;
	lines[3][2] = attached;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct run_result result;
		char id[4];

		write_file(s->config_json, text, 0644);
		result = run(s, lines[i], NULL, NULL);
		assert_int_equal(exit_code(&result), 0);
		snprintf(id, sizeof(id), "c%zu", i + 1);
		check_seen(s, id, "block");
		run_result_free(&result);
	}
	/* No --bundle: the current directory. */
	{
		const char *const argv[] = {"entryguard-runtime", "create", "c7", NULL};
		struct run_result result;

		write_file(s->config_json, text, 0644);
		result = run(s, argv, NULL, s->bundle);
		assert_int_equal(exit_code(&result), 0);
		check_seen(s, "c7", "block");
		run_result_free(&result);
	}
	/* crun's --config: that file, relative to the current directory. */
	other = path_join(s->dir, "other.json");
	other_variable = variable("FAKE_CONFIG_JSON", other);
	write_file(other, text, 0644);
	write_file(s->config_json, "not even JSON", 0644);
	{
		const char *const argv[] = {"entryguard-runtime", "create",  "-f", "other.json",
		                            "--bundle",           s->bundle, "c8", NULL};
		const char *env[] = {s->variables[0], s->variables[1], s->variables[2],
		                     other_variable, NULL};
		struct run_result result;

		reset(s);
		result = run_wrapper(argv, env, s->dir);
		assert_int_equal(exit_code(&result), 0);
		check_seen(s, "c8", "block");
		run_result_free(&result);
	}
}

static bool seen_contains(struct setup *s, const char *text)
{
	_cleanup_free_ char *seen = recorded(s, "seen.json");

	assert_non_null(seen);
	return strstr(seen, text) != NULL;
}

static void modes(void **state)
{
	struct setup *s = *state;
	_cleanup_free_ char *text = fixture_text("runc/config.json");
	const char *const argv[] = {"entryguard-runtime", "create", "-b", s->bundle, "m1", NULL};
	struct run_result result;

	/* detect: watched, io_uring left alone */
	set_config(s, "\"mode\": \"detect\"");
	write_file(s->config_json, text, 0644);
	result = run(s, argv, NULL, NULL);
	assert_int_equal(exit_code(&result), 0);
	check_seen(s, "m1", "detect");
	assert_false(seen_contains(s, "io_uring_setup"));
	run_result_free(&result);
	/* kill: io_uring_setup denied */
	set_config(s, "\"mode\": \"kill\"");
	write_file(s->config_json, text, 0644);
	result = run(s, argv, NULL, NULL);
	assert_int_equal(exit_code(&result), 0);
	check_seen(s, "m1", "kill");
	assert_true(seen_contains(s,
	                          "{\"names\":[\"io_uring_setup\"],\"action\":\"SCMP_ACT_ERRNO\","
	                          "\"errnoRet\":1}"));
	run_result_free(&result);
	/* off: config.json untouched, no monitor */
	set_config(s, "\"mode\": \"off\"");
	write_file(s->config_json, text, 0644);
	result = run(s, argv, NULL, NULL);
	assert_int_equal(exit_code(&result), 0);
	assert_true(
	    seen_contains(s, "\"listenerPath\": \"/tmp/egfixture/runc/bundle/listener.sock\""));
	assert_null(recorded(s, "monitor.args"));
	run_result_free(&result);
}

static void annotation_changes_the_mode(void **state)
{
	struct setup *s = *state;
	const char *const argv[] = {"entryguard-runtime", "create", "-b", s->bundle, "a1", NULL};
	static const char off[] =
	    "{\"ociVersion\":\"1.0.2\",\"annotations\":{\"io.entryguard.mode\":\"off\"}}";
	static const char kill_mode[] =
	    "{\"ociVersion\":\"1.0.2\",\"annotations\":{\"io.entryguard.mode\":\"kill\"}}";
	struct run_result result;
	_cleanup_free_ char *seen = NULL;

	set_config(s, "\"mode\": \"block\", \"allow_annotation_mode\": \"any\"");
	write_file(s->config_json, off, 0644);
	result = run(s, argv, NULL, NULL);
	assert_int_equal(exit_code(&result), 0);
	seen = recorded(s, "seen.json");
	assert_string_equal(seen, off);
	run_result_free(&result);
	/* raise only: kill is honoured; under never it is not even read */
	set_config(s, "\"mode\": \"block\", \"allow_annotation_mode\": \"raise\"");
	write_file(s->config_json, kill_mode, 0644);
	result = run(s, argv, NULL, NULL);
	assert_int_equal(exit_code(&result), 0);
	check_seen(s, "a1", "kill");
	run_result_free(&result);
	set_config(s, "\"mode\": \"block\"");
	write_file(s->config_json, kill_mode, 0644);
	result = run(s, argv, NULL, NULL);
	assert_int_equal(exit_code(&result), 0);
	check_seen(s, "a1", "block");
	run_result_free(&result);
}

/* Block: exit 1, the runtime never runs, config.json and the run folder as
 * they were, one line on stderr.  Detect: the runtime runs untouched. */
static void expect_failure(struct setup *s, const char *const *argv, const char *extra,
                           const char *content, const char *message)
{
	static const char *const modes[] = {"block", "detect"};

	for (size_t m = 0; m < 2; m++) {
		_cleanup_free_ char *settings = NULL, *after = NULL, *seen = NULL;
		struct run_result result;
		const char *tail = m == 0 ? "(block mode: the container is not started)\n"
		                          : "(detect mode: the runtime runs with config.json "
		                            "untouched)\n";

		assert_true(asprintf(&settings, "\"mode\": \"%s\"", modes[m]) > 0);
		set_config(s, settings);
		if (content)
			write_file(s->config_json, content, 0644);
		result = run(s, argv, extra, NULL);
		if (!strstr(result.err, message) ||
		    strchr(result.err, '\n') != strrchr(result.err, '\n') ||
		    strlen(result.err) < strlen(tail) ||
		    strcmp(result.err + strlen(result.err) - strlen(tail), tail) ||
		    strncmp(result.err, "entryguard-runtime: container ", 30))
			fail_msg("%s mode: stderr \"%s\" lacks \"%s\"", modes[m], result.err,
			         message);
		seen = recorded(s, "seen.json");
		if (m == 0) {
			assert_int_equal(exit_code(&result), 1);
			assert_null(recorded(s, "runtime.out"));
		} else {
			assert_int_equal(exit_code(&result), 0);
			assert_true(content ? seen && !strcmp(seen, content) : !seen);
		}
		after = read_text(s->config_json);
		assert_true(content ? after && !strcmp(after, content) : !after);
		if (argv[4] && eg_oci_id_is_valid(argv[4])) {
			_cleanup_free_ char *container_dir = path_join(s->run, argv[4]);
			assert_int_equal(access(container_dir, F_OK), -1);
		}
		run_result_free(&result);
	}
}

static void malformed_config_json(void **state)
{
	struct setup *s = *state;
	const char *const argv[] = {"entryguard-runtime", "create", "-b", s->bundle, "bad", NULL};
	_cleanup_free_ char *huge = malloc(5u * 1024u * 1024u);
	static const char *const cases[][2] = {
	    {"{", "invalid JSON"},
	    {"[]", "expected an object, got an array"},
	    {"{\"linux\":{}}", "ociVersion: missing"},
	    {"{\"ociVersion\":\"1.0\",\"linux\":{\"seccomp\":[]}}",
	     "linux.seccomp: expected an object, got an array"},
	    {"{\"ociVersion\":\"1.0\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	     "\"syscalls\":{}}}}",
	     "linux.seccomp.syscalls: expected an array, got an object"},
	    {"{\"ociVersion\":\"1.0\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	     "\"syscalls\":[{\"names\":[\"connect\",7],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
	     "linux.seccomp.syscalls[0].names[1]: expected a string, got a number"},
	    {"{\"ociVersion\":\"1.0\",\"hooks\":[]}", "hooks: expected an object, got an array"},
	    {"{\"ociVersion\":\"1.0\",\"process\":{\"args\":[\"a\\u0000b\"]}}", "\\u0000"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_failure(s, argv, NULL, cases[i][0], cases[i][1]);
	assert_non_null(huge);
	memset(huge, ' ', 5u * 1024u * 1024u - 1);
	memcpy(huge, "{\"ociVersion\":\"1.0\"}", 20);
	huge[5u * 1024u * 1024u - 1] = '\0';
	expect_failure(s, argv, NULL, huge, "input is larger than 4194304 bytes");
	unlink(s->config_json);
	expect_failure(s, argv, NULL, NULL, "config.json: cannot open: No such file or directory");
}

static void monitor_failures(void **state)
{
	struct setup *s = *state;
	_cleanup_free_ char *text = fixture_text("podman-crun/config.json");
	const char *const argv[] = {"entryguard-runtime", "create", "-b", s->bundle, "mon", NULL};

	expect_failure(s, argv, "FAKE_MONITOR_DO=error", text,
	               "the monitor failed: no listen mode here");
	expect_failure(s, argv, "FAKE_MONITOR_DO=die", text, "exited before it was ready");
}

static void bad_ids_and_paths(void **state)
{
	struct setup *s = *state;
	_cleanup_free_ char *text = fixture_text("runc/config.json");
	const char *const dots[] = {"entryguard-runtime", "create", "-b", s->bundle, "..", NULL};
	const char *const slash[] = {"entryguard-runtime", "create", "-b", s->bundle, "a/b", NULL};
	const char *const none[] = {"entryguard-runtime", "create", "-b", s->bundle, NULL};
	const char *const long_id[] = {"entryguard-runtime",
	                               "create",
	                               "-b",
	                               s->bundle,
	                               "0123456789012345678901234567890123456789012345678901234567"
	                               "890123456789012345678901234567890123456789",
	                               NULL};

	expect_failure(s, dots, NULL, text, "container id \"..\" is not a valid folder name");
	expect_failure(s, slash, NULL, text, "container id \"a/b\" is not a valid folder name");
	expect_failure(s, none, NULL, text, "no container id on the command line");
	expect_failure(s, long_id, NULL, text, "longer than a unix socket's 107 bytes");
}

/* A config file that cannot be read leaves the mode unknown: the runtime
 * runs untouched ($ENTRYGUARD_RUNTIME names it), loudly. */
static void unreadable_config(void **state)
{
	struct setup *s = *state;
	_cleanup_free_ char *text = fixture_text("runc/config.json"), *seen = NULL;
	_cleanup_free_ char *runtime = path_join(s->dir, "fake-runtime"), *runtime_variable = NULL;
	const char *const argv[] = {"entryguard-runtime", "create", "-b", s->bundle, "u1", NULL};
	struct run_result result;

	write_file(s->config, "{\"mode\": \"blok\"}", 0644);
	write_file(s->config_json, text, 0644);
	runtime_variable = variable("ENTRYGUARD_RUNTIME", runtime);
	result = run(s, argv, runtime_variable, NULL);
	assert_int_equal(exit_code(&result), 0);
	assert_non_null(strstr(result.err, "mode: expected one of off, detect, block, kill"));
	assert_non_null(strstr(result.err, "(mode unknown: the container starts unwatched)"));
	seen = recorded(s, "seen.json");
	assert_string_equal(seen, text);
	run_result_free(&result);
}

/* <run>/<id> of a live monitor: not taken over.  One whose monitor is gone
 * (a reused id) is replaced, its socket too. */
static void claims_the_container_folder(void **state)
{
	struct setup *s = *state;
	_cleanup_free_ char *text = fixture_text("runc/config.json");
	_cleanup_free_ char *folder = path_join(s->run, "busy"), *pid_file = NULL;
	_cleanup_free_ char *socket_file = NULL,
	                    *sleeper = path_join(s->dir, "entryguard-monitor.d");
	_cleanup_free_ char *link = NULL, *line = NULL;
	const char *const argv[] = {"entryguard-runtime", "create", "-b", s->bundle, "busy", NULL};
	struct eg_proc_stat status;
	struct run_result result;
	int exec_done[2];
	char byte;
	pid_t pid;

	/* A live process whose name is a monitor's: a link named like one. */
	assert_int_equal(mkdir(sleeper, 0755), 0);
	link = path_join(sleeper, "entryguard-monitor");
	assert_int_equal(symlink("/bin/sleep", link), 0);
	assert_int_equal(pipe2(exec_done, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(link, "entryguard-monitor", "30", (char *)NULL);
		_exit(127);
	}
	/* EOF once the exec closed the write end: comm is the link's name. */
	close(exec_done[1]);
	assert_int_equal(read(exec_done[0], &byte, 1), 0);
	close(exec_done[0]);
	assert_int_equal(eg_proc_stat_read(NULL, pid, &status, NULL), 0);
	assert_string_equal(status.comm, "entryguard-moni");
	reset(s);
	assert_int_equal(mkdir(s->run, 0755), 0);
	assert_int_equal(mkdir(folder, 0700), 0);
	pid_file = path_join(folder, "monitor.pid");
	assert_true(asprintf(&line, "%d %llu\n", (int)pid, (unsigned long long)status.start_time) >
	            0);
	write_file(pid_file, line, 0644);
	write_file(s->config_json, text, 0644);
	{
		const char *env[] = {s->variables[0], s->variables[1], s->variables[2],
		                     s->variables[3], NULL};

		result = run_wrapper(argv, env, NULL);
	}
	assert_int_equal(exit_code(&result), 1);
	assert_non_null(strstr(result.err, "a live monitor already watches"));
	run_result_free(&result);
	/* Once it is gone, the folder is stale and taken over. */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	socket_file = path_join(folder, "seccomp.sock");
	write_file(socket_file, "", 0600);
	{
		const char *env[] = {s->variables[0], s->variables[1], s->variables[2],
		                     s->variables[3], NULL};

		result = run_wrapper(argv, env, NULL);
	}
	assert_int_equal(exit_code(&result), 0);
	check_seen(s, "busy", "block");
	run_result_free(&result);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(creates_on_every_fixture, setup, teardown),
	    cmocka_unit_test_setup_teardown(finds_the_bundle_in_every_spelling, setup, teardown),
	    cmocka_unit_test_setup_teardown(modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(annotation_changes_the_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(malformed_config_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(monitor_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(bad_ids_and_paths, setup, teardown),
	    cmocka_unit_test_setup_teardown(unreadable_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(claims_the_container_folder, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
