/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `entryguard classify ADDRESS...`: says, for each address, what the rule
 * would make of it as a destination:
 *
 *     1.1.1.1 public
 *     169.254.169.254 excluded 169.254.0.0/16
 *     0.0.0.0 unspecified
 *
 * A malformed address gets one error line on stderr and the rest are still
 * classified.  Exit 0 when every address parsed, 1 when any was malformed,
 * 2 on a usage error.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "entryguard/classify.h"
#include "entryguard/cleanup.h"

EG_DEFINE_CLEANUP(struct eg_classifier *, eg_classifier_free)

static void usage(FILE *out)
{
	fprintf(out, "usage: entryguard classify ADDRESS...\n"
	             "Says whether each IPv4 or IPv6 address is public, unspecified, or held\n"
	             "by an excluded range (and which), using the seed's excluded list.\n");
}

/* The excluded list the addresses are judged against.  Today the seed's;
 * this is where `--config FILE` will load the config's excluded_cidrs. */
static int load_classifier(struct eg_classifier **ret_classifier, struct eg_error *err)
{
	return eg_classifier_new(eg_seed_excluded_cidrs, eg_seed_excluded_cidrs_count,
	                         ret_classifier, err);
}

/* Prints one line per address; returns the exit code. */
static int classify_addresses(const struct eg_classifier *classifier, char *const *addresses,
                              size_t count)
{
	int exit_code = EG_EXIT_OK;

	for (size_t i = 0; i < count; i++) {
		struct eg_error err = {0};
		struct eg_address address;
		const struct eg_cidr *range = NULL;

		if (eg_address_parse(addresses[i], &address, &err) < 0) {
			/* Keep stdout and stderr in the order the addresses came. */
			fflush(stdout);
			fprintf(stderr, "entryguard: classify: %s\n", err.message);
			exit_code = EG_EXIT_INVALID;
			continue;
		}
		switch (eg_classify(classifier, &address, &range)) {
		case EG_ADDRESS_PUBLIC:
			printf("%s public\n", addresses[i]);
			break;
		case EG_ADDRESS_EXCLUDED:
			printf("%s excluded %s\n", addresses[i], range->text);
			break;
		case EG_ADDRESS_UNSPECIFIED:
			printf("%s unspecified\n", addresses[i]);
			break;
		}
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "entryguard: classify: writing the results: %m\n");
		return EG_EXIT_INVALID;
	}
	return exit_code;
}

int eg_cli_classify(int argc, char **argv)
{
	_cleanup_(eg_classifier_freep) struct eg_classifier *classifier = NULL;
	struct eg_error err = {0};
	int first = 1;

	for (; first < argc && argv[first][0] == '-'; first++) {
		if (!strcmp(argv[first], "--")) {
			first++;
			break;
		}
		if (!strcmp(argv[first], "--help") || !strcmp(argv[first], "-h")) {
			usage(stdout);
			return EG_EXIT_OK;
		}
		fprintf(stderr, "entryguard: classify: unknown option \"%s\"\n", argv[first]);
		usage(stderr);
		return EG_EXIT_USAGE;
	}
	if (first >= argc) {
		fprintf(stderr, "entryguard: classify: no address given\n");
		usage(stderr);
		return EG_EXIT_USAGE;
	}

	if (load_classifier(&classifier, &err) < 0) {
		fprintf(stderr, "entryguard: classify: %s\n", err.message);
		return EG_EXIT_INVALID;
	}
	return classify_addresses(classifier, argv + first, (size_t)(argc - first));
}
