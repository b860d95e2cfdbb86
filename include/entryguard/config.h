/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The config contract of DESIGN.md: one JSON file, every key optional,
 * defaults equal to the seed.  Unknown keys are errors (a typo must not
 * silently turn a protection off), and every error names its key and why:
 *   window_ms: expected a positive integer, got "abc"
 *
 * {
 *   "mode": "detect",                       off | detect | block | kill
 *   "window_ms": 3000,
 *   "entrypoint_names": ["entrypoint.sh"],  basenames (fnmatch patterns)
 *   "lineage": "children",                  children | descendants
 *   "excluded_cidrs": [ ...the seed's list... ],
 *   "exceptions": [ {"process_name": "python*", "destination_port": 443} ],
 *   "alerts": { "path": "/var/log/entryguard/alerts.ndjson", "syslog": true },
 *   "allow_annotation_mode": "never",       never | lower | raise | any
 *   "monitor": { "lifetime": "container",   container | window
 *                "tracker": "auto" },        auto | proc_connector | procfs
 *   "limits": { "max_processes": 4096, "alerts_per_second": 10 },
 *   "runtime": { "path": null }             the runtime entryguard-runtime runs
 * }
 */
#ifndef ENTRYGUARD_CONFIG_H
#define ENTRYGUARD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entryguard/classify.h"
#include "entryguard/cleanup.h"
#include "entryguard/error.h"

/* Bounds of the config (each error names the bound it broke).  The file is
 * small by nature; 1 MiB is thousands of exceptions' worth of text. */
#define EG_CONFIG_MAX_BYTES          (1024u * 1024u)
#define EG_CONFIG_WINDOW_MS_MAX      3600000u /* an hour: beyond it no start-up is "early" */
#define EG_CONFIG_MAX_NAMES          64u      /* entrypoint_names entries */
#define EG_CONFIG_MAX_CIDRS          1024u    /* excluded_cidrs entries */
#define EG_CONFIG_MAX_EXCEPTIONS     256u
#define EG_CONFIG_MAX_PATTERN        4096u    /* bytes in one pattern or path (PATH_MAX) */
#define EG_CONFIG_MIN_PROCESSES      16u      /* fewer could not follow even a tiny entrypoint */
#define EG_CONFIG_MAX_PROCESSES      4194304u /* the kernel's PID_MAX_LIMIT */
#define EG_CONFIG_MAX_ALERTS_PER_SEC 100000u

/* The annotation that asks for a per-container mode. */
#define EG_ANNOTATION_MODE "io.entryguard.mode"

/* Ordered: a "lower" mode protects less. */
enum eg_mode {
	EG_MODE_OFF,
	EG_MODE_DETECT,
	EG_MODE_BLOCK,
	EG_MODE_KILL,
};

enum eg_lineage {
	EG_LINEAGE_CHILDREN,    /* the seed: the attempt's parent is the entrypoint */
	EG_LINEAGE_DESCENDANTS, /* any ancestor (at fork time) is the entrypoint */
};

enum eg_annotation_policy {
	EG_ANNOTATION_NEVER, /* io.entryguard.mode is ignored */
	EG_ANNOTATION_LOWER, /* may only lower the mode */
	EG_ANNOTATION_RAISE, /* may only raise the mode */
	EG_ANNOTATION_ANY,
};

enum eg_monitor_lifetime {
	EG_LIFETIME_CONTAINER, /* until the container's init exits */
	EG_LIFETIME_WINDOW,    /* until no window can open again */
};

/* How the monitor follows the container's process tree (docs/CONFIG.md). */
enum eg_tracker {
	EG_TRACKER_AUTO,           /* the proc connector if its probe passes, else procfs */
	EG_TRACKER_PROC_CONNECTOR, /* the proc connector or nothing: refuse to start */
	EG_TRACKER_PROCFS,         /* poll /proc (the fallback), even where the connector works */
};

/* The environment variable that overrides monitor.tracker. */
#define EG_TRACKER_ENVIRONMENT "ENTRYGUARD_TRACKER"

/* All present fields must match for the exception to apply (AND); absent
 * fields match anything. */
struct eg_exception {
	char *process_name;       /* fnmatch pattern, or NULL */
	char *process_executable; /* fnmatch pattern, or NULL */
	bool executable_null;     /* "process_executable": null: executable unknown */
	bool has_destination_cidr;
	struct eg_cidr destination_cidr;
	int32_t destination_port; /* -1: any */
	char *image;              /* fnmatch pattern on container.image.name, or NULL */
	char *container_name;     /* fnmatch pattern, or NULL */
};

struct eg_config {
	enum eg_mode mode;
	uint32_t window_ms;
	char **entrypoint_names; /* NULL-terminated */
	size_t entrypoint_names_count;
	enum eg_lineage lineage;
	char **excluded_cidrs; /* NULL-terminated, as written */
	size_t excluded_cidrs_count;
	struct eg_classifier *excluded; /* built from excluded_cidrs */
	struct eg_exception *exceptions;
	size_t exceptions_count;
	char *alerts_path; /* NULL: the default for root or rootless */
	bool alerts_syslog;
	enum eg_annotation_policy allow_annotation_mode;
	enum eg_monitor_lifetime monitor_lifetime;
	enum eg_tracker monitor_tracker;
	uint32_t max_processes;
	uint32_t alerts_per_second;
	char *runtime_path; /* NULL: entryguard-runtime looks for runc, then crun */
};

int eg_config_new_default(struct eg_config **ret_config, struct eg_error *err);
/* `what` names the input in errors (a path, "ENTRYGUARD_CONFIG"): every
 * error message of the two loaders begins with "<what>: ", so callers do not
 * add the name again.  Duplicate keys are errors, like unknown ones. */
int eg_config_load_buffer(const char *what, const char *buffer, size_t length,
                          struct eg_config **ret_config, struct eg_error *err);
int eg_config_load_file(const char *path, struct eg_config **ret_config, struct eg_error *err);
void eg_config_free(struct eg_config *config);
EG_DEFINE_CLEANUP(struct eg_config *, eg_config_free)

/* The config file to read, in DESIGN.md's order: explicit (--config), then
 * $ENTRYGUARD_CONFIG, then for a rootless caller
 * $XDG_CONFIG_HOME/entryguard/entryguard.json (default ~/.config), then
 * <sysconfdir>/entryguard/entryguard.json.  A candidate that does not exist
 * is skipped, except explicit and $ENTRYGUARD_CONFIG, which must exist.
 * *ret_path is NULL (and 0 returned) when no file is found: defaults apply. */
int eg_config_locate(const char *explicit_path, bool rootless, char **ret_path,
                     struct eg_error *err);

const char *eg_mode_name(enum eg_mode mode);
int eg_mode_parse(const char *text, enum eg_mode *ret_mode);
const char *eg_lineage_name(enum eg_lineage lineage);
const char *eg_annotation_policy_name(enum eg_annotation_policy policy);
const char *eg_monitor_lifetime_name(enum eg_monitor_lifetime lifetime);
const char *eg_tracker_name(enum eg_tracker tracker);
/* Applies $ENTRYGUARD_TRACKER (value; NULL or "": unset) over the config's
 * monitor.tracker.  A value that is not a tracker's name is -EINVAL with one
 * line naming the variable, the value and the choices. */
int eg_config_tracker_override(struct eg_config *config, const char *value, struct eg_error *err);

/* The mode for one container given its io.entryguard.mode annotation (NULL
 * when absent), honouring allow_annotation_mode.  An annotation the policy
 * does not allow is ignored (the configured mode stays) and reported through
 * *ret_ignored so the caller can log it; a malformed one is an error, except
 * under "never", where the annotation is not even read. */
int eg_config_effective_mode(const struct eg_config *config, const char *annotation,
                             enum eg_mode *ret_mode, bool *ret_ignored, struct eg_error *err);

#endif
