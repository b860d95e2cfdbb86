/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the address classifier tests; see classify_helpers.h. */
#include "tests/classify_helpers.h"

struct eg_classifier *seed_classifier;

int setup_seed(void **state)
{
	(void)state;
	return eg_classifier_new(eg_seed_excluded_cidrs, eg_seed_excluded_cidrs_count,
	                         &seed_classifier, NULL) < 0
	           ? -1
	           : 0;
}

int teardown_seed(void **state)
{
	(void)state;
	eg_classifier_free(seed_classifier);
	seed_classifier = NULL;
	return 0;
}

struct eg_address address_of(const char *text)
{
	struct eg_address address;
	struct eg_error err = {0};

	if (eg_address_parse(text, &address, &err) < 0)
		fail_msg("cannot parse %s: %s", text, err.message);
	return address;
}
