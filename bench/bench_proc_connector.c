/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Does the proc connector's socket filter earn its keep?  The same host
 * storm is run while a listener with the filter and one without it (the
 * baseline, same run, rounds alternated) read every event, and the table
 * gives, per storm, the median of:
 *  - wakeups: poll() returns with data, i.e. times the monitor is woken;
 *  - datagrams: datagrams the socket had to queue and we had to read;
 *  - events: events handed to the caller (must be equal: the filter may
 *    only drop what the caller never sees);
 *  - cpu_us: the listener's own CPU time (user + system);
 *  - storm_ms: the storm's wall time (the filter runs in its context).
 * Storms: "threads" = processes that rename themselves (a comm event) and
 * start 8 threads each, as Go and Java programs do; "forks" = processes
 * that exit at once, where the filter has nothing to drop (its cost).
 *
 * Run on demand, as root or on Linux >= 6.6:
 *     bench_proc_connector [PROCESSES] [ROUNDS]
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/proc_connector.h"

#define THREADS_PER_PROCESS 8
#define ROUNDS_MAX          32

struct measurement {
	double wakeups, datagrams, events, cpu_us, storm_ms;
};

struct listener_state {
	pid_t driver;
	bool driver_exited;
};

static double now_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

static double cpu_us(void)
{
	struct rusage usage;

	getrusage(RUSAGE_SELF, &usage);
	return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
	       (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

static void *idle_thread(void *argument)
{
	return argument;
}

static void threaded_worker(void)
{
	pthread_t threads[THREADS_PER_PROCESS];

	prctl(PR_SET_NAME, "bench-worker");
	for (int i = 0; i < THREADS_PER_PROCESS; i++)
		if (pthread_create(&threads[i], NULL, idle_thread, NULL) != 0)
			_exit(1);
	for (int i = 0; i < THREADS_PER_PROCESS; i++)
		pthread_join(threads[i], NULL);
	_exit(0);
}

/* The storm, run by a driver child so that the listener's CPU time is its
 * own; returns the driver's pid. */
static pid_t start_storm(bool threaded, int processes)
{
	pid_t driver = fork();

	if (driver != 0)
		return driver;
	for (int i = 0; i < processes; i++) {
		pid_t worker = fork();
		if (worker == 0) {
			if (threaded)
				threaded_worker();
			_exit(0);
		}
		if (worker > 0)
			waitpid(worker, NULL, 0);
	}
	_exit(0);
}

static int on_event(const struct eg_proc_event *event, void *userdata)
{
	struct listener_state *state = userdata;

	if (event->type == EG_PROC_EVENT_EXIT && event->pid == state->driver)
		state->driver_exited = true;
	return 0;
}

static int measure(bool filtered, bool threaded, int processes, struct measurement *result)
{
	struct eg_proc_connector_options options = {.no_socket_filter = !filtered};
	struct eg_proc_connector *connector = NULL;
	struct listener_state state = {0};
	struct eg_proc_connector_stats stats;
	struct eg_error err = {0};
	struct pollfd poll_fd;
	double cpu_start, storm_start;
	int wakeups = 0;

	if (eg_proc_connector_open(&options, &connector, &err) < 0) {
		fprintf(stderr, "%s\n", err.message);
		return -1;
	}
	poll_fd = (struct pollfd){.fd = eg_proc_connector_fd(connector), .events = POLLIN};
	cpu_start = cpu_us();
	storm_start = now_ms();
	state.driver = start_storm(threaded, processes);
	while (!state.driver_exited) {
		if (poll(&poll_fd, 1, 1000) <= 0)
			break;
		wakeups++;
		if (eg_proc_connector_receive(connector, on_event, &state, &err) < 0 &&
		    err.code != ENOBUFS)
			break;
	}
	result->storm_ms = now_ms() - storm_start;
	result->cpu_us = cpu_us() - cpu_start;
	waitpid(state.driver, NULL, 0);
	eg_proc_connector_get_stats(connector, &stats);
	result->wakeups = wakeups;
	result->datagrams = (double)stats.datagrams;
	result->events = (double)stats.events;
	if (stats.overruns)
		fprintf(stderr, "note: %llu overruns\n", (unsigned long long)stats.overruns);
	eg_proc_connector_free(connector);
	return 0;
}

static int compare_double(const void *a, const void *b)
{
	double left = *(const double *)a, right = *(const double *)b;

	return (left > right) - (left < right);
}

static double median(double *values, int count)
{
	qsort(values, (size_t)count, sizeof(values[0]), compare_double);
	return values[count / 2];
}

/* Prints the medians of the rounds (and ratios against baseline) and
 * returns them. */
static struct measurement report(const char *storm, const char *listener,
                                 const struct measurement *rounds, int count,
                                 const struct measurement *baseline)
{
	double columns[5][ROUNDS_MAX];
	struct measurement m;

	for (int i = 0; i < count; i++) {
		columns[0][i] = rounds[i].wakeups, columns[1][i] = rounds[i].datagrams;
		columns[2][i] = rounds[i].events, columns[3][i] = rounds[i].cpu_us;
		columns[4][i] = rounds[i].storm_ms;
	}
	m = (struct measurement){median(columns[0], count), median(columns[1], count),
	                         median(columns[2], count), median(columns[3], count),
	                         median(columns[4], count)};
	printf("%-8s %-10s %9.0f %10.0f %8.0f %9.0f %9.1f", storm, listener, m.wakeups, m.datagrams,
	       m.events, m.cpu_us, m.storm_ms);
	if (baseline)
		printf("   x%.2f wakeups, x%.2f cpu", m.wakeups / baseline->wakeups,
		       m.cpu_us / baseline->cpu_us);
	printf("\n");
	return m;
}

int main(int argc, char **argv)
{
	int processes = argc > 1 ? atoi(argv[1]) : 500;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;

	if (processes <= 0 || rounds <= 0 || rounds > ROUNDS_MAX) {
		fprintf(stderr, "usage: %s [PROCESSES] [ROUNDS <= %d]\n", argv[0], ROUNDS_MAX);
		return 2;
	}
	printf("%-8s %-10s %9s %10s %8s %9s %9s\n", "storm", "listener", "wakeups", "datagrams",
	       "events", "cpu_us", "storm_ms");
	for (int threaded = 1; threaded >= 0; threaded--) {
		struct measurement plain[ROUNDS_MAX], filtered[ROUNDS_MAX], baseline;

		for (int i = 0; i < rounds; i++)
			if (measure(false, threaded, processes, &plain[i]) < 0 ||
			    measure(true, threaded, processes, &filtered[i]) < 0)
				return 1;
		baseline =
		    report(threaded ? "threads" : "forks", "unfiltered", plain, rounds, NULL);
		report(threaded ? "threads" : "forks", "filtered", filtered, rounds, &baseline);
	}
	return 0;
}
