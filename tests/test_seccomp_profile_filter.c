/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the edited profiles do once a runtime has built them into a filter
 * with libseccomp (as runc and crun do it), for 64-bit, 32-bit x86 and x32
 * processes: the four watched syscalls reach the listener, also through
 * socketcall(); every other syscall gets exactly what it got before; in
 * block mode io_uring_setup fails.  And the libseccomp behaviour the edit
 * relies on (include/entryguard/seccomp_profile.h), pinned down.
 */
#include "tests/seccomp_profile_helpers.h"

#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/json.h"

#define RET_NOTIFY         0x7fc00000U /* SECCOMP_RET_USER_NOTIF */
#define RET_ALLOW          0x7fff0000U /* SECCOMP_RET_ALLOW */
#define RET_ACTION         0xffff0000U /* SECCOMP_RET_ACTION_FULL */
#define HIGHEST_NR         560         /* above every syscall number of the three tables */
#define NR_SOCKETCALL_I386 102
#define NR_IO_URING_SETUP  425 /* the same on x86_64 and i386 */

/* connect, sendto, sendmsg, sendmmsg in asm/unistd_64.h, unistd_32.h (the
 * direct socket syscalls) and unistd_x32.h (with __X32_SYSCALL_BIT). */
static const int watched_x86_64[] = {42, 44, 46, 307};
static const int watched_i386[] = {362, 369, 370, 345};
static const int watched_x32[] = {42, 44, 518, 538};
static const unsigned watched_socketcall[] = {3, 11, 16, 20}; /* SYS_CONNECT ... SYS_SENDMMSG */

static bool contains(const int *list, size_t count, int nr)
{
	for (size_t i = 0; i < count; i++)
		if (list[i] == nr)
			return true;
	return false;
}

static bool lists_architecture(yajl_val seccomp, const char *name)
{
	yajl_val list = eg_json_member(seccomp, "architectures");

	for (size_t i = 0; list && i < list->u.array.len; i++)
		if (!strcmp(list->u.array.values[i]->u.string, name))
			return true;
	return false;
}

static void build(yajl_val seccomp, struct filter *filter, const char *what)
{
	char error[256] = "";

	if (filter_build(seccomp, filter, error, sizeof(error)) < 0)
		fail_msg("%s: libseccomp refuses the profile: %s", what, error);
}

static bool refuses(uint32_t action)
{
	action &= RET_ACTION;
	return action != RET_ALLOW && action != RET_NOTIFY && action != 0x7ffc0000U /* LOG */ &&
	       action != 0x7ff00000U /* TRACE */;
}

/* Every syscall of arch but the ones named: the same before and after. */
static void check_others_unchanged(const struct filter *before, const struct filter *after,
                                   uint32_t arch, int nr_bit, const int *skip, size_t skipped,
                                   const char *what)
{
	for (int nr = 0; nr <= HIGHEST_NR; nr++) {
		uint32_t was, is;

		if (contains(skip, skipped, nr))
			continue;
		was = before ? filter_run(before, arch, nr | nr_bit, NULL, 0) : RET_ALLOW;
		is = filter_run(after, arch, nr | nr_bit, NULL, 0);
		if (was != is)
			fail_msg("%s: arch %#x syscall %d was %#x, is %#x", what, arch, nr, was,
			         is);
	}
}

static void check_i386(const struct filter *before, const struct filter *after, enum eg_mode mode,
                       const char *what)
{
	const int skip[] = {362, 369, 370, 345, NR_SOCKETCALL_I386, NR_IO_URING_SETUP};

	for (size_t i = 0; i < 4; i++) {
		uint64_t args[1] = {watched_socketcall[i]};

		assert_int_equal(filter_run(after, ARCH_I386, watched_i386[i], NULL, 0),
		                 RET_NOTIFY);
		/* the way a 32-bit process could slip past: socketcall() */
		if (filter_run(after, ARCH_I386, NR_SOCKETCALL_I386, args, 1) != RET_NOTIFY)
			fail_msg("%s: socketcall(%u) is not notified", what, watched_socketcall[i]);
	}
	for (unsigned call = 1; call <= 20; call++) {
		uint64_t args[1] = {call};
		uint32_t was =
		    before ? filter_run(before, ARCH_I386, NR_SOCKETCALL_I386, args, 1) : RET_ALLOW;

		if (call == 3 || call == 11 || call == 16 || call == 20)
			continue;
		if (filter_run(after, ARCH_I386, NR_SOCKETCALL_I386, args, 1) != was)
			fail_msg("%s: socketcall(%u) changed", what, call);
	}
	check_others_unchanged(before, after, ARCH_I386, 0, skip, 6, what);
	if (mode >= EG_MODE_BLOCK)
		assert_true(refuses(filter_run(after, ARCH_I386, NR_IO_URING_SETUP, NULL, 0)));
}

static void check_fixture(const char *fixture, enum eg_mode mode)
{
	_cleanup_json_ yajl_val original = load_config_json(fixture);
	_cleanup_json_ yajl_val config = load_config_json(fixture);
	struct filter before = {0}, after = {0};
	const int skip[] = {42, 44, 46, 307, NR_IO_URING_SETUP};
	yajl_val seccomp;
	char what[128];

	snprintf(what, sizeof(what), "%s (%s)", fixture, eg_mode_name(mode));
	edit_ok(config, mode);
	seccomp = seccomp_of(config);
	if (seccomp_of(original))
		build(seccomp_of(original), &before, what);
	build(seccomp, &after, what);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(filter_run(&after, ARCH_X86_64, watched_x86_64[i], NULL, 0),
		                 RET_NOTIFY);
	check_others_unchanged(before.code ? &before : NULL, &after, ARCH_X86_64, 0, skip, 5, what);
	if (mode >= EG_MODE_BLOCK)
		assert_true(refuses(filter_run(&after, ARCH_X86_64, NR_IO_URING_SETUP, NULL, 0)));
	else
		assert_int_equal(filter_run(&after, ARCH_X86_64, NR_IO_URING_SETUP, NULL, 0),
		                 before.code
		                     ? filter_run(&before, ARCH_X86_64, NR_IO_URING_SETUP, NULL, 0)
		                     : RET_ALLOW);
	if (lists_architecture(seccomp, "SCMP_ARCH_X86"))
		check_i386(before.code ? &before : NULL, &after, mode, what);
	if (lists_architecture(seccomp, "SCMP_ARCH_X32")) {
		const int skip_x32[] = {42, 44, 518, 538, NR_IO_URING_SETUP};

		for (size_t i = 0; i < 4; i++)
			assert_int_equal(
			    filter_run(&after, ARCH_X86_64, watched_x32[i] | X32_BIT, NULL, 0),
			    RET_NOTIFY);
		check_others_unchanged(before.code ? &before : NULL, &after, ARCH_X86_64, X32_BIT,
		                       skip_x32, 5, what);
	}
	filter_free(&before);
	filter_free(&after);
}

static void every_fixture_builds_and_watches(void **state)
{
	(void)state;
	for (size_t i = 0; profile_fixtures[i]; i++) {
		check_fixture(profile_fixtures[i], EG_MODE_DETECT);
		check_fixture(profile_fixtures[i], EG_MODE_BLOCK);
	}
}

/* The minimal profile covers 32-bit processes too (it lists x86 and x32),
 * and leaves their other socket calls to the allowing default. */
static void minimal_profile_covers_32_bit(void **state)
{
	_cleanup_json_ yajl_val config = load_config_json("{}");
	struct filter filter = {0};
	uint64_t socket_call[1] = {1};

	(void)state;
	edit_ok(config, EG_MODE_BLOCK);
	build(seccomp_of(config), &filter, "minimal");
#if defined(__x86_64__)
	check_i386(NULL, &filter, EG_MODE_BLOCK, "minimal");
	assert_int_equal(filter_run(&filter, ARCH_I386, NR_SOCKETCALL_I386, socket_call, 1),
	                 RET_ALLOW);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(
		    filter_run(&filter, ARCH_X86_64, watched_x32[i] | X32_BIT, NULL, 0),
		    RET_NOTIFY);
#endif
	assert_int_equal(filter_run(&filter, ARCH_X86_64, NR_IO_URING_SETUP, NULL, 0),
	                 0x00050000U | 1); /* SECCOMP_RET_ERRNO | EPERM */
	filter_free(&filter);
}

static scmp_filter_ctx new_context(bool with_i386)
{
	scmp_filter_ctx context = seccomp_init(SCMP_ACT_ERRNO(38));

	assert_non_null(context);
	if (with_i386)
		assert_int_equal(seccomp_arch_add(context, SCMP_ARCH_X86), 0);
	return context;
}

static struct filter export(scmp_filter_ctx context)
{
	struct filter filter = {0};

	assert_int_equal(filter_export(context, &filter), 0);
	seccomp_release(context);
	return filter;
}

/* What the edit is built on, checked against the libseccomp installed. */
static void libseccomp_precedence(void **state)
{
	int connect = seccomp_syscall_resolve_name("connect");
	int socketcall = seccomp_syscall_resolve_name("socketcall");
	uint64_t sys_connect[1] = {3};
	const struct scmp_arg_cmp first_is_3 = {.arg = 0, .op = SCMP_CMP_EQ, .datum_a = 3};
	scmp_filter_ctx context;
	struct filter filter;

	(void)state;
	/* 1. An unconditional socketcall rule beats the socketcall(arg0 == 3)
	 * rule libseccomp makes for connect on x86, in either order: the hole
	 * the edit closes. */
	for (int order = 0; order < 2; order++) {
		context = new_context(true);
		if (order == 0)
			assert_int_equal(seccomp_rule_add(context, SCMP_ACT_ALLOW, socketcall, 0),
			                 0);
		assert_int_equal(seccomp_rule_add(context, SCMP_ACT_NOTIFY, connect, 0), 0);
		if (order == 1)
			assert_int_equal(seccomp_rule_add(context, SCMP_ACT_ALLOW, socketcall, 0),
			                 0);
		filter = export(context);
		assert_int_equal(filter_run(&filter, ARCH_I386, 362, NULL, 0), RET_NOTIFY);
		assert_int_equal(filter_run(&filter, ARCH_I386, NR_SOCKETCALL_I386, sys_connect, 1),
		                 RET_ALLOW);
		filter_free(&filter);
	}
	/* 2. Two unconditional rules: the first wins, the second is dropped
	 * silently (64-bit only) or refused with EEXIST (with x86). */
	context = new_context(false);
	assert_int_equal(seccomp_rule_add(context, SCMP_ACT_ALLOW, connect, 0), 0);
	assert_int_equal(seccomp_rule_add(context, SCMP_ACT_NOTIFY, connect, 0), 0);
	filter = export(context);
	assert_int_equal(filter_run(&filter, ARCH_X86_64, 42, NULL, 0), RET_ALLOW);
	filter_free(&filter);
	context = new_context(true);
	assert_int_equal(seccomp_rule_add(context, SCMP_ACT_ALLOW, connect, 0), 0);
	assert_int_equal(seccomp_rule_add(context, SCMP_ACT_NOTIFY, connect, 0), -EEXIST);
	seccomp_release(context);
	/* 3. An unconditional rule beats one with conditions, in either order. */
	for (int order = 0; order < 2; order++) {
		context = new_context(false);
		if (order == 0)
			assert_int_equal(seccomp_rule_add_array(context, SCMP_ACT_ALLOW, connect, 1,
			                                        &first_is_3),
			                 0);
		assert_int_equal(seccomp_rule_add(context, SCMP_ACT_NOTIFY, connect, 0), 0);
		if (order == 1)
			assert_int_equal(seccomp_rule_add_array(context, SCMP_ACT_ALLOW, connect, 1,
			                                        &first_is_3),
			                 0);
		filter = export(context);
		assert_int_equal(filter_run(&filter, ARCH_X86_64, 42, sys_connect, 1), RET_NOTIFY);
		filter_free(&filter);
	}
	/* 4. A rule with the default action is refused (runc and crun skip it). */
	context = new_context(false);
	assert_int_equal(seccomp_rule_add(context, SCMP_ACT_ERRNO(38), connect, 0), -EACCES);
	seccomp_release(context);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_fixture_builds_and_watches),
	    cmocka_unit_test(minimal_profile_covers_32_bit),
	    cmocka_unit_test(libseccomp_precedence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
