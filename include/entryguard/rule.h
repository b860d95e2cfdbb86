/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The detection rule as data, shaped like the seed's EQL sequence
 *
 *     sequence with maxspan=3s
 *       [process where <entry predicate>] by process.entity_id
 *       [network where <attempt predicate>] by process.parent.entity_id
 *
 * so that a parser of the seed's query text can build the same structure
 * that eg_rule_from_config() builds from the config:
 *  - a predicate is a list of conditions that must all hold (AND);
 *  - a condition is (field, operation, values, negate).  An OR of tests on
 *    one field is one condition with several values; the seed's
 *    `not (a or b or c)` is three negated conditions (De Morgan);
 *  - the join says how the attempt's process relates to the entrypoint:
 *    children (the seed: its parent IS the entrypoint entity) or
 *    descendants (an ancestor at fork time is);
 *  - maxspan_ms bounds the time from the entrypoint's exec to the attempt,
 *    inclusively (see correlate.h);
 *  - exceptions (config.h's struct eg_exception) suppress matches.
 *
 * A field that has no value is null: only EG_OPERATION_IS_NULL holds on it,
 * every other test is false (and so true when negated), as in EQL.
 * String comparisons are case-sensitive, like EQL's `==`.
 */
#ifndef ENTRYGUARD_RULE_H
#define ENTRYGUARD_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entryguard/classify.h"
#include "entryguard/cleanup.h"
#include "entryguard/config.h"
#include "entryguard/error.h"

/* Limits on what a rule (from a config file or a parsed query) may hold. */
#define EG_PREDICATE_MAX_CONDITIONS 64
#define EG_CONDITION_MAX_VALUES     EG_CLASSIFIER_MAX_RANGES
#define EG_RULE_MAX_EXCEPTIONS      1024

enum eg_field {
	EG_FIELD_EVENT_TYPE,           /* event.type */
	EG_FIELD_EVENT_ACTION,         /* event.action */
	EG_FIELD_PROCESS_NAME,         /* process.name */
	EG_FIELD_PROCESS_EXECUTABLE,   /* process.executable */
	EG_FIELD_ENTRY_META_TYPE,      /* process.entry_leader.entry_meta.type */
	EG_FIELD_DESTINATION_IP,       /* destination.ip */
	EG_FIELD_DESTINATION_PORT,     /* destination.port */
	EG_FIELD_NETWORK_TRANSPORT,    /* network.transport */
	EG_FIELD_CONTAINER_NAME,       /* container.name */
	EG_FIELD_CONTAINER_IMAGE_NAME, /* container.image.name */
};

enum eg_operation {
	EG_OPERATION_EQUALS,    /* equal to one of the values (EQL ==, in) */
	EG_OPERATION_LIKE,      /* fnmatch(3), no flags, one of the patterns (EQL like) */
	EG_OPERATION_IS_NULL,   /* the field has no value (EQL == null); no values */
	EG_OPERATION_CIDRMATCH, /* destination.ip inside one of the ranges */
};

struct eg_condition {
	enum eg_field field;
	enum eg_operation operation;
	bool negate;
	char **values; /* as written, NULL-terminated */
	size_t values_count;
	/* The values parsed once, so that evaluating never parses or allocates: */
	struct eg_address *addresses;     /* EQUALS on destination.ip */
	uint16_t *ports;                  /* EQUALS on destination.port */
	struct eg_cidr *ranges;           /* CIDRMATCH */
	struct eg_classifier *classifier; /* CIDRMATCH: most specific range */
};

struct eg_predicate {
	struct eg_condition *conditions;
	size_t conditions_count;
};

struct eg_rule {
	char *name;
	char *id;
	struct eg_predicate entry;   /* the exec that opens a window */
	struct eg_predicate attempt; /* the connection attempt */
	enum eg_lineage join;
	uint32_t maxspan_ms;
	struct eg_exception *exceptions; /* deep copies, owned by the rule */
	size_t exceptions_count;
};

/* The fields of one event, as the predicates see them.  NULL (or -1 for the
 * port) is null. */
struct eg_rule_event {
	const char *event_type;
	const char *event_action;
	const char *process_name;
	const char *process_executable;
	const char *entry_meta_type;
	const struct eg_address *destination_ip;
	int32_t destination_port;
	const char *network_transport;
	const char *container_name;
	const char *container_image_name;
};

/* An empty rule: no conditions, no exceptions.  maxspan_ms must be > 0. */
int eg_rule_new(const char *name, const char *id, enum eg_lineage join, uint32_t maxspan_ms,
                struct eg_rule **ret_rule, struct eg_error *err);
void eg_rule_free(struct eg_rule *rule);
EG_DEFINE_CLEANUP(struct eg_rule *, eg_rule_free)

/* Appends a condition, copying and parsing values.  Errors name the field and
 * the value: an address that does not parse, a port outside 0-65535,
 * CIDRMATCH on another field than destination.ip, IS_NULL with values,
 * another operation without values. */
int eg_predicate_add(struct eg_predicate *predicate, enum eg_field field,
                     enum eg_operation operation, bool negate, const char *const *values,
                     size_t values_count, struct eg_error *err);

/* Appends a deep copy.  An exception without any field is refused: it would
 * silence every alert. */
int eg_rule_add_exception(struct eg_rule *rule, const struct eg_exception *exception,
                          struct eg_error *err);

/* The seed rule with the config's window_ms, entrypoint_names (as LIKE
 * patterns on process.name), lineage, excluded_cidrs and exceptions:
 *   entry:   event.type == "start", event.action == "exec",
 *            process.entry_leader.entry_meta.type == "container",
 *            process.name like <entrypoint_names>
 *   attempt: event.type == "start", event.action == "connection_attempted",
 *            not destination.ip == null, not destination.ip in ("0.0.0.0", "::"),
 *            not cidrmatch(destination.ip, <excluded_cidrs>)
 * The seed's host.os.type == "linux" always holds here and is left out. */
int eg_rule_from_config(const struct eg_config *config, struct eg_rule **ret_rule,
                        struct eg_error *err);

/* True when the condition holds (negate applied).  When the condition's test
 * is a CIDRMATCH that found the address inside a range, *ret_range (when not
 * NULL) points at the most specific such range, owned by the rule. */
bool eg_condition_holds(const struct eg_condition *condition, const struct eg_rule_event *event,
                        const struct eg_cidr **ret_range);

/* The index of the first condition that does not hold, or -1 when all hold.
 * *ret_range as for eg_condition_holds(), for that condition. */
int eg_predicate_first_failure(const struct eg_predicate *predicate,
                               const struct eg_rule_event *event, const struct eg_cidr **ret_range);

static inline bool eg_predicate_holds(const struct eg_predicate *predicate,
                                      const struct eg_rule_event *event)
{
	return eg_predicate_first_failure(predicate, event, NULL) < 0;
}

/* All present fields match.  A destination_cidr of the IPv4 family also
 * matches the IPv4-mapped form of its addresses. */
bool eg_exception_matches(const struct eg_exception *exception, const struct eg_rule_event *event);

/* The index of the first exception that matches, or -1. */
int eg_rule_first_exception(const struct eg_rule *rule, const struct eg_rule_event *event);

const char *eg_field_name(enum eg_field field);
int eg_field_parse(const char *name, enum eg_field *ret_field);
const char *eg_operation_name(enum eg_operation operation);

#endif
