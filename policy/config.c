/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config file of DESIGN.md: defaults equal to the seed, every key
 * checked, and every error naming its key path and why, in one line:
 *   window_ms: expected a positive integer, got "abc"
 *
 * Unknown and duplicate keys are errors.  yajl_tree keeps both members of a
 * duplicated key and a lookup finds the first, so "last wins" (what a reader
 * of the file expects) would silently be "first wins": refusing the file is
 * the only honest answer.  Only values shown to the user are quoted through
 * quote_text(), so a message stays one line whatever the file holds.
 */
#include "entryguard/config.h"
#include "entryguard/rundir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eg-build.h"
#include "entryguard/json.h"

/* Room for "exceptions[255].destination_cidr" and the like. */
#define KEY_PATH_MAX    96
/* A shown value: a quoted, escaped, cut excerpt of what the file holds. */
#define SHOWN_MAX       (SHOWN_TEXT_KEEP * 4 + 16)
#define SHOWN_TEXT_KEEP 48

static const char *const mode_names[] = {"off", "detect", "block", "kill", NULL};
static const char *const lineage_names[] = {"children", "descendants", NULL};
static const char *const annotation_policy_names[] = {"never", "lower", "raise", "any", NULL};
static const char *const lifetime_names[] = {"container", "window", NULL};
static const char *const tracker_names[] = {"auto", "proc_connector", "procfs", NULL};

static const char *const top_level_keys[] = {
    "mode",           "window_ms",  "entrypoint_names", "lineage",
    "excluded_cidrs", "exceptions", "alerts",           "allow_annotation_mode",
    "monitor",        "limits",     "runtime",          NULL};
static const char *const alerts_keys[] = {"path", "syslog", NULL};
static const char *const monitor_keys[] = {"lifetime", "tracker", NULL};
static const char *const limits_keys[] = {"max_processes", "alerts_per_second", NULL};
static const char *const runtime_keys[] = {"path", NULL};
static const char *const exception_keys[] = {"process_name",
                                             "process_executable",
                                             "destination_cidr",
                                             "destination_port",
                                             "image",
                                             "container_name",
                                             NULL};

static const char *const default_entrypoint_names[] = {"entrypoint.sh", NULL};

static size_t vector_length(const char *const *vector)
{
	size_t count = 0;

	while (vector[count])
		count++;
	return count;
}

static int vector_index(const char *const *vector, const char *text)
{
	for (size_t i = 0; vector[i]; i++)
		if (!strcmp(vector[i], text))
			return (int)i;
	return -1;
}

static int strv_copy(const char *const *source, size_t count, char ***ret_vector)
{
	_cleanup_strv_ char **vector = calloc(count + 1, sizeof(char *));

	if (!vector)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		vector[i] = strdup(source[i]);
		if (!vector[i])
			return -ENOMEM;
	}
	*ret_vector = steal_pointer(&vector);
	return 0;
}

/* "where.key", or "key" at the top level. */
static const char *key_path(char *buffer, size_t size, const char *where, const char *key)
{
	snprintf(buffer, size, "%s%s%s", where, *where ? "." : "", key);
	return buffer;
}

/* Text from the file as an error shows it: in quotes, with control bytes,
 * quotes and backslashes escaped, cut after SHOWN_TEXT_KEEP bytes (never in
 * the middle of a UTF-8 sequence). */
static const char *quote_text(const char *text, char *buffer, size_t size)
{
	return eg_quote(text, SHOWN_TEXT_KEEP, buffer, size);
}

/* A value as "got ..." shows it: strings quoted, numbers and literals as
 * written, containers by their type. */
static const char *describe_value(yajl_val value, char *buffer, size_t size)
{
	if (YAJL_IS_STRING(value))
		return quote_text(YAJL_GET_STRING(value), buffer, size);
	if (YAJL_IS_NUMBER(value)) {
		const char *text = YAJL_GET_NUMBER(value);

		snprintf(buffer, size, "%.*s%s", SHOWN_TEXT_KEEP, text,
		         strlen(text) > SHOWN_TEXT_KEEP ? "..." : "");
		return buffer;
	}
	if (YAJL_IS_TRUE(value))
		return "true";
	if (YAJL_IS_FALSE(value))
		return "false";
	if (YAJL_IS_NULL(value))
		return "null";
	return eg_json_type_name(value);
}

/* Unknown keys are errors (a typo must not turn a protection off), and so
 * are duplicates (see the top of the file).  Every key is checked against
 * the known ones first, so the duplicate scan stays short. */
static int check_keys(yajl_val object, const char *where, const char *const *known,
                      struct eg_error *err)
{
	const char *separator = *where ? ": " : "";
	char shown[SHOWN_MAX];

	for (size_t i = 0; i < object->u.object.len; i++) {
		const char *key = object->u.object.keys[i];

		if (vector_index(known, key) < 0)
			return eg_error_set(err, EINVAL, "%s%sunknown key %s", where, separator,
			                    quote_text(key, shown, sizeof(shown)));
		for (size_t j = 0; j < i; j++)
			if (!strcmp(object->u.object.keys[j], key))
				return eg_error_set(err, EINVAL, "%s%sduplicate key %s", where,
				                    separator,
				                    quote_text(key, shown, sizeof(shown)));
	}
	return 0;
}

/* An integer member within [minimum, maximum].  Returns 1 when present, 0
 * when absent (*ret untouched). */
static int get_bounded_integer(yajl_val object, const char *where, const char *key,
                               const char *expected, int64_t minimum, int64_t maximum, int64_t *ret,
                               struct eg_error *err)
{
	yajl_val value = eg_json_member(object, key);
	char path[KEY_PATH_MAX], shown[SHOWN_MAX];

	if (!value)
		return 0;
	key_path(path, sizeof(path), where, key);
	/* yajl marks "3000.0" and "1e3" as doubles only; an integer whose text
	 * overflows int64 loses YAJL_NUMBER_INT_VALID. */
	if (!YAJL_IS_INTEGER(value))
		return eg_error_set(err, EINVAL, "%s: expected %s, got %s", path, expected,
		                    describe_value(value, shown, sizeof(shown)));
	if (YAJL_GET_INTEGER(value) < minimum || YAJL_GET_INTEGER(value) > maximum)
		return eg_error_set(err, ERANGE, "%s: %lld is out of range (%lld..%lld)", path,
		                    (long long)YAJL_GET_INTEGER(value), (long long)minimum,
		                    (long long)maximum);
	*ret = YAJL_GET_INTEGER(value);
	return 1;
}

static int get_uint32(yajl_val object, const char *where, const char *key, uint32_t minimum,
                      uint32_t maximum, uint32_t *ret, struct eg_error *err)
{
	int64_t value;
	int r = get_bounded_integer(object, where, key, "a positive integer", minimum, maximum,
	                            &value, err);

	if (r > 0)
		*ret = (uint32_t)value;
	return r;
}

/* One of `names` (indexed by enum value); the error lists them all. */
static int get_choice(yajl_val object, const char *where, const char *key, const char *const *names,
                      int *ret, struct eg_error *err)
{
	const char *text = NULL;
	char path[KEY_PATH_MAX], shown[SHOWN_MAX], choices[128] = "";
	int index, r;

	r = eg_json_get_string(object, where, key, false, &text, err);
	if (r < 0 || !text)
		return r < 0 ? r : 0;
	index = vector_index(names, text);
	if (index >= 0) {
		*ret = index;
		return 1;
	}
	for (size_t i = 0; names[i]; i++) {
		size_t used = strlen(choices);
		snprintf(choices + used, sizeof(choices) - used, "%s%s", i ? ", " : "", names[i]);
	}
	return eg_error_set(err, EINVAL, "%s: expected one of %s, got %s",
	                    key_path(path, sizeof(path), where, key), choices,
	                    quote_text(text, shown, sizeof(shown)));
}

enum pattern_kind {
	PATTERN_ANY,
	PATTERN_BASENAME, /* a process name: the basename of what was executed */
};

static int check_pattern(const char *path, const char *text, enum pattern_kind kind,
                         struct eg_error *err)
{
	char shown[SHOWN_MAX];

	if (!*text)
		return eg_error_set(err, EINVAL, "%s: must not be empty", path);
	if (strlen(text) >= EG_CONFIG_MAX_PATTERN)
		return eg_error_set(err, EINVAL, "%s: longer than %u bytes", path,
		                    EG_CONFIG_MAX_PATTERN - 1);
	/* A name never holds a '/': such a pattern could never match, which
	 * is a mistake the user wants to hear about. */
	if (kind == PATTERN_BASENAME && strchr(text, '/'))
		return eg_error_set(err, EINVAL,
		                    "%s: %s: a process name has no '/' (it is a basename)", path,
		                    quote_text(text, shown, sizeof(shown)));
	return 0;
}

/* An optional string member checked by check_pattern(), copied. */
static int get_pattern(yajl_val object, const char *where, const char *key, enum pattern_kind kind,
                       char **ret, struct eg_error *err)
{
	const char *text = NULL;
	char path[KEY_PATH_MAX];
	char *copy;
	int r;

	r = eg_json_get_string(object, where, key, false, &text, err);
	if (r < 0 || !text)
		return r < 0 ? r : 0;
	r = check_pattern(key_path(path, sizeof(path), where, key), text, kind, err);
	if (r < 0)
		return r;
	copy = strdup(text);
	if (!copy)
		return eg_error_set(err, ENOMEM, "%s: out of memory", path);
	*ret = copy;
	return 1;
}

/* A string array with at most max_items entries.  The count is checked here
 * (before any copy) so that the message is ours; element types are checked
 * by the getter. */
static int get_bounded_strings(yajl_val object, const char *key, size_t max_items,
                               char ***ret_vector, size_t *ret_count, struct eg_error *err)
{
	yajl_val array = NULL;
	char **vector = NULL;
	size_t count = 0;
	int r;

	r = eg_json_get_array(object, "", key, false, &array, err);
	if (r < 0 || !array)
		return r < 0 ? r : 0;
	if (array->u.array.len > max_items)
		return eg_error_set(err, EINVAL, "%s: too many entries (max %zu)", key, max_items);
	r = eg_json_get_string_array(object, "", key, true, max_items, &vector, &count, err);
	if (r < 0)
		return r;
	*ret_vector = vector;
	*ret_count = count;
	return 1;
}

static int parse_entrypoint_names(yajl_val tree, struct eg_config *config, struct eg_error *err)
{
	_cleanup_strv_ char **names = NULL;
	size_t count = 0;
	char path[KEY_PATH_MAX];
	int r;

	r = get_bounded_strings(tree, "entrypoint_names", EG_CONFIG_MAX_NAMES, &names, &count, err);
	if (r <= 0)
		return r;
	if (count == 0)
		return eg_error_set(
		    err, EINVAL, "entrypoint_names: must not be empty (no window would ever open)");
	for (size_t i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "entrypoint_names[%zu]", i);
		if (strlen(names[i]) > NAME_MAX)
			return eg_error_set(err, EINVAL, "%s: longer than a file name (%d bytes)",
			                    path, NAME_MAX);
		r = check_pattern(path, names[i], PATTERN_BASENAME, err);
		if (r < 0)
			return r;
	}
	eg_strv_free(config->entrypoint_names);
	config->entrypoint_names = steal_pointer(&names);
	config->entrypoint_names_count = count;
	return 0;
}

static int parse_excluded_cidrs(yajl_val tree, struct eg_config *config, struct eg_error *err)
{
	_cleanup_strv_ char **cidrs = NULL;
	struct eg_classifier *classifier = NULL;
	struct eg_cidr cidr;
	size_t count = 0;
	int r;

	r = get_bounded_strings(tree, "excluded_cidrs", EG_CONFIG_MAX_CIDRS, &cidrs, &count, err);
	if (r <= 0)
		return r;
	/* Parsed one by one first, so that an error names its index. */
	for (size_t i = 0; i < count; i++) {
		r = eg_cidr_parse(cidrs[i], &cidr, err);
		if (r < 0)
			return eg_error_prefix(err, r, "excluded_cidrs[%zu]", i);
	}
	r = eg_classifier_new((const char *const *)cidrs, count, &classifier, err);
	if (r < 0)
		return eg_error_prefix(err, r, "excluded_cidrs");
	eg_classifier_free(config->excluded);
	config->excluded = classifier;
	eg_strv_free(config->excluded_cidrs);
	config->excluded_cidrs = steal_pointer(&cidrs);
	config->excluded_cidrs_count = count;
	return 0;
}

static int parse_exception_destination(yajl_val object, const char *where,
                                       struct eg_exception *exception, struct eg_error *err)
{
	const char *text = NULL;
	int64_t port;
	int r;

	r = eg_json_get_string(object, where, "destination_cidr", false, &text, err);
	if (r < 0)
		return r;
	if (text) {
		r = eg_cidr_parse(text, &exception->destination_cidr, err);
		if (r < 0)
			return eg_error_prefix(err, r, "%s.destination_cidr", where);
		exception->has_destination_cidr = true;
	}
	r = get_bounded_integer(object, where, "destination_port", "a port number (0..65535)", 0,
	                        65535, &port, err);
	if (r < 0)
		return r;
	if (r > 0)
		exception->destination_port = (int32_t)port;
	return 0;
}

static int parse_exception(yajl_val value, size_t index, struct eg_exception *exception,
                           struct eg_error *err)
{
	yajl_val executable;
	char where[KEY_PATH_MAX];
	int r;

	snprintf(where, sizeof(where), "exceptions[%zu]", index);
	if (!YAJL_IS_OBJECT(value))
		return eg_error_set(err, EINVAL, "%s: expected an object, got %s", where,
		                    eg_json_type_name(value));
	r = check_keys(value, where, exception_keys, err);
	if (r < 0)
		return r;
	/* Every absent field matches anything: an empty exception would
	 * silence every alert. */
	if (value->u.object.len == 0)
		return eg_error_set(err, EINVAL,
		                    "%s: an exception needs at least one field (an empty one would "
		                    "silence every alert)",
		                    where);
	r = get_pattern(value, where, "process_name", PATTERN_BASENAME, &exception->process_name,
	                err);
	if (r < 0)
		return r;
	executable = eg_json_member(value, "process_executable");
	if (YAJL_IS_NULL(executable))
		exception->executable_null = true;
	else if ((r = get_pattern(value, where, "process_executable", PATTERN_ANY,
	                          &exception->process_executable, err)) < 0)
		return r;
	r = parse_exception_destination(value, where, exception, err);
	if (r < 0)
		return r;
	r = get_pattern(value, where, "image", PATTERN_ANY, &exception->image, err);
	if (r < 0)
		return r;
	r = get_pattern(value, where, "container_name", PATTERN_ANY, &exception->container_name,
	                err);
	return r < 0 ? r : 0;
}

static void exceptions_free(struct eg_exception *exceptions, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(exceptions[i].process_name);
		free(exceptions[i].process_executable);
		free(exceptions[i].image);
		free(exceptions[i].container_name);
	}
	free(exceptions);
}

static int parse_exceptions(yajl_val tree, struct eg_config *config, struct eg_error *err)
{
	struct eg_exception *exceptions;
	yajl_val array = NULL;
	size_t count;
	int r;

	r = eg_json_get_array(tree, "", "exceptions", false, &array, err);
	if (r < 0 || !array)
		return r < 0 ? r : 0;
	count = array->u.array.len;
	if (count > EG_CONFIG_MAX_EXCEPTIONS)
		return eg_error_set(err, EINVAL, "exceptions: too many entries (max %u)",
		                    EG_CONFIG_MAX_EXCEPTIONS);
	exceptions = calloc(count ? count : 1, sizeof(*exceptions));
	if (!exceptions)
		return eg_error_set(err, ENOMEM, "exceptions: out of memory");
	for (size_t i = 0; i < count; i++) {
		exceptions[i].destination_port = -1;
		r = parse_exception(array->u.array.values[i], i, &exceptions[i], err);
		if (r < 0) {
			exceptions_free(exceptions, i + 1);
			return r;
		}
	}
	exceptions_free(config->exceptions, config->exceptions_count);
	config->exceptions = exceptions;
	config->exceptions_count = count;
	return 0;
}

/* An absolute path or null (the default spelled out): alerts.path (the
 * alert writer picks the root or rootless location) and runtime.path
 * (entryguard-runtime looks for runc, then crun). */
static int parse_absolute_path(yajl_val section, const char *where, const char *key, char **slot,
                               struct eg_error *err)
{
	yajl_val value = eg_json_member(section, key);
	char shown[SHOWN_MAX], path_key[KEY_PATH_MAX];
	const char *path = NULL;
	int r;

	if (!value || YAJL_IS_NULL(value))
		return 0;
	key_path(path_key, sizeof(path_key), where, key);
	r = eg_json_get_string(section, where, key, true, &path, err);
	if (r < 0)
		return r;
	if (path[0] != '/')
		return eg_error_set(err, EINVAL, "%s: expected an absolute path, got %s", path_key,
		                    quote_text(path, shown, sizeof(shown)));
	if (strlen(path) >= PATH_MAX)
		return eg_error_set(err, EINVAL, "%s: longer than %d bytes", path_key,
		                    PATH_MAX - 1);
	free(*slot);
	*slot = strdup(path);
	if (!*slot)
		return eg_error_set(err, ENOMEM, "%s: out of memory", path_key);
	return 0;
}

/* A sub-object ("alerts", ...) with its keys checked; NULL when absent. */
static int get_section(yajl_val tree, const char *name, const char *const *keys, yajl_val *ret,
                       struct eg_error *err)
{
	int r = eg_json_get_object(tree, "", name, false, ret, err);

	return r < 0 || !*ret ? r : check_keys(*ret, name, keys, err);
}

/* Overrides the defaults already in config with what the tree sets.  The
 * getters take an absent section (NULL) as "every key absent". */
static int parse_config(yajl_val tree, struct eg_config *config, struct eg_error *err)
{
	yajl_val alerts = NULL, monitor = NULL, limits = NULL, runtime = NULL;
	int mode = config->mode, lineage = config->lineage;
	int policy = config->allow_annotation_mode, lifetime = config->monitor_lifetime;
	int tracker = config->monitor_tracker;
	bool use_syslog = config->alerts_syslog;
	int r;

	if (!YAJL_IS_OBJECT(tree))
		return eg_error_set(err, EINVAL, "expected an object at the top level, got %s",
		                    eg_json_type_name(tree));
	if ((r = check_keys(tree, "", top_level_keys, err)) < 0 ||
	    (r = get_section(tree, "alerts", alerts_keys, &alerts, err)) < 0 ||
	    (r = get_section(tree, "monitor", monitor_keys, &monitor, err)) < 0 ||
	    (r = get_section(tree, "limits", limits_keys, &limits, err)) < 0 ||
	    (r = get_section(tree, "runtime", runtime_keys, &runtime, err)) < 0 ||
	    (r = get_choice(tree, "", "mode", mode_names, &mode, err)) < 0 ||
	    (r = get_uint32(tree, "", "window_ms", 1, EG_CONFIG_WINDOW_MS_MAX, &config->window_ms,
	                    err)) < 0 ||
	    (r = parse_entrypoint_names(tree, config, err)) < 0 ||
	    (r = get_choice(tree, "", "lineage", lineage_names, &lineage, err)) < 0 ||
	    (r = parse_excluded_cidrs(tree, config, err)) < 0 ||
	    (r = parse_exceptions(tree, config, err)) < 0 ||
	    (r = parse_absolute_path(alerts, "alerts", "path", &config->alerts_path, err)) < 0 ||
	    (r = eg_json_get_bool(alerts, "alerts", "syslog", false, &use_syslog, err)) < 0 ||
	    (r = get_choice(tree, "", "allow_annotation_mode", annotation_policy_names, &policy,
	                    err)) < 0 ||
	    (r = get_choice(monitor, "monitor", "lifetime", lifetime_names, &lifetime, err)) < 0 ||
	    (r = get_choice(monitor, "monitor", "tracker", tracker_names, &tracker, err)) < 0 ||
	    (r = get_uint32(limits, "limits", "max_processes", EG_CONFIG_MIN_PROCESSES,
	                    EG_CONFIG_MAX_PROCESSES, &config->max_processes, err)) < 0 ||
	    (r = get_uint32(limits, "limits", "alerts_per_second", 1, EG_CONFIG_MAX_ALERTS_PER_SEC,
	                    &config->alerts_per_second, err)) < 0 ||
	    (r = parse_absolute_path(runtime, "runtime", "path", &config->runtime_path, err)) < 0)
		return r;
	config->mode = (enum eg_mode)mode;
	config->lineage = (enum eg_lineage)lineage;
	config->allow_annotation_mode = (enum eg_annotation_policy)policy;
	config->monitor_lifetime = (enum eg_monitor_lifetime)lifetime;
	config->monitor_tracker = (enum eg_tracker)tracker;
	config->alerts_syslog = use_syslog;
	return 0;
}

void eg_config_free(struct eg_config *config)
{
	if (!config)
		return;
	eg_strv_free(config->entrypoint_names);
	eg_strv_free(config->excluded_cidrs);
	eg_classifier_free(config->excluded);
	exceptions_free(config->exceptions, config->exceptions_count);
	free(config->alerts_path);
	free(config->runtime_path);
	free(config);
}

int eg_config_new_default(struct eg_config **ret_config, struct eg_error *err)
{
	_cleanup_(eg_config_freep) struct eg_config *config = calloc(1, sizeof(*config));
	int r;

	if (!config)
		return eg_error_set(err, ENOMEM, "config: out of memory");
	config->mode = EG_MODE_DETECT;
	config->window_ms = 3000;
	config->lineage = EG_LINEAGE_CHILDREN;
	config->alerts_syslog = true;
	config->allow_annotation_mode = EG_ANNOTATION_NEVER;
	config->monitor_lifetime = EG_LIFETIME_CONTAINER;
	config->monitor_tracker = EG_TRACKER_AUTO;
	config->max_processes = 4096;
	config->alerts_per_second = 10;
	config->entrypoint_names_count = vector_length(default_entrypoint_names);
	config->excluded_cidrs_count = eg_seed_excluded_cidrs_count;
	if (strv_copy(default_entrypoint_names, config->entrypoint_names_count,
	              &config->entrypoint_names) < 0 ||
	    strv_copy(eg_seed_excluded_cidrs, eg_seed_excluded_cidrs_count,
	              &config->excluded_cidrs) < 0)
		return eg_error_set(err, ENOMEM, "config: out of memory");
	/* The seed has no exceptions: an empty, non-NULL array. */
	config->exceptions = calloc(1, sizeof(*config->exceptions));
	if (!config->exceptions)
		return eg_error_set(err, ENOMEM, "config: out of memory");
	r = eg_classifier_new(eg_seed_excluded_cidrs, eg_seed_excluded_cidrs_count,
	                      &config->excluded, err);
	if (r < 0)
		return eg_error_prefix(err, r, "built-in excluded_cidrs");
	*ret_config = steal_pointer(&config);
	return 0;
}

/* Errors from below (the reader, the JSON parser) may already name the
 * input; the loaders promise exactly one "<what>: " in front. */
static int name_input(struct eg_error *err, int result, const char *what)
{
	size_t length = strlen(what);

	if (err && !strncmp(err->message, what, length) && err->message[length] == ':')
		return result;
	return eg_error_prefix(err, result, "%s", what);
}

static bool is_blank(const char *buffer, size_t length)
{
	for (size_t i = 0; i < length; i++)
		if (!strchr(" \t\r\n", buffer[i]) || buffer[i] == '\0')
			return false;
	return true;
}

int eg_config_load_buffer(const char *what, const char *buffer, size_t length,
                          struct eg_config **ret_config, struct eg_error *err)
{
	_cleanup_(eg_config_freep) struct eg_config *config = NULL;
	_cleanup_json_ yajl_val tree = NULL;
	int r;

	if (!what)
		what = "config";
	if (length > EG_CONFIG_MAX_BYTES)
		return eg_error_set(err, EFBIG, "%s: %zu bytes, more than the limit of %u", what,
		                    length, EG_CONFIG_MAX_BYTES);
	/* An empty file is more likely a failed write than a wish for the
	 * defaults; "{}" says that. */
	if (is_blank(buffer, length))
		return eg_error_set(err, EINVAL,
		                    "%s: empty file (write {} for the built-in defaults)", what);
	r = eg_json_parse(what, buffer, length, &tree, err);
	if (r < 0)
		return name_input(err, r, what);
	r = eg_config_new_default(&config, err);
	if (r < 0)
		return name_input(err, r, what);
	r = parse_config(tree, config, err);
	if (r < 0)
		return eg_error_prefix(err, r, "%s", what);
	*ret_config = steal_pointer(&config);
	return 0;
}

int eg_config_load_file(const char *path, struct eg_config **ret_config, struct eg_error *err)
{
	_cleanup_free_ char *buffer = NULL;
	size_t length = 0;
	int r;

	r = eg_read_file_bounded(path, EG_CONFIG_MAX_BYTES, &buffer, &length, err);
	if (r < 0)
		return name_input(err, r, path);
	return eg_config_load_buffer(path, buffer, length, ret_config, err);
}

/* 1 when path exists, 0 when it does not (ENOENT, ENOTDIR); any other
 * failure (EACCES, ELOOP) is an error, not a reason to fall back silently
 * to a later candidate. */
static int candidate_exists(const char *path, const char *source, struct eg_error *err)
{
	struct stat status;

	if (stat(path, &status) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	return eg_error_set_errno(err, errno, "%s%s", path, source);
}

static int found(const char *path, char **ret_path, struct eg_error *err)
{
	char *copy = strdup(path);

	if (!copy)
		return eg_error_set(err, ENOMEM, "%s: out of memory", path);
	*ret_path = copy;
	return 0;
}

int eg_config_locate(const char *explicit_path, bool rootless, char **ret_path,
                     struct eg_error *err)
{
	static const char system_path[] = EG_SYSCONFDIR "/entryguard/entryguard.json";
	const char *environment = getenv("ENTRYGUARD_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	_cleanup_free_ char *candidate = NULL, *home = NULL;
	int r = 0;

	/* A path given explicitly must exist: falling back would check, or
	 * enforce, another file than the one meant.  ENTRYGUARD_CONFIG= (empty)
	 * is taken as unset. */
	if (explicit_path || (environment && *environment)) {
		const char *path = explicit_path ? explicit_path : environment;
		const char *source = explicit_path ? "" : " (from ENTRYGUARD_CONFIG)";

		r = candidate_exists(path, source, err);
		if (r == 0)
			return eg_error_set_errno(err, ENOENT, "%s%s", path, source);
		return r < 0 ? r : found(path, ret_path, err);
	}
	/* XDG: a relative $XDG_CONFIG_HOME is to be ignored. */
	if (rootless && xdg && xdg[0] == '/')
		r = asprintf(&candidate, "%s/entryguard/entryguard.json", xdg);
	else if (rootless && eg_user_home(&home) == 0)
		r = asprintf(&candidate, "%s/.config/entryguard/entryguard.json", home);
	if (r < 0) {
		candidate = NULL; /* asprintf leaves it undefined */
		return eg_error_set(err, ENOMEM, "config location: out of memory");
	}
	if (candidate) {
		r = candidate_exists(candidate, "", err);
		if (r != 0)
			return r < 0 ? r : found(candidate, ret_path, err);
	}
	r = candidate_exists(system_path, "", err);
	if (r == 0)
		*ret_path = NULL;
	return r <= 0 ? r : found(system_path, ret_path, err);
}

static const char *name_of(const char *const *names, unsigned index)
{
	return index < vector_length(names) ? names[index] : "unknown";
}

const char *eg_mode_name(enum eg_mode mode)
{
	return name_of(mode_names, mode);
}

int eg_mode_parse(const char *text, enum eg_mode *ret_mode)
{
	int index = text ? vector_index(mode_names, text) : -1;

	if (index < 0)
		return -EINVAL;
	*ret_mode = (enum eg_mode)index;
	return 0;
}

const char *eg_lineage_name(enum eg_lineage lineage)
{
	return name_of(lineage_names, lineage);
}

const char *eg_annotation_policy_name(enum eg_annotation_policy policy)
{
	return name_of(annotation_policy_names, policy);
}

const char *eg_monitor_lifetime_name(enum eg_monitor_lifetime lifetime)
{
	return name_of(lifetime_names, lifetime);
}

const char *eg_tracker_name(enum eg_tracker tracker)
{
	return name_of(tracker_names, tracker);
}

int eg_config_tracker_override(struct eg_config *config, const char *value, struct eg_error *err)
{
	char shown[SHOWN_MAX];
	int index;

	if (!value || !*value)
		return 0;
	index = vector_index(tracker_names, value);
	if (index < 0)
		return eg_error_set(err, EINVAL,
		                    EG_TRACKER_ENVIRONMENT
		                    ": expected one of auto, proc_connector, procfs, got %s",
		                    quote_text(value, shown, sizeof(shown)));
	config->monitor_tracker = (enum eg_tracker)index;
	return 0;
}

int eg_config_effective_mode(const struct eg_config *config, const char *annotation,
                             enum eg_mode *ret_mode, bool *ret_ignored, struct eg_error *err)
{
	enum eg_mode configured = config->mode, requested;
	char shown[SHOWN_MAX];
	bool allowed;

	/* "never" means the annotation is not read at all: a container's own
	 * label cannot even make its start fail. */
	if (!annotation || config->allow_annotation_mode == EG_ANNOTATION_NEVER) {
		*ret_mode = configured;
		*ret_ignored = annotation != NULL;
		return 0;
	}
	if (eg_mode_parse(annotation, &requested) < 0)
		return eg_error_set(err, EINVAL,
		                    "annotation " EG_ANNOTATION_MODE
		                    ": expected one of off, detect, block, kill, got %s",
		                    quote_text(annotation, shown, sizeof(shown)));
	allowed =
	    config->allow_annotation_mode == EG_ANNOTATION_ANY ||
	    (config->allow_annotation_mode == EG_ANNOTATION_LOWER && requested <= configured) ||
	    (config->allow_annotation_mode == EG_ANNOTATION_RAISE && requested >= configured);
	*ret_mode = allowed ? requested : configured;
	*ret_ignored = !allowed;
	return 0;
}
