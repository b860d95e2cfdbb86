/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The seccomp edit on every captured config.json: the result parses, keeps
 * every other rule, notifies the four syscalls, leaves no rule that could
 * shadow that, is idempotent; the special cases (conditions, refused names,
 * socketcall, io_uring, no profile); malformed profiles.  What the edited
 * profile does in a real filter is test_seccomp_profile_filter.c. */
#include "tests/seccomp_profile_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/json.h"
#include "entryguard/json_write.h"
#include "entryguard/oci.h"

/* Rules after the edit, per fixture: detect, block. */
static const struct {
	const char *fixture;
	size_t rules_detect, rules_block;
	bool io_uring_allowed; /* before the edit */
	size_t names_kept;     /* at least, not counting ours */
} expected[] = {
    /* one rule (connect -> their listener), emptied; ours; io_uring */
    {"runc/config.json", 1, 2, true, 0},
    {"crun/config.json", 1, 2, true, 0},
    {"containerd/config.json", 1, 2, true, 0},
    /* 23 rules: their connect rule emptied, ours added; io_uring_setup is
     * not in Podman's list, so its default (ENOSYS) refuses it already;
     * the unconditional socketcall rule becomes 20, one per socket call */
    {"podman-crun/config.json", 43, 43, false, 400},
    {"podman-runc/config.json", 43, 43, false, 400},
    {"podman-rootless/config.json", 43, 43, false, 400},
    /* no profile at all: a minimal one */
    {"containerd/config-pre-injection.json", 1, 2, true, 0},
};

static bool is_target(const char *name, enum eg_mode mode)
{
	for (size_t i = 0; eg_seccomp_watched_syscalls[i]; i++)
		if (!strcmp(name, eg_seccomp_watched_syscalls[i]))
			return true;
	return !strcmp(name, "socketcall") ||
	       (mode >= EG_MODE_BLOCK && !strcmp(name, "io_uring_setup"));
}

/* A rule's meaning apart from its names: its text without "names". */
static char *signature(yajl_val rule)
{
	_cleanup_json_ yajl_val copy = eg_json_copy(rule);

	eg_json_object_remove(copy, "names");
	return write_ok(copy);
}

static bool has_rule(yajl_val rules, const char *name, const char *wanted)
{
	for (size_t i = 0; rules && i < rules->u.array.len; i++) {
		yajl_val rule = rules->u.array.values[i], names = eg_json_member(rule, "names");
		_cleanup_free_ char *text = signature(rule);

		for (size_t j = 0; names && j < names->u.array.len; j++)
			if (!strcmp(names->u.array.values[j]->u.string, name) &&
			    !strcmp(text, wanted))
				return true;
	}
	return false;
}

/* Every (name, meaning) of the original that is not ours to change is in
 * the edited profile; returns how many were checked. */
static size_t check_rules_kept(yajl_val original, yajl_val edited, enum eg_mode mode)
{
	yajl_val rules = eg_json_member(original, "syscalls");
	size_t checked = 0;

	for (size_t i = 0; rules && i < rules->u.array.len; i++) {
		yajl_val names = eg_json_member(rules->u.array.values[i], "names");
		_cleanup_free_ char *text = signature(rules->u.array.values[i]);

		for (size_t j = 0; j < names->u.array.len; j++) {
			const char *name = names->u.array.values[j]->u.string;

			if (is_target(name, mode))
				continue;
			if (!has_rule(eg_json_member(edited, "syscalls"), name, text))
				fail_msg("rule %zu for %s (%s) was lost", i, name, text);
			checked++;
		}
	}
	return checked;
}

/* Each watched name is in exactly one rule: the unconditional notify one. */
static void check_watched(yajl_val seccomp)
{
	yajl_val rules = eg_json_member(seccomp, "syscalls");

	for (size_t w = 0; eg_seccomp_watched_syscalls[w]; w++) {
		size_t found = 0;

		for (size_t i = 0; i < rules->u.array.len; i++) {
			yajl_val rule = rules->u.array.values[i];
			yajl_val names = eg_json_member(rule, "names");

			for (size_t j = 0; j < names->u.array.len; j++) {
				if (strcmp(names->u.array.values[j]->u.string,
				           eg_seccomp_watched_syscalls[w]))
					continue;
				found++;
				assert_string_equal(eg_json_member(rule, "action")->u.string,
				                    "SCMP_ACT_NOTIFY");
				assert_null(eg_json_member(rule, "args"));
			}
		}
		assert_int_equal(found, 1);
	}
}

static void check_no_socketcall_allowed(yajl_val seccomp)
{
	yajl_val rules = eg_json_member(seccomp, "syscalls");

	for (size_t i = 0; i < rules->u.array.len; i++) {
		yajl_val rule = rules->u.array.values[i], names = eg_json_member(rule, "names");

		for (size_t j = 0; j < names->u.array.len; j++)
			if (!strcmp(names->u.array.values[j]->u.string, "socketcall"))
				assert_non_null(eg_json_member(rule, "args"));
	}
}

static size_t rules_naming(yajl_val seccomp, const char *name)
{
	yajl_val rules = eg_json_member(seccomp, "syscalls");
	size_t count = 0;

	for (size_t i = 0; i < rules->u.array.len; i++) {
		yajl_val names = eg_json_member(rules->u.array.values[i], "names");

		for (size_t j = 0; j < names->u.array.len; j++)
			count += !strcmp(names->u.array.values[j]->u.string, name);
	}
	return count;
}

static void edit_fixture(size_t index, enum eg_mode mode)
{
	_cleanup_json_ yajl_val original = load_config_json(expected[index].fixture);
	_cleanup_json_ yajl_val config = load_config_json(expected[index].fixture);
	_cleanup_(eg_oci_spec_freep) struct eg_oci_spec *spec = NULL;
	struct eg_seccomp_profile_report report = edit_ok(config, mode);
	_cleanup_free_ char *text = write_ok(config);
	yajl_val seccomp = seccomp_of(config);
	struct eg_error err = {0};
	char metadata[32];

	/* The result is a config.json the existing parser reads. */
	if (eg_oci_spec_parse("edited", text, strlen(text), &spec, &err) < 0)
		fail_msg("%s: %s", expected[index].fixture, err.message);
	assert_true(spec->seccomp.present);
	assert_string_equal(spec->seccomp.listener_path, LISTENER_PATH);
	snprintf(metadata, sizeof(metadata), "mode=%s", eg_mode_name(mode));
	assert_string_equal(spec->seccomp.listener_metadata, metadata);
	assert_int_equal(spec->seccomp.syscall_rules_count, mode >= EG_MODE_BLOCK
	                                                        ? expected[index].rules_block
	                                                        : expected[index].rules_detect);
	assert_true(report.listener_set);
	assert_int_equal(report.notified, 4);
	assert_int_equal(report.refused, 0);
	assert_int_equal(report.profile_added, seccomp_of(original) == NULL);
	assert_int_equal(report.other_notify_rules, 0);
	check_watched(seccomp);
	check_no_socketcall_allowed(seccomp);
	if (seccomp_of(original))
		assert_true(check_rules_kept(seccomp_of(original), seccomp, mode) >=
		            expected[index].names_kept);
	assert_int_equal(report.io_uring_denied,
	                 mode >= EG_MODE_BLOCK && expected[index].io_uring_allowed);
	assert_int_equal(rules_naming(seccomp, "io_uring_setup"), report.io_uring_denied);
}

static void edits_every_fixture(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
		edit_fixture(i, EG_MODE_DETECT);
		edit_fixture(i, EG_MODE_BLOCK);
		edit_fixture(i, EG_MODE_KILL);
	}
}

static void edit_is_idempotent(void **state)
{
	(void)state;
	for (size_t i = 0; profile_fixtures[i]; i++) {
		_cleanup_json_ yajl_val config = load_config_json(profile_fixtures[i]);
		_cleanup_free_ char *once = NULL, *twice = NULL;
		struct eg_seccomp_profile_report report;

		edit_ok(config, EG_MODE_BLOCK);
		once = write_ok(config);
		report = edit_ok(config, EG_MODE_BLOCK);
		twice = write_ok(config);
		assert_string_equal(once, twice);
		assert_false(report.io_uring_denied); /* our rule refuses it now */
		assert_false(report.socketcall_split);
		assert_true(report.listener_replaced);
	}
}

static void socketcall_is_split(void **state)
{
	_cleanup_json_ yajl_val config = load_config_json(
	    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"read\",\"socketcall\",\"socket\",\"bind\",\"connect\"],"
	    "\"action\":\"SCMP_ACT_ALLOW\"},"
	    "{\"names\":[\"listen\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}}}");
	struct eg_seccomp_profile_report report = edit_ok(config, EG_MODE_DETECT);
	yajl_val rules = eg_json_member(seccomp_of(config), "syscalls");
	_cleanup_free_ char *text = write_ok(config);

	(void)state;
	assert_true(report.socketcall_split);
	assert_non_null(strstr(text, "{\"names\":[\"read\",\"socket\",\"bind\"],"
	                             "\"action\":\"SCMP_ACT_ALLOW\"}"));
	/* One rule per socket call, first, in call order: the action of the
	 * call's own rule (listen: ERRNO 13; connect: notify), the socketcall
	 * rule's for the unnamed ones, none for sendto, sendmsg and sendmmsg,
	 * which the default refuses. */
	assert_int_equal(rules_naming(seccomp_of(config), "socketcall"), 17);
	for (unsigned call = 1, index = 0; call <= 20; call++) {
		const char *action = call == 3   ? "SCMP_ACT_NOTIFY"
		                     : call == 4 ? "SCMP_ACT_ERRNO"
		                                 : "SCMP_ACT_ALLOW";
		yajl_val rule, condition;

		if (call == 11 || call == 16 || call == 20)
			continue;
		rule = rules->u.array.values[index++];
		condition = eg_json_member(rule, "args")->u.array.values[0];
		assert_string_equal(eg_json_member(rule, "names")->u.array.values[0]->u.string,
		                    "socketcall");
		assert_string_equal(eg_json_member(rule, "action")->u.string, action);
		assert_int_equal(YAJL_GET_INTEGER(eg_json_member(condition, "value")), call);
		assert_int_equal(YAJL_GET_INTEGER(eg_json_member(condition, "index")), 0);
		assert_string_equal(eg_json_member(condition, "op")->u.string, "SCMP_CMP_EQ");
		if (call == 4)
			assert_int_equal(YAJL_GET_INTEGER(eg_json_member(rule, "errnoRet")), 13);
	}
}

static void socketcall_refused_or_default_stays(void **state)
{
	static const char *const profiles[] = {
	    /* the first unconditional socketcall rule refuses it */
	    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"socketcall\"],\"action\":\"SCMP_ACT_KILL\"},"
	    "{\"names\":[\"socketcall\",\"connect\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
	    /* allowing it under an allowing default: runtimes skip that rule */
	    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	    "{\"names\":[\"socketcall\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		_cleanup_json_ yajl_val config = load_config_json(profiles[i]);
		struct eg_seccomp_profile_report report = edit_ok(config, EG_MODE_BLOCK);

		assert_false(report.socketcall_split);
		assert_true(rules_naming(seccomp_of(config), "socketcall") >= 1);
	}
}

/* Which rule decides follows libseccomp: the first unconditional rule that
 * is not the default; conditions only where no unconditional rule is. */
static void name_states(void **state)
{
	static const struct {
		const char *rules;
		const char *default_action;
		size_t notified, refused, notified_rules;
	} cases[] = {
	    /* refused first: kept refused, not watched */
	    {"{\"names\":[\"connect\"],\"action\":\"SCMP_ACT_ERRNO\"},"
	     "{\"names\":[\"connect\",\"sendto\"],\"action\":\"SCMP_ACT_ALLOW\"}",
	     "SCMP_ACT_ALLOW", 3, 1, 0},
	    /* allowed first: the later refusal never applied */
	    {"{\"names\":[\"connect\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	     "{\"names\":[\"connect\"],\"action\":\"SCMP_ACT_ERRNO\"}",
	     "SCMP_ACT_ERRNO", 1, 3, 0},
	    /* a rule equal to the default is skipped by runtimes */
	    {"{\"names\":[\"connect\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1},"
	     "{\"names\":[\"connect\"],\"action\":\"SCMP_ACT_LOG\"}",
	     "SCMP_ACT_ERRNO", 1, 3, 0},
	    /* conditions under a refusing default: notify rules with them */
	    {"{\"names\":[\"sendto\",\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":"
	     "0,\"value\":3,\"op\":\"SCMP_CMP_EQ\"}]},{\"names\":[\"sendmsg\"],\"action\":"
	     "\"SCMP_ACT_ERRNO\",\"errnoRet\":13,\"args\":[{\"index\":1,\"value\":0,\"op\":"
	     "\"SCMP_CMP_NE\"}]}",
	     "SCMP_ACT_KILL_PROCESS", 0, 3, 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *json = NULL;
		_cleanup_json_ yajl_val config = NULL;
		struct eg_seccomp_profile_report report;

		assert_true(
		    asprintf(&json,
		             "{\"linux\":{\"seccomp\":{\"defaultAction\":\"%s\",\"syscalls\":"
		             "[%s]}}}",
		             cases[i].default_action, cases[i].rules) > 0);
		config = load_config_json(json);
		report = edit_ok(config, EG_MODE_DETECT);
		if (report.notified != cases[i].notified || report.refused != cases[i].refused ||
		    report.notified_rules != cases[i].notified_rules)
			fail_msg("case %zu: notified %zu refused %zu conditional %zu", i,
			         report.notified, report.refused, report.notified_rules);
	}
}

static void conditions_are_kept_on_notify(void **state)
{
	_cleanup_json_ yajl_val config = load_config_json(
	    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"sendto\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
	    "\"value\":3,\"op\":\"SCMP_CMP_EQ\"}]},{\"names\":[\"connect\"],\"action\":"
	    "\"SCMP_ACT_ALLOW\"}]}}}");
	_cleanup_free_ char *text = NULL;

	(void)state;
	edit_ok(config, EG_MODE_DETECT);
	text = write_ok(config);
	assert_string_equal(
	    text, "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	          "{\"names\":[\"sendto\"],\"action\":\"SCMP_ACT_NOTIFY\",\"args\":[{\"index\":0,"
	          "\"value\":3,\"op\":\"SCMP_CMP_EQ\"}]},{\"names\":[\"connect\"],\"action\":"
	          "\"SCMP_ACT_NOTIFY\"}],\"listenerPath\":\"" LISTENER_PATH "\","
	          "\"listenerMetadata\":\"mode=detect\"}}}");
}

static void minimal_profile(void **state)
{
	static const char *const configs[] = {
	    "{\"ociVersion\":\"1.0.2\"}",
	    "{\"linux\":{}}",
	    "{\"linux\":{\"seccomp\":null}}",
	    "{\"linux\":null}",
	};
	static const char *const architectures[] = {"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL};
	struct eg_error err = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		_cleanup_json_ yajl_val config = load_config_json(configs[i]);
		struct eg_seccomp_profile_report report = edit_ok(config, EG_MODE_BLOCK);
		yajl_val seccomp = seccomp_of(config);

		assert_true(report.profile_added);
		assert_string_equal(eg_json_member(seccomp, "defaultAction")->u.string,
		                    "SCMP_ACT_ALLOW");
#if defined(__x86_64__)
		assert_int_equal(eg_json_member(seccomp, "architectures")->u.array.len, 3);
		assert_string_equal(
		    eg_json_member(seccomp, "architectures")->u.array.values[1]->u.string,
		    "SCMP_ARCH_X86");
#endif
		assert_int_equal(eg_json_member(seccomp, "syscalls")->u.array.len, 2);
		check_watched(seccomp);
	}
	{
		_cleanup_json_ yajl_val config = load_config_json("{}");
		_cleanup_free_ char *text = NULL;
		struct eg_seccomp_profile_options options = {
		    .mode = EG_MODE_DETECT,
		    .listener_path = "/l.sock",
		    .native_architectures = architectures,
		};
		struct eg_seccomp_profile_report report;

		assert_int_equal(eg_seccomp_profile_edit(config, &options, &report, &err), 0);
		text = write_ok(config);
		assert_string_equal(
		    text,
		    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		    "\"architectures\":[\"SCMP_ARCH_AARCH64\",\"SCMP_ARCH_ARM\"],\"syscalls\":["
		    "{\"names\":[\"connect\",\"sendto\",\"sendmsg\",\"sendmmsg\"],\"action\":"
		    "\"SCMP_ACT_NOTIFY\"}],\"listenerPath\":\"/l.sock\"}}}");
	}
}

static void everything_refused_sets_no_listener(void **state)
{
	_cleanup_json_ yajl_val config = load_config_json(
	    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"listenerPath\":"
	    "\"/theirs.sock\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":"
	    "\"SCMP_ACT_NOTIFY\"}]}}}");
	struct eg_seccomp_profile_report report = edit_ok(config, EG_MODE_DETECT);

	(void)state;
	assert_false(report.listener_set);
	assert_int_equal(report.refused, 4);
	assert_int_equal(report.other_notify_rules, 1);
	assert_string_equal(eg_json_member(seccomp_of(config), "listenerPath")->u.string,
	                    "/theirs.sock");
}

static void refuses_malformed_profiles(void **state)
{
	static const char *const cases[][2] = {
	    {"[]", "expected an object, got an array"},
	    {"{\"linux\":[]}", "linux: expected an object, got an array"},
	    {"{\"linux\":{\"seccomp\":[]}}", "linux.seccomp: expected an object, got an array"},
	    {"{\"linux\":{\"seccomp\":\"x\"}}", "linux.seccomp: expected an object, got a string"},
	    {"{\"linux\":{\"seccomp\":{}}}", "linux.seccomp.defaultAction: missing"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":3}}}",
	     "linux.seccomp.defaultAction: expected a string, got a number"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}",
	     "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\""},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
	     "\"defaultErrnoRet\":\"1\"}}}",
	     "linux.seccomp.defaultErrnoRet: expected an integer, got a string"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}}}",
	     "linux.seccomp.syscalls: expected an array, got an object"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[1]}}}",
	     "linux.seccomp.syscalls[0]: expected an object, got a number"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	     "\"names\":\"connect\",\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
	     "linux.seccomp.syscalls[0].names: expected an array, got a string"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	     "\"names\":[\"read\"],\"action\":\"SCMP_ACT_LOG\"},{\"names\":[\"connect\",7],"
	     "\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
	     "linux.seccomp.syscalls[1].names[1]: expected a string, got a number"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	     "\"names\":[\"connect\"]}]}}}",
	     "linux.seccomp.syscalls[0].action: missing"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	     "\"names\":[\"connect\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":{}}]}}}",
	     "linux.seccomp.syscalls[0].args: expected an array, got an object"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	     "\"names\":[\"connect\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1.5}]}}}",
	     "linux.seccomp.syscalls[0].errnoRet: expected an integer, got a number"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
	     "\"x\"}}}",
	     "linux.seccomp.architectures: expected an array, got a string"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
	     "[\"SCMP_ARCH_X86\",{}]}}}",
	     "linux.seccomp.architectures[1]: expected a string, got an object"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"},\"seccomp\":{}}}",
	     "linux: duplicate key \"seccomp\""},
	    {"{\"linux\":{},\"linux\":{}}", "duplicate key \"linux\""},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	     "\"names\":[\"connect\"],\"action\":\"SCMP_ACT_ALLOW\",\"action\":"
	     "\"SCMP_ACT_ERRNO\"}]}}}",
	     "linux.seccomp.syscalls[0]: duplicate key \"action\""},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	     "\"names\":[\"connect\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,"
	     "\"value\":3,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
	     "linux.seccomp.syscalls[0]: a rule with argument conditions (SCMP_ACT_ERRNO) for "
	     "connect under defaultAction SCMP_ACT_ALLOW"},
	    {"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
	     "\"names\":[\"x\\n\\\"y\"],\"action\":\"SCMP_ACT_ALLOW\\nSECOND LINE\"}]}}}",
	     "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_ALLOW\\x0aSECOND "
	     "LINE\""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_json_ yajl_val config = NULL;
		struct eg_seccomp_profile_options options = {.mode = EG_MODE_BLOCK,
		                                             .listener_path = LISTENER_PATH};
		struct eg_seccomp_profile_report report;
		struct eg_error err = {0};

		if (eg_json_parse("t", cases[i][0], strlen(cases[i][0]), &config, &err) < 0)
			fail_msg("case %zu: %s", i, err.message);
		assert_true(eg_seccomp_profile_edit(config, &options, &report, &err) < 0);
		assert_true(err.code > 0);
		assert_null(strchr(err.message, '\n'));
		if (!strstr(err.message, cases[i][1]))
			fail_msg("case %zu: \"%s\" does not contain \"%s\"", i, err.message,
			         cases[i][1]);
	}
}

static void refuses_too_many_rules(void **state)
{
	_cleanup_json_ yajl_val config = load_config_json(
	    "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}}}");
	yajl_val rules = eg_json_member(seccomp_of(config), "syscalls");
	struct eg_seccomp_profile_options options = {.mode = EG_MODE_DETECT,
	                                             .listener_path = LISTENER_PATH};
	struct eg_seccomp_profile_report report;
	struct eg_error err = {0};

	(void)state;
	for (unsigned i = 0; i <= EG_SECCOMP_MAX_RULES; i++) {
		yajl_val rule =
		    load_config_json("{\"names\":[\"read\"],\"action\":\"SCMP_ACT_LOG\"}");
		assert_int_equal(eg_json_array_append(rules, rule), 0);
	}
	assert_int_equal(eg_seccomp_profile_edit(config, &options, &report, &err), -E2BIG);
	assert_string_equal(err.message, "linux.seccomp.syscalls: more than 4096 rules");
}

static void listener_metadata(void **state)
{
	char buffer[32];
	enum eg_mode mode;

	(void)state;
	for (int m = EG_MODE_OFF; m <= EG_MODE_KILL; m++) {
		assert_int_equal(
		    eg_listener_metadata_format((enum eg_mode)m, buffer, sizeof(buffer)), 0);
		assert_int_equal(eg_listener_metadata_mode(buffer, &mode), 0);
		assert_int_equal(mode, m);
	}
	assert_string_equal((eg_listener_metadata_format(EG_MODE_KILL, buffer, 32), buffer),
	                    "mode=kill");
	assert_int_equal(eg_listener_metadata_format(EG_MODE_BLOCK, buffer, 8), -ENOBUFS);
	assert_int_equal(eg_listener_metadata_mode("v=2 mode=block  x=y", &mode), 0);
	assert_int_equal(mode, EG_MODE_BLOCK);
	assert_int_equal(eg_listener_metadata_mode("mode=blocking", &mode), -EINVAL);
	assert_int_equal(eg_listener_metadata_mode("mode=", &mode), -ENOENT);
	assert_int_equal(eg_listener_metadata_mode("entryguard-fixture-metadata", &mode), -ENOENT);
	assert_int_equal(eg_listener_metadata_mode(NULL, &mode), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(edits_every_fixture),
	    cmocka_unit_test(edit_is_idempotent),
	    cmocka_unit_test(socketcall_is_split),
	    cmocka_unit_test(socketcall_refused_or_default_stays),
	    cmocka_unit_test(name_states),
	    cmocka_unit_test(conditions_are_kept_on_notify),
	    cmocka_unit_test(minimal_profile),
	    cmocka_unit_test(everything_refused_sets_no_listener),
	    cmocka_unit_test(refuses_malformed_profiles),
	    cmocka_unit_test(refuses_too_many_rules),
	    cmocka_unit_test(listener_metadata),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
