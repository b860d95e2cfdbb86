/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reading a runtime command line the way runc (urfave/cli over Go's flag
 * package) and crun (argp) read it, without changing a byte of it:
 *
 *   runtime [GLOBAL OPTIONS] COMMAND [COMMAND OPTIONS] [ID]
 *
 * Go's flag accepts `--opt X`, `--opt=X`, `-opt X`, `-opt=X`; argp accepts
 * `--opt X`, `--opt=X` and, for a short option, `-bX`.  A boolean option
 * never takes the next argument.  Go stops at the first non-option; argp
 * (crun create uses ARGP_IN_ORDER) goes on, so options after the id are
 * read too.  argp's unique-prefix abbreviations (`--bund`) are not: no
 * engine sends them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/cleanup.h"
#include "oci/runtime/runtime.h"

struct option_spec {
	const char *name; /* long name, or NULL */
	char letter;      /* short name, or 0 */
	bool takes_value;
};

/* runc 1.1 (main.go) and crun 1.8 (src/crun.c) global options. */
static const struct option_spec global_options[] = {
    {"root", 0, true},           {"log", 0, true},        {"log-format", 0, true},
    {"log-level", 0, true},      {"criu", 0, true},       {"rootless", 0, true},
    {"cgroup-manager", 0, true}, {"debug", 0, false},     {"systemd-cgroup", 0, false},
    {"help", 'h', false},        {"version", 'v', false}, {NULL, 'V', false},
    {NULL, '?', false},          {"usage", 0, false},     {NULL, 0, false},
};

/* runc create/run (create.go, run.go, utils_linux.go) and crun
 * (src/create.c, src/run.c). */
static const struct option_spec create_options[] = {
    {"bundle", 'b', true},  {"config", 'f', true},        {"console-socket", 0, true},
    {"pid-file", 0, true},  {"preserve-fds", 0, true},    {"pidfd-socket", 0, true},
    {"no-pivot", 0, false}, {"no-new-keyring", 0, false}, {"no-subreaper", 0, false},
    {"detach", 'd', false}, {"keep", 0, false},           {"help", 'h', false},
    {NULL, 0, false},
};

/* runc's and crun's commands: an unknown global option followed by one of
 * these did not take it as its value. */
static const char *const commands[] = {
    "checkpoint", "create", "delete", "events", "exec",  "features", "help",
    "init",       "kill",   "list",   "mounts", "pause", "ps",       "restore",
    "resume",     "run",    "spec",   "start",  "state", "update",   NULL,
};

static bool is_command(const char *text)
{
	for (size_t i = 0; commands[i]; i++)
		if (!strcmp(commands[i], text))
			return true;
	return false;
}

static bool is_option(const char *argument)
{
	return argument[0] == '-' && argument[1] != '\0';
}

/* The option argument spells, or NULL.  *ret_inline is the value written in
 * the same argument (`--opt=X`, `-b=X`, `-bX`), else NULL. */
static const struct option_spec *match(const struct option_spec *table, const char *argument,
                                       const char **ret_inline)
{
	const char *name = argument + 1 + (argument[1] == '-');
	size_t length = strcspn(name, "=");

	*ret_inline = name[length] == '=' ? name + length + 1 : NULL;
	for (const struct option_spec *spec = table; spec->name || spec->letter; spec++) {
		if (spec->name && strlen(spec->name) == length &&
		    !strncmp(spec->name, name, length))
			return spec;
		/* A letter: `-b`, `-b=X` (Go) or `-bX` (argp) with one dash. */
		if (spec->letter && argument[1] == spec->letter && argument[0] == '-') {
			if (argument[2] == '\0')
				return spec;
			if (spec->takes_value) {
				*ret_inline = argument[2] == '=' ? argument + 3 : argument + 2;
				return spec;
			}
		}
	}
	return NULL;
}

static void note_unknown(struct eg_runtime_arguments *arguments, const char *argument)
{
	if (arguments->unknown_options++ == 0)
		arguments->first_unknown = argument;
}

/* The global options: returns the index of the command (argc: none). */
static int parse_global(int argc, char *const *argv, struct eg_runtime_arguments *arguments)
{
	int i = 1;

	for (; i < argc && is_option(argv[i]); i++) {
		const char *value;
		const struct option_spec *spec;

		if (!strcmp(argv[i], "--"))
			return i + 1;
		spec = match(global_options, argv[i], &value);
		if (spec) {
			if (spec->takes_value && !value)
				i++;
			continue;
		}
		note_unknown(arguments, argv[i]);
		/* Unknown: a value unless written inline, or unless what follows
		 * is a command (then it was a flag). */
		if (!strchr(argv[i], '=') && i + 1 < argc && !is_option(argv[i + 1]) &&
		    !is_command(argv[i + 1]))
			i++;
	}
	return i;
}

static void take_create_option(const struct option_spec *spec, const char *value,
                               struct eg_runtime_arguments *arguments)
{
	if (spec->letter == 'b')
		arguments->bundle = value && *value ? value : NULL; /* "" is the cwd for runc */
	else if (spec->letter == 'f')
		arguments->config_file = value;
}

/* The command's options and its positional arguments, for create and run
 * (the other commands are passed on unread).  The id is the last
 * positional (runc and crun take exactly one), which stays right when an
 * unknown option took a value we counted as positional. */
static void parse_command(int first, int argc, char *const *argv,
                          struct eg_runtime_arguments *arguments)
{
	bool options_done = false;

	for (int i = first; i < argc; i++) {
		const char *value;
		const struct option_spec *spec;

		if (options_done || !is_option(argv[i])) {
			if (arguments->creates)
				arguments->id = argv[i];
			continue;
		}
		if (!strcmp(argv[i], "--")) {
			options_done = true;
			continue;
		}
		spec = match(create_options, argv[i], &value);
		if (!spec) {
			note_unknown(arguments, argv[i]);
			continue;
		}
		if (spec->takes_value && !value && i + 1 < argc)
			value = argv[++i];
		take_create_option(spec, value, arguments);
	}
}

void eg_runtime_arguments_parse(int argc, char *const *argv, struct eg_runtime_arguments *ret)
{
	struct eg_runtime_arguments arguments = {0};
	int command = parse_global(argc, argv, &arguments);

	if (command < argc) {
		arguments.command = argv[command];
		arguments.creates =
		    !strcmp(arguments.command, "create") || !strcmp(arguments.command, "run");
		if (arguments.creates)
			parse_command(command + 1, argc, argv, &arguments);
	}
	*ret = arguments;
}

int eg_runtime_config_json_path(const struct eg_runtime_arguments *arguments, char **ret_path,
                                struct eg_error *err)
{
	char *path;
	int r;

	if (arguments->config_file)
		r = asprintf(&path, "%s", arguments->config_file);
	else
		r = asprintf(&path, "%s/config.json", arguments->bundle ? arguments->bundle : ".");
	if (r < 0)
		return eg_error_set(err, ENOMEM, "out of memory");
	*ret_path = path;
	return 0;
}
