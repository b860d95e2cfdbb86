/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * entryguard check-config [FILE]: reads a config file exactly as the hook
 * and monitor will, and on the first error prints one line naming the file,
 * the key and the reason.  Without FILE it checks the file they would find.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "eg-build.h"
#include "entryguard/config.h"
#include "entryguard/json.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: entryguard check-config [FILE | -]\n"
	        "\n"
	        "Checks FILE (\"-\": standard input), or else the config file entryguard\n"
	        "would read: $ENTRYGUARD_CONFIG, then for a non-root user\n"
	        "$XDG_CONFIG_HOME/entryguard/entryguard.json (default ~/.config), then\n"
	        "%s/entryguard/entryguard.json.\n"
	        "Exit status: 0 valid, 1 invalid, 2 usage error.\n",
	        EG_SYSCONFDIR);
}

static const char *plural(size_t count)
{
	return count == 1 ? "" : "s";
}

static void print_summary(const struct eg_config *config)
{
	printf("  mode %s, window %u ms, lineage %s, %zu entrypoint name%s, %zu excluded range%s, "
	       "%zu exception%s, annotations %s\n",
	       eg_mode_name(config->mode), config->window_ms, eg_lineage_name(config->lineage),
	       config->entrypoint_names_count, plural(config->entrypoint_names_count),
	       config->excluded_cidrs_count, plural(config->excluded_cidrs_count),
	       config->exceptions_count, plural(config->exceptions_count),
	       eg_annotation_policy_name(config->allow_annotation_mode));
}

static int load_standard_input(struct eg_config **ret_config, struct eg_error *err)
{
	_cleanup_free_ char *buffer = NULL;
	size_t length = 0;
	int r;

	r = eg_read_fd_bounded(STDIN_FILENO, EG_CONFIG_MAX_BYTES, &buffer, &length, err);
	if (r < 0)
		return eg_error_prefix(err, r, "standard input");
	return eg_config_load_buffer("standard input", buffer, length, ret_config, err);
}

/* FILE, NULL when none was given, or a usage error. */
static int parse_arguments(int argc, char **argv, const char **ret_file)
{
	int index = 1;

	for (; index < argc; index++) {
		const char *argument = argv[index];

		if (!strcmp(argument, "--")) {
			index++;
			break;
		}
		if (!strcmp(argument, "-h") || !strcmp(argument, "--help")) {
			usage(stdout);
			return 1;
		}
		if (argument[0] != '-' || !strcmp(argument, "-"))
			break;
		fprintf(stderr, "entryguard: check-config: unknown option \"%s\"\n", argument);
		usage(stderr);
		return -EINVAL;
	}
	if (argc - index > 1) {
		fprintf(stderr, "entryguard: check-config: expected at most one FILE, got %d\n",
		        argc - index);
		usage(stderr);
		return -EINVAL;
	}
	*ret_file = index < argc ? argv[index] : NULL;
	return 0;
}

int eg_cli_check_config(int argc, char **argv)
{
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;
	_cleanup_free_ char *located = NULL;
	struct eg_error err = {0};
	const char *file = NULL;
	int r;

	r = parse_arguments(argc, argv, &file);
	if (r != 0)
		return r > 0 ? EG_EXIT_OK : EG_EXIT_USAGE;
	if (!file) {
		/* A non-root caller is a rootless engine's user: its own
		 * ~/.config comes before the system file. */
		r = eg_config_locate(NULL, geteuid() != 0, &located, &err);
		if (r < 0) {
			fprintf(stderr, "entryguard: check-config: %s\n", err.message);
			return EG_EXIT_INVALID;
		}
		if (!located) {
			printf("no config file found; the built-in defaults apply\n");
			if (eg_config_new_default(&config, &err) < 0) {
				fprintf(stderr, "entryguard: check-config: %s\n", err.message);
				return EG_EXIT_INVALID;
			}
			print_summary(config);
			return EG_EXIT_OK;
		}
		file = located;
	}
	if (!strcmp(file, "-"))
		r = load_standard_input(&config, &err);
	else
		r = eg_config_load_file(file, &config, &err);
	if (r < 0) {
		fprintf(stderr, "entryguard: check-config: %s\n", err.message);
		return EG_EXIT_INVALID;
	}
	printf("%s: valid\n", strcmp(file, "-") ? file : "standard input");
	print_summary(config);
	return EG_EXIT_OK;
}
