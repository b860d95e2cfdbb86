/* SPDX-License-Identifier: GPL-2.0-or-later */
/* entryguard: the command users type. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "eg-build.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static int run_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("entryguard %s\n", EG_VERSION);
	return EG_EXIT_OK;
}

static const struct subcommand subcommands[] = {
    {"version", run_version, "print the version"},
    {"check-config", eg_cli_check_config, "[FILE]  validate a config file (exit 0 when valid)"},
    {"classify", eg_cli_classify, "ADDRESS...  say whether each address is public"},
    {"status", eg_cli_status, "list the containers being watched and their monitors"},
    {"alerts", eg_cli_alerts, "[--file PATH] [--last N]  show recent alerts as a table"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: entryguard COMMAND [ARGUMENTS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		fprintf(out, "  %-13s %s\n", subcommands[i].name, subcommands[i].summary);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EG_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EG_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return run_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "entryguard: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EG_EXIT_USAGE;
}
