/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "tests/seccomp_profile_helpers.h"

#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "entryguard/json.h"
#include "entryguard/json_write.h"

const char *const profile_fixtures[] = {
    "runc/config.json",
    "crun/config.json",
    "podman-crun/config.json",
    "podman-runc/config.json",
    "podman-rootless/config.json",
    "containerd/config.json",
    "containerd/config-pre-injection.json",
    NULL,
};

yajl_val load_config_json(const char *name)
{
	_cleanup_free_ char *path = NULL, *buffer = NULL;
	struct eg_error err = {0};
	yajl_val tree = NULL;
	size_t length;

	if (name[0] == '{') {
		if (eg_json_parse("test", name, strlen(name), &tree, &err) < 0)
			fail_msg("%s", err.message);
		return tree;
	}
	assert_true(asprintf(&path, "%s/%s", EG_FIXTURES_DIR, name) > 0);
	if (eg_read_file_bounded(path, EG_JSON_MAX_BYTES, &buffer, &length, &err) < 0 ||
	    eg_json_parse(path, buffer, length, &tree, &err) < 0)
		fail_msg("%s", err.message);
	return tree;
}

struct eg_seccomp_profile_report edit_ok(yajl_val config, enum eg_mode mode)
{
	struct eg_seccomp_profile_report report;
	struct eg_error err = {0};
	char metadata[32];
	struct eg_seccomp_profile_options options = {
	    .mode = mode,
	    .listener_path = LISTENER_PATH,
	    .listener_metadata = metadata,
	};

	assert_int_equal(eg_listener_metadata_format(mode, metadata, sizeof(metadata)), 0);
	if (eg_seccomp_profile_edit(config, &options, &report, &err) < 0)
		fail_msg("%s", err.message);
	return report;
}

char *write_ok(yajl_val config)
{
	struct eg_error err = {0};
	char *text = NULL;
	size_t length;

	if (eg_json_write(config, EG_JSON_MAX_BYTES, &text, &length, &err) < 0)
		fail_msg("%s", err.message);
	return text;
}

yajl_val seccomp_of(yajl_val config)
{
	return eg_json_member(eg_json_member(config, "linux"), "seccomp");
}

/* runc's getAction() / crun's get_seccomp_action(): errnoRet defaults to
 * EPERM; KILL is KILL_THREAD. */
static uint32_t action_value(yajl_val object, const char *action_key, const char *errno_key)
{
	const char *name = eg_json_member(object, action_key)->u.string;
	yajl_val errno_node = eg_json_member(object, errno_key);
	uint32_t errno_value = errno_node ? (uint32_t)YAJL_GET_INTEGER(errno_node) : EPERM;

	if (!strcmp(name, "SCMP_ACT_ALLOW"))
		return SCMP_ACT_ALLOW;
	if (!strcmp(name, "SCMP_ACT_ERRNO"))
		return SCMP_ACT_ERRNO(errno_value);
	if (!strcmp(name, "SCMP_ACT_KILL") || !strcmp(name, "SCMP_ACT_KILL_THREAD"))
		return SCMP_ACT_KILL_THREAD;
	if (!strcmp(name, "SCMP_ACT_KILL_PROCESS"))
		return SCMP_ACT_KILL_PROCESS;
	if (!strcmp(name, "SCMP_ACT_TRAP"))
		return SCMP_ACT_TRAP;
	if (!strcmp(name, "SCMP_ACT_TRACE"))
		return SCMP_ACT_TRACE(errno_value);
	if (!strcmp(name, "SCMP_ACT_LOG"))
		return SCMP_ACT_LOG;
	if (!strcmp(name, "SCMP_ACT_NOTIFY"))
		return SCMP_ACT_NOTIFY;
	fail_msg("unknown action %s", name);
	return 0;
}

static enum scmp_compare operator_value(const char *name)
{
	static const struct {
		const char *name;
		enum scmp_compare value;
	} operators[] = {
	    {"SCMP_CMP_NE", SCMP_CMP_NE},
	    {"SCMP_CMP_LT", SCMP_CMP_LT},
	    {"SCMP_CMP_LE", SCMP_CMP_LE},
	    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
	    {"SCMP_CMP_GE", SCMP_CMP_GE},
	    {"SCMP_CMP_GT", SCMP_CMP_GT},
	    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
	};

	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
		if (!strcmp(operators[i].name, name))
			return operators[i].value;
	fail_msg("unknown operator %s", name);
	return SCMP_CMP_EQ;
}

static void add_architectures(scmp_filter_ctx context, yajl_val seccomp)
{
	yajl_val list = eg_json_member(seccomp, "architectures");

	for (size_t i = 0; list && i < list->u.array.len; i++) {
		char name[32];
		const char *text = list->u.array.values[i]->u.string + strlen("SCMP_ARCH_");
		size_t j = 0;
		int r;

		for (; text[j] && j < sizeof(name) - 1; j++)
			name[j] = (char)tolower((unsigned char)text[j]);
		name[j] = '\0';
		r = seccomp_arch_add(context, seccomp_arch_resolve_name(name));
		assert_true(r == 0 || r == -EEXIST);
	}
}

/* One rule, as crun's libcrun_generate_seccomp() and runc's matchCall() add
 * it: two conditions on one argument become separate rules. */
static int add_rule(scmp_filter_ctx context, uint32_t action, int nr, yajl_val args)
{
	struct scmp_arg_cmp conditions[6];
	unsigned counts[6] = {0};
	size_t count = args ? args->u.array.len : 0;
	bool split = false;
	int r = 0;

	assert_true(count <= 6);
	for (size_t k = 0; k < count; k++) {
		yajl_val arg = args->u.array.values[k], two = eg_json_member(arg, "valueTwo");

		conditions[k].arg = (unsigned)YAJL_GET_INTEGER(eg_json_member(arg, "index"));
		conditions[k].op = operator_value(eg_json_member(arg, "op")->u.string);
		conditions[k].datum_a =
		    strtoull(eg_json_member(arg, "value")->u.number.r, NULL, 10);
		conditions[k].datum_b = two ? strtoull(two->u.number.r, NULL, 10) : 0;
		split |= ++counts[conditions[k].arg] > 1;
	}
	if (!split)
		return seccomp_rule_add_array(context, action, nr, (unsigned)count, conditions);
	for (size_t k = 0; r == 0 && k < count; k++)
		r = seccomp_rule_add_array(context, action, nr, 1, &conditions[k]);
	return r;
}

int filter_export(void *context, struct filter *ret)
{
	int fd = memfd_create("filter", MFD_CLOEXEC);
	off_t size;
	int r;

	assert_true(fd >= 0);
	r = seccomp_export_bpf(context, fd);
	size = lseek(fd, 0, SEEK_END);
	if (r == 0) {
		ret->length = (size_t)size / sizeof(struct sock_filter);
		ret->code = malloc((size_t)size);
		assert_non_null(ret->code);
		assert_int_equal(pread(fd, ret->code, (size_t)size, 0), size);
	}
	close(fd);
	return r;
}

int filter_build(yajl_val seccomp, struct filter *ret, char *error, size_t size)
{
	uint32_t default_action = action_value(seccomp, "defaultAction", "defaultErrnoRet");
	scmp_filter_ctx context = seccomp_init(default_action);
	yajl_val rules = eg_json_member(seccomp, "syscalls");
	int r = 0;

	assert_non_null(context);
	add_architectures(context, seccomp);
	for (size_t i = 0; r == 0 && rules && i < rules->u.array.len; i++) {
		yajl_val rule = rules->u.array.values[i], names = eg_json_member(rule, "names");
		uint32_t action = action_value(rule, "action", "errnoRet");

		if (action == default_action)
			continue;
		for (size_t j = 0; r == 0 && names && j < names->u.array.len; j++) {
			const char *name = names->u.array.values[j]->u.string;
			int nr = seccomp_syscall_resolve_name(name);

			if (nr == __NR_SCMP_ERROR)
				continue; /* runc and crun skip what this libseccomp lacks */
			r = add_rule(context, action, nr, eg_json_member(rule, "args"));
			if (r < 0)
				snprintf(error, size, "syscalls[%zu] %s: %s", i, name,
				         strerror(-r));
		}
	}
	if (r == 0) {
		r = filter_export(context, ret);
		if (r < 0)
			snprintf(error, size, "seccomp_export_bpf: %s", strerror(-r));
	}
	seccomp_release(context);
	return r;
}

void filter_free(struct filter *filter)
{
	free(filter->code);
	filter->code = NULL;
}

/* Classic BPF, the part libseccomp generates (a test fails on any other
 * instruction rather than guess). seccomp_data is 64 bytes: nr, arch, ip,
 * args[6], little-endian here. */
uint32_t filter_run(const struct filter *filter, uint32_t arch, int nr, const uint64_t *args,
                    size_t args_count)
{
	uint32_t data[16] = {(uint32_t)nr, arch};
	uint32_t accumulator = 0;

	for (size_t i = 0; i < args_count && i < 6; i++) {
		data[4 + 2 * i] = (uint32_t)args[i];
		data[5 + 2 * i] = (uint32_t)(args[i] >> 32);
	}
	for (size_t pc = 0; pc < filter->length; pc++) {
		const struct sock_filter *instruction = &filter->code[pc];
		uint32_t k = instruction->k;

		switch (instruction->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(k % 4 == 0 && k < sizeof(data));
			accumulator = data[k / 4];
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			accumulator &= k;
			break;
		case BPF_JMP | BPF_JA:
			pc += k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += accumulator == k ? instruction->jt : instruction->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += accumulator > k ? instruction->jt : instruction->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += accumulator >= k ? instruction->jt : instruction->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (accumulator & k) ? instruction->jt : instruction->jf;
			break;
		case BPF_RET | BPF_K:
			return k;
		default:
			fail_msg("BPF instruction 0x%04x at %zu is not simulated",
			         instruction->code, pc);
		}
	}
	fail_msg("the BPF program ran off its end");
	return 0;
}
