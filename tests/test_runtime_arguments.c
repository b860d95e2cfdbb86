/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading runtime command lines: every spelling of the global and create
 * options, and the exact lines conmon, containerd's runc shim and Docker
 * send (containerd's is tests/fixtures/containerd/runtime-argv.txt). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/cleanup.h"
#include "oci/runtime/runtime.h"
#include "tests/unit.h"

#define MAX_ARGUMENTS 64

struct expected {
	const char *command, *bundle, *config_file, *id;
	bool creates;
	size_t unknown;
};

/* argv from a space-separated line ("" for an empty argument). */
static int split(char *line, char **argv)
{
	int argc = 0;

	for (char *word = strtok(line, " "); word && argc < MAX_ARGUMENTS - 1;
	     word = strtok(NULL, " "))
		argv[argc++] = strcmp(word, "\"\"") ? word : (char *)"";
	argv[argc] = NULL;
	return argc;
}

static void same(const char *what, const char *got, const char *wanted, const char *line)
{
	if ((got == NULL) != (wanted == NULL) || (got && strcmp(got, wanted)))
		fail_msg("%s: %s is \"%s\", expected \"%s\"", line, what, got ? got : "(null)",
		         wanted ? wanted : "(null)");
}

static void expect_line(const char *text, struct expected wanted)
{
	_cleanup_free_ char *line = strdup(text);
	char *argv[MAX_ARGUMENTS];
	struct eg_runtime_arguments arguments;
	int argc;

	assert_non_null(line);
	argc = split(line, argv);
	eg_runtime_arguments_parse(argc, argv, &arguments);
	same("command", arguments.command, wanted.command, text);
	same("bundle", arguments.bundle, wanted.bundle, text);
	same("config file", arguments.config_file, wanted.config_file, text);
	same("id", arguments.id, wanted.id, text);
	if (arguments.creates != wanted.creates || arguments.unknown_options != wanted.unknown)
		fail_msg("%s: creates %d unknown %zu", text, arguments.creates,
		         arguments.unknown_options);
}

static void global_option_spellings(void **state)
{
	static const char *const lines[] = {
	    "rt create ID",
	    "rt --root /r create ID",
	    "rt --root=/r create ID",
	    "rt -root /r create ID",
	    "rt -root=/r create ID",
	    "rt --log /l --log-format json --debug create ID",
	    "rt --log=/l --log-format=json --systemd-cgroup create ID",
	    "rt --criu /usr/sbin/criu --rootless true create ID",
	    "rt --rootless=auto --cgroup-manager systemd --log-level=debug create ID",
	    "rt --cgroup-manager=disabled --log-level error create ID",
	    "rt --debug --systemd-cgroup --root create create ID", /* a root named "create" */
	    "rt --log create --log-format text create ID",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		expect_line(lines[i],
		            (struct expected){.command = "create", .id = "ID", .creates = true});
}

static void bundle_spellings(void **state)
{
	static const char *const lines[] = {
	    "rt create --bundle /b ID", "rt create --bundle=/b ID", "rt create -b /b ID",
	    "rt create -b=/b ID",       "rt create -b/b ID",        "rt create -bundle /b ID",
	    "rt create -bundle=/b ID",  "rt create ID --bundle /b", "rt create ID -b/b",
	    "rt run --bundle /b ID",    "rt run -d -b /b ID",       "rt create -b /x -b /b ID",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct expected wanted = {.command = strstr(lines[i], " run ") ? "run" : "create",
		                          .bundle = "/b",
		                          .id = "ID",
		                          .creates = true};

		expect_line(lines[i], wanted);
	}
	/* No bundle, or an empty one: the current directory. */
	expect_line("rt create ID",
	            (struct expected){.command = "create", .id = "ID", .creates = true});
	expect_line("rt create --bundle= ID",
	            (struct expected){.command = "create", .id = "ID", .creates = true});
	expect_line("rt create --bundle \"\" ID",
	            (struct expected){.command = "create", .id = "ID", .creates = true});
	/* crun's config file override */
	expect_line("rt create -f my.json -b /b ID", (struct expected){.command = "create",
	                                                               .bundle = "/b",
	                                                               .config_file = "my.json",
	                                                               .id = "ID",
	                                                               .creates = true});
	expect_line("rt create --config=/c.json ID", (struct expected){.command = "create",
	                                                               .config_file = "/c.json",
	                                                               .id = "ID",
	                                                               .creates = true});
}

static void create_options_with_values(void **state)
{
	(void)state;
	/* Values that look like ids or commands stay values. */
	expect_line(
	    "rt create --pid-file ID2 --console-socket /s --preserve-fds 3 -b /b ID",
	    (struct expected){.command = "create", .bundle = "/b", .id = "ID", .creates = true});
	expect_line("rt create --pidfd-socket /p --no-pivot --no-new-keyring --no-subreaper ID",
	            (struct expected){.command = "create", .id = "ID", .creates = true});
	expect_line(
	    "rt run --detach --keep -b /b ID",
	    (struct expected){.command = "run", .bundle = "/b", .id = "ID", .creates = true});
	expect_line(
	    "rt create -b /b -- ID",
	    (struct expected){.command = "create", .bundle = "/b", .id = "ID", .creates = true});
	expect_line(
	    "rt create -b /b -- -ID",
	    (struct expected){.command = "create", .bundle = "/b", .id = "-ID", .creates = true});
}

static void unknown_options(void **state)
{
	(void)state;
	/* An unknown global option takes the next word as its value unless that
	 * is a command; written with '=', it takes none. */
	expect_line(
	    "rt --future-flag value create -b /b ID",
	    (struct expected){
	        .command = "create", .bundle = "/b", .id = "ID", .creates = true, .unknown = 1});
	expect_line(
	    "rt --future-flag create -b /b ID",
	    (struct expected){
	        .command = "create", .bundle = "/b", .id = "ID", .creates = true, .unknown = 1});
	expect_line(
	    "rt --future=1 create -b /b ID",
	    (struct expected){
	        .command = "create", .bundle = "/b", .id = "ID", .creates = true, .unknown = 1});
	/* After the command: a flag; the id is the last positional, so a value
	 * it took by mistake does not become the id. */
	expect_line(
	    "rt create --new-thing v -b /b ID",
	    (struct expected){
	        .command = "create", .bundle = "/b", .id = "ID", .creates = true, .unknown = 1});
}

static void pass_through_commands(void **state)
{
	static const struct {
		const char *line, *command;
	} cases[] = {
	    {"rt", NULL},
	    {"rt --version", NULL},
	    {"rt -v", NULL},
	    {"rt -V", NULL},
	    {"rt --help", NULL},
	    {"rt -h", NULL},
	    {"rt --root /r start ID", "start"},
	    {"rt state ID", "state"},
	    {"rt kill ID SIGTERM", "kill"},
	    {"rt kill --all ID 9", "kill"},
	    {"rt delete --force ID", "delete"},
	    {"rt exec --process /p.json --detach --pid-file /x ID", "exec"},
	    {"rt features", "features"},
	    {"rt ps ID", "ps"},
	    {"rt events --stats ID", "events"},
	    {"rt pause ID", "pause"},
	    {"rt resume ID", "resume"},
	    {"rt update --memory 1M ID", "update"},
	    {"rt spec", "spec"},
	    {"rt checkpoint ID", "checkpoint"},
	    /* conmon restores with --bundle too, but CRIU brings the filter
	     * back: nothing to edit */
	    {"rt restore --bundle /b --detach --image-path /i --work-path /b ID", "restore"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_line(cases[i].line, (struct expected){.command = cases[i].command});
}

/* The argv containerd's runc shim sent, as captured: create, start,
 * delete, delete --force. */
static void containerd_fixture(void **state)
{
	_cleanup_fclose_ FILE *file = fopen(EG_FIXTURES_DIR "/containerd/runtime-argv.txt", "re");
	static const char *const commands[] = {"create", "start", "delete", "delete"};
	char line[4096];
	size_t count = 0;

	(void)state;
	assert_non_null(file);
	while (fgets(line, sizeof(line), file)) {
		char *argv[MAX_ARGUMENTS] = {(char *)"runc"};
		struct eg_runtime_arguments arguments;
		int argc = 1;

		/* "argv: [a] [b] ..." */
		for (char *open = strchr(line, '['); open && argc < MAX_ARGUMENTS - 1;
		     open = strchr(open + 1, '[')) {
			char *close = strchr(open, ']');

			assert_non_null(close);
			*close = '\0';
			argv[argc++] = open + 1;
			open = close;
		}
		eg_runtime_arguments_parse(argc, argv, &arguments);
		assert_true(count < 4);
		assert_string_equal(arguments.command, commands[count]);
		assert_int_equal(arguments.unknown_options, 0);
		assert_int_equal(arguments.creates, count == 0);
		if (count == 0)
			assert_string_equal(arguments.id, "egfix-containerd");
		if (count == 0)
			assert_string_equal(arguments.bundle,
			                    "/run/egfix-ctrd/state/"
			                    "io.containerd.runtime.v2.task/egfixture/"
			                    "egfix-containerd");
		count++;
	}
	assert_int_equal(count, 4);
}

/* conmon's configure_runtime_args() with Podman 4's runtime args, and the
 * shim's go-runc line under Docker (--rootless=... is go-runc's spelling). */
static void engine_lines(void **state)
{
	static const char id[] = "9d4c1b2e7f8a9d4c1b2e7f8a9d4c1b2e7f8a9d4c1b2e7f8a9d4c1b2e7f8a9d4c";
	static const char bundle[] = "/var/lib/containers/storage/overlay-containers/9d4c/userdata";
	char line[2048], docker_bundle[256];

	(void)state;
	/* Podman rootful (conmon: --systemd-cgroup, then --runtime-arg ones) */
	snprintf(line, sizeof(line),
	         "/usr/bin/entryguard-runtime --systemd-cgroup --log-format=json --log "
	         "%s/oci-log create --bundle %s --pid-file /run/containers/storage/"
	         "overlay-containers/9d4c/userdata/pidfile --no-new-keyring --console-socket "
	         "/tmp/conmon-term.XYZ --preserve-fds 1 %s",
	         bundle, bundle, id);
	expect_line(line, (struct expected){
	                      .command = "create", .bundle = bundle, .id = id, .creates = true});
	/* Podman rootless with crun's root */
	snprintf(line, sizeof(line),
	         "/usr/bin/entryguard-runtime --root=/run/user/1000/crun --log-format=json --log "
	         "%s/oci-log create --bundle %s --pid-file %s/pidfile --no-pivot %s",
	         bundle, bundle, bundle, id);
	expect_line(line, (struct expected){
	                      .command = "create", .bundle = bundle, .id = id, .creates = true});
	/* Docker 20+ through containerd-shim-runc-v2 */
	snprintf(docker_bundle, sizeof(docker_bundle),
	         "/run/containerd/io.containerd.runtime.v2.task/moby/%s", id);
	snprintf(line, sizeof(line),
	         "/usr/bin/entryguard-runtime --root /var/run/docker/runtime-runc/moby --log "
	         "%s/log.json --log-format json --systemd-cgroup --rootless=false create --bundle "
	         "%s --pid-file %s/init.pid --console-socket /tmp/pty1234/pty.sock %s",
	         docker_bundle, docker_bundle, docker_bundle, id);
	expect_line(line,
	            (struct expected){
	                .command = "create", .bundle = docker_bundle, .id = id, .creates = true});
}

static void config_json_path(void **state)
{
	static const struct {
		struct eg_runtime_arguments arguments;
		const char *path;
	} cases[] = {
	    {{.bundle = "/b"}, "/b/config.json"},
	    {{.bundle = NULL}, "./config.json"},
	    {{.bundle = "/b", .config_file = "c.json"}, "c.json"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *path = NULL;

		assert_int_equal(eg_runtime_config_json_path(&cases[i].arguments, &path, NULL), 0);
		assert_string_equal(path, cases[i].path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(global_option_spellings),
	    cmocka_unit_test(bundle_spellings),
	    cmocka_unit_test(create_options_with_values),
	    cmocka_unit_test(unknown_options),
	    cmocka_unit_test(pass_through_commands),
	    cmocka_unit_test(containerd_fixture),
	    cmocka_unit_test(engine_lines),
	    cmocka_unit_test(config_json_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
