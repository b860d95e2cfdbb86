/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The config.json edit of entryguard-runtime: the seccomp profile and the
 * hook.  Why the rules are written this way: include/entryguard/
 * seccomp_profile.h and docs/RUNTIME.md. */
#include "entryguard/seccomp_profile.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/cleanup.h"
#include "entryguard/json.h"
#include "entryguard/json_write.h"

const char *const eg_seccomp_watched_syscalls[] = {"connect", "sendto", "sendmsg", "sendmmsg",
                                                   NULL};

/* The runtime spec's actions, by whether the call can go ahead.  TRACE and
 * a foreign NOTIFY hand the decision to someone who may allow it, so they
 * count as letting it through: watching them loses nothing. */
static const char *const passing_actions[] = {"SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE",
                                              "SCMP_ACT_NOTIFY", NULL};
static const char *const refusing_actions[] = {"SCMP_ACT_ERRNO",       "SCMP_ACT_KILL",
                                               "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
                                               "SCMP_ACT_TRAP",        NULL};

/* socketcall(2)'s call numbers, from linux/net.h (SYS_SOCKET = 1 ...
 * SYS_SENDMMSG = 20): the index is the number. */
static const char *const socket_calls[] = {
    NULL,          "socket",     "bind",    "connect", "listen",  "accept",   "getsockname",
    "getpeername", "socketpair", "send",    "recv",    "sendto",  "recvfrom", "shutdown",
    "setsockopt",  "getsockopt", "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg"};
#define SOCKET_CALLS_COUNT (sizeof(socket_calls) / sizeof(socket_calls[0]))

static const char *const native_architectures[] = {
#if defined(__x86_64__)
    "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
#elif defined(__aarch64__)
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
#endif
    NULL};

struct action {
	const char *name;
	int64_t errno_value; /* errnoRet; EPERM when absent, as runc and crun take it */
	bool passes;
};

struct profile {
	yajl_val seccomp;
	yajl_val syscalls;
	struct action default_action;
	size_t names_seen;
};

enum name_state {
	NAME_PASSES,      /* an unconditional rule (or the default) lets it through */
	NAME_REFUSED,     /* an unconditional rule (or the default) refuses it */
	NAME_CONDITIONAL, /* only rules with argument conditions name it */
};

static bool in_list(const char *const *list, const char *text)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], text))
			return true;
	return false;
}

/* An object member that may be absent or null (Go's nil): NULL then. */
static yajl_val optional_member(yajl_val object, const char *key)
{
	yajl_val value = eg_json_member(object, key);

	return YAJL_IS_NULL(value) ? NULL : value;
}

static int parse_action(yajl_val object, const char *where, const char *action_key,
                        const char *errno_key, struct action *ret_action, struct eg_error *err)
{
	struct action action = {.errno_value = EPERM};
	char text[4 * 48 + 8];
	int r;

	r = eg_json_get_string(object, where, action_key, true, &action.name, err);
	if (r >= 0 && optional_member(object, errno_key))
		r = eg_json_get_int64(object, where, errno_key, false, &action.errno_value, err);
	if (r < 0)
		return r;
	if (in_list(passing_actions, action.name))
		action.passes = true;
	else if (!in_list(refusing_actions, action.name))
		return eg_error_set(err, EINVAL, "%s.%s: unknown action %s", where, action_key,
		                    eg_quote(action.name, 48, text, sizeof(text)));
	*ret_action = action;
	return 0;
}

/* runc and crun skip a rule whose action is the default action (libseccomp
 * refuses it), so such a rule decides nothing. */
static bool same_action(const struct action *a, const struct action *b)
{
	const char *name_a = strcmp(a->name, "SCMP_ACT_KILL") ? a->name : "SCMP_ACT_KILL_THREAD";
	const char *name_b = strcmp(b->name, "SCMP_ACT_KILL") ? b->name : "SCMP_ACT_KILL_THREAD";

	if (strcmp(name_a, name_b))
		return false;
	/* errnoRet means something for these two only. */
	if (!strcmp(name_a, "SCMP_ACT_ERRNO") || !strcmp(name_a, "SCMP_ACT_TRACE"))
		return a->errno_value == b->errno_value;
	return true;
}

static int validate_rule(struct profile *profile, yajl_val rule, size_t index, struct eg_error *err)
{
	yajl_val names, args;
	struct action action;
	char where[64];
	int r;

	snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", index);
	if (!YAJL_IS_OBJECT(rule))
		return eg_error_set(err, EINVAL, "%s: expected an object, got %s", where,
		                    eg_json_type_name(rule));
	r = eg_json_object_check_duplicates(rule, where, err);
	if (r >= 0)
		r = parse_action(rule, where, "action", "errnoRet", &action, err);
	if (r < 0)
		return r;
	names = optional_member(rule, "names");
	args = optional_member(rule, "args");
	if (names && !YAJL_IS_ARRAY(names))
		return eg_error_set(err, EINVAL, "%s.names: expected an array, got %s", where,
		                    eg_json_type_name(names));
	if (args && !YAJL_IS_ARRAY(args))
		return eg_error_set(err, EINVAL, "%s.args: expected an array, got %s", where,
		                    eg_json_type_name(args));
	for (size_t i = 0; names && i < names->u.array.len; i++)
		if (!YAJL_IS_STRING(names->u.array.values[i]))
			return eg_error_set(err, EINVAL, "%s.names[%zu]: expected a string, got %s",
			                    where, i, eg_json_type_name(names->u.array.values[i]));
	profile->names_seen += names ? names->u.array.len : 0;
	if (profile->names_seen > EG_SECCOMP_MAX_NAMES)
		return eg_error_set(err, E2BIG, "linux.seccomp.syscalls: more than %u names",
		                    EG_SECCOMP_MAX_NAMES);
	return 0;
}

static int validate_profile(struct profile *profile, struct eg_error *err)
{
	yajl_val seccomp = profile->seccomp, architectures;
	int r;

	r = eg_json_object_check_duplicates(seccomp, "linux.seccomp", err);
	if (r >= 0)
		r = parse_action(seccomp, "linux.seccomp", "defaultAction", "defaultErrnoRet",
		                 &profile->default_action, err);
	if (r < 0)
		return r;
	architectures = optional_member(seccomp, "architectures");
	if (architectures && !YAJL_IS_ARRAY(architectures))
		return eg_error_set(err, EINVAL,
		                    "linux.seccomp.architectures: expected an array, got %s",
		                    eg_json_type_name(architectures));
	for (size_t i = 0; architectures && i < architectures->u.array.len; i++)
		if (!YAJL_IS_STRING(architectures->u.array.values[i]))
			return eg_error_set(
			    err, EINVAL,
			    "linux.seccomp.architectures[%zu]: expected a string, got %s", i,
			    eg_json_type_name(architectures->u.array.values[i]));
	profile->syscalls = optional_member(seccomp, "syscalls");
	if (!profile->syscalls) {
		if (eg_json_object_set(seccomp, "syscalls", eg_json_new_array()) < 0)
			return eg_error_set(err, ENOMEM, "linux.seccomp.syscalls: out of memory");
		profile->syscalls = eg_json_member(seccomp, "syscalls");
	}
	if (!YAJL_IS_ARRAY(profile->syscalls))
		return eg_error_set(err, EINVAL,
		                    "linux.seccomp.syscalls: expected an array, got %s",
		                    eg_json_type_name(profile->syscalls));
	if (profile->syscalls->u.array.len > EG_SECCOMP_MAX_RULES)
		return eg_error_set(err, E2BIG, "linux.seccomp.syscalls: more than %u rules",
		                    EG_SECCOMP_MAX_RULES);
	for (size_t i = 0; i < profile->syscalls->u.array.len; i++) {
		r = validate_rule(profile, profile->syscalls->u.array.values[i], i, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Only after validate_profile(): these cannot fail. */
static struct action rule_action(yajl_val rule)
{
	struct action action = {.errno_value = EPERM};

	(void)parse_action(rule, "", "action", "errnoRet", &action, NULL);
	return action;
}

/* runc and crun: no args, or an empty array, is an unconditional rule. */
static bool rule_is_conditional(yajl_val rule)
{
	yajl_val args = optional_member(rule, "args");

	return args && args->u.array.len > 0;
}

static bool rule_names(yajl_val rule, const char *name)
{
	yajl_val names = optional_member(rule, "names");

	for (size_t i = 0; names && i < names->u.array.len; i++)
		if (!strcmp(names->u.array.values[i]->u.string, name))
			return true;
	return false;
}

/* What the filter the runtime builds does with a name (see the header):
 * the first unconditional rule that is not the default decides; else rules
 * with conditions, if any; else the default. */
static enum name_state name_state(const struct profile *profile, const char *name,
                                  bool *ret_passing_conditional)
{
	bool conditional = false;

	*ret_passing_conditional = false;
	for (size_t i = 0; i < profile->syscalls->u.array.len; i++) {
		yajl_val rule = profile->syscalls->u.array.values[i];
		struct action action;

		if (!rule_names(rule, name))
			continue;
		action = rule_action(rule);
		if (same_action(&action, &profile->default_action))
			continue;
		if (!rule_is_conditional(rule))
			return action.passes ? NAME_PASSES : NAME_REFUSED;
		conditional = true;
		*ret_passing_conditional |= action.passes;
	}
	if (conditional)
		return NAME_CONDITIONAL;
	return profile->default_action.passes ? NAME_PASSES : NAME_REFUSED;
}

/* Takes every occurrence of name out of rule's names; true when that left
 * the rule with no name at all (the caller drops it). */
static bool strip_name(yajl_val rule, const char *name)
{
	yajl_val names = optional_member(rule, "names");
	bool stripped = false;

	for (size_t i = names ? names->u.array.len : 0; i-- > 0;)
		if (!strcmp(names->u.array.values[i]->u.string, name)) {
			eg_json_array_remove(names, i);
			stripped = true;
		}
	return stripped && names->u.array.len == 0;
}

static void remove_name_everywhere(struct profile *profile, const char *name)
{
	for (size_t i = profile->syscalls->u.array.len; i-- > 0;)
		if (strip_name(profile->syscalls->u.array.values[i], name))
			eg_json_array_remove(profile->syscalls, i);
}

/* {"names": [name], "action": action}, or NULL when out of memory. */
static yajl_val new_rule(const char *name, const char *action)
{
	yajl_val rule = eg_json_new_object();

	if (!rule)
		return NULL;
	if (eg_json_object_set(rule, "names", eg_json_new_array()) < 0 ||
	    eg_json_object_set(rule, "action", eg_json_new_string(action)) < 0 ||
	    (name &&
	     eg_json_array_append(eg_json_member(rule, "names"), eg_json_new_string(name)) < 0)) {
		yajl_tree_free(rule);
		return NULL;
	}
	return rule;
}

static int out_of_memory(struct eg_error *err)
{
	return eg_error_set(err, ENOMEM, "linux.seccomp: out of memory");
}

/* Only rules with argument conditions name it.  Under a refusing default,
 * those that let it through become notify rules with the same conditions
 * and the others stay.  Under a passing default the name would need an
 * unconditional notify rule, which beats (so drops) every conditional one,
 * a refusing one included: that profile cannot be kept, so it is refused. */
static int notify_conditional(struct profile *profile, const char *name, size_t *count,
                              struct eg_error *err)
{
	size_t original = profile->syscalls->u.array.len;

	for (size_t i = 0; i < original; i++) {
		yajl_val rule = profile->syscalls->u.array.values[i], copy;
		struct action action = rule_action(rule);

		if (!rule_names(rule, name) || !rule_is_conditional(rule) ||
		    same_action(&action, &profile->default_action))
			continue;
		if (profile->default_action.passes)
			return eg_error_set(
			    err, EINVAL,
			    "linux.seccomp.syscalls[%zu]: a rule with argument "
			    "conditions (%s) for %s under defaultAction %s: the notify "
			    "rule %s needs would override it",
			    i, action.name, name, profile->default_action.name, name);
		if (!action.passes)
			continue;
		copy = new_rule(name, "SCMP_ACT_NOTIFY");
		if (!copy || eg_json_object_set(copy, "args",
		                                eg_json_copy(eg_json_member(rule, "args"))) < 0) {
			yajl_tree_free(copy);
			return out_of_memory(err);
		}
		if (eg_json_array_append(profile->syscalls, copy) < 0)
			return out_of_memory(err);
		(*count)++;
		if (strip_name(rule, name)) {
			eg_json_array_remove(profile->syscalls, i);
			i--;
			original--;
		}
	}
	return 0;
}

static int notify_watched(struct profile *profile, struct eg_seccomp_profile_report *report,
                          struct eg_error *err)
{
	yajl_val notify = new_rule(NULL, "SCMP_ACT_NOTIFY");
	int r = 0;

	if (!notify)
		return out_of_memory(err);
	for (size_t i = 0; r >= 0 && eg_seccomp_watched_syscalls[i]; i++) {
		const char *name = eg_seccomp_watched_syscalls[i];
		bool passing_conditional;

		switch (name_state(profile, name, &passing_conditional)) {
		case NAME_REFUSED:
			report->refused++;
			break;
		case NAME_PASSES:
			remove_name_everywhere(profile, name);
			r = eg_json_array_append(eg_json_member(notify, "names"),
			                         eg_json_new_string(name));
			if (r < 0)
				r = out_of_memory(err);
			report->notified++;
			break;
		case NAME_CONDITIONAL:
			if (!passing_conditional && !profile->default_action.passes)
				report->refused++; /* refused with or without conditions */
			else
				r = notify_conditional(profile, name, &report->notified_rules, err);
			break;
		}
	}
	if (r < 0 || report->notified == 0) {
		yajl_tree_free(notify);
		return r;
	}
	return eg_json_array_append(profile->syscalls, notify) < 0 ? out_of_memory(err) : 0;
}

/* Block and kill: io_uring_setup fails with EPERM, so a ring, whose
 * operations seccomp never sees, cannot connect around the watch. */
static int deny_io_uring(struct profile *profile, struct eg_seccomp_profile_report *report,
                         struct eg_error *err)
{
	static const char name[] = "io_uring_setup";
	bool passing_conditional;
	enum name_state state = name_state(profile, name, &passing_conditional);
	yajl_val rule;

	if (state == NAME_REFUSED ||
	    (state == NAME_CONDITIONAL && !passing_conditional && !profile->default_action.passes))
		return 0;
	remove_name_everywhere(profile, name);
	rule = new_rule(name, "SCMP_ACT_ERRNO");
	/* errnoRet 1: EPERM, which the monitor's denials also return. */
	if (!rule || eg_json_object_set(rule, "errnoRet", eg_json_new_number("1")) < 0) {
		yajl_tree_free(rule);
		return out_of_memory(err);
	}
	if (eg_json_array_append(profile->syscalls, rule) < 0)
		return out_of_memory(err);
	report->io_uring_denied = true;
	return 0;
}

/* The rule that decides for name: the first unconditional one that is not
 * the default (see name_state()), or NULL. */
static yajl_val deciding_rule(const struct profile *profile, const char *name)
{
	for (size_t i = 0; i < profile->syscalls->u.array.len; i++) {
		yajl_val rule = profile->syscalls->u.array.values[i];
		struct action action = rule_action(rule);

		if (rule_names(rule, name) && !rule_is_conditional(rule) &&
		    !same_action(&action, &profile->default_action))
			return rule;
	}
	return NULL;
}

/* {"names": ["socketcall"], "action": A, "args": [arg0 == call]}. */
static yajl_val socketcall_rule(const char *action, yajl_val errno_value, unsigned call)
{
	yajl_val rule = new_rule("socketcall", action), args = eg_json_new_array();
	yajl_val condition = eg_json_new_object();
	char value[16];
	int r = rule && args && condition ? 0 : -ENOMEM;

	snprintf(value, sizeof(value), "%u", call);
	if (r >= 0)
		r = eg_json_object_set(condition, "index", eg_json_new_number("0"));
	if (r >= 0)
		r = eg_json_object_set(condition, "value", eg_json_new_number(value));
	if (r >= 0)
		r = eg_json_object_set(condition, "op", eg_json_new_string("SCMP_CMP_EQ"));
	if (r >= 0)
		r = eg_json_array_append(args, steal_pointer(&condition));
	if (r >= 0 && errno_value)
		r = eg_json_object_set(rule, "errnoRet", eg_json_copy(errno_value));
	if (r >= 0)
		r = eg_json_object_set(rule, "args", steal_pointer(&args));
	yajl_tree_free(condition);
	yajl_tree_free(args);
	if (r < 0) {
		yajl_tree_free(rule);
		return NULL;
	}
	return rule;
}

/* The rule socketcall(call) gets in place of the unconditional one
 * (*ret_rule NULL: none, the default decides).  Its action is the one the
 * call's name has, so that the socketcall rule libseccomp makes from the
 * name's own unconditional rule is the very same one (a different action on
 * the same chain fails with EEXIST); a name with no such rule keeps the
 * action the unconditional socketcall rule gave it. */
static int sub_call_rule(const struct profile *profile, yajl_val socketcall, unsigned call,
                         yajl_val *ret_rule)
{
	const char *name = socket_calls[call];
	yajl_val source = deciding_rule(profile, name);
	bool passing_conditional;
	struct action action;

	*ret_rule = NULL;
	if (in_list(eg_seccomp_watched_syscalls, name)) {
		enum name_state state = name_state(profile, name, &passing_conditional);

		if (state == NAME_PASSES ||
		    (state == NAME_CONDITIONAL &&
		     (passing_conditional || profile->default_action.passes))) {
			*ret_rule = socketcall_rule("SCMP_ACT_NOTIFY", NULL, call);
			return *ret_rule ? 0 : -ENOMEM;
		}
		if (!source)
			return 0;
	} else if (!source) {
		source = socketcall;
	}
	action = rule_action(source);
	if (same_action(&action, &profile->default_action))
		return 0;
	*ret_rule = socketcall_rule(action.name, optional_member(source, "errnoRet"), call);
	return *ret_rule ? 0 : -ENOMEM;
}

/* An unconditional rule letting socketcall through beats the socketcall
 * (arg0 == SYS_CONNECT ...) notify rules libseccomp makes on x86 (see the
 * header): a 32-bit process would connect unwatched.  It is replaced by one
 * rule per socket call, put first: libseccomp then drops the longer
 * socketcall chains it makes from rules with conditions (Podman's "socket"
 * rules), just as the unconditional rule made it do; added after them, it
 * would fail with EEXIST on those chains. */
static int split_socketcall(struct profile *profile, struct eg_seccomp_profile_report *report,
                            struct eg_error *err)
{
	yajl_val socketcall = deciding_rule(profile, "socketcall");
	_cleanup_json_ yajl_val rules = NULL;

	if (!socketcall || !rule_action(socketcall).passes)
		return 0; /* nothing lets it all through */
	rules = eg_json_new_array();
	if (!rules)
		return out_of_memory(err);
	for (unsigned call = 1; call < SOCKET_CALLS_COUNT; call++) {
		yajl_val rule;

		if (sub_call_rule(profile, socketcall, call, &rule) < 0 ||
		    (rule && eg_json_array_append(rules, rule) < 0))
			return out_of_memory(err);
	}
	remove_name_everywhere(profile, "socketcall");
	for (size_t i = 0; i < rules->u.array.len; i++) {
		yajl_val rule = rules->u.array.values[i];

		rules->u.array.values[i] = NULL; /* moved, or freed by a failed insert */
		if (eg_json_array_insert(profile->syscalls, i, rule) < 0)
			return out_of_memory(err);
	}
	report->socketcall_split = true;
	return 0;
}

static size_t count_other_notify_rules(const struct profile *profile)
{
	size_t count = 0;

	for (size_t i = 0; i < profile->syscalls->u.array.len; i++) {
		yajl_val rule = profile->syscalls->u.array.values[i];
		yajl_val names = optional_member(rule, "names");
		bool other = false;

		if (strcmp(rule_action(rule).name, "SCMP_ACT_NOTIFY"))
			continue;
		/* socketcall carries the watched calls on x86 (see split_socketcall()) */
		for (size_t j = 0; names && j < names->u.array.len; j++)
			other |= !in_list(eg_seccomp_watched_syscalls,
			                  names->u.array.values[j]->u.string) &&
			         strcmp(names->u.array.values[j]->u.string, "socketcall");
		count += other;
	}
	return count;
}

static int new_profile(yajl_val linux_node, const struct eg_seccomp_profile_options *options,
                       struct eg_error *err)
{
	const char *const *architectures =
	    options->native_architectures ? options->native_architectures : native_architectures;
	yajl_val seccomp = eg_json_new_object(), list = eg_json_new_array();
	int r = 0;

	for (size_t i = 0; list && r >= 0 && architectures[i]; i++)
		r = eg_json_array_append(list, eg_json_new_string(architectures[i]));
	if (!seccomp || !list || r < 0 ||
	    eg_json_object_set(seccomp, "defaultAction", eg_json_new_string("SCMP_ACT_ALLOW")) <
	        0 ||
	    (list->u.array.len > 0 &&
	     eg_json_object_set(seccomp, "architectures", steal_pointer(&list)) < 0) ||
	    eg_json_object_set(seccomp, "syscalls", eg_json_new_array()) < 0) {
		yajl_tree_free(seccomp);
		yajl_tree_free(list);
		return out_of_memory(err);
	}
	yajl_tree_free(list);
	return eg_json_object_set(linux_node, "seccomp", seccomp) < 0 ? out_of_memory(err) : 0;
}

/* linux and linux.seccomp, made when absent (or null). */
static int find_profile(yajl_val config, const struct eg_seccomp_profile_options *options,
                        struct profile *profile, struct eg_seccomp_profile_report *report,
                        struct eg_error *err)
{
	yajl_val linux_node = optional_member(config, "linux");
	int r;

	if (!linux_node) {
		if (eg_json_object_set(config, "linux", eg_json_new_object()) < 0)
			return out_of_memory(err);
		linux_node = eg_json_member(config, "linux");
	}
	if (!YAJL_IS_OBJECT(linux_node))
		return eg_error_set(err, EINVAL, "linux: expected an object, got %s",
		                    eg_json_type_name(linux_node));
	r = eg_json_object_check_duplicates(linux_node, "linux", err);
	if (r < 0)
		return r;
	profile->seccomp = optional_member(linux_node, "seccomp");
	if (!profile->seccomp) {
		r = new_profile(linux_node, options, err);
		if (r < 0)
			return r;
		report->profile_added = true;
		profile->seccomp = eg_json_member(linux_node, "seccomp");
	}
	if (!YAJL_IS_OBJECT(profile->seccomp))
		return eg_error_set(err, EINVAL, "linux.seccomp: expected an object, got %s",
		                    eg_json_type_name(profile->seccomp));
	return validate_profile(profile, err);
}

static int set_listener(struct profile *profile, const struct eg_seccomp_profile_options *options,
                        struct eg_seccomp_profile_report *report, struct eg_error *err)
{
	report->listener_replaced = eg_json_member(profile->seccomp, "listenerPath") != NULL;
	eg_json_object_remove(profile->seccomp, "listenerPath");
	eg_json_object_remove(profile->seccomp, "listenerMetadata");
	if (eg_json_object_set(profile->seccomp, "listenerPath",
	                       eg_json_new_string(options->listener_path)) < 0 ||
	    (options->listener_metadata &&
	     eg_json_object_set(profile->seccomp, "listenerMetadata",
	                        eg_json_new_string(options->listener_metadata)) < 0))
		return out_of_memory(err);
	report->listener_set = true;
	return 0;
}

int eg_seccomp_profile_edit(yajl_val config, const struct eg_seccomp_profile_options *options,
                            struct eg_seccomp_profile_report *ret_report, struct eg_error *err)
{
	struct eg_seccomp_profile_report report = {0};
	struct profile profile = {0};
	int r;

	if (!YAJL_IS_OBJECT(config))
		return eg_error_set(err, EINVAL, "expected an object, got %s",
		                    eg_json_type_name(config));
	r = eg_json_object_check_duplicates(config, "", err);
	if (r >= 0)
		r = find_profile(config, options, &profile, &report, err);
	/* The notify rule goes last: a second edit takes it out and puts it
	 * back in the same place, so editing twice changes nothing. */
	if (r >= 0 && options->mode >= EG_MODE_BLOCK)
		r = deny_io_uring(&profile, &report, err);
	if (r >= 0)
		r = split_socketcall(&profile, &report, err);
	if (r >= 0)
		r = notify_watched(&profile, &report, err);
	if (r < 0)
		return r;
	report.other_notify_rules = count_other_notify_rules(&profile);
	/* Nothing of ours notified (the profile refuses all four): whatever
	 * listener the profile names stays. */
	if (report.notified + report.notified_rules > 0) {
		r = set_listener(&profile, options, &report, err);
		if (r < 0)
			return r;
	}
	*ret_report = report;
	return 0;
}

int eg_listener_metadata_format(enum eg_mode mode, char *buffer, size_t size)
{
	int length = snprintf(buffer, size, "mode=%s", eg_mode_name(mode));

	return length < 0 || (size_t)length >= size ? -ENOBUFS : 0;
}

int eg_listener_metadata_mode(const char *metadata, enum eg_mode *ret_mode)
{
	char word[16];

	for (const char *p = metadata; p && *p;) {
		size_t length = strcspn(p, " ");

		if (length > 5 && length - 5 < sizeof(word) && !strncmp(p, "mode=", 5)) {
			memcpy(word, p + 5, length - 5);
			word[length - 5] = '\0';
			return eg_mode_parse(word, ret_mode);
		}
		p += length + strspn(p + length, " ");
	}
	return -ENOENT;
}
