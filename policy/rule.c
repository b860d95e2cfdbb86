/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rule as data: building it (by hand or from the config) and evaluating
 * its conditions and exceptions against one event. */
#include "entryguard/rule.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "entryguard/alert.h"

static const char *const field_names[] = {
    [EG_FIELD_EVENT_TYPE] = "event.type",
    [EG_FIELD_EVENT_ACTION] = "event.action",
    [EG_FIELD_PROCESS_NAME] = "process.name",
    [EG_FIELD_PROCESS_EXECUTABLE] = "process.executable",
    [EG_FIELD_ENTRY_META_TYPE] = "process.entry_leader.entry_meta.type",
    [EG_FIELD_DESTINATION_IP] = "destination.ip",
    [EG_FIELD_DESTINATION_PORT] = "destination.port",
    [EG_FIELD_NETWORK_TRANSPORT] = "network.transport",
    [EG_FIELD_CONTAINER_NAME] = "container.name",
    [EG_FIELD_CONTAINER_IMAGE_NAME] = "container.image.name",
};
#define FIELD_COUNT (sizeof(field_names) / sizeof(field_names[0]))

static const char *const operation_names[] = {
    [EG_OPERATION_EQUALS] = "==",
    [EG_OPERATION_LIKE] = "like",
    [EG_OPERATION_IS_NULL] = "== null",
    [EG_OPERATION_CIDRMATCH] = "cidrmatch",
};
#define OPERATION_COUNT (sizeof(operation_names) / sizeof(operation_names[0]))

const char *eg_field_name(enum eg_field field)
{
	return (size_t)field < FIELD_COUNT ? field_names[field] : "(unknown field)";
}

int eg_field_parse(const char *name, enum eg_field *ret_field)
{
	for (size_t i = 0; name && i < FIELD_COUNT; i++) {
		if (strcmp(name, field_names[i]) == 0) {
			*ret_field = (enum eg_field)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *eg_operation_name(enum eg_operation operation)
{
	return (size_t)operation < OPERATION_COUNT ? operation_names[operation]
	                                           : "(unknown operation)";
}

static void strv_free(char **strv)
{
	for (size_t i = 0; strv && strv[i]; i++)
		free(strv[i]);
	free(strv);
}

static void condition_clear(struct eg_condition *condition)
{
	strv_free(condition->values);
	free(condition->addresses);
	free(condition->ports);
	free(condition->ranges);
	eg_classifier_free(condition->classifier);
	memset(condition, 0, sizeof(*condition));
}

static void predicate_clear(struct eg_predicate *predicate)
{
	for (size_t i = 0; i < predicate->conditions_count; i++)
		condition_clear(&predicate->conditions[i]);
	free(predicate->conditions);
	predicate->conditions = NULL;
	predicate->conditions_count = 0;
}

static void exception_clear(struct eg_exception *exception)
{
	free(exception->process_name);
	free(exception->process_executable);
	free(exception->image);
	free(exception->container_name);
	memset(exception, 0, sizeof(*exception));
}

void eg_rule_free(struct eg_rule *rule)
{
	if (!rule)
		return;
	predicate_clear(&rule->entry);
	predicate_clear(&rule->attempt);
	for (size_t i = 0; i < rule->exceptions_count; i++)
		exception_clear(&rule->exceptions[i]);
	free(rule->exceptions);
	free(rule->name);
	free(rule->id);
	free(rule);
}

int eg_rule_new(const char *name, const char *id, enum eg_lineage join, uint32_t maxspan_ms,
                struct eg_rule **ret_rule, struct eg_error *err)
{
	_cleanup_(eg_rule_freep) struct eg_rule *rule = NULL;

	if (maxspan_ms == 0)
		return eg_error_set(err, EINVAL, "maxspan: must be more than 0 ms");
	if (join != EG_LINEAGE_CHILDREN && join != EG_LINEAGE_DESCENDANTS)
		return eg_error_set(err, EINVAL, "join: unknown lineage %d", (int)join);
	rule = calloc(1, sizeof(*rule));
	if (!rule)
		return eg_error_set(err, ENOMEM, "rule: out of memory");
	rule->name = strdup(name ? name : "");
	rule->id = strdup(id ? id : "");
	if (!rule->name || !rule->id)
		return eg_error_set(err, ENOMEM, "rule: out of memory");
	rule->join = join;
	rule->maxspan_ms = maxspan_ms;
	*ret_rule = steal_pointer(&rule);
	return 0;
}

static int copy_values(struct eg_condition *condition, const char *const *values, size_t count,
                       struct eg_error *err)
{
	condition->values = calloc(count + 1, sizeof(char *));
	if (!condition->values)
		return eg_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		if (!values[i])
			return eg_error_set(err, EINVAL, "value %zu is missing", i);
		condition->values[i] = strdup(values[i]);
		if (!condition->values[i])
			return eg_error_set(err, ENOMEM, "out of memory");
		condition->values_count = i + 1;
	}
	return 0;
}

static int parse_port(const char *text, uint16_t *ret_port, struct eg_error *err)
{
	unsigned long value;
	char *end;

	errno = 0;
	value = strtoul(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value > 65535)
		return eg_error_set(err, EINVAL, "\"%s\" is not a port (0-65535)", text);
	*ret_port = (uint16_t)value;
	return 0;
}

/* Parses the values once at build time, so that evaluating an event never
 * parses, allocates or fails. */
static int parse_values(struct eg_condition *condition, struct eg_error *err)
{
	size_t count = condition->values_count;
	int r;

	if (condition->operation == EG_OPERATION_CIDRMATCH) {
		condition->ranges = calloc(count, sizeof(struct eg_cidr));
		if (!condition->ranges)
			return eg_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < count; i++) {
			r = eg_cidr_parse(condition->values[i], &condition->ranges[i], err);
			if (r < 0)
				return r;
		}
		return eg_classifier_new((const char *const *)condition->values, count,
		                         &condition->classifier, err);
	}
	if (condition->operation != EG_OPERATION_EQUALS)
		return 0;
	if (condition->field == EG_FIELD_DESTINATION_IP) {
		condition->addresses = calloc(count, sizeof(struct eg_address));
		if (!condition->addresses)
			return eg_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < count; i++) {
			r = eg_address_parse(condition->values[i], &condition->addresses[i], err);
			if (r < 0)
				return r;
		}
	} else if (condition->field == EG_FIELD_DESTINATION_PORT) {
		condition->ports = calloc(count, sizeof(uint16_t));
		if (!condition->ports)
			return eg_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < count; i++) {
			r = parse_port(condition->values[i], &condition->ports[i], err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static bool field_is_text(enum eg_field field)
{
	return field != EG_FIELD_DESTINATION_IP && field != EG_FIELD_DESTINATION_PORT;
}

static int check_shape(enum eg_field field, enum eg_operation operation, size_t count,
                       struct eg_error *err)
{
	if ((size_t)field >= FIELD_COUNT || (size_t)operation >= OPERATION_COUNT)
		return eg_error_set(err, EINVAL, "unknown field %d or operation %d", (int)field,
		                    (int)operation);
	if (operation == EG_OPERATION_IS_NULL && count != 0)
		return eg_error_set(err, EINVAL, "== null takes no values");
	if (operation != EG_OPERATION_IS_NULL && count == 0)
		return eg_error_set(err, EINVAL, "%s needs at least one value",
		                    eg_operation_name(operation));
	if (count > EG_CONDITION_MAX_VALUES)
		return eg_error_set(err, E2BIG, "%zu values, at most %d", count,
		                    EG_CONDITION_MAX_VALUES);
	if (operation == EG_OPERATION_CIDRMATCH && field != EG_FIELD_DESTINATION_IP)
		return eg_error_set(err, EINVAL, "cidrmatch applies to destination.ip only");
	if (operation == EG_OPERATION_LIKE && !field_is_text(field))
		return eg_error_set(err, EINVAL, "like applies to text fields only");
	return 0;
}

int eg_predicate_add(struct eg_predicate *predicate, enum eg_field field,
                     enum eg_operation operation, bool negate, const char *const *values,
                     size_t values_count, struct eg_error *err)
{
	_cleanup_(condition_clear) struct eg_condition condition = {
	    .field = field, .operation = operation, .negate = negate};
	struct eg_condition *grown;
	int r;

	r = check_shape(field, operation, values_count, err);
	if (r >= 0 && predicate->conditions_count >= EG_PREDICATE_MAX_CONDITIONS)
		r = eg_error_set(err, E2BIG, "more than %d conditions",
		                 EG_PREDICATE_MAX_CONDITIONS);
	if (r >= 0)
		r = copy_values(&condition, values, values_count, err);
	if (r >= 0)
		r = parse_values(&condition, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", eg_field_name(field));
	grown = realloc(predicate->conditions,
	                (predicate->conditions_count + 1) * sizeof(struct eg_condition));
	if (!grown)
		return eg_error_set(err, ENOMEM, "%s: out of memory", eg_field_name(field));
	predicate->conditions = grown;
	grown[predicate->conditions_count++] = condition;
	memset(&condition, 0, sizeof(condition)); /* now owned by the predicate */
	return 0;
}

static bool exception_is_empty(const struct eg_exception *exception)
{
	return !exception->process_name && !exception->process_executable &&
	       !exception->executable_null && !exception->has_destination_cidr &&
	       exception->destination_port < 0 && !exception->image && !exception->container_name;
}

static int copy_pattern(const char *pattern, char **ret_copy)
{
	if (!pattern)
		return 0;
	*ret_copy = strdup(pattern);
	return *ret_copy ? 0 : -ENOMEM;
}

int eg_rule_add_exception(struct eg_rule *rule, const struct eg_exception *exception,
                          struct eg_error *err)
{
	_cleanup_(exception_clear) struct eg_exception copy = {0};
	struct eg_exception *grown;

	if (exception_is_empty(exception))
		return eg_error_set(err, EINVAL,
		                    "an exception without fields would match everything");
	if (exception->destination_port < -1 || exception->destination_port > 65535)
		return eg_error_set(err, EINVAL, "destination_port: %d is not a port",
		                    (int)exception->destination_port);
	if (rule->exceptions_count >= EG_RULE_MAX_EXCEPTIONS)
		return eg_error_set(err, E2BIG, "more than %d exceptions", EG_RULE_MAX_EXCEPTIONS);
	copy = *exception;
	copy.process_name = copy.process_executable = copy.image = copy.container_name = NULL;
	if (copy_pattern(exception->process_name, &copy.process_name) < 0 ||
	    copy_pattern(exception->process_executable, &copy.process_executable) < 0 ||
	    copy_pattern(exception->image, &copy.image) < 0 ||
	    copy_pattern(exception->container_name, &copy.container_name) < 0)
		return eg_error_set(err, ENOMEM, "exception: out of memory");
	grown = realloc(rule->exceptions, (rule->exceptions_count + 1) * sizeof(*grown));
	if (!grown)
		return eg_error_set(err, ENOMEM, "exception: out of memory");
	rule->exceptions = grown;
	grown[rule->exceptions_count++] = copy;
	memset(&copy, 0, sizeof(copy)); /* now owned by the rule */
	return 0;
}

static int add_single(struct eg_predicate *predicate, enum eg_field field, const char *value,
                      struct eg_error *err)
{
	return eg_predicate_add(predicate, field, EG_OPERATION_EQUALS, false, &value, 1, err);
}

static int build_entry(struct eg_predicate *entry, const struct eg_config *config,
                       struct eg_error *err)
{
	int r;

	r = add_single(entry, EG_FIELD_EVENT_TYPE, "start", err);
	if (r >= 0)
		r = add_single(entry, EG_FIELD_EVENT_ACTION, "exec", err);
	if (r >= 0)
		r = add_single(entry, EG_FIELD_ENTRY_META_TYPE, "container", err);
	if (r >= 0)
		r = eg_predicate_add(entry, EG_FIELD_PROCESS_NAME, EG_OPERATION_LIKE, false,
		                     (const char *const *)config->entrypoint_names,
		                     config->entrypoint_names_count, err);
	return r < 0 ? eg_error_prefix(err, r, "entrypoint_names") : 0;
}

static int build_attempt(struct eg_predicate *attempt, const struct eg_config *config,
                         struct eg_error *err)
{
	/* `::` is the IPv6 spelling of the seed's "0.0.0.0" (DESIGN.md). */
	static const char *const unspecified[] = {"0.0.0.0", "::"};
	int r;

	r = add_single(attempt, EG_FIELD_EVENT_TYPE, "start", err);
	if (r >= 0)
		r = add_single(attempt, EG_FIELD_EVENT_ACTION, "connection_attempted", err);
	if (r >= 0)
		r = eg_predicate_add(attempt, EG_FIELD_DESTINATION_IP, EG_OPERATION_IS_NULL, true,
		                     NULL, 0, err);
	if (r >= 0)
		r = eg_predicate_add(attempt, EG_FIELD_DESTINATION_IP, EG_OPERATION_EQUALS, true,
		                     unspecified, 2, err);
	if (r < 0)
		return r;
	/* An empty list excludes nothing: cidrmatch() needs at least one range. */
	if (config->excluded_cidrs_count == 0)
		return 0;
	r = eg_predicate_add(attempt, EG_FIELD_DESTINATION_IP, EG_OPERATION_CIDRMATCH, true,
	                     (const char *const *)config->excluded_cidrs,
	                     config->excluded_cidrs_count, err);
	return r < 0 ? eg_error_prefix(err, r, "excluded_cidrs") : 0;
}

int eg_rule_from_config(const struct eg_config *config, struct eg_rule **ret_rule,
                        struct eg_error *err)
{
	_cleanup_(eg_rule_freep) struct eg_rule *rule = NULL;
	int r;

	r = eg_rule_new(EG_RULE_NAME, EG_RULE_ID, config->lineage, config->window_ms, &rule, err);
	if (r < 0)
		return eg_error_prefix(err, r, "window_ms/lineage");
	r = build_entry(&rule->entry, config, err);
	if (r < 0)
		return r;
	r = build_attempt(&rule->attempt, config, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < config->exceptions_count; i++) {
		r = eg_rule_add_exception(rule, &config->exceptions[i], err);
		if (r < 0)
			return eg_error_prefix(err, r, "exceptions[%zu]", i);
	}
	*ret_rule = steal_pointer(&rule);
	return 0;
}

static const char *event_text(const struct eg_rule_event *event, enum eg_field field)
{
	switch (field) {
	case EG_FIELD_EVENT_TYPE:
		return event->event_type;
	case EG_FIELD_EVENT_ACTION:
		return event->event_action;
	case EG_FIELD_PROCESS_NAME:
		return event->process_name;
	case EG_FIELD_PROCESS_EXECUTABLE:
		return event->process_executable;
	case EG_FIELD_ENTRY_META_TYPE:
		return event->entry_meta_type;
	case EG_FIELD_NETWORK_TRANSPORT:
		return event->network_transport;
	case EG_FIELD_CONTAINER_NAME:
		return event->container_name;
	case EG_FIELD_CONTAINER_IMAGE_NAME:
		return event->container_image_name;
	case EG_FIELD_DESTINATION_IP:
	case EG_FIELD_DESTINATION_PORT:
		break;
	}
	return NULL;
}

static bool field_is_null(const struct eg_rule_event *event, enum eg_field field)
{
	if (field == EG_FIELD_DESTINATION_IP)
		return event->destination_ip == NULL;
	if (field == EG_FIELD_DESTINATION_PORT)
		return event->destination_port < 0;
	return event_text(event, field) == NULL;
}

/* Mapped IPv6 addresses are judged by their IPv4 address (DESIGN.md), so
 * both sides of a comparison are unmapped first. */
static void unmap(const struct eg_address *address, struct eg_address *ret_address)
{
	if (!eg_address_unmap_ipv4(address, ret_address))
		*ret_address = *address;
}

static bool same_address(const struct eg_address *a, const struct eg_address *b)
{
	struct eg_address left, right;

	unmap(a, &left);
	unmap(b, &right);
	if (left.family != right.family)
		return false;
	return memcmp(left.bytes, right.bytes, left.family == AF_INET ? 4 : 16) == 0;
}

static bool test_equals(const struct eg_condition *condition, const struct eg_rule_event *event)
{
	const char *text = event_text(event, condition->field);

	for (size_t i = 0; i < condition->values_count; i++) {
		if (condition->field == EG_FIELD_DESTINATION_IP) {
			if (same_address(&condition->addresses[i], event->destination_ip))
				return true;
		} else if (condition->field == EG_FIELD_DESTINATION_PORT) {
			if (condition->ports[i] == event->destination_port)
				return true;
		} else if (strcmp(condition->values[i], text) == 0) {
			return true;
		}
	}
	return false;
}

static bool test_like(const struct eg_condition *condition, const struct eg_rule_event *event)
{
	const char *text = event_text(event, condition->field);

	for (size_t i = 0; i < condition->values_count; i++)
		if (fnmatch(condition->values[i], text, 0) == 0)
			return true;
	return false;
}

static bool address_in_cidr(const struct eg_cidr *cidr, const struct eg_address *address)
{
	struct eg_address unmapped;

	unmap(address, &unmapped);
	return eg_cidr_contains(cidr, address) || eg_cidr_contains(cidr, &unmapped);
}

static bool test_cidrmatch(const struct eg_condition *condition, const struct eg_rule_event *event,
                           const struct eg_cidr **ret_range)
{
	const struct eg_cidr *range = NULL;

	switch (eg_classify(condition->classifier, event->destination_ip, &range)) {
	case EG_ADDRESS_EXCLUDED:
		*ret_range = range;
		return true;
	case EG_ADDRESS_PUBLIC:
		return false;
	case EG_ADDRESS_UNSPECIFIED:
		break;
	}
	/* The classifier names unspecified addresses before it looks at ranges;
	 * cidrmatch() itself only asks whether a range holds the address. */
	for (size_t i = 0; i < condition->values_count; i++) {
		if (address_in_cidr(&condition->ranges[i], event->destination_ip)) {
			*ret_range = &condition->ranges[i];
			return true;
		}
	}
	return false;
}

bool eg_condition_holds(const struct eg_condition *condition, const struct eg_rule_event *event,
                        const struct eg_cidr **ret_range)
{
	const struct eg_cidr *range = NULL;
	bool result = false;

	if (condition->operation == EG_OPERATION_IS_NULL)
		result = field_is_null(event, condition->field);
	else if (field_is_null(event, condition->field))
		result = false; /* null compares false with everything */
	else if (condition->operation == EG_OPERATION_EQUALS)
		result = test_equals(condition, event);
	else if (condition->operation == EG_OPERATION_LIKE)
		result = test_like(condition, event);
	else if (condition->operation == EG_OPERATION_CIDRMATCH)
		result = test_cidrmatch(condition, event, &range);
	if (ret_range)
		*ret_range = range;
	return result != condition->negate;
}

int eg_predicate_first_failure(const struct eg_predicate *predicate,
                               const struct eg_rule_event *event, const struct eg_cidr **ret_range)
{
	for (size_t i = 0; i < predicate->conditions_count; i++)
		if (!eg_condition_holds(&predicate->conditions[i], event, ret_range))
			return (int)i;
	if (ret_range)
		*ret_range = NULL;
	return -1;
}

/* An absent pattern matches anything; a present one never matches a null
 * field (an exception must not widen to processes we know nothing about). */
static bool pattern_matches(const char *pattern, const char *text)
{
	return !pattern || (text && fnmatch(pattern, text, 0) == 0);
}

bool eg_exception_matches(const struct eg_exception *exception, const struct eg_rule_event *event)
{
	if (!pattern_matches(exception->process_name, event->process_name) ||
	    !pattern_matches(exception->process_executable, event->process_executable) ||
	    !pattern_matches(exception->image, event->container_image_name) ||
	    !pattern_matches(exception->container_name, event->container_name))
		return false;
	if (exception->executable_null && event->process_executable)
		return false;
	if (exception->has_destination_cidr &&
	    (!event->destination_ip ||
	     !address_in_cidr(&exception->destination_cidr, event->destination_ip)))
		return false;
	if (exception->destination_port >= 0 &&
	    exception->destination_port != event->destination_port)
		return false;
	return true;
}

int eg_rule_first_exception(const struct eg_rule *rule, const struct eg_rule_event *event)
{
	for (size_t i = 0; i < rule->exceptions_count; i++)
		if (eg_exception_matches(&rule->exceptions[i], event))
			return (int)i;
	return -1;
}
