/* SPDX-License-Identifier: GPL-2.0-or-later */
/* monitor.tracker and $ENTRYGUARD_TRACKER: the values, the default, the
 * variable's precedence over the file, and one clear line for bad values. */
#include <stdlib.h>
#include <string.h>

#include "tests/config_helpers.h"

static void default_is_auto(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *config = load_ok("{}");

	(void)state;
	assert_int_equal(config->monitor_tracker, EG_TRACKER_AUTO);
	assert_string_equal(eg_tracker_name(config->monitor_tracker), "auto");
}

static void each_value(void **state)
{
	static const struct {
		const char *json;
		enum eg_tracker tracker;
		const char *name;
	} cases[] = {
	    {"{\"monitor\": {\"tracker\": \"auto\"}}", EG_TRACKER_AUTO, "auto"},
	    {"{\"monitor\": {\"tracker\": \"proc_connector\"}}", EG_TRACKER_PROC_CONNECTOR,
	     "proc_connector"},
	    {"{\"monitor\": {\"tracker\": \"procfs\"}}", EG_TRACKER_PROCFS, "procfs"},
	    {"{\"monitor\": {\"lifetime\": \"window\", \"tracker\": \"procfs\"}}",
	     EG_TRACKER_PROCFS, "procfs"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_(eg_config_freep) struct eg_config *config = load_ok(cases[i].json);

		assert_int_equal(config->monitor_tracker, cases[i].tracker);
		assert_string_equal(eg_tracker_name(config->monitor_tracker), cases[i].name);
	}
}

static void expect_load_error(const char *json, const char *message)
{
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;
	struct eg_error err = {0};

	assert_true(eg_config_load_buffer("t", json, strlen(json), &config, &err) < 0);
	assert_null(config);
	if (!strstr(err.message, message))
		fail_msg("%s: got \"%s\", expected it to hold \"%s\"", json, err.message, message);
	assert_null(strchr(err.message, '\n'));
}

static void bad_values_in_the_file(void **state)
{
	(void)state;
	expect_load_error(
	    "{\"monitor\": {\"tracker\": \"ebpf\"}}",
	    "t: monitor.tracker: expected one of auto, proc_connector, procfs, got \"ebpf\"");
	expect_load_error("{\"monitor\": {\"tracker\": 1}}",
	                  "monitor.tracker: expected a string, got a number");
	expect_load_error("{\"monitor\": {\"tracker\": \"\"}}", "monitor.tracker: expected one of");
	expect_load_error("{\"monitor\": {\"tracker\": \"PROCFS\"}}", "got \"PROCFS\"");
	expect_load_error("{\"monitor\": {\"trackers\": \"procfs\"}}",
	                  "monitor: unknown key \"trackers\"");
}

static void environment_overrides_the_file(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *config =
	    load_ok("{\"monitor\": {\"tracker\": \"procfs\"}}");
	struct eg_error err = {0};

	(void)state;
	/* Unset or empty: the file's value stays. */
	assert_int_equal(eg_config_tracker_override(config, NULL, &err), 0);
	assert_int_equal(config->monitor_tracker, EG_TRACKER_PROCFS);
	assert_int_equal(eg_config_tracker_override(config, "", &err), 0);
	assert_int_equal(config->monitor_tracker, EG_TRACKER_PROCFS);
	assert_int_equal(eg_config_tracker_override(config, "proc_connector", &err), 0);
	assert_int_equal(config->monitor_tracker, EG_TRACKER_PROC_CONNECTOR);
	assert_int_equal(eg_config_tracker_override(config, "auto", &err), 0);
	assert_int_equal(config->monitor_tracker, EG_TRACKER_AUTO);
	assert_int_equal(eg_config_tracker_override(config, "procfs", &err), 0);
	assert_int_equal(config->monitor_tracker, EG_TRACKER_PROCFS);
}

static void bad_environment_value(void **state)
{
	_cleanup_(eg_config_freep) struct eg_config *config = load_ok("{}");
	struct eg_error err = {0};

	(void)state;
	assert_int_equal(eg_config_tracker_override(config, "netlink\nx", &err), -EINVAL);
	assert_string_equal(err.message, "ENTRYGUARD_TRACKER: expected one of auto, "
	                                 "proc_connector, procfs, got \"netlink\\x0ax\"");
	/* A refused value changes nothing. */
	assert_int_equal(config->monitor_tracker, EG_TRACKER_AUTO);
	assert_int_equal(eg_config_tracker_override(config, " procfs", &err), -EINVAL);
	assert_int_equal(config->monitor_tracker, EG_TRACKER_AUTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(default_is_auto),
	    cmocka_unit_test(each_value),
	    cmocka_unit_test(bad_values_in_the_file),
	    cmocka_unit_test(environment_overrides_the_file),
	    cmocka_unit_test(bad_environment_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
