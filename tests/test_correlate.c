/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rule as data and the correlation core: windows, lineage, pid reuse,
 * exec, destinations, exceptions and the bounded table. */
#include <string.h>

#include "entryguard/correlate.h"
#include "tests/unit.h"

#define T0     1000000000000ULL /* an arbitrary monotonic time */
#define MS(ms) (T0 + (uint64_t)(ms)*1000000ULL)

/* The config holds mutable strings; these give them storage. */
static char entrypoint_sh[] = "entrypoint.sh";
static char long_entrypoint[] = "my-long-entrypoint.sh";
static char python_pattern[] = "python*";
static char executable_pattern[] = "/usr/bin/py*";
static char image_pattern[] = "docker.io/*/python:*";
static char other_image_pattern[] = "quay.io/*";
static char container_pattern[] = "web-*";
static char other_container_pattern[] = "db-*";
static char *default_names[] = {entrypoint_sh, NULL};

struct fixture {
	struct eg_rule *rule;
	struct eg_correlator *correlator;
};

static struct eg_config make_config(enum eg_lineage lineage)
{
	return (struct eg_config){
	    .mode = EG_MODE_DETECT,
	    .window_ms = 3000,
	    .entrypoint_names = default_names,
	    .entrypoint_names_count = 1,
	    .lineage = lineage,
	    .excluded_cidrs = (char **)eg_seed_excluded_cidrs,
	    .excluded_cidrs_count = eg_seed_excluded_cidrs_count,
	    .max_processes = 64,
	};
}

static void start(struct fixture *fixture, const struct eg_config *config)
{
	struct eg_host_id host;
	struct eg_error err = {0};
	struct eg_correlator_settings settings = {
	    .host_id = &host,
	    .container_name = "web-1",
	    .container_image_name = "docker.io/library/python:3.12",
	    .max_processes = config->max_processes,
	};

	assert_int_equal(eg_host_id_parse("0123456789abcdef0123456789abcdef", 32, &host, NULL), 0);
	if (eg_rule_from_config(config, &fixture->rule, &err) < 0)
		fail_msg("rule: %s", err.message);
	settings.rule = fixture->rule;
	if (eg_correlator_new(&settings, &fixture->correlator, &err) < 0)
		fail_msg("correlator: %s", err.message);
}

static void stop(struct fixture *fixture)
{
	eg_correlator_free(fixture->correlator);
	eg_rule_free(fixture->rule);
	memset(fixture, 0, sizeof(*fixture));
}

static int setup_children(void **state)
{
	static struct fixture fixture;
	struct eg_config config = make_config(EG_LINEAGE_CHILDREN);

	start(&fixture, &config);
	*state = &fixture;
	return 0;
}

static int setup_descendants(void **state)
{
	static struct fixture fixture;
	struct eg_config config = make_config(EG_LINEAGE_DESCENDANTS);

	start(&fixture, &config);
	*state = &fixture;
	return 0;
}

static int teardown(void **state)
{
	stop(*state);
	return 0;
}

static struct eg_correlator *engine(void **state)
{
	return ((struct fixture *)*state)->correlator;
}

/* The start time of a pid in these tests: pid * 10 unless said otherwise. */
static int exec_at(struct eg_correlator *correlator, pid_t pid, uint64_t start_time, uint64_t ms,
                   const char *executable, bool in_container)
{
	struct eg_exec_event event = {.pid = pid,
	                              .start_time = start_time,
	                              .time_ns = MS(ms),
	                              .executable = executable,
	                              .in_container = in_container};
	return eg_correlator_exec(correlator, &event, NULL);
}

static int fork_child(struct eg_correlator *correlator, pid_t parent, pid_t child,
                      uint64_t child_start_time)
{
	struct eg_fork_event event = {.parent_pid = parent,
	                              .parent_start_time = EG_START_TIME_UNKNOWN,
	                              .child_pid = child,
	                              .child_start_time = child_start_time};
	return eg_correlator_fork(correlator, &event, NULL);
}

static int exit_process(struct eg_correlator *correlator, pid_t pid)
{
	struct eg_exit_event event = {.pid = pid, .start_time = EG_START_TIME_UNKNOWN};
	return eg_correlator_exit(correlator, &event);
}

/* offset_ns from T0, negative for "stamped before the exec". */
static struct eg_decision attempt_at_ns(const struct eg_correlator *correlator, pid_t pid,
                                        int64_t offset_ns, const char *destination, uint16_t port)
{
	struct eg_address address;
	struct eg_attempt attempt = {.pid = pid,
	                             .time_ns = (uint64_t)((int64_t)T0 + offset_ns),
	                             .destination = destination ? &address : NULL,
	                             .destination_port = port,
	                             .transport = EG_TRANSPORT_TCP};
	struct eg_decision decision;

	if (destination)
		assert_int_equal(eg_address_parse(destination, &address, NULL), 0);
	assert_int_equal(eg_correlator_attempt(correlator, &attempt, &decision), 0);
	return decision;
}

static struct eg_decision attempt_to(const struct eg_correlator *correlator, pid_t pid, int64_t ms,
                                     const char *destination, uint16_t port)
{
	return attempt_at_ns(correlator, pid, ms * 1000000, destination, port);
}

static struct eg_decision attempt(const struct eg_correlator *correlator, pid_t pid, int64_t ms)
{
	return attempt_to(correlator, pid, ms, "1.1.1.1", 443);
}

static void assert_reason(const struct eg_decision *decision, enum eg_decision_reason reason)
{
	if (decision->reason != reason)
		fail_msg("pid %d: expected \"%s\", got \"%s\"", (int)decision->pid,
		         eg_decision_reason_name(reason),
		         eg_decision_reason_name(decision->reason));
	assert_int_equal(decision->match, reason == EG_DECISION_MATCH);
}

/* pid 100 runs entrypoint.sh at 0 ms and forks pid 101, which runs curl. */
static void entrypoint_with_curl(struct eg_correlator *correlator)
{
	assert_int_equal(exec_at(correlator, 100, 1000, 0, "/entrypoint.sh", true), 1);
	assert_int_equal(fork_child(correlator, 100, 101, 1010), 0);
	assert_int_equal(exec_at(correlator, 101, 1010, 5, "/usr/bin/curl", true), 0);
}

static void match_carries_everything_the_alert_needs(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_entity_id entrypoint, curl;
	struct eg_decision decision;

	entrypoint_with_curl(correlator);
	assert_int_equal(eg_correlator_entity_id(correlator, 100, &entrypoint), 0);
	assert_int_equal(eg_correlator_entity_id(correlator, 101, &curl), 0);
	decision = attempt(correlator, 101, 10);
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_int_equal(decision.pid, 101);
	assert_string_equal(decision.entity_id.text, curl.text);
	assert_string_equal(decision.name, "curl");
	assert_string_equal(decision.executable, "/usr/bin/curl");
	assert_int_equal(decision.parent_pid, 100);
	assert_string_equal(decision.parent_entity_id.text, entrypoint.text);
	assert_string_equal(decision.parent_name, "entrypoint.sh");
	assert_int_equal(decision.entry_leader_pid, 100);
	assert_string_equal(decision.entry_leader_entity_id.text, entrypoint.text);
	assert_int_equal(decision.elapsed_ms, 10);
	assert_int_equal(decision.exception_index, -1);
	assert_null(decision.excluded_range);
}

static void window_is_inclusive_at_maxspan(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_decision decision;

	entrypoint_with_curl(correlator);
	decision = attempt(correlator, 101, 2999);
	assert_reason(&decision, EG_DECISION_MATCH);
	decision = attempt(correlator, 101, 3000);
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_int_equal(decision.elapsed_ms, 3000);
	decision = attempt_at_ns(correlator, 101, 3000 * 1000000LL + 1, "1.1.1.1", 443);
	assert_reason(&decision, EG_DECISION_WINDOW_EXPIRED);
	decision = attempt(correlator, 101, 3001);
	assert_reason(&decision, EG_DECISION_WINDOW_EXPIRED);
	assert_int_equal(decision.elapsed_ms, 3001);
	/* Stamped before the exec (two clocks): elapsed 0, not a huge number. */
	decision = attempt(correlator, 101, -1);
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_int_equal(decision.elapsed_ms, 0);
}

static void wrong_parent_and_entrypoint_itself_do_not_match(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_decision decision;

	entrypoint_with_curl(correlator);
	assert_int_equal(exec_at(correlator, 200, 2000, 0, "/bin/sh", true), 0);
	assert_int_equal(fork_child(correlator, 200, 201, 2010), 0);
	decision = attempt(correlator, 201, 10);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
	assert_int_equal(decision.parent_pid, 200);
	assert_string_equal(decision.parent_name, "sh");
	decision = attempt(correlator, 100, 10);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
	decision = attempt(correlator, 999, 10);
	assert_reason(&decision, EG_DECISION_UNTRACKED);
}

/* entrypoint.sh (100) -> sh (101) -> curl (102) */
static void grandchild(struct eg_correlator *correlator)
{
	assert_int_equal(exec_at(correlator, 100, 1000, 0, "/entrypoint.sh", true), 1);
	assert_int_equal(fork_child(correlator, 100, 101, 1010), 0);
	assert_int_equal(exec_at(correlator, 101, 1010, 1, "/bin/sh", true), 0);
	assert_int_equal(fork_child(correlator, 101, 102, 1020), 0);
	assert_int_equal(exec_at(correlator, 102, 1020, 2, "/usr/bin/curl", true), 0);
}

static void grandchild_does_not_match_children(void **state)
{
	struct eg_decision decision;

	grandchild(engine(state));
	decision = attempt(engine(state), 102, 20);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
	assert_int_equal(decision.entry_leader_pid, 0);
}

static void grandchild_matches_descendants(void **state)
{
	struct eg_entity_id entrypoint, sh;
	struct eg_decision decision;

	grandchild(engine(state));
	assert_int_equal(eg_correlator_entity_id(engine(state), 100, &entrypoint), 0);
	assert_int_equal(eg_correlator_entity_id(engine(state), 101, &sh), 0);
	decision = attempt(engine(state), 102, 20);
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_int_equal(decision.parent_pid, 101);
	assert_string_equal(decision.parent_entity_id.text, sh.text);
	assert_string_equal(decision.parent_name, "sh");
	assert_int_equal(decision.entry_leader_pid, 100);
	assert_string_equal(decision.entry_leader_entity_id.text, entrypoint.text);
	decision = attempt(engine(state), 102, 3001);
	assert_reason(&decision, EG_DECISION_WINDOW_EXPIRED);
	/* The entrypoint's own attempt: no entrypoint above it. */
	decision = attempt(engine(state), 100, 20);
	assert_reason(&decision, EG_DECISION_NO_ENTRYPOINT_ANCESTOR);
}

static void nearest_entrypoint_opens_the_later_window(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_decision decision;

	grandchild(correlator);
	/* 101 becomes an inner entrypoint at 2000 ms and forks 103. */
	assert_int_equal(exec_at(correlator, 101, 1010, 2000, "/srv/entrypoint.sh", true), 1);
	assert_int_equal(fork_child(correlator, 101, 103, 1030), 0);
	decision = attempt(correlator, 103, 4000);
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_int_equal(decision.entry_leader_pid, 101);
	assert_int_equal(decision.elapsed_ms, 2000);
	/* 102 was forked before the inner exec: only the outer window holds it. */
	decision = attempt(correlator, 102, 4000);
	assert_reason(&decision, EG_DECISION_WINDOW_EXPIRED);
}

static void reparented_process_keeps_its_real_parent(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_entity_id entrypoint;
	struct eg_decision decision;

	entrypoint_with_curl(correlator);
	assert_int_equal(eg_correlator_entity_id(correlator, 100, &entrypoint), 0);
	/* The entrypoint exits: 101 is re-parented to init, and init forks. */
	assert_int_equal(exit_process(correlator, 100), 1);
	assert_int_equal(exec_at(correlator, 1, 10, 0, "/sbin/init", true), 0);
	assert_int_equal(fork_child(correlator, 1, 300, 3000), 0);
	decision = attempt(correlator, 101, 50);
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_int_equal(decision.parent_pid, 100);
	assert_string_equal(decision.parent_entity_id.text, entrypoint.text);
	assert_string_equal(decision.parent_name, "entrypoint.sh");
}

static void window_survives_entrypoint_exit_for_descendants(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_decision decision;

	entrypoint_with_curl(correlator);
	assert_int_equal(exit_process(correlator, 100), 1);
	/* 101 double-forks after its parent is gone. */
	assert_int_equal(fork_child(correlator, 101, 102, 1020), 0);
	assert_int_equal(exit_process(correlator, 101), 1);
	decision = attempt(correlator, 102, 100);
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_int_equal(decision.entry_leader_pid, 100);
	assert_int_equal(decision.parent_pid, 101);
}

static void reused_pid_does_not_inherit(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_entity_id old_entrypoint, reused;
	struct eg_decision decision;

	assert_int_equal(exec_at(correlator, 100, 1000, 0, "/entrypoint.sh", true), 1);
	assert_int_equal(eg_correlator_entity_id(correlator, 100, &old_entrypoint), 0);
	assert_int_equal(exit_process(correlator, 100), 1);
	assert_int_equal(exit_process(correlator, 100), 0);
	/* pid 100 comes back as an unrelated process; its child connects. */
	assert_int_equal(exec_at(correlator, 50, 500, 0, "/bin/sh", true), 0);
	assert_int_equal(fork_child(correlator, 50, 100, 1500), 0);
	assert_int_equal(exec_at(correlator, 100, 1500, 10, "/usr/sbin/nginx", true), 0);
	assert_int_equal(fork_child(correlator, 100, 102, 1600), 0);
	assert_int_equal(eg_correlator_entity_id(correlator, 100, &reused), 0);
	assert_string_not_equal(reused.text, old_entrypoint.text);
	decision = attempt(correlator, 102, 20);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
	assert_string_equal(decision.parent_entity_id.text, reused.text);
	assert_string_equal(decision.parent_name, "nginx");
}

static void missed_exit_is_caught_by_start_time(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_fork_event stale_parent = {.parent_pid = 100,
	                                     .parent_start_time = 7777,
	                                     .child_pid = 105,
	                                     .child_start_time = 1050};
	struct eg_exit_event stale_exit = {.pid = 100, .start_time = 7777};
	struct eg_decision decision;

	assert_int_equal(exec_at(correlator, 100, 1000, 0, "/entrypoint.sh", true), 1);
	/* A fork event from a parent with another start time: not our 100. */
	assert_int_equal(eg_correlator_fork(correlator, &stale_parent, NULL), 0);
	decision = attempt(correlator, 105, 10);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
	assert_int_equal(eg_correlator_exit(correlator, &stale_exit), 0);
	/* 100's exit was lost; the pid is forked again with a new start time. */
	assert_int_equal(fork_child(correlator, 50, 100, 2000), 0);
	assert_int_equal(fork_child(correlator, 100, 106, 2010), 0);
	decision = attempt(correlator, 106, 10);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
}

static void exec_replaces_the_entrypoint(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_entity_id entrypoint, replaced;
	struct eg_decision decision;

	assert_int_equal(exec_at(correlator, 100, 1000, 0, "/entrypoint.sh", true), 1);
	assert_int_equal(eg_correlator_entity_id(correlator, 100, &entrypoint), 0);
	assert_int_equal(fork_child(correlator, 100, 101, 1010), 0);
	/* exec "$@" */
	assert_int_equal(exec_at(correlator, 100, 1000, 5, "/usr/sbin/nginx", true), 0);
	assert_int_equal(eg_correlator_entity_id(correlator, 100, &replaced), 0);
	assert_string_not_equal(entrypoint.text, replaced.text);
	assert_int_equal(fork_child(correlator, 100, 102, 1020), 0);

	decision = attempt(correlator, 101, 10); /* forked before the exec */
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_string_equal(decision.parent_entity_id.text, entrypoint.text);
	assert_string_equal(decision.parent_name, "entrypoint.sh");
	assert_string_equal(decision.name, "entrypoint.sh"); /* a subshell */
	decision = attempt(correlator, 102, 10);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
	assert_string_equal(decision.parent_name, "nginx");
	decision = attempt(correlator, 100, 10);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
}

static void long_entrypoint_name_matches(void **state)
{
	static char *names[] = {long_entrypoint, NULL};
	struct eg_config config = make_config(EG_LINEAGE_CHILDREN);
	struct fixture fixture;
	struct eg_decision decision;

	(void)state;
	config.entrypoint_names = names;
	start(&fixture, &config);
	/* 21 bytes: the kernel's comm would say "my-long-entrypo". */
	assert_int_equal(exec_at(fixture.correlator, 100, 1000, 0, "/my-long-entrypoint.sh", true),
	                 1);
	assert_int_equal(exec_at(fixture.correlator, 200, 2000, 0, "/entrypoint.sh", true), 0);
	assert_int_equal(fork_child(fixture.correlator, 100, 101, 1010), 0);
	decision = attempt(fixture.correlator, 101, 10);
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_string_equal(decision.parent_name, "my-long-entrypoint.sh");
	stop(&fixture);
}

static void exec_outside_container_opens_no_window(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_exec_event named = {.pid = 300,
	                              .start_time = 3000,
	                              .time_ns = MS(0),
	                              .name = "entrypoint.sh",
	                              .executable = "/bin/bash",
	                              .in_container = true};
	struct eg_decision decision;

	assert_int_equal(exec_at(correlator, 100, 1000, 0, "/entrypoint.sh", false), 0);
	assert_int_equal(fork_child(correlator, 100, 101, 1010), 0);
	decision = attempt(correlator, 101, 10);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
	/* The name given wins over the executable (a script run by bash). */
	assert_int_equal(eg_correlator_exec(correlator, &named, NULL), 1);
}

static void destinations_are_classified(void **state)
{
	static const struct {
		const char *address;
		enum eg_decision_reason reason;
		const char *range;
	} cases[] = {
	    {"10.1.2.3", EG_DECISION_DESTINATION_EXCLUDED, "10.0.0.0/8"},
	    {"192.0.0.9", EG_DECISION_DESTINATION_EXCLUDED, "192.0.0.9/32"},
	    {"172.31.4.5", EG_DECISION_DESTINATION_EXCLUDED, "172.31.0.0/16"},
	    {"::ffff:10.0.0.1", EG_DECISION_DESTINATION_EXCLUDED, "10.0.0.0/8"},
	    {"fe80::1", EG_DECISION_DESTINATION_EXCLUDED, "FE80::/10"},
	    {"::1", EG_DECISION_DESTINATION_EXCLUDED, "::1"},
	    {"0.0.0.0", EG_DECISION_DESTINATION_UNSPECIFIED, NULL},
	    {"::", EG_DECISION_DESTINATION_UNSPECIFIED, NULL},
	    {"::ffff:0.0.0.0", EG_DECISION_DESTINATION_UNSPECIFIED, NULL},
	    {NULL, EG_DECISION_DESTINATION_UNSPECIFIED, NULL},
	    {"::ffff:8.8.8.8", EG_DECISION_MATCH, NULL},
	    {"2001:4860:4860::8888", EG_DECISION_MATCH, NULL},
	    {"172.32.0.1", EG_DECISION_MATCH, NULL},
	};
	struct eg_correlator *correlator = engine(state);

	entrypoint_with_curl(correlator);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct eg_decision decision = attempt_to(correlator, 101, 10, cases[i].address, 80);
		assert_reason(&decision, cases[i].reason);
		if (cases[i].range) {
			assert_non_null(decision.excluded_range);
			assert_string_equal(decision.excluded_range->text, cases[i].range);
		} else {
			assert_null(decision.excluded_range);
		}
		if (cases[i].reason != EG_DECISION_MATCH)
			assert_true(decision.condition_index >= 2);
	}
}

/* A fresh engine with one exception; python (101) and curl (102, executable
 * unknown) are both children of the entrypoint. */
static void start_with_exception(struct fixture *fixture, const struct eg_exception *exception)
{
	struct eg_config config = make_config(EG_LINEAGE_CHILDREN);
	struct eg_exec_event curl = {
	    .pid = 102, .start_time = 1020, .time_ns = MS(1), .name = "curl", .in_container = true};

	config.exceptions = (struct eg_exception *)exception;
	config.exceptions_count = 1;
	start(fixture, &config);
	assert_int_equal(exec_at(fixture->correlator, 100, 1000, 0, "/entrypoint.sh", true), 1);
	assert_int_equal(fork_child(fixture->correlator, 100, 101, 1010), 0);
	assert_int_equal(exec_at(fixture->correlator, 101, 1010, 1, "/usr/bin/python3", true), 0);
	assert_int_equal(fork_child(fixture->correlator, 100, 102, 1020), 0);
	assert_int_equal(eg_correlator_exec(fixture->correlator, &curl, NULL), 0);
}

static void check_exception(const struct eg_exception *exception, pid_t pid,
                            const char *destination, uint16_t port, bool excepted)
{
	struct fixture fixture;
	struct eg_decision decision;

	start_with_exception(&fixture, exception);
	decision = attempt_to(fixture.correlator, pid, 10, destination, port);
	assert_reason(&decision, excepted ? EG_DECISION_EXCEPTION : EG_DECISION_MATCH);
	assert_int_equal(decision.exception_index, excepted ? 0 : -1);
	stop(&fixture);
}

static void each_exception_field_alone(void **state)
{
	struct eg_exception exception = {.destination_port = -1};

	(void)state;
	exception.process_name = python_pattern;
	check_exception(&exception, 101, "1.1.1.1", 80, true);
	check_exception(&exception, 102, "1.1.1.1", 80, false);
	exception = (struct eg_exception){.destination_port = -1};
	exception.process_executable = executable_pattern;
	check_exception(&exception, 101, "1.1.1.1", 80, true);
	check_exception(&exception, 102, "1.1.1.1", 80, false); /* null executable */
	exception = (struct eg_exception){.destination_port = -1, .executable_null = true};
	check_exception(&exception, 102, "1.1.1.1", 80, true);
	check_exception(&exception, 101, "1.1.1.1", 80, false);
	exception = (struct eg_exception){.destination_port = -1, .has_destination_cidr = true};
	assert_int_equal(eg_cidr_parse("1.1.1.0/24", &exception.destination_cidr, NULL), 0);
	check_exception(&exception, 101, "1.1.1.1", 80, true);
	check_exception(&exception, 101, "::ffff:1.1.1.9", 80, true);
	check_exception(&exception, 101, "1.1.2.1", 80, false);
	exception = (struct eg_exception){.destination_port = 443};
	check_exception(&exception, 102, "1.1.1.1", 443, true);
	check_exception(&exception, 102, "1.1.1.1", 80, false);
	exception = (struct eg_exception){.destination_port = -1, .image = image_pattern};
	check_exception(&exception, 102, "1.1.1.1", 80, true);
	exception.image = other_image_pattern;
	check_exception(&exception, 102, "1.1.1.1", 80, false);
	exception =
	    (struct eg_exception){.destination_port = -1, .container_name = container_pattern};
	check_exception(&exception, 102, "1.1.1.1", 80, true);
	exception.container_name = other_container_pattern;
	check_exception(&exception, 102, "1.1.1.1", 80, false);
}

static void combined_exception_needs_every_field(void **state)
{
	/* The upstream revision's "python* to 443". */
	struct eg_exception exception = {.process_name = python_pattern, .destination_port = 443};

	(void)state;
	check_exception(&exception, 101, "1.1.1.1", 443, true);
	check_exception(&exception, 101, "1.1.1.1", 80, false);
	check_exception(&exception, 102, "1.1.1.1", 443, false);
	exception.has_destination_cidr = true;
	assert_int_equal(eg_cidr_parse("2001:db8::/32", &exception.destination_cidr, NULL), 0);
	check_exception(&exception, 101, "2001:db8::1", 443, true);
	check_exception(&exception, 101, "1.1.1.1", 443, false);
}

static void full_table_is_reported_not_grown(void **state)
{
	struct eg_config config = make_config(EG_LINEAGE_CHILDREN);
	struct eg_error err = {0};
	struct eg_correlator_stats stats;
	struct eg_fork_event fork_event = {.parent_pid = 100,
	                                   .parent_start_time = EG_START_TIME_UNKNOWN,
	                                   .child_pid = 103,
	                                   .child_start_time = 1030};
	struct fixture fixture;
	struct eg_decision decision;

	(void)state;
	config.max_processes = 3;
	start(&fixture, &config);
	assert_int_equal(exec_at(fixture.correlator, 100, 1000, 0, "/entrypoint.sh", true), 1);
	assert_int_equal(fork_child(fixture.correlator, 100, 101, 1010), 0);
	assert_int_equal(fork_child(fixture.correlator, 100, 102, 1020), 0);
	assert_int_equal(eg_correlator_fork(fixture.correlator, &fork_event, &err), -ENOSPC);
	assert_non_null(strstr(err.message, "process table full (3 processes): pid 103"));
	assert_int_equal(exec_at(fixture.correlator, 104, 1040, 0, "/entrypoint.sh", true),
	                 -ENOSPC);
	eg_correlator_get_stats(fixture.correlator, &stats);
	assert_int_equal(stats.tracked, 3);
	assert_int_equal(stats.capacity, 3);
	assert_int_equal(stats.dropped, 2);
	assert_int_equal(stats.windows_opened, 1);
	decision = attempt(fixture.correlator, 103, 10);
	assert_reason(&decision, EG_DECISION_UNTRACKED);
	/* An exit frees a record for the next fork. */
	assert_int_equal(exit_process(fixture.correlator, 102), 1);
	assert_int_equal(eg_correlator_fork(fixture.correlator, &fork_event, &err), 0);
	decision = attempt(fixture.correlator, 103, 10);
	assert_reason(&decision, EG_DECISION_MATCH);
	stop(&fixture);
}

static void seeded_processes_have_lineage_but_no_window(void **state)
{
	struct eg_correlator *correlator = engine(state);
	struct eg_seed_process init = {.pid = 1, .start_time = 10, .name = "entrypoint.sh"};
	struct eg_seed_process helper = {
	    .pid = 105, .start_time = 1050, .parent_pid = 100, .name = "helper"};
	struct eg_decision decision;

	assert_int_equal(eg_correlator_seed(correlator, &init, NULL), 0);
	assert_int_equal(fork_child(correlator, 1, 2, 20), 0);
	decision = attempt(correlator, 2, 10);
	assert_reason(&decision, EG_DECISION_PARENT_NOT_ENTRYPOINT);
	assert_string_equal(decision.parent_name, "entrypoint.sh");
	/* Found by a /proc scan under a tracked entrypoint. */
	assert_int_equal(exec_at(correlator, 100, 1000, 0, "/entrypoint.sh", true), 1);
	assert_int_equal(eg_correlator_seed(correlator, &helper, NULL), 0);
	decision = attempt(correlator, 105, 10);
	assert_reason(&decision, EG_DECISION_MATCH);
	assert_string_equal(decision.name, "helper");
	/* A scan that finds it again, without its parent, changes nothing. */
	helper.parent_pid = 0;
	assert_int_equal(eg_correlator_seed(correlator, &helper, NULL), 0);
	decision = attempt(correlator, 105, 10);
	assert_reason(&decision, EG_DECISION_MATCH);
}

static void window_deadline_tracks_open_windows(void **state)
{
	struct eg_correlator *correlator = engine(state);
	uint64_t deadline = 0;

	assert_int_equal(eg_correlator_window_deadline(correlator, MS(0), &deadline), 0);
	entrypoint_with_curl(correlator);
	assert_int_equal(eg_correlator_window_deadline(correlator, MS(10), &deadline), 1);
	assert_int_equal(deadline, MS(3000));
	assert_int_equal(eg_correlator_window_deadline(correlator, MS(3000), &deadline), 1);
	deadline = 42;
	assert_int_equal(eg_correlator_window_deadline(correlator, MS(3001), &deadline), 0);
	assert_int_equal(deadline, 42);
}

static void rule_from_config_has_the_seed_shape(void **state)
{
	const struct eg_rule *rule = ((struct fixture *)*state)->rule;
	const struct eg_condition *cidrmatch;

	assert_string_equal(rule->id, EG_RULE_ID);
	assert_int_equal(rule->maxspan_ms, 3000);
	assert_int_equal(rule->join, EG_LINEAGE_CHILDREN);
	assert_int_equal(rule->entry.conditions_count, 4);
	assert_int_equal(rule->entry.conditions[2].field, EG_FIELD_ENTRY_META_TYPE);
	assert_string_equal(rule->entry.conditions[3].values[0], "entrypoint.sh");
	assert_int_equal(rule->attempt.conditions_count, 5);
	cidrmatch = &rule->attempt.conditions[4];
	assert_int_equal(cidrmatch->operation, EG_OPERATION_CIDRMATCH);
	assert_true(cidrmatch->negate);
	assert_int_equal(cidrmatch->values_count, eg_seed_excluded_cidrs_count);
	assert_string_equal(eg_field_name(cidrmatch->field), "destination.ip");
}

static void rule_building_rejects_bad_input(void **state)
{
	static const char *const port[] = {"70000"};
	static const char *const address[] = {"1.2.3"};
	static const char *const range[] = {"10.0.0.0/8"};
	struct eg_config config = make_config(EG_LINEAGE_CHILDREN);
	struct eg_exception empty = {.destination_port = -1};
	struct eg_error err = {0};
	struct eg_rule *rule = NULL;
	enum eg_field field;

	(void)state;
	assert_int_equal(eg_rule_new("r", "id", EG_LINEAGE_CHILDREN, 1, &rule, NULL), 0);
	assert_int_equal(eg_predicate_add(&rule->attempt, EG_FIELD_DESTINATION_PORT,
	                                  EG_OPERATION_EQUALS, false, port, 1, &err),
	                 -EINVAL);
	assert_non_null(strstr(err.message, "destination.port: \"70000\" is not a port"));
	assert_true(eg_predicate_add(&rule->attempt, EG_FIELD_DESTINATION_IP, EG_OPERATION_EQUALS,
	                             false, address, 1, &err) < 0);
	assert_int_equal(eg_predicate_add(&rule->attempt, EG_FIELD_DESTINATION_PORT,
	                                  EG_OPERATION_CIDRMATCH, false, range, 1, &err),
	                 -EINVAL);
	assert_int_equal(eg_predicate_add(&rule->attempt, EG_FIELD_PROCESS_NAME,
	                                  EG_OPERATION_IS_NULL, false, range, 1, &err),
	                 -EINVAL);
	assert_int_equal(eg_rule_add_exception(rule, &empty, &err), -EINVAL);
	assert_int_equal(rule->attempt.conditions_count, 0);
	assert_int_equal(rule->exceptions_count, 0);
	eg_rule_free(rule);

	rule = NULL;
	config.window_ms = 0;
	assert_int_equal(eg_rule_from_config(&config, &rule, &err), -EINVAL);
	assert_null(rule);
	assert_int_equal(eg_field_parse("process.entry_leader.entry_meta.type", &field), 0);
	assert_int_equal(field, EG_FIELD_ENTRY_META_TYPE);
	assert_int_equal(eg_field_parse("process.title", &field), -EINVAL);
}

#define WITH(test, setup) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    WITH(match_carries_everything_the_alert_needs, setup_children),
	    WITH(window_is_inclusive_at_maxspan, setup_children),
	    WITH(wrong_parent_and_entrypoint_itself_do_not_match, setup_children),
	    WITH(grandchild_does_not_match_children, setup_children),
	    WITH(grandchild_matches_descendants, setup_descendants),
	    WITH(nearest_entrypoint_opens_the_later_window, setup_descendants),
	    WITH(reparented_process_keeps_its_real_parent, setup_children),
	    WITH(window_survives_entrypoint_exit_for_descendants, setup_descendants),
	    WITH(reused_pid_does_not_inherit, setup_children),
	    WITH(missed_exit_is_caught_by_start_time, setup_children),
	    WITH(exec_replaces_the_entrypoint, setup_children),
	    cmocka_unit_test(long_entrypoint_name_matches),
	    WITH(exec_outside_container_opens_no_window, setup_children),
	    WITH(destinations_are_classified, setup_children),
	    cmocka_unit_test(each_exception_field_alone),
	    cmocka_unit_test(combined_exception_needs_every_field),
	    cmocka_unit_test(full_table_is_reported_not_grown),
	    WITH(seeded_processes_have_lineage_but_no_window, setup_children),
	    WITH(window_deadline_tracks_open_windows, setup_children),
	    WITH(rule_from_config_has_the_seed_shape, setup_children),
	    cmocka_unit_test(rule_building_rejects_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
