/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helpers shared by the profile edit tests (test_seccomp_profile*.c):
 * editing fixtures, and building the filter from a profile the way runc and
 * crun do with libseccomp, then running the BPF it makes on a syscall. */
#ifndef ENTRYGUARD_TESTS_SECCOMP_PROFILE_HELPERS_H
#define ENTRYGUARD_TESTS_SECCOMP_PROFILE_HELPERS_H

#include <linux/filter.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include "entryguard/config.h"
#include "entryguard/seccomp_profile.h"
#include "tests/unit.h"

/* linux/audit.h's AUDIT_ARCH_* as seccomp_data.arch holds them. */
#define ARCH_X86_64 0xc000003eU
#define ARCH_I386   0x40000003U
#define X32_BIT     0x40000000

#define LISTENER_PATH "/run/entryguard/test-id/seccomp.sock"

/* The config.json files of tests/fixtures/ (NULL-terminated). */
extern const char *const profile_fixtures[];

/* Parses tests/fixtures/<name> (or text when name starts with '{'). */
yajl_val load_config_json(const char *name);

/* Runs eg_seccomp_profile_edit() in mode, which must succeed. */
struct eg_seccomp_profile_report edit_ok(yajl_val config, enum eg_mode mode);

/* Writes config as text (must succeed; caller frees). */
char *write_ok(yajl_val config);

/* The filter runc and crun build from a linux.seccomp object: 0, or a
 * negative errno with the rule and name that failed in error. */
struct filter {
	struct sock_filter *code;
	size_t length;
};
int filter_build(yajl_val seccomp, struct filter *ret, char *error, size_t size);
/* The BPF of a libseccomp context (a scmp_filter_ctx). */
int filter_export(void *context, struct filter *ret);
void filter_free(struct filter *filter);

/* What the filter returns (SECCOMP_RET_*) for syscall nr of arch with
 * these args (the rest 0). */
uint32_t filter_run(const struct filter *filter, uint32_t arch, int nr, const uint64_t *args,
                    size_t args_count);

/* linux.seccomp of a config tree. */
yajl_val seccomp_of(yajl_val config);

#endif
