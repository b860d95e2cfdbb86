/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The seccomp part of the edit entryguard-runtime makes to a bundle's
 * config.json on `create` (the hook entry and the file are
 * oci/runtime/config_json.c's), on the yajl tree of the file:
 *
 *  - linux.seccomp: connect, sendto, sendmsg and sendmmsg go to the
 *    container's monitor (SCMP_ACT_NOTIFY) wherever the profile lets them
 *    through; in block and kill modes io_uring_setup fails with EPERM;
 *    listenerPath and listenerMetadata name the monitor's socket.  Every
 *    other rule is kept.  With no profile, a minimal one is added
 *    (defaultAction SCMP_ACT_ALLOW, this machine's native architectures).
 *
 * How runtimes build the filter decides how the rules must be written (read
 * in libseccomp 2.5's src/db.c db_rule_add() and src/arch-x86.c
 * x86_rule_add(), runc's libcontainer/seccomp/seccomp_linux.go and crun's
 * src/libcrun/seccomp.c, and checked against libseccomp 2.5.4 by
 * tests/test_seccomp_profile_filter.c):
 *  - runc and crun add the rules in order with seccomp_rule_add(), skipping
 *    any rule whose action equals the default action (libseccomp would
 *    refuse it with EACCES);
 *  - for one syscall, an unconditional rule (no args) beats every rule with
 *    conditions whatever their order, and among unconditional rules the
 *    FIRST wins: libseccomp drops a later one silently, or fails with EEXIST
 *    (and the runtime refuses the container) where the actions differ on
 *    32-bit x86.  So neither "last wins" nor "first wins" can be relied on:
 *    a watched name is taken out of every other rule instead;
 *  - on SCMP_ARCH_X86 a rule for connect (or sendto, sendmsg, sendmmsg)
 *    becomes two: the direct syscall (362) and socketcall(102) with
 *    arg0 == SYS_CONNECT (3); libseccomp overwrites a rule's own arg0
 *    condition there.  An unconditional rule allowing socketcall, which
 *    Podman's and Docker's default profiles have, would beat that
 *    conditional one, and a 32-bit process would connect through
 *    socketcall() unwatched.  It is replaced by one rule per socket call
 *    (arg0 == 1 ... 20), put first, with the action the call's own name
 *    has (NOTIFY for the four watched ones), or the socketcall rule's
 *    action for a name with no unconditional rule.  Put first, they make
 *    libseccomp drop the longer socketcall chains it derives from rules
 *    with conditions, as the unconditional rule did: Podman's three
 *    conditional "socket" rules collide (EEXIST) on x86 otherwise.
 * See docs/RUNTIME.md for the whole reasoning.
 */
#ifndef ENTRYGUARD_SECCOMP_PROFILE_H
#define ENTRYGUARD_SECCOMP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "entryguard/config.h"
#include "entryguard/error.h"

/* The syscalls whose attempts the monitor decides (NULL-terminated). */
extern const char *const eg_seccomp_watched_syscalls[];

/* Bounds on what one profile may make the edit walk: far above Podman's
 * default profile (23 rules, 450 names). */
#define EG_SECCOMP_MAX_RULES 4096u
#define EG_SECCOMP_MAX_NAMES 16384u

struct eg_seccomp_profile_options {
	enum eg_mode mode;             /* detect, block or kill */
	const char *listener_path;     /* linux.seccomp.listenerPath */
	const char *listener_metadata; /* linux.seccomp.listenerMetadata */
	/* For a profile that had none; NULL: this build's native ones. */
	const char *const *native_architectures;
};

struct eg_seccomp_profile_report {
	bool profile_added;        /* there was no linux.seccomp */
	size_t notified;           /* watched names now notified unconditionally */
	size_t notified_rules;     /* rules with conditions turned into notify rules */
	size_t refused;            /* watched names the profile refuses everywhere already */
	bool io_uring_denied;      /* an io_uring_setup rule (EPERM) was added */
	bool socketcall_split;     /* an unconditional socketcall rule was replaced */
	size_t other_notify_rules; /* notify rules for other syscalls (they reach the monitor) */
	bool listener_set;         /* listenerPath set: something is notified */
	bool listener_replaced;    /* a listenerPath was there before */
};

/* Edits linux.seccomp of config (a config.json tree).  Errors name the key
 * path ("linux.seccomp.syscalls[3].names[1]: expected a string, got a
 * number"); on error the tree may be half edited and must not be written. */
int eg_seccomp_profile_edit(yajl_val config, const struct eg_seccomp_profile_options *options,
                            struct eg_seccomp_profile_report *ret_report, struct eg_error *err);

/* linux.seccomp.listenerMetadata, which the runtime hands to the monitor in
 * its listener message: "mode=<off|detect|block|kill>"; later versions may
 * add " key=value" pairs, so a reader looks for the mode= token. */
int eg_listener_metadata_format(enum eg_mode mode, char *buffer, size_t size);
int eg_listener_metadata_mode(const char *metadata, enum eg_mode *ret_mode);

#endif
