/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The correlation core: a fixed table of the container's processes, with
 * the lineage each took at fork time, and the rule applied to attempts. */
#include "entryguard/correlate.h"

#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000ULL

/* An entrypoint entity and when its window opened.  Children copy it at
 * fork time, so the window outlives the entrypoint's exit without any
 * storage beyond the process table. */
struct entrypoint {
	bool valid;
	pid_t pid;
	uint64_t exec_time_ns;
	struct eg_entity_id entity_id;
};

struct process {
	int32_t next; /* in the pid's bucket, or in the free list */
	bool in_use;
	pid_t pid;
	uint64_t start_time;
	uint32_t exec_sequence;
	struct eg_entity_id entity_id;
	char name[EG_PROCESS_NAME_MAX];
	char executable[EG_EXECUTABLE_MAX];
	struct entrypoint self; /* this entity is an entrypoint */

	/* Taken at fork time, never updated: */
	pid_t parent_pid;
	bool has_parent_entity;
	struct eg_entity_id parent_entity_id;
	char parent_name[EG_PROCESS_NAME_MAX];
	struct entrypoint parent_entrypoint;  /* the parent entity, if an entrypoint */
	struct entrypoint nearest_entrypoint; /* nearest entrypoint ancestor */
};

struct eg_correlator {
	const struct eg_rule *rule;
	struct eg_host_id host_id;
	char *container_name;
	char *container_image_name;
	uint64_t maxspan_ns;
	struct process *processes;
	uint32_t capacity;
	int32_t *buckets; /* heads of pid chains, -1: empty */
	uint32_t bucket_mask;
	int32_t free_head;   /* records freed by exits, reused first */
	uint32_t high_water; /* records [high_water, capacity) were never used */
	struct eg_correlator_stats stats;
};

static const char *const reason_names[] = {
    [EG_DECISION_MATCH] = "match",
    [EG_DECISION_UNTRACKED] = "process not tracked",
    [EG_DECISION_PARENT_NOT_ENTRYPOINT] = "parent is not an entrypoint",
    [EG_DECISION_NO_ENTRYPOINT_ANCESTOR] = "no entrypoint among the ancestors",
    [EG_DECISION_WINDOW_EXPIRED] = "window expired",
    [EG_DECISION_DESTINATION_UNSPECIFIED] = "destination unspecified",
    [EG_DECISION_DESTINATION_EXCLUDED] = "destination excluded",
    [EG_DECISION_ATTEMPT_MISMATCH] = "attempt does not match the rule",
    [EG_DECISION_EXCEPTION] = "exception",
};

const char *eg_decision_reason_name(enum eg_decision_reason reason)
{
	if ((size_t)reason >= sizeof(reason_names) / sizeof(reason_names[0]))
		return "(unknown reason)";
	return reason_names[reason];
}

/* Copies at most size - 1 bytes: names come from the container and are cut,
 * never allowed to overflow a record. */
static void copy_text(char *destination, size_t size, const char *source)
{
	size_t length = source ? strnlen(source, size - 1) : 0;

	memcpy(destination, source ? source : "", length);
	destination[length] = '\0';
}

static uint32_t bucket_of(const struct eg_correlator *correlator, pid_t pid)
{
	/* Fibonacci hashing: pids are dense and sequential, the multiply spreads
	 * them over the buckets. */
	return (uint32_t)(((uint64_t)(uint32_t)pid * 0x9e3779b97f4a7c15ULL) >> 32) &
	       correlator->bucket_mask;
}

static struct process *find(const struct eg_correlator *correlator, pid_t pid)
{
	int32_t index = correlator->buckets[bucket_of(correlator, pid)];

	while (index >= 0) {
		struct process *process = &correlator->processes[index];
		if (process->pid == pid)
			return process;
		index = process->next;
	}
	return NULL;
}

static struct process *insert(struct eg_correlator *correlator, pid_t pid, uint64_t start_time)
{
	uint32_t bucket = bucket_of(correlator, pid);
	int32_t index = correlator->free_head;
	struct process *process;

	if (index >= 0) {
		correlator->free_head = correlator->processes[index].next;
	} else if (correlator->high_water < correlator->capacity) {
		index = (int32_t)correlator->high_water++;
	} else {
		correlator->stats.dropped++;
		return NULL;
	}
	process = &correlator->processes[index];
	memset(process, 0, sizeof(*process));
	process->in_use = true;
	process->pid = pid;
	process->start_time = start_time;
	process->next = correlator->buckets[bucket];
	correlator->buckets[bucket] = index;
	correlator->stats.tracked++;
	return process;
}

static void forget(struct eg_correlator *correlator, struct process *process)
{
	int32_t index = (int32_t)(process - correlator->processes);
	int32_t *link = &correlator->buckets[bucket_of(correlator, process->pid)];

	while (*link >= 0 && *link != index)
		link = &correlator->processes[*link].next;
	if (*link == index)
		*link = process->next;
	process->in_use = false;
	process->next = correlator->free_head;
	correlator->free_head = index;
	correlator->stats.tracked--;
}

static int table_full(struct eg_correlator *correlator, pid_t pid, struct eg_error *err)
{
	return eg_error_set(err, ENOSPC, "process table full (%u processes): pid %d not tracked",
	                    correlator->capacity, (int)pid);
}

void eg_correlator_free(struct eg_correlator *correlator)
{
	if (!correlator)
		return;
	free(correlator->processes);
	free(correlator->buckets);
	free(correlator->container_name);
	free(correlator->container_image_name);
	free(correlator);
}

static int allocate_tables(struct eg_correlator *correlator, uint32_t capacity)
{
	uint32_t buckets = 1;

	while (buckets < capacity)
		buckets <<= 1;
	correlator->processes = calloc(capacity, sizeof(struct process));
	correlator->buckets = malloc(buckets * sizeof(int32_t));
	if (!correlator->processes || !correlator->buckets)
		return -ENOMEM;
	for (uint32_t i = 0; i < buckets; i++)
		correlator->buckets[i] = -1;
	/* Records are handed out from the start and never initialised ahead:
	 * a small container only ever touches the first pages of a table that
	 * calloc left unbacked (an idle monitor's RSS stays small). */
	correlator->free_head = -1;
	correlator->high_water = 0;
	correlator->capacity = capacity;
	correlator->bucket_mask = buckets - 1;
	correlator->stats.capacity = capacity;
	return 0;
}

static int copy_optional(const char *text, char **ret_copy)
{
	if (!text)
		return 0;
	*ret_copy = strdup(text);
	return *ret_copy ? 0 : -ENOMEM;
}

int eg_correlator_new(const struct eg_correlator_settings *settings,
                      struct eg_correlator **ret_correlator, struct eg_error *err)
{
	_cleanup_(eg_correlator_freep) struct eg_correlator *correlator = NULL;

	if (!settings->rule || !settings->host_id)
		return eg_error_set(err, EINVAL, "correlator: a rule and a host id are needed");
	if (settings->max_processes == 0 || settings->max_processes > EG_CORRELATOR_MAX_PROCESSES)
		return eg_error_set(err, E2BIG, "max_processes: %u is not within 1-%d",
		                    settings->max_processes, EG_CORRELATOR_MAX_PROCESSES);
	correlator = calloc(1, sizeof(*correlator));
	if (!correlator)
		return eg_error_set(err, ENOMEM, "correlator: out of memory");
	correlator->rule = settings->rule;
	correlator->host_id = *settings->host_id;
	correlator->maxspan_ns = (uint64_t)settings->rule->maxspan_ms * NS_PER_MS;
	if (allocate_tables(correlator, settings->max_processes) < 0 ||
	    copy_optional(settings->container_name, &correlator->container_name) < 0 ||
	    copy_optional(settings->container_image_name, &correlator->container_image_name) < 0)
		return eg_error_set(err, ENOMEM, "correlator: out of memory for %u processes",
		                    settings->max_processes);
	*ret_correlator = steal_pointer(&correlator);
	return 0;
}

static void set_identity(struct eg_correlator *correlator, struct process *process,
                         const char *name, const char *executable)
{
	/* Only fails for pid <= 0, which callers have refused already. */
	(void)eg_entity_id_make(&correlator->host_id, process->pid, process->start_time,
	                        process->exec_sequence, &process->entity_id);
	copy_text(process->name, sizeof(process->name), name);
	copy_text(process->executable, sizeof(process->executable), executable);
}

/* What a child inherits at fork time (also used for seeded processes). */
static void inherit_lineage(struct process *child, const struct process *parent)
{
	child->has_parent_entity = true;
	child->parent_entity_id = parent->entity_id;
	copy_text(child->parent_name, sizeof(child->parent_name), parent->name);
	child->parent_entrypoint = parent->self;
	/* Descendants: the nearest entrypoint ancestor is enough.  An inner
	 * entrypoint is a descendant of an outer one, so it was exec'd after
	 * the outer one's exec and its window closes no earlier: whenever any
	 * ancestor's window is still open, the nearest one's is too. */
	child->nearest_entrypoint = parent->self.valid ? parent->self : parent->nearest_entrypoint;
}

static const struct process *find_parent(const struct eg_correlator *correlator, pid_t pid,
                                         uint64_t start_time)
{
	const struct process *parent = pid > 0 ? find(correlator, pid) : NULL;

	/* A parent record with another start time is a stale one whose exit we
	 * missed: using it would hand a stranger's lineage to the child. */
	if (parent && start_time != EG_START_TIME_UNKNOWN && parent->start_time != start_time)
		return NULL;
	return parent;
}

int eg_correlator_fork(struct eg_correlator *correlator, const struct eg_fork_event *event,
                       struct eg_error *err)
{
	const struct process *parent;
	struct process *child;

	if (event->child_pid <= 0)
		return eg_error_set(err, EINVAL, "fork: child pid %d", (int)event->child_pid);
	child = find(correlator, event->child_pid);
	if (child && child->start_time == event->child_start_time)
		return 0;
	if (child)
		forget(correlator, child);
	parent = find_parent(correlator, event->parent_pid, event->parent_start_time);
	child = insert(correlator, event->child_pid, event->child_start_time);
	if (!child)
		return table_full(correlator, event->child_pid, err);
	child->parent_pid = event->parent_pid > 0 ? event->parent_pid : 0;
	/* A child runs its parent's program until it execs. */
	if (parent) {
		child->exec_sequence = 0;
		set_identity(correlator, child, parent->name, parent->executable);
		inherit_lineage(child, parent);
	} else {
		set_identity(correlator, child, NULL, NULL);
	}
	return 0;
}

int eg_correlator_seed(struct eg_correlator *correlator, const struct eg_seed_process *seed,
                       struct eg_error *err)
{
	const struct process *parent;
	struct process *process;

	if (seed->pid <= 0)
		return eg_error_set(err, EINVAL, "seed: pid %d", (int)seed->pid);
	process = find(correlator, seed->pid);
	/* Events may have told us more than a /proc scan can. */
	if (process && process->start_time == seed->start_time)
		return 0;
	if (process)
		forget(correlator, process);
	parent = find_parent(correlator, seed->parent_pid, EG_START_TIME_UNKNOWN);
	process = insert(correlator, seed->pid, seed->start_time);
	if (!process)
		return table_full(correlator, seed->pid, err);
	process->parent_pid = seed->parent_pid > 0 ? seed->parent_pid : 0;
	set_identity(correlator, process, seed->name, seed->executable);
	if (parent)
		inherit_lineage(process, parent);
	return 0;
}

static const char *basename_of(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

static void event_for_exec(const struct eg_correlator *correlator, const char *name,
                           const char *executable, bool in_container,
                           struct eg_rule_event *ret_event)
{
	*ret_event = (struct eg_rule_event){
	    .event_type = "start",
	    .event_action = "exec",
	    .process_name = name,
	    .process_executable = executable,
	    .entry_meta_type = in_container ? "container" : NULL,
	    .destination_port = -1,
	    .container_name = correlator->container_name,
	    .container_image_name = correlator->container_image_name,
	};
}

/* The record the exec applies to: the tracked one, or a new one without a
 * parent when the pid is new or the tracked record is stale (pid reuse). */
static struct process *exec_target(struct eg_correlator *correlator,
                                   const struct eg_exec_event *event)
{
	struct process *process = find(correlator, event->pid);

	/* Unknown start time: the process was gone before it could be read;
	 * the exec belongs to the record we track for that pid. */
	if (process && (process->start_time == event->start_time ||
	                event->start_time == EG_START_TIME_UNKNOWN)) {
		process->exec_sequence++;
		return process;
	}
	if (process)
		forget(correlator, process);
	process = insert(correlator, event->pid, event->start_time);
	if (process)
		process->exec_sequence = 1; /* its fork was not seen */
	return process;
}

int eg_correlator_exec(struct eg_correlator *correlator, const struct eg_exec_event *event,
                       struct eg_error *err)
{
	const char *executable =
	    event->executable && event->executable[0] ? event->executable : NULL;
	const char *name = event->name ? event->name : basename_of(executable);
	struct eg_rule_event rule_event;
	struct process *process;

	if (event->pid <= 0)
		return eg_error_set(err, EINVAL, "exec: pid %d", (int)event->pid);
	process = exec_target(correlator, event);
	if (!process && event->start_time == EG_START_TIME_UNKNOWN)
		return 0; /* an untracked process that is gone: nothing to do */
	if (!process)
		return table_full(correlator, event->pid, err);
	set_identity(correlator, process, name, executable);
	/* The predicate sees the full name, so a long entrypoint name matches
	 * even where the kernel's comm would cut it at 15 bytes. */
	event_for_exec(correlator, name, executable, event->in_container, &rule_event);
	process->self = (struct entrypoint){0};
	if (!eg_predicate_holds(&correlator->rule->entry, &rule_event))
		return 0;
	process->self = (struct entrypoint){
	    .valid = true,
	    .pid = process->pid,
	    .exec_time_ns = event->time_ns,
	    .entity_id = process->entity_id,
	};
	correlator->stats.windows_opened++;
	return 1;
}

int eg_correlator_exit(struct eg_correlator *correlator, const struct eg_exit_event *event)
{
	struct process *process = event->pid > 0 ? find(correlator, event->pid) : NULL;

	if (!process)
		return 0;
	if (event->start_time != EG_START_TIME_UNKNOWN && event->start_time != process->start_time)
		return 0;
	forget(correlator, process);
	return 1;
}

static const struct entrypoint *entrypoint_for(const struct eg_correlator *correlator,
                                               const struct process *process)
{
	if (correlator->rule->join == EG_LINEAGE_DESCENDANTS)
		return &process->nearest_entrypoint;
	return &process->parent_entrypoint;
}

static int64_t elapsed_ns(uint64_t attempt_ns, uint64_t exec_ns)
{
	/* Clamped at 0: see "elapsed 0" in correlate.h. */
	return attempt_ns > exec_ns ? (int64_t)(attempt_ns - exec_ns) : 0;
}

static void describe_process(const struct process *process, struct eg_decision *decision)
{
	decision->entity_id = process->entity_id;
	memcpy(decision->name, process->name, sizeof(decision->name));
	memcpy(decision->executable, process->executable, sizeof(decision->executable));
	decision->parent_pid = process->parent_pid;
	if (process->has_parent_entity)
		decision->parent_entity_id = process->parent_entity_id;
	memcpy(decision->parent_name, process->parent_name, sizeof(decision->parent_name));
}

static const char *transport_name(enum eg_transport transport)
{
	return transport == EG_TRANSPORT_UDP ? "udp" : "tcp";
}

static void event_for_attempt(const struct eg_correlator *correlator, const struct process *process,
                              const struct eg_attempt *attempt, struct eg_rule_event *ret_event)
{
	*ret_event = (struct eg_rule_event){
	    .event_type = "start",
	    .event_action = "connection_attempted",
	    .process_name = process->name[0] ? process->name : NULL,
	    .process_executable = process->executable[0] ? process->executable : NULL,
	    .destination_ip = attempt->destination,
	    .destination_port = attempt->destination ? attempt->destination_port : -1,
	    .network_transport = transport_name(attempt->transport),
	    .container_name = correlator->container_name,
	    .container_image_name = correlator->container_image_name,
	};
}

/* Names the attempt condition that failed: destination conditions get their
 * own reasons because they are what users tune (excluded_cidrs). */
static void explain_failure(const struct eg_condition *condition, const struct eg_cidr *range,
                            struct eg_decision *decision)
{
	decision->reason = EG_DECISION_ATTEMPT_MISMATCH;
	if (condition->field != EG_FIELD_DESTINATION_IP)
		return;
	if (condition->operation == EG_OPERATION_CIDRMATCH) {
		decision->reason = EG_DECISION_DESTINATION_EXCLUDED;
		decision->excluded_range = range;
	} else {
		decision->reason = EG_DECISION_DESTINATION_UNSPECIFIED;
	}
}

/* The rule's attempt predicate and exceptions; true when both let it pass. */
static bool judge_attempt(const struct eg_correlator *correlator, const struct process *process,
                          const struct eg_attempt *attempt, struct eg_decision *decision)
{
	const struct eg_rule *rule = correlator->rule;
	const struct eg_cidr *range = NULL;
	struct eg_rule_event event;
	int index;

	event_for_attempt(correlator, process, attempt, &event);
	index = eg_predicate_first_failure(&rule->attempt, &event, &range);
	if (index >= 0) {
		decision->condition_index = index;
		explain_failure(&rule->attempt.conditions[index], range, decision);
		return false;
	}
	index = eg_rule_first_exception(rule, &event);
	if (index >= 0) {
		decision->exception_index = index;
		decision->reason = EG_DECISION_EXCEPTION;
		return false;
	}
	return true;
}

int eg_correlator_attempt(const struct eg_correlator *correlator, const struct eg_attempt *attempt,
                          struct eg_decision *ret_decision)
{
	struct eg_decision decision = {
	    .condition_index = -1, .exception_index = -1, .elapsed_ms = -1};
	const struct entrypoint *entrypoint;
	const struct process *process;
	int64_t elapsed;

	if (attempt->pid <= 0)
		return -EINVAL;
	decision.pid = attempt->pid;
	process = find(correlator, attempt->pid);
	if (!process) {
		decision.reason = EG_DECISION_UNTRACKED;
		goto done;
	}
	describe_process(process, &decision);
	entrypoint = entrypoint_for(correlator, process);
	if (!entrypoint->valid) {
		decision.reason = correlator->rule->join == EG_LINEAGE_DESCENDANTS
		                      ? EG_DECISION_NO_ENTRYPOINT_ANCESTOR
		                      : EG_DECISION_PARENT_NOT_ENTRYPOINT;
		goto done;
	}
	decision.entry_leader_pid = entrypoint->pid;
	decision.entry_leader_entity_id = entrypoint->entity_id;
	elapsed = elapsed_ns(attempt->time_ns, entrypoint->exec_time_ns);
	decision.elapsed_ms = elapsed / (int64_t)NS_PER_MS;
	if ((uint64_t)elapsed > correlator->maxspan_ns)
		decision.reason = EG_DECISION_WINDOW_EXPIRED;
	else if (judge_attempt(correlator, process, attempt, &decision))
		decision.match = true;
done:
	*ret_decision = decision;
	return 0;
}

int eg_correlator_entity_id(const struct eg_correlator *correlator, pid_t pid,
                            struct eg_entity_id *ret_entity_id)
{
	const struct process *process = pid > 0 ? find(correlator, pid) : NULL;

	if (!process)
		return -ESRCH;
	*ret_entity_id = process->entity_id;
	return 0;
}

/* Scans the table: the monitor asks on a timer, not per event. */
int eg_correlator_window_deadline(const struct eg_correlator *correlator, uint64_t now_ns,
                                  uint64_t *ret_deadline_ns)
{
	uint64_t deadline = 0;
	bool open = false;

	for (uint32_t i = 0; i < correlator->high_water; i++) {
		const struct process *process = &correlator->processes[i];
		const struct entrypoint *windows[2];

		if (!process->in_use)
			continue;
		/* Its own window (children still to come) and the one it carries. */
		windows[0] = &process->self;
		windows[1] = entrypoint_for(correlator, process);
		for (int w = 0; w < 2; w++) {
			uint64_t end = windows[w]->exec_time_ns + correlator->maxspan_ns;
			if (!windows[w]->valid || end < now_ns)
				continue;
			open = true;
			if (end > deadline)
				deadline = end;
		}
	}
	if (open)
		*ret_deadline_ns = deadline;
	return open ? 1 : 0;
}

size_t eg_correlator_candidates(const struct eg_correlator *correlator, uint64_t now_ns,
                                pid_t *ret_pids, size_t max)
{
	size_t count = 0;

	for (uint32_t i = 0; i < correlator->high_water && count < max; i++) {
		const struct process *process = &correlator->processes[i];
		const struct entrypoint *window;

		if (!process->in_use)
			continue;
		window = entrypoint_for(correlator, process);
		if (window->valid && window->exec_time_ns + correlator->maxspan_ns >= now_ns)
			ret_pids[count++] = process->pid;
	}
	return count;
}

size_t eg_correlator_tracked(const struct eg_correlator *correlator, pid_t *ret_pids, size_t max)
{
	size_t count = 0;

	for (uint32_t i = 0; i < correlator->high_water && count < max; i++)
		if (correlator->processes[i].in_use)
			ret_pids[count++] = correlator->processes[i].pid;
	return count;
}

void eg_correlator_get_stats(const struct eg_correlator *correlator,
                             struct eg_correlator_stats *ret_stats)
{
	*ret_stats = correlator->stats;
}
