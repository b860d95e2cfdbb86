/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The alert record (DESIGN.md, "Alert record"): rendered with yajl_gen as
 * nested ECS objects, appended to the alerts file with one write(2), and
 * summarised on one line for syslog.
 *
 * Decisions where the design is silent:
 *  - event.outcome is "failure" when the attempt was denied (blocked,
 *    killed) and "unknown" for a detect-only alert: entryguard saw the
 *    attempt but does not wait to learn whether the connection succeeded
 *    (the rule counts the attempt either way).  "unknown" is one of ECS's
 *    three allowed values.
 *  - An IPv4-mapped IPv6 destination (::ffff:a.b.c.d) is reported as a.b.c.d
 *    with network.type "ipv4", as classify.h judges it: the record then
 *    says what the rule matched, and one address has one spelling in SIEM
 *    queries.
 *  - Strings are made well-formed UTF-8 (each ill-formed subsequence becomes
 *    U+FFFD, "maximal subpart" as Unicode recommends) and bounded (alert.h),
 *    so that nothing a container names its processes can make the record
 *    invalid JSON or unbounded.
 */
#include "entryguard/alert.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

#include "entryguard/cleanup.h"

/* U+FFFD REPLACEMENT CHARACTER and U+2026 HORIZONTAL ELLIPSIS in UTF-8. */
#define REPLACEMENT   "\xef\xbf\xbd"
#define ELLIPSIS      "\xe2\x80\xa6"
#define ELLIPSIS_COST 3u

/* Hostile args keep at least this much of the budget to be worth an item. */
#define ARG_MIN_BUDGET 16u

const char *eg_action_name(enum eg_action action)
{
	switch (action) {
	case EG_ACTION_ALERT:
		return "alert";
	case EG_ACTION_BLOCKED:
		return "blocked";
	case EG_ACTION_KILLED:
		return "killed";
	}
	return NULL;
}

const char *eg_transport_name(enum eg_transport transport)
{
	switch (transport) {
	case EG_TRANSPORT_TCP:
		return "tcp";
	case EG_TRANSPORT_UDP:
		return "udp";
	}
	return NULL;
}

/* Length of the well-formed UTF-8 sequence at text (Unicode table 3-7), or
 * 0 when there is none; *ret_consumed is then the ill-formed maximal
 * subpart (at least 1 byte) that one U+FFFD replaces.  text is
 * NUL-terminated, and NUL is never a continuation byte, so this never reads
 * past the end. */
static size_t utf8_sequence(const unsigned char *text, size_t *ret_consumed)
{
	unsigned char low = 0x80, high = 0xbf;
	size_t length;

	if (text[0] < 0x80) {
		*ret_consumed = 1;
		return 1;
	}
	if (text[0] >= 0xc2 && text[0] <= 0xdf) {
		length = 2;
	} else if (text[0] >= 0xe0 && text[0] <= 0xef) {
		length = 3;
		if (text[0] == 0xe0)
			low = 0xa0; /* overlong */
		else if (text[0] == 0xed)
			high = 0x9f; /* surrogates */
	} else if (text[0] >= 0xf0 && text[0] <= 0xf4) {
		length = 4;
		if (text[0] == 0xf0)
			low = 0x90; /* overlong */
		else if (text[0] == 0xf4)
			high = 0x8f; /* above U+10FFFF */
	} else {
		*ret_consumed = 1;
		return 0;
	}
	for (size_t i = 1; i < length; i++) {
		if (text[i] < low || text[i] > high) {
			*ret_consumed = i;
			return 0;
		}
		low = 0x80;
		high = 0xbf;
	}
	*ret_consumed = length;
	return length;
}

/* Bytes yajl_gen writes for one ASCII byte inside a string. */
static size_t json_escaped_cost(unsigned char c)
{
	switch (c) {
	case '"':
	case '\\':
	case '\b':
	case '\f':
	case '\n':
	case '\r':
	case '\t':
		return 2;
	default:
		return c < 0x20 ? 6 : 1; /* \u00XX */
	}
}

struct sanitised {
	char text[EG_ALERT_ARG_MAX + 1];
	size_t length;
	size_t cost; /* rendered bytes */
	bool cut;
};

/* Copies text as well-formed UTF-8 whose JSON form takes at most budget
 * (>= ELLIPSIS_COST, <= EG_ALERT_ARG_MAX) bytes; a longer text is cut at a
 * character boundary and ends in an ellipsis.  Every piece costs at least
 * its own length, so the output fits in text[]. */
static void sanitise(const char *text, size_t budget, struct sanitised *out)
{
	const unsigned char *cursor = (const unsigned char *)text;
	size_t mark = SIZE_MAX;

	out->length = 0;
	out->cost = 0;
	out->cut = false;
	while (*cursor) {
		size_t consumed, length = utf8_sequence(cursor, &consumed);
		const char *piece = length ? (const char *)cursor : REPLACEMENT;
		size_t piece_length = length ? length : strlen(REPLACEMENT);
		size_t piece_cost = length == 1 ? json_escaped_cost(*cursor) : piece_length;

		/* The last place where an ellipsis would still fit. */
		if (mark == SIZE_MAX && out->cost + piece_cost > budget - ELLIPSIS_COST)
			mark = out->length;
		if (out->cost + piece_cost > budget) {
			/* mark holds at most budget - ELLIPSIS_COST bytes */
			memcpy(out->text + mark, ELLIPSIS, ELLIPSIS_COST);
			out->length = mark + ELLIPSIS_COST;
			out->cost = budget; /* an upper bound is all callers need */
			out->cut = true;
			break;
		}
		memcpy(out->text + out->length, piece, piece_length);
		out->length += piece_length;
		out->cost += piece_cost;
		cursor += consumed;
	}
	out->text[out->length] = '\0';
}

/* A yajl_gen with the first failure remembered, so that the record reads
 * top to bottom without a check after every call. */
struct renderer {
	yajl_gen gen;
	yajl_gen_status status;
	bool truncated;
	struct sanitised scratch;
};

static void note(struct renderer *renderer, yajl_gen_status status)
{
	if (renderer->status == yajl_gen_status_ok)
		renderer->status = status;
}

/* Keys are our own ASCII literals. */
static void put_key(struct renderer *renderer, const char *key)
{
	note(renderer, yajl_gen_string(renderer->gen, (const unsigned char *)key, strlen(key)));
}

static void put_string(struct renderer *renderer, const char *value, size_t budget)
{
	sanitise(value, budget, &renderer->scratch);
	if (renderer->scratch.cut)
		renderer->truncated = true;
	note(renderer, yajl_gen_string(renderer->gen, (const unsigned char *)renderer->scratch.text,
	                               renderer->scratch.length));
}

/* Left out when value is NULL. */
static void put_member_string(struct renderer *renderer, const char *key, const char *value,
                              size_t budget)
{
	if (!value)
		return;
	put_key(renderer, key);
	put_string(renderer, value, budget);
}

static void put_member_integer(struct renderer *renderer, const char *key, long long value)
{
	put_key(renderer, key);
	note(renderer, yajl_gen_integer(renderer->gen, value));
}

/* Left out when pid <= 0 (not known). */
static void put_member_pid(struct renderer *renderer, const char *key, pid_t pid)
{
	if (pid > 0)
		put_member_integer(renderer, key, pid);
}

/* A one-item array of a literal, as event.category and event.type are. */
static void put_member_literal_array(struct renderer *renderer, const char *key, const char *value)
{
	put_key(renderer, key);
	note(renderer, yajl_gen_array_open(renderer->gen));
	put_key(renderer, value);
	note(renderer, yajl_gen_array_close(renderer->gen));
}

static void open_object(struct renderer *renderer, const char *key)
{
	if (key)
		put_key(renderer, key);
	note(renderer, yajl_gen_map_open(renderer->gen));
}

static void close_object(struct renderer *renderer)
{
	note(renderer, yajl_gen_map_close(renderer->gen));
}

/* "2026-11-28T03:27:14.123456Z".  Years outside 0..9999 have no ISO 8601
 * form without extensions. */
static int format_timestamp(int64_t timestamp_us, char *buffer, size_t size, struct eg_error *err)
{
	struct timespec now;
	long long microseconds;
	time_t seconds;
	struct tm tm;

	if (timestamp_us == 0) {
		if (clock_gettime(CLOCK_REALTIME, &now) < 0)
			return eg_error_set_errno(err, errno, "reading the clock");
		timestamp_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
	}
	seconds = (time_t)(timestamp_us / 1000000);
	microseconds = timestamp_us % 1000000;
	if (microseconds < 0) {
		microseconds += 1000000;
		seconds--;
	}
	if (!gmtime_r(&seconds, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return eg_error_set(err, EOVERFLOW, "timestamp %lld us is out of range",
		                    (long long)timestamp_us);
	snprintf(buffer, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, microseconds);
	return 0;
}

/* The destination as ECS wants it; NULL when the family is unknown. */
static const char *format_destination(const struct eg_address *address, char *buffer, size_t size,
                                      const char **ret_network_type)
{
	struct eg_address ipv4;

	if (address->family != AF_INET && address->family != AF_INET6)
		return NULL;
	if (eg_address_unmap_ipv4(address, &ipv4))
		address = &ipv4;
	*ret_network_type = address->family == AF_INET ? "ipv4" : "ipv6";
	/* eg_address_format() says "?" rather than fail: that is no ip. */
	return eg_address_format(address, buffer, size) == buffer ? buffer : NULL;
}

static void render_event(struct renderer *renderer, const struct eg_alert *alert)
{
	open_object(renderer, "event");
	put_member_string(renderer, "kind", "alert", EG_ALERT_FIELD_MAX);
	put_member_literal_array(renderer, "category", "network");
	put_member_literal_array(renderer, "type", "start");
	put_member_string(renderer, "action", "connection_attempted", EG_ALERT_FIELD_MAX);
	put_member_string(renderer, "outcome",
	                  alert->action == EG_ACTION_ALERT ? "unknown" : "failure",
	                  EG_ALERT_FIELD_MAX);
	close_object(renderer);

	open_object(renderer, "rule");
	put_member_string(renderer, "name", EG_RULE_NAME, EG_ALERT_FIELD_MAX);
	put_member_string(renderer, "id", EG_RULE_ID, EG_ALERT_FIELD_MAX);
	close_object(renderer);
}

static void render_host_and_container(struct renderer *renderer, const struct eg_alert *alert)
{
	if (alert->host_id || alert->host_name) {
		open_object(renderer, "host");
		put_member_string(renderer, "id", alert->host_id, EG_ALERT_FIELD_MAX);
		put_member_string(renderer, "name", alert->host_name, EG_ALERT_FIELD_MAX);
		close_object(renderer);
	}
	if (!alert->container_id && !alert->container_name && !alert->container_image_name &&
	    !alert->container_runtime)
		return;
	open_object(renderer, "container");
	put_member_string(renderer, "id", alert->container_id, EG_ALERT_FIELD_MAX);
	put_member_string(renderer, "name", alert->container_name, EG_ALERT_FIELD_MAX);
	if (alert->container_image_name) {
		open_object(renderer, "image");
		put_member_string(renderer, "name", alert->container_image_name,
		                  EG_ALERT_FIELD_MAX);
		close_object(renderer);
	}
	put_member_string(renderer, "runtime", alert->container_runtime, EG_ALERT_FIELD_MAX);
	close_object(renderer);
}

/* process.args within EG_ALERT_ARGS_MAX items and EG_ALERT_ARGS_TOTAL_MAX
 * rendered bytes; process.args_count keeps the real count. */
static void render_args(struct renderer *renderer, const char *const *args)
{
	size_t remaining = EG_ALERT_ARGS_TOTAL_MAX, count = 0;

	put_key(renderer, "args");
	note(renderer, yajl_gen_array_open(renderer->gen));
	for (; args[count]; count++) {
		size_t budget = remaining < EG_ALERT_ARG_MAX ? remaining : EG_ALERT_ARG_MAX;

		if (count >= EG_ALERT_ARGS_MAX || budget < ARG_MIN_BUDGET) {
			renderer->truncated = true;
			continue; /* still counted */
		}
		put_string(renderer, args[count], budget);
		remaining -= renderer->scratch.cost;
	}
	note(renderer, yajl_gen_array_close(renderer->gen));
	put_member_integer(renderer, "args_count", (long long)count);
}

static void render_process(struct renderer *renderer, const struct eg_alert *alert)
{
	open_object(renderer, "process");
	put_member_pid(renderer, "pid", alert->process_pid);
	put_member_string(renderer, "entity_id", alert->process_entity_id, EG_ALERT_FIELD_MAX);
	put_member_string(renderer, "name", alert->process_name, EG_ALERT_FIELD_MAX);
	put_member_string(renderer, "executable", alert->process_executable, EG_ALERT_ARG_MAX);
	if (alert->process_args)
		render_args(renderer, alert->process_args);
	if (alert->parent_pid > 0 || alert->parent_entity_id || alert->parent_name) {
		open_object(renderer, "parent");
		put_member_pid(renderer, "pid", alert->parent_pid);
		put_member_string(renderer, "entity_id", alert->parent_entity_id,
		                  EG_ALERT_FIELD_MAX);
		put_member_string(renderer, "name", alert->parent_name, EG_ALERT_FIELD_MAX);
		close_object(renderer);
	}
	/* Every alert is about a container's entry session. */
	open_object(renderer, "entry_leader");
	put_member_string(renderer, "entity_id", alert->entry_leader_entity_id, EG_ALERT_FIELD_MAX);
	open_object(renderer, "entry_meta");
	put_member_string(renderer, "type", "container", EG_ALERT_FIELD_MAX);
	close_object(renderer);
	close_object(renderer);
	close_object(renderer);
}

static void render_destination(struct renderer *renderer, const struct eg_alert *alert)
{
	char address[INET6_ADDRSTRLEN];
	const char *network_type = NULL;
	const char *ip =
	    format_destination(&alert->destination, address, sizeof(address), &network_type);

	open_object(renderer, "destination");
	put_member_string(renderer, "ip", ip, EG_ALERT_FIELD_MAX);
	put_member_integer(renderer, "port", alert->destination_port);
	close_object(renderer);

	open_object(renderer, "network");
	put_member_string(renderer, "transport", eg_transport_name(alert->transport),
	                  EG_ALERT_FIELD_MAX);
	put_member_string(renderer, "type", ip ? network_type : NULL, EG_ALERT_FIELD_MAX);
	close_object(renderer);
}

/* Last, so that it can say whether anything before it was cut. */
static void render_entryguard(struct renderer *renderer, const struct eg_alert *alert)
{
	open_object(renderer, "entryguard");
	put_member_string(renderer, "action", eg_action_name(alert->action), EG_ALERT_FIELD_MAX);
	put_member_integer(renderer, "elapsed_ms", alert->elapsed_ms);
	put_member_string(renderer, "source", alert->source, EG_ALERT_FIELD_MAX);
	if (alert->suppressed > 0)
		put_member_integer(renderer, "suppressed",
		                   alert->suppressed > LLONG_MAX ? LLONG_MAX
		                                                 : (long long)alert->suppressed);
	if (renderer->truncated) {
		put_key(renderer, "truncated");
		note(renderer, yajl_gen_bool(renderer->gen, 1));
	}
	close_object(renderer);
}

static void yajl_gen_freep(yajl_gen *gen)
{
	if (*gen)
		yajl_gen_free(*gen);
}

/* Copies the generated text with '\n' (and a NUL, not counted) after it. */
static int finish_line(yajl_gen gen, char **ret_line, size_t *ret_length, struct eg_error *err)
{
	const unsigned char *text;
	size_t length;
	char *line;

	if (yajl_gen_get_buf(gen, &text, &length) != yajl_gen_status_ok)
		return eg_error_set(err, EIO, "alert record: yajl_gen_get_buf failed");
	if (length + 1 > EG_ALERT_RECORD_MAX)
		return eg_error_set(err, EMSGSIZE, "alert record: %zu bytes exceed the bound of %u",
		                    length + 1, EG_ALERT_RECORD_MAX);
	line = malloc(length + 2);
	if (!line)
		return eg_error_set_errno(err, ENOMEM, "alert record");
	memcpy(line, text, length);
	line[length] = '\n';
	line[length + 1] = '\0';
	*ret_line = line;
	if (ret_length)
		*ret_length = length + 1;
	return 0;
}

int eg_alert_render(const struct eg_alert *alert, char **ret_line, size_t *ret_length,
                    struct eg_error *err)
{
	_cleanup_(yajl_gen_freep) yajl_gen gen = NULL;
	_cleanup_free_ struct renderer *renderer = NULL;
	char timestamp[64];
	int r;

	if (!alert || !ret_line)
		return eg_error_set(err, EINVAL, "alert record: no alert or no output");
	if (!eg_action_name(alert->action) || !eg_transport_name(alert->transport))
		return eg_error_set(err, EINVAL, "alert record: action %d or transport %d unknown",
		                    (int)alert->action, (int)alert->transport);
	r = format_timestamp(alert->timestamp_us, timestamp, sizeof(timestamp), err);
	if (r < 0)
		return eg_error_prefix(err, r, "alert record");

	renderer = calloc(1, sizeof(*renderer));
	gen = yajl_gen_alloc(NULL);
	if (!renderer || !gen)
		return eg_error_set_errno(err, ENOMEM, "alert record");
	/* Belt and braces: sanitise() already guarantees well-formed UTF-8. */
	yajl_gen_config(gen, yajl_gen_validate_utf8, 1);
	renderer->gen = gen;

	open_object(renderer, NULL);
	put_member_string(renderer, "@timestamp", timestamp, EG_ALERT_FIELD_MAX);
	render_event(renderer, alert);
	render_host_and_container(renderer, alert);
	render_process(renderer, alert);
	render_destination(renderer, alert);
	render_entryguard(renderer, alert);
	close_object(renderer);
	if (renderer->status != yajl_gen_status_ok)
		return eg_error_set(err, EINVAL, "alert record: yajl_gen failed with status %d",
		                    (int)renderer->status);
	return finish_line(gen, ret_line, ret_length, err);
}

/* mkdir -p with 0750 for every directory it creates (umask applies). */
static int make_parent_directories(const char *path, struct eg_error *err)
{
	_cleanup_free_ char *directory = strdup(path);
	char *slash;

	if (!directory)
		return eg_error_set_errno(err, ENOMEM, "%s", path);
	slash = strrchr(directory, '/');
	if (!slash || slash == directory)
		return 0; /* the current directory or / */
	*slash = '\0';
	for (char *cursor = directory + 1;; cursor++) {
		bool last = *cursor == '\0';

		if (*cursor != '/' && !last)
			continue;
		*cursor = '\0';
		if (mkdir(directory, 0750) < 0 && errno != EEXIST)
			return eg_error_set_errno(err, errno, "creating directory %s", directory);
		if (last)
			return 0;
		*cursor = '/';
	}
}

int eg_alert_open(const char *path, int *ret_fd, struct eg_error *err)
{
	_cleanup_close_ int fd = -1;
	struct stat status;
	int r;

	if (!path || !*path || !ret_fd)
		return eg_error_set(err, EINVAL, "alerts file: no path given");
	r = make_parent_directories(path, err);
	if (r < 0)
		return eg_error_prefix(err, r, "alerts file");
	/* O_NOFOLLOW: a symlink planted at the last component must not
	 * redirect root's writes; O_NONBLOCK: a FIFO must not hang the
	 * monitor (it has no effect on regular files). */
	fd = open(path,
	          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK,
	          0640);
	if (fd < 0) {
		if (errno == ELOOP)
			return eg_error_set_errno(err, errno, "alerts file %s is a symlink", path);
		return eg_error_set_errno(err, errno, "opening alerts file %s", path);
	}
	if (fstat(fd, &status) < 0)
		return eg_error_set_errno(err, errno, "alerts file %s", path);
	if (!S_ISREG(status.st_mode))
		return eg_error_set(err, EINVAL, "alerts file %s is not a regular file", path);
	if (fcntl(fd, F_SETFL, O_APPEND) < 0)
		return eg_error_set_errno(err, errno, "alerts file %s", path);
	*ret_fd = steal_fd(&fd);
	return 0;
}

void eg_alert_syslog_open(void)
{
	/* LOG_NDELAY connects to /dev/log now, before the monitor enters the
	 * container's namespaces or drops privileges. */
	openlog("entryguard", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

int eg_alert_write(int fd, const struct eg_alert *alert, bool use_syslog, struct eg_error *err)
{
	_cleanup_free_ char *line = NULL;
	size_t length;
	ssize_t written;
	int r;

	if (use_syslog && alert) {
		char summary[1024];

		if (eg_alert_summary(alert, summary, sizeof(summary)) >= 0)
			syslog(LOG_WARNING, "%s", summary);
	}
	r = eg_alert_render(alert, &line, &length, err);
	if (r < 0)
		return r;
	/* One write(2) on an O_APPEND fd is what keeps concurrent monitors'
	 * records whole; a second write for the rest of a short one could
	 * land after another monitor's record, so a short write is an error. */
	do
		written = write(fd, line, length);
	while (written < 0 && errno == EINTR);
	if (written < 0)
		return eg_error_set_errno(err, errno, "writing alert to fd %d", fd);
	if ((size_t)written != length)
		return eg_error_set(err, EIO,
		                    "writing alert to fd %d: short write (%zd of %zu bytes)", fd,
		                    written, length);
	return 0;
}

/* A snprintf-like builder: length counts what the whole text needs. */
struct summary_text {
	char *buffer;
	size_t size;
	size_t length;
};

static void summary_append(struct summary_text *text, const char *bytes, size_t count)
{
	if (text->length < text->size - 1) {
		size_t room = text->size - 1 - text->length;
		size_t copied = count < room ? count : room;

		memcpy(text->buffer + text->length, bytes, copied);
		text->buffer[text->length + copied] = '\0';
	}
	text->length += count;
}

static void summary_printf(struct summary_text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void summary_printf(struct summary_text *text, const char *format, ...)
{
	char piece[256];
	va_list arguments;
	int length;

	va_start(arguments, format);
	length = vsnprintf(piece, sizeof(piece), format, arguments);
	va_end(arguments);
	if (length > 0)
		summary_append(text, piece, strlen(piece));
}

/* Container-controlled text, printable and about max bytes (ending in "..."
 * when cut and mark_cut): control bytes and invalid UTF-8 become '?', NULL
 * becomes "?". */
static void summary_untrusted(struct summary_text *text, const char *value, size_t max,
                              bool mark_cut)
{
	const unsigned char *cursor = (const unsigned char *)(value ? value : "?");
	size_t used = 0;

	while (*cursor && used < max) {
		size_t consumed, length = utf8_sequence(cursor, &consumed);

		if (length == 0 || (length == 1 && (*cursor < 0x20 || *cursor == 0x7f))) {
			summary_append(text, "?", 1);
			used++;
		} else {
			summary_append(text, (const char *)cursor, length);
			used += length;
		}
		cursor += consumed;
	}
	if (*cursor && mark_cut)
		summary_append(text, "...", 3);
}

int eg_alert_summary(const struct eg_alert *alert, char *buffer, size_t size)
{
	struct summary_text text = {.buffer = buffer, .size = size};
	char address[INET6_ADDRSTRLEN];
	const char *network_type = NULL, *ip;
	const char *transport, *action;

	if (!alert || !buffer || size == 0)
		return -EINVAL;
	buffer[0] = '\0';
	ip = format_destination(&alert->destination, address, sizeof(address), &network_type);
	transport = eg_transport_name(alert->transport);
	action = eg_action_name(alert->action);

	summary_append(&text, "alert: container ", strlen("alert: container "));
	summary_untrusted(&text, alert->container_name, 64, true);
	summary_append(&text, " (", 2);
	/* The short id, as docker and podman print it. */
	summary_untrusted(&text, alert->container_id, 12, false);
	summary_append(&text, ") process ", strlen(") process "));
	summary_untrusted(&text, alert->process_name, 64, true);
	summary_printf(&text, "[%d] (parent ", (int)alert->process_pid);
	summary_untrusted(&text, alert->parent_name, 64, true);
	summary_printf(&text, "[%d]) %s ", (int)alert->parent_pid, transport ? transport : "?");
	if (ip && network_type && !strcmp(network_type, "ipv6"))
		summary_printf(&text, "[%s]:%u", ip, (unsigned)alert->destination_port);
	else
		summary_printf(&text, "%s:%u", ip ? ip : "?", (unsigned)alert->destination_port);
	summary_printf(&text, " after %lld ms, action %s", (long long)alert->elapsed_ms,
	               action ? action : "?");
	if (alert->suppressed > 0)
		summary_printf(&text, " (%llu earlier alerts suppressed)",
		               (unsigned long long)alert->suppressed);
	return text.length > INT_MAX ? INT_MAX : (int)text.length;
}
