/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The alert record of DESIGN.md: one ECS-shaped JSON object per line, built
 * with yajl_gen as nested objects, appended with a single write(2) to an
 * O_APPEND fd (so concurrent monitors never interleave), plus a one-line
 * syslog summary (ident "entryguard").
 */
#ifndef ENTRYGUARD_ALERT_H
#define ENTRYGUARD_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "entryguard/classify.h"
#include "entryguard/error.h"

enum eg_action {
	EG_ACTION_ALERT,
	EG_ACTION_BLOCKED,
	EG_ACTION_KILLED,
};

enum eg_transport {
	EG_TRANSPORT_TCP,
	EG_TRANSPORT_UDP,
};

#define EG_RULE_NAME "Egress Connection from Entrypoint in Container"
#define EG_RULE_ID   "c75d0c86-38d6-4821-98a1-465cff8ff4c8"

/* Bounds on one record.  Strings come from the container (names, args) and
 * may be anything, so each is measured in rendered (JSON-escaped) bytes and
 * cut at a character boundary, ending in U+2026 when cut; process.args keeps
 * at most EG_ALERT_ARGS_MAX items and EG_ALERT_ARGS_TOTAL_MAX bytes.  Any cut
 * sets entryguard.truncated, and process.args_count keeps the real count.
 * Together they keep a record under EG_ALERT_RECORD_MAX. */
#define EG_ALERT_FIELD_MAX      1024u /* ids, names, runtime, source */
#define EG_ALERT_ARG_MAX        4096u /* one arg, and process.executable */
#define EG_ALERT_ARGS_MAX       64u
#define EG_ALERT_ARGS_TOTAL_MAX (32u * 1024u)
#define EG_ALERT_RECORD_MAX     (64u * 1024u)

/* Every string may be NULL: the field is then left out of the record (ECS
 * has no "unknown" sentinel).  So is a pid <= 0, and destination.ip and
 * network.type when destination.family is neither AF_INET nor AF_INET6.
 * A timestamp_us of 0 means "now". */
struct eg_alert {
	int64_t timestamp_us; /* CLOCK_REALTIME, microseconds since the epoch */
	const char *host_id;
	const char *host_name;
	const char *container_id;
	const char *container_name;
	const char *container_image_name;
	const char *container_runtime;
	pid_t process_pid;
	const char *process_entity_id;
	const char *process_name;
	const char *process_executable;
	const char *const *process_args; /* NULL-terminated, or NULL */
	pid_t parent_pid;
	const char *parent_entity_id;
	const char *parent_name;
	const char *entry_leader_entity_id;
	struct eg_address destination;
	uint16_t destination_port;
	enum eg_transport transport;
	enum eg_action action;
	int64_t elapsed_ms;  /* from the entrypoint's exec to the attempt */
	const char *source;  /* the watcher: "sock_diag", "seccomp" */
	uint64_t suppressed; /* alerts dropped by the rate limit since the last one */
};

/* Renders the record as one line ending in '\n'.  *ret_line is malloc'd. */
int eg_alert_render(const struct eg_alert *alert, char **ret_line, size_t *ret_length,
                    struct eg_error *err);

/* Opens (creating with 0640, and missing parent directories with 0750) the
 * alerts file for appending; O_APPEND | O_CLOEXEC.  Refuses a symlink as the
 * last component (O_NOFOLLOW, -ELOOP) and anything but a regular file. */
int eg_alert_open(const char *path, int *ret_fd, struct eg_error *err);

/* Renders and appends with one write(2), retried on EINTR; a short write or
 * any other failure is reported, never dropped silently.  With use_syslog,
 * also logs the one-line summary at LOG_WARNING (first, so that a failing
 * file still leaves a trace). */
int eg_alert_write(int fd, const struct eg_alert *alert, bool use_syslog, struct eg_error *err);

/* openlog("entryguard", LOG_PID | LOG_NDELAY, LOG_DAEMON): called once by a
 * program that writes alerts with use_syslog, before it changes namespaces
 * or drops privileges.  The library never calls openlog itself. */
void eg_alert_syslog_open(void);

/* The one-line summary, e.g.
 * "alert: container web (3f2a..) process curl[123] (parent entrypoint.sh[120])
 *  tcp 1.1.1.1:80 after 12 ms, action alert".
 * Container-controlled text is made printable (control bytes and invalid
 * UTF-8 become '?').  Always NUL-terminates; returns the length the whole
 * summary needs (as snprintf: >= size means it was cut), or -EINVAL when
 * there is no buffer. */
int eg_alert_summary(const struct eg_alert *alert, char *buffer, size_t size);

const char *eg_action_name(enum eg_action action);
const char *eg_transport_name(enum eg_transport transport);

#endif
