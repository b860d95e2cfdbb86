/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Entity ids, the host id they are keyed with, and /proc/PID/stat. */
#include "entryguard/entity.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "entryguard/cleanup.h"

/* Errors quote untrusted text; this keeps the quote short and printable, so a
 * hostile comm or file cannot put control characters into a log line. */
static const char *quote_printable(const char *text, size_t length, char *buffer, size_t size)
{
	size_t used = 0;

	for (size_t i = 0; i < length && used + 1 < size; i++) {
		unsigned char c = (unsigned char)text[i];
		buffer[used++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buffer[used] = '\0';
	return buffer;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int eg_host_id_parse(const char *text, size_t length, struct eg_host_id *ret_host_id,
                     struct eg_error *err)
{
	struct eg_host_id host = {0};
	char quoted[48];
	bool all_zero = true;

	if (length > 0 && text[length - 1] == '\n')
		length--;
	if (length != EG_HOST_ID_TEXT_LENGTH)
		return eg_error_set(err, EINVAL,
		                    "machine-id: expected 32 lowercase hex characters, got \"%s\"",
		                    quote_printable(text, length, quoted, sizeof(quoted)));
	for (size_t i = 0; i < EG_HOST_ID_TEXT_LENGTH; i++) {
		int value = hex_value(text[i]);
		if (value < 0)
			return eg_error_set(
			    err, EINVAL,
			    "machine-id: expected 32 lowercase hex characters, got \"%s\"",
			    quote_printable(text, length, quoted, sizeof(quoted)));
		host.bytes[i / 2] = (uint8_t)(host.bytes[i / 2] << 4 | value);
		all_zero = all_zero && value == 0;
	}
	/* sd-id128 treats the null id as "not set"; keying every host's ids with
	 * it would make them collide. */
	if (all_zero)
		return eg_error_set(err, EINVAL, "machine-id: is all zeros (not initialised)");
	memcpy(host.text, text, EG_HOST_ID_TEXT_LENGTH);
	host.text[EG_HOST_ID_TEXT_LENGTH] = '\0';
	*ret_host_id = host;
	return 0;
}

/* Reads at most size - 1 bytes; -EFBIG when the file holds more, so a
 * bounded read never silently parses a prefix. */
static int read_bounded(int fd, char *buffer, size_t size, size_t *ret_length)
{
	size_t used = 0;

	for (;;) {
		ssize_t n = read(fd, buffer + used, size - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == size)
			return -EFBIG;
	}
	*ret_length = used;
	return 0;
}

int eg_host_id_read(const char *path, struct eg_host_id *ret_host_id, struct eg_error *err)
{
	_cleanup_close_ int fd = -1;
	char buffer[65];
	size_t length = 0;
	int r;

	if (!path)
		path = "/etc/machine-id";
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return eg_error_set_errno(err, errno, "%s: cannot open", path);
	r = read_bounded(fd, buffer, sizeof(buffer), &length);
	if (r == -EFBIG)
		return eg_error_set(err, EINVAL, "%s: longer than a machine-id", path);
	if (r < 0)
		return eg_error_set_errno(err, -r, "%s: cannot read", path);
	r = eg_host_id_parse(buffer, length, ret_host_id, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", path);
	return 0;
}

static inline uint64_t rotate_left(uint64_t value, unsigned bits)
{
	return (value << bits) | (value >> (64 - bits));
}

static inline uint64_t load_le64(const uint8_t *bytes)
{
	uint64_t value = 0;

	for (int i = 7; i >= 0; i--)
		value = value << 8 | bytes[i];
	return value;
}

static inline void store_le64(uint8_t *bytes, uint64_t value)
{
	for (int i = 0; i < 8; i++)
		bytes[i] = (uint8_t)(value >> (8 * i));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotate_left(v[1], 13) ^ v[0];
	v[0] = rotate_left(v[0], 32);
	v[2] += v[3];
	v[3] = rotate_left(v[3], 16) ^ v[2];
	v[0] += v[3];
	v[3] = rotate_left(v[3], 21) ^ v[0];
	v[2] += v[1];
	v[1] = rotate_left(v[1], 17) ^ v[2];
	v[2] = rotate_left(v[2], 32);
}

static void sip_compress(uint64_t v[4], uint64_t block)
{
	v[3] ^= block;
	sip_round(v);
	sip_round(v);
	v[0] ^= block;
}

void eg_siphash128(const uint8_t key[16], const void *data, size_t length, uint8_t ret_digest[16])
{
	const uint8_t *bytes = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	/* "somepseudorandomlygeneratedbytes", and 0xee marks the 128-bit variant. */
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL ^ 0xee,
	                 k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
	uint8_t tail[8] = {0};
	size_t full = length - length % 8;

	for (size_t i = 0; i < full; i += 8)
		sip_compress(v, load_le64(bytes + i));
	memcpy(tail, bytes + full, length % 8);
	sip_compress(v, load_le64(tail) | (uint64_t)(length & 0xff) << 56);

	v[2] ^= 0xee;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	store_le64(ret_digest, v[0] ^ v[1] ^ v[2] ^ v[3]);
	v[1] ^= 0xdd;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	store_le64(ret_digest + 8, v[0] ^ v[1] ^ v[2] ^ v[3]);
}

int eg_entity_id_make(const struct eg_host_id *host, pid_t pid, uint64_t start_time,
                      uint32_t exec_sequence, struct eg_entity_id *ret_entity_id)
{
	/* A fixed layout with a version tag: changing what goes in must change
	 * every id, never collide with ids of an older layout. */
	static const char tag[] = "entryguard-entity-v1";
	uint8_t message[sizeof(tag) - 1 + 4 + 8 + 4];
	uint8_t digest[16];
	size_t at = sizeof(tag) - 1;
	static const char hex[] = "0123456789abcdef";

	if (!host || pid <= 0)
		return -EINVAL;
	memcpy(message, tag, at);
	for (int i = 0; i < 4; i++)
		message[at++] = (uint8_t)((uint32_t)pid >> (8 * i));
	for (int i = 0; i < 8; i++)
		message[at++] = (uint8_t)(start_time >> (8 * i));
	for (int i = 0; i < 4; i++)
		message[at++] = (uint8_t)(exec_sequence >> (8 * i));
	eg_siphash128(host->bytes, message, sizeof(message), digest);
	for (int i = 0; i < 16; i++) {
		ret_entity_id->text[2 * i] = hex[digest[i] >> 4];
		ret_entity_id->text[2 * i + 1] = hex[digest[i] & 0xf];
	}
	ret_entity_id->text[EG_ENTITY_ID_LENGTH] = '\0';
	return 0;
}

/* Parses one decimal field that ends at a space, a newline or the end, and
 * moves *cursor past the field.  /proc prints some fields signed (nice,
 * priority), so a '-' is allowed where the caller allows it. */
static int parse_field(const char **cursor, const char *end, bool allow_negative,
                       uint64_t *ret_value)
{
	const char *p = *cursor;
	uint64_t value = 0;
	bool negative = false;

	if (p < end && *p == '-' && allow_negative) {
		negative = true;
		p++;
	}
	if (p == end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned digit = (unsigned)(*p - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		value = value * 10 + digit;
	}
	if (p < end && *p != ' ' && *p != '\n')
		return -EINVAL;
	*cursor = p;
	*ret_value = negative ? (uint64_t)0 - value : value;
	return 0;
}

/* Fields 1 and 2: "<pid> (<comm>)".  comm ends at the LAST ')' because the
 * process chooses its own comm and may put ')' and spaces in it. */
static int parse_pid_and_comm(const char *buffer, const char *end, struct eg_proc_stat *stat,
                              const char **ret_after, struct eg_error *err)
{
	const char *cursor = buffer, *close;
	uint64_t pid;
	size_t comm_length;

	if (parse_field(&cursor, end, false, &pid) < 0 || pid == 0 || pid > INT32_MAX)
		return eg_error_set(err, EINVAL, "stat: field 1 (pid) is not a positive number");
	if (end - cursor < 2 || cursor[0] != ' ' || cursor[1] != '(')
		return eg_error_set(err, EINVAL, "stat: expected \" (\" after the pid");
	close = memrchr(cursor, ')', (size_t)(end - cursor));
	if (!close || close < cursor + 2)
		return eg_error_set(err, EINVAL, "stat: field 2 (comm) has no closing ')'");
	comm_length = (size_t)(close - (cursor + 2));
	if (comm_length >= EG_PROC_COMM_MAX)
		comm_length = EG_PROC_COMM_MAX - 1;
	memcpy(stat->comm, cursor + 2, comm_length);
	stat->comm[comm_length] = '\0';
	stat->pid = (pid_t)pid;
	*ret_after = close + 1;
	return 0;
}

static bool is_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int eg_proc_stat_parse(const char *buffer, size_t length, struct eg_proc_stat *ret_stat,
                       struct eg_error *err)
{
	struct eg_proc_stat stat = {0};
	const char *end = buffer + length, *cursor = NULL;
	uint64_t value = 0;
	int r;

	if (length == 0)
		return eg_error_set(err, EINVAL, "stat: empty");
	if (length > EG_PROC_STAT_MAX)
		return eg_error_set(err, E2BIG, "stat: %zu bytes, more than %d", length,
		                    EG_PROC_STAT_MAX);
	if (memchr(buffer, '\0', length))
		return eg_error_set(err, EINVAL, "stat: contains a NUL byte");
	r = parse_pid_and_comm(buffer, end, &stat, &cursor, err);
	if (r < 0)
		return r;
	if (end - cursor < 3 || cursor[0] != ' ' || !is_letter(cursor[1]) || cursor[2] != ' ')
		return eg_error_set(err, EINVAL, "stat: field 3 (state) is not one letter");
	stat.state = cursor[1];
	cursor += 2;
	for (int field = 4; field <= 22; field++) {
		if (cursor == end || *cursor != ' ')
			return eg_error_set(err, EINVAL, "stat: ends before field %d", field);
		cursor++;
		r = parse_field(&cursor, end, field != 22, &value);
		if (r < 0)
			return eg_error_set(err, EINVAL, "stat: field %d is not a number", field);
		if (field == 4) {
			if (value > INT32_MAX)
				return eg_error_set(err, EINVAL,
				                    "stat: field 4 (ppid) out of range");
			stat.parent_pid = (pid_t)value;
		}
	}
	stat.start_time = value;
	*ret_stat = stat;
	return 0;
}

int eg_proc_stat_read(const char *proc_root, pid_t pid, struct eg_proc_stat *ret_stat,
                      struct eg_error *err)
{
	_cleanup_close_ int fd = -1;
	char path[128], buffer[EG_PROC_STAT_MAX + 1];
	struct eg_proc_stat stat;
	size_t length = 0;
	int r;

	if (pid <= 0)
		return eg_error_set(err, EINVAL, "stat: pid %d is not positive", (int)pid);
	if (!proc_root)
		proc_root = "/proc";
	if (snprintf(path, sizeof(path), "%s/%d/stat", proc_root, (int)pid) >= (int)sizeof(path))
		return eg_error_set(err, ENAMETOOLONG, "%s: path too long", proc_root);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return eg_error_set_errno(err, errno, "%s", path);
	r = read_bounded(fd, buffer, sizeof(buffer), &length);
	if (r == -EFBIG)
		return eg_error_set(err, E2BIG, "%s: more than %d bytes", path, EG_PROC_STAT_MAX);
	if (r < 0)
		return eg_error_set_errno(err, -r, "%s", path);
	r = eg_proc_stat_parse(buffer, length, &stat, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", path);
	if (stat.pid != pid)
		return eg_error_set(err, EINVAL, "%s: names pid %d", path, (int)stat.pid);
	*ret_stat = stat;
	return 0;
}
