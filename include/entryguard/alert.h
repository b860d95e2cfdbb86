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

/* Every string may be NULL: the field is then left out of the record (ECS
 * has no "unknown" sentinel). */
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

/* Opens (creating with 0640, and the parent directory with 0750) the
 * alerts file for appending; O_APPEND | O_CLOEXEC. */
int eg_alert_open(const char *path, int *ret_fd, struct eg_error *err);

/* Renders and appends with one write(2), retried on EINTR; a short write or
 * any other failure is reported, never dropped silently.  With syslog, also
 * logs the one-line summary. */
int eg_alert_write(int fd, const struct eg_alert *alert, bool syslog, struct eg_error *err);

/* The one-line summary, e.g.
 * "alert: container web (3f2a..) process curl[123] (parent entrypoint.sh[120])
 *  tcp 1.1.1.1:80 after 12 ms, action alert". */
int eg_alert_summary(const struct eg_alert *alert, char *buffer, size_t size);

const char *eg_action_name(enum eg_action action);
const char *eg_transport_name(enum eg_transport transport);

#endif
