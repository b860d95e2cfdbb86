/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the config tests; see config_helpers.h. */
#include "tests/config_helpers.h"

#include <string.h>

struct eg_config *load_ok(const char *json)
{
	struct eg_config *config = NULL;
	struct eg_error err = {0};
	int r = eg_config_load_buffer("t", json, strlen(json), &config, &err);

	if (r < 0)
		fail_msg("unexpected error %d for %s: %s", r, json, err.message);
	assert_non_null(config);
	return config;
}

void assert_same_string(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}
