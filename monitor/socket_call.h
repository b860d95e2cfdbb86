/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which socket call a seccomp notification is, and its arguments, by
 * (architecture, syscall number):
 *  - x86_64: connect, sendto, sendmsg, sendmmsg;
 *  - i386 (a 32-bit process on a 64-bit kernel): the same four as direct
 *    syscalls (Linux 4.3+), and socketcall(2) with SYS_CONNECT, SYS_SENDTO,
 *    SYS_SENDMSG or SYS_SENDMMSG, whose arguments are an array of 32-bit
 *    values in the target's memory (eg_socket_call_apply_socketcall()).
 * The numbers come from libseccomp at start-up, never from a table of ours.
 * libseccomp 2.5 names the i386 direct calls only in the number -> name
 * direction (name -> number gives a negative pseudo number, because of
 * socketcall multiplexing), so for those the table is found by asking for
 * the name of each number.
 *
 * Other architectures (x32 included: AUDIT_ARCH_X86_64 with the x32 bit in
 * the number) are EG_SOCKET_CALL_UNKNOWN: the monitor denies them in block
 * and kill modes rather than guess at layouts it has not tested.
 */
#ifndef ENTRYGUARD_MONITOR_SOCKET_CALL_H
#define ENTRYGUARD_MONITOR_SOCKET_CALL_H

#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "entryguard/error.h"

enum eg_socket_call_kind {
	EG_SOCKET_CALL_CONNECT,
	EG_SOCKET_CALL_SENDTO,
	EG_SOCKET_CALL_SENDMSG,
	EG_SOCKET_CALL_SENDMMSG,
	/* socketcall(2) with a call that names no destination (socket, bind,
	 * send, recv, ...), or an invalid call number the kernel refuses from
	 * the register alone: nothing to judge. */
	EG_SOCKET_CALL_OTHER,
	/* socketcall(2) whose argument array is still to be read. */
	EG_SOCKET_CALL_SOCKETCALL,
	EG_SOCKET_CALL_UNKNOWN, /* not in the table */
};

/* At most this many 32-bit arguments are read for a socketcall. */
#define EG_SOCKETCALL_ARGS_MAX 6

struct eg_socket_call {
	enum eg_socket_call_kind kind;
	bool compat;     /* i386 layouts */
	bool socketcall; /* came through socketcall(2) */
	int fd;
	/* connect: the sockaddr; sendto: the destination (0: none);
	 * sendmsg: the msghdr; sendmmsg: the mmsghdr vector;
	 * EG_SOCKET_CALL_SOCKETCALL: the argument array. */
	uint64_t address;
	int64_t address_length; /* connect, sendto: an int in every ABI */
	uint64_t buffer;        /* sendto */
	uint64_t buffer_length; /* sendto */
	uint32_t flags;         /* sendto, sendmsg, sendmmsg */
	uint32_t count;         /* sendmmsg: vlen; EG_SOCKET_CALL_SOCKETCALL: arguments to read */
	int socketcall_number;  /* EG_SOCKET_CALL_SOCKETCALL */
};

struct eg_socket_call_table {
	int x86_64[4]; /* by kind: connect, sendto, sendmsg, sendmmsg */
	int i386[4];
	int i386_socketcall;
};

int eg_socket_call_table_init(struct eg_socket_call_table *table, struct eg_error *err);

/* Decodes the registers of a notification. */
void eg_socket_call_decode(const struct eg_socket_call_table *table,
                           const struct seccomp_data *data, struct eg_socket_call *ret_call);

/* Completes an EG_SOCKET_CALL_SOCKETCALL from its argument array (call->count
 * values read from call->address). */
void eg_socket_call_apply_socketcall(struct eg_socket_call *call, const uint32_t *args);

const char *eg_socket_call_name(enum eg_socket_call_kind kind);

#endif
