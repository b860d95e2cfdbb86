/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Socket calls by (architecture, syscall number); see socket_call.h. */
#include "monitor/socket_call.h"

#include <linux/audit.h>
#include <linux/net.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

static const char *const call_names[4] = {"connect", "sendto", "sendmsg", "sendmmsg"};

/* The highest i386 syscall number asked for by name: 1024 is well above
 * the last one (sendmmsg is 345, sendmsg 370; the table ends near 470). */
#define I386_SCAN_LIMIT 1024

static int resolve_by_scan(uint32_t arch, const char *name)
{
	for (int number = 0; number < I386_SCAN_LIMIT; number++) {
		char *found = seccomp_syscall_resolve_num_arch(arch, number);
		bool equal = found && !strcmp(found, name);

		free(found);
		if (equal)
			return number;
	}
	return -1;
}

static int resolve(uint32_t arch, const char *name, struct eg_error *err)
{
	int number = seccomp_syscall_resolve_name_arch(arch, name);

	/* A negative number is libseccomp's pseudo number of a multiplexed
	 * call: ask the other way round for the real one. */
	if (number < 0)
		number = resolve_by_scan(arch, name);
	if (number < 0)
		return eg_error_set(err, ENOSYS, "libseccomp does not know %s on arch 0x%x", name,
		                    arch);
	return number;
}

int eg_socket_call_table_init(struct eg_socket_call_table *table, struct eg_error *err)
{
	struct eg_socket_call_table result;

	for (int kind = 0; kind < 4; kind++) {
		result.x86_64[kind] = resolve(SCMP_ARCH_X86_64, call_names[kind], err);
		result.i386[kind] = resolve(SCMP_ARCH_X86, call_names[kind], err);
		if (result.x86_64[kind] < 0 || result.i386[kind] < 0)
			return -ENOSYS;
	}
	result.i386_socketcall = resolve(SCMP_ARCH_X86, "socketcall", err);
	if (result.i386_socketcall < 0)
		return -ENOSYS;
	*table = result;
	return 0;
}

/* The syscall's own argument order, the same for the direct calls and for
 * socketcall's array (net/socket.c):
 *   connect(fd, addr, addrlen)
 *   sendto(fd, buf, len, flags, addr, addrlen)
 *   sendmsg(fd, msg, flags)
 *   sendmmsg(fd, vec, vlen, flags) */
static void fill(struct eg_socket_call *call, enum eg_socket_call_kind kind, const uint64_t *args)
{
	call->kind = kind;
	call->fd = (int)(uint32_t)args[0];
	switch (kind) {
	case EG_SOCKET_CALL_CONNECT:
		call->address = args[1];
		call->address_length = (int32_t)(uint32_t)args[2];
		break;
	case EG_SOCKET_CALL_SENDTO:
		call->buffer = args[1];
		call->buffer_length = args[2];
		call->flags = (uint32_t)args[3];
		call->address = args[4];
		call->address_length = (int32_t)(uint32_t)args[5];
		break;
	case EG_SOCKET_CALL_SENDMSG:
		call->address = args[1];
		call->flags = (uint32_t)args[2];
		break;
	case EG_SOCKET_CALL_SENDMMSG:
		call->address = args[1];
		call->count = (uint32_t)args[2];
		call->flags = (uint32_t)args[3];
		break;
	default:
		break;
	}
}

static int kind_of(const int *numbers, int number)
{
	for (int kind = 0; kind < 4; kind++)
		if (numbers[kind] == number)
			return kind;
	return -1;
}

void eg_socket_call_decode(const struct eg_socket_call_table *table,
                           const struct seccomp_data *data, struct eg_socket_call *ret_call)
{
	struct eg_socket_call call = {.kind = EG_SOCKET_CALL_UNKNOWN, .fd = -1};
	uint64_t args[6];
	int kind;

	for (int i = 0; i < 6; i++)
		args[i] = data->args[i];
	if (data->arch == AUDIT_ARCH_X86_64) {
		kind = kind_of(table->x86_64, data->nr);
		if (kind >= 0)
			fill(&call, (enum eg_socket_call_kind)kind, args);
	} else if (data->arch == AUDIT_ARCH_I386) {
		call.compat = true;
		/* A 32-bit process's registers are 32 bits wide. */
		for (int i = 0; i < 6; i++)
			args[i] = (uint32_t)args[i];
		kind = kind_of(table->i386, data->nr);
		if (kind >= 0) {
			fill(&call, (enum eg_socket_call_kind)kind, args);
		} else if (data->nr == table->i386_socketcall) {
			call.socketcall = true;
			call.socketcall_number = (int)args[0];
			call.address = args[1];
			call.kind = EG_SOCKET_CALL_SOCKETCALL;
			switch (call.socketcall_number) {
			case SYS_CONNECT:
			case SYS_SENDMSG:
				call.count = 3;
				break;
			case SYS_SENDMMSG:
				call.count = 4;
				break;
			case SYS_SENDTO:
				call.count = 6;
				break;
			default:
				call.kind = EG_SOCKET_CALL_OTHER;
				break;
			}
		}
	}
	*ret_call = call;
}

void eg_socket_call_apply_socketcall(struct eg_socket_call *call, const uint32_t *args)
{
	uint64_t wide[6] = {0};
	enum eg_socket_call_kind kind = EG_SOCKET_CALL_OTHER;

	for (uint32_t i = 0; i < call->count && i < EG_SOCKETCALL_ARGS_MAX; i++)
		wide[i] = args[i];
	switch (call->socketcall_number) {
	case SYS_CONNECT:
		kind = EG_SOCKET_CALL_CONNECT;
		break;
	case SYS_SENDTO:
		kind = EG_SOCKET_CALL_SENDTO;
		break;
	case SYS_SENDMSG:
		kind = EG_SOCKET_CALL_SENDMSG;
		break;
	case SYS_SENDMMSG:
		kind = EG_SOCKET_CALL_SENDMMSG;
		break;
	}
	call->address = 0;
	call->count = 0;
	fill(call, kind, wide);
}

const char *eg_socket_call_name(enum eg_socket_call_kind kind)
{
	switch (kind) {
	case EG_SOCKET_CALL_CONNECT:
	case EG_SOCKET_CALL_SENDTO:
	case EG_SOCKET_CALL_SENDMSG:
	case EG_SOCKET_CALL_SENDMMSG:
		return call_names[kind];
	case EG_SOCKET_CALL_OTHER:
	case EG_SOCKET_CALL_SOCKETCALL:
		return "socketcall";
	case EG_SOCKET_CALL_UNKNOWN:
		break;
	}
	return "unknown";
}
